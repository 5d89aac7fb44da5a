/**
 * Spaces: the sets observations and actions live in, after Gymnasium 1.x's
 * `gymnasium/spaces/*.py` (Discrete, Box, MultiDiscrete, MultiBinary, Tuple,
 * Dict). Each space can `sample()` from its own seeded generator and decide
 * whether a value is a member with `contains()`.
 *
 * Value representations (numpy arrays become typed arrays, row-major):
 * - `Discrete` → an integer `number`;
 * - `Box` → a typed array of its dtype (`Float32Array` for `'float32'`, …) of
 *   length `prod(shape)`;
 * - `MultiDiscrete` → `Int32Array` (Gymnasium: int64);
 * - `MultiBinary` → `Int8Array` of 0/1 (Gymnasium: int8);
 * - `Tuple` → an array of member values; `Dict` → a plain object, keys sorted
 *   like Gymnasium sorts a `dict`'s keys.
 */
import { Rng } from './rng.js';

/**
 * Element types a {@link Box} may hold. Gymnasium's common dtypes, minus 64-bit ints (JS has no fast int64 array).
 *
 * @example
 * ```ts
 * new Box({ low: 0, high: 255, shape: [84, 84], dtype: 'uint8' satisfies BoxDtype });
 * ```
 */
export type BoxDtype = 'float32' | 'float64' | 'int32' | 'uint8';

/**
 * The typed array that holds one value of a {@link Box} of dtype `D`.
 *
 * @example
 * ```ts
 * const x: BoxArray<'float32'> = new Float32Array(4);
 * ```
 */
export type BoxArray<D extends BoxDtype = BoxDtype> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int32'
      ? Int32Array
      : D extends 'uint8'
        ? Uint8Array
        : never;

/**
 * Any typed array a space value may be stored in.
 *
 * @example
 * ```ts
 * const values: NumericArray = Int8Array.of(0, 1);
 * ```
 */
export type NumericArray = Float32Array | Float64Array | Int32Array | Int8Array | Uint8Array;

/**
 * The value type of a space: `SpaceValue<Discrete>` is `number`.
 *
 * @example
 * ```ts
 * type Action = SpaceValue<Discrete>; // number
 * ```
 */
export type SpaceValue<S> = S extends Space<infer T> ? T : never;

/** Product of a shape's dimensions (1 for the scalar shape `[]`). */
function shapeSize(shape: readonly number[]): number {
  let size = 1;
  for (const dimension of shape) size *= dimension;
  return size;
}

function checkShape(shape: readonly number[], what: string): void {
  for (const dimension of shape) {
    if (!Number.isInteger(dimension) || dimension < 0) {
      throw new RangeError(`${what} shape must hold non-negative integers, got [${shape.join(', ')}]`);
    }
  }
}

/**
 * Formats a value for error messages without flooding them.
 *
 * @example
 * ```ts
 * describeValue(Float32Array.of(1, 2)); // 'Float32Array [1, 2]'
 * ```
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const array = value as unknown as ArrayLike<number>;
    const shown = Array.from({ length: Math.min(array.length, 8) }, (_, i) => array[i]).join(', ');
    return `${value.constructor.name} [${shown}${array.length > 8 ? ', …' : ''}]`;
  }
  if (Array.isArray(value)) {
    const shown = value.slice(0, 8).map(describeValue).join(', ');
    return `[${shown}${value.length > 8 ? ', …' : ''}]`;
  }
  try {
    const json = JSON.stringify(value);
    return json.length > 120 ? `${json.slice(0, 117)}…` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * Base class of every space (Gymnasium `Space`). A space owns a seeded
 * generator used only by `sample()`.
 *
 * @example
 * ```ts
 * const space: Space<number> = new Discrete(3);
 * space.seed(0);
 * space.contains(space.sample()); // true
 * ```
 */
export abstract class Space<T = unknown> {
  /** Shape of one value (`undefined` for Tuple/Dict, like Gymnasium's `None`). */
  readonly shape: readonly number[] | undefined;
  /** Element type name (`'int64'` for Discrete, as in Gymnasium; the Box dtype; …). */
  readonly dtype: string | undefined;
  private generator: Rng | undefined;

