/**
 * The config shared by the tabular TD methods (Q-learning, SARSA, expected
 * SARSA, n-step SARSA): its fields, their defaults, validation, and the two
 * values derived from it (the ε schedule and the step size).
 */
import { checkChoice, checkInteger, checkRange, mergeConfig } from '@attune/envs';
import { exponentialSchedule, linearSchedule, type Schedule } from './schedules.js';
import type { QTable } from './q-table.js';

/**
 * Hyperparameters of a tabular TD method.
 *
 * @example
 * ```ts
 * const config: TabularConfig = { ...defaultTabularConfig, totalEpisodes: 20_000, learningRateExponent: 0.6 };
 * ```
 */
export interface TabularConfig {
  /** Seed of every random draw: exploration, tie-breaking and the env's first reset. */
  seed: number;
  /** Number of training episodes. */
  totalEpisodes: number;
  /** Discount factor γ (Sutton & Barto 2nd ed. §3.3); 0.99 as in CleanRL. */
  gamma: number;
  /** Step size α (S&B §6.1, eq. 6.2); S&B's tabular examples use 0.1. */
  learningRate: number;
  /** Exponent ω of the visit-count step size α / n(s, a)^ω; 0 keeps α constant, ω ∈ (1/2, 1] meets the Robbins–Monro conditions (S&B eq. 2.7; Even-Dar & Mansour 2003). */
  learningRateExponent: number;
  /** ε of the first episode; 1 explores uniformly at first (CleanRL's start_e). */
  epsilonStart: number;
  /** ε once annealing ends (CleanRL's end_e = 0.05). */
  epsilonEnd: number;
  /** Fraction of `totalEpisodes` over which ε anneals from `epsilonStart` to `epsilonEnd` (CleanRL's exploration_fraction = 0.5). */
  explorationFraction: number;
  /** Shape of the ε annealing: straight line, or geometric with a constant per-episode factor. */
  epsilonDecay: 'linear' | 'exponential';
  /** Initial Q(s, a) for every pair; a value above any return explores optimistically (S&B §2.6). */
  initialValue: number;
}

/**
 * Defaults of {@link TabularConfig}.
 *
 * @example
 * ```ts
 * defaultTabularConfig.gamma; // 0.99
 * ```
 */
export const defaultTabularConfig: Readonly<TabularConfig> = Object.freeze({
  seed: 1,
  totalEpisodes: 10_000,
  gamma: 0.99,
  learningRate: 0.1,
  learningRateExponent: 0,
  epsilonStart: 1,
  epsilonEnd: 0.05,
  explorationFraction: 0.5,
  epsilonDecay: 'linear',
  initialValue: 0,
});

/**
 * Fills in defaults and validates; errors name the config and the field.
 *
 * @example
 * ```ts
 * resolveTabularConfig('SarsaConfig', { gamma: 1 }).learningRate; // 0.1
 * try {
 *   resolveTabularConfig('SarsaConfig', { gamma: 2 });
 * } catch (error) {
 *   console.log((error as Error).message); // SarsaConfig.gamma must be a number in [0, 1], got 2
 * }
 * ```
 */
export function resolveTabularConfig(configName: string, overrides: Partial<TabularConfig>): TabularConfig {
  const args = mergeConfig(configName, defaultTabularConfig as TabularConfig, overrides);
  checkInteger(configName, 'seed', args.seed, 0);
  checkInteger(configName, 'totalEpisodes', args.totalEpisodes, 1);
  checkRange(configName, 'gamma', args.gamma, 0, 1);
  checkRange(configName, 'learningRate', args.learningRate, 0, 1, true);
  checkRange(configName, 'learningRateExponent', args.learningRateExponent, 0, 1);
  checkRange(configName, 'epsilonStart', args.epsilonStart, 0, 1);
  checkRange(configName, 'epsilonEnd', args.epsilonEnd, 0, 1);
  checkRange(configName, 'explorationFraction', args.explorationFraction, 0, 1);
  checkChoice(configName, 'epsilonDecay', args.epsilonDecay, ['linear', 'exponential']);
  if (args.epsilonDecay === 'exponential' && !(args.epsilonStart > 0 && args.epsilonEnd > 0)) {
    throw new RangeError(`${configName}.epsilonEnd must be > 0 with epsilonDecay 'exponential', got epsilonStart=${args.epsilonStart}, epsilonEnd=${args.epsilonEnd}`);
  }
  if (typeof args.initialValue !== 'number' || !Number.isFinite(args.initialValue)) {
    throw new RangeError(`${configName}.initialValue must be a finite number, got ${String(args.initialValue)}`);
  }
  return args;
}

/**
 * ε as a function of the episode index, derived once from the config.
 *
 * @example
 * ```ts
 * const epsilonAt = explorationSchedule(resolveTabularConfig('QLearningConfig', { totalEpisodes: 100 }));
 * epsilonAt(0);  // 1
 * epsilonAt(50); // 0.05
 * ```
 */
export function explorationSchedule(args: TabularConfig): Schedule {
  const duration = Math.round(args.explorationFraction * args.totalEpisodes);
  return args.epsilonDecay === 'linear'
    ? linearSchedule(args.epsilonStart, args.epsilonEnd, duration)
    : exponentialSchedule(args.epsilonStart, args.epsilonEnd, duration);
}

/**
 * Counts visits of each (s, a) and returns the step size for the next
 * update of that pair: α / n(s, a)^ω (α itself when ω = 0).
 *
 * @example
 * ```ts
 * const stepSize = visitCountStepSize(args, q);
 * const alpha = stepSize(state, action); // counts this visit too
 * ```
 */
export function visitCountStepSize(args: TabularConfig, q: QTable): (state: number, action: number) => number {
  if (args.learningRateExponent === 0) return () => args.learningRate;
  const visits = new Float64Array(q.numStates * q.numActions); // shape [numStates, numActions]
  return (state, action) => {
    const count = ++visits[state * q.numActions + action];
    return args.learningRate / Math.pow(count, args.learningRateExponent);
  };
}
