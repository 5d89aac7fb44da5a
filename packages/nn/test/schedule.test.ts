// LR schedules at key steps, and LRScheduler driving an optimizer.

import { describe, expect, it } from 'vitest';
import { tensor } from '@attune/tensor';
import { Adam, constantSchedule, cosineSchedule, linearSchedule, LRScheduler, SGD } from '../src/index.js';

describe('schedules', () => {
  it('constantSchedule', () => {
    expect(constantSchedule()(0)).toBe(1);
    expect(constantSchedule(0.5)(1e6)).toBe(0.5);
  });

  it("linearSchedule is CleanRL's annealing frac = 1 − (update − 1)/numUpdates", () => {
    const numUpdates = 488;
    const schedule = linearSchedule({ numSteps: numUpdates });
    for (const update of [1, 2, 100, 488]) expect(schedule(update - 1)).toBeCloseTo(1 - (update - 1) / numUpdates, 15);
    expect(schedule(488)).toBe(0);
    expect(schedule(1000)).toBe(0);
    const toTenth = linearSchedule({ numSteps: 10, endFactor: 0.1 });
    expect(toTenth(5)).toBeCloseTo(0.55, 15);
    expect(toTenth(10)).toBeCloseTo(0.1, 15);
    expect(linearSchedule({ numSteps: 4, startFactor: 0, endFactor: 1 })(1)).toBe(0.25);
  });

  it("cosineSchedule is nanoGPT's get_lr divided by the peak lr", () => {
    // nanoGPT: learning_rate 6e-4, min_lr 6e-5, warmup_iters 2000, lr_decay_iters 600000.
    const lr = 6e-4;
    const minLr = 6e-5;
    const warmup = 2000;
    const decay = 600000;
    const getLr = (it: number): number => {
      if (it < warmup) return (lr * (it + 1)) / (warmup + 1);
      if (it > decay) return minLr;
      const ratio = (it - warmup) / (decay - warmup);
      return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (lr - minLr);
    };
    const schedule = cosineSchedule({ warmupSteps: warmup, decaySteps: decay, minFactor: minLr / lr });
    for (const it of [0, 1, 999, 1999, 2000, 2001, 301000, 599999, 600000, 600001, 10 ** 7]) expect(lr * schedule(it)).toBeCloseTo(getLr(it), 15);
    expect(schedule(2000)).toBe(1); // peak right after warmup
    expect(lr * schedule(301000)).toBeCloseTo((lr + minLr) / 2, 15); // halfway: the mean
    expect(cosineSchedule({ decaySteps: 10, minFactor: 0 })(10)).toBe(0);
  });

  it('validates options and steps', () => {
    expect(() => linearSchedule({ numSteps: 0 })).toThrow(/numSteps must be a positive integer/);
    expect(() => cosineSchedule({ warmupSteps: 10, decaySteps: 5 })).toThrow(/decaySteps \(5\) must be at least warmupSteps \(10\)/);
    expect(() => constantSchedule()(-1)).toThrow(/step must be a non-negative integer/);
  });
});

describe('LRScheduler', () => {
  it('sets each group to baseLr·schedule(step) at construction and after each step', () => {
    const a = tensor([1], { requiresGrad: true });
    const b = tensor([1], { requiresGrad: true });
    const optimizer = new Adam([{ params: [a] }, { params: [b], lr: 0.1 }], { lr: 1e-3 });
    const scheduler = new LRScheduler(optimizer, linearSchedule({ numSteps: 4 }));
    expect(scheduler.lastLr).toEqual([1e-3, 0.1]);
    scheduler.step();
    expect(scheduler.lastLr[0]).toBeCloseTo(0.75e-3, 15);
    expect(optimizer.paramGroups[1].lr).toBeCloseTo(0.075, 15);
    const saved = scheduler.stateDict();
    scheduler.step();
    scheduler.step();
    expect(optimizer.lr).toBeCloseTo(0.25e-3, 15);
    const resumed = new LRScheduler(new SGD([tensor([1], { requiresGrad: true }), tensor([2], { requiresGrad: true })].map((p) => ({ params: [p] })), { lr: 5 }), linearSchedule({ numSteps: 4 }));
    resumed.loadStateDict(saved);
    expect(resumed.stepCount).toBe(1);
    expect(resumed.lastLr[1]).toBeCloseTo(0.075, 15);
  });
});