  protected constructor(shape: readonly number[] | undefined, dtype: string | undefined, seed?: number) {
    this.shape = shape === undefined ? undefined : Object.freeze([...shape]);
    this.dtype = dtype;
    if (seed !== undefined) this.generator = new Rng(seed);
  }

  /** The space's generator (lazily seeded from entropy, like Gymnasium's `np_random`). */
  get npRandom(): Rng {
    if (this.generator === undefined) this.generator = new Rng();
    return this.generator;
  }

  /**
   * Seeds the space's generator; returns the seeds used (composite spaces
   * return their own seed followed by their members' seeds).
   */
  seed(seed?: number): number[] {
    this.generator = new Rng(seed);
    return [this.generator.seed];
  }

  /** Draws a random member of the space. */
  abstract sample(mask?: unknown): T;

  /** Whether `value` is a member of the space. */
  abstract contains(value: unknown): boolean;

  /** Whether two spaces describe the same set. */
  abstract equals(other: Space<unknown>): boolean;

  /** Gymnasium-like text form, e.g. `Discrete(2)` or `Box(-1.0, 1.0, (3,), float32)`. */
  abstract toString(): string;
}

// ---------------------------------------------------------------------------
// Discrete
// ---------------------------------------------------------------------------

/**
 * Options of {@link Discrete}.
 *
 * @example
 * ```ts
 * const options: DiscreteOptions = { start: 1, seed: 0 };
 * ```
 */
export interface DiscreteOptions {
  /** Smallest member (Gymnasium `start`, default 0). */
  start?: number;
  /** Seed of the space's generator. */
  seed?: number;
}

/**
 * The integers `{start, start + 1, …, start + n − 1}` (gymnasium/spaces/discrete.py).
 *
 * @example
 * ```ts
 * const actions = new Discrete(4, { seed: 1 });
 * actions.sample();                            // 0..3
 * actions.sample(Int8Array.of(0, 1, 0, 1));    // 1 or 3 (masked)
 * new Discrete(3, { start: -1 }).contains(-1); // true
 * ```
 */
export class Discrete extends Space<number> {
  /** Number of members. */
  readonly n: number;
  /** Smallest member. */
  readonly start: number;

  constructor(n: number, options: DiscreteOptions = {}) {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Discrete n must be a positive integer, got ${describeValue(n)}`);
    const start = options.start ?? 0;
    if (!Number.isInteger(start)) throw new RangeError(`Discrete start must be an integer, got ${describeValue(start)}`);
    super([], 'int64', options.seed);
    this.n = n;
    this.start = start;
  }

  /**
   * A uniform member; with `mask` (length n, 1 = allowed) a uniform member
   * among the allowed ones, or `start` when none is allowed (as Gymnasium);
   * with `probability` (length n, sums to 1) a draw from those weights.
   */
  sample(mask?: ArrayLike<number>, probability?: ArrayLike<number>): number {
    if (mask !== undefined && probability !== undefined) {
      throw new TypeError('Discrete.sample takes a mask or a probability, not both');
    }
    if (mask !== undefined) {
      if (mask.length !== this.n) throw new RangeError(`Discrete.sample mask must have length n=${this.n}, got ${mask.length}`);
      let allowed = 0;
      for (let i = 0; i < mask.length; i++) {
        if (mask[i] !== 0 && mask[i] !== 1) throw new RangeError(`Discrete.sample mask values must be 0 or 1, got ${describeValue(mask[i])} at ${i}`);
        allowed += mask[i];
      }
      if (allowed === 0) return this.start;
      let pick = this.npRandom.integers(allowed);
      for (let i = 0; i < mask.length; i++) {
        if (mask[i] === 1 && pick-- === 0) return this.start + i;
      }
    }
    if (probability !== undefined) {
      if (probability.length !== this.n) throw new RangeError(`Discrete.sample probability must have length n=${this.n}, got ${probability.length}`);
      let total = 0;
      for (let i = 0; i < probability.length; i++) {
        if (!(probability[i] >= 0 && probability[i] <= 1)) throw new RangeError(`Discrete.sample probability values must lie in [0, 1], got ${describeValue(probability[i])} at ${i}`);
        total += probability[i];
      }
      if (Math.abs(total - 1) > 1e-6) throw new RangeError(`Discrete.sample probability must sum to 1, got ${total}`);
      return this.start + this.npRandom.categorical(probability);
    }
    return this.start + this.npRandom.integers(this.n);
  }

  contains(value: unknown): boolean {
    return typeof value === 'number' && Number.isInteger(value) && value >= this.start && value < this.start + this.n;
  }

  equals(other: Space<unknown>): boolean {
    return other instanceof Discrete && other.n === this.n && other.start === this.start;
  }

  toString(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start=${this.start})`;
  }
}

