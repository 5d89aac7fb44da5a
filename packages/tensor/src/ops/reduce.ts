// Reductions and scans: sum, mean, max/min, argmax/argmin, variance/std, logsumexp, cumsum.
// Backends reduce the middle axis of an (outer, size, inner) view; reductions over
// non-adjacent dims first move those dims to the end.

import { needsGrad, record } from '../autograd.js';
import type { ReduceOp } from '../backend.js';
import { noGrad } from '../engine.js';
import { normalizeDim, normalizeDims } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { div, eq, exp, log, mul, sqrt, sub, where } from './elementwise.js';
import { expand, permute, reshape } from './shape.js';
import { checkTensor, product, wrap } from './util.js';

/**
 * Options of `variance` and `std`.
 *
 * @example
 * ```ts
 * const options: VarianceOptions = { correction: 0, keepdim: true };
 * std(tensor([[1, 2], [3, 4]]), 1, options); // [[0.5], [0.5]]
 * ```
 */
export interface VarianceOptions {
  /** Subtracted from the element count in the denominator: 1 = Bessel's correction (PyTorch's default), 0 = population. */
  correction?: number;
  /** Keep reduced dims with size 1. */
  keepdim?: boolean;
}

function keptShape(shape: readonly number[], dims: readonly number[]): number[] {
  return shape.map((d, i) => (dims.includes(i) ? 1 : d));
}

function outShape(shape: readonly number[], dims: readonly number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(shape, dims) : shape.filter((_, i) => !dims.includes(i));
}

/** Reduces `x` over sorted `dims` without recording; moves non-adjacent dims to the end first. */
function reduceRaw(op: ReduceOp, x: Tensor, dims: number[], keepdim: boolean): Tensor {
  const shape = outShape(x.shape, dims, keepdim);
  const dtype = op === 'sum' && x.dtype === 'bool' ? 'int32' : x.dtype;
  let source = x;
  if (dtype !== x.dtype) source = x.toDtype(dtype);
  if (dims.length === 0) return wrap(x.backend, x.backend.stridedCopy(source.storage, x.shape, contiguousStrides(x.shape), 0, dtype), shape, dtype);
  const adjacent = dims[dims.length - 1] - dims[0] === dims.length - 1;
  let outer: number, size: number, inner: number;
  if (adjacent) {
    outer = product(x.shape, 0, dims[0]);
    size = product(x.shape, dims[0], dims[dims.length - 1] + 1);
    inner = product(x.shape, dims[dims.length - 1] + 1);
  } else {
    const kept = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
    const moved = noGrad(() => permute(source, [...kept, ...dims]));
    if (source !== x) source.dispose();
    source = moved;
    outer = product(kept.map((i) => x.shape[i]));
    size = product(dims.map((i) => x.shape[i]));
    inner = 1;
  }
  const out = wrap(x.backend, x.backend.reduce(op, source.storage, outer, size, inner, dtype), shape, dtype);
  if (source !== x) source.dispose();
  return out;
}

function contiguousStrides(shape: readonly number[]): number[] {
  return shape.map((_, i) => product(shape, i + 1));
}

/**
 * Sum over `dim` (one dim or several; all when omitted). Bool sums count as int32.
 *
 * @example
 * ```ts
 * sum(tensor([[1, 2], [3, 4]]), 1); // [3, 7]
 * ```
 */
export function sum(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  checkTensor('sum', 'input', x);
  const dims = normalizeDims('sum', dim, x.ndim);
  const out = reduceRaw('sum', x, dims, keepdim);
  if (!needsGrad(x)) return out;
  return record(out, 'sum', [x], (g) => [expand(reshape(g, keptShape(x.shape, dims)), x.shape)]);
}

/**
 * Mean over `dim` (all dims when omitted).
 *
 * @example
 * ```ts
 * mean(tensor([1, 2, 3])); // 2
 * ```
 */
export function mean(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  checkTensor('mean', 'input', x);
  if (x.dtype !== 'float32') throw new TypeError(`mean: expected a float32 input, got ${x.dtype}; convert with .float()`);
  const dims = normalizeDims('mean', dim, x.ndim);
  const count = product(dims.map((d) => x.shape[d]));
  const total = sum(x, dims, keepdim);
  const out = div(total, count);
  total.dispose();
  return out;
}

function extremum(op: 'max' | 'min', x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  checkTensor(op, 'input', x);
  if (x.size === 0) throw new RangeError(`${op}: cannot reduce an empty tensor`);
  const dims = normalizeDims(op, dim, x.ndim);
  const out = reduceRaw(op, x, dims, keepdim);
  if (!needsGrad(x)) return out;
  // Ties share the gradient evenly, as PyTorch's amax/amin.
  return record(out, op, [x], (g) => {
    const kept = keptShape(x.shape, dims);
    const mask = eq(x, reshape(out, kept)).float();
    const share = div(mask, sum(mask, dims, true));
    return [mul(share, reshape(g, kept))];
  });
}

