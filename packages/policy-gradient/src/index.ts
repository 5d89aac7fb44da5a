/**
 * @attune/policy-gradient — policy-gradient reinforcement learning on @attune/tensor: action
 * distributions, the (numSteps × numEnvs) rollout buffer, discounted returns and GAE, REINFORCE
 * with a learned baseline and synchronous A2C, plus the pieces every deep-RL loop here shares
 * (CleanRL's actor-critic network, vector-env construction, metrics logger, evaluation; checkpoint
 * directories live in @attune/nn and env snapshots in @attune/envs). This file is the package's
 * only public entry.
 */
export { Categorical, DiagGaussian, type ActionDistribution } from './distributions.js';
export { computeGae, discountedReturns, explainedVariance, type AdvantageInput, type GaeResult } from './advantages.js';
export { trainReinforce, reinforceDefaults, resolveReinforceConfig, type ReinforceConfig } from './reinforce.js';
export { trainA2C, a2cDefaults, resolveA2CConfig, type A2CConfig } from './a2c.js';
export { RolloutBuffer, gatherRows, type RolloutBufferOptions } from './rollout-buffer.js';
export { ActorCritic, type ActorCriticOptions, type ActionAndValue } from './actor-critic.js';
export { JsonlLogger, MemoryLogger, combineLoggers, progressLogger, type MetricLogger, type MetricRecord } from './logger.js';
export { makeEnv, makeVectorEnv, spaceSizes, finishedEpisodes, finalObservation, type EnvWrapperOptions, type FinishedEpisode } from './vector-env.js';
export {
  evaluateAgent,
  loadPolicy,
  makeEvaluationEnv,
  observationStatistics,
  type EvaluationResult,
  type LoadedPolicy,
  type ObservationStatistics,
} from './evaluate.js';
export { recentMeanReturn, shuffleInPlace, resumePath, checkpointDue, type RunOptions, type EpisodeLog, type TrainingResult } from './training.js';
