/**
 * UCB1 (Auer, Cesa-Bianchi & Fischer 2002, "Finite-time Analysis of the
 * Multiarmed Bandit Problem", figure 1): pull every arm once, then the arm
 * maximising x̄ⱼ + c·√(ln n / nⱼ). With c = √2 this is UCB1 exactly, whose
 * expected regret grows as O(log n) for rewards in [0, 1]; Sutton & Barto
 * 2nd ed. §2.7 write the same rule with a free c. The same paper's
 * UCB1-Tuned (§4) replaces the worst-case variance bound 1/4 by an upper
 * confidence bound on each arm's empirical variance, which it reports
 * "performs substantially better than UCB1 in essentially all of our
 * experiments" (and Kuleshov & Precup 2014 concur on short horizons).
 */
import { Rng } from '@attune/envs';
import { argmaxRandomTies, checkArm, checkReward, type BanditAgent } from './agent.js';
import { checkChoice, checkInteger, checkRange, mergeConfig } from '@attune/envs';

/**
 * Hyperparameters of {@link UCB1}.
 *
 * @example
 * ```ts
 * const config: UCB1Config = { numArms: 10, seed: 0, explorationCoefficient: Math.SQRT2, variant: 'ucb1' };
 * ```
 */
export interface UCB1Config {
  /** Number of arms. */
  numArms: number;
  /** Seed of the tie-breaking draws. */
  seed: number;
  /** c in x̄ⱼ + c·√(ln n / nⱼ); √2 is Auer et al.'s √(2 ln n / nⱼ), sized for rewards in [0, 1]. Unused by `'tuned'`. */
  explorationCoefficient: number;
  /** `'ucb1'`: the bound above; `'tuned'`: UCB1-Tuned, x̄ⱼ + √((ln n / nⱼ) · min(1/4, Vⱼ)) with Vⱼ = σ̂ⱼ² + √(2 ln n / nⱼ) (Auer et al. 2002, §4). */
  variant: 'ucb1' | 'tuned';
}

/**
 * Defaults of {@link UCB1Config}.
 *
 * @example
 * ```ts
 * defaultUCB1Config.explorationCoefficient; // Math.SQRT2
 * ```
 */
export const defaultUCB1Config: Readonly<Omit<UCB1Config, 'numArms'>> = Object.freeze({
  seed: 0,
  explorationCoefficient: Math.SQRT2,
  variant: 'ucb1',
});

/**
 * The UCB1 agent.
 *
 * @example
 * ```ts
 * const agent = new UCB1({ numArms: 3 });
 * agent.selectArm(); // 0, 1, 2 in the first three pulls (each arm once), then by upper bound
 * const tuned = new UCB1({ numArms: 3, variant: 'tuned' });
 * ```
 */
export class UCB1 implements BanditAgent {
  /** Number of arms. */
  readonly numArms: number;
  /** The resolved config. */
  readonly config: Readonly<UCB1Config>;
  /** x̄ⱼ, the mean reward of each arm; shape [numArms]. */
  readonly means: Float64Array;
  /** nⱼ, how often each arm was pulled; shape [numArms]. */
  readonly counts: Float64Array;
  /** Σ X², the sum of squared rewards of each arm, for UCB1-Tuned's variance; shape [numArms]. */
  readonly squaredRewardSums: Float64Array;
  /** n, the total number of pulls. */
  totalPulls = 0;
  private readonly upperBounds: Float64Array;
  private readonly rng: Rng;

  constructor(config: Partial<UCB1Config> & Pick<UCB1Config, 'numArms'>) {
    const args = mergeConfig<UCB1Config>('UCB1Config', { numArms: undefined as unknown as number, ...defaultUCB1Config }, config);
    checkInteger('UCB1Config', 'numArms', args.numArms, 1);
    checkInteger('UCB1Config', 'seed', args.seed, 0);
    checkRange('UCB1Config', 'explorationCoefficient', args.explorationCoefficient, 0, Infinity);
    checkChoice('UCB1Config', 'variant', args.variant, ['ucb1', 'tuned']);
    this.config = Object.freeze(args);
    this.numArms = args.numArms;
    this.means = new Float64Array(args.numArms);
    this.counts = new Float64Array(args.numArms);
    this.squaredRewardSums = new Float64Array(args.numArms);
    this.upperBounds = new Float64Array(args.numArms);
    this.rng = new Rng(args.seed);
  }

  selectArm(): number {
    // 1. Initialisation: play each machine once (the lowest-index unplayed arm first).
    for (let arm = 0; arm < this.numArms; arm++) if (this.counts[arm] === 0) return arm;
    // 2. Then the largest upper confidence bound: x̄ⱼ + c·√(ln n / nⱼ) for UCB1,
    //    x̄ⱼ + √((ln n / nⱼ) · min(1/4, σ̂ⱼ² + √(2 ln n / nⱼ))) for UCB1-Tuned.
    const logTotal = Math.log(this.totalPulls);
    for (let arm = 0; arm < this.numArms; arm++) {
      const n = this.counts[arm];
      if (this.config.variant === 'ucb1') {
        this.upperBounds[arm] = this.means[arm] + this.config.explorationCoefficient * Math.sqrt(logTotal / n);
      } else {
        const variance = this.squaredRewardSums[arm] / n - this.means[arm] ** 2;
        const varianceBound = variance + Math.sqrt((2 * logTotal) / n);
        this.upperBounds[arm] = this.means[arm] + Math.sqrt((logTotal / n) * Math.min(0.25, varianceBound));
      }
    }
    return argmaxRandomTies(this.upperBounds, this.rng);
  }

  update(arm: number, reward: number): void {
    checkArm('UCB1', this.numArms, arm);
    checkReward('UCB1', reward);
    this.totalPulls++;
    this.counts[arm]++;
    this.means[arm] += (reward - this.means[arm]) / this.counts[arm];
    this.squaredRewardSums[arm] += reward * reward;
  }
}
