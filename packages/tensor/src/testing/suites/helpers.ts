// Small helpers shared by the test groups.

import { tensor } from '../../ops/creation.js';
import type { Tensor } from '../../tensor.js';

/** An int32 tensor from nested numbers (class indices, gather indices). */
export function int(values: Parameters<typeof tensor>[0], shape?: readonly number[]): Tensor {
  return tensor(values, { dtype: 'int32', shape });
}

/** A bool tensor from nested booleans or 0/1 numbers. */
export function bool(values: Parameters<typeof tensor>[0], shape?: readonly number[]): Tensor {
  return tensor(values, { dtype: 'bool', shape });
}

/**
 * Asserts that `fn` throws an Error whose message contains every fragment, and returns the message.
 * Synchronous and asynchronous functions both work.
 */
export async function expectThrows(fn: () => unknown, ...fragments: readonly string[]): Promise<string> {
  let message: string | null = null;
  try {
    await fn();
  } catch (error) {
    message = error instanceof Error ? error.message : String(error);
  }
  if (message === null) throw new Error(`expected an error mentioning ${fragments.map((f) => `'${f}'`).join(', ')}, but nothing was thrown`);
  const missing = fragments.filter((f) => !message.includes(f));
  if (missing.length > 0) throw new Error(`error message ${JSON.stringify(message)} does not mention ${missing.map((f) => `'${f}'`).join(', ')}`);
  return message;
}

/** Throws with `message` unless `condition` holds. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Mean and (population) variance of values. */
export function moments(values: ArrayLike<number>): { mean: number; variance: number } {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  const mean = total / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i] - mean) ** 2;
  return { mean, variance: squares / values.length };
}

/** Asserts |actual − expected| ≤ tolerance, naming what was measured. */
export function near(what: string, actual: number, expected: number, tolerance: number): void {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new Error(`${what}: got ${actual}, expected ${expected} ± ${tolerance}`);
  }
}

/** Counts of each integer value in [0, classes). */
export function histogram(values: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= 0 && v < classes)) throw new Error(`histogram: value ${v} outside [0, ${classes})`);
    counts[v]++;
  }
  return counts;
}

/** Element-for-element equality of two arrays. */
export function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
