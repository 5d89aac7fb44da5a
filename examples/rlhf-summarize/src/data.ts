// The recipe's data: which of the two layouts each JSONL file uses (Stiennon et al.'s TL;DR rows or
// the generic `{prompt, …}` rows, read off the first line), loading through @attune/rlhf and
// @attune/reward-model (whose errors name `file:line`), a seeded held-out split, and fitting
// token sequences into the model's context.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Generator } from '@attune/tensor';
import type { Tokenizer } from '@attune/transformer';
import { loadPreferences, type PreferencePair, type PreferenceRecord } from '@attune/reward-model';
import { loadPrompts, loadSFTExamples, type SFTExample } from '@attune/rlhf';

/**
 * The first non-blank line of a JSONL file, parsed; null when the file is empty or the line is
 * not a JSON object (the loader then reports the bad line with its number).
 *
 * @example
 * ```ts
 * await firstRecord('tldr.jsonl'); // { subreddit: 'cats', title: '…', post: '…', summary: '…' }
 * ```
 */
export async function firstRecord(path: string): Promise<Record<string, unknown> | null> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line: string | undefined;
  try {
    for await (const text of lines) {
      if (text.trim() === '') continue;
      line = text; // one line only: a multi-gigabyte file is not read further
      break;
    }
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  } finally {
    lines.close();
    input.destroy();
  }
  if (line === undefined) return null;
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * `'tldr'` for Stiennon et al.'s `{subreddit, title, post, summary}` rows, else `'sft'` (`{prompt, completion}`).
 *
 * @example
 * ```ts
 * const examples = await loadSFTExamples(path, tokenizer, { format: await sftFormat(path) });
 * ```
 */
export async function sftFormat(path: string): Promise<'tldr' | 'sft'> {
  const record = await firstRecord(path);
  return record !== null && ('post' in record || 'subreddit' in record) && !('prompt' in record) ? 'tldr' : 'sft';
}

/**
 * `'tldr'` for Stiennon et al.'s comparisons `{info, summaries, choice}`, else `'preference'` (`{prompt, chosen, rejected}`).
 *
 * @example
 * ```ts
 * const pairs = await loadPreferences(path, tokenizer, { format: await comparisonFormat(path) });
 * ```
 */
export async function comparisonFormat(path: string): Promise<'tldr' | 'preference'> {
  const record = await firstRecord(path);
  return record !== null && ('info' in record || 'summaries' in record) ? 'tldr' : 'preference';
}

/**
 * `'tldr'` for posts `{subreddit, title, post}`, else `'prompt'` (`{prompt}`; an SFT file's
 * `{prompt, completion}` rows read as prompts too).
 *
 * @example
 * ```ts
 * const prompts = await loadPrompts(path, tokenizer, { format: await promptFormat(path) });
 * ```
 */
export async function promptFormat(path: string): Promise<'tldr' | 'prompt'> {
  return (await sftFormat(path)) === 'tldr' ? 'tldr' : 'prompt';
}

/**
 * The SFT file as token ids (completion ending in EOS), in either layout; the first `limit` records.
 *
 * @example
 * ```ts
 * const examples = await readSFTFile('tldr.jsonl', tokenizer);
 * ```
 */
export async function readSFTFile(path: string, tokenizer: Tokenizer, limit = Infinity): Promise<SFTExample[]> {
  return loadSFTExamples(path, tokenizer, { format: await sftFormat(path), limit });
}

/**
 * The comparisons file as token-id pairs (each summary ending in EOS, where the policy's reward is
 * read too), in either layout.
 *
 * @example
 * ```ts
 * const pairs = await readComparisonFile('comparisons.jsonl', tokenizer);
 * ```
 */
export async function readComparisonFile(path: string, tokenizer: Tokenizer): Promise<PreferenceRecord[]> {
  return loadPreferences(path, tokenizer, { format: await comparisonFormat(path), appendEos: true });
}

/**
 * The RL prompts: a prompt file in either layout, or an SFT file's prompts.
 *
 * @example
 * ```ts
 * const prompts = await readPromptFile('tldr.jsonl', tokenizer);
 * ```
 */
export async function readPromptFile(path: string, tokenizer: Tokenizer): Promise<number[][]> {
  return loadPrompts(path, tokenizer, { format: await promptFormat(path) });
}

/**
 * A seeded split: `heldOut` gets ⌊fraction·n⌋ items (at least one when fraction > 0 and n ≥ 2),
 * drawn by a Fisher–Yates shuffle from `Generator(seed)`; `train` keeps the rest in file order.
 *
 * @example
 * ```ts
 * const { train, heldOut } = splitHeldOut(pairs, 0.1, '1:comparisons');
 * ```
 */
export function splitHeldOut<T>(items: readonly T[], fraction: number, seed: string): { train: T[]; heldOut: T[] } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`splitHeldOut: fraction must be in [0, 1), got ${fraction}`);
  const n = items.length;
  const count = fraction === 0 || n < 2 ? 0 : Math.max(1, Math.floor(fraction * n));
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const generator = new Generator(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = generator.randint(0, i + 1);
    const swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
  const held = new Uint8Array(n);
  for (let k = 0; k < count; k++) held[order[k]] = 1;
  return { train: items.filter((_, i) => !held[i]), heldOut: items.filter((_, i) => held[i] === 1) };
}

/**
 * `prompt` cut from the left to at most `maxLength` tokens, so the `TL;DR:` cue stays next to the
 * summary (OpenAI's preprocessing instead cuts the post at a newline; Huang et al. 2024 §3).
 *
 * @example
 * ```ts
 * fitPrompt([1, 2, 3, 4], 2); // [3, 4]
 * ```
 */
export function fitPrompt(prompt: readonly number[], maxLength: number): number[] {
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError(`fitPrompt: maxLength must be a positive integer, got ${maxLength}`);
  return prompt.length <= maxLength ? prompt.slice() : prompt.slice(prompt.length - maxLength);
}

/**
 * A pairwise record whose prompt is cut from the left so prompt + the longer response fit in
 * `maxLength` tokens; null when a response alone leaves no room for a prompt token.
 *
 * @example
 * ```ts
 * fitPreference({ prompt: [1, 2, 3], chosen: [4], rejected: [5, 6] }, 4); // { prompt: [2, 3], chosen: [4], rejected: [5, 6] }
 * ```
 */
export function fitPreference(record: PreferenceRecord, maxLength: number): PreferenceRecord | null {
  const responses = 'responses' in record ? record.responses : [record.chosen, record.rejected];
  const longest = Math.max(...responses.map((r) => r.length));
  if (longest >= maxLength) return null;
  const prompt = fitPrompt(record.prompt, maxLength - longest);
  return prompt.length === record.prompt.length ? record : { ...(record as PreferencePair), prompt };
}

/**
 * The RL prompts (the `prompts` file, else the SFT file's prompts), each cut from the left to
 * `maxLength` tokens so prompt + summary fit the context.
 *
 * @example
 * ```ts
 * const prompts = await loadRLPrompts(options, tokenizer, model.config.blockSize - options.maxNewTokens);
 * ```
 */
export async function loadRLPrompts(options: { prompts: string | null; sft: string }, tokenizer: Tokenizer, maxLength: number): Promise<number[][]> {
  const path = options.prompts ?? options.sft;
  const prompts = await readPromptFile(path, tokenizer);
  if (prompts.length === 0) throw new RangeError(`${path}: no prompts (the file has no records)`);
  return prompts.map((prompt) => fitPrompt(prompt, maxLength));
}
