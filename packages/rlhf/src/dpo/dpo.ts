/**
 * Direct Preference Optimization (Rafailov et al. 2023): fine-tunes a policy on preference pairs
 * without a reward model or sampling. For a prompt x with a preferred response y_w and a
 * dispreferred y_l, the loss (eq. 7) is
 *
 *     L = −log σ( β·[ (log π(y_w|x) − log π_ref(y_w|x)) − (log π(y_l|x) − log π_ref(y_l|x)) ] )
 *
 * where log π(y|x) sums the response tokens' log-probs and π_ref is the frozen SFT model. β·(log π
 * − log π_ref) is the implicit reward (§5); its accuracy and margin on the pairs are the
 * diagnostics TRL logs. `labelSmoothing` ε > 0 gives conservative DPO (cDPO, Mitchell 2023), which
 * assumes labels are flipped with probability ε. The loop reads top to bottom: config, pairs,
 * reference log-probs (computed once, without gradients, and cacheable), optimizer, resume, steps.
 *
 * Metrics passed to `onStep` and `onEval` (TRL's names in brackets): loss, rewardAccuracy
 * [rewards/accuracies], chosenReward [rewards/chosen], rejectedReward [rewards/rejected],
 * rewardMargin [rewards/margins], chosenLogProb [logps/chosen], rejectedLogProb [logps/rejected].
 */
import { clipGradNormAsync, checkpointName, loadCheckpoint, saveCheckpoint } from '@attune/nn';
import {
  add,
  getDefaultGenerator,
  gt,
  keep,
  logSigmoid,
  mean,
  mul,
  narrow,
  neg,
  noGrad,
  stack,
  sub,
  sum,
  tensor,
  tidy,
  type Backend,
  type GeneratorState,
  type Tensor,
} from '@attune/tensor';
import type { PreferencePair } from '@attune/reward-model';
import { accumulateGradients, type GPT } from '@attune/transformer';
import { responseLogProbs } from '../logprobs.js';
import {
  checkBoolean,
  checkHooks,
  checkInteger,
  checkOptimizerFields,
  checkOptionalInteger,
  checkpointDue,
  checkRange,
  checkTokenIds,
  epochPermutation,
  learningRateAt,
  makeAdamW,
  mergeConfig,
  optimizerCheckpoint,
  restoreOptimizer,
  resumePath,
  type OptimizerCheckpoint,
  type TrainingHooks,
} from '../sft/common.js';

// ---- 1. The loss ------------------------------------------------------------------------------

/**
 * Options of {@link dpoLoss}.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const [pc, pr, rc, rr] = [tensor([-5]), tensor([-7]), tensor([-6]), tensor([-6])];
 * dpoLoss(pc, pr, rc, rr, { beta: 0.5, labelSmoothing: 0.1 } satisfies DPOLossOptions);
 * ```
 */
export interface DPOLossOptions {
  /** β, the strength of the implicit KL constraint to the reference (Rafailov et al. 2023, eq. 7; default 0.1, their §6 value). */
  beta?: number;
  /** ε of conservative DPO: the probability that a label is flipped (default 0, plain DPO); must be < 0.5. */
  labelSmoothing?: number;
}

/**
 * What {@link dpoLoss} returns. `loss` and `losses` carry gradients; the diagnostics do not.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const [pc, pr, rc, rr] = [tensor([-5]), tensor([-7]), tensor([-6]), tensor([-6])];
 * const { loss, rewardAccuracy }: DPOLossOutput = dpoLoss(pc, pr, rc, rr);
 * ```
 */
export interface DPOLossOutput {
  /** Scalar: the mean of `losses`. */
  loss: Tensor;
  /** (B): each pair's loss. */
  losses: Tensor;
  /** (B): implicit reward of the chosen response, β·(log π(y_w|x) − log π_ref(y_w|x)). */
  chosenRewards: Tensor;
  /** (B): implicit reward of the rejected response, β·(log π(y_l|x) − log π_ref(y_l|x)). */
  rejectedRewards: Tensor;
  /** Scalar: fraction of pairs whose chosen reward exceeds the rejected one. */
  rewardAccuracy: Tensor;
  /** Scalar: mean of chosenRewards − rejectedRewards. */
  rewardMargin: Tensor;
}

/**
 * The DPO loss of Rafailov et al. 2023, eq. 7, on summed response log-probs (each (B)), with the
 * implicit rewards and the reward accuracy and margin. With `labelSmoothing` ε it is cDPO's
 * −(1 − ε)·log σ(β·h) − ε·log σ(−β·h), h = the log-ratio difference.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const policyChosen = tensor([-5, -6], { requiresGrad: true });    // sequence log-probs, (B)
 * const policyRejected = tensor([-7, -5], { requiresGrad: true });
 * const referenceChosen = tensor([-6, -6]);
 * const referenceRejected = tensor([-6, -6]);
 * const out = dpoLoss(policyChosen, policyRejected, referenceChosen, referenceRejected, { beta: 0.1 });
 * out.loss.backward();
 * await out.rewardAccuracy.item(); // 0.5
 * ```
 */
