/**
 * PPO for language models (Ziegler et al. 2019; Stiennon et al. 2020 §3.4; Ouyang et al. 2022 §3.5),
 * in the shape of TRL's `PPOTrainer` (v0.11). The environment is a bandit: a prompt is the
 * observation, the response the action, the score arrives at EOS and the episode ends. Each `step`
 * reads top to bottom in execution order:
 *
 *   1. rollout: sample responses from the policy; old log-probs, reference log-probs and values
 *      with one forward each (no gradients);
 *   2. score each response (a user function or a reward model);
 *   3. rewards: −β·KL(π ‖ π_ref) per token, the score on the last real token;
 *   4. advantages: GAE (γ = 1, λ = 0.95) over the response tokens, returns = Â + V, whitening;
 *   5. update: `ppoEpochs` passes over shuffled minibatches, clipped surrogate + vfCoef · clipped
 *      value loss − entropyCoef · entropy, gradient clipping, AdamW on policy and value model;
 *   6. adapt β with the batch's KL; report the diagnostics.
 *
 * Tensors stay on the models' backend during the update: every statistic is summed on the device
 * and read back once per step (plus once per epoch when `targetKl` asks for early stopping).
 */
import {
  add,
  abs,
  cat,
  indexSelect,
  keep,
  matmul,
  minimum,
  mul,
  narrow,
  noGrad,
  reciprocal,
  sqrt,
  square,
  stack,
  sub,
  tensor,
  tidy,
  dispose,
  Generator,
  type GeneratorState,
  type Tensor,
} from '@attune/tensor';
import { AdamW, loadCheckpoint, saveCheckpoint, type AnyModule, type OptimizerStateDict, type ParamStateInput } from '@attune/nn';
import {
  AdaptiveKlController,
  FixedKlController,
  clippedSurrogateLoss,
  explainedVariance,
  klEstimate,
  maskedMean,
  normalizeAdvantages,
  valueLoss,
  type KlController,
} from '@attune/ppo';
import { generate, positionIdsFromMask, type GPT } from '@attune/transformer';
import { entropyFromLogits, responseLogProbs } from '../logprobs.js';
import { resolvePPOLMConfig, type PPOLMConfig } from './config.js';
import { computeTokenRewards, maskedWhiten, responseAdvantages, shapeScores } from './rewards.js';

/**
 * Options of the forward passes of value and score models: left-padded batches need both.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * import { gptConfig, positionIdsFromMask } from '@attune/transformer';
 * import { RewardModel } from '@attune/reward-model';
 * const valueModel = new RewardModel(gptConfig('test'));
 * const sequences = tensor([[0, 5, 6, 7]], { dtype: 'int32' });
 * const attentionMask = tensor([[0, 1, 1, 1]], { dtype: 'int32' });
 * const options: PPOModelForwardOptions = { attentionMask, positionIds: positionIdsFromMask(attentionMask) };
 * const values = valueModel.forwardAll(sequences, options); // (B, P + N)
 * ```
 */
export interface PPOModelForwardOptions {
  /** (B, T) 1 for real tokens. */
  attentionMask?: Tensor | null;
  /** (B, T) int32 positions, `positionIdsFromMask(attentionMask)`. */
  positionIds?: Tensor | null;
}

/**
 * The value model: a module with `forwardAll(idx) → (B, T)`, one raw scalar per position. A
 * `RewardModel` of @attune/reward-model is one (TRL initialises the value model from the reward
 * model; Ouyang et al. 2022 §3.5).
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * import { RewardModel } from '@attune/reward-model';
 * const sft = new GPT(gptConfig('test'));
 * const valueModel: PPOValueModel = RewardModel.fromGPT(sft); // or a loaded reward model
 * ```
 */
export type PPOValueModel = AnyModule & { forwardAll(idx: Tensor, options?: PPOModelForwardOptions): Tensor };

/**
 * A scoring model: `forward(idx) → (B)`, the score of each sequence at its last real token (a
 * `RewardModel`, whose forward is normalised). Run without gradients, in eval mode.
 *
 * @example
 * ```ts
 * import { RewardModel, loadRewardModel, saveRewardModel } from '@attune/reward-model';
 * import { gptConfig } from '@attune/transformer';
 * await saveRewardModel('runs/rm', new RewardModel(gptConfig('test'))); // in practice a trained reward model
 * const score: PPOScoreModel = await loadRewardModel('runs/rm');
 * ```
 */
export interface PPOScoreModel {
  forward(idx: Tensor, options?: PPOModelForwardOptions): Tensor;
  readonly training?: boolean;
  train?(mode?: boolean): unknown;
}

/**
 * A batch of responses as a score function sees it.
 *
 * @example
 * ```ts
 * const score: PPOScoreFunction = (rollout) => Float32Array.from(rollout.responses, (r) => r.filter((t) => t === 3).length / r.length);
 * ```
 */
