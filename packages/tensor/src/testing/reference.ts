// Float64 reference implementations of the ops, in plain JavaScript, written from the PyTorch
// definitions and independently of the package's ops and backends. They favour obviousness over
// speed (every element is addressed through its multi-index) and only ever see tiny inputs: they
// give the expected forward values and, through central differences, the expected gradients.

/** A dense row-major float64 array with a shape: the reference's only data type. */
export interface Array64 {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** Wraps values (copied into a Float64Array) with a shape. */
export function array64(shape: readonly number[], values: ArrayLike<number>): Array64 {
  const size = numel(shape);
  if (values.length !== size) throw new RangeError(`array64: shape [${shape.join(', ')}] needs ${size} values, got ${values.length}`);
  return { shape: shape.slice(), data: Float64Array.from(values) };
}

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/** Multi-index of flat position `flat` in `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return index;
}

/** Flat position of a multi-index in `shape`. */
export function ravel(index: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + index[d];
  return flat;
}

/** Builds an array of `shape` whose element at each multi-index is `f(index)`. */
export function fromIndex(shape: readonly number[], f: (index: number[]) => number): Array64 {
  const data = new Float64Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = f(unravel(i, shape));
  return { shape: shape.slice(), data };
}

/** The element of `x` at a multi-index. */
export function at(x: Array64, index: readonly number[]): number {
  return x.data[ravel(index, x.shape)];
}

function normDim(dim: number, rank: number): number {
  return dim < 0 ? dim + rank : dim;
}

// ---- elementwise ----------------------------------------------------------------------------

/** NumPy broadcasting of two shapes. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new RangeError(`reference: cannot broadcast [${a}] and [${b}]`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** The element of `x` that broadcasting maps to output multi-index `index`. */
function broadcastAt(x: Array64, index: readonly number[]): number {
  const offset = index.length - x.shape.length;
  let flat = 0;
  for (let d = 0; d < x.shape.length; d++) flat = flat * x.shape[d] + (x.shape[d] === 1 ? 0 : index[offset + d]);
  return x.data[flat];
}

/** Elementwise f(x). */
export function map(x: Array64, f: (v: number) => number): Array64 {
  return { shape: x.shape.slice(), data: x.data.map(f) };
}

/** Elementwise f(a, b) with broadcasting. */
export function zip(a: Array64, b: Array64 | number, f: (x: number, y: number) => number): Array64 {
  const bb = typeof b === 'number' ? array64([], [b]) : b;
  const shape = broadcastShape(a.shape, bb.shape);
  return fromIndex(shape, (i) => f(broadcastAt(a, i), broadcastAt(bb, i)));
}

/** Elementwise condition ? a : b with broadcasting of all three. */
export function where(condition: Array64, a: Array64 | number, b: Array64 | number): Array64 {
  const aa = typeof a === 'number' ? array64([], [a]) : a;
  const bb = typeof b === 'number' ? array64([], [b]) : b;
  const shape = broadcastShape(broadcastShape(condition.shape, aa.shape), bb.shape);
  return fromIndex(shape, (i) => (broadcastAt(condition, i) !== 0 ? broadcastAt(aa, i) : broadcastAt(bb, i)));
}

/** erf to float64 accuracy: the Maclaurin series for |x| ≤ 4, the asymptotic erfc beyond. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax > 4) {
    const x2 = ax * ax;
    const erfc = (Math.exp(-x2) / (ax * Math.sqrt(Math.PI))) * (1 - 1 / (2 * x2) + 3 / (4 * x2 * x2));
    return Math.sign(x) * (1 - erfc);
  }
  // erf x = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
  let term = x;
  let total = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const next = term / (2 * n + 1);
    total += next;
    if (Math.abs(next) < 1e-17 * Math.abs(total)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * total;
}

/** The scalar definitions of the unary ops, from their textbook formulas. */
export const scalar = {
  sigmoid: (x: number) => 1 / (1 + Math.exp(-x)),
  logSigmoid: (x: number) => -Math.log1p(Math.exp(-x)),
  relu: (x: number) => Math.max(x, 0),
  gelu: (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  geluTanh: (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  silu: (x: number) => x / (1 + Math.exp(-x)),
  softplus: (x: number) => (x > 20 ? x : Math.log(1 + Math.exp(x))),
  rsqrt: (x: number) => 1 / Math.sqrt(x),
  reciprocal: (x: number) => 1 / x,
  square: (x: number) => x * x,
  sign: (x: number) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  /** torch.round: half to even. */
  round: (x: number) => {
    const floor = Math.floor(x);
    const diff = x - floor;
    if (diff > 0.5) return floor + 1;
    if (diff < 0.5) return floor;
    return floor % 2 === 0 ? floor : floor + 1;
  },
  /** Python's % (the sign of the divisor). */
  remainder: (a: number, b: number) => ((a % b) + b) % b,
};

// ---- reductions and scans -------------------------------------------------------------------

/** Normalised, sorted dims (all when undefined). */
export function dimsOf(dims: number | readonly number[] | undefined, rank: number): number[] {
  if (dims === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : dims;
  return list.map((d) => normDim(d, rank)).sort((a, b) => a - b);
}

/** Reduces the values of every fiber over `dims` with `f` (which sees the fiber's values in index order). */
export function reduce(x: Array64, dims: number | readonly number[] | undefined, keepdim: boolean, f: (values: number[]) => number): Array64 {
  const reduced = dimsOf(dims, x.shape.length);
  const keptShape = x.shape.map((d, i) => (reduced.includes(i) ? 1 : d));
  const groups = new Map<number, number[]>();
  for (let i = 0; i < x.data.length; i++) {
    const index = unravel(i, x.shape);
    const key = ravel(index.map((v, d) => (reduced.includes(d) ? 0 : v)), keptShape);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(x.data[i]);
  }
  const data = new Float64Array(numel(keptShape));
  for (let k = 0; k < data.length; k++) data[k] = f(groups.get(k) ?? []);
  const shape = keepdim ? keptShape : x.shape.filter((_, i) => !reduced.includes(i));
  return { shape, data };
}

/** Σ of values. */
export const sumOf = (values: number[]): number => values.reduce((s, v) => s + v, 0);
/** Mean of values. */
export const meanOf = (values: number[]): number => sumOf(values) / values.length;
/** Variance with `correction` subtracted from the count. */
export const varianceOf = (values: number[], correction = 1): number => {
  const mu = meanOf(values);
  return sumOf(values.map((v) => (v - mu) ** 2)) / Math.max(values.length - correction, 0);
};
/** log Σ exp, shifting by a finite max. */
export const logsumexpOf = (values: number[]): number => {
  const m = Math.max(...values);
  const shift = Number.isFinite(m) ? m : 0;
  return shift + Math.log(sumOf(values.map((v) => Math.exp(v - shift))));
};

/** Applies a vector function to every 1-D fiber along `dim` (softmax, cumsum, ...); the fiber keeps its length. */
export function alongDim(x: Array64, dim: number, f: (fiber: number[]) => number[]): Array64 {
  const d = normDim(dim, x.shape.length);
  const out = new Float64Array(x.data.length);
  const size = x.shape[d];
  for (let i = 0; i < x.data.length; i++) {
    const index = unravel(i, x.shape);
    if (index[d] !== 0) continue;
    const fiber: number[] = [];
    for (let s = 0; s < size; s++) fiber.push(at(x, [...index.slice(0, d), s, ...index.slice(d + 1)]));
    const result = f(fiber);
    for (let s = 0; s < size; s++) out[ravel([...index.slice(0, d), s, ...index.slice(d + 1)], x.shape)] = result[s];
  }
  return { shape: x.shape.slice(), data: out };
}

/** Softmax of a vector. */
export function softmaxOf(values: number[]): number[] {
  const m = Math.max(...values);
  const e = values.map((v) => Math.exp(v - m));
  const total = sumOf(e);
  return e.map((v) => v / total);
}

/** Log-softmax of a vector. */
export function logSoftmaxOf(values: number[]): number[] {
  const lse = logsumexpOf(values);
  return values.map((v) => v - lse);
}

/** Inclusive prefix sums of a vector. */
export function cumsumOf(values: number[]): number[] {
  let acc = 0;
  return values.map((v) => (acc += v));
}

// ---- layout ---------------------------------------------------------------------------------

/** Same data, new shape. */
export function reshape(x: Array64, shape: readonly number[]): Array64 {
  return array64(shape, x.data);
}

/** out[i_0, …] = x[i_{order⁻¹}…]: dimension j of the output is dimension order[j] of x. */
export function permute(x: Array64, order: readonly number[]): Array64 {
  const dims = order.map((d) => normDim(d, x.shape.length));
  const shape = dims.map((d) => x.shape[d]);
  return fromIndex(shape, (i) => {
    const source = new Array<number>(x.shape.length);
    dims.forEach((d, j) => (source[d] = i[j]));
    return at(x, source);
  });
}

/** Swaps two dims. */
export function transpose(x: Array64, dim0: number, dim1: number): Array64 {
  const order = x.shape.map((_, i) => i);
  const a = normDim(dim0, x.shape.length);
  const b = normDim(dim1, x.shape.length);
  [order[a], order[b]] = [order[b], order[a]];
  return permute(x, order);
}

/** Broadcasts to `shape`. */
export function expand(x: Array64, shape: readonly number[]): Array64 {
  return fromIndex(shape, (i) => broadcastAt(x, i));
}

/** Elements start, start+step, … < end along `dim` (bounds already normalised). */
export function sliceDim(x: Array64, dim: number, start: number, end: number, step = 1): Array64 {
  const d = normDim(dim, x.shape.length);
  const picks: number[] = [];
  for (let s = start; s < end; s += step) picks.push(s);
  return indexSelect(x, d, picks);
}

/** Concatenation along `dim`. */
export function cat(xs: readonly Array64[], dim: number): Array64 {
  const d = normDim(dim, xs[0].shape.length);
  const shape = xs[0].shape.slice();
  shape[d] = xs.reduce((s, x) => s + x.shape[d], 0);
  return fromIndex(shape, (i) => {
    let k = i[d];
    for (const x of xs) {
      if (k < x.shape[d]) return at(x, [...i.slice(0, d), k, ...i.slice(d + 1)]);
      k -= x.shape[d];
    }
    throw new Error('unreachable');
  });
}

// ---- indexing -------------------------------------------------------------------------------

/** Entries `index` along `dim`. */
export function indexSelect(x: Array64, dim: number, index: readonly number[]): Array64 {
  const d = normDim(dim, x.shape.length);
  const shape = x.shape.slice();
  shape[d] = index.length;
  return fromIndex(shape, (i) => at(x, [...i.slice(0, d), index[i[d]], ...i.slice(d + 1)]));
}

/** torch.gather: out[i] = x[i with i[dim] replaced by index[i]]; `index` has index's shape. */
export function gather(x: Array64, dim: number, index: Array64): Array64 {
  const d = normDim(dim, x.shape.length);
  return fromIndex(index.shape, (i) => at(x, [...i.slice(0, d), at(index, i), ...i.slice(d + 1)]));
}

/** torch.scatter_add out of place: x + src added at `index` along `dim`. */
export function scatterAdd(x: Array64, dim: number, index: Array64, src: Array64): Array64 {
  const d = normDim(dim, x.shape.length);
  const data = x.data.slice();
  for (let k = 0; k < index.data.length; k++) {
    const i = unravel(k, index.shape);
    i[d] = index.data[k];
    data[ravel(i, x.shape)] += src.data[k];
  }
  return { shape: x.shape.slice(), data };
}

/** Lower (upper = false) or upper triangle of the last two dims relative to `diagonal`. */
export function triangle(x: Array64, diagonal: number, upper: boolean): Array64 {
  const r = x.shape.length - 2;
  return fromIndex(x.shape, (i) => {
    const offset = i[r + 1] - i[r];
    return (upper ? offset >= diagonal : offset <= diagonal) ? at(x, i) : 0;
  });
}

// ---- linear algebra -------------------------------------------------------------------------

/** torch.matmul: 1-D promotion, batched, broadcasting batch dims. */
export function matmul(a: Array64, b: Array64): Array64 {
  const a2 = a.shape.length === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.shape.length === 1 ? reshape(b, [b.shape[0], 1]) : b;
  const m = a2.shape[a2.shape.length - 2];
  const k = a2.shape[a2.shape.length - 1];
  const n = b2.shape[b2.shape.length - 1];
  if (b2.shape[b2.shape.length - 2] !== k) throw new RangeError('reference matmul: inner dims differ');
  const batch = broadcastShape(a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const aFull = expand(a2, [...batch, m, k]).data;
  const bFull = expand(b2, [...batch, k, n]).data;
  const count = numel(batch);
  const data = new Float64Array(count * m * n);
  for (let t = 0; t < count; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) acc += aFull[(t * m + i) * k + p] * bFull[(t * k + p) * n + j];
        data[(t * m + i) * n + j] = acc;
      }
    }
  }
  let out: Array64 = { shape: [...batch, m, n], data };
  if (a.shape.length === 1) out = reshape(out, [...out.shape.slice(0, -2), out.shape[out.shape.length - 1]]);
  if (b.shape.length === 1) out = reshape(out, out.shape.slice(0, -1));
  return out;
}

// ---- neural-network functions ---------------------------------------------------------------

/** Layer norm over the trailing `normalizedCount` elements of each row, biased variance. */
export function layerNorm(x: Array64, normalizedShape: readonly number[], weight: Array64 | null, bias: Array64 | null, eps: number): Array64 {
  const cols = numel(normalizedShape);
  const data = new Float64Array(x.data.length);
  for (let r = 0; r < x.data.length / cols; r++) {
    const row = Array.from(x.data.subarray(r * cols, (r + 1) * cols));
    const mu = meanOf(row);
    const variance = varianceOf(row, 0);
    for (let c = 0; c < cols; c++) {
      let v = (row[c] - mu) / Math.sqrt(variance + eps);
      if (weight) v *= weight.data[c];
      if (bias) v += bias.data[c];
      data[r * cols + c] = v;
    }
  }
  return { shape: x.shape.slice(), data };
}

/** Applies a loss reduction. */
export function reduceLoss(losses: Array64, reduction: 'mean' | 'sum' | 'none'): Array64 {
  if (reduction === 'none') return losses;
  const total = sumOf(Array.from(losses.data));
  return array64([], [reduction === 'sum' ? total : total / losses.data.length]);
}

/**
 * PyTorch's cross-entropy from logits with class dim 1 — (C), (N, C) or (N, C, d…) — and integer
 * `target` values (as float64) of the input's shape without the class dim.
 */
export function crossEntropy(
  input: Array64,
  target: Array64,
  options: { ignoreIndex?: number; labelSmoothing?: number; reduction?: 'mean' | 'sum' | 'none'; fromLogits?: boolean } = {},
): Array64 {
  const { ignoreIndex = -100, labelSmoothing = 0, reduction = 'mean', fromLogits = true } = options;
  const classDim = input.shape.length === 1 ? 0 : 1;
  const classes = input.shape[classDim];
  const logProbs = fromLogits ? alongDim(input, classDim, logSoftmaxOf) : input;
  const losses = fromIndex(target.shape, (i) => {
    const y = at(target, i);
    if (y === ignoreIndex) return 0;
    const logp = (c: number) => at(logProbs, classDim === 0 ? [c] : [i[0], c, ...i.slice(1)]);
    let smooth = 0;
    for (let c = 0; c < classes; c++) smooth -= logp(c);
    return (1 - labelSmoothing) * -logp(y) + (labelSmoothing * smooth) / classes;
  });
  if (reduction !== 'mean') return reduceLoss(losses, reduction);
  const kept = Array.from(target.data).filter((y) => y !== ignoreIndex).length;
  return array64([], [sumOf(Array.from(losses.data)) / kept]);
}

/** Cross-entropy from logits against class probabilities of the input's shape (class dim 1, or 0 for 1-D). */
export function crossEntropyProbabilities(input: Array64, target: Array64, options: { labelSmoothing?: number; reduction?: 'mean' | 'sum' | 'none' } = {}): Array64 {
  const { labelSmoothing = 0, reduction = 'mean' } = options;
  const classDim = input.shape.length === 1 ? 0 : 1;
  const classes = input.shape[classDim];
  const logProbs = alongDim(input, classDim, logSoftmaxOf);
  const terms = zip(logProbs, target, (lp, q) => -lp * (q * (1 - labelSmoothing) + labelSmoothing / classes));
  return reduceLoss(reduce(terms, classDim, false, sumOf), reduction);
}