export function dpoLoss(policyChosenLogps: Tensor, policyRejectedLogps: Tensor, referenceChosenLogps: Tensor, referenceRejectedLogps: Tensor, options: DPOLossOptions = {}): DPOLossOutput {
  const { beta = 0.1, labelSmoothing = 0 } = options;
  const inputs = { policyChosenLogps, policyRejectedLogps, referenceChosenLogps, referenceRejectedLogps };
  const B = policyChosenLogps.shape[0];
  for (const [name, t] of Object.entries(inputs)) {
    if (t.ndim !== 1 || t.shape[0] !== B) throw new RangeError(`dpoLoss: ${name} must be (B) = (${B}), like policyChosenLogps, got [${t.shape.join(', ')}]`);
  }
  if (typeof beta !== 'number' || !(beta > 0) || !Number.isFinite(beta)) throw new RangeError(`dpoLoss: beta must be a positive number, got ${String(beta)}`);
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing < 0.5)) throw new RangeError(`dpoLoss: labelSmoothing must be in [0, 0.5), got ${String(labelSmoothing)}`);
  // h = log π(y_w)/π_ref(y_w) − log π(y_l)/π_ref(y_l)   (B)
  const logits = sub(sub(policyChosenLogps, policyRejectedLogps), sub(referenceChosenLogps, referenceRejectedLogps));
  let losses = neg(logSigmoid(mul(logits, beta)));
  if (labelSmoothing > 0) losses = add(mul(losses, 1 - labelSmoothing), mul(neg(logSigmoid(mul(logits, -beta))), labelSmoothing)); // cDPO
  const diagnostics = noGrad(() => {
    const chosenRewards = mul(sub(policyChosenLogps, referenceChosenLogps), beta);
    const rejectedRewards = mul(sub(policyRejectedLogps, referenceRejectedLogps), beta);
    return { chosenRewards, rejectedRewards, rewardAccuracy: mean(gt(chosenRewards, rejectedRewards).float()), rewardMargin: mean(sub(chosenRewards, rejectedRewards)) };
  });
  return { loss: mean(losses), losses, ...diagnostics };
}

// ---- 2. Pairs as batches --------------------------------------------------------------------------

/**
 * How pairs are cut and padded into rows; `trainDPO` resolves these from its config.
 *
 * @example
 * ```ts
 * const options: PreferenceBatchOptions = { maxPromptLength: 64, maxResponseLength: 64, padTokenId: 50256 };
 * ```
 */
export interface PreferenceBatchOptions {
  /** Keep at most this many prompt tokens, the last ones (TRL truncates prompts from the left). */
  maxPromptLength: number;
  /** Keep at most this many response tokens, the first ones. */
  maxResponseLength: number;
  /** Token written into padding (masked out; any id in the vocabulary). */
  padTokenId: number;
}

/**
 * A batch of 2B rows laid out as `generate()` returns them: the B chosen responses, then the B
 * rejected ones, each after its prompt left-padded to P; responses right-padded to N.
 *
 * @example
 * ```ts
 * const pairs: PreferencePair[] = [{ prompt: [1, 2], chosen: [3], rejected: [4, 5] }];
 * const batch: PreferenceBatch = preferenceBatch(pairs, { maxPromptLength: 64, maxResponseLength: 64, padTokenId: 0 });
 * ```
 */
export interface PreferenceBatch {
  /** (2B, P + N) int32. */
  sequences: Tensor;
  /** (2B, P + N) float32: 1 for real tokens. */
  attentionMask: Tensor;
  /** (2B, N) float32: 1 for real response tokens. */
  responseMask: Tensor;
  /** P. */
  promptLength: number;
}

/**
 * Builds the rows DPO scores: prompts truncated to their last `maxPromptLength` tokens and
 * left-padded to the longest, P; chosen (rows 0…B−1) and rejected (rows B…2B−1) responses cut to
 * `maxResponseLength` and right-padded to the longest, N.
 *
 * @example
 * ```ts
 * const batch = preferenceBatch([{ prompt: [1, 2], chosen: [5, 0], rejected: [6, 6, 0] }], { maxPromptLength: 8, maxResponseLength: 8, padTokenId: 0 });
 * batch.sequences; // [[1, 2, 5, 0, 0], [1, 2, 6, 6, 0]], promptLength 2
 * ```
 */