export interface PPORollout {
  /** The prompts, as given to `step`. */
  prompts: readonly (readonly number[])[];
  /** Each response's tokens up to and including EOS. */
  responses: number[][];
  /** Whether each response ended with EOS (false: cut at `maxNewTokens`). */
  endedWithEos: boolean[];
  /** (B, P + N) int32, prompts left-padded to P then the responses (owned by the trainer; do not dispose). */
  sequences: Tensor;
  /** (B, P + N) 1 for real tokens. */
  attentionMask: Tensor;
  /** (B, N) 1 for response tokens up to and including EOS. */
  responseMask: Tensor;
  /** P. */
  promptLength: number;
}

/**
 * A user-supplied score: one number per response (Float32Array or number[]), sync or async.
 *
 * @example
 * ```ts
 * const score: PPOScoreFunction = async (rollout) => rollout.responses.map((r) => r.length / 10);
 * ```
 */
export type PPOScoreFunction = (rollout: PPORollout) => Promise<ArrayLike<number>> | ArrayLike<number>;

/**
 * What {@link PPOTrainer} needs.
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * import { RewardModel } from '@attune/reward-model';
 * const sft = new GPT(gptConfig('test'));
 * const policy = new GPT(gptConfig('test'));
 * const valueModel = RewardModel.fromGPT(sft);
 * const rewardModel = new RewardModel(gptConfig('test'));
 * const options: PPOTrainerOptions = { policy, reference: sft, valueModel, score: rewardModel, config: { eosTokenId: 0 } };
 * new PPOTrainer(options);
 * ```
 */
export interface PPOTrainerOptions {
  /** π, trained (initialised from the SFT model). */
  policy: GPT;
  /** π_ref, the frozen SFT model the KL penalty is measured against (never updated). */
  reference: GPT;
  /** V, trained (initialised from the reward model). */
  valueModel: PPOValueModel;
  /** The score of a response: a function or a reward model. */
  score: PPOScoreFunction | PPOScoreModel;
  /** Hyperparameters; see {@link PPOLMConfig}. */
  config?: Partial<PPOLMConfig>;
  /** The trainer's draws (sampling, shuffling); defaults to `new Generator(config.seed)`. */
  generator?: Generator;
}

/**
 * The diagnostics of one `step` (TRL's metric in brackets). Sums "per sequence" are over its
 * response tokens; means are over the batch.
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * import { RewardModel } from '@attune/reward-model';
 * const sft = new GPT(gptConfig('test'));
 * const trainer = new PPOTrainer({
 *   policy: new GPT(gptConfig('test')), reference: sft, valueModel: RewardModel.fromGPT(sft),
 *   score: (rollout) => rollout.responses.map((r) => r.length), config: { maxNewTokens: 4, miniBatchSize: 2, ppoEpochs: 1 },
 * });
 * const stats: PPOStepStats = await trainer.step([[1, 2], [3, 4]]);
 * console.log(stats.score, stats.kl, stats.klCoef);
 * ```
 */
export interface PPOStepStats {
  /** Steps done, this one included. */
  step: number;
  /** Mean score added to the rewards, after clip and missing-EOS penalty (env/reward_mean). */
  score: number;
  /** Mean score as returned by the score function or model. */
  rawScore: number;
  /** Mean over sequences of Σ_t −β·KL_t (ppo/mean_non_score_reward, summed per sequence). */
  nonScoreReward: number;
  /** Mean over sequences of Σ_t r_t (the return of the bandit episode). */
  totalReward: number;
  /** Mean over sequences of Σ_t KL_t under `klEstimator` (objective/kl); the adaptive controller's input. */
  kl: number;
  /** β used for this batch's rewards (objective/kl_coef). */
  klCoef: number;
  /** Mean per-token entropy of the policy over the update's minibatches (ppo/policy/entropy). */
  entropy: number;
  /** Mean clipped surrogate loss (ppo/loss/policy). */
  policyLoss: number;
  /** Mean clipped value loss, before vfCoef (ppo/loss/value). */
  valueLoss: number;
  /** Fraction of tokens whose ratio left [1 − ε, 1 + ε] (ppo/policy/clipfrac). */
  clipFraction: number;
  /** Mean k3 estimate of KL(π_old ‖ π_θ) over the update (ppo/policy/approxkl). */
  approxKl: number;
  /** Fraction of tokens where the clipped value loss was the larger (ppo/val/clipfrac). */
  valueClipFraction: number;
  /** Mean (V − R)² over the update (ppo/val/error). */
  valueError: number;
  /** 1 − Var(R − V) / Var(R) of the rollout values over valid tokens (ppo/val/var_explained). */
  explainedVariance: number;
  /** Mean return R_t over valid tokens (ppo/returns/mean). */
  returnMean: number;
  /** Mean rollout value V_t over valid tokens (ppo/val/mean). */
  valueMean: number;
  /** Mean global gradient norm of the policy before clipping. */
  policyGradNorm: number;
  /** Mean global gradient norm of the value model before clipping. */
  valueGradNorm: number;
  /** Mean response length in tokens, EOS included (tokens/responses_len_mean). */
  responseLength: number;
  /** Fraction of responses without EOS. */
  missingEosFraction: number;
  /** Learning rate of the policy. */
  lr: number;
  /** PPO epochs run (fewer than ppoEpochs after an early stop on targetKl). */
  epochs: number;
  /** Wall time per phase in milliseconds (time/ppo/*). */
  time: { rollout: number; score: number; update: number; total: number };
}

