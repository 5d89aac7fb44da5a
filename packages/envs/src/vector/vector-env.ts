/**
 * Vector environments: the `VectorEnv` contract, Gymnasium's autoreset
 * modes, info batching, `SyncVectorEnv` and the vector
 * `RecordEpisodeStatistics`, after Gymnasium 1.4.0 gymnasium/vector/
 * vector_env.py, sync_vector_env.py and gymnasium/wrappers/vector/common.py.
 *
 * Batches are typed arrays, env-major: observations `numEnvs × obsSize`
 * (Float32Array for float32 Box observations, Int32Array for Discrete),
 * rewards Float64Array, terminations/truncations Uint8Array (0/1).
 * With `copy: true` (the default, as Gymnasium) every call returns fresh
 * arrays the caller may keep; with `copy: false` the observation, reward and
 * termination/truncation arrays are buffers the env overwrites on the next
 * call (faster; copy what you keep).
 */
import type { Env, EnvMetadata, EnvSpec, Info, RenderOutput } from '../core.js';
import { InvalidActionError } from '../errors.js';
import { make, type MakeOptions } from '../registry.js';
import { describeValue, type Space } from '../spaces.js';
import { actionReader, batchSpace, batchWriter, checkActionBatch, copyBatch, createBatch, hasKeys, writeBatch } from './batch.js';

/**
 * When a finished sub-env is reset (Gymnasium `AutoresetMode`, same values):
 * - `NEXT_STEP` (default): the step after the episode ends resets it,
 *   ignoring that step's action, returning reward 0 and no termination;
 * - `SAME_STEP`: the ending step resets immediately and returns the reset
 *   observation, with the last observation/info under `infos.finalObs` /
 *   `infos.finalInfo`;
 * - `DISABLED`: never; reset finished envs with `reset({ options: { resetMask } })`.
 *
 * @example
 * ```ts
 * const envs = new SyncVectorEnv('CartPole-v1', { numEnvs: 4, autoresetMode: AutoresetMode.SAME_STEP });
 * ```
 */
export const AutoresetMode = { NEXT_STEP: 'NextStep', SAME_STEP: 'SameStep', DISABLED: 'Disabled' } as const;
/** One of {@link AutoresetMode}'s values. */
export type AutoresetMode = (typeof AutoresetMode)[keyof typeof AutoresetMode];

/**
 * Batched infos: each key an array over envs plus a `_key` mask (Uint8Array)
 * of the envs that reported it (Gymnasium's vector info layout).
 *
 * @example
 * ```ts
 * const envs = new RecordEpisodeStatisticsVector(new SyncVectorEnv('CartPole-v1', { numEnvs: 2 }));
 * envs.reset({ seed: 0 });
 * const { infos }: { infos: VectorInfo } = envs.step(Int32Array.of(0, 1));
 * if ((infos._episode as boolean[] | undefined)?.[0]) console.log((infos.episode as { r: Float64Array }).r[0]);
 * ```
 */
export type VectorInfo = Record<string, any>;

/**
 * What a vector `reset` returns.
 *
 * @example
 * ```ts
 * const envs = new SyncVectorEnv('CartPole-v1', { numEnvs: 2 });
 * const { observations, infos }: VectorResetResult<Float32Array> = envs.reset({ seed: 0 });
 * ```
 */
export interface VectorResetResult<ObsBatch> {
  /** Batch of first observations. */
  observations: ObsBatch;
  /** Batched infos. */
  infos: VectorInfo;
}

/**
 * What a vector `step` returns.
 *
 * @example
 * ```ts
 * const envs = new SyncVectorEnv('CartPole-v1', { numEnvs: 2 });
 * envs.reset({ seed: 0 });
 * const actions = Int32Array.of(0, 1);
 * const { observations, rewards, terminations, truncations } = envs.step(actions);
 * ```
 */
export interface VectorStepResult<ObsBatch> {
  /** Batch of observations. */
  observations: ObsBatch;
  /** Reward per env. */
  rewards: Float64Array;
  /** 1 where the env terminated. */
  terminations: Uint8Array;
  /** 1 where the env was truncated. */
  truncations: Uint8Array;
  /** Batched infos. */
  infos: VectorInfo;
}

