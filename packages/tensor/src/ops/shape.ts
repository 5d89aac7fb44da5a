// Layout ops: reshape/view, flatten, permute/transpose, expand, squeeze/unsqueeze, cat/stack,
// split/chunk, narrow/slice. Tensors are always contiguous: reshape shares storage, the rest copy.

import { needsGrad, record } from '../autograd.js';
import { formatShape, inferReshape, normalizeDim, normalizeDims, shapesEqual, stridesOf, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { arange, zeros } from './creation.js';
import { indexSelect } from './indexing.js';
import { sum } from './reduce.js';
import { checkSameBackend, checkTensor, describe, product, wrap } from './util.js';

/**
 * The same elements in a new shape (one entry may be −1). Shares storage with `x`.
 *
 * @example
 * ```ts
 * reshape(arange(6), [2, 3]);
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('reshape', 'input', x);
  if (!Array.isArray(shape)) throw new TypeError(`reshape: expected 'shape' to be an array of integers, got ${describe(shape)}`);
  const target = inferReshape('reshape', x.shape, shape);
  const out = x.viewAs(target);
  if (!needsGrad(x)) return out;
  return record(out, 'reshape', [x], (g) => [reshape(g, x.shape)]);
}

/**
 * Alias of `reshape` (tensors are always contiguous).
 *
 * @example
 * ```ts
 * view(tensor([[1, 2], [3, 4]]), [-1]); // [1, 2, 3, 4]
 * ```
 */
export const view = reshape;

/**
 * Flattens dims `startDim`..`endDim` (inclusive) into one.
 *
 * @example
 * ```ts
 * flatten(zeros([2, 3, 4]), 1); // shape [2, 12]
 * ```
 */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor('flatten', 'input', x);
  if (x.ndim === 0) return reshape(x, [1]);
  const start = normalizeDim('flatten', startDim, x.ndim);
  const end = normalizeDim('flatten', endDim, x.ndim);
  if (start > end) throw new RangeError(`flatten: startDim (${startDim}) must not come after endDim (${endDim})`);
  const shape = [...x.shape.slice(0, start), product(x.shape, start, end + 1), ...x.shape.slice(end + 1)];
  return reshape(x, shape);
}

/**
 * Reorders dimensions (`dims` is a permutation of 0..ndim−1). Copies the data.
 *
 * @example
 * ```ts
 * permute(zeros([2, 3, 4]), [2, 0, 1]); // shape [4, 2, 3]
 * ```
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  checkTensor('permute', 'input', x);
  if (dims.length !== x.ndim) {
    throw new RangeError(`permute: expected ${x.ndim} dims for a tensor of shape ${formatShape(x.shape)}, got [${dims.join(', ')}]`);
  }
  const order = dims.map((d) => normalizeDim('permute', d, x.ndim));
  if (new Set(order).size !== order.length) throw new RangeError(`permute: dims [${dims.join(', ')}] repeat a dimension`);
  const identity = order.every((d, i) => d === i);
  const outShape = order.map((d) => x.shape[d]);
  let out: Tensor;
  if (identity) out = x.viewAs(x.shape);
  else {
    const strides = stridesOf(x.shape);
    out = wrap(x.backend, x.backend.stridedCopy(x.storage, outShape, order.map((d) => strides[d]), 0, x.dtype), outShape, x.dtype);
  }
  if (!needsGrad(x)) return out;
  const inverse = new Array<number>(order.length);
  order.forEach((d, i) => (inverse[d] = i));
  return record(out, 'permute', [x], (g) => [permute(g, inverse)]);
}

/**
 * Swaps two dimensions.
 *
 * @example
 * ```ts
 * transpose(zeros([2, 3]), 0, 1); // shape [3, 2]
 * ```
 */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor('transpose', 'input', x);
  const rank = x.ndim;
  if (rank < 2 && x.ndim <= 1) {
    normalizeDim('transpose', dim0, rank);
    normalizeDim('transpose', dim1, rank);
    return permute(x, rank === 0 ? [] : [0]);
  }
  const a = normalizeDim('transpose', dim0, rank);
  const b = normalizeDim('transpose', dim1, rank);
  const dims = Array.from({ length: rank }, (_, i) => i);
  dims[a] = b;
  dims[b] = a;
  return permute(x, dims);
}