/** Per-micro-batch statistics summed on the device, in this order. */
const UPDATE_STATS = ['policyLoss', 'valueLoss', 'entropy', 'clipFraction', 'approxKl', 'valueClipFraction', 'valueError'] as const;
const APPROX_KL = UPDATE_STATS.indexOf('approxKl');

/**
 * The PPO trainer for language models (see the file comment for the steps).
 *
 * @example
 * ```ts
 * import { ByteTokenizer, GPT, gptConfig } from '@attune/transformer';
 * import { RewardModel } from '@attune/reward-model';
 * const tokenizer = new ByteTokenizer({ eos: true });
 * const sft = new GPT(gptConfig('test', { vocabSize: tokenizer.vocabSize })); // in practice the SFT model
 * const policy = new GPT(gptConfig('test', { vocabSize: tokenizer.vocabSize }));
 * policy.loadStateDict(sft.stateDict());
 * const rewardModel = new RewardModel(gptConfig('test', { vocabSize: tokenizer.vocabSize })); // in practice a trained one
 * const trainer = new PPOTrainer({
 *   policy, reference: sft, valueModel: RewardModel.fromGPT(sft), score: rewardModel,
 *   config: { eosTokenId: tokenizer.eosTokenId, maxNewTokens: 4, lr: 1e-5, miniBatchSize: 2 },
 * });
 * const promptBatches = [[tokenizer.encode('Hi'), tokenizer.encode('Yo')]];
 * for (const batch of promptBatches) console.log(await trainer.step(batch));
 * ```
 */
export class PPOTrainer {
  readonly policy: GPT;
  readonly reference: GPT;
  readonly valueModel: PPOValueModel;
  readonly score: PPOScoreFunction | PPOScoreModel;
  readonly config: Readonly<PPOLMConfig>;
  readonly generator: Generator;
  readonly policyOptimizer: AdamW;
  readonly valueOptimizer: AdamW;
  readonly klController: KlController;
  /** Completed steps. */
  globalStep = 0;

  constructor(options: PPOTrainerOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError(`PPOTrainer: options must be an object, got ${String(options)}`);
    const { policy, reference, valueModel, score } = options;
    if (!isGPT(policy)) throw new TypeError(`PPOTrainer: policy must be a GPT, got ${describe(policy)}`);
    if (!isGPT(reference)) throw new TypeError(`PPOTrainer: reference must be a GPT, got ${describe(reference)}`);
    if (reference === policy) throw new Error('PPOTrainer: reference must be a separate frozen copy of the policy (the SFT model), got the policy itself');
    if (!valueModel || typeof (valueModel as Partial<PPOValueModel>).forwardAll !== 'function') {
      throw new TypeError(`PPOTrainer: valueModel must be a module with forwardAll(idx, options) → (B, T) (a RewardModel), got ${describe(valueModel)}`);
    }
    if (typeof score !== 'function' && (!score || typeof (score as Partial<PPOScoreModel>).forward !== 'function')) {
      throw new TypeError(`PPOTrainer: score must be a function (rollout) → scores or a model with forward(idx, options) → (B), got ${describe(score)}`);
    }
    if ((score as unknown) === valueModel) throw new Error('PPOTrainer: score must be a frozen reward model, not the value model being trained (pass a separate copy)');
    const config = resolvePPOLMConfig(options.config);
    const V = policy.config.vocabSize;
    if (config.eosTokenId !== null && config.eosTokenId >= V) throw new RangeError(`PPOLMConfig.eosTokenId must be < vocabSize ${V}, got ${config.eosTokenId}`);
    if (reference.config.vocabSize !== V) throw new RangeError(`PPOTrainer: reference vocabSize ${reference.config.vocabSize} differs from the policy's ${V}`);
    this.policy = policy;
    this.reference = reference;
    this.valueModel = valueModel;
    this.score = score;
    this.config = Object.freeze(config);
    this.generator = options.generator ?? new Generator(config.seed);
    const adam = { eps: config.adamEps, weightDecay: config.weightDecay };
    this.policyOptimizer = new AdamW(policy.parameters(), { lr: config.lr, ...adam });
    this.valueOptimizer = new AdamW(valueModel.parameters(), { lr: config.valueLr ?? config.lr, ...adam });
    // Ziegler et al. 2019 §2.2: a fixed β, or the adaptive controller steering KL towards `target`.
    this.klController = config.adaptiveKl
      ? new AdaptiveKlController({ initKlCoef: config.initKlCoef, target: config.target, horizon: config.horizon })
      : new FixedKlController(config.initKlCoef);
    reference.eval();
  }

