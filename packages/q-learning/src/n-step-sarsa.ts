/**
 * Tabular n-step SARSA (Sutton & Barto 2nd ed. §7.2): the target sums n
 * rewards before bootstrapping, G = R_{τ+1} + γ R_{τ+2} + … + γ^{n−1} R_{τ+n}
 * + γ^n Q(S_{τ+n}, A_{τ+n}), so credit travels n states per update instead of
 * one. n = 1 is SARSA; n → ∞ is on-policy Monte Carlo control.
 */
import { Rng } from '@attune/envs';
import type { MetricLogger } from './logger.js';
import { QTable, epsilonGreedyAction } from './q-table.js';
import { defaultTabularConfig, explorationSchedule, resolveTabularConfig, visitCountStepSize, type TabularConfig } from './tabular-config.js';
import { tableShape, type DiscreteEnv } from './discrete-env.js';
import type { TabularTrainingResult } from './training-result.js';
import { checkInteger, mergeConfig } from '@attune/envs';

/**
 * Hyperparameters of {@link trainNStepSarsa}: the {@link TabularConfig} fields plus `n`.
 *
 * @example
 * ```ts
 * const config: Partial<NStepSarsaConfig> = { n: 4, totalEpisodes: 2_000 };
 * ```
 */
export interface NStepSarsaConfig extends TabularConfig {
  /** Number of rewards summed before bootstrapping; S&B figure 7.2 finds intermediate n (about 4) learns fastest. */
  n: number;
}

/**
 * Defaults of {@link NStepSarsaConfig}.
 *
 * @example
 * ```ts
 * defaultNStepSarsaConfig.n; // 4
 * ```
 */
export const defaultNStepSarsaConfig: Readonly<NStepSarsaConfig> = Object.freeze({ ...defaultTabularConfig, n: 4 });

/**
 * Trains a Q table with n-step SARSA. Writes `charts/episodic_return`,
 * `charts/episodic_length`, `charts/epsilon` and `losses/td_error` (mean
 * |G − Q| over the episode) to `logger` once per episode.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('CliffWalking-v1') as DiscreteEnv;
 * const { qTable } = trainNStepSarsa(env, { n: 4, totalEpisodes: 500, learningRate: 0.2, epsilonStart: 0.1, epsilonEnd: 0.1 });
 * ```
 */
export function trainNStepSarsa(env: DiscreteEnv, config: Partial<NStepSarsaConfig> = {}, logger?: MetricLogger): TabularTrainingResult {
  // 0. Config, derived values and state, computed once.
  const { n, ...tabularOverrides } = mergeConfig('NStepSarsaConfig', defaultNStepSarsaConfig as NStepSarsaConfig, config);
  checkInteger('NStepSarsaConfig', 'n', n, 1);
  const args: NStepSarsaConfig = { ...resolveTabularConfig('NStepSarsaConfig', tabularOverrides), n };
  logger?.hyperparameters?.({ algorithm: 'n-step-sarsa', ...args });
  const { numStates, numActions } = tableShape(env);
  const rng = new Rng(args.seed);
  const q = new QTable(numStates, numActions, args.initialValue);
  const epsilonAt = explorationSchedule(args);
  const stepSize = visitCountStepSize(args, q);
  const episodeReturns = new Float64Array(args.totalEpisodes);
  const episodeLengths = new Int32Array(args.totalEpisodes);
  // Ring buffers over the last n + 1 time steps: S_t, A_t and R_t live at index t mod (n + 1).
  const bufferLength = n + 1;
  const states = new Int32Array(bufferLength);
  const actions = new Int32Array(bufferLength);
  const rewards = new Float64Array(bufferLength);
  let globalStep = 0;

  for (let episode = 0; episode < args.totalEpisodes; episode++) {
    // 1. Start an episode: S_0 and A_0 ~ ε-greedy.
    const epsilon = epsilonAt(episode);
    states[0] = env.reset(episode === 0 ? { seed: args.seed } : {}).observation;
    actions[0] = epsilonGreedyAction(q, states[0], epsilon, rng);
    let endTime = Infinity; // T in S&B's pseudocode
    let truncatedAtEnd = false;
    let episodicReturn = 0;
    let absoluteTdErrorSum = 0;
    let updates = 0;

    for (let t = 0; ; t++) {
      // 2. While the episode runs: take A_t, observe R_{t+1} and S_{t+1}, and choose A_{t+1}.
      if (t < endTime) {
        const { observation: nextState, reward, terminated, truncated } = env.step(actions[t % bufferLength]);
        globalStep++;
        episodicReturn += reward;
        states[(t + 1) % bufferLength] = nextState;
        rewards[(t + 1) % bufferLength] = reward;
        if (terminated || truncated) {
          endTime = t + 1;
          truncatedAtEnd = !terminated;
        }
        // A_{t+1} is needed to act, and after a truncation to bootstrap from Q(S_T, A_T).
        if (!terminated) actions[(t + 1) % bufferLength] = epsilonGreedyAction(q, nextState, epsilon, rng);
      }

      // 3. τ is the time whose estimate is updated now.
      const tau = t - n + 1;
      if (tau >= 0) {
        // 4. n-step return (S&B eq. 7.4): rewards up to min(τ + n, T), then bootstrap from Q(S_{τ+n}, A_{τ+n})
        //    when τ + n < T, or from Q(S_T, A_T) when the episode was truncated rather than terminated.
        const lastTime = Math.min(tau + n, endTime);
        let nStepReturn = 0;
        for (let i = lastTime; i > tau; i--) nStepReturn = rewards[i % bufferLength] + args.gamma * nStepReturn;
        if (tau + n < endTime || truncatedAtEnd) {
          const bootstrapIndex = lastTime % bufferLength;
          nStepReturn += Math.pow(args.gamma, lastTime - tau) * q.get(states[bootstrapIndex], actions[bootstrapIndex]);
        }

        // 5. Move Q(S_τ, A_τ) a step of size α towards G.
        const state = states[tau % bufferLength];
        const action = actions[tau % bufferLength];
        const index = state * numActions + action;
        const tdError = nStepReturn - q.values[index];
        q.values[index] += stepSize(state, action) * tdError;
        absoluteTdErrorSum += Math.abs(tdError);
        updates++;
      }
      if (tau === endTime - 1) break;
    }

    // 6. Record the episode.
    episodeReturns[episode] = episodicReturn;
    episodeLengths[episode] = endTime;
    if (logger !== undefined) {
      logger.scalar('charts/episodic_return', episodicReturn, globalStep);
      logger.scalar('charts/episodic_length', endTime, globalStep);
      logger.scalar('charts/epsilon', epsilon, globalStep);
      logger.scalar('losses/td_error', absoluteTdErrorSum / updates, globalStep);
    }
  }
  return { qTable: q, episodeReturns, episodeLengths, globalStep };
}
