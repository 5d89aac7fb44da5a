// What every stage gets and reports: the resolved options, the run folder and the tokenizer, and an
// outcome saying whether the stage finished, was skipped (finished earlier) or stopped early, and
// where it resumed from.

import type { Tokenizer } from '@attune/transformer';
import type { StageName, SummarizeOptions } from './options.js';
import type { RunDir } from './run-dir.js';

/**
 * The inputs of a stage.
 *
 * @example
 * ```ts
 * const outcome = await runSFTStage({ options, run, tokenizer, stopAfterSteps: undefined });
 * ```
 */
export interface StageContext {
  options: SummarizeOptions;
  run: RunDir;
  /** The tokenizer of `options.model` (every stage's model shares it). */
  tokenizer: Tokenizer;
  /** Stop after this many optimizer steps in this call, leaving a checkpoint (as if the process were killed there). */
  stopAfterSteps?: number;
}

/**
 * How a stage went in this call.
 *
 * @example
 * ```ts
 * const outcome: StageOutcome = { stage: 'sft', status: 'finished', resumedFromStep: 2, stepsThisRun: 3, totalSteps: 5, seconds: 1.2 };
 * ```
 */
export interface StageOutcome {
  stage: StageName;
  /** 'finished': ran to its end now; 'skipped': `done.json` existed; 'stopped': `stopAfterSteps` ended it early; 'not-run': an earlier stage stopped. */
  status: 'finished' | 'skipped' | 'stopped' | 'not-run';
  /** The checkpoint step this call continued from, or null for a fresh start (or a skipped stage). */
  resumedFromStep: number | null;
  /** Optimizer steps taken in this call. */
  stepsThisRun: number;
  /** Optimizer steps of the whole stage. */
  totalSteps: number;
  /** Wall-clock seconds of this call. */
  seconds: number;
}

/**
 * The step of a `checkpoint-<step>` folder path, or 0 for null.
 *
 * @example
 * ```ts
 * checkpointStep('runs/x/sft/checkpoint-000000000020'); // 20
 * ```
 */
export function checkpointStep(path: string | null): number {
  if (path === null) return 0;
  const match = /checkpoint-(\d+)$/.exec(path);
  if (!match) throw new RangeError(`checkpointStep: expected a path ending in checkpoint-<step>, got ${path}`);
  return Number(match[1]);
}
