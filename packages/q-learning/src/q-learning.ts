/**
 * Tabular Q-learning (Watkins 1989; Sutton & Barto 2nd ed. §6.5), the
 * off-policy TD control method: act ε-greedily, update towards the greedy
 * target R + γ max_a Q(S', a). The loop reads top to bottom in execution order.
 */
import { Rng } from '@attune/envs';
import type { MetricLogger } from './logger.js';
import { QTable, epsilonGreedyAction } from './q-table.js';
import { explorationSchedule, resolveTabularConfig, visitCountStepSize, type TabularConfig } from './tabular-config.js';
import { tableShape, type DiscreteEnv } from './discrete-env.js';
import type { TabularTrainingResult } from './training-result.js';

/**
 * Hyperparameters of {@link trainQLearning}; every field is optional and defaults to {@link defaultTabularConfig}.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const config: QLearningConfig = { ...defaultTabularConfig, totalEpisodes: 2000, gamma: 0.99, learningRate: 0.1 };
 * trainQLearning(make('FrozenLake-v1') as DiscreteEnv, config);
 * ```
 */
export type QLearningConfig = TabularConfig;

/**
 * Trains a Q table with Q-learning. Writes `charts/episodic_return`,
 * `charts/episodic_length`, `charts/epsilon` and `losses/td_error` (mean |δ|
 * over the episode) to `logger` once per episode.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('FrozenLake-v1', { isSlippery: true }) as DiscreteEnv;
 * const { qTable } = trainQLearning(env, { totalEpisodes: 20_000, seed: 1 });
 * evaluatePolicy(env, qTable, { episodes: 10_000, seed: 2 }).meanReturn; // ≈ 0.74
 * ```
 */
export function trainQLearning(env: DiscreteEnv, config: Partial<QLearningConfig> = {}, logger?: MetricLogger): TabularTrainingResult {
  // 0. Config, derived values and state, computed once.
  const args = resolveTabularConfig('QLearningConfig', config);
  logger?.hyperparameters?.({ algorithm: 'q-learning', ...args });
  const { numStates, numActions } = tableShape(env);
  const rng = new Rng(args.seed);
  const q = new QTable(numStates, numActions, args.initialValue);
  const epsilonAt = explorationSchedule(args);
  const stepSize = visitCountStepSize(args, q);
  const episodeReturns = new Float64Array(args.totalEpisodes);
  const episodeLengths = new Int32Array(args.totalEpisodes);
  let globalStep = 0;

  for (let episode = 0; episode < args.totalEpisodes; episode++) {
    // 1. Start an episode; only the first reset seeds the env, later ones continue its stream.
    const epsilon = epsilonAt(episode);
    let state = env.reset(episode === 0 ? { seed: args.seed } : {}).observation;
    let episodicReturn = 0;
    let episodicLength = 0;
    let absoluteTdErrorSum = 0;

    for (;;) {
      // 2. Behaviour policy: ε-greedy on the current Q.
      const action = epsilonGreedyAction(q, state, epsilon, rng);

      // 3. Act.
      const { observation: nextState, reward, terminated, truncated } = env.step(action);
      globalStep++;
      episodicReturn += reward;
      episodicLength++;

      // 4. Q-learning target (S&B eq. 6.8): bootstrap from the greedy value unless the MDP terminated;
      //    a time-limit truncation still bootstraps, since the state itself is not terminal.
      const target = reward + (terminated ? 0 : args.gamma * q.maxValue(nextState));
      const index = state * numActions + action;
      const tdError = target - q.values[index];

      // 5. Move Q(S, A) a step of size α towards the target.
      q.values[index] += stepSize(state, action) * tdError;
      absoluteTdErrorSum += Math.abs(tdError);

      state = nextState;
      if (terminated || truncated) break;
    }

    // 6. Record the episode.
    episodeReturns[episode] = episodicReturn;
    episodeLengths[episode] = episodicLength;
    if (logger !== undefined) {
      logger.scalar('charts/episodic_return', episodicReturn, globalStep);
      logger.scalar('charts/episodic_length', episodicLength, globalStep);
      logger.scalar('charts/epsilon', epsilon, globalStep);
      logger.scalar('losses/td_error', absoluteTdErrorSum / episodicLength, globalStep);
    }
  }
  return { qTable: q, episodeReturns, episodeLengths, globalStep };
}
