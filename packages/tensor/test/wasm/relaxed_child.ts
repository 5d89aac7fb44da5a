// Run by relaxed.test.ts in a child Node process (flags given there): loads the kernels, reports
// which build was chosen, checks a few matmuls (small, packed and threaded) against the float64
// reference, and then returns without stopping the worker threads, so the parent can also check
// that idle workers never keep a process alive. With NO_SHARED_ARRAY_BUFFER=1 it first removes
// SharedArrayBuffer, as in a browser page without cross-origin isolation.

import { randomArray, referenceMatmul, seededRandom } from './helpers';

if (process.env.NO_SHARED_ARRAY_BUFFER === '1') {
  delete (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer;
}
const { setNumThreads, wasmKernels, wasmKernelVariant, wasmMatmulThreadsUsed } = await import('../../src/backends/cpu/wasm');
const kernels = wasmKernels()!;
const random = seededRandom(41);
let worstRatio = 0;

function check(m: number, k: number, n: number, transA: boolean, transB: boolean): void {
  const a = randomArray(random, m * k);
  const b = randomArray(random, k * n);
  const out = new Float32Array(m * n);
  kernels.matmul(a, b, out, 1, m, k, n, transA, transB, 0, 0);
  const reference = referenceMatmul(a, b, 1, m, k, n, transA, transB, 0, 0);
  for (let i = 0; i < out.length; i++) {
    const bound = 2 * k * 2 ** -24 * reference.magnitudes[i] + 1e-30;
    worstRatio = Math.max(worstRatio, Math.abs(out[i] - reference.values[i]) / bound);
  }
}

setNumThreads(2);
for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
  check(7, 17, 65, transA, transB);
  check(129, 65, 130, transA, transB);
}
// Wait until a large product runs on two threads (a worker joins only if it wakes while rows are
// left, which can take a while on a busy machine), then check one product that may be split.
const deadline = Date.now() + (process.env.NO_SHARED_ARRAY_BUFFER === '1' ? 300 : 20_000);
const size = 512;
const big = randomArray(random, size * size);
const bigOut = new Float32Array(size * size);
let threads = 0;
while (Date.now() < deadline) {
  kernels.matmul(big, big, bigOut, 1, size, size, size, false, false, 0, 0);
  threads = Math.max(threads, wasmMatmulThreadsUsed());
  if (threads === 2) break;
  await new Promise((resolve) => setTimeout(resolve, 20));
}
check(200, 300, 250, false, true);
console.log(JSON.stringify({ variant: wasmKernelVariant(), worstRatio, threads }));
