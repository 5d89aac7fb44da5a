// The WebAssembly matmul against a float64 reference: odd shapes on every plan (direct, direct over a
// transposed B, dot products, packed), every transA / transB combination, batches with strides
// (including 0 and padded strides), and the threaded path. Tolerance: the dot-product error bound
// 2 k 2^-24 sum |a||b|.

import { afterAll, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads, setSplitMode, terminateWorkers, wasmKernels, wasmMatmulThreadsUsed } from '../../src/backends/cpu/wasm';
import { expectMatmulClose, randomArray, referenceMatmul, seededRandom } from './helpers';

const kernels = wasmKernels();
const transposeCombinations: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

function check(
  random: () => number, batch: number, m: number, k: number, n: number, transA: boolean, transB: boolean,
  aBatchStride = m * k, bBatchStride = k * n,
): void {
  const aLength = batch > 1 ? aBatchStride * (batch - 1) + m * k : m * k;
  const bLength = batch > 1 ? bBatchStride * (batch - 1) + k * n : k * n;
  const a = randomArray(random, aLength);
  const b = randomArray(random, bLength);
  const out = new Float32Array(batch * m * n).fill(Number.NaN);
  kernels!.matmul(a, b, out, batch, m, k, n, transA, transB, aBatchStride, bBatchStride);
  const reference = referenceMatmul(a, b, batch, m, k, n, transA, transB, aBatchStride, bBatchStride);
  const label = `batch ${batch} (${m}x${k})@(${k}x${n}) transA=${transA} transB=${transB} strides ${aBatchStride},${bBatchStride}`;
  expectMatmulClose(out, reference, k, label);
}

