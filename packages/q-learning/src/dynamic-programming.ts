/**
 * Dynamic programming over a known model (Sutton & Barto 2nd ed. ch. 4):
 * policy evaluation, policy iteration and value iteration on Gymnasium's
 * transition table `P` (`TransitionTable` from `@attune/envs`, where
 * `P[s][a]` lists `[probability, nextState, reward, terminated]` outcomes), plus their finite-horizon forms (backward induction,
 * Puterman 1994 §4.5), which give the exact probability of reaching a goal
 * within a time limit such as FrozenLake's 100 steps.
 */
import type { Transition, TransitionTable } from '@attune/envs';
import { QTable } from './q-table.js';
import { checkInteger, checkRange, mergeConfig } from '@attune/envs';

/**
 * Hyperparameters of the infinite-horizon methods.
 *
 * @example
 * ```ts
 * const config: Partial<DynamicProgrammingConfig> = { gamma: 1, theta: 1e-12 };
 * ```
 */
export interface DynamicProgrammingConfig {
  /** Discount factor γ; 1 is allowed for episodic tasks, where V(s) is then the expected undiscounted return (e.g. FrozenLake's success probability). */
  gamma: number;
  /** Stop a sweep loop once no value changes by more than θ (S&B §4.1 pseudocode). */
  theta: number;
  /** Upper bound on sweeps, so a γ = 1 task whose values diverge fails loudly instead of hanging. */
  maxIterations: number;
}

/**
 * Defaults of {@link DynamicProgrammingConfig}.
 *
 * @example
 * ```ts
 * defaultDynamicProgrammingConfig.theta; // 1e-10
 * ```
 */
export const defaultDynamicProgrammingConfig: Readonly<DynamicProgrammingConfig> = Object.freeze({
  gamma: 0.99,
  theta: 1e-10,
  maxIterations: 100_000,
});

/**
 * Hyperparameters of the finite-horizon methods.
 *
 * @example
 * ```ts
 * const config: FiniteHorizonConfig = { horizon: 100, gamma: 1 };
 * ```
 */
export interface FiniteHorizonConfig {
  /** Number of decision steps, e.g. the registry's `maxEpisodeSteps` (100 for FrozenLake-v1). */
  horizon: number;
  /** Discount factor γ; 1 gives the expected undiscounted return within the horizon. */
  gamma: number;
}

/**
 * Values of a policy or of the optimum, with the matching greedy policy.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const P = transitionTable(make('FrozenLake-v1') as DiscreteEnv);
 * const { values, policy, qTable, iterations }: DynamicProgrammingResult = valueIteration(P, { gamma: 1 });
 * ```
 */
export interface DynamicProgrammingResult {
  /** V(s) for every state; shape [numStates]. */
  values: Float64Array;
  /** The greedy action of every state with respect to `values`; shape [numStates]. */
  policy: Int32Array;
  /** Q(s, a) = Σ p · (r + γ V(s')) with respect to `values`. */
  qTable: QTable;
  /** Sweeps for value iteration; policy-improvement steps for policy iteration. */
  iterations: number;
  /** Policy-evaluation sweeps summed over all evaluations (policy iteration only; equals `iterations` for value iteration). */
  evaluationSweeps: number;
}

function resolveDynamicProgrammingConfig(configName: string, overrides: Partial<DynamicProgrammingConfig>): DynamicProgrammingConfig {
  const args = mergeConfig(configName, defaultDynamicProgrammingConfig as DynamicProgrammingConfig, overrides);
  checkRange(configName, 'gamma', args.gamma, 0, 1);
  checkRange(configName, 'theta', args.theta, 0, Infinity, true);
  checkInteger(configName, 'maxIterations', args.maxIterations, 1);
  return args;
}

