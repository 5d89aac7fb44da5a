// Reductions and scans: sum, mean, max/min, argmax/argmin, var/std with correction, logsumexp
// (including −∞ rows), cumsum — over all dims, one dim, several (adjacent or not), negative dims,
// with and without keepdim; gradients against central differences.

import { argmax, argmin, cumsum, logsumexp, max, mean, min, std, sum, tensor, variance } from '../../index.js';
import type { SuiteContext } from '../context.js';
import * as R from '../reference.js';
import { bool, check, int } from './helpers.js';

/** The dim arguments every reduction is checked with, on a [2, 3, 4] input. */
const DIM_CASES: readonly [string, number | number[] | undefined, boolean][] = [
  ['all dims', undefined, false],
  ['dim 1', 1, false],
  ['dim −1, keepdim', -1, true],
  ['dims [0, 1] (adjacent)', [0, 1], false],
  ['dims [0, 2] (non-adjacent), keepdim', [0, 2], true],
  ['dims [2, 0] (unsorted, non-adjacent)', [2, 0], false],
];

export function reduceTests(t: SuiteContext): void {
  t.group('reduce', () => {
    for (const [label, dim, keepdim] of DIM_CASES) {
      t.op(`sum: ${label}`, [{ shape: [2, 3, 4] }], (x) => sum(x, dim, keepdim), (x) => R.reduce(x, dim, keepdim, R.sumOf));
      t.op(`mean: ${label}`, [{ shape: [2, 3, 4] }], (x) => mean(x, dim, keepdim), (x) => R.reduce(x, dim, keepdim, R.meanOf));
      t.op(`max: ${label}`, [{ shape: [2, 3, 4] }], (x) => max(x, dim, keepdim), (x) => R.reduce(x, dim, keepdim, (v) => Math.max(...v)));
      t.op(`min: ${label}`, [{ shape: [2, 3, 4] }], (x) => min(x, dim, keepdim), (x) => R.reduce(x, dim, keepdim, (v) => Math.min(...v)));
      t.op(`logsumexp: ${label}`, [{ shape: [2, 3, 4] }], (x) => logsumexp(x, dim ?? [0, 1, 2], keepdim), (x) => R.reduce(x, dim, keepdim, R.logsumexpOf));
    }
    for (const correction of [0, 1, 2]) {
      t.op(`var: correction ${correction}, dim 1`, [{ shape: [3, 5] }], (x) => variance(x, 1, { correction }), (x) => R.reduce(x, 1, false, (v) => R.varianceOf(v, correction)));
      t.op(`std: correction ${correction}, dims [0, 2], keepdim`, [{ shape: [2, 3, 4] }], (x) => std(x, [0, 2], { correction, keepdim: true }), (x) =>
        R.reduce(x, [0, 2], true, (v) => Math.sqrt(R.varianceOf(v, correction))),
      );
    }
    t.op('var: all dims (Bessel by default)', [{ shape: [4, 3] }], (x) => variance(x), (x) => R.reduce(x, undefined, false, (v) => R.varianceOf(v, 1)));
    t.op('std: all dims (Bessel by default)', [{ shape: [7] }], (x) => std(x), (x) => R.reduce(x, undefined, false, (v) => Math.sqrt(R.varianceOf(v, 1))));
    for (const dim of [0, 1, -1]) {
      t.op(`cumsum: dim ${dim}`, [{ shape: [3, 4] }], (x) => cumsum(x, dim), (x) => R.alongDim(x, dim, R.cumsumOf));
    }
    t.op('cumsum: middle dim of a 3-D tensor', [{ shape: [2, 3, 2] }], (x) => cumsum(x, 1), (x) => R.alongDim(x, 1, R.cumsumOf));
    t.op('sum of a 0-d tensor', [{ shape: [] }], (x) => sum(x), (x) => x);

    t.test('sum counts bool as int32 and keeps int32', async () => {
      await t.close(sum(bool([true, false, true, true])), 3, { dtype: 'int32', atol: 0 });
      await t.close(sum(int([[1, 2], [3, 4]]), 0), [4, 6], { dtype: 'int32', atol: 0 });
    });
    t.test('max/min share the gradient evenly between tied maxima', async () => {
      const x = tensor([[1, 3, 3], [2, 0, 2]], { requiresGrad: true });
      max(x, 1).sum().backward();
      await t.close(x.grad!, [[0, 0.5, 0.5], [0.5, 0, 0.5]]);
      const y = tensor([4, 1, 1], { requiresGrad: true });
      min(y).backward();
      await t.close(y.grad!, [0, 0.5, 0.5]);
    });
    t.test('max/min of int32 stay int32; NaN propagates', async () => {
      await t.close(max(int([[3, -1], [2, 7]]), 1), [3, 7], { dtype: 'int32', atol: 0 });
      await t.close(max(tensor([1, NaN, 3])), NaN);
      await t.close(min(tensor([[1, 2], [NaN, 0]]), 1), [1, NaN]);
    });
    t.test('argmax/argmin: flat, along dims, keepdim, first index on ties, int32', async () => {
      const x = tensor([[1, 5, 5], [7, 0, 7]]);
      await t.close(argmax(x), 3, { dtype: 'int32', shape: [], atol: 0 });
      await t.close(argmax(x, 1), [1, 0], { dtype: 'int32', atol: 0 });
      await t.close(argmax(x, 0), [1, 0, 1], { dtype: 'int32', atol: 0 });
      await t.close(argmin(x, -1, true), [[0], [1]], { dtype: 'int32', atol: 0 });
      await t.close(argmin(x), 4, { dtype: 'int32', atol: 0 });
      await t.close(argmax(tensor([[[1, 9], [3, 2]], [[0, 0], [5, 1]]]), 1), [[1, 0], [1, 1]], { dtype: 'int32', atol: 0 });
      await t.close(argmax(int([2, 8, 8])), 1, { dtype: 'int32', atol: 0 });
    });
    t.test('logsumexp is stable for large values and −∞ rows give −∞', async () => {
      await t.close(logsumexp(tensor([1000, 1000]), 0), 1000 + Math.log(2));
      await t.close(logsumexp(tensor([-1000, -1000]), 0), -1000 + Math.log(2));
      await t.close(logsumexp(tensor([[-Infinity, -Infinity], [0, -Infinity]]), 1), [-Infinity, 0]);
      await t.close(logsumexp(tensor([[-Infinity, 1], [2, -Infinity]]), -1, true), [[1], [2]]);
    });
    t.test('logsumexp gradient is softmax and ignores −∞ entries', async () => {
      const x = tensor([[0, Math.log(3), -Infinity]], { requiresGrad: true });
      logsumexp(x, 1).sum().backward();
      await t.close(x.grad!, [[0.25, 0.75, 0]]);
    });
    t.test('var/std of a [4] tensor by hand', async () => {
      await t.close(variance(tensor([1, 2, 3, 4])), 5 / 3);
      await t.close(variance(tensor([1, 2, 3, 4]), 0, { correction: 0 }), 1.25);
      await t.close(std(tensor([[1, 3], [5, 7]]), 1, { keepdim: true }), [[Math.SQRT2], [Math.SQRT2]]);
    });
    t.test('mean of an int32 tensor is a dtype error naming float32', async () => {
      let message = '';
      try {
        mean(int([1, 2]));
      } catch (error) {
        message = (error as Error).message;
      }
      check(message.includes('float32') && message.includes('int32'), `message: ${message}`);
    });
    t.test('cumsum keeps int32 and counts bool', async () => {
      await t.close(cumsum(int([1, 2, 3]), 0), [1, 3, 6], { dtype: 'int32', atol: 0 });
      await t.close(cumsum(bool([true, false, true]), 0), [1, 1, 2], { dtype: 'int32', atol: 0 });
    });
  });
}
