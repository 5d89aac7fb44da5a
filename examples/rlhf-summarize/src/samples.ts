// Summaries from a policy, in batches: the samples the reward is normalised on, and the
// before/after summaries of the report.

import type { Generator } from '@attune/tensor';
import { generate, type GPT } from '@attune/transformer';

/**
 * Options of {@link sampleSummaries}.
 *
 * @example
 * ```ts
 * const options: SampleOptions = { maxNewTokens: 48, eosTokenId: 50256, generator: new Generator(1) };
 * ```
 */
export interface SampleOptions {
  maxNewTokens: number;
  eosTokenId: number;
  /** Draws of the sampling (unused when greedy). */
  generator: Generator;
  /** Sample (default) or take the most likely token (greedy). */
  doSample?: boolean;
  temperature?: number;
  /** Prompts per `generate` call (default 16). */
  batchSize?: number;
}

/**
 * One summary per prompt (token ids up to and including EOS), generated in batches.
 *
 * @example
 * ```ts
 * const summaries = await sampleSummaries(sft, prompts, { maxNewTokens: 48, eosTokenId: eos, generator });
 * ```
 */
export async function sampleSummaries(model: GPT, prompts: readonly (readonly number[])[], options: SampleOptions): Promise<number[][]> {
  const batchSize = options.batchSize ?? 16;
  const out: number[][] = [];
  for (let start = 0; start < prompts.length; start += batchSize) {
    const batch = prompts.slice(start, start + batchSize);
    const generated = await generate(model, batch, {
      maxNewTokens: options.maxNewTokens,
      doSample: options.doSample ?? true,
      temperature: options.temperature ?? 1,
      eosTokenId: options.eosTokenId,
      generator: options.generator,
    });
    for (const t of [generated.sequences, generated.attentionMask, generated.responses, generated.responseMask, generated.logProbs]) t.dispose();
    out.push(...generated.tokens);
  }
  return out;
}
