// Comparison batches: preference records (token ids) → one right-padded row per distinct
// prompt + response, and the comparisons between rows as index tensors. A K-way ranking is scored
// with one forward pass per response and expanded into its C(K,2) pairs, each weighted 1/C(K,2) so
// the prompt counts as one batch element (Ouyang et al. 2022, §3.5); a pairwise record is two rows
// and one comparison of weight 1. `comparisonLoss` scores a batch and applies the losses.

import { indexSelect, noGrad, tensor, tidy, type Tensor } from '@attune/tensor';
import { bradleyTerryLoss, checkRanking, rankingComparisons, rewardCenteringLoss } from './losses.js';
import type { RewardModel } from './model.js';

/**
 * A pairwise preference in token ids: `prompt + chosen` is preferred to `prompt + rejected`.
 *
 * @example
 * ```ts
 * const pair: PreferencePair = { prompt: [5, 6], chosen: [7, 50256], rejected: [8, 50256], margin: 1 };
 * ```
 */
export interface PreferencePair {
  prompt: number[];
  chosen: number[];
  rejected: number[];
  /** Llama 2's margin m(r) from the preference strength (Touvron et al. 2023 §3.2.2); default 0. */
  margin?: number;
}

/**
 * A K-way ranking in token ids: `ranking` lists indices into `responses`, best first.
 *
 * @example
 * ```ts
 * const ranked: RankedPreference = { prompt: [5], responses: [[7], [8], [9]], ranking: [2, 0, 1] };
 * ```
 */
export interface RankedPreference {
  prompt: number[];
  responses: number[][];
  ranking: number[];
}

/**
 * A preference record of either kind.
 *
 * @example
 * ```ts
 * const pair: PreferenceRecord = { prompt: [1, 2], chosen: [3], rejected: [4] };
 * const ranked: PreferenceRecord = { prompt: [1, 2], responses: [[3], [4], [5]], ranking: [1, 0, 2] };
 * const records: PreferenceRecord[] = [pair, ranked];
 * ```
 */
export type PreferenceRecord = PreferencePair | RankedPreference;

/**
 * Whether a record is a K-way ranking (has `responses`).
 *
 * @example
 * ```ts
 * isRankedPreference({ prompt: [1], responses: [[2], [3]], ranking: [1, 0] }); // true
 * ```
 */
export function isRankedPreference(record: PreferenceRecord): record is RankedPreference {
  return Array.isArray((record as RankedPreference).responses);
}

/**
 * Rows and comparisons of a batch of preference records, as host arrays (tensors are made per step).
 *
 * @example
 * ```ts
 * const records: PreferenceRecord[] = [
 *   { prompt: [1, 2], chosen: [3, 4], rejected: [5] },
 *   { prompt: [1], responses: [[2], [3, 4], [5]], ranking: [2, 0, 1] },
 * ];
 * const batch: ComparisonBatch = buildComparisonBatch(records, { padTokenId: 0 });
 * batch.numRows; // one per response: 5
 * ```
 */
export interface ComparisonBatch {
  /** R rows × T ids, right-padded with `padTokenId`, row-major (R·T). */
  inputIds: Int32Array;
  /** R × T: 1 for real tokens, 0 for padding. */
  attentionMask: Int32Array;
  /** R, distinct prompt + response rows. */
  numRows: number;
  /** T, the longest row. */
  length: number;
  /** M: row of the preferred response of each comparison. */
  chosenIndex: Int32Array;
  /** M: row of the other response. */
  rejectedIndex: Int32Array;
  /** M: 1 for a pairwise record, 1/C(K,2) for each pair of a K-way ranking. */
  weights: Float32Array;
  /** M: the record's margin (pairwise records only; 0 elsewhere). */
  margins: Float32Array;
  /** The number of records (prompts), Σ weights. */
  numRecords: number;
}

/**
 * Options of {@link buildComparisonBatch}.
 *
 * @example
 * ```ts
 * import { ByteTokenizer, gptConfig } from '@attune/transformer';
 * const tokenizer = new ByteTokenizer({ eos: true });
 * const model = new RewardModel(gptConfig('test', { vocabSize: tokenizer.vocabSize }));
 * const records = [encodePreference({ prompt: 'Q:', chosen: ' yes', rejected: ' no' }, tokenizer, { appendEos: true })];
 * const options: BuildComparisonBatchOptions = { padTokenId: tokenizer.padTokenId ?? 0, maxLength: model.config.blockSize };
 * buildComparisonBatch(records, options);
 * ```
 */
export interface BuildComparisonBatchOptions {
  /** Id written in padded positions (masked out, so any valid id works; default 0). */
  padTokenId?: number;
  /** Longest allowed prompt + response (the model's blockSize); a longer row throws naming the record. */
  maxLength?: number;
}

