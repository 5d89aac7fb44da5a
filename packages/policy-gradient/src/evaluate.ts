/**
 * Evaluating a trained or saved policy: run whole episodes on a fresh env with the deterministic
 * action (argmax / Gaussian mean) or sampled actions, and report the raw returns. For agents
 * trained on normalised observations, the evaluation env normalises with the training
 * statistics, frozen.
 */
import { NormalizeObservation, Wrapper, type Env } from '@attune/envs';
import { Generator, noGrad, tensor, tidy } from '@attune/tensor';
import { ActorCritic, type ActorCriticOptions } from './actor-critic.js';
import { loadCheckpoint } from '@attune/nn';
import { makeEnv, type EnvWrapperOptions } from './vector-env.js';

/**
 * Running observation statistics of a `NormalizeObservation` wrapper, as saved in checkpoints.
 *
 * @example
 * ```ts
 * const stats: ObservationStatistics = { mean: [0, 0, 0], var: [1, 1, 1], count: 1e-4 };
 * ```
 */
export interface ObservationStatistics {
  /** Per-coordinate running mean. */
  mean: number[];
  /** Per-coordinate running variance. */
  var: number[];
  /** Samples seen. */
  count: number;
}

function findNormalizeObservation(env: Env<unknown, unknown, unknown>): NormalizeObservation<unknown> | null {
  let current: Env<unknown, unknown, unknown> = env;
  for (;;) {
    if (current instanceof NormalizeObservation) return current as NormalizeObservation<unknown>;
    if (!(current instanceof Wrapper)) return null;
    current = current.env as Env<unknown, unknown, unknown>;
  }
}

/**
 * The statistics of the first `NormalizeObservation` in `env`'s wrapper chain, or null.
 *
 * @example
 * ```ts
 * const envs = makeVectorEnv('Pendulum-v1', 2, { normalizeObservation: true });
 * const stats = observationStatistics(envs.envs[0]);
 * ```
 */
export function observationStatistics(env: Env<any, any, any>): ObservationStatistics | null {
  const wrapper = findNormalizeObservation(env);
  if (wrapper === null) return null;
  return { mean: Array.from(wrapper.obsRms.mean), var: Array.from(wrapper.obsRms.var), count: wrapper.obsRms.count };
}

/**
 * Builds a single env for evaluation as {@link makeEnv} does, without reward scaling; when
 * `observationStatistics` is given, observations are normalised with those statistics, frozen.
 *
 * @example
 * ```ts
 * const envs = makeVectorEnv('Pendulum-v1', 2, { clipAction: true, normalizeObservation: true, clipObservation: 10 });
 * const stats = observationStatistics(envs.envs[0]); // the running mean and variance training used
 * const env = makeEvaluationEnv('Pendulum-v1', { clipAction: true, normalizeObservation: true, clipObservation: 10 }, stats);
 * ```
 */
export function makeEvaluationEnv(envId: string, wrappers: EnvWrapperOptions = {}, statistics: ObservationStatistics | null = null): Env<any, any, any> {
  const env = makeEnv(envId, { ...wrappers, normalizeReward: false, clipReward: null });
  const wrapper = findNormalizeObservation(env);
  if (wrapper !== null) {
    if (statistics === null) throw new Error(`makeEvaluationEnv: ${envId} normalises observations, so the training statistics are needed`);
    wrapper.obsRms.mean.set(statistics.mean);
    wrapper.obsRms.var.set(statistics.var);
    wrapper.obsRms.count = statistics.count;
    wrapper.updateRunningMean = false;
  }
  return env;
}

/**
 * Returns of an evaluation.
 *
 * @example
 * ```ts
 * const agent = new ActorCritic({ observationSize: 4, action: { kind: 'discrete', n: 2 } });
 * const env = makeEvaluationEnv('CartPole-v1');
 * const { meanReturn, returns }: EvaluationResult = evaluateAgent(agent, env, { episodes: 10 });
 * ```
 */
export interface EvaluationResult {
  /** Undiscounted return of each episode. */
  returns: number[];
  /** Length of each episode. */
  lengths: number[];
  /** Mean of `returns`. */
  meanReturn: number;
  /** Population standard deviation of `returns`. */
  stdReturn: number;
}

