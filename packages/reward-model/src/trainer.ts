// Reward-model training, top to bottom: (1) config and optimizer, (2) resume from the newest
// checkpoint, (3) per epoch a seeded shuffle of the records, (4) per step: build the comparison
// batch, score each response once, weighted Bradley–Terry loss (+ centring), backward, clip, AdamW,
// LR schedule, (5) log, evaluate on held-out records, checkpoint. Defaults follow InstructGPT's
// reward-model recipe (Ouyang et al. 2022, App. C.2): one epoch, batch 64 prompts, cosine schedule
// down to 10%.

import { AdamW, checkpointName, clipGradNormAsync, constantSchedule, cosineSchedule, latestCheckpoint, linearSchedule, loadCheckpoint, LRScheduler, saveCheckpoint, type Schedule } from '@attune/nn';
import { Generator, noGrad, tidy, type GeneratorState } from '@attune/tensor';
import { toHuggingFaceConfig } from '@attune/transformer';
import { buildComparisonBatch, comparisonLoss, type PreferenceRecord } from './batch.js';
import { evaluateRewardModel, type RewardEvaluation } from './evaluate.js';
import type { RewardModel } from './model.js';

/**
 * Hyperparameters of {@link trainRewardModel}.
 *
 * @example
 * ```ts
 * const config: Partial<RewardTrainerConfig> = { learningRate: 1e-5, batchSize: 32, evalEvery: 100 };
 * ```
 */
export interface RewardTrainerConfig {
  /** Seed of the per-epoch shuffling of the training records. */
  seed: number;
  /** Passes over the training records (InstructGPT App. C.2: 1; more epochs overfit). */
  numEpochs: number;
  /** Records (prompts) per optimizer step; a K-way ranking counts once (InstructGPT App. C.2: 64). */
  batchSize: number;
  /** AdamW's peak learning rate (InstructGPT App. C.2: 9e-6 for the 6B reward model). */
  learningRate: number;
  /** Shape of the LR over the run: 'cosine' to `minLearningRateRatio` (InstructGPT App. C.2), 'linear' to 0, or 'constant'. */
  lrSchedule: 'cosine' | 'linear' | 'constant';
  /** Final LR / peak LR of the cosine schedule (InstructGPT App. C.2: 0.1). */
  minLearningRateRatio: number;
  /** Linear warmup steps of the cosine schedule. */
  warmupSteps: number;
  /** AdamW's decoupled weight decay (default 0). */
  weightDecay: number;
  /** Adam's ε (PyTorch's 1e-8). */
  adamEpsilon: number;
  /** Global gradient-norm clipping threshold; null disables. */
  maxGradNorm: number | null;
  /** η of the reward-centring loss η·(r_c + r_r)² (Eisenstein et al. 2023 use 0.01); 0 disables. */
  centeringCoef: number;
  /** Subtract each pair's `margin` in the loss (Llama 2, Touvron et al. 2023 §3.2.2). */
  useMargins: boolean;
  /** Id in padded positions (masked out, so any valid id). */
  padTokenId: number;
  /** Evaluate on `data.eval` every this many steps (0: only after the last step). */
  evalEvery: number;
  /** Records per forward pass during evaluation. */
  evalBatchSize: number;
}

/**
 * The defaults of {@link RewardTrainerConfig}.
 *
 * @example
 * ```ts
 * const config = { ...rewardTrainerDefaults, learningRate: 3e-4 };
 * ```
 */
export const rewardTrainerDefaults: Readonly<RewardTrainerConfig> = Object.freeze({
  seed: 1,
  numEpochs: 1,
  batchSize: 64,
  learningRate: 9e-6,
  lrSchedule: 'cosine',
  minLearningRateRatio: 0.1,
  warmupSteps: 0,
  weightDecay: 0,
  adamEpsilon: 1e-8,
  maxGradNorm: 1,
  centeringCoef: 0,
  useMargins: true,
  padTokenId: 0,
  evalEvery: 0,
  evalBatchSize: 16,
});

/**
 * What one optimizer step reports to `hooks.onStep`.
 *
 * @example
 * ```ts
 * const onStep = (s: RewardTrainStats) => console.log(`step ${s.step} loss ${s.loss.toFixed(4)} acc ${s.accuracy.toFixed(2)}`);
 * ```
 */
