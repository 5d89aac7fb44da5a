/**
 * The environment registry: `register`, `make`, `spec`, `envIds` and the
 * `registry` map, after Gymnasium 1.4.0 gymnasium/envs/registration.py and
 * the registrations in gymnasium/envs/__init__.py (ids, step limits, reward
 * thresholds, default kwargs).
 *
 * The built-in entries are part of the registry's initial value, not a side
 * effect of importing env modules, so `sideEffects: false` holds and a
 * worker thread that imports this package sees the same ids.
 */
import type { Env, EnvCreator, EnvSpec } from './core.js';
import { UnknownEnvError } from './errors.js';
import { describeValue } from './spaces.js';
import { AcrobotEnv } from './envs/classic-control/acrobot.js';
import { CartPoleEnv } from './envs/classic-control/cartpole.js';
import { MountainCarContinuousEnv, MountainCarEnv } from './envs/classic-control/mountain-car.js';
import { PendulumEnv } from './envs/classic-control/pendulum.js';
import { CliffWalkingEnv } from './envs/toy-text/cliff-walking.js';
import { FrozenLakeEnv } from './envs/toy-text/frozen-lake.js';
import { TaxiEnv } from './envs/toy-text/taxi.js';
import { BernoulliBanditEnv, GaussianBanditEnv } from './envs/bandits/k-armed.js';
import { LinearContextualBanditEnv } from './envs/bandits/contextual.js';
import { Autoreset, OrderEnforcing, PassiveEnvChecker, TimeLimit } from './wrappers.js';

/**
 * What `register` accepts: an id, an entry point and optional settings
 * (Gymnasium's `register(id, entry_point, …)` keyword arguments, camelCased).
 *
 * @example
 * ```ts
 * class MyEnv extends CartPoleEnv {}
 * const options: RegisterOptions = { id: 'MyEnv-v0', entryPoint: () => new MyEnv(), maxEpisodeSteps: 100 };
 * register(options);
 * ```
 */
export interface RegisterOptions {
  /** `[namespace/]name[-vN]`. */
  id: string;
  /** Builds the bare env from kwargs. */
  entryPoint: EnvCreator;
  /** Readable entry point name (default: the function's name). */
  entryPointName?: string;
  /** TimeLimit added by `make`. */
  maxEpisodeSteps?: number;
  /** Return at which the task counts as solved. */
  rewardThreshold?: number;
  /** Nondeterministic even after seeding (default false). */
  nondeterministic?: boolean;
  /** Default kwargs. */
  kwargs?: Record<string, unknown>;
  /** Add OrderEnforcing in `make` (default true). */
  orderEnforce?: boolean;
  /** Skip PassiveEnvChecker in `make` (default false). */
  disableEnvChecker?: boolean;
  /** Add Autoreset in `make` (default false). */
  autoreset?: boolean;
}

/** Gymnasium's id pattern: optional namespace, name, optional `-v<version>`. */
const ID_PATTERN = /^(?:(?<namespace>[\w:.-]+)\/)?(?<name>[\w:.-]+?)(?:-v(?<version>\d+))?$/;

/**
 * Splits an id into namespace, name and version (Gymnasium `parse_env_id`).
 *
 * @example
 * ```ts
 * parseEnvId('CartPole-v1'); // { namespace: undefined, name: 'CartPole', version: 1 }
 * ```
 */
export function parseEnvId(id: string): { namespace: string | undefined; name: string; version: number | undefined } {
  const match = typeof id === 'string' ? ID_PATTERN.exec(id) : null;
  if (match?.groups === undefined) {
    throw new RangeError(`Malformed environment ID: ${describeValue(id)}. (Currently all IDs must be of the form [namespace/](env-name)-v(version), e.g. 'CartPole-v1'.)`);
  }
  const { namespace, name, version } = match.groups;
  return { namespace, name, version: version === undefined ? undefined : Number(version) };
}

function createSpec(options: RegisterOptions): EnvSpec {
  if (typeof options.entryPoint !== 'function') throw new TypeError(`register('${options.id}'): entryPoint must be a function (kwargs) => Env, got ${describeValue(options.entryPoint)}`);
  if (options.maxEpisodeSteps !== undefined && (!Number.isInteger(options.maxEpisodeSteps) || options.maxEpisodeSteps <= 0)) {
    throw new RangeError(`register('${options.id}'): maxEpisodeSteps must be a positive integer, got ${describeValue(options.maxEpisodeSteps)}`);
  }
  const { namespace, name, version } = parseEnvId(options.id);
  return Object.freeze({
    id: options.id,
    entryPoint: options.entryPoint,
    entryPointName: options.entryPointName ?? (options.entryPoint.name || 'anonymous'),
    maxEpisodeSteps: options.maxEpisodeSteps,
    rewardThreshold: options.rewardThreshold,
    nondeterministic: options.nondeterministic ?? false,
    kwargs: Object.freeze({ ...(options.kwargs ?? {}) }),
    orderEnforce: options.orderEnforce ?? true,
    disableEnvChecker: options.disableEnvChecker ?? false,
    autoreset: options.autoreset ?? false,
    namespace,
    name,
    version,
  });
}