/**
 * Arguments of a vector `reset`: one seed (env i gets `seed + i`) or one per
 * env, and options for every sub-env (`resetMask` resets only some).
 *
 * @example
 * ```ts
 * const envs = new SyncVectorEnv('CartPole-v1', { numEnvs: 4 });
 * envs.reset({ seed: 42 });
 * envs.reset({ options: { resetMask: Uint8Array.of(1, 0, 0, 1) } });
 * ```
 */
export interface VectorResetArgs {
  /** A base seed (env i gets seed + i) or one seed per env (`undefined` = unseeded). */
  seed?: number | readonly (number | undefined)[];
  /** Options passed to every sub-env's reset; `resetMask` (length numEnvs, 1 = reset) selects envs. */
  options?: Record<string, unknown> & { resetMask?: ArrayLike<number | boolean> };
}

/**
 * Merges one sub-env's info into batched infos (Gymnasium
 * `VectorEnv._add_info`): numbers → Float64Array, booleans → Uint8Array,
 * plain objects → nested, anything else → an array; plus a `_key` mask.
 *
 * @example
 * ```ts
 * const infos = addInfo({}, { prob: 1 }, 0, 2); // { prob: Float64Array [1, 0], _prob: Uint8Array [1, 0] }
 * ```
 */
export function addInfo(vectorInfos: VectorInfo, info: Info, envIndex: number, numEnvs: number): VectorInfo {
  for (const key of Object.keys(info)) {
    const value = info[key];
    let array: any;
    if (key === 'finalObs') {
      // Final observations keep their own type (Gymnasium: an object array).
      array = vectorInfos[key] ?? new Array<unknown>(numEnvs).fill(null);
      array[envIndex] = value;
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && !ArrayBuffer.isView(value)) {
      array = addInfo(vectorInfos[key] ?? {}, value as Info, envIndex, numEnvs);
    } else {
      array = vectorInfos[key];
      if (array === undefined) {
        if (typeof value === 'number') array = new Float64Array(numEnvs);
        else if (typeof value === 'boolean') array = new Uint8Array(numEnvs);
        else array = new Array<unknown>(numEnvs).fill(null);
      }
      array[envIndex] = typeof value === 'boolean' && ArrayBuffer.isView(array) ? (value ? 1 : 0) : value;
    }
    const mask: Uint8Array = vectorInfos[`_${key}`] ?? new Uint8Array(numEnvs);
    mask[envIndex] = 1;
    vectorInfos[key] = array;
    vectorInfos[`_${key}`] = mask;
  }
  return vectorInfos;
}

/**
 * The vector-env contract (Gymnasium `VectorEnv`).
 *
 * @example
 * ```ts
 * function rollout(envs: VectorEnv<Float32Array, Int32Array>, steps: number) {
 *   envs.reset({ seed: 0 });
 *   for (let t = 0; t < steps; t++) envs.step(envs.actionSpace.sample() as Int32Array);
 * }
 * ```
 */
export abstract class VectorEnv<ObsBatch = unknown, ActBatch = unknown> {
  /** Number of sub-environments. */
  abstract readonly numEnvs: number;
  /** Observation space of one sub-env. */
  abstract readonly singleObservationSpace: Space<unknown>;
  /** Action space of one sub-env. */
  abstract readonly singleActionSpace: Space<unknown>;
  /** Batched observation space. */
  abstract readonly observationSpace: Space<unknown>;
  /** Batched action space. */
  abstract readonly actionSpace: Space<unknown>;
  /** The sub-env metadata plus `autoresetMode`. */
  abstract readonly metadata: EnvMetadata & { autoresetMode: AutoresetMode };
  /** The spec of the sub-envs, if built from the registry. */
  abstract readonly spec: EnvSpec | undefined;
  /** Resets all (or the masked) sub-envs. */
  abstract reset(args?: VectorResetArgs): VectorResetResult<ObsBatch>;
  /** Steps every sub-env with its action. */
  abstract step(actions: ActBatch): VectorStepResult<ObsBatch>;
  /** Renders every sub-env. */
  abstract render(): RenderOutput[];
  /** Closes every sub-env. */
  abstract close(): void;
}

