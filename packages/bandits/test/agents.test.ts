// Each agent's update rule against its closed form, its defaults and validation, and a learning check on the
// env it is designed for (Sutton & Barto 2nd ed. figure 2.5 for the gradient bandit; Li et al. 2010 for LinUCB).
import { describe, expect, it } from 'vitest';
import { GaussianBanditEnv, LinearContextualBanditEnv, Rng } from '@attune/envs';
import {
  BetaBernoulliThompsonSampling,
  EpsilonGreedy,
  GaussianThompsonSampling,
  GradientBandit,
  LinUCB,
  RegretTracker,
  UCB1,
  argmaxRandomTies,
  runBandit,
  runBanditExperiment,
  runContextualBandit,
  type ContextualBanditAgent,
  type MetricLogger,
} from '../src/index.js';

describe('EpsilonGreedy', () => {
  it('sample-average estimates are the arm means; a constant step weights recent rewards (S&B eqs. 2.3, 2.6)', () => {
    const average = new EpsilonGreedy({ numArms: 2 });
    for (const reward of [1, 0, 0, 1, 1]) average.update(0, reward);
    expect(average.estimates[0]).toBeCloseTo(0.6, 12);
    const constant = new EpsilonGreedy({ numArms: 2, stepSize: 0.5, initialValue: 2 });
    for (const reward of [0, 4]) constant.update(1, reward);
    expect(constant.estimates[1]).toBeCloseTo(0.25 * 2 + 0.25 * 0 + 0.5 * 4, 12); // (1 − α)² Q₁ + α(1 − α) R₁ + α R₂
  });

  it('with ε = 0 and an optimistic start, tries every arm before repeating one (S&B §2.6)', () => {
    const agent = new EpsilonGreedy({ numArms: 5, epsilon: 0, initialValue: 5, stepSize: 0.1 });
    const pulled = new Set<number>();
    for (let t = 0; t < 5; t++) {
      const arm = agent.selectArm();
      pulled.add(arm);
      agent.update(arm, 1);
    }
    expect(pulled.size).toBe(5);
  });

  it('a constant step size tracks drifting arms better than the sample average (S&B exercise 2.5)', () => {
    const env = new GaussianBanditEnv({ k: 10, randomWalkStd: 0.01, equalStart: true });
    const lateOptimalRate = (stepSize: 'sample-average' | number) => {
      const { optimalActionRate } = runBanditExperiment(env, (seed) => new EpsilonGreedy({ numArms: 10, seed, stepSize }), { runs: 50, steps: 5_000, seed: 11 });
      return optimalActionRate.slice(4_000).reduce((sum, rate) => sum + rate, 0) / 1_000;
    };
    // Measured: 0.63 of pulls on the current best arm with α = 0.1 against 0.42 with 1/n.
    expect(lateOptimalRate(0.1)).toBeGreaterThan(lateOptimalRate('sample-average') + 0.15);
  });

  it('decays ε geometrically to its floor', () => {
    const agent = new EpsilonGreedy({ numArms: 2, epsilon: 1, epsilonDecay: 0.5, minEpsilon: 0.1 });
    agent.update(0, 0);
    expect(agent.epsilon).toBe(0.5);
    for (let t = 0; t < 10; t++) agent.update(0, 0);
    expect(agent.epsilon).toBe(0.1);
  });
});

describe('UCB1', () => {
  it('plays each arm once, then the largest x̄ⱼ + √(2 ln n / nⱼ)', () => {
    const agent = new UCB1({ numArms: 3 });
    const rewards = [0.2, 0.9, 0.5];
    for (let t = 0; t < 3; t++) {
      const arm = agent.selectArm();
      expect(arm).toBe(t);
      agent.update(arm, rewards[arm]);
    }
    agent.update(1, 0.9); // arm 1 now has n = 2, so its bonus shrinks
    const bound = (arm: number) => agent.means[arm] + Math.SQRT2 * Math.sqrt(Math.log(4) / agent.counts[arm]);
    const expected = [0, 1, 2].reduce((best, arm) => (bound(arm) > bound(best) ? arm : best), 0);
    expect(agent.selectArm()).toBe(expected);
  });
});

