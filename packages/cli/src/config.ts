/**
 * Configuration of `attune train`: the algorithms it knows, their default configs (each algorithm
 * package's own defaults object), and how a config is assembled from a JSON/YAML file and
 * `--set key=value` flags and checked field by field before any training starts. Errors are
 * {@link ConfigError}s that name the field, what was expected and what was given.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { defaultBetaBernoulliThompsonSamplingConfig, defaultEpsilonGreedyConfig, defaultGaussianThompsonSamplingConfig, defaultGradientBanditConfig, defaultLinUCBConfig, defaultUCB1Config } from '@attune/bandits';
import { Box, Discrete, envIds, make, registry } from '@attune/envs';
import { a2cDefaults, reinforceDefaults, resolveA2CConfig, resolveReinforceConfig } from '@attune/policy-gradient';
import { ppoContinuousDefaults, ppoDefaults, resolvePPOConfig } from '@attune/ppo';
import { defaultTabularConfig, dqnDefaults, resolveDQNConfig, resolveTabularConfig } from '@attune/q-learning';

/**
 * A configuration mistake the user can fix: an unknown field, a value of the wrong type, an
 * unknown algorithm or environment, an unreadable config file. The CLI prints its message and exits
 * with status 2, without a stack trace.
 *
 * @example
 * ```ts
 * try {
 *   validateConfig(ALGORITHMS.ppo, ALGORITHMS.ppo.defaults('CartPole-v1'), { lerningRate: 1e-3 });
 * } catch (error) {
 *   if (error instanceof ConfigError) console.log(error.message); // … ppo config has no field "lerningRate"; valid fields: …
 * }
 * ```
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * The three families of trainers, which differ in what they count (env steps, episodes, pulls) and
 * what they can checkpoint.
 *
 * @example
 * ```ts
 * const kind: AlgorithmKind = ALGORITHMS.sarsa.kind; // 'tabular'
 * ```
 */
export type AlgorithmKind = 'deep' | 'tabular' | 'bandit';

/**
 * One algorithm `attune train` can run.
 *
 * @example
 * ```ts
 * const ppo: AlgorithmSpec = ALGORITHMS.ppo;
 * ppo.kind; // 'deep'
 * ```
 */
export interface AlgorithmSpec {
  /** The name on the command line, e.g. `ppo`. */
  name: string;
  /** `deep` (checkpoints, resume), `tabular` (episodes, a Q-table) or `bandit` (pulls, regret). */
  kind: AlgorithmKind;
  /** One line for `--help`. */
  summary: string;
  /** The package that implements it. */
  packageName: string;
  /** Default config for `envId` (fields the user may set; the env and seed are set by the CLI). */
  defaults(envId: string): Record<string, unknown>;
  /** Which registered envs it runs on, as a check returning a reason when it cannot. */
  supports(envId: string): string | null;
  /** Fields that take more than their default's type (e.g. ε-greedy's `stepSize`: a number or 'sample-average'). */
  extraTypes?: Record<string, ValueType[]>;
  /** The package's own range checks, run after the CLI's type checks (throws naming the field). */
  resolve?(config: Record<string, unknown>): void;
}

/**
 * The JSON types the validator tells apart.
 *
 * @example
 * ```ts
 * const expected: ValueType[] = ALGORITHMS.ppo.extraTypes?.targetKl ?? []; // ['number', 'null']: targetKl may also be null
 * ```
 */
export type ValueType = 'number' | 'string' | 'boolean' | 'array' | 'null' | 'object';

function spaces(envId: string): { observation: unknown; action: unknown } {
  const env = make(envId);
  const result = { observation: env.observationSpace, action: env.actionSpace };
  env.close();
  return result;
}

const isBandit = (envId: string) => /Bandit/.test(envId) && !/Contextual/.test(envId);
const isContextualBandit = (envId: string) => /ContextualBandit/.test(envId);

function needsTabular(envId: string): string | null {
  const { observation, action } = spaces(envId);
  return observation instanceof Discrete && action instanceof Discrete ? null : `needs Discrete observation and action spaces (FrozenLake-v1, CliffWalking-v1, Taxi-v4, …)`;
}

