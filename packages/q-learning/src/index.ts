/**
 * @attune/q-learning — tabular reinforcement learning: Q-learning, SARSA,
 * expected SARSA and n-step SARSA on `Discrete` environments, ε schedules,
 * Monte Carlo policy evaluation, and value and policy iteration (with their
 * finite-horizon forms) over Gymnasium's transition table `P`; and DQN /
 * Double DQN (replay memory, target network, Huber or MSE loss, ε schedule)
 * on `@attune/nn`. This file is the package's only public entry.
 */
export { QTable, greedyActionRandomTies, epsilonGreedyAction } from './q-table.js';
export { linearSchedule, exponentialSchedule, constantSchedule } from './schedules.js';
export type { Schedule } from './schedules.js';
export { defaultTabularConfig, resolveTabularConfig, explorationSchedule } from './tabular-config.js';
export type { TabularConfig } from './tabular-config.js';
export { tableShape, transitionTable } from './discrete-env.js';
export type { DiscreteEnv } from './discrete-env.js';
export type { MetricLogger } from './logger.js';
export type { TabularTrainingResult } from './training-result.js';
export { trainQLearning } from './q-learning.js';
export type { QLearningConfig } from './q-learning.js';
export { trainSarsa } from './sarsa.js';
export type { SarsaConfig } from './sarsa.js';
export { trainExpectedSarsa } from './expected-sarsa.js';
export type { ExpectedSarsaConfig } from './expected-sarsa.js';
export { trainNStepSarsa, defaultNStepSarsaConfig } from './n-step-sarsa.js';
export type { NStepSarsaConfig } from './n-step-sarsa.js';
export {
  defaultDynamicProgrammingConfig,
  transitionTableShape,
  actionValues,
  policyEvaluation,
  policyIteration,
  valueIteration,
  finiteHorizonPolicyEvaluation,
  finiteHorizonValueIteration,
} from './dynamic-programming.js';
export type { DynamicProgrammingConfig, FiniteHorizonConfig, DynamicProgrammingResult } from './dynamic-programming.js';
export { evaluatePolicy } from './evaluate.js';
export type { EvaluationConfig, EvaluationResult } from './evaluate.js';

// Deep Q-learning
export { trainDQN, dqnDefaults, resolveDQNConfig } from './dqn.js';
export type { DQNConfig, DQNRunOptions, DQNResult } from './dqn.js';
export { QNetwork } from './q-network.js';
export type { QNetworkOptions } from './q-network.js';
export { ReplayBuffer } from './replay-buffer.js';
export type { ReplayBatch } from './replay-buffer.js';
export { evaluateQNetwork, loadQNetwork } from './dqn-evaluate.js';
export type { QNetworkEvaluation } from './dqn-evaluate.js';
