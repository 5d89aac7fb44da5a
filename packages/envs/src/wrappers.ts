/**
 * Wrappers with Gymnasium 1.4.0 semantics (gymnasium/wrappers/common.py,
 * stateful_observation.py, stateful_reward.py, transform_action.py,
 * transform_observation.py, transform_reward.py): TimeLimit, OrderEnforcing,
 * PassiveEnvChecker, Autoreset, RecordEpisodeStatistics,
 * NormalizeObservation, NormalizeReward, ClipAction, RescaleAction,
 * FlattenObservation, TransformObservation, TransformReward, plus the
 * `RunningMeanStd` they share.
 */
import { ActionWrapper, Env, ObservationWrapper, RewardWrapper, Wrapper, type Info, type ResetArgs, type ResetResult, type StepResult } from './core.js';
import { ResetNeededError } from './errors.js';
import { flatten, flattenSpace } from './flatten.js';
import { Box, Space, allocateArray, describeValue, type BoxArray, type BoxDtype } from './spaces.js';

// ---------------------------------------------------------------------------
// Episode control
// ---------------------------------------------------------------------------

/**
 * Truncates an episode after `maxEpisodeSteps` steps (Gymnasium `TimeLimit`):
 * the step that reaches the limit returns `truncated: true`. `make` adds it
 * from the spec's `maxEpisodeSteps`.
 *
 * @example
 * ```ts
 * const env = new TimeLimit(new PendulumEnv(), 200);
 * ```
 */
export class TimeLimit<Obs, Act> extends Wrapper<Obs, Act> {
  /** The step limit. */
  readonly maxEpisodeSteps: number;
  /** Steps since the last reset (−1 before the first). */
  elapsedSteps = -1;

  constructor(env: Env<Obs, Act, any>, maxEpisodeSteps: number) {
    super(env);
    if (!Number.isInteger(maxEpisodeSteps)) throw new TypeError(`Expect the maxEpisodeSteps to be an integer, actually: ${describeValue(maxEpisodeSteps)}`);
    if (maxEpisodeSteps <= 0) throw new RangeError(`Expect the maxEpisodeSteps to be positive, actually: ${maxEpisodeSteps}`);
    this.maxEpisodeSteps = maxEpisodeSteps;
  }

  override step(action: Act): StepResult<Obs> {
    const result = this.env.step(action);
    this.elapsedSteps++;
    if (this.elapsedSteps >= this.maxEpisodeSteps) result.truncated = true;
    return result;
  }

  override reset(args?: ResetArgs<any>): ResetResult<Obs> {
    this.elapsedSteps = 0;
    return this.env.reset(args);
  }
}

/**
 * Throws {@link ResetNeededError} on `step()` before the first `reset()`
 * (Gymnasium `OrderEnforcing`) and — stricter than Gymnasium, which only
 * warns — on `step()` after an episode ended until the next `reset()`.
 * `make` adds it unless the spec says `orderEnforce: false`.
 *
 * @example
 * ```ts
 * const env = new OrderEnforcing(new CartPoleEnv());
 * try {
 *   env.step(0);
 * } catch (error) {
 *   if (error instanceof ResetNeededError) console.log(error.message); // Cannot call env.step() before calling env.reset()
 * }
 * ```
 */
export class OrderEnforcing<Obs, Act> extends Wrapper<Obs, Act> {
  /** Whether `reset()` was called. */
  hasReset = false;
  /** Whether the current episode ended (terminated or truncated). */
  episodeOver = false;

  override step(action: Act): StepResult<Obs> {
    if (!this.hasReset) throw new ResetNeededError(`Cannot call env.step() before calling env.reset() (${this.envName()})`);
    if (this.episodeOver) {
      throw new ResetNeededError(`Cannot call env.step() after the episode ended (terminated or truncated) without calling env.reset() first (${this.envName()})`);
    }
    const result = this.env.step(action);
    this.episodeOver = result.terminated || result.truncated;
    return result;
  }

  override reset(args?: ResetArgs<any>): ResetResult<Obs> {
    const result = this.env.reset(args);
    this.hasReset = true;
    this.episodeOver = false;
    return result;
  }

  private envName(): string {
    return this.spec?.id ?? this.unwrapped.constructor.name;
  }
}

