/** Wrappers: Gymnasium semantics, and exact agreement with Gymnasium 1.4.0 for the normalizers and RescaleAction. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Autoreset,
  Box,
  CartPoleEnv,
  ClipAction,
  Discrete,
  Env,
  FlattenObservation,
  FrozenLakeEnv,
  NormalizeObservation,
  NormalizeReward,
  PendulumEnv,
  RecordEpisodeStatistics,
  RescaleAction,
  TimeLimit,
  TransformAction,
  TransformObservation,
  TransformReward,
  Wrapper,
  make,
  type EpisodeStatistics,
  type ResetArgs,
} from '../src/index.js';

interface WrapperGolden {
  observations: number[][];
  rewards: number[];
  terminated: boolean[];
  normalizeObservation: number[][];
  normalizeReward: { gamma: number; rewards: number[] };
  rescaleAction: [number, number][];
}
const golden = (JSON.parse(readFileSync(new URL('./fixtures/gymnasium-golden.json', import.meta.url), 'utf8')) as { wrappers: WrapperGolden }).wrappers;

/** The scripted env of make_gymnasium_golden.py: fixed float32 observations, rewards and terminations. */
class ScriptedEnv extends Env<Float32Array, number> {
  readonly observationSpace = new Box({ low: -Infinity, high: Infinity, shape: [3] });
  readonly actionSpace = new Discrete(2);
  private t = 0;
  reset(args: ResetArgs = {}) {
    this.resetNpRandom(args.seed);
    this.t = 0;
    return { observation: Float32Array.from(golden.observations[0]), info: {} };
  }
  step() {
    this.t++;
    return { observation: Float32Array.from(golden.observations[this.t]), reward: golden.rewards[this.t], terminated: golden.terminated[this.t], truncated: false, info: {} };
  }
}

describe('Gymnasium-exact wrappers', () => {
  it('NormalizeObservation (float32 running statistics) matches Gymnasium', () => {
    const env = new NormalizeObservation(new ScriptedEnv());
    const outputs = [Array.from(env.reset({ seed: 0 }).observation)];
    for (let t = 1; t < 60; t++) outputs.push(Array.from(env.step(0).observation));
    expect(outputs).toEqual(golden.normalizeObservation);
    expect(env.observationSpace.toString()).toBe('Box(-inf, inf, (3,), float32)');
  });

  it('NormalizeReward (discounted-return variance) matches Gymnasium', () => {
    const env = new NormalizeReward(new ScriptedEnv(), { gamma: golden.normalizeReward.gamma });
    env.reset({ seed: 0 });
    const rewards = Array.from({ length: 59 }, () => env.step(0).reward);
    rewards.forEach((reward, t) => expect(reward, `step ${t}`).toBeCloseTo(golden.normalizeReward.rewards[t], 12));
  });

  it('RescaleAction maps [-1, 1] onto Pendulum torques as Gymnasium does', () => {
    const env = new RescaleAction(new PendulumEnv(), -1, 1);
    expect(String(env.actionSpace)).toBe('Box(-1.0, 1.0, (1,), float32)');
    env.reset({ seed: 0 });
    for (const [action, torque] of golden.rescaleAction) {
      env.step(Float32Array.of(action));
      expect((env.unwrapped as PendulumEnv).lastU, `action ${action}`).toBe(torque);
    }
    expect(() => new RescaleAction(new PendulumEnv(), 1, 1)).toThrow(/strictly smaller/);
    expect(() => new RescaleAction(new CartPoleEnv() as never, -1, 1)).toThrow(/requires a Box action space/);
  });
});

