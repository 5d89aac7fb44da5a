/**
 * Taxi-v4: Dietterich's (2000) taxi domain — drive to the passenger, pick
 * them up, drop them off at their destination — with action masks and the
 * rainy / fickle-passenger variants. Transcribed from Gymnasium 1.4.0
 * gymnasium/envs/toy_text/taxi.py (Taxi-v4 since Gymnasium 1.3).
 */
import type { Info, RenderOutput } from '../../core.js';
import { rejectUnknownOptions } from '../../errors.js';
import { describeValue } from '../../spaces.js';
import { TabularEnv, colorize, type Transition } from './tabular.js';

/**
 * Action ids (Gymnasium taxi.py): 0 south, 1 north, 2 east, 3 west, 4 pickup, 5 drop-off.
 *
 * @example
 * ```ts
 * const env = new TaxiEnv();
 * env.reset({ seed: 0 });
 * env.step(TaxiAction.PICKUP);
 * ```
 */
export const TaxiAction = { SOUTH: 0, NORTH: 1, EAST: 2, WEST: 3, PICKUP: 4, DROPOFF: 5 } as const;

/**
 * The map; `:` is a passable divider and `|` a wall (Gymnasium `MAP`).
 *
 * @example
 * ```ts
 * console.log(TAXI_MAP.join('\n'));
 * ```
 */
export const TAXI_MAP: readonly string[] = Object.freeze([
  '+---------+',
  '|R: | : :G|',
  '| : | : : |',
  '| : : : : |',
  '| | : | : |',
  '|Y| : |B: |',
  '+---------+',
]);

/**
 * Pick-up/drop-off squares R, G, Y, B as `[row, col]` (Gymnasium `locs`).
 *
 * @example
 * ```ts
 * const [row, col] = TAXI_LOCATIONS[0]; // R at (0, 0)
 * ```
 */
export const TAXI_LOCATIONS: readonly (readonly [number, number])[] = Object.freeze([
  [0, 0],
  [0, 4],
  [4, 0],
  [4, 3],
]);

const MAX_ROW = 4;
const MAX_COL = 4;

/**
 * Constructor arguments of {@link TaxiEnv}.
 *
 * @example
 * ```ts
 * const options: TaxiOptions = { isRainy: true, ficklePassenger: true };
 * ```
 */
export interface TaxiOptions {
  /** `'ansi'` for text frames, or nothing. */
  renderMode?: 'ansi';
  /** Moves go as intended with `rainyProbability`, else sideways (default false). */
  isRainy?: boolean;
  /** The passenger may change destination after the first move away from the pick-up (default false). */
  ficklePassenger?: boolean;
  /** Probability of the intended move when rainy (default 0.8). */
  rainyProbability?: number;
  /** Probability that a fickle passenger changes their mind (default 0.3). */
  fickleProbability?: number;
}

/**
 * Encodes `(taxiRow, taxiCol, passengerLocation, destination)` as
 * `((taxiRow * 5 + taxiCol) * 5 + passengerLocation) * 4 + destination`.
 *
 * @example
 * ```ts
 * encodeTaxiState(3, 1, 2, 0); // 328
 * ```
 */
export function encodeTaxiState(taxiRow: number, taxiCol: number, passengerLocation: number, destination: number): number {
  return ((taxiRow * 5 + taxiCol) * 5 + passengerLocation) * 4 + destination;
}

/**
 * Inverse of {@link encodeTaxiState}.
 *
 * @example
 * ```ts
 * decodeTaxiState(328); // [3, 1, 2, 0]
 * ```
 */
export function decodeTaxiState(state: number): [taxiRow: number, taxiCol: number, passengerLocation: number, destination: number] {
  const destination = state % 4;
  state = Math.floor(state / 4);
  const passengerLocation = state % 5;
  state = Math.floor(state / 5);
  const taxiCol = state % 5;
  const taxiRow = Math.floor(state / 5);
  return [taxiRow, taxiCol, passengerLocation, destination];
}

function locationIndex(row: number, col: number): number {
  return TAXI_LOCATIONS.findIndex(([r, c]) => r === row && c === col);
}

/**
 * Taxi-v4: 500 states, 6 actions; −1 per step, +20 for a delivery, −10 for
 * an illegal pick-up or drop-off. `info.actionMask` (an `Int8Array` of 6,
 * Gymnasium's `action_mask`) marks the actions that change the state.
 * Registered with a 200-step limit and reward threshold 8.
 *
 * @example
 * ```ts
 * const env = new TaxiEnv();
 * const { info } = env.reset({ seed: 0 });
 * const action = env.actionSpace.sample(info.actionMask as Int8Array);
 * env.step(action);
 * ```
 */
export class TaxiEnv extends TabularEnv {
  /** Whether moves are stochastic. */
  readonly isRainy: boolean;
  /** Whether the passenger may change destination once. */
  readonly ficklePassenger: boolean;
  /** Probability of the intended move when rainy. */
  readonly rainyProbability: number;
  /** Probability a fickle passenger changes their mind. */
  readonly fickleProbability: number;
  /** Whether this episode's passenger will change their mind on the first move after pick-up. */
  fickleStep = false;