  /**
   * One PPO iteration on a batch of prompts (token ids): rollout, score, rewards, advantages,
   * `ppoEpochs` of minibatch updates, β update. The batch size must be a multiple of `miniBatchSize`.
   *
   * @example
   * ```ts
   * const stats = await trainer.step([[5, 6], [7], [8, 9, 10]]);
   * ```
   */
  async step(prompts: readonly (readonly number[])[]): Promise<PPOStepStats> {
    const c = this.config;
    if (!Array.isArray(prompts) || prompts.length === 0) throw new RangeError(`PPOTrainer.step: prompts must be a non-empty array of token arrays, got ${describe(prompts)}`);
    if (prompts.length % c.miniBatchSize !== 0) {
      throw new RangeError(`PPOTrainer.step: the batch of ${prompts.length} prompts must be a multiple of PPOLMConfig.miniBatchSize (${c.miniBatchSize})`);
    }
    const owned: Tensor[] = []; // the step's batch tensors, freed however the step ends
    try {
      return await this.runStep(prompts, owned);
    } finally {
      dispose(owned);
      this.setTrainingMode(false);
    }
  }

  /** The body of `step`; every tensor it keeps across phases goes into `owned`. */
  private async runStep(prompts: readonly (readonly number[])[], owned: Tensor[]): Promise<PPOStepStats> {
    const c = this.config;
    const B = prompts.length;
    const started = performance.now();

    // 1. Rollout: sample a response per prompt from π (generate runs in eval mode, no gradients).
    const out = await generate(this.policy, prompts, {
      maxNewTokens: c.maxNewTokens,
      temperature: c.temperature,
      topK: 0, // sample from the full distribution so log-probs match the policy (Huang et al. 2022)
      topP: 1,
      eosTokenId: c.eosTokenId,
      generator: this.generator,
    });
    const P = out.promptLength;
    const N = out.sequences.shape[1] - P;
    out.responses.dispose();
    out.logProbs.dispose(); // recomputed below in the same forward as the update's (TRL)
    owned.push(out.sequences, out.attentionMask, out.responseMask);
    const lengths = Int32Array.from(out.tokens, (t) => t.length);
    const endedWithEos = out.tokens.map((t) => c.eosTokenId !== null && t[t.length - 1] === c.eosTokenId);
    const hostMask = new Float32Array(B * N);
    for (let b = 0; b < B; b++) hostMask.fill(1, b * N, b * N + lengths[b]);

    // Old log-probs (π_old), reference log-probs, KL per token and values V_t: one forward of each
    // model per chunk of `rolloutForwardBatchSize` rows, so the (rows, N, V) logits stay bounded.
    // The value of response token i is read at position P − 1 + i, the state that predicts it (TRL).
    this.setTrainingMode(false);
    const chunkSize = Math.min(c.rolloutForwardBatchSize ?? B, B);
    const chunks: { oldLogProbs: Tensor; kl: Tensor; values: Tensor }[] = [];
    for (let start = 0; start < B; start += chunkSize) {
      const rows = Math.min(chunkSize, B - start);
      chunks.push(
        noGrad(() =>
          tidy(() => {
            const sequences = narrow(out.sequences, 0, start, rows); // (rows, P + N)
            const attentionMask = narrow(out.attentionMask, 0, start, rows);
            const responseMask = narrow(out.responseMask, 0, start, rows); // (rows, N)
            const oldLogProbs = responseLogProbs(this.policy, sequences, attentionMask, P, { temperature: c.temperature }).logProbs; // (rows, N)
            const refLogProbs = responseLogProbs(this.reference, sequences, attentionMask, P, { temperature: c.temperature }).logProbs; // (rows, N)
            const kl = mul(klEstimate(sub(refLogProbs, oldLogProbs), c.klEstimator), responseMask); // (rows, N), KL(π ‖ π_ref) per token
            const allValues = this.valueModel.forwardAll(sequences, { attentionMask, positionIds: positionIdsFromMask(attentionMask) }); // (rows, P + N)
            const values = mul(narrow(allValues, 1, P - 1, N), responseMask); // (rows, N), 0 beyond the response (TRL)
            return { oldLogProbs, kl, values };
          }),
        ),
      );
    }
    const joined = (key: 'oldLogProbs' | 'kl' | 'values'): Tensor => (chunks.length === 1 ? chunks[0][key] : noGrad(() => cat(chunks.map((chunk) => chunk[key]), 0))); // (B, N)
    const rollout = { oldLogProbs: joined('oldLogProbs'), kl: joined('kl'), values: joined('values') };
    if (chunks.length > 1) dispose(chunks);
    owned.push(rollout.oldLogProbs, rollout.kl, rollout.values);
    const [klHost, valuesHost] = await Promise.all([rollout.kl.data(), rollout.values.data()]);
    const rolloutDone = performance.now();

    // 2. Score each response.
    const rawScores = await this.computeScores({
      prompts,
      responses: out.tokens,
      endedWithEos,
      sequences: out.sequences,
      attentionMask: out.attentionMask,
      responseMask: out.responseMask,
      promptLength: P,
    });
    const scores = shapeScores(rawScores, endedWithEos, c);
    const scoreDone = performance.now();

    // 3. Rewards: −β·KL per token, the score on the last real token (Ziegler et al. 2019 eq. 1).
    const klCoef = this.klController.value;
    const shaped = computeTokenRewards({ kl: klHost, scores, lengths, numTokens: N, klCoef });
    const validTokens = lengths.reduce((a, n) => a + n, 0);
    const rewards = c.whitenRewards && validTokens > 1 ? maskedWhiten(shaped.rewards, hostMask, false) : shaped.rewards;

    // 4. Advantages and returns: GAE over the response tokens, episode ends at the last real token.
    const { advantages, returns } = responseAdvantages({ rewards, values: valuesHost, lengths, numTokens: N, gamma: c.gamma, lam: c.lam });
    const backend = out.sequences.backend;
    const advantagesTensor = keep(
      noGrad(() =>
        tidy(() => {
          const raw = tensor(advantages, { shape: [B, N], backend });
          // Whiten over all valid tokens of the batch (TRL's masked_whiten in compute_advantages);
          // one token has no variance to divide by, so it stays as it is.
          return c.whitenAdvantages && validTokens > 1 ? normalizeAdvantages(raw, { mask: out.responseMask }) : raw;
        }),
      ),
    );
    const returnsTensor = tensor(returns, { shape: [B, N], backend });
    owned.push(advantagesTensor, returnsTensor);

    // 5. Update: ppoEpochs over shuffled minibatches.
    this.setTrainingMode(true);
    const update = await this.update({
      sequences: out.sequences,
      attentionMask: out.attentionMask,
      responseMask: out.responseMask,
      oldLogProbs: rollout.oldLogProbs,
      oldValues: rollout.values,
      advantages: advantagesTensor,
      returns: returnsTensor,
      promptLength: P,
    });
    this.setTrainingMode(false);
    const updateDone = performance.now();

    // 6. β from the batch's mean KL per sequence (Ziegler et al. 2019 §2.2; TRL updates once per step).
    const meanOverRows = (values: ArrayLike<number>): number => {
      let total = 0;
      for (let i = 0; i < values.length; i++) total += values[i];
      return total / B;
    };
    const kl = meanOverRows(klHost);
    this.klController.update(kl, B);
    this.globalStep++;

    // Values and returns of the valid tokens only, for the value diagnostics.
    const validValues = new Float32Array(validTokens);
    const validReturns = new Float32Array(validTokens);
    for (let i = 0, k = 0; i < hostMask.length; i++) {
      if (!hostMask[i]) continue;
      validValues[k] = valuesHost[i];
      validReturns[k++] = returns[i];
    }
    return {
      step: this.globalStep,
      score: meanOverRows(scores),
      rawScore: meanOverRows(rawScores),
      nonScoreReward: meanOverRows(shaped.nonScoreRewards),
      totalReward: meanOverRows(shaped.rewards),
      kl,
      klCoef,
      ...update.stats,
      explainedVariance: explainedVariance(validValues, validReturns),
      returnMean: validReturns.reduce((a, v) => a + v, 0) / validTokens,
      valueMean: validValues.reduce((a, v) => a + v, 0) / validTokens,
      responseLength: meanOverRows(lengths),
      missingEosFraction: endedWithEos.filter((e) => !e).length / B,
      lr: this.policyOptimizer.lr,
      epochs: update.epochs,
      time: { rollout: rolloutDone - started, score: scoreDone - rolloutDone, update: updateDone - scoreDone, total: updateDone - started },
    };
  }