/**
 * Maximum values over `dim` (all dims when omitted); PyTorch's `amax`. For indices use `argmax`.
 *
 * @example
 * ```ts
 * max(tensor([[1, 5], [7, 2]]), 1); // [5, 7]
 * ```
 */
export function max(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return extremum('max', x, dim, keepdim);
}

/**
 * Minimum values over `dim` (all dims when omitted); PyTorch's `amin`.
 *
 * @example
 * ```ts
 * min(tensor([[1, 5], [0, 3]]), 1); // [1, 0]
 * ```
 */
export function min(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return extremum('min', x, dim, keepdim);
}

function argExtremum(op: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  checkTensor(op, 'input', x);
  if (x.size === 0) throw new RangeError(`${op}: cannot reduce an empty tensor`);
  if (dim === undefined) {
    const storage = x.backend.argReduce(op, x.storage, 1, x.size, 1, x.dtype);
    return wrap(x.backend, storage, keepdim ? x.shape.map(() => 1) : [], 'int32');
  }
  const d = normalizeDim(op, dim, x.ndim);
  const shape = x.ndim === 0 ? [1] : x.shape;
  const storage = x.backend.argReduce(op, x.storage, product(shape, 0, d), shape[d], product(shape, d + 1), x.dtype);
  return wrap(x.backend, storage, x.ndim === 0 ? [] : outShape(x.shape, [d], keepdim), 'int32');
}

/**
 * Index (int32) of the maximum along `dim`, or in the flattened tensor; the first wins ties.
 *
 * @example
 * ```ts
 * argmax(tensor([[1, 5, 2], [7, 0, 3]]), 1); // int32 [1, 0]
 * ```
 */
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtremum('argmax', x, dim, keepdim);
}

/**
 * Index (int32) of the minimum along `dim`, or in the flattened tensor.
 *
 * @example
 * ```ts
 * argmin(tensor([[1, 5, 2], [7, 0, 3]]), 1); // int32 [0, 1]
 * ```
 */
export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtremum('argmin', x, dim, keepdim);
}

/**
 * Variance over `dim` with `correction` (default 1, Bessel's) as `torch.var`. Named `variance`
 * because `var` is reserved in JavaScript; the method is `x.var()`.
 *
 * @example
 * ```ts
 * variance(tensor([1, 2, 3, 4])); // 1.6667
 * ```
 */
export function variance(x: Tensor, dim?: number | readonly number[], options: VarianceOptions = {}): Tensor {
  checkTensor('var', 'input', x);
  const { correction = 1, keepdim = false } = options;
  const dims = normalizeDims('var', dim, x.ndim);
  const count = product(dims.map((d) => x.shape[d]));
  const centred = sub(x, mean(x, dims, true));
  return div(sum(mul(centred, centred), dims, keepdim), Math.max(count - correction, 0));
}

/**
 * Standard deviation over `dim` (√ of `variance`).
 *
 * @example
 * ```ts
 * std(tensor([1, 2, 3, 4])); // 1.2910 (Bessel's correction)
 * std(tensor([1, 2, 3, 4]), undefined, { correction: 0 }); // 1.1180
 * ```
 */
export function std(x: Tensor, dim?: number | readonly number[], options: VarianceOptions = {}): Tensor {
  return sqrt(variance(x, dim, options));
}

/**
 * log Σ exp(x) over `dim`, computed stably by shifting by the max.
 *
 * @example
 * ```ts
 * logsumexp(tensor([0, 0]), 0); // log 2
 * ```
 */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepdim = false): Tensor {
  checkTensor('logsumexp', 'input', x);
  const dims = normalizeDims('logsumexp', dim, x.ndim);
  // The shift is a constant for autograd; rows that are all −∞ shift by 0 so the result stays −∞.
  const shift = noGrad(() => {
    const m = max(x, dims, true);
    const finite = eq(sub(m, m), 0);
    return where(finite, m, 0);
  });
  const total = log(sum(exp(sub(x, shift)), dims, true));
  const out = total.add(shift);
  return keepdim ? out : reshape(out, outShape(x.shape, dims, false));
}

/**
 * Cumulative sum along `dim`.
 *
 * @example
 * ```ts
 * cumsum(tensor([1, 2, 3]), 0); // [1, 3, 6]
 * ```
 */
export function cumsum(x: Tensor, dim: number): Tensor {
  checkTensor('cumsum', 'input', x);
  const d = normalizeDim('cumsum', dim, x.ndim);
  const shape = x.ndim === 0 ? [1] : x.shape;
  const dtype = x.dtype === 'bool' ? 'int32' : x.dtype;
  const source = x.dtype === dtype ? x : x.toDtype(dtype);
  const out = wrap(x.backend, x.backend.cumsum(source.storage, product(shape, 0, d), shape[d], product(shape, d + 1), dtype), x.shape, dtype);
  if (source !== x) source.dispose();
  if (!needsGrad(x)) return out;
  // d/dx_i Σ_j≥i: the reversed cumulative sum of g = total − cumsum(g) + g.
  return record(out, 'cumsum', [x], (g) => [sub(sum(g, d, true), cumsum(g, d)).add(g)]);
}
