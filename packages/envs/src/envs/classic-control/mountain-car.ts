/**
 * MountainCar-v0 and MountainCarContinuous-v0: drive an under-powered car up
 * a hill by first backing up the opposite slope (Moore 1990). Transcribed
 * from Gymnasium 1.4.0 gymnasium/envs/classic_control/mountain_car.py and
 * continuous_mountain_car.py.
 *
 * Precision, as Gymnasium computes under NumPy 2 (NEP 50 promotion):
 * - MountainCar-v0 keeps a float64 state throughout;
 * - MountainCarContinuous-v0 starts from a float64 state but stores
 *   `np.float32` state after every step, and the action term is float32
 *   arithmetic, so from the second step on the dynamics are float32. We
 *   reproduce that with `Math.fround` (see `MountainCarContinuousEnv.step`).
 */
import { Env, type ResetArgs, type ResetResult, type StepResult, type RenderOutput } from '../../core.js';
import { ResetNeededError, rejectUnknownOptions } from '../../errors.js';
import { Box, Discrete } from '../../spaces.js';
import {
  checkBoxAction,
  checkDiscreteAction,
  checkRenderMode,
  parseResetBounds,
  readStateOption,
  renderScene,
  type ClassicControlRenderMode,
  type ClassicControlResetOptions,
} from './common.js';
import { rotateAndTranslate, type Scene, type Shape } from './scene.js';

// Shared constants (mountain_car.py / continuous_mountain_car.py, Gymnasium 1.4.0).
const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
const GRAVITY = 0.0025;
// MountainCar-v0 only.
const GOAL_POSITION = 0.5;
const FORCE = 0.001;
// MountainCarContinuous-v0 only.
const CONTINUOUS_GOAL_POSITION = 0.45; // "was 0.5 in gymnasium, 0.45 in Arnaud de Broissia's version"
const POWER = 0.0015;
const MIN_ACTION = -1.0;
const MAX_ACTION = 1.0;

const fround = Math.fround;

/** The hill's height at `position` (Gymnasium `_height`). */
function height(position: number): number {
  return Math.sin(3 * position) * 0.45 + 0.55;
}

/** Gymnasium's 600 × 400 drawing: track, car with wheels, goal flag. */
function mountainCarScene(position: number, goalPosition: number): Scene {
  const width = 600;
  const scale = width / (MAX_POSITION - MIN_POSITION);
  const carWidth = 40;
  const carHeight = 20;
  const clearance = 10;
  const track: number[] = [];
  for (let i = 0; i < 100; i++) {
    const xs = MIN_POSITION + ((MAX_POSITION - MIN_POSITION) * i) / 99;
    track.push((xs - MIN_POSITION) * scale, height(xs) * scale);
  }
  const angle = Math.cos(3 * position);
  const dx = (position - MIN_POSITION) * scale;
  const dy = clearance + height(position) * scale;
  const car = rotateAndTranslate([-carWidth / 2, 0, -carWidth / 2, carHeight, carWidth / 2, carHeight, carWidth / 2, 0], angle, dx, dy);
  const shapes: Shape[] = [
    { kind: 'line', points: track, color: [0, 0, 0], width: 1 },
    { kind: 'polygon', points: car, color: [0, 0, 0] },
  ];
  for (const wheelX of [carWidth / 4, -carWidth / 4]) {
    const [cx, cy] = rotateAndTranslate([wheelX, 0], angle, dx, dy);
    shapes.push({ kind: 'circle', cx: Math.trunc(cx), cy: Math.trunc(cy), radius: Math.trunc(carHeight / 2.5), color: [128, 128, 128] });
  }
  const flagX = Math.trunc((goalPosition - MIN_POSITION) * scale);
  const flagY1 = Math.trunc(height(goalPosition) * scale);
  const flagY2 = flagY1 + 50;
  shapes.push({ kind: 'line', points: [flagX, flagY1, flagX, flagY2], color: [0, 0, 0], width: 1 });
  shapes.push({ kind: 'polygon', points: [flagX, flagY2, flagX, flagY2 - 10, flagX + 25, flagY2 - 5], color: [204, 204, 0] });
  return { width, height: 400, shapes };
}