  /**
   * Writes a checkpoint directory, atomically (@attune/nn `saveCheckpoint`): the policy as
   * `model.safetensors`, the value model and both AdamW states as extra tensor files, and in
   * `trainer_state.json` the step, the KL controller's β, the Generator's state and the optimizers'
   * step counts and hyperparameters. `resume` restores all of it, so training continues exactly.
   *
   * @example
   * ```ts
   * await trainer.save(`runs/ppo/${checkpointName(trainer.globalStep)}`);
   * ```
   */
  async save(dir: string): Promise<void> {
    if (typeof dir !== 'string' || dir === '') throw new TypeError(`PPOTrainer.save: dir must be a non-empty path, got ${describe(dir)}`);
    const policyOptimizer = splitOptimizerState(this.policyOptimizer);
    const valueOptimizer = splitOptimizerState(this.valueOptimizer);
    await saveCheckpoint(dir, {
      model: this.policy.stateDict(),
      config: { ...this.config },
      trainerState: {
        globalStep: this.globalStep,
        klController: this.klController.stateDict(),
        generator: this.generator.getState(),
        policyOptimizer: policyOptimizer.json,
        valueOptimizer: valueOptimizer.json,
        valueModelNormalization: normalizationOf(this.valueModel),
      },
      extraTensors: { value_model: this.valueModel.stateDict(), policy_optimizer: policyOptimizer.tensors, value_optimizer: valueOptimizer.tensors },
    });
  }

