/**
 * k-armed bandits as environments: Bernoulli and Gaussian arms, stationary
 * or drifting by independent random walks (Sutton & Barto, *Reinforcement
 * Learning: An Introduction*, 2nd ed., §2.3 "the 10-armed testbed" and
 * exercise 2.5). Gymnasium has no bandit envs; these follow its API.
 *
 * Episode shape: one `reset` starts one *run* — the arm parameters are drawn
 * from `npRandom` (unless given) — and every `step(arm)` is one pull. There
 * is one dummy observation (always 0) and no termination; a run's length
 * comes from the registry's `maxEpisodeSteps` (TimeLimit) or the caller.
 * `info` of every step carries what regret needs (see {@link BanditStepInfo}).
 */
import { Env, type ResetArgs, type ResetResult, type StepResult } from '../../core.js';
import { InvalidActionError, ResetNeededError, rejectUnknownOptions } from '../../errors.js';
import { Discrete, describeValue } from '../../spaces.js';

/**
 * The `info` of a bandit step: enough to compute regret.
 *
 * @example
 * ```ts
 * const env = make('BernoulliBandit-v0');
 * env.reset({ seed: 0 });
 * let cumulativeRegret = 0;
 * const { info } = env.step(3);
 * cumulativeRegret += (info as unknown as BanditStepInfo).regret;
 * ```
 */
export interface BanditStepInfo {
  /** Index of an arm with the highest expected reward at this step (ties → lowest index). */
  optimalArm: number;
  /** Highest expected reward at this step. */
  optimalValue: number;
  /** Expected reward of the pulled arm at this step. */
  expectedReward: number;
  /** `optimalValue − expectedReward`, the pull's (pseudo-)regret. */
  regret: number;
  [key: string]: unknown;
}

/**
 * Common machinery: `k` arms, a vector of current expected rewards, the
 * optimal arm, an optional random-walk drift after every pull.
 *
 * @example
 * ```ts
 * const env: KArmedBanditEnv = new GaussianBanditEnv({ k: 10 });
 * env.reset({ seed: 1 });
 * env.optimalArm(); // the arm with the largest q*(a)
 * ```
 */
export abstract class KArmedBanditEnv extends Env<number, number> {
  readonly observationSpace = new Discrete(1);
  readonly actionSpace: Discrete;
  /** Number of arms. */
  readonly k: number;
  /** Standard deviation of the per-pull random-walk increment of each arm's parameter (0 = stationary). */
  readonly randomWalkStd: number;
  /** Current expected reward of each arm, q*(a). Changes each pull when drifting. */
  readonly expectedRewards: Float64Array;
  private started = false;

  protected constructor(k: number, randomWalkStd: number) {
    super();
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`Bandit k must be a positive integer, got ${describeValue(k)}`);
    if (!(randomWalkStd >= 0)) throw new RangeError(`Bandit randomWalkStd must be >= 0, got ${describeValue(randomWalkStd)}`);
    this.k = k;
    this.randomWalkStd = randomWalkStd;
    this.actionSpace = new Discrete(k);
    this.expectedRewards = new Float64Array(k);
  }

  /** Arm with the largest current expected reward (lowest index on ties). */
  optimalArm(): number {
    let best = 0;
    for (let arm = 1; arm < this.k; arm++) if (this.expectedRewards[arm] > this.expectedRewards[best]) best = arm;
    return best;
  }

  /** Largest current expected reward. */
  optimalValue(): number {
    return this.expectedRewards[this.optimalArm()];
  }

  /** Draws (or restores) the arm parameters of a new run. */
  protected abstract drawParameters(): void;

  /** Draws a reward for pulling `arm`. */
  protected abstract drawReward(arm: number): number;

  /** Moves each arm's parameter by one random-walk increment (after the pull). */
  protected abstract drift(): void;

  reset(args: ResetArgs = {}): ResetResult<number> {
    this.resetNpRandom(args.seed);
    this.drawParameters();
    this.started = true;
    return { observation: 0, info: { optimalArm: this.optimalArm(), optimalValue: this.optimalValue() } };
  }

  step(arm: number): StepResult<number> {
    if (!this.started) throw new ResetNeededError(`${this.constructor.name}.step: cannot call step() before reset()`);
    if (!Number.isInteger(arm) || arm < 0 || arm >= this.k) {
      throw new InvalidActionError(`${this.constructor.name}.step`, arm, this.actionSpace, `expected an arm index in [0, ${this.k})`);
    }
    const optimalArm = this.optimalArm();
    const optimalValue = this.expectedRewards[optimalArm];
    const expectedReward = this.expectedRewards[arm];
    const reward = this.drawReward(arm);
    if (this.randomWalkStd > 0) this.drift();
    const info: BanditStepInfo = { optimalArm, optimalValue, expectedReward, regret: optimalValue - expectedReward };
    return { observation: 0, reward, terminated: false, truncated: false, info };
  }
}

/**
 * Options of {@link BernoulliBanditEnv}.
 *
 * @example
 * ```ts
 * const options: BernoulliBanditOptions = { probabilities: [0.1, 0.5, 0.9] };
 * ```
 */
export interface BernoulliBanditOptions {
  /** Number of arms (default 10; ignored when `probabilities` is given). */
  k?: number;
  /** Fixed success probabilities; default: drawn U(0, 1) per arm at each reset. */
  probabilities?: ArrayLike<number>;
  /** Random-walk std of each probability per pull, clipped to [0, 1] (default 0 = stationary). */
  randomWalkStd?: number;
}