// ---------------------------------------------------------------------------
// Box
// ---------------------------------------------------------------------------

/** Range of each {@link BoxDtype} (float ranges are the finite float limits). */
const DTYPE_LIMITS: Record<BoxDtype, [number, number]> = {
  float32: [-3.4028234663852886e38, 3.4028234663852886e38],
  float64: [-Number.MAX_VALUE, Number.MAX_VALUE],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint8: [0, 255],
};

const ARRAY_CONSTRUCTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint8: Uint8Array,
} as const;

/**
 * Allocates a zeroed typed array of `dtype`.
 *
 * @example
 * ```ts
 * allocateArray('int32', 3); // Int32Array [0, 0, 0]
 * ```
 */
export function allocateArray<D extends BoxDtype>(dtype: D, length: number): BoxArray<D> {
  return new ARRAY_CONSTRUCTORS[dtype](length) as BoxArray<D>;
}

function isIntegerDtype(dtype: BoxDtype): boolean {
  return dtype === 'int32' || dtype === 'uint8';
}

/** numpy's `can_cast(from, to)` (safe casting) for the typed arrays we use. */
function canCastSafely(value: NumericArray, dtype: BoxDtype): boolean {
  if (value instanceof Float64Array) return dtype === 'float64';
  if (value instanceof Float32Array) return dtype === 'float32' || dtype === 'float64';
  if (value instanceof Int32Array) return dtype === 'int32' || dtype === 'float64';
  if (value instanceof Uint8Array) return true;
  if (value instanceof Int8Array) return dtype !== 'uint8';
  return false;
}

/**
 * Options of {@link Box}.
 *
 * @example
 * ```ts
 * const options: BoxOptions<'float64'> = { low: -1, high: 1, shape: [2], dtype: 'float64' };
 * ```
 */
export interface BoxOptions<D extends BoxDtype> {
  /** Lower bound: one number for every coordinate, or one per coordinate. `-Infinity` = unbounded. */
  low: number | ArrayLike<number>;
  /** Upper bound, like `low`. */
  high: number | ArrayLike<number>;
  /** Shape; inferred from an array `low`/`high` (as a vector) when omitted. */
  shape?: readonly number[];
  /** Element type (default `'float32'`, as Gymnasium). */
  dtype?: D;
  /** Seed of the space's generator. */
  seed?: number;
}

/**
 * A (possibly unbounded) box in ℝⁿ, the Cartesian product of n intervals
 * (gymnasium/spaces/box.py). Bounds are stored in the space's dtype, so a
 * `'float32'` box compares against float32-rounded bounds, as numpy does.
 *
 * @example
 * ```ts
 * const box = new Box({ low: -1, high: 1, shape: [3], seed: 0 });
 * const x = box.sample();           // Float32Array(3) in [-1, 1]
 * box.contains(Float32Array.of(0, 0.5, -1)); // true
 * box.contains([0, 2, 0]);          // false
 * ```
 */
export class Box<D extends BoxDtype = 'float32'> extends Space<BoxArray<D>> {
  declare readonly shape: readonly number[];
  declare readonly dtype: D;
  /** Number of coordinates, `prod(shape)`. */
  readonly size: number;
  /** Lower bounds, in the space's dtype (`-Infinity` where unbounded below; the int minimum for int dtypes). */
  readonly low: BoxArray<D>;
  /** Upper bounds, like `low`. */
  readonly high: BoxArray<D>;
  /** Per coordinate: 1 when bounded below. */
  readonly boundedBelow: Uint8Array;
  /** Per coordinate: 1 when bounded above. */
  readonly boundedAbove: Uint8Array;

