// Preference data on disk: a streaming JSONL reader (node:readline, so a file larger than memory is
// read one line at a time) whose errors name `file:line`, parsers for pairwise `{prompt, chosen,
// rejected, margin?}` and K-way `{prompt, responses, ranking}` records, the converter from Stiennon
// et al.'s TL;DR comparisons, and the encoders that turn text records into token-id records with a
// `Tokenizer` (the only place a tokenizer is needed).

import type { Tokenizer } from '@attune/transformer';
import type { PreferencePair, PreferenceRecord, RankedPreference } from './batch.js';
import { checkRanking } from './losses.js';

/**
 * A bad line of a JSONL file; the message reads `<file>:<line>: <what is wrong>`.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * writeFileSync('prefs.jsonl', '{"prompt": "Q:", "chosen": " yes", "rejected": " no"}\n{"prompt": "Q:"}\n');
 * const use = (record: TextPreferenceRecord) => console.log(record.prompt);
 * try { for await (const r of readPreferences('prefs.jsonl')) use(r); }
 * catch (e) { if (e instanceof JsonlError) console.error(e.file, e.line, e.message); } // prefs.jsonl 2 …
 * ```
 */
export class JsonlError extends Error {
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;

  constructor(file: string, line: number, what: string, options?: { cause?: unknown }) {
    super(`${file}:${line}: ${what}`, options);
    this.name = 'JsonlError';
    this.file = file;
    this.line = line;
  }
}

/**
 * Where a JSONL record came from, passed to parsers so their errors can name it.
 *
 * @example
 * ```ts
 * const where: JsonlLocation = { file: 'prefs.jsonl', line: 12 };
 * ```
 */
export interface JsonlLocation {
  file: string;
  line: number;
}

/**
 * Streams a JSONL file: one JSON value per line (blank lines skipped), each passed through
 * `parse`. Malformed JSON, and any error `parse` throws, become a {@link JsonlError} naming the file
 * and line. Lines are read with node:readline, so memory stays flat however large the file.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * writeFileSync('docs.jsonl', '{"text": "hello"}\n{"text": "world"}\n');
 * const parseDoc = (v: unknown) => {
 *   const text = (v as { text?: unknown }).text;
 *   if (typeof text !== 'string') throw new TypeError('field "text" must be a string'); // → docs.jsonl:7: field "text" …
 *   return { text };
 * };
 * for await (const { text } of readJsonl('docs.jsonl', parseDoc)) console.log(text);
 * ```
 */
