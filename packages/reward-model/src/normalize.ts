// Reward normalisation: the gain and bias of r = gain·raw + bias that give the SFT policy's samples
// mean 0 and std 1, so the PPO reward (and its KL coefficient) has a fixed scale whatever the reward
// model learnt (Ziegler et al. 2019 §2.2; Stiennon et al. 2020 App. C; lm-human-preferences'
// `reset_reward_scale`, done before and after reward-model training in Huang et al. 2024).

import type { RewardModel } from './model.js';

/**
 * Summary statistics of a set of rewards (population std, as the normalisation uses).
 *
 * @example
 * ```ts
 * const { mean, std }: RewardStatistics = rewardStatistics([1, 2, 3]); // 2, 0.8165
 * ```
 */
export interface RewardStatistics {
  count: number;
  mean: number;
  /** √(Σ(x − mean)² / n). */
  std: number;
  min: number;
  max: number;
}

/**
 * Count, mean, population std, min and max of `scores` (accumulated in float64).
 *
 * @example
 * ```ts
 * rewardStatistics(new Float32Array([-1, 1])); // { count: 2, mean: 0, std: 1, min: -1, max: 1 }
 * ```
 */
export function rewardStatistics(scores: ArrayLike<number>): RewardStatistics {
  const n = scores.length;
  if (n === 0) throw new RangeError('rewardStatistics: scores must not be empty, got 0 values');
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = scores[i];
    if (!Number.isFinite(x)) throw new RangeError(`rewardStatistics: scores[${i}] must be finite, got ${x}`);
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (scores[i] - mean) ** 2;
  return { count: n, mean, std: Math.sqrt(squares / n), min, max };
}

/**
 * Options of {@link rewardNormalization} and {@link setRewardNormalization}.
 *
 * @example
 * ```ts
 * const options: RewardNormalizationOptions = { targetMean: 0, targetStd: 1 };
 * ```
 */
export interface RewardNormalizationOptions {
  /** Mean of the normalised rewards (default 0). */
  targetMean?: number;
  /** Std of the normalised rewards (default 1). */
  targetStd?: number;
}

/**
 * The gain and bias that map `rawScores` to mean `targetMean` and std `targetStd`:
 * gain = targetStd / std, bias = targetMean − gain·mean.
 *
 * @example
 * ```ts
 * rewardNormalization([1, 3]); // { gain: 1, bias: -2 }
 * ```
 */
export function rewardNormalization(rawScores: ArrayLike<number>, options: RewardNormalizationOptions = {}): { gain: number; bias: number } {
  const targetMean = options.targetMean ?? 0;
  const targetStd = options.targetStd ?? 1;
  if (!Number.isFinite(targetMean)) throw new RangeError(`rewardNormalization: options.targetMean must be finite, got ${targetMean}`);
  if (!(Number.isFinite(targetStd) && targetStd > 0)) throw new RangeError(`rewardNormalization: options.targetStd must be a finite number > 0, got ${targetStd}`);
  const { mean, std, count } = rewardStatistics(rawScores);
  if (!(std > 0)) throw new RangeError(`rewardNormalization: rawScores must vary to set a std, got ${count} scores all equal to ${mean}`);
  const gain = targetStd / std;
  return { gain, bias: targetMean - gain * mean };
}

/**
 * Sets `model.gain` and `model.bias` so that `forward()` gives the SFT policy's samples mean 0 and
 * std 1. `rawScores` are RAW scores (`forwardRaw`, or `scoreSequences(model, samples)`) of prompt +
 * response samples of the SFT policy. Returns the new gain and bias.
 *
 * @example
 * ```ts
 * import { gptConfig } from '@attune/transformer';
 * const rm = new RewardModel(gptConfig('test'));
 * const sftSamples = [[1, 2, 3, 4], [5, 6], [7, 8, 9]]; // prompt + SFT response, token ids
 * const raw = await scoreSequences(rm, sftSamples);
 * setRewardNormalization(rm, raw); // rm.forward() now has mean 0, std 1 on those samples
 * ```
 */
export function setRewardNormalization(model: RewardModel, rawScores: ArrayLike<number>, options: RewardNormalizationOptions = {}): { gain: number; bias: number } {
  const result = rewardNormalization(rawScores, options);
  model.gain = result.gain;
  model.bias = result.bias;
  return result;
}
