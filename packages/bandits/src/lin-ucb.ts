/**
 * LinUCB with disjoint linear models (Li, Chu, Langford & Schapire 2010, "A
 * Contextual-Bandit Approach to Personalized News Article Recommendation",
 * Algorithm 1): each arm a keeps a ridge regression of reward on context,
 * θ̂ₐ = Aₐ⁻¹ bₐ, and the agent pulls the arm maximising
 * x_{t,a}ᵀ θ̂ₐ + α √(x_{t,a}ᵀ Aₐ⁻¹ x_{t,a}) (eq. 5).
 */
import { checkArm, checkReward, type ContextualBanditAgent } from './agent.js';
import { checkInteger, checkRange, mergeConfig } from '@attune/envs';

/**
 * Hyperparameters of {@link LinUCB}.
 *
 * @example
 * ```ts
 * const config: LinUCBConfig = { numArms: 5, dimension: 10, alpha: 1, ridge: 1 };
 * ```
 */
export interface LinUCBConfig {
  /** Number of arms. */
  numArms: number;
  /** Context dimension d. */
  dimension: number;
  /** α, the width of the confidence bound; Li et al. set α = 1 + √(ln(2/δ)/2) for confidence 1 − δ (eq. 4) and tune it in practice; 1 is a common default. */
  alpha: number;
  /** λ in Aₐ = λ I at the start (Algorithm 1 uses λ = 1, i.e. Aₐ = I_d): the ridge penalty. */
  ridge: number;
}

/**
 * Defaults of {@link LinUCBConfig}.
 *
 * @example
 * ```ts
 * defaultLinUCBConfig.alpha; // 1
 * ```
 */
export const defaultLinUCBConfig: Readonly<Omit<LinUCBConfig, 'numArms' | 'dimension'>> = Object.freeze({ alpha: 1, ridge: 1 });

/**
 * The disjoint LinUCB agent. A context is either one vector of length d
 * shared by all arms, or `numArms × d` values, row a holding arm a's features
 * x_{t,a} (Li et al.'s setting). Aₐ⁻¹ is kept directly and updated with the
 * Sherman–Morrison formula, O(d²) per pull. No random draws: ties go to the
 * lowest index.
 *
 * @example
 * ```ts
 * const agent = new LinUCB({ numArms: 5, dimension: 10 });
 * const context = new Float64Array(10).fill(0.1);
 * const arm = agent.selectArm(context);
 * agent.update(context, arm, 0.5);
 * agent.theta(arm);                            // θ̂ₐ = Aₐ⁻¹ bₐ
 * ```
 */
export class LinUCB implements ContextualBanditAgent {
  /** Number of arms. */
  readonly numArms: number;
  /** Context dimension d. */
  readonly dimension: number;
  /** The resolved config. */
  readonly config: Readonly<LinUCBConfig>;
  /** Aₐ⁻¹ for every arm, row-major; shape [numArms, d, d]. */
  readonly inverseCovariances: Float64Array;
  /** bₐ = Σ rₜ x_{t,a} for every arm; shape [numArms, d]. */
  readonly rewardWeightedContexts: Float64Array;
  private readonly scratch: Float64Array; // Aₐ⁻¹ x, shape [d]

  constructor(config: Partial<LinUCBConfig> & Pick<LinUCBConfig, 'numArms' | 'dimension'>) {
    const args = mergeConfig<LinUCBConfig>(
      'LinUCBConfig',
      { numArms: undefined as unknown as number, dimension: undefined as unknown as number, ...defaultLinUCBConfig },
      config,
    );
    checkInteger('LinUCBConfig', 'numArms', args.numArms, 1);
    checkInteger('LinUCBConfig', 'dimension', args.dimension, 1);
    checkRange('LinUCBConfig', 'alpha', args.alpha, 0, Infinity);
    checkRange('LinUCBConfig', 'ridge', args.ridge, 0, Infinity, true);
    this.config = Object.freeze(args);
    this.numArms = args.numArms;
    this.dimension = args.dimension;
    const d = args.dimension;
    this.inverseCovariances = new Float64Array(args.numArms * d * d);
    for (let arm = 0; arm < args.numArms; arm++) {
      for (let i = 0; i < d; i++) this.inverseCovariances[arm * d * d + i * d + i] = 1 / args.ridge; // (λ I)⁻¹
    }
    this.rewardWeightedContexts = new Float64Array(args.numArms * d);
    this.scratch = new Float64Array(d);
  }

