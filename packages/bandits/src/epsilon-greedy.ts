/**
 * The ε-greedy action-value method (Sutton & Barto 2nd ed. §2.2–2.6): keep
 * an estimate Q(a) of each arm's value, pull the greedy arm, but with
 * probability ε pull a uniformly random one. Estimates are sample averages
 * (§2.4) or exponential recency-weighted averages with a constant step
 * (§2.5); a high initial value explores optimistically (§2.6).
 */
import { Rng } from '@attune/envs';
import { argmaxRandomTies, checkArm, checkReward, type BanditAgent } from './agent.js';
import { checkInteger, checkRange, mergeConfig } from '@attune/envs';

/**
 * Hyperparameters of {@link EpsilonGreedy}.
 *
 * @example
 * ```ts
 * const optimistic: EpsilonGreedyConfig = { ...defaultEpsilonGreedyConfig, numArms: 10, epsilon: 0, initialValue: 5, stepSize: 0.1 }; // S&B figure 2.3
 * ```
 */
export interface EpsilonGreedyConfig {
  /** Number of arms. */
  numArms: number;
  /** Seed of the exploration and tie-breaking draws. */
  seed: number;
  /** Probability of a uniformly random pull at the first step; S&B figure 2.2 finds 0.1 best of {0, 0.01, 0.1}. */
  epsilon: number;
  /** Factor ε is multiplied by after every pull (1 keeps ε constant; 0.999 roughly halves it every 700 pulls). */
  epsilonDecay: number;
  /** Floor under the decayed ε. */
  minEpsilon: number;
  /** Q₁(a) before any pull; 0 is realistic, 5 on the Gaussian testbed is S&B's optimistic start (§2.6). */
  initialValue: number;
  /** `'sample-average'` for α = 1/n (S&B eq. 2.3), or a constant α ∈ (0, 1] that tracks non-stationary arms (eq. 2.5). */
  stepSize: 'sample-average' | number;
}

/**
 * Defaults of {@link EpsilonGreedyConfig} (S&B's 10-armed testbed settings).
 *
 * @example
 * ```ts
 * new EpsilonGreedy({ ...defaultEpsilonGreedyConfig, numArms: 10 });
 * ```
 */
export const defaultEpsilonGreedyConfig: Readonly<Omit<EpsilonGreedyConfig, 'numArms'>> = Object.freeze({
  seed: 0,
  epsilon: 0.1,
  epsilonDecay: 1,
  minEpsilon: 0,
  initialValue: 0,
  stepSize: 'sample-average',
});

/**
 * ε-greedy with incremental value estimates.
 *
 * @example
 * ```ts
 * const agent = new EpsilonGreedy({ numArms: 10, epsilon: 0.1 });
 * const arm = agent.selectArm();
 * agent.update(arm, 1);
 * agent.estimates[arm]; // 1
 * ```
 */
export class EpsilonGreedy implements BanditAgent {
  /** Number of arms. */
  readonly numArms: number;
  /** The resolved config. */
  readonly config: Readonly<EpsilonGreedyConfig>;
  /** Q(a), the estimated value of each arm; shape [numArms]. */
  readonly estimates: Float64Array;
  /** N(a), how often each arm was pulled; shape [numArms]. */
  readonly counts: Float64Array;
  /** ε for the next pull. */
  epsilon: number;
  private readonly rng: Rng;

  constructor(config: Partial<EpsilonGreedyConfig> & Pick<EpsilonGreedyConfig, 'numArms'>) {
    const args = mergeConfig<EpsilonGreedyConfig>('EpsilonGreedyConfig', { numArms: undefined as unknown as number, ...defaultEpsilonGreedyConfig }, config);
    checkInteger('EpsilonGreedyConfig', 'numArms', args.numArms, 1);
    checkInteger('EpsilonGreedyConfig', 'seed', args.seed, 0);
    checkRange('EpsilonGreedyConfig', 'epsilon', args.epsilon, 0, 1);
    checkRange('EpsilonGreedyConfig', 'epsilonDecay', args.epsilonDecay, 0, 1, true);
    checkRange('EpsilonGreedyConfig', 'minEpsilon', args.minEpsilon, 0, 1);
    checkRange('EpsilonGreedyConfig', 'initialValue', args.initialValue, -Infinity, Infinity, true);
    if (args.stepSize !== 'sample-average') checkRange('EpsilonGreedyConfig', 'stepSize', args.stepSize, 0, 1, true);
    this.config = Object.freeze(args);
    this.numArms = args.numArms;
    this.estimates = new Float64Array(args.numArms).fill(args.initialValue);
    this.counts = new Float64Array(args.numArms);
    this.epsilon = args.epsilon;
    this.rng = new Rng(args.seed);
  }

  selectArm(): number {
    if (this.rng.random() < this.epsilon) return this.rng.integers(this.numArms);
    return argmaxRandomTies(this.estimates, this.rng);
  }

  update(arm: number, reward: number): void {
    checkArm('EpsilonGreedy', this.numArms, arm);
    checkReward('EpsilonGreedy', reward);
    this.counts[arm]++;
    // Q ← Q + α (R − Q), with α = 1/N(a) for the sample average (S&B eq. 2.3) or a constant (eq. 2.5).
    const stepSize = this.config.stepSize === 'sample-average' ? 1 / this.counts[arm] : this.config.stepSize;
    this.estimates[arm] += stepSize * (reward - this.estimates[arm]);
    this.epsilon = Math.max(this.config.minEpsilon, this.epsilon * this.config.epsilonDecay);
  }
}