  constructor(options: TaxiOptions = {}) {
    rejectUnknownOptions('TaxiEnv', options, ['renderMode', 'isRainy', 'ficklePassenger', 'rainyProbability', 'fickleProbability']);
    const isRainy = options.isRainy ?? false;
    const rainyProbability = options.rainyProbability ?? 0.8;
    const fickleProbability = options.fickleProbability ?? 0.3;
    for (const [name, value] of [['rainyProbability', rainyProbability], ['fickleProbability', fickleProbability]] as const) {
      if (!(value >= 0 && value <= 1)) throw new RangeError(`Taxi ${name} must lie in [0, 1], got ${describeValue(value)}`);
    }
    const lateralProbability = (1 - rainyProbability) / 2;
    const passable = (row: number, column: number): boolean => TAXI_MAP[1 + row][column] === ':';

    const pickup = (row: number, col: number, passenger: number, reward: number): [number, number] => {
      if (passenger < 4 && TAXI_LOCATIONS[passenger][0] === row && TAXI_LOCATIONS[passenger][1] === col) return [4, reward];
      return [passenger, -10];
    };
    const dropoff = (row: number, col: number, passenger: number, destination: number, reward: number): [number, number, boolean] => {
      if (TAXI_LOCATIONS[destination][0] === row && TAXI_LOCATIONS[destination][1] === col && passenger === 4) return [destination, 20, true];
      const here = locationIndex(row, col);
      if (here >= 0 && passenger === 4) return [here, reward, false];
      return [passenger, -10, false];
    };
    // Gymnasium `_calc_new_position`: a sideways slip, blocked by walls.
    const slide = (row: number, col: number, dr: number, dc: number): [number, number] => {
      const newRow = Math.max(0, Math.min(row + dr, MAX_ROW));
      const newCol = Math.max(0, Math.min(col + dc, MAX_COL));
      if (dc === 1 && !passable(newRow, 2 * newCol)) return [row, col];
      if (dc === -1 && !passable(newRow, 2 * newCol + 2)) return [row, col];
      return [newRow, newCol];
    };
    // Intended, left-of-intended and right-of-intended moves (Gymnasium `moves`).
    const rainyMoves: readonly (readonly [number, number])[][] = [
      [[1, 0], [0, 1], [0, -1]],
      [[-1, 0], [0, -1], [0, 1]],
      [[0, 1], [-1, 0], [1, 0]],
      [[0, -1], [1, 0], [-1, 0]],
    ];

    const dry = (row: number, col: number, passenger: number, destination: number, action: number): Transition[] => {
      let newRow = row;
      let newCol = col;
      let newPassenger = passenger;
      let reward = -1;
      let terminated = false;
      if (action === 0) newRow = Math.min(row + 1, MAX_ROW);
      else if (action === 1) newRow = Math.max(row - 1, 0);
      if (action === 2 && passable(row, 2 * col + 2)) newCol = Math.min(col + 1, MAX_COL);
      else if (action === 3 && passable(row, 2 * col)) newCol = Math.max(col - 1, 0);
      else if (action === 4) [newPassenger, reward] = pickup(row, col, newPassenger, reward);
      else if (action === 5) [newPassenger, reward, terminated] = dropoff(row, col, newPassenger, destination, reward);
      return [[1, encodeTaxiState(newRow, newCol, newPassenger, destination), reward, terminated]];
    };

    const rainy = (row: number, col: number, passenger: number, destination: number, action: number): Transition[] => {
      let newRow = row;
      let newCol = col;
      let newPassenger = passenger;
      let left: [number, number] = [row, col];
      let right: [number, number] = [row, col];
      let reward = -1;
      let terminated = false;
      if (
        (action === 0 && row < MAX_ROW) ||
        (action === 1 && row > 0) ||
        (action === 2 && passable(row, 2 * col + 2)) ||
        (action === 3 && passable(row, 2 * col))
      ) {
        const [dr, dc] = rainyMoves[action][0];
        newRow = Math.max(0, Math.min(row + dr, MAX_ROW));
        newCol = Math.max(0, Math.min(col + dc, MAX_COL));
        left = slide(row, col, ...rainyMoves[action][1]);
        right = slide(row, col, ...rainyMoves[action][2]);
      } else if (action === 4) {
        [newPassenger, reward] = pickup(row, col, newPassenger, reward);
      } else if (action === 5) {
        [newPassenger, reward, terminated] = dropoff(row, col, newPassenger, destination, reward);
      }
      const intended = encodeTaxiState(newRow, newCol, newPassenger, destination);
      if (action <= 3) {
        return [
          [rainyProbability, intended, -1, terminated],
          [lateralProbability, encodeTaxiState(left[0], left[1], newPassenger, destination), -1, terminated],
          [lateralProbability, encodeTaxiState(right[0], right[1], newPassenger, destination), -1, terminated],
        ];
      }
      return [[1, intended, reward, terminated]];
    };

    const P: Transition[][][] = [];
    const initial = new Float64Array(500);
    for (let row = 0; row <= MAX_ROW; row++) {
      for (let col = 0; col <= MAX_COL; col++) {
        for (let passenger = 0; passenger < 5; passenger++) {
          for (let destination = 0; destination < 4; destination++) {
            const state = encodeTaxiState(row, col, passenger, destination);
            if (passenger < 4 && passenger !== destination) initial[state] += 1;
            P[state] = [0, 1, 2, 3, 4, 5].map((action) => (isRainy ? rainy : dry)(row, col, passenger, destination, action));
          }
        }
      }
    }
    let total = 0;
    for (const weight of initial) total += weight;
    for (let s = 0; s < initial.length; s++) initial[s] /= total;

    super(P, initial);
    this.isRainy = isRainy;
    this.ficklePassenger = options.ficklePassenger ?? false;
    this.rainyProbability = rainyProbability;
    this.fickleProbability = fickleProbability;
    this.metadata = { renderModes: ['ansi'], renderFps: 4 };
    if (options.renderMode !== undefined && options.renderMode !== 'ansi') throw new RangeError(`Taxi renderMode must be 'ansi' or undefined, got ${describeValue(options.renderMode)}`);
    this.renderMode = options.renderMode;
  }

