/**
 * FrozenLake-v1: walk from S to G across a grid of frozen tiles (F) without
 * falling into a hole (H). Transcribed from Gymnasium 1.4.0
 * gymnasium/envs/toy_text/frozen_lake.py (maps, slip model, reward
 * schedule, random-map generator and its validity check).
 */
import type { RenderOutput } from '../../core.js';
import { Rng } from '../../rng.js';
import { rejectUnknownOptions } from '../../errors.js';
import { describeValue } from '../../spaces.js';
import { TabularEnv, colorize, type Transition } from './tabular.js';

/**
 * Action ids (Gymnasium frozen_lake.py: LEFT = 0, DOWN = 1, RIGHT = 2, UP = 3).
 *
 * @example
 * ```ts
 * const env = new FrozenLakeEnv({ isSlippery: false });
 * env.reset({ seed: 0 });
 * env.step(FrozenLakeAction.DOWN);
 * ```
 */
export const FrozenLakeAction = { LEFT: 0, DOWN: 1, RIGHT: 2, UP: 3 } as const;

/**
 * The two built-in maps (Gymnasium `MAPS`).
 *
 * @example
 * ```ts
 * FROZEN_LAKE_MAPS['4x4']; // ['SFFF', 'FHFH', 'FFFH', 'HFFG']
 * ```
 */
export const FROZEN_LAKE_MAPS: Readonly<Record<'4x4' | '8x8', readonly string[]>> = Object.freeze({
  '4x4': Object.freeze(['SFFF', 'FHFH', 'FFFH', 'HFFG']),
  '8x8': Object.freeze(['SFFFFFFF', 'FFFFFFFF', 'FFFHFFFF', 'FFFFFHFF', 'FFFHFFFF', 'FHHFFFHF', 'FHFFHFHF', 'FFFHFFFG']),
});

/**
 * Whether a path of non-hole tiles leads from the top-left corner to a G
 * (Gymnasium's depth-first `is_valid`).
 *
 * @example
 * ```ts
 * isValidFrozenLakeMap(['SH', 'HG']); // false
 * isValidFrozenLakeMap(['SF', 'HG']); // true
 * ```
 */
export function isValidFrozenLakeMap(board: readonly string[]): boolean {
  const size = board.length;
  const frontier: [number, number][] = [[0, 0]];
  const discovered = new Set<number>();
  while (frontier.length > 0) {
    const [row, col] = frontier.pop() as [number, number];
    if (discovered.has(row * size + col)) continue;
    discovered.add(row * size + col);
    for (const [dr, dc] of [[1, 0], [0, 1], [-1, 0], [0, -1]]) {
      const r = row + dr;
      const c = col + dc;
      if (r < 0 || r >= size || c < 0 || c >= size) continue;
      if (board[r][c] === 'G') return true;
      if (board[r][c] !== 'H') frontier.push([r, c]);
    }
  }
  return false;
}

/**
 * A random square map with a path from S to G: each tile frozen with
 * probability `p`, redrawn until valid (Gymnasium's `generate_random_map`).
 *
 * @example
 * ```ts
 * const desc = generateRandomMap(8, 0.8, 42);
 * const env = new FrozenLakeEnv({ desc });
 * ```
 */
export function generateRandomMap(size = 8, p = 0.8, seed?: number): string[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`generateRandomMap size must be a positive integer, got ${describeValue(size)}`);
  const rng = new Rng(seed);
  const frozenProbability = Math.min(1, p);
  for (;;) {
    const board: string[][] = [];
    for (let row = 0; row < size; row++) {
      const line: string[] = [];
      for (let col = 0; col < size; col++) line.push(rng.random() < frozenProbability ? 'F' : 'H');
      board.push(line);
    }
    board[0][0] = 'S';
    board[size - 1][size - 1] = 'G';
    const rows = board.map((line) => line.join(''));
    if (isValidFrozenLakeMap(rows)) return rows;
  }
}

/**
 * Constructor arguments of {@link FrozenLakeEnv} (Gymnasium's kwargs, camelCased).
 *
 * @example
 * ```ts
 * const options: FrozenLakeOptions = { mapName: '8x8', isSlippery: true };
 * ```
 */
export interface FrozenLakeOptions {
  /** `'ansi'` for text frames, or nothing. */
  renderMode?: 'ansi';
  /** A custom map (rows of S/F/H/G); overrides `mapName`. */
  desc?: readonly string[];
  /** `'4x4'` (default) or `'8x8'`; `null` with no `desc` = random 8x8 map. */
  mapName?: '4x4' | '8x8' | null;
  /** Moves slip sideways (default true). */
  isSlippery?: boolean;
  /** Probability of moving as intended when slippery (default 1/3); each side gets half the rest. */
  successRate?: number;
  /** Rewards for reaching `[goal, hole, frozen]` (default `[1, 0, 0]`). */
  rewardSchedule?: readonly [number, number, number];
}

/**
 * FrozenLake-v1. Observations are `row * ncol + col`; actions are
 * {@link FrozenLakeAction}. Registered as `FrozenLake-v1` (4x4, 100 steps,
 * threshold 0.70) and `FrozenLake8x8-v1` (200 steps, threshold 0.85).
 *
 * @example
 * ```ts
 * const env = new FrozenLakeEnv({ mapName: '4x4', isSlippery: true });
 * const { observation } = env.reset({ seed: 0 }); // 0
 * const { observation: next, reward, terminated } = env.step(FrozenLakeAction.RIGHT);
 * ```
 */
