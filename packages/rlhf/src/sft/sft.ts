/**
 * Supervised fine-tuning (SFT) of a GPT on demonstrations, the first stage of RLHF (Ouyang et al.
 * 2022, §3.5; Touvron et al. 2023 "Llama 2", §3.1). Prompt and completion are concatenated, every
 * example is appended to one stream that is cut into full `blockSize` rows (packing), and the
 * next-token loss counts the completion's tokens only: "we zero-out the loss on tokens from the
 * user prompt" (Llama 2 §3.1). The loop reads top to bottom in execution order: config, data,
 * optimizer, resume, then per step the learning rate, gradient accumulation over micro-batches,
 * clipping, the AdamW step, evaluation and checkpoints.
 *
 * Metrics passed to `onStep`: step, epoch, loss (token-weighted mean over the step's completion
 * tokens), learningRate, gradNorm (before clipping), tokens (completion tokens in the step);
 * `onEval`: step, validationLoss.
 */
import { clipGradNormAsync, checkpointName, loadCheckpoint, saveCheckpoint } from '@attune/nn';
import { getDefaultGenerator, mul, noGrad, sum, tensor, tidy, type Backend, type GeneratorState, type Tensor } from '@attune/tensor';
import { lmLoss, packSequences, accumulateGradients, type GPT, type PackedSequences } from '@attune/transformer';
import type { SFTExample } from '../data/records.js';
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
  readScalar,
  restoreOptimizer,
  resumePath,
  type OptimizerCheckpoint,
  type TrainingHooks,
} from './common.js';

// ---- 1. Config --------------------------------------------------------------------------------

/**
 * Hyperparameters of {@link trainSFT}. Defaults are Llama 2's SFT recipe (Touvron et al. 2023, §3.1
 * and §2.2) where the paper states them; batch sizes count packed rows of the model's `blockSize`.
 *
 * @example
 * ```ts
 * const config: Partial<SFTConfig> = { learningRate: 1e-4, batchSize: 8, numEpochs: 3, evalEvery: 50 };
 * ```
 */
export interface SFTConfig {
  /** Seed of the per-epoch shuffles of the examples (the model is initialised by its caller). */
  seed: number;
  /** Passes over the training examples (Llama 2 §3.1: 2). */
  numEpochs: number;
  /** Optimizer steps to take; null derives them from `numEpochs` (when set, it wins and epochs wrap around). */
  maxSteps: number | null;
  /** Packed rows of `blockSize` tokens per micro-batch (B). */
  batchSize: number;
  /** Micro-batches whose gradients are summed into one optimizer step; rows per step = batchSize × this (Llama 2: 64 sequences per step). */
  gradientAccumulationSteps: number;
  /** Peak learning rate (Llama 2 §3.1: 2e-5). */
  learningRate: number;
  /** Linear warmup steps before the cosine (Llama 2's SFT states none). */
  warmupSteps: number;
  /** The cosine ends at this fraction of the peak at the last step (Llama 2 §2.2: 0.1). */
  minLrFactor: number;
  /** AdamW's decoupled weight decay on matrices and embeddings (Llama 2 §3.1: 0.1); biases and gains are not decayed. */
  weightDecay: number;
  /** AdamW β₁ (Llama 2 §2.2: 0.9). */
  beta1: number;
  /** AdamW β₂ (Llama 2 §2.2: 0.95). */
  beta2: number;
  /** AdamW ε (Llama 2 §2.2: 1e-5). */
  adamEpsilon: number;
  /** Clip the global gradient norm at this value (Llama 2 §2.2: 1.0); null disables clipping. */
  maxGradNorm: number | null;
  /** Token appended after every example when packing (its target counts); null adds none, since `encodeSFT` already ends each completion with EOS. */
  separatorTokenId: number | null;
  /** Train on the prompt's tokens too (default false: the loss counts completion tokens only, Llama 2 §3.1). */
  trainOnPrompt: boolean;
  /** Evaluate on the validation examples every this many steps, and after the last (0: only after the last). */
  evalEvery: number;
  /** Packed rows per evaluation batch. */
  evalBatchSize: number;
}

