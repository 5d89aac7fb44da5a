/**
 * Thompson sampling (Thompson 1933; Agrawal & Goyal 2012, 2013; Russo et
 * al. 2018, "A Tutorial on Thompson Sampling"): keep a posterior over each
 * arm's mean, draw one sample from every posterior, pull the arm whose
 * sample is largest. Two conjugate models: Beta–Bernoulli for 0/1 rewards
 * and Normal–Normal for Gaussian rewards with known noise variance.
 */
import { Rng } from '@attune/envs';
import { argmaxRandomTies, checkArm, checkReward, type BanditAgent } from './agent.js';
import { checkInteger, checkRange, mergeConfig } from '@attune/envs';

/**
 * Hyperparameters of {@link BetaBernoulliThompsonSampling}.
 *
 * @example
 * ```ts
 * const config: BetaBernoulliThompsonSamplingConfig = { numArms: 10, seed: 0, priorAlpha: 1, priorBeta: 1 };
 * ```
 */
export interface BetaBernoulliThompsonSamplingConfig {
  /** Number of arms. */
  numArms: number;
  /** Seed of the posterior draws. */
  seed: number;
  /** α of the Beta(α, β) prior on each arm's success probability; α = β = 1 is the uniform prior of Agrawal & Goyal 2012. */
  priorAlpha: number;
  /** β of the Beta(α, β) prior. */
  priorBeta: number;
}

/**
 * Defaults of {@link BetaBernoulliThompsonSamplingConfig}: a uniform Beta(1, 1) prior.
 *
 * @example
 * ```ts
 * defaultBetaBernoulliThompsonSamplingConfig.priorAlpha; // 1
 * ```
 */
export const defaultBetaBernoulliThompsonSamplingConfig: Readonly<Omit<BetaBernoulliThompsonSamplingConfig, 'numArms'>> = Object.freeze({
  seed: 0,
  priorAlpha: 1,
  priorBeta: 1,
});

/**
 * Thompson sampling for Bernoulli arms. A reward r ∈ (0, 1) that is not 0 or
 * 1 is turned into a Bernoulli(r) trial first (Agrawal & Goyal 2012, §2), so
 * any reward in [0, 1] is accepted.
 *
 * @example
 * ```ts
 * const agent = new BetaBernoulliThompsonSampling({ numArms: 2 });
 * agent.update(1, 1);
 * agent.alpha[1]; // 2: one success on top of the Beta(1, 1) prior
 * ```
 */
export class BetaBernoulliThompsonSampling implements BanditAgent {
  /** Number of arms. */
  readonly numArms: number;
  /** The resolved config. */
  readonly config: Readonly<BetaBernoulliThompsonSamplingConfig>;
  /** Posterior α of each arm (prior α + successes); shape [numArms]. */
  readonly alpha: Float64Array;
  /** Posterior β of each arm (prior β + failures); shape [numArms]. */
  readonly beta: Float64Array;
  private readonly samples: Float64Array;
  private readonly rng: Rng;

  constructor(config: Partial<BetaBernoulliThompsonSamplingConfig> & Pick<BetaBernoulliThompsonSamplingConfig, 'numArms'>) {
    const name = 'BetaBernoulliThompsonSamplingConfig';
    const args = mergeConfig<BetaBernoulliThompsonSamplingConfig>(name, { numArms: undefined as unknown as number, ...defaultBetaBernoulliThompsonSamplingConfig }, config);
    checkInteger(name, 'numArms', args.numArms, 1);
    checkInteger(name, 'seed', args.seed, 0);
    checkRange(name, 'priorAlpha', args.priorAlpha, 0, Infinity, true);
    checkRange(name, 'priorBeta', args.priorBeta, 0, Infinity, true);
    this.config = Object.freeze(args);
    this.numArms = args.numArms;
    this.alpha = new Float64Array(args.numArms).fill(args.priorAlpha);
    this.beta = new Float64Array(args.numArms).fill(args.priorBeta);
    this.samples = new Float64Array(args.numArms);
    this.rng = new Rng(args.seed);
  }

  selectArm(): number {
    // θ̃ₐ ~ Beta(αₐ, βₐ) for every arm; pull the largest.
    for (let arm = 0; arm < this.numArms; arm++) this.samples[arm] = this.rng.beta(this.alpha[arm], this.beta[arm]);
    return argmaxRandomTies(this.samples, this.rng);
  }

  update(arm: number, reward: number): void {
    checkArm('BetaBernoulliThompsonSampling', this.numArms, arm);
    checkReward('BetaBernoulliThompsonSampling', reward);
    if (reward < 0 || reward > 1) throw new RangeError(`BetaBernoulliThompsonSampling.update reward must lie in [0, 1], got ${reward}`);
    const success = reward === 1 || (reward > 0 && this.rng.random() < reward);
    if (success) this.alpha[arm]++;
    else this.beta[arm]++;
  }
}

