// Shape arithmetic shared by every op: sizes, strides, broadcasting, dim normalisation.
// Errors raised here name the op and the shapes involved.

/**
 * A tensor shape: one non-negative integer per dimension.
 *
 * @example
 * ```ts
 * const shape: Shape = [2, 3];
 * zeros(shape);
 * ```
 */
export type Shape = readonly number[];

/** Number of elements in `shape` (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let size = 1;
  for (let i = 0; i < shape.length; i++) size *= shape[i];
  return size;
}

/** Row-major (C-contiguous) strides of `shape`, in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

/** Formats a shape the way error messages print it: `[2, 3]`. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Equality of two shapes. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The broadcast shape of `a` and `b` under NumPy/PyTorch rules, or an error naming `op` and both shapes.
 *
 * @example
 * ```ts
 * broadcastShapes('add', [4, 1], [3]); // [4, 3]; the op name goes into the error message
 * ```
 */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  if (shapesEqual(a, b)) return a.slice();
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(
        `${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together (dim ${i - rank}: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalises a possibly negative `dim` for a tensor of `rank` dims, or throws naming `op`. */
export function normalizeDim(op: string, dim: number, rank: number): number {
  const lo = rank === 0 ? -1 : -rank;
  const hi = rank === 0 ? 0 : rank - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    throw new RangeError(`${op}: dim ${dim} is out of range for a tensor of rank ${rank} (expected ${lo}..${hi})`);
  }
  return dim < 0 ? dim + Math.max(rank, 1) : dim;
}

/** Normalises and sorts a dims argument (`undefined` = all dims), rejecting duplicates. */
export function normalizeDims(op: string, dims: number | readonly number[] | undefined, rank: number): number[] {
  if (dims === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : dims;
  const out = list.map((d) => normalizeDim(op, d, rank));
  out.sort((x, y) => x - y);
  for (let i = 1; i < out.length; i++) {
    if (out[i] === out[i - 1]) throw new RangeError(`${op}: dim ${out[i]} appears more than once in ${JSON.stringify(dims)}`);
  }
  return rank === 0 ? [] : out;
}

/** Checks that every entry of `shape` is a non-negative integer, naming `op` and `argument` on failure. */
export function checkShape(op: string, shape: Shape, argument = 'shape'): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${op}: ${argument} must hold non-negative integers, got ${formatShape(shape)}`);
    }
  }
}

/** Resolves a target shape for reshape (one entry may be -1) against `size` elements. */
export function inferReshape(op: string, from: Shape, to: readonly number[]): number[] {
  const size = sizeOf(from);
  let inferred = -1;
  let known = 1;
  for (let i = 0; i < to.length; i++) {
    const d = to[i];
    if (d === -1) {
      if (inferred >= 0) throw new RangeError(`${op}: only one dimension can be -1, got ${formatShape(to)}`);
      inferred = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${op}: invalid dimension ${d} in ${formatShape(to)}`);
    } else {
      known *= d;
    }
  }
  const out = to.slice();
  if (inferred >= 0) {
    if (known === 0 || size % known !== 0) {
      throw new RangeError(`${op}: shape ${formatShape(to)} is invalid for input of size ${size} (shape ${formatShape(from)})`);
    }
    out[inferred] = size / known;
  } else if (known !== size) {
    throw new RangeError(`${op}: shape ${formatShape(to)} is invalid for input of size ${size} (shape ${formatShape(from)})`);
  }
  return out;
}