export function preferenceBatch(pairs: readonly PreferencePair[], options: PreferenceBatchOptions, backend?: Backend): PreferenceBatch {
  const { maxPromptLength, maxResponseLength, padTokenId } = options;
  if (pairs.length === 0) throw new RangeError('preferenceBatch: pairs must hold at least one pair, got []');
  const B = pairs.length;
  const prompts = pairs.map((pair) => pair.prompt.slice(Math.max(0, pair.prompt.length - maxPromptLength)));
  const responses = [...pairs.map((pair) => pair.chosen), ...pairs.map((pair) => pair.rejected)].map((r) => r.slice(0, maxResponseLength));
  const P = Math.max(...prompts.map((p) => p.length));
  const N = Math.max(...responses.map((r) => r.length));
  const L = P + N;
  const sequences = new Int32Array(2 * B * L).fill(padTokenId);
  const attentionMask = new Float32Array(2 * B * L);
  const responseMask = new Float32Array(2 * B * N);
  for (let row = 0; row < 2 * B; row++) {
    const prompt = prompts[row % B];
    const response = responses[row];
    sequences.set(prompt, row * L + P - prompt.length);
    attentionMask.fill(1, row * L + P - prompt.length, row * L + P + response.length);
    sequences.set(response, row * L + P);
    responseMask.fill(1, row * N, row * N + response.length);
  }
  return {
    sequences: tensor(sequences, { shape: [2 * B, L], dtype: 'int32', backend }),
    attentionMask: tensor(attentionMask, { shape: [2 * B, L], backend }),
    responseMask: tensor(responseMask, { shape: [2 * B, N], backend }),
    promptLength: P,
  };
}

/**
 * log π(response | prompt) for every row of `batch`: the sum of the response tokens' log-probs
 * (2B), via `responseLogProbs`. Gradients flow into `model`.
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * const policy = new GPT(gptConfig('test'));
 * const pairs: PreferencePair[] = [{ prompt: [1, 2], chosen: [3], rejected: [4] }];
 * const options: PreferenceBatchOptions = { maxPromptLength: 8, maxResponseLength: 8, padTokenId: 0 };
 * const logps = sequenceLogProbs(policy, preferenceBatch(pairs, options)); // (2B): chosen, then rejected
 * ```
 */
export function sequenceLogProbs(model: GPT, batch: PreferenceBatch): Tensor {
  const { logProbs } = responseLogProbs(model, batch.sequences, batch.attentionMask, batch.promptLength); // (2B, N)
  return sum(mul(logProbs, batch.responseMask), -1); // (2B)
}

/**
 * Summed response log-probs of the reference model on every pair, computed once and reused for
 * every epoch (and saved in DPO checkpoints).
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * const sftModel = new GPT(gptConfig('test'));
 * const pairs: PreferencePair[] = [{ prompt: [1, 2], chosen: [3], rejected: [4] }];
 * const options: PreferenceBatchOptions = { maxPromptLength: 8, maxResponseLength: 8, padTokenId: 0 };
 * const cached: ReferenceLogProbs = await referenceLogProbs(sftModel, pairs, options);
 * ```
 */
export interface ReferenceLogProbs {
  /** log π_ref(chosen_i | prompt_i), one per pair. */
  chosen: Float32Array;
  /** log π_ref(rejected_i | prompt_i), one per pair. */
  rejected: Float32Array;
}

/**
 * The reference model's summed response log-probs on `pairs`, without gradients and in eval mode
 * (Rafailov et al. 2023, §4: π_ref is fixed, so they are computed once). Pass the result to
 * `trainDPO` in place of the reference model to skip the computation (and free the model).
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * const sftModel = new GPT(gptConfig('test'));
 * const policy = new GPT(gptConfig('test'));
 * const pairs: PreferencePair[] = [{ prompt: [1, 2], chosen: [3], rejected: [4] }];
 * const config: Partial<DPOConfig> = { batchSize: 1, gradientAccumulationSteps: 1 };
 * const cached = await referenceLogProbs(sftModel, pairs, { maxPromptLength: 8, maxResponseLength: 8, padTokenId: 0 });
 * await trainDPO(policy, cached, pairs, config);
 * ```
 */
export async function referenceLogProbs(reference: GPT, pairs: readonly PreferencePair[], options: PreferenceBatchOptions & { batchSize?: number }): Promise<ReferenceLogProbs> {
  const batchSize = options.batchSize ?? 8;
  checkInteger('referenceLogProbs options', 'batchSize', batchSize, 1);
  const backend = reference.lmHeadWeight.backend;
  const chosen = new Float32Array(pairs.length);
  const rejected = new Float32Array(pairs.length);
  const wasTraining = reference.training;
  reference.eval();
  for (let from = 0; from < pairs.length; from += batchSize) {
    const batchPairs = pairs.slice(from, from + batchSize);
    const logps = noGrad(() => tidy(() => sequenceLogProbs(reference, preferenceBatch(batchPairs, options, backend))));
    const values = (await logps.data()) as Float32Array;
    logps.dispose();
    chosen.set(values.subarray(0, batchPairs.length), from);
    rejected.set(values.subarray(batchPairs.length), from);
  }
  if (wasTraining) reference.train();
  return { chosen, rejected };
}

