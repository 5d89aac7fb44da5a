/**
 * Acrobot-v1: swing the tip of a two-link chain above a line by torquing
 * the middle joint (Sutton 1996; Sutton & Barto 1998, the "book" dynamics).
 * Transcribed from Gymnasium 1.4.0 gymnasium/envs/classic_control/acrobot.py,
 * integrated with its fixed-step `rk4` over one `dt = 0.2` interval.
 * Precision: reset stores the start state as float32 (`.astype(np.float32)`),
 * every step integrates and stores in float64.
 */
import { Env, type ResetArgs, type ResetResult, type StepResult, type RenderOutput } from '../../core.js';
import { ResetNeededError, rejectUnknownOptions } from '../../errors.js';
import { Box, Discrete } from '../../spaces.js';
import {
  checkDiscreteAction,
  checkRenderMode,
  parseResetBounds,
  readStateOption,
  renderScene,
  type ClassicControlRenderMode,
  type ClassicControlResetOptions,
} from './common.js';
import { rotateAndTranslate, type Scene, type Shape } from './scene.js';

// Class constants of AcrobotEnv (Gymnasium 1.4.0).
const DT = 0.2;
const LINK_LENGTH_1 = 1.0;
const LINK_LENGTH_2 = 1.0;
const LINK_MASS_1 = 1.0;
const LINK_MASS_2 = 1.0;
const LINK_COM_POS_1 = 0.5;
const LINK_COM_POS_2 = 0.5;
const LINK_MOI = 1.0;
const MAX_VEL_1 = 4 * Math.PI;
const MAX_VEL_2 = 9 * Math.PI;
const AVAIL_TORQUE = [-1.0, 0.0, +1] as const;
const G = 9.8;

/**
 * Gymnasium's `wrap`: shifts `x` by multiples of `max − min` into [min, max].
 *
 * @example
 * ```ts
 * wrap(4, -Math.PI, Math.PI); // 4 − 2π
 * ```
 */
export function wrap(x: number, min: number, max: number): number {
  const diff = max - min;
  while (x > max) x = x - diff;
  while (x < min) x = x + diff;
  return x;
}

/** Gymnasium's `bound`: `min(max(x, m), M)`. */
function bound(x: number, min: number, max: number): number {
  return Math.min(Math.max(x, min), max);
}

/**
 * Time derivative of `[theta1, theta2, dtheta1, dtheta2, torque]`
 * (Gymnasium `_dsdt`, "book" variant), written into `out`.
 */
function dsdt(s: Float64Array, out: Float64Array): void {
  const m1 = LINK_MASS_1;
  const m2 = LINK_MASS_2;
  const l1 = LINK_LENGTH_1;
  const lc1 = LINK_COM_POS_1;
  const lc2 = LINK_COM_POS_2;
  const I1 = LINK_MOI;
  const I2 = LINK_MOI;
  const a = s[4];
  const theta1 = s[0];
  const theta2 = s[1];
  const dtheta1 = s[2];
  const dtheta2 = s[3];
  const d1 = m1 * (lc1 * lc1) + m2 * ((l1 * l1) + (lc2 * lc2) + 2 * l1 * lc2 * Math.cos(theta2)) + I1 + I2;
  const d2 = m2 * ((lc2 * lc2) + l1 * lc2 * Math.cos(theta2)) + I2;
  const phi2 = m2 * lc2 * G * Math.cos(theta1 + theta2 - Math.PI / 2.0);
  const phi1 =
    -m2 * l1 * lc2 * (dtheta2 * dtheta2) * Math.sin(theta2) -
    2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * Math.sin(theta2) +
    (m1 * lc1 + m2 * l1) * G * Math.cos(theta1 - Math.PI / 2) +
    phi2;
  const ddtheta2 = (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * Math.sin(theta2) - phi2) / (m2 * (lc2 * lc2) + I2 - (d2 * d2) / d1);
  const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  out[0] = dtheta1;
  out[1] = dtheta2;
  out[2] = ddtheta1;
  out[3] = ddtheta2;
  out[4] = 0.0;
}

/**
 * One classic Runge–Kutta step of length `dt` of the Acrobot ODE from `y0`
 * (Gymnasium `rk4` with `t = [0, dt]`); returns the first 4 components.
 *
 * @example
 * ```ts
 * acrobotRk4(Float64Array.of(0, 0, 0, 0, 1), 0.2); // state after 0.2 s of +1 torque
 * ```
 */
export function acrobotRk4(y0: Float64Array, dt: number): Float64Array {
  const dt2 = dt / 2.0;
  const k1 = new Float64Array(5);
  const k2 = new Float64Array(5);
  const k3 = new Float64Array(5);
  const k4 = new Float64Array(5);
  const y = new Float64Array(5);
  dsdt(y0, k1);
  for (let i = 0; i < 5; i++) y[i] = y0[i] + dt2 * k1[i];
  dsdt(y, k2);
  for (let i = 0; i < 5; i++) y[i] = y0[i] + dt2 * k2[i];
  dsdt(y, k3);
  for (let i = 0; i < 5; i++) y[i] = y0[i] + dt * k3[i];
  dsdt(y, k4);
  const out = new Float64Array(4);
  for (let i = 0; i < 4; i++) out[i] = y0[i] + (dt / 6.0) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  return out;
}

/**
 * Constructor arguments of {@link AcrobotEnv}.
 *
 * @example
 * ```ts
 * const options: AcrobotOptions = { renderMode: 'rgb_array' };
 * ```
 */
