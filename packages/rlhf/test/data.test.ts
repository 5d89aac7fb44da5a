import { describe, expect, it } from 'vitest';
import { CharTokenizer } from '@attune/transformer';
import { encodePrompt, encodeSFT, parsePromptRecord, parseSFTRecord, parseTLDRPost, tldrPrompt, tldrToSFT } from '../src/index.js';

const where = { file: 'data/sft.jsonl', line: 7 };

describe('record parsers', () => {
  it('parse SFT, prompt and TL;DR records, ignoring extra fields', () => {
    expect(parseSFTRecord({ prompt: 'Q:', completion: ' A', id: 3 }, where)).toEqual({ prompt: 'Q:', completion: ' A' });
    expect(parseSFTRecord({ prompt: '', completion: 'text' }, where)).toEqual({ prompt: '', completion: 'text' });
    expect(parsePromptRecord({ prompt: 'The movie was' }, where)).toEqual({ prompt: 'The movie was' });
    expect(parseTLDRPost({ subreddit: 'a', title: 'b', post: 'c', summary: 'd', info: {} }, where)).toEqual({ subreddit: 'a', title: 'b', post: 'c', summary: 'd' });
    expect(parseTLDRPost({ subreddit: 'a', title: 'b', post: 'c' }, where)).toEqual({ subreddit: 'a', title: 'b', post: 'c' });
  });

  it('name the file, the line, the field and the value when a record is wrong', () => {
    expect(() => parseSFTRecord({ prompt: 1, completion: 'x' }, where)).toThrow('data/sft.jsonl:7: field "prompt" must be a string, got 1');
    expect(() => parseSFTRecord({ prompt: 'x' }, where)).toThrow('data/sft.jsonl:7: field "completion" must be a string, got nothing (the field is missing)');
    expect(() => parseSFTRecord({ prompt: 'x', completion: '' }, where)).toThrow('data/sft.jsonl:7: field "completion" must be a non-empty string, got ""');
    expect(() => parseSFTRecord([1, 2], where)).toThrow('data/sft.jsonl:7: expected an object {"prompt": string, "completion": string}, got [1,2]');
    expect(() => parsePromptRecord({ text: 'x' }, where)).toThrow('data/sft.jsonl:7: field "prompt" must be a string, got nothing');
    expect(() => parseTLDRPost({ subreddit: 'a', title: 'b', post: 'c', summary: 5 }, where)).toThrow('data/sft.jsonl:7: field "summary" must be a string, got 5');
  });
});

describe('TL;DR format (Stiennon et al. 2020)', () => {
  const post = { subreddit: 'cooking', title: ' Burnt rice ', post: 'I left the pot on.\n', summary: ' watch the stove' };

  it('builds the SUBREDDIT/TITLE/POST/TL;DR prompt and the " " + summary completion', () => {
    expect(tldrPrompt(post)).toBe('SUBREDDIT: r/cooking\nTITLE: Burnt rice\nPOST: I left the pot on.\nTL;DR:');
    expect(tldrPrompt({ ...post, subreddit: 'r/cooking' })).toBe(tldrPrompt(post));
    expect(tldrToSFT(post)).toEqual({ prompt: tldrPrompt(post), completion: ' watch the stove' });
  });

  it('needs a summary to make an SFT record', () => {
    expect(() => tldrToSFT({ subreddit: 'a', title: 'b', post: 'c' })).toThrow(/post\.summary must be a non-empty string/);
  });
});

describe('encoders', () => {
  const tokenizer = new CharTokenizer([...'abc :'], { eos: true }); // a = 0, b = 1, c = 2, ' ' = 3, ':' = 4, EOS = 5

  it('encode prompt and completion apart and append EOS to the completion', () => {
    expect(encodeSFT({ prompt: 'a:', completion: ' b' }, tokenizer)).toEqual({ prompt: [0, 4], completion: [3, 1, 5] });
    expect(encodeSFT({ prompt: 'a:', completion: ' b' }, tokenizer, { appendEos: false })).toEqual({ prompt: [0, 4], completion: [3, 1] });
    expect(encodePrompt({ prompt: 'cab' }, tokenizer)).toEqual([2, 0, 1]);
  });

  it('refuses to append EOS without one, and empty prompts', () => {
    const noEos = new CharTokenizer([...'ab']);
    expect(() => encodeSFT({ prompt: 'a', completion: 'b' }, noEos)).toThrow(/appendEos needs a tokenizer with an EOS token/);
    expect(() => encodePrompt({ prompt: '' }, tokenizer)).toThrow(/the prompt "" encodes to no tokens/);
  });
});