// ---- 3. Config ------------------------------------------------------------------------------------

/**
 * Hyperparameters of {@link trainDPO}. Defaults follow Rafailov et al. 2023 (§6 and Appendix B: β
 * 0.1, 64 pairs per step, lr 1e-6 warmed up linearly over 150 steps, then constant) with AdamW in
 * place of their RMSprop, as TRL does.
 *
 * @example
 * ```ts
 * const config: Partial<DPOConfig> = { beta: 0.1, learningRate: 5e-6, batchSize: 4, gradientAccumulationSteps: 16 };
 * ```
 */
export interface DPOConfig {
  /** Seed of the per-epoch shuffles of the pairs. */
  seed: number;
  /** Passes over the pairs. */
  numEpochs: number;
  /** Optimizer steps; null derives them from `numEpochs` (when set, it wins and epochs wrap around). */
  maxSteps: number | null;
  /** Pairs per micro-batch (2× as many rows). */
  batchSize: number;
  /** Micro-batches per optimizer step (Rafailov et al.: 64 pairs per step = 8 × 8). */
  gradientAccumulationSteps: number;
  /** β of eq. 7 (Rafailov et al. §6: 0.1; 0.5 for their TL;DR runs). */
  beta: number;
  /** cDPO's label-flip probability ε (Mitchell 2023); 0 is plain DPO. */
  labelSmoothing: number;
  /** Peak learning rate (Rafailov et al. App. B: 1e-6). */
  learningRate: number;
  /** Linear warmup steps (Rafailov et al. App. B: 150). */
  warmupSteps: number;
  /** Cosine floor as a fraction of the peak; 1 (the default) keeps the rate constant after warmup, as the paper. */
  minLrFactor: number;
  /** AdamW's decoupled weight decay on matrices (0: the paper uses none). */
  weightDecay: number;
  /** AdamW β₁ (PyTorch's 0.9). */
  beta1: number;
  /** AdamW β₂ (PyTorch's 0.999). */
  beta2: number;
  /** AdamW ε (PyTorch's 1e-8). */
  adamEpsilon: number;
  /** Clip the global gradient norm at this value (the paper's reference code: 10); null disables. */
  maxGradNorm: number | null;
  /** Prompt tokens kept (the last ones); null = half the model's blockSize. */
  maxPromptLength: number | null;
  /** Response tokens kept (the first ones); null = blockSize − maxPromptLength. */
  maxResponseLength: number | null;
  /** Token written into padding (masked out). */
  padTokenId: number;
  /** Run the policy without dropout while training, so its log-probs are on the same footing as the reference's (TRL's `disable_dropout`, default true). */
  disableDropout: boolean;
  /** Evaluate on the validation pairs every this many steps, and after the last (0: only after the last). */
  evalEvery: number;
  /** Pairs per micro-batch when computing reference log-probs and validation metrics. */
  evalBatchSize: number;
}

/**
 * The defaults of {@link DPOConfig}.
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * const policy = new GPT(gptConfig('test'));
 * const reference = new GPT(gptConfig('test'));
 * const pairs: PreferencePair[] = [{ prompt: [1, 2], chosen: [3], rejected: [4] }, { prompt: [5], chosen: [6, 7], rejected: [8] }];
 * await trainDPO(policy, reference, pairs, { ...dpoDefaults, beta: 0.5, batchSize: 2, gradientAccumulationSteps: 1 });
 * ```
 */
export const dpoDefaults: Readonly<DPOConfig> = Object.freeze({
  seed: 1,
  numEpochs: 1,
  maxSteps: null,
  batchSize: 8,
  gradientAccumulationSteps: 8,
  beta: 0.1,
  labelSmoothing: 0,
  learningRate: 1e-6,
  warmupSteps: 150,
  minLrFactor: 1,
  weightDecay: 0,
  beta1: 0.9,
  beta2: 0.999,
  adamEpsilon: 1e-8,
  maxGradNorm: 10,
  maxPromptLength: null,
  maxResponseLength: null,
  padTokenId: 0,
  disableDropout: true,
  evalEvery: 0,
  evalBatchSize: 8,
});

/**
 * `config` over {@link dpoDefaults}, validated (errors name the field).
 *
 * @example
 * ```ts
 * resolveDPOConfig({ beta: 0.1 }).beta; // 0.1
 * try {
 *   resolveDPOConfig({ beta: 0 });
 * } catch (error) {
 *   console.log((error as Error).message); // DPOConfig.beta must be a number in (0, Infinity], got 0
 * }
 * ```
 */
