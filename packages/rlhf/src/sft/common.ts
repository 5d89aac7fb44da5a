// The boring pieces SFT, DPO and rejection sampling share (STYLE 9: only boring pieces are
// shared): config validation that names the field, AdamW with decoupled decay on matrices only,
// the warmup + cosine learning rate, per-epoch shuffles derived from the seed, checkpoint I/O for
// the optimizer, and how a run is driven (callbacks, checkpoint directory, resume). Internal to
// @attune/rlhf: the trainers' files re-export the types users need.

import { AdamW, cosineSchedule, latestCheckpoint, type OptimizerStateDict, type ParamStateInput } from '@attune/nn';
import { Generator, type Tensor } from '@attune/tensor';
import type { GPT } from '@attune/transformer';

// ---- config validation --------------------------------------------------------------------------

/**
 * `defaults` overridden by the defined fields of `config`; an unknown field is an error naming it
 * (a typo such as `learningrate` would otherwise be silently ignored).
 */
export function mergeConfig<C extends object>(name: string, defaults: Readonly<C>, config: Partial<C>): C {
  if (typeof config !== 'object' || config === null) throw new TypeError(`${name}: config must be an object, got ${String(config)}`);
  for (const key of Object.keys(config)) {
    if (!(key in defaults)) throw new TypeError(`${name}.${key} is not a field (fields: ${Object.keys(defaults).join(', ')})`);
  }
  const merged = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(config)) if (value !== undefined) merged[key] = value;
  return merged as C;
}

/** Throws `name.field must be an integer ≥ min, got value` unless it is one. */
export function checkInteger(name: string, field: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new RangeError(`${name}.${field} must be an integer ≥ ${min}, got ${String(value)}`);
}

/** Throws unless `value` is null or an integer ≥ min. */
export function checkOptionalInteger(name: string, field: string, value: unknown, min: number): void {
  if (value !== null) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new RangeError(`${name}.${field} must be null or an integer ≥ ${min}, got ${String(value)}`);
  }
}

/** Throws unless `value` is a finite number in [min, max] ((min, max] with `minExclusive`). */
export function checkRange(name: string, field: string, value: unknown, min: number, max: number, minExclusive = false): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && (minExclusive ? value > min : value >= min) && value <= max;
  if (!ok) throw new RangeError(`${name}.${field} must be a number in ${minExclusive ? '(' : '['}${min}, ${max}], got ${String(value)}`);
}

/** Throws unless `value` is a boolean. */
export function checkBoolean(name: string, field: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new TypeError(`${name}.${field} must be true or false, got ${String(value)}`);
}

/** Throws naming `where` unless `tokens` is a non-empty (or possibly empty) array of ids in [0, vocabSize). */
export function checkTokenIds(where: string, tokens: unknown, vocabSize: number, allowEmpty = false): void {
  if (!Array.isArray(tokens)) throw new TypeError(`${where} must be an array of token ids, got ${typeof tokens}`);
  if (!allowEmpty && tokens.length === 0) throw new RangeError(`${where} must hold at least one token id, got []`);
  for (let i = 0; i < tokens.length; i++) {
    const id = tokens[i] as unknown;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new RangeError(`${where}[${i}] must be a token id in [0, ${vocabSize}) (the model's vocabSize), got ${String(id)}`);
    }
  }
}

// ---- optimizer and learning rate -----------------------------------------------------------------

/** AdamW's hyper-parameters as the trainers' configs name them. */
export interface OptimizerFields {
  learningRate: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  adamEpsilon: number;
}

/** Validates the {@link OptimizerFields} of a config, naming the field. */
export function checkOptimizerFields(name: string, config: OptimizerFields): void {
  checkRange(name, 'learningRate', config.learningRate, 0, Infinity, true);
  checkRange(name, 'weightDecay', config.weightDecay, 0, Infinity);
  checkRange(name, 'beta1', config.beta1, 0, 1);
  checkRange(name, 'beta2', config.beta2, 0, 1);
  checkRange(name, 'adamEpsilon', config.adamEpsilon, 0, Infinity, true);
}

/**
 * AdamW on `model`'s parameters with weight decay on matrices and embeddings only; biases and
 * LayerNorm gains (fewer than 2 dimensions) are not decayed (nanoGPT's `configure_optimizers`).
 */
export function makeAdamW(model: GPT, config: OptimizerFields): AdamW {
  const params = model.parameters();
  return new AdamW(
    [
      { params: params.filter((p) => p.ndim >= 2), weightDecay: config.weightDecay },
      { params: params.filter((p) => p.ndim < 2), weightDecay: 0 },
    ],
    { lr: config.learningRate, betas: [config.beta1, config.beta2], eps: config.adamEpsilon },
  );
}

/**
 * The learning rate of optimizer step `step` (0-based) of `totalSteps`: linear warmup over
 * `warmupSteps`, then a cosine from the peak down to `minLrFactor`·peak at the last step
 * (nanoGPT's `get_lr`; `minLrFactor` 1 keeps it constant after the warmup).
 */
export function learningRateAt(step: number, totalSteps: number, config: { learningRate: number; warmupSteps: number; minLrFactor: number }): number {
  const warmupSteps = Math.min(config.warmupSteps, totalSteps);
  const schedule = cosineSchedule({ warmupSteps, decaySteps: Math.max(warmupSteps, totalSteps - 1), minFactor: config.minLrFactor });
  return config.learningRate * schedule(step);
}

/** Optimizer state split for a checkpoint: step counts and hyper-parameters as JSON, moments as tensors. */
export interface OptimizerCheckpoint {
  json: OptimizerStateDict<Record<string, unknown>, { step: number } & Record<string, number>>;
  tensors: Record<string, Tensor>;
}

