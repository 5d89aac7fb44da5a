// Shared helpers for the WebAssembly kernel tests: a seeded generator, float64 references and
// closeness checks with stated tolerances.

import { expect } from 'vitest';

/** Mulberry32: a small deterministic generator of floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Float32Array of `length` uniform values in [-scale, scale). */
export function randomArray(random: () => number, length: number, scale = 1): Float32Array {
  const values = new Float32Array(length);
  for (let i = 0; i < length; i++) values[i] = (random() * 2 - 1) * scale;
  return values;
}

/** Reference batched matmul in float64; also returns sum |a||b| per output for the error bound. */
export function referenceMatmul(
  a: Float32Array, b: Float32Array, batch: number, m: number, k: number, n: number,
  transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number,
): { values: Float64Array; magnitudes: Float64Array } {
  const values = new Float64Array(batch * m * n);
  const magnitudes = new Float64Array(batch * m * n);
  for (let item = 0; item < batch; item++) {
    const aOffset = item * aBatchStride;
    const bOffset = item * bBatchStride;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        let magnitude = 0;
        for (let p = 0; p < k; p++) {
          const x = transA ? a[aOffset + p * m + i] : a[aOffset + i * k + p];
          const y = transB ? b[bOffset + j * k + p] : b[bOffset + p * n + j];
          sum += x * y;
          magnitude += Math.abs(x * y);
        }
        values[(item * m + i) * n + j] = sum;
        magnitudes[(item * m + i) * n + j] = magnitude;
      }
    }
  }
  return { values, magnitudes };
}

/**
 * Asserts a float32 matmul result against the float64 reference with the classic dot-product
 * error bound: |out - exact| <= 2 * k * 2^-24 * sum |a||b| (+ 1e-30 for exact zeros).
 */
export function expectMatmulClose(
  out: Float32Array, reference: { values: Float64Array; magnitudes: Float64Array }, k: number, label: string,
): void {
  const unitRoundoff = 2 ** -24;
  let worst = 0;
  let worstIndex = -1;
  for (let i = 0; i < reference.values.length; i++) {
    const bound = 2 * Math.max(k, 1) * unitRoundoff * reference.magnitudes[i] + 1e-30;
    const ratio = Math.abs(out[i] - reference.values[i]) / bound;
    if (!(ratio <= worst)) {
      worst = ratio;
      worstIndex = i;
    }
  }
  if (!(worst <= 1)) {
    expect.fail(
      `${label}: element ${worstIndex} is ${out[worstIndex]}, expected ${reference.values[worstIndex]} ` +
        `(error ${worst.toFixed(2)}x the bound)`,
    );
  }
}

/** Asserts |actual - expected| <= atol + rtol * |expected| elementwise (NaN must match NaN). */
export function expectAllClose(
  actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, label: string,
): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e)) {
      if (!Number.isNaN(a)) expect.fail(`${label}: element ${i} is ${a}, expected NaN`);
      continue;
    }
    if (a === e) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      expect.fail(`${label}: element ${i} is ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
    }
  }
}