/**
 * Broadcasts `x` to `shape` (−1 keeps a dim; new dims may be added in front). Copies the data.
 *
 * @example
 * ```ts
 * expand(tensor([1, 2]), [3, 2]); // shape [3, 2]
 * ```
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('expand', 'input', x);
  if (shape.length < x.ndim) {
    throw new RangeError(`expand: the target shape ${formatShape(shape)} has fewer dims than the input shape ${formatShape(x.shape)}`);
  }
  const lead = shape.length - x.ndim;
  const outShape = shape.map((d, i) => (d === -1 ? (i < lead ? -1 : x.shape[i - lead]) : d));
  const strides = stridesOf(x.shape);
  const outStrides = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const size = outShape[i];
    if (i < lead) {
      if (size < 0) throw new RangeError(`expand: -1 is not allowed for a new leading dim in ${formatShape(shape)}`);
      continue;
    }
    const inSize = x.shape[i - lead];
    if (inSize === size) outStrides[i] = strides[i - lead];
    else if (inSize !== 1) {
      throw new RangeError(`expand: cannot expand shape ${formatShape(x.shape)} to ${formatShape(shape)} (dim ${i}: ${inSize} is not 1)`);
    }
  }
  const out = shapesEqual(outShape, x.shape)
    ? x.viewAs(x.shape)
    : wrap(x.backend, x.backend.stridedCopy(x.storage, outShape, outStrides, 0, x.dtype), outShape, x.dtype);
  if (!needsGrad(x)) return out;
  return record(out, 'expand', [x], (g) => [sumToShape(g, x.shape)]);
}

/**
 * Alias of `expand`.
 *
 * @example
 * ```ts
 * broadcastTo(tensor([1]), [3]); // [1, 1, 1]
 * ```
 */
export const broadcastTo = expand;

/**
 * Sums `grad` down to `shape` over the dims broadcasting added or stretched: the gradient of a broadcast.
 *
 * @example
 * ```ts
 * sumToShape(ones([4, 3]), [3]); // [4, 4, 4]
 * ```
 */
export function sumToShape(grad: Tensor, shape: Shape): Tensor {
  if (shapesEqual(grad.shape, shape)) return grad;
  const lead = grad.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < grad.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && grad.shape[i] !== 1)) dims.push(i);
  }
  const reduced = dims.length > 0 ? sum(grad, dims, true) : grad;
  return reshape(reduced, shape);
}

/**
 * Removes size-1 dimensions (all of them, or only those in `dim`).
 *
 * @example
 * ```ts
 * squeeze(zeros([1, 3, 1])); // shape [3]
 * ```
 */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  checkTensor('squeeze', 'input', x);
  const dims = dim === undefined ? null : new Set(normalizeDims('squeeze', dim, x.ndim));
  const shape = x.shape.filter((d, i) => !(d === 1 && (dims === null || dims.has(i))));
  return reshape(x, shape);
}

/**
 * Inserts a size-1 dimension at `dim` (−1 appends).
 *
 * @example
 * ```ts
 * unsqueeze(zeros([3]), 0); // shape [1, 3]
 * ```
 */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor('unsqueeze', 'input', x);
  const d = normalizeDim('unsqueeze', dim, x.ndim + 1);
  const shape = x.shape.slice();
  shape.splice(d, 0, 1);
  return reshape(x, shape);
}

/**
 * `length` elements along `dim` starting at `start` (which may be negative).
 *
 * @example
 * ```ts
 * narrow(arange(5), 0, 1, 3); // [1, 2, 3]
 * ```
 */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkTensor('narrow', 'input', x);
  const d = normalizeDim('narrow', dim, x.ndim);
  const size = x.shape[d];
  const begin = start < 0 ? start + size : start;
  if (!Number.isInteger(begin) || begin < 0 || begin > size) {
    throw new RangeError(`narrow: start ${start} is out of range for dim ${dim} of size ${size}`);
  }
  if (!Number.isInteger(length) || length < 0 || begin + length > size) {
    throw new RangeError(`narrow: start (${begin}) + length (${length}) exceeds dim ${dim} of size ${size}`);
  }
  if (length === size) return reshape(x, x.shape);
  const outShape = x.shape.slice();
  outShape[d] = length;
  const strides = stridesOf(x.shape);
  const out = wrap(x.backend, x.backend.stridedCopy(x.storage, outShape, strides, begin * strides[d], x.dtype), outShape, x.dtype);
  if (!needsGrad(x)) return out;
  return record(out, 'narrow', [x], (g) => {
    const parts: Tensor[] = [];
    const before = x.shape.slice();
    before[d] = begin;
    const after = x.shape.slice();
    after[d] = size - begin - length;
    if (begin > 0) parts.push(zeros(before, { backend: g.backend }));
    parts.push(g);
    if (after[d] > 0) parts.push(zeros(after, { backend: g.backend }));
    return [cat(parts, d)];
  });
}

/**
 * Python-style slice `x[start:end:step]` along `dim`; negative and out-of-range bounds clip as in Python.
 *
 * @example
 * ```ts
 * slice(arange(6), 0, 1, 5, 2); // [1, 3]
 * ```
 */