export function resolveDPOConfig(config: Partial<DPOConfig> = {}): DPOConfig {
  const args = mergeConfig('DPOConfig', dpoDefaults, config);
  const name = 'DPOConfig';
  checkInteger(name, 'seed', args.seed, 0);
  checkInteger(name, 'numEpochs', args.numEpochs, 1);
  checkOptionalInteger(name, 'maxSteps', args.maxSteps, 1);
  checkInteger(name, 'batchSize', args.batchSize, 1);
  checkInteger(name, 'gradientAccumulationSteps', args.gradientAccumulationSteps, 1);
  checkRange(name, 'beta', args.beta, 0, Infinity, true);
  checkRange(name, 'labelSmoothing', args.labelSmoothing, 0, 0.4999999);
  checkOptimizerFields(name, args);
  checkInteger(name, 'warmupSteps', args.warmupSteps, 0);
  checkRange(name, 'minLrFactor', args.minLrFactor, 0, 1);
  if (args.maxGradNorm !== null) checkRange(name, 'maxGradNorm', args.maxGradNorm, 0, Infinity, true);
  checkOptionalInteger(name, 'maxPromptLength', args.maxPromptLength, 1);
  checkOptionalInteger(name, 'maxResponseLength', args.maxResponseLength, 1);
  checkInteger(name, 'padTokenId', args.padTokenId, 0);
  checkBoolean(name, 'disableDropout', args.disableDropout);
  checkInteger(name, 'evalEvery', args.evalEvery, 0);
  checkInteger(name, 'evalBatchSize', args.evalBatchSize, 1);
  return args;
}

// ---- 4. Types of the run --------------------------------------------------------------------------

/**
 * The diagnostics of DPO, averaged over a step's (or the validation set's) pairs.
 *
 * @example
 * ```ts
 * const onStep = (m: DPOStepMetrics) => console.log(`loss ${m.loss.toFixed(3)} acc ${m.rewardAccuracy.toFixed(2)} margin ${m.rewardMargin.toFixed(3)}`);
 * ```
 */
export interface DPOMetrics {
  /** Mean DPO loss (log 2 ≈ 0.693 when policy = reference). */
  loss: number;
  /** Fraction of pairs with chosen reward > rejected reward. */
  rewardAccuracy: number;
  /** Mean implicit reward of the chosen responses. */
  chosenReward: number;
  /** Mean implicit reward of the rejected responses. */
  rejectedReward: number;
  /** Mean chosenReward − rejectedReward. */
  rewardMargin: number;
  /** Mean log π(chosen | prompt) under the policy. */
  chosenLogProb: number;
  /** Mean log π(rejected | prompt) under the policy. */
  rejectedLogProb: number;
}

/**
 * What `onStep` receives after every optimizer step.
 *
 * @example
 * ```ts
 * const bar = { update: (step: number, fields: Record<string, number>) => console.log(step, fields) }; // e.g. a progress bar
 * const onStep = (m: DPOStepMetrics) => bar.update(m.step, { acc: m.rewardAccuracy });
 * ```
 */
export interface DPOStepMetrics extends DPOMetrics {
  step: number;
  totalSteps: number;
  /** Epochs done, fractional. */
  epoch: number;
  learningRate: number;
  /** Global gradient norm before clipping (NaN when clipping is off). */
  gradNorm: number;
}

/**
 * What `onEval` receives: the metrics on the validation pairs.
 *
 * @example
 * ```ts
 * const onEval = (m: DPOEvalMetrics) => console.log(`step ${m.step} validation accuracy ${m.rewardAccuracy}`);
 * ```
 */
export interface DPOEvalMetrics extends DPOMetrics {
  step: number;
}

/**
 * Callbacks, checkpoints and resume of {@link trainDPO}.
 *
 * @example
 * ```ts
 * const hooks: DPOHooks = { onStep: console.log, checkpointDir: 'runs/dpo', checkpointEvery: 100, resume: true };
 * ```
 */
export type DPOHooks = TrainingHooks<DPOStepMetrics, DPOEvalMetrics>;

/**
 * Preference pairs, optionally with held-out ones.
 *
 * @example
 * ```ts
 * const pairs: PreferencePair[] = Array.from({ length: 300 }, (_, i) => ({ prompt: [i % 7 + 1], chosen: [10], rejected: [20] }));
 * const data: DPOData = { train: pairs.slice(200), validation: pairs.slice(0, 200) };
 * ```
 */
export type DPOData = readonly PreferencePair[] | { train: readonly PreferencePair[]; validation?: readonly PreferencePair[] };

/**
 * What {@link trainDPO} resolves with (the policy is trained in place).
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * const policy = new GPT(gptConfig('test'));
 * const reference = new GPT(gptConfig('test'));
 * const data: DPOData = { train: [{ prompt: [1], chosen: [2], rejected: [3] }], validation: [{ prompt: [4], chosen: [5], rejected: [6] }] };
 * const config: Partial<DPOConfig> = { batchSize: 1, gradientAccumulationSteps: 1 };
 * const { metrics, validation }: DPOResult = await trainDPO(policy, reference, data, config);
 * ```
 */