describe('Thompson sampling', () => {
  it('Beta–Bernoulli counts successes and failures on top of the prior, and accepts fractional rewards as Bernoulli trials', () => {
    const agent = new BetaBernoulliThompsonSampling({ numArms: 2, priorAlpha: 2, priorBeta: 3 });
    for (const reward of [1, 1, 0]) agent.update(0, reward);
    expect([agent.alpha[0], agent.beta[0]]).toEqual([4, 4]);
    for (let t = 0; t < 1000; t++) agent.update(1, 0.25);
    expect(agent.alpha[1] - 2).toBeGreaterThan(200);
    expect(agent.alpha[1] - 2).toBeLessThan(300);
    expect(() => agent.update(0, 1.5)).toThrow(/reward must lie in \[0, 1\]/);
  });

  it('Gaussian posterior is the conjugate Normal update', () => {
    const agent = new GaussianThompsonSampling({ numArms: 1, priorMean: 1, priorVariance: 4, noiseVariance: 2 });
    for (const reward of [3, 5]) agent.update(0, reward);
    const precision = 1 / 4 + 2 / 2;
    expect(agent.posteriorPrecision(0)).toBeCloseTo(precision, 12);
    expect(agent.posteriorMean(0)).toBeCloseTo((1 / 4 + 8 / 2) / precision, 12);
  });

  it('Gaussian Thompson sampling beats ε-greedy on the Gaussian 10-armed testbed (S&B §2.3)', () => {
    const env = new GaussianBanditEnv({ k: 10 });
    const thompson = runBanditExperiment(env, (seed) => new GaussianThompsonSampling({ numArms: 10, seed }), { runs: 100, steps: 1_000, seed: 3 });
    const epsilonGreedy = runBanditExperiment(env, (seed) => new EpsilonGreedy({ numArms: 10, seed }), { runs: 100, steps: 1_000, seed: 3 });
    expect(thompson.finalRegret.mean).toBeLessThan(0.5 * epsilonGreedy.finalRegret.mean);
  });
});

describe('GradientBandit', () => {
  it('applies eq. 2.12 with R̄₁ = R₁, then the average of earlier rewards', () => {
    const agent = new GradientBandit({ numArms: 2, stepSize: 0.5 });
    agent.update(0, 3); // baseline = R₁ = 3: no change
    expect(Array.from(agent.preferences)).toEqual([0, 0]);
    agent.update(0, 5); // baseline 3, π = (½, ½): H₀ += 0.5·2·½, H₁ −= 0.5·2·½
    expect(Array.from(agent.preferences)).toEqual([0.5, -0.5]);
    expect(agent.averageReward).toBe(4);
  });

  it('reproduces S&B figure 2.5: on the testbed shifted to mean +4, the baseline is what makes it learn', () => {
    const env = new GaussianBanditEnv({ k: 10, meanLoc: 4 });
    const lastHundredOptimal = (baseline: boolean) => {
      const { optimalActionRate } = runBanditExperiment(env, (seed) => new GradientBandit({ numArms: 10, seed, stepSize: 0.1, baseline }), {
        runs: 100,
        steps: 1_000,
        seed: 5,
      });
      return optimalActionRate.slice(900).reduce((sum, rate) => sum + rate, 0) / 100;
    };
    const withBaseline = lastHundredOptimal(true);
    const withoutBaseline = lastHundredOptimal(false);
    expect(withBaseline).toBeGreaterThan(0.75); // figure 2.5: about 0.8
    expect(withoutBaseline).toBeLessThan(0.6); // figure 2.5: about 0.5
  });
});

describe('LinUCB', () => {
  it('keeps Aₐ⁻¹ exact through Sherman–Morrison, so θ̂ₐ is the ridge regression solution', () => {
    const d = 3;
    const agent = new LinUCB({ numArms: 1, dimension: d, ridge: 2 });
    const rng = new Rng(0);
    const A = [
      [2, 0, 0],
      [0, 2, 0],
      [0, 0, 2],
    ];
    const b = [0, 0, 0];
    for (let t = 0; t < 20; t++) {
      const x = [rng.normal(), rng.normal(), rng.normal()];
      const r = rng.normal();
      agent.update(x, 0, r);
      for (let i = 0; i < d; i++) {
        b[i] += r * x[i];
        for (let j = 0; j < d; j++) A[i][j] += x[i] * x[j];
      }
    }
    // A θ̂ must equal b.
    const theta = agent.theta(0);
    for (let i = 0; i < d; i++) expect(A[i].reduce((sum, a, j) => sum + a * theta[j], 0)).toBeCloseTo(b[i], 9);
  });

  it('learns the linear contextual bandit: regret at 1,000 pulls under 10% of a uniformly random policy, for shared and per-arm contexts', () => {
    for (const perArmContexts of [false, true]) {
      const env = new LinearContextualBanditEnv({ k: 5, dimension: 10, perArmContexts });
      const randomArms = new Rng(1);
      const random: ContextualBanditAgent = { numArms: 5, config: {}, selectArm: () => randomArms.integers(5), update: () => {} };
      let linUcbRegret = 0;
      let randomRegret = 0;
      for (let run = 0; run < 10; run++) {
        linUcbRegret += runContextualBandit(env, new LinUCB({ numArms: 5, dimension: 10 }), { steps: 1_000, seed: run }).cumulativeRegret[999];
        randomRegret += runContextualBandit(env, random, { steps: 1_000, seed: run }).cumulativeRegret[999];
      }
      expect(linUcbRegret).toBeLessThan(0.1 * randomRegret);
    }
  });
});

