// Value iteration and policy iteration on MDPs whose answers are known in closed form.
import { describe, expect, it } from 'vitest';
import {
  actionValues,
  finiteHorizonPolicyEvaluation,
  finiteHorizonValueIteration,
  policyEvaluation,
  policyIteration,
  valueIteration,
} from '../src/index.js';
import type { TransitionTable } from '@attune/envs';
import { slipperyCorridor } from './table-env.js';

// Two non-terminal states: in A, "stay" pays 1 and stays; "go" pays 0 and moves to B;
// in B, "stay" pays 2 and stays; "go" pays 0 and moves to A. V*(B) = 2/(1−γ), V*(A) = γ V*(B).
const twoStates: TransitionTable = [
  [[[1, 0, 1, false]], [[1, 1, 0, false]]],
  [[[1, 1, 2, false]], [[1, 0, 0, false]]],
];

describe('value iteration and policy iteration', () => {
  it('find the closed-form optimum of a two-state MDP', () => {
    const gamma = 0.9;
    for (const result of [valueIteration(twoStates, { gamma, theta: 1e-12 }), policyIteration(twoStates, { gamma, theta: 1e-12 })]) {
      expect(result.values[1]).toBeCloseTo(2 / (1 - gamma), 8);
      expect(result.values[0]).toBeCloseTo((gamma * 2) / (1 - gamma), 8);
      expect(Array.from(result.policy)).toEqual([1, 0]);
    }
  });

  it('agree with each other on a stochastic corridor, and Q* satisfies the Bellman optimality equation', () => {
    const P = slipperyCorridor();
    const vi = valueIteration(P, { gamma: 1, theta: 1e-13 });
    const pi = policyIteration(P, { gamma: 1, theta: 1e-13 });
    for (let s = 0; s < P.length; s++) expect(vi.values[s]).toBeCloseTo(pi.values[s], 9);
    expect(Array.from(vi.policy.slice(1, 6))).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(pi.policy.slice(1, 6))).toEqual([1, 1, 1, 1, 1]);
    const q = actionValues(P, vi.values, 1);
    for (let s = 1; s < 6; s++) expect(q.maxValue(s)).toBeCloseTo(vi.values[s], 10);
    expect(pi.iterations).toBeGreaterThan(1); // it had to improve the all-LEFT start policy
  });

  it('policy evaluation matches a hand-solved chain', () => {
    // Always RIGHT from the corridor's state 5: V(5) = 0.8·1 + 0.2·(−0.01 + V(4)), and so on; check one fixed point.
    const P = slipperyCorridor();
    const alwaysRight = new Int32Array(7).fill(1);
    const { values } = policyEvaluation(P, alwaysRight, { gamma: 1, theta: 1e-14 });
    for (let s = 1; s < 6; s++) {
      const expected = P[s][1].reduce((sum, [p, next, r, done]) => sum + p * (r + (done ? 0 : values[next])), 0);
      expect(values[s]).toBeCloseTo(expected, 12);
    }
    expect(values[5]).toBeGreaterThan(values[1]);
  });

  it('finite-horizon backward induction: one step left sees only immediate rewards, many steps left approach V*', () => {
    const P = slipperyCorridor();
    const oneStep = finiteHorizonValueIteration(P, { horizon: 1 });
    expect(oneStep.values[5]).toBeCloseTo(0.8 - 0.2 * 0.01, 12);
    expect(oneStep.values[3]).toBeCloseTo(-0.01, 12);
    const long = finiteHorizonValueIteration(P, { horizon: 2000 });
    const vi = valueIteration(P, { gamma: 1, theta: 1e-13 });
    expect(long.values[3]).toBeCloseTo(vi.values[3], 9);
    const stationary = finiteHorizonPolicyEvaluation(P, vi.policy, { horizon: 2000 });
    expect(stationary[3]).toBeCloseTo(vi.values[3], 9);
    // No stationary policy beats the best time-dependent one at any horizon.
    for (const horizon of [3, 10, 30]) {
      const best = finiteHorizonValueIteration(P, { horizon }).values[3];
      expect(finiteHorizonPolicyEvaluation(P, vi.policy, { horizon })[3]).toBeLessThanOrEqual(best + 1e-12);
    }
  });

  it('reject bad configs and tables with errors that name the field', () => {
    expect(() => valueIteration(twoStates, { gamma: 1.5 })).toThrow(/ValueIterationConfig\.gamma/);
    expect(() => policyIteration(twoStates, { theta: 0 })).toThrow(/PolicyIterationConfig\.theta/);
    expect(() => valueIteration(twoStates, { gama: 0.9 } as never)).toThrow(/no field "gama"/);
    expect(() => finiteHorizonValueIteration(twoStates, { horizon: -1 })).toThrow(/FiniteHorizonConfig\.horizon/);
    expect(() => valueIteration([[[[0.5, 0, 0, false]]]])).toThrow(/P\[0\]\[0\] probabilities sum to 0.5/);
    expect(() => valueIteration([[[[1, 3, 0, false]]]])).toThrow(/next state 3/);
    expect(() => valueIteration(twoStates, { gamma: 1, maxIterations: 50 })).toThrow(/did not converge/);
  });
});
