// Held-out evaluation of a reward model on preference records: pairwise accuracy, the weighted
// Bradley–Terry loss, calibration of the predicted P(chosen ≻ rejected) = σ(r_c − r_r) against the
// observed frequency (reliability bins and the expected calibration error, Guo et al. 2017 §2;
// reward-model calibration as in Bai et al. 2022 §3.2), and statistics of the rewards.

import { noGrad, tidy } from '@attune/tensor';
import { buildComparisonBatch, comparisonLoss, isRankedPreference, type PreferenceRecord } from './batch.js';
import type { RewardModel } from './model.js';
import { rewardStatistics } from './normalize.js';

/**
 * One reliability bin: comparisons whose predicted probability fell in [lower, upper).
 *
 * @example
 * ```ts
 * const bin: CalibrationBin = { lower: 0.9, upper: 1, count: 40, meanPredicted: 0.95, observedFrequency: 0.92 };
 * ```
 */
export interface CalibrationBin {
  lower: number;
  upper: number;
  /** Predictions in the bin. */
  count: number;
  /** Mean predicted probability in the bin (NaN when empty). */
  meanPredicted: number;
  /** Fraction of the bin's predictions whose event happened (NaN when empty). */
  observedFrequency: number;
}

/**
 * A reliability diagram and its expected calibration error.
 *
 * @example
 * ```ts
 * const { bins, ece }: Calibration = calibrationFromMargins(new Float32Array([2, -1, 0.5]));
 * ```
 */
export interface Calibration {
  bins: CalibrationBin[];
  /** ECE = Σ_b (n_b / n)·|observedFrequency_b − meanPredicted_b|. */
  ece: number;
}

/**
 * Calibration of the Bradley–Terry predictions of comparisons with reward differences
 * Δr = r_c − r_r. Each comparison is counted in both orders, (σ(Δr), happened) and
 * (σ(−Δr), did not happen), so the diagram covers [0, 1] and does not depend on which response the
 * data calls "chosen". Bins are `numBins` equal-width intervals of the predicted probability.
 *
 * @example
 * ```ts
 * calibrationFromMargins(new Float32Array([0]), 2).ece; // 0: predicts 0.5, happens half the time
 * ```
 */
export function calibrationFromMargins(margins: ArrayLike<number>, numBins = 10): Calibration {
  if (!Number.isInteger(numBins) || numBins <= 0) throw new RangeError(`calibrationFromMargins: numBins must be a positive integer, got ${numBins}`);
  const counts = new Float64Array(numBins);
  const predicted = new Float64Array(numBins);
  const happened = new Float64Array(numBins);
  const add = (p: number, outcome: number): void => {
    const b = Math.min(numBins - 1, Math.floor(p * numBins));
    counts[b] += 1;
    predicted[b] += p;
    happened[b] += outcome;
  };
  for (let i = 0; i < margins.length; i++) {
    const p = 1 / (1 + Math.exp(-margins[i])); // σ(Δr)
    add(p, 1);
    add(1 - p, 0);
  }
  const total = 2 * margins.length;
  let ece = 0;
  const bins: CalibrationBin[] = [];
  for (let b = 0; b < numBins; b++) {
    const n = counts[b];
    const meanPredicted = n > 0 ? predicted[b] / n : NaN;
    const observedFrequency = n > 0 ? happened[b] / n : NaN;
    if (n > 0) ece += (n / total) * Math.abs(observedFrequency - meanPredicted);
    bins.push({ lower: b / numBins, upper: (b + 1) / numBins, count: n, meanPredicted, observedFrequency });
  }
  return { bins, ece };
}

/**
 * Options of {@link evaluateRewardModel}.
 *
 * @example
 * ```ts
 * const options: EvaluateRewardModelOptions = { batchSize: 16, numBins: 10, padTokenId: 0 };
 * ```
 */
export interface EvaluateRewardModelOptions {
  /** Records scored per forward pass (default 16). */
  batchSize?: number;
  /** Reliability bins (default 10). */
  numBins?: number;
  /** Padding id of the rows (default 0; masked out). */
  padTokenId?: number;
  /** Subtract Llama 2 margins in the reported loss (default true). */
  useMargins?: boolean;
}

/**
 * What {@link evaluateRewardModel} measures.
 *
 * @example
 * ```ts
 * import { gptConfig } from '@attune/transformer';
 * const rm = new RewardModel(gptConfig('test'));
 * const heldOut: PreferenceRecord[] = [{ prompt: [1, 2], chosen: [3, 4], rejected: [5] }];
 * const { accuracy, ece, rewardMean }: RewardEvaluation = await evaluateRewardModel(rm, heldOut);
 * ```
 */