/**
 * Hyperparameters of {@link GaussianThompsonSampling}.
 *
 * @example
 * ```ts
 * const config: GaussianThompsonSamplingConfig = { numArms: 10, seed: 0, priorMean: 0, priorVariance: 1, noiseVariance: 1 };
 * ```
 */
export interface GaussianThompsonSamplingConfig {
  /** Number of arms. */
  numArms: number;
  /** Seed of the posterior draws. */
  seed: number;
  /** μ₀ of the N(μ₀, σ₀²) prior on each arm's mean; 0 matches the testbed's q*(a) ~ N(0, 1) (S&B §2.3). */
  priorMean: number;
  /** σ₀² of the prior; 1 matches the testbed and gives Agrawal & Goyal 2013's posterior N(μ̂, 1/(n + 1)). */
  priorVariance: number;
  /** σ², the known variance of a reward around its arm's mean (1 on the testbed). */
  noiseVariance: number;
}

/**
 * Defaults of {@link GaussianThompsonSamplingConfig}: the 10-armed testbed's own model.
 *
 * @example
 * ```ts
 * defaultGaussianThompsonSamplingConfig.noiseVariance; // 1
 * ```
 */
export const defaultGaussianThompsonSamplingConfig: Readonly<Omit<GaussianThompsonSamplingConfig, 'numArms'>> = Object.freeze({
  seed: 0,
  priorMean: 0,
  priorVariance: 1,
  noiseVariance: 1,
});

/**
 * Thompson sampling for Gaussian arms with a conjugate Normal prior: after n
 * rewards summing to S, the posterior precision is 1/σ₀² + n/σ² and the
 * posterior mean is (μ₀/σ₀² + S/σ²) / precision.
 *
 * @example
 * ```ts
 * const agent = new GaussianThompsonSampling({ numArms: 10 });
 * const arm = agent.selectArm();
 * agent.update(arm, 0.7);
 * agent.posteriorMean(arm); // 0.35 with the default N(0, 1) prior and unit noise
 * ```
 */
export class GaussianThompsonSampling implements BanditAgent {
  /** Number of arms. */
  readonly numArms: number;
  /** The resolved config. */
  readonly config: Readonly<GaussianThompsonSamplingConfig>;
  /** n, rewards seen per arm; shape [numArms]. */
  readonly counts: Float64Array;
  /** S, sum of rewards per arm; shape [numArms]. */
  readonly rewardSums: Float64Array;
  private readonly samples: Float64Array;
  private readonly rng: Rng;

  constructor(config: Partial<GaussianThompsonSamplingConfig> & Pick<GaussianThompsonSamplingConfig, 'numArms'>) {
    const name = 'GaussianThompsonSamplingConfig';
    const args = mergeConfig<GaussianThompsonSamplingConfig>(name, { numArms: undefined as unknown as number, ...defaultGaussianThompsonSamplingConfig }, config);
    checkInteger(name, 'numArms', args.numArms, 1);
    checkInteger(name, 'seed', args.seed, 0);
    checkRange(name, 'priorMean', args.priorMean, -Infinity, Infinity, true);
    checkRange(name, 'priorVariance', args.priorVariance, 0, Infinity, true);
    checkRange(name, 'noiseVariance', args.noiseVariance, 0, Infinity, true);
    this.config = Object.freeze(args);
    this.numArms = args.numArms;
    this.counts = new Float64Array(args.numArms);
    this.rewardSums = new Float64Array(args.numArms);
    this.samples = new Float64Array(args.numArms);
    this.rng = new Rng(args.seed);
  }

  /** Posterior precision 1/σ₀² + n/σ² of an arm's mean. */
  posteriorPrecision(arm: number): number {
    return 1 / this.config.priorVariance + this.counts[arm] / this.config.noiseVariance;
  }

  /** Posterior mean (μ₀/σ₀² + S/σ²) / precision of an arm's mean. */
  posteriorMean(arm: number): number {
    const { priorMean, priorVariance, noiseVariance } = this.config;
    return (priorMean / priorVariance + this.rewardSums[arm] / noiseVariance) / this.posteriorPrecision(arm);
  }

  selectArm(): number {
    // θ̃ₐ ~ N(posterior mean, 1 / posterior precision) for every arm; pull the largest.
    for (let arm = 0; arm < this.numArms; arm++) {
      this.samples[arm] = this.rng.normal(this.posteriorMean(arm), 1 / Math.sqrt(this.posteriorPrecision(arm)));
    }
    return argmaxRandomTies(this.samples, this.rng);
  }

  update(arm: number, reward: number): void {
    checkArm('GaussianThompsonSampling', this.numArms, arm);
    checkReward('GaussianThompsonSampling', reward);
    this.counts[arm]++;
    this.rewardSums[arm] += reward;
  }
}