/** Emits a warning the Node way when available, else on the console. */
function warn(message: string): void {
  const emit = (globalThis as { process?: { emitWarning?: (message: string, type?: string) => void } }).process?.emitWarning;
  if (emit !== undefined) emit(message, 'EnvCheckerWarning');
  else console.warn(message);
}

function checkInfo(where: string, info: unknown): void {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) throw new TypeError(`${where}: info must be a plain object, got ${describeValue(info)}`);
}

/**
 * Checks the first `reset()` and `step()` results against the API contract
 * (Gymnasium `PassiveEnvChecker`): wrong types throw; an observation outside
 * the observation space or a non-finite reward warns. `make` adds it unless
 * the spec says `disableEnvChecker: true`.
 *
 * @example
 * ```ts
 * const env = new PassiveEnvChecker(new CartPoleEnv());
 * env.reset(); // checked once
 * ```
 */
export class PassiveEnvChecker<Obs, Act> extends Wrapper<Obs, Act> {
  private checkedReset = false;
  private checkedStep = false;

  constructor(env: Env<Obs, Act, any>) {
    super(env);
    if (!(env.actionSpace instanceof Space)) throw new TypeError(`${env.constructor.name}.actionSpace must be a Space, got ${describeValue(env.actionSpace)}`);
    if (!(env.observationSpace instanceof Space)) throw new TypeError(`${env.constructor.name}.observationSpace must be a Space, got ${describeValue(env.observationSpace)}`);
  }

  override reset(args?: ResetArgs<any>): ResetResult<Obs> {
    const result = this.env.reset(args);
    if (!this.checkedReset) {
      this.checkedReset = true;
      const where = `${this.unwrapped.constructor.name}.reset`;
      if (typeof result !== 'object' || result === null || !('observation' in result) || !('info' in result)) {
        throw new TypeError(`${where} must return { observation, info }, got ${describeValue(result)}`);
      }
      checkInfo(where, result.info);
      if (!this.observationSpace.contains(result.observation)) warn(`${where}: the observation ${describeValue(result.observation)} is not within the observation space ${String(this.observationSpace)}`);
    }
    return result;
  }

  override step(action: Act): StepResult<Obs> {
    const result = this.env.step(action);
    if (!this.checkedStep) {
      this.checkedStep = true;
      const where = `${this.unwrapped.constructor.name}.step`;
      if (typeof result !== 'object' || result === null) throw new TypeError(`${where} must return { observation, reward, terminated, truncated, info }, got ${describeValue(result)}`);
      if (typeof result.reward !== 'number') throw new TypeError(`${where}: reward must be a number, got ${describeValue(result.reward)}`);
      if (!Number.isFinite(result.reward)) warn(`${where}: the reward is not finite (${result.reward})`);
      if (typeof result.terminated !== 'boolean') throw new TypeError(`${where}: terminated must be a boolean, got ${describeValue(result.terminated)}`);
      if (typeof result.truncated !== 'boolean') throw new TypeError(`${where}: truncated must be a boolean, got ${describeValue(result.truncated)}`);
      checkInfo(where, result.info);
      if (!this.observationSpace.contains(result.observation)) warn(`${where}: the observation ${describeValue(result.observation)} is not within the observation space ${String(this.observationSpace)}`);
    }
    return result;
  }
}

/**
 * Resets the env on the step *after* an episode ends (Gymnasium 1.x
 * `Autoreset`, the vector envs' next-step mode): that step ignores the
 * action and returns the reset observation with reward 0 and
 * `terminated = truncated = false`.
 *
 * @example
 * ```ts
 * const env = new Autoreset(make('CartPole-v1'));
 * env.reset({ seed: 0 });
 * for (let t = 0; t < 10_000; t++) env.step(env.actionSpace.sample());
 * ```
 */
export class Autoreset<Obs, Act> extends Wrapper<Obs, Act> {
  /** Whether the next step resets. */
  autoreset = false;

  override reset(args?: ResetArgs<any>): ResetResult<Obs> {
    this.autoreset = false;
    return this.env.reset(args);
  }

  override step(action: Act): StepResult<Obs> {
    let result: StepResult<Obs>;
    if (this.autoreset) {
      const { observation, info } = this.env.reset();
      result = { observation, reward: 0.0, terminated: false, truncated: false, info };
    } else {
      result = this.env.step(action);
    }
    this.autoreset = result.terminated || result.truncated;
    return result;
  }
}

