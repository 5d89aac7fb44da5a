/**
 * The environment contract: `Env`, its reset/step result types and the
 * `Wrapper` base classes, after Gymnasium 1.x's `gymnasium/core.py`.
 *
 * This is the small, rarely changing layer every other package codes
 * against (bandit agents, tabular and deep RL, PPO, the RLHF trainer). It
 * carries the version literal {@link ENV_API_VERSION}.
 *
 * Ownership: a `StepResult`/`ResetResult` object and the observation inside
 * it belong to the caller. Environments return a fresh object and a fresh
 * observation every call (as Gymnasium returns fresh numpy arrays), so a
 * caller may keep them in a replay buffer; wrappers may modify the result
 * object they receive from the inner env before returning it.
 */
import type { Rng } from './rng.js';
import { Rng as SeededRng } from './rng.js';
import type { Space } from './spaces.js';

/**
 * Version of the `Env` contract in this file; bumped on any breaking change.
 *
 * @example
 * ```ts
 * if (ENV_API_VERSION !== '1.0') throw new Error('unsupported @attune/envs contract');
 * ```
 */
export const ENV_API_VERSION = '1.0' as const;

/**
 * Free-form per-step information (Gymnasium's `info` dict).
 *
 * @example
 * ```ts
 * const info: Info = { prob: 1 };
 * ```
 */
export type Info = Record<string, unknown>;

/**
 * Arguments of {@link Env.reset}: Gymnasium's `reset(seed=None, options=None)`.
 *
 * @example
 * ```ts
 * const env = new CartPoleEnv();
 * env.reset({ seed: 42 });
 * env.reset({ options: { state: [0, 0, 0.1, 0] } }); // classic control start state
 * ```
 */
export interface ResetArgs<Options = Record<string, unknown>> {
  /** Re-seeds the env's generator (`npRandom`) before the reset; omitted keeps the current stream. */
  seed?: number;
  /** Env-specific reset options. */
  options?: Options;
}

/**
 * What {@link Env.reset} returns (Gymnasium's `(obs, info)`).
 *
 * @example
 * ```ts
 * const env = make('CartPole-v1');
 * const { observation, info }: ResetResult<Float32Array> = env.reset({ seed: 0 });
 * ```
 */
export interface ResetResult<Obs> {
  /** First observation of the episode. */
  observation: Obs;
  /** Auxiliary diagnostics. */
  info: Info;
}

/**
 * What {@link Env.step} returns (Gymnasium's `(obs, reward, terminated, truncated, info)`).
 *
 * @example
 * ```ts
 * const env = make('CartPole-v1');
 * env.reset({ seed: 0 });
 * const { observation, reward, terminated, truncated }: StepResult<Float32Array> = env.step(1);
 * if (terminated || truncated) env.reset();
 * ```
 */
export interface StepResult<Obs> {
  /** Observation after the action. */
  observation: Obs;
  /** Reward for the transition. */
  reward: number;
  /** The MDP reached a terminal state (do not bootstrap past it). */
  terminated: boolean;
  /** The episode was cut off outside the MDP, e.g. by a time limit (bootstrap past it). */
  truncated: boolean;
  /** Auxiliary diagnostics. */
  info: Info;
}

/**
 * An RGB image: `data` is `height × width × 3` bytes, row-major (Gymnasium's
 * `rgb_array` render output).
 *
 * @example
 * ```ts
 * const env = new CartPoleEnv({ renderMode: 'rgb_array' });
 * env.reset({ seed: 0 });
 * const frame = env.render() as RgbFrame;
 * const red00 = frame.data[0];
 * ```
 */
export interface RgbFrame {
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  /** `height × width × 3` bytes (R, G, B). */
  data: Uint8Array;
}

/**
 * What `render()` returns: text for `'ansi'` and `'svg'`, a frame for
 * `'rgb_array'`, nothing when no render mode is set.
 *
 * @example
 * ```ts
 * const env = new FrozenLakeEnv({ renderMode: 'ansi' });
 * env.reset({ seed: 0 });
 * const output: RenderOutput = env.render();
 * if (typeof output === 'string') console.log(output);
 * ```
 */
export type RenderOutput = string | RgbFrame | undefined;

/**
 * Static facts about an env (Gymnasium's `metadata` dict).
 *
 * @example
 * ```ts
 * const metadata: EnvMetadata = { renderModes: ['ansi'], renderFps: 4 };
 * ```
 */
export interface EnvMetadata {
  /** Render modes the env supports (Gymnasium `render_modes`). */
  renderModes: readonly string[];
  /** Frames per second a viewer should use (Gymnasium `render_fps`). */
  renderFps?: number;
  /** Anything else. */
  [key: string]: unknown;
}

/**
 * Builds an environment from keyword arguments; a registry entry point.
 *
 * @example
 * ```ts
 * const entryPoint: EnvCreator = (kwargs) => new CartPoleEnv(kwargs);
 * ```
 */
export type EnvCreator = (kwargs: Record<string, unknown>) => Env<any, any>;

