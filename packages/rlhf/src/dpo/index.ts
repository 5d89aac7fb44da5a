// Direct Preference Optimization (Rafailov et al. 2023): the loss, preference batches and the trainer.
export {
  dpoLoss,
  preferenceBatch,
  sequenceLogProbs,
  referenceLogProbs,
  trainDPO,
  resolveDPOConfig,
  dpoDefaults,
  type DPOLossOptions,
  type DPOLossOutput,
  type PreferenceBatch,
  type PreferenceBatchOptions,
  type ReferenceLogProbs,
  type DPOConfig,
  type DPOMetrics,
  type DPOStepMetrics,
  type DPOEvalMetrics,
  type DPOHooks,
  type DPOData,
  type DPOResult,
} from './dpo.js';
export type { PreferencePair } from '@attune/reward-model';
