/**
 * @attune/bandits — multi-armed and contextual bandit agents: ε-greedy,
 * UCB1, Thompson sampling (Beta–Bernoulli and Gaussian), the gradient
 * bandit and disjoint LinUCB, with regret tracking, single runs and
 * many-run experiments on the bandit envs of `@attune/envs`. This file is
 * the package's only public entry.
 */
export { argmaxRandomTies } from './agent.js';
export type { BanditAgent, ContextualBanditAgent } from './agent.js';
export type { MetricLogger } from './logger.js';
export { EpsilonGreedy, defaultEpsilonGreedyConfig } from './epsilon-greedy.js';
export type { EpsilonGreedyConfig } from './epsilon-greedy.js';
export { UCB1, defaultUCB1Config } from './ucb1.js';
export type { UCB1Config } from './ucb1.js';
export {
  BetaBernoulliThompsonSampling,
  GaussianThompsonSampling,
  defaultBetaBernoulliThompsonSamplingConfig,
  defaultGaussianThompsonSamplingConfig,
} from './thompson-sampling.js';
export type { BetaBernoulliThompsonSamplingConfig, GaussianThompsonSamplingConfig } from './thompson-sampling.js';
export { GradientBandit, defaultGradientBanditConfig } from './gradient-bandit.js';
export type { GradientBanditConfig } from './gradient-bandit.js';
export { LinUCB, defaultLinUCBConfig } from './lin-ucb.js';
export type { LinUCBConfig } from './lin-ucb.js';
export { RegretTracker, runBandit, runContextualBandit, runBanditExperiment } from './regret.js';
export type { BanditRunResult, BanditRunConfig, BanditExperimentConfig, BanditExperimentResult } from './regret.js';