  constructor(options: BoxOptions<D>) {
    const dtype = (options.dtype ?? 'float32') as D;
    if (!(dtype in DTYPE_LIMITS)) throw new TypeError(`Box dtype must be one of ${Object.keys(DTYPE_LIMITS).join(', ')}, got ${describeValue(dtype)}`);
    let shape = options.shape;
    if (shape === undefined) {
      if (typeof options.low !== 'number') shape = [options.low.length];
      else if (typeof options.high !== 'number') shape = [options.high.length];
      else throw new TypeError('Box shape is not specified and cannot be inferred: give shape, or low/high arrays');
    }
    checkShape(shape, 'Box');
    super(shape, dtype, options.seed);
    this.size = shapeSize(shape);
    const [dtypeMin, dtypeMax] = DTYPE_LIMITS[dtype];
    const integer = isIntegerDtype(dtype);
    this.low = allocateArray(dtype, this.size);
    this.high = allocateArray(dtype, this.size);
    this.boundedBelow = new Uint8Array(this.size);
    this.boundedAbove = new Uint8Array(this.size);
    for (let i = 0; i < this.size; i++) {
      let low = this.bound(options.low, i, 'low');
      let high = this.bound(options.high, i, 'high');
      this.boundedBelow[i] = low > -Infinity ? 1 : 0;
      this.boundedAbove[i] = high < Infinity ? 1 : 0;
      if (integer) {
        if (low === -Infinity) {
          if (dtype === 'uint8') throw new RangeError(`Box unsigned int dtype doesn't support -Infinity, low=${low}`);
          low = dtypeMin;
        }
        if (high === Infinity) high = dtypeMax;
      }
      if (Number.isFinite(low) && low < dtypeMin) throw new RangeError(`Box low is out of bounds of the dtype range, low=${low}, min dtype=${dtypeMin}`);
      if (Number.isFinite(high) && high > dtypeMax) throw new RangeError(`Box high is out of bounds of the dtype range, high=${high}, max dtype=${dtypeMax}`);
      this.low[i] = low;
      this.high[i] = high;
      if (this.low[i] > this.high[i]) throw new RangeError(`Box low must be <= high, got low=${low} > high=${high} at index ${i}`);
    }
  }

  private bound(bound: number | ArrayLike<number>, index: number, name: string): number {
    if (typeof bound === 'number') {
      if (Number.isNaN(bound)) throw new RangeError(`Box ${name} must not be NaN`);
      return bound;
    }
    if (bound.length !== this.size) {
      throw new RangeError(`Box ${name} has ${bound.length} values but shape [${this.shape.join(', ')}] needs ${this.size}`);
    }
    const value = bound[index];
    if (typeof value !== 'number' || Number.isNaN(value)) throw new RangeError(`Box ${name}[${index}] must be a number, got ${describeValue(value)}`);
    return value;
  }

  /** Whether every coordinate is bounded `'below'`, `'above'` or on `'both'` sides. */
  isBounded(manner: 'both' | 'below' | 'above' = 'both'): boolean {
    const below = this.boundedBelow.every((bit) => bit === 1);
    const above = this.boundedAbove.every((bit) => bit === 1);
    if (manner === 'both') return below && above;
    if (manner === 'below') return below;
    if (manner === 'above') return above;
    throw new RangeError(`manner must be one of 'below', 'above', 'both', got ${describeValue(manner)}`);
  }

  /**
   * Samples each coordinate as Gymnasium does: uniform on [low, high],
   * shifted exponential when bounded on one side, normal when unbounded;
   * integer dtypes sample [low, high + 1) and floor.
   */
  sample(mask?: undefined): BoxArray<D> {
    if (mask !== undefined) throw new TypeError(`Box.sample cannot be provided a mask, actual value: ${describeValue(mask)}`);
    const out = allocateArray(this.dtype, this.size);
    const integer = isIntegerDtype(this.dtype);
    const rng = this.npRandom;
    for (let i = 0; i < this.size; i++) {
      const low = this.low[i];
      const high = integer ? this.high[i] + 1 : this.high[i];
      let value: number;
      if (this.boundedBelow[i] && this.boundedAbove[i]) value = rng.uniform(low, high);
      else if (this.boundedBelow[i]) value = low + rng.exponential();
      else if (this.boundedAbove[i]) value = high - rng.exponential();
      else value = rng.normal();
      if (integer) value = Math.min(Math.max(Math.floor(value), this.low[i]), this.high[i]);
      out[i] = value;
    }
    return out;
  }

