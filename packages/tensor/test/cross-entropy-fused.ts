// Shared by the fused cross-entropy tests: loss and logits gradient of crossEntropy on one backend,
// and the composed reference (logSoftmax + gather) on a CPU backend without the fused methods.

import { CpuBackend, crossEntropy, Generator, randn, tensor, type Backend, type Reduction } from '../src/index.js';

export interface CrossEntropyCase {
  rows: number;
  classes: number;
  ignored: number;
  labelSmoothing: number;
  reduction: Reduction;
}

/** A CPU backend that lacks the fused cross-entropy, so the core composes it. */
export function composedCpu(): CpuBackend {
  const backend = new CpuBackend();
  Object.assign(backend, { crossEntropy: undefined, crossEntropyBackward: undefined });
  return backend;
}

/** Loss values and d(Σ loss·w)/dlogits for one case on `backend`. */
export async function runCrossEntropy(backend: Backend, c: CrossEntropyCase, seed = 3): Promise<{ loss: Float32Array; grad: Float32Array }> {
  const generator = new Generator(seed);
  const logits = randn([c.rows, c.classes], { generator, backend, requiresGrad: true, std: 3 });
  const labels = Int32Array.from({ length: c.rows }, (_, r) => (r < c.ignored ? -100 : Math.floor(generator.random() * c.classes)));
  const target = tensor(labels, { dtype: 'int32', backend });
  const loss = crossEntropy(logits, target, { labelSmoothing: c.labelSmoothing, reduction: c.reduction });
  const w = randn(loss.shape, { generator, backend });
  loss.mul(w).sum().backward();
  const result = { loss: (await loss.data()) as Float32Array, grad: (await logits.grad!.data()) as Float32Array };
  for (const t of [logits, target, loss, w]) t.dispose();
  return result;
}
