/**
 * Regret: how much expected reward an agent gave up against always pulling
 * the best arm, Σₜ (μ*ₜ − μ_{Aₜ}) (pseudo-regret; Lattimore & Szepesvári
 * 2020, §4.5). Bandit envs from `@attune/envs` report μ*ₜ − μ_{Aₜ} in each
 * step's `info.regret`, which stays right when arms drift or depend on a
 * context. This file tracks it, runs an agent on an env, and averages many
 * runs (Sutton & Barto 2nd ed. figure 2.2 style).
 */
import { Rng, type Env, type Info } from '@attune/envs';
import type { BanditAgent, ContextualBanditAgent } from './agent.js';
import type { MetricLogger } from './logger.js';
import { checkInteger, mergeConfig } from '@attune/envs';

/**
 * Per-pull series of one run; every array has shape [steps].
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('BernoulliBandit-v0');
 * const agent = new EpsilonGreedy({ numArms: 10, epsilon: 0.1 });
 * const { cumulativeRegret }: BanditRunResult = runBandit(env, agent, { steps: 1000 });
 * cumulativeRegret[999]; // total regret after 1000 pulls
 * ```
 */
export interface BanditRunResult {
  /** Reward of each pull. */
  rewards: Float64Array;
  /** μ* − μ_{Aₜ} of each pull. */
  regrets: Float64Array;
  /** Running sum of `regrets`. */
  cumulativeRegret: Float64Array;
  /** 1 where the pulled arm was optimal (zero regret), else 0. */
  optimalActions: Uint8Array;
}

/**
 * Accumulates reward and regret pull by pull from the env's step info.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('BernoulliBandit-v0');
 * env.reset({ seed: 0 });
 * const tracker = new RegretTracker(1000);
 * const { reward, info } = env.step(3);
 * tracker.record(reward, info);
 * tracker.totalRegret; // Σ μ* − μ_{Aₜ} so far
 * ```
 */
export class RegretTracker {
  /** Pulls recorded so far. */
  steps = 0;
  /** Cumulative regret after the last recorded pull. */
  totalRegret = 0;
  private readonly series: BanditRunResult;

  /** Holds up to `capacity` pulls. */
  constructor(readonly capacity: number) {
    checkInteger('RegretTracker', 'capacity', capacity, 0);
    this.series = {
      rewards: new Float64Array(capacity),
      regrets: new Float64Array(capacity),
      cumulativeRegret: new Float64Array(capacity),
      optimalActions: new Uint8Array(capacity),
    };
  }

  /** Records one pull; `info.regret` must be the pull's μ* − μ_{Aₜ}. */
  record(reward: number, info: Info): void {
    const regret = info.regret;
    if (typeof regret !== 'number' || !Number.isFinite(regret)) {
      throw new TypeError(`RegretTracker.record needs info.regret (μ* − μ of the pulled arm) from the env's step, got ${String(regret)}; bandit envs from @attune/envs report it`);
    }
    if (this.steps >= this.capacity) throw new RangeError(`RegretTracker is full: capacity ${this.capacity} pulls`);
    this.totalRegret += regret;
    this.series.rewards[this.steps] = reward;
    this.series.regrets[this.steps] = regret;
    this.series.cumulativeRegret[this.steps] = this.totalRegret;
    this.series.optimalActions[this.steps] = regret <= 0 ? 1 : 0;
    this.steps++;
  }

  /** The series of the pulls recorded so far (views, not copies). */
  result(): BanditRunResult {
    const { rewards, regrets, cumulativeRegret, optimalActions } = this.series;
    return {
      rewards: rewards.subarray(0, this.steps),
      regrets: regrets.subarray(0, this.steps),
      cumulativeRegret: cumulativeRegret.subarray(0, this.steps),
      optimalActions: optimalActions.subarray(0, this.steps),
    };
  }
}

