/**
 * Pendulum-v1: swing a frictionless pendulum up and hold it upright with a
 * bounded torque. Transcribed from Gymnasium 1.4.0
 * gymnasium/envs/classic_control/pendulum.py. The state is float64; the
 * torque `u` is an `np.float32`, so under NumPy 2 promotion `u**2`,
 * `.001 * u**2` and `3.0 * u` are float32 products (reproduced with
 * `Math.fround`) added into float64 sums.
 */
import { Env, type ResetArgs, type ResetResult, type StepResult, type RenderOutput } from '../../core.js';
import { ResetNeededError, rejectUnknownOptions } from '../../errors.js';
import { Box, describeValue } from '../../spaces.js';
import { checkBoxAction, checkRenderMode, readStateOption, renderScene, type ClassicControlRenderMode, type ClassicControlResetOptions } from './common.js';
import { rotateAndTranslate, type Scene } from './scene.js';

// Constants of pendulum.py (Gymnasium 1.4.0).
const MAX_SPEED = 8;
const MAX_TORQUE = 2.0;
const DT = 0.05;
const MASS = 1.0;
const LENGTH = 1.0;
const DEFAULT_X = Math.PI;
const DEFAULT_Y = 1.0;

const fround = Math.fround;

/**
 * Maps an angle into [−π, π) as Gymnasium's `angle_normalize`, with numpy's
 * floor-style `%` (the result takes the divisor's sign).
 *
 * @example
 * ```ts
 * angleNormalize(3 * Math.PI / 2); // ≈ -π/2
 * ```
 */
export function angleNormalize(x: number): number {
  const period = 2 * Math.PI;
  let remainder = (x + Math.PI) % period; // C fmod, as numpy's remainder starts
  if (remainder !== 0 && remainder < 0) remainder += period;
  return remainder - Math.PI;
}

/**
 * Constructor arguments of {@link PendulumEnv}.
 *
 * @example
 * ```ts
 * const options: PendulumOptions = { g: 9.81 };
 * ```
 */
export interface PendulumOptions {
  /** `'rgb_array'` or `'svg'` frames, or nothing. */
  renderMode?: ClassicControlRenderMode;
  /** Gravity (Gymnasium `g`, default 10.0). */
  g?: number;
}

/**
 * Pendulum-v1: observation `[cos θ, sin θ, θ̇]`, action `Float32Array(1)`
 * torque in [−2, 2], reward −(θ² + 0.1·θ̇² + 0.001·u²) with θ normalized to
 * [−π, π); never terminates (200-step limit from the registry). Start θ
 * uniform in [−π, π], θ̇ in [−1, 1]; `options.state = [theta, thetaDot]`
 * sets them, `options.xInit`/`yInit` widen or narrow the draw.
 *
 * @example
 * ```ts
 * const env = new PendulumEnv();
 * env.reset({ options: { state: [Math.PI, 0] } }); // hanging down, at rest
 * const { reward } = env.step(Float32Array.of(0)); // ≈ -π²
 * ```
 */
export class PendulumEnv extends Env<Float32Array, Float32Array, ClassicControlResetOptions> {
  readonly actionSpace = new Box({ low: -MAX_TORQUE, high: MAX_TORQUE, shape: [1], dtype: 'float32' });
  readonly observationSpace = new Box({ low: [-1, -1, -MAX_SPEED], high: [1, 1, MAX_SPEED], dtype: 'float32' });
  /** Gravity. */
  readonly g: number;
  private theta = 0;
  private thetaDot = 0;
  private hasState = false;
  /** The last applied torque, for rendering (Gymnasium `last_u`). */
  lastU: number | undefined = undefined;

  constructor(options: PendulumOptions = {}) {
    super();
    rejectUnknownOptions('PendulumEnv', options, ['renderMode', 'g']);
    this.metadata = { renderModes: ['rgb_array', 'svg'], renderFps: 30 };
    this.renderMode = checkRenderMode('PendulumEnv', options.renderMode);
    this.g = options.g ?? 10.0;
    if (typeof this.g !== 'number' || !Number.isFinite(this.g)) throw new RangeError(`PendulumEnv g must be a finite number, got ${describeValue(this.g)}`);
  }

