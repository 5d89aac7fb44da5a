/**
 * The gradient bandit algorithm (Sutton & Barto 2nd ed. §2.8): learn a
 * numerical preference Hₜ(a) per arm, act by the softmax πₜ(a) ∝ exp Hₜ(a),
 * and move preferences by stochastic gradient ascent on expected reward,
 * with the average reward as a baseline (eq. 2.12).
 */
import { Rng } from '@attune/envs';
import { checkArm, checkReward, type BanditAgent } from './agent.js';
import { checkInteger, checkRange, mergeConfig } from '@attune/envs';

/**
 * Hyperparameters of {@link GradientBandit}.
 *
 * @example
 * ```ts
 * const config: GradientBanditConfig = { numArms: 10, seed: 0, stepSize: 0.1, baseline: true };
 * ```
 */
export interface GradientBanditConfig {
  /** Number of arms. */
  numArms: number;
  /** Seed of the softmax draws. */
  seed: number;
  /** α in eq. 2.12; S&B figure 2.5 compares 0.1 and 0.4, with 0.1 the better of the two with a baseline. */
  stepSize: number;
  /** Subtract the average reward R̄ₜ before updating (eq. 2.12); without it learning slows badly when rewards are far from 0 (figure 2.5). */
  baseline: boolean;
}

/**
 * Defaults of {@link GradientBanditConfig}.
 *
 * @example
 * ```ts
 * defaultGradientBanditConfig.stepSize; // 0.1
 * ```
 */
export const defaultGradientBanditConfig: Readonly<Omit<GradientBanditConfig, 'numArms'>> = Object.freeze({ seed: 0, stepSize: 0.1, baseline: true });

/**
 * The gradient bandit agent.
 *
 * @example
 * ```ts
 * const agent = new GradientBandit({ numArms: 10, stepSize: 0.1 });
 * const arm = agent.selectArm();
 * agent.update(arm, 1);
 * agent.policy(); // softmax of the preferences, summing to 1
 * ```
 */
export class GradientBandit implements BanditAgent {
  /** Number of arms. */
  readonly numArms: number;
  /** The resolved config. */
  readonly config: Readonly<GradientBanditConfig>;
  /** Hₜ(a), the preference of each arm; shape [numArms]. */
  readonly preferences: Float64Array;
  /** R̄ₜ, the average of the rewards before this step (S&B: "up to but not including time t", with R̄₁ = R₁). */
  averageReward = 0;
  /** Pulls learned from so far. */
  steps = 0;
  private readonly probabilities: Float64Array;
  private readonly rng: Rng;

  constructor(config: Partial<GradientBanditConfig> & Pick<GradientBanditConfig, 'numArms'>) {
    const args = mergeConfig<GradientBanditConfig>('GradientBanditConfig', { numArms: undefined as unknown as number, ...defaultGradientBanditConfig }, config);
    checkInteger('GradientBanditConfig', 'numArms', args.numArms, 1);
    checkInteger('GradientBanditConfig', 'seed', args.seed, 0);
    checkRange('GradientBanditConfig', 'stepSize', args.stepSize, 0, Infinity, true);
    if (typeof args.baseline !== 'boolean') throw new TypeError(`GradientBanditConfig.baseline must be a boolean, got ${String(args.baseline)}`);
    this.config = Object.freeze(args);
    this.numArms = args.numArms;
    this.preferences = new Float64Array(args.numArms);
    this.probabilities = new Float64Array(args.numArms);
    this.rng = new Rng(args.seed);
  }

  /** πₜ(a) = exp Hₜ(a) / Σ_b exp Hₜ(b) (eq. 2.11), computed stably; shape [numArms]. */
  policy(): Float64Array {
    let maxPreference = -Infinity;
    for (const preference of this.preferences) maxPreference = Math.max(maxPreference, preference);
    let total = 0;
    for (let arm = 0; arm < this.numArms; arm++) {
      this.probabilities[arm] = Math.exp(this.preferences[arm] - maxPreference);
      total += this.probabilities[arm];
    }
    for (let arm = 0; arm < this.numArms; arm++) this.probabilities[arm] /= total;
    return this.probabilities;
  }

  selectArm(): number {
    return this.rng.categorical(this.policy());
  }

  update(arm: number, reward: number): void {
    checkArm('GradientBandit', this.numArms, arm);
    checkReward('GradientBandit', reward);
    this.steps++;
    // 1. Baseline R̄ₜ: the average of earlier rewards, and R₁ itself at the first step.
    const baseline = !this.config.baseline ? 0 : this.steps === 1 ? reward : this.averageReward;
    // 2. Eq. 2.12: H(Aₜ) += α (Rₜ − R̄ₜ)(1 − π(Aₜ)); H(a) −= α (Rₜ − R̄ₜ) π(a) for every other a.
    const probabilities = this.policy();
    const scaledAdvantage = this.config.stepSize * (reward - baseline);
    for (let a = 0; a < this.numArms; a++) {
      this.preferences[a] += scaledAdvantage * ((a === arm ? 1 : 0) - probabilities[a]);
    }
    // 3. Fold Rₜ into the running average for the next step (S&B eq. 2.3).
    this.averageReward += (reward - this.averageReward) / this.steps;
  }
}
