// Closeness checks shared by every backend's tests (jax-js's `toBeAllclose`, numpy's `allclose`).
// They throw plain Errors with the first mismatching indices, so they work under any test runner;
// `allcloseMatchers` adapts them to vitest/jest's `expect.extend`.

import type { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';

/** Tolerances of a closeness check: |actual − expected| ≤ atol + rtol·|expected|, elementwise. */
export interface Tolerance {
  /** Relative tolerance (default 1e-5, a few float32 ulps after a handful of roundings). */
  rtol?: number;
  /** Absolute tolerance (default 1e-6), for values near zero. */
  atol?: number;
}

/** Options of `expectAllclose`: tolerances plus optional shape and dtype expectations. */
export interface AllcloseOptions extends Tolerance {
  /** Treat NaN as equal to NaN (default true: tests state where NaN is expected). */
  equalNan?: boolean;
  /** Expected shape; inferred from nested-array `expected` values and required to match a Tensor `actual`. */
  shape?: readonly number[];
  /** Expected dtype of a Tensor `actual`. */
  dtype?: DType;
  /** A label prefixed to failure messages (the op under test). */
  label?: string;
}

/** A number, a flat array, or nested arrays of numbers/booleans (the shape is taken from the nesting). */
export type Expected = number | boolean | ArrayLike<number> | readonly Expected[];

/** Default tolerances: float32 results of short computations. */
export const DEFAULT_TOLERANCE: Required<Tolerance> = { rtol: 1e-5, atol: 1e-6 };

const MAX_REPORTED = 8;

function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && (value as { __isAttuneTensor?: boolean }).__isAttuneTensor === true;
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Flattens a number, typed array or nested arrays into values and the nesting's shape. */
export function flattenExpected(expected: Expected): { values: number[]; shape: number[] | null } {
  if (typeof expected === 'number' || typeof expected === 'boolean') return { values: [Number(expected)], shape: [] };
  if (ArrayBuffer.isView(expected)) return { values: Array.from(expected as ArrayLike<number>), shape: null };
  const shape: number[] = [];
  let probe: unknown = expected;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const values: number[] = [];
  const walk = (value: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof value !== 'number' && typeof value !== 'boolean') throw new TypeError(`expectAllclose: expected values must be numbers, got ${typeof value}`);
      values.push(Number(value));
      return;
    }
    if (!Array.isArray(value) || value.length !== shape[depth]) throw new TypeError('expectAllclose: ragged nested array in expected values');
    for (const item of value) walk(item, depth + 1);
  };
  walk(expected, 0);
  return { values, shape };
}

function formatNumber(value: number): string {
  if (Number.isNaN(value) || !Number.isFinite(value) || value === 0) return String(value);
  const abs = Math.abs(value);
  return abs >= 1e-3 && abs < 1e6 ? String(Number(value.toPrecision(9))) : value.toExponential(6);
}

function unravel(flat: number, shape: readonly number[] | null): string {
  if (!shape || shape.length <= 1) return String(flat);
  const index = new Array<number>(shape.length);
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = rest % shape[d];
    rest = Math.floor(rest / shape[d]);
  }
  return `[${index.join(', ')}] (flat ${flat})`;
}

/**
 * Compares two flat arrays elementwise and returns a failure message listing the first mismatches
 * (index, actual, expected, difference), or null when every element is close. Infinities must match
 * exactly.
 *
 * @example
 * ```ts
 * allcloseMessage([1, 2.0001], [1, 2], { rtol: 1e-3 }); // null
 * ```
 */
export function allcloseMessage(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  options: Tolerance & { equalNan?: boolean; shape?: readonly number[] | null; label?: string } = {},
): string | null {
  const { rtol = DEFAULT_TOLERANCE.rtol, atol = DEFAULT_TOLERANCE.atol, equalNan = true } = options;
  const prefix = options.label ? `${options.label}: ` : '';
  if (actual.length !== expected.length) {
    return `${prefix}expected ${expected.length} elements, got ${actual.length}`;
  }
  const bad: string[] = [];
  let count = 0;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    let ok: boolean;
    if (Number.isNaN(e) || Number.isNaN(a)) ok = equalNan && Number.isNaN(a) && Number.isNaN(e);
    else if (!Number.isFinite(e) || !Number.isFinite(a)) ok = a === e;
    else ok = Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (ok) continue;
    count++;
    const diff = Math.abs(a - e);
    if (Number.isFinite(diff)) worst = Math.max(worst, diff);
    if (bad.length < MAX_REPORTED) {
      bad.push(`  at ${unravel(i, options.shape ?? null)}: actual ${formatNumber(a)}, expected ${formatNumber(e)} (|diff| ${formatNumber(diff)})`);
    }
  }
  if (count === 0) return null;
  const more = count > bad.length ? `\n  … and ${count - bad.length} more` : '';
  return `${prefix}${count} of ${actual.length} elements differ beyond atol=${atol}, rtol=${rtol} (largest |diff| ${formatNumber(worst)}):\n${bad.join('\n')}${more}`;
}

