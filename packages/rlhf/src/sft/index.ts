// Supervised fine-tuning: the prompt-masked, packed SFT trainer and the run-driving types the other
// trainers (DPO, rejection sampling) share.
export {
  trainSFT,
  resolveSFTConfig,
  sftDefaults,
  sftLoss,
  sftSequences,
  type SFTConfig,
  type SFTData,
  type SFTHooks,
  type SFTStepMetrics,
  type SFTEvalMetrics,
  type SFTResult,
} from './sft.js';
export type { TrainingHooks } from './common.js';
