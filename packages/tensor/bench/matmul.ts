// Sandbox benchmark for the WebAssembly kernels (not part of the package): matmul GFLOP/s at
// 64, 256 and 1024 with one thread and with every core, next to @tensorflow/tfjs-backend-wasm
// measured in the same process, then the per-call time of the small shapes an RL MLP uses
// (forward and backward transposes) and of a batch-1 policy forward.
//
//   npx tsx bench/matmul.ts            # from packages/tensor
//   npx tsx bench/matmul.ts --quick    # fewer samples
//   ATTUNE_WASM_RELAXED_SIMD=0 npx tsx bench/matmul.ts   # the plain SIMD build (no fused multiply-add)
//
// Other processes share the machine, so it first waits (up to 2 minutes) for a quiet moment, prints
// the load it saw, and reports each figure as the median (and best) over samples.

import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {
  getNumThreads,
  setNumThreads,
  wasmKernels,
  wasmKernelVariant,
  wasmMatmulThreadsUsed,
} from '../src/backends/cpu/wasm/index';
import { busyCores, waitForQuiet } from './machine';

const quick = process.argv.includes('--quick');
const kernels = wasmKernels();
if (!kernels) throw new Error('wasm kernels unavailable');
const cores = os.availableParallelism();
const sampleTargetMs = quick ? 10 : 25;
const sampleCount = quick ? 7 : 15;

interface Timing {
  medianMs: number;
  bestMs: number;
}

/** Times `run` in samples of enough iterations to last sampleTargetMs; per-iteration median and best. */
function time(run: () => void, samples = sampleCount): Timing {
  run();
  let iterations = 1;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) run();
    const elapsed = performance.now() - start;
    if (elapsed >= sampleTargetMs || iterations >= 1 << 20) break;
    iterations = Math.max(iterations * 2, Math.ceil((iterations * sampleTargetMs) / Math.max(elapsed, 0.01)));
  }
  const perIteration: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) run();
    perIteration.push((performance.now() - start) / iterations);
  }
  perIteration.sort((x, y) => x - y);
  return { medianMs: perIteration[Math.floor(perIteration.length / 2)], bestMs: perIteration[0] };
}

function randomArray(length: number): Float32Array {
  const values = new Float32Array(length);
  for (let i = 0; i < length; i++) values[i] = Math.random() * 2 - 1;
  return values;
}

const gflops = (n: number, ms: number): number => (2 * n ** 3) / (ms * 1e6);

async function waitForWorkers(threads: number): Promise<void> {
  const n = 512;
  const a = randomArray(n * n);
  const out = new Float32Array(n * n);
  for (let attempt = 0; attempt < 100; attempt++) {
    kernels!.matmul(a, a, out, 1, n, n, n, false, false, 0, 0);
    if (wasmMatmulThreadsUsed() >= threads) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`workers did not start (${wasmMatmulThreadsUsed()} threads used)`);
}

async function loadTfjsWasm() {
  const require = createRequire(import.meta.url);
  const tf = await import('@tensorflow/tfjs-core');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const packageDirectory = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  wasm.setWasmPaths(path.join(packageDirectory, 'dist') + path.sep);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend failed to initialise');
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return { tf, threads: wasm.getThreadsCount(), simd };
}