function needsDeep(discreteOnly: boolean) {
  return (envId: string): string | null => {
    if (isBandit(envId) || isContextualBandit(envId)) return 'is a bandit env; use a bandit agent (epsilon-greedy, ucb1, thompson, gradient-bandit, linucb)';
    const { observation, action } = spaces(envId);
    if (!(observation instanceof Box) && !(observation instanceof Discrete)) return 'needs a Box or Discrete observation space';
    if (discreteOnly && !(action instanceof Discrete)) return 'needs a Discrete action space (CartPole-v1, Acrobot-v1, MountainCar-v0)';
    return null;
  };
}

const needsBandit = (envId: string): string | null => (isBandit(envId) ? null : 'needs a k-armed bandit env (BernoulliBandit-v0, GaussianBandit-v0, GaussianBanditNonstationary-v0)');
const needsContextual = (envId: string): string | null => (isContextualBandit(envId) ? null : 'needs a contextual bandit env (LinearContextualBandit-v0)');

/** Pulls of a bandit run; the bandit agents' configs have no such field, so the CLI adds it. */
const BANDIT_RUN_DEFAULTS = { steps: 1000 };

/**
 * Every algorithm `attune train` runs, by command-line name.
 *
 * @example
 * ```ts
 * Object.keys(ALGORITHMS); // ['ppo', 'dqn', 'a2c', 'reinforce', 'q-learning', 'sarsa', 'expected-sarsa', 'epsilon-greedy', …]
 * ```
 */
export const ALGORITHMS: Readonly<Record<string, AlgorithmSpec>> = Object.freeze({
  ppo: {
    name: 'ppo',
    kind: 'deep',
    summary: 'Proximal Policy Optimization (CleanRL defaults; continuous envs get ppo_continuous_action defaults)',
    packageName: '@attune/ppo',
    defaults: (envId: string) => ({ ...(spaces(envId).action instanceof Box ? ppoContinuousDefaults : ppoDefaults), hiddenSizes: [...ppoDefaults.hiddenSizes] }),
    supports: needsDeep(false),
    extraTypes: { targetKl: ['number', 'null'], clipObservation: ['number', 'null'], clipReward: ['number', 'null'] },
    resolve: (config) => void resolvePPOConfig(config),
  },
  dqn: {
    name: 'dqn',
    kind: 'deep',
    summary: 'Deep Q-Network with a target network and replay memory (CleanRL dqn.py defaults)',
    packageName: '@attune/q-learning',
    defaults: () => ({ ...dqnDefaults, hiddenSizes: [...dqnDefaults.hiddenSizes] }),
    supports: needsDeep(true),
    extraTypes: { maxGradNorm: ['number', 'null'] },
    resolve: (config) => void resolveDQNConfig(config),
  },
  a2c: {
    name: 'a2c',
    kind: 'deep',
    summary: 'Synchronous advantage actor-critic',
    packageName: '@attune/policy-gradient',
    defaults: () => ({ ...a2cDefaults, hiddenSizes: [...a2cDefaults.hiddenSizes] }),
    supports: needsDeep(false),
    resolve: (config) => void resolveA2CConfig(config),
  },
  reinforce: {
    name: 'reinforce',
    kind: 'deep',
    summary: 'REINFORCE with a learned baseline',
    packageName: '@attune/policy-gradient',
    defaults: () => ({ ...reinforceDefaults, hiddenSizes: [...reinforceDefaults.hiddenSizes] }),
    supports: needsDeep(false),
    resolve: (config) => void resolveReinforceConfig(config),
  },
  'q-learning': {
    name: 'q-learning',
    kind: 'tabular',
    summary: 'Tabular Q-learning (Sutton & Barto §6.5)',
    packageName: '@attune/q-learning',
    defaults: () => ({ ...defaultTabularConfig }),
    supports: needsTabular,
    resolve: (config) => void resolveTabularConfig('QLearningConfig', config),
  },
  sarsa: {
    name: 'sarsa',
    kind: 'tabular',
    summary: 'Tabular SARSA (Sutton & Barto §6.4)',
    packageName: '@attune/q-learning',
    defaults: () => ({ ...defaultTabularConfig }),
    supports: needsTabular,
    resolve: (config) => void resolveTabularConfig('SarsaConfig', config),
  },
  'expected-sarsa': {
    name: 'expected-sarsa',
    kind: 'tabular',
    summary: 'Tabular expected SARSA (Sutton & Barto §6.6)',
    packageName: '@attune/q-learning',
    defaults: () => ({ ...defaultTabularConfig }),
    supports: needsTabular,
    resolve: (config) => void resolveTabularConfig('ExpectedSarsaConfig', config),
  },
  'epsilon-greedy': {
    name: 'epsilon-greedy',
    kind: 'bandit',
    summary: 'ε-greedy bandit agent with incremental value estimates',
    packageName: '@attune/bandits',
    defaults: () => ({ ...defaultEpsilonGreedyConfig, ...BANDIT_RUN_DEFAULTS }),
    supports: needsBandit,
    extraTypes: { stepSize: ['number', 'string'] },
  },
  ucb1: {
    name: 'ucb1',
    kind: 'bandit',
    summary: 'UCB1 (Auer et al. 2002) bandit agent',
    packageName: '@attune/bandits',
    defaults: () => ({ ...defaultUCB1Config, ...BANDIT_RUN_DEFAULTS }),
    supports: needsBandit,
  },
  thompson: {
    name: 'thompson',
    kind: 'bandit',
    summary: 'Thompson sampling (Beta–Bernoulli on BernoulliBandit, Gaussian otherwise)',
    packageName: '@attune/bandits',
    defaults: (envId: string) => ({ .../Bernoulli/.test(envId) ? defaultBetaBernoulliThompsonSamplingConfig : defaultGaussianThompsonSamplingConfig, ...BANDIT_RUN_DEFAULTS }),
    supports: needsBandit,
  },
  'gradient-bandit': {
    name: 'gradient-bandit',
    kind: 'bandit',
    summary: 'Gradient bandit with a reward baseline (Sutton & Barto §2.8)',
    packageName: '@attune/bandits',
    defaults: () => ({ ...defaultGradientBanditConfig, ...BANDIT_RUN_DEFAULTS }),
    supports: needsBandit,
  },
  linucb: {
    name: 'linucb',
    kind: 'bandit',
    summary: 'Disjoint LinUCB (Li et al. 2010) on contextual bandits',
    packageName: '@attune/bandits',
    defaults: () => ({ ...defaultLinUCBConfig, seed: 0, ...BANDIT_RUN_DEFAULTS }),
    supports: needsContextual,
  },
});

