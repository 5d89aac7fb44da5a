// Taxi-v4: tabular Q-learning against the optimum value iteration derives from the transition table P. The optimal
// expected return from Taxi's start distribution is 7.93 (Gymnasium's solved threshold is 8 on average); a greedy
// Q-learning policy reaches it after a few thousand episodes. Run: npm start
import { make, TabularEnv } from '@attune/envs';
import {
  evaluatePolicy,
  finiteHorizonPolicyEvaluation,
  trainQLearning,
  transitionTable,
  valueIteration,
  type DiscreteEnv,
  type QLearningConfig,
} from '@attune/q-learning';

const EVALUATION_EPISODES = 10_000;
const TIME_LIMIT = 200; // Taxi-v4's registered TimeLimit
const config: Partial<QLearningConfig> = { seed: 1, totalEpisodes: 5_000, gamma: 0.99, learningRate: 0.1 };

const env = make('Taxi-v4') as DiscreteEnv;
const P = transitionTable(env);
const startDistribution = (env.unwrapped as TabularEnv).initialStateDistribution;
/** E[return from the start state] = Σ_s p₀(s) V(s). */
const expectedReturn = (values: Float64Array): number => startDistribution.reduce((sum, probability, s) => sum + probability * values[s], 0);

// 1. The optimum: value iteration with γ = 1, so V*(s) is the expected undiscounted return.
const optimal = valueIteration(P, { gamma: 1, theta: 1e-10 });
console.log(`value iteration (γ = 1, ${optimal.iterations} sweeps): optimal expected return ${expectedReturn(optimal.values).toFixed(4)}`);

// 2. Q-learning, printing the mean training return (ε-greedy, so below the optimum) every 500 episodes.
let episodes = 0;
let windowReturn = 0;
const { qTable, globalStep } = trainQLearning(env, config, {
  scalar(name, value, step) {
    if (name !== 'charts/episodic_return') return;
    episodes++;
    windowReturn += value;
    if (episodes % 500 === 0) {
      console.log(`  episode ${String(episodes).padStart(5)}  step ${String(step).padStart(7)}  mean training return ${(windowReturn / 500).toFixed(2)}`);
      windowReturn = 0;
    }
  },
});
console.log(`Q-learning: ${config.totalEpisodes} episodes, ${globalStep} steps`);

// 3. The greedy policy: exactly (backward induction over the time limit) and by 10,000 simulated episodes.
const exact = expectedReturn(finiteHorizonPolicyEvaluation(P, qTable.greedyPolicy(), { horizon: TIME_LIMIT }));
const evaluation = evaluatePolicy(env, qTable, { episodes: EVALUATION_EPISODES, seed: 7 });
console.log(`greedy Q-learning policy: expected return ${exact.toFixed(4)} exactly; ${evaluation.meanReturn.toFixed(3)} ± ${evaluation.standardError.toFixed(3)} over ${EVALUATION_EPISODES} episodes, ${evaluation.meanLength.toFixed(2)} steps on average`);
const disagreements = qTable.greedyPolicy().filter((action, s) => startDistribution[s] > 0 && optimal.qTable.get(s, action) < optimal.values[s] - 1e-9).length;
console.log(`start states where the greedy action is suboptimal: ${disagreements} of ${startDistribution.filter((p) => p > 0).length}`);