/**
 * Settings of {@link runBandit} and {@link runContextualBandit}.
 *
 * @example
 * ```ts
 * const config: BanditRunConfig = { steps: 1000, seed: 0 };
 * ```
 */
export interface BanditRunConfig {
  /** Pulls to make; the run stops sooner if the env ends the episode (e.g. its TimeLimit). */
  steps: number;
  /** Seed of the env's reset (arm parameters and rewards). */
  seed: number;
}

function resolveRunConfig(config: Partial<BanditRunConfig>): BanditRunConfig {
  const args = mergeConfig<BanditRunConfig>('BanditRunConfig', { steps: 1_000, seed: 0 }, config);
  checkInteger('BanditRunConfig', 'steps', args.steps, 1);
  checkInteger('BanditRunConfig', 'seed', args.seed, 0);
  return args;
}

/**
 * Runs a multi-armed bandit agent on a bandit env for one run. Writes
 * `charts/reward`, `charts/regret`, `charts/cumulative_regret` and
 * `charts/optimal_action` to `logger` every pull.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('BernoulliBandit-v0');
 * const { cumulativeRegret } = runBandit(env, new UCB1({ numArms: 10 }), { steps: 1000, seed: 1 });
 * ```
 */
export function runBandit(env: Env<unknown, number>, agent: BanditAgent, config: Partial<BanditRunConfig> = {}, logger?: MetricLogger): BanditRunResult {
  const args = resolveRunConfig(config);
  logger?.hyperparameters?.({ ...agent.config, ...args });
  const tracker = new RegretTracker(args.steps);
  env.reset({ seed: args.seed });
  for (let step = 0; step < args.steps; step++) {
    // 1. The agent chooses, the env pays, the agent learns.
    const arm = agent.selectArm();
    const { reward, terminated, truncated, info } = env.step(arm);
    agent.update(arm, reward);
    // 2. Regret of this pull, from the env's knowledge of the arms.
    tracker.record(reward, info);
    if (logger !== undefined) logPull(logger, tracker, step);
    if (terminated || truncated) break;
  }
  return tracker.result();
}

/**
 * Runs a contextual bandit agent on a contextual bandit env for one run: the
 * observation is the context of the next pull. Writes the same metrics as
 * {@link runBandit}.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('LinearContextualBandit-v0');
 * const { cumulativeRegret } = runContextualBandit(env, new LinUCB({ numArms: 5, dimension: 10 }), { steps: 1000 });
 * ```
 */
export function runContextualBandit(
  env: Env<ArrayLike<number>, number>,
  agent: ContextualBanditAgent,
  config: Partial<BanditRunConfig> = {},
  logger?: MetricLogger,
): BanditRunResult {
  const args = resolveRunConfig(config);
  logger?.hyperparameters?.({ ...agent.config, ...args });
  const tracker = new RegretTracker(args.steps);
  let context = env.reset({ seed: args.seed }).observation;
  for (let step = 0; step < args.steps; step++) {
    // 1. The agent sees the context and chooses, the env pays, the agent learns.
    const arm = agent.selectArm(context);
    const { observation, reward, terminated, truncated, info } = env.step(arm);
    agent.update(context, arm, reward);
    // 2. Regret of this pull, and the next context.
    tracker.record(reward, info);
    if (logger !== undefined) logPull(logger, tracker, step);
    context = observation;
    if (terminated || truncated) break;
  }
  return tracker.result();
}

function logPull(logger: MetricLogger, tracker: RegretTracker, step: number): void {
  const { rewards, regrets, optimalActions } = tracker.result();
  logger.scalar('charts/reward', rewards[step], step + 1);
  logger.scalar('charts/regret', regrets[step], step + 1);
  logger.scalar('charts/cumulative_regret', tracker.totalRegret, step + 1);
  logger.scalar('charts/optimal_action', optimalActions[step], step + 1);
}

/**
 * Settings of {@link runBanditExperiment}.
 *
 * @example
 * ```ts
 * const config: BanditExperimentConfig = { runs: 2000, steps: 1000, seed: 0 }; // S&B figure 2.2
 * ```
 */