function resolveFiniteHorizonConfig(overrides: Partial<FiniteHorizonConfig>): FiniteHorizonConfig {
  const args = mergeConfig('FiniteHorizonConfig', { horizon: 100, gamma: 1 }, overrides);
  checkInteger('FiniteHorizonConfig', 'horizon', args.horizon, 0);
  checkRange('FiniteHorizonConfig', 'gamma', args.gamma, 0, 1);
  return args;
}

/**
 * Checks that `P` is a well-formed table (probabilities ≥ 0 summing to 1,
 * next states in range) and returns its shape.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('FrozenLake-v1') as DiscreteEnv;
 * transitionTableShape(transitionTable(env)); // { numStates: 16, numActions: 4 }
 * ```
 */
export function transitionTableShape(transitions: TransitionTable): { numStates: number; numActions: number } {
  const numStates = transitions.length;
  if (numStates === 0) throw new RangeError('TransitionTable must have at least one state, got P.length = 0');
  const numActions = transitions[0].length;
  for (let s = 0; s < numStates; s++) {
    if (transitions[s].length !== numActions) {
      throw new RangeError(`TransitionTable P[${s}] has ${transitions[s].length} actions, expected ${numActions} like P[0]`);
    }
    for (let a = 0; a < numActions; a++) {
      let total = 0;
      for (const [probability, nextState] of transitions[s][a]) {
        if (!(probability >= 0)) throw new RangeError(`TransitionTable P[${s}][${a}] has probability ${probability}, expected ≥ 0`);
        if (!Number.isInteger(nextState) || nextState < 0 || nextState >= numStates) {
          throw new RangeError(`TransitionTable P[${s}][${a}] has next state ${nextState}, expected an integer in [0, ${numStates})`);
        }
        total += probability;
      }
      if (Math.abs(total - 1) > 1e-9) throw new RangeError(`TransitionTable P[${s}][${a}] probabilities sum to ${total}, expected 1`);
    }
  }
  return { numStates, numActions };
}

/** Σ_{s'} p(s' | s, a) · (r + γ V(s')), with no bootstrap past a terminal transition. */
function backup(outcomes: ReadonlyArray<Transition>, values: Float64Array, gamma: number): number {
  let expected = 0;
  for (const [probability, nextState, reward, terminated] of outcomes) {
    expected += probability * (reward + (terminated ? 0 : gamma * values[nextState]));
  }
  return expected;
}

/**
 * The one-step lookahead Q(s, a) = Σ p · (r + γ V(s')) for every pair (S&B eq. 4.6).
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const P = transitionTable(make('FrozenLake-v1') as DiscreteEnv);
 * const q = actionValues(P, valueIteration(P, { gamma: 1 }).values, 1);
 * q.greedyPolicy();
 * ```
 */
export function actionValues(transitions: TransitionTable, values: Float64Array, gamma: number): QTable {
  const { numStates, numActions } = transitionTableShape(transitions);
  const q = new QTable(numStates, numActions);
  for (let s = 0; s < numStates; s++) {
    for (let a = 0; a < numActions; a++) q.set(s, a, backup(transitions[s][a], values, gamma));
  }
  return q;
}

/**
 * Iterative policy evaluation (S&B §4.1, in-place sweeps): V^π for a
 * deterministic policy.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const P = transitionTable(make('FrozenLake-v1') as DiscreteEnv);
 * const alwaysLeft = new Int32Array(16);
 * policyEvaluation(P, alwaysLeft, { gamma: 1 }).values[0]; // 0: LEFT never reaches the goal
 * ```
 */
export function policyEvaluation(
  transitions: TransitionTable,
  policy: ArrayLike<number>,
  config: Partial<DynamicProgrammingConfig> = {},
  initialValues?: Float64Array,
): { values: Float64Array; sweeps: number } {
  const args = resolveDynamicProgrammingConfig('PolicyEvaluationConfig', config);
  const { numStates, numActions } = transitionTableShape(transitions);
  if (policy.length !== numStates) throw new RangeError(`policyEvaluation policy has length ${policy.length}, expected numStates = ${numStates}`);
  for (let s = 0; s < numStates; s++) {
    if (!Number.isInteger(policy[s]) || policy[s] < 0 || policy[s] >= numActions) {
      throw new RangeError(`policyEvaluation policy[${s}] = ${policy[s]}, expected an action in [0, ${numActions})`);
    }
  }
  return evaluateInPlace(transitions, policy, args, initialValues === undefined ? new Float64Array(numStates) : Float64Array.from(initialValues));
}

