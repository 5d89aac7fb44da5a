// The bar on the 10-armed Bernoulli testbed (arm means ~ U(0, 1) per run): Thompson sampling and UCB1
// finish 1,000 pulls with regret clearly below ε-greedy's over 200 runs, and UCB1/Thompson regret grows like
// log t where ε-greedy's grows linearly. Fixed seeds; each assertion is one that a broken agent would fail.
import { beforeAll, describe, expect, it } from 'vitest';
import { BernoulliBanditEnv } from '@attune/envs';
import { BetaBernoulliThompsonSampling, EpsilonGreedy, UCB1, runBanditExperiment, type BanditAgent, type BanditExperimentResult } from '../src/index.js';

const env = new BernoulliBanditEnv({ k: 10 });
const agents: Record<string, (seed: number) => BanditAgent> = {
  'ε-greedy (ε = 0.1)': (seed) => new EpsilonGreedy({ numArms: 10, seed, epsilon: 0.1 }),
  'UCB1 (c = √2)': (seed) => new UCB1({ numArms: 10, seed }),
  'UCB1-Tuned': (seed) => new UCB1({ numArms: 10, seed, variant: 'tuned' }),
  'Thompson sampling (Beta)': (seed) => new BetaBernoulliThompsonSampling({ numArms: 10, seed }),
};

/** A − B is at least `sigmas` standard errors of the difference (the runs share arms, so this is conservative). */
function clearlyBelow(a: BanditExperimentResult, b: BanditExperimentResult, sigmas: number): boolean {
  const standardError = Math.hypot(a.finalRegret.standardError, b.finalRegret.standardError);
  return b.finalRegret.mean - a.finalRegret.mean > sigmas * standardError;
}

describe('10-armed Bernoulli testbed, 200 runs of 1,000 pulls', () => {
  let results: Record<string, BanditExperimentResult>;
  let epsilonGreedy: BanditExperimentResult;
  beforeAll(() => {
    results = Object.fromEntries(
      Object.entries(agents).map(([name, make]) => [name, runBanditExperiment(env, make, { runs: 200, steps: 1_000, seed: 2024 })]),
    );
    epsilonGreedy = results['ε-greedy (ε = 0.1)'];
  });

  it('Thompson sampling and UCB1-Tuned end with regret clearly below ε-greedy (at most 0.7× and 5 standard errors apart)', () => {
    for (const name of ['Thompson sampling (Beta)', 'UCB1-Tuned']) {
      expect(results[name].finalRegret.mean).toBeLessThan(0.7 * epsilonGreedy.finalRegret.mean);
      expect(clearlyBelow(results[name], epsilonGreedy, 5)).toBe(true);
    }
  });

  it('every agent learns: regret per pull over the last 100 pulls is under half that of the first 100', () => {
    for (const result of Object.values(results)) {
      const first = result.meanCumulativeRegret[99];
      const last = result.meanCumulativeRegret[999] - result.meanCumulativeRegret[899];
      expect(last).toBeLessThan(0.5 * first);
    }
  });

  it('UCB1 with c = √2 is still exploring at 1,000 pulls: its regret there exceeds ε-greedy (Kuleshov & Precup 2014 report the same)', () => {
    // Recorded so that a change in this known behaviour is noticed; the long-horizon test below shows UCB1 overtaking.
    expect(results['UCB1 (c = √2)'].finalRegret.mean).toBeGreaterThan(epsilonGreedy.finalRegret.mean);
  });
});

describe('10-armed Bernoulli testbed, 40 runs of 16,000 pulls', () => {
  const steps = 16_000;
  let results: Record<string, BanditExperimentResult>;
  beforeAll(() => {
    results = Object.fromEntries(
      ['ε-greedy (ε = 0.1)', 'UCB1 (c = √2)', 'Thompson sampling (Beta)'].map((name) => [name, runBanditExperiment(env, agents[name], { runs: 40, steps, seed: 7 })]),
    );
  });
  /** Regret added over the last doubling of time divided by that over the one before: ≈ 1 for log t growth, ≈ 2 for linear. */
  const doublingRatio = (result: BanditExperimentResult): number => {
    const at = (t: number) => result.meanCumulativeRegret[t - 1];
    return (at(steps) - at(steps / 2)) / (at(steps / 2) - at(steps / 4));
  };

  it('UCB1 and Thompson regret grow like log t (each doubling of time adds about the same), ε-greedy linearly (each doubles it)', () => {
    expect(doublingRatio(results['UCB1 (c = √2)'])).toBeLessThan(1.4);
    expect(doublingRatio(results['Thompson sampling (Beta)'])).toBeLessThan(1.4);
    expect(doublingRatio(results['ε-greedy (ε = 0.1)'])).toBeGreaterThan(1.7);
  });

  it('by 16,000 pulls UCB1 and Thompson are both clearly below ε-greedy', () => {
    const epsilonGreedy = results['ε-greedy (ε = 0.1)'];
    expect(clearlyBelow(results['UCB1 (c = √2)'], epsilonGreedy, 5)).toBe(true);
    expect(clearlyBelow(results['Thompson sampling (Beta)'], epsilonGreedy, 5)).toBe(true);
  });
});
