// A word-level tokenizer built from the Brown corpus: lowercased words and punctuation marks, the
// most frequent types kept, everything else <unk>. Words rather than bytes or BPE pieces, because in
// this recipe a sentiment word is then one token, i.e. one PPO action with one log-prob (the credit
// assignment is as short as it gets), and every sample is made of real words the AFINN-165 labeller
// can score. It implements @attune/transformer's `Tokenizer`, so `generate` and `savePretrained`
// take it as they take GPT-2's BPE.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tokenizer } from '@attune/transformer';

/** The file a `WordTokenizer` is saved as in a checkpoint directory (`loadWordTokenizer` reads it). */
export const WORD_TOKENIZER_FILE = 'word_tokenizer.json';

/** Special tokens, at ids 0, 1, 2. */
export const PAD = '<pad>';
export const UNK = '<unk>';
export const EOS = '<eos>';

/**
 * Splits text into lowercased word and punctuation tokens: a word is letters/digits with inner
 * apostrophes, hyphens or periods (`don't`, `well-known`, `u.s.`); every other non-space character
 * is a token of its own; `<unk>`, `<eos>` and `<pad>` stay whole, so decoded text encodes back to
 * the same ids. Brown's `` and '' quotes become `"`.
 *
 * @example
 * ```ts
 * splitWords("He didn't say, \"Well-known.\""); // ['he', "didn't", 'say', ',', '"', 'well-known', '.', '"']
 * ```
 */
export function splitWords(text: string): string[] {
  return text.toLowerCase().replace(/``|''/g, '"').match(/<(?:pad|unk|eos)>|[a-z0-9]+(?:['.\-][a-z0-9]+)*|\S/g) ?? [];
}

/**
 * Joins word tokens back into text: spaces between words, none before closing punctuation.
 *
 * @example
 * ```ts
 * joinWords(['he', 'said', ',', 'yes', '.']); // 'he said, yes.'
 * ```
 */
export function joinWords(words: readonly string[]): string {
  return words.join(' ').replace(/ ([.,;:!?)])/g, '$1').replace(/\( /g, '(');
}

/**
 * Word-level tokenizer: id 0 `<pad>`, 1 `<unk>`, 2 `<eos>`, then the vocabulary words.
 *
 * @example
 * ```ts
 * const tokenizer = WordTokenizer.fromTexts(sentences, 4000);
 * tokenizer.decode(tokenizer.encode('The jury said.')); // 'the jury said.'
 * ```
 */
export class WordTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly eosTokenId = 2;
  readonly padTokenId = 0;
  readonly unkTokenId = 1;
  private readonly ids: Map<string, number>;

  /**
   * From a word list (ids 3, 4, … in order); the special tokens are added in front.
   *
   * @example
   * ```ts
   * new WordTokenizer(['the', 'jury']).encode('the jury'); // [3, 4]
   * ```
   */
  constructor(readonly words: readonly string[]) {
    this.ids = new Map();
    for (const [i, word] of [PAD, UNK, EOS, ...words].entries()) {
      if (this.ids.has(word)) throw new RangeError(`WordTokenizer: words has ${JSON.stringify(word)} twice (or a special token), at index ${i - 3}`);
      this.ids.set(word, i);
    }
    this.vocabSize = words.length + 3;
  }

  /**
   * The `size` most frequent tokens of `texts` (ties broken alphabetically, so it is deterministic).
   *
   * @example
   * ```ts
   * WordTokenizer.fromTexts(['a b b'], 1).words; // ['b']
   * ```
   */
  static fromTexts(texts: Iterable<string>, size: number): WordTokenizer {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`WordTokenizer.fromTexts: size must be a positive integer, got ${size}`);
    const counts = new Map<string, number>();
    for (const text of texts) for (const word of splitWords(text)) counts.set(word, (counts.get(word) ?? 0) + 1);
    const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return new WordTokenizer(ranked.slice(0, size).map(([word]) => word));
  }

  /**
   * Token ids of `text`; words outside the vocabulary are `<unk>`.
   *
   * @example
   * ```ts
   * tokenizer.encode('the zyzzyva'); // [3, 1]
   * ```
   */
  encode(text: string): number[] {
    return splitWords(text).map((word) => this.ids.get(word) ?? this.unkTokenId);
  }

  /**
   * The words of `ids` joined as text; `skipSpecialTokens` drops `<pad>` and `<eos>` (not `<unk>`).
   *
   * @example
   * ```ts
   * tokenizer.decode([3, 4, 2], { skipSpecialTokens: true }); // 'the jury'
   * ```
   */
  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    return joinWords(this.tokens(ids, options));
  }

  /**
   * The word strings of `ids` (the labeller scores these).
   *
   * @example
   * ```ts
   * tokenizer.tokens([3, 4]); // ['the', 'jury']
   * ```
   */
  tokens(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string[] {
    const out: string[] = [];
    for (const [i, id] of ids.entries()) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new RangeError(`WordTokenizer.decode: ids[${i}] is ${id}, outside the vocabulary [0, ${this.vocabSize})`);
      if (options.skipSpecialTokens && (id === this.padTokenId || id === this.eosTokenId)) continue;
      out.push(id < 3 ? [PAD, UNK, EOS][id] : this.words[id - 3]);
    }
    return out;
  }

  /**
   * `word_tokenizer.json` for a checkpoint directory.
   *
   * @example
   * ```ts
   * await savePretrained(model, dir, { tokenizer }); // writes word_tokenizer.json too
   * ```
   */
  files(): Record<string, string> {
    return { [WORD_TOKENIZER_FILE]: JSON.stringify({ type: 'word', words: this.words }) + '\n' };
  }
}

/**
 * Reads the `word_tokenizer.json` of a checkpoint directory.
 *
 * @example
 * ```ts
 * const tokenizer = await loadWordTokenizer('runs/rlhf-sentiment/pretrain/final');
 * ```
 */
export async function loadWordTokenizer(directory: string): Promise<WordTokenizer> {
  const path = join(directory, WORD_TOKENIZER_FILE);
  const spec = JSON.parse(await readFile(path, 'utf8')) as { type?: unknown; words?: unknown };
  if (spec.type !== 'word' || !Array.isArray(spec.words) || !spec.words.every((w) => typeof w === 'string')) {
    throw new TypeError(`loadWordTokenizer: ${path} must hold {"type": "word", "words": string[]}, got type ${JSON.stringify(spec.type)}`);
  }
  return new WordTokenizer(spec.words as string[]);
}