  /**
   * Membership, as Gymnasium: a typed array must be safely castable to the
   * dtype (a `Float64Array` is not in a float32 box); a plain array is cast
   * to the dtype first; then the length must match and every value lie in
   * [low, high] (NaN never does).
   */
  contains(value: unknown): boolean {
    let array: ArrayLike<number>;
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      if (!canCastSafely(value as NumericArray, this.dtype)) return false;
      array = value as NumericArray;
    } else if (Array.isArray(value)) {
      if (!value.every((item) => typeof item === 'number')) return false;
      const cast = allocateArray(this.dtype, value.length);
      if (isIntegerDtype(this.dtype) && !value.every((item) => Number.isInteger(item))) return false;
      cast.set(value as number[]);
      array = cast;
    } else if (typeof value === 'number' && this.size === 1 && this.shape.length === 0) {
      array = [value];
    } else {
      return false;
    }
    if (array.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) {
      const x = array[i];
      if (!(x >= this.low[i] && x <= this.high[i])) return false;
    }
    return true;
  }

  equals(other: Space<unknown>): boolean {
    if (!(other instanceof Box) || other.dtype !== this.dtype || other.shape.length !== this.shape.length) return false;
    if (other.shape.some((dimension, i) => dimension !== this.shape[i])) return false;
    for (let i = 0; i < this.size; i++) {
      if (!closeBound(this.low[i], other.low[i]) || !closeBound(this.high[i], other.high[i])) return false;
    }
    return true;
  }

  toString(): string {
    const shape = this.shape.length === 1 ? `(${this.shape[0]},)` : `(${this.shape.join(', ')})`;
    return `Box(${shortBounds(this.low)}, ${shortBounds(this.high)}, ${shape}, ${this.dtype})`;
  }
}

function closeBound(a: number, b: number): boolean {
  if (a === b) return true;
  return Math.abs(a - b) <= 1e-8 + 1e-5 * Math.abs(b);
}

/** Shortest decimal that reads back as the same float32 (numpy prints float32 this way). */
function shortestFloat32(x: number): string {
  for (let digits = 1; digits <= 9; digits++) {
    const text = x.toPrecision(digits);
    if (Math.fround(Number(text)) === x) return String(Number(text));
  }
  return String(x);
}

function shortBounds(bounds: ArrayLike<number>): string {
  const float32 = bounds instanceof Float32Array;
  const formatValue = (x: number): string => {
    if (x === Infinity) return 'inf';
    if (x === -Infinity) return '-inf';
    if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
    return float32 ? shortestFloat32(x) : String(x);
  };
  const first = bounds[0];
  let uniform = true;
  for (let i = 1; i < bounds.length; i++) if (bounds[i] !== first) uniform = false;
  if (uniform && bounds.length > 0) return formatValue(first);
  return `[${Array.from(bounds, formatValue).join(' ')}]`;
}

// ---------------------------------------------------------------------------
// MultiDiscrete
// ---------------------------------------------------------------------------

/**
 * Options of {@link MultiDiscrete}.
 *
 * @example
 * ```ts
 * const options: MultiDiscreteOptions = { start: [0, -1] };
 * ```
 */
export interface MultiDiscreteOptions {
  /** Smallest member per coordinate (default all 0). */
  start?: ArrayLike<number>;
  /** Seed of the space's generator. */
  seed?: number;
}

/**
 * A vector of independent discrete choices, coordinate i in
 * `{start[i], …, start[i] + nvec[i] − 1}` (gymnasium/spaces/multi_discrete.py).
 *
 * @example
 * ```ts
 * const space = new MultiDiscrete([5, 2, 2], { seed: 0 });
 * space.sample();                         // Int32Array [3, 0, 1] for example
 * space.contains(Int32Array.of(4, 1, 0)); // true
 * ```
 */
export class MultiDiscrete extends Space<Int32Array> {
  declare readonly shape: readonly number[];
  /** Number of choices per coordinate. */
  readonly nvec: Int32Array;
  /** Smallest member per coordinate. */
  readonly start: Int32Array;