/**
 * The defaults of {@link SFTConfig} (Llama 2's SFT hyperparameters, §3.1).
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * const model = new GPT(gptConfig('test'));
 * const examples: SFTExample[] = Array.from({ length: 8 }, (_, i) => ({ prompt: [1, 2, i + 3], completion: [20, 21, 0] }));
 * await trainSFT(model, examples, { ...sftDefaults, learningRate: 1e-4, batchSize: 1 });
 * ```
 */
export const sftDefaults: Readonly<SFTConfig> = Object.freeze({
  seed: 1,
  numEpochs: 2,
  maxSteps: null,
  batchSize: 8,
  gradientAccumulationSteps: 8,
  learningRate: 2e-5,
  warmupSteps: 0,
  minLrFactor: 0.1,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  adamEpsilon: 1e-5,
  maxGradNorm: 1,
  separatorTokenId: null,
  trainOnPrompt: false,
  evalEvery: 0,
  evalBatchSize: 8,
});

/**
 * `config` over {@link sftDefaults}, validated: an error names the field, the expected and the
 * actual value.
 *
 * @example
 * ```ts
 * resolveSFTConfig({ batchSize: 8 }).batchSize; // 8
 * try {
 *   resolveSFTConfig({ batchSize: 0 });
 * } catch (error) {
 *   console.log((error as Error).message); // SFTConfig.batchSize must be an integer ≥ 1, got 0
 * }
 * ```
 */
export function resolveSFTConfig(config: Partial<SFTConfig> = {}): SFTConfig {
  const args = mergeConfig('SFTConfig', sftDefaults, config);
  const name = 'SFTConfig';
  checkInteger(name, 'seed', args.seed, 0);
  checkInteger(name, 'numEpochs', args.numEpochs, 1);
  checkOptionalInteger(name, 'maxSteps', args.maxSteps, 1);
  checkInteger(name, 'batchSize', args.batchSize, 1);
  checkInteger(name, 'gradientAccumulationSteps', args.gradientAccumulationSteps, 1);
  checkOptimizerFields(name, args);
  checkInteger(name, 'warmupSteps', args.warmupSteps, 0);
  checkRange(name, 'minLrFactor', args.minLrFactor, 0, 1);
  if (args.maxGradNorm !== null) checkRange(name, 'maxGradNorm', args.maxGradNorm, 0, Infinity, true);
  checkOptionalInteger(name, 'separatorTokenId', args.separatorTokenId, 0);
  checkBoolean(name, 'trainOnPrompt', args.trainOnPrompt);
  checkInteger(name, 'evalEvery', args.evalEvery, 0);
  checkInteger(name, 'evalBatchSize', args.evalBatchSize, 1);
  return args;
}

// ---- Types of the run -------------------------------------------------------------------------

/**
 * Training examples, optionally with held-out ones for the validation loss.
 *
 * @example
 * ```ts
 * const examples: SFTExample[] = Array.from({ length: 150 }, (_, i) => ({ prompt: [i % 5 + 1], completion: [7, 0] }));
 * const data: SFTData = { train: examples.slice(100), validation: examples.slice(0, 100) };
 * ```
 */
export type SFTData = readonly SFTExample[] | { train: readonly SFTExample[]; validation?: readonly SFTExample[] };

/**
 * What `onStep` receives after every optimizer step.
 *
 * @example
 * ```ts
 * const onStep = (m: SFTStepMetrics) => console.log(`step ${m.step}/${m.totalSteps} loss ${m.loss.toFixed(3)}`);
 * ```
 */
export interface SFTStepMetrics {
  /** Optimizer steps done (1-based). */
  step: number;
  /** Steps the run will take in all. */
  totalSteps: number;
  /** Epochs done, fractional. */
  epoch: number;
  /** Mean next-token loss over the step's completion tokens (nats/token). */
  loss: number;
  /** The learning rate this step used. */
  learningRate: number;
  /** Global gradient norm before clipping (NaN when clipping is off). */
  gradNorm: number;
  /** Completion tokens the loss counted in this step. */
  tokens: number;
}

