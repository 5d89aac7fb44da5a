/**
 * Schedules for the exploration rate ε (and any other annealed scalar):
 * each maps a step or episode index to a value, computed in one place.
 */

/**
 * A value that changes with the step or episode index `t`.
 *
 * @example
 * ```ts
 * const epsilon: Schedule = linearSchedule(1, 0.05, 500);
 * epsilon(250); // 0.525
 * ```
 */
export type Schedule = (t: number) => number;

/**
 * Anneals linearly from `start` to `end` over `duration` steps, then holds
 * `end` (CleanRL's `linear_schedule` for ε in DQN).
 *
 * @example
 * ```ts
 * const epsilon = linearSchedule(1, 0.1, 100);
 * epsilon(0);   // 1
 * epsilon(50);  // 0.55
 * epsilon(500); // 0.1
 * ```
 */
export function linearSchedule(start: number, end: number, duration: number): Schedule {
  if (!(duration >= 0)) throw new RangeError(`linearSchedule duration must be ≥ 0, got ${duration}`);
  return (t) => (duration === 0 || t >= duration ? end : start + ((end - start) * t) / duration);
}

/**
 * Decays geometrically from `start` to `end` over `duration` steps, with the
 * per-step factor (end / start)^(1 / duration), then holds `end`.
 *
 * @example
 * ```ts
 * const epsilon = exponentialSchedule(1, 0.01, 100);
 * epsilon(50);  // 0.1
 * epsilon(100); // 0.01
 * ```
 */
export function exponentialSchedule(start: number, end: number, duration: number): Schedule {
  if (!(start > 0 && end > 0)) throw new RangeError(`exponentialSchedule needs start > 0 and end > 0, got start=${start}, end=${end}`);
  if (!(duration >= 0)) throw new RangeError(`exponentialSchedule duration must be ≥ 0, got ${duration}`);
  return (t) => (duration === 0 || t >= duration ? end : start * Math.pow(end / start, t / duration));
}

/**
 * A schedule that always returns `value`.
 *
 * @example
 * ```ts
 * constantSchedule(0.1)(1000); // 0.1
 * ```
 */
export function constantSchedule(value: number): Schedule {
  return () => value;
}
