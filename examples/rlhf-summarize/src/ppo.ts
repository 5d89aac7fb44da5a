// Stage 3, PPO against the reward model (Stiennon et al. 2020 §3.4 "Human feedback policies"): the
// policy starts as the SFT model and maximises R(x, y) = r(x, y) − β·log[π(y|x) / π_SFT(y|x)]
// (their eq. 2), with the SFT model as the frozen reference, a value function initialised from the
// reward model, and β adapted towards a target KL (Ziegler et al. 2019 §2.2) (@attune/rlhf
// trainPPOLM). Writes `ppo/final/` in Hugging Face layout and before/after summaries.

import { latestCheckpoint } from '@attune/nn';
import { Generator } from '@attune/tensor';
import { loadPretrained, savePretrained, type GPT, type Tokenizer } from '@attune/transformer';
import { loadRewardModel, scoreSequences, type RewardModel } from '@attune/reward-model';
import { trainPPOLM } from '@attune/rlhf';
import { loadRLPrompts } from './data.js';
import { sampleSummaries } from './samples.js';
import { checkpointStep, type StageContext, type StageOutcome } from './stage.js';

/**
 * One PPO step in the report.
 *
 * @example
 * ```ts
 * const row: PPOHistoryRow = { step: 1, reward: 0.1, kl: 0.02, klCoef: 0.05, responseLength: 30 };
 * ```
 */
export interface PPOHistoryRow {
  step: number;
  /** Mean normalised reward-model score of the step's summaries (after the missing-EOS penalty). */
  reward: number;
  /** Mean KL(π ‖ π_SFT) per summary, nats. */
  kl: number;
  /** β used for the step. */
  klCoef: number;
  /** Mean summary length in tokens. */
  responseLength: number;
}

/**
 * A prompt with the SFT and the PPO policy's greedy summaries and their normalised rewards.
 *
 * @example
 * ```ts
 * const sample: SummarySample = { prompt: '…TL;DR:', before: ' my cat', beforeReward: -0.2, after: ' my cat is sad', afterReward: 0.9 };
 * ```
 */
export interface SummarySample {
  prompt: string;
  before: string;
  beforeReward: number;
  after: string;
  afterReward: number;
}

/**
 * What `ppo/done.json` holds.
 *
 * @example
 * ```ts
 * const ppo = await run.readDone<PPOSummary>('ppo');
 * ```
 */
export interface PPOSummary {
  steps: number;
  prompts: number;
  history: PPOHistoryRow[];
  samples: SummarySample[];
}

/** Greedy summaries of `prompts` by `policy`, scored by `rewardModel` (normalised). */
async function greedySummaries(policy: GPT, rewardModel: RewardModel, prompts: number[][], tokenizer: Tokenizer, maxNewTokens: number): Promise<{ texts: string[]; rewards: Float32Array }> {
  const eos = tokenizer.eosTokenId as number;
  const summaries = await sampleSummaries(policy, prompts, { maxNewTokens, eosTokenId: eos, doSample: false, generator: new Generator(0) });
  const rewards = await scoreSequences(rewardModel, prompts.map((prompt, i) => [...prompt, ...summaries[i]]), { padTokenId: tokenizer.padTokenId ?? eos, normalized: true });
  return { texts: summaries.map((s) => tokenizer.decode(s, { skipSpecialTokens: true })), rewards };
}

/**
 * Runs (or resumes) the PPO stage; see the file comment. Needs `sft/final/` and `rm/final/`.
 *
 * @example
 * ```ts
 * const outcome = await runPPOStage({ options, run, tokenizer });
 * ```
 */