/**
 * A registry entry (Gymnasium's `EnvSpec`), see `register` and `make`.
 *
 * @example
 * ```ts
 * const cartPole = spec('CartPole-v1');
 * cartPole.maxEpisodeSteps; // 500
 * cartPole.rewardThreshold; // 475
 * ```
 */
export interface EnvSpec {
  /** `[namespace/]name[-vN]`, e.g. `'CartPole-v1'`. */
  readonly id: string;
  /** Builds the bare env from kwargs. */
  readonly entryPoint: EnvCreator;
  /** Readable name of the entry point, e.g. `'@attune/envs:CartPoleEnv'`. */
  readonly entryPointName: string;
  /** Episode length after which `make` truncates (TimeLimit); `undefined` = no limit. */
  readonly maxEpisodeSteps: number | undefined;
  /** Mean episode return at which the task counts as solved. */
  readonly rewardThreshold: number | undefined;
  /** Whether the env is nondeterministic even after seeding. */
  readonly nondeterministic: boolean;
  /** Default kwargs passed to the entry point (overridden by `make`'s). */
  readonly kwargs: Readonly<Record<string, unknown>>;
  /** Whether `make` adds the reset-before-step / no-step-after-done guard. */
  readonly orderEnforce: boolean;
  /** Whether `make` skips the passive env checker. */
  readonly disableEnvChecker: boolean;
  /** Whether `make` wraps the env in `Autoreset`. */
  readonly autoreset: boolean;
  /** The namespace part of the id, if any. */
  readonly namespace: string | undefined;
  /** The name part of the id. */
  readonly name: string;
  /** The version part of the id, if any. */
  readonly version: number | undefined;
}

/**
 * An environment: Gymnasium's `Env`. Subclasses set `actionSpace` and
 * `observationSpace`, implement `reset` (calling `this.resetNpRandom(seed)`
 * first, like Gymnasium's `super().reset(seed=seed)`) and `step`.
 *
 * @example
 * ```ts
 * class CoinFlip extends Env<number, number> {
 *   readonly actionSpace = new Discrete(2);
 *   readonly observationSpace = new Discrete(1);
 *   reset(args: ResetArgs = {}) {
 *     this.resetNpRandom(args.seed);
 *     return { observation: 0, info: {} };
 *   }
 *   step(action: number) {
 *     const reward = this.npRandom.integers(2) === action ? 1 : 0;
 *     return { observation: 0, reward, terminated: true, truncated: false, info: {} };
 *   }
 * }
 * ```
 */
export abstract class Env<Obs = unknown, Act = unknown, Options = Record<string, unknown>> {
  /** The set of valid actions. */
  abstract readonly actionSpace: Space<Act>;
  /** The set of possible observations. */
  abstract readonly observationSpace: Space<Obs>;
  /** Static facts: render modes and fps. */
  metadata: EnvMetadata = { renderModes: [] };
  /** The render mode chosen at construction, or `undefined`. */
  renderMode: string | undefined = undefined;
  /** The registry entry `make` built this env from, if any. */
  spec: EnvSpec | undefined = undefined;
  private generator: Rng | undefined = undefined;
  private generatorSeed: number | undefined = undefined;

  /** Starts a new episode. Pass `seed` to re-seed `npRandom` first. */
  abstract reset(args?: ResetArgs<Options>): ResetResult<Obs>;

  /** Advances one step with `action`. */
  abstract step(action: Act): StepResult<Obs>;

  /** Renders according to `renderMode` (text, SVG or an RGB frame). Default: nothing. */
  render(): RenderOutput {
    return undefined;
  }

  /** Releases resources (windows, worker threads). Default: nothing. */
  close(): void {}

  /** The env's generator; seeded from entropy on first use if never seeded (Gymnasium `np_random`). */
  get npRandom(): Rng {
    if (this.generator === undefined) this.resetNpRandom(undefined, true);
    return this.generator as Rng;
  }

  set npRandom(rng: Rng) {
    this.generator = rng;
    this.generatorSeed = -1;
  }

  /** The seed `npRandom` was made from; -1 when a generator was assigned directly (Gymnasium `np_random_seed`). */
  get npRandomSeed(): number | undefined {
    if (this.generator === undefined) this.resetNpRandom(undefined, true);
    return this.generatorSeed;
  }

  /** The innermost env, below all wrappers. */
  get unwrapped(): Env<unknown, unknown, unknown> {
    return this as Env<unknown, unknown, unknown>;
  }

  /**
   * Re-seeds `npRandom` from `seed` (a no-op when `seed` is undefined and
   * the generator exists); call it first in `reset`.
   */
  protected resetNpRandom(seed: number | undefined, force = false): void {
    if (seed === undefined && !force && this.generator !== undefined) return;
    this.generator = new SeededRng(seed);
    this.generatorSeed = this.generator.seed;
  }

  /** `ClassName<spec id>` like Gymnasium's `__str__`. */
  toString(): string {
    return this.spec === undefined ? `<${this.constructor.name} instance>` : `<${this.constructor.name}<${this.spec.id}>>`;
  }
}

