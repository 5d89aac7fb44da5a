/**
 * CartPole-v1 (and -v0): balance a pole on a cart by pushing it left or
 * right (Barto, Sutton & Anderson 1983). Transcribed from Gymnasium 1.4.0
 * gymnasium/envs/classic_control/cartpole.py: the state is float64 and
 * every update is float64 (as Gymnasium's `np.float64` state); only the
 * observation is rounded to float32.
 *
 * This is the hot path of the package's throughput benchmark, so the state
 * lives in four number fields and a step allocates only its result object,
 * a 4-float observation and an empty info.
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
import { rotateAndTranslate, type Scene } from './scene.js';

// Constants of cartpole.py (Gymnasium 1.4.0, CartPoleEnv.__init__).
const GRAVITY = 9.8;
const MASSCART = 1.0;
const MASSPOLE = 0.1;
const TOTAL_MASS = MASSPOLE + MASSCART;
/** Half the pole's length. */
const LENGTH = 0.5;
const POLEMASS_LENGTH = MASSPOLE * LENGTH;
const FORCE_MAG = 10.0;
/** Seconds between state updates. */
const TAU = 0.02;
/** 12 degrees, computed as Gymnasium does: 12 * 2 * math.pi / 360. */
const THETA_THRESHOLD_RADIANS = (12 * 2 * Math.PI) / 360;
const X_THRESHOLD = 2.4;

/**
 * Constructor arguments of {@link CartPoleEnv}.
 *
 * @example
 * ```ts
 * const options: CartPoleOptions = { renderMode: 'svg', suttonBartoReward: false };
 * ```
 */
export interface CartPoleOptions {
  /** `'rgb_array'` or `'svg'` frames, or nothing. */
  renderMode?: ClassicControlRenderMode;
  /** Reward 0 per step and −1 at failure, as in Sutton & Barto (Gymnasium `sutton_barto_reward`, default false). */
  suttonBartoReward?: boolean;
  /** `'euler'` (default, Gymnasium's) or `'semi-implicit-euler'` integration. */
  kinematicsIntegrator?: 'euler' | 'semi-implicit-euler';
}

/**
 * CartPole: observation `[x, xDot, theta, thetaDot]` (Float32Array), action
 * 0 = push left, 1 = push right, reward +1 per step, termination when
 * |theta| > 12° or |x| > 2.4. Registered as `CartPole-v1` (500 steps,
 * threshold 475) and `CartPole-v0` (200 steps, threshold 195). Start state
 * uniform in [−0.05, 0.05]⁴; `reset({ options: { state: [x, xDot, theta, thetaDot] } })`
 * sets it exactly.
 *
 * @example
 * ```ts
 * const env = new CartPoleEnv();
 * let { observation } = env.reset({ seed: 42 });
 * let done = false;
 * while (!done) {
 *   const result = env.step(observation[2] > 0 ? 1 : 0);
 *   observation = result.observation;
 *   done = result.terminated || result.truncated;
 * }
 * ```
 */
export class CartPoleEnv extends Env<Float32Array, number, ClassicControlResetOptions> {
  readonly actionSpace = new Discrete(2);
  readonly observationSpace = new Box({
    low: [-X_THRESHOLD * 2, -Infinity, -THETA_THRESHOLD_RADIANS * 2, -Infinity],
    high: [X_THRESHOLD * 2, Infinity, THETA_THRESHOLD_RADIANS * 2, Infinity],
    dtype: 'float32',
  });
  /** Whether the Sutton & Barto reward is used. */
  readonly suttonBartoReward: boolean;
  /** Integration scheme. */
  readonly kinematicsIntegrator: 'euler' | 'semi-implicit-euler';
  private x = 0;
  private xDot = 0;
  private theta = 0;
  private thetaDot = 0;
  private hasState = false;
  /** Steps taken after termination (Gymnasium `steps_beyond_terminated`); −1 = not terminated. */
  private stepsBeyondTerminated = -1;

  constructor(options: CartPoleOptions = {}) {
    super();
    rejectUnknownOptions('CartPoleEnv', options, ['renderMode', 'suttonBartoReward', 'kinematicsIntegrator']);
    this.metadata = { renderModes: ['rgb_array', 'svg'], renderFps: 50 };
    this.renderMode = checkRenderMode('CartPoleEnv', options.renderMode);
    this.suttonBartoReward = options.suttonBartoReward ?? false;
    this.kinematicsIntegrator = options.kinematicsIntegrator ?? 'euler';
  }

  /** The float64 state `[x, xDot, theta, thetaDot]` (a copy), or `undefined` before reset. */
  get state(): Float64Array | undefined {
    return this.hasState ? Float64Array.of(this.x, this.xDot, this.theta, this.thetaDot) : undefined;
  }

