// Indexing ops: gather / scatterAdd (torch semantics along a dim), indexSelect, embedding,
// tril/triu, oneHot and maskedFill. Index tensors are int32.

import { needsGrad, record } from '../autograd.js';
import { formatShape, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add, eq, toDtype, where } from './elementwise.js';
import { arange } from './creation.js';
import { max } from './reduce.js';
import { reshape, unsqueeze } from './shape.js';
import { checkDtype, checkIndexRange, checkSameBackend, checkTensor, product, wrap } from './util.js';

function checkGatherShapes(op: string, x: Tensor, dim: number, index: Tensor): void {
  if (index.ndim !== x.ndim || index.shape.some((s, i) => i !== dim && s !== x.shape[i])) {
    throw new RangeError(`${op}: index shape ${formatShape(index.shape)} must match input shape ${formatShape(x.shape)} in every dim except ${dim}`);
  }
}

/**
 * `torch.gather`: out[i][j] = x[i][index[i][j]] for dim = 1 (and likewise for other dims).
 * `index` has x's shape except along `dim`.
 *
 * @example
 * ```ts
 * gather(tensor([[1, 2], [3, 4]]), 1, tensor([[1], [0]], { dtype: 'int32' })); // [[2], [3]]
 * ```
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('gather', 'input', x);
  checkTensor('gather', 'index', index);
  checkDtype('gather', 'index', index, ['int32']);
  checkSameBackend('gather', x, index);
  const d = normalizeDim('gather', dim, x.ndim);
  checkGatherShapes('gather', x, d, index);
  checkIndexRange('gather', index, x.shape[d]);
  const outer = product(x.shape, 0, d);
  const inner = product(x.shape, d + 1);
  const storage = x.backend.gather(x.storage, index.storage, outer, x.shape[d], index.shape[d], inner, x.dtype);
  const out = wrap(x.backend, storage, index.shape, x.dtype);
  if (!needsGrad(x)) return out;
  return record(out, 'gather', [x], (g) => [wrap(g.backend, g.backend.scatterAdd(index.storage, g.storage, outer, x.shape[d], index.shape[d], inner, g.dtype), x.shape, g.dtype)]);
}

/**
 * `torch.scatter_add` out of place: x + (src scattered to `index` along `dim`), duplicates summed.
 *
 * @example
 * ```ts
 * scatterAdd(zeros([3]), 0, tensor([0, 0, 2], { dtype: 'int32' }), tensor([1, 2, 3])); // [3, 0, 3]
 * ```
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkTensor('scatterAdd', 'input', x);
  checkTensor('scatterAdd', 'index', index);
  checkTensor('scatterAdd', 'src', src);
  checkDtype('scatterAdd', 'index', index, ['int32']);
  checkSameBackend('scatterAdd', x, index);
  checkSameBackend('scatterAdd', x, src);
  if (src.dtype !== x.dtype) throw new TypeError(`scatterAdd: src has dtype ${src.dtype}, expected ${x.dtype} like the input`);
  const d = normalizeDim('scatterAdd', dim, x.ndim);
  checkGatherShapes('scatterAdd', x, d, index);
  if (formatShape(src.shape) !== formatShape(index.shape)) {
    throw new RangeError(`scatterAdd: src shape ${formatShape(src.shape)} must equal index shape ${formatShape(index.shape)}`);
  }
  checkIndexRange('scatterAdd', index, x.shape[d]);
  const outer = product(x.shape, 0, d);
  const inner = product(x.shape, d + 1);
  const scattered = wrap(x.backend, x.backend.scatterAdd(index.storage, src.storage, outer, x.shape[d], index.shape[d], inner, x.dtype), x.shape, x.dtype);
  const base = x.detach();
  const out = add(base, scattered);
  base.dispose();
  scattered.dispose();
  if (!needsGrad(x, src)) return out;
  return record(out, 'scatterAdd', [x, src], (g) => [g, gather(g, d, index)]);
}

/**
 * Selects the entries `index` (1-D int32) along `dim`.
 *
 * @example
 * ```ts
 * indexSelect(tensor([[1, 2], [3, 4], [5, 6]]), 0, tensor([2, 0], { dtype: 'int32' })); // [[5, 6], [1, 2]]
 * ```
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('indexSelect', 'input', x);
  checkTensor('indexSelect', 'index', index);
  checkDtype('indexSelect', 'index', index, ['int32']);
  checkSameBackend('indexSelect', x, index);
  if (index.ndim > 1) throw new RangeError(`indexSelect: index must be 1-D, got shape ${formatShape(index.shape)}`);
  const shape = x.ndim === 0 ? [1] : x.shape;
  const d = normalizeDim('indexSelect', dim, x.ndim);
  checkIndexRange('indexSelect', index, shape[d]);
  const outer = product(shape, 0, d);
  const inner = product(shape, d + 1);
  const count = index.size;
  const outShape = shape.slice();
  outShape[d] = count;
  const out = wrap(x.backend, x.backend.indexSelect(x.storage, index.storage, outer, shape[d], count, inner, x.dtype), x.ndim === 0 ? [] : outShape, x.dtype);
  if (!needsGrad(x)) return out;
  return record(out, 'indexSelect', [x], (g) => [wrap(g.backend, g.backend.indexAdd(index.storage, g.storage, outer, shape[d], count, inner, g.dtype), x.shape, g.dtype)]);
}

/**
 * Looks up rows of `weight` (numEmbeddings, dim) for int32 `indices` of any shape: out has shape [...indices.shape, dim].
 *
 * @example
 * ```ts
 * embedding(tensor([[0, 2]], { dtype: 'int32' }), randn([10, 4])); // shape [1, 2, 4]
 * ```
 */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  checkTensor('embedding', 'indices', indices);
  checkTensor('embedding', 'weight', weight);
  if (weight.ndim !== 2) throw new RangeError(`embedding: weight must be 2-D (numEmbeddings, dim), got shape ${formatShape(weight.shape)}`);
  const flat = reshape(indices, [-1]);
  const rows = indexSelect(weight, 0, flat);
  if (!rows.requiresGrad) flat.dispose(); // indexSelect's backward reads the index
  const out = reshape(rows, [...indices.shape, weight.shape[1]]);
  if (!rows.requiresGrad) rows.dispose();
  return out;
}

