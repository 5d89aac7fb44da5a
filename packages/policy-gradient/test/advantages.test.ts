import { describe, expect, it } from 'vitest';
import { computeGae, discountedReturns, explainedVariance, type AdvantageInput } from '../src/index.js';

/** A seeded uniform generator for test data (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random (T × N) rollout with both kinds of episode end (some steps both terminated and truncated). */
function randomRollout(seed: number, numSteps: number, numEnvs: number): AdvantageInput & { values: Float64Array; truncationValues: Float64Array; nextValues: Float64Array } {
  const random = rng(seed);
  const size = numSteps * numEnvs;
  const rewards = Float64Array.from({ length: size }, () => random() * 2 - 1);
  const values = Float64Array.from({ length: size }, () => random() * 4 - 2);
  const terminations = Uint8Array.from({ length: size }, () => (random() < 0.08 ? 1 : 0));
  const truncations = Uint8Array.from({ length: size }, () => (random() < 0.08 ? 1 : 0));
  const truncationValues = Float64Array.from({ length: size }, () => random() * 4 - 2);
  const nextValues = Float64Array.from({ length: numEnvs }, () => random() * 4 - 2);
  return { numSteps, numEnvs, rewards, values, terminations, truncations, truncationValues, nextValues };
}

/**
 * The definition, one env and one episode at a time: Â_t = Σ_{l ≥ 0} (γλ)^l δ_{t+l} summed until
 * the step that ends the episode (or the rollout), with δ bootstrapped from 0 at a termination,
 * from V(final obs) at a truncation, from V(s_{t+1}) otherwise.
 */
function gaeByDefinition(input: ReturnType<typeof randomRollout>, gamma: number, lambda: number, bootstrapTruncated: boolean): Float64Array {
  const { numSteps: T, numEnvs: N } = input;
  const out = new Float64Array(T * N);
  const delta = (t: number, e: number): number => {
    const i = t * N + e;
    let next: number;
    if (input.terminations[i]) next = 0;
    else if (input.truncations[i]) next = bootstrapTruncated ? input.truncationValues[i] : 0;
    else next = t === T - 1 ? input.nextValues[e] : input.values[i + N];
    return input.rewards[i] + gamma * next - input.values[i];
  };
  for (let e = 0; e < N; e++) {
    for (let t = 0; t < T; t++) {
      let sum = 0;
      let weight = 1;
      for (let k = t; k < T; k++) {
        sum += weight * delta(k, e);
        const i = k * N + e;
        if (input.terminations[i] || input.truncations[i]) break;
        weight *= gamma * lambda;
      }
      out[t * N + e] = sum;
    }
  }
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  expect(worst).toBeLessThan(tolerance);
}

describe('computeGae', () => {
  it('equals the plain per-episode loop on random data with terminations and truncations', () => {
    for (const [seed, gamma, lambda] of [[1, 0.99, 0.95], [2, 0.9, 0.5], [3, 1, 1], [4, 0.97, 0]] as const) {
      const rollout = randomRollout(seed, 64, 5);
      const { advantages, returns } = computeGae(rollout, { gamma, lambda });
      const expected = gaeByDefinition(rollout, gamma, lambda, true);
      expectClose(advantages, expected);
      expectClose(returns, expected.map((a, i) => a + rollout.values[i]));
    }
  });

  it('treats a truncation like a termination without truncationValues (CleanRL ppo.py)', () => {
    const rollout = randomRollout(5, 32, 3);
    const { advantages } = computeGae({ ...rollout, truncationValues: undefined }, { gamma: 0.99, lambda: 0.95 });
    expectClose(advantages, gaeByDefinition(rollout, 0.99, 0.95, false));
  });

  it('gives the TD error at λ = 0 and the discounted return minus V at λ = 1', () => {
    const rollout = randomRollout(6, 40, 4);
    const td = gaeByDefinition(rollout, 0.9, 0, true);
    expectClose(computeGae(rollout, { gamma: 0.9, lambda: 0 }).advantages, td);
    const monteCarlo = discountedReturns(rollout, { gamma: 0.9 });
    expectClose(computeGae(rollout, { gamma: 0.9, lambda: 1 }).returns, monteCarlo);
  });

  it('bootstraps a truncated step from V(final obs) and stops at a termination', () => {
    const base = { numSteps: 3, numEnvs: 1, rewards: [1, 1, 1], values: [0, 0, 0], nextValues: [10] };
    expect(Array.from(computeGae({ ...base, terminations: [0, 1, 0], truncations: [0, 0, 0] }, { gamma: 1, lambda: 1 }).advantages)).toEqual([2, 1, 11]);
    expect(Array.from(computeGae({ ...base, terminations: [0, 0, 0], truncations: [0, 1, 0], truncationValues: [0, 5, 0] }, { gamma: 1, lambda: 1 }).advantages)).toEqual([7, 6, 11]);
    // Both flags: termination wins.
    expect(Array.from(computeGae({ ...base, terminations: [0, 1, 0], truncations: [0, 1, 0], truncationValues: [0, 5, 0] }, { gamma: 1, lambda: 1 }).advantages)).toEqual([2, 1, 11]);
  });

  it('names the array whose length is wrong', () => {
    expect(() => computeGae({ numSteps: 2, numEnvs: 2, rewards: [1, 2, 3], values: [0, 0, 0, 0], terminations: [0, 0, 0, 0], truncations: [0, 0, 0, 0] }, { gamma: 1, lambda: 1 })).toThrow(/rewards must have length 4/);
  });
});

describe('discountedReturns', () => {
  it('sums discounted rewards backwards within each episode', () => {
    const returns = discountedReturns({ numSteps: 4, numEnvs: 1, rewards: [1, 1, 1, 1], terminations: [0, 1, 0, 0], truncations: [0, 0, 0, 0], nextValues: [2] }, { gamma: 0.5 });
    expect(Array.from(returns)).toEqual([1.5, 1, 2, 2]);
  });
});

describe('explainedVariance', () => {
  it('is 1 for a perfect critic, 0 for a constant one, NaN for constant returns', () => {
    expect(explainedVariance([1, 2, 3], [1, 2, 3])).toBe(1);
    expect(explainedVariance([2, 2, 2], [1, 2, 3])).toBeCloseTo(0, 12);
    expect(explainedVariance([1, 2, 3], [5, 5, 5])).toBeNaN();
  });
});
