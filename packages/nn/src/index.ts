// @attune/nn — neural-network building blocks on @attune/tensor. This file is the package's only
// public entry: everything exported here is a supported API.

export {
  Module,
  type AnyModule,
  type StateDict,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  type RegisterParameterOptions,
  type RegisterBufferOptions,
} from './module.js';
export {
  Linear,
  Embedding,
  LayerNorm,
  Dropout,
  Identity,
  Tanh,
  ReLU,
  Sigmoid,
  SiLU,
  GELU,
  Softmax,
  LogSoftmax,
  Sequential,
  MLP,
  makeActivation,
  type LinearOptions,
  type EmbeddingOptions,
  type LayerNormOptions,
  type TensorModule,
  type ActivationName,
  type ActivationSpec,
  type MLPConfig,
} from './layers.js';
/**
 * Initialisers with torch.nn.init's names: `init.orthogonal_(w, Math.SQRT2)`, `init.normal_(w, 0, 0.02)`, …
 *
 * @example
 * ```ts
 * const layer = new Linear(64, 2);
 * init.orthogonal_(layer.weight, Math.SQRT2);
 * init.normal_(layer.bias!, 0, 0.02);
 * ```
 */
export * as init from './init.js';
export type { Nonlinearity, FanMode, KaimingOptions } from './init.js';
export {
  Optimizer,
  SGD,
  Adam,
  AdamW,
  type SGDOptions,
  type AdamOptions,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type ParamStateInput,
  type OptimizerStateDict,
  type ZeroGradOptions,
} from './optim.js';
export { clipGradNorm, clipGradNormAsync, clipGradValue, type ClipGradNormOptions } from './clip.js';
export {
  constantSchedule,
  linearSchedule,
  cosineSchedule,
  LRScheduler,
  type Schedule,
  type LinearScheduleOptions,
  type CosineScheduleOptions,
  type LRSchedulerState,
} from './schedule.js';
export {
  saveSafetensors,
  saveSafetensorsAsync,
  loadSafetensors,
  saveFile,
  writeFileAtomic,
  loadFile,
  SafetensorsError,
  type SafetensorsDtype,
  type LoadedSafetensors,
  type LoadSafetensorsOptions,
} from './safetensors.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  latestCheckpoint,
  checkpointName,
  type CheckpointContents,
  type LoadedCheckpoint,
} from './checkpoint.js';
