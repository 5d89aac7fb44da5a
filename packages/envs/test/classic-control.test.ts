/** Classic control beyond trajectory parity: reset distributions and options, seeding, rendering. */
import { describe, expect, it } from 'vitest';
import { AcrobotEnv, CartPoleEnv, MountainCarContinuousEnv, MountainCarEnv, PendulumEnv, angleNormalize, rasterizeScene, type RgbFrame } from '../src/index.js';

describe('reset', () => {
  it('draws start states from the documented ranges, reproducibly', () => {
    const cartPole = new CartPoleEnv();
    const first = cartPole.reset({ seed: 3 }).observation;
    expect(Array.from(cartPole.reset({ seed: 3 }).observation)).toEqual(Array.from(first));
    for (let i = 0; i < 100; i++) {
      const { observation } = cartPole.reset();
      for (const value of observation) expect(Math.abs(value)).toBeLessThanOrEqual(0.05);
    }
    const wide = cartPole.reset({ options: { low: -0.2, high: 0.2 } }).observation;
    for (const value of wide) expect(Math.abs(value)).toBeLessThanOrEqual(0.2);
    expect(() => cartPole.reset({ options: { low: 1, high: 0 } })).toThrow(/Lower bound \(1\) must be lower than higher bound \(0\)/);

    const car = new MountainCarEnv();
    for (let i = 0; i < 50; i++) {
      const [position, velocity] = car.reset({ seed: i }).observation;
      expect(position).toBeGreaterThanOrEqual(Math.fround(-0.6));
      expect(position).toBeLessThanOrEqual(Math.fround(-0.4));
      expect(velocity).toBe(0);
    }

    const pendulum = new PendulumEnv();
    for (let i = 0; i < 50; i++) {
      pendulum.reset({ seed: i, options: { xInit: 0.1, yInit: 0.2 } });
      const [theta, thetaDot] = pendulum.state as Float64Array;
      expect(Math.abs(theta)).toBeLessThanOrEqual(0.1);
      expect(Math.abs(thetaDot)).toBeLessThanOrEqual(0.2);
    }

    const acrobot = new AcrobotEnv();
    acrobot.reset({ seed: 1 });
    for (const value of acrobot.state as Float64Array) expect(value).toBe(Math.fround(value)); // float32 start, as Gymnasium
  });

  it('accepts an explicit start state', () => {
    const env = new MountainCarContinuousEnv();
    expect(Array.from(env.reset({ options: { state: [0.1, 0.02] } }).observation)).toEqual([Math.fround(0.1), Math.fround(0.02)]);
    expect(() => env.reset({ options: { state: [0.1, Number.NaN] } })).toThrow(/options.state\[1\] \(velocity\) must be a finite number/);
  });

  it('CartPole pays 1 on the failing step, then 0 if stepped on (Gymnasium semantics for bare envs)', () => {
    const env = new CartPoleEnv();
    env.reset({ options: { state: [2.39, 1, 0, 0] } });
    const fail = env.step(1);
    expect(fail).toMatchObject({ terminated: true, reward: 1 });
    expect(env.step(1).reward).toBe(0);
    const suttonBarto = new CartPoleEnv({ suttonBartoReward: true });
    suttonBarto.reset({ options: { state: [2.39, 1, 0, 0] } });
    expect(suttonBarto.step(1).reward).toBe(-1);
  });

  it('angleNormalize follows numpy floor modulo', () => {
    expect(angleNormalize(0)).toBe(0);
    expect(angleNormalize(Math.PI)).toBeCloseTo(-Math.PI, 12);
    expect(angleNormalize(-3 * Math.PI / 2)).toBeCloseTo(Math.PI / 2, 12);
    expect(angleNormalize(7)).toBeCloseTo(7 - 2 * Math.PI, 12);
  });
});

describe('rendering', () => {
  const pixel = (frame: RgbFrame, x: number, y: number) => Array.from(frame.data.subarray((y * frame.width + x) * 3, (y * frame.width + x) * 3 + 3));

  it('CartPole draws a 600 × 400 RGB frame with the cart in black and the pole in brown', () => {
    const env = new CartPoleEnv({ renderMode: 'rgb_array' });
    expect(env.render()).toBeUndefined();
    env.reset({ options: { state: [0, 0, 0, 0] } });
    const frame = env.render() as RgbFrame;
    expect([frame.width, frame.height, frame.data.length]).toEqual([600, 400, 600 * 400 * 3]);
    expect(pixel(frame, 300, 400 - 100)).toEqual([0, 0, 0]); // cart centre (y flipped)
    expect(pixel(frame, 300, 400 - 200)).toEqual([202, 152, 101]); // upright pole
    expect(pixel(frame, 5, 5)).toEqual([255, 255, 255]);
  });

  it('classic control renders SVG text', () => {
    for (const env of [new CartPoleEnv({ renderMode: 'svg' }), new MountainCarEnv({ renderMode: 'svg' }), new PendulumEnv({ renderMode: 'svg' }), new AcrobotEnv({ renderMode: 'svg' })]) {
      env.reset({ seed: 0 });
      const svg = env.render() as string;
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg).toContain('<polygon');
    }
    expect(() => new CartPoleEnv({ renderMode: 'human' as never })).toThrow(/renderMode must be 'rgb_array', 'svg' or undefined, got "human"/);
  });

  it('rasterizes polygons with even-odd scanlines', () => {
    const frame = rasterizeScene({ width: 10, height: 10, shapes: [{ kind: 'polygon', points: [2, 2, 8, 2, 8, 8, 2, 8], color: [1, 2, 3] }] });
    expect(pixel(frame, 5, 5)).toEqual([1, 2, 3]);
    expect(pixel(frame, 0, 0)).toEqual([255, 255, 255]);
    expect(pixel(frame, 9, 5)).toEqual([255, 255, 255]);
  });
});
