/** Toy-text behaviour beyond the P-table parity: dynamics, seeding, maps, rendering. */
import { describe, expect, it } from 'vitest';
import {
  CliffWalkingAction,
  CliffWalkingEnv,
  FrozenLakeAction,
  FrozenLakeEnv,
  TaxiAction,
  TaxiEnv,
  decodeTaxiState,
  encodeTaxiState,
  generateRandomMap,
  isValidFrozenLakeMap,
} from '../src/index.js';

const { LEFT, DOWN, RIGHT, UP } = FrozenLakeAction;

describe('FrozenLake-v1', () => {
  it('walks the safe path of the non-slippery 4x4 map', () => {
    const env = new FrozenLakeEnv({ isSlippery: false });
    expect(env.reset({ seed: 0 })).toEqual({ observation: 0, info: { prob: 1 } });
    const path = [DOWN, DOWN, RIGHT, RIGHT, DOWN, RIGHT];
    const visited = path.map((action) => env.step(action));
    expect(visited.map((step) => step.observation)).toEqual([4, 8, 9, 10, 14, 15]);
    expect(visited.at(-1)).toEqual({ observation: 15, reward: 1, terminated: true, truncated: false, info: { prob: 1 } });
    expect(visited.slice(0, -1).every((step) => step.reward === 0 && !step.terminated)).toBe(true);
  });

  it('falls into holes, and slips sideways with probability 1/3 each', () => {
    const hole = new FrozenLakeEnv({ isSlippery: false });
    hole.reset();
    hole.step(DOWN);
    expect(hole.step(RIGHT)).toMatchObject({ observation: 5, reward: 0, terminated: true });

    const env = new FrozenLakeEnv({ mapName: '8x8' });
    const counts: Record<number, number> = {};
    const n = 30_000;
    for (let i = 0; i < n; i++) {
      env.reset({ seed: i === 0 ? 1 : undefined });
      const { observation } = env.step(RIGHT); // from 0: right → 1, down → 8, up → 0 (wall)
      counts[observation] = (counts[observation] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['0', '1', '8']);
    for (const count of Object.values(counts)) expect(count / n).toBeCloseTo(1 / 3, 1.5);
  });

  it('is reproducible per seed', () => {
    const run = (seed: number) => {
      const env = new FrozenLakeEnv();
      env.reset({ seed });
      return Array.from({ length: 30 }, (_, t) => {
        const step = env.step([LEFT, DOWN, RIGHT, UP][t % 4]);
        if (step.terminated) env.reset();
        return step.observation;
      });
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
  });

  it('generates valid random maps, reproducibly', () => {
    for (let seed = 0; seed < 20; seed++) {
      const map = generateRandomMap(6, 0.6, seed);
      expect(map).toHaveLength(6);
      expect(map[0][0]).toBe('S');
      expect(map[5][5]).toBe('G');
      expect(isValidFrozenLakeMap(map)).toBe(true);
      expect(generateRandomMap(6, 0.6, seed)).toEqual(map);
    }
    expect(isValidFrozenLakeMap(['SH', 'HG'])).toBe(false);
    const env = new FrozenLakeEnv({ mapName: null });
    expect(env.nrow).toBe(8);
  });

  it('accepts custom maps and reward schedules and rejects bad ones', () => {
    const env = new FrozenLakeEnv({ desc: ['SG'], isSlippery: false, rewardSchedule: [10, -5, -1] });
    env.reset();
    expect(env.step(RIGHT)).toMatchObject({ observation: 1, reward: 10, terminated: true });
    expect(() => new FrozenLakeEnv({ desc: ['SF', 'FXG'] })).toThrow(/equal-length rows of S, F, H, G/);
    expect(() => new FrozenLakeEnv({ desc: ['FF', 'FG'] })).toThrow(/start tile/);
    expect(() => new FrozenLakeEnv({ is_slippery: false } as never)).toThrow(/unknown option 'is_slippery' \(did you mean 'isSlippery'\?\)/);
  });

  it('renders ANSI text like Gymnasium', () => {
    const env = new FrozenLakeEnv({ renderMode: 'ansi', isSlippery: false });
    env.reset();
    expect(env.render()).toBe('\n\x1b[41mS\x1b[0mFFF\nFHFH\nFFFH\nHFFG\n');
    env.step(DOWN);
    expect(env.render()).toBe('  (Down)\nSFFF\n\x1b[41mF\x1b[0mHFH\nFFFH\nHFFG\n');
  });
});

describe('CliffWalking-v1', () => {
  it('sends the player back to the start from the cliff and ends at the goal', () => {
    const env = new CliffWalkingEnv();
    expect(env.reset().observation).toBe(36);
    expect(env.step(CliffWalkingAction.RIGHT)).toEqual({ observation: 36, reward: -100, terminated: false, truncated: false, info: { prob: 1 } });
    // The safe path along the top of the cliff: up, 11 × right, down — return −13.
    const path = [CliffWalkingAction.UP, ...Array<number>(11).fill(CliffWalkingAction.RIGHT), CliffWalkingAction.DOWN];
    let total = 0;
    let last;
    for (const action of path) {
      last = env.step(action);
      total += last.reward;
    }
    expect(last).toMatchObject({ observation: 47, terminated: true });
    expect(total).toBe(-13);
  });

  it('slips sideways when slippery', () => {
    const env = new CliffWalkingEnv({ isSlippery: true });
    expect(env.P[24][CliffWalkingAction.RIGHT].map(([p, s]) => [p, s])).toEqual([
      [1 / 3, 12],
      [1 / 3, 25],
      [1 / 3, 36],
    ]);
  });

  it('renders the grid', () => {
    const env = new CliffWalkingEnv({ renderMode: 'ansi' });
    env.reset();
    const text = env.render() as string;
    expect(text.split('\n')[3]).toBe('x  C  C  C  C  C  C  C  C  C  C  T');
  });
});

describe('Taxi-v4', () => {
  it('encodes and decodes states', () => {
    expect(encodeTaxiState(3, 1, 2, 0)).toBe(328);
    expect(decodeTaxiState(328)).toEqual([3, 1, 2, 0]);
    for (let s = 0; s < 500; s++) expect(encodeTaxiState(...decodeTaxiState(s))).toBe(s);
  });

  it('starts uniformly over the 300 valid states', () => {
    const env = new TaxiEnv();
    const seen = new Set<number>();
    env.reset({ seed: 0 });
    for (let i = 0; i < 20_000; i++) {
      const { observation, info } = env.reset();
      const [, , passenger, destination] = decodeTaxiState(observation);
      expect(passenger).toBeLessThan(4);
      expect(passenger).not.toBe(destination);
      expect(info.actionMask).toBeInstanceOf(Int8Array);
      seen.add(observation);
    }
    expect(seen.size).toBe(300);
  });

  it('picks up, delivers, and penalises illegal pick-ups', () => {
    const env = new TaxiEnv();
    // Taxi at R (0,0) with the passenger there, destination G (0,4).
    env.reset();
    env.s = encodeTaxiState(0, 0, 0, 1);
    expect(env.step(TaxiAction.DROPOFF).reward).toBe(-10);
    const pick = env.step(TaxiAction.PICKUP);
    expect(decodeTaxiState(pick.observation)).toEqual([0, 0, 4, 1]);
    expect(pick.reward).toBe(-1);
    expect(env.step(TaxiAction.PICKUP).reward).toBe(-10);
    // Drive to G around the wall: south ×2, east ×4, north ×2.
    const { SOUTH, EAST, NORTH } = TaxiAction;
    for (const action of [SOUTH, SOUTH, EAST, EAST, EAST, EAST, NORTH, NORTH]) expect(env.step(action).reward).toBe(-1);
    expect(decodeTaxiState(env.s).slice(0, 2)).toEqual([0, 4]);
    expect(env.step(TaxiAction.DROPOFF)).toMatchObject({ reward: 20, terminated: true });
  });

  it('masks exactly the actions that change the state', () => {
    const env = new TaxiEnv();
    for (let s = 0; s < 500; s++) {
      const mask = env.actionMask(s);
      for (let a = 0; a < 6; a++) {
        const [[, next]] = env.P[s][a];
        expect(mask[a] === 1, `state ${s} action ${a}`).toBe(next !== s);
      }
    }
  });

  it('fickle passengers change destination about 30% of the time', () => {
    const env = new TaxiEnv({ ficklePassenger: true });
    env.reset({ seed: 1 });
    let changed = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) {
      env.reset();
      env.s = encodeTaxiState(2, 2, 4, 0); // passenger aboard, in the open
      const { observation } = env.step(TaxiAction.SOUTH);
      if (decodeTaxiState(observation)[3] !== 0) changed++;
    }
    expect(changed / n).toBeGreaterThan(0.25);
    expect(changed / n).toBeLessThan(0.35);
  });
});
