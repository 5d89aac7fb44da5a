/**
 * `checkEnv`: checks that an environment follows the API, modelled on
 * Gymnasium 1.4.0 gymnasium/utils/env_checker.py (`check_env`): spaces,
 * the reset/step return contract, observations inside the observation
 * space, seeding determinism (same seed → same first observation and the
 * same trajectory under the same actions), and render output.
 */
import { Env, type RgbFrame } from './core.js';
import { Space, describeValue } from './spaces.js';

/**
 * Thrown by {@link checkEnv} when an env breaks the API; the message names the check.
 *
 * @example
 * ```ts
 * const env = make('CartPole-v1');
 * try { checkEnv(env); } catch (error) { if (error instanceof EnvCheckError) console.log(error.message); }
 * ```
 */
export class EnvCheckError extends Error {
  override name = 'EnvCheckError';
}

/**
 * Options of {@link checkEnv}.
 *
 * @example
 * ```ts
 * const env = make('CartPole-v1');
 * checkEnv(env, { seed: 7, steps: 50 });
 * ```
 */
export interface CheckEnvOptions {
  /** Seed for the determinism checks (default 123, as Gymnasium). */
  seed?: number;
  /** Steps of the step-determinism check (default 20). */
  steps?: number;
  /** Skip the render check (default false). */
  skipRenderCheck?: boolean;
  /** How to pick actions (default: the seeded `actionSpace.sample()`). */
  sampleAction?: (env: Env<any, any, any>, step: number) => unknown;
}

/**
 * What {@link checkEnv} found that is allowed but suspicious.
 *
 * @example
 * ```ts
 * const env = make('CartPole-v1');
 * const { warnings }: CheckEnvReport = checkEnv(env);
 * ```
 */
export interface CheckEnvReport {
  /** Non-fatal findings. */
  warnings: string[];
}

/**
 * Deep equality of env data (Gymnasium `data_equivalence`): typed arrays
 * by type and elements (NaN equals NaN), arrays and plain objects by members.
 *
 * @example
 * ```ts
 * dataEquivalence(Float32Array.of(1, NaN), Float32Array.of(1, NaN)); // true
 * dataEquivalence(Float32Array.of(1), Float64Array.of(1));           // false
 * ```
 */