  /**
   * Restores a checkpoint written by `save` into this trainer (built with the same models' shapes):
   * policy and value weights, both optimizers, β, the Generator and the step count.
   *
   * @example
   * ```ts
   * const latest = await latestCheckpoint('runs/ppo');
   * if (latest) await trainer.resume(latest);
   * ```
   */
  async resume(dir: string): Promise<void> {
    const checkpoint = await loadCheckpoint(dir, ['value_model', 'policy_optimizer', 'value_optimizer']);
    try {
      const state = checkpoint.trainerState as {
        globalStep?: unknown;
        klController?: { value: number };
        generator?: GeneratorState;
        policyOptimizer?: OptimizerJson;
        valueOptimizer?: OptimizerJson;
        valueModelNormalization?: { gain: number; bias: number } | null;
      };
      if (typeof state.globalStep !== 'number' || !Number.isInteger(state.globalStep) || state.globalStep < 0) {
        throw new Error(`PPOTrainer.resume: ${dir}/trainer_state.json: globalStep must be a non-negative integer, got ${describe(state.globalStep)}`);
      }
      for (const field of ['klController', 'generator', 'policyOptimizer', 'valueOptimizer'] as const) {
        if (state[field] === null || typeof state[field] !== 'object') throw new Error(`PPOTrainer.resume: ${dir}/trainer_state.json: ${field} is missing`);
      }
      this.policy.loadStateDict(checkpoint.model);
      this.valueModel.loadStateDict(checkpoint.extraTensors.value_model);
      this.policyOptimizer.loadStateDict(joinOptimizerState(state.policyOptimizer as OptimizerJson, checkpoint.extraTensors.policy_optimizer));
      this.valueOptimizer.loadStateDict(joinOptimizerState(state.valueOptimizer as OptimizerJson, checkpoint.extraTensors.value_optimizer));
      this.klController.loadStateDict(state.klController as { value: number });
      this.generator.setState(state.generator as GeneratorState);
      if (state.valueModelNormalization) Object.assign(this.valueModel, state.valueModelNormalization);
      this.globalStep = state.globalStep;
    } finally {
      dispose([checkpoint.model, ...Object.values(checkpoint.extraTensors)]);
    }
  }

  /** Scores from the user function, or the score model's forward without gradients in eval mode. */
  private async computeScores(rollout: PPORollout): Promise<Float32Array> {
    const B = rollout.responses.length;
    let scores: ArrayLike<number>;
    if (typeof this.score === 'function') {
      scores = await this.score(rollout);
    } else {
      const model = this.score;
      const wasTraining = model.training;
      model.train?.(false);
      const values = noGrad(() =>
        tidy(() => model.forward(rollout.sequences, { attentionMask: rollout.attentionMask, positionIds: positionIdsFromMask(rollout.attentionMask) })),
      );
      if (wasTraining !== undefined) model.train?.(wasTraining);
      if (values.size !== B) throw new RangeError(`PPOTrainer: the score model returned shape [${values.shape.join(', ')}], expected (${B})`);
      scores = await values.data();
      values.dispose();
    }
    if (scores === null || typeof scores !== 'object' || scores.length !== B) {
      throw new RangeError(`PPOTrainer: score must return one number per response (${B}), got ${describe(scores)}`);
    }
    const out = Float32Array.from(scores);
    const bad = out.findIndex((s) => !Number.isFinite(s));
    if (bad >= 0) throw new RangeError(`PPOTrainer: score[${bad}] must be a finite number, got ${scores[bad]}`);
    return out;
  }

