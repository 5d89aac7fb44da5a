/**
 * Tabular expected SARSA (van Seijen et al. 2009; Sutton & Barto 2nd ed.
 * §6.6): like SARSA, but the target averages Q(S', ·) over the ε-greedy
 * policy instead of sampling A', which removes the variance of that draw.
 */
import { Rng } from '@attune/envs';
import type { MetricLogger } from './logger.js';
import { QTable, epsilonGreedyAction } from './q-table.js';
import { explorationSchedule, resolveTabularConfig, visitCountStepSize, type TabularConfig } from './tabular-config.js';
import { tableShape, type DiscreteEnv } from './discrete-env.js';
import type { TabularTrainingResult } from './training-result.js';

/**
 * Hyperparameters of {@link trainExpectedSarsa}; every field is optional and defaults to {@link defaultTabularConfig}.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const config: ExpectedSarsaConfig = { ...defaultTabularConfig, totalEpisodes: 500, learningRate: 0.9, epsilonStart: 0.1, epsilonEnd: 0.1 };
 * trainExpectedSarsa(make('CliffWalking-v1') as DiscreteEnv, config);
 * ```
 */
export type ExpectedSarsaConfig = TabularConfig;

/**
 * Trains a Q table with expected SARSA. Writes `charts/episodic_return`,
 * `charts/episodic_length`, `charts/epsilon` and `losses/td_error` (mean |δ|
 * over the episode) to `logger` once per episode.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('CliffWalking-v1') as DiscreteEnv;
 * const { qTable } = trainExpectedSarsa(env, { totalEpisodes: 500, learningRate: 0.9, epsilonStart: 0.1, epsilonEnd: 0.1 });
 * ```
 */
export function trainExpectedSarsa(env: DiscreteEnv, config: Partial<ExpectedSarsaConfig> = {}, logger?: MetricLogger): TabularTrainingResult {
  // 0. Config, derived values and state, computed once.
  const args = resolveTabularConfig('ExpectedSarsaConfig', config);
  logger?.hyperparameters?.({ algorithm: 'expected-sarsa', ...args });
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

      // 4. Expected SARSA target (S&B eq. 6.9): under ε-greedy, E_π[Q(S', A')] = ε · mean_a Q(S', a) + (1 − ε) · max_a Q(S', a).
      //    Ties among greedy actions share the (1 − ε) mass but have equal value, so the max is exact.
      const expectedNextValue = epsilon * q.meanValue(nextState) + (1 - epsilon) * q.maxValue(nextState);
      const target = reward + (terminated ? 0 : args.gamma * expectedNextValue);
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