/**
 * Lays out preference records as right-padded rows (one per prompt + response) plus the
 * comparisons between them, each response scored once however many pairs it is in.
 *
 * @example
 * ```ts
 * const batch = buildComparisonBatch([{ prompt: [1], responses: [[2], [3], [4]], ranking: [1, 2, 0] }]);
 * Array.from(batch.chosenIndex); // [1, 1, 2]   (rows of responses 1, 1, 2)
 * Array.from(batch.weights); // [1/3, 1/3, 1/3]
 * ```
 */
export function buildComparisonBatch(records: readonly PreferenceRecord[], options: BuildComparisonBatchOptions = {}): ComparisonBatch {
  const padTokenId = options.padTokenId ?? 0;
  const maxLength = options.maxLength ?? Infinity;
  if (!Array.isArray(records) || records.length === 0) throw new RangeError(`buildComparisonBatch: records must be a non-empty array, got ${Array.isArray(records) ? 'an empty array' : typeof records}`);
  const rows: Array<[number[], number[]]> = []; // [prompt, response]
  const chosen: number[] = [];
  const rejected: number[] = [];
  const weights: number[] = [];
  const margins: number[] = [];
  records.forEach((record, r) => {
    const where = `buildComparisonBatch: records[${r}]`;
    checkIds(record?.prompt, `${where}.prompt`);
    const first = rows.length;
    if (isRankedPreference(record)) {
      const K = record.responses.length;
      checkRanking(record.ranking, K, `${where}.ranking`);
      record.responses.forEach((response, k) => {
        checkIds(response, `${where}.responses[${k}]`, true);
        rows.push([record.prompt, response]);
      });
      const pairs = rankingComparisons(record.ranking);
      for (const [winner, loser] of pairs) {
        chosen.push(first + winner);
        rejected.push(first + loser);
        weights.push(1 / pairs.length); // InstructGPT §3.5: 1/C(K,2) per pair
        margins.push(0);
      }
    } else {
      checkIds(record.chosen, `${where}.chosen`, true);
      checkIds(record.rejected, `${where}.rejected`, true);
      const margin = record.margin ?? 0;
      if (!Number.isFinite(margin)) throw new RangeError(`${where}.margin must be a finite number, got ${String(margin)}`);
      rows.push([record.prompt, record.chosen], [record.prompt, record.rejected]);
      chosen.push(first);
      rejected.push(first + 1);
      weights.push(1);
      margins.push(margin);
    }
    for (let row = first; row < rows.length; row++) {
      const length = rows[row][0].length + rows[row][1].length;
      if (length > maxLength) throw new RangeError(`${where}: prompt + response has ${length} tokens, more than maxLength ${maxLength} (truncate the prompt or raise blockSize)`);
    }
  });
  const R = rows.length;
  let T = 0;
  for (const [prompt, response] of rows) T = Math.max(T, prompt.length + response.length);
  const inputIds = new Int32Array(R * T).fill(padTokenId);
  const attentionMask = new Int32Array(R * T);
  rows.forEach(([prompt, response], row) => {
    inputIds.set(prompt, row * T);
    inputIds.set(response, row * T + prompt.length);
    attentionMask.fill(1, row * T, row * T + prompt.length + response.length);
  });
  return {
    inputIds,
    attentionMask,
    numRows: R,
    length: T,
    chosenIndex: Int32Array.from(chosen),
    rejectedIndex: Int32Array.from(rejected),
    weights: Float32Array.from(weights),
    margins: Float32Array.from(margins),
    numRecords: records.length,
  };
}

/**
 * Options of {@link comparisonLoss}.
 *
 * @example
 * ```ts
 * const options: ComparisonLossOptions = { useMargins: true, centeringCoef: 0.01 };
 * ```
 */
export interface ComparisonLossOptions {
  /** Subtract each pair's margin (Llama 2); default true (records without one have margin 0). */
  useMargins?: boolean;
  /** η of the reward-centring loss η·(r_c + r_r)² (Eisenstein et al. 2023); default 0 (off). */
  centeringCoef?: number;
}

/**
 * What {@link comparisonLoss} returns: the loss (a scalar with gradients) and the per-comparison rewards.
 *
 * @example
 * ```ts
 * import { gptConfig } from '@attune/transformer';
 * const model = new RewardModel(gptConfig('test'));
 * const batch = buildComparisonBatch([{ prompt: [1, 2], chosen: [3, 4], rejected: [5] }]);
 * const { loss, chosenRewards }: ComparisonLossOutput = comparisonLoss(model, batch);
 * ```
 */
export interface ComparisonLossOutput {
  /** Bradley–Terry loss (+ centring), weighted so each record counts once. */
  loss: Tensor;
  /** (R) reward of every row. */
  rewards: Tensor;
  /** (M) r_c per comparison. */
  chosenRewards: Tensor;
  /** (M) r_r per comparison. */
  rejectedRewards: Tensor;
}