function triangle(op: 'tril' | 'triu', x: Tensor, diagonal: number): Tensor {
  checkTensor(op, 'input', x);
  if (x.ndim < 2) throw new RangeError(`${op}: input must have at least 2 dims, got shape ${formatShape(x.shape)}`);
  if (!Number.isInteger(diagonal)) throw new RangeError(`${op}: diagonal must be an integer, got ${diagonal}`);
  const rows = x.shape[x.ndim - 2];
  const cols = x.shape[x.ndim - 1];
  const batch = product(x.shape, 0, x.ndim - 2);
  const out = wrap(x.backend, x.backend.triangle(x.storage, batch, rows, cols, diagonal, op === 'triu', x.dtype), x.shape, x.dtype);
  if (!needsGrad(x)) return out;
  return record(out, op, [x], (g) => [triangle(op, g, diagonal)]);
}

/**
 * Lower triangle (j − i ≤ diagonal) of the last two dims; the rest is zero.
 *
 * @example
 * ```ts
 * tril(ones([3, 3])); // ones on and below the diagonal: a causal mask
 * ```
 */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle('tril', x, diagonal);
}

/**
 * Upper triangle (j − i ≥ diagonal) of the last two dims; the rest is zero.
 *
 * @example
 * ```ts
 * triu(ones([3, 3]), 1); // ones strictly above the diagonal
 * ```
 */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle('triu', x, diagonal);
}

/**
 * One-hot encoding of int32 class indices: shape [...indices.shape, numClasses], dtype int32.
 * `numClasses` defaults to max(indices) + 1 (needs a synchronous backend).
 *
 * @example
 * ```ts
 * oneHot(tensor([0, 2], { dtype: 'int32' }), 3); // [[1, 0, 0], [0, 0, 1]]
 * ```
 */
export function oneHot(indices: Tensor, numClasses?: number): Tensor {
  checkTensor('oneHot', 'indices', indices);
  checkDtype('oneHot', 'indices', indices, ['int32']);
  let classes = numClasses;
  if (classes === undefined || classes < 0) {
    const top = max(indices);
    classes = top.dataSync()[0] + 1;
    top.dispose();
  }
  if (!Number.isInteger(classes) || classes <= 0) throw new RangeError(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  checkIndexRange('oneHot', indices, classes);
  const range = arange(0, classes, 1, { dtype: 'int32', backend: indices.backend });
  const expanded = unsqueeze(indices, -1);
  const hits = eq(expanded, range);
  const out = toDtype(hits, 'int32');
  for (const t of [range, expanded, hits]) t.dispose();
  return out;
}

/**
 * Replaces elements where `mask` is true by `value` (broadcasting the mask).
 *
 * @example
 * ```ts
 * const scores = randn([4, 4]);
 * const causalMask = tril(ones([4, 4])).gt(0); // true on and below the diagonal
 * maskedFill(scores, causalMask.logicalNot(), -Infinity);
 * ```
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  checkTensor('maskedFill', 'input', x);
  checkTensor('maskedFill', 'mask', mask);
  checkDtype('maskedFill', 'mask', mask, ['bool']);
  return where(mask, value, x);
}