/**
 * Episode statistics Gymnasium's `RecordEpisodeStatistics` attaches to the
 * final step's info: `{ r: return, l: length, t: seconds }`.
 *
 * @example
 * ```ts
 * const env = new RecordEpisodeStatistics(make('CartPole-v1'));
 * env.reset({ seed: 0 });
 * let step = env.step(0);
 * while (!step.terminated && !step.truncated) step = env.step(0);
 * const stats = step.info.episode as EpisodeStatistics;
 * console.log(stats.r, stats.l);
 * ```
 */
export interface EpisodeStatistics {
  /** Undiscounted return. */
  r: number;
  /** Length in steps. */
  l: number;
  /** Wall-clock seconds since the episode started, rounded to 6 decimals. */
  t: number;
}

function now(): number {
  return performance.now() / 1000;
}

/**
 * Records each episode's return, length and duration (Gymnasium
 * `RecordEpisodeStatistics`): on the final step `info.episode =
 * { r, l, t }`; the last `bufferLength` episodes are kept in the queues.
 *
 * @example
 * ```ts
 * const env = new RecordEpisodeStatistics(make('CartPole-v1'));
 * // … run episodes …
 * const meanReturn = env.returnQueue.reduce((a, b) => a + b, 0) / env.returnQueue.length;
 * ```
 */
export class RecordEpisodeStatistics<Obs, Act> extends Wrapper<Obs, Act> {
  /** How many episodes the queues keep. */
  readonly bufferLength: number;
  /** The info key the statistics go under. */
  readonly statsKey: string;
  /** Returns of the last `bufferLength` episodes, oldest first. */
  readonly returnQueue: number[] = [];
  /** Lengths of the last episodes. */
  readonly lengthQueue: number[] = [];
  /** Durations (seconds) of the last episodes. */
  readonly timeQueue: number[] = [];
  /** Episodes finished so far. */
  episodeCount = 0;
  /** Return of the running episode. */
  episodeReturns = 0;
  /** Length of the running episode. */
  episodeLengths = 0;
  private episodeStartTime = now();

  constructor(env: Env<Obs, Act, any>, options: { bufferLength?: number; statsKey?: string } = {}) {
    super(env);
    this.bufferLength = options.bufferLength ?? 100;
    this.statsKey = options.statsKey ?? 'episode';
  }

  override step(action: Act): StepResult<Obs> {
    const result = this.env.step(action);
    this.episodeReturns += result.reward;
    this.episodeLengths += 1;
    if (result.terminated || result.truncated) {
      if (this.statsKey in result.info) throw new Error(`RecordEpisodeStatistics: info already has the key '${this.statsKey}'`);
      const seconds = Math.round((now() - this.episodeStartTime) * 1e6) / 1e6;
      const statistics: EpisodeStatistics = { r: this.episodeReturns, l: this.episodeLengths, t: seconds };
      result.info[this.statsKey] = statistics;
      this.push(this.timeQueue, seconds);
      this.push(this.returnQueue, this.episodeReturns);
      this.push(this.lengthQueue, this.episodeLengths);
      this.episodeCount += 1;
      this.episodeStartTime = now();
    }
    return result;
  }

  override reset(args?: ResetArgs<any>): ResetResult<Obs> {
    const result = this.env.reset(args);
    this.episodeStartTime = now();
    this.episodeReturns = 0;
    this.episodeLengths = 0;
    return result;
  }

  private push(queue: number[], value: number): void {
    queue.push(value);
    if (queue.length > this.bufferLength) queue.shift();
  }
}

// ---------------------------------------------------------------------------
// Normalization
// ---------------------------------------------------------------------------

/**
 * Running mean and variance of vectors (Gymnasium's `RunningMeanStd`, the
 * parallel algorithm of Chan et al.), in float64 or — rounding every
 * operation like numpy does for an `np.float32` state — float32.
 *
 * @example
 * ```ts
 * const rms = new RunningMeanStd(2);
 * rms.update(Float64Array.of(1, 2));
 * rms.mean; // ≈ [1, 2] (count starts at 1e-4)
 * ```
 */
export class RunningMeanStd {
  /** Per-coordinate mean. */
  readonly mean: Float64Array;
  /** Per-coordinate (population) variance. */
  readonly var: Float64Array;
  /** Number of samples seen, starting at `epsilon`. */
  count: number;
  /** Arithmetic precision of mean/var. */
  readonly dtype: 'float32' | 'float64';

