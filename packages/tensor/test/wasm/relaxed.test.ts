// Runs relaxed_child.ts in child Node processes: the relaxed build (fused multiply-add) must be
// chosen wherever the engine can have relaxed SIMD (on Node 20 the loader switches V8's
// --experimental-wasm-relaxed-simd on itself) and be as accurate as the plain one; with
// ATTUNE_WASM_RELAXED_SIMD=0 the plain SIMD build must be chosen.
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
  it('uses the relaxed-SIMD build without any Node flag, and exits with workers running', () => {
    const report = runChild([]);
    expect(report.variant).toBe('relaxed-simd');
    expect(report.worstRatio).toBeLessThanOrEqual(1);
    expect(report.threads).toBe(2);
  });

  it('uses the plain SIMD build when ATTUNE_WASM_RELAXED_SIMD=0', () => {
    const report = runChild([], { ATTUNE_WASM_RELAXED_SIMD: '0' });
    expect(report.variant).toBe('simd');
    expect(report.worstRatio).toBeLessThanOrEqual(1);
    expect(report.threads).toBe(2);
  });

  it('still works, on one thread, without SharedArrayBuffer', () => {
    const report = runChild([], { NO_SHARED_ARRAY_BUFFER: '1' });
    expect(report.variant).toBe('relaxed-simd');
    expect(report.worstRatio).toBeLessThanOrEqual(1);
    expect(report.threads).toBe(1);
  });
});
