// A/B timing inside one process for the Attune CPU peer: alternates blocks of steps between
// configurations (so that the load of other processes falls on both alike) and prints the median
// step time of each. Run: npx tsx --conditions=@attune/source src/ab.ts [rounds] [--without a,b [--threads n]]
import os from 'node:os';
import { cpuBackend, setNumThreads, type FastKernels } from '@attune/tensor';
import { createAttunePeer } from './peers/attune.js';

const rounds = Number(process.argv[2] ?? 6);
// --threads n: run both configurations of --without on n threads.
const threadsFlag = process.argv.indexOf('--threads');
if (threadsFlag > 0) setNumThreads(Number(process.argv[threadsFlag + 1]));
// --without a,b: the second configuration hides these fast kernels (the CPU backend then takes its
// other path), to time one kernel's effect on the whole step; without it, 2 threads against 1.
const without = process.argv.indexOf('--without');
const fast = (cpuBackend() as unknown as { fast: FastKernels | null }).fast as unknown as Record<string, unknown> | null;
const hidden = without > 0 ? process.argv[without + 1].split(',') : [];
const saved = Object.fromEntries(hidden.map((name) => [name, fast?.[name]]));
const configs: Record<string, () => void> =
  without > 0
    ? {
        'all kernels': () => { for (const name of hidden) if (fast) fast[name] = saved[name]; },
        [`without ${hidden.join(',')}`]: () => { for (const name of hidden) if (fast) fast[name] = undefined; },
      }
    : { '2 threads': () => setNumThreads(2), '1 thread': () => setNumThreads(1) };
const peer = createAttunePeer();
await peer.init();
for (let i = 0; i < 3; i++) await peer.step(i);
const times: Record<string, number[]> = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
let index = 0;
for (let r = 0; r < rounds; r++) {
  for (const [name, apply] of Object.entries(configs)) {
    apply();
    await peer.step(index++);
    for (let s = 0; s < 5; s++) {
      const start = performance.now();
      await peer.step(index++);
      times[name].push(performance.now() - start);
    }
  }
}
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const [name, xs] of Object.entries(times)) console.log(`${name.padEnd(12)} median ${median(xs).toFixed(1)} ms/step, best ${Math.min(...xs).toFixed(1)}`);
process.exit(0);
