// PPO for language models: config, reward shaping and advantages, the trainer and its loop.
export { ppoLmDefaults, resolvePPOLMConfig, type PPOLMConfig } from './config.js';
export { computeTokenRewards, shapeScores, maskedWhiten, responseAdvantages, type TokenRewards } from './rewards.js';
export {
  PPOTrainer,
  type PPOTrainerOptions,
  type PPOStepStats,
  type PPORollout,
  type PPOScoreFunction,
  type PPOScoreModel,
  type PPOValueModel,
  type PPOModelForwardOptions,
} from './trainer.js';
export { trainPPOLM, type TrainPPOLMOptions, type TrainPPOLMResult } from './train.js';