  /** Dropout off everywhere when `disableDropout` (Huang et al. 2022); otherwise train mode in the update only. */
  private setTrainingMode(updating: boolean): void {
    const train = updating && !this.config.disableDropout;
    this.policy.train(train);
    this.valueModel.train(train);
  }

  /** Minibatch epochs (step 5). Statistics are summed on the device and read back once. */
  private async update(batch: {
    sequences: Tensor;
    attentionMask: Tensor;
    responseMask: Tensor;
    oldLogProbs: Tensor;
    oldValues: Tensor;
    advantages: Tensor;
    returns: Tensor;
    promptLength: number;
  }): Promise<{ stats: Pick<PPOStepStats, (typeof UPDATE_STATS)[number] | 'policyGradNorm' | 'valueGradNorm'>; epochs: number }> {
    const c = this.config;
    const P = batch.promptLength;
    const [B, L] = batch.sequences.shape;
    const N = L - P;
    const microBatchSize = c.miniBatchSize / c.gradientAccumulationSteps;
    const backend = batch.sequences.backend;
    const policyParameters = this.policy.parameters();
    const valueParameters = this.valueModel.parameters();
    let totals: Tensor | null = null; // (K) sums of UPDATE_STATS over micro-batches
    let gradNormTotals: Tensor | null = null; // (2) sums of the policy's and value model's norms
    let microBatches = 0;
    let optimizerSteps = 0;
    let epochs = 0;
    const accumulate = (sum: Tensor | null, value: Tensor): Tensor => {
      if (sum === null) return value;
      const next = keep(noGrad(() => add(sum, value)));
      sum.dispose();
      value.dispose();
      return next;
    };

    for (let epoch = 0; epoch < c.ppoEpochs; epoch++) {
      const order = this.permutation(B);
      let epochTotals: Tensor | null = null;
      for (let start = 0; start < B; start += c.miniBatchSize) {
        this.policyOptimizer.zeroGrad();
        this.valueOptimizer.zeroGrad();
        for (let micro = 0; micro < c.gradientAccumulationSteps; micro++) {
          const from = start + micro * microBatchSize;
          const rows = tensor(order.subarray(from, from + microBatchSize), { shape: [microBatchSize], dtype: 'int32', backend });
          const stats = tidy(() => {
            const take = (t: Tensor): Tensor => indexSelect(t, 0, rows); // (b, …)
            const sequences = take(batch.sequences);
            const attentionMask = take(batch.attentionMask);
            const mask = take(batch.responseMask); // (b, N)
            const oldLogProbs = take(batch.oldLogProbs);
            const oldValues = take(batch.oldValues);
            const advantages = take(batch.advantages);
            const returns = take(batch.returns);

            const { logProbs, logits } = responseLogProbs(this.policy, sequences, attentionMask, P, { temperature: c.temperature }); // (b, N), (b, N, V)
            const allValues = this.valueModel.forwardAll(sequences, { attentionMask, positionIds: positionIdsFromMask(attentionMask) }); // (b, P + N)
            const values = narrow(allValues, 1, P - 1, N); // (b, N)

            // Clipped surrogate (Schulman et al. 2017 eq. 7) and clipped value loss (TRL), per valid token.
            const logRatio = sub(logProbs, oldLogProbs);
            const { loss: policyLoss, ratio } = clippedSurrogateLoss({ logRatio, advantages, clipCoef: c.cliprange, mask });
            const vLoss = valueLoss({ values, returns, oldValues, clipCoef: c.cliprangeValue, mask });
            const entropy = maskedMean(entropyFromLogits(c.entropyCoef > 0 ? logits : logits.detach()), mask);
            let loss = add(policyLoss, mul(vLoss, c.vfCoef));
            if (c.entropyCoef > 0) loss = sub(loss, mul(entropy, c.entropyCoef));
            mul(loss, 1 / c.gradientAccumulationSteps).backward();

            return noGrad(() => {
              const clipFraction = maskedMean(abs(sub(ratio, 1)).gt(c.cliprange).float(), mask);
              const approxKl = maskedMean(klEstimate(logRatio, 'k3'), mask); // KL(π_old ‖ π_θ), CleanRL's approx_kl
              const unclippedError = square(sub(values, returns));
              const clippedValues = add(oldValues, sub(values, oldValues).clamp(-c.cliprangeValue, c.cliprangeValue));
              const valueClipFraction = maskedMean(square(sub(clippedValues, returns)).gt(unclippedError).float(), mask);
              const valueError = maskedMean(unclippedError, mask);
              return stack([policyLoss, vLoss, entropy, clipFraction, approxKl, valueClipFraction, valueError].map((t) => t.detach())); // (K)
            });
          });
          rows.dispose();
          epochTotals = accumulate(epochTotals, stats);
          microBatches++;
        }
        const norms = noGrad(() =>
          tidy(() => stack([clipGradNormOnDevice(policyParameters, c.maxGradNorm), clipGradNormOnDevice(valueParameters, c.maxGradNorm)])),
        );
        gradNormTotals = accumulate(gradNormTotals, norms);
        optimizerSteps++;
        this.policyOptimizer.step();
        this.valueOptimizer.step();
      }
      epochs++;
      const epochMicroBatches = B / microBatchSize;
      const epochSums = epochTotals as Tensor;
      // Early stop on the epoch's approx-KL (TRL `early_stopping` at 1.5 · target_kl): the only readback before the end.
      const stop = c.targetKl !== null && (await epochSums.data())[APPROX_KL] / epochMicroBatches > 1.5 * c.targetKl;
      totals = accumulate(totals, epochSums);
      if (stop) break;
    }
    this.policyOptimizer.zeroGrad();
    this.valueOptimizer.zeroGrad();

    const [sums, gradNorms] = await Promise.all([(totals as Tensor).data(), (gradNormTotals as Tensor).data()]);
    (totals as Tensor).dispose();
    (gradNormTotals as Tensor).dispose();
    const stats = {} as Record<(typeof UPDATE_STATS)[number], number>;
    UPDATE_STATS.forEach((name, k) => (stats[name] = sums[k] / microBatches));
    return { stats: { ...stats, policyGradNorm: gradNorms[0] / optimizerSteps, valueGradNorm: gradNorms[1] / optimizerSteps }, epochs };
  }

