// The WebGPU fused attention kernels (forward, dq, dk/dv) against the CPU backend's fused loops,
// forward values and gradients, causal and not, over odd lengths and several head sizes.

import { describe, expect, it, vi } from 'vitest';
import { CpuBackend } from '../../src/index.js';
import { runAttention, worstError, type AttentionCase } from '../attention-fused.js';
import { adapterLabel, webgpuBackend, withWebGPU } from './setup.js';

const CASES: AttentionCase[] = [];
for (const causal of [true, false]) {
  for (const [length, headSize] of [[1, 8], [7, 16], [33, 32], [65, 8], [65, 32]] as const) {
    CASES.push({ batch: [2, 3], lengthQ: length, lengthK: length, headSize, valueSize: headSize, causal });
  }
  CASES.push({ batch: [3], lengthQ: 33, lengthK: 70, headSize: 16, valueSize: 8, causal });
  CASES.push({ batch: [3], lengthQ: 70, lengthK: 33, headSize: 8, valueSize: 16, causal });
}
// Head sizes past the unrolled loops (64), and past the kernels' limit (256: the composed path).
CASES.push({ batch: [2], lengthQ: 9, lengthK: 9, headSize: 80, valueSize: 72, causal: true });
CASES.push({ batch: [2], lengthQ: 5, lengthK: 5, headSize: 260, valueSize: 8, causal: true });

withWebGPU(() => {
  describe(`fused attention on webgpu: ${adapterLabel}`, () => {
    it('runs the fused kernel for eligible calls', async () => {
      const backend = await webgpuBackend();
      const spy = vi.spyOn(backend, 'attention');
      await runAttention(backend, CASES[1], 'fused');
      expect(spy).toHaveBeenCalledTimes(1);
      spy.mockRestore();
    });

    for (const c of CASES) for (const kernel of ['tiled', 'matmul'] as const) {
      it(`matches the CPU (${kernel} backward): batch ${c.batch.join('×')}, L ${c.lengthQ}, S ${c.lengthK}, E ${c.headSize}, Ev ${c.valueSize}, causal ${c.causal}`, async () => {
        const backend = await webgpuBackend();
        const settable = backend as unknown as { attentionBackwardKernel: 'tiled' | 'matmul' | null };
        settable.attentionBackwardKernel = kernel;
        const gpu = await runAttention(backend, c, 'fused').finally(() => (settable.attentionBackwardKernel = null));
        const cpu = await runAttention(new CpuBackend(), c, 'fused');
        for (const name of ['out', 'dq', 'dk', 'dv'] as const) {
          expect(worstError(gpu[name], cpu[name], 1e-3, 1e-4), name).toBeLessThanOrEqual(1);
        }
      });
    }
  });
});
