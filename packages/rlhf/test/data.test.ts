import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CharTokenizer } from '@attune/transformer';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonlError } from '@attune/reward-model';
import { encodePrompt, encodeSFT, loadPrompts, loadSFTExamples, parsePromptRecord, parseSFTRecord, parseTLDRPost, readSFTRecords, tldrToPrompt, tldrToSFT } from '../src/index.js';

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
  const post = { subreddit: 'cooking', title: 'Burnt rice', post: 'I left the pot on.', summary: ' watch the stove ' };
  const prompt = 'SUBREDDIT: r/cooking\n\nTITLE: Burnt rice\n\nPOST: I left the pot on.\n\nTL;DR:';

  it('builds the SUBREDDIT/TITLE/POST/TL;DR prompt and the " " + summary completion', () => {
    expect(tldrToSFT(post)).toEqual({ prompt, completion: ' watch the stove' });
    expect(tldrToPrompt(post)).toEqual({ prompt });
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

describe('streaming loaders', () => {
  const tokenizer = new CharTokenizer([...'abcdefghijklmnopqrstuvwxyz :;/\nRSUBDITLEPO'], { eos: true });
  let dir = '';
  const file = (name: string) => join(dir, name);
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'attune-rlhf-data-'));
    await writeFile(file('sft.jsonl'), ['{"prompt": "ab", "completion": " c"}', '', '{"prompt": "b", "completion": " a", "extra": 1}', '{"prompt": "c", "completion": " b"}'].join('\n'));
    await writeFile(file('bad.jsonl'), ['{"prompt": "ab", "completion": " c"}', '{"prompt": "b", "completion": 5}'].join('\n'));
    await writeFile(file('broken.jsonl'), ['{"prompt": "ab", "completion": " c"}', '{"prompt": "b", '].join('\n'));
    await writeFile(file('tldr.jsonl'), ['{"subreddit": "cats", "title": "hi", "post": "a cat", "summary": "cat"}', '{"subreddit": "cats", "title": "hi", "post": "a cat"}'].join('\n'));
    await writeFile(file('prompts.jsonl'), ['{"prompt": "abc"}', '{"prompt": "ba"}'].join('\n'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('stream, encode and limit SFT examples and prompts, skipping blank lines', async () => {
    const eos = tokenizer.eosTokenId!;
    const examples = await loadSFTExamples(file('sft.jsonl'), tokenizer);
    expect(examples).toEqual([
      { prompt: tokenizer.encode('ab'), completion: [...tokenizer.encode(' c'), eos] },
      { prompt: tokenizer.encode('b'), completion: [...tokenizer.encode(' a'), eos] },
      { prompt: tokenizer.encode('c'), completion: [...tokenizer.encode(' b'), eos] },
    ]);
    expect(await loadSFTExamples(file('sft.jsonl'), tokenizer, { limit: 2 })).toHaveLength(2);
    expect(await loadPrompts(file('prompts.jsonl'), tokenizer)).toEqual([tokenizer.encode('abc'), tokenizer.encode('ba')]);
    const tldr = [];
    for await (const record of readSFTRecords(file('tldr.jsonl'), { format: 'tldr' })) {
      tldr.push(record);
      break; // the first line only: the second has no summary
    }
    expect(tldr).toEqual([{ prompt: 'SUBREDDIT: r/cats\n\nTITLE: hi\n\nPOST: a cat\n\nTL;DR:', completion: ' cat' }]);
    expect(await loadPrompts(file('tldr.jsonl'), tokenizer, { format: 'tldr' })).toHaveLength(2);
  });

  it('name the file and line of a bad record, once', async () => {
    const error = await loadSFTExamples(file('bad.jsonl'), tokenizer).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JsonlError);
    expect((error as JsonlError).message).toBe(`${file('bad.jsonl')}:2: field "completion" must be a string, got 5`);
    expect((error as JsonlError).line).toBe(2);
    await expect(loadSFTExamples(file('broken.jsonl'), tokenizer)).rejects.toThrow(`${file('broken.jsonl')}:2: malformed JSON`);
    await expect(loadSFTExamples(file('tldr.jsonl'), tokenizer, { format: 'tldr' })).rejects.toThrow(`${file('tldr.jsonl')}:2: field "summary" must be a string`);
    await expect(loadPrompts(file('sft.jsonl'), tokenizer, { format: 'sft' as never })).rejects.toThrow(/options\.format must be 'prompt' or 'tldr', got "sft"/);
  });
});