const builtIn = (name: string, create: EnvCreator): Pick<RegisterOptions, 'entryPoint' | 'entryPointName'> => ({
  entryPoint: create,
  entryPointName: `@attune/envs:${name}`,
});

/** The registrations of Gymnasium 1.4.0 gymnasium/envs/__init__.py we implement, then our bandits. */
const BUILT_IN: readonly RegisterOptions[] = [
  // Classic control
  { id: 'CartPole-v0', ...builtIn('CartPoleEnv', (kwargs) => new CartPoleEnv(kwargs)), maxEpisodeSteps: 200, rewardThreshold: 195.0 },
  { id: 'CartPole-v1', ...builtIn('CartPoleEnv', (kwargs) => new CartPoleEnv(kwargs)), maxEpisodeSteps: 500, rewardThreshold: 475.0 },
  { id: 'MountainCar-v0', ...builtIn('MountainCarEnv', (kwargs) => new MountainCarEnv(kwargs)), maxEpisodeSteps: 200, rewardThreshold: -110.0 },
  {
    id: 'MountainCarContinuous-v0',
    ...builtIn('MountainCarContinuousEnv', (kwargs) => new MountainCarContinuousEnv(kwargs)),
    maxEpisodeSteps: 999,
    rewardThreshold: 90.0,
  },
  { id: 'Pendulum-v1', ...builtIn('PendulumEnv', (kwargs) => new PendulumEnv(kwargs)), maxEpisodeSteps: 200 },
  { id: 'Acrobot-v1', ...builtIn('AcrobotEnv', (kwargs) => new AcrobotEnv(kwargs)), rewardThreshold: -100.0, maxEpisodeSteps: 500 },
  // Toy text
  { id: 'FrozenLake-v1', ...builtIn('FrozenLakeEnv', (kwargs) => new FrozenLakeEnv(kwargs)), kwargs: { mapName: '4x4' }, maxEpisodeSteps: 100, rewardThreshold: 0.7 },
  { id: 'FrozenLake8x8-v1', ...builtIn('FrozenLakeEnv', (kwargs) => new FrozenLakeEnv(kwargs)), kwargs: { mapName: '8x8' }, maxEpisodeSteps: 200, rewardThreshold: 0.85 },
  { id: 'CliffWalking-v1', ...builtIn('CliffWalkingEnv', (kwargs) => new CliffWalkingEnv(kwargs)) },
  { id: 'CliffWalkingSlippery-v1', ...builtIn('CliffWalkingEnv', (kwargs) => new CliffWalkingEnv(kwargs)), kwargs: { isSlippery: true } },
  { id: 'Taxi-v4', ...builtIn('TaxiEnv', (kwargs) => new TaxiEnv(kwargs)), rewardThreshold: 8, maxEpisodeSteps: 200 },
  // Bandits (ours; Sutton & Barto ch. 2 and Li et al. 2010)
  { id: 'BernoulliBandit-v0', ...builtIn('BernoulliBanditEnv', (kwargs) => new BernoulliBanditEnv(kwargs)), kwargs: { k: 10 }, maxEpisodeSteps: 1000 },
  { id: 'GaussianBandit-v0', ...builtIn('GaussianBanditEnv', (kwargs) => new GaussianBanditEnv(kwargs)), kwargs: { k: 10 }, maxEpisodeSteps: 1000 },
  {
    id: 'GaussianBanditNonstationary-v0',
    ...builtIn('GaussianBanditEnv', (kwargs) => new GaussianBanditEnv(kwargs)),
    kwargs: { k: 10, randomWalkStd: 0.01, equalStart: true },
    maxEpisodeSteps: 10_000,
  },
  {
    id: 'LinearContextualBandit-v0',
    ...builtIn('LinearContextualBanditEnv', (kwargs) => new LinearContextualBanditEnv(kwargs)),
    kwargs: { k: 5, dimension: 10, noiseStd: 0.1 },
    maxEpisodeSteps: 1000,
  },
];

/**
 * Every registered spec by id (Gymnasium's `registry`). Read it to list ids;
 * add to it with {@link register}.
 *
 * @example
 * ```ts
 * for (const [id, envSpec] of registry) console.log(id, envSpec.maxEpisodeSteps);
 * ```
 */
export const registry: ReadonlyMap<string, EnvSpec> = new Map(BUILT_IN.map((options) => [options.id, createSpec(options)]));