/**
 * How to build the sub-envs: a registry id (with kwargs/make options) or
 * factory functions (sync only).
 *
 * @example
 * ```ts
 * const options: VectorEnvOptions = { numEnvs: 8, kwargs: { suttonBartoReward: true } };
 * ```
 */
export interface VectorEnvOptions {
  /** Number of sub-envs (for an id; factories give their own count). */
  numEnvs?: number;
  /** kwargs for `make` (id form). */
  kwargs?: Record<string, unknown>;
  /** Options for `make` (id form). */
  makeOptions?: MakeOptions;
  /** Autoreset mode (default NEXT_STEP). */
  autoresetMode?: AutoresetMode;
  /** Return fresh arrays every call (default true, as Gymnasium). */
  copy?: boolean;
}

/** Validates the autoreset mode. */
export function checkAutoresetMode(mode: unknown): AutoresetMode {
  if (mode === undefined) return AutoresetMode.NEXT_STEP;
  if (!Object.values(AutoresetMode).includes(mode as AutoresetMode)) {
    throw new RangeError(`autoresetMode must be one of ${Object.values(AutoresetMode).map((value) => `'${value}'`).join(', ')}, got ${describeValue(mode)}`);
  }
  return mode as AutoresetMode;
}

/** Expands the vector `seed` argument into one seed per env (Gymnasium's rule). */
export function expandSeeds(seed: VectorResetArgs['seed'], numEnvs: number): (number | undefined)[] {
  if (seed === undefined) return new Array<undefined>(numEnvs).fill(undefined);
  if (typeof seed === 'number') return Array.from({ length: numEnvs }, (_, i) => seed + i);
  if (!Array.isArray(seed) || seed.length !== numEnvs) {
    throw new RangeError(`If seeds are passed as a list the length must match numEnvs=${numEnvs} but got ${describeValue(seed)}.`);
  }
  return [...seed];
}

/** Reads and validates `options.resetMask`; returns the remaining options. */
export function splitResetMask(options: VectorResetArgs['options'], numEnvs: number): [Uint8Array | undefined, Record<string, unknown> | undefined] {
  if (options === undefined || !('resetMask' in options)) return [undefined, options];
  const { resetMask, ...rest } = options;
  if (resetMask === undefined || resetMask === null || typeof resetMask !== 'object' || resetMask.length !== numEnvs) {
    throw new RangeError(`options.resetMask must have length numEnvs=${numEnvs}, got ${describeValue(resetMask)}`);
  }
  const mask = Uint8Array.from(Array.from(resetMask, (value) => (value ? 1 : 0)));
  if (!mask.some((value) => value === 1)) throw new RangeError(`options.resetMask must select at least one env, got ${describeValue(resetMask)}`);
  return [mask, Object.keys(rest).length > 0 ? rest : undefined];
}

/**
 * Runs sub-envs one after another in this thread (Gymnasium `SyncVectorEnv`).
 * Build it from a registry id — `new SyncVectorEnv('CartPole-v1', { numEnvs: 8 })`
 * — or from factories — `new SyncVectorEnv([() => env1, () => env2])`.
 *
 * @example
 * ```ts
 * const envs = new SyncVectorEnv('CartPole-v1', { numEnvs: 8 });
 * let { observations } = envs.reset({ seed: 42 }); // Float32Array(8 × 4)
 * const actions = new Int32Array(8).fill(1);
 * const { rewards, terminations, truncations } = envs.step(actions);
 * ```
 */