export interface RewardEvaluation {
  /** Fraction of comparisons with r_c > r_r (a tie counts ½), every pair of a ranking counted. */
  accuracy: number;
  /** Bradley–Terry loss, each record weighted once (the training objective without centring). */
  loss: number;
  /** The reliability bins of σ(r_c − r_r) (see `calibrationFromMargins`). */
  calibration: Calibration;
  /** Expected calibration error (same as `calibration.ece`). */
  ece: number;
  /** Statistics over every scored response. */
  rewardMean: number;
  rewardStd: number;
  rewardMin: number;
  rewardMax: number;
  /** Mean reward of the preferred / other response over comparisons. */
  chosenRewardMean: number;
  rejectedRewardMean: number;
  /** Mean of r_c − r_r. */
  meanMargin: number;
  numComparisons: number;
  numRecords: number;
}

/**
 * Scores held-out preference records (in eval mode, without gradients; rewards from `forward()`)
 * and reports accuracy, loss, calibration and reward statistics.
 *
 * @example
 * ```ts
 * import { gptConfig } from '@attune/transformer';
 * const rm = new RewardModel(gptConfig('test'));
 * const heldOutRecords: PreferenceRecord[] = [{ prompt: [1, 2], chosen: [3, 4], rejected: [5] }, { prompt: [6], chosen: [7], rejected: [8, 9] }];
 * const result = await evaluateRewardModel(rm, heldOutRecords, { batchSize: 32 });
 * console.log(`accuracy ${result.accuracy.toFixed(3)}, ECE ${result.ece.toFixed(3)}`);
 * ```
 */
export async function evaluateRewardModel(model: RewardModel, records: readonly PreferenceRecord[], options: EvaluateRewardModelOptions = {}): Promise<RewardEvaluation> {
  const batchSize = options.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`evaluateRewardModel: options.batchSize must be a positive integer, got ${batchSize}`);
  if (records.length === 0) throw new RangeError('evaluateRewardModel: records must not be empty, got 0 records');
  let numRows = 0;
  let numComparisons = 0;
  for (const record of records) {
    const K = isRankedPreference(record) ? record.responses.length : 2;
    numRows += K;
    numComparisons += (K * (K - 1)) / 2;
  }
  const rewards = new Float64Array(numRows);
  const margins = new Float64Array(numComparisons);
  let row = 0;
  let comparison = 0;
  let chosenSum = 0;
  let rejectedSum = 0;
  let weightedLoss = 0;
  const wasTraining = model.training;
  model.eval();
  try {
    for (let start = 0; start < records.length; start += batchSize) {
      const part = records.slice(start, start + batchSize);
      const batch = buildComparisonBatch(part, { padTokenId: options.padTokenId, maxLength: model.config.blockSize });
      const out = tidy(() =>
        noGrad(() => {
          const { loss, rewards: r, chosenRewards, rejectedRewards } = comparisonLoss(model, batch, { useMargins: options.useMargins });
          return { loss, r, chosenRewards, rejectedRewards };
        }),
      );
      const [loss, r, chosen, rejected] = await Promise.all([out.loss.data(), out.r.data(), out.chosenRewards.data(), out.rejectedRewards.data()]);
      for (const t of [out.loss, out.r, out.chosenRewards, out.rejectedRewards]) t.dispose();
      weightedLoss += loss[0] * batch.numRecords; // the batch loss is a mean over its records
      rewards.set(r, row);
      row += r.length;
      for (let i = 0; i < chosen.length; i++) {
        margins[comparison++] = chosen[i] - rejected[i];
        chosenSum += chosen[i];
        rejectedSum += rejected[i];
      }
    }
  } finally {
    model.train(wasTraining);
  }
  let correct = 0;
  for (const m of margins) correct += m > 0 ? 1 : m === 0 ? 0.5 : 0;
  const calibration = calibrationFromMargins(margins, options.numBins ?? 10);
  const stats = rewardStatistics(rewards);
  const M = margins.length;
  return {
    accuracy: correct / M,
    loss: weightedLoss / records.length,
    calibration,
    ece: calibration.ece,
    rewardMean: stats.mean,
    rewardStd: stats.std,
    rewardMin: stats.min,
    rewardMax: stats.max,
    chosenRewardMean: chosenSum / M,
    rejectedRewardMean: rejectedSum / M,
    meanMargin: (chosenSum - rejectedSum) / M,
    numComparisons: M,
    numRecords: records.length,
  };
}
