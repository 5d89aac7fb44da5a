/**
 * The agent contracts every bandit algorithm here implements, and the one
 * helper they share: an argmax that breaks ties at random.
 */
import type { Rng } from '@attune/envs';

/**
 * A multi-armed bandit agent: it picks an arm, then learns from the reward.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('BernoulliBandit-v0');
 * env.reset({ seed: 0 });
 * const agent: BanditAgent = new UCB1({ numArms: 10 });
 * const arm = agent.selectArm();
 * agent.update(arm, env.step(arm).reward);
 * ```
 */
export interface BanditAgent {
  /** Number of arms. */
  readonly numArms: number;
  /** The resolved config, for logging. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Chooses the arm to pull next. */
  selectArm(): number;
  /** Learns from the reward the pulled arm paid. */
  update(arm: number, reward: number): void;
}

/**
 * A contextual bandit agent: it sees a context before choosing.
 *
 * @example
 * ```ts
 * const agent: ContextualBanditAgent = new LinUCB({ numArms: 5, dimension: 10 });
 * const context = new Float64Array(10).fill(0.1);
 * const arm = agent.selectArm(context);
 * agent.update(context, arm, 1);
 * ```
 */
export interface ContextualBanditAgent {
  /** Number of arms. */
  readonly numArms: number;
  /** The resolved config, for logging. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Chooses an arm for this context. */
  selectArm(context: ArrayLike<number>): number;
  /** Learns from the reward the arm paid in this context. */
  update(context: ArrayLike<number>, arm: number, reward: number): void;
}

/**
 * The index of the largest value, ties broken uniformly at random (as in
 * Sutton & Barto's testbed, so equal estimates do not favour arm 0).
 *
 * @example
 * ```ts
 * import { Rng } from '@attune/envs';
 * argmaxRandomTies([1, 3, 3], new Rng(0)); // 1 or 2
 * ```
 */
export function argmaxRandomTies(values: ArrayLike<number>, rng: Rng): number {
  let best = 0;
  let ties = 1;
  for (let i = 1; i < values.length; i++) {
    if (values[i] > values[best]) {
      best = i;
      ties = 1;
    } else if (values[i] === values[best]) {
      ties++;
      if (rng.random() * ties < 1) best = i; // reservoir sampling: each tied index kept with probability 1/ties
    }
  }
  return best;
}

/**
 * Checks an arm index passed to `update`.
 *
 * @example
 * ```ts
 * checkArm('UCB1', 10, 3); // ok
 * checkArm('UCB1', 10, 10); // throws: UCB1.update arm must be an integer in [0, 10), got 10
 * ```
 */
export function checkArm(agentName: string, numArms: number, arm: number): void {
  if (!Number.isInteger(arm) || arm < 0 || arm >= numArms) {
    throw new RangeError(`${agentName}.update arm must be an integer in [0, ${numArms}), got ${String(arm)}`);
  }
}

/**
 * Checks a reward passed to `update`.
 *
 * @example
 * ```ts
 * checkReward('UCB1', Number.NaN); // throws: UCB1.update reward must be a finite number, got NaN
 * ```
 */
export function checkReward(agentName: string, reward: number): void {
  if (typeof reward !== 'number' || !Number.isFinite(reward)) {
    throw new RangeError(`${agentName}.update reward must be a finite number, got ${String(reward)}`);
  }
}
