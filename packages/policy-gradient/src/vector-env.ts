/**
 * Building the vector env a deep-RL loop trains on, as CleanRL's `make_env` thunks do, and reading
 * finished episodes out of its infos. Sub-envs autoreset in Gymnasium's `SAME_STEP` mode (the
 * mode of the Gymnasium 0.29 CleanRL's scripts run on): the step that ends an episode returns the
 * next episode's first observation, with the last one in `infos.finalObs` — which is what a
 * truncated episode bootstraps from.
 */
import {
  AutoresetMode,
  Box,
  ClipAction,
  Discrete,
  NormalizeObservation,
  NormalizeReward,
  RecordEpisodeStatistics,
  SyncVectorEnv,
  TransformObservation,
  TransformReward,
  make,
  type Env,
  type Space,
  type VectorInfo,
} from '@attune/envs';

/**
 * The per-sub-env wrappers of CleanRL's continuous-control `make_env`; all off for discrete PPO.
 *
 * @example
 * ```ts
 * const wrappers: EnvWrapperOptions = { clipAction: true, normalizeObservation: true, clipObservation: 10, normalizeReward: true, clipReward: 10, gamma: 0.99 };
 * ```
 */
export interface EnvWrapperOptions {
  /** Clip actions into the Box bounds at the env boundary (`gym.wrappers.ClipAction`). */
  clipAction?: boolean;
  /** Normalise observations with running mean/std per sub-env (`gym.wrappers.NormalizeObservation`). */
  normalizeObservation?: boolean;
  /** Clip normalised observations to ±this (CleanRL: 10); null for none. */
  clipObservation?: number | null;
  /** Scale rewards by the running std of the discounted return (`gym.wrappers.NormalizeReward`). */
  normalizeReward?: boolean;
  /** Clip scaled rewards to ±this (CleanRL: 10); null for none. */
  clipReward?: number | null;
  /** γ of the return tracked by reward normalisation. */
  gamma?: number;
  /** Extra kwargs for `make`. */
  kwargs?: Record<string, unknown>;
}

/**
 * One sub-env as CleanRL's `make_env` thunk builds it: `make(envId)`, then
 * `RecordEpisodeStatistics` (so episodic returns are the raw rewards), then — when asked — action
 * clipping, observation normalisation and clipping, reward scaling and clipping, in that order.
 *
 * @example
 * ```ts
 * const env = makeEnv('Pendulum-v1', { clipAction: true, normalizeObservation: true, clipObservation: 10 });
 * ```
 */
export function makeEnv(envId: string, options: EnvWrapperOptions = {}): Env<any, any, any> {
  let env: Env<any, any, any> = make(envId, options.kwargs ?? {});
  env = new RecordEpisodeStatistics(env);
  if (options.clipAction) env = new ClipAction(env);
  if (options.normalizeObservation) env = new NormalizeObservation(env);
  const clipObservation = options.clipObservation ?? null;
  if (clipObservation !== null) {
    env = new TransformObservation(env, (observation: ArrayLike<number>) => {
      const out = new Float32Array(observation.length);
      for (let i = 0; i < out.length; i++) out[i] = Math.min(Math.max(observation[i], -clipObservation), clipObservation);
      return out;
    });
  }
  if (options.normalizeReward) env = new NormalizeReward(env, { gamma: options.gamma ?? 0.99 });
  const clipReward = options.clipReward ?? null;
  if (clipReward !== null) env = new TransformReward(env, (reward) => Math.min(Math.max(reward, -clipReward), clipReward));
  return env;
}

/**
 * A `SyncVectorEnv` of `numEnvs` sub-envs built by {@link makeEnv}, autoresetting in the same step
 * and returning its internal buffers (`copy: false`; the loop copies what it keeps).
 *
 * @example
 * ```ts
 * const envs = makeVectorEnv('CartPole-v1', 4);
 * const { observations } = envs.reset({ seed: 1 }); // Float32Array(4 × 4)
 * ```
 */
export function makeVectorEnv(envId: string, numEnvs: number, options: EnvWrapperOptions = {}): SyncVectorEnv<Float32Array, Int32Array | Float32Array> {
  return new SyncVectorEnv(
    Array.from({ length: numEnvs }, () => () => makeEnv(envId, options)),
    { autoresetMode: AutoresetMode.SAME_STEP, copy: false },
  );
}