function evaluateInPlace(
  transitions: TransitionTable,
  policy: ArrayLike<number>,
  args: DynamicProgrammingConfig,
  values: Float64Array,
): { values: Float64Array; sweeps: number } {
  for (let sweep = 1; sweep <= args.maxIterations; sweep++) {
    let delta = 0;
    for (let s = 0; s < values.length; s++) {
      const updated = backup(transitions[s][policy[s]], values, args.gamma);
      delta = Math.max(delta, Math.abs(updated - values[s]));
      values[s] = updated;
    }
    if (delta < args.theta) return { values, sweeps: sweep };
  }
  throw new RangeError(`policy evaluation did not converge to theta = ${args.theta} within maxIterations = ${args.maxIterations} sweeps`);
}

/**
 * Policy iteration (S&B §4.3): evaluate the current policy, make it greedy
 * with respect to its values, repeat until it is stable. An action changes
 * only when another beats it by more than 1e-9, so near-ties cannot cycle.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('FrozenLake-v1') as DiscreteEnv;
 * const { values, policy } = policyIteration(transitionTable(env), { gamma: 1 });
 * values[0]; // 0.8235… = 14/17, the optimal success probability
 * ```
 */
export function policyIteration(transitions: TransitionTable, config: Partial<DynamicProgrammingConfig> = {}): DynamicProgrammingResult {
  const args = resolveDynamicProgrammingConfig('PolicyIterationConfig', config);
  const { numStates, numActions } = transitionTableShape(transitions);
  const improvementTolerance = 1e-9;
  const policy = new Int32Array(numStates); // 1. Start from the policy that always takes action 0.
  const values = new Float64Array(numStates);
  let evaluationSweeps = 0;

  for (let iteration = 1; iteration <= args.maxIterations; iteration++) {
    // 2. Policy evaluation in place, warm-started from the previous policy's values.
    evaluationSweeps += evaluateInPlace(transitions, policy, args, values).sweeps;

    // 3. Policy improvement: greedy with respect to V^π, keeping the old action unless another is clearly better.
    let stable = true;
    for (let s = 0; s < numStates; s++) {
      let bestAction = policy[s];
      let bestValue = backup(transitions[s][bestAction], values, args.gamma);
      for (let a = 0; a < numActions; a++) {
        const value = backup(transitions[s][a], values, args.gamma);
        if (value > bestValue + improvementTolerance) {
          bestValue = value;
          bestAction = a;
        }
      }
      if (bestAction !== policy[s]) stable = false;
      policy[s] = bestAction;
    }
    if (stable) return { values, policy, qTable: actionValues(transitions, values, args.gamma), iterations: iteration, evaluationSweeps };
  }
  throw new RangeError(`policy iteration did not stabilise within maxIterations = ${args.maxIterations} improvements`);
}

/**
 * Value iteration (S&B §4.4, eq. 4.10): in-place sweeps of the Bellman
 * optimality backup until no value moves by θ, then the greedy policy.
 * With γ = 1 and rewards ≥ 0 it converges from V = 0 to the optimal
 * expected return, e.g. the optimal success probability on FrozenLake.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('FrozenLake-v1') as DiscreteEnv;
 * valueIteration(transitionTable(env), { gamma: 1 }).values[0]; // 0.8235… = 14/17
 * ```
 */
