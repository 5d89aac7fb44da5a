// Runs relaxed_child.ts in child Node processes: with --experimental-wasm-relaxed-simd (Node 20's
// V8 validates relaxed SIMD only behind that flag) the relaxed build (fused multiply-add) must be
// chosen and be as accurate as the plain one; without it the plain SIMD build must be chosen.
// Both children return with worker threads still started, so each run also proves that idle
// workers do not keep the process alive (the child must exit on its own, well within the timeout).
// A third child runs without SharedArrayBuffer: the kernels must still load, on one thread.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./relaxed_child.ts', import.meta.url));

function runChild(flags: string[], env: Record<string, string> = {}): { variant: string; worstRatio: number; threads: number } {
  const result = spawnSync(process.execPath, [...flags, '--import', 'tsx', child], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, ...env },
  });
  expect(result.error, 'child process error').toBeUndefined();
  expect(result.status, `child exited with ${result.status}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!);
}

describe('wasm kernel builds', () => {
  it('uses the relaxed-SIMD build where the engine validates it, and exits with workers running', () => {
    const report = runChild(['--experimental-wasm-relaxed-simd']);
    expect(report.variant).toBe('relaxed-simd');
    expect(report.worstRatio).toBeLessThanOrEqual(1);
    expect(report.threads).toBe(2);
  });

  it('falls back to the plain SIMD build otherwise', () => {
    const report = runChild([]);
    expect(report.variant).toBe('simd');
    expect(report.worstRatio).toBeLessThanOrEqual(1);
    expect(report.threads).toBe(2);
  });

  it('still works, on one thread, without SharedArrayBuffer', () => {
    const report = runChild([], { NO_SHARED_ARRAY_BUFFER: '1' });
    expect(report.variant).toBe('simd');
    expect(report.worstRatio).toBeLessThanOrEqual(1);
    expect(report.threads).toBe(1);
  });
});
