/**
 * CliffWalking-v1: Sutton & Barto's example 6.6 gridworld (4 × 12, start
 * bottom-left, goal bottom-right, cliff between them), with Gymnasium's
 * slippery variant. Transcribed from Gymnasium 1.4.0
 * gymnasium/envs/toy_text/cliffwalking.py.
 */
import type { RenderOutput } from '../../core.js';
import { rejectUnknownOptions } from '../../errors.js';
import { describeValue } from '../../spaces.js';
import { TabularEnv, type Transition } from './tabular.js';

/**
 * Action ids (Gymnasium cliffwalking.py: UP = 0, RIGHT = 1, DOWN = 2, LEFT = 3).
 *
 * @example
 * ```ts
 * const env = new CliffWalkingEnv();
 * env.reset({ seed: 0 });
 * env.step(CliffWalkingAction.RIGHT);
 * ```
 */
export const CliffWalkingAction = { UP: 0, RIGHT: 1, DOWN: 2, LEFT: 3 } as const;

const ROWS = 4;
const COLUMNS = 12;
/** Row/column change per action (Gymnasium `POSITION_MAPPING`). */
const POSITION_MAPPING: readonly (readonly [number, number])[] = [
  [-1, 0],
  [0, 1],
  [1, 0],
  [0, -1],
];

/**
 * Constructor arguments of {@link CliffWalkingEnv}.
 *
 * @example
 * ```ts
 * const options: CliffWalkingOptions = { isSlippery: true };
 * ```
 */
export interface CliffWalkingOptions {
  /** `'ansi'` for text frames, or nothing. */
  renderMode?: 'ansi';
  /** Each move goes as intended or to either side with probability 1/3 each (default false). */
  isSlippery?: boolean;
}

/**
 * CliffWalking-v1 (and `CliffWalkingSlippery-v1` with `isSlippery: true`).
 * Every step costs −1; stepping into the cliff costs −100 and sends the
 * player back to the start (state 36) without ending the episode; reaching
 * state 47 terminates. Registered without a step limit, like Gymnasium.
 *
 * @example
 * ```ts
 * const env = new CliffWalkingEnv();
 * env.reset({ seed: 0 });                       // observation 36
 * env.step(CliffWalkingAction.RIGHT).reward;    // -100 (into the cliff)
 * ```
 */
export class CliffWalkingEnv extends TabularEnv {
  /** Grid shape `[rows, columns]`. */
  readonly shape: readonly [number, number] = [ROWS, COLUMNS];
  /** Start state (row 3, column 0). */
  readonly startStateIndex: number = 3 * COLUMNS;
  /** Whether moves slip. */
  readonly isSlippery: boolean;

  constructor(options: CliffWalkingOptions = {}) {
    rejectUnknownOptions('CliffWalkingEnv', options, ['renderMode', 'isSlippery']);
    const isSlippery = options.isSlippery ?? false;
    const startStateIndex = 3 * COLUMNS;
    const isCliff = (row: number, col: number): boolean => row === 3 && col >= 1 && col <= COLUMNS - 2;
    const outcomes = (row: number, col: number, move: number): Transition[] => {
      const moves = isSlippery ? [(move + 3) % 4, move, (move + 1) % 4] : [move];
      return moves.map((action): Transition => {
        const [dr, dc] = POSITION_MAPPING[action];
        const newRow = Math.max(0, Math.min(row + dr, ROWS - 1));
        const newCol = Math.max(0, Math.min(col + dc, COLUMNS - 1));
        if (isCliff(newRow, newCol)) return [1 / moves.length, startStateIndex, -100, false];
        const terminated = newRow === ROWS - 1 && newCol === COLUMNS - 1;
        return [1 / moves.length, newRow * COLUMNS + newCol, -1, terminated];
      });
    };
    const P: Transition[][][] = [];
    for (let s = 0; s < ROWS * COLUMNS; s++) {
      const row = Math.floor(s / COLUMNS);
      const col = s % COLUMNS;
      P[s] = [0, 1, 2, 3].map((action) => outcomes(row, col, action));
    }
    const initial = new Float64Array(ROWS * COLUMNS);
    initial[startStateIndex] = 1;
    super(P, initial);
    this.isSlippery = isSlippery;
    this.metadata = { renderModes: ['ansi'], renderFps: 4 };
    if (options.renderMode !== undefined && options.renderMode !== 'ansi') throw new RangeError(`CliffWalking renderMode must be 'ansi' or undefined, got ${describeValue(options.renderMode)}`);
    this.renderMode = options.renderMode;
  }

  /** Gymnasium's `_render_text`: x = player, T = goal, C = cliff, o = free. */
  override render(): RenderOutput {
    if (this.renderMode !== 'ansi') return undefined;
    let out = '';
    for (let s = 0; s < ROWS * COLUMNS; s++) {
      const row = Math.floor(s / COLUMNS);
      const col = s % COLUMNS;
      let cell: string;
      if (this.s === s) cell = ' x ';
      else if (row === 3 && col === 11) cell = ' T ';
      else if (row === 3 && col >= 1 && col <= 10) cell = ' C ';
      else cell = ' o ';
      if (col === 0) cell = cell.trimStart();
      if (col === COLUMNS - 1) cell = `${cell.trimEnd()}\n`;
      out += cell;
    }
    return `${out}\n`;
  }
}
