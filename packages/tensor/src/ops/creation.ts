// Tensor creation: from data, constant fills, ranges, identity, and seeded random tensors
// (uniform, normal, integers, categorical/multinomial sampling).

import type { Backend } from '../backend.js';
import { allocArray, dtypeOfArray, type DType, type TypedArray } from '../dtype.js';
import { getBackend, noGrad } from '../engine.js';
import { getDefaultGenerator, type Generator } from '../random.js';
import { checkShape, formatShape, sizeOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { add, log, where } from './elementwise.js';
import { argmax } from './reduce.js';
import { stack } from './shape.js';
import { checkTensor, describe, wrap } from './util.js';

/**
 * Options shared by the creation functions.
 *
 * @example
 * ```ts
 * const options: CreationOptions = { dtype: 'int32', requiresGrad: false };
 * zeros([2, 3], options);
 * ```
 */
export interface CreationOptions {
  /** Element type; defaults to float32 (int32 for `randint`, `arange` over integers). */
  dtype?: DType;
  /** Make the new tensor a leaf that records gradients. */
  requiresGrad?: boolean;
  /** Backend to create the tensor on (an instance); defaults to the active backend. */
  backend?: Backend;
}

/**
 * Options of the random creation functions.
 *
 * @example
 * ```ts
 * const options: RandomOptions = { generator: new Generator(1), dtype: 'float32' };
 * randn([4], options);
 * ```
 */
export interface RandomOptions extends CreationOptions {
  /** Generator to draw from; defaults to the global one seeded by `manualSeed`. */
  generator?: Generator;
}

/**
 * Nested arrays of numbers or booleans accepted by `tensor`.
 *
 * @example
 * ```ts
 * const input: NestedInput = [[1, 2], [3, 4]];
 * tensor(input).shape; // [2, 2]
 * ```
 */
export type NestedInput = number | boolean | readonly NestedInput[];

function finish(values: TypedArray, shape: Shape, dtype: DType, options: CreationOptions): Tensor {
  const backend = options.backend ?? getBackend();
  const out = wrap(backend, backend.upload(values, dtype), shape, dtype);
  if (options.requiresGrad) out.requiresGrad = true;
  return out;
}

function checkDtypeOption(op: string, dtype: unknown): void {
  if (dtype !== undefined && dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
    throw new TypeError(`${op}: dtype must be 'float32', 'int32' or 'bool', got ${describe(dtype)}`);
  }
}

/**
 * Creates a tensor from a number, nested arrays, or a typed array (with `shape`). Numbers become
 * float32 unless `dtype` says otherwise (JavaScript has no integer literals); booleans become bool.
 *
 * @example
 * ```ts
 * tensor([[1, 2], [3, 4]]);                                 // float32, shape [2, 2]
 * tensor([0, 2, 1], { dtype: 'int32' });                    // class indices
 * tensor(new Float32Array(6), { shape: [2, 3] });
 * ```
 */
export function tensor(data: NestedInput | TypedArray | readonly number[], options: CreationOptions & { shape?: readonly number[] } = {}): Tensor {
  checkDtypeOption('tensor', options.dtype);
  let shape: number[];
  let flat: ArrayLike<number>;
  let inferred: DType = 'float32';
  if (ArrayBuffer.isView(data)) {
    const typed = data as TypedArray;
    inferred = dtypeOfArray(typed) ?? 'float32';
    flat = typed;
    shape = options.shape ? options.shape.slice() : [typed.length];
  } else {
    const parsed = flattenNested(data);
    flat = parsed.values;
    shape = options.shape ? options.shape.slice() : parsed.shape;
    if (parsed.boolean) inferred = 'bool';
  }
  checkShape('tensor', shape);
  if (sizeOf(shape) !== flat.length) {
    throw new RangeError(`tensor: shape ${formatShape(shape)} needs ${sizeOf(shape)} values, got ${flat.length}`);
  }
  const dtype = options.dtype ?? inferred;
  const values = allocArray(dtype, flat.length);
  if (dtype === 'int32') for (let i = 0; i < flat.length; i++) values[i] = Math.trunc(flat[i]);
  else if (dtype === 'bool') for (let i = 0; i < flat.length; i++) values[i] = flat[i] ? 1 : 0;
  else values.set(flat as ArrayLike<number>);
  return finish(values, shape, dtype, options);
}

function flattenNested(data: NestedInput): { values: number[]; shape: number[]; boolean: boolean } {
  const shape: number[] = [];
  let probe: NestedInput = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = (probe as readonly NestedInput[])[0];
  }
  const values: number[] = [];
  let boolean = typeof probe === 'boolean';
  const walk = (value: NestedInput, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof value === 'boolean') values.push(value ? 1 : 0);
      else if (typeof value === 'number') {
        values.push(value);
        boolean = false;
      } else throw new TypeError(`tensor: expected a number or boolean at ${path || 'the top level'}, got ${describe(value)}`);
      return;
    }
    if (!Array.isArray(value) || value.length !== shape[depth]) {
      throw new RangeError(`tensor: ragged nested array at ${path || 'the top level'}: expected an array of length ${shape[depth]}, got ${describe(value)}`);
    }
    for (let i = 0; i < value.length; i++) walk(value[i], depth + 1, `${path}[${i}]`);
  };
  walk(data, 0, '');
  return { values, shape, boolean };
}

