// Indexing ops: gather, indexSelect, scatterAdd (duplicates accumulate), embedding, tril/triu,
// oneHot and maskedFill, with gradients (which scatter and must accumulate repeated indices).

import { embedding, gather, indexSelect, maskedFill, oneHot, scatterAdd, tensor, tril, triu } from '../../index.js';
import type { SuiteContext } from '../context.js';
import * as R from '../reference.js';
import { bool, int } from './helpers.js';

export function indexingTests(t: SuiteContext): void {
  t.group('indexing', () => {
    const gather1 = [[2, 0, 2], [1, 1, 0]]; // repeated indices: their gradients must add up
    t.op('gather along dim 1 with repeated indices', [{ shape: [2, 4] }], (x) => gather(x, 1, int(gather1)), (x) => R.gather(x, 1, R.array64([2, 3], gather1.flat())));
    const gather0 = [[1, 0, 1], [1, 1, 0]];
    t.op('gather along dim 0', [{ shape: [2, 3] }], (x) => gather(x, 0, int(gather0)), (x) => R.gather(x, 0, R.array64([2, 3], gather0.flat())));
    t.op('gather along dim −1 of a 3-D tensor', [{ shape: [2, 2, 3] }], (x) => gather(x, -1, int([[[2], [0]], [[1], [1]]])), (x) => R.gather(x, 2, R.array64([2, 2, 1], [2, 0, 1, 1])));
    t.op('indexSelect along dim 0 with repeats', [{ shape: [4, 3] }], (x) => indexSelect(x, 0, int([3, 0, 3])), (x) => R.indexSelect(x, 0, [3, 0, 3]));
    t.op('indexSelect along dim 1 of a 3-D tensor', [{ shape: [2, 3, 2] }], (x) => indexSelect(x, 1, int([2, 1])), (x) => R.indexSelect(x, 1, [2, 1]));
    const scatterIndex = [[0, 2, 0], [1, 1, 3]];
    t.op('scatterAdd along dim 1 with duplicates (gradients for input and src)', [{ shape: [2, 4] }, { shape: [2, 3] }], (x, src) => scatterAdd(x, 1, int(scatterIndex), src), (x, src) =>
      R.scatterAdd(x, 1, R.array64([2, 3], scatterIndex.flat()), src),
    );
    t.op('scatterAdd along dim 0', [{ shape: [3, 2] }, { shape: [2, 2] }], (x, src) => scatterAdd(x, 0, int([[2, 0], [2, 2]]), src), (x, src) => R.scatterAdd(x, 0, R.array64([2, 2], [2, 0, 2, 2]), src));
    t.op('embedding with 2-D indices and a repeated row', [{ shape: [5, 3] }], (w) => embedding(int([[4, 1], [1, 0]]), w), (w) => R.reshape(R.indexSelect(w, 0, [4, 1, 1, 0]), [2, 2, 3]));
    for (const diagonal of [0, 1, -1]) {
      t.op(`tril(diagonal ${diagonal}) on a batch of 3×4`, [{ shape: [2, 3, 4] }], (x) => tril(x, diagonal), (x) => R.triangle(x, diagonal, false));
      t.op(`triu(diagonal ${diagonal}) on 4×3`, [{ shape: [4, 3] }], (x) => triu(x, diagonal), (x) => R.triangle(x, diagonal, true));
    }
    t.op('maskedFill passes the gradient where the mask is false', [{ shape: [2, 3] }], (x) => maskedFill(x, bool([[true, false, false], [false, false, true]]), -1), (x) =>
      R.where(R.array64([2, 3], [1, 0, 0, 0, 0, 1]), -1, x),
    );

    t.test('gather and scatterAdd on int32 values', async () => {
      await t.close(gather(int([[1, 2], [3, 4]]), 1, int([[1], [0]])), [[2], [3]], { dtype: 'int32', atol: 0 });
      await t.close(scatterAdd(int([0, 0, 0]), 0, int([0, 0, 2]), int([1, 2, 3])), [3, 0, 3], { dtype: 'int32', atol: 0 });
    });
    t.test('oneHot with explicit and inferred numClasses, any index shape', async () => {
      await t.close(oneHot(int([0, 2]), 3), [[1, 0, 0], [0, 0, 1]], { dtype: 'int32', atol: 0 });
      await t.close(oneHot(int([[1], [0]])), [[[0, 1]], [[1, 0]]], { dtype: 'int32', atol: 0 });
    });
    t.test('tril/triu keep int32 and bool', async () => {
      await t.close(tril(int([[1, 2], [3, 4]])), [[1, 0], [3, 4]], { dtype: 'int32', atol: 0 });
      await t.close(triu(bool([[true, true], [true, true]]), 1), [[0, 1], [0, 0]], { dtype: 'bool', atol: 0 });
    });
    t.test('embedding gradient accumulates a repeated index', async () => {
      const w = tensor([[1, 2], [3, 4], [5, 6]], { requiresGrad: true });
      embedding(int([2, 0, 2, 2]), w).sum().backward();
      await t.close(w.grad!, [[1, 1], [0, 0], [3, 3]]);
    });
  });
}
