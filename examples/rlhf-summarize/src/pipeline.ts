// The recipe as one function, in execution order: options → backend and seed → tokenizer → SFT →
// reward model → PPO → report. A stage whose `done.json` exists is skipped; an unfinished one
// resumes from its newest checkpoint; a stage stopped early (`stopAfterSteps`) ends the call.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeReport as writeHtmlReport } from '@attune/report';
import { manualSeed, useBackend } from '@attune/tensor';
import { loadTokenizer } from '@attune/transformer';
import { resolveOptions, STAGES, type StageName, type SummarizeInput, type SummarizeOptions } from './options.js';
import { runPPOStage } from './ppo.js';
import { writeReport } from './report.js';
import { runRewardStage } from './reward.js';
import { RunDir, writeJsonAtomic } from './run-dir.js';
import { runSFTStage } from './sft.js';
import type { StageContext, StageOutcome } from './stage.js';

/**
 * Hooks of {@link runSummarize} for tests and pre-emptible jobs.
 *
 * @example
 * ```ts
 * const hooks: SummarizeHooks = { stopAfterSteps: { sft: 2 } }; // as if killed after SFT step 2
 * ```
 */
export interface SummarizeHooks {
  /** Stop a stage after this many optimizer steps in this call, leaving a checkpoint; later stages do not run. */
  stopAfterSteps?: Partial<Record<StageName, number>>;
}

/**
 * What {@link runSummarize} resolves with.
 *
 * @example
 * ```ts
 * const { stages } = await runSummarize(input);
 * stages.sft.status; // 'finished' | 'skipped' | 'stopped' | 'not-run'
 * ```
 */
export interface SummarizeResult {
  options: SummarizeOptions;
  /** The backend line (which one was chosen and why). */
  backend: string;
  /** One outcome per requested stage. */
  stages: Partial<Record<StageName, StageOutcome>>;
  /** `<out>/report.md`. */
  reportPath: string;
}

const RUNNERS: Record<StageName, (context: StageContext) => Promise<StageOutcome>> = { sft: runSFTStage, rm: runRewardStage, ppo: runPPOStage };

/**
 * Runs the requested stages of SFT → reward model → PPO into `input.out` (see the file comment).
 *
 * @example
 * ```ts
 * const result = await runSummarize({ model: 'gpt2', sft: 'tldr-sft.jsonl', comparisons: 'comparisons.jsonl', out: 'runs/tldr' });
 * console.log(result.reportPath);
 * ```
 */
export async function runSummarize(input: SummarizeInput, hooks: SummarizeHooks = {}): Promise<SummarizeResult> {
  // 1. Options, backend, seed.
  const options = resolveOptions(input);
  const run = new RunDir(options.out, { quiet: options.quiet, keepCheckpoints: options.keepCheckpoints });
  const { message: backend } = await useBackend(options.backend);
  manualSeed(options.seed); // the global generator: dropout masks, when dropout > 0
  run.print(`[rlhf-summarize] ${backend}; stages ${options.stages.join(', ')} into ${options.out}`);
  await mkdir(options.out, { recursive: true });
  await writeJsonAtomic(join(options.out, 'config.json'), { recipe: 'rlhf-summarize', ...options });

  // 2. The tokenizer of the checkpoint: every stage's model shares it.
  const tokenizer = await loadTokenizer(options.model);
  if (tokenizer === null) throw new Error(`--model ${options.model}: no tokenizer.json or vocab.json + merges.txt in the directory`);
  if (tokenizer.eosTokenId === null) throw new Error(`--model ${options.model}: the tokenizer has no EOS token (<|endoftext|>); summaries must end with one`);

  // 3. The stages, in order.
  const stages: SummarizeResult['stages'] = {};
  let stopped = false;
  for (const stage of options.stages) {
    if (stopped) {
      stages[stage] = { stage, status: 'not-run', resumedFromStep: null, stepsThisRun: 0, totalSteps: 0, seconds: 0 };
      continue;
    }
    const done = await run.readDone<{ steps: number }>(stage);
    if (done !== null) {
      run.print(`[${stage}] finished earlier (${run.stageDir(stage)}/done.json): skipped`);
      stages[stage] = { stage, status: 'skipped', resumedFromStep: null, stepsThisRun: 0, totalSteps: done.steps, seconds: 0 };
      continue;
    }
    for (const earlier of STAGES.slice(0, STAGES.indexOf(stage))) {
      if ((await run.readDone(earlier)) === null) throw new Error(`stage ${stage} needs stage ${earlier} finished first (${run.stageDir(earlier)}/done.json is missing): add it to --stages`);
    }
    const outcome = await RUNNERS[stage]({ options, run, tokenizer, stopAfterSteps: hooks.stopAfterSteps?.[stage] });
    stages[stage] = outcome;
    run.print(`[${stage}] ${outcome.status} after ${outcome.stepsThisRun} steps this run (${outcome.seconds.toFixed(1)} s)${outcome.resumedFromStep === null ? '' : `, resumed from step ${outcome.resumedFromStep}`}`);
    stopped = outcome.status === 'stopped';
  }

  // 4. The report of whatever is finished.
  const reportPath = await writeReport(run, options);
  const htmlPath = await writeHtmlReport(run.out, { title: 'RLHF summarize recipe' });
  run.print(`[rlhf-summarize] report: ${reportPath} and ${htmlPath}`);
  return { options, backend, stages, reportPath };
}