export interface DPOResult {
  /** Optimizer steps done in all (resumed ones included). */
  step: number;
  totalSteps: number;
  /** The last step's metrics (null when this call took no step). */
  metrics: DPOStepMetrics | null;
  /** The last validation metrics (null without validation pairs). */
  validation: DPOEvalMetrics | null;
  /** The reference log-probs of the training pairs, for reuse. */
  referenceLogProbs: ReferenceLogProbs;
  /** The last checkpoint written, or null. */
  checkpoint: string | null;
}

interface DPOTrainerState {
  step: number;
  totalSteps: number;
  generator: GeneratorState;
  optimizer: OptimizerCheckpoint['json'];
  validation: DPOEvalMetrics | null;
}

/** Whether `reference` is a model (it has a forward pass) rather than precomputed log-probs. */
function isModel(reference: GPT | ReferenceLogProbs): reference is GPT {
  return typeof (reference as GPT).forwardHidden === 'function';
}

const METRIC_NAMES = ['loss', 'rewardAccuracy', 'chosenReward', 'rejectedReward', 'rewardMargin', 'chosenLogProb', 'rejectedLogProb'] as const;

/** The micro-batch's diagnostics as one (7) tensor, in METRIC_NAMES order. */
function metricVector(out: DPOLossOutput, policyChosen: Tensor, policyRejected: Tensor): Tensor {
  return noGrad(() => stack([out.loss.detach(), out.rewardAccuracy, mean(out.chosenRewards), mean(out.rejectedRewards), out.rewardMargin, mean(policyChosen.detach()), mean(policyRejected.detach())]));
}

function metricsOf(values: Float64Array): DPOMetrics {
  const out = {} as Record<(typeof METRIC_NAMES)[number], number>;
  METRIC_NAMES.forEach((name, i) => (out[name] = values[i]));
  return out;
}

// ---- 5. The trainer --------------------------------------------------------------------------------

/**
 * Trains `policy` in place with DPO on preference pairs of token ids (@attune/reward-model's
 * `PreferencePair`, as `loadPreferences` gives them; a pair's `margin` is ignored). `reference` is the frozen
 * SFT model (usually a copy of the policy's starting weights) or its precomputed
 * {@link ReferenceLogProbs}. Pairs are shuffled every epoch (a function of the seed), scored in
 * batches laid out like `generate()`'s output (prompts left-padded, responses right-padded), and
 * the policy is updated with AdamW; checkpoints hold the policy, the AdamW moments, the step and
 * the reference log-probs, so `hooks.resume` continues a killed run exactly.
 *
 * @example
 * ```ts
 * import { GPT, gptConfig, loadPretrained, savePretrained } from '@attune/transformer';
 * await savePretrained(new GPT(gptConfig('test')), 'runs/sft/model'); // in practice the SFT run's output
 * const { model: reference } = await loadPretrained('runs/sft/model'); // frozen copy of the SFT policy
 * const { model: policy } = await loadPretrained('runs/sft/model');
 * const pairs: PreferencePair[] = [{ prompt: [1, 2], chosen: [3], rejected: [4] }, { prompt: [5], chosen: [6], rejected: [7, 8] }];
 * const heldOut: PreferencePair[] = [{ prompt: [9], chosen: [10], rejected: [11] }];
 * const result = await trainDPO(policy, reference, { train: pairs, validation: heldOut },
 *   { beta: 0.1, learningRate: 5e-6, batchSize: 1, gradientAccumulationSteps: 2 },
 *   { onStep: (m) => console.log(m.step, m.loss, m.rewardAccuracy), checkpointDir: 'runs/dpo', resume: true });
 * ```
 */
