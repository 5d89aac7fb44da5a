// The WebGPU fused cross-entropy kernels against the CPU backend's composed path.

import { describe, expect, it, vi } from 'vitest';
import { worstError } from '../attention-fused.js';
import { composedCpu, runCrossEntropy, type CrossEntropyCase } from '../cross-entropy-fused.js';
import { adapterLabel, webgpuBackend, withWebGPU } from './setup.js';

const CASES: CrossEntropyCase[] = [
  { rows: 1, classes: 1, ignored: 0, labelSmoothing: 0, reduction: 'mean' },
  { rows: 7, classes: 5, ignored: 2, labelSmoothing: 0, reduction: 'mean' },
  { rows: 7, classes: 5, ignored: 2, labelSmoothing: 0.1, reduction: 'sum' },
  { rows: 33, classes: 257, ignored: 5, labelSmoothing: 0.2, reduction: 'none' },
  { rows: 65, classes: 1000, ignored: 0, labelSmoothing: 0, reduction: 'mean' },
  { rows: 130, classes: 3, ignored: 7, labelSmoothing: 0.05, reduction: 'mean' },
];

withWebGPU(() => {
  describe(`fused crossEntropy on webgpu: ${adapterLabel}`, () => {
    it('runs the fused kernel for int targets', async () => {
      const backend = await webgpuBackend();
      const spy = vi.spyOn(backend, 'crossEntropy');
      await runCrossEntropy(backend, CASES[1]);
      expect(spy).toHaveBeenCalledTimes(1);
      spy.mockRestore();
    });

    for (const c of CASES) {
      it(`matches the CPU: ${c.rows}×${c.classes}, ${c.ignored} ignored, ε ${c.labelSmoothing}, ${c.reduction}`, async () => {
        const gpu = await runCrossEntropy(await webgpuBackend(), c);
        const cpu = await runCrossEntropy(composedCpu(), c);
        expect(worstError(gpu.loss, cpu.loss, 1e-4, 1e-5), 'loss').toBeLessThanOrEqual(1);
        expect(worstError(gpu.grad, cpu.grad, 1e-4, 1e-5), 'grad').toBeLessThanOrEqual(1);
      });
    }
  });
});
