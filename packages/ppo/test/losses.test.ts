import { tensor, tidy } from '@attune/tensor';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveKlController,
  FixedKlController,
  approxKlDivergence,
  clipFraction,
  clippedSurrogateLoss,
  entropyBonus,
  klEstimate,
  klK1,
  klK2,
  klK3,
  maskedMean,
  normalizeAdvantages,
  valueLoss,
} from '../src/index.js';

const list = (t: { tolistSync(): unknown }): number[] => t.tolistSync() as number[];

describe('clippedSurrogateLoss', () => {
  it('takes the pessimistic (max of the negated) term elementwise, as eq. 7', () => {
    tidy(() => {
      const ratios = [0.5, 0.9, 1.1, 1.5, 0.5, 1.5];
      const advantages = [1, 1, 1, 1, -1, -1];
      const { loss, ratio } = clippedSurrogateLoss({ logRatio: tensor(ratios.map(Math.log)), advantages: tensor(advantages), clipCoef: 0.2 });
      const expected = ratios.map((r, i) => Math.max(-advantages[i] * r, -advantages[i] * Math.min(Math.max(r, 0.8), 1.2)));
      expect(loss.itemSync()).toBeCloseTo(expected.reduce((a, b) => a + b, 0) / expected.length, 6);
      list(ratio).forEach((r, i) => expect(r).toBeCloseTo(ratios[i], 6));
      expect(clipFraction(ratio, 0.2)).toBeCloseTo(4 / 6, 6);
    });
  });

  it('has no gradient through a clipped term and the plain gradient inside the trust region', () => {
    tidy(() => {
      const logRatio = tensor([Math.log(1.5), Math.log(1.1)], { requiresGrad: true });
      clippedSurrogateLoss({ logRatio, advantages: tensor([1, 1]), clipCoef: 0.2 }).loss.backward();
      const grad = list(logRatio.grad!);
      expect(Math.abs(grad[0])).toBe(0); // ratio 1.5 > 1.2 with Â > 0: clipped, no incentive to move further
      expect(grad[1]).toBeCloseTo(-1.1 / 2, 6); // ∂(−Â r / 2)/∂ log r = −r / 2
    });
  });

  it('averages over the mask only', () => {
    tidy(() => {
      const { loss } = clippedSurrogateLoss({ logRatio: tensor([0, 0, 0]), advantages: tensor([1, 2, 100]), clipCoef: 0.2, mask: tensor([1, 1, 0]) });
      expect(loss.itemSync()).toBeCloseTo(-1.5, 6);
      expect(maskedMean(tensor([1, 2, 3, 4]), tensor([1, 1, 0, 0])).itemSync()).toBeCloseTo(1.5, 6);
    });
  });
});

describe('valueLoss', () => {
  it('is ½ MSE unclipped and ½ mean(max(unclipped, clipped)) with value clipping', () => {
    tidy(() => {
      const values = tensor([1.0, 3.0]);
      const returns = tensor([2.0, 2.0]);
      const oldValues = tensor([0.0, 2.5]);
      expect(valueLoss({ values, returns }).itemSync()).toBeCloseTo(0.5 * ((1 + 1) / 2), 6);
      // Clipped values: 0 + clip(1, ±0.2) = 0.2 → (0.2 − 2)² = 3.24; 2.5 + clip(0.5) = 2.7 → 0.49.
      const expected = 0.5 * ((Math.max(1, 3.24) + Math.max(1, 0.49)) / 2);
      expect(valueLoss({ values, returns, oldValues, clipCoef: 0.2 }).itemSync()).toBeCloseTo(expected, 5);
      expect(valueLoss({ values, returns, oldValues, clipCoef: null }).itemSync()).toBeCloseTo(0.5, 6);
    });
  });
});