  constructor(size: number, options: { epsilon?: number; dtype?: 'float32' | 'float64' } = {}) {
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
    this.count = options.epsilon ?? 1e-4;
    this.dtype = options.dtype ?? 'float64';
  }

  /** Adds one sample (a batch of one, as Gymnasium's wrappers call it). */
  update(sample: ArrayLike<number>): void {
    const r = this.dtype === 'float32' ? Math.fround : (value: number): number => value;
    const count = this.count;
    const totalCount = count + 1;
    for (let i = 0; i < this.mean.length; i++) {
      const batchMean = r(sample[i]);
      const delta = r(batchMean - this.mean[i]);
      const newMean = r(this.mean[i] + r(r(delta * 1) / r(totalCount)));
      const mA = r(this.var[i] * r(count));
      const mB = 0; // the variance of a single sample
      const m2 = r(r(mA + mB) + r(r(r(r(delta * delta) * r(count)) * 1) / r(totalCount)));
      this.mean[i] = newMean;
      this.var[i] = r(m2 / r(totalCount));
    }
    this.count = totalCount;
  }
}

/**
 * Normalizes observations to roughly zero mean and unit variance with
 * running statistics (Gymnasium `NormalizeObservation`, float32 statistics
 * as in 1.4.0): `(obs − mean) / sqrt(var + epsilon)` as a Float32Array.
 * Set `updateRunningMean = false` to freeze the statistics for evaluation.
 *
 * @example
 * ```ts
 * const env = new NormalizeObservation(make('MountainCar-v0'));
 * ```
 */
export class NormalizeObservation<Act> extends ObservationWrapper<Float32Array, Act, ArrayLike<number>> {
  /** The running statistics. */
  readonly obsRms: RunningMeanStd;
  /** Stability constant under the square root. */
  readonly epsilon: number;
  /** Whether new observations update the statistics. */
  updateRunningMean = true;

  constructor(env: Env<ArrayLike<number>, Act, any>, options: { epsilon?: number } = {}) {
    super(env);
    this.epsilon = options.epsilon ?? 1e-8;
    if (!(this.epsilon > 0)) throw new RangeError(`epsilon should be strictly positive. Received ${describeValue(this.epsilon)}`);
    const shape = env.observationSpace.shape;
    if (shape === undefined) throw new TypeError('NormalizeObservation wrapper requires the observation space to have a shape.');
    this.observationSpace = new Box({ low: -Infinity, high: Infinity, shape, dtype: 'float32' });
    this.obsRms = new RunningMeanStd((this.observationSpace as Box).size, { dtype: 'float32' });
  }

  observation(observation: ArrayLike<number>): Float32Array {
    if (this.updateRunningMean) this.obsRms.update(observation);
    const out = new Float32Array(this.obsRms.mean.length);
    const f = Math.fround;
    for (let i = 0; i < out.length; i++) out[i] = f(f(f(observation[i]) - this.obsRms.mean[i]) / f(Math.sqrt(f(this.obsRms.var[i] + f(this.epsilon)))));
    return out;
  }
}

/**
 * Scales rewards so that the discounted return has roughly unit variance
 * (Gymnasium `NormalizeReward`): keeps `G ← γ·G·(1 − terminated) + r`, a
 * running variance of G, and returns `r / sqrt(var + epsilon)`.
 *
 * @example
 * ```ts
 * const env = new NormalizeReward(make('Pendulum-v1'), { gamma: 0.99 });
 * ```
 */
export class NormalizeReward<Obs, Act> extends Wrapper<Obs, Act> {
  /** Running statistics of the discounted return. */
  readonly returnRms = new RunningMeanStd(1);
  /** Discount of the tracked return. */
  readonly gamma: number;
  /** Stability constant. */
  readonly epsilon: number;
  /** The tracked discounted return. */
  discountedReward = 0;
  /** Whether new rewards update the statistics. */
  updateRunningMean = true;

  constructor(env: Env<Obs, Act, any>, options: { gamma?: number; epsilon?: number } = {}) {
    super(env);
    this.gamma = options.gamma ?? 0.99;
    this.epsilon = options.epsilon ?? 1e-8;
    if (!(this.gamma >= 0 && this.gamma <= 1)) throw new RangeError(`gamma should be in the interval [0, 1]. Received ${describeValue(this.gamma)}`);
    if (!(this.epsilon > 0)) throw new RangeError(`epsilon should be strictly positive. Received ${describeValue(this.epsilon)}`);
  }