export interface RewardTrainStats {
  /** Optimizer steps taken so far (1-based). */
  step: number;
  totalSteps: number;
  /** 0-based epoch of this step. */
  epoch: number;
  /** The minimised loss (Bradley–Terry + centring) of this batch. */
  loss: number;
  /** Fraction of this batch's comparisons with r_c > r_r. */
  accuracy: number;
  /** Mean r_c − r_r over the batch's comparisons. */
  meanMargin: number;
  chosenRewardMean: number;
  rejectedRewardMean: number;
  /** Learning rate used for this step. */
  learningRate: number;
  /** Gradient norm before clipping (NaN when clipping is off). */
  gradNorm: number;
  numComparisons: number;
}

/**
 * Training and held-out records (token ids).
 *
 * @example
 * ```ts
 * const records: PreferenceRecord[] = Array.from({ length: 10 }, (_, i) => ({ prompt: [i], chosen: [1], rejected: [2] }));
 * const data: RewardTrainingData = { train: records.slice(0, 9), eval: records.slice(9) };
 * ```
 */
export interface RewardTrainingData {
  train: readonly PreferenceRecord[];
  eval?: readonly PreferenceRecord[];
}

/**
 * Callbacks and run control of {@link trainRewardModel} (the same fields as @attune/rlhf's trainers).
 *
 * @example
 * ```ts
 * const hooks: RewardTrainerHooks = { onStep: console.log, checkpointDir: 'runs/rm', checkpointEvery: 200, resume: true };
 * ```
 */
export interface RewardTrainerHooks {
  /** Called after every optimizer step (awaited). */
  onStep?: (stats: RewardTrainStats) => void | Promise<void>;
  /** Called after every held-out evaluation (awaited). */
  onEval?: (result: RewardEvaluation & { step: number }) => void | Promise<void>;
  /** Directory of `checkpoint-<step>/` directories; nothing is written without it. */
  checkpointDir?: string;
  /** Checkpoint every this many steps, and always after the last (default 0: only after the last). */
  checkpointEvery?: number;
  /** `true`: continue from the newest checkpoint under `checkpointDir` (fresh start when none); a string: that checkpoint. */
  resume?: boolean | string;
  /** Stop after this many steps in this call (checkpointing first when `checkpointDir` is set). */
  stopAfterSteps?: number;
}

/**
 * What {@link trainRewardModel} returns.
 *
 * @example
 * ```ts
 * import { gptConfig } from '@attune/transformer';
 * const rm = new RewardModel(gptConfig('test'));
 * const data: RewardTrainingData = { train: [{ prompt: [1], chosen: [2], rejected: [3] }] };
 * const { globalStep, lastEval }: RewardTrainingResult = await trainRewardModel(rm, data, { batchSize: 1 });
 * ```
 */
export interface RewardTrainingResult {
  /** Optimizer steps taken in total (including those before a resume). */
  globalStep: number;
  totalSteps: number;
  /** The last held-out evaluation, or null without `data.eval`. */
  lastEval: RewardEvaluation | null;
  /** The last checkpoint written, or null. */
  checkpoint: string | null;
}

/** What a checkpoint's trainer_state.json holds. */
interface RewardTrainerState {
  globalStep: number;
  epoch: number;
  /** Batches of `epoch` already taken. */
  stepInEpoch: number;
  /** The shuffling generator before `epoch`'s shuffle (replayed on resume). */
  epochGenerator: GeneratorState;
  /** Length of `data.train`, checked on resume. */
  numTrainRecords: number;
  optimizer: unknown;
  scheduler: { stepCount: number; baseLrs: number[] };
  gain: number;
  bias: number;
}

/**
 * Trains `model` in place on preference records (pairwise and K-way) with the weighted
 * Bradley–Terry loss, AdamW, an LR schedule and gradient clipping; evaluates on `data.eval`,
 * checkpoints to `hooks.checkpointDir` and resumes exactly (same batches, optimizer moments and LR)
 * from a checkpoint. Rows are right-padded prompt + response, scored with `model.forward()`.
 * Dropout draws are not checkpointed: resume is exact for dropout 0 (the usual reward-model setting).
 *
 * @example
 * ```ts
 * import { Generator } from '@attune/tensor';
 * import { GPT, gptConfig } from '@attune/transformer';
 * const sft = new GPT(gptConfig('test'), { generator: new Generator(0) }); // in practice the SFT model
 * const records: PreferenceRecord[] = Array.from({ length: 8 }, (_, i) => ({ prompt: [i + 1], chosen: [10], rejected: [20] }));
 * const [train, heldOut] = [records.slice(0, 6), records.slice(6)];
 * const rm = RewardModel.fromGPT(sft, { generator: new Generator(0) });
 * await trainRewardModel(rm, { train, eval: heldOut }, { learningRate: 1e-5, batchSize: 2 }, {
 *   onStep: (s) => console.log(s.step, s.loss),
 *   checkpointDir: 'runs/rm', checkpointEvery: 500, resume: true,
 * });
 * ```
 */