  /** The float64 state `[theta, thetaDot]` (a copy), or `undefined` before reset. */
  get state(): Float64Array | undefined {
    return this.hasState ? Float64Array.of(this.theta, this.thetaDot) : undefined;
  }

  reset(args: ResetArgs<ClassicControlResetOptions> = {}): ResetResult<Float32Array> {
    this.resetNpRandom(args.seed);
    const state = readStateOption('PendulumEnv.reset', args.options?.state, ['theta', 'thetaDot']);
    if (state !== undefined) {
      [this.theta, this.thetaDot] = state;
    } else {
      const x = args.options?.xInit ?? DEFAULT_X;
      const y = args.options?.yInit ?? DEFAULT_Y;
      for (const [name, value] of [['xInit', x], ['yInit', y]] as const) {
        if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`An option (${name}=${describeValue(value)}) could not be converted to a float.`);
      }
      this.theta = this.npRandom.uniform(-x, x);
      this.thetaDot = this.npRandom.uniform(-y, y);
    }
    this.lastU = undefined;
    this.hasState = true;
    return { observation: this.observation(), info: {} };
  }

  step(action: Float32Array | readonly number[]): StepResult<Float32Array> {
    checkBoxAction('PendulumEnv.step', action, this.actionSpace);
    if (!this.hasState) throw new ResetNeededError('PendulumEnv.step: cannot call step() before reset()');
    const th = this.theta;
    const thDot = this.thetaDot;
    const u = fround(action[0]); // np.clip(u, -2, 2)[0]: already within bounds
    this.lastU = u;
    const normalized = angleNormalize(th);
    const costs = normalized * normalized + 0.1 * (thDot * thDot) + fround(fround(0.001) * fround(u * u));
    let newThDot = thDot + (((3 * this.g) / (2 * LENGTH)) * Math.sin(th) + fround((3.0 / (MASS * LENGTH * LENGTH)) * u)) * DT;
    newThDot = Math.min(Math.max(newThDot, -MAX_SPEED), MAX_SPEED);
    const newTh = th + newThDot * DT;
    this.theta = newTh;
    this.thetaDot = newThDot;
    return { observation: this.observation(), reward: -costs, terminated: false, truncated: false, info: {} };
  }

  private observation(): Float32Array {
    return Float32Array.of(Math.cos(this.theta), Math.sin(this.theta), this.thetaDot);
  }

  /** Gymnasium's 500 × 500 drawing: rod, end caps, axle (without the torque arrow image). */
  override render(): RenderOutput {
    if (!this.hasState) return undefined;
    const size = 500;
    const scale = size / (2.2 * 2);
    const offset = Math.floor(size / 2);
    const rodLength = 1 * scale;
    const rodWidth = 0.2 * scale;
    const angle = this.theta + Math.PI / 2;
    const rod = rotateAndTranslate([0, -rodWidth / 2, 0, rodWidth / 2, rodLength, rodWidth / 2, rodLength, -rodWidth / 2], angle, offset, offset);
    const [endX, endY] = rotateAndTranslate([rodLength, 0], angle, offset, offset);
    const red = [204, 77, 77] as const;
    const scene: Scene = {
      width: size,
      height: size,
      shapes: [
        { kind: 'polygon', points: rod, color: red },
        { kind: 'circle', cx: offset, cy: offset, radius: Math.trunc(rodWidth / 2), color: red },
        { kind: 'circle', cx: Math.trunc(endX), cy: Math.trunc(endY), radius: Math.trunc(rodWidth / 2), color: red },
        { kind: 'circle', cx: offset, cy: offset, radius: Math.trunc(0.05 * scale), color: [0, 0, 0] },
      ],
    };
    return renderScene(this.renderMode, scene);
  }
}
