/**
 * Trajectory parity of the classic-control envs with Gymnasium 1.4.0, and
 * transition-table parity of the toy-text envs.
 *
 * Float32 observations and terminations must match exactly. The float64
 * internal state may differ in the last bits: V8's Math.sin/cos (fdlibm) and
 * glibc's are not always rounded the same way, so a state can drift by an
 * ulp and, in the chaotic Acrobot, grow to ~1e-8 relative over 188 steps —
 * still below float32 resolution, as the exact observations show.
 *
 * Three independent sources of truth:
 * 1. fixtures/gymnasium-golden.json, written by fixtures/make_gymnasium_golden.py
 *    running Gymnasium 1.4.0 itself (NumPy 2.4.6): observations (float32),
 *    rewards, terminations and the float64 internal state, step by step;
 * 2. a few values hard-coded below, from the same run;
 * 3. small float64 reference steppers written in this file from Gymnasium's
 *    equations, compared on random starts and actions.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AcrobotEnv,
  CartPoleEnv,
  CliffWalkingEnv,
  FrozenLakeEnv,
  MountainCarContinuousEnv,
  MountainCarEnv,
  PendulumEnv,
  Rng,
  TaxiEnv,
  type Env,
  type TransitionTable,
} from '../src/index.js';

interface GoldenStep {
  observation: number[];
  reward: number;
  terminated: boolean;
  state: number[];
}
interface GoldenRun {
  start: number[];
  actions: number[];
  steps: GoldenStep[];
}
interface Golden {
  gymnasium: string;
  envs: Record<string, GoldenRun[]>;
  P: Record<string, { sha256: string; sample: Record<string, unknown[]> }>;
  taxiActionMasks: Record<string, number[]>;
}

const golden = JSON.parse(readFileSync(new URL('./fixtures/gymnasium-golden.json', import.meta.url), 'utf8')) as Golden;

type StatefulEnv = Env<Float32Array, any, any> & { state: Float64Array | undefined };

const factories: Record<string, { create: () => StatefulEnv; action: (a: number) => unknown }> = {
  'CartPole-v1': { create: () => new CartPoleEnv(), action: (a) => a },
  'MountainCar-v0': { create: () => new MountainCarEnv(), action: (a) => a },
  'MountainCarContinuous-v0': { create: () => new MountainCarContinuousEnv(), action: (a) => Float32Array.of(a) },
  'Pendulum-v1': { create: () => new PendulumEnv(), action: (a) => Float32Array.of(a) },
  'Acrobot-v1': { create: () => new AcrobotEnv(), action: (a) => a },
};

describe('classic control matches Gymnasium 1.4.0 trajectories exactly', () => {
  it('the fixture comes from Gymnasium 1.4.0', () => {
    expect(golden.gymnasium).toBe('1.4.0');
    expect(Object.keys(golden.envs).sort()).toEqual(Object.keys(factories).sort());
  });

  for (const [id, runs] of Object.entries(golden.envs)) {
    runs.forEach((run, r) => {
      it(`${id} run ${r}: ${run.steps.length} steps from [${run.start.join(', ')}]`, () => {
        const { create, action } = factories[id];
        const env = create();
        env.reset({ options: { state: run.start } });
        run.steps.forEach((expected, t) => {
          const result = env.step(action(run.actions[t]));
          const where = `${id} run ${r} step ${t}`;
          expect(Array.from(result.observation), where).toEqual(expected.observation);
          expectClose([result.reward], [expected.reward], 1e-12, `${where} reward`);
          expect(result.terminated, where).toBe(expected.terminated);
          expectClose(env.state as Float64Array, expected.state, 1e-8, `${where} state`);
        });
      });
    });
  }

  it('covers terminations, clamps and wrap-arounds', () => {
    const ended = (id: string): boolean => golden.envs[id].some((run) => run.steps.at(-1)?.terminated === true);
    expect(ended('CartPole-v1')).toBe(true);
    expect(ended('MountainCar-v0')).toBe(true);
    expect(ended('MountainCarContinuous-v0')).toBe(true);
    expect(ended('Acrobot-v1')).toBe(true);
    // The continuous car hits the left wall (position -1.2, velocity zeroed) in the pumping run.
    const pumping = golden.envs['MountainCarContinuous-v0'][3];
    expect(pumping.steps.some((step) => step.state[0] === Math.fround(-1.2) && step.state[1] === 0)).toBe(true);
  });

  it('hard-coded first steps (from the Gymnasium run)', () => {
    const cartPole = new CartPoleEnv();
    cartPole.reset({ options: { state: [0.01, -0.02, 0.03, 0.04] } });
    const step = cartPole.step(1);
    expect(Array.from(cartPole.state as Float64Array)).toEqual([0.009600000000000001, 0.17467919574755525, 0.030799999999999998, -0.2430687179600081]);
    expect(Array.from(step.observation)).toEqual([0.009600000455975533, 0.17467918992042542, 0.030799999833106995, -0.24306872487068176]);

    const pendulum = new PendulumEnv();
    pendulum.reset({ options: { state: [Math.PI, 0] } });
    const swing = pendulum.step(Float32Array.of(-1.2637730836868286));
    expect(swing.reward).toBe(-9.871201523611429);
    expect(Array.from(pendulum.state as Float64Array)).toEqual([3.1321143551641186, -0.1895659685134887]);
  });
});

// ---------------------------------------------------------------------------
// Independent float64 reference steppers, written from Gymnasium's equations.
// ---------------------------------------------------------------------------

function referenceCartPole(s: number[], action: number): number[] {
  const [x, xDot, theta, thetaDot] = s;
  const force = action === 1 ? 10 : -10;
  const total = 1.1;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const temp = (force + 0.05 * thetaDot * thetaDot * sin) / total;
  const thetaAcc = (9.8 * sin - cos * temp) / (0.5 * (4 / 3 - (0.1 * cos * cos) / total));
  const xAcc = temp - (0.05 * thetaAcc * cos) / total;
  return [x + 0.02 * xDot, xDot + 0.02 * xAcc, theta + 0.02 * thetaDot, thetaDot + 0.02 * thetaAcc];
}

function referenceMountainCar(s: number[], action: number): number[] {
  let [position, velocity] = s;
  velocity += (action - 1) * 0.001 + Math.cos(3 * position) * -0.0025;
  velocity = Math.min(Math.max(velocity, -0.07), 0.07);
  position = Math.min(Math.max(position + velocity, -1.2), 0.6);
  if (position === -1.2 && velocity < 0) velocity = 0;
  return [position, velocity];
}

function referencePendulum(s: number[], u: number): { state: number[]; reward: number } {
  const [th, thDot] = s;
  const wrapped = ((((th + Math.PI) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI)) - Math.PI;
  const cost = wrapped * wrapped + 0.1 * thDot * thDot + 0.001 * u * u;
  const newThDot = Math.min(Math.max(thDot + (15 * Math.sin(th) + 3 * u) * 0.05, -8), 8);
  return { state: [th + newThDot * 0.05, newThDot], reward: -cost };
}

function acrobotDerivative(y: number[]): number[] {
  const [t1, t2, d1, d2, a] = y;
  const D1 = 0.25 + (1 + 0.25 + Math.cos(t2)) + 2;
  const D2 = 0.25 + 0.5 * Math.cos(t2) + 1;
  const phi2 = 0.5 * 9.8 * Math.cos(t1 + t2 - Math.PI / 2);
  const phi1 = -0.5 * d2 * d2 * Math.sin(t2) - d2 * d1 * Math.sin(t2) + 1.5 * 9.8 * Math.cos(t1 - Math.PI / 2) + phi2;
  const dd2 = (a + (D2 / D1) * phi1 - 0.5 * d1 * d1 * Math.sin(t2) - phi2) / (1.25 - (D2 * D2) / D1);
  const dd1 = -(D2 * dd2 + phi1) / D1;
  return [d1, d2, dd1, dd2, 0];
}

function referenceAcrobot(s: number[], action: number): number[] {
  const y0 = [...s, [-1, 0, 1][action]];
  const h = 0.2;
  const k1 = acrobotDerivative(y0);
  const k2 = acrobotDerivative(y0.map((v, i) => v + (h / 2) * k1[i]));
  const k3 = acrobotDerivative(y0.map((v, i) => v + (h / 2) * k2[i]));
  const k4 = acrobotDerivative(y0.map((v, i) => v + h * k3[i]));
  const y = y0.map((v, i) => v + (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]));
  const wrapAngle = (x: number): number => {
    while (x > Math.PI) x -= 2 * Math.PI;
    while (x < -Math.PI) x += 2 * Math.PI;
    return x;
  };
  return [wrapAngle(y[0]), wrapAngle(y[1]), Math.min(Math.max(y[2], -4 * Math.PI), 4 * Math.PI), Math.min(Math.max(y[3], -9 * Math.PI), 9 * Math.PI)];
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, where: string): void {
  expect(actual.length, where).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    expect(Math.abs(actual[i] - expected[i]) / scale, `${where} [${i}]: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tolerance);
  }
}

describe('classic control agrees with independent float64 reference steppers', () => {
  const rng = new Rng(7);

  it('CartPole-v1 (float64 throughout, float32 observation)', () => {
    for (let episode = 0; episode < 20; episode++) {
      const env = new CartPoleEnv();
      let state = [0, 0, 0, 0].map(() => rng.uniform(-0.05, 0.05));
      env.reset({ options: { state } });
      for (let t = 0; t < 200; t++) {
        const action = rng.integers(2);
        const { observation, terminated } = env.step(action);
        state = referenceCartPole(state, action);
        expectClose(env.state as Float64Array, state, 1e-12, `episode ${episode} step ${t}`);
        expectClose(observation, state, 1e-6, `episode ${episode} step ${t} observation`);
        state = Array.from(env.state as Float64Array); // keep both on the same path
        expect(terminated).toBe(Math.abs(state[0]) > 2.4 || Math.abs(state[2]) > (12 * 2 * Math.PI) / 360);
        if (terminated) break;
      }
    }
  });

  it('MountainCar-v0 (float64 throughout)', () => {
    const env = new MountainCarEnv();
    let state = [rng.uniform(-0.6, -0.4), 0];
    env.reset({ options: { state } });
    for (let t = 0; t < 500; t++) {
      const action = rng.integers(3);
      env.step(action);
      state = referenceMountainCar(state, action);
      expectClose(env.state as Float64Array, state, 1e-12, `step ${t}`);
      state = Array.from(env.state as Float64Array);
    }
  });

  it('MountainCarContinuous-v0 matches a float64 stepper to float32 precision', () => {
    const env = new MountainCarContinuousEnv();
    let state = [-0.5, 0];
    env.reset({ options: { state } });
    for (let t = 0; t < 200; t++) {
      const force = Math.fround(rng.uniform(-1, 1));
      const { reward } = env.step(Float32Array.of(force));
      let [position, velocity] = state;
      velocity = Math.min(Math.max(velocity + force * 0.0015 - 0.0025 * Math.cos(3 * position), -0.07), 0.07);
      position = Math.min(Math.max(position + velocity, -1.2), 0.6);
      if (position === -1.2 && velocity < 0) velocity = 0;
      // Gymnasium stores the state as float32 after every step.
      state = [Math.fround(position), Math.fround(velocity)];
      expectClose(env.state as Float64Array, state, 1e-6, `step ${t}`);
      expect(reward).toBeCloseTo(-0.1 * force * force, 12);
      state = Array.from(env.state as Float64Array);
    }
  });

  it('Pendulum-v1 matches a float64 stepper to float32 precision (the torque terms are float32 in Gymnasium)', () => {
    const env = new PendulumEnv();
    let state = [rng.uniform(-Math.PI, Math.PI), rng.uniform(-1, 1)];
    env.reset({ options: { state } });
    for (let t = 0; t < 200; t++) {
      const u = Math.fround(rng.uniform(-2, 2));
      const { reward, observation } = env.step(Float32Array.of(u));
      const reference = referencePendulum(state, u);
      state = reference.state;
      expectClose(env.state as Float64Array, state, 1e-5, `step ${t}`);
      expect(Math.abs(reward - reference.reward)).toBeLessThan(1e-5);
      expectClose(observation, [Math.cos(state[0]), Math.sin(state[0]), state[1]], 1e-5, `obs ${t}`);
      state = Array.from(env.state as Float64Array);
    }
  });

  it('Acrobot-v1 (float32 start, float64 rk4)', () => {
    const env = new AcrobotEnv();
    let state = [0, 0, 0, 0].map(() => Math.fround(rng.uniform(-0.1, 0.1)));
    env.reset({ options: { state } });
    for (let t = 0; t < 300; t++) {
      const action = rng.integers(3);
      env.step(action);
      state = referenceAcrobot(state, action);
      expectClose(env.state as Float64Array, state, 1e-12, `step ${t}`);
      state = Array.from(env.state as Float64Array); // keep both on the same path
    }
  });
});

// ---------------------------------------------------------------------------
// Toy text: transition tables identical to Gymnasium's.
// ---------------------------------------------------------------------------

function canonicalSha256(P: TransitionTable): string {
  return createHash('sha256').update(JSON.stringify(P)).digest('hex');
}

describe('toy-text transition tables equal Gymnasium 1.4.0 P', () => {
  const tables: Record<string, () => TransitionTable> = {
    'FrozenLake-4x4': () => new FrozenLakeEnv({ mapName: '4x4' }).P,
    'FrozenLake-4x4-not-slippery': () => new FrozenLakeEnv({ mapName: '4x4', isSlippery: false }).P,
    'FrozenLake-8x8': () => new FrozenLakeEnv({ mapName: '8x8' }).P,
    'FrozenLake-custom-0.8': () => new FrozenLakeEnv({ desc: ['SFH', 'FFF', 'HFG'], successRate: 0.8, rewardSchedule: [5, -1, 0] }).P,
    CliffWalking: () => new CliffWalkingEnv().P,
    'CliffWalking-slippery': () => new CliffWalkingEnv({ isSlippery: true }).P,
    Taxi: () => new TaxiEnv().P,
    'Taxi-rainy': () => new TaxiEnv({ isRainy: true }).P,
  };

  for (const [name, table] of Object.entries(tables)) {
    it(name, () => {
      const P = table();
      const expected = golden.P[name];
      for (const [key, transitions] of Object.entries(expected.sample)) {
        const [s, a] = key.split(',').map(Number);
        expect(P[s][a], `${name} P[${s}][${a}]`).toEqual(transitions);
      }
      expect(canonicalSha256(P)).toBe(expected.sha256);
    });
  }

  it('Taxi action masks equal Gymnasium action_mask', () => {
    const taxi = new TaxiEnv();
    for (const [state, mask] of Object.entries(golden.taxiActionMasks)) {
      expect(Array.from(taxi.actionMask(Number(state))), `state ${state}`).toEqual(mask);
    }
  });
});
