/**
 * A contextual linear bandit: each step shows a context vector x, each arm a
 * has a hidden weight vector θₐ, and pulling a pays xᵀθₐ + ε. This is the
 * disjoint linear model LinUCB assumes (Li, Chu, Langford & Schapire 2010,
 * "A Contextual-Bandit Approach to Personalized News Article
 * Recommendation", eq. 2). Gymnasium has no such env; it follows its API.
 */
import { Env, type ResetArgs, type ResetResult, type StepResult } from '../../core.js';
import { InvalidActionError, ResetNeededError, rejectUnknownOptions } from '../../errors.js';
import { Box, Discrete, describeValue } from '../../spaces.js';
import type { BanditStepInfo } from './k-armed.js';

/**
 * Options of {@link LinearContextualBanditEnv}.
 *
 * @example
 * ```ts
 * const options: LinearContextualBanditOptions = { k: 5, dimension: 8, noiseStd: 0.1 };
 * ```
 */
export interface LinearContextualBanditOptions {
  /** Number of arms (default 5; ignored when `thetas` is given). */
  k?: number;
  /** Context dimension d (default 10; ignored when `thetas` is given). */
  dimension?: number;
  /** Fixed arm weights, `k` arrays of length d; default: θₐ ~ N(0, I/d) per arm at each reset, so xᵀθₐ has unit variance. */
  thetas?: readonly ArrayLike<number>[];
  /** Standard deviation of the reward noise ε (default 0.1). */
  noiseStd?: number;
  /**
   * When true every arm gets its own context xₜ,ₐ and the observation is
   * `k × d` (row a = arm a's features, as in Li et al.'s per-arm features);
   * default false: one shared context of length d.
   */
  perArmContexts?: boolean;
}

/**
 * Contexts are drawn N(0, I) each step; the observation returned by
 * `reset`/`step` is the context the *next* pull is made in. Registered as
 * `LinearContextualBandit-v0` (5 arms, d = 10, 1000 pulls). `info` carries
 * the regret fields of {@link BanditStepInfo} for the context just used.
 *
 * @example
 * ```ts
 * const env = new LinearContextualBanditEnv({ k: 3, dimension: 4 });
 * let { observation: context } = env.reset({ seed: 0 });
 * const { reward, info, observation } = env.step(0); // reward = contextᵀθ₀ + ε
 * context = observation;
 * ```
 */
export class LinearContextualBanditEnv extends Env<Float64Array, number> {
  readonly observationSpace: Box<'float64'>;
  readonly actionSpace: Discrete;
  /** Number of arms. */
  readonly k: number;
  /** Context dimension d. */
  readonly dimension: number;
  /** Reward noise standard deviation. */
  readonly noiseStd: number;
  /** Whether each arm has its own context row. */
  readonly perArmContexts: boolean;
  /** Arm weights θ, `k × d` row-major. */
  readonly thetas: Float64Array;
  private readonly fixedThetas: Float64Array | undefined;
  private context: Float64Array | undefined = undefined;

  constructor(options: LinearContextualBanditOptions = {}) {
    super();
    rejectUnknownOptions('LinearContextualBanditEnv', options, ['k', 'dimension', 'thetas', 'noiseStd', 'perArmContexts']);
    if (options.thetas !== undefined) {
      if (options.thetas.length === 0) throw new RangeError('LinearContextualBandit thetas must hold at least one arm');
      const dimension = options.thetas[0].length;
      this.fixedThetas = new Float64Array(options.thetas.length * dimension);
      options.thetas.forEach((theta, arm) => {
        if (theta.length !== dimension) throw new RangeError(`LinearContextualBandit thetas[${arm}] has length ${theta.length}, expected ${dimension}`);
        this.fixedThetas?.set(Array.from(theta), arm * dimension);
      });
      this.k = options.thetas.length;
      this.dimension = dimension;
    } else {
      this.k = options.k ?? 5;
      this.dimension = options.dimension ?? 10;
    }
    if (!Number.isInteger(this.k) || this.k < 1) throw new RangeError(`LinearContextualBandit k must be a positive integer, got ${describeValue(this.k)}`);
    if (!Number.isInteger(this.dimension) || this.dimension < 1) throw new RangeError(`LinearContextualBandit dimension must be a positive integer, got ${describeValue(this.dimension)}`);
    this.noiseStd = options.noiseStd ?? 0.1;
    if (!(this.noiseStd >= 0)) throw new RangeError(`LinearContextualBandit noiseStd must be >= 0, got ${describeValue(this.noiseStd)}`);
    this.perArmContexts = options.perArmContexts ?? false;
    const shape = this.perArmContexts ? [this.k, this.dimension] : [this.dimension];
    this.observationSpace = new Box({ low: -Infinity, high: Infinity, shape, dtype: 'float64' });
    this.actionSpace = new Discrete(this.k);
    this.thetas = new Float64Array(this.k * this.dimension);
  }

  /** Expected reward of each arm in the current context. */
  expectedRewards(): Float64Array {
    if (this.context === undefined) throw new ResetNeededError('LinearContextualBanditEnv.expectedRewards: call reset() first');
    const values = new Float64Array(this.k);
    const d = this.dimension;
    for (let arm = 0; arm < this.k; arm++) {
      const offset = this.perArmContexts ? arm * d : 0;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += this.context[offset + j] * this.thetas[arm * d + j];
      values[arm] = dot;
    }
    return values;
  }

  /** Arm with the largest expected reward in the current context (lowest index on ties). */
  optimalArm(): number {
    const values = this.expectedRewards();
    let best = 0;
    for (let arm = 1; arm < this.k; arm++) if (values[arm] > values[best]) best = arm;
    return best;
  }

  private drawContext(): Float64Array {
    const context = new Float64Array(this.observationSpace.size);
    for (let i = 0; i < context.length; i++) context[i] = this.npRandom.normal();
    this.context = context;
    return context.slice();
  }

  reset(args: ResetArgs = {}): ResetResult<Float64Array> {
    this.resetNpRandom(args.seed);
    if (this.fixedThetas !== undefined) this.thetas.set(this.fixedThetas);
    else for (let i = 0; i < this.thetas.length; i++) this.thetas[i] = this.npRandom.normal(0, 1 / Math.sqrt(this.dimension));
    return { observation: this.drawContext(), info: {} };
  }

  step(arm: number): StepResult<Float64Array> {
    if (this.context === undefined) throw new ResetNeededError('LinearContextualBanditEnv.step: cannot call step() before reset()');
    if (!Number.isInteger(arm) || arm < 0 || arm >= this.k) {
      throw new InvalidActionError('LinearContextualBanditEnv.step', arm, this.actionSpace, `expected an arm index in [0, ${this.k})`);
    }
    const values = this.expectedRewards();
    let optimalArm = 0;
    for (let a = 1; a < this.k; a++) if (values[a] > values[optimalArm]) optimalArm = a;
    const reward = values[arm] + this.npRandom.normal(0, this.noiseStd);
    const info: BanditStepInfo = {
      optimalArm,
      optimalValue: values[optimalArm],
      expectedReward: values[arm],
      regret: values[optimalArm] - values[arm],
    };
    return { observation: this.drawContext(), reward, terminated: false, truncated: false, info };
  }
}
