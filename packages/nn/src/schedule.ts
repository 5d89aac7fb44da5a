// Learning-rate schedules. A schedule maps a 0-based step count to a multiplier of each group's
// base learning rate (PyTorch's LambdaLR convention); `LRScheduler` applies it to an optimizer.

import { describeValue } from './module.js';
import type { Optimizer } from './optim.js';

/**
 * Maps a 0-based step to the factor the base learning rate is multiplied by.
 *
 * @example
 * ```ts
 * const halveAfter100: Schedule = (step) => (step < 100 ? 1 : 0.5);
 * const optimizer = new SGD(new Linear(4, 2).parameters(), { lr: 0.1 });
 * new LRScheduler(optimizer, halveAfter100);
 * ```
 */
export type Schedule = (step: number) => number;

function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`schedule: step must be a non-negative integer, got ${describeValue(step)}`);
}

function checkCount(op: string, field: string, value: unknown, allowZero: boolean): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new RangeError(`${op}: ${field} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${describeValue(value)}`);
  }
}

/**
 * The factor `factor` at every step.
 *
 * @example
 * ```ts
 * constantSchedule()(1000); // 1
 * ```
 */
export function constantSchedule(factor = 1): Schedule {
  if (typeof factor !== 'number' || !(factor >= 0)) throw new RangeError(`constantSchedule: factor must be a non-negative number, got ${describeValue(factor)}`);
  return (step) => {
    checkStep(step);
    return factor;
  };
}

/**
 * Options of `linearSchedule`.
 *
 * @example
 * ```ts
 * const options: LinearScheduleOptions = { numSteps: 100, startFactor: 1, endFactor: 0 };
 * linearSchedule(options)(50); // 0.5
 * ```
 */
export interface LinearScheduleOptions {
  /** Steps over which the factor moves from `startFactor` to `endFactor`; it stays at `endFactor` after. */
  numSteps: number;
  /** Factor at step 0 (default 1). */
  startFactor?: number;
  /** Factor at step `numSteps` and beyond (default 0). */
  endFactor?: number;
}

/**
 * Linear interpolation: factor(s) = start + (end − start)·min(s, N)/N. With the defaults this is
 * CleanRL's PPO annealing `frac = 1 − (update − 1)/num_updates` at s = update − 1, so
 * lr = frac·base for update 1…N.
 *
 * @example
 * ```ts
 * const schedule = linearSchedule({ numSteps: 100 });
 * schedule(0);  // 1
 * schedule(50); // 0.5
 * ```
 */
export function linearSchedule(options: LinearScheduleOptions): Schedule {
  const { numSteps, startFactor = 1, endFactor = 0 } = options;
  checkCount('linearSchedule', 'numSteps', numSteps, false);
  for (const [field, value] of [['startFactor', startFactor], ['endFactor', endFactor]] as const) {
    if (typeof value !== 'number' || !(value >= 0)) throw new RangeError(`linearSchedule: ${field} must be a non-negative number, got ${describeValue(value)}`);
  }
  return (step) => {
    checkStep(step);
    return startFactor + (endFactor - startFactor) * (Math.min(step, numSteps) / numSteps);
  };
}

/**
 * Options of `cosineSchedule`.
 *
 * @example
 * ```ts
 * const options: CosineScheduleOptions = { warmupSteps: 100, decaySteps: 5000, minFactor: 0.1 };
 * const schedule = cosineSchedule(options);
 * schedule(50); // 0.5: half-way through the warm-up
 * ```
 */
export interface CosineScheduleOptions {
  /** Linear warmup steps (nanoGPT's `warmup_iters`, default 0). */
  warmupSteps?: number;
  /** Step at which the cosine reaches `minFactor` and stays (nanoGPT's `lr_decay_iters`). */
  decaySteps: number;
  /** Final factor, nanoGPT's `min_lr / learning_rate` (default 0.1, its "≈ lr/10 per Chinchilla"). */
  minFactor?: number;
}

/**
 * Linear warmup then cosine decay, exactly nanoGPT's `get_lr(it)` divided by the base lr:
 *
 *     s < warmup:        (s + 1) / (warmup + 1)
 *     s ≥ decaySteps:    minFactor
 *     otherwise:         minFactor + ½(1 + cos(π·(s − warmup)/(decaySteps − warmup)))·(1 − minFactor)
 *
 * @example
 * ```ts
 * const schedule = cosineSchedule({ warmupSteps: 100, decaySteps: 5000, minFactor: 0.1 });
 * schedule(100); // 1
 * ```
 */
