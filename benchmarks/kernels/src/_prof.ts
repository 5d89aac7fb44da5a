import { createWebGPUBackend } from '@attune/tensor';
import { attuneGptStep, SMALL_GPT } from './gpt.js';
const backend = await createWebGPUBackend({ rowKernel: 'vector' });
const { step } = attuneGptStep(backend, SMALL_GPT);
step(); await backend.sync();
backend.startProfile(); step(); const t = await backend.stopProfile();
const by = new Map<string, { n: number; ms: number }>();
for (const k of t) { const e = by.get(k.op) ?? { n: 0, ms: 0 }; e.n++; e.ms += k.ms; by.set(k.op, e); }
console.log('kernels', t.length, 'ms', t.reduce((s, k) => s + k.ms, 0).toFixed(1));
for (const [op, e] of [...by].sort((a, b) => b[1].n - a[1].n)) console.log(op.padEnd(24), e.n, e.ms.toFixed(2));
process.exit(0);
