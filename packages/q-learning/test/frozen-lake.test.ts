// The bar on FrozenLake-v1 (slippery, 100-step limit): value iteration and policy iteration agree with each
// other and with the optimal success probability derived independently here, and Q-learning's greedy policy comes
// within 0.03 of the best success rate any policy can reach within 100 steps, measured over 10,000 episodes.
import { describe, expect, it } from 'vitest';
import { make, type TransitionTable } from '@attune/envs';
import {
  evaluatePolicy,
  finiteHorizonPolicyEvaluation,
  finiteHorizonValueIteration,
  policyIteration,
  trainQLearning,
  transitionTable,
  valueIteration,
  type DiscreteEnv,
  type QLearningConfig,
} from '../src/index.js';

/**
 * Probability of reaching the goal under a fixed policy, by solving the absorbing Markov chain directly:
 * x = r + Q x over the non-terminal states (Gaussian elimination with partial pivoting), independent of the
 * sweeps value iteration and policy iteration use.
 */
function absorptionProbabilities(P: TransitionTable, policy: Int32Array): Float64Array {
  const n = P.length;
  const matrix = Array.from({ length: n }, () => new Float64Array(n + 1)); // rows of [I − Q | r]
  for (let s = 0; s < n; s++) {
    matrix[s][s] = 1;
    for (const [probability, next, reward, terminated] of P[s][policy[s]]) {
      matrix[s][n] += probability * reward;
      if (!terminated) matrix[s][next] -= probability;
    }
  }
  for (let column = 0; column < n; column++) {
    let pivot = column;
    for (let row = column + 1; row < n; row++) if (Math.abs(matrix[row][column]) > Math.abs(matrix[pivot][column])) pivot = row;
    [matrix[column], matrix[pivot]] = [matrix[pivot], matrix[column]];
    for (let row = 0; row < n; row++) {
      if (row === column) continue;
      const factor = matrix[row][column] / matrix[column][column];
      for (let k = column; k <= n; k++) matrix[row][k] -= factor * matrix[column][k];
    }
  }
  return Float64Array.from(matrix, (row, s) => row[n] / row[s]);
}

const horizon = 100; // FrozenLake-v1's registered TimeLimit

describe('FrozenLake-v1 4x4, slippery', () => {
  const env = make('FrozenLake-v1', { mapName: '4x4', isSlippery: true }) as DiscreteEnv;
  const P = transitionTable(env);

  it('value iteration and policy iteration (γ = 1) agree, and V*(start) = 14/17 by an independent linear solve', () => {
    const vi = valueIteration(P, { gamma: 1, theta: 1e-13 });
    const pi = policyIteration(P, { gamma: 1, theta: 1e-13 });
    for (let s = 0; s < P.length; s++) expect(vi.values[s]).toBeCloseTo(pi.values[s], 9);
    expect(Array.from(pi.policy)).toEqual(Array.from(vi.policy));
    const exact = absorptionProbabilities(P, vi.policy);
    expect(exact[0]).toBeCloseTo(14 / 17, 12);
    expect(vi.values[0]).toBeCloseTo(14 / 17, 9);
    // The time limit costs success: 0.7402 for this policy within 100 steps; 0.7442 is the best any policy can do.
    expect(finiteHorizonPolicyEvaluation(P, vi.policy, { horizon })[0]).toBeCloseTo(0.7402, 4);
    expect(finiteHorizonValueIteration(P, { horizon }).values[0]).toBeCloseTo(0.7442, 4);
  });

  it('Q-learning: greedy success within 0.03 of the 100-step optimum over 10,000 evaluation episodes', () => {
    const optimum = finiteHorizonValueIteration(P, { horizon }).values[0];
    const config: Partial<QLearningConfig> = { seed: 1, totalEpisodes: 20_000, gamma: 0.99, learningRate: 0.1 };
    const { qTable } = trainQLearning(env, config);
    const evaluation = evaluatePolicy(env, qTable, { episodes: 10_000, seed: 12_345 });
    expect(evaluation.meanReturn).toBeGreaterThan(optimum - 0.03);
    expect(finiteHorizonPolicyEvaluation(P, qTable.greedyPolicy(), { horizon })[0]).toBeGreaterThan(optimum - 0.03);
    // The bar can fail: 300 episodes of training are not enough.
    const undertrained = trainQLearning(env, { ...config, totalEpisodes: 300 }).qTable;
    expect(finiteHorizonPolicyEvaluation(P, undertrained.greedyPolicy(), { horizon })[0]).toBeLessThan(optimum - 0.03);
  });
});

describe('FrozenLake-v1 8x8, slippery, with the 100-step limit', () => {
  const env = make('FrozenLake-v1', { mapName: '8x8', isSlippery: true }) as DiscreteEnv;
  const P = transitionTable(env);

  it('value iteration and policy iteration agree: success probability 1 with unlimited time (γ = 1), one policy at γ = 0.99', () => {
    const vi = valueIteration(P, { gamma: 1, theta: 1e-13 });
    const pi = policyIteration(P, { gamma: 1, theta: 1e-13 });
    for (let s = 0; s < P.length; s++) expect(vi.values[s]).toBeCloseTo(pi.values[s], 9);
    expect(vi.values[0]).toBeCloseTo(1, 9);
    // With γ = 1 every safe action ties at value 1 (reaching the goal takes unbounded time), so the greedy policy is
    // arbitrary; discounting breaks the ties, and then both methods return the same policy.
    const viDiscounted = valueIteration(P, { gamma: 0.99, theta: 1e-13 });
    const piDiscounted = policyIteration(P, { gamma: 0.99, theta: 1e-13 });
    expect(Array.from(piDiscounted.policy)).toEqual(Array.from(viDiscounted.policy));
    // Discounting trades safety for speed: this policy reaches the goal with probability 0.8938 given unlimited time,
    // but is the better one within 100 steps.
    expect(absorptionProbabilities(P, viDiscounted.policy)[0]).toBeCloseTo(0.8938, 4);
    expect(finiteHorizonPolicyEvaluation(P, viDiscounted.policy, { horizon })[0]).toBeCloseTo(0.6317, 4);
    expect(finiteHorizonValueIteration(P, { horizon }).values[0]).toBeCloseTo(0.6407, 4);
  });

  it('Q-learning: greedy success within 0.03 of the 100-step optimum over 10,000 evaluation episodes', () => {
    const optimum = finiteHorizonValueIteration(P, { horizon }).values[0];
    // A visit-count step size α / n^ω (ω = 0.5) averages out the slippery noise that a constant α leaves in Q.
    const config: Partial<QLearningConfig> = {
      seed: 1,
      totalEpisodes: 50_000,
      gamma: 0.99,
      learningRate: 0.5,
      learningRateExponent: 0.5,
      epsilonEnd: 0.1,
    };
    const { qTable } = trainQLearning(env, config);
    const evaluation = evaluatePolicy(env, qTable, { episodes: 10_000, seed: 12_345 });
    expect(evaluation.meanReturn).toBeGreaterThan(optimum - 0.03);
    expect(finiteHorizonPolicyEvaluation(P, qTable.greedyPolicy(), { horizon })[0]).toBeGreaterThan(optimum - 0.03);
  });
});