/**
 * The optimizer's state with its moments as named tensors (`<param index>.<moment>`) for an
 * `optimizer.safetensors` file — exact float32, unlike a JSON array, and no larger than the model
 * twice over. The tensors are the optimizer's own: save them before the next step.
 */
export function optimizerCheckpoint(optimizer: AdamW): OptimizerCheckpoint {
  const { state, paramGroups } = optimizer.stateDict();
  const json: OptimizerCheckpoint['json'] = { state: {}, paramGroups: paramGroups as OptimizerCheckpoint['json']['paramGroups'] };
  const tensors: Record<string, Tensor> = {};
  for (const [index, entry] of Object.entries(state)) {
    const numbers: { step: number } & Record<string, number> = { step: entry.step };
    for (const [field, value] of Object.entries(entry)) {
      if (typeof value === 'number') numbers[field] = value;
      else tensors[`${index}.${field}`] = value;
    }
    json.state[index] = numbers;
  }
  return { json, tensors };
}

/** Restores what {@link optimizerCheckpoint} saved; the loaded tensors are copied (the caller disposes them). */
export function restoreOptimizer(optimizer: AdamW, json: OptimizerCheckpoint['json'], tensors: Record<string, Tensor>): void {
  const state: Record<string, ParamStateInput> = {};
  for (const [index, numbers] of Object.entries(json.state)) state[index] = { ...numbers };
  for (const [name, value] of Object.entries(tensors)) {
    const dot = name.indexOf('.');
    const index = name.slice(0, dot);
    if (!(index in state)) throw new RangeError(`restoreOptimizer: optimizer.safetensors holds '${name}' but trainer_state.json has no state for parameter ${index}`);
    (state[index] as Record<string, unknown>)[name.slice(dot + 1)] = value;
  }
  optimizer.loadStateDict({ state, paramGroups: json.paramGroups });
}

// ---- data order ----------------------------------------------------------------------------------

/**
 * A permutation of 0…n−1 for epoch `epoch`, drawn (Fisher–Yates) from a Generator seeded with
 * `${seed}:${epoch}`: every epoch's order is a function of the seed alone, so a resumed run
 * replays exactly the order an uninterrupted one used.
 */
export function epochPermutation(seed: number, epoch: number, n: number): Int32Array {
  const generator = new Generator(`${seed}:${epoch}`);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(generator.random() * (i + 1));
    const swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
  return order;
}

// ---- how a run is driven ---------------------------------------------------------------------------

/**
 * How a trainer's run is driven: progress callbacks, checkpoints and resume. Every field is
 * optional.
 *
 * @example
 * ```ts
 * const bar = { update: (step: number, fields: Record<string, string>) => console.log(step, fields) }; // e.g. a progress bar
 * const hooks: TrainingHooks<SFTStepMetrics, SFTEvalMetrics> = {
 *   onStep: (m) => bar.update(m.step, { loss: m.loss.toFixed(3) }),
 *   checkpointDir: 'runs/sft', checkpointEvery: 200, resume: true,
 * };
 * ```
 */
export interface TrainingHooks<StepMetrics, EvalMetrics> {
  /** Called after every optimizer step (await-ed, so it may write a log line). */
  onStep?: (metrics: StepMetrics) => void | Promise<void>;
  /** Called after every evaluation on the held-out data. */
  onEval?: (metrics: EvalMetrics) => void | Promise<void>;
  /** Directory of `checkpoint-<step>/` directories; nothing is written without it. */
  checkpointDir?: string;
  /** Write a checkpoint every this many optimizer steps, and always after the last (default 0: only after the last). */
  checkpointEvery?: number;
  /** Continue a run: `true` = the newest checkpoint under `checkpointDir` (a fresh start when there is none), a string = that checkpoint directory. */
  resume?: boolean | string;
  /** Stop after this many optimizer steps in this call (a checkpoint is written first when `checkpointDir` is set): for tests and pre-emptible jobs. */
  stopAfterSteps?: number;
}

/** Validates the run-driving fields of `hooks`, naming the field. */
export function checkHooks(name: string, hooks: TrainingHooks<never, never>): void {
  if (typeof hooks !== 'object' || hooks === null) throw new TypeError(`${name}: hooks must be an object, got ${String(hooks)}`);
  if (hooks.checkpointEvery !== undefined) checkInteger(`${name} hooks`, 'checkpointEvery', hooks.checkpointEvery, 0);
  if (hooks.stopAfterSteps !== undefined) checkInteger(`${name} hooks`, 'stopAfterSteps', hooks.stopAfterSteps, 1);
  if (hooks.resume === true && hooks.checkpointDir === undefined) throw new TypeError(`${name} hooks.resume: true needs hooks.checkpointDir to look for checkpoints in`);
}

/** The checkpoint `hooks.resume` names, or null for a fresh run. */
export async function resumePath(hooks: TrainingHooks<never, never>): Promise<string | null> {
  if (hooks.resume === undefined || hooks.resume === false) return null;
  if (typeof hooks.resume === 'string') return hooks.resume;
  return latestCheckpoint(hooks.checkpointDir as string);
}

/** Whether to checkpoint after optimizer step `step` (1-based) of `totalSteps`, or because this call stops. */
export function checkpointDue(hooks: TrainingHooks<never, never>, step: number, totalSteps: number, stepsThisCall: number): boolean {
  if (hooks.checkpointDir === undefined) return false;
  const every = hooks.checkpointEvery ?? 0;
  const stopping = hooks.stopAfterSteps !== undefined && stepsThisCall >= hooks.stopAfterSteps;
  return step === totalSteps || stopping || (every > 0 && step % every === 0);
}

/** The value of a scalar tensor as a number; the tensor is disposed. */
export async function readScalar(t: Tensor): Promise<number> {
  const value = await t.item();
  t.dispose();
  return value;
}