  /** θ̂ₐ = Aₐ⁻¹ bₐ, the ridge estimate of arm a's weights; shape [d]. */
  theta(arm: number): Float64Array {
    const d = this.dimension;
    const theta = new Float64Array(d);
    const inverse = arm * d * d;
    for (let i = 0; i < d; i++) {
      let sum = 0;
      for (let j = 0; j < d; j++) sum += this.inverseCovariances[inverse + i * d + j] * this.rewardWeightedContexts[arm * d + j];
      theta[i] = sum;
    }
    return theta;
  }

  /** p_{t,a} = xᵀθ̂ₐ + α √(xᵀ Aₐ⁻¹ x) for every arm (Algorithm 1, line 9); shape [numArms]. */
  upperConfidenceBounds(context: ArrayLike<number>): Float64Array {
    const offsetOf = this.contextLayout(context);
    const bounds = new Float64Array(this.numArms);
    for (let arm = 0; arm < this.numArms; arm++) {
      const offset = offsetOf(arm);
      const theta = this.theta(arm);
      const variance = this.quadraticForm(arm, context, offset);
      let mean = 0;
      for (let i = 0; i < this.dimension; i++) mean += context[offset + i] * theta[i];
      bounds[arm] = mean + this.config.alpha * Math.sqrt(variance);
    }
    return bounds;
  }

  selectArm(context: ArrayLike<number>): number {
    const bounds = this.upperConfidenceBounds(context);
    let best = 0;
    for (let arm = 1; arm < this.numArms; arm++) if (bounds[arm] > bounds[best]) best = arm;
    return best;
  }

  update(context: ArrayLike<number>, arm: number, reward: number): void {
    checkArm('LinUCB', this.numArms, arm);
    checkReward('LinUCB', reward);
    const offset = this.contextLayout(context)(arm);
    const d = this.dimension;
    const inverse = arm * d * d;
    // 1. Sherman–Morrison: (A + x xᵀ)⁻¹ = A⁻¹ − (A⁻¹x)(A⁻¹x)ᵀ / (1 + xᵀA⁻¹x), A⁻¹ symmetric.
    const denominator = 1 + this.quadraticForm(arm, context, offset); // also fills scratch = A⁻¹x
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) this.inverseCovariances[inverse + i * d + j] -= (this.scratch[i] * this.scratch[j]) / denominator;
    }
    // 2. bₐ ← bₐ + r x (Algorithm 1, line 13).
    for (let i = 0; i < d; i++) this.rewardWeightedContexts[arm * d + i] += reward * context[offset + i];
  }

  /** xᵀ Aₐ⁻¹ x for arm a's features at `offset`, leaving Aₐ⁻¹ x in `scratch`. */
  private quadraticForm(arm: number, context: ArrayLike<number>, offset: number): number {
    const d = this.dimension;
    const inverse = arm * d * d;
    let result = 0;
    for (let i = 0; i < d; i++) {
      let sum = 0;
      for (let j = 0; j < d; j++) sum += this.inverseCovariances[inverse + i * d + j] * context[offset + j];
      this.scratch[i] = sum;
      result += context[offset + i] * sum;
    }
    return result;
  }

  /** Where arm a's features start: 0 for a shared context of length d, a·d for per-arm rows of length numArms·d. */
  private contextLayout(context: ArrayLike<number>): (arm: number) => number {
    if (context.length === this.dimension) return () => 0;
    if (context.length === this.numArms * this.dimension) return (arm) => arm * this.dimension;
    throw new RangeError(`LinUCB context must have length dimension = ${this.dimension} or numArms × dimension = ${this.numArms * this.dimension}, got ${context.length}`);
  }
}
