import { describe, expect, it } from 'vitest';
import { Generator } from '@attune/tensor';
import { computeTokenRewards, maskedWhiten, ppoLmDefaults, resolvePPOLMConfig, responseAdvantages, shapeScores } from '../src/index.js';

describe('computeTokenRewards', () => {
  it('puts −β·KL on every response token and the score on the last real one', () => {
    // B = 2, N = 4; row 0 has 3 tokens (ended with EOS at t = 2), row 1 all 4.
    const kl = [0.1, 0.2, 0.3, 9, 0.4, -0.2, 0, 0.5];
    const { rewards, nonScoreRewards } = computeTokenRewards({ kl, scores: [1, -2], lengths: [3, 4], numTokens: 4, klCoef: 0.5 });
    const want = [-0.05, -0.1, -0.15 + 1, 0, -0.2, 0.1, 0, -0.25 - 2];
    want.forEach((w, i) => expect(rewards[i]).toBeCloseTo(w, 6));
    [-0.05, -0.1, -0.15, 0, -0.2, 0.1, 0, -0.25].forEach((w, i) => expect(nonScoreRewards[i]).toBeCloseTo(w, 6));
  });

  it('names the argument that is wrong', () => {
    expect(() => computeTokenRewards({ kl: [0, 0], scores: [1], lengths: [3], numTokens: 2, klCoef: 0.1 })).toThrow(/lengths\[0\] must be an integer in \[1, 2\], got 3/);
    expect(() => computeTokenRewards({ kl: [0], scores: [1], lengths: [1], numTokens: 2, klCoef: 0.1 })).toThrow(/kl must have length 2, got 1/);
    expect(() => computeTokenRewards({ kl: [0, 0], scores: [1], lengths: [1], numTokens: 2, klCoef: -1 })).toThrow(/klCoef must be a finite number ≥ 0, got -1/);
  });
});

describe('shapeScores', () => {
  it('clips, then replaces or adds the missing-EOS penalty', () => {
    const options = { scoreClip: 1, missingEosPenalty: -1, missingEosMode: 'replace' as const };
    expect(Array.from(shapeScores([2, 0.5, -3], [true, false, true], options))).toEqual([1, -1, -1]);
    expect(Array.from(shapeScores([2, 0.5], [true, false], { ...options, missingEosMode: 'add' }))).toEqual([1, -0.5]);
    expect(Array.from(shapeScores([2, 0.5], [false, false], { scoreClip: null, missingEosPenalty: null, missingEosMode: 'replace' }))).toEqual([2, 0.5]);
  });
});

/** TRL v0.11's `compute_advantages` as written there: values and rewards zeroed beyond the mask, a reversed loop. */
function trlAdvantages(rewards: number[][], values: number[][], mask: number[][], gamma: number, lam: number): { advantages: number[][]; returns: number[][] } {
  const B = rewards.length;
  const N = rewards[0].length;
  const r = rewards.map((row, b) => row.map((x, t) => x * mask[b][t]));
  const v = values.map((row, b) => row.map((x, t) => x * mask[b][t]));
  const advantages = Array.from({ length: B }, () => new Array<number>(N).fill(0));
  for (let b = 0; b < B; b++) {
    let lastGaeLam = 0;
    for (let t = N - 1; t >= 0; t--) {
      const nextValues = t < N - 1 ? v[b][t + 1] : 0;
      const delta = r[b][t] + gamma * nextValues - v[b][t];
      lastGaeLam = delta + gamma * lam * lastGaeLam;
      advantages[b][t] = lastGaeLam;
    }
  }
  const returns = advantages.map((row, b) => row.map((a, t) => a + v[b][t]));
  return { advantages, returns };
}