export class SyncVectorEnv<ObsBatch = any, ActBatch = any> extends VectorEnv<ObsBatch, ActBatch> {
  readonly numEnvs: number;
  readonly singleObservationSpace: Space<unknown>;
  readonly singleActionSpace: Space<unknown>;
  readonly observationSpace: Space<unknown>;
  readonly actionSpace: Space<unknown>;
  readonly metadata: EnvMetadata & { autoresetMode: AutoresetMode };
  readonly spec: EnvSpec | undefined;
  /** The sub-envs. */
  readonly envs: readonly Env<unknown, unknown, any>[];
  /** The autoreset mode. */
  readonly autoresetMode: AutoresetMode;
  /** Whether results are copied. */
  readonly copy: boolean;
  private observations: unknown;
  private rewards: Float64Array;
  private terminations: Uint8Array;
  private truncations: Uint8Array;
  private readonly autoresetEnvs: Uint8Array;
  private readonly writeObservation: (batch: unknown, index: number, value: unknown) => void;
  private readonly readAction: (actions: unknown, index: number) => unknown;
  private closed = false;

  constructor(envs: string | readonly (() => Env<unknown, unknown, any>)[], options: VectorEnvOptions = {}) {
    super();
    let built: Env<unknown, unknown, any>[];
    if (typeof envs === 'string') {
      const numEnvs = options.numEnvs ?? 1;
      if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new RangeError(`numEnvs must be a positive integer, got ${describeValue(numEnvs)}`);
      built = Array.from({ length: numEnvs }, () => make(envs, options.kwargs ?? {}, options.makeOptions ?? {}));
    } else {
      if (!Array.isArray(envs) || envs.length === 0) throw new RangeError(`SyncVectorEnv needs an env id or a non-empty array of env factories, got ${describeValue(envs)}`);
      built = envs.map((factory, i) => {
        if (typeof factory !== 'function') throw new TypeError(`SyncVectorEnv env factory ${i} must be a function, got ${describeValue(factory)}`);
        return factory();
      });
    }
    this.envs = built;
    this.numEnvs = built.length;
    const first = built[0];
    this.singleObservationSpace = first.observationSpace;
    this.singleActionSpace = first.actionSpace;
    for (const [i, env] of built.entries()) {
      if (!env.observationSpace.equals(this.singleObservationSpace)) throw new TypeError(`Sub-env ${i}'s observation space ${String(env.observationSpace)} differs from sub-env 0's ${String(this.singleObservationSpace)}`);
      if (!env.actionSpace.equals(this.singleActionSpace)) throw new TypeError(`Sub-env ${i}'s action space ${String(env.actionSpace)} differs from sub-env 0's ${String(this.singleActionSpace)}`);
    }
    this.observationSpace = batchSpace(this.singleObservationSpace, this.numEnvs);
    this.actionSpace = batchSpace(this.singleActionSpace, this.numEnvs);
    this.autoresetMode = checkAutoresetMode(options.autoresetMode);
    this.metadata = { ...first.metadata, autoresetMode: this.autoresetMode };
    this.spec = first.spec;
    this.copy = options.copy ?? true;
    this.observations = createBatch(this.singleObservationSpace, this.numEnvs);
    this.writeObservation = batchWriter(this.singleObservationSpace);
    this.readAction = actionReader(this.singleActionSpace, this.numEnvs);
    this.rewards = new Float64Array(this.numEnvs);
    this.terminations = new Uint8Array(this.numEnvs);
    this.truncations = new Uint8Array(this.numEnvs);
    this.autoresetEnvs = new Uint8Array(this.numEnvs);
  }

  reset(args: VectorResetArgs = {}): VectorResetResult<ObsBatch> {
    const seeds = expandSeeds(args.seed, this.numEnvs);
    const [mask, options] = splitResetMask(args.options, this.numEnvs);
    let infos: VectorInfo = {};
    for (let i = 0; i < this.numEnvs; i++) {
      if (mask !== undefined && mask[i] === 0) continue;
      this.terminations[i] = 0;
      this.truncations[i] = 0;
      this.autoresetEnvs[i] = 0;
      const { observation, info } = this.envs[i].reset({ seed: seeds[i], options });
      writeBatch(this.singleObservationSpace, this.observations, i, observation);
      infos = addInfo(infos, info, i, this.numEnvs);
    }
    return { observations: (this.copy ? copyBatch(this.observations) : this.observations) as ObsBatch, infos };
  }

