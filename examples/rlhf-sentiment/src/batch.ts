// Batches of prompt + response token ids laid out as `generate()` lays them out: prompts left-padded
// to P, then N response tokens right-padded, with the attention and response masks. SFT, DPO,
// rejection sampling and the evaluation all score responses through this one layout and
// `responseLogProbs`, so a response's log-prob means the same thing in every stage.

import { generate, type GPT } from '@attune/transformer';
import { tensor, type Generator, type Tensor } from '@attune/tensor';

/** Host arrays of a (B, P + N) prompt + response batch. */
export interface ResponseBatch {
  /** (B, P + N) int32 ids. */
  sequences: Int32Array;
  /** (B, P + N) 1 for real tokens. */
  attentionMask: Float32Array;
  /** (B, N) 1 for response tokens. */
  responseMask: Float32Array;
  B: number;
  P: number;
  N: number;
}

/**
 * Lays out `prompts[b]` + `responses[b]`; N is the longest response unless `N` is given.
 *
 * @example
 * ```ts
 * const batch = layoutBatch([[5, 6], [7]], [[8, 2], [9, 10, 2]], 0);
 * batch.P; // 2
 * batch.N; // 3
 * ```
 */
export function layoutBatch(prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[], padTokenId: number, N?: number): ResponseBatch {
  if (prompts.length !== responses.length || prompts.length === 0) throw new RangeError(`layoutBatch: need as many prompts as responses (≥ 1), got ${prompts.length} and ${responses.length}`);
  const B = prompts.length;
  const P = Math.max(...prompts.map((p) => p.length));
  const width = N ?? Math.max(...responses.map((r) => r.length));
  const L = P + width;
  const sequences = new Int32Array(B * L).fill(padTokenId);
  const attentionMask = new Float32Array(B * L);
  const responseMask = new Float32Array(B * width);
  for (let b = 0; b < B; b++) {
    const prompt = prompts[b];
    const response = responses[b];
    if (prompt.length === 0) throw new RangeError(`layoutBatch: prompts[${b}] is empty`);
    if (response.length > width) throw new RangeError(`layoutBatch: responses[${b}] has ${response.length} tokens, more than N = ${width}`);
    sequences.set(prompt, b * L + P - prompt.length);
    attentionMask.fill(1, b * L + P - prompt.length, b * L + P);
    sequences.set(response, b * L + P);
    attentionMask.fill(1, b * L + P, b * L + P + response.length);
    responseMask.fill(1, b * width, b * width + response.length);
  }
  return { sequences, attentionMask, responseMask, B, P, N: width };
}

/**
 * The batch as tensors (inside a `tidy`, they are freed with it).
 *
 * @example
 * ```ts
 * const { sequences, attentionMask, responseMask } = batchTensors(layoutBatch(prompts, responses, 0));
 * ```
 */
export function batchTensors(batch: ResponseBatch): { sequences: Tensor; attentionMask: Tensor; responseMask: Tensor } {
  const { B, P, N } = batch;
  return {
    sequences: tensor(batch.sequences, { shape: [B, P + N], dtype: 'int32' }),
    attentionMask: tensor(batch.attentionMask, { shape: [B, P + N] }),
    responseMask: tensor(batch.responseMask, { shape: [B, N] }),
  };
}

/** Options of `sampleResponses`. */
export interface SampleOptions {
  maxNewTokens: number;
  temperature: number;
  eosTokenId: number;
  padTokenId: number;
  generator: Generator;
  /** Rows per `generate` call. */
  batchSize: number;
}

/**
 * One sampled response (token ids up to and including EOS) per prompt, `batchSize` prompts per
 * `generate` call.
 *
 * @example
 * ```ts
 * const responses = await sampleResponses(policy, prompts, { maxNewTokens: 12, temperature: 1, eosTokenId: 2, padTokenId: 0, generator, batchSize: 128 });
 * ```
 */
export async function sampleResponses(model: GPT, prompts: readonly (readonly number[])[], options: SampleOptions): Promise<number[][]> {
  const out: number[][] = [];
  for (let start = 0; start < prompts.length; start += options.batchSize) {
    const result = await generate(model, prompts.slice(start, start + options.batchSize), {
      maxNewTokens: options.maxNewTokens,
      temperature: options.temperature,
      eosTokenId: options.eosTokenId,
      padTokenId: options.padTokenId,
      generator: options.generator,
    });
    for (const t of [result.sequences, result.attentionMask, result.responses, result.responseMask, result.logProbs]) t.dispose();
    out.push(...result.tokens);
  }
  return out;
}