/**
 * Constructor arguments of {@link MountainCarEnv} and {@link MountainCarContinuousEnv}.
 *
 * @example
 * ```ts
 * const options: MountainCarOptions = { goalVelocity: 0.01 };
 * ```
 */
export interface MountainCarOptions {
  /** `'rgb_array'` or `'svg'` frames, or nothing. */
  renderMode?: ClassicControlRenderMode;
  /** Minimum velocity at the goal for success (Gymnasium `goal_velocity`, default 0). */
  goalVelocity?: number;
}

/**
 * MountainCar-v0: observation `[position, velocity]`, actions 0 = push
 * left, 1 = none, 2 = push right, reward −1 per step, termination at
 * position ≥ 0.5 (and velocity ≥ goalVelocity). Registered with 200 steps
 * and threshold −110. Start position uniform in [−0.6, −0.4], velocity 0;
 * `options.state = [position, velocity]` sets both.
 *
 * @example
 * ```ts
 * const env = new MountainCarEnv();
 * const { observation } = env.reset({ seed: 0 });
 * env.step(observation[1] >= 0 ? 2 : 0); // push with the velocity
 * ```
 */
export class MountainCarEnv extends Env<Float32Array, number, ClassicControlResetOptions> {
  readonly actionSpace = new Discrete(3);
  readonly observationSpace = new Box({ low: [MIN_POSITION, -MAX_SPEED], high: [MAX_POSITION, MAX_SPEED], dtype: 'float32' });
  /** Minimum velocity at the goal. */
  readonly goalVelocity: number;
  private position = 0;
  private velocity = 0;
  private hasState = false;

  constructor(options: MountainCarOptions = {}) {
    super();
    rejectUnknownOptions('MountainCarEnv', options, ['renderMode', 'goalVelocity']);
    this.metadata = { renderModes: ['rgb_array', 'svg'], renderFps: 30 };
    this.renderMode = checkRenderMode('MountainCarEnv', options.renderMode);
    this.goalVelocity = options.goalVelocity ?? 0;
  }

  /** The float64 state `[position, velocity]` (a copy), or `undefined` before reset. */
  get state(): Float64Array | undefined {
    return this.hasState ? Float64Array.of(this.position, this.velocity) : undefined;
  }

  reset(args: ResetArgs<ClassicControlResetOptions> = {}): ResetResult<Float32Array> {
    this.resetNpRandom(args.seed);
    const state = readStateOption('MountainCarEnv.reset', args.options?.state, ['position', 'velocity']);
    if (state !== undefined) {
      [this.position, this.velocity] = state;
    } else {
      const [low, high] = parseResetBounds(args.options, -0.6, -0.4);
      this.position = this.npRandom.uniform(low, high);
      this.velocity = 0;
    }
    this.hasState = true;
    return { observation: Float32Array.of(this.position, this.velocity), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    checkDiscreteAction('MountainCarEnv.step', action, this.actionSpace);
    if (!this.hasState) throw new ResetNeededError('MountainCarEnv.step: cannot call step() before reset()');
    let { position, velocity } = this;
    velocity += (action - 1) * FORCE + Math.cos(3 * position) * -GRAVITY;
    velocity = Math.min(Math.max(velocity, -MAX_SPEED), MAX_SPEED);
    position += velocity;
    position = Math.min(Math.max(position, MIN_POSITION), MAX_POSITION);
    if (position === MIN_POSITION && velocity < 0) velocity = 0;
    const terminated = position >= GOAL_POSITION && velocity >= this.goalVelocity;
    this.position = position;
    this.velocity = velocity;
    return { observation: Float32Array.of(position, velocity), reward: -1.0, terminated, truncated: false, info: {} };
  }

  override render(): RenderOutput {
    return renderScene(this.renderMode, this.hasState ? mountainCarScene(this.position, GOAL_POSITION) : undefined);
  }
}

/**
 * MountainCarContinuous-v0: observation `[position, velocity]`, action a
 * `Float32Array(1)` force in [−1, 1], reward 100 at the goal (position ≥
 * 0.45) minus 0.1·a² per step. Registered with 999 steps and threshold 90.
 * Out-of-range actions are rejected (Gymnasium clips them silently); wrap in
 * `ClipAction` to clip.
 *
 * @example
 * ```ts
 * const env = new MountainCarContinuousEnv();
 * env.reset({ seed: 0 });
 * const { reward } = env.step(Float32Array.of(0.5)); // -0.025
 * ```
 */
export class MountainCarContinuousEnv extends Env<Float32Array, Float32Array, ClassicControlResetOptions> {
  readonly actionSpace = new Box({ low: MIN_ACTION, high: MAX_ACTION, shape: [1], dtype: 'float32' });
  readonly observationSpace = new Box({ low: [MIN_POSITION, -MAX_SPEED], high: [MAX_POSITION, MAX_SPEED], dtype: 'float32' });
  /** Minimum velocity at the goal. */
  readonly goalVelocity: number;
  private position = 0;
  private velocity = 0;
  /** False right after reset (Gymnasium's state is float64 then), true once a step stored an `np.float32` state. */
  private stateIsFloat32 = false;
  private hasState = false;