  step(actions: ActBatch): VectorStepResult<ObsBatch> {
    checkActionBatch(this.singleActionSpace, actions, this.numEnvs);
    const write = this.writeObservation;
    if (this.copy) {
      // Fresh result arrays every step (the caller may keep them); the previous
      // step's flags carry over only through autoresetEnvs.
      this.rewards = new Float64Array(this.numEnvs);
      this.terminations = new Uint8Array(this.numEnvs);
      this.truncations = new Uint8Array(this.numEnvs);
    }
    let infos: VectorInfo = {};
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.envs[i];
      let info: Info;
      if (this.autoresetMode === AutoresetMode.NEXT_STEP && this.autoresetEnvs[i] === 1) {
        const reset = env.reset();
        write(this.observations, i, reset.observation);
        info = reset.info;
        this.rewards[i] = 0;
        this.terminations[i] = 0;
        this.truncations[i] = 0;
      } else {
        if (this.autoresetMode === AutoresetMode.DISABLED && this.autoresetEnvs[i] === 1) {
          throw new InvalidActionError('SyncVectorEnv.step', actions, this.actionSpace, `sub-env ${i} ended its episode and autoresetMode is Disabled: reset it with reset({ options: { resetMask } }) first`);
        }
        const result = env.step(this.readAction(actions, i));
        this.rewards[i] = result.reward;
        this.terminations[i] = result.terminated ? 1 : 0;
        this.truncations[i] = result.truncated ? 1 : 0;
        info = result.info;
        if (this.autoresetMode === AutoresetMode.SAME_STEP && (result.terminated || result.truncated)) {
          infos = addInfo(infos, { finalObs: result.observation, finalInfo: result.info }, i, this.numEnvs);
          const reset = env.reset();
          write(this.observations, i, reset.observation);
          info = reset.info;
        } else {
          write(this.observations, i, result.observation);
        }
      }
      if (hasKeys(info)) infos = addInfo(infos, info, i, this.numEnvs);
      this.autoresetEnvs[i] = this.terminations[i] | this.truncations[i];
    }
    return {
      observations: (this.copy ? copyBatch(this.observations) : this.observations) as ObsBatch,
      rewards: this.rewards,
      terminations: this.terminations,
      truncations: this.truncations,
      infos,
    };
  }

  render(): RenderOutput[] {
    return this.envs.map((env) => env.render());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const env of this.envs) env.close();
  }
}

/**
 * Episode statistics for vector envs (Gymnasium's vector
 * `RecordEpisodeStatistics`): when sub-envs finish, `infos.episode =
 * { r, l, t }` (Float64Array/Int32Array/Float64Array over envs, 0 where not
 * finished) and `infos._episode` marks them; recent episodes go into the
 * queues. Honors the env's autoreset mode.
 *
 * @example
 * ```ts
 * const envs = new RecordEpisodeStatisticsVector(new SyncVectorEnv('CartPole-v1', { numEnvs: 8 }));
 * envs.reset({ seed: 0 });
 * // … step …
 * console.log(envs.returnQueue.at(-1));
 * ```
 */
export class RecordEpisodeStatisticsVector<ObsBatch, ActBatch> extends VectorEnv<ObsBatch, ActBatch> {
  /** The wrapped vector env. */
  readonly env: VectorEnv<ObsBatch, ActBatch>;
  /** How many episodes the queues keep. */
  readonly bufferLength: number;
  /** The info key the statistics go under. */
  readonly statsKey: string;
  /** Returns of recent episodes, oldest first. */
  readonly returnQueue: number[] = [];
  /** Lengths of recent episodes. */
  readonly lengthQueue: number[] = [];
  /** Durations (seconds) of recent episodes. */
  readonly timeQueue: number[] = [];
  /** Episodes finished so far. */
  episodeCount = 0;
  /** Running return per env. */
  readonly episodeReturns: Float64Array;
  /** Running length per env. */
  readonly episodeLengths: Int32Array;
  private readonly episodeStartTimes: Float64Array;
  private previousDones: Uint8Array;