export async function* readJsonl<T>(path: string, parse: (value: unknown, where: JsonlLocation) => T): AsyncGenerator<T> {
  if (typeof parse !== 'function') throw new TypeError(`readJsonl: parse must be a function (value, where) => record, got ${typeof parse}`);
  const { createReadStream } = await import('node:fs');
  const { createInterface } = await import('node:readline');
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new JsonlError(path, line, `malformed JSON: ${(error as Error).message}`, { cause: error });
      }
      try {
        yield parse(value, { file: path, line });
      } catch (error) {
        if (error instanceof JsonlError) throw error;
        throw new JsonlError(path, line, (error as Error).message, { cause: error });
      }
    }
  } catch (error) {
    if (error instanceof JsonlError) throw error;
    throw new Error(`readJsonl: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  } finally {
    lines.close();
    input.destroy();
  }
}

/**
 * A pairwise preference in text: `prompt + chosen` is preferred to `prompt + rejected`.
 *
 * @example
 * ```ts
 * const pair: TextPreferencePair = { prompt: 'Q: 2+2?\nA:', chosen: ' 4', rejected: ' 5' };
 * ```
 */
export interface TextPreferencePair {
  prompt: string;
  chosen: string;
  rejected: string;
  /** Llama 2's margin from the preference strength (Touvron et al. 2023 §3.2.2). */
  margin?: number;
}

/**
 * A K-way ranking in text: `ranking` lists indices into `responses`, best first.
 *
 * @example
 * ```ts
 * const ranked: TextRankedPreference = { prompt: 'Q:', responses: [' a', ' b', ' c'], ranking: [2, 0, 1] };
 * ```
 */
export interface TextRankedPreference {
  prompt: string;
  responses: string[];
  ranking: number[];
}

/**
 * A text preference record of either kind.
 *
 * @example
 * ```ts
 * const pair: TextPreferenceRecord = { prompt: 'Q:', chosen: ' yes', rejected: ' no' };
 * const ranked: TextPreferenceRecord = { prompt: 'Q:', responses: [' a', ' b'], ranking: [1, 0] };
 * const records: TextPreferenceRecord[] = [pair, ranked];
 * ```
 */
export type TextPreferenceRecord = TextPreferencePair | TextRankedPreference;

/**
 * Validates a parsed JSON value as a pairwise text record `{prompt, chosen, rejected, margin?}`;
 * errors name the missing or mistyped field (readJsonl prefixes `file:line`).
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * writeFileSync('pairs.jsonl', '{"prompt": "Q:", "chosen": " yes", "rejected": " no"}\n');
 * const pairs: TextPreferencePair[] = [];
 * for await (const pair of readJsonl('pairs.jsonl', parsePreferencePair)) pairs.push(pair);
 * ```
 */
export function parsePreferencePair(value: unknown): TextPreferencePair {
  const record = asObject(value);
  const pair: TextPreferencePair = { prompt: stringField(record, 'prompt'), chosen: stringField(record, 'chosen'), rejected: stringField(record, 'rejected') };
  if (record.margin !== undefined && record.margin !== null) {
    if (typeof record.margin !== 'number' || !Number.isFinite(record.margin)) throw new TypeError(`field "margin" must be a finite number, got ${describe(record.margin)}`);
    pair.margin = record.margin;
  }
  return pair;
}

/**
 * Validates a parsed JSON value as a K-way text record `{prompt, responses, ranking}`; `ranking`
 * must be a permutation of 0…K−1 (best first).
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * writeFileSync('rankings.jsonl', '{"prompt": "Q:", "responses": [" a", " b", " c"], "ranking": [2, 0, 1]}\n');
 * const rankings: TextRankedPreference[] = [];
 * for await (const ranked of readJsonl('rankings.jsonl', parseRankedPreference)) rankings.push(ranked);
 * ```
 */
export function parseRankedPreference(value: unknown): TextRankedPreference {
  const record = asObject(value);
  const prompt = stringField(record, 'prompt');
  const responses = record.responses;
  if (!Array.isArray(responses)) throw new TypeError(`field "responses" must be an array of strings, got ${describe(responses)}`);
  responses.forEach((r, k) => {
    if (typeof r !== 'string') throw new TypeError(`field "responses[${k}]" must be a string, got ${describe(r)}`);
  });
  if (!Array.isArray(record.ranking)) throw new TypeError(`field "ranking" must be an array of response indices (best first), got ${describe(record.ranking)}`);
  checkRanking(record.ranking as number[], responses.length, 'field "ranking"');
  return { prompt, responses: responses as string[], ranking: (record.ranking as number[]).slice() };
}

/**
 * Either record kind: K-way when the value has `responses`, pairwise otherwise.
 *
 * @example
 * ```ts
 * const line = '{"prompt": "Q:", "responses": [" a", " b"], "ranking": [1, 0]}';
 * const record = parsePreference(JSON.parse(line)); // TextPreferencePair | TextRankedPreference
 * ```
 */
export function parsePreference(value: unknown): TextPreferenceRecord {
  const record = asObject(value);
  return 'responses' in record ? parseRankedPreference(record) : parsePreferencePair(record);
}

/**
 * Streams text preference records (pairwise and K-way, mixed) from a JSONL file.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { ByteTokenizer } from '@attune/transformer';
 * writeFileSync('prefs.jsonl', '{"prompt": "Q:", "chosen": " yes", "rejected": " no"}\n');
 * const tokenizer = new ByteTokenizer({ eos: true });
 * const records: PreferenceRecord[] = [];
 * for await (const record of readPreferences('prefs.jsonl')) records.push(encodePreference(record, tokenizer, { appendEos: true }));
 * ```
 */
export function readPreferences(path: string): AsyncGenerator<TextPreferenceRecord> {
  return readJsonl(path, parsePreference);
}

/**
 * One comparison of Stiennon et al. 2020's TL;DR human-feedback data (openai/summarize-from-feedback,
 * `comparisons/*.json`, one JSON object per line): the Reddit post in `info`, two `summaries`, and
 * `choice`, the index (0 or 1) of the summary the labeller preferred. CNN/DM rows carry `article`
 * instead of `post`. Other fields (`worker`, `batch`, `split`, `extra.confidence` 1–9) are ignored.
 *
 * @example
 * ```ts
 * const row: TldrComparison = {
 *   info: { id: 't3_x', post: 'My cat…', title: 'Cat help', subreddit: 'cats' },
 *   summaries: [{ text: ' cat sad' }, { text: ' my cat will not eat' }],
 *   choice: 1,
 * };
 * ```
 */
export interface TldrComparison {
  info: { id?: string; post?: string; article?: string; title?: string; subreddit?: string; site?: string };
  summaries: Array<{ text: string; policy?: string }>;
  choice: number;
}

/**
 * The prompt of a TL;DR post in the format of Huang et al. 2024 (and TRL's TL;DR datasets):
 * `SUBREDDIT: r/{subreddit}\n\nTITLE: {title}\n\nPOST: {post}\n\nTL;DR:` (lines without a value are
 * left out, e.g. CNN/DM articles have no subreddit).
 *
 * @example
 * ```ts
 * tldrPrompt({ subreddit: 'cats', title: 'Help', post: 'My cat…' }); // 'SUBREDDIT: r/cats\n\nTITLE: Help\n\nPOST: My cat…\n\nTL;DR:'
 * ```
 */
export function tldrPrompt(info: TldrComparison['info']): string {
  const parts: string[] = [];
  if (info.subreddit) parts.push(`SUBREDDIT: r/${info.subreddit}`);
  if (info.title) parts.push(`TITLE: ${info.title}`);
  parts.push(`POST: ${info.post ?? info.article ?? ''}`);
  return `${parts.join('\n\n')}\n\nTL;DR:`;
}

/**
 * Converts one TL;DR comparison (a parsed JSON value) to `{prompt, chosen, rejected}`: the prompt by
 * {@link tldrPrompt}, the summaries as responses with one leading space (`' ' + text.trim()`, as the
 * prompt ends in `TL;DR:`). Errors name the field; use it as `readJsonl`'s parser.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * const comparison = { info: { subreddit: 'cats', title: 'Help', post: 'My cat…' }, summaries: [{ text: ' Cat help.' }, { text: ' Dogs.' }], choice: 0 };
 * writeFileSync('batch3.json', JSON.stringify(comparison) + '\n');
 * const pairs: TextPreferencePair[] = [];
 * for await (const pair of readJsonl('batch3.json', tldrToPreferencePair)) pairs.push(pair);
 * ```
 */
export function tldrToPreferencePair(value: unknown): TextPreferencePair {
  const record = asObject(value);
  const info = record.info;
  if (typeof info !== 'object' || info === null || Array.isArray(info)) throw new TypeError(`field "info" must be an object with post/title/subreddit, got ${describe(info)}`);
  const { post, article } = info as Record<string, unknown>;
  if (typeof post !== 'string' && typeof article !== 'string') throw new TypeError(`field "info.post" (or "info.article") must be a string, got ${describe(post)}`);
  const summaries = record.summaries;
  if (!Array.isArray(summaries) || summaries.length !== 2) throw new TypeError(`field "summaries" must be an array of 2 {text} objects, got ${describe(summaries)}`);
  const texts = summaries.map((s, i) => {
    const text = (s as { text?: unknown } | null)?.text;
    if (typeof text !== 'string') throw new TypeError(`field "summaries[${i}].text" must be a string, got ${describe(text)}`);
    return ` ${text.trim()}`;
  });
  const choice = record.choice;
  if (choice !== 0 && choice !== 1) throw new RangeError(`field "choice" must be 0 or 1 (index of the preferred summary), got ${describe(choice)}`);
  return { prompt: tldrPrompt(info as TldrComparison['info']), chosen: texts[choice], rejected: texts[1 - choice] };
}

/**
 * Streams Stiennon et al.'s TL;DR comparisons from a JSONL file as `{prompt, chosen, rejected}`.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * const comparison: TldrComparison = { info: { subreddit: 'cats', title: 'Help', post: 'My cat…' }, summaries: [{ text: ' Cat help.' }, { text: ' Dogs.' }], choice: 0 };
 * writeFileSync('batch3.json', JSON.stringify(comparison) + '\n'); // one comparison per line, as OpenAI's files
 * const pairs: TextPreferencePair[] = [];
 * for await (const pair of readTldrComparisons('batch3.json')) pairs.push(pair);
 * ```
 */
export function readTldrComparisons(path: string): AsyncGenerator<TextPreferencePair> {
  return readJsonl(path, tldrToPreferencePair);
}

/**
 * Options of {@link encodePreference}.
 *
 * @example
 * ```ts
 * const options: EncodePreferenceOptions = { appendEos: true };
 * ```
 */
export interface EncodePreferenceOptions {
  /** Append the tokenizer's EOS to every response, so the reward is read at the EOS as in training the policy (default false). */
  appendEos?: boolean;
}

/**
 * Encodes a text preference record into token ids (`tokenizer.encode` of the prompt and of each
 * response, separately, so the prompt/response boundary is exact).
 *
 * @example
 * ```ts
 * import { ByteTokenizer } from '@attune/transformer';
 * const tokenizer = new ByteTokenizer({ eos: true });
 * const ids = encodePreference({ prompt: 'Q:', chosen: ' yes', rejected: ' no' }, tokenizer, { appendEos: true });
 * ```
 */
export function encodePreference(record: TextPreferencePair, tokenizer: Tokenizer, options?: EncodePreferenceOptions): PreferencePair;
export function encodePreference(record: TextRankedPreference, tokenizer: Tokenizer, options?: EncodePreferenceOptions): RankedPreference;
export function encodePreference(record: TextPreferenceRecord, tokenizer: Tokenizer, options?: EncodePreferenceOptions): PreferenceRecord;
export function encodePreference(record: TextPreferenceRecord, tokenizer: Tokenizer, options: EncodePreferenceOptions = {}): PreferenceRecord {
  let eos: number[] = [];
  if (options.appendEos) {
    if (tokenizer.eosTokenId === null) throw new RangeError('encodePreference: options.appendEos needs a tokenizer with an EOS token, got eosTokenId null');
    eos = [tokenizer.eosTokenId];
  }
  const response = (text: string): number[] => [...tokenizer.encode(text), ...eos];
  const prompt = tokenizer.encode(record.prompt);
  if ('responses' in record) return { prompt, responses: record.responses.map(response), ranking: record.ranking.slice() };
  const pair: PreferencePair = { prompt, chosen: response(record.chosen), rejected: response(record.rejected) };
  if (record.margin !== undefined) pair.margin = record.margin;
  return pair;
}

/**
 * Reads a whole preference JSONL file (pairwise and K-way records) and encodes it: the token-id
 * records `trainRewardModel` takes. Memory holds the encoded records only, not the text.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { ByteTokenizer, gptConfig } from '@attune/transformer';
 * writeFileSync('train.jsonl', '{"prompt": "Q:", "chosen": " yes", "rejected": " no"}\n');
 * const tokenizer = new ByteTokenizer({ eos: true });
 * const rm = new RewardModel(gptConfig('test', { vocabSize: tokenizer.vocabSize }));
 * const train = await loadPreferences('train.jsonl', tokenizer, { appendEos: true });
 * await trainRewardModel(rm, { train }, { batchSize: 1 });
 * ```
 */
export async function loadPreferences(path: string, tokenizer: Tokenizer, options: EncodePreferenceOptions & { format?: 'preference' | 'tldr' } = {}): Promise<PreferenceRecord[]> {
  const format = options.format ?? 'preference';
  if (format !== 'preference' && format !== 'tldr') throw new RangeError(`loadPreferences: options.format must be 'preference' or 'tldr', got ${describe(format)}`);
  const out: PreferenceRecord[] = [];
  const records = format === 'tldr' ? readTldrComparisons(path) : readPreferences(path);
  for await (const record of records) out.push(encodePreference(record, tokenizer, options));
  return out;
}

function asObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`expected a JSON object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

function stringField(record: Record<string, unknown>, field: string): string {
  const value = record[field];
  if (value === undefined) throw new TypeError(`missing field "${field}" (a string)`);
  if (typeof value !== 'string') throw new TypeError(`field "${field}" must be a string, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}