/**
 * What `onEval` receives.
 *
 * @example
 * ```ts
 * const onEval = (m: SFTEvalMetrics) => console.log(`validation loss ${m.validationLoss.toFixed(3)}`);
 * ```
 */
export interface SFTEvalMetrics {
  step: number;
  /** Mean next-token loss over the validation examples' completion tokens. */
  validationLoss: number;
}

/**
 * Callbacks, checkpoints and resume of {@link trainSFT}.
 *
 * @example
 * ```ts
 * const bar = { update: (step: number) => console.log(step) }; // e.g. a progress bar
 * const hooks: SFTHooks = { onStep: (m) => bar.update(m.step), checkpointDir: 'runs/sft', checkpointEvery: 100, resume: true };
 * ```
 */
export type SFTHooks = TrainingHooks<SFTStepMetrics, SFTEvalMetrics>;

/**
 * What {@link trainSFT} resolves with (the model is trained in place).
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * const model = new GPT(gptConfig('test'));
 * const examples: SFTExample[] = Array.from({ length: 12 }, (_, i) => ({ prompt: [1, 2, i + 3], completion: [20, 21, 0] }));
 * const data: SFTData = { train: examples.slice(4), validation: examples.slice(0, 4) };
 * const config: Partial<SFTConfig> = { batchSize: 1 };
 * const { step, loss, validationLoss }: SFTResult = await trainSFT(model, data, config);
 * ```
 */
export interface SFTResult {
  /** Optimizer steps done in all (resumed ones included). */
  step: number;
  /** Steps a complete run takes. */
  totalSteps: number;
  /** Optimizer steps taken by this call (fewer than `step` after a resume). */
  stepsThisCall: number;
  /** The last step's training loss (NaN when this call took no step). */
  loss: number;
  /** The last validation loss (NaN without validation examples). */
  validationLoss: number;
  /** The last checkpoint written, or null. */
  checkpoint: string | null;
}

/** What `trainer_state.json` holds for SFT. */
interface SFTTrainerState {
  step: number;
  totalSteps: number;
  /** The global generator's state (dropout masks draw from it). */
  generator: GeneratorState;
  optimizer: OptimizerCheckpoint['json'];
  validationLoss: number;
}

// ---- 2. Data --------------------------------------------------------------------------------------

/**
 * The examples as packable sequences: prompt + completion, with loss mask 0 on the prompt (unless
 * `trainOnPrompt`) and 1 on the completion. Packing then shifts the mask with the targets, so
 * the first completion token — predicted from the last prompt token — counts.
 *
 * @example
 * ```ts
 * sftSequences([{ prompt: [1, 2], completion: [3, 0] }]); // [{ tokens: [1, 2, 3, 0], lossMask: [0, 0, 1, 1] }]
 * ```
 */
export function sftSequences(examples: readonly SFTExample[], options: { trainOnPrompt?: boolean } = {}): { tokens: number[]; lossMask: number[] }[] {
  const promptMask = options.trainOnPrompt ? 1 : 0;
  return examples.map(({ prompt, completion }) => ({
    tokens: prompt.concat(completion),
    lossMask: new Array<number>(prompt.length).fill(promptMask).concat(new Array<number>(completion.length).fill(1)),
  }));
}

/** The rows of `packed` from `row` on, `count` of them, as (count, T) tensors on `backend`. */
function rowsAsTensors(packed: PackedSequences, row: number, count: number, backend: Backend): { inputs: Tensor; targets: Tensor; lossMask: Tensor } {
  const T = packed.blockSize;
  const from = row * T;
  const to = (row + count) * T;
  return {
    inputs: tensor(packed.inputs.subarray(from, to), { shape: [count, T], dtype: 'int32', backend }),
    targets: tensor(packed.targets.subarray(from, to), { shape: [count, T], dtype: 'int32', backend }),
    lossMask: tensor(packed.lossMask.subarray(from, to), { shape: [count, T], backend }),
  };
}