  constructor(env: VectorEnv<ObsBatch, ActBatch>, options: { bufferLength?: number; statsKey?: string } = {}) {
    super();
    this.env = env;
    this.bufferLength = options.bufferLength ?? 100;
    this.statsKey = options.statsKey ?? 'episode';
    this.episodeReturns = new Float64Array(env.numEnvs);
    this.episodeLengths = new Int32Array(env.numEnvs);
    this.episodeStartTimes = new Float64Array(env.numEnvs);
    this.previousDones = new Uint8Array(env.numEnvs);
  }

  get numEnvs(): number {
    return this.env.numEnvs;
  }
  get singleObservationSpace(): Space<unknown> {
    return this.env.singleObservationSpace;
  }
  get singleActionSpace(): Space<unknown> {
    return this.env.singleActionSpace;
  }
  get observationSpace(): Space<unknown> {
    return this.env.observationSpace;
  }
  get actionSpace(): Space<unknown> {
    return this.env.actionSpace;
  }
  get metadata(): EnvMetadata & { autoresetMode: AutoresetMode } {
    return this.env.metadata;
  }
  get spec(): EnvSpec | undefined {
    return this.env.spec;
  }

  reset(args?: VectorResetArgs): VectorResetResult<ObsBatch> {
    const result = this.env.reset(args);
    const time = performance.now() / 1000;
    this.episodeStartTimes.fill(time);
    this.episodeReturns.fill(0);
    this.episodeLengths.fill(0);
    this.previousDones = new Uint8Array(this.numEnvs);
    return result;
  }

  step(actions: ActBatch): VectorStepResult<ObsBatch> {
    const result = this.env.step(actions);
    const sameStep = this.metadata.autoresetMode === AutoresetMode.SAME_STEP;
    const time = performance.now() / 1000;
    for (let i = 0; i < this.numEnvs; i++) {
      if (!sameStep && this.previousDones[i] === 1) {
        this.episodeReturns[i] = 0;
        this.episodeLengths[i] = 0;
        this.episodeStartTimes[i] = time;
      } else {
        this.episodeReturns[i] += result.rewards[i];
        this.episodeLengths[i] += 1;
      }
    }
    const dones = new Uint8Array(this.numEnvs);
    let numDones = 0;
    for (let i = 0; i < this.numEnvs; i++) {
      dones[i] = result.terminations[i] | result.truncations[i];
      numDones += dones[i];
    }
    this.previousDones = dones;
    if (numDones > 0) {
      if (this.statsKey in result.infos || `_${this.statsKey}` in result.infos) {
        throw new Error(`Attempted to add episode stats with key '${this.statsKey}' but this key already exists in info: ${Object.keys(result.infos).join(', ')}`);
      }
      const r = new Float64Array(this.numEnvs);
      const l = new Int32Array(this.numEnvs);
      const t = new Float64Array(this.numEnvs);
      for (let i = 0; i < this.numEnvs; i++) {
        if (dones[i] === 0) continue;
        r[i] = this.episodeReturns[i];
        l[i] = this.episodeLengths[i];
        t[i] = Math.round((time - this.episodeStartTimes[i]) * 1e6) / 1e6;
        this.push(this.timeQueue, t[i]);
        this.push(this.returnQueue, r[i]);
        this.push(this.lengthQueue, l[i]);
        if (sameStep) {
          this.episodeReturns[i] = 0;
          this.episodeLengths[i] = 0;
          this.episodeStartTimes[i] = time;
        }
      }
      result.infos[this.statsKey] = { r, l, t };
      result.infos[`_${this.statsKey}`] = dones;
      this.episodeCount += numDones;
    }
    return result;
  }

  render(): RenderOutput[] {
    return this.env.render();
  }

  close(): void {
    this.env.close();
  }

  private push(queue: number[], value: number): void {
    queue.push(value);
    if (queue.length > this.bufferLength) queue.shift();
  }
}
