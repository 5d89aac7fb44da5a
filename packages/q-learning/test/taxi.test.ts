// Taxi-v4: Q-learning's greedy policy earns the optimal expected return that value iteration derives from P.
import { describe, expect, it } from 'vitest';
import { make, TabularEnv } from '@attune/envs';
import { finiteHorizonPolicyEvaluation, trainQLearning, transitionTable, valueIteration, type DiscreteEnv } from '../src/index.js';

describe('Taxi-v4', () => {
  const env = make('Taxi-v4') as DiscreteEnv;
  const P = transitionTable(env);
  const startDistribution = (env.unwrapped as TabularEnv).initialStateDistribution;
  const expectedReturn = (values: Float64Array) => startDistribution.reduce((sum, probability, s) => sum + probability * values[s], 0);

  it('Q-learning matches the optimal expected return (7.93) within 0.05, computed exactly within the 200-step limit', () => {
    const optimal = expectedReturn(valueIteration(P, { gamma: 1, theta: 1e-10 }).values);
    expect(optimal).toBeCloseTo(7.93, 6);
    const { qTable } = trainQLearning(env, { seed: 1, totalEpisodes: 5_000, gamma: 0.99, learningRate: 0.1 });
    const learned = expectedReturn(finiteHorizonPolicyEvaluation(P, qTable.greedyPolicy(), { horizon: 200 }));
    expect(learned).toBeGreaterThan(optimal - 0.05);
  });
});
