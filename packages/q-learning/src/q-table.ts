/**
 * The action-value table Q(s, a) every tabular method here learns or
 * computes, with the greedy and ε-greedy action choices built on it.
 */
import type { Rng } from '@attune/envs';

/**
 * A table of action values, one row per state.
 *
 * @example
 * ```ts
 * const q = new QTable(16, 4);
 * q.set(0, 2, 0.5);
 * q.greedyAction(0); // 2
 * q.maxValue(0);     // 0.5
 * ```
 */
export class QTable {
  /** Number of states (rows). */
  readonly numStates: number;
  /** Number of actions (columns). */
  readonly numActions: number;
  /** The values, row-major: Q(s, a) is `values[s * numActions + a]`; shape [numStates, numActions]. */
  readonly values: Float64Array;

  /** Builds a table with every entry set to `initialValue`. */
  constructor(numStates: number, numActions: number, initialValue = 0) {
    if (!Number.isSafeInteger(numStates) || numStates < 1) throw new RangeError(`QTable numStates must be a positive integer, got ${numStates}`);
    if (!Number.isSafeInteger(numActions) || numActions < 1) throw new RangeError(`QTable numActions must be a positive integer, got ${numActions}`);
    this.numStates = numStates;
    this.numActions = numActions;
    this.values = new Float64Array(numStates * numActions).fill(initialValue);
  }

  /** Q(state, action). */
  get(state: number, action: number): number {
    return this.values[state * this.numActions + action];
  }

  /** Sets Q(state, action). */
  set(state: number, action: number, value: number): void {
    this.values[state * this.numActions + action] = value;
  }

  /** max_a Q(state, a). */
  maxValue(state: number): number {
    const row = state * this.numActions;
    let best = this.values[row];
    for (let a = 1; a < this.numActions; a++) if (this.values[row + a] > best) best = this.values[row + a];
    return best;
  }

  /** The mean over actions of Q(state, a). */
  meanValue(state: number): number {
    const row = state * this.numActions;
    let sum = 0;
    for (let a = 0; a < this.numActions; a++) sum += this.values[row + a];
    return sum / this.numActions;
  }

  /** argmax_a Q(state, a), the lowest index on ties (deterministic, for evaluation). */
  greedyAction(state: number): number {
    const row = state * this.numActions;
    let best = 0;
    for (let a = 1; a < this.numActions; a++) if (this.values[row + a] > this.values[row + best]) best = a;
    return best;
  }

  /** The greedy action of every state; shape [numStates]. */
  greedyPolicy(): Int32Array {
    const policy = new Int32Array(this.numStates);
    for (let s = 0; s < this.numStates; s++) policy[s] = this.greedyAction(s);
    return policy;
  }

  /** V(s) = max_a Q(s, a) for every state; shape [numStates]. */
  stateValues(): Float64Array {
    const values = new Float64Array(this.numStates);
    for (let s = 0; s < this.numStates; s++) values[s] = this.maxValue(s);
    return values;
  }

  /** An independent copy. */
  clone(): QTable {
    const copy = new QTable(this.numStates, this.numActions);
    copy.values.set(this.values);
    return copy;
  }
}

/**
 * argmax_a Q(state, a) with ties broken uniformly at random, so an
 * all-zero table does not always pick action 0 while learning.
 *
 * @example
 * ```ts
 * import { Rng } from '@attune/envs';
 * greedyActionRandomTies(new QTable(1, 4), 0, new Rng(0)); // 0, 1, 2 or 3
 * ```
 */
export function greedyActionRandomTies(q: QTable, state: number, rng: Rng): number {
  const row = state * q.numActions;
  let best = 0;
  let ties = 1;
  for (let a = 1; a < q.numActions; a++) {
    const value = q.values[row + a];
    const bestValue = q.values[row + best];
    if (value > bestValue) {
      best = a;
      ties = 1;
    } else if (value === bestValue) {
      ties++;
      if (rng.random() * ties < 1) best = a; // reservoir sampling: each tied action kept with probability 1/ties
    }
  }
  return best;
}

/**
 * The ε-greedy behaviour policy (Sutton & Barto 2nd ed. §2.2, §5.4): a
 * uniformly random action with probability ε, else a greedy one.
 *
 * @example
 * ```ts
 * import { Rng } from '@attune/envs';
 * const q = new QTable(16, 4);
 * const state = 0;
 * const action = epsilonGreedyAction(q, state, 0.1, new Rng(1));
 * ```
 */
export function epsilonGreedyAction(q: QTable, state: number, epsilon: number, rng: Rng): number {
  if (rng.random() < epsilon) return rng.integers(q.numActions);
  return greedyActionRandomTies(q, state, rng);
}