  constructor(nvec: ArrayLike<number>, options: MultiDiscreteOptions = {}) {
    for (let i = 0; i < nvec.length; i++) {
      if (!Number.isInteger(nvec[i]) || nvec[i] <= 0) throw new RangeError(`MultiDiscrete nvec must hold positive integers, got ${describeValue(nvec[i])} at ${i}`);
    }
    const start = options.start ?? new Int32Array(nvec.length);
    if (start.length !== nvec.length) throw new RangeError(`MultiDiscrete start has ${start.length} values but nvec has ${nvec.length}`);
    super([nvec.length], 'int64', options.seed);
    this.nvec = Int32Array.from(nvec);
    this.start = Int32Array.from(start);
  }

  /** Uniform per coordinate; `mask[i]` (length nvec[i], 1 = allowed) restricts coordinate i like {@link Discrete.sample}. */
  sample(mask?: readonly (ArrayLike<number> | undefined)[]): Int32Array {
    if (mask !== undefined && mask.length !== this.nvec.length) throw new RangeError(`MultiDiscrete.sample mask must have ${this.nvec.length} entries, got ${mask.length}`);
    const out = new Int32Array(this.nvec.length);
    for (let i = 0; i < this.nvec.length; i++) {
      const entryMask = mask?.[i];
      if (entryMask === undefined) {
        out[i] = this.start[i] + this.npRandom.integers(this.nvec[i]);
      } else {
        const coordinate = new Discrete(this.nvec[i], { start: this.start[i] });
        (coordinate as unknown as { generator: Rng }).generator = this.npRandom;
        out[i] = coordinate.sample(entryMask);
      }
    }
    return out;
  }

  contains(value: unknown): boolean {
    const array = integerArray(value);
    if (array === undefined || array.length !== this.nvec.length) return false;
    for (let i = 0; i < array.length; i++) {
      if (!(array[i] >= this.start[i] && array[i] < this.start[i] + this.nvec[i])) return false;
    }
    return true;
  }

  equals(other: Space<unknown>): boolean {
    return other instanceof MultiDiscrete && sameNumbers(other.nvec, this.nvec) && sameNumbers(other.start, this.start);
  }

  toString(): string {
    const hasStart = this.start.some((x) => x !== 0);
    return `MultiDiscrete([${this.nvec.join(' ')}]${hasStart ? `, start=[${this.start.join(' ')}]` : ''})`;
  }
}

function integerArray(value: unknown): ArrayLike<number> | undefined {
  if (value instanceof Int32Array || value instanceof Int8Array || value instanceof Uint8Array) return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'number' && Number.isInteger(item))) return value as number[];
  return undefined;
}

function sameNumbers(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------
// MultiBinary
// ---------------------------------------------------------------------------

/**
 * Binary vectors of a fixed shape (gymnasium/spaces/multi_binary.py).
 *
 * @example
 * ```ts
 * const space = new MultiBinary(4, { seed: 0 });
 * space.sample();                            // Int8Array [1, 0, 0, 1] for example
 * space.contains(Int8Array.of(0, 1, 1, 0));  // true
 * ```
 */
export class MultiBinary extends Space<Int8Array> {
  declare readonly shape: readonly number[];
  /** Number of bits, `prod(shape)`. */
  readonly size: number;

  /** @param n number of bits, or a shape. */
  constructor(n: number | readonly number[], options: { seed?: number } = {}) {
    const shape = typeof n === 'number' ? [n] : [...n];
    checkShape(shape, 'MultiBinary');
    super(shape, 'int8', options.seed);
    this.size = shapeSize(shape);
  }

  /** Each bit a fair coin; `mask[i]` 0 or 1 fixes bit i, 2 leaves it random (as Gymnasium). */
  sample(mask?: ArrayLike<number>): Int8Array {
    if (mask !== undefined && mask.length !== this.size) throw new RangeError(`MultiBinary.sample mask must have ${this.size} values, got ${mask.length}`);
    const out = new Int8Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const fixed = mask?.[i];
      if (fixed === undefined || fixed === 2) out[i] = this.npRandom.integers(2);
      else if (fixed === 0 || fixed === 1) out[i] = fixed;
      else throw new RangeError(`MultiBinary.sample mask values must be 0, 1 or 2, got ${describeValue(fixed)} at ${i}`);
    }
    return out;
  }

  contains(value: unknown): boolean {
    const array = integerArray(value);
    if (array === undefined || array.length !== this.size) return false;
    for (let i = 0; i < array.length; i++) if (array[i] !== 0 && array[i] !== 1) return false;
    return true;
  }

  equals(other: Space<unknown>): boolean {
    return other instanceof MultiBinary && sameNumbers(other.shape, this.shape);
  }

  toString(): string {
    return `MultiBinary(${this.shape.length === 1 ? this.shape[0] : `(${this.shape.join(', ')})`})`;
  }
}

