// Log-probabilities of response tokens under a language model: the quantity PPO's ratio, the KL
// penalty, DPO's implicit reward and rejection sampling's bookkeeping are all built from.

import { div, gather, logSoftmax, mul, narrow, neg, reshape, softmax, sum, type Tensor } from '@attune/tensor';
import { positionIdsFromMask, type GPT } from '@attune/transformer';

/**
 * Options of `responseLogProbs`.
 *
 * @example
 * ```ts
 * import { GPT, generate, gptConfig } from '@attune/transformer';
 * const policy = new GPT(gptConfig('test'));
 * const out = await generate(policy, [[1, 2, 3]], { maxNewTokens: 4, temperature: 0.7 });
 * const options: ResponseLogProbsOptions = { temperature: 0.7 }; // the sampling temperature
 * responseLogProbs(policy, out.sequences, out.attentionMask, out.promptLength, options);
 * ```
 */
export interface ResponseLogProbsOptions {
  /**
   * Divide the logits by this before the softmax (default 1). Use the sampling temperature, so the
   * ratio π/π_old compares the distributions the responses were drawn from (TRL does the same).
   */
  temperature?: number;
}

/**
 * What `responseLogProbs` returns; both tensors carry gradients when the model's parameters do.
 *
 * @example
 * ```ts
 * import { GPT, generate, gptConfig } from '@attune/transformer';
 * const policy = new GPT(gptConfig('test'));
 * const out = await generate(policy, [[1, 2, 3]], { maxNewTokens: 4 });
 * const { logProbs, logits }: ResponseLogProbs = responseLogProbs(policy, out.sequences, out.attentionMask, out.promptLength);
 * logProbs.shape; // [1, 4]
 * ```
 */
export interface ResponseLogProbs {
  /** (B, N): log π(response token i | prompt, tokens before i). Masked positions hold whatever the padding token scores. */
  logProbs: Tensor;
  /** (B, N, V): the (temperature-scaled) logits that predicted the N response tokens. */
  logits: Tensor;
}

/**
 * Per-token log-probabilities of the response part of `sequences` (B, P + N), laid out as
 * `generate()` returns them: prompts left-padded to `promptLength` P, then N response tokens. One
 * forward pass over the whole sequence; the hidden state at position P − 1 + i predicts response
 * token i, so only those N positions go through the LM head.
 *
 * @example
 * ```ts
 * import { GPT, generate, gptConfig } from '@attune/transformer';
 * const policy = new GPT(gptConfig('test'));
 * const prompts = [[1, 2, 3]];
 * const eosTokenId = 0;
 * const out = await generate(policy, prompts, { maxNewTokens: 8, eosTokenId });
 * const { logProbs, logits } = responseLogProbs(policy, out.sequences, out.attentionMask, out.promptLength);
 * // logProbs ≈ out.logProbs where out.responseMask is 1
 * ```
 */
export function responseLogProbs(model: GPT, sequences: Tensor, attentionMask: Tensor, promptLength: number, options: ResponseLogProbsOptions = {}): ResponseLogProbs {
  const { temperature = 1 } = options;
  if (sequences.ndim !== 2 || sequences.dtype !== 'int32') {
    throw new RangeError(`responseLogProbs: sequences must be (B, P + N) int32, got [${sequences.shape.join(', ')}] ${sequences.dtype}`);
  }
  const [B, L] = sequences.shape;
  if (attentionMask.ndim !== 2 || attentionMask.shape[0] !== B || attentionMask.shape[1] !== L) {
    throw new RangeError(`responseLogProbs: attentionMask must be (B, P + N) = (${B}, ${L}), got [${attentionMask.shape.join(', ')}]`);
  }
  if (!Number.isInteger(promptLength) || promptLength < 1 || promptLength >= L) {
    throw new RangeError(`responseLogProbs: promptLength must be an integer in [1, ${L - 1}] (at least one prompt and one response token), got ${promptLength}`);
  }
  if (!(temperature > 0)) throw new RangeError(`responseLogProbs: temperature must be > 0, got ${temperature}`);
  const N = L - promptLength;
  const hidden = model.forwardHidden(sequences, { attentionMask, positionIds: positionIdsFromMask(attentionMask) }); // (B, L, C)
  let logits = model.logits(narrow(hidden, 1, promptLength - 1, N)); // (B, N, V)
  if (temperature !== 1) logits = div(logits, temperature);
  const targets = reshape(narrow(sequences, 1, promptLength, N), [B, N, 1]);
  const logProbs = reshape(gather(logSoftmax(logits, -1), 2, targets), [B, N]);
  return { logProbs, logits };
}

/**
 * Entropy H = −Σ p·log p of softmax(logits) along the last axis: (…, V) → (…). PPO reports it per
 * response token and may add it as a bonus.
 *
 * @example
 * ```ts
 * import { GPT, generate, gptConfig } from '@attune/transformer';
 * const policy = new GPT(gptConfig('test'));
 * const out = await generate(policy, [[1, 2, 3]], { maxNewTokens: 4 });
 * const { logits } = responseLogProbs(policy, out.sequences, out.attentionMask, out.promptLength);
 * const entropy = entropyFromLogits(logits); // (B, N)
 * ```
 */
export function entropyFromLogits(logits: Tensor): Tensor {
  return neg(sum(mul(softmax(logits, -1), logSoftmax(logits, -1)), -1));
}