/**
 * Arms pay 1 with probability pₐ, else 0. Registered as `BernoulliBandit-v0`
 * (10 arms, pₐ ~ U(0, 1) per run, 1000 pulls).
 *
 * @example
 * ```ts
 * const env = new BernoulliBanditEnv({ probabilities: [0.2, 0.8] });
 * env.reset({ seed: 0 });
 * env.step(1).reward; // 1 with probability 0.8
 * env.optimalArm();   // 1
 * ```
 */
export class BernoulliBanditEnv extends KArmedBanditEnv {
  private readonly fixed: Float64Array | undefined;

  constructor(options: BernoulliBanditOptions = {}) {
    rejectUnknownOptions('BernoulliBanditEnv', options, ['k', 'probabilities', 'randomWalkStd']);
    const fixed = options.probabilities === undefined ? undefined : Float64Array.from(options.probabilities);
    super(fixed?.length ?? options.k ?? 10, options.randomWalkStd ?? 0);
    fixed?.forEach((p, arm) => {
      if (!(p >= 0 && p <= 1)) throw new RangeError(`BernoulliBandit probabilities[${arm}] must lie in [0, 1], got ${describeValue(p)}`);
    });
    this.fixed = fixed;
  }

  protected drawParameters(): void {
    for (let arm = 0; arm < this.k; arm++) this.expectedRewards[arm] = this.fixed?.[arm] ?? this.npRandom.random();
  }

  protected drawReward(arm: number): number {
    return this.npRandom.random() < this.expectedRewards[arm] ? 1 : 0;
  }

  protected drift(): void {
    for (let arm = 0; arm < this.k; arm++) {
      const walked = this.expectedRewards[arm] + this.npRandom.normal(0, this.randomWalkStd);
      this.expectedRewards[arm] = Math.min(1, Math.max(0, walked));
    }
  }
}

/**
 * Options of {@link GaussianBanditEnv}.
 *
 * @example
 * ```ts
 * const options: GaussianBanditOptions = { k: 10, randomWalkStd: 0.01, equalStart: true };
 * ```
 */
export interface GaussianBanditOptions {
  /** Number of arms (default 10; ignored when `means` is given). */
  k?: number;
  /** Fixed arm means; default: drawn N(meanLoc, meanScale²) per arm at each reset. */
  means?: ArrayLike<number>;
  /** Mean of the q*(a) draw (default 0, Sutton & Barto §2.3). */
  meanLoc?: number;
  /** Standard deviation of the q*(a) draw (default 1, Sutton & Barto §2.3). */
  meanScale?: number;
  /** Standard deviation of a reward around q*(a) (default 1, Sutton & Barto §2.3). */
  rewardStd?: number;
  /** Random-walk std of each q*(a) per pull (default 0; 0.01 in Sutton & Barto exercise 2.5). */
  randomWalkStd?: number;
  /** Start every q*(a) at `meanLoc` instead of drawing them (exercise 2.5; default false). */
  equalStart?: boolean;
}

/**
 * Rewards ~ N(q*(a), rewardStd²): the 10-armed testbed (`GaussianBandit-v0`)
 * and its non-stationary variant (`GaussianBanditNonstationary-v0`: equal
 * start, random walk with std 0.01, 10,000 pulls).
 *
 * @example
 * ```ts
 * const env = new GaussianBanditEnv({ k: 10 });
 * env.reset({ seed: 7 });
 * const { reward, info } = env.step(3); // info.regret = q*(best) − q*(3)
 * ```
 */
export class GaussianBanditEnv extends KArmedBanditEnv {
  /** Mean of the q*(a) draw. */
  readonly meanLoc: number;
  /** Standard deviation of the q*(a) draw. */
  readonly meanScale: number;
  /** Standard deviation of a reward around q*(a). */
  readonly rewardStd: number;
  /** Whether runs start with all q*(a) equal. */
  readonly equalStart: boolean;
  private readonly fixed: Float64Array | undefined;

  constructor(options: GaussianBanditOptions = {}) {
    rejectUnknownOptions('GaussianBanditEnv', options, ['k', 'means', 'meanLoc', 'meanScale', 'rewardStd', 'randomWalkStd', 'equalStart']);
    const fixed = options.means === undefined ? undefined : Float64Array.from(options.means);
    super(fixed?.length ?? options.k ?? 10, options.randomWalkStd ?? 0);
    this.fixed = fixed;
    this.meanLoc = options.meanLoc ?? 0;
    this.meanScale = options.meanScale ?? 1;
    this.rewardStd = options.rewardStd ?? 1;
    this.equalStart = options.equalStart ?? false;
    if (!(this.meanScale >= 0)) throw new RangeError(`GaussianBandit meanScale must be >= 0, got ${describeValue(this.meanScale)}`);
    if (!(this.rewardStd >= 0)) throw new RangeError(`GaussianBandit rewardStd must be >= 0, got ${describeValue(this.rewardStd)}`);
  }

  protected drawParameters(): void {
    for (let arm = 0; arm < this.k; arm++) {
      if (this.fixed !== undefined) this.expectedRewards[arm] = this.fixed[arm];
      else if (this.equalStart) this.expectedRewards[arm] = this.meanLoc;
      else this.expectedRewards[arm] = this.npRandom.normal(this.meanLoc, this.meanScale);
    }
  }

  protected drawReward(arm: number): number {
    return this.npRandom.normal(this.expectedRewards[arm], this.rewardStd);
  }

  protected drift(): void {
    for (let arm = 0; arm < this.k; arm++) this.expectedRewards[arm] += this.npRandom.normal(0, this.randomWalkStd);
  }
}
