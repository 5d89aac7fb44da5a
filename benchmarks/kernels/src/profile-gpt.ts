// Where the benchmark's GPT training step spends its GPU time, kernel by kernel: one warm step,
// then one step under GPU timestamps, summed by op (kernels, milliseconds), most kernels first.
//
//   npm run profile-gpt --workspace @attune/benchmark-kernels [-- --row-kernel=scalar|vector]

import { createWebGPUBackend } from '@attune/tensor';
import { attuneGptStep, SMALL_GPT } from './gpt.js';

const rowKernel = process.argv.find((a) => a.startsWith('--row-kernel='))?.slice('--row-kernel='.length) as 'scalar' | 'vector' | undefined;
const backend = await createWebGPUBackend(rowKernel ? { rowKernel } : {});
if (!backend.canProfile) throw new Error(`profile-gpt: '${backend.adapter.description}' has no timestamp-query, so kernels cannot be timed`);
const { step, dispose } = attuneGptStep(backend, SMALL_GPT);
step();
await backend.sync();
backend.startProfile();
step();
const timings = await backend.stopProfile();
const byOp = new Map<string, { kernels: number; ms: number }>();
for (const { op, ms } of timings) {
  const entry = byOp.get(op) ?? { kernels: 0, ms: 0 };
  entry.kernels++;
  entry.ms += ms;
  byOp.set(op, entry);
}
console.log(`adapter: ${backend.adapter.description}`);
console.log(`${timings.length} kernels, ${timings.reduce((total, t) => total + t.ms, 0).toFixed(2)} ms of GPU time (one compute pass per kernel while profiling)`);
for (const [op, { kernels, ms }] of [...byOp].sort((a, b) => b[1].kernels - a[1].kernels)) console.log(`  ${op.padEnd(36)} ${String(kernels).padStart(4)}  ${ms.toFixed(2).padStart(8)} ms`);
dispose();
backend.dispose();
process.exit(0);
