// Where the Attune CPU step goes: times every backend method (wall clock, inclusive) over a few
// training steps of the benchmark workload (after the benchmark's 10 warm-up steps, which cover the
// CPU backend's split calibration) and prints them by total time. Nested calls (the fused paths
// call matmul) are counted in both.
// Run: npx tsx --conditions=@attune/source src/profile.ts [steps] [--shapes] [--threads n] [--split-always]
import os from 'node:os';
import { CpuBackend, setNumThreads } from '@attune/tensor';
import { setSplitMode } from '../../../packages/tensor/src/backends/cpu/wasm/index.js';
import { createAttunePeer } from './peers/attune.js';

const steps = Number(process.argv[2] ?? 10);
const threadsFlag = process.argv.indexOf('--threads');
if (threadsFlag > 0) setNumThreads(Number(process.argv[threadsFlag + 1]));
// Every job large enough splits, whatever the recent timings say (not exported: the package's own module).
if (process.argv.includes('--split-always')) setSplitMode('always');
const totals = new Map<string, { ms: number; calls: number }>();
const proto = CpuBackend.prototype as unknown as Record<string, unknown>;
let depth = 0;
for (const name of Object.getOwnPropertyNames(proto)) {
  const original = proto[name];
  if (name === 'constructor' || typeof original !== 'function') continue;
  proto[name] = function (this: unknown, ...args: unknown[]) {
    const start = performance.now();
    depth++;
    try {
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } finally {
      depth--;
      let key = depth > 0 ? `  (nested) ${name}` : name;
      if (name === 'matmul' && process.argv.includes('--shapes')) {
        const [, , batch, m, k, n, transA, transB] = args as number[];
        key += ` ${batch}×${m}×${k}×${n}${transA ? ' Aᵀ' : ''}${transB ? ' Bᵀ' : ''}`;
      } else if (process.argv.includes('--shapes') && ['binary', 'unary', 'reduce', 'stridedCopy', 'concat'].includes(name)) {
        const shapes = args.filter((a) => Array.isArray(a) && a.every((d) => typeof d === 'number')).map((a) => `[${(a as number[]).join(',')}]`);
        key += ` ${typeof args[0] === 'string' ? args[0] : ''} ${shapes.join(' ')} ${name === 'reduce' ? (args.slice(2, 5) as number[]).join(',') : ''}`;
      }
      const entry = totals.get(key) ?? { ms: 0, calls: 0 };
      entry.ms += performance.now() - start;
      entry.calls++;
      totals.set(key, entry);
    }
  };
}
const peer = createAttunePeer();
await peer.init();
for (let i = 0; i < 10; i++) await peer.step(i);
totals.clear();
const start = performance.now();
for (let i = 0; i < steps; i++) await peer.step(i);
const stepMs = (performance.now() - start) / steps;
let accounted = 0;
console.log(`load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; ${stepMs.toFixed(1)} ms/step (${((1024 / stepMs) * 1000).toFixed(0)} tok/s)`);
for (const [name, { ms, calls }] of [...totals].sort((a, b) => b[1].ms - a[1].ms)) {
  if (!name.startsWith(' ')) accounted += ms;
  console.log(`${name.padEnd(34)} ${(ms / steps).toFixed(2).padStart(8)} ms/step ${String(calls / steps).padStart(6)} calls/step`);
}
console.log(`backend total ${(accounted / steps).toFixed(1)} ms/step; outside the backend ${(stepMs - accounted / steps).toFixed(1)} ms/step`);
