import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ByteTokenizer } from '@attune/transformer';
import {
  JsonlError,
  encodePreference,
  loadPreferences,
  parsePreferencePair,
  readJsonl,
  readPreferences,
  readTldrComparisons,
  tldrPrompt,
  tldrToPreferencePair,
  type TextPreferenceRecord,
} from '../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rm-data-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, lines: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, lines.join('\n') + '\n');
  return path;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function errorOf(it: AsyncIterable<unknown>): Promise<JsonlError> {
  try {
    await collect(it);
  } catch (error) {
    return error as JsonlError;
  }
  throw new Error('expected an error');
}

describe('readJsonl', () => {
  it('streams parsed records and skips blank lines', async () => {
    const path = await file('ok.jsonl', ['{"a": 1}', '', '{"a": 2}']);
    expect(await collect(readJsonl(path, (v, where) => ({ ...(v as { a: number }), line: where.line })))).toEqual([
      { a: 1, line: 1 },
      { a: 2, line: 3 },
    ]);
  });

  it('names file and line of malformed JSON', async () => {
    const path = await file('bad.jsonl', ['{"a": 1}', '{"a": ', '{"a": 3}']);
    const error = await errorOf(readJsonl(path, (v) => v));
    expect(error).toBeInstanceOf(JsonlError);
    expect(error.file).toBe(path);
    expect(error.line).toBe(2);
    expect(error.message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: malformed JSON`));
  });

  it('turns a parser error into file:line: message', async () => {
    const path = await file('parse.jsonl', ['{"prompt": "p", "chosen": "a", "rejected": "b"}', '{"prompt": "p", "chosen": "a"}']);
    const error = await errorOf(readJsonl(path, parsePreferencePair));
    expect(error.line).toBe(2);
    expect(error.message).toBe(`${path}:2: missing field "rejected" (a string)`);
  });

  it('is lazy: a consumer that stops early never reaches a later bad line', async () => {
    const lines = Array.from({ length: 20000 }, (_, i) => JSON.stringify({ i }));
    lines.push('not json');
    const path = await file('big.jsonl', lines);
    const seen: number[] = [];
    for await (const record of readJsonl(path, (v) => (v as { i: number }).i)) {
      seen.push(record);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([0, 1, 2]);
    expect((await errorOf(readJsonl(path, (v) => v))).line).toBe(20001);
  });

  it('reports a missing file with its path', async () => {
    await expect(collect(readJsonl(join(dir, 'nope.jsonl'), (v) => v))).rejects.toThrow(/readJsonl: cannot read .*nope\.jsonl/);
  });
});

describe('preference loaders', () => {
  it('reads pairwise and K-way records, mixed', async () => {
    const path = await file('mixed.jsonl', [
      JSON.stringify({ prompt: 'Q', chosen: ' a', rejected: ' b', margin: 1 }),
      JSON.stringify({ prompt: 'R', responses: [' x', ' y', ' z'], ranking: [2, 0, 1] }),
    ]);
    const records: TextPreferenceRecord[] = await collect(readPreferences(path));
    expect(records).toEqual([
      { prompt: 'Q', chosen: ' a', rejected: ' b', margin: 1 },
      { prompt: 'R', responses: [' x', ' y', ' z'], ranking: [2, 0, 1] },
    ]);
  });

  it('names the line of a mistyped field and of a bad ranking', async () => {
    const typed = await file('typed.jsonl', [JSON.stringify({ prompt: 'Q', chosen: 3, rejected: 'b' })]);
    expect((await errorOf(readPreferences(typed))).message).toBe(`${typed}:1: field "chosen" must be a string, got number 3`);
    const margin = await file('margin.jsonl', [JSON.stringify({ prompt: 'Q', chosen: 'a', rejected: 'b', margin: 'big' })]);
    expect((await errorOf(readPreferences(margin))).message).toMatch(/margin\.jsonl:1: field "margin" must be a finite number, got string "big"/);
    const ranking = await file('ranking.jsonl', [
      JSON.stringify({ prompt: 'R', responses: ['x', 'y'], ranking: [1, 0] }),
      JSON.stringify({ prompt: 'R', responses: ['x', 'y', 'z'], ranking: [1, 1, 0] }),
    ]);
    const error = await errorOf(readPreferences(ranking));
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/ranking\.jsonl:2: field "ranking" must be a permutation of 0\.\.2: 1 appears twice/);
    const short = await file('short.jsonl', [JSON.stringify({ prompt: 'R', responses: ['x', 'y', 'z'], ranking: [0, 1] })]);
    expect((await errorOf(readPreferences(short))).message).toMatch(/short\.jsonl:1: field "ranking" must list all 3 responses/);
  });

  it('encodes prompt and responses separately, appending EOS when asked', () => {
    const tokenizer = new ByteTokenizer({ eos: true });
    expect(encodePreference({ prompt: 'Q', chosen: 'a', rejected: 'bc', margin: 2 }, tokenizer, { appendEos: true })).toEqual({ prompt: [81], chosen: [97, 256], rejected: [98, 99, 256], margin: 2 });
    expect(encodePreference({ prompt: 'Q', responses: ['a', 'b'], ranking: [1, 0] }, tokenizer)).toEqual({ prompt: [81], responses: [[97], [98]], ranking: [1, 0] });
    expect(() => encodePreference({ prompt: 'Q', chosen: 'a', rejected: 'b' }, new ByteTokenizer(), { appendEos: true })).toThrow(/appendEos needs a tokenizer with an EOS token/);
  });

  it('loadPreferences reads and encodes a file', async () => {
    const path = await file('load.jsonl', [JSON.stringify({ prompt: 'Q', chosen: 'a', rejected: 'b' })]);
    expect(await loadPreferences(path, new ByteTokenizer({ eos: true }), { appendEos: true })).toEqual([{ prompt: [81], chosen: [97, 256], rejected: [98, 256] }]);
  });
});

describe('TL;DR comparisons (Stiennon et al. 2020)', () => {
  const row = {
    info: { id: 't3_1', post: 'My cat will not eat.', title: 'Cat help', subreddit: 'cats' },
    summaries: [{ text: 'cat sad ', policy: 'sup2' }, { text: ' my cat stopped eating', policy: 'ref' }],
    choice: 1,
    worker: 'w1',
    split: 'train',
  };

  it('formats the prompt and orders the summaries by choice', () => {
    expect(tldrPrompt(row.info)).toBe('SUBREDDIT: r/cats\n\nTITLE: Cat help\n\nPOST: My cat will not eat.\n\nTL;DR:');
    expect(tldrToPreferencePair(row)).toEqual({ prompt: tldrPrompt(row.info), chosen: ' my cat stopped eating', rejected: ' cat sad' });
    expect(tldrToPreferencePair({ ...row, choice: 0 }).chosen).toBe(' cat sad');
    expect(tldrPrompt({ article: 'News.' })).toBe('POST: News.\n\nTL;DR:');
  });

  it('streams a file and names the line of a bad choice', async () => {
    const path = await file('tldr.jsonl', [JSON.stringify(row), JSON.stringify({ ...row, choice: 2 })]);
    const error = await errorOf(readTldrComparisons(path));
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/tldr\.jsonl:2: field "choice" must be 0 or 1 \(index of the preferred summary\), got number 2/);
    const good = await file('tldr-good.jsonl', [JSON.stringify(row)]);
    expect(await collect(readTldrComparisons(good))).toHaveLength(1);
    expect(() => tldrToPreferencePair({ ...row, summaries: [{ text: 'a' }] })).toThrow(/field "summaries" must be an array of 2/);
  });
});