/** Number of counted targets in rows [row, row + count) of `packed`. */
function countedTargets(packed: PackedSequences, row: number, count: number): number {
  const T = packed.blockSize;
  let total = 0;
  for (let i = row * T; i < (row + count) * T; i++) total += packed.lossMask[i];
  return total;
}

/**
 * Mean loss per counted target over all packed `rows` (token-weighted), in eval mode without
 * gradients; batches of `batchSize` rows, the last one possibly smaller.
 */
async function packedLoss(model: GPT, packed: PackedSequences, batchSize: number): Promise<number> {
  const backend = model.lmHeadWeight.backend;
  const wasTraining = model.training;
  model.eval();
  let total = 0;
  let count = 0;
  for (let row = 0; row < packed.rows; row += batchSize) {
    const rows = Math.min(batchSize, packed.rows - row);
    const counted = countedTargets(packed, row, rows);
    if (counted === 0) continue;
    const batchSum = noGrad(() =>
      tidy(() => {
        const { inputs, targets, lossMask } = rowsAsTensors(packed, row, rows, backend);
        return mul(lmLoss(model.forward(inputs), targets, { lossMask }), counted); // mean × count = sum
      }),
    );
    total += await readScalar(batchSum);
    count += counted;
  }
  if (wasTraining) model.train();
  return count === 0 ? Number.NaN : total / count;
}

/**
 * Mean next-token loss of `model` on the completion tokens of `examples` (packed like training
 * data, in their given order), without gradients. The number `trainSFT` reports as validationLoss.
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * const model = new GPT(gptConfig('test'));
 * const heldOut: SFTExample[] = Array.from({ length: 8 }, (_, i) => ({ prompt: [1, 2, i + 3], completion: [20, 21, 0] }));
 * const before = await sftLoss(model, heldOut);
 * ```
 */
export async function sftLoss(model: GPT, examples: readonly SFTExample[], options: { batchSize?: number; separatorTokenId?: number | null; trainOnPrompt?: boolean } = {}): Promise<number> {
  const packed = packSequences(sftSequences(examples, options), model.config.blockSize, { separatorTokenId: options.separatorTokenId ?? null });
  if (packed.rows === 0) throw new RangeError(`sftLoss: the examples pack into 0 rows of blockSize ${model.config.blockSize}; give more or longer examples`);
  return packedLoss(model, packed, options.batchSize ?? 8);
}

// ---- 3. The trainer -------------------------------------------------------------------------------

/**
 * Fine-tunes `model` in place on prompt/completion pairs of token ids, with the loss on completion
 * tokens only (Llama 2 §3.1). Examples are shuffled every epoch (the order is a function of the
 * seed), packed into full rows of `blockSize` tokens, and trained with AdamW under warmup + cosine,
 * gradient accumulation and clipping. Checkpoints (`model.safetensors`, `optimizer.safetensors`
 * with the AdamW moments, `trainer_state.json` with the step and RNG state) go under
 * `hooks.checkpointDir`; with `hooks.resume` a killed run continues where its last checkpoint
 * left it and ends with the weights an uninterrupted run would have.
 *
 * @example
 * ```ts
 * import { ByteTokenizer, GPT, gptConfig } from '@attune/transformer';
 * const tokenizer = new ByteTokenizer({ eos: true });
 * const model = new GPT(gptConfig('test', { vocabSize: tokenizer.vocabSize }));
 * const records: SFTRecord[] = Array.from({ length: 12 }, (_, i) => ({ prompt: `Q: ${i}+${i}?`, completion: ` ${2 * i}` }));
 * const examples = records.map((r) => encodeSFT(r, tokenizer));
 * const result = await trainSFT(model, { train: examples.slice(4), validation: examples.slice(0, 4) },
 *   { learningRate: 1e-4, batchSize: 1, gradientAccumulationSteps: 1, numEpochs: 3, evalEvery: 2 },
 *   { onStep: (m) => console.log(m.step, m.loss), checkpointDir: 'runs/sft', checkpointEvery: 2, resume: true });
 * ```
 */