export async function trainRewardModel(
  model: RewardModel,
  data: RewardTrainingData,
  config: Partial<RewardTrainerConfig> = {},
  hooks: RewardTrainerHooks = {},
): Promise<RewardTrainingResult> {
  // 1. Config, optimizer and schedule.
  const args = resolveRewardTrainerConfig(config);
  checkData(data);
  checkHooks(hooks);
  const stepsPerEpoch = Math.ceil(data.train.length / args.batchSize);
  const totalSteps = stepsPerEpoch * args.numEpochs;
  const parameters = model.parameters();
  const optimizer = new AdamW(parameters, { lr: args.learningRate, eps: args.adamEpsilon, weightDecay: args.weightDecay });
  const scheduler = new LRScheduler(optimizer, makeSchedule(args, totalSteps));
  const generator = new Generator(args.seed);
  let globalStep = 0;
  let startEpoch = 0;
  let startStepInEpoch = 0;

  // 2. Resume: weights, gain/bias, optimizer moments, LR schedule, and the shuffling generator.
  const resumeFrom = hooks.resume === true ? await latestCheckpoint(hooks.checkpointDir as string) : typeof hooks.resume === 'string' ? hooks.resume : null;
  if (resumeFrom !== null) {
    const checkpoint = await loadCheckpoint(resumeFrom);
    try {
      model.loadStateDict(checkpoint.model); // read on the CPU; loadStateDict uploads to the model's backend
    } finally {
      for (const t of Object.values(checkpoint.model)) t.dispose();
    }
    const state = checkpoint.trainerState as unknown as RewardTrainerState;
    // The batches replay only with the same records, batch size, epochs and seed.
    const saved = { ...(checkpoint.config as Partial<RewardTrainerConfig>), numTrainRecords: state.numTrainRecords };
    const current = { ...args, numTrainRecords: data.train.length };
    for (const field of ['numTrainRecords', 'batchSize', 'numEpochs', 'seed'] as const) {
      if (saved[field] !== current[field]) {
        throw new RangeError(`trainRewardModel: cannot resume from ${resumeFrom}: its ${field} is ${JSON.stringify(saved[field])}, this run's is ${current[field]}`);
      }
    }
    optimizer.loadStateDict(state.optimizer as Parameters<AdamW['loadStateDict']>[0]);
    scheduler.loadStateDict(state.scheduler);
    model.gain = state.gain;
    model.bias = state.bias;
    globalStep = state.globalStep;
    startEpoch = state.epoch;
    startStepInEpoch = state.stepInEpoch;
    generator.setState(state.epochGenerator);
  }

  model.train();
  let lastEval: RewardEvaluation | null = null;
  let lastCheckpoint: string | null = null;
  let stepsThisCall = 0;
  const order = new Int32Array(data.train.length);
  try {
    for (let epoch = startEpoch; epoch < args.numEpochs; epoch++) {
      // 3. A seeded shuffle per epoch; the generator's state before it is what a checkpoint replays.
      const epochGenerator = generator.getState();
      shuffle(order, generator);
      for (let stepInEpoch = epoch === startEpoch ? startStepInEpoch : 0; stepInEpoch < stepsPerEpoch; stepInEpoch++) {
        // 4. One optimizer step on `batchSize` records.
        const start = stepInEpoch * args.batchSize;
        const records = Array.from(order.subarray(start, start + args.batchSize), (i) => data.train[i]);
        const batch = buildComparisonBatch(records, { padTokenId: args.padTokenId, maxLength: model.config.blockSize });
        const learningRate = optimizer.paramGroups[0].lr;
        optimizer.zeroGrad();
        const out = tidy(() => {
          const { loss, chosenRewards, rejectedRewards } = comparisonLoss(model, batch, { useMargins: args.useMargins, centeringCoef: args.centeringCoef });
          loss.backward();
          return noGrad(() => ({ loss: loss.clone(), chosen: chosenRewards.clone(), rejected: rejectedRewards.clone() }));
        });
        const gradNorm = args.maxGradNorm === null ? NaN : await clipGradNormAsync(parameters, args.maxGradNorm);
        optimizer.step();
        scheduler.step();
        globalStep++;
        stepsThisCall++;

        // 5. Log, evaluate, checkpoint.
        const [loss, chosen, rejected] = await Promise.all([out.loss.data(), out.chosen.data(), out.rejected.data()]);
        for (const t of [out.loss, out.chosen, out.rejected]) t.dispose();
        if (hooks.onStep) await hooks.onStep(stepStats({ step: globalStep, totalSteps, epoch, loss: loss[0], chosen, rejected, learningRate, gradNorm }));
        if (data.eval && data.eval.length > 0 && (globalStep === totalSteps || (args.evalEvery > 0 && globalStep % args.evalEvery === 0))) {
          lastEval = await evaluateRewardModel(model, data.eval, { batchSize: args.evalBatchSize, padTokenId: args.padTokenId, useMargins: args.useMargins });
          if (hooks.onEval) await hooks.onEval({ ...lastEval, step: globalStep });
        }
        const stopping = hooks.stopAfterSteps !== undefined && stepsThisCall >= hooks.stopAfterSteps;
        const every = hooks.checkpointEvery ?? 0;
        if (hooks.checkpointDir !== undefined && (globalStep === totalSteps || stopping || (every > 0 && globalStep % every === 0))) {
          const trainerState: RewardTrainerState = {
            globalStep,
            epoch,
            stepInEpoch: stepInEpoch + 1,
            epochGenerator,
            numTrainRecords: data.train.length,
            optimizer: await optimizer.stateDictJson(),
            scheduler: scheduler.stateDict(),
            gain: model.gain,
            bias: model.bias,
          };
          lastCheckpoint = `${hooks.checkpointDir}/${checkpointName(globalStep)}`;
          await saveCheckpoint(lastCheckpoint, {
            model: model.stateDict(),
            config: { ...args, model: toHuggingFaceConfig(model.config) },
            trainerState: trainerState as unknown as Record<string, unknown>,
          });
        }
        if (stopping) return { globalStep, totalSteps, lastEval, checkpoint: lastCheckpoint };
      }
    }
  } finally {
    optimizer.zeroGrad(); // free the last gradients and the Adam moments; the model keeps only its parameters
    optimizer.dispose();
  }
  return { globalStep, totalSteps, lastEval, checkpoint: lastCheckpoint };
}

