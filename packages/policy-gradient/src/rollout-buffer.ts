/**
 * Storage for one on-policy rollout, shaped (numSteps × numEnvs) and kept in typed arrays that
 * are allocated once and overwritten every iteration (CleanRL's `obs`, `actions`, `logprobs`,
 * `rewards`, `dones`, `values` tensors). Index t · numEnvs + e is step t of env e; flattening the
 * rollout into a batch of numSteps · numEnvs samples is therefore free.
 */
import { computeGae } from './advantages.js';

/**
 * Shape of a {@link RolloutBuffer}.
 *
 * @example
 * ```ts
 * const options: RolloutBufferOptions = { numSteps: 128, numEnvs: 4, observationSize: 4, actionSize: 1, discrete: true };
 * ```
 */
export interface RolloutBufferOptions {
  /** T: steps per env per rollout. */
  numSteps: number;
  /** N: parallel envs. */
  numEnvs: number;
  /** Flat size of one observation. */
  observationSize: number;
  /** Flat size of one action (1 for a discrete action). */
  actionSize: number;
  /** Whether actions are integers (Int32Array storage) or continuous (Float32Array). */
  discrete: boolean;
}

/**
 * One rollout of (numSteps × numEnvs) transitions, time-major, plus its advantages and returns.
 *
 * @example
 * ```ts
 * const buffer = new RolloutBuffer({ numSteps: 128, numEnvs: 4, observationSize: 4, actionSize: 1, discrete: true });
 * const step = 0;
 * const nextObs = new Float32Array(4 * 4);
 * buffer.observations.set(nextObs, step * 4 * 4); // obs of step `step`, all envs
 * // … fill actions, logProbs, values, rewards, terminations, truncations …
 * const nextValues = new Float32Array(4);
 * buffer.computeAdvantages(nextValues, { gamma: 0.99, lambda: 0.95, bootstrapTruncated: true });
 * ```
 */
export class RolloutBuffer {
  readonly numSteps: number;
  readonly numEnvs: number;
  readonly observationSize: number;
  readonly actionSize: number;
  /** numSteps · numEnvs. */
  readonly batchSize: number;
  /** s_t, [T, N, observationSize]. */
  readonly observations: Float32Array;
  /** a_t, [T, N] (discrete) or [T, N, actionSize] (continuous). */
  readonly actions: Int32Array | Float32Array;
  /** log π_old(a_t | s_t), [T, N]. */
  readonly logProbs: Float32Array;
  /** V_old(s_t), [T, N]. */
  readonly values: Float32Array;
  /** r_t, [T, N]. */
  readonly rewards: Float32Array;
  /** 1 where step t terminated its episode, [T, N]. */
  readonly terminations: Uint8Array;
  /** 1 where step t was truncated, [T, N]. */
  readonly truncations: Uint8Array;
  /** V_old(final observation) where step t was truncated, [T, N]. */
  readonly truncationValues: Float32Array;
  /** Â_t, [T, N], filled by `computeAdvantages`. */
  readonly advantages: Float32Array;
  /** Â_t + V_old(s_t), [T, N], filled by `computeAdvantages`. */
  readonly returns: Float32Array;

  constructor(options: RolloutBufferOptions) {
    const { numSteps, numEnvs, observationSize, actionSize, discrete } = options;
    for (const [name, value] of Object.entries({ numSteps, numEnvs, observationSize, actionSize })) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`RolloutBuffer: ${name} must be a positive integer, got ${value}`);
    }
    if (discrete && actionSize !== 1) throw new RangeError(`RolloutBuffer: a discrete action has actionSize 1, got ${actionSize}`);
    this.numSteps = numSteps;
    this.numEnvs = numEnvs;
    this.observationSize = observationSize;
    this.actionSize = actionSize;
    const size = numSteps * numEnvs;
    this.batchSize = size;
    this.observations = new Float32Array(size * observationSize);
    this.actions = discrete ? new Int32Array(size) : new Float32Array(size * actionSize);
    this.logProbs = new Float32Array(size);
    this.values = new Float32Array(size);
    this.rewards = new Float32Array(size);
    this.terminations = new Uint8Array(size);
    this.truncations = new Uint8Array(size);
    this.truncationValues = new Float32Array(size);
    this.advantages = new Float32Array(size);
    this.returns = new Float32Array(size);
  }

  /**
   * Fills `advantages` and `returns` with GAE(γ, λ) ({@link computeGae}); `nextValues` is V(s_T)
   * per env. With `bootstrapTruncated` false a truncation is treated as a termination (CleanRL).
   */
  computeAdvantages(nextValues: ArrayLike<number>, options: { gamma: number; lambda: number; bootstrapTruncated: boolean }): void {
    computeGae(
      {
        numSteps: this.numSteps,
        numEnvs: this.numEnvs,
        rewards: this.rewards,
        values: this.values,
        terminations: this.terminations,
        truncations: this.truncations,
        truncationValues: options.bootstrapTruncated ? this.truncationValues : undefined,
        nextValues,
      },
      options,
      { advantages: this.advantages, returns: this.returns },
    );
  }

  /** Zeroes the per-step flags and bootstrap values before a new rollout. */
  resetFlags(): void {
    this.terminations.fill(0);
    this.truncations.fill(0);
    this.truncationValues.fill(0);
  }
}

/**
 * Copies rows `indices[start..end)` of a flat [batch, width] array into `out` ([end − start, width]):
 * how a shuffled minibatch is gathered from the flattened rollout without allocating.
 *
 * @example
 * ```ts
 * const buffer = new RolloutBuffer({ numSteps: 16, numEnvs: 4, observationSize: 4, actionSize: 1, discrete: true });
 * const batchIndices = Int32Array.from({ length: 64 }, (_, i) => 63 - i);
 * const minibatchObservations = new Float32Array(32 * 4);
 * gatherRows(buffer.observations, 4, batchIndices, 0, 32, minibatchObservations);
 * ```
 */
export function gatherRows<T extends Float32Array | Int32Array>(source: T, width: number, indices: ArrayLike<number>, start: number, end: number, out: T): T {
  if (width === 1) {
    for (let k = start; k < end; k++) out[k - start] = source[indices[k]];
    return out;
  }
  for (let k = start; k < end; k++) {
    const from = indices[k] * width;
    out.set(source.subarray(from, from + width), (k - start) * width);
  }
  return out;
}
