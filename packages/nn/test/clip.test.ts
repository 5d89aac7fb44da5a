// Gradient clipping against hand-computed norms (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).

import { describe, expect, it } from 'vitest';
import { tensor } from '@attune/tensor';
import { clipGradNorm, clipGradNormAsync, clipGradValue } from '../src/index.js';
import { expectClose } from './helpers.js';

function withGrads(grads: number[][]) {
  return grads.map((g) => {
    const p = tensor(new Array<number>(g.length).fill(0), { requiresGrad: true });
    p.grad = tensor(g);
    return p;
  });
}

describe('clipGradNorm', () => {
  it('returns the total 2-norm and scales by maxNorm/(total + 1e-6)', () => {
    // ‖[3, 4]‖² + ‖[12]‖² = 25 + 144 = 169 → total 13
    const params = withGrads([[3, 4], [12]]);
    const total = clipGradNorm(params, 1);
    expect(total).toBeCloseTo(13, 5);
    const coefficient = 1 / (13 + 1e-6);
    expectClose(params[0].grad!, [3 * coefficient, 4 * coefficient], 1e-7);
    expectClose(params[1].grad!, [12 * coefficient], 1e-7);
  });

  it('leaves gradients alone when the norm is below maxNorm', () => {
    const params = withGrads([[0.3, 0.4]]);
    expect(clipGradNorm(params, 1)).toBeCloseTo(0.5, 6);
    expectClose(params[0].grad!, [Math.fround(0.3), Math.fround(0.4)], 0);
  });

  it('supports the ∞-norm and other p', () => {
    const inf = withGrads([[1, -5], [2]]);
    expect(clipGradNorm(inf, 2.5, Infinity)).toBe(5);
    expectClose(inf[0].grad!, [0.5, -2.5], 1e-6);
    const one = withGrads([[1, -2], [3]]);
    expect(clipGradNorm(one, 100, 1)).toBeCloseTo(6, 6);
    const three = withGrads([[1, -2], [3]]);
    expect(clipGradNorm(three, 100, 3)).toBeCloseTo(Math.cbrt(1 + 8 + 27), 5);
  });

  it('skips parameters without gradients and returns 0 when none has one', () => {
    const bare = tensor([1], { requiresGrad: true });
    expect(clipGradNorm([bare], 1)).toBe(0);
    const params = [...withGrads([[6, 8]]), bare];
    expect(clipGradNorm(params, 5)).toBeCloseTo(10, 5);
    expect(bare.grad).toBeNull();
  });

  it('can throw on a non-finite norm', () => {
    expect(() => clipGradNorm(withGrads([[Infinity]]), 1, 2, { errorIfNonfinite: true })).toThrow(/non-finite/);
    expect(() => clipGradNorm(withGrads([[1]]), -1)).toThrow(/maxNorm/);
  });

  it('has an async form for asynchronous backends', async () => {
    const params = withGrads([[3, 4]]);
    expect(await clipGradNormAsync(params, 2.5)).toBeCloseTo(5, 5);
    expectClose(params[0].grad!, [1.5, 2], 1e-6);
  });
});

describe('clipGradValue', () => {
  it('clamps each element into [−v, v]', () => {
    const params = withGrads([[-3, 0.5, 2]]);
    clipGradValue(params, 1);
    expectClose(params[0].grad!, [-1, 0.5, 1], 0);
  });
});
