/**
 * Pieces shared by the classic-control envs: reset options (Gymnasium's
 * `low`/`high` bounds from gymnasium/envs/classic_control/utils.py, plus our
 * explicit start `state`), render-mode handling and action checks.
 */
import type { RenderOutput } from '../../core.js';
import { InvalidActionError } from '../../errors.js';
import { describeValue, type Box, type Discrete } from '../../spaces.js';
import { rasterizeScene, sceneToSvg, type Scene } from './scene.js';

/**
 * Reset options of the classic-control envs.
 *
 * @example
 * ```ts
 * const env = new CartPoleEnv();
 * env.reset({ options: { state: [0, 0, 0.05, 0] } }); // CartPole: exact start state
 * env.reset({ options: { low: -0.1, high: 0.1 } });   // CartPole: wider uniform start
 * ```
 */
export interface ClassicControlResetOptions {
  /** Exact start state (not the observation): its layout is documented per env. */
  state?: ArrayLike<number>;
  /** Lower bound of the uniform start-state draw (Gymnasium `maybe_parse_reset_bounds`). */
  low?: number;
  /** Upper bound of the uniform start-state draw. */
  high?: number;
  /** Pendulum only: half-width of the start angle draw (Gymnasium `x_init`, default π). */
  xInit?: number;
  /** Pendulum only: half-width of the start angular-velocity draw (Gymnasium `y_init`, default 1). */
  yInit?: number;
}

/**
 * Render modes of the classic-control envs.
 *
 * @example
 * ```ts
 * new CartPoleEnv({ renderMode: 'svg' satisfies ClassicControlRenderMode });
 * ```
 */
export type ClassicControlRenderMode = 'rgb_array' | 'svg';

/** Gymnasium's `maybe_parse_reset_bounds`: `options.low`/`options.high` or the defaults, checked. */
export function parseResetBounds(options: ClassicControlResetOptions | undefined, defaultLow: number, defaultHigh: number): [number, number] {
  const low = options?.low ?? defaultLow;
  const high = options?.high ?? defaultHigh;
  for (const [name, value] of [['low', low], ['high', high]] as const) {
    if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`An option (${name}=${describeValue(value)}) could not be converted to a float.`);
  }
  if (low > high) throw new RangeError(`Lower bound (${low}) must be lower than higher bound (${high}).`);
  return [low, high];
}

/** Reads `options.state`, checking its length and that it holds finite numbers. */
export function readStateOption(where: string, state: ArrayLike<number> | undefined, names: readonly string[]): number[] | undefined {
  if (state === undefined) return undefined;
  if (state === null || typeof state !== 'object' || typeof state.length !== 'number' || state.length !== names.length) {
    throw new RangeError(`${where}: options.state must be ${names.length} numbers [${names.join(', ')}], got ${describeValue(state)}`);
  }
  const values = Array.from(state);
  values.forEach((value, i) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(`${where}: options.state[${i}] (${names[i]}) must be a finite number, got ${describeValue(value)}`);
  });
  return values;
}

/** Validates a render mode against the modes classic control supports. */
export function checkRenderMode(where: string, renderMode: string | undefined): ClassicControlRenderMode | undefined {
  if (renderMode === undefined || renderMode === 'rgb_array' || renderMode === 'svg') return renderMode;
  throw new RangeError(`${where}: renderMode must be 'rgb_array', 'svg' or undefined, got ${describeValue(renderMode)}`);
}

/** Turns a scene into the output of the chosen render mode. */
export function renderScene(renderMode: string | undefined, scene: Scene | undefined): RenderOutput {
  if (scene === undefined || renderMode === undefined) return undefined;
  return renderMode === 'svg' ? sceneToSvg(scene) : rasterizeScene(scene);
}

/** Throws unless `action` is an integer of a `Discrete(n)` space. */
export function checkDiscreteAction(where: string, action: number, space: Discrete): void {
  if (!Number.isInteger(action) || action < space.start || action >= space.start + space.n) {
    throw new InvalidActionError(where, action, space, `expected an integer in [${space.start}, ${space.start + space.n})`);
  }
}

/**
 * Throws unless `action` holds `space.size` numbers that, rounded to float32
 * (the space's dtype), lie within the Box bounds. Any typed array or number
 * array is accepted (Gymnasium does not check the action dtype either).
 */
export function checkBoxAction(where: string, action: ArrayLike<number>, space: Box<'float32'>): void {
  let valid = action !== null && typeof action === 'object' && action.length === space.size;
  for (let i = 0; valid && i < space.size; i++) {
    const value = Math.fround(action[i]);
    valid = typeof action[i] === 'number' && value >= space.low[i] && value <= space.high[i];
  }
  if (!valid) {
    throw new InvalidActionError(
      where,
      action,
      space,
      `expected ${space.size} number(s) within [${Array.from(space.low).join(', ')}] … [${Array.from(space.high).join(', ')}]; wrap the env in ClipAction to clip out-of-range actions`,
    );
  }
}
