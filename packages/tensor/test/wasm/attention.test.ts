// The WebAssembly fused-attention and activation kernels on one thread and split across worker
// threads (batch items / element blocks claimed like matmul rows): the threaded results must equal
// the single-thread ones exactly (every item is computed by the same code, whichever thread claims it).

import { afterAll, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads, setSplitMode, wasmJobThreadsUsed, wasmKernels } from '../../src/backends/cpu/wasm';
import { SplitChooser } from '../../src/backends/cpu/wasm/runtime';

const kernels = wasmKernels()!; // built before every test run (turbo build:wasm); matmul.test.ts asserts it loads

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

describe('wasm fused attention', () => {
  const threadsBefore = getNumThreads();
  // Split every job, whatever recent timings on this (possibly busy) machine favour.
  setSplitMode('always');
  afterAll(() => {
    setNumThreads(threadsBefore);
    setSplitMode('auto');
  });

  // Large enough to split: (batch · heads) 24, L = S = 128, head size 32, causal.
  const batch = 24, length = 128, size = 32;
  const random = seeded(3);
  const fill = (n: number) => Float32Array.from({ length: n }, random);
  const q = fill(batch * length * size), k = fill(batch * length * size), v = fill(batch * length * size), dOut = fill(batch * length * size);

  function run() {
    const out = new Float32Array(batch * length * size), lse = new Float32Array(batch * length);
    kernels.attention(q, k, v, out, lse, batch, length, length, size, size, 0.2, true);
    const forwardThreads = wasmJobThreadsUsed();
    const dq = new Float32Array(q.length).fill(Number.NaN), dk = new Float32Array(k.length).fill(Number.NaN), dv = new Float32Array(v.length).fill(Number.NaN);
    kernels.attentionBackward(q, k, v, out, lse, dOut, dq, dk, dv, batch, length, length, size, size, 0.2, true);
    return { out, lse, dq, dk, dv, threads: Math.min(forwardThreads, wasmJobThreadsUsed()) };
  }

  it('splits forward and backward across worker threads with results equal to one thread', async () => {
    setNumThreads(1);
    const single = run();
    expect(single.threads).toBe(1);
    setNumThreads(2);
    // Workers join only if they wake while items are left (and splitting pauses on a busy machine), so repeat until both took part.
    const deadline = Date.now() + 60_000;
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
    kernels.unary('geluTanh', x, forward, count);
    const forwardThreads = wasmJobThreadsUsed();
    kernels.activationBackward('geluTanhBackward', g, x, backward, count);
    return { forward, backward, threads: Math.min(forwardThreads, wasmJobThreadsUsed()) };
  }

  it('splits activations and their gradients across worker threads with results equal to one thread', async () => {
    setNumThreads(1);
    const single = runActivations();
    expect(single.threads).toBe(1);
    setNumThreads(2);
    const deadline = Date.now() + 60_000;
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

describe('SplitChooser', () => {
  it('tries splitting, then one thread, then keeps to the faster with rare probes of the other', () => {
    const chooser = new SplitChooser();
    const record = chooser.record('job');
    // Alternating until each way has three timings.
    for (let i = 0; i < 3; i++) {
      expect(chooser.choose(record)).toBe(true);
      chooser.note(record, true, 2);
      expect(chooser.choose(record)).toBe(false);
      chooser.note(record, false, 1.2);
    }
    // One thread 1.67× as fast: split only on every 32nd call.
    let splits = 0;
    for (let i = 0; i < 320; i++) if (chooser.choose(record)) splits++;
    expect(splits).toBe(10);
    // Twice as fast or more: every 128th call.
    chooser.note(record, false, 0.5); // the average: 0.99
    splits = 0;
    for (let i = 0; i < 1280; i++) if (chooser.choose(record)) splits++;
    expect(splits).toBe(10);
    // Splitting becomes faster (the machine got quiet): the averages follow and the choice flips.
    for (let i = 0; i < 10; i++) chooser.note(record, true, 0.5);
    chooser.note(record, false, 1);
    chooser.note(record, false, 1);
    let singles = 0;
    for (let i = 0; i < 320; i++) if (!chooser.choose(record)) singles++;
    expect(singles).toBe(11); // one follow-up probe: the split timings beat one thread while it was still preferred
    // Within 30% of each other, the other way is probed every 8th call.
    chooser.note(record, false, 0.55);
    for (let i = 0; i < 10; i++) chooser.note(record, false, 0.55);
    singles = 0;
    for (let i = 0; i < 320; i++) if (!chooser.choose(record)) singles++;
    expect(singles).toBe(40);
  });

  it('follows a probe that beat the faster way with another at once, and turns within a few calls', () => {
    const chooser = new SplitChooser();
    const record = chooser.record('job');
    for (let i = 0; i < 3; i++) {
      chooser.choose(record);
      chooser.note(record, true, 4); // busy machine: splitting 4x slower
      chooser.choose(record);
      chooser.note(record, false, 1);
    }
    // The machine gets quiet: every probe of splitting now takes 0.5 ms.
    let calls = 0;
    while (!(record.splitMs < record.singleMs)) {
      if (++calls > 200) expect.fail('never turned to splitting');
      if (chooser.choose(record)) chooser.note(record, true, 0.5);
      else chooser.note(record, false, 1);
    }
    // One period of 128 to the first probe, then consecutive probes.
    expect(calls).toBeLessThanOrEqual(128 + 10);
  });

  it('forgets every shape past 4096 of them', () => {
    const chooser = new SplitChooser();
    const first = chooser.record('shape 0');
    chooser.note(first, true, 1);
    for (let i = 1; i < 4096; i++) chooser.record(`shape ${i}`);
    expect(chooser.record('shape 0')).toBe(first);
    chooser.record('shape 4096'); // the 4097th starts the map over
    expect(chooser.record('shape 0')).not.toBe(first);
  });

  it('caps one outlier at twice the average', () => {
    const chooser = new SplitChooser();
    const record = chooser.record('job');
    chooser.note(record, true, 1);
    chooser.note(record, true, 100); // a garbage-collection pause, say
    expect(record.splitMs).toBeCloseTo(1.3, 10);
  });

  it("splits every time in 'always' mode", () => {
    const chooser = new SplitChooser();
    chooser.mode = 'always';
    const record = chooser.record('job');
    chooser.note(record, true, 5);
    chooser.note(record, false, 1);
    for (let i = 0; i < 50; i++) expect(chooser.choose(record)).toBe(true);
  });
});