describe('responseAdvantages', () => {
  it('equals the reference loop with γ = 1, λ = 0.95 on masked responses', () => {
    const g = new Generator(7);
    const B = 5;
    const N = 6;
    const lengths = [6, 1, 3, 5, 2];
    const rewards = Array.from({ length: B }, () => Array.from({ length: N }, () => g.normal()));
    const values = Array.from({ length: B }, () => Array.from({ length: N }, () => g.normal()));
    const mask = lengths.map((n) => Array.from({ length: N }, (_, t) => (t < n ? 1 : 0)));
    const want = trlAdvantages(rewards, values, mask, 1, 0.95);
    const got = responseAdvantages({ rewards: rewards.flat(), values: values.flat(), lengths, numTokens: N, gamma: 1, lam: 0.95 });
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < N; t++) {
        expect(got.advantages[b * N + t]).toBeCloseTo(want.advantages[b][t] * mask[b][t], 5);
        expect(got.returns[b * N + t]).toBeCloseTo(want.returns[b][t] * mask[b][t], 5);
      }
    }
  });

  it('gives the Monte Carlo return minus the value with λ = 1 (a hand computation)', () => {
    // One response of 3 tokens, rewards [0, 0, 1], values [0.5, 0.25, 0]: Â = [0.5, 0.75, 1].
    const { advantages, returns } = responseAdvantages({ rewards: [0, 0, 1, 0], values: [0.5, 0.25, 0, 0], lengths: [3], numTokens: 4, gamma: 1, lam: 1 });
    expect(Array.from(advantages)).toEqual([0.5, 0.75, 1, 0]);
    expect(Array.from(returns)).toEqual([1, 1, 1, 0]);
  });
});

describe('maskedWhiten', () => {
  it('whitens over the valid entries only, and keeps the mean when shiftMean is false', () => {
    const values = [1, 2, 3, 100, 5];
    const mask = [1, 1, 1, 0, 1];
    const white = maskedWhiten(values, mask);
    const valid = [0, 1, 2, 4].map((i) => white[i]);
    const mean = valid.reduce((a, v) => a + v, 0) / 4;
    const variance = valid.reduce((a, v) => a + (v - mean) ** 2, 0) / 3;
    expect(mean).toBeCloseTo(0, 6);
    expect(variance).toBeCloseTo(1, 5);
    expect(white[3]).toBe(0);
    const scaled = maskedWhiten(values, mask, false);
    expect([0, 1, 2, 4].reduce((a, i) => a + scaled[i], 0) / 4).toBeCloseTo(2.75, 5);
  });
});

describe('resolvePPOLMConfig', () => {
  it('fills the defaults (TRL v0.11 and the cited papers)', () => {
    const c = resolvePPOLMConfig({});
    expect(c).toEqual(ppoLmDefaults);
    expect([c.gamma, c.lam, c.cliprange, c.cliprangeValue, c.vfCoef, c.ppoEpochs, c.lr]).toEqual([1, 0.95, 0.2, 0.2, 0.1, 4, 1.41e-5]);
    expect([c.adaptiveKl, c.initKlCoef, c.target, c.horizon, c.klEstimator]).toEqual([true, 0.2, 6, 10_000, 'k1']);
  });

  it('names the field, the expectation and the value in every error', () => {
    expect(() => resolvePPOLMConfig({ cliprange: -1 })).toThrow('PPOLMConfig.cliprange must be a number in (0, 10], got -1');
    expect(() => resolvePPOLMConfig({ lam: 1.5 })).toThrow('PPOLMConfig.lam must be a number in [0, 1], got 1.5');
    expect(() => resolvePPOLMConfig({ ppoEpochs: 0 })).toThrow('PPOLMConfig.ppoEpochs must be an integer ≥ 1, got 0');
    expect(() => resolvePPOLMConfig({ rolloutForwardBatchSize: 2.5 })).toThrow('PPOLMConfig.rolloutForwardBatchSize must be an integer ≥ 1, got 2.5');
    expect(() => resolvePPOLMConfig({ klEstimator: 'k9' as 'k1' })).toThrow("PPOLMConfig.klEstimator must be one of 'k1', 'k2', 'k3', got 'k9'");
    expect(() => resolvePPOLMConfig({ whitenAdvantages: 1 as unknown as boolean })).toThrow('PPOLMConfig.whitenAdvantages must be true or false, got 1');
    expect(() => resolvePPOLMConfig({ miniBatchSize: 6, gradientAccumulationSteps: 4 })).toThrow('PPOLMConfig.gradientAccumulationSteps (4) must divide miniBatchSize (6)');
    expect(() => resolvePPOLMConfig({ missingEosPenalty: -1 })).toThrow(/PPOLMConfig.missingEosPenalty needs eosTokenId/);
    expect(() => resolvePPOLMConfig({ adaptiveKl: true, initKlCoef: 0 })).toThrow(/PPOLMConfig.initKlCoef must be > 0 when adaptiveKl is true/);
    expect(() => resolvePPOLMConfig({ clipRange: 0.1 } as never)).toThrow(/PPOLMConfig has no field 'clipRange'/);
    expect(() => resolvePPOLMConfig({ missingEosMode: 'drop' as 'add', eosTokenId: 0 })).toThrow("PPOLMConfig.missingEosMode must be one of 'replace', 'add', got 'drop'");
  });
});