  /** A uniformly random permutation of 0…n−1 from the trainer's generator (Fisher–Yates). */
  private permutation(n: number): Int32Array {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.generator.randint(0, i + 1);
      const swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    return order;
  }
}

/**
 * `clipGradNorm` without reading the norm back: total = ‖all gradients‖₂ as a scalar tensor, each
 * gradient scaled by min(1, maxNorm / (total + 1e-6)) on the device (PyTorch's formula). Returns
 * the norm before clipping (call inside `tidy`).
 */
function clipGradNormOnDevice(parameters: readonly Tensor[], maxNorm: number | null): Tensor {
  let squares: Tensor | null = null;
  for (const p of parameters) {
    if (!p.grad) continue;
    const flat = p.grad.reshape([-1]); // (numel) view
    const part = matmul(flat, flat); // gᵀg
    squares = squares === null ? part : add(squares, part);
  }
  if (squares === null) return tensor([0], { backend: parameters[0].backend }).reshape([]);
  const norm = sqrt(squares);
  if (maxNorm !== null) {
    const coefficient = minimum(mul(reciprocal(add(norm, 1e-6)), maxNorm), 1);
    for (const p of parameters) {
      const grad = p.grad;
      if (grad) grad.assign_(mul(grad, coefficient));
    }
  }
  return norm;
}

/** An optimizer's state split into JSON (steps, hyperparameters) and tensors named `<param>.<field>`. */
interface OptimizerJson {
  paramGroups: OptimizerStateDict['paramGroups'];
  steps: Record<string, number>;
}

function splitOptimizerState(optimizer: AdamW): { json: OptimizerJson; tensors: Record<string, Tensor> } {
  const { state, paramGroups } = optimizer.stateDict();
  const steps: Record<string, number> = {};
  const tensors: Record<string, Tensor> = {};
  for (const [index, entry] of Object.entries(state)) {
    for (const [field, value] of Object.entries(entry)) {
      if (field === 'step') steps[index] = value as number;
      else tensors[`${index}.${field}`] = value as Tensor;
    }
  }
  return { json: { paramGroups, steps }, tensors };
}

function joinOptimizerState(json: OptimizerJson, tensors: Record<string, Tensor>): OptimizerStateDict<Record<string, unknown>, ParamStateInput> {
  const state: Record<string, ParamStateInput> = {};
  for (const [index, step] of Object.entries(json.steps)) state[index] = { step };
  for (const [name, value] of Object.entries(tensors)) {
    const dot = name.indexOf('.');
    const index = name.slice(0, dot);
    if (!state[index]) throw new Error(`PPOTrainer.resume: optimizer tensor '${name}' has no step count in trainer_state.json`);
    state[index][name.slice(dot + 1)] = value;
  }
  return { state, paramGroups: json.paramGroups };
}

/** A RewardModel's `gain`/`bias` (plain numbers outside its state dict), or null for other value models. */
function normalizationOf(model: object): { gain: number; bias: number } | null {
  const { gain, bias } = model as { gain?: unknown; bias?: unknown };
  return typeof gain === 'number' && typeof bias === 'number' ? { gain, bias } : null;
}

function isGPT(value: unknown): value is GPT {
  return value !== null && typeof value === 'object' && typeof (value as GPT).forwardHidden === 'function' && typeof (value as GPT).logits === 'function';
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  return `${typeof value} ${String(value)}`;
}
