/**
 * Evaluating a DQN policy: ε-greedy episodes with a trained or saved Q-network (CleanRL's
 * `dqn_eval.py`, which uses ε = `end_e` = 0.05), and loading a Q-network from a checkpoint.
 */
import type { Env } from '@attune/envs';
import { Generator, noGrad, tensor, tidy } from '@attune/tensor';
import { loadCheckpoint } from '@attune/nn';
import { QNetwork, type QNetworkOptions } from './q-network.js';

/**
 * Returns of a Q-network evaluation.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * import { Generator } from '@attune/tensor';
 * const qNetwork = new QNetwork({ observationSize: 4, numActions: 2 }, new Generator(1));
 * const { meanReturn }: QNetworkEvaluation = evaluateQNetwork(qNetwork, make('CartPole-v1'));
 * ```
 */
export interface QNetworkEvaluation {
  /** Undiscounted return of each episode. */
  returns: number[];
  /** Mean of `returns`. */
  meanReturn: number;
}

/**
 * Runs `episodes` ε-greedy episodes (first reset seeded with `seed`).
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * import { Generator } from '@attune/tensor';
 * const qNetwork = new QNetwork({ observationSize: 4, numActions: 2 }, new Generator(1)); // e.g. trainDQN's result.qNetwork
 * evaluateQNetwork(qNetwork, make('CartPole-v1'), { episodes: 10, epsilon: 0 }).meanReturn; // greedy
 * ```
 */
export function evaluateQNetwork(qNetwork: QNetwork, env: Env<any, any, any>, options: { episodes?: number; epsilon?: number; seed?: number } = {}): QNetworkEvaluation {
  const episodes = options.episodes ?? 10;
  const epsilon = options.epsilon ?? 0.05;
  const seed = options.seed ?? 0;
  const generator = new Generator(seed);
  const { observationSize, numActions } = qNetwork.options;
  const returns: number[] = [];
  for (let episode = 0; episode < episodes; episode++) {
    let observation = env.reset(episode === 0 ? { seed } : {}).observation as ArrayLike<number>;
    let episodicReturn = 0;
    for (;;) {
      const input = Float32Array.from(observation);
      const action = generator.random() < epsilon
        ? generator.randint(0, numActions)
        : tidy(() => noGrad(() => qNetwork.forward(tensor(input, { shape: [1, observationSize] })).argmax(1).itemSync()));
      const step = env.step(action);
      episodicReturn += step.reward;
      observation = step.observation as ArrayLike<number>;
      if (step.terminated || step.truncated) break;
    }
    returns.push(episodicReturn);
  }
  return { returns, meanReturn: returns.reduce((sum, value) => sum + value, 0) / returns.length };
}

/**
 * Rebuilds the online Q-network of a checkpoint written by `trainDQN`.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const result = await trainDQN({ totalTimesteps: 600, learningStarts: 100, bufferSize: 1000 }, { checkpointDir: 'runs/dqn', checkpointEvery: 500 });
 * const { qNetwork, envId } = await loadQNetwork(result.checkpoint!);
 * evaluateQNetwork(qNetwork, make(envId), { episodes: 2 });
 * ```
 */
export async function loadQNetwork(path: string): Promise<{ qNetwork: QNetwork; envId: string }> {
  const { model, config } = await loadCheckpoint(path);
  const architecture = config.qNetwork as QNetworkOptions | undefined;
  if (architecture === undefined) throw new Error(`loadQNetwork: ${path}/config.json has no "qNetwork" architecture`);
  const qNetwork = new QNetwork(architecture);
  qNetwork.loadStateDict(model);
  for (const t of Object.values(model)) t.dispose();
  return { qNetwork, envId: String((config.algorithm as Record<string, unknown> | undefined)?.envId ?? '') };
}