/**
 * The algorithm named `name`, or a {@link ConfigError} listing the known ones.
 *
 * @example
 * ```ts
 * algorithm('ppo').kind; // 'deep'
 * algorithm('ppp'); // throws: unknown algorithm "ppp"; known: ppo, dqn, …
 * ```
 */
export function algorithm(name: string): AlgorithmSpec {
  const spec = Object.hasOwn(ALGORITHMS, name) ? ALGORITHMS[name] : undefined;
  if (spec === undefined) throw new ConfigError(`unknown algorithm "${name}"; known: ${Object.keys(ALGORITHMS).join(', ')}`);
  return spec;
}

/**
 * Checks that `envId` is registered and suits `spec`; throws a {@link ConfigError} listing the
 * registered ids otherwise.
 *
 * @example
 * ```ts
 * checkEnv(algorithm('q-learning'), 'FrozenLake-v1'); // ok
 * checkEnv(algorithm('q-learning'), 'CartPole-v1'); // throws: q-learning needs Discrete observation and action spaces …
 * ```
 */
export function checkEnv(spec: AlgorithmSpec, envId: string): void {
  if (!registry.has(envId)) throw new ConfigError(`unknown env "${envId}"; registered envs: ${envIds().join(', ')}`);
  const reason = spec.supports(envId);
  if (reason !== null) throw new ConfigError(`${spec.name} cannot train on ${envId}: it ${reason}`);
}

/**
 * The JSON type of `value` as the validator names it.
 *
 * @example
 * ```ts
 * valueType([64, 64]); // 'array'
 * ```
 */
export function valueType(value: unknown): ValueType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const type = typeof value;
  if (type === 'number' || type === 'string' || type === 'boolean') return type;
  return 'object';
}

