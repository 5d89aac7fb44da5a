// The Adam / AdamW kernel against (a) values worked out by hand from torch.optim's algorithm and
// (b) a float32 emulation of torch's single-tensor step, operation by operation (Math.fround after
// each op, Python-double scalars). The kernel performs the same IEEE operations, so (b) must match
// bit for bit over several steps, for both lerp branches (beta1 above and below 0.5).

import { describe, expect, it } from 'vitest';
import { wasmKernels } from '../../src/backends/cpu/wasm';
import { randomArray, seededRandom } from './helpers';

const kernels = wasmKernels()!;
const f = Math.fround;

interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decoupled: boolean;
}

/** torch.optim.Adam / AdamW `_single_tensor_adam` for one step, in float32 like a CPU float tensor. */
function emulateTorchStep(
  param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, options: AdamOptions, step: number,
): void {
  const { lr, beta1, beta2, eps, weightDecay, decoupled } = options;
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2 = 1 - beta2 ** step;
  const stepSize = lr / biasCorrection1;
  const biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
  const weight = f(1 - beta1);
  for (let i = 0; i < param.length; i++) {
    let p = param[i];
    let g = grad[i];
    if (weightDecay !== 0 && !decoupled) g = f(g + f(f(weightDecay) * p)); // grad.add(param, alpha=wd)
    if (decoupled) p = f(p * f(1 - lr * weightDecay)); // param.mul_(1 - lr * wd)
    // exp_avg.lerp_(grad, 1 - beta1)
    const difference = f(g - m[i]);
    m[i] = Math.abs(weight) < 0.5 ? f(m[i] + f(weight * difference)) : f(g - f(difference * f(1 - weight)));
    // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    v[i] = f(f(v[i] * f(beta2)) + f(f(f(1 - beta2) * g) * g));
    // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps); param.addcdiv_(exp_avg, denom, value=-step_size)
    const denominator = f(f(f(Math.sqrt(v[i])) / f(biasCorrection2Sqrt)) + f(eps));
    param[i] = f(p + f(f(f(-stepSize) * m[i]) / denominator));
  }
}

describe('wasm adam', () => {
  it('first step matches values worked out by hand', () => {
    // p = 1, g = 0.5, lr = 0.1, betas (0.9, 0.999), eps 1e-8: m = 0.05, v = 0.00025, and the
    // bias-corrected step is lr * 0.5 / (0.5 + eps), so p = 0.9.
    const cases = [
      { weightDecay: 0, decoupled: false, p: 0.9, m: 0.05, v: 0.00025 },
      // Adam (L2): g = 0.5 + 0.01 * 1 = 0.51, the step is still lr * g / |g|.
      { weightDecay: 0.01, decoupled: false, p: 0.9, m: 0.051, v: 0.0002601 },
      // AdamW: p = 1 * (1 - 0.1 * 0.01) = 0.999, then 0.999 - 0.1.
      { weightDecay: 0.01, decoupled: true, p: 0.899, m: 0.05, v: 0.00025 },
    ];
    for (const expected of cases) {
      const param = Float32Array.of(1, -2);
      const grad = Float32Array.of(0.5, -0.5);
      const m = new Float32Array(2);
      const v = new Float32Array(2);
      kernels.adam(param, grad, m, v, 0.1, 0.9, 0.999, 1e-8, expected.weightDecay, expected.decoupled, 1);
      expect(param[0]).toBeCloseTo(expected.p, 6);
      expect(m[0]).toBeCloseTo(expected.m, 7);
      expect(v[0]).toBeCloseTo(expected.v, 9);
    }
  });

  it('matches the float32 torch step bit for bit over several steps', () => {
    const random = seededRandom(31);
    const variants: AdamOptions[] = [
      { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false },
      { lr: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-5, weightDecay: 0.1, decoupled: false },
      { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01, decoupled: true },
      { lr: 5e-2, beta1: 0.3, beta2: 0.9, eps: 1e-6, weightDecay: 0.05, decoupled: true }, // lerp's other branch
    ];
    for (const options of variants) {
      for (const count of [1, 3, 4, 7, 33, 1001]) {
        const param = randomArray(random, count);
        const m = new Float32Array(count);
        const v = new Float32Array(count);
        const expectedParam = param.slice();
        const expectedM = m.slice();
        const expectedV = v.slice();
        for (let step = 1; step <= 5; step++) {
          const grad = randomArray(random, count, 0.1);
          kernels.adam(
            param, grad, m, v, options.lr, options.beta1, options.beta2, options.eps,
            options.weightDecay, options.decoupled, step,
          );
          emulateTorchStep(expectedParam, grad, expectedM, expectedV, options, step);
          const label = `${JSON.stringify(options)} count ${count} step ${step}`;
          expect(Array.from(param), `param ${label}`).toEqual(Array.from(expectedParam));
          expect(Array.from(m), `m ${label}`).toEqual(Array.from(expectedM));
          expect(Array.from(v), `v ${label}`).toEqual(Array.from(expectedV));
        }
      }
    }
  });
});
