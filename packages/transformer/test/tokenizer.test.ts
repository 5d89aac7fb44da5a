// Tokenizers: GPT-2's byte-level BPE against an independent reference implementation of the
// algorithm on a toy vocabulary, loading from vocab.json + merges.txt and tokenizer.json alike,
// round trips, and the byte and character tokenizers.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ByteTokenizer, CharTokenizer, GPT2Tokenizer, loadTokenizer } from '../src/index.js';

/** GPT-2's reversible byte → printable character table (Radford et al.'s encoder.py `bytes_to_unicode`). */
function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  return table;
}

const BYTE_CHARS = bytesToUnicode();
const PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

const MERGES: [string, string][] = [
  ['Ġ', 't'], ['h', 'e'], ['Ġt', 'he'], ['i', 'n'], ['Ġ', 'a'], ['e', 'r'], ['o', 'n'], ['Ġ', 's'], ['r', 'e'], ['Ġa', 'n'],
  ['Ġan', 'd'], ['in', 'g'], ['Ġ', 'w'], ['o', 'r'], ['Ġw', 'or'], ['Ġwor', 'l'], ['Ġworl', 'd'], ['H', 'e'], ['l', 'l'], ['He', 'll'],
  ['Hell', 'o'], ['Ã', '©'], ['Ġ', 'Ã©'], ['Ġ', '1'], ['2', '3'],
];

function toyVocab(): Record<string, number> {
  const vocab: Record<string, number> = {};
  BYTE_CHARS.forEach((c, i) => (vocab[c] = i));
  MERGES.forEach(([a, b], i) => (vocab[a + b] = 256 + i));
  vocab['<|endoftext|>'] = 256 + MERGES.length;
  return vocab;
}

/** BPE from the definition: repeatedly merge the adjacent pair of lowest rank. */
function referenceEncode(text: string, vocab: Record<string, number>): number[] {
  const ranks = new Map(MERGES.map(([a, b], i) => [`${a} ${b}`, i]));
  const ids: number[] = [];
  for (const piece of text.match(PATTERN) ?? []) {
    let parts = Array.from(new TextEncoder().encode(piece), (b) => BYTE_CHARS[b]);
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const rank = ranks.get(`${parts[i]} ${parts[i + 1]}`);
        if (rank !== undefined && rank < bestRank) [best, bestRank] = [i, rank];
      }
      if (best < 0) break;
      parts = [...parts.slice(0, best), parts[best] + parts[best + 1], ...parts.slice(best + 2)];
    }
    ids.push(...parts.map((p) => vocab[p]));
  }
  return ids;
}

const TEXTS = [
  'Hello world',
  'the cat and the hat are singing in the rain',
  "It's 123 o'clock, isn't it?  Yes -- café, naïve résumé.",
  '  leading and trailing spaces \n\n new lines\ttabs ',
  'emoji 🙂 and 漢字 and Ελληνικά',
];

describe('GPT2Tokenizer', () => {
  const vocab = toyVocab();
  const mergesTxt = '#version: 0.2\n' + MERGES.map(([a, b]) => `${a} ${b}`).join('\n') + '\n';

  it('encodes as the BPE definition does, from vocab.json + merges.txt', () => {
    const tokenizer = GPT2Tokenizer.fromVocabAndMerges(JSON.stringify(vocab), mergesTxt);
    expect(tokenizer.vocabSize).toBe(256 + MERGES.length + 1);
    expect(tokenizer.eosTokenId).toBe(256 + MERGES.length);
    expect(tokenizer.padTokenId).toBe(tokenizer.eosTokenId);
    expect(tokenizer.tokenize('Hello world')).toEqual(['Hello', 'Ġworld']);
    for (const text of TEXTS) {
      const ids = tokenizer.encode(text);
      expect(ids, text).toEqual(referenceEncode(text, vocab));
      expect(tokenizer.decode(ids)).toBe(text);
    }
    expect(tokenizer.encode(' the')).toEqual([vocab['Ġthe']]);
  });

  it('handles <|endoftext|> as one special token and skips it on request', () => {
    const tokenizer = GPT2Tokenizer.fromVocabAndMerges(vocab, MERGES);
    const eos = tokenizer.eosTokenId!;
    const ids = tokenizer.encode('Hello<|endoftext|> the');
    expect(ids).toEqual([vocab['Hello'], eos, vocab['Ġthe']]);
    expect(tokenizer.decode(ids)).toBe('Hello<|endoftext|> the');
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('Hello the');
  });

  it('loads the same tokenizer from tokenizer.json, and from its own files in a directory', async () => {
    const fromFiles = GPT2Tokenizer.fromVocabAndMerges(vocab, mergesTxt);
    const dir = await mkdtemp(join(tmpdir(), 'attune-tok-'));
    try {
      for (const [name, contents] of Object.entries(fromFiles.files())) await writeFile(join(dir, name), contents);
      const fromJson = await GPT2Tokenizer.fromDirectory(dir);
      for (const text of TEXTS) expect(fromJson.encode(text)).toEqual(fromFiles.encode(text));
      await rm(join(dir, 'tokenizer.json'));
      await writeFile(join(dir, 'vocab.json'), JSON.stringify(vocab));
      await writeFile(join(dir, 'merges.txt'), mergesTxt);
      const fromVocab = await loadTokenizer(dir);
      expect(fromVocab).toBeInstanceOf(GPT2Tokenizer);
      expect(fromVocab!.encode(TEXTS[1])).toEqual(fromFiles.encode(TEXTS[1]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(() => GPT2Tokenizer.fromVocabAndMerges(vocab, 'a b c\n')).toThrow(/merges\.txt line 1/);
  });
});

describe('ByteTokenizer and CharTokenizer', () => {
  it('bytes round-trip any text; EOS is id 256 when enabled', () => {
    const bytes = new ByteTokenizer();
    expect(bytes.vocabSize).toBe(256);
    expect(bytes.eosTokenId).toBeNull();
    expect(bytes.encode('hé')).toEqual([104, 195, 169]);
    for (const text of TEXTS) expect(bytes.decode(bytes.encode(text))).toBe(text);
    const withEos = new ByteTokenizer({ eos: true });
    expect(withEos.vocabSize).toBe(257);
    expect(withEos.decode([104, 105, 256, 104])).toBe('hi<|endoftext|>h');
    expect(withEos.decode([104, 105, 256], { skipSpecialTokens: true })).toBe('hi');
    expect(bytes.decode([0xe6, 0xbc])).toBe('\uFFFD'); // an incomplete character
    expect(() => bytes.decode([256])).toThrow(/outside the vocabulary/);
  });

  it('characters round-trip the corpus they were built from and name unknown characters', async () => {
    const corpus = TEXTS.join('\n');
    const chars = CharTokenizer.fromText(corpus, { eos: true });
    expect(chars.vocabSize).toBe(new Set(corpus).size + 1);
    expect(chars.decode(chars.encode(corpus))).toBe(corpus);
    expect(chars.alphabet).toEqual([...chars.alphabet].sort());
    expect(() => chars.encode('Z')).toThrow(/"Z" \(U\+005A\) is not in the alphabet/);
    const dir = await mkdtemp(join(tmpdir(), 'attune-tok-'));
    try {
      for (const [name, contents] of Object.entries(chars.files())) await writeFile(join(dir, name), contents);
      const loaded = (await loadTokenizer(dir)) as CharTokenizer;
      expect(loaded.alphabet).toEqual(chars.alphabet);
      expect(loaded.eosTokenId).toBe(chars.eosTokenId);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