/**
 * Adds an environment to the registry (Gymnasium `register`); re-registering
 * an id replaces it.
 *
 * @example
 * ```ts
 * register({ id: 'CartPoleLong-v1', entryPoint: (kwargs) => new CartPoleEnv(kwargs), maxEpisodeSteps: 2000 });
 * const env = make('CartPoleLong-v1');
 * ```
 */
export function register(options: RegisterOptions): EnvSpec {
  const envSpec = createSpec(options);
  (registry as Map<string, EnvSpec>).set(envSpec.id, envSpec);
  return envSpec;
}

/**
 * Every registered id, sorted.
 *
 * @example
 * ```ts
 * envIds().includes('CartPole-v1'); // true
 * ```
 */
export function envIds(): string[] {
  return [...registry.keys()].sort();
}

/** Levenshtein distance, for "did you mean" suggestions. */
function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0];
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j];
      previous[j] = Math.min(previous[j] + 1, previous[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length];
}

/** Registered ids close to `id`: same name with other versions first, then small edit distances. */
function closeMatches(id: string): string[] {
  const lower = id.toLowerCase();
  const name = lower.replace(/-v\d+$/, '');
  const scored = envIds().map((candidate) => {
    const candidateLower = candidate.toLowerCase();
    const candidateName = candidateLower.replace(/-v\d+$/, '');
    const score = candidateName === name ? 0 : editDistance(name, candidateName) / Math.max(name.length, candidateName.length);
    return { candidate, score };
  });
  return scored
    .filter(({ score }) => score <= 0.4)
    .sort((a, b) => a.score - b.score || b.candidate.localeCompare(a.candidate))
    .slice(0, 3)
    .map(({ candidate }) => candidate);
}

/**
 * The registry entry for `id` (Gymnasium `spec`); throws
 * {@link UnknownEnvError} listing close matches for an unknown id.
 *
 * @example
 * ```ts
 * spec('Taxi-v4').rewardThreshold; // 8
 * ```
 */
export function spec(id: string): EnvSpec {
  const envSpec = registry.get(id);
  if (envSpec === undefined) {
    parseEnvId(id);
    throw new UnknownEnvError(id, closeMatches(id));
  }
  return envSpec;
}

/**
 * Options of {@link make} beyond the env's kwargs.
 *
 * @example
 * ```ts
 * make('CartPole-v1', { renderMode: 'svg' }, { maxEpisodeSteps: 1000 });
 * ```
 */
export interface MakeOptions {
  /** Overrides the spec's step limit; `null` removes the TimeLimit. */
  maxEpisodeSteps?: number | null;
  /** Overrides the spec's `disableEnvChecker`. */
  disableEnvChecker?: boolean;
  /** Overrides the spec's `autoreset`. */
  autoreset?: boolean;
}

/**
 * Builds a registered environment (Gymnasium `make`): the entry point gets
 * the spec's kwargs overridden by `kwargs`, then — outermost last —
 * PassiveEnvChecker (unless disabled), TimeLimit (if a step limit is set),
 * OrderEnforcing (unless the spec says no) and Autoreset (if asked).
 * OrderEnforcing sits outside TimeLimit (Gymnasium puts it inside) so that
 * it also sees truncations and can refuse a step after any episode end.
 *
 * @example
 * ```ts
 * const env = make('FrozenLake-v1', { isSlippery: false });
 * const { observation } = env.reset({ seed: 0 });
 * ```
 */
export function make<Obs = any, Act = any>(id: string, kwargs: Record<string, unknown> = {}, options: MakeOptions = {}): Env<Obs, Act, any> {
  const envSpec = spec(id);
  if (typeof kwargs !== 'object' || kwargs === null) throw new TypeError(`make('${id}'): kwargs must be an object, got ${describeValue(kwargs)}`);
  const mergedKwargs = { ...envSpec.kwargs, ...kwargs };
  let env: Env<any, any, any> = envSpec.entryPoint(mergedKwargs);
  const maxEpisodeSteps = options.maxEpisodeSteps === undefined ? envSpec.maxEpisodeSteps : (options.maxEpisodeSteps ?? undefined);
  env.unwrapped.spec = Object.freeze({ ...envSpec, kwargs: Object.freeze(mergedKwargs), maxEpisodeSteps });
  if (!(options.disableEnvChecker ?? envSpec.disableEnvChecker)) env = new PassiveEnvChecker(env);
  if (maxEpisodeSteps !== undefined) env = new TimeLimit(env, maxEpisodeSteps);
  if (envSpec.orderEnforce) env = new OrderEnforcing(env);
  if (options.autoreset ?? envSpec.autoreset) env = new Autoreset(env);
  return env as Env<Obs, Act, any>;
}