export async function trainSFT(model: GPT, examples: SFTData, config: Partial<SFTConfig> = {}, hooks: SFTHooks = {}): Promise<SFTResult> {
  // 1. Config and examples, validated once.
  const args = resolveSFTConfig(config);
  checkHooks('trainSFT', hooks);
  const { train, validation } = Array.isArray(examples) ? { train: examples as readonly SFTExample[], validation: undefined } : (examples as { train: readonly SFTExample[]; validation?: readonly SFTExample[] });
  if (!Array.isArray(train) || train.length === 0) throw new RangeError(`trainSFT: examples must hold at least one training example, got ${Array.isArray(train) ? 0 : typeof train}`);
  const { vocabSize, blockSize: T } = model.config;
  if (args.separatorTokenId !== null && args.separatorTokenId >= vocabSize) throw new RangeError(`SFTConfig.separatorTokenId must be a token id in [0, ${vocabSize}), got ${args.separatorTokenId}`);
  const checkExamples = (list: readonly SFTExample[], label: string) =>
    list.forEach((example, i) => {
      checkTokenIds(`trainSFT: ${label}[${i}].prompt`, example?.prompt, vocabSize, true);
      checkTokenIds(`trainSFT: ${label}[${i}].completion`, example?.completion, vocabSize);
    });
  checkExamples(train, 'train');
  if (validation !== undefined) checkExamples(validation, 'validation');

  // 2. Data: epoch e packs the examples in the order epochPermutation(seed, e); the stream's length,
  // and so the number of rows R, is the same every epoch. Micro-batch k of the run is rows
  // [b·B, (b+1)·B) of epoch ⌊k / M⌋ with b = k mod M, M = ⌊R / B⌋ (the last partial batch is dropped).
  const sequences = sftSequences(train, { trainOnPrompt: args.trainOnPrompt });
  const packEpoch = (epoch: number): PackedSequences => {
    const order = epochPermutation(args.seed, epoch, sequences.length);
    return packSequences(Array.from(order, (i) => sequences[i]), T, { separatorTokenId: args.separatorTokenId });
  };
  let packedEpoch = 0;
  let packed = packEpoch(0);
  const B = args.batchSize;
  const microBatchesPerEpoch = Math.floor(packed.rows / B);
  if (microBatchesPerEpoch === 0) {
    throw new RangeError(`trainSFT: the ${train.length} training examples pack into ${packed.rows} rows of blockSize ${T}, fewer than SFTConfig.batchSize = ${B}; lower batchSize or give more examples`);
  }
  const accumulation = args.gradientAccumulationSteps;
  const totalSteps = args.maxSteps ?? Math.max(1, Math.floor((args.numEpochs * microBatchesPerEpoch) / accumulation));
  const validationPacked = validation !== undefined && validation.length > 0 ? packSequences(sftSequences(validation, { trainOnPrompt: args.trainOnPrompt }), T, { separatorTokenId: args.separatorTokenId }) : null;
  if (validationPacked !== null && validationPacked.rows === 0) throw new RangeError(`trainSFT: the ${validation!.length} validation examples pack into 0 rows of blockSize ${T}; give more of them`);

  // 3. Optimizer: AdamW, decay on matrices only.
  const optimizer = makeAdamW(model, args);
  const params = model.parameters();
  const backend = model.lmHeadWeight.backend;

  // 4. Resume: weights, AdamW moments, step and RNG state from the newest checkpoint.
  let startStep = 0;
  let validationLoss = Number.NaN;
  const resumeFrom = await resumePath(hooks);
  if (resumeFrom !== null) {
    const checkpoint = await loadCheckpoint(resumeFrom, ['optimizer']);
    const state = checkpoint.trainerState as unknown as SFTTrainerState;
    if (state.totalSteps !== totalSteps) throw new RangeError(`trainSFT: checkpoint ${resumeFrom} belongs to a run of ${state.totalSteps} steps, this config and data give ${totalSteps}`);
    model.loadStateDict(checkpoint.model);
    restoreOptimizer(optimizer, state.optimizer, checkpoint.extraTensors.optimizer);
    for (const t of [...Object.values(checkpoint.model), ...Object.values(checkpoint.extraTensors.optimizer)]) t.dispose();
    getDefaultGenerator().setState(state.generator);
    startStep = state.step;
    validationLoss = state.validationLoss ?? Number.NaN;
  }

  // 5. The loop: one optimizer step per iteration.
  model.train();
  let loss = Number.NaN;
  let lastCheckpoint: string | null = null;
  let stepsThisCall = 0;
  for (let step = startStep; step < totalSteps; step++) {
    // 5a. Learning rate: linear warmup, then cosine to minLrFactor·peak (nanoGPT's get_lr).
    const learningRate = learningRateAt(step, totalSteps, args);
    optimizer.lr = learningRate;

    // 5b. The step's micro-batches and their counted tokens; each micro-batch's mean loss is weighted
    // by its share of the step's completion tokens, so the step minimises the mean over all of them.
    const microBatches: { packed: PackedSequences; row: number; counted: number }[] = [];
    for (let a = 0; a < accumulation; a++) {
      const k = step * accumulation + a;
      const epoch = Math.floor(k / microBatchesPerEpoch);
      if (epoch !== packedEpoch) {
        packed = packEpoch(epoch);
        packedEpoch = epoch;
      }
      const row = (k % microBatchesPerEpoch) * B;
      microBatches.push({ packed, row, counted: countedTargets(packed, row, B) });
    }
    const tokens = microBatches.reduce((total, m) => total + m.counted, 0);

    // 5c. Forward/backward per micro-batch (accumulateGradients scales each loss by 1/accumulation,
    // so the scale below makes the sum Σ count_i·mean_i / tokens, the token-weighted mean).
    optimizer.zeroGrad();
    loss = await accumulateGradients(accumulation, (a) => {
      const { packed: rows, row, counted } = microBatches[a];
      const { inputs, targets, lossMask } = rowsAsTensors(rows, row, B, backend);
      const logits = model.forward(inputs); // (B, T, V)
      if (counted === 0) return mul(sum(logits), 0); // no completion token here: zero loss and gradient
      return mul(lmLoss(logits, targets, { lossMask }), (counted * accumulation) / tokens);
    });

    // 5d. Clip the global gradient norm, then step.
    const gradNorm = args.maxGradNorm === null ? Number.NaN : await clipGradNormAsync(params, args.maxGradNorm);
    optimizer.step();
    stepsThisCall++;
    const done = step + 1;
    await hooks.onStep?.({ step: done, totalSteps, epoch: (done * accumulation) / microBatchesPerEpoch, loss, learningRate, gradNorm, tokens });

    // 5e. Validation loss on the held-out examples.
    const stopping = hooks.stopAfterSteps !== undefined && stepsThisCall >= hooks.stopAfterSteps;
    if (validationPacked !== null && (done === totalSteps || (args.evalEvery > 0 && done % args.evalEvery === 0))) {
      validationLoss = await packedLoss(model, validationPacked, args.evalBatchSize);
      await hooks.onEval?.({ step: done, validationLoss });
    }

    // 5f. Checkpoint (an atomic directory write) when due.
    if (checkpointDue(hooks, done, totalSteps, stepsThisCall)) {
      optimizer.zeroGrad(); // gradients are not part of the state
      const { json, tensors } = optimizerCheckpoint(optimizer);
      const trainerState: SFTTrainerState = { step: done, totalSteps, generator: getDefaultGenerator().getState(), optimizer: json, validationLoss };
      lastCheckpoint = `${hooks.checkpointDir}/${checkpointName(done)}`;
      await saveCheckpoint(lastCheckpoint, {
        model: model.stateDict(),
        config: { trainer: 'sft', ...args, model: { ...model.config } },
        trainerState: trainerState as unknown as Record<string, unknown>,
        extraTensors: { optimizer: tensors },
      });
    }
    if (stopping) break;
  }

  optimizer.zeroGrad(); // free the last gradients; the model keeps only its parameters
  optimizer.dispose();
  return { step: startStep + stepsThisCall, totalSteps, stepsThisCall, loss, validationLoss, checkpoint: lastCheckpoint };
}