function describe(value: unknown): string {
  return `${valueType(value)} ${JSON.stringify(value)}`;
}

/**
 * Merges `overrides` over `defaults` for algorithm `spec`, checking every field: an unknown field
 * names the valid ones; a value whose type differs from the default's names the field, the
 * expected type and the value given; then the algorithm package's own range checks run.
 *
 * @example
 * ```ts
 * const ppo = ALGORITHMS.ppo;
 * validateConfig(ppo, ppo.defaults('CartPole-v1'), { learningRate: 1e-3 }).learningRate; // 0.001
 * try {
 *   validateConfig(ppo, ppo.defaults('CartPole-v1'), { numEnvs: '8' });
 * } catch (error) {
 *   console.log((error as Error).message); // config: ppo config field "numEnvs" must be number, got string "8"
 * }
 * ```
 */
export function validateConfig(spec: AlgorithmSpec, defaults: Readonly<Record<string, unknown>>, overrides: Readonly<Record<string, unknown>>, source = 'config'): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...defaults };
  for (const [field, value] of Object.entries(overrides)) {
    if (!Object.hasOwn(defaults, field)) {
      throw new ConfigError(`${source}: ${spec.name} config has no field "${field}"; valid fields: ${Object.keys(defaults).join(', ')}`);
    }
    const expected = [valueType(defaults[field]), ...(spec.extraTypes?.[field] ?? [])];
    const actual = valueType(value);
    if (!expected.includes(actual)) {
      throw new ConfigError(`${source}: ${spec.name} config field "${field}" must be ${expected.join(' or ')}, got ${describe(value)}`);
    }
    if (actual === 'array') {
      const elementType = valueType((defaults[field] as unknown[])[0]);
      const bad = (value as unknown[]).find((element) => valueType(element) !== elementType);
      if (bad !== undefined) throw new ConfigError(`${source}: ${spec.name} config field "${field}" must be an array of ${elementType}s, got an element ${describe(bad)}`);
    }
    merged[field] = value;
  }
  try {
    spec.resolve?.(merged);
  } catch (error) {
    throw new ConfigError(`${source}: ${(error as Error).message}`);
  }
  return merged;
}

/**
 * Reads a config file: JSON (`.json`) or YAML (`.yaml`, `.yml`); the top level must be a mapping
 * of config fields.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * await writeFile('ppo.yaml', 'learningRate: 0.001\nnumEnvs: 8\n');
 * const overrides = await loadConfigFile('ppo.yaml'); // { learningRate: 0.001, numEnvs: 8 }
 * ```
 */
export async function loadConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`--config ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const extension = extname(path).toLowerCase();
  if (!['.json', '.yaml', '.yml'].includes(extension)) throw new ConfigError(`--config ${path}: expected a .json, .yaml or .yml file, got "${extension || 'no extension'}"`);
  let parsed: unknown;
  try {
    parsed = extension === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(`--config ${path}: not valid ${extension === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (valueType(parsed) !== 'object') throw new ConfigError(`--config ${path}: the top level must be a mapping of config fields, got ${valueType(parsed)}`);
  return parsed as Record<string, unknown>;
}

/**
 * Parses `--set key=value` flags; values are read as YAML scalars or flow collections, so
 * `lr=3e-4` is a number, `annealLearningRate=false` a boolean, `hiddenSizes=[64,64]` an array and
 * `targetKl=null` null.
 *
 * @example
 * ```ts
 * parseSetFlags(['learningRate=0.001', 'hiddenSizes=[32, 32]']); // { learningRate: 0.001, hiddenSizes: [32, 32] }
 * ```
 */
export function parseSetFlags(flags: readonly string[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const flag of flags) {
    const equals = flag.indexOf('=');
    if (equals <= 0) throw new ConfigError(`--set ${flag}: expected key=value, e.g. --set learningRate=0.001`);
    const key = flag.slice(0, equals).trim();
    const text = flag.slice(equals + 1);
    let value: unknown;
    try {
      value = parseYaml(text);
    } catch {
      value = text;
    }
    result[key] = value ?? (text.trim() === '' ? '' : null);
  }
  return result;
}