  override step(action: Act): StepResult<Obs> {
    const result = this.env.step(action);
    this.discountedReward = this.discountedReward * this.gamma * (1 - (result.terminated ? 1 : 0)) + result.reward;
    if (this.updateRunningMean) this.returnRms.update([this.discountedReward]);
    result.reward = result.reward / Math.sqrt(this.returnRms.var[0] + this.epsilon);
    return result;
  }
}

// ---------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------

function requireBox(name: string, space: Space<unknown>): Box<BoxDtype> {
  if (!(space instanceof Box)) throw new TypeError(`${name} requires a Box action space, got ${String(space)}`);
  return space;
}

/**
 * Clips continuous actions into the Box action space (Gymnasium
 * `ClipAction`); the wrapper's own action space is unbounded.
 *
 * @example
 * ```ts
 * const env = new ClipAction(make('Pendulum-v1'));
 * env.reset({ seed: 0 });
 * env.step(Float32Array.of(10)); // applied as 2
 * ```
 */
export class ClipAction<Obs> extends ActionWrapper<Obs, ArrayLike<number>, BoxArray<BoxDtype>> {
  private readonly box: Box<BoxDtype>;

  constructor(env: Env<Obs, any, any>) {
    super(env);
    this.box = requireBox('ClipAction', env.actionSpace);
    this.actionSpace = new Box({ low: -Infinity, high: Infinity, shape: this.box.shape, dtype: this.box.dtype });
  }

  action(action: ArrayLike<number>): BoxArray<BoxDtype> {
    const out = allocateArray(this.box.dtype, this.box.size);
    for (let i = 0; i < out.length; i++) out[i] = Math.min(Math.max(action[i], this.box.low[i]), this.box.high[i]);
    return out;
  }
}

/**
 * Exposes a Box action space rescaled to `[minAction, maxAction]` and maps
 * actions back affinely (Gymnasium `RescaleAction` via `rescale_box`,
 * gradient and intercept stored in the box dtype).
 *
 * @example
 * ```ts
 * const env = new RescaleAction(make('Pendulum-v1'), -1, 1); // agent acts in [-1, 1]
 * ```
 */
export class RescaleAction<Obs> extends ActionWrapper<Obs, ArrayLike<number>, BoxArray<BoxDtype>> {
  private readonly box: Box<BoxDtype>;
  private readonly gradient: BoxArray<BoxDtype>;
  private readonly intercept: BoxArray<BoxDtype>;

  constructor(env: Env<Obs, any, any>, minAction: number | ArrayLike<number>, maxAction: number | ArrayLike<number>) {
    super(env);
    const box = requireBox('RescaleAction', env.actionSpace);
    this.box = box;
    const at = (bound: number | ArrayLike<number>, i: number, name: string): number => {
      if (typeof bound === 'number') return bound;
      if (bound.length !== box.size) throw new RangeError(`Expected ${name} to have ${box.size} values, got ${bound.length}`);
      return bound[i];
    };
    const newMin = Array.from({ length: box.size }, (_, i) => at(minAction, i, 'minAction'));
    const newMax = Array.from({ length: box.size }, (_, i) => at(maxAction, i, 'maxAction'));
    this.gradient = allocateArray(box.dtype, box.size);
    this.intercept = allocateArray(box.dtype, box.size);
    for (let i = 0; i < box.size; i++) {
      if (!(newMin[i] < newMax[i])) throw new RangeError(`Min action (${newMin[i]}) must be strictly smaller than max action (${newMax[i]}), the rescaling has no inverse where they are equal`);
      const infinite = !Number.isFinite(newMin[i]) || !Number.isFinite(box.low[i]) || !Number.isFinite(newMax[i]) || !Number.isFinite(box.high[i]);
      if (infinite && (newMin[i] !== box.low[i] || newMax[i] !== box.high[i])) {
        throw new RangeError('For unbounded components, the target bounds must match the original infinity bounds.');
      }
      if (Number.isFinite(newMin[i]) && Number.isFinite(newMax[i])) this.gradient[i] = (newMax[i] - newMin[i]) / (box.high[i] - box.low[i]);
      else this.gradient[i] = 1;
      if (Number.isFinite(newMax[i])) this.intercept[i] = newMax[i] - box.high[i];
      if (Number.isFinite(newMin[i])) this.intercept[i] = this.gradient[i] * -box.low[i] + newMin[i];
    }
    this.actionSpace = new Box({ low: newMin, high: newMax, shape: box.shape, dtype: box.dtype });
  }

