// Sandbox measurement (not part of the package): GFLOP/s of the wasm kernels on the products of the
// tiny GPT-2 training step of benchmarks/transformer (1024 tokens, 128 wide, MLP 512, QKV 384):
// each linear layer's forward (x·Wᵀ + b) and backward (linearBackward: dx and dW in one job), and
// the backward's two products alone. Median and best of 15 samples of 5 calls.
//
//   npx tsx bench/gpt-shapes.ts                        # one thread
//   THREADS=2 npx tsx bench/gpt-shapes.ts              # two threads where that has been faster
//   THREADS=2 SPLIT=always npx tsx bench/gpt-shapes.ts # every job split, whatever the timings say
//   ATTUNE_WASM_RELAXED_SIMD=0 npx tsx bench/gpt-shapes.ts   # the plain SIMD build

import { setNumThreads, setSplitMode, wasmKernels, wasmKernelVariant } from '../src/backends/cpu/wasm/index';

const kernels = wasmKernels();
if (!kernels?.linearBackward) throw new Error('wasm kernels unavailable');
setNumThreads(Number(process.env.THREADS ?? 1));
if (process.env.SPLIT === 'always') setSplitMode('always');

function randomArray(length: number): Float32Array {
  return Float32Array.from({ length }, () => Math.random() - 0.5);
}

function report(label: string, flops: number, run: () => void): void {
  for (let i = 0; i < 5; i++) run();
  const samples: number[] = [];
  for (let s = 0; s < 15; s++) {
    const start = performance.now();
    for (let i = 0; i < 5; i++) run();
    samples.push((performance.now() - start) / 5);
  }
  samples.sort((a, b) => a - b);
  const gflops = (ms: number) => (flops / ms / 1e6).toFixed(1);
  console.log(`${label.padEnd(26)} ${samples[7].toFixed(3).padStart(7)} ms  ${gflops(samples[7]).padStart(5)} GFLOP/s (best ${gflops(samples[0])})`);
}

const M = 1024;
console.log(`${wasmKernelVariant()} build, ${process.env.THREADS ?? 1} thread(s)`);
for (const [K, N] of [[128, 384], [128, 128], [128, 512], [512, 128]]) {
  const x = randomArray(M * K), w = randomArray(N * K), bias = randomArray(N), y = new Float32Array(M * N);
  const dy = randomArray(M * N), dx = new Float32Array(M * K), dw = new Float32Array(N * K), db = new Float32Array(N);
  const flops = 2 * M * K * N;
  report(`linear ${K}→${N}`, flops, () => kernels.matmul(x, w, y, 1, M, K, N, false, true, 0, 0, bias));
  report(`  backward (dx, dW, db)`, 2 * flops, () => kernels.linearBackward!(dy, x, w, dx, dw, db, M, K, N));
  report(`  dx = dy·W alone`, flops, () => kernels.matmul(dy, w, dx, 1, M, N, K, false, false, 0, 0));
  report(`  dW = dyᵀ·x alone`, flops, () => kernels.matmul(dy, x, dw, 1, N, M, K, true, false, 0, 0));
}