describe('wasm matmul', () => {
  const threadsBefore = getNumThreads();
  afterAll(() => setNumThreads(threadsBefore));

  it('loads (SIMD is available on every supported Node)', () => {
    expect(kernels).not.toBeNull();
  });

  it('matches the reference on small odd shapes (direct and dot plans)', () => {
    const random = seededRandom(1);
    const sizes = [1, 2, 3, 4, 7, 8, 17, 33];
    for (const m of sizes) for (const k of sizes) for (const n of sizes) {
      for (const [transA, transB] of transposeCombinations) check(random, 1, m, k, n, transA, transB);
    }
  });

  it('matches the reference on the RL shapes and their backward variants', () => {
    const random = seededRandom(2);
    const shapes = [
      [1, 4, 64], [1, 64, 64], [1, 64, 2], [128, 4, 64], [128, 64, 64], [128, 64, 2],
      [64, 128, 64], [64, 128, 2], [4, 128, 64], [128, 2, 64], [128, 64, 4],
    ];
    for (const [m, k, n] of shapes) {
      for (const [transA, transB] of transposeCombinations) check(random, 1, m, k, n, transA, transB);
    }
  });

  it('matches the reference on larger odd shapes (edge tiles)', () => {
    const random = seededRandom(3);
    const shapes = [
      [65, 65, 65], [129, 17, 129], [17, 129, 65], [65, 129, 7], [7, 300, 129], [130, 70, 3], [97, 257, 33],
    ];
    for (const [m, k, n] of shapes) {
      for (const [transA, transB] of transposeCombinations) check(random, 1, m, k, n, transA, transB);
    }
  });

  it('covers several K, M and N blocks of the packed plan', () => {
    setNumThreads(1);
    const random = seededRandom(4);
    check(random, 1, 101, 520, 1030, false, false);
    check(random, 1, 101, 520, 1030, true, true);
    check(random, 1, 200, 600, 130, true, false);
    check(random, 1, 200, 600, 130, false, true);
    setNumThreads(threadsBefore);
  });

  it('handles batches with contiguous, broadcast (stride 0) and padded strides', () => {
    const random = seededRandom(5);
    for (const [m, k, n] of [[3, 5, 7], [17, 65, 9], [70, 70, 70]]) {
      for (const [transA, transB] of transposeCombinations) {
        check(random, 3, m, k, n, transA, transB); // both contiguous
        check(random, 3, m, k, n, transA, transB, m * k, 0); // B broadcast
        check(random, 3, m, k, n, transA, transB, 0, k * n); // A broadcast
        check(random, 3, m, k, n, transA, transB, m * k + 5, k * n + 3); // padded
        check(random, 1, m, k, n, transA, transB, 0, 0);
      }
    }
  });

  it('handles empty products and k = 0', () => {
    const out = new Float32Array(6).fill(7);
    kernels!.matmul(new Float32Array(0), new Float32Array(0), out, 1, 2, 0, 3, false, false, 0, 0);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
    const untouched = new Float32Array(1).fill(7);
    kernels!.matmul(new Float32Array(0), new Float32Array(0), untouched, 1, 0, 3, 0, false, false, 0, 0);
    expect(untouched[0]).toBe(7);
  });

  it('propagates NaN and Infinity like a plain loop', () => {
    const a = Float32Array.from([1, Number.NaN, 2, 3]);
    const b = Float32Array.from([1, 0, 0, Number.POSITIVE_INFINITY]);
    const out = new Float32Array(4);
    kernels!.matmul(a, b, out, 1, 2, 2, 2, false, false, 0, 0);
    // row 0: [1*1 + NaN*0, 1*0 + NaN*inf]; row 1: [2*1 + 3*0, 2*0 + 3*inf]
    expect(Number.isNaN(out[0])).toBe(true);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(out[2]).toBe(2);
    expect(out[3]).toBe(Number.POSITIVE_INFINITY);
  });

  it('splits large products across worker threads with the same results', async () => {
    setNumThreads(2);
    // Split every product, whatever recent timings on this (possibly busy) machine favour.
    setSplitMode('always');
    const random = seededRandom(6);
    // Workers join a product only if they wake while rows are left, so repeat each product (all
    // results are checked) until both threads have taken part.
    const checkOnTwoThreads = async (
      batch: number, m: number, k: number, n: number, transA: boolean, transB: boolean,
      aBatchStride = m * k, bBatchStride = k * n,
    ) => {
      // Time-based: on a busy machine a worker may wake only after the main thread took every row.
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        check(random, batch, m, k, n, transA, transB, aBatchStride, bBatchStride);
        if (wasmMatmulThreadsUsed() === 2) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect.fail(`batch ${batch} (${m}x${k})@(${k}x${n}) never ran on two threads`);
    };
    for (const [transA, transB] of transposeCombinations) await checkOnTwoThreads(1, 257, 190, 203, transA, transB);
    // Every plan: packed (several K and N blocks in the shared packed B, and one packed B per item),
    // direct, direct over transposed copies of B, and dot products.
    await checkOnTwoThreads(1, 100, 600, 1030, false, true);
    await checkOnTwoThreads(2, 64, 300, 300, true, false);
    await checkOnTwoThreads(200, 5, 100, 100, false, true);
    // Row chunks that cross batch items, with every stride kind.
    await checkOnTwoThreads(3, 99, 160, 170, false, false);
    await checkOnTwoThreads(3, 99, 160, 170, true, true, 99 * 160 + 1, 0);
    await checkOnTwoThreads(5, 61, 160, 170, false, true, 0, 160 * 170);
    // One thread gives the same answer.
    setNumThreads(1);
    check(random, 1, 257, 190, 203, false, false);
    expect(wasmMatmulThreadsUsed()).toBe(1);
    // Workers stopped explicitly come back on demand.
    setNumThreads(2);
    terminateWorkers();
    await checkOnTwoThreads(1, 257, 190, 203, true, false);
    setSplitMode('auto');
  });

  it("pauses splitting for contention in 'auto' mode only: 'always' still splits", async () => {
    const runtime = wasmKernels() as unknown as { splitPausedUntil: number };
    const random = seededRandom(8);
    setNumThreads(2);
    runtime.splitPausedUntil = Number.POSITIVE_INFINITY;
    try {
      for (let i = 0; i < 20; i++) {
        check(random, 1, 257, 190, 203, false, false);
        expect(wasmMatmulThreadsUsed(), 'auto mode, paused').toBe(1);
      }
      setSplitMode('always');
      const deadline = Date.now() + 60_000;
      for (;;) {
        check(random, 1, 257, 190, 203, false, false);
        if (wasmMatmulThreadsUsed() === 2) break;
        if (Date.now() > deadline) expect.fail("'always' mode never split while paused");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      runtime.splitPausedUntil = 0;
      setSplitMode('auto');
    }
  });
});