describe('normalizeAdvantages and entropyBonus', () => {
  it('normalises to zero mean and unit (Bessel) std, with or without a mask', () => {
    tidy(() => {
      const normalized = list(normalizeAdvantages(tensor([1, 2, 3, 4])));
      const mean = normalized.reduce((a, b) => a + b, 0) / 4;
      const std = Math.sqrt(normalized.reduce((a, b) => a + (b - mean) ** 2, 0) / 3);
      expect(mean).toBeCloseTo(0, 6);
      expect(std).toBeCloseTo(1, 5);
      const masked = list(normalizeAdvantages(tensor([1, 2, 3, 4, 99]), { mask: tensor([1, 1, 1, 1, 0]) }));
      masked.slice(0, 4).forEach((value, i) => expect(value).toBeCloseTo(normalized[i], 5));
      expect(masked[4]).toBe(0);
      expect(entropyBonus(tensor([1, 3])).itemSync()).toBe(2);
    });
  });
});

describe('KL estimators', () => {
  it('computes k1, k2, k3 elementwise; k3 is never negative', () => {
    tidy(() => {
      const logRatio = tensor([-0.5, 0, 0.3]);
      const values = [-0.5, 0, 0.3];
      list(klK1(logRatio)).forEach((v, i) => expect(v).toBeCloseTo(-values[i], 6));
      list(klK2(logRatio)).forEach((v, i) => expect(v).toBeCloseTo(0.5 * values[i] ** 2, 6));
      list(klK3(logRatio)).forEach((v, i) => {
        expect(v).toBeCloseTo(Math.expm1(values[i]) - values[i], 6);
        expect(v).toBeGreaterThanOrEqual(0);
      });
      expect(list(klEstimate(logRatio, 'k1'))).toEqual(list(klK1(logRatio)));
      expect(() => klEstimate(logRatio, 'k4' as never)).toThrow(/k1/);
    });
  });

  it('k1 and k3 are unbiased for the exact KL between two categoricals', () => {
    // q = (0.5, 0.3, 0.2), p = (0.4, 0.4, 0.2); the exact expectation over x ~ q of each estimator.
    const q = [0.5, 0.3, 0.2];
    const p = [0.4, 0.4, 0.2];
    const exact = q.reduce((sum, qi, i) => sum + qi * Math.log(qi / p[i]), 0);
    // Weight each outcome by q: sample 1000 "draws" deterministically in proportion.
    const draws = q.flatMap((qi, i) => Array.from({ length: Math.round(qi * 1000) }, () => Math.log(p[i] / q[i])));
    tidy(() => {
      const logRatio = tensor(draws);
      expect(approxKlDivergence(logRatio, 'k1')).toBeCloseTo(exact, 5);
      expect(approxKlDivergence(logRatio, 'k3')).toBeCloseTo(exact, 5);
    });
  });
});

describe('KL controllers', () => {
  it('keeps a fixed β', () => {
    const controller = new FixedKlController(0.1);
    controller.update(100, 1000);
    expect(controller.value).toBe(0.1);
    expect(() => new FixedKlController(-1)).toThrow(/klCoef/);
  });

  it('moves β by the clipped proportional error times numSteps / horizon (Ziegler et al. 2019)', () => {
    const controller = new AdaptiveKlController({ initKlCoef: 0.2, target: 6, horizon: 10_000 });
    controller.update(12, 500); // error clipped to +0.2
    expect(controller.value).toBeCloseTo(0.2 * (1 + (0.2 * 500) / 10_000), 12);
    controller.update(5.4, 1000); // error −0.1
    expect(controller.value).toBeCloseTo(0.2 * (1 + 0.01) * (1 - 0.01), 12);
    const restored = new AdaptiveKlController({ initKlCoef: 1, target: 6, horizon: 10_000 });
    restored.loadStateDict(controller.stateDict());
    expect(restored.value).toBe(controller.value);
    expect(() => new AdaptiveKlController({ initKlCoef: 0.2, target: 0, horizon: 1 })).toThrow(/target/);
  });
});