export function valueIteration(transitions: TransitionTable, config: Partial<DynamicProgrammingConfig> = {}): DynamicProgrammingResult {
  const args = resolveDynamicProgrammingConfig('ValueIterationConfig', config);
  const { numStates, numActions } = transitionTableShape(transitions);
  const values = new Float64Array(numStates);

  for (let sweep = 1; sweep <= args.maxIterations; sweep++) {
    // 1. One sweep of V(s) ← max_a Σ p · (r + γ V(s')).
    let delta = 0;
    for (let s = 0; s < numStates; s++) {
      let best = -Infinity;
      for (let a = 0; a < numActions; a++) best = Math.max(best, backup(transitions[s][a], values, args.gamma));
      delta = Math.max(delta, Math.abs(best - values[s]));
      values[s] = best;
    }
    // 2. Stop once the largest change is below θ, and read off the greedy policy.
    if (delta < args.theta) {
      const qTable = actionValues(transitions, values, args.gamma);
      return { values, policy: qTable.greedyPolicy(), qTable, iterations: sweep, evaluationSweeps: sweep };
    }
  }
  throw new RangeError(`value iteration did not converge to theta = ${args.theta} within maxIterations = ${args.maxIterations} sweeps`);
}

/**
 * The exact expected return of a stationary policy within `horizon` steps
 * (backward induction: V_0 = 0, V_{k+1}(s) = Σ p · (r + γ V_k(s'))). On
 * FrozenLake with γ = 1 and horizon 100, V(start) is the probability the
 * policy reaches the goal before the time limit truncates the episode.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const P = transitionTable(make('FrozenLake-v1') as DiscreteEnv);
 * const { policy } = valueIteration(P, { gamma: 1 });
 * finiteHorizonPolicyEvaluation(P, policy, { horizon: 100 })[0]; // 0.7402 on FrozenLake 4x4
 * ```
 */
export function finiteHorizonPolicyEvaluation(transitions: TransitionTable, policy: ArrayLike<number>, config: Partial<FiniteHorizonConfig> = {}): Float64Array {
  const args = resolveFiniteHorizonConfig(config);
  const { numStates } = transitionTableShape(transitions);
  if (policy.length !== numStates) throw new RangeError(`finiteHorizonPolicyEvaluation policy has length ${policy.length}, expected numStates = ${numStates}`);
  let values = new Float64Array(numStates); // V_0: no steps left
  for (let stepsLeft = 1; stepsLeft <= args.horizon; stepsLeft++) {
    const next = new Float64Array(numStates);
    for (let s = 0; s < numStates; s++) next[s] = backup(transitions[s][policy[s]], values, args.gamma);
    values = next;
  }
  return values;
}

/**
 * The best expected return any policy, stationary or not, can reach within
 * `horizon` steps, and the time-dependent policy that reaches it (backward
 * induction, Puterman 1994 §4.5). `policies[t]` is the action map at time t,
 * when `horizon − t` steps remain.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const P = transitionTable(make('FrozenLake-v1') as DiscreteEnv);
 * finiteHorizonValueIteration(P, { horizon: 100 }).values[0]; // 0.7442 on FrozenLake 4x4
 * ```
 */
export function finiteHorizonValueIteration(
  transitions: TransitionTable,
  config: Partial<FiniteHorizonConfig> = {},
): { values: Float64Array; policies: Int32Array[] } {
  const args = resolveFiniteHorizonConfig(config);
  const { numStates, numActions } = transitionTableShape(transitions);
  let values = new Float64Array(numStates); // V_0: no steps left
  const policies: Int32Array[] = new Array(args.horizon);
  for (let stepsLeft = 1; stepsLeft <= args.horizon; stepsLeft++) {
    const next = new Float64Array(numStates);
    const policy = new Int32Array(numStates);
    for (let s = 0; s < numStates; s++) {
      let best = -Infinity;
      for (let a = 0; a < numActions; a++) {
        const value = backup(transitions[s][a], values, args.gamma);
        if (value > best) {
          best = value;
          policy[s] = a;
        }
      }
      next[s] = best;
    }
    policies[args.horizon - stepsLeft] = policy;
    values = next;
  }
  return { values, policies };
}