/**
 * The flat sizes a network needs from an env's single observation and action spaces.
 *
 * @example
 * ```ts
 * const envs = makeVectorEnv('CartPole-v1', 2);
 * spaceSizes(envs.singleObservationSpace, envs.singleActionSpace); // { observationSize: 4, action: { kind: 'discrete', n: 2 } }
 * ```
 */
export function spaceSizes(
  observationSpace: Space<unknown>,
  actionSpace: Space<unknown>,
): { observationSize: number; action: { kind: 'discrete'; n: number } | { kind: 'continuous'; size: number; low: number[]; high: number[] } } {
  if (!(observationSpace instanceof Box)) throw new TypeError(`Expected a Box observation space, got ${String(observationSpace)}`);
  const observationSize = observationSpace.size;
  if (actionSpace instanceof Discrete) {
    if (actionSpace.start !== 0) throw new RangeError(`Discrete action spaces must start at 0, got start=${actionSpace.start}`);
    return { observationSize, action: { kind: 'discrete', n: actionSpace.n } };
  }
  if (actionSpace instanceof Box) return { observationSize, action: { kind: 'continuous', size: actionSpace.size, low: Array.from(actionSpace.low), high: Array.from(actionSpace.high) } };
  throw new TypeError(`Expected a Discrete or Box action space, got ${String(actionSpace)}`);
}

/**
 * A finished episode as `RecordEpisodeStatistics` reports it.
 *
 * @example
 * ```ts
 * const logger = new MemoryLogger();
 * const envs = makeVectorEnv('CartPole-v1', 2);
 * envs.reset({ seed: 0 });
 * for (let globalStep = 0; globalStep < 200; globalStep += 2) {
 *   const { infos } = envs.step(Int32Array.of(0, 0));
 *   for (const { env, episodicReturn, length } of finishedEpisodes(infos) as FinishedEpisode[]) logger.scalar('charts/episodic_return', episodicReturn, globalStep);
 * }
 * ```
 */
export interface FinishedEpisode {
  /** Which sub-env finished. */
  env: number;
  /** Undiscounted return of the raw rewards. */
  episodicReturn: number;
  /** Episode length in steps. */
  length: number;
}

/**
 * The episodes that ended in the step that returned `infos` (SAME_STEP autoreset: their
 * statistics sit in `infos.finalInfo.episode`, masked by `infos.finalInfo._episode`).
 *
 * @example
 * ```ts
 * const envs = makeVectorEnv('CartPole-v1', 2);
 * envs.reset({ seed: 0 });
 * const actions = Int32Array.of(1, 1);
 * const returns: number[] = [];
 * for (let t = 0; t < 100; t++) {
 *   const { infos } = envs.step(actions);
 *   for (const episode of finishedEpisodes(infos)) returns.push(episode.episodicReturn);
 * }
 * ```
 */
export function finishedEpisodes(infos: VectorInfo): FinishedEpisode[] {
  const finalInfo = infos.finalInfo as VectorInfo | undefined;
  if (finalInfo === undefined || finalInfo.episode === undefined) return [];
  const mask = finalInfo._episode as Uint8Array;
  const episode = finalInfo.episode as { r: Float64Array; l: Float64Array };
  const out: FinishedEpisode[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) out.push({ env: i, episodicReturn: episode.r[i], length: episode.l[i] });
  return out;
}

/**
 * The final observation of sub-env `index` after a SAME_STEP autoreset (`infos.finalObs[index]`).
 *
 * @example
 * ```ts
 * const envs = makeVectorEnv('CartPole-v1', 2);
 * envs.reset({ seed: 0 });
 * const { truncations, infos } = envs.step(Int32Array.of(0, 1));
 * let bootstrapFrom: ArrayLike<number> | null = null;
 * if (truncations[0]) bootstrapFrom = finalObservation(infos, 0);
 * ```
 */
export function finalObservation(infos: VectorInfo, index: number): ArrayLike<number> {
  const finalObs = infos.finalObs as (ArrayLike<number> | null)[] | undefined;
  const observation = finalObs?.[index];
  if (observation === undefined || observation === null) throw new Error(`finalObservation: infos.finalObs has no entry for sub-env ${index}; build the vector env with AutoresetMode.SAME_STEP`);
  return observation;
}
