// matmul with a row bias (the CPU backend's fused linear) against the product followed by the
// addition, bit for bit, on one thread and split across threads.

import { afterAll, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads, setSplitMode, wasmKernels, wasmMatmulThreadsUsed } from '../../src/backends/cpu/wasm';
import { CpuBackend } from '../../src/index.js';
import { randomArray, seededRandom } from './helpers';

const kernels = wasmKernels()!; // built before every test run (turbo build:wasm); matmul.test.ts asserts it loads

describe('wasm matmul with a row bias', () => {
  const threadsBefore = getNumThreads();
  afterAll(() => {
    setNumThreads(threadsBefore);
    setSplitMode('auto');
  });

  function check(m: number, k: number, n: number) {
    const random = seededRandom(m + k + n);
    const x = randomArray(random, m * k), w = randomArray(random, n * k), bias = randomArray(random, n);
    const expected = new Float32Array(m * n);
    kernels.matmul(x, w, expected, 1, m, k, n, false, true, 0, 0);
    for (let row = 0; row < m * n; row += n) for (let j = 0; j < n; j++) expected[row + j] += bias[j];
    const out = new Float32Array(m * n);
    kernels.matmul(x, w, out, 1, m, k, n, false, true, 0, 0, bias);
    expect(Array.from(out)).toEqual(Array.from(expected));
  }

  it('adds the bias to every row on one thread', () => {
    setNumThreads(1);
    check(37, 19, 23);
    check(256, 64, 130);
  });

  it('adds the bias to every row of a product split across threads', async () => {
    setNumThreads(2);
    setSplitMode('always');
    const deadline = Date.now() + 60_000;
    for (;;) {
      check(512, 128, 384);
      if (wasmMatmulThreadsUsed() === 2) break;
      if (Date.now() > deadline) expect.fail('never ran on two threads');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });

  it('is what CpuBackend.linear computes, as the reference loops do', () => {
    const fast = new CpuBackend();
    const reference = new CpuBackend();
    reference.fast = null;
    const random = seededRandom(9);
    const [m, k, n] = [64, 48, 40];
    const x = randomArray(random, m * k), w = randomArray(random, n * k), bias = randomArray(random, n);
    const a = fast.linear(x, w, bias, m, k, n) as Float32Array;
    const b = reference.linear(x, w, bias, m, k, n) as Float32Array;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(b[i])));
  });
});