  /**
   * Which actions change the state in `state` (Gymnasium `action_mask`):
   * moves not blocked by the border or a wall, a pick-up at the passenger's
   * square, a drop-off at any of the four squares with the passenger aboard.
   */
  actionMask(state: number): Int8Array {
    const mask = new Int8Array(6);
    const [row, col, passenger, destination] = decodeTaxiState(state);
    if (row < 4) mask[0] = 1;
    if (row > 0) mask[1] = 1;
    if (col < 4 && TAXI_MAP[row + 1][2 * col + 2] === ':') mask[2] = 1;
    if (col > 0 && TAXI_MAP[row + 1][2 * col] === ':') mask[3] = 1;
    if (passenger < 4 && TAXI_LOCATIONS[passenger][0] === row && TAXI_LOCATIONS[passenger][1] === col) mask[4] = 1;
    const atDestination = TAXI_LOCATIONS[destination][0] === row && TAXI_LOCATIONS[destination][1] === col;
    if (passenger === 4 && (atDestination || locationIndex(row, col) >= 0)) mask[5] = 1;
    return mask;
  }

  protected override afterReset(): void {
    this.fickleStep = this.ficklePassenger && this.npRandom.random() < this.fickleProbability;
  }

  /** The fickle passenger picks a new destination on the first move with them aboard. */
  protected override afterStep(previous: number, next: number): number {
    const [shadowRow, shadowCol, shadowPassenger, shadowDestination] = decodeTaxiState(previous);
    const [row, col, passenger] = decodeTaxiState(next);
    if (this.ficklePassenger && this.fickleStep && shadowPassenger === 4 && (row !== shadowRow || col !== shadowCol)) {
      this.fickleStep = false;
      const destinations = [0, 1, 2, 3].filter((d) => d !== shadowDestination);
      return encodeTaxiState(row, col, passenger, this.npRandom.choice(destinations));
    }
    return next;
  }

  protected override resetInfo(): Info {
    return { prob: 1, actionMask: this.actionMask(this.s) };
  }

  protected override stepInfo(probability: number): Info {
    return { prob: probability, actionMask: this.actionMask(this.s) };
  }

  /** Gymnasium's `_render_text`: the map with taxi (yellow, green when loaded), passenger (blue) and destination (magenta). */
  override render(): RenderOutput {
    if (this.renderMode !== 'ansi') return undefined;
    const out = TAXI_MAP.map((line) => line.split(''));
    const [row, col, passenger, destination] = decodeTaxiState(Math.max(this.s, 0));
    if (passenger < 4) {
      out[1 + row][2 * col + 1] = colorize(out[1 + row][2 * col + 1], 'yellow', { highlight: true });
      const [pi, pj] = TAXI_LOCATIONS[passenger];
      out[1 + pi][2 * pj + 1] = colorize(out[1 + pi][2 * pj + 1], 'blue', { bold: true });
    } else {
      const cell = out[1 + row][2 * col + 1];
      out[1 + row][2 * col + 1] = colorize(cell === ' ' ? '_' : cell, 'green', { highlight: true });
    }
    const [di, dj] = TAXI_LOCATIONS[destination];
    out[1 + di][2 * dj + 1] = colorize(out[1 + di][2 * dj + 1], 'magenta');
    const footer = this.lastAction === undefined ? '\n' : `  (${['South', 'North', 'East', 'West', 'Pickup', 'Dropoff'][this.lastAction]})\n`;
    return `${out.map((line) => line.join('')).join('\n')}\n${footer}`;
  }
}