export async function runPPOStage({ options, run, tokenizer, stopAfterSteps }: StageContext): Promise<StageOutcome> {
  const started = performance.now();
  const dir = await run.begin('ppo');
  const eos = tokenizer.eosTokenId as number;

  // 1. Models: π and π_SFT from the SFT checkpoint, V from the reward model, and the frozen reward model.
  const { model: policy } = await loadPretrained(run.finalDir('sft'), { dropout: options.dropout });
  const { model: reference } = await loadPretrained(run.finalDir('sft'), { dropout: options.dropout });
  const valueModel = await loadRewardModel(run.finalDir('rm'), { dropout: options.dropout });
  const rewardModel = await loadRewardModel(run.finalDir('rm'), { dropout: options.dropout });
  rewardModel.eval();
  const prompts = await loadRLPrompts(options, tokenizer, policy.config.blockSize - options.maxNewTokens);

  // 2. Resume from the newest checkpoint (metrics after it are redone). `stopAfterSteps` ends this
  // call early, after a checkpoint (trainPPOLM saves after its last iteration).
  const resumedFrom = await latestCheckpoint(dir);
  const resumedStep = checkpointStep(resumedFrom);
  await run.truncateMetrics('ppo', resumedStep);
  if (resumedFrom !== null) run.print(`[ppo] resuming from ${resumedFrom}`);
  const iterations = stopAfterSteps === undefined ? options.ppoIterations : Math.min(options.ppoIterations, resumedStep + stopAfterSteps);

  // 3. Train (@attune/rlhf trainPPOLM; every other detail is its TRL default).
  const progress = run.progress('ppo', options.ppoIterations);
  const { trainer, history } = await trainPPOLM({
    policy,
    reference,
    valueModel,
    score: rewardModel,
    prompts,
    iterations,
    batchSize: options.ppoBatchSize,
    checkpointDir: dir,
    checkpointEvery: options.checkpointEvery,
    config: {
      seed: options.seed,
      maxNewTokens: options.maxNewTokens,
      temperature: options.temperature,
      eosTokenId: eos,
      ppoEpochs: options.ppoEpochs,
      miniBatchSize: options.ppoMiniBatchSize,
      lr: options.ppoLr,
      initKlCoef: options.initKlCoef,
      target: options.targetKl,
      missingEosPenalty: options.missingEosPenalty,
    },
    onStep: async (s) => {
      progress.update(s.step, { reward: s.score, kl: s.kl, beta: s.klCoef });
      await run.log({
        stage: 'ppo', step: s.step,
        'charts/reward': s.score, 'charts/raw_score': s.rawScore, 'charts/kl': s.kl, 'charts/kl_coef': s.klCoef, 'charts/entropy': s.entropy,
        'charts/response_length': s.responseLength, 'charts/missing_eos': s.missingEosFraction, 'charts/clip_fraction': s.clipFraction, 'charts/approx_kl': s.approxKl,
        'losses/policy': s.policyLoss, 'losses/value': s.valueLoss,
      });
    },
  });
  const outcome: StageOutcome = {
    stage: 'ppo',
    status: trainer.globalStep < options.ppoIterations ? 'stopped' : 'finished',
    resumedFromStep: resumedFrom === null ? null : resumedStep,
    stepsThisRun: history.length,
    totalSteps: options.ppoIterations,
    seconds: 0,
  };

  // 4. Finished: the policy in Hugging Face layout, before/after summaries, then done.json.
  if (outcome.status === 'finished') {
    await savePretrained(policy, run.finalDir('ppo'), { tokenizer });
    const shown = prompts.slice(0, options.numSamples);
    const before = await greedySummaries(reference, rewardModel, shown, tokenizer, options.maxNewTokens);
    const after = await greedySummaries(policy, rewardModel, shown, tokenizer, options.maxNewTokens);
    const rows = (await run.readMetrics()).filter((r) => r.stage === 'ppo');
    const summary: PPOSummary = {
      steps: trainer.globalStep,
      prompts: prompts.length,
      history: rows.map((r) => ({ step: r.step, reward: Number(r['charts/reward']), kl: Number(r['charts/kl']), klCoef: Number(r['charts/kl_coef']), responseLength: Number(r['charts/response_length']) })),
      samples: shown.map((prompt, i) => ({
        prompt: tokenizer.decode(prompt, { skipSpecialTokens: true }),
        before: before.texts[i],
        beforeReward: before.rewards[i],
        after: after.texts[i],
        afterReward: after.rewards[i],
      })),
    };
    await run.finish('ppo', summary);
  }
  trainer.policyOptimizer.dispose(); // the Adam moments; the checkpoint holds them for a resume
  trainer.valueOptimizer.dispose();
  for (const m of [policy, reference, valueModel, rewardModel]) m.dispose();
  outcome.seconds = (performance.now() - started) / 1000;
  return outcome;
}
