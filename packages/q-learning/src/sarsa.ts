/**
 * Tabular SARSA (Rummery & Niranjan 1994; Sutton & Barto 2nd ed. §6.4), the
 * on-policy TD control method: the update bootstraps from the action the
 * ε-greedy policy actually takes next, R + γ Q(S', A'). On CliffWalking this
 * learns the safe path away from the edge (S&B example 6.6).
 */
import { Rng } from '@attune/envs';
import type { MetricLogger } from './logger.js';
import { QTable, epsilonGreedyAction } from './q-table.js';
import { explorationSchedule, resolveTabularConfig, visitCountStepSize, type TabularConfig } from './tabular-config.js';
import { tableShape, type DiscreteEnv } from './discrete-env.js';
import type { TabularTrainingResult } from './training-result.js';

/**
 * Hyperparameters of {@link trainSarsa}; every field is optional and defaults to {@link defaultTabularConfig}.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const config: SarsaConfig = { ...defaultTabularConfig, totalEpisodes: 500, learningRate: 0.5, epsilonStart: 0.1, epsilonEnd: 0.1 }; // S&B example 6.6
 * trainSarsa(make('CliffWalking-v1') as DiscreteEnv, config);
 * ```
 */
export type SarsaConfig = TabularConfig;

/**
 * Trains a Q table with SARSA. Writes `charts/episodic_return`,
 * `charts/episodic_length`, `charts/epsilon` and `losses/td_error` (mean |δ|
 * over the episode) to `logger` once per episode.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('CliffWalking-v1') as DiscreteEnv;
 * const { qTable, episodeReturns } = trainSarsa(env, { totalEpisodes: 500, learningRate: 0.5, epsilonStart: 0.1, epsilonEnd: 0.1 });
 * ```
 */
export function trainSarsa(env: DiscreteEnv, config: Partial<SarsaConfig> = {}, logger?: MetricLogger): TabularTrainingResult {
  // 0. Config, derived values and state, computed once.
  const args = resolveTabularConfig('SarsaConfig', config);
  logger?.hyperparameters?.({ algorithm: 'sarsa', ...args });
  const { numStates, numActions } = tableShape(env);
  const rng = new Rng(args.seed);
  const q = new QTable(numStates, numActions, args.initialValue);
  const epsilonAt = explorationSchedule(args);
  const stepSize = visitCountStepSize(args, q);
  const episodeReturns = new Float64Array(args.totalEpisodes);
  const episodeLengths = new Int32Array(args.totalEpisodes);
  let globalStep = 0;

  for (let episode = 0; episode < args.totalEpisodes; episode++) {
    // 1. Start an episode and choose its first action ε-greedily.
    const epsilon = epsilonAt(episode);
    let state = env.reset(episode === 0 ? { seed: args.seed } : {}).observation;
    let action = epsilonGreedyAction(q, state, epsilon, rng);
    let episodicReturn = 0;
    let episodicLength = 0;
    let absoluteTdErrorSum = 0;

    for (;;) {
      // 2. Act.
      const { observation: nextState, reward, terminated, truncated } = env.step(action);
      globalStep++;
      episodicReturn += reward;
      episodicLength++;

      // 3. Choose the next action A' with the same ε-greedy policy: it is both the one the update uses and the one taken
      //    (none after termination, where nothing bootstraps).
      const nextAction = terminated ? -1 : epsilonGreedyAction(q, nextState, epsilon, rng);

      // 4. SARSA target (S&B eq. 6.7): bootstrap from Q(S', A') unless the MDP terminated (truncation still bootstraps).
      const target = reward + (terminated ? 0 : args.gamma * q.get(nextState, nextAction));
      const index = state * numActions + action;
      const tdError = target - q.values[index];

      // 5. Move Q(S, A) a step of size α towards the target.
      q.values[index] += stepSize(state, action) * tdError;
      absoluteTdErrorSum += Math.abs(tdError);

      state = nextState;
      action = nextAction;
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