  reset(args: ResetArgs<ClassicControlResetOptions> = {}): ResetResult<Float32Array> {
    this.resetNpRandom(args.seed);
    const state = readStateOption('CartPoleEnv.reset', args.options?.state, ['x', 'xDot', 'theta', 'thetaDot']);
    if (state !== undefined) {
      [this.x, this.xDot, this.theta, this.thetaDot] = state;
    } else {
      const [low, high] = parseResetBounds(args.options, -0.05, 0.05);
      const rng = this.npRandom;
      this.x = rng.uniform(low, high);
      this.xDot = rng.uniform(low, high);
      this.theta = rng.uniform(low, high);
      this.thetaDot = rng.uniform(low, high);
    }
    this.hasState = true;
    this.stepsBeyondTerminated = -1;
    return { observation: this.observation(), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    if (action !== 0 && action !== 1) checkDiscreteAction('CartPoleEnv.step', action, this.actionSpace);
    if (!this.hasState) throw new ResetNeededError('CartPoleEnv.step: cannot call step() before reset()');
    const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
    const cosTheta = Math.cos(this.theta);
    const sinTheta = Math.sin(this.theta);
    // https://coneural.org/florian/papers/05_cart_pole.pdf, as in cartpole.py
    const temp = (force + POLEMASS_LENGTH * (this.thetaDot * this.thetaDot) * sinTheta) / TOTAL_MASS;
    const thetaAcc = (GRAVITY * sinTheta - cosTheta * temp) / (LENGTH * (4.0 / 3.0 - (MASSPOLE * (cosTheta * cosTheta)) / TOTAL_MASS));
    const xAcc = temp - (POLEMASS_LENGTH * thetaAcc * cosTheta) / TOTAL_MASS;
    if (this.kinematicsIntegrator === 'euler') {
      this.x = this.x + TAU * this.xDot;
      this.xDot = this.xDot + TAU * xAcc;
      this.theta = this.theta + TAU * this.thetaDot;
      this.thetaDot = this.thetaDot + TAU * thetaAcc;
    } else {
      this.xDot = this.xDot + TAU * xAcc;
      this.x = this.x + TAU * this.xDot;
      this.thetaDot = this.thetaDot + TAU * thetaAcc;
      this.theta = this.theta + TAU * this.thetaDot;
    }
    const terminated =
      this.x < -X_THRESHOLD || this.x > X_THRESHOLD || this.theta < -THETA_THRESHOLD_RADIANS || this.theta > THETA_THRESHOLD_RADIANS;
    let reward: number;
    if (!terminated) {
      reward = this.suttonBartoReward ? 0.0 : 1.0;
    } else if (this.stepsBeyondTerminated < 0) {
      // Pole just fell.
      this.stepsBeyondTerminated = 0;
      reward = this.suttonBartoReward ? -1.0 : 1.0;
    } else {
      // Stepping past termination is undefined behaviour in Gymnasium (it warns); make() forbids it.
      this.stepsBeyondTerminated++;
      reward = this.suttonBartoReward ? -1.0 : 0.0;
    }
    return { observation: this.observation(), reward, terminated, truncated: false, info: {} };
  }

  private observation(): Float32Array {
    const observation = new Float32Array(4);
    observation[0] = this.x;
    observation[1] = this.xDot;
    observation[2] = this.theta;
    observation[3] = this.thetaDot;
    return observation;
  }

  /** Draws the cart, pole and track like Gymnasium's 600 × 400 pygame frame. */
  override render(): RenderOutput {
    return renderScene(this.renderMode, this.hasState ? this.scene() : undefined);
  }

  private scene(): Scene {
    const width = 600;
    const scale = width / (X_THRESHOLD * 2);
    const poleWidth = 10;
    const poleLength = scale * (2 * LENGTH);
    const cartWidth = 50;
    const cartHeight = 30;
    const axleOffset = cartHeight / 4;
    const cartX = this.x * scale + width / 2;
    const cartY = 100;
    const [l, r, t, b] = [-cartWidth / 2, cartWidth / 2, cartHeight / 2, -cartHeight / 2];
    const cart = [l, b, l, t, r, t, r, b].map((value, i) => value + (i % 2 === 0 ? cartX : cartY));
    const pole = rotateAndTranslate(
      [-poleWidth / 2, -poleWidth / 2, -poleWidth / 2, poleLength - poleWidth / 2, poleWidth / 2, poleLength - poleWidth / 2, poleWidth / 2, -poleWidth / 2],
      -this.theta,
      cartX,
      cartY + axleOffset,
    );
    return {
      width,
      height: 400,
      shapes: [
        { kind: 'polygon', points: cart, color: [0, 0, 0] },
        { kind: 'polygon', points: pole, color: [202, 152, 101] },
        { kind: 'circle', cx: Math.trunc(cartX), cy: Math.trunc(cartY + axleOffset), radius: Math.trunc(poleWidth / 2), color: [129, 132, 203] },
        { kind: 'line', points: [0, cartY, width, cartY], color: [0, 0, 0], width: 1 },
      ],
    };
  }
}
