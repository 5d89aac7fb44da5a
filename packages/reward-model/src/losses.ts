// Preference losses of reward-model training, on scalar rewards: the Bradley–Terry pairwise loss
// −log σ(r_chosen − r_rejected) (Christiano et al. 2017; Stiennon et al. 2020 eq. 1), with
// Llama 2's margin (Touvron et al. 2023 §3.2.2) and per-comparison weights so that K-way rankings
// count each prompt as one batch element (Ouyang et al. 2022 §3.5), and the reward-centring
// auxiliary loss (Eisenstein et al. 2023). `rankingComparisons` turns a ranking into its pairs.

import { softplus, type Tensor } from '@attune/tensor';

/**
 * Options of {@link bradleyTerryLoss}.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const options: BradleyTerryOptions = { margins: tensor([1, 0.5]), weights: tensor([1, 1]) };
 * bradleyTerryLoss(tensor([2, 1]), tensor([0, 0]), options);
 * ```
 */
export interface BradleyTerryOptions {
  /** m (M): subtracted from r_c − r_r, Llama 2's preference-strength margin (Touvron et al. 2023, eq. 2). */
  margins?: Tensor | null;
  /** w (M): comparison weights; the loss is Σ w·ℓ / Σ w (default: all 1, a plain mean). */
  weights?: Tensor | null;
}

/**
 * The pairwise (Bradley–Terry) reward-model loss, averaged over comparisons:
 * ℓ = −log σ(r_c − r_r − m) = softplus(−(r_c − r_r − m)), the numerically stable form (no log of a
 * sigmoid that underflows). With weights w the mean is Σ w·ℓ / Σ w, so weights 1/C(K,2) on the
 * pairs of a K-way ranking make each prompt one batch element (InstructGPT §3.5, eq. 1).
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const loss = bradleyTerryLoss(tensor([2, 0]), tensor([0, 0])); // (softplus(−2) + softplus(0)) / 2 ≈ 0.4100
 * ```
 */
export function bradleyTerryLoss(chosenRewards: Tensor, rejectedRewards: Tensor, options: BradleyTerryOptions = {}): Tensor {
  checkPair('bradleyTerryLoss', chosenRewards, rejectedRewards);
  let logits = chosenRewards.sub(rejectedRewards); // (M): r_c − r_r
  if (options.margins) {
    checkSameShape('bradleyTerryLoss', 'margins', options.margins, chosenRewards);
    logits = logits.sub(options.margins); // Llama 2: r_c − r_r − m(r)
  }
  return weightedMean(softplus(logits.neg()), options.weights ?? null, 'bradleyTerryLoss'); // −log σ(x) = softplus(−x)
}

/**
 * The reward-centring auxiliary loss η·(r_c + r_r)², averaged (weighted) over comparisons: it pins
 * the sum of each pair's rewards near 0 without affecting their difference, so rewards stay centred
 * across prompts (Eisenstein et al. 2023, "Helping or Herding?", §3, η = 0.01).
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const rc = tensor([1.5, 0.2]); // rewards of the chosen responses
 * const rr = tensor([0.5, -0.1]); // and of the rejected ones
 * const total = bradleyTerryLoss(rc, rr).add(rewardCenteringLoss(rc, rr, 0.01));
 * ```
 */
export function rewardCenteringLoss(chosenRewards: Tensor, rejectedRewards: Tensor, coefficient: number, weights: Tensor | null = null): Tensor {
  checkPair('rewardCenteringLoss', chosenRewards, rejectedRewards);
  if (!(typeof coefficient === 'number' && Number.isFinite(coefficient) && coefficient >= 0)) {
    throw new RangeError(`rewardCenteringLoss: coefficient must be a finite number ≥ 0, got ${String(coefficient)}`);
  }
  return weightedMean(chosenRewards.add(rejectedRewards).square(), weights, 'rewardCenteringLoss').mul(coefficient);
}

/**
 * Every pairwise comparison implied by a ranking (indices of the responses, best first): the
 * C(K,2) pairs [winner, loser] with the winner ranked above the loser, in ranking order.
 *
 * @example
 * ```ts
 * rankingComparisons([2, 0, 1]); // [[2, 0], [2, 1], [0, 1]]
 * ```
 */
export function rankingComparisons(ranking: readonly number[]): Array<[number, number]> {
  checkRanking(ranking, ranking.length, 'rankingComparisons: ranking');
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < ranking.length; i++) for (let j = i + 1; j < ranking.length; j++) pairs.push([ranking[i], ranking[j]]);
  return pairs;
}

/**
 * Throws unless `ranking` is a permutation of 0…K−1 (K ≥ 2), naming `where` in the message.
 *
 * @example
 * ```ts
 * checkRanking([1, 0, 2], 3, 'data.jsonl:4: ranking'); // ok
 * try {
 *   checkRanking([1, 1, 2], 3, 'data.jsonl:4: ranking');
 * } catch (error) {
 *   console.log((error as Error).message); // data.jsonl:4: ranking must be a permutation of 0..2: 1 appears twice in [1, 1, 2]
 * }
 * ```
 */
export function checkRanking(ranking: readonly number[], numResponses: number, where: string): void {
  if (!Array.isArray(ranking)) throw new TypeError(`${where} must be an array of response indices, got ${typeof ranking}`);
  if (ranking.length !== numResponses) {
    throw new RangeError(`${where} must list all ${numResponses} responses (a permutation of 0..${numResponses - 1}), got ${ranking.length} entries [${ranking.join(', ')}]`);
  }
  if (numResponses < 2) throw new RangeError(`${where} needs at least 2 responses to compare, got ${numResponses}`);
  const seen = new Uint8Array(numResponses);
  for (const index of ranking) {
    if (!Number.isInteger(index) || index < 0 || index >= numResponses) {
      throw new RangeError(`${where} must hold integers in 0..${numResponses - 1}, got ${JSON.stringify(index)} in [${ranking.join(', ')}]`);
    }
    if (seen[index]) throw new RangeError(`${where} must be a permutation of 0..${numResponses - 1}: ${index} appears twice in [${ranking.join(', ')}]`);
    seen[index] = 1;
  }
}

function weightedMean(values: Tensor, weights: Tensor | null, op: string): Tensor {
  if (!weights) return values.mean();
  checkSameShape(op, 'weights', weights, values);
  return values.mul(weights).sum().div(weights.sum());
}

function checkPair(op: string, chosen: Tensor, rejected: Tensor): void {
  if (chosen.ndim !== 1) throw new RangeError(`${op}: chosenRewards must be (M), got [${chosen.shape.join(', ')}]`);
  checkSameShape(op, 'rejectedRewards', rejected, chosen);
}

function checkSameShape(op: string, name: string, t: Tensor, reference: Tensor): void {
  if (t.ndim !== reference.ndim || t.shape.some((d, i) => d !== reference.shape[i])) {
    throw new RangeError(`${op}: ${name} must have shape [${reference.shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
}
