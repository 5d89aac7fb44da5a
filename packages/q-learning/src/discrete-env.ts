/**
 * What a tabular algorithm needs from an environment: an `Env` from
 * `@attune/envs` whose observation and action spaces are both `Discrete`
 * (FrozenLake, CliffWalking, Taxi), so states and actions index a table;
 * and, for dynamic programming, the transition table `P` toy-text envs expose.
 */
import { Discrete, type Env, type TransitionTable } from '@attune/envs';
import { transitionTableShape } from './dynamic-programming.js';

/**
 * An environment with integer states and actions.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('FrozenLake-v1') as DiscreteEnv;
 * ```
 */
export type DiscreteEnv = Env<number, number>;

/**
 * The table sizes of a discrete env; throws when a space is not `Discrete`
 * starting at 0.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * tableShape(make('FrozenLake-v1') as DiscreteEnv); // { numStates: 16, numActions: 4 }
 * ```
 */
export function tableShape(env: DiscreteEnv): { numStates: number; numActions: number } {
  const { observationSpace, actionSpace } = env;
  if (!(observationSpace instanceof Discrete) || observationSpace.start !== 0) {
    throw new TypeError(`tabular methods need a Discrete observation space starting at 0, got ${String(observationSpace)}`);
  }
  if (!(actionSpace instanceof Discrete) || actionSpace.start !== 0) {
    throw new TypeError(`tabular methods need a Discrete action space starting at 0, got ${String(actionSpace)}`);
  }
  return { numStates: observationSpace.n, numActions: actionSpace.n };
}

/**
 * The transition table `P` of the innermost env (below TimeLimit and other
 * wrappers), checked for shape; throws when the env exposes none.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const P = transitionTable(make('FrozenLake-v1', { mapName: '8x8' }) as DiscreteEnv);
 * P[0][2]; // the three slippery outcomes of RIGHT in the start state
 * ```
 */
export function transitionTable(env: DiscreteEnv): TransitionTable {
  const inner = env.unwrapped as { P?: unknown };
  if (!Array.isArray(inner.P)) throw new TypeError(`transitionTable: ${String(env.unwrapped)} exposes no transition table P`);
  const table = inner.P as TransitionTable;
  transitionTableShape(table);
  return table;
}