export async function trainDPO(policy: GPT, reference: GPT | ReferenceLogProbs, pairs: DPOData, config: Partial<DPOConfig> = {}, hooks: DPOHooks = {}): Promise<DPOResult> {
  // 1. Config, lengths and pairs, validated once.
  const args = resolveDPOConfig(config);
  checkHooks('trainDPO', hooks);
  const { train, validation } = Array.isArray(pairs) ? { train: pairs as readonly PreferencePair[], validation: undefined } : (pairs as { train: readonly PreferencePair[]; validation?: readonly PreferencePair[] });
  if (!Array.isArray(train) || train.length === 0) throw new RangeError(`trainDPO: pairs must hold at least one training pair, got ${Array.isArray(train) ? 0 : typeof train}`);
  const { vocabSize, blockSize } = policy.config;
  const maxPromptLength = args.maxPromptLength ?? Math.floor(blockSize / 2);
  const maxResponseLength = args.maxResponseLength ?? blockSize - maxPromptLength;
  if (maxPromptLength + maxResponseLength > blockSize) {
    throw new RangeError(`DPOConfig.maxPromptLength + maxResponseLength must be at most the model's blockSize ${blockSize}, got ${maxPromptLength} + ${maxResponseLength}`);
  }
  if (args.padTokenId >= vocabSize) throw new RangeError(`DPOConfig.padTokenId must be a token id in [0, ${vocabSize}), got ${args.padTokenId}`);
  const batchOptions: PreferenceBatchOptions = { maxPromptLength, maxResponseLength, padTokenId: args.padTokenId };
  const checkPairs = (list: readonly PreferencePair[], label: string) =>
    list.forEach((pair, i) => {
      for (const field of ['prompt', 'chosen', 'rejected'] as const) checkTokenIds(`trainDPO: ${label}[${i}].${field}`, pair?.[field], vocabSize);
    });
  checkPairs(train, 'train');
  if (validation !== undefined) checkPairs(validation, 'validation');
  const B = args.batchSize;
  const microBatchesPerEpoch = Math.floor(train.length / B);
  if (microBatchesPerEpoch === 0) throw new RangeError(`trainDPO: ${train.length} training pairs are fewer than DPOConfig.batchSize = ${B}`);
  const accumulation = args.gradientAccumulationSteps;
  const totalSteps = args.maxSteps ?? Math.max(1, Math.floor((args.numEpochs * microBatchesPerEpoch) / accumulation));
  const backend = policy.lmHeadWeight.backend;

  // 2. Reference log-probs: from the checkpoint when resuming, else given, else computed once.
  const resumeFrom = await resumePath(hooks);
  const checkpoint = resumeFrom === null ? null : await loadCheckpoint(resumeFrom, ['optimizer', 'reference_logps']);
  const referenceOf = async (list: readonly PreferencePair[], saved: string): Promise<ReferenceLogProbs> => {
    if (checkpoint !== null && `${saved}.chosen` in checkpoint.extraTensors.reference_logps) {
      const tensors = checkpoint.extraTensors.reference_logps;
      return { chosen: Float32Array.from(await tensors[`${saved}.chosen`].data()), rejected: Float32Array.from(await tensors[`${saved}.rejected`].data()) };
    }
    if (!isModel(reference)) {
      if (saved === 'validation') throw new TypeError('trainDPO: validation pairs need the reference model, not precomputed log-probs (or precompute them and evaluate yourself)');
      const given = reference as ReferenceLogProbs;
      if (!(given.chosen instanceof Float32Array) || given.chosen.length !== list.length || !(given.rejected instanceof Float32Array) || given.rejected.length !== list.length) {
        throw new RangeError(`trainDPO: reference log-probs must hold ${list.length} chosen and rejected values (one per training pair), got ${given.chosen?.length} and ${given.rejected?.length}`);
      }
      return given;
    }
    return referenceLogProbs(reference, list, { ...batchOptions, batchSize: args.evalBatchSize });
  };
  const trainReference = await referenceOf(train, 'train');
  const validationReference = validation !== undefined && validation.length > 0 ? await referenceOf(validation, 'validation') : null;

  // 3. Optimizer: AdamW on the policy.
  const optimizer = makeAdamW(policy, args);
  const params = policy.parameters();

  // 4. Resume: weights, AdamW moments, step and RNG state.
  let startStep = 0;
  let lastValidation: DPOEvalMetrics | null = null;
  if (checkpoint !== null) {
    const state = checkpoint.trainerState as unknown as DPOTrainerState;
    if (state.totalSteps !== totalSteps) throw new RangeError(`trainDPO: checkpoint ${resumeFrom} belongs to a run of ${state.totalSteps} steps, this config and data give ${totalSteps}`);
    policy.loadStateDict(checkpoint.model);
    restoreOptimizer(optimizer, state.optimizer, checkpoint.extraTensors.optimizer);
    getDefaultGenerator().setState(state.generator);
    startStep = state.step;
    lastValidation = state.validation;
    for (const group of [checkpoint.model, ...Object.values(checkpoint.extraTensors)]) for (const t of Object.values(group)) t.dispose();
  }

  /** Loss and diagnostics of the policy on `list[indices]` against the reference values. */
  const forwardPairs = (list: readonly PreferencePair[], indices: ArrayLike<number>, referenceValues: ReferenceLogProbs): { out: DPOLossOutput; metrics: Tensor } => {
    const batchPairs = Array.from(indices, (i) => list[i]);
    const n = batchPairs.length;
    const logps = sequenceLogProbs(policy, preferenceBatch(batchPairs, batchOptions, backend)); // (2n): chosen, then rejected
    const policyChosen = narrow(logps, 0, 0, n);
    const policyRejected = narrow(logps, 0, n, n);
    const referenceChosen = tensor(Float32Array.from(indices, (i) => referenceValues.chosen[i]), { shape: [n], backend });
    const referenceRejected = tensor(Float32Array.from(indices, (i) => referenceValues.rejected[i]), { shape: [n], backend });
    const out = dpoLoss(policyChosen, policyRejected, referenceChosen, referenceRejected, { beta: args.beta, labelSmoothing: args.labelSmoothing });
    return { out, metrics: metricVector(out, policyChosen, policyRejected) };
  };

  /** Metrics on the validation pairs, weighted by batch size, without gradients in eval mode. */
  const evaluate = async (step: number): Promise<DPOEvalMetrics> => {
    const list = validation as readonly PreferencePair[];
    const totals = new Float64Array(METRIC_NAMES.length);
    policy.eval();
    for (let from = 0; from < list.length; from += args.evalBatchSize) {
      const indices = Array.from({ length: Math.min(args.evalBatchSize, list.length - from) }, (_, i) => from + i);
      const metrics = noGrad(() => tidy(() => forwardPairs(list, indices, validationReference as ReferenceLogProbs).metrics));
      const values = await metrics.data();
      metrics.dispose();
      for (let m = 0; m < totals.length; m++) totals[m] += (values[m] * indices.length) / list.length;
    }
    policy.train(!args.disableDropout);
    return { step, ...metricsOf(totals) };
  };

  // 5. The loop: one optimizer step per iteration (in eval mode, i.e. without dropout, when disableDropout).
  policy.train(!args.disableDropout);
  let lastMetrics: DPOStepMetrics | null = null;
  let lastCheckpoint: string | null = null;
  let stepsThisCall = 0;
  let orderEpoch = -1;
  let order: Int32Array = new Int32Array(0);
  for (let step = startStep; step < totalSteps; step++) {
    // 5a. Learning rate: linear warmup, then constant (minLrFactor 1) or cosine.
    const learningRate = learningRateAt(step, totalSteps, args);
    optimizer.lr = learningRate;

    // 5b. Forward/backward per micro-batch of B pairs; the step's loss is the mean over its pairs.
    const microMetrics: Tensor[] = [];
    optimizer.zeroGrad();
    await accumulateGradients(accumulation, (a) => {
      const k = step * accumulation + a;
      const epoch = Math.floor(k / microBatchesPerEpoch);
      if (epoch !== orderEpoch) {
        order = epochPermutation(args.seed, epoch, train.length);
        orderEpoch = epoch;
      }
      const from = (k % microBatchesPerEpoch) * B;
      const { out, metrics } = forwardPairs(train, order.subarray(from, from + B), trainReference);
      microMetrics.push(keep(metrics));
      return out.loss;
    });
    const totals = new Float64Array(METRIC_NAMES.length);
    for (const metrics of microMetrics) {
      const values = await metrics.data();
      metrics.dispose();
      for (let m = 0; m < totals.length; m++) totals[m] += values[m] / accumulation;
    }

    // 5c. Clip the global gradient norm, then step.
    const gradNorm = args.maxGradNorm === null ? Number.NaN : await clipGradNormAsync(params, args.maxGradNorm);
    optimizer.step();
    stepsThisCall++;
    const done = step + 1;
    lastMetrics = { step: done, totalSteps, epoch: (done * accumulation) / microBatchesPerEpoch, learningRate, gradNorm, ...metricsOf(totals) };
    await hooks.onStep?.(lastMetrics);

    // 5d. Validation metrics.
    const stopping = hooks.stopAfterSteps !== undefined && stepsThisCall >= hooks.stopAfterSteps;
    if (validationReference !== null && (done === totalSteps || (args.evalEvery > 0 && done % args.evalEvery === 0))) {
      lastValidation = await evaluate(done);
      await hooks.onEval?.(lastValidation);
    }

    // 5e. Checkpoint when due: policy, AdamW moments, reference log-probs, step and RNG state.
    if (checkpointDue(hooks, done, totalSteps, stepsThisCall)) {
      optimizer.zeroGrad();
      const { json, tensors } = optimizerCheckpoint(optimizer);
      const referenceTensors: Record<string, Tensor> = {
        'train.chosen': tensor(trainReference.chosen),
        'train.rejected': tensor(trainReference.rejected),
      };
      if (validationReference !== null) {
        referenceTensors['validation.chosen'] = tensor(validationReference.chosen);
        referenceTensors['validation.rejected'] = tensor(validationReference.rejected);
      }
      const trainerState: DPOTrainerState = { step: done, totalSteps, generator: getDefaultGenerator().getState(), optimizer: json, validation: lastValidation };
      lastCheckpoint = `${hooks.checkpointDir}/${checkpointName(done)}`;
      await saveCheckpoint(lastCheckpoint, {
        model: policy.stateDict(),
        config: { trainer: 'dpo', ...args, maxPromptLength, maxResponseLength, model: { ...policy.config } },
        trainerState: trainerState as unknown as Record<string, unknown>,
        extraTensors: { optimizer: tensors, reference_logps: referenceTensors },
      });
      for (const t of Object.values(referenceTensors)) t.dispose();
    }
    if (stopping) break;
  }

  optimizer.zeroGrad();
  optimizer.dispose();
  policy.train();
  return { step: startStep + stepsThisCall, totalSteps, metrics: lastMetrics, validation: lastValidation, referenceLogProbs: trainReference, checkpoint: lastCheckpoint };
}
