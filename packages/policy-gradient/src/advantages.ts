/**
 * Discounted returns and generalised advantage estimation over a (numSteps × numEnvs) rollout,
 * stored time-major (index t · numEnvs + e), with Gymnasium's distinction between an episode
 * that *terminated* (the MDP reached a terminal state: bootstrap nothing) and one that was
 * *truncated* (a time limit cut it: the state is not terminal, so bootstrap from the value of the
 * final observation). Both functions are one backward sweep over time, vectorised over envs.
 *
 * References: GAE, Schulman et al. 2016 (arXiv:1506.02438) eq. 16; λ-returns, Sutton & Barto
 * 2nd ed. §12.1; truncation bootstrapping, Pardo et al. 2018 "Time Limits in RL".
 */

/**
 * The rollout as {@link computeGae} and {@link discountedReturns} read it; every per-step array
 * is time-major, length numSteps × numEnvs.
 *
 * @example
 * ```ts
 * const rollout: AdvantageInput = {
 *   numSteps: 2, numEnvs: 1,
 *   rewards: [1, 1], values: [0.5, 0.5], terminations: [0, 1], truncations: [0, 0],
 *   nextValues: [0],
 * };
 * ```
 */
export interface AdvantageInput {
  /** T, the steps per env in the rollout. */
  numSteps: number;
  /** N, the number of envs. */
  numEnvs: number;
  /** r_t, the reward received for the action at step t. */
  rewards: ArrayLike<number>;
  /** V(s_t), the critic's value of the observation the action at step t was chosen from (ignored by `discountedReturns`). */
  values?: ArrayLike<number>;
  /** 1 where the step ended its episode in a terminal state. */
  terminations: ArrayLike<number>;
  /** 1 where the step ended its episode by truncation (time limit). */
  truncations: ArrayLike<number>;
  /**
   * V(final observation) where `truncations` is 1 (other entries are ignored). Omit it to treat a
   * truncation like a termination, as CleanRL's `ppo.py` does (`next_done = terminations | truncations`).
   */
  truncationValues?: ArrayLike<number>;
  /** V(s_T) per env, the value of the observation after the rollout's last step (length numEnvs); omit for 0. */
  nextValues?: ArrayLike<number>;
}

/**
 * What {@link computeGae} returns (time-major, numSteps × numEnvs).
 *
 * @example
 * ```ts
 * const rollout: AdvantageInput = { numSteps: 2, numEnvs: 1, rewards: [1, 1], values: [0.5, 0.5], terminations: [0, 1], truncations: [0, 0] };
 * const { advantages, returns }: GaeResult = computeGae(rollout, { gamma: 0.99, lambda: 0.95 });
 * ```
 */
export interface GaeResult {
  /** Â_t = Σ_l (γλ)^l δ_{t+l} within the episode. */
  advantages: Float32Array;
  /** The λ-return Â_t + V(s_t): the critic's regression target. */
  returns: Float32Array;
}

function checkInput(fn: string, input: AdvantageInput, needValues: boolean): void {
  const { numSteps, numEnvs } = input;
  if (!Number.isInteger(numSteps) || numSteps < 1) throw new RangeError(`${fn}: numSteps must be a positive integer, got ${numSteps}`);
  if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new RangeError(`${fn}: numEnvs must be a positive integer, got ${numEnvs}`);
  const size = numSteps * numEnvs;
  const arrays: [string, ArrayLike<number> | undefined, number][] = [
    ['rewards', input.rewards, size],
    ['terminations', input.terminations, size],
    ['truncations', input.truncations, size],
    ['truncationValues', input.truncationValues, size],
    ['nextValues', input.nextValues, numEnvs],
  ];
  if (needValues) {
    if (input.values === undefined) throw new TypeError(`${fn}: values is required`);
    arrays.push(['values', input.values, size]);
  }
  for (const [name, array, length] of arrays) {
    if (array !== undefined && array.length !== length) throw new RangeError(`${fn}: ${name} must have length ${length}, got ${array.length}`);
  }
}

/**
 * Generalised advantage estimation (Schulman et al. 2016, eq. 16), swept backwards over time and
 * across all envs at once:
 *
 *   δ_t = r_t + γ · V_next − V(s_t),   Â_t = δ_t + γλ · c_t · Â_{t+1},
 *
 * where V_next is 0 after a termination, V(final observation) after a truncation (or 0 without
 * `truncationValues`), V(s_{t+1}) otherwise (`nextValues` at the last step), and c_t is 0 when
 * the step ended an episode (the next step belongs to a new one), 1 otherwise. λ = 1 gives the
 * Monte Carlo advantage, λ = 0 the one-step TD error.
 *
 * @example
 * ```ts
 * const { advantages, returns } = computeGae(
 *   { numSteps: 3, numEnvs: 1, rewards: [1, 1, 1], values: [0, 0, 0],
 *     terminations: [0, 0, 1], truncations: [0, 0, 0] },
 *   { gamma: 1, lambda: 1 },
 * );
 * // advantages = [3, 2, 1]; returns = [3, 2, 1]
 * ```
 */
