// scaledDotProductAttention against an independent float64 reference, forward and gradients.

import { describe, expect, it } from 'vitest';
import { scaledDotProductAttention, tensor, tidy } from '../src/index.js';
import { finiteDifferenceGradCheck, uniformValues } from '../src/testing/index.js';
import type { Array64 } from '../src/testing/reference.js';

/** softmax(q·kᵀ/√E [causal]) · v for (B, L, E) inputs, in float64. */
function attention64(q: Array64, k: Array64, v: Array64, causal: boolean): Array64 {
  const [B, L, E] = q.shape;
  const S = k.shape[1];
  const Ev = v.shape[2];
  const out = new Float64Array(B * L * Ev);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < L; i++) {
      const scores: number[] = [];
      for (let j = 0; j < S; j++) {
        let s = 0;
        for (let e = 0; e < E; e++) s += q.data[(b * L + i) * E + e] * k.data[(b * S + j) * E + e];
        scores.push(causal && j > i ? -Infinity : s / Math.sqrt(E));
      }
      const max = Math.max(...scores);
      const weights = scores.map((s) => Math.exp(s - max));
      const total = weights.reduce((x, y) => x + y, 0);
      for (let c = 0; c < Ev; c++) {
        let acc = 0;
        for (let j = 0; j < S; j++) acc += (weights[j] / total) * v.data[(b * S + j) * Ev + c];
        out[(b * L + i) * Ev + c] = acc;
      }
    }
  }
  return { shape: [B, L, Ev], data: out };
}

describe('scaledDotProductAttention', () => {
  for (const causal of [false, true]) {
    it(`matches the float64 reference and its finite differences (isCausal: ${causal})`, async () => {
      const inputs = [
        { shape: [2, 4, 3], values: uniformValues(24, 1) },
        { shape: [2, 4, 3], values: uniformValues(24, 2) },
        { shape: [2, 4, 5], values: uniformValues(40, 3) },
      ];
      await finiteDifferenceGradCheck((q, k, v) => scaledDotProductAttention(q, k, v, { isCausal: causal }), inputs, {
        reference: (q, k, v) => attention64(q, k, v, causal),
        rtol: 1e-3,
        atol: 1e-4,
      });
    });
  }

  it('the first query attends only to the first key under the causal mask', () => {
    const result = tidy(() => {
      const q = tensor([[[1], [1]]]);
      const k = tensor([[[1], [5]]]);
      const v = tensor([[[10], [20]]]);
      return scaledDotProductAttention(q, k, v, { isCausal: true });
    });
    const out = result.dataSync();
    result.dispose();
    expect(out[0]).toBe(10);
    // The second query sees both keys: weights ∝ (e¹, e⁵).
    expect(out[1]).toBeCloseTo(10 + 10 * Math.exp(4) / (1 + Math.exp(4)), 4);
  });
});