describe('regret tracking and runs', () => {
  it('RegretTracker sums info.regret and flags optimal pulls', () => {
    const tracker = new RegretTracker(3);
    tracker.record(1, { regret: 0 });
    tracker.record(0, { regret: 0.25 });
    tracker.record(1, { regret: 0.5 });
    const { cumulativeRegret, optimalActions } = tracker.result();
    expect(Array.from(cumulativeRegret)).toEqual([0, 0.25, 0.75]);
    expect(Array.from(optimalActions)).toEqual([1, 0, 0]);
    expect(() => tracker.record(1, { regret: 0 })).toThrow(/full/);
    expect(() => new RegretTracker(1).record(1, {})).toThrow(/info\.regret/);
  });

  it('runBandit writes the fixed metric names every pull and is deterministic given its seeds', () => {
    const env = new GaussianBanditEnv({ k: 4 });
    const counts = new Map<string, number>();
    const logger: MetricLogger = { scalar: (name) => counts.set(name, (counts.get(name) ?? 0) + 1) };
    const first = runBandit(env, new UCB1({ numArms: 4, seed: 1 }), { steps: 50, seed: 9 }, logger);
    const second = runBandit(env, new UCB1({ numArms: 4, seed: 1 }), { steps: 50, seed: 9 });
    expect(Object.fromEntries(counts)).toEqual({ 'charts/reward': 50, 'charts/regret': 50, 'charts/cumulative_regret': 50, 'charts/optimal_action': 50 });
    expect(Array.from(second.rewards)).toEqual(Array.from(first.rewards));
  });

  it('argmaxRandomTies picks every tied index', () => {
    const rng = new Rng(0);
    const seen = new Set<number>();
    for (let t = 0; t < 200; t++) seen.add(argmaxRandomTies([1, 3, 0, 3, 3], rng));
    expect([...seen].sort()).toEqual([1, 3, 4]);
  });

  it('configs are validated with errors that name the field', () => {
    expect(() => new EpsilonGreedy({ numArms: 0 })).toThrow(/EpsilonGreedyConfig\.numArms/);
    expect(() => new EpsilonGreedy({ numArms: 2, epsilon: 2 })).toThrow(/EpsilonGreedyConfig\.epsilon/);
    expect(() => new EpsilonGreedy({ numArms: 2, stepSize: 0 })).toThrow(/EpsilonGreedyConfig\.stepSize/);
    expect(() => new UCB1({ numArms: 2, variant: 'ucb2' as never })).toThrow(/UCB1Config\.variant/);
    expect(() => new UCB1({ numArms: 2, c: 1 } as never)).toThrow(/no field "c"/);
    expect(() => new BetaBernoulliThompsonSampling({ numArms: 2, priorAlpha: 0 })).toThrow(/priorAlpha/);
    expect(() => new GaussianThompsonSampling({ numArms: 2, noiseVariance: -1 })).toThrow(/noiseVariance/);
    expect(() => new GradientBandit({ numArms: 2, stepSize: 0 })).toThrow(/GradientBanditConfig\.stepSize/);
    expect(() => new LinUCB({ numArms: 2, dimension: 0 })).toThrow(/LinUCBConfig\.dimension/);
    expect(() => new LinUCB({ numArms: 2, dimension: 3 }).selectArm([1, 2])).toThrow(/context must have length/);
    expect(() => new UCB1({ numArms: 2 }).update(2, 1)).toThrow(/arm must be an integer in \[0, 2\)/);
    expect(() => runBanditExperiment(new GaussianBanditEnv(), (seed) => new UCB1({ numArms: 10, seed }), { runs: 0 })).toThrow(/BanditExperimentConfig\.runs/);
  });
});