describe('episode wrappers', () => {
  it('TimeLimit truncates and counts from each reset', () => {
    const env = new TimeLimit(new PendulumEnv(), 3);
    env.reset({ seed: 0 });
    expect([0, 1, 2].map(() => env.step(Float32Array.of(0)).truncated)).toEqual([false, false, true]);
    env.reset();
    expect(env.elapsedSteps).toBe(0);
    expect(() => new TimeLimit(new PendulumEnv(), 0)).toThrow(/positive/);
  });

  it('RecordEpisodeStatistics reports return, length and time at the end', () => {
    const env = new RecordEpisodeStatistics(new TimeLimit(new PendulumEnv(), 5), { bufferLength: 2 });
    for (let episode = 0; episode < 3; episode++) {
      env.reset({ seed: episode });
      let total = 0;
      for (let t = 0; t < 5; t++) {
        const { reward, truncated, info } = env.step(Float32Array.of(0));
        total += reward;
        if (t < 4) expect(info.episode).toBeUndefined();
        else {
          expect(truncated).toBe(true);
          const stats = info.episode as EpisodeStatistics;
          expect(stats.r).toBeCloseTo(total, 12);
          expect(stats.l).toBe(5);
          expect(stats.t).toBeGreaterThanOrEqual(0);
        }
      }
    }
    expect(env.episodeCount).toBe(3);
    expect(env.returnQueue).toHaveLength(2);
    expect(env.lengthQueue).toEqual([5, 5]);
  });

  it('Autoreset resets on the step after the episode ends (next-step semantics)', () => {
    const env = new Autoreset(make('CartPole-v1'));
    env.reset({ seed: 0 });
    let result;
    do result = env.step(1);
    while (!result.terminated);
    const after = env.step(1);
    expect(after.reward).toBe(0);
    expect(after.terminated || after.truncated).toBe(false);
    expect(Math.max(...after.observation.map(Math.abs))).toBeLessThanOrEqual(0.05);
    expect(env.step(1).reward).toBe(1);
  });
});

describe('transform wrappers', () => {
  it('ClipAction clips into the Box and widens the action space', () => {
    const clipped = new ClipAction(new PendulumEnv());
    const plain = new PendulumEnv();
    clipped.reset({ options: { state: [1, 0] } });
    plain.reset({ options: { state: [1, 0] } });
    expect(clipped.step(Float32Array.of(10))).toEqual(plain.step(Float32Array.of(2)));
    expect(String(clipped.actionSpace)).toBe('Box(-inf, inf, (1,), float32)');
  });

  it('FlattenObservation one-hot encodes Discrete observations', () => {
    const env = new FlattenObservation(new FrozenLakeEnv({ isSlippery: false }));
    const { observation } = env.reset({ seed: 0 });
    expect(Array.from(observation)).toEqual([1, ...new Array(15).fill(0)]);
    expect(env.observationSpace.contains(observation)).toBe(true);
    expect(Array.from(env.step(2).observation).indexOf(1)).toBe(1);
  });

  it('TransformObservation / TransformReward / TransformAction apply their functions', () => {
    const base = () => new FrozenLakeEnv({ isSlippery: false });
    const observed = new TransformObservation(base(), (s: number) => s * 10, new Discrete(160));
    observed.reset();
    expect(observed.step(2).observation).toBe(10);
    const rewarded = new TransformReward(new FrozenLakeEnv({ desc: ['SG'], isSlippery: false }), (r) => r * 5 - 1);
    rewarded.reset();
    expect(rewarded.step(2).reward).toBe(4);
    const acted = new TransformAction(base(), (flip: boolean) => (flip ? 2 : 0));
    acted.reset();
    expect(acted.step(true).observation).toBe(1);
  });

  it('wrappers forward spec, render mode, npRandom and unwrapped', () => {
    const env = make('FrozenLake-v1', { renderMode: 'ansi' });
    expect(env.renderMode).toBe('ansi');
    expect(env.spec?.id).toBe('FrozenLake-v1');
    expect(env.unwrapped).toBeInstanceOf(FrozenLakeEnv);
    env.reset({ seed: 9 });
    expect(env.npRandomSeed).toBe(9);
    expect(env.unwrapped.npRandomSeed).toBe(9);
    expect(env.metadata.renderModes).toEqual(['ansi']);
    expect(typeof env.render()).toBe('string');
    const custom = new (class extends Wrapper<number, number> {})(new FrozenLakeEnv());
    expect(custom.actionSpace.equals(new Discrete(4))).toBe(true);
  });
});