export function dataEquivalence(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
    const x = a as unknown as ArrayLike<number>;
    const y = b as unknown as ArrayLike<number>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => dataEquivalence(item, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const keysA = Object.keys(a).sort();
    const keysB = Object.keys(b).sort();
    return dataEquivalence(keysA, keysB) && keysA.every((key) => dataEquivalence((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
  }
  return false;
}

function fail(check: string, message: string): never {
  throw new EnvCheckError(`checkEnv [${check}]: ${message}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function checkSpace(name: string, space: unknown, seed: number, warnings: string[]): void {
  if (!(space instanceof Space)) fail('spaces', `${name} must be a Space (Discrete, Box, …), got ${describeValue(space)}`);
  let first: unknown;
  try {
    space.seed(seed);
    first = space.sample();
  } catch (error) {
    warnings.push(`${name} ${String(space)} cannot sample (${(error as Error).message}); sampling checks skipped`);
    return;
  }
  if (!space.contains(first)) fail('spaces', `${name}.sample() returned ${describeValue(first)}, which ${name}.contains() rejects`);
  space.seed(seed);
  const again = space.sample();
  if (!dataEquivalence(first, again)) fail('spaces', `${name}.seed(${seed}) does not make sample() deterministic: ${describeValue(first)} then ${describeValue(again)}`);
  for (let i = 0; i < 20; i++) {
    const sample = space.sample();
    if (!space.contains(sample)) fail('spaces', `${name}.sample() returned ${describeValue(sample)}, which ${name}.contains() rejects`);
  }
}

function checkResetResult(env: Env<any, any, any>, result: unknown, where: string, warnings: string[]): unknown {
  if (!isPlainObject(result) || !('observation' in result) || !('info' in result)) fail('reset', `${where} must return { observation, info }, got ${describeValue(result)}`);
  if (!isPlainObject(result.info)) fail('reset', `${where}: info must be a plain object, got ${describeValue(result.info)}`);
  if (!env.observationSpace.contains(result.observation)) {
    fail('reset', `${where}: the observation ${describeValue(result.observation)} is not in the observation space ${String(env.observationSpace)}`);
  }
  if (result.observation !== null && typeof result.observation === 'object' && Object.isFrozen(result.observation) && ArrayBuffer.isView(result.observation)) {
    warnings.push(`${where}: the observation is frozen`);
  }
  return result.observation;
}

interface Transition {
  observation: unknown;
  reward: number;
  terminated: boolean;
  truncated: boolean;
}

function checkStepResult(env: Env<any, any, any>, result: unknown, where: string, warnings: string[]): Transition {
  if (!isPlainObject(result)) fail('step', `${where} must return { observation, reward, terminated, truncated, info }, got ${describeValue(result)}`);
  for (const key of ['observation', 'reward', 'terminated', 'truncated', 'info']) {
    if (!(key in result)) fail('step', `${where} must return an object with '${key}', got keys ${Object.keys(result).join(', ')}`);
  }
  const { observation, reward, terminated, truncated, info } = result;
  if (typeof reward !== 'number') fail('step', `${where}: reward must be a number, got ${describeValue(reward)}`);
  if (!Number.isFinite(reward)) warnings.push(`${where}: reward is not finite (${reward})`);
  if (typeof terminated !== 'boolean') fail('step', `${where}: terminated must be a boolean, got ${describeValue(terminated)}`);
  if (typeof truncated !== 'boolean') fail('step', `${where}: truncated must be a boolean, got ${describeValue(truncated)}`);
  if (!isPlainObject(info)) fail('step', `${where}: info must be a plain object, got ${describeValue(info)}`);
  if (!env.observationSpace.contains(observation)) {
    fail('step', `${where}: the observation ${describeValue(observation)} is not in the observation space ${String(env.observationSpace)}`);
  }
  return { observation, reward, terminated, truncated };
}

function rollout(env: Env<any, any, any>, seed: number, steps: number, sampleAction: (step: number) => unknown, warnings: string[]): Transition[] {
  const trajectory: Transition[] = [];
  const first = checkResetResult(env, env.reset({ seed }), `reset({ seed: ${seed} })`, warnings);
  trajectory.push({ observation: first, reward: 0, terminated: false, truncated: false });
  for (let t = 0; t < steps; t++) {
    const action = sampleAction(t);
    const transition = checkStepResult(env, env.step(action), `step(${describeValue(action)})`, warnings);
    trajectory.push(transition);
    if (transition.terminated || transition.truncated) {
      const observation = checkResetResult(env, env.reset(), 'reset()', warnings);
      trajectory.push({ observation, reward: 0, terminated: false, truncated: false });
    }
  }
  return trajectory;
}

function checkRender(env: Env<any, any, any>, warnings: string[]): void {
  const mode = env.renderMode;
  const modes = env.metadata?.renderModes;
  if (!Array.isArray(modes)) fail('render', `metadata.renderModes must be an array, got ${describeValue(modes)}`);
  if (mode === undefined) return;
  if (!modes.includes(mode)) fail('render', `renderMode '${mode}' is not in metadata.renderModes [${modes.join(', ')}]`);
  const output = env.render();
  if (mode === 'ansi' || mode === 'svg') {
    if (typeof output !== 'string') fail('render', `render() in '${mode}' mode must return a string, got ${describeValue(output)}`);
  } else if (mode === 'rgb_array') {
    const frame = output as RgbFrame;
    if (!isPlainObject(frame) || !(frame.data instanceof Uint8Array) || frame.data.length !== frame.width * frame.height * 3) {
      fail('render', `render() in 'rgb_array' mode must return { width, height, data: Uint8Array(width × height × 3) }, got ${describeValue(output)}`);
    }
  } else {
    warnings.push(`render mode '${mode}' is not one checkEnv knows; output not checked`);
  }
}

/**
 * Checks an environment against the API, like Gymnasium's `check_env`:
 * 1. `actionSpace`/`observationSpace` are spaces whose seeded samples are
 *    deterministic and contained;
 * 2. `reset` returns `{ observation, info }` with the observation inside
 *    the observation space; the same seed gives the same observation, and
 *    an unseeded reset does not re-seed;
 * 3. `step` returns `{ observation, reward, terminated, truncated, info }`
 *    with the right types and the observation in the space;
 * 4. the same seed and actions give the same trajectory;
 * 5. `render()` output matches `renderMode`.
 * Throws {@link EnvCheckError} on the first failure; returns warnings.
 *
 * @example
 * ```ts
 * for (const id of envIds()) checkEnv(make(id));
 * ```
 */
export function checkEnv(env: Env<any, any, any>, options: CheckEnvOptions = {}): CheckEnvReport {
  const warnings: string[] = [];
  const seed = options.seed ?? 123;
  const steps = options.steps ?? 20;
  if (!(env instanceof Env)) fail('env', `expected an Env (from @attune/envs), got ${describeValue(env)}`);
  checkSpace('observationSpace', env.observationSpace, seed, warnings);
  checkSpace('actionSpace', env.actionSpace, seed, warnings);

  // Reset seeding (Gymnasium check_reset_seed_determinism).
  const first = checkResetResult(env, env.reset({ seed }), `reset({ seed: ${seed} })`, warnings);
  const seedAfterSeededReset = env.npRandomSeed;
  const second = checkResetResult(env, env.reset({ seed }), `reset({ seed: ${seed} })`, warnings);
  if (!dataEquivalence(first, second)) {
    fail('seeding', `reset({ seed: ${seed} }) twice gave different observations: ${describeValue(first)} then ${describeValue(second)}`);
  }
  checkResetResult(env, env.reset(), 'reset()', warnings);
  if (env.npRandomSeed !== seedAfterSeededReset) {
    fail('seeding', `reset() without a seed re-seeded npRandom (seed ${String(seedAfterSeededReset)} became ${String(env.npRandomSeed)}); only reset({ seed }) may`);
  }
  const otherSeed = seed + 1;
  checkResetResult(env, env.reset({ seed: otherSeed }), `reset({ seed: ${otherSeed} })`, warnings);
  if (env.npRandomSeed !== otherSeed) fail('seeding', `reset({ seed: ${otherSeed} }) did not seed npRandom (npRandomSeed is ${String(env.npRandomSeed)})`);

  // Step contract and determinism (Gymnasium check_step_determinism).
  let canSample = true;
  try {
    env.actionSpace.seed(seed);
    env.actionSpace.sample();
  } catch {
    canSample = false;
  }
  if (options.sampleAction !== undefined || canSample) {
    const actionsFor = (): ((step: number) => unknown) => {
      if (options.sampleAction !== undefined) {
        const pick = options.sampleAction;
        return (step) => pick(env, step);
      }
      env.actionSpace.seed(seed);
      return () => env.actionSpace.sample();
    };
    const a = rollout(env, seed, steps, actionsFor(), warnings);
    const b = rollout(env, seed, steps, actionsFor(), warnings);
    for (let t = 0; t < a.length; t++) {
      if (!dataEquivalence(a[t], b[t])) {
        fail('determinism', `the same seed and actions diverged at transition ${t}: ${describeValue(a[t])} vs ${describeValue(b[t])}`);
      }
    }
  } else {
    warnings.push(`actionSpace ${String(env.actionSpace)} cannot sample and no sampleAction was given; step checks skipped`);
  }

  if (!options.skipRenderCheck) checkRender(env, warnings);
  return { warnings };
}
