// The WebAssembly fused-attention and activation kernels on one thread and split across worker
// threads (batch items / element blocks claimed like matmul rows): the threaded results must equal
// the single-thread ones exactly (every item is computed by the same code, whichever thread claims it).

import { afterAll, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads, wasmJobThreadsUsed, wasmKernels } from '../../src/backends/cpu/wasm';

const kernels = wasmKernels();

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

describe.skipIf(!kernels)('wasm fused attention', () => {
  const threadsBefore = getNumThreads();
  afterAll(() => setNumThreads(threadsBefore));

  // Large enough to split: (batch · heads) 24, L = S = 128, head size 32, causal.
  const batch = 24, length = 128, size = 32;
  const random = seeded(3);
  const fill = (n: number) => Float32Array.from({ length: n }, random);
  const q = fill(batch * length * size), k = fill(batch * length * size), v = fill(batch * length * size), dOut = fill(batch * length * size);

  function run() {
    const out = new Float32Array(batch * length * size), lse = new Float32Array(batch * length);
    kernels!.attention(q, k, v, out, lse, batch, length, length, size, size, 0.2, true);
    const forwardThreads = wasmJobThreadsUsed();
    const dq = new Float32Array(q.length).fill(Number.NaN), dk = new Float32Array(k.length).fill(Number.NaN), dv = new Float32Array(v.length).fill(Number.NaN);
    kernels!.attentionBackward(q, k, v, out, lse, dOut, dq, dk, dv, batch, length, length, size, size, 0.2, true);
    return { out, lse, dq, dk, dv, threads: Math.min(forwardThreads, wasmJobThreadsUsed()) };
  }

  it('splits forward and backward across worker threads with results equal to one thread', async () => {
    setNumThreads(1);
    const single = run();
    expect(single.threads).toBe(1);
    setNumThreads(2);
    // Workers join only if they wake while items are left (and splitting pauses on a busy machine), so repeat until both took part.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const threaded = run();
      for (const name of ['out', 'lse', 'dq', 'dk', 'dv'] as const) expect(Array.from(threaded[name]), name).toEqual(Array.from(single[name]));
      if (threaded.threads === 2) break;
      if (Date.now() > deadline) expect.fail('attention never ran on two threads');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });

  // GPT-2's GELU and its gradient over a (B·T, 4C)-sized activation, with a tail block.
  const count = 300_001;
  const x = fill(count).map((value) => value * 8), g = fill(count);
  function runActivations() {
    const forward = new Float32Array(count), backward = new Float32Array(count);
    kernels!.unary('geluTanh', x, forward, count);
    const forwardThreads = wasmJobThreadsUsed();
    kernels!.activationBackward('geluTanhBackward', g, x, backward, count);
    return { forward, backward, threads: Math.min(forwardThreads, wasmJobThreadsUsed()) };
  }

  it('splits activations and their gradients across worker threads with results equal to one thread', async () => {
    setNumThreads(1);
    const single = runActivations();
    expect(single.threads).toBe(1);
    setNumThreads(2);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const threaded = runActivations();
      expect(Array.from(threaded.forward)).toEqual(Array.from(single.forward));
      expect(Array.from(threaded.backward)).toEqual(Array.from(single.backward));
      if (threaded.threads === 2) break;
      if (Date.now() > deadline) expect.fail('the activations never ran on two threads');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
});