/**
 * Base of every wrapper (Gymnasium's `Wrapper`): forwards everything to the
 * wrapped `env`; subclasses override what they change. `metadata`,
 * `renderMode`, `spec` and `npRandom` read through to the inner env.
 *
 * @example
 * ```ts
 * class CountSteps<O, A> extends Wrapper<O, A> {
 *   steps = 0;
 *   override step(action: A) {
 *     this.steps++;
 *     return this.env.step(action);
 *   }
 * }
 * ```
 */
export class Wrapper<Obs = unknown, Act = unknown, InnerObs = Obs, InnerAct = Act> extends Env<Obs, Act, any> {
  /** The wrapped environment. */
  readonly env: Env<InnerObs, InnerAct, any>;
  private ownActionSpace: Space<Act> | undefined;
  private ownObservationSpace: Space<Obs> | undefined;

  constructor(env: Env<InnerObs, InnerAct, any>) {
    super();
    if (!(env instanceof Env)) throw new TypeError(`Wrapper expects an Env, got ${String(env)}`);
    this.env = env;
    for (const key of ['metadata', 'renderMode', 'spec'] as const) {
      Object.defineProperty(this, key, {
        configurable: true,
        enumerable: true,
        get: () => this.env[key],
        set: (value: unknown) => {
          (this.env as unknown as Record<string, unknown>)[key] = value;
        },
      });
    }
  }

  /** The inner env's action space unless a subclass assigns its own. */
  get actionSpace(): Space<Act> {
    return this.ownActionSpace ?? (this.env.actionSpace as unknown as Space<Act>);
  }

  set actionSpace(space: Space<Act>) {
    this.ownActionSpace = space;
  }

  /** The inner env's observation space unless a subclass assigns its own. */
  get observationSpace(): Space<Obs> {
    return this.ownObservationSpace ?? (this.env.observationSpace as unknown as Space<Obs>);
  }

  set observationSpace(space: Space<Obs>) {
    this.ownObservationSpace = space;
  }

  reset(args?: ResetArgs<any>): ResetResult<Obs> {
    return this.env.reset(args) as unknown as ResetResult<Obs>;
  }

  step(action: Act): StepResult<Obs> {
    return this.env.step(action as unknown as InnerAct) as unknown as StepResult<Obs>;
  }

  override render(): RenderOutput {
    return this.env.render();
  }

  override close(): void {
    this.env.close();
  }

  override get npRandom(): Rng {
    return this.env.npRandom;
  }

  override set npRandom(rng: Rng) {
    this.env.npRandom = rng;
  }

  override get npRandomSeed(): number | undefined {
    return this.env.npRandomSeed;
  }

  override get unwrapped(): Env<unknown, unknown, unknown> {
    return this.env.unwrapped;
  }

  override toString(): string {
    return `<${this.constructor.name}${String(this.env)}>`;
  }
}

/**
 * A wrapper that transforms observations only (Gymnasium's `ObservationWrapper`).
 *
 * @example
 * ```ts
 * class Doubled extends ObservationWrapper<Float32Array, number> {
 *   observation(x: Float32Array) { return x.map((v) => 2 * v); }
 * }
 * ```
 */
export abstract class ObservationWrapper<Obs, Act, InnerObs = Obs> extends Wrapper<Obs, Act, InnerObs, Act> {
  /** Maps an inner observation to this wrapper's. */
  abstract observation(observation: InnerObs): Obs;

  override reset(args?: ResetArgs<any>): ResetResult<Obs> {
    const result = this.env.reset(args) as unknown as ResetResult<unknown>;
    result.observation = this.observation(result.observation as InnerObs);
    return result as ResetResult<Obs>;
  }

  override step(action: Act): StepResult<Obs> {
    const result = this.env.step(action) as unknown as StepResult<unknown>;
    result.observation = this.observation(result.observation as InnerObs);
    return result as StepResult<Obs>;
  }
}

/**
 * A wrapper that transforms rewards only (Gymnasium's `RewardWrapper`).
 *
 * @example
 * ```ts
 * class Halved<O, A> extends RewardWrapper<O, A> {
 *   reward(r: number) { return r / 2; }
 * }
 * ```
 */
export abstract class RewardWrapper<Obs, Act> extends Wrapper<Obs, Act> {
  /** Maps the inner reward to this wrapper's. */
  abstract reward(reward: number): number;

  override step(action: Act): StepResult<Obs> {
    const result = this.env.step(action);
    result.reward = this.reward(result.reward);
    return result;
  }
}

/**
 * A wrapper that transforms actions before the inner env sees them
 * (Gymnasium's `ActionWrapper`).
 *
 * @example
 * ```ts
 * class Flip extends ActionWrapper<number, number, number> {
 *   action(a: number) { return 1 - a; }
 * }
 * ```
 */
export abstract class ActionWrapper<Obs, Act, InnerAct = Act> extends Wrapper<Obs, Act, Obs, InnerAct> {
  /** Maps this wrapper's action to the inner env's. */
  abstract action(action: Act): InnerAct;

  override step(action: Act): StepResult<Obs> {
    return this.env.step(this.action(action));
  }
}