/**
 * Scores every row of `batch` with `model.forward()` (one pass per response, the reward at the last
 * real token) and returns the weighted Bradley–Terry loss over its comparisons. Tensors are created
 * on the model's backend; call it inside `tidy`.
 *
 * @example
 * ```ts
 * import { tidy } from '@attune/tensor';
 * import { gptConfig } from '@attune/transformer';
 * const model = new RewardModel(gptConfig('test'));
 * const records: PreferenceRecord[] = [{ prompt: [1, 2], chosen: [3, 4], rejected: [5] }];
 * tidy(() => {
 *   const { loss } = comparisonLoss(model, buildComparisonBatch(records), { centeringCoef: 0.01 });
 *   loss.backward();
 * });
 * ```
 */
export function comparisonLoss(model: RewardModel, batch: ComparisonBatch, options: ComparisonLossOptions = {}): ComparisonLossOutput {
  const backend = model.score.weight.backend;
  const { numRows: R, length: T } = batch;
  const M = batch.chosenIndex.length;
  const idx = tensor(batch.inputIds, { shape: [R, T], dtype: 'int32', backend });
  const attentionMask = tensor(batch.attentionMask, { shape: [R, T], dtype: 'int32', backend });
  const rewards = model.forward(idx, { attentionMask }); // (R)
  const chosenRewards = indexSelect(rewards, 0, tensor(batch.chosenIndex, { shape: [M], dtype: 'int32', backend })); // (M)
  const rejectedRewards = indexSelect(rewards, 0, tensor(batch.rejectedIndex, { shape: [M], dtype: 'int32', backend })); // (M)
  const weights = tensor(batch.weights, { shape: [M], backend });
  const margins = (options.useMargins ?? true) ? tensor(batch.margins, { shape: [M], backend }) : null;
  let loss = bradleyTerryLoss(chosenRewards, rejectedRewards, { margins, weights });
  const eta = options.centeringCoef ?? 0;
  if (eta !== 0) loss = loss.add(rewardCenteringLoss(chosenRewards, rejectedRewards, eta, weights));
  return { loss, rewards, chosenRewards, rejectedRewards };
}

/**
 * Scores token-id sequences (prompt + response, unpadded) in batches, in eval mode and without
 * gradients, and returns the raw rewards (`normalized: true` for `forward()`'s gain·raw + bias): the
 * input of `setRewardNormalization`.
 *
 * @example
 * ```ts
 * import { gptConfig } from '@attune/transformer';
 * const rm = new RewardModel(gptConfig('test'));
 * const sftSamples = [{ prompt: [1, 2], response: [3, 4] }, { prompt: [5], response: [6] }];
 * const raw = await scoreSequences(rm, sftSamples.map((s) => [...s.prompt, ...s.response]), { batchSize: 32 });
 * ```
 */
export async function scoreSequences(
  model: RewardModel,
  sequences: readonly number[][],
  options: { batchSize?: number; padTokenId?: number; normalized?: boolean } = {},
): Promise<Float32Array> {
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`scoreSequences: options.batchSize must be a positive integer, got ${String(batchSize)}`);
  const padTokenId = options.padTokenId ?? 0;
  const backend = model.score.weight.backend;
  const out = new Float32Array(sequences.length);
  const wasTraining = model.training;
  model.eval();
  try {
    for (let start = 0; start < sequences.length; start += batchSize) {
      const rows = sequences.slice(start, start + batchSize);
      rows.forEach((row, i) => checkIds(row, `scoreSequences: sequences[${start + i}]`, true));
      const B = rows.length;
      const T = Math.max(...rows.map((row) => row.length));
      const ids = new Int32Array(B * T).fill(padTokenId);
      const mask = new Int32Array(B * T);
      rows.forEach((row, b) => {
        ids.set(row, b * T);
        mask.fill(1, b * T, b * T + row.length);
      });
      const scores = tidy(() => noGrad(() => {
        const idx = tensor(ids, { shape: [B, T], dtype: 'int32', backend });
        const attentionMask = tensor(mask, { shape: [B, T], dtype: 'int32', backend });
        const raw = options.normalized ? model.forward(idx, { attentionMask }) : model.forwardRaw(idx, { attentionMask });
        return raw;
      }));
      out.set(await scores.data(), start);
      scores.dispose();
    }
  } finally {
    model.train(wasTraining);
  }
  return out;
}

function checkIds(ids: unknown, where: string, nonEmpty = false): void {
  if (!Array.isArray(ids)) throw new TypeError(`${where} must be an array of token ids, got ${ids === null ? 'null' : typeof ids}`);
  if (nonEmpty && ids.length === 0) throw new RangeError(`${where} must hold at least one token, got an empty array`);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0) throw new RangeError(`${where}[${i}] must be a non-negative integer token id, got ${JSON.stringify(id)}`);
  }
}