/**
 * A 0-d tensor holding `value`.
 *
 * @example
 * ```ts
 * scalar(3.5).shape; // []
 * ```
 */
export function scalar(value: number, options: CreationOptions = {}): Tensor {
  return full([], value, options);
}

/**
 * A tensor of `shape` filled with `value`.
 *
 * @example
 * ```ts
 * full([2, 2], 7);
 * ```
 */
export function full(shape: readonly number[], value: number, options: CreationOptions = {}): Tensor {
  checkShape('full', shape);
  checkDtypeOption('full', options.dtype);
  const dtype = options.dtype ?? 'float32';
  const backend = options.backend ?? getBackend();
  // Store the value as the dtype would hold it: bool is 0/1, int32 truncates.
  const stored = dtype === 'bool' ? (value ? 1 : 0) : dtype === 'int32' ? Math.trunc(value) : value;
  const out = wrap(backend, backend.fill(sizeOf(shape), dtype, stored), shape, dtype);
  if (options.requiresGrad) out.requiresGrad = true;
  return out;
}

/**
 * Zeros of `shape`.
 *
 * @example
 * ```ts
 * zeros([2, 3]); // float32 (2, 3) of zeros
 * ```
 */
export function zeros(shape: readonly number[], options: CreationOptions = {}): Tensor {
  return full(shape, 0, options);
}

/**
 * Ones of `shape`.
 *
 * @example
 * ```ts
 * ones([2, 3]); // float32 (2, 3) of ones
 * ```
 */
export function ones(shape: readonly number[], options: CreationOptions = {}): Tensor {
  return full(shape, 1, options);
}

/**
 * Zeros shaped and typed like `x`, on its backend.
 *
 * @example
 * ```ts
 * zerosLike(ones([2, 2])); // zeros of the same shape and dtype
 * ```
 */
export function zerosLike(x: Tensor, options: CreationOptions = {}): Tensor {
  return full(x.shape, 0, { dtype: x.dtype, backend: x.backend, ...options });
}

/**
 * Ones shaped and typed like `x`, on its backend.
 *
 * @example
 * ```ts
 * onesLike(zeros([2, 2], { dtype: 'int32' })); // int32 ones
 * ```
 */
export function onesLike(x: Tensor, options: CreationOptions = {}): Tensor {
  return full(x.shape, 1, { dtype: x.dtype, backend: x.backend, ...options });
}

/**
 * `value` shaped and typed like `x`.
 *
 * @example
 * ```ts
 * fullLike(zeros([2, 2]), 7); // [[7, 7], [7, 7]]
 * ```
 */
export function fullLike(x: Tensor, value: number, options: CreationOptions = {}): Tensor {
  return full(x.shape, value, { dtype: x.dtype, backend: x.backend, ...options });
}

