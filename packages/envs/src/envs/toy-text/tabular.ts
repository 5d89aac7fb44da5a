/**
 * Shared machinery of the toy-text environments (FrozenLake, CliffWalking,
 * Taxi): the transition table `P` every one of them exposes, Gymnasium's
 * `categorical_sample` (gymnasium/envs/toy_text/utils.py) and its terminal
 * `colorize` (gymnasium/utils/colorize.py).
 */
import { Env, type Info, type ResetArgs, type ResetResult, type StepResult } from '../../core.js';
import { InvalidActionError, ResetNeededError } from '../../errors.js';
import type { Rng } from '../../rng.js';
import { Discrete } from '../../spaces.js';

/**
 * One outcome of taking an action: `[probability, nextState, reward, terminated]`,
 * Gymnasium's `(prob, next_state, reward, terminated)` tuple.
 *
 * @example
 * ```ts
 * const env = new FrozenLakeEnv();
 * const [probability, nextState, reward, terminated]: Transition = env.P[0][2][0];
 * ```
 */
export type Transition = readonly [probability: number, nextState: number, reward: number, terminated: boolean];

/**
 * `P[state][action]` lists the possible outcomes of `action` in `state`
 * (Gymnasium's `env.P`); the probabilities of one list sum to 1.
 *
 * @example
 * ```ts
 * const env = new FrozenLakeEnv({ isSlippery: false });
 * env.P[14][2]; // [[1, 15, 1, true]]: moving right from 14 reaches the goal
 * ```
 */
export type TransitionTable = readonly (readonly (readonly Transition[])[])[];

/**
 * Index of the first cumulative probability exceeding a uniform draw; 0 when
 * rounding leaves none (numpy `argmax` of all-false), as Gymnasium's
 * `categorical_sample`.
 *
 * @example
 * ```ts
 * categoricalSample([0.2, 0.8], new Rng(0)); // 0 or 1
 * ```
 */
export function categoricalSample(probabilities: ArrayLike<number>, rng: Rng): number {
  const u = rng.random();
  let cumulative = 0;
  for (let i = 0; i < probabilities.length; i++) {
    cumulative += probabilities[i];
    if (cumulative > u) return i;
  }
  return 0;
}

const COLOR_CODES = { gray: 30, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, white: 37, crimson: 38 } as const;

/**
 * Wraps text in ANSI colour codes exactly as Gymnasium's `utils.colorize`.
 *
 * @example
 * ```ts
 * colorize('S', 'red', { highlight: true }); // '\x1b[41mS\x1b[0m'
 * ```
 */
export function colorize(text: string, color: keyof typeof COLOR_CODES, options: { bold?: boolean; highlight?: boolean } = {}): string {
  const attributes = [String(COLOR_CODES[color] + (options.highlight ? 10 : 0))];
  if (options.bold) attributes.push('1');
  return `\x1b[${attributes.join(';')}m${text}\x1b[0m`;
}

/**
 * A finite MDP given by its transition table, stepped the way every
 * Gymnasium toy-text env steps: sample an outcome of `P[s][a]`, move there.
 * Observations are state indices; info carries the outcome's `prob`.
 *
 * @example
 * ```ts
 * class TwoStates extends TabularEnv {
 *   constructor() {
 *     super([[[[1, 1, 1, true]], [[1, 0, 0, false]]], [[[1, 1, 0, true]], [[1, 1, 0, true]]]], Float64Array.of(1, 0));
 *   }
 * }
 * ```
 */
export abstract class TabularEnv extends Env<number, number> {
  readonly observationSpace: Discrete;
  readonly actionSpace: Discrete;
  /** Number of states. */
  readonly numStates: number;
  /** Number of actions. */
  readonly numActions: number;
  /** The transition table: `P[state][action]` = possible outcomes. */
  readonly P: TransitionTable;
  /** Distribution of the start state. */
  readonly initialStateDistribution: Float64Array;
  /** Current state (−1 before the first reset). */
  s = -1;
  /** Last action taken, or `undefined` right after reset. */
  lastAction: number | undefined = undefined;

  protected constructor(P: TransitionTable, initialStateDistribution: Float64Array) {
    super();
    this.P = P;
    this.numStates = P.length;
    this.numActions = P[0].length;
    this.initialStateDistribution = initialStateDistribution;
    this.observationSpace = new Discrete(this.numStates);
    this.actionSpace = new Discrete(this.numActions);
  }

  reset(args: ResetArgs = {}): ResetResult<number> {
    this.resetNpRandom(args.seed);
    this.s = categoricalSample(this.initialStateDistribution, this.npRandom);
    this.lastAction = undefined;
    this.afterReset();
    return { observation: this.s, info: this.resetInfo() };
  }

  step(action: number): StepResult<number> {
    if (this.s < 0) throw new ResetNeededError(`${this.constructor.name}.step: cannot call step() before reset()`);
    if (!Number.isInteger(action) || action < 0 || action >= this.numActions) {
      throw new InvalidActionError(`${this.constructor.name}.step`, action, this.actionSpace, `expected an integer in [0, ${this.numActions})`);
    }
    const transitions = this.P[this.s][action];
    let outcome = transitions[0];
    if (transitions.length > 1) {
      const probabilities = transitions.map((transition) => transition[0]);
      outcome = transitions[categoricalSample(probabilities, this.npRandom)];
    }
    const [probability, nextState, reward, terminated] = outcome;
    const previous = this.s;
    this.s = this.afterStep(previous, nextState);
    this.lastAction = action;
    return { observation: this.s, reward, terminated, truncated: false, info: this.stepInfo(probability) };
  }

  /** Hook after a reset draws `s` (Taxi draws its fickle-passenger coin here). */
  protected afterReset(): void {}

  /** Hook that may replace the sampled next state (Taxi's fickle passenger). */
  protected afterStep(_previous: number, next: number): number {
    return next;
  }

  /** Info returned by reset (Gymnasium: `{"prob": 1}`). */
  protected resetInfo(): Info {
    return { prob: 1 };
  }

  /** Info returned by step (Gymnasium: `{"prob": p}`). */
  protected stepInfo(probability: number): Info {
    return { prob: probability };
  }
}
