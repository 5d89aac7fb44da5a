// Shared test helpers: element-wise closeness with a message naming the first bad index.

import { expect } from 'vitest';
import type { Tensor } from '@attune/tensor';

/** Asserts |actual[i] − expected[i]| ≤ atol + rtol·|expected[i]| for every i. */
export function expectClose(actual: ArrayLike<number> | Tensor, expected: ArrayLike<number>, atol = 1e-6, rtol = 0): void {
  const values = isTensor(actual) ? actual.dataSync() : actual;
  expect(values.length, 'length').toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const ok = Object.is(values[i], expected[i]) || values[i] === expected[i] || Math.abs(values[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]);
    if (!ok) expect.fail(`index ${i}: got ${values[i]}, expected ${expected[i]} (atol ${atol}, rtol ${rtol})`);
  }
}

function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && (value as { __isAttuneTensor?: boolean }).__isAttuneTensor === true;
}

/** Mean and population standard deviation of `values`. */
export function moments(values: ArrayLike<number>): { mean: number; std: number } {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= values.length;
  let variance = 0;
  for (let i = 0; i < values.length; i++) variance += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(variance / values.length) };
}