  constructor(options: MountainCarOptions = {}) {
    super();
    rejectUnknownOptions('MountainCarContinuousEnv', options, ['renderMode', 'goalVelocity']);
    this.metadata = { renderModes: ['rgb_array', 'svg'], renderFps: 30 };
    this.renderMode = checkRenderMode('MountainCarContinuousEnv', options.renderMode);
    this.goalVelocity = options.goalVelocity ?? 0;
  }

  /** The state `[position, velocity]` (a copy; float32 values after the first step), or `undefined` before reset. */
  get state(): Float64Array | undefined {
    return this.hasState ? Float64Array.of(this.position, this.velocity) : undefined;
  }

  reset(args: ResetArgs<ClassicControlResetOptions> = {}): ResetResult<Float32Array> {
    this.resetNpRandom(args.seed);
    const state = readStateOption('MountainCarContinuousEnv.reset', args.options?.state, ['position', 'velocity']);
    if (state !== undefined) {
      [this.position, this.velocity] = state;
    } else {
      const [low, high] = parseResetBounds(args.options, -0.6, -0.4);
      this.position = this.npRandom.uniform(low, high);
      this.velocity = 0;
    }
    this.stateIsFloat32 = false;
    this.hasState = true;
    return { observation: Float32Array.of(this.position, this.velocity), info: {} };
  }

  /**
   * One step of continuous_mountain_car.py. With a float32 action `a`,
   * NumPy 2 evaluates `force * power - 0.0025 * cos(3 * position)` in
   * float32; once the state is float32 (every step but the first after a
   * reset) the velocity and position updates and comparisons are float32 too.
   */
  step(action: Float32Array | readonly number[]): StepResult<Float32Array> {
    checkBoxAction('MountainCarContinuousEnv.step', action, this.actionSpace);
    if (!this.hasState) throw new ResetNeededError('MountainCarContinuousEnv.step: cannot call step() before reset()');
    const f32 = this.stateIsFloat32;
    const round = f32 ? fround : (value: number): number => value;
    let { position, velocity } = this;
    const force = fround(action[0]); // within [-1, 1], so min/max keep the np.float32 action
    const increment = fround(fround(force * fround(POWER)) - fround(GRAVITY * Math.cos(round(3 * position))));
    velocity = round(velocity + increment);
    const maxSpeed = round(MAX_SPEED);
    if (velocity > maxSpeed) velocity = maxSpeed;
    if (velocity < -maxSpeed) velocity = -maxSpeed;
    position = round(position + velocity);
    if (position > round(MAX_POSITION)) position = round(MAX_POSITION);
    if (position < round(MIN_POSITION)) position = round(MIN_POSITION);
    if (position === round(MIN_POSITION) && velocity < 0) velocity = 0;
    const terminated = position >= round(CONTINUOUS_GOAL_POSITION) && velocity >= this.goalVelocity;
    let reward = terminated ? 100.0 : 0;
    reward -= force * force * 0.1;
    this.position = fround(position);
    this.velocity = fround(velocity);
    this.stateIsFloat32 = true;
    return { observation: Float32Array.of(this.position, this.velocity), reward, terminated, truncated: false, info: {} };
  }

  override render(): RenderOutput {
    return renderScene(this.renderMode, this.hasState ? mountainCarScene(this.position, CONTINUOUS_GOAL_POSITION) : undefined);
  }
}