async function main(): Promise<void> {
  const sizes = [64, 256, 1024];
  console.log(`wasm kernels: ${wasmKernelVariant()} build, ${cores} cores, Node ${process.version}`);
  console.log(`other load before measuring: ${waitForQuiet(0.3, 120_000)?.toFixed(2) ?? '?'} cores busy (waited up to 2 min for < 0.3)`);

  // -- Matmul throughput -------------------------------------------------------------------------
  const ours: Record<string, Record<number, Timing>> = { '1 thread': {}, [`${cores} threads`]: {} };
  for (const [label, threads] of [['1 thread', 1], [`${cores} threads`, cores]] as const) {
    setNumThreads(threads);
    if (threads > 1) await waitForWorkers(threads);
    for (const n of sizes) {
      const a = randomArray(n * n);
      const b = randomArray(n * n);
      const out = new Float32Array(n * n);
      ours[label][n] = time(() => kernels!.matmul(a, b, out, 1, n, n, n, false, false, 0, 0), n >= 1024 ? Math.min(sampleCount, 9) : sampleCount);
    }
  }
  const { tf, threads: tfThreads, simd } = await loadTfjsWasm();
  const theirs: Record<number, Timing> = {};
  for (const n of sizes) {
    const a = tf.tensor2d(randomArray(n * n), [n, n]);
    const b = tf.tensor2d(randomArray(n * n), [n, n]);
    theirs[n] = time(() => tf.matMul(a, b).dispose(), n >= 1024 ? Math.min(sampleCount, 9) : sampleCount);
    tf.dispose([a, b]);
  }
  setNumThreads(cores);

  console.log(`\nmatmul n x n x n, GFLOP/s (median / best); tfjs-wasm: ${tfThreads} thread(s), SIMD ${simd}`);
  console.log('n      attune 1 thread   attune all cores   tfjs-wasm        ratio (all cores / tfjs, median)');
  for (const n of sizes) {
    const cell = (t: Timing) => `${gflops(n, t.medianMs).toFixed(1)} / ${gflops(n, t.bestMs).toFixed(1)}`.padEnd(17);
    const ratio = theirs[n].medianMs / ours[`${cores} threads`][n].medianMs;
    console.log(`${String(n).padEnd(7)}${cell(ours['1 thread'][n])}${cell(ours[`${cores} threads`][n])}${cell(theirs[n])}${ratio.toFixed(2)}x`);
  }

  // -- Small shapes: per-call time ------------------------------------------------------------------
  console.log('\nsmall matmuls, µs per call (median / best), copies in and out included');
  const shapes: [string, number, number, number, boolean, boolean][] = [
    ['(1x4)@(4x64)', 1, 4, 64, false, false],
    ['(1x64)@(64x64)', 1, 64, 64, false, false],
    ['(1x64)@(64x2)', 1, 64, 2, false, false],
    ['(1x64)@(64x64)^T', 1, 64, 64, false, true],
    ['(128x4)@(4x64)', 128, 4, 64, false, false],
    ['(128x64)@(64x64)', 128, 64, 64, false, false],
    ['(128x64)@(64x2)', 128, 64, 2, false, false],
    ['(128x64)^T@(128x64)', 64, 128, 64, true, false],
    ['(128x64)^T@(128x2)', 64, 128, 2, true, false],
    ['(128x4)^T@(128x64)', 4, 128, 64, true, false],
    ['(128x64)@(64x64)^T', 128, 64, 64, false, true],
    ['(128x2)@(64x2)^T', 128, 2, 64, false, true],
    ['(128x64)@(4x64)^T', 128, 64, 4, false, true],
  ];
  for (const [label, m, k, n, transA, transB] of shapes) {
    const a = randomArray(m * k);
    const b = randomArray(k * n);
    const out = new Float32Array(m * n);
    const t = time(() => kernels!.matmul(a, b, out, 1, m, k, n, transA, transB, 0, 0));
    const rate = (2 * m * n * k) / (t.medianMs * 1e6);
    console.log(`${label.padEnd(22)}${(t.medianMs * 1000).toFixed(2).padStart(8)} / ${(t.bestMs * 1000).toFixed(2).padEnd(8)} ${rate.toFixed(1)} GFLOP/s`);
  }

  // -- Batch-1 policy forward -----------------------------------------------------------------------
  const w1 = randomArray(4 * 64), w2 = randomArray(64 * 64), w3 = randomArray(64 * 2);
  const x = randomArray(4), h1 = new Float32Array(64), h2 = new Float32Array(64), logits = new Float32Array(2);
  const tanhInPlace = (values: Float32Array) => {
    for (let i = 0; i < values.length; i++) values[i] = Math.tanh(values[i]);
  };
  const forward = () => {
    kernels!.matmul(x, w1, h1, 1, 1, 4, 64, false, false, 0, 0);
    tanhInPlace(h1);
    kernels!.matmul(h1, w2, h2, 1, 1, 64, 64, false, false, 0, 0);
    tanhInPlace(h2);
    kernels!.matmul(h2, w3, logits, 1, 1, 64, 2, false, false, 0, 0);
  };
  const t = time(forward);
  console.log(`\nbatch-1 policy forward (3 matmuls + 2 tanh), W as (in, out), x @ W:     ${(t.medianMs * 1000).toFixed(2)} µs median, ${(t.bestMs * 1000).toFixed(2)} µs best`);
  // The same with PyTorch's Linear layout, W as (out, in) and x @ W^T.
  const forwardTransposed = () => {
    kernels!.matmul(x, w1, h1, 1, 1, 4, 64, false, true, 0, 0);
    tanhInPlace(h1);
    kernels!.matmul(h1, w2, h2, 1, 1, 64, 64, false, true, 0, 0);
    tanhInPlace(h2);
    kernels!.matmul(h2, w3, logits, 1, 1, 64, 2, false, true, 0, 0);
  };
  const tt = time(forwardTransposed);
  console.log(`batch-1 policy forward (3 matmuls + 2 tanh), W as (out, in), x @ W^T: ${(tt.medianMs * 1000).toFixed(2)} µs median, ${(tt.bestMs * 1000).toFixed(2)} µs best`);
  console.log(`threads now: ${getNumThreads()}; load at the end: ${busyCores()?.toFixed(2) ?? '?'} cores busy`);
}

await main();