// ---------------------------------------------------------------------------
// Tuple and Dict
// ---------------------------------------------------------------------------

/** Draws one sub-seed per member from a composite space's own generator (as Gymnasium's Tuple/Dict.seed). */
function subSeeds(rng: Rng, count: number): number[] {
  return Array.from({ length: count }, () => rng.integers(2 ** 31 - 1));
}

/**
 * A Cartesian product of spaces; values are arrays (gymnasium/spaces/tuple.py).
 *
 * @example
 * ```ts
 * const space = new Tuple([new Discrete(2), new Box({ low: 0, high: 1, shape: [2] })], { seed: 0 });
 * const [bit, point] = space.sample(); // number, Float32Array(2)
 * space.contains([1, Float32Array.of(0.5, 0.5)]); // true
 * ```
 */
export class Tuple<const S extends readonly Space<unknown>[]> extends Space<{ -readonly [K in keyof S]: SpaceValue<S[K]> }> {
  /** The member spaces. */
  readonly spaces: S;

  constructor(spaces: S, options: { seed?: number } = {}) {
    for (const [i, space] of spaces.entries()) {
      if (!(space instanceof Space)) throw new TypeError(`Tuple member ${i} must be a Space, got ${describeValue(space)}`);
    }
    super(undefined, undefined);
    this.spaces = Object.freeze([...spaces]) as unknown as S;
    if (options.seed !== undefined) this.seed(options.seed);
  }

  /** Seeds the tuple, then each member with a sub-seed drawn from it; an array gives each member its own seed. */
  override seed(seed?: number | readonly number[]): number[] {
    if (Array.isArray(seed)) {
      if (seed.length !== this.spaces.length) throw new RangeError(`Tuple.seed expects ${this.spaces.length} seeds, got ${seed.length}`);
      return this.spaces.flatMap((space, i) => space.seed(seed[i] as number));
    }
    const seeds = super.seed(seed as number | undefined);
    const members = subSeeds(this.npRandom, this.spaces.length);
    return seeds.concat(this.spaces.flatMap((space, i) => space.seed(members[i])));
  }

  /** One sample per member; `mask[i]` is passed to member i. */
  sample(mask?: readonly unknown[]): { -readonly [K in keyof S]: SpaceValue<S[K]> } {
    return this.spaces.map((space, i) => space.sample(mask?.[i])) as { -readonly [K in keyof S]: SpaceValue<S[K]> };
  }

  contains(value: unknown): boolean {
    return Array.isArray(value) && value.length === this.spaces.length && this.spaces.every((space, i) => space.contains(value[i]));
  }

  equals(other: Space<unknown>): boolean {
    return other instanceof Tuple && other.spaces.length === this.spaces.length && this.spaces.every((space, i) => space.equals(other.spaces[i]));
  }

  toString(): string {
    return `Tuple(${this.spaces.map(String).join(', ')})`;
  }
}

/**
 * A named product of spaces; values are plain objects. Keys are sorted, as
 * Gymnasium sorts the keys of a `dict` (gymnasium/spaces/dict.py).
 *
 * @example
 * ```ts
 * const space = new Dict({ position: new Box({ low: -1, high: 1, shape: [2] }), gear: new Discrete(3) }, { seed: 0 });
 * const { gear, position } = space.sample();
 * space.contains({ gear: 2, position: Float32Array.of(0, 0) }); // true
 * ```
 */
export class Dict<S extends Record<string, Space<unknown>>> extends Space<{ [K in keyof S]: SpaceValue<S[K]> }> {
  /** The member spaces, keys sorted. */
  readonly spaces: Readonly<S>;
  /** Sorted keys. */
  readonly keys: readonly (keyof S & string)[];

