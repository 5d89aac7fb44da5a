// Stage 1, supervised fine-tuning (Stiennon et al. 2020 §3.3 "we fine-tune … via supervised
// learning to predict the summaries in our filtered TL;DR dataset"): the pretrained GPT-2 learns to
// continue `…TL;DR:` with the reference summary and EOS, the loss on summary tokens only
// (@attune/rlhf trainSFT). Writes `sft/final/` in Hugging Face layout (it loads in `transformers`).

import { latestCheckpoint } from '@attune/nn';
import { packSequences, loadPretrained, savePretrained } from '@attune/transformer';
import { sftSequences, trainSFT } from '@attune/rlhf';
import { readSFTFile, splitHeldOut } from './data.js';
import { checkpointStep, type StageContext, type StageOutcome } from './stage.js';

/**
 * What `sft/done.json` holds.
 *
 * @example
 * ```ts
 * const sft = await run.readDone<SFTSummary>('sft');
 * ```
 */
export interface SFTSummary {
  steps: number;
  /** The last step's training loss (nats per summary token); null when this call took no step. */
  loss: number | null;
  /** Loss on the held-out examples after the last step; null without held-out examples. */
  validationLoss: number | null;
  trainExamples: number;
  validationExamples: number;
}

/**
 * Runs (or resumes) the SFT stage; see the file comment.
 *
 * @example
 * ```ts
 * const outcome = await runSFTStage({ options, run, tokenizer });
 * ```
 */
export async function runSFTStage({ options, run, tokenizer, stopAfterSteps }: StageContext): Promise<StageOutcome> {
  const started = performance.now();
  const dir = await run.begin('sft');

  // 1. The pretrained model and the demonstrations (`…TL;DR:` → ` summary<EOS>`), a seeded held-out part.
  const { model } = await loadPretrained(options.model, { dropout: options.dropout });
  const examples = await readSFTFile(options.sft, tokenizer);
  const split = splitHeldOut(examples, options.heldOutFraction, `${options.seed}:sft held-out`);
  // Held-out examples give a validation loss when they fill at least one row of blockSize tokens.
  const validation = split.heldOut.length > 0 && packSequences(sftSequences(split.heldOut), model.config.blockSize).rows > 0 ? split.heldOut : [];

  // 2. Resume from the newest checkpoint. Metrics after it (all of them on a fresh start) are redone.
  const resumedFrom = await latestCheckpoint(dir);
  const resumedStep = checkpointStep(resumedFrom);
  await run.truncateMetrics('sft', resumedStep);
  if (resumedFrom !== null) run.print(`[sft] resuming from ${resumedFrom}`);

  // 3. Train: AdamW, cosine LR, clipping, packing (@attune/rlhf trainSFT), checkpoints in `sft/`.
  let progress: ReturnType<typeof run.progress> | null = null;
  const result = await trainSFT(
    model,
    { train: split.train, validation },
    {
      seed: options.seed,
      numEpochs: options.sftEpochs,
      maxSteps: options.sftMaxSteps,
      batchSize: options.sftBatchSize,
      gradientAccumulationSteps: options.sftGradientAccumulation,
      learningRate: options.sftLr,
    },
    {
      onStep: async (m) => {
        progress ??= run.progress('sft', m.totalSteps);
        progress.update(m.step, { loss: m.loss });
        await run.log({ stage: 'sft', step: m.step, 'losses/sft': m.loss, 'charts/learning_rate': m.learningRate, 'charts/grad_norm': m.gradNorm, 'charts/tokens': m.tokens });
      },
      onEval: (m) => run.log({ stage: 'sft', step: m.step, 'losses/sft_validation': m.validationLoss }),
      checkpointDir: dir,
      checkpointEvery: options.checkpointEvery,
      resume: true,
      stopAfterSteps,
    },
  );
  const outcome: StageOutcome = {
    stage: 'sft',
    status: result.step < result.totalSteps ? 'stopped' : 'finished',
    resumedFromStep: resumedFrom === null ? null : resumedStep,
    stepsThisRun: result.stepsThisCall,
    totalSteps: result.totalSteps,
    seconds: (performance.now() - started) / 1000,
  };

  // 4. Finished: the fine-tuned model in Hugging Face layout, then done.json.
  if (outcome.status === 'finished') {
    await savePretrained(model, run.finalDir('sft'), { tokenizer });
    const summary: SFTSummary = {
      steps: result.step,
      loss: Number.isNaN(result.loss) ? null : result.loss,
      validationLoss: Number.isNaN(result.validationLoss) ? null : result.validationLoss,
      trainExamples: split.train.length,
      validationExamples: validation.length,
    };
    await run.finish('sft', summary);
  }
  model.dispose();
  return outcome;
}