export function cosineSchedule(options: CosineScheduleOptions): Schedule {
  const { warmupSteps = 0, decaySteps, minFactor = 0.1 } = options;
  checkCount('cosineSchedule', 'warmupSteps', warmupSteps, true);
  checkCount('cosineSchedule', 'decaySteps', decaySteps, true);
  if (decaySteps < warmupSteps) throw new RangeError(`cosineSchedule: decaySteps (${decaySteps}) must be at least warmupSteps (${warmupSteps})`);
  if (typeof minFactor !== 'number' || !(minFactor >= 0 && minFactor <= 1)) throw new RangeError(`cosineSchedule: minFactor must be in [0, 1], got ${describeValue(minFactor)}`);
  return (step) => {
    checkStep(step);
    if (step < warmupSteps) return (step + 1) / (warmupSteps + 1);
    if (step >= decaySteps) return minFactor;
    const decayRatio = (step - warmupSteps) / (decaySteps - warmupSteps);
    const coefficient = 0.5 * (1 + Math.cos(Math.PI * decayRatio));
    return minFactor + coefficient * (1 - minFactor);
  };
}

/**
 * Saved state of an `LRScheduler`.
 *
 * @example
 * ```ts
 * const optimizer = new Adam(new Linear(4, 2).parameters(), { lr: 1e-3 });
 * const scheduler = new LRScheduler(optimizer, linearSchedule({ numSteps: 10 }));
 * scheduler.step();
 * const saved: LRSchedulerState = scheduler.stateDict();
 * scheduler.loadStateDict(saved);
 * ```
 */
export interface LRSchedulerState {
  /** Steps taken so far. */
  stepCount: number;
  /** Each group's learning rate before scheduling. */
  baseLrs: number[];
}

/**
 * Sets each parameter group's lr to baseLr·schedule(stepCount), as `torch.optim.lr_scheduler.LambdaLR`:
 * at construction (step 0) and after every `step()`. Call `step()` after `optimizer.step()`.
 *
 * @example
 * ```ts
 * const model = new Linear(4, 2);
 * const optimizer = new Adam(model.parameters(), { lr: 2.5e-4 });
 * const numUpdates = 10;
 * const scheduler = new LRScheduler(optimizer, linearSchedule({ numSteps: numUpdates }));
 * for (let update = 1; update <= numUpdates; update++) {
 *   // ... minibatch epochs with optimizer.step() ...
 *   scheduler.step();
 * }
 * ```
 */
export class LRScheduler {
  /** Steps taken so far (0 after construction). */
  stepCount = 0;
  /** Each group's learning rate when the scheduler was created. */
  baseLrs: number[];

  constructor(
    readonly optimizer: Optimizer,
    readonly schedule: Schedule,
  ) {
    if (typeof schedule !== 'function') throw new TypeError(`LRScheduler: schedule must be a function of the step, got ${describeValue(schedule)}`);
    this.baseLrs = optimizer.paramGroups.map((group) => group.lr);
    this.apply();
  }

  /** Advances one step and updates the learning rates. @example `scheduler.step()` */
  step(): void {
    this.stepCount += 1;
    this.apply();
  }

  /** The learning rates last set, one per group. @example `scheduler.lastLr[0]` */
  get lastLr(): number[] {
    return this.optimizer.paramGroups.map((group) => group.lr);
  }

  /** The scheduler's state for a checkpoint. @example `JSON.stringify(scheduler.stateDict())` */
  stateDict(): LRSchedulerState {
    return { stepCount: this.stepCount, baseLrs: this.baseLrs.slice() };
  }

  /** Restores `stateDict()` output and re-applies the schedule. @example `scheduler.loadStateDict(saved)` */
  loadStateDict(state: LRSchedulerState): void {
    if (!state || !Number.isInteger(state.stepCount) || state.stepCount < 0) throw new RangeError(`LRScheduler.loadStateDict: stepCount must be a non-negative integer, got ${describeValue(state?.stepCount)}`);
    if (!Array.isArray(state.baseLrs) || state.baseLrs.length !== this.optimizer.paramGroups.length) {
      throw new RangeError(`LRScheduler.loadStateDict: baseLrs must have one entry per parameter group (${this.optimizer.paramGroups.length}), got ${describeValue(state.baseLrs)}`);
    }
    this.stepCount = state.stepCount;
    this.baseLrs = state.baseLrs.slice();
    this.apply();
  }

  private apply(): void {
    const factor = this.schedule(this.stepCount);
    if (typeof factor !== 'number' || !(factor >= 0)) throw new RangeError(`LRScheduler: schedule(${this.stepCount}) returned ${describeValue(factor)}, expected a non-negative number`);
    this.optimizer.paramGroups.forEach((group, i) => (group.lr = this.baseLrs[i] * factor));
  }
}