export class FrozenLakeEnv extends TabularEnv {
  /** The map, one string per row. */
  readonly desc: readonly string[];
  /** Rows. */
  readonly nrow: number;
  /** Columns. */
  readonly ncol: number;
  /** `[min, max]` of the reward schedule. */
  readonly rewardRange: readonly [number, number];

  constructor(options: FrozenLakeOptions = {}) {
    rejectUnknownOptions('FrozenLakeEnv', options, ['renderMode', 'desc', 'mapName', 'isSlippery', 'successRate', 'rewardSchedule']);
    const mapName = options.mapName === undefined ? '4x4' : options.mapName;
    let desc: readonly string[];
    if (options.desc !== undefined && options.desc !== null) desc = options.desc;
    else if (mapName === null) desc = generateRandomMap();
    else {
      if (!(mapName in FROZEN_LAKE_MAPS)) throw new RangeError(`FrozenLake mapName must be '4x4' or '8x8', got ${describeValue(mapName)}`);
      desc = FROZEN_LAKE_MAPS[mapName];
    }
    const nrow = desc.length;
    const ncol = nrow > 0 ? desc[0].length : 0;
    if (nrow === 0 || ncol === 0 || desc.some((line) => typeof line !== 'string' || line.length !== ncol || /[^SFHG]/.test(line))) {
      throw new RangeError(`FrozenLake desc must be equal-length rows of S, F, H, G, got ${describeValue(desc)}`);
    }
    const isSlippery = options.isSlippery ?? true;
    const successRate = options.successRate ?? 1 / 3;
    if (!(successRate >= 0 && successRate <= 1)) throw new RangeError(`FrozenLake successRate must lie in [0, 1], got ${describeValue(successRate)}`);
    const rewardSchedule = options.rewardSchedule ?? [1, 0, 0];
    const failRate = (1 - successRate) / 2;

    const toState = (row: number, col: number): number => row * ncol + col;
    const move = (row: number, col: number, action: number): [number, number] => {
      if (action === FrozenLakeAction.LEFT) col = Math.max(col - 1, 0);
      else if (action === FrozenLakeAction.DOWN) row = Math.min(row + 1, nrow - 1);
      else if (action === FrozenLakeAction.RIGHT) col = Math.min(col + 1, ncol - 1);
      else if (action === FrozenLakeAction.UP) row = Math.max(row - 1, 0);
      return [row, col];
    };
    const outcome = (probability: number, row: number, col: number, action: number): Transition => {
      const [newRow, newCol] = move(row, col, action);
      const letter = desc[newRow][newCol];
      const terminated = letter === 'G' || letter === 'H';
      const reward = rewardSchedule[letter === 'G' ? 0 : letter === 'H' ? 1 : 2];
      return [probability, toState(newRow, newCol), reward, terminated];
    };

    const P: Transition[][][] = [];
    for (let row = 0; row < nrow; row++) {
      for (let col = 0; col < ncol; col++) {
        const s = toState(row, col);
        const letter = desc[row][col];
        P[s] = [];
        for (let a = 0; a < 4; a++) {
          if (letter === 'G' || letter === 'H') P[s][a] = [[1, s, 0, true]];
          else if (isSlippery) P[s][a] = [(a + 3) % 4, a, (a + 1) % 4].map((b) => outcome(b === a ? successRate : failRate, row, col, b));
          else P[s][a] = [outcome(1, row, col, a)];
        }
      }
    }
    const initial = new Float64Array(nrow * ncol);
    let starts = 0;
    for (let s = 0; s < initial.length; s++) if (desc[Math.floor(s / ncol)][s % ncol] === 'S') starts++;
    if (starts === 0) throw new RangeError(`FrozenLake desc needs at least one start tile 'S', got ${describeValue(desc)}`);
    for (let s = 0; s < initial.length; s++) if (desc[Math.floor(s / ncol)][s % ncol] === 'S') initial[s] = 1 / starts;

    super(P, initial);
    this.desc = Object.freeze([...desc]);
    this.nrow = nrow;
    this.ncol = ncol;
    this.rewardRange = [Math.min(...rewardSchedule), Math.max(...rewardSchedule)];
    this.metadata = { renderModes: ['ansi'], renderFps: 4 };
    if (options.renderMode !== undefined && options.renderMode !== 'ansi') throw new RangeError(`FrozenLake renderMode must be 'ansi' or undefined, got ${describeValue(options.renderMode)}`);
    this.renderMode = options.renderMode;
  }

  /** The ANSI text frame Gymnasium's `_render_text` draws: last action, then the map with the player highlighted. */
  override render(): RenderOutput {
    if (this.renderMode !== 'ansi') return undefined;
    const rows = this.desc.map((line) => line.split(''));
    const row = Math.floor(this.s / this.ncol);
    const col = this.s % this.ncol;
    if (this.s >= 0) rows[row][col] = colorize(rows[row][col], 'red', { highlight: true });
    const header = this.lastAction === undefined ? '\n' : `  (${['Left', 'Down', 'Right', 'Up'][this.lastAction]})\n`;
    return `${header}${rows.map((line) => line.join('')).join('\n')}\n`;
  }
}