  constructor(spaces: S, options: { seed?: number } = {}) {
    const keys = Object.keys(spaces).sort();
    for (const key of keys) {
      if (!(spaces[key] instanceof Space)) throw new TypeError(`Dict member '${key}' must be a Space, got ${describeValue(spaces[key])}`);
    }
    super(undefined, undefined);
    const sorted = {} as S;
    for (const key of keys) (sorted as Record<string, Space<unknown>>)[key] = spaces[key];
    this.spaces = Object.freeze(sorted);
    this.keys = Object.freeze(keys);
    if (options.seed !== undefined) this.seed(options.seed);
  }

  /** Seeds the dict, then each member (in key order) with a sub-seed; an object gives each member its own seed. */
  override seed(seed?: number | Readonly<Record<string, number>>): number[] {
    if (typeof seed === 'object' && seed !== null) {
      return this.keys.flatMap((key) => {
        if (!(key in seed)) throw new RangeError(`Dict.seed is missing a seed for key '${key}'`);
        return this.spaces[key].seed(seed[key]);
      });
    }
    const seeds = super.seed(seed);
    const members = subSeeds(this.npRandom, this.keys.length);
    return seeds.concat(this.keys.flatMap((key, i) => this.spaces[key].seed(members[i])));
  }

  /** One sample per member; `mask[key]` is passed to that member. */
  sample(mask?: Readonly<Record<string, unknown>>): { [K in keyof S]: SpaceValue<S[K]> } {
    const out: Record<string, unknown> = {};
    for (const key of this.keys) out[key] = this.spaces[key].sample(mask?.[key]);
    return out as { [K in keyof S]: SpaceValue<S[K]> };
  }

  contains(value: unknown): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) return false;
    const record = value as Record<string, unknown>;
    if (Object.keys(record).length !== this.keys.length) return false;
    return this.keys.every((key) => key in record && this.spaces[key].contains(record[key]));
  }

  equals(other: Space<unknown>): boolean {
    return (
      other instanceof Dict &&
      other.keys.length === this.keys.length &&
      this.keys.every((key, i) => other.keys[i] === key && this.spaces[key].equals(other.spaces[key]))
    );
  }

  toString(): string {
    return `Dict(${this.keys.map((key) => `'${key}': ${String(this.spaces[key])}`).join(', ')})`;
  }
}

// ---------------------------------------------------------------------------
// PredicateSpace (not in Gymnasium)
// ---------------------------------------------------------------------------

/**
 * Options of {@link PredicateSpace}.
 *
 * @example
 * ```ts
 * const options: PredicateSpaceOptions<string> = { name: 'Prompt', contains: (x) => typeof x === 'string' };
 * ```
 */
export interface PredicateSpaceOptions<T> {
  /** Name shown by `toString()`, e.g. `'Prompt'`. */
  name: string;
  /** Membership test (default: anything but `undefined`). */
  contains?: (value: unknown) => boolean;
  /** Sampler drawing from the space's generator; without one `sample()` throws. */
  sample?: (rng: Rng) => T;
  /** Seed of the space's generator. */
  seed?: number;
}

/**
 * A space of arbitrary values described by a membership predicate and an
 * optional sampler — for observations and actions that are not arrays, such
 * as the prompts and responses of {@link LanguageModelBanditEnv}. Gymnasium
 * has no direct counterpart (its `Text` space is the closest).
 *
 * @example
 * ```ts
 * const prompts = ['Hi', 'Hello'];
 * const space = new PredicateSpace<string>({
 *   name: 'Prompt',
 *   contains: (x) => typeof x === 'string',
 *   sample: (rng) => rng.choice(prompts),
 * });
 * space.contains('anything'); // true
 * ```
 */
export class PredicateSpace<T> extends Space<T> {
  /** Display name. */
  readonly name: string;
  private readonly predicate: (value: unknown) => boolean;
  private readonly sampler: ((rng: Rng) => T) | undefined;

  constructor(options: PredicateSpaceOptions<T>) {
    super(undefined, undefined, options.seed);
    this.name = options.name;
    this.predicate = options.contains ?? ((value) => value !== undefined);
    this.sampler = options.sample;
  }

  sample(): T {
    if (this.sampler === undefined) throw new TypeError(`${this.name} space has no sampler; pass options.sample to sample from it`);
    return this.sampler(this.npRandom);
  }

  contains(value: unknown): boolean {
    return this.predicate(value);
  }

  equals(other: Space<unknown>): boolean {
    return other === this;
  }

  toString(): string {
    return `PredicateSpace(${this.name})`;
  }
}