export interface AcrobotOptions {
  /** `'rgb_array'` or `'svg'` frames, or nothing. */
  renderMode?: ClassicControlRenderMode;
}

/**
 * Acrobot-v1: observation `[cos θ1, sin θ1, cos θ2, sin θ2, θ̇1, θ̇2]`,
 * actions 0/1/2 = torque −1/0/+1, reward −1 per step until
 * −cos θ1 − cos(θ1 + θ2) > 1 (then 0 and terminated). Registered with
 * 500 steps and threshold −100. Start state uniform in [−0.1, 0.1]⁴, rounded
 * to float32 like Gymnasium; `options.state = [theta1, theta2, dtheta1, dtheta2]`
 * sets it (also rounded to float32).
 *
 * @example
 * ```ts
 * const env = new AcrobotEnv();
 * env.reset({ seed: 0 });
 * const { reward, terminated } = env.step(2); // reward -1
 * ```
 */
export class AcrobotEnv extends Env<Float32Array, number, ClassicControlResetOptions> {
  readonly actionSpace = new Discrete(3);
  readonly observationSpace = new Box({
    low: [-1, -1, -1, -1, -MAX_VEL_1, -MAX_VEL_2],
    high: [1, 1, 1, 1, MAX_VEL_1, MAX_VEL_2],
    dtype: 'float32',
  });
  private readonly s = new Float64Array(4);
  private hasState = false;

  constructor(options: AcrobotOptions = {}) {
    super();
    rejectUnknownOptions('AcrobotEnv', options, ['renderMode']);
    this.metadata = { renderModes: ['rgb_array', 'svg'], renderFps: 15 };
    this.renderMode = checkRenderMode('AcrobotEnv', options.renderMode);
  }

  /** The state `[theta1, theta2, dtheta1, dtheta2]` (a copy), or `undefined` before reset. */
  get state(): Float64Array | undefined {
    return this.hasState ? this.s.slice() : undefined;
  }

  reset(args: ResetArgs<ClassicControlResetOptions> = {}): ResetResult<Float32Array> {
    this.resetNpRandom(args.seed);
    const state = readStateOption('AcrobotEnv.reset', args.options?.state, ['theta1', 'theta2', 'dtheta1', 'dtheta2']);
    if (state !== undefined) {
      for (let i = 0; i < 4; i++) this.s[i] = Math.fround(state[i]);
    } else {
      const [low, high] = parseResetBounds(args.options, -0.1, 0.1);
      for (let i = 0; i < 4; i++) this.s[i] = Math.fround(this.npRandom.uniform(low, high));
    }
    this.hasState = true;
    return { observation: this.observation(), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    checkDiscreteAction('AcrobotEnv.step', action, this.actionSpace);
    if (!this.hasState) throw new ResetNeededError('AcrobotEnv.step: cannot call step() before reset()');
    const augmented = Float64Array.of(this.s[0], this.s[1], this.s[2], this.s[3], AVAIL_TORQUE[action]);
    const next = acrobotRk4(augmented, DT);
    this.s[0] = wrap(next[0], -Math.PI, Math.PI);
    this.s[1] = wrap(next[1], -Math.PI, Math.PI);
    this.s[2] = bound(next[2], -MAX_VEL_1, MAX_VEL_1);
    this.s[3] = bound(next[3], -MAX_VEL_2, MAX_VEL_2);
    const terminated = -Math.cos(this.s[0]) - Math.cos(this.s[1] + this.s[0]) > 1.0;
    return { observation: this.observation(), reward: terminated ? 0.0 : -1.0, terminated, truncated: false, info: {} };
  }

  private observation(): Float32Array {
    const s = this.s;
    return Float32Array.of(Math.cos(s[0]), Math.sin(s[0]), Math.cos(s[1]), Math.sin(s[1]), s[2], s[3]);
  }

  /** Gymnasium's 500 × 500 drawing: the two links, their joints and the target line. */
  override render(): RenderOutput {
    if (!this.hasState) return undefined;
    const size = 500;
    const bound = LINK_LENGTH_1 + LINK_LENGTH_2 + 0.2;
    const scale = size / (bound * 2);
    const offset = size / 2;
    const s = this.s;
    const p1 = [-LINK_LENGTH_1 * Math.cos(s[0]) * scale, LINK_LENGTH_1 * Math.sin(s[0]) * scale];
    const joints = [
      [0, 0],
      [p1[1], p1[0]],
    ];
    const thetas = [s[0] - Math.PI / 2, s[0] + s[1] - Math.PI / 2];
    const lengths = [LINK_LENGTH_1 * scale, LINK_LENGTH_2 * scale];
    const shapes: Shape[] = [{ kind: 'line', points: [-2.2 * scale + offset, 1 * scale + offset, 2.2 * scale + offset, 1 * scale + offset], color: [0, 0, 0], width: 1 }];
    for (let i = 0; i < 2; i++) {
      const x = joints[i][0] + offset;
      const y = joints[i][1] + offset;
      const link = rotateAndTranslate([0, -0.1 * scale, 0, 0.1 * scale, lengths[i], 0.1 * scale, lengths[i], -0.1 * scale], thetas[i], x, y);
      shapes.push({ kind: 'polygon', points: link, color: [0, 204, 204] });
      shapes.push({ kind: 'circle', cx: Math.trunc(x), cy: Math.trunc(y), radius: Math.trunc(0.1 * scale), color: [204, 204, 0] });
    }
    const scene: Scene = { width: size, height: size, shapes };
    return renderScene(this.renderMode, scene);
  }
}