/**
 * Synchronous closeness assertion on host values; throws an Error naming the mismatching indices.
 *
 * @example
 * ```ts
 * assertAllclose(new Float32Array([0.1 + 0.2]), [0.3]);
 * ```
 */
export function assertAllclose(actual: Expected, expected: Expected, options: AllcloseOptions = {}): void {
  const a = flattenExpected(actual);
  const e = flattenExpected(expected);
  const shape = options.shape ?? e.shape ?? a.shape;
  if (a.shape && e.shape && formatShape(a.shape) !== formatShape(e.shape)) {
    // Nested arrays on both sides must agree on shape, not only on element count.
    throw new Error(`${options.label ? `${options.label}: ` : ''}expected shape ${formatShape(e.shape)}, got ${formatShape(a.shape)}`);
  }
  const message = allcloseMessage(a.values, e.values, { ...options, shape });
  if (message) throw new Error(message);
}

/**
 * Asserts that `actual` is elementwise close to `expected`. A Tensor is read with `await data()`, so
 * this works on asynchronous (GPU) backends; its shape must equal `options.shape`, or the nesting of
 * `expected`, or an expected Tensor's shape, and its dtype `options.dtype` when given. Throws an Error
 * listing the first mismatching indices with actual and expected values.
 *
 * @example
 * ```ts
 * await expectAllclose(softmax(tensor([0, 0]), -1), [0.5, 0.5]);
 * await expectAllclose(x.matmul(y), [[1, 2], [3, 4]], { rtol: 1e-4, dtype: 'float32' });
 * ```
 */
export async function expectAllclose(actual: Tensor | Expected, expected: Tensor | Expected, options: AllcloseOptions = {}): Promise<void> {
  const label = options.label ? `${options.label}: ` : '';
  let expectedShape: readonly number[] | null = options.shape ?? null;
  let expectedValues: ArrayLike<number>;
  if (isTensor(expected)) {
    expectedValues = await expected.data();
    expectedShape ??= expected.shape;
  } else {
    const flat = flattenExpected(expected);
    expectedValues = flat.values;
    expectedShape ??= flat.shape;
  }
  let actualValues: ArrayLike<number>;
  let actualShape: readonly number[] | null = null;
  if (isTensor(actual)) {
    if (options.dtype && actual.dtype !== options.dtype) throw new Error(`${label}expected dtype ${options.dtype}, got ${actual.dtype}`);
    actualShape = actual.shape;
    actualValues = await actual.data();
    if (expectedShape && formatShape(actualShape) !== formatShape(expectedShape)) {
      throw new Error(`${label}expected shape ${formatShape(expectedShape)}, got ${formatShape(actualShape)}`);
    }
  } else {
    const flat = flattenExpected(actual);
    actualValues = flat.values;
    actualShape = flat.shape;
  }
  const message = allcloseMessage(actualValues, expectedValues, { ...options, shape: actualShape ?? expectedShape });
  if (message) throw new Error(message);
}

/** The result shape of a custom matcher for `expect.extend` (vitest and jest agree on it). */
export interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/**
 * Matchers for `expect.extend`: `expect(values).toBeAllclose(expected, { rtol, atol })` on host arrays,
 * or on Tensors of a synchronous backend (use `expectAllclose` for asynchronous ones).
 *
 * @example
 * ```ts
 * import { expect } from 'vitest';
 * expect.extend(allcloseMatchers);
 * expect(new Float32Array([1, 2])).toBeAllclose([1, 2]);
 * ```
 */
export const allcloseMatchers = {
  toBeAllclose(received: unknown, expected: Tensor | Expected, options: AllcloseOptions = {}): MatcherResult {
    const read = (value: unknown): Expected => {
      if (!isTensor(value)) return value as Expected;
      if (!value.backend.readSync) throw new Error(`toBeAllclose: the '${value.backend.name}' backend is asynchronous; use 'await expectAllclose(...)'`);
      return value.dataSync();
    };
    const shapeOf = (value: unknown): readonly number[] | undefined => (isTensor(value) ? value.shape : undefined);
    try {
      assertAllclose(read(received), read(expected), { ...options, shape: options.shape ?? shapeOf(expected) ?? shapeOf(received) });
      return { pass: true, message: () => 'expected values not to be allclose, but they are' };
    } catch (error) {
      return { pass: false, message: () => (error as Error).message };
    }
  },
};