/**
 * Values from `start` to `end` (exclusive) by `step`; with one argument, 0..start. int32 when all
 * arguments are integers, else float32.
 *
 * @example
 * ```ts
 * arange(5);          // [0, 1, 2, 3, 4]
 * arange(0, 1, 0.25); // [0, 0.25, 0.5, 0.75]
 * ```
 */
export function arange(start: number, end?: number, step = 1, options: CreationOptions = {}): Tensor {
  const [from, to] = end === undefined ? [0, start] : [start, end];
  if (step === 0 || !Number.isFinite(step)) throw new RangeError(`arange: step must be a nonzero finite number, got ${step}`);
  const count = Math.max(0, Math.ceil((to - from) / step));
  const dtype = options.dtype ?? ([from, to, step].every(Number.isInteger) ? 'int32' : 'float32');
  const values = allocArray(dtype, count);
  for (let i = 0; i < count; i++) values[i] = from + i * step;
  return finish(values, [count], dtype, options);
}

/**
 * `steps` evenly spaced values from `start` to `end` inclusive.
 *
 * @example
 * ```ts
 * linspace(0, 1, 5); // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(start: number, end: number, steps: number, options: CreationOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const values = allocArray(options.dtype ?? 'float32', steps);
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Fill symmetrically from both ends, as PyTorch does, so the last value is exactly `end`.
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) values[i] = i < half ? start + i * delta : end - (steps - 1 - i) * delta;
  if (steps === 1) values[0] = start;
  return finish(values, [steps], options.dtype ?? 'float32', options);
}

/**
 * An n×m identity matrix (m defaults to n).
 *
 * @example
 * ```ts
 * eye(3);
 * ```
 */
export function eye(n: number, m = n, options: CreationOptions = {}): Tensor {
  checkShape('eye', [n, m]);
  const dtype = options.dtype ?? 'float32';
  const values = allocArray(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) values[i * m + i] = 1;
  return finish(values, [n, m], dtype, options);
}

/**
 * Uniform samples in [0, 1).
 *
 * @example
 * ```ts
 * rand([2, 2], { generator: new Generator(0) });
 * ```
 */
export function rand(shape: readonly number[], options: RandomOptions = {}): Tensor {
  checkShape('rand', shape);
  const generator = options.generator ?? getDefaultGenerator();
  const values = new Float32Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = generator.random();
  return finish(values, shape, 'float32', options);
}

/**
 * Standard normal samples (times `std`, plus `mean` when given).
 *
 * @example
 * ```ts
 * randn([3], { generator: new Generator(1) });
 * ```
 */
export function randn(shape: readonly number[], options: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  checkShape('randn', shape);
  const generator = options.generator ?? getDefaultGenerator();
  const { mean = 0, std = 1 } = options;
  const values = new Float32Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = mean + std * generator.normal();
  return finish(values, shape, 'float32', options);
}

/**
 * Uniform integers in [low, high), int32.
 *
 * @example
 * ```ts
 * randint(0, 10, [5]);
 * ```
 */
export function randint(low: number, high: number, shape: readonly number[], options: RandomOptions = {}): Tensor {
  checkShape('randint', shape);
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new RangeError(`randint: expected integers low < high, got low=${low}, high=${high}`);
  }
  const generator = options.generator ?? getDefaultGenerator();
  const dtype = options.dtype ?? 'int32';
  const values = allocArray(dtype, sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = generator.randint(low, high);
  return finish(values, shape, dtype, options);
}

/**
 * Uniform [0, 1) samples shaped like `x`.
 *
 * @example
 * ```ts
 * randLike(zeros([2, 3]), { generator: new Generator(0) }); // U[0, 1), shape (2, 3)
 * ```
 */
export function randLike(x: Tensor, options: RandomOptions = {}): Tensor {
  return rand(x.shape, { backend: x.backend, ...options });
}

/**
 * Standard normal samples shaped like `x`.
 *
 * @example
 * ```ts
 * randnLike(zeros([2, 3]), { generator: new Generator(0) }); // N(0, 1), shape (2, 3)
 * ```
 */
