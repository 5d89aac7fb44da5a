// The CPU backend's fused attention (plain loops) against the composed path on the same backend.

import { describe, expect, it, vi } from 'vitest';
import { CpuBackend } from '../src/index.js';
import { runAttention, worstError, type AttentionCase } from './attention-fused.js';

const CASES: AttentionCase[] = [
  { batch: [2], lengthQ: 1, lengthK: 1, headSize: 8, valueSize: 8, causal: true },
  { batch: [2, 3], lengthQ: 7, lengthK: 7, headSize: 16, valueSize: 16, causal: true },
  { batch: [2, 3], lengthQ: 7, lengthK: 7, headSize: 16, valueSize: 16, causal: false },
  { batch: [3], lengthQ: 33, lengthK: 33, headSize: 8, valueSize: 5, causal: true },
  { batch: [1, 2], lengthQ: 5, lengthK: 9, headSize: 32, valueSize: 32, causal: false },
  { batch: [1, 2], lengthQ: 9, lengthK: 5, headSize: 8, valueSize: 8, causal: true },
  // Sizes off the SIMD kernel's 4-row blocks and 8/4-wide vectors (scalar tails), and the GPT benchmark's head shape.
  { batch: [2], lengthQ: 13, lengthK: 13, headSize: 3, valueSize: 6, causal: true },
  { batch: [2], lengthQ: 6, lengthK: 11, headSize: 12, valueSize: 7, causal: false },
  { batch: [2, 2], lengthQ: 64, lengthK: 64, headSize: 32, valueSize: 32, causal: true },
];

describe('fused attention on the CPU backend', () => {
  it('is used for eligible calls and not for masked ones', async () => {
    const backend = new CpuBackend();
    const spy = vi.spyOn(backend, 'attention');
    await runAttention(backend, CASES[1], 'fused');
    expect(spy).toHaveBeenCalledTimes(1);
    await runAttention(backend, CASES[1], 'composed');
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('runs forward and backward in the WebAssembly kernel when it is loaded', async () => {
    const backend = new CpuBackend();
    const fast = backend.fast;
    if (!fast?.attention || !fast.attentionBackward) return expect(fast).toBeNull(); // no wasm SIMD in this engine
    const forward = vi.spyOn(fast, 'attention');
    const backward = vi.spyOn(fast, 'attentionBackward');
    await runAttention(backend, CASES[1], 'fused');
    expect(forward).toHaveBeenCalledTimes(1);
    expect(backward).toHaveBeenCalledTimes(1);
    forward.mockRestore();
    backward.mockRestore();
  });

  for (const c of CASES) for (const kernels of ['fast kernels', 'reference loops'] as const) {
    it(`matches the composed path (${kernels}): batch ${c.batch.join('×')}, L ${c.lengthQ}, S ${c.lengthK}, E ${c.headSize}, Ev ${c.valueSize}, causal ${c.causal}`, async () => {
      const backend = new CpuBackend();
      if (kernels === 'reference loops') backend.fast = null;
      const fused = await runAttention(backend, c, 'fused');
      const composed = await runAttention(backend, c, 'composed');
      for (const name of ['out', 'dq', 'dk', 'dv'] as const) {
        expect(worstError(fused[name], composed[name], 1e-4, 1e-5), name).toBeLessThanOrEqual(1);
      }
    });
  }
});