export function computeGae(input: AdvantageInput, options: { gamma: number; lambda: number }, out?: GaeResult): GaeResult {
  checkInput('computeGae', input, true);
  const { numSteps, numEnvs, rewards, terminations, truncations, truncationValues, nextValues } = input;
  const values = input.values as ArrayLike<number>;
  const { gamma, lambda } = options;
  const size = numSteps * numEnvs;
  const advantages = out?.advantages ?? new Float32Array(size);
  const returns = out?.returns ?? new Float32Array(size);
  const lastAdvantage = new Float64Array(numEnvs); // Â_{t+1} per env, 0 beyond the rollout
  for (let t = numSteps - 1; t >= 0; t--) {
    for (let e = 0; e < numEnvs; e++) {
      const i = t * numEnvs + e;
      let nextValue: number;
      let continues: number;
      if (terminations[i]) {
        nextValue = 0; // terminal state: nothing to bootstrap
        continues = 0;
      } else if (truncations[i]) {
        nextValue = truncationValues === undefined ? 0 : truncationValues[i]; // cut by a time limit: bootstrap V(final obs)
        continues = 0;
      } else {
        nextValue = t === numSteps - 1 ? (nextValues === undefined ? 0 : nextValues[e]) : values[i + numEnvs];
        continues = 1;
      }
      const delta = rewards[i] + gamma * nextValue - values[i];
      lastAdvantage[e] = delta + gamma * lambda * continues * lastAdvantage[e];
      advantages[i] = lastAdvantage[e];
      returns[i] = lastAdvantage[e] + values[i];
    }
  }
  return { advantages, returns };
}

/**
 * Discounted returns G_t = r_t + γ · G_{t+1} within each episode (Monte Carlo returns for
 * REINFORCE), with the same episode boundaries as {@link computeGae}: G restarts at 0 after a
 * termination, at V(final observation) after a truncation (`truncationValues`, else 0), and at
 * `nextValues` beyond the rollout's last step (else 0).
 *
 * @example
 * ```ts
 * discountedReturns(
 *   { numSteps: 3, numEnvs: 1, rewards: [1, 1, 1], terminations: [0, 0, 1], truncations: [0, 0, 0] },
 *   { gamma: 0.5 },
 * ); // Float32Array [1.75, 1.5, 1]
 * ```
 */
export function discountedReturns(input: AdvantageInput, options: { gamma: number }, out?: Float32Array): Float32Array {
  checkInput('discountedReturns', input, false);
  const { numSteps, numEnvs, rewards, terminations, truncations, truncationValues, nextValues } = input;
  const { gamma } = options;
  const returns = out ?? new Float32Array(numSteps * numEnvs);
  const running = new Float64Array(numEnvs);
  if (nextValues !== undefined) running.set(Array.from(nextValues));
  for (let t = numSteps - 1; t >= 0; t--) {
    for (let e = 0; e < numEnvs; e++) {
      const i = t * numEnvs + e;
      if (terminations[i]) running[e] = 0;
      else if (truncations[i]) running[e] = truncationValues === undefined ? 0 : truncationValues[i];
      running[e] = rewards[i] + gamma * running[e];
      returns[i] = running[e];
    }
  }
  return returns;
}

/**
 * 1 − Var(R − V) / Var(R): how much of the returns' variance the critic explains (1 perfect,
 * 0 no better than a constant, negative worse); NaN when the returns are constant. CleanRL's
 * `losses/explained_variance`, computed over the whole rollout.
 *
 * @example
 * ```ts
 * const buffer = { values: [1.0, 2.1, 2.9], returns: [1, 2, 3] };
 * explainedVariance(buffer.values, buffer.returns); // 0.99
 * ```
 */
export function explainedVariance(predicted: ArrayLike<number>, target: ArrayLike<number>): number {
  const n = target.length;
  if (predicted.length !== n) throw new RangeError(`explainedVariance: ${predicted.length} predictions for ${n} targets`);
  let meanTarget = 0;
  let meanResidual = 0;
  for (let i = 0; i < n; i++) {
    meanTarget += target[i];
    meanResidual += target[i] - predicted[i];
  }
  meanTarget /= n;
  meanResidual /= n;
  let varianceTarget = 0;
  let varianceResidual = 0;
  for (let i = 0; i < n; i++) {
    varianceTarget += (target[i] - meanTarget) ** 2;
    varianceResidual += (target[i] - predicted[i] - meanResidual) ** 2;
  }
  return varianceTarget === 0 ? Number.NaN : 1 - varianceResidual / varianceTarget;
}
