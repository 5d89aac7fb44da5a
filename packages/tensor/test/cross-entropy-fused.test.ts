// The CPU backend's fused cross-entropy (plain loops) against the composed logSoftmax + gather path.

import { describe, expect, it, vi } from 'vitest';
import { CpuBackend } from '../src/index.js';
import { worstError } from './attention-fused.js';
import { composedCpu, runCrossEntropy, type CrossEntropyCase } from './cross-entropy-fused.js';

const CROSS_ENTROPY_CASES: CrossEntropyCase[] = [
  { rows: 1, classes: 1, ignored: 0, labelSmoothing: 0, reduction: 'mean' },
  { rows: 7, classes: 5, ignored: 2, labelSmoothing: 0, reduction: 'mean' },
  { rows: 7, classes: 5, ignored: 2, labelSmoothing: 0.1, reduction: 'sum' },
  { rows: 33, classes: 257, ignored: 5, labelSmoothing: 0.2, reduction: 'none' },
  { rows: 65, classes: 1000, ignored: 0, labelSmoothing: 0, reduction: 'mean' },
];

describe('fused crossEntropy on the CPU backend', () => {
  it('is used for int targets', async () => {
    const backend = new CpuBackend();
    const spy = vi.spyOn(backend, 'crossEntropy');
    await runCrossEntropy(backend, CROSS_ENTROPY_CASES[1]);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  for (const c of CROSS_ENTROPY_CASES) for (const kernels of ['fast kernels', 'reference loops'] as const) {
    it(`matches the composed path (${kernels}): ${c.rows}×${c.classes}, ${c.ignored} ignored, ε ${c.labelSmoothing}, ${c.reduction}`, async () => {
      const backend = new CpuBackend();
      if (kernels === 'reference loops') backend.fast = null;
      const fused = await runCrossEntropy(backend, c);
      const composed = await runCrossEntropy(composedCpu(), c);
      expect(worstError(fused.loss, composed.loss, 1e-5, 1e-6), 'loss').toBeLessThanOrEqual(1);
      expect(worstError(fused.grad, composed.grad, 1e-5, 1e-6), 'grad').toBeLessThanOrEqual(1);
    });
  }
});
