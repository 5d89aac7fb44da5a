// Stage 2, the reward model (Stiennon et al. 2020 §3.4 "Reward models"): the SFT model with its LM
// head replaced by a scalar head, trained on the human comparisons with loss
// −log σ(r(x, y_chosen) − r(x, y_rejected)) (their eq. 1; @attune/reward-model trainRewardModel),
// evaluated on held-out comparisons, then normalised so that summaries sampled from the SFT policy
// score mean 0, std 1 before RL (Ziegler et al. 2019 §2.2; Stiennon et al. 2020 §3.4). Writes
// `rm/final/` (GPT2ForSequenceClassification layout, gain/bias in config.json).

import { latestCheckpoint } from '@attune/nn';
import { Generator } from '@attune/tensor';
import { loadPretrained } from '@attune/transformer';
import { evaluateRewardModel, rewardModelFromPretrained, saveRewardModel, scoreSequences, setRewardNormalization, trainRewardModel, type PreferenceRecord } from '@attune/reward-model';
import { fitPreference, fitPrompt, loadRLPrompts, readComparisonFile, readSFTFile, splitHeldOut } from './data.js';
import { sampleSummaries } from './samples.js';
import { checkpointStep, type StageContext, type StageOutcome } from './stage.js';

/**
 * What `rm/done.json` holds.
 *
 * @example
 * ```ts
 * const rm = await run.readDone<RewardSummary>('rm');
 * console.log(rm?.heldOutAccuracy);
 * ```
 */
export interface RewardSummary {
  steps: number;
  trainComparisons: number;
  heldOutComparisons: number;
  /** Comparisons left out because a summary alone does not fit the context. */
  droppedComparisons: number;
  /** Fraction of held-out comparisons where the chosen summary scores higher; null without held-out comparisons. */
  heldOutAccuracy: number | null;
  /** Mean Bradley–Terry loss on the held-out comparisons; null without them. */
  heldOutLoss: number | null;
  /** Mean normalised reward of the SFT file's reference summaries (Stiennon et al. 2020 §3.4 instead shift these to mean 0). */
  referenceRewardMean: number;
  /** Normalisation r = gain·raw + bias, from `normalizationSamples` SFT summaries. */
  gain: number;
  bias: number;
  normalizationSamples: number;
}

/** Fits every record into `maxLength` tokens; the ones that cannot fit are counted, not kept. */
function fitAll(records: readonly PreferenceRecord[], maxLength: number): { kept: PreferenceRecord[]; dropped: number } {
  const kept: PreferenceRecord[] = [];
  for (const record of records) {
    const fitted = fitPreference(record, maxLength);
    if (fitted !== null) kept.push(fitted);
  }
  return { kept, dropped: records.length - kept.length };
}

/**
 * Runs (or resumes) the reward-model stage; see the file comment. Needs `sft/final/`.
 *
 * @example
 * ```ts
 * const outcome = await runRewardStage({ options, run, tokenizer });
 * ```
 */
