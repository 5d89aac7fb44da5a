/**
 * The boring pieces every deep-RL training loop here shares: how a run is driven (logger,
 * checkpoints, resume), what it returns, the record of finished episodes, and a seeded in-place
 * shuffle. The loops themselves stay one file each.
 */
import type { Generator } from '@attune/tensor';
import { latestCheckpoint } from '@attune/nn';
import type { MetricLogger } from './logger.js';

/**
 * How a training run is driven; every field is optional.
 *
 * @example
 * ```ts
 * const options: RunOptions = { logger: new JsonlLogger('runs/ppo/metrics.jsonl'), checkpointDir: 'runs/ppo', checkpointEvery: 50, resume: true };
 * ```
 */
export interface RunOptions {
  /** Receives the metrics (none by default). */
  logger?: MetricLogger;
  /** Directory for `checkpoint-<globalStep>/` checkpoints; none are written without it. */
  checkpointDir?: string;
  /** Write a checkpoint every this many iterations (updates), and always after the last; 0 = only after the last. */
  checkpointEvery?: number;
  /** Continue from a checkpoint: `true` = the newest under `checkpointDir`, a string = that checkpoint directory. */
  resume?: boolean | string;
  /** Stop after this many iterations in this call (a checkpoint is written first when `checkpointDir` is set); for tests and pre-emptible jobs. */
  stopAfterIterations?: number;
}

/**
 * Finished episodes in order: raw return, length and the global step at which each ended.
 *
 * @example
 * ```ts
 * const log: EpisodeLog = { returns: [], lengths: [], steps: [] };
 * ```
 */
export interface EpisodeLog {
  /** Undiscounted episodic returns. */
  returns: number[];
  /** Episode lengths. */
  lengths: number[];
  /** Global environment step at which each episode ended. */
  steps: number[];
}

/**
 * What a training function returns.
 *
 * @example
 * ```ts
 * const { agent, episodes, globalStep }: TrainingResult<ActorCritic> = await trainA2C({ totalTimesteps: 50_000 });
 * ```
 */
export interface TrainingResult<Agent> {
  /** The trained network (the caller disposes it). */
  agent: Agent;
  /** Every finished episode of the run, resumed parts included. */
  episodes: EpisodeLog;
  /** Environment steps taken, summed over envs. */
  globalStep: number;
  /** Updates (iterations) completed. */
  iterations: number;
  /** Steps per second over this call's part of the run (CleanRL's `charts/SPS`). */
  stepsPerSecond: number;
  /** The last checkpoint written, or null. */
  checkpoint: string | null;
}

/**
 * Mean of the last `window` returns (CleanRL-style "mean return over the last 100 episodes"), NaN
 * when there are none.
 *
 * @example
 * ```ts
 * const result = { episodes: { returns: [480, 495, 500, 500] } }; // e.g. a TrainingResult
 * recentMeanReturn(result.episodes.returns, 100); // 493.75
 * ```
 */
export function recentMeanReturn(returns: readonly number[], window = 100): number {
  if (returns.length === 0) return Number.NaN;
  const recent = returns.slice(-window);
  return recent.reduce((sum, value) => sum + value, 0) / recent.length;
}

/**
 * Shuffles `indices` in place (Fisher–Yates) with draws from `generator` — numpy's
 * `np.random.shuffle(b_inds)` in CleanRL.
 *
 * @example
 * ```ts
 * import { Generator } from '@attune/tensor';
 * const batchIndices = Int32Array.from({ length: 512 }, (_, i) => i);
 * shuffleInPlace(batchIndices, new Generator(0));
 * ```
 */
export function shuffleInPlace<T extends { length: number; [index: number]: number }>(indices: T, generator: Generator): T {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(generator.random() * (i + 1));
    const swap = indices[i];
    indices[i] = indices[j];
    indices[j] = swap;
  }
  return indices;
}

/**
 * The checkpoint directory `options.resume` names, or null for a fresh run.
 *
 * @example
 * ```ts
 * const from = await resumePath({ resume: true, checkpointDir: 'runs/ppo' }); // newest checkpoint or null
 * ```
 */
export async function resumePath(options: RunOptions): Promise<string | null> {
  if (options.resume === undefined || options.resume === false) return null;
  if (typeof options.resume === 'string') return options.resume;
  if (options.checkpointDir === undefined) throw new TypeError('RunOptions.resume: true needs checkpointDir to look for checkpoints in');
  return latestCheckpoint(options.checkpointDir);
}

/**
 * Whether to checkpoint after `iteration` (1-based) of `numIterations`, or because this call stops.
 *
 * @example
 * ```ts
 * const options: RunOptions = { checkpointDir: 'runs/a2c', checkpointEvery: 10 };
 * checkpointDue(options, 9, 100, 10);  // true: the 10th iteration
 * checkpointDue(options, 99, 100, 100); // true: always after the last
 * ```
 */
export function checkpointDue(options: RunOptions, iteration: number, numIterations: number, iterationsThisCall: number): boolean {
  if (options.checkpointDir === undefined) return false;
  const every = options.checkpointEvery ?? 0;
  const stopping = options.stopAfterIterations !== undefined && iterationsThisCall >= options.stopAfterIterations;
  return iteration === numIterations || stopping || (every > 0 && iteration % every === 0);
}
