// Layout ops: reshape/view, flatten, permute, transpose, expand, squeeze/unsqueeze, cat, stack,
// split, chunk, narrow and slice (with steps and Python-style bounds), with gradients.

import { arange, broadcastTo, cat, chunk, expand, flatten, mul, narrow, permute, reshape, slice, split, squeeze, stack, tensor, transpose, unsqueeze, view, type Tensor } from '../../index.js';
import type { SuiteContext } from '../context.js';
import * as R from '../reference.js';
import { check } from './helpers.js';

function shapeOf(x: Tensor): string {
  return `[${x.shape.join(', ')}]`;
}

/** Weighs each piece differently before concatenating, so a gradient routed to the wrong piece shows. */
function weighPieces(pieces: readonly Tensor[], dim: number): Tensor {
  return cat(pieces.map((p, i) => mul(p, i + 1)), dim);
}

function weighPiecesReference(pieces: readonly R.Array64[], dim: number): R.Array64 {
  return R.cat(pieces.map((p, i) => R.map(p, (v) => v * (i + 1))), dim);
}

export function shapeTests(t: SuiteContext): void {
  t.group('shape', () => {
    t.op('reshape with −1', [{ shape: [2, 3, 4] }], (x) => reshape(x, [4, -1]), (x) => R.reshape(x, [4, 6]));
    t.op('view is reshape', [{ shape: [6] }], (x) => view(x, [3, 2]), (x) => R.reshape(x, [3, 2]));
    t.op('flatten(1) and flatten(0, 1)', [{ shape: [2, 3, 2] }], (x) => cat([flatten(x, 1), reshape(flatten(x, 0, 1), [2, 6])], 0), (x) => R.cat([R.reshape(x, [2, 6]), R.reshape(x, [2, 6])], 0));
    t.op('permute [2, 0, 1]', [{ shape: [2, 3, 4] }], (x) => permute(x, [2, 0, 1]), (x) => R.permute(x, [2, 0, 1]));
    t.op('permute with negative dims [−1, 0, 1]', [{ shape: [2, 3, 4] }], (x) => permute(x, [-1, 0, 1]), (x) => R.permute(x, [2, 0, 1]));
    t.op('transpose(0, 2)', [{ shape: [2, 3, 4] }], (x) => transpose(x, 0, 2), (x) => R.transpose(x, 0, 2));
    t.op('mT: transpose of the last two dims', [{ shape: [2, 3, 4] }], (x) => x.mT, (x) => R.transpose(x, -2, -1));
    t.op('expand [3, 1] → [2, 3, 4] (gradient sums the copies)', [{ shape: [3, 1] }], (x) => expand(x, [2, 3, 4]), (x) => R.expand(x, [2, 3, 4]));
    t.op('expand with −1 keeps a dim', [{ shape: [1, 3] }], (x) => expand(x, [4, -1]), (x) => R.expand(x, [4, 3]));
    t.op('broadcastTo', [{ shape: [3] }], (x) => broadcastTo(x, [2, 3]), (x) => R.expand(x, [2, 3]));
    t.op('squeeze all size-1 dims', [{ shape: [1, 3, 1, 2] }], (x) => squeeze(x), (x) => R.reshape(x, [3, 2]));
    t.op('unsqueeze at 0 and −1', [{ shape: [3] }], (x) => unsqueeze(unsqueeze(x, 0), -1), (x) => R.reshape(x, [1, 3, 1]));
    for (const dim of [0, 1, -1]) {
      t.op(`cat along dim ${dim}, different sizes`, [{ shape: [2, 3] }, { shape: dim === 0 ? [1, 3] : [2, 2] }], (a, b) => cat([a, b], dim), (a, b) => R.cat([a, b], dim));
    }
    t.op('cat of three 3-D tensors along the middle dim', [{ shape: [2, 1, 2] }, { shape: [2, 3, 2] }, { shape: [2, 2, 2] }], (a, b, c) => cat([a, b, c], 1), (a, b, c) => R.cat([a, b, c], 1));
    t.op('stack along dim 0', [{ shape: [2, 3] }, { shape: [2, 3] }], (a, b) => stack([a, b], 0), (a, b) => R.cat([R.reshape(a, [1, 2, 3]), R.reshape(b, [1, 2, 3])], 0));
    t.op('stack along dim −1', [{ shape: [2, 3] }, { shape: [2, 3] }], (a, b) => stack([a, b], -1), (a, b) => R.cat([R.reshape(a, [2, 3, 1]), R.reshape(b, [2, 3, 1])], -1));
    t.op('split into size 2 along dim 1 (last piece smaller)', [{ shape: [2, 5] }], (x) => weighPieces(split(x, 2, 1), 1), (x) =>
      weighPiecesReference([R.sliceDim(x, 1, 0, 2), R.sliceDim(x, 1, 2, 4), R.sliceDim(x, 1, 4, 5)], 1),
    );
    t.op('split by sizes [1, 3] along dim 0', [{ shape: [4, 2] }], (x) => weighPieces(split(x, [1, 3], 0), 0), (x) => weighPiecesReference([R.sliceDim(x, 0, 0, 1), R.sliceDim(x, 0, 1, 4)], 0));
    t.op('chunk 7 into 3 (sizes 3, 3, 1)', [{ shape: [7] }], (x) => weighPieces(chunk(x, 3), 0), (x) => weighPiecesReference([R.sliceDim(x, 0, 0, 3), R.sliceDim(x, 0, 3, 6), R.sliceDim(x, 0, 6, 7)], 0));
    t.op('narrow along dim 1', [{ shape: [3, 5] }], (x) => narrow(x, 1, 1, 3), (x) => R.sliceDim(x, 1, 1, 4));
    t.op('narrow with a negative start', [{ shape: [5, 2] }], (x) => narrow(x, 0, -2, 2), (x) => R.sliceDim(x, 0, 3, 5));
    t.op('slice with step 2', [{ shape: [2, 7] }], (x) => slice(x, 1, 1, 6, 2), (x) => R.sliceDim(x, 1, 1, 6, 2));
    t.op('slice with negative bounds and step 3', [{ shape: [8, 2] }], (x) => slice(x, 0, -7, -1, 3), (x) => R.sliceDim(x, 0, 1, 7, 3));
    t.op('slice bounds clip like Python', [{ shape: [4] }], (x) => slice(x, 0, -10, 10), (x) => x);

    t.test('shapes of squeeze/unsqueeze/flatten variants', async () => {
      const x = tensor(new Float32Array(6), { shape: [1, 3, 1, 2] });
      check(shapeOf(squeeze(x, 0)) === '[3, 1, 2]', `squeeze(0): ${shapeOf(squeeze(x, 0))}`);
      check(shapeOf(squeeze(x, [0, 2])) === '[3, 2]', `squeeze([0, 2]): ${shapeOf(squeeze(x, [0, 2]))}`);
      check(shapeOf(squeeze(x, 1)) === '[1, 3, 1, 2]', `squeeze of a non-1 dim is a no-op: ${shapeOf(squeeze(x, 1))}`);
      check(shapeOf(unsqueeze(x, -1)) === '[1, 3, 1, 2, 1]', `unsqueeze(−1): ${shapeOf(unsqueeze(x, -1))}`);
      check(shapeOf(flatten(x)) === '[6]', `flatten(): ${shapeOf(flatten(x))}`);
      check(shapeOf(flatten(x, 1, 2)) === '[1, 3, 2]', `flatten(1, 2): ${shapeOf(flatten(x, 1, 2))}`);
      check(shapeOf(reshape(tensor(5), [1, 1])) === '[1, 1]', 'reshape of a 0-d tensor');
    });
    t.test('layout ops on int32 and bool keep values and dtype', async () => {
      const x = reshape(arange(6), [2, 3]);
      await t.close(transpose(x, 0, 1), [[0, 3], [1, 4], [2, 5]], { dtype: 'int32', atol: 0 });
      await t.close(slice(x, 1, 0, 3, 2), [[0, 2], [3, 5]], { dtype: 'int32', atol: 0 });
      await t.close(cat([x, x], 0), [[0, 1, 2], [3, 4, 5], [0, 1, 2], [3, 4, 5]], { dtype: 'int32', atol: 0 });
      await t.close(expand(tensor([[true], [false]]), [2, 2]), [[1, 1], [0, 0]], { dtype: 'bool', atol: 0 });
    });
    t.test('split/chunk piece shapes', async () => {
      const x = tensor(new Float32Array(10), { shape: [2, 5] });
      check(split(x, 2, 1).map(shapeOf).join(' ') === '[2, 2] [2, 2] [2, 1]', split(x, 2, 1).map(shapeOf).join(' '));
      check(chunk(x, 2, 1).map(shapeOf).join(' ') === '[2, 3] [2, 2]', chunk(x, 2, 1).map(shapeOf).join(' '));
      check(chunk(tensor(new Float32Array(6)), 4).map(shapeOf).join(' ') === '[2] [2] [2]', 'chunk(6, 4) gives 3 pieces of 2 as torch.chunk');
    });
    t.test('slice with an empty range has size 0 along the dim', async () => {
      check(shapeOf(slice(tensor([1, 2, 3]), 0, 2, 1)) === '[0]', shapeOf(slice(tensor([1, 2, 3]), 0, 2, 1)));
    });
  });
}
