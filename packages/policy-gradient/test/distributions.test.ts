import { Generator, tensor, tidy, zeros } from '@attune/tensor';
import { describe, expect, it } from 'vitest';
import { Categorical, DiagGaussian } from '../src/index.js';

describe('Categorical', () => {
  it('computes log-probabilities and entropy from logits', () => {
    tidy(() => {
      const pi = new Categorical(tensor([[0, 0], [Math.log(3), 0]]));
      const logProbs = pi.logProb(tensor([1, 0], { dtype: 'int32' })).tolistSync() as number[];
      expect(logProbs[0]).toBeCloseTo(Math.log(0.5), 6);
      expect(logProbs[1]).toBeCloseTo(Math.log(0.75), 6);
      const entropy = pi.entropy().tolistSync() as number[];
      expect(entropy[0]).toBeCloseTo(Math.log(2), 6);
      expect(entropy[1]).toBeCloseTo(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)), 6);
      expect(pi.mode().tolistSync()).toEqual([0, 0]);
    });
  });

  it('samples with the given probabilities, reproducibly for a seed', () => {
    tidy(() => {
      const logits = tensor(Array.from({ length: 4000 }, () => [Math.log(0.2), Math.log(0.8)]));
      const first = Array.from(new Categorical(logits).sample(new Generator(7)).dataSync());
      const second = new Categorical(logits).sample(new Generator(7)).dataSync();
      expect(first).toEqual(Array.from(second));
      const ones = first.reduce((sum, value) => sum + value, 0) / first.length;
      expect(ones).toBeGreaterThan(0.77);
      expect(ones).toBeLessThan(0.83);
    });
  });

  it('has the score-function gradient ∂ log π(a) / ∂ logits = onehot(a) − π', () => {
    tidy(() => {
      const logits = tensor([[0.3, -0.2, 1.1]], { requiresGrad: true });
      new Categorical(logits).logProb(tensor([2], { dtype: 'int32' })).sum().backward();
      const z = [0.3, -0.2, 1.1];
      const normaliser = z.reduce((sum, v) => sum + Math.exp(v), 0);
      const expected = z.map((v, i) => (i === 2 ? 1 : 0) - Math.exp(v) / normaliser);
      const grad = (logits.grad!.tolistSync() as number[][])[0];
      grad.forEach((g, i) => expect(g).toBeCloseTo(expected[i], 6));
    });
  });
});

describe('DiagGaussian', () => {
  it('matches the closed-form log-density and entropy, summed over action dims', () => {
    tidy(() => {
      const mean = tensor([[0, 1], [2, -1]]);
      const logStd = tensor([[Math.log(0.5), 0]]);
      const pi = new DiagGaussian(mean, logStd);
      const actions = tensor([[0.5, 1], [2, 0]]);
      const logDensity = (x: number, mu: number, sigma: number): number => -((x - mu) ** 2) / (2 * sigma * sigma) - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI);
      const logProbs = pi.logProb(actions).tolistSync() as number[];
      expect(logProbs[0]).toBeCloseTo(logDensity(0.5, 0, 0.5) + logDensity(1, 1, 1), 5);
      expect(logProbs[1]).toBeCloseTo(logDensity(2, 2, 0.5) + logDensity(0, -1, 1), 5);
      const entropy = pi.entropy().tolistSync() as number[];
      const h = (sigma: number): number => 0.5 + 0.5 * Math.log(2 * Math.PI) + Math.log(sigma);
      expect(entropy).toHaveLength(2);
      entropy.forEach((value) => expect(value).toBeCloseTo(h(0.5) + h(1), 5));
    });
  });

  it('differentiates the log-density in the mean and the log-std', () => {
    tidy(() => {
      const mean = tensor([[0.2]], { requiresGrad: true });
      const logStd = tensor([[-0.3]], { requiresGrad: true });
      new DiagGaussian(mean, logStd).logProb(tensor([[1.0]])).sum().backward();
      const sigma = Math.exp(-0.3);
      const z = (1.0 - 0.2) / sigma;
      expect(mean.grad!.itemSync()).toBeCloseTo(z / sigma, 5); // ∂/∂μ = (a − μ)/σ²
      expect(logStd.grad!.itemSync()).toBeCloseTo(z * z - 1, 5); // ∂/∂ log σ = z² − 1
    });
  });

  it('samples around the mean with the given spread', () => {
    tidy(() => {
      const pi = new DiagGaussian(zeros([5000, 1]).add(3), tensor([[Math.log(2)]]));
      const samples = Array.from(pi.sample(new Generator(3)).dataSync());
      const mean = samples.reduce((sum, v) => sum + v, 0) / samples.length;
      const std = Math.sqrt(samples.reduce((sum, v) => sum + (v - mean) ** 2, 0) / samples.length);
      expect(mean).toBeGreaterThan(2.9);
      expect(mean).toBeLessThan(3.1);
      expect(std).toBeGreaterThan(1.9);
      expect(std).toBeLessThan(2.1);
      expect(pi.mode().tolistSync()).toEqual(Array.from({ length: 5000 }, () => [3]));
    });
  });
});