export function randnLike(x: Tensor, options: RandomOptions = {}): Tensor {
  return randn(x.shape, { backend: x.backend, ...options });
}

/** Gumbel(0, 1) noise −log(−log U), drawn on the host and uploaded. */
function gumbel(shape: Shape, backend: Backend, generator: Generator): Tensor {
  const values = new Float32Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) {
    let u = generator.random();
    while (u === 0) u = generator.random();
    values[i] = -Math.log(-Math.log(u));
  }
  return wrap(backend, backend.upload(values, 'float32'), shape, 'float32');
}

/**
 * One sample per row from the categorical distribution with (unnormalised) `logits` over the last
 * dim, by the Gumbel-max trick (no readback, so it runs on any backend). Returns int32 indices of
 * shape logits.shape[:-1].
 *
 * @example
 * ```ts
 * const policyLogits = tensor([[0, 0, 1], [2, 0, 0]]); // (B=2, A=3)
 * const generator = new Generator(0);
 * const actions = categorical(policyLogits, { generator }); // int32 (2)
 * ```
 */
export function categorical(logits: Tensor, options: { generator?: Generator } = {}): Tensor {
  checkTensor('categorical', 'logits', logits);
  if (logits.ndim === 0) throw new RangeError('categorical: logits must have at least 1 dim (the categories)');
  return noGrad(() => {
    const noise = gumbel(logits.shape, logits.backend, options.generator ?? getDefaultGenerator());
    const perturbed = add(logits, noise);
    const out = argmax(perturbed, -1);
    noise.dispose();
    perturbed.dispose();
    return out;
  });
}

/**
 * `torch.multinomial`: `numSamples` category indices per row of non-negative `probs` (1-D or 2-D,
 * need not sum to 1), with or without replacement (Gumbel-top-k for the latter). int32 result of
 * shape [..., numSamples].
 *
 * @example
 * ```ts
 * multinomial(tensor([0.1, 0.6, 0.3]), 2); // two distinct indices
 * ```
 */
export function multinomial(probs: Tensor, numSamples: number, options: { replacement?: boolean; generator?: Generator } = {}): Tensor {
  checkTensor('multinomial', 'probs', probs);
  if (probs.ndim < 1 || probs.ndim > 2) throw new RangeError(`multinomial: probs must be 1-D or 2-D, got shape ${formatShape(probs.shape)}`);
  const categories = probs.shape[probs.ndim - 1];
  const { replacement = false } = options;
  if (!Number.isInteger(numSamples) || numSamples <= 0) throw new RangeError(`multinomial: numSamples must be a positive integer, got ${numSamples}`);
  if (!replacement && numSamples > categories) {
    throw new RangeError(`multinomial: cannot draw ${numSamples} samples without replacement from ${categories} categories`);
  }
  const generator = options.generator ?? getDefaultGenerator();
  return noGrad(() => {
    let logits = log(probs);
    const samples: Tensor[] = [];
    for (let s = 0; s < numSamples; s++) {
      const noise = gumbel(logits.shape, probs.backend, generator);
      const perturbed = add(logits, noise);
      const choice = argmax(perturbed, -1, true);
      samples.push(choice);
      if (!replacement) {
        // Remove the chosen category: its logit becomes −∞.
        const taken = isCategory(choice, categories, probs.backend);
        const next = where(taken, -Infinity, logits);
        logits.dispose();
        taken.dispose();
        logits = next;
      }
      noise.dispose();
      perturbed.dispose();
    }
    logits.dispose();
    const out = stack(samples, -1).reshape([...probs.shape.slice(0, -1), numSamples]);
    for (const s of samples) s.dispose();
    return out;
  });
}

/** (…, 1) index → (…, categories) bool mask, true at the index. */
function isCategory(index: Tensor, categories: number, backend: Backend): Tensor {
  const range = arange(0, categories, 1, { backend, dtype: 'int32' });
  const hit = index.eq(range);
  range.dispose();
  return hit;
}
