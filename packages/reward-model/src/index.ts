// @attune/reward-model — reward models for RLHF: a GPT-2 trunk with a scalar head scoring the last
// real token, pairwise and K-way preference losses, reward normalisation, a trainer, evaluation and
// streaming JSONL preference data. This file is the package's only public entry: everything
// exported here is a supported API.

export { RewardModel, type RewardModelOptions, type RewardForwardOptions } from './model.js';
export { bradleyTerryLoss, rewardCenteringLoss, rankingComparisons, checkRanking, type BradleyTerryOptions } from './losses.js';
export {
  buildComparisonBatch,
  comparisonLoss,
  scoreSequences,
  isRankedPreference,
  type PreferencePair,
  type RankedPreference,
  type PreferenceRecord,
  type ComparisonBatch,
  type BuildComparisonBatchOptions,
  type ComparisonLossOptions,
  type ComparisonLossOutput,
} from './batch.js';
export { rewardStatistics, rewardNormalization, setRewardNormalization, type RewardStatistics, type RewardNormalizationOptions } from './normalize.js';
export {
  evaluateRewardModel,
  calibrationFromMargins,
  type EvaluateRewardModelOptions,
  type RewardEvaluation,
  type Calibration,
  type CalibrationBin,
} from './evaluate.js';
export {
  trainRewardModel,
  resolveRewardTrainerConfig,
  rewardTrainerDefaults,
  type RewardTrainerConfig,
  type RewardTrainerHooks,
  type RewardTrainStats,
  type RewardTrainingData,
  type RewardTrainingResult,
} from './trainer.js';
export {
  readJsonl,
  JsonlError,
  parsePreference,
  parsePreferencePair,
  parseRankedPreference,
  readPreferences,
  tldrPrompt,
  tldrToPreferencePair,
  readTldrComparisons,
  encodePreference,
  loadPreferences,
  type JsonlLocation,
  type TextPreferencePair,
  type TextRankedPreference,
  type TextPreferenceRecord,
  type TldrComparison,
  type EncodePreferenceOptions,
} from './data.js';
export {
  saveRewardModel,
  loadRewardModel,
  rewardModelFromPretrained,
  type SaveRewardModelOptions,
  type LoadRewardModelOptions,
  type RewardModelConfigExtra,
} from './checkpoint.js';
