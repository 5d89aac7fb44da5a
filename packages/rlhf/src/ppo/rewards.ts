/**
 * The bandit episode's rewards and advantages, on the host over (B, N) row-major arrays (B
 * sequences, N response tokens): per-token reward −β·KL(π ‖ π_ref) with the score added on the last
 * real response token (Ziegler et al. 2019 §2.2 eq. 1; Stiennon et al. 2020 §3.4 eq. 2; TRL's
 * `compute_rewards`), the score's clipping and missing-EOS penalty, reward whitening, and GAE with
 * γ = 1, λ = 0.95 over the response tokens (TRL's `compute_advantages`). These run once per rollout
 * on B·N numbers, so one readback of the KL and the values feeds them all.
 */
import { computeGae } from '@attune/ppo';

/**
 * What {@link computeTokenRewards} returns, (B · N) row-major, 0 beyond each response.
 *
 * @example
 * ```ts
 * const N = 2;
 * const kl = [0.1, 0.2, 0.05, 0]; // (B · N), B = 2
 * const scores = [1, -1];
 * const lengths = [2, 1];
 * const { rewards, nonScoreRewards }: TokenRewards = computeTokenRewards({ kl, scores, lengths, numTokens: N, klCoef: 0.2 });
 * ```
 */
export interface TokenRewards {
  /** r_t = −β · KL_t, plus the score on the last real token. */
  rewards: Float32Array;
  /** −β · KL_t alone (TRL's `non_score_reward`). */
  nonScoreRewards: Float32Array;
}

function checkLength(fn: string, name: string, array: ArrayLike<unknown>, length: number): void {
  if (array.length !== length) throw new RangeError(`${fn}: ${name} must have length ${length}, got ${array.length}`);
}

function checkLengths(fn: string, lengths: ArrayLike<number>, numTokens: number): void {
  if (!Number.isInteger(numTokens) || numTokens < 1) throw new RangeError(`${fn}: numTokens must be a positive integer, got ${numTokens}`);
  for (let b = 0; b < lengths.length; b++) {
    const n = lengths[b];
    if (!Number.isInteger(n) || n < 1 || n > numTokens) throw new RangeError(`${fn}: lengths[${b}] must be an integer in [1, ${numTokens}], got ${n}`);
  }
}

/**
 * Per-token rewards of a batch of responses (Ziegler et al. 2019 §2.2 eq. 1):
 *
 *   r_t = −β · KL_t                      for t < length − 1,
 *   r_t = −β · KL_t + score              for t = length − 1 (the last real token, EOS when present),
 *   r_t = 0                              beyond the response,
 *
 * where KL_t is the per-token estimate of KL(π ‖ π_ref) (k1: log π − log π_ref).
 *
 * @example
 * ```ts
 * const { rewards } = computeTokenRewards({ kl: [0.1, 0.2, 0.3, 0], scores: [1], lengths: [3], numTokens: 4, klCoef: 0.5 });
 * // rewards = [-0.05, -0.1, 0.85, 0]
 * ```
 */
export function computeTokenRewards(args: {
  /** (B · N) per-token KL estimates; entries beyond a response are ignored. */
  kl: ArrayLike<number>;
  /** (B) the score of each response. */
  scores: ArrayLike<number>;
  /** (B) real response tokens per row, EOS included (1 … N). */
  lengths: ArrayLike<number>;
  /** N, the response width. */
  numTokens: number;
  /** β ≥ 0. */
  klCoef: number;
}): TokenRewards {
  const { kl, scores, lengths, numTokens: N, klCoef } = args;
  const B = scores.length;
  checkLength('computeTokenRewards', 'lengths', lengths, B);
  checkLengths('computeTokenRewards', lengths, N);
  checkLength('computeTokenRewards', 'kl', kl, B * N);
  if (!(Number.isFinite(klCoef) && klCoef >= 0)) throw new RangeError(`computeTokenRewards: klCoef must be a finite number ≥ 0, got ${klCoef}`);
  const rewards = new Float32Array(B * N);
  const nonScoreRewards = new Float32Array(B * N);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < lengths[b]; t++) {
      const i = b * N + t;
      nonScoreRewards[i] = -klCoef * kl[i];
      rewards[i] = nonScoreRewards[i];
    }
    rewards[b * N + lengths[b] - 1] += scores[b];
  }
  return { rewards, nonScoreRewards };
}

/**
 * The score the reward adds, after the optional clip into [−scoreClip, scoreClip] (TRL
 * `score_clip`) and the missing-EOS penalty: a response that ends without EOS gets
 * `missingEosPenalty` as its score ('replace', Huang et al. 2024 "EOS trick") or added to it ('add').
 *
 * @example
 * ```ts
 * shapeScores([2, 0.5], [true, false], { scoreClip: 1, missingEosPenalty: -1, missingEosMode: 'replace' }); // [1, -1]
 * ```
 */