  action(action: ArrayLike<number>): BoxArray<BoxDtype> {
    const out = allocateArray(this.box.dtype, this.box.size);
    const r = this.box.dtype === 'float32' ? Math.fround : (value: number): number => value;
    for (let i = 0; i < out.length; i++) out[i] = r(r(action[i] - this.intercept[i]) / this.gradient[i]);
    return out;
  }
}

// ---------------------------------------------------------------------------
// Transforms
// ---------------------------------------------------------------------------

/**
 * Flattens observations into one vector (Gymnasium `FlattenObservation`):
 * Discrete → one-hot, Tuple/Dict → concatenation.
 *
 * @example
 * ```ts
 * const env = new FlattenObservation(make('FrozenLake-v1')); // observations: Int32Array(16) one-hot
 * ```
 */
export class FlattenObservation<Act> extends ObservationWrapper<BoxArray<BoxDtype>, Act, unknown> {
  constructor(env: Env<unknown, Act, any>) {
    super(env);
    this.observationSpace = flattenSpace(env.observationSpace);
  }

  observation(observation: unknown): BoxArray<BoxDtype> {
    return flatten(this.env.observationSpace, observation);
  }
}

/**
 * Applies a function to every observation (Gymnasium `TransformObservation`);
 * pass the new observation space if it changes.
 *
 * @example
 * ```ts
 * const env = new TransformObservation(make('CartPole-v1'), (x: Float32Array) => x.map((v) => v * 2));
 * ```
 */
export class TransformObservation<Obs, Act, InnerObs> extends ObservationWrapper<Obs, Act, InnerObs> {
  private readonly transform: (observation: InnerObs) => Obs;

  constructor(env: Env<InnerObs, Act, any>, transform: (observation: InnerObs) => Obs, observationSpace?: Space<Obs>) {
    super(env);
    if (typeof transform !== 'function') throw new TypeError(`TransformObservation expects a function, got ${describeValue(transform)}`);
    this.transform = transform;
    if (observationSpace !== undefined) this.observationSpace = observationSpace;
  }

  observation(observation: InnerObs): Obs {
    return this.transform(observation);
  }
}

/**
 * Applies a function to every reward (Gymnasium `TransformReward`).
 *
 * @example
 * ```ts
 * const env = new TransformReward(make('MountainCar-v0'), (r) => r / 10);
 * ```
 */
export class TransformReward<Obs, Act> extends RewardWrapper<Obs, Act> {
  private readonly transform: (reward: number) => number;

  constructor(env: Env<Obs, Act, any>, transform: (reward: number) => number) {
    super(env);
    if (typeof transform !== 'function') throw new TypeError(`TransformReward expects a function, got ${describeValue(transform)}`);
    this.transform = transform;
  }

  reward(reward: number): number {
    return this.transform(reward);
  }
}

/**
 * Applies a function to every action before the inner env sees it
 * (Gymnasium `TransformAction`).
 *
 * @example
 * ```ts
 * const env = new TransformAction(make('CartPole-v1'), (a: boolean) => (a ? 1 : 0), new Discrete(2) as never);
 * ```
 */
export class TransformAction<Obs, Act, InnerAct> extends ActionWrapper<Obs, Act, InnerAct> {
  private readonly transform: (action: Act) => InnerAct;

  constructor(env: Env<Obs, InnerAct, any>, transform: (action: Act) => InnerAct, actionSpace?: Space<Act>) {
    super(env);
    if (typeof transform !== 'function') throw new TypeError(`TransformAction expects a function, got ${describeValue(transform)}`);
    this.transform = transform;
    if (actionSpace !== undefined) this.actionSpace = actionSpace;
  }

  action(action: Act): InnerAct {
    return this.transform(action);
  }
}

/**
 * Info keys a wrapper may add; re-exported for typing `info` reads.
 *
 * @example
 * ```ts
 * const env = new RecordEpisodeStatistics(make('CartPole-v1'));
 * const { info } = env.reset({ seed: 0 });
 * const stats = (info as WrapperInfo).episode?.r;
 * ```
 */
export type WrapperInfo = Info & { episode?: EpisodeStatistics };
