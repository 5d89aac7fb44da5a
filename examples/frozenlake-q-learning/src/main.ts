// FrozenLake-v1, 4x4 and 8x8, slippery, 100-step limit: derive the best achievable success probability from the
// transition table P (value iteration, policy iteration, backward induction over the 100 steps), then train tabular
// Q-learning and measure its greedy policy over 10,000 episodes. Run: npm start
import { FrozenLakeEnv, make } from '@attune/envs';
import {
  evaluatePolicy,
  finiteHorizonPolicyEvaluation,
  finiteHorizonValueIteration,
  policyIteration,
  trainQLearning,
  transitionTable,
  valueIteration,
  type DiscreteEnv,
  type MetricLogger,
  type QLearningConfig,
} from '@attune/q-learning';

const HORIZON = 100; // FrozenLake-v1's registered TimeLimit
const EVALUATION_EPISODES = 10_000;
const ARROWS = ['←', '↓', '→', '↑']; // FrozenLake actions: LEFT, DOWN, RIGHT, UP

const runs: { mapName: '4x4' | '8x8'; training: Partial<QLearningConfig> }[] = [
  // Constant α = 0.1 and ε annealed 1 → 0.05 over the first half (the package defaults) suffice on the small map.
  { mapName: '4x4', training: { seed: 1, totalEpisodes: 20_000, gamma: 0.99, learningRate: 0.1 } },
  // On 8x8 a visit-count step size α / √n(s, a) averages out the slipping noise a constant α leaves in Q.
  { mapName: '8x8', training: { seed: 1, totalEpisodes: 50_000, gamma: 0.99, learningRate: 0.5, learningRateExponent: 0.5, epsilonEnd: 0.1 } },
];

/** Prints the mean training return every tenth of the run. */
function progressLogger(totalEpisodes: number): MetricLogger {
  let episodes = 0;
  let returns = 0;
  return {
    scalar(name, value, step) {
      if (name !== 'charts/episodic_return') return;
      episodes++;
      returns += value;
      if (episodes % (totalEpisodes / 10) === 0) {
        console.log(`  episode ${String(episodes).padStart(6)}  step ${String(step).padStart(8)}  mean training return ${(returns / (totalEpisodes / 10)).toFixed(3)}`);
        returns = 0;
      }
    },
  };
}

/** The map with the policy's arrow on every frozen tile. */
function drawPolicy(desc: readonly string[], policy: Int32Array): string {
  return desc.map((row, r) => [...row].map((tile, c) => (tile === 'F' || tile === 'S' ? ARROWS[policy[r * row.length + c]] : tile)).join(' ')).join('\n');
}

for (const { mapName, training } of runs) {
  const env = make('FrozenLake-v1', { mapName, isSlippery: true }) as DiscreteEnv;
  const P = transitionTable(env);
  console.log(`\n=== FrozenLake-v1 ${mapName}, slippery, ${HORIZON}-step limit ===`);

  // 1. The optimum, from the model. γ = 1 makes V(s) the probability of ever reaching the goal.
  const vi = valueIteration(P, { gamma: 1, theta: 1e-12 });
  const pi = policyIteration(P, { gamma: 1, theta: 1e-12 });
  console.log(`value iteration  (γ = 1): P(success, no time limit) = ${vi.values[0].toFixed(6)} after ${vi.iterations} sweeps`);
  console.log(`policy iteration (γ = 1): P(success, no time limit) = ${pi.values[0].toFixed(6)} after ${pi.iterations} improvements`);
  // The time limit matters: the best time-dependent policy (backward induction over 100 steps) bounds every policy.
  const best = finiteHorizonValueIteration(P, { horizon: HORIZON }).values[0];
  const discounted = valueIteration(P, { gamma: 0.99, theta: 1e-12 }).policy; // γ < 1 breaks γ = 1's ties on 8x8
  console.log(`best success within ${HORIZON} steps (any policy):           ${best.toFixed(4)}`);
  console.log(`  … of the γ = 0.99 value-iteration policy (exact):      ${finiteHorizonPolicyEvaluation(P, discounted, { horizon: HORIZON })[0].toFixed(4)}`);

  // 2. Q-learning, model-free.
  const started = performance.now();
  const { qTable, globalStep } = trainQLearning(env, training, progressLogger(training.totalEpisodes ?? 0));
  const seconds = (performance.now() - started) / 1000;
  console.log(`Q-learning: ${training.totalEpisodes} episodes, ${globalStep} steps in ${seconds.toFixed(2)} s (${Math.round(globalStep / seconds)} steps/s)`);

  // 3. Its greedy policy, measured by simulation and exactly.
  const evaluation = evaluatePolicy(env, qTable, { episodes: EVALUATION_EPISODES, seed: 12_345 });
  const exact = finiteHorizonPolicyEvaluation(P, qTable.greedyPolicy(), { horizon: HORIZON })[0];
  console.log(`greedy Q-learning policy: success ${evaluation.meanReturn.toFixed(4)} ± ${evaluation.standardError.toFixed(4)} over ${EVALUATION_EPISODES} episodes (exact ${exact.toFixed(4)})`);
  console.log(`gap to the best possible: ${(best - evaluation.meanReturn).toFixed(4)} (bar: ≤ 0.03)`);
  console.log(drawPolicy((env.unwrapped as FrozenLakeEnv).desc, qTable.greedyPolicy()));
}