export async function runRewardStage({ options, run, tokenizer, stopAfterSteps }: StageContext): Promise<StageOutcome> {
  const started = performance.now();
  const dir = await run.begin('rm');
  const eos = tokenizer.eosTokenId as number;
  const padTokenId = tokenizer.padTokenId ?? eos;

  // 1. The reward model: the SFT trunk and a fresh scalar head (N(0, 1/(C + 1)), lm-human-preferences).
  const { model } = await rewardModelFromPretrained(run.finalDir('sft'), { dropout: options.dropout, generator: new Generator(`${options.seed}:reward head`) });
  const T = model.config.blockSize;

  // 2. Comparisons: the held-out file, or a seeded held-out part of the training file.
  const all = await readComparisonFile(options.comparisons, tokenizer);
  const split = options.evalComparisons === null
    ? splitHeldOut(all, options.heldOutFraction, `${options.seed}:rm held-out`)
    : { train: all, heldOut: await readComparisonFile(options.evalComparisons, tokenizer) };
  const train = fitAll(split.train, T);
  const heldOut = fitAll(split.heldOut, T);
  if (train.kept.length === 0) throw new RangeError(`${options.comparisons}: none of the ${split.train.length} training comparisons fits the model's ${T} tokens of context`);

  // 3. Resume from the newest checkpoint. Metrics after it (all of them on a fresh start) are redone.
  const resumedFrom = await latestCheckpoint(dir);
  const resumedStep = checkpointStep(resumedFrom);
  await run.truncateMetrics('rm', resumedStep);
  if (resumedFrom !== null) run.print(`[rm] resuming from ${resumedFrom}`);

  // 4. Train: Bradley–Terry loss, AdamW, cosine LR, clipping (@attune/reward-model trainRewardModel).
  let progress: ReturnType<typeof run.progress> | null = null;
  const result = await trainRewardModel(
    model,
    { train: train.kept, eval: heldOut.kept.length > 0 ? heldOut.kept : undefined },
    { seed: options.seed, numEpochs: options.rmEpochs, batchSize: options.rmBatchSize, learningRate: options.rmLr, padTokenId },
    {
      onStep: async (s) => {
        progress ??= run.progress('rm', s.totalSteps);
        progress.update(s.step, { loss: s.loss, accuracy: s.accuracy });
        await run.log({ stage: 'rm', step: s.step, 'losses/reward': s.loss, 'charts/accuracy': s.accuracy, 'charts/margin': s.meanMargin, 'charts/learning_rate': s.learningRate, 'charts/grad_norm': s.gradNorm });
      },
      onEval: (e) => run.log({ stage: 'rm', step: e.step, 'charts/held_out_accuracy': e.accuracy, 'losses/held_out_reward': e.loss, 'charts/held_out_ece': e.ece }),
      checkpointDir: dir,
      checkpointEvery: options.checkpointEvery,
      resume: true,
      stopAfterSteps,
    },
  );
  const outcome: StageOutcome = {
    stage: 'rm',
    status: result.globalStep < result.totalSteps ? 'stopped' : 'finished',
    resumedFromStep: resumedFrom === null ? null : resumedStep,
    stepsThisRun: result.globalStep - resumedStep,
    totalSteps: result.totalSteps,
    seconds: 0,
  };
  if (outcome.status === 'stopped') {
    model.dispose();
    outcome.seconds = (performance.now() - started) / 1000;
    return outcome;
  }

  // 5. Held-out accuracy (the trainer evaluates after its last step; a resume past it did not).
  const evaluation = heldOut.kept.length === 0 ? null : (result.lastEval ?? (await evaluateRewardModel(model, heldOut.kept, { padTokenId })));

  // 6. Normalise on summaries sampled from the SFT policy: mean 0, std 1 (Ziegler et al. 2019 §2.2).
  const { model: sft } = await loadPretrained(run.finalDir('sft'), { dropout: options.dropout });
  const prompts = await loadRLPrompts(options, tokenizer, T - options.maxNewTokens);
  const samplePrompts = Array.from({ length: options.normalizeSamples }, (_, i) => prompts[i % prompts.length]);
  const summaries = await sampleSummaries(sft, samplePrompts, {
    maxNewTokens: options.maxNewTokens,
    eosTokenId: eos,
    temperature: options.temperature,
    generator: new Generator(`${options.seed}:normalization samples`),
  });
  sft.dispose();
  const raw = await scoreSequences(model, samplePrompts.map((prompt, i) => [...prompt, ...summaries[i]]), { padTokenId });
  const { gain, bias } = setRewardNormalization(model, raw);
  // The human reference summaries under the normalised reward: where SFT samples sit relative to them.
  const references = (await readSFTFile(options.sft, tokenizer, options.normalizeSamples))
    .filter((e) => e.completion.length < T)
    .map((e) => [...fitPrompt(e.prompt, T - e.completion.length), ...e.completion]);
  const referenceRewards = await scoreSequences(model, references, { padTokenId, normalized: true });
  const referenceRewardMean = referenceRewards.reduce((a, r) => a + r, 0) / Math.max(1, referenceRewards.length);
  run.print(`[rm] held-out accuracy ${evaluation === null ? '-' : `${(evaluation.accuracy * 100).toFixed(1)}% on ${evaluation.numComparisons} comparisons`}; reward normalised on ${raw.length} SFT samples (gain ${gain.toPrecision(4)}, bias ${bias.toPrecision(4)})`);

  // 7. Finished: the reward model, then done.json.
  await saveRewardModel(run.finalDir('rm'), model, { tokenizer });
  model.dispose();
  const summary: RewardSummary = {
    steps: result.globalStep,
    trainComparisons: train.kept.length,
    heldOutComparisons: heldOut.kept.length,
    droppedComparisons: train.dropped + heldOut.dropped,
    heldOutAccuracy: evaluation?.accuracy ?? null,
    heldOutLoss: evaluation?.loss ?? null,
    referenceRewardMean,
    gain,
    bias,
    normalizationSamples: raw.length,
  };
  await run.finish('rm', summary);
  outcome.seconds = (performance.now() - started) / 1000;
  return outcome;
}