/**
 * Fills in defaults and validates every field, naming it.
 *
 * @example
 * ```ts
 * resolveRewardTrainerConfig({ batchSize: 8 }).batchSize; // 8
 * try {
 *   resolveRewardTrainerConfig({ batchSize: 0 });
 * } catch (error) {
 *   console.log((error as Error).message); // RewardTrainerConfig.batchSize must be an integer ≥ 1, got 0
 * }
 * ```
 */
export function resolveRewardTrainerConfig(config: Partial<RewardTrainerConfig> = {}): RewardTrainerConfig {
  const defined = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as Partial<RewardTrainerConfig>;
  for (const key of Object.keys(defined)) {
    if (!(key in rewardTrainerDefaults)) throw new RangeError(`RewardTrainerConfig: unknown field '${key}' (known: ${Object.keys(rewardTrainerDefaults).join(', ')})`);
  }
  const args: RewardTrainerConfig = { ...rewardTrainerDefaults, ...defined };
  const integer = (field: keyof RewardTrainerConfig, min: number): void => {
    const value = args[field];
    if (!Number.isInteger(value) || (value as number) < min) throw new RangeError(`RewardTrainerConfig.${field} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  };
  const number = (field: keyof RewardTrainerConfig, min: number, max = Infinity): void => {
    const value = args[field];
    if (typeof value !== 'number' || !(value >= min && value <= max)) throw new RangeError(`RewardTrainerConfig.${field} must be a number in [${min}, ${max}], got ${JSON.stringify(value)}`);
  };
  integer('seed', -Infinity);
  integer('numEpochs', 1);
  integer('batchSize', 1);
  integer('warmupSteps', 0);
  integer('padTokenId', 0);
  integer('evalEvery', 0);
  integer('evalBatchSize', 1);
  number('learningRate', 0);
  number('minLearningRateRatio', 0, 1);
  number('weightDecay', 0);
  number('adamEpsilon', 0);
  number('centeringCoef', 0);
  if (args.maxGradNorm !== null) number('maxGradNorm', Number.MIN_VALUE);
  if (!['cosine', 'linear', 'constant'].includes(args.lrSchedule)) throw new RangeError(`RewardTrainerConfig.lrSchedule must be 'cosine', 'linear' or 'constant', got ${JSON.stringify(args.lrSchedule)}`);
  if (typeof args.useMargins !== 'boolean') throw new TypeError(`RewardTrainerConfig.useMargins must be a boolean, got ${JSON.stringify(args.useMargins)}`);
  return args;
}

function makeSchedule(args: RewardTrainerConfig, totalSteps: number): Schedule {
  if (args.lrSchedule === 'constant') return constantSchedule();
  if (args.lrSchedule === 'linear') return linearSchedule({ numSteps: totalSteps });
  return cosineSchedule({ warmupSteps: Math.min(args.warmupSteps, totalSteps), decaySteps: totalSteps, minFactor: args.minLearningRateRatio });
}

/** Fisher–Yates shuffle of 0…n−1 into `order`, drawn from `generator`. */
function shuffle(order: Int32Array, generator: Generator): void {
  for (let i = 0; i < order.length; i++) order[i] = i;
  for (let i = order.length - 1; i > 0; i--) {
    const j = generator.randint(0, i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

function stepStats(s: { step: number; totalSteps: number; epoch: number; loss: number; chosen: ArrayLike<number>; rejected: ArrayLike<number>; learningRate: number; gradNorm: number }): RewardTrainStats {
  const M = s.chosen.length;
  let correct = 0;
  let chosenSum = 0;
  let rejectedSum = 0;
  for (let i = 0; i < M; i++) {
    const d = s.chosen[i] - s.rejected[i];
    correct += d > 0 ? 1 : d === 0 ? 0.5 : 0;
    chosenSum += s.chosen[i];
    rejectedSum += s.rejected[i];
  }
  return {
    step: s.step,
    totalSteps: s.totalSteps,
    epoch: s.epoch,
    loss: s.loss,
    accuracy: correct / M,
    meanMargin: (chosenSum - rejectedSum) / M,
    chosenRewardMean: chosenSum / M,
    rejectedRewardMean: rejectedSum / M,
    learningRate: s.learningRate,
    gradNorm: s.gradNorm,
    numComparisons: M,
  };
}

function checkData(data: RewardTrainingData): void {
  if (typeof data !== 'object' || data === null || !Array.isArray(data.train)) throw new TypeError(`trainRewardModel: data must be { train: PreferenceRecord[], eval? }, got ${data === null ? 'null' : typeof data}`);
  if (data.train.length === 0) throw new RangeError('trainRewardModel: data.train must hold at least one record, got 0');
  if (data.eval !== undefined && !Array.isArray(data.eval)) throw new TypeError(`trainRewardModel: data.eval must be an array of records, got ${typeof data.eval}`);
}

function checkHooks(hooks: RewardTrainerHooks): void {
  if (typeof hooks !== 'object' || hooks === null) throw new TypeError(`trainRewardModel: hooks must be an object, got ${String(hooks)}`);
  if (hooks.checkpointEvery !== undefined && !(Number.isInteger(hooks.checkpointEvery) && hooks.checkpointEvery >= 0)) {
    throw new RangeError(`trainRewardModel: hooks.checkpointEvery must be an integer ≥ 0, got ${JSON.stringify(hooks.checkpointEvery)}`);
  }
  if (hooks.stopAfterSteps !== undefined && !(Number.isInteger(hooks.stopAfterSteps) && hooks.stopAfterSteps >= 1)) {
    throw new RangeError(`trainRewardModel: hooks.stopAfterSteps must be an integer ≥ 1, got ${JSON.stringify(hooks.stopAfterSteps)}`);
  }
  if (hooks.resume === true && hooks.checkpointDir === undefined) throw new TypeError('trainRewardModel: hooks.resume: true needs hooks.checkpointDir to look for checkpoints in');
}
