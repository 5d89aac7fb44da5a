// Sandbox measurement behind the wasm matmul's PARALLEL_MIN_FLOPS: time n x n x n products on one
// thread and on every core, interleaved, for n around the threshold, after waiting for a quiet
// machine. The threshold belongs where two threads first win clearly.
//
//   npx tsx bench/threads.ts            # from packages/tensor

import os from 'node:os';
import { setNumThreads, wasmKernels, wasmMatmulThreadsUsed } from '../src/backends/cpu/wasm/index';
import { busyCores, waitForQuiet } from './machine';

const kernels = wasmKernels()!;
const cores = os.availableParallelism();
const sizes = (process.env.SIZES ?? "64,96,128,144,160,192,256,384").split(",").map(Number);

function randomArray(length: number): Float32Array {
  return Float32Array.from({ length }, () => Math.random() * 2 - 1);
}

async function startWorkers(): Promise<void> {
  setNumThreads(cores);
  const a = randomArray(512 * 512);
  const out = new Float32Array(512 * 512);
  for (let attempt = 0; attempt < 100 && wasmMatmulThreadsUsed() < cores; attempt++) {
    kernels.matmul(a, a, out, 1, 512, 512, 512, false, false, 0, 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

await startWorkers();
console.log(`other load before: ${waitForQuiet(0.3)?.toFixed(2)} cores busy`);
console.log('n      1 thread µs   all cores µs   threads used   speed-up');
for (const n of sizes) {
  const a = randomArray(n * n);
  const b = randomArray(n * n);
  const out = new Float32Array(n * n);
  const repetitions = Math.max(1, Math.round(2e7 / n ** 3));
  const samples: number[][] = [[], []];
  let used = 0;
  for (let round = 0; round < 21; round++) {
    for (const [index, threads] of [[0, 1], [1, cores]] as const) {
      setNumThreads(threads);
      const start = performance.now();
      for (let r = 0; r < repetitions; r++) kernels.matmul(a, b, out, 1, n, n, n, false, false, 0, 0);
      samples[index].push(((performance.now() - start) / repetitions) * 1000);
      if (threads > 1) used = wasmMatmulThreadsUsed();
    }
  }
  const median = (values: number[]) => values.sort((x, y) => x - y)[values.length >> 1];
  const [single, multiple] = samples.map(median);
  console.log(`${String(n).padEnd(7)}${single.toFixed(1).padStart(11)}   ${multiple.toFixed(1).padStart(12)}   ${String(used).padStart(12)}   ${(single / multiple).toFixed(2)}x`);
}
console.log(`other load after: ${busyCores()?.toFixed(2)} cores busy (includes this process's idle workers: ~0)`);