export function shapeScores(
  scores: ArrayLike<number>,
  endedWithEos: readonly boolean[],
  options: { scoreClip: number | null; missingEosPenalty: number | null; missingEosMode: 'replace' | 'add' },
): Float32Array {
  checkLength('shapeScores', 'endedWithEos', endedWithEos, scores.length);
  const { scoreClip, missingEosPenalty, missingEosMode } = options;
  const out = Float32Array.from(scores);
  for (let b = 0; b < out.length; b++) {
    if (scoreClip !== null) out[b] = Math.min(Math.max(out[b], -scoreClip), scoreClip);
    if (missingEosPenalty !== null && !endedWithEos[b]) out[b] = missingEosMode === 'replace' ? missingEosPenalty : out[b] + missingEosPenalty;
  }
  return out;
}

/**
 * Whitening over the valid tokens (mask 1), TRL's `masked_whiten`: (x − mean) / √(var + 1e-8) with
 * the unbiased variance, adding the mean back when `shiftMean` is false (TRL's `whiten_rewards`
 * scales rewards without moving them). Masked entries come out 0.
 *
 * @example
 * ```ts
 * const rewards = [1, 2, 3, 0];
 * const mask = [1, 1, 1, 0]; // the last token is padding
 * maskedWhiten(rewards, mask, false); // same mean, unit std over the valid tokens
 * ```
 */
export function maskedWhiten(values: ArrayLike<number>, mask: ArrayLike<number>, shiftMean = true): Float32Array {
  checkLength('maskedWhiten', 'mask', mask, values.length);
  let count = 0;
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    if (mask[i]) {
      count++;
      total += values[i];
    }
  }
  if (count < 2) throw new RangeError(`maskedWhiten: needs at least 2 valid entries for an unbiased variance, got ${count}`);
  const mean = total / count;
  let squares = 0;
  for (let i = 0; i < values.length; i++) if (mask[i]) squares += (values[i] - mean) ** 2;
  const scale = 1 / Math.sqrt(squares / (count - 1) + 1e-8); // Bessel's correction, as torch.var
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) if (mask[i]) out[i] = (values[i] - mean) * scale + (shiftMean ? 0 : mean);
  return out;
}

/**
 * GAE over each response (Schulman et al. 2016 eq. 16), the episode ending at the last real token
 * (the bandit env: nothing to bootstrap after it, also when the response was cut at N without EOS):
 *
 *   δ_t = r_t + γ · V_{t+1} − V_t   (V_{t+1} = 0 at the last real token),   Â_t = δ_t + γλ · Â_{t+1},
 *
 * returns R_t = Â_t + V_t. It is `computeGae` of @attune/policy-gradient with the (B, N) batch laid
 * time-major (N steps × B envs) and a termination at each row's last token. Entries beyond a
 * response are 0.
 *
 * @example
 * ```ts
 * const N = 3; // response width
 * const rewards = [0, 0, 1, 0, 0.5, 0]; // (B · N), B = 2
 * const values = [0.2, 0.3, 0.4, 0.1, 0.1, 0];
 * const lengths = [3, 2];
 * const { advantages, returns } = responseAdvantages({ rewards, values, lengths, numTokens: N, gamma: 1, lam: 0.95 });
 * ```
 */
export function responseAdvantages(args: {
  /** (B · N) per-token rewards, row-major. */
  rewards: ArrayLike<number>;
  /** (B · N) V_t, the value of the state before response token t. */
  values: ArrayLike<number>;
  /** (B) real response tokens per row. */
  lengths: ArrayLike<number>;
  /** N. */
  numTokens: number;
  /** γ (1 in RLHF). */
  gamma: number;
  /** λ (0.95 in RLHF). */
  lam: number;
}): { advantages: Float32Array; returns: Float32Array } {
  const { rewards, values, lengths, numTokens: N, gamma, lam } = args;
  const B = lengths.length;
  checkLengths('responseAdvantages', lengths, N);
  checkLength('responseAdvantages', 'rewards', rewards, B * N);
  checkLength('responseAdvantages', 'values', values, B * N);
  // Time-major (N, B) copies; zero beyond each response so padding steps contribute nothing.
  const timeRewards = new Float32Array(N * B);
  const timeValues = new Float32Array(N * B);
  const terminations = new Uint8Array(N * B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < lengths[b]; t++) {
      timeRewards[t * B + b] = rewards[b * N + t];
      timeValues[t * B + b] = values[b * N + t];
    }
    terminations[(lengths[b] - 1) * B + b] = 1;
  }
  const gae = computeGae(
    { numSteps: N, numEnvs: B, rewards: timeRewards, values: timeValues, terminations, truncations: new Uint8Array(N * B) },
    { gamma, lambda: lam },
  );
  const advantages = new Float32Array(B * N);
  const returns = new Float32Array(B * N);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < lengths[b]; t++) {
      advantages[b * N + t] = gae.advantages[t * B + b];
      returns[b * N + t] = gae.returns[t * B + b];
    }
  }
  return { advantages, returns };
}