export function slice(x: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  checkTensor('slice', 'input', x);
  const d = normalizeDim('slice', dim, x.ndim);
  if (!Number.isInteger(step) || step <= 0) throw new RangeError(`slice: step must be a positive integer, got ${step}`);
  const size = x.shape[d];
  const clip = (v: number | undefined, fallback: number) => {
    if (v === undefined) return fallback;
    const w = v < 0 ? v + size : v;
    return Math.min(Math.max(w, 0), size);
  };
  const begin = clip(start, 0);
  const stop = Math.max(clip(end, size), begin);
  if (step === 1) return narrow(x, d, begin, stop - begin);
  const index = arange(begin, stop, step, { backend: x.backend, dtype: 'int32' });
  const out = indexSelect(x, d, index);
  if (!out.requiresGrad) index.dispose(); // indexSelect's backward reads the index
  return out;
}

/**
 * Concatenates tensors along `dim`; all other dims must match.
 *
 * @example
 * ```ts
 * cat([zeros([2, 3]), ones([1, 3])], 0); // shape [3, 3]
 * ```
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new RangeError('cat: expected a non-empty array of tensors');
  tensors.forEach((t, i) => checkTensor('cat', `tensors[${i}]`, t));
  const first = tensors[0];
  const d = normalizeDim('cat', dim, first.ndim);
  for (let i = 1; i < tensors.length; i++) {
    const t = tensors[i];
    checkSameBackend('cat', first, t);
    if (t.dtype !== first.dtype) throw new TypeError(`cat: tensors[${i}] has dtype ${t.dtype}, expected ${first.dtype} like tensors[0]`);
    const matches = t.ndim === first.ndim && t.shape.every((s: number, j: number) => j === d || s === first.shape[j]);
    if (!matches) {
      throw new RangeError(`cat: tensors[${i}] has shape ${formatShape(t.shape)}, incompatible with tensors[0] shape ${formatShape(first.shape)} along dims other than ${d}`);
    }
  }
  const sizes = tensors.map((t) => t.shape[d]);
  const outShape = first.shape.slice();
  outShape[d] = sizes.reduce((a, b) => a + b, 0);
  const outer = product(first.shape, 0, d);
  const inner = product(first.shape, d + 1);
  const backend = first.backend;
  const out = wrap(backend, backend.concat(tensors.map((t) => t.storage), sizes, outer, inner, first.dtype), outShape, first.dtype);
  if (!tensors.some((t) => needsGrad(t))) return out;
  return record(out, 'cat', tensors, (g) => {
    let offset = 0;
    return sizes.map((s) => {
      const piece = narrow(g, d, offset, s);
      offset += s;
      return piece;
    });
  });
}

/**
 * Stacks same-shaped tensors along a new dim.
 *
 * @example
 * ```ts
 * stack([tensor([1, 2]), tensor([3, 4])]); // shape [2, 2]
 * ```
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new RangeError('stack: expected a non-empty array of tensors');
  tensors.forEach((t, i) => {
    checkTensor('stack', `tensors[${i}]`, t);
    if (!shapesEqual(t.shape, tensors[0].shape)) {
      throw new RangeError(`stack: tensors[${i}] has shape ${formatShape(t.shape)}, expected ${formatShape(tensors[0].shape)} like tensors[0]`);
    }
  });
  const d = normalizeDim('stack', dim, tensors[0].ndim + 1);
  const expanded = tensors.map((t) => unsqueeze(t, d));
  const out = cat(expanded, d);
  for (const t of expanded) if (!t.requiresGrad) t.dispose();
  return out;
}

/**
 * Splits along `dim` into pieces of `splitSize` (the last may be smaller) or of the given sizes.
 *
 * @example
 * ```ts
 * split(arange(5), 2); // sizes 2, 2, 1
 * ```
 */
export function split(x: Tensor, splitSize: number | readonly number[], dim = 0): Tensor[] {
  checkTensor('split', 'input', x);
  const d = normalizeDim('split', dim, x.ndim);
  const size = x.shape[d];
  let sizes: number[];
  if (typeof splitSize === 'number') {
    if (!Number.isInteger(splitSize) || splitSize <= 0) throw new RangeError(`split: splitSize must be a positive integer, got ${splitSize}`);
    sizes = [];
    for (let start = 0; start < size; start += splitSize) sizes.push(Math.min(splitSize, size - start));
  } else {
    sizes = splitSize.slice();
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== size) throw new RangeError(`split: sizes [${sizes.join(', ')}] sum to ${total}, but dim ${dim} has size ${size}`);
  }
  let offset = 0;
  return sizes.map((s) => {
    const piece = narrow(x, d, offset, s);
    offset += s;
    return piece;
  });
}

/**
 * Splits into `chunks` pieces of size ⌈n/chunks⌉ along `dim` (fewer if n is small), as `torch.chunk`.
 *
 * @example
 * ```ts
 * chunk(arange(6), 3); // three tensors of 2
 * ```
 */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  checkTensor('chunk', 'input', x);
  if (!Number.isInteger(chunks) || chunks <= 0) throw new RangeError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const d = normalizeDim('chunk', dim, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[d] / chunks)), d);
}