export interface BanditExperimentConfig {
  /** Independent runs to average; each draws fresh arm parameters at reset (S&B use 2000). */
  runs: number;
  /** Pulls per run. */
  steps: number;
  /** Seed from which every run's env and agent seeds are drawn; the same seed gives every agent the same arms. */
  seed: number;
}

/**
 * Averages over runs; per-step arrays have shape [steps], per-run arrays [runs].
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('BernoulliBandit-v0');
 * const { meanCumulativeRegret, finalRegret }: BanditExperimentResult = runBanditExperiment(env, (seed) => new UCB1({ numArms: 10, seed }));
 * ```
 */
export interface BanditExperimentResult {
  /** Mean over runs of the cumulative regret after each pull. */
  meanCumulativeRegret: Float64Array;
  /** Mean reward at each pull. */
  meanReward: Float64Array;
  /** Fraction of runs that pulled an optimal arm at each pull (S&B figure 2.2, bottom). */
  optimalActionRate: Float64Array;
  /** Cumulative regret at the last pull of each run. */
  finalRegrets: Float64Array;
  /** Mean of `finalRegrets` and its standard error. */
  finalRegret: { mean: number; standardError: number };
}

/**
 * Runs a fresh agent on the env `runs` times and averages the series. The
 * env and agent seeds of run r are drawn from one generator seeded with
 * `seed`, so two agents compared with the same seed face the same arms.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('BernoulliBandit-v0');
 * const ucb = runBanditExperiment(env, (seed) => new UCB1({ numArms: 10, seed }), { runs: 20, steps: 1000, seed: 0 });
 * ucb.finalRegret.mean; // mean regret after 1000 pulls
 * ```
 */
export function runBanditExperiment(
  env: Env<unknown, number>,
  makeAgent: (seed: number) => BanditAgent,
  config: Partial<BanditExperimentConfig> = {},
): BanditExperimentResult {
  const args = mergeConfig<BanditExperimentConfig>('BanditExperimentConfig', { runs: 200, steps: 1_000, seed: 0 }, config);
  checkInteger('BanditExperimentConfig', 'runs', args.runs, 1);
  checkInteger('BanditExperimentConfig', 'steps', args.steps, 1);
  checkInteger('BanditExperimentConfig', 'seed', args.seed, 0);
  const seeds = new Rng(args.seed);
  const meanCumulativeRegret = new Float64Array(args.steps);
  const meanReward = new Float64Array(args.steps);
  const optimalActionRate = new Float64Array(args.steps);
  const finalRegrets = new Float64Array(args.runs);

  for (let run = 0; run < args.runs; run++) {
    const envSeed = seeds.integers(2 ** 31 - 1);
    const agentSeed = seeds.integers(2 ** 31 - 1);
    const result = runBandit(env, makeAgent(agentSeed), { steps: args.steps, seed: envSeed });
    if (result.rewards.length !== args.steps) {
      throw new RangeError(`runBanditExperiment: run ${run} ended after ${result.rewards.length} pulls, expected steps = ${args.steps}; raise the env's time limit or lower steps`);
    }
    for (let t = 0; t < args.steps; t++) {
      meanCumulativeRegret[t] += result.cumulativeRegret[t] / args.runs;
      meanReward[t] += result.rewards[t] / args.runs;
      optimalActionRate[t] += result.optimalActions[t] / args.runs;
    }
    finalRegrets[run] = result.cumulativeRegret[args.steps - 1];
  }

  const mean = finalRegrets.reduce((sum, value) => sum + value, 0) / args.runs;
  const variance = args.runs > 1 ? finalRegrets.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (args.runs - 1) : 0;
  return { meanCumulativeRegret, meanReward, optimalActionRate, finalRegrets, finalRegret: { mean, standardError: Math.sqrt(variance / args.runs) } };
}
