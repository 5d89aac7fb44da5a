import { describe, expect, it } from 'vitest';
import { Generator } from '@attune/tensor';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WordTokenizer, joinWords, loadWordTokenizer, splitWords } from '../src/tokenizer.js';
import { goldReward, noisyRanking, rankingAgreement } from '../src/labeller.js';
import { layoutBatch } from '../src/batch.js';

describe('WordTokenizer', () => {
  const tokenizer = WordTokenizer.fromTexts(['The jury said the trial was good.', 'The jury, the jury said "no".'], 100);

  it('puts the most frequent words first after <pad>, <unk>, <eos>', () => {
    expect(tokenizer.words.slice(0, 2)).toEqual(['the', 'jury']);
    expect(tokenizer.encode('the jury')).toEqual([3, 4]);
    expect([tokenizer.padTokenId, tokenizer.unkTokenId, tokenizer.eosTokenId]).toEqual([0, 1, 2]);
  });

  it('maps unknown words to <unk> and round-trips decoded text, special tokens included', () => {
    const ids = tokenizer.encode('The zyzzyva said, "no."');
    expect(ids).toContain(tokenizer.unkTokenId);
    const text = tokenizer.decode([...ids, tokenizer.eosTokenId]);
    expect(text).toBe('the <unk> said, " no. " <eos>');
    expect(tokenizer.encode(text)).toEqual([...ids, tokenizer.eosTokenId]);
    expect(tokenizer.decode([...ids, tokenizer.eosTokenId, 0], { skipSpecialTokens: true })).toBe('the <unk> said, " no. "');
  });

  it('splits words and punctuation, and joins them back', () => {
    expect(splitWords("He didn't say, ``Well-known U.S.''")).toEqual(['he', "didn't", 'say', ',', '"', 'well-known', 'u.s', '.', '"']);
    expect(joinWords(['he', 'said', ',', 'yes', '.'])).toBe('he said, yes.');
  });

  it('loads back from its checkpoint file, and names the file when it is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'word-tokenizer-'));
    try {
      for (const [name, text] of Object.entries(tokenizer.files())) writeFileSync(join(dir, name), text);
      const loaded = await loadWordTokenizer(dir);
      expect(loaded.words).toEqual(tokenizer.words);
      expect(loaded.encode('the jury said')).toEqual(tokenizer.encode('the jury said'));
      writeFileSync(join(dir, 'word_tokenizer.json'), JSON.stringify({ type: 'byte' }));
      await expect(loadWordTokenizer(dir)).rejects.toThrow(/word_tokenizer\.json must hold .* got type "byte"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('saves its words and rejects bad input naming it', () => {
    expect(JSON.parse(tokenizer.files()['word_tokenizer.json']).words).toEqual(tokenizer.words);
    expect(() => tokenizer.decode([999])).toThrow(/ids\[0\] is 999/);
    expect(() => new WordTokenizer(['a', 'a'])).toThrow(/"a" twice/);
    expect(() => WordTokenizer.fromTexts([], 0)).toThrow(/size must be a positive integer, got 0/);
  });
});

describe('simulated labeller', () => {
  it('scores text by summed AFINN-165 valence', () => {
    expect(goldReward(['a', 'good', 'and', 'happy', 'day'])).toBe(6);
    expect(goldReward(['bad', 'day'])).toBe(-3);
    expect(goldReward(['the', 'jury'])).toBe(0);
  });

  it('ranks without noise at temperature 0', () => {
    expect(noisyRanking([0, 6, -2, 3], 0, new Generator(0))).toEqual([1, 3, 0, 2]);
  });

  it('orders a pair with the Bradley–Terry probability σ(Δ/τ)', () => {
    const generator = new Generator(7);
    const trials = 20_000;
    let first = 0;
    for (let i = 0; i < trials; i++) if (noisyRanking([1, 0], 0.5, generator)[0] === 0) first++;
    const expected = 1 / (1 + Math.exp(-1 / 0.5)); // 0.881
    expect(first / trials).toBeGreaterThan(expected - 0.015);
    expect(first / trials).toBeLessThan(expected + 0.015);
  });

  it('measures agreement over pairs whose gold scores differ', () => {
    const agreement = rankingAgreement([[0, 2, 1, 3]], [[5, 0, 1, 1]]);
    // gold 5, 0, 1, 1; ranked 0 ≻ 2 ≻ 1 ≻ 3: (0,2) (0,1) (0,3) (2,1) agree, (1,3) disagrees, (2,3) tie is skipped
    expect(agreement).toEqual({ pairs: 5, agree: 4, rate: 0.8 });
    expect(rankingAgreement([[1, 0]], [[5, 0]]).rate).toBe(0);
    expect(() => rankingAgreement([[0]], [])).toThrow(/1 rankings but 0/);
  });
});

describe('layoutBatch', () => {
  it('left-pads prompts to P and right-pads responses to N, as generate() does', () => {
    const batch = layoutBatch([[5, 6], [7]], [[8, 2], [9, 10, 2]], 0);
    expect([batch.B, batch.P, batch.N]).toEqual([2, 2, 3]);
    expect(Array.from(batch.sequences)).toEqual([5, 6, 8, 2, 0, 0, 7, 9, 10, 2]);
    expect(Array.from(batch.attentionMask)).toEqual([1, 1, 1, 1, 0, 0, 1, 1, 1, 1]);
    expect(Array.from(batch.responseMask)).toEqual([1, 1, 0, 1, 1, 1]);
    expect(() => layoutBatch([[1]], [[1, 2]], 0, 1)).toThrow(/responses\[0\] has 2 tokens, more than N = 1/);
  });
});
