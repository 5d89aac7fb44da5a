// The fused gradients of a linear layer (dy copied into WebAssembly memory once for dx, dW and db)
// against the composed path (two matmuls and a row sum), bit for bit, on one thread and split
// across threads, with every subset of outputs; and CpuBackend.linearBackward against the
// JavaScript reference loops.

import { afterAll, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads, setSplitMode, wasmJobThreadsUsed, wasmKernels } from '../../src/backends/cpu/wasm';
import { CpuBackend } from '../../src/index.js';
import { randomArray, referenceMatmul, seededRandom } from './helpers';

const kernels = wasmKernels()!; // built before every test run (turbo build:wasm); matmul.test.ts asserts it loads

describe('wasm linearBackward', () => {
  const threadsBefore = getNumThreads();
  afterAll(() => {
    setNumThreads(threadsBefore);
    setSplitMode('auto');
  });

  /**
   * Runs the fused kernel with the outputs picked by `want` (x, weight, bias), checks each against
   * the composed path and returns how many threads the fused call ran on.
   */
  function check(m: number, k: number, n: number, want: readonly [boolean, boolean, boolean] = [true, true, true]): number {
    const random = seededRandom(3 * m + 5 * k + 7 * n);
    const dy = randomArray(random, m * n), x = randomArray(random, m * k), w = randomArray(random, n * k);
    const dx = want[0] ? new Float32Array(m * k).fill(NaN) : null;
    const dw = want[1] ? new Float32Array(n * k).fill(NaN) : null;
    const db = want[2] ? new Float32Array(n).fill(NaN) : null;
    kernels.linearBackward(dy, x, w, dx, dw, db, m, k, n);
    const threads = wasmJobThreadsUsed();
    if (dx) {
      const expected = new Float32Array(m * k);
      kernels.matmul(dy, w, expected, 1, m, n, k, false, false, 0, 0);
      expect(Array.from(dx)).toEqual(Array.from(expected));
    }
    if (dw) {
      const expected = new Float32Array(n * k);
      kernels.matmul(dy, x, expected, 1, n, m, k, true, false, 0, 0);
      expect(Array.from(dw)).toEqual(Array.from(expected));
    }
    if (db) {
      const expected = new Float32Array(n);
      kernels.sumRows(dy, expected, m, n);
      expect(Array.from(db)).toEqual(Array.from(expected));
    }
    return threads;
  }

  it('computes dx, dW and db as two matmuls and a row sum do, on one thread', () => {
    setNumThreads(1);
    check(37, 19, 23);
    check(256, 64, 130);
    check(1, 5, 3);
  });

  it('writes only the outputs asked for', () => {
    setNumThreads(1);
    for (const want of [[true, false, false], [false, true, false], [false, false, true], [true, true, false], [false, true, true]] as const) check(40, 24, 32, want);
  });

  it('agrees with the float64 products within float32 rounding', () => {
    setNumThreads(1);
    const [m, k, n] = [70, 33, 45];
    const random = seededRandom(5);
    const dy = randomArray(random, m * n), x = randomArray(random, m * k), w = randomArray(random, n * k);
    const dx = new Float32Array(m * k), dw = new Float32Array(n * k);
    kernels.linearBackward(dy, x, w, dx, dw, null, m, k, n);
    const rx = referenceMatmul(dy, w, 1, m, n, k, false, false, 0, 0);
    const rw = referenceMatmul(dy, x, 1, n, m, k, true, false, 0, 0);
    for (let i = 0; i < dx.length; i++) expect(Math.abs(dx[i] - rx.values[i])).toBeLessThanOrEqual(2 * n * 2 ** -24 * rx.magnitudes[i] + 1e-30);
    for (let i = 0; i < dw.length; i++) expect(Math.abs(dw[i] - rw.values[i])).toBeLessThanOrEqual(2 * m * 2 ** -24 * rw.magnitudes[i] + 1e-30);
  });

  it('computes the same with the products split across threads', async () => {
    setNumThreads(2);
    setSplitMode('always');
    const deadline = Date.now() + 60_000;
    // Both products, then each alone (split into row parts), until each ran on two threads.
    for (const want of [[true, true, true], [false, true, true], [true, false, false]] as const) {
      for (;;) {
        if (check(512, 128, 384, want) === 2) break;
        if (Date.now() > deadline) expect.fail(`never ran on two threads (outputs ${want.join(', ')})`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    check(300, 96, 200);
  });

  it('is what CpuBackend.linearBackward computes, as the reference loops do', () => {
    const fast = new CpuBackend();
    const reference = new CpuBackend();
    reference.fast = null;
    const random = seededRandom(9);
    const [m, k, n] = [64, 48, 40];
    const dy = randomArray(random, m * n), x = randomArray(random, m * k), w = randomArray(random, n * k);
    const a = fast.linearBackward(dy, x, w, m, k, n, true, true, true);
    const b = reference.linearBackward(dy, x, w, m, k, n, true, true, true);
    for (const key of ['dx', 'dweight', 'dbias'] as const) {
      const got = a[key] as Float32Array, want = b[key] as Float32Array;
      expect(got.length).toBe(want.length);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want[i])));
    }
    const none = fast.linearBackward(dy, x, w, m, k, n, false, false, false);
    expect(none).toEqual({ dx: null, dweight: null, dbias: null });
  });
});