/**
 * Runs `episodes` episodes of `agent` on `env` (first reset seeded with `seed`, later ones
 * continuing its stream), acting deterministically by default.
 *
 * @example
 * ```ts
 * const agent = new ActorCritic({ observationSize: 4, action: { kind: 'discrete', n: 2 } }); // e.g. trainA2C's result.agent
 * const result = evaluateAgent(agent, makeEvaluationEnv('CartPole-v1'), { episodes: 10, seed: 100 });
 * result.meanReturn; // 500 for a trained agent
 * ```
 */
export function evaluateAgent(
  agent: ActorCritic,
  env: Env<any, any, any>,
  options: { episodes?: number; seed?: number; deterministic?: boolean; generator?: Generator } = {},
): EvaluationResult {
  const episodes = options.episodes ?? 10;
  const deterministic = options.deterministic ?? true;
  const generator = options.generator ?? new Generator(options.seed ?? 0);
  const observationSize = agent.options.observationSize;
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let episode = 0; episode < episodes; episode++) {
    let observation: ArrayLike<number> = env.reset(episode === 0 ? { seed: options.seed ?? 0 } : {}).observation;
    let episodicReturn = 0;
    let length = 0;
    for (;;) {
      let action: ArrayLike<number> = [];
      tidy(() =>
        noGrad(() => {
          const input = tensor(Float32Array.from(observation), { shape: [1, observationSize] });
          const pi = agent.distribution(input);
          action = (deterministic ? pi.mode() : pi.sample(generator)).dataSync();
        }),
      );
      const step = env.step(agent.discrete ? action[0] : action);
      episodicReturn += step.reward;
      length++;
      observation = step.observation;
      if (step.terminated || step.truncated) break;
    }
    returns.push(episodicReturn);
    lengths.push(length);
  }
  const meanReturn = returns.reduce((sum, value) => sum + value, 0) / returns.length;
  const stdReturn = Math.sqrt(returns.reduce((sum, value) => sum + (value - meanReturn) ** 2, 0) / returns.length);
  return { returns, lengths, meanReturn, stdReturn };
}

/**
 * A policy loaded from a checkpoint directory, with what evaluating it needs.
 *
 * @example
 * ```ts
 * const result = await trainA2C({ totalTimesteps: 400 }, { checkpointDir: 'runs/a2c' });
 * const { agent, envId, wrappers, observationStatistics }: LoadedPolicy = await loadPolicy(result.checkpoint!);
 * ```
 */
export interface LoadedPolicy {
  /** The network, weights loaded. */
  agent: ActorCritic;
  /** The env it was trained on. */
  envId: string;
  /** The env wrappers it was trained with. */
  wrappers: EnvWrapperOptions;
  /** Observation statistics of sub-env 0 when training normalised observations. */
  observationStatistics: ObservationStatistics | null;
}

/**
 * Rebuilds the agent of a checkpoint written by `trainPPO`, `trainA2C` or `trainReinforce`.
 *
 * @example
 * ```ts
 * const result = await trainA2C({ totalTimesteps: 400 }, { checkpointDir: 'runs/a2c' });
 * const policy = await loadPolicy(result.checkpoint!);
 * evaluateAgent(policy.agent, makeEvaluationEnv(policy.envId, policy.wrappers, policy.observationStatistics), { episodes: 2 });
 * ```
 */
export async function loadPolicy(path: string): Promise<LoadedPolicy> {
  const { model, config, trainerState } = await loadCheckpoint(path);
  const architecture = config.agent as ActorCriticOptions | undefined;
  if (architecture === undefined) throw new Error(`loadPolicy: ${path}/config.json has no "agent" architecture`);
  const agent = new ActorCritic(architecture);
  agent.loadStateDict(model);
  for (const t of Object.values(model)) t.dispose();
  return {
    agent,
    envId: String((config.algorithm as Record<string, unknown> | undefined)?.envId ?? ''),
    wrappers: (config.wrappers ?? {}) as EnvWrapperOptions,
    observationStatistics: (trainerState.observationStatistics ?? null) as ObservationStatistics | null,
  };
}
