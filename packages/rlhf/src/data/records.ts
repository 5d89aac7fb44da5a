// The JSONL records the RLHF stages read (DESIGN "Data and checkpoints"): SFT demonstrations
// `{prompt, completion}`, RL prompts `{prompt}`, and the Reddit TL;DR posts of Stiennon et al. 2020
// `{subreddit, title, post, summary}`. Each record has a parse function that names the file, the
// line and the field when a record is wrong, and an encode function that turns text into token ids
// (the trainers never see text). Token ids are plain `number[]`, so every stage is tokenizer-agnostic.

import { JsonlError, readJsonl, tldrPrompt, type JsonlLocation } from '@attune/reward-model';
import type { Tokenizer } from '@attune/transformer';

/**
 * One supervised fine-tuning demonstration as text: the model learns to continue `prompt` with
 * `completion` (the loss counts the completion's tokens only).
 *
 * @example
 * ```ts
 * const record: SFTRecord = { prompt: 'Q: 2 + 2?\nA:', completion: ' 4' };
 * ```
 */
export interface SFTRecord {
  prompt: string;
  completion: string;
}

/**
 * One RL prompt as text (PPO and rejection sampling generate the responses).
 *
 * @example
 * ```ts
 * const record: PromptRecord = { prompt: 'The movie was' };
 * ```
 */
export interface PromptRecord {
  prompt: string;
}

/**
 * One SFT demonstration as token ids; `completion` ends with EOS when the tokenizer has one, so
 * the model learns to stop.
 *
 * @example
 * ```ts
 * const example: SFTExample = { prompt: [12, 7, 3], completion: [9, 4, 0] }; // 0 = EOS
 * ```
 */
export interface SFTExample {
  prompt: number[];
  completion: number[];
}

/**
 * A Reddit TL;DR post (Stiennon et al. 2020, §3.2; the filtered TL;DR files of OpenAI's
 * summarize-from-feedback release, e.g. `vwxyzjn/summarize_from_feedback_tldr_3_filtered`, use these
 * field names). `summary` is the reference TL;DR; RL prompt files may omit it.
 *
 * @example
 * ```ts
 * const post: TLDRPost = { subreddit: 'cooking', title: 'Burnt rice', post: 'I left the pot on…', summary: 'watch the stove' };
 * ```
 */
export interface TLDRPost {
  subreddit: string;
  title: string;
  post: string;
  summary?: string;
}

/** `value` described for an error message: its JSON, shortened, or its type. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

function fail(where: JsonlLocation, message: string): never {
  throw new JsonlError(where.file, where.line, message);
}

function objectOf(value: unknown, where: JsonlLocation, expected: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, `expected an object ${expected}, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

function stringField(record: Record<string, unknown>, field: string, where: JsonlLocation, options: { allowEmpty?: boolean } = {}): string {
  const value = record[field];
  if (typeof value !== 'string') fail(where, `field "${field}" must be a string, got ${describe(value)}`);
  if (!options.allowEmpty && value.length === 0) fail(where, `field "${field}" must be a non-empty string, got ""`);
  return value;
}

/**
 * Parses one SFT line `{"prompt": string, "completion": string}` (further fields are ignored).
 * The prompt may be empty (plain language modelling); the completion may not.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { readJsonl } from '@attune/reward-model';
 * writeFileSync('sft.jsonl', '{"prompt": "Q:", "completion": " A"}\n');
 * for await (const record of readJsonl('sft.jsonl', parseSFTRecord)) console.log(record.completion);
 * try {
 *   parseSFTRecord({ prompt: 1 }, { file: 'sft.jsonl', line: 3 });
 * } catch (error) {
 *   console.log((error as Error).message); // sft.jsonl:3: field "prompt" must be a string, got 1
 * }
 * ```
 */
export function parseSFTRecord(value: unknown, where: JsonlLocation): SFTRecord {
  const record = objectOf(value, where, '{"prompt": string, "completion": string}');
  return { prompt: stringField(record, 'prompt', where, { allowEmpty: true }), completion: stringField(record, 'completion', where) };
}

/**
 * Parses one RL prompt line `{"prompt": string}` (further fields are ignored).
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { readJsonl } from '@attune/reward-model';
 * writeFileSync('prompts.jsonl', '{"prompt": "Q: 2+2?"}\n');
 * for await (const { prompt } of readJsonl('prompts.jsonl', parsePromptRecord)) console.log(prompt);
 * ```
 */
export function parsePromptRecord(value: unknown, where: JsonlLocation): PromptRecord {
  const record = objectOf(value, where, '{"prompt": string}');
  return { prompt: stringField(record, 'prompt', where) };
}

/**
 * Parses one TL;DR line `{"subreddit", "title", "post", "summary"?}` (Stiennon et al. 2020, §3.2).
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { readJsonl } from '@attune/reward-model';
 * writeFileSync('tldr.jsonl', '{"subreddit": "cats", "title": "Hi", "post": "Cat.", "summary": " ok"}\n');
 * const examples: SFTRecord[] = [];
 * for await (const post of readJsonl('tldr.jsonl', parseTLDRPost)) examples.push(tldrToSFT(post));
 * ```
 */
export function parseTLDRPost(value: unknown, where: JsonlLocation): TLDRPost {
  const record = objectOf(value, where, '{"subreddit", "title", "post", "summary"?}');
  const post: TLDRPost = { subreddit: stringField(record, 'subreddit', where), title: stringField(record, 'title', where), post: stringField(record, 'post', where) };
  if (record.summary !== undefined) post.summary = stringField(record, 'summary', where);
  return post;
}

/**
 * A TL;DR post as an SFT record (Stiennon et al. 2020, §3.2). The prompt is the query format of
 * OpenAI's summarize-from-feedback data, as @attune/reward-model's `tldrPrompt` writes it for the
 * preference pairs too (so SFT, reward model and policy see identical prompts):
 *
 *     SUBREDDIT: r/{subreddit}
 *
 *     TITLE: {title}
 *
 *     POST: {post}
 *
 *     TL;DR:
 *
 * and the completion is `" " + summary` (the summary follows "TL;DR:" after one space).
 *
 * @example
 * ```ts
 * tldrToSFT({ subreddit: 'cooking', title: 'Burnt rice', post: 'I left the pot on.', summary: 'watch the stove' });
 * // { prompt: 'SUBREDDIT: r/cooking\n\nTITLE: Burnt rice\n\nPOST: I left the pot on.\n\nTL;DR:', completion: ' watch the stove' }
 * ```
 */
export function tldrToSFT(post: TLDRPost): SFTRecord {
  if (post.summary === undefined || post.summary.trim().length === 0) {
    throw new TypeError(`tldrToSFT: post.summary must be a non-empty string (the reference TL;DR), got ${describe(post.summary)}`);
  }
  return { prompt: tldrPrompt(post), completion: ` ${post.summary.trim()}` };
}

/**
 * A TL;DR post as an RL prompt record (PPO and rejection sampling generate the summary).
 *
 * @example
 * ```ts
 * import { ByteTokenizer } from '@attune/transformer';
 * const tokenizer = new ByteTokenizer({ eos: true });
 * const posts: TLDRPost[] = [{ subreddit: 'cats', title: 'Hi', post: 'Cat.' }];
 * const prompts = posts.map((post) => encodePrompt(tldrToPrompt(post), tokenizer));
 * ```
 */
export function tldrToPrompt(post: TLDRPost): PromptRecord {
  return { prompt: tldrPrompt(post) };
}

/**
 * Options of {@link encodeSFT}.
 *
 * @example
 * ```ts
 * import { ByteTokenizer } from '@attune/transformer';
 * const tokenizer = new ByteTokenizer({ eos: true });
 * const record: SFTRecord = { prompt: 'Q:', completion: ' A' };
 * encodeSFT(record, tokenizer, { appendEos: false } satisfies EncodeSFTOptions);
 * ```
 */
export interface EncodeSFTOptions {
  /** Append the tokenizer's EOS to the completion (default true; needs `tokenizer.eosTokenId`). */
  appendEos?: boolean;
}

/**
 * Tokenises an SFT record: prompt and completion are encoded separately (so the boundary between
 * them is exact) and EOS is appended to the completion, so the fine-tuned model learns to stop.
 *
 * @example
 * ```ts
 * import { CharTokenizer } from '@attune/transformer';
 * const tokenizer = new CharTokenizer([...'abc :'], { eos: true });
 * encodeSFT({ prompt: 'a:', completion: ' b' }, tokenizer); // { prompt: [0, 4], completion: [3, 1, 5] } (5 = EOS)
 * ```
 */
export function encodeSFT(record: SFTRecord, tokenizer: Tokenizer, options: EncodeSFTOptions = {}): SFTExample {
  const { appendEos = true } = options;
  const completion = tokenizer.encode(record.completion);
  if (appendEos) {
    if (tokenizer.eosTokenId === null) throw new TypeError('encodeSFT: appendEos needs a tokenizer with an EOS token, got tokenizer.eosTokenId = null (pass { appendEos: false })');
    completion.push(tokenizer.eosTokenId);
  }
  if (completion.length === 0) throw new RangeError(`encodeSFT: the completion ${describe(record.completion)} encodes to no tokens`);
  return { prompt: tokenizer.encode(record.prompt), completion };
}

/**
 * Tokenises an RL prompt (no special tokens added).
 *
 * @example
 * ```ts
 * import { ByteTokenizer } from '@attune/transformer';
 * const tokenizer = new ByteTokenizer({ eos: true });
 * const records: PromptRecord[] = [{ prompt: 'Q: 2+2?' }, { prompt: 'Q: 3+3?' }];
 * const prompts = records.map((record) => encodePrompt(record, tokenizer));
 * ```
 */
export function encodePrompt(record: PromptRecord, tokenizer: Tokenizer): number[] {
  const ids = tokenizer.encode(record.prompt);
  if (ids.length === 0) throw new RangeError(`encodePrompt: the prompt ${describe(record.prompt)} encodes to no tokens`);
  return ids;
}

// ---- streaming loaders ---------------------------------------------------------------------------

/**
 * Options of the SFT loaders.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { ByteTokenizer } from '@attune/transformer';
 * writeFileSync('tldr.jsonl', '{"subreddit": "cats", "title": "Hi", "post": "Cat.", "summary": " ok"}\n');
 * const tokenizer = new ByteTokenizer({ eos: true });
 * await loadSFTExamples('tldr.jsonl', tokenizer, { format: 'tldr' } satisfies SFTFileOptions);
 * ```
 */
export interface SFTFileOptions {
  /** `'sft'` (default): `{prompt, completion}` lines; `'tldr'`: `{subreddit, title, post, summary}` lines, converted by {@link tldrToSFT}. */
  format?: 'sft' | 'tldr';
}

/**
 * Options of the prompt loaders.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { ByteTokenizer } from '@attune/transformer';
 * writeFileSync('tldr.jsonl', '{"subreddit": "cats", "title": "Hi", "post": "Cat."}\n');
 * const tokenizer = new ByteTokenizer({ eos: true });
 * await loadPrompts('tldr.jsonl', tokenizer, { format: 'tldr' } satisfies PromptFileOptions);
 * ```
 */
export interface PromptFileOptions {
  /** `'prompt'` (default): `{prompt}` lines; `'tldr'`: `{subreddit, title, post}` lines, converted by {@link tldrToPrompt}. */
  format?: 'prompt' | 'tldr';
}

function checkFormat(op: string, format: unknown, choices: readonly string[]): void {
  if (!choices.includes(format as string)) throw new RangeError(`${op}: options.format must be ${choices.map((c) => `'${c}'`).join(' or ')}, got ${describe(format)}`);
}

/** A TL;DR line as an SFT record; a post without a summary is an error naming the line. */
function parseTLDRForSFT(value: unknown, where: JsonlLocation): SFTRecord {
  const post = parseTLDRPost(value, where);
  if (post.summary === undefined) fail(where, 'field "summary" must be a string (the reference TL;DR an SFT example trains on), got nothing (the field is missing)');
  return tldrToSFT(post);
}

/**
 * Streams the SFT records of a JSONL file (one line at a time, via @attune/reward-model's
 * `readJsonl`); a bad line throws a `JsonlError` reading `<file>:<line>: <what is wrong>`.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * writeFileSync('sft.jsonl', '{"prompt": "Q:", "completion": " A"}\n');
 * for await (const { prompt, completion } of readSFTRecords('sft.jsonl')) console.log(prompt, completion);
 * ```
 */
export function readSFTRecords(path: string, options: SFTFileOptions = {}): AsyncGenerator<SFTRecord> {
  const format = options.format ?? 'sft';
  checkFormat('readSFTRecords', format, ['sft', 'tldr']);
  return readJsonl(path, format === 'tldr' ? parseTLDRForSFT : parseSFTRecord);
}

/**
 * Streams the RL prompts of a JSONL file; errors name file and line.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * writeFileSync('prompts.jsonl', '{"prompt": "Q: 2+2?"}\n');
 * for await (const { prompt } of readPromptRecords('prompts.jsonl')) console.log(prompt);
 * ```
 */
export function readPromptRecords(path: string, options: PromptFileOptions = {}): AsyncGenerator<PromptRecord> {
  const format = options.format ?? 'prompt';
  checkFormat('readPromptRecords', format, ['prompt', 'tldr']);
  return readJsonl(path, format === 'tldr' ? (value, where) => tldrToPrompt(parseTLDRPost(value, where)) : parsePromptRecord);
}

/**
 * Reads and tokenises a whole SFT file: the `SFTExample`s `trainSFT` takes (memory holds token ids
 * only). `limit` stops after that many records.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { ByteTokenizer, GPT, gptConfig } from '@attune/transformer';
 * writeFileSync('tldr-sft.jsonl', '{"subreddit": "cats", "title": "Hi", "post": "Cat.", "summary": " ok"}\n'.repeat(4));
 * const tokenizer = new ByteTokenizer({ eos: true });
 * const model = new GPT(gptConfig('test', { vocabSize: tokenizer.vocabSize }));
 * const examples = await loadSFTExamples('tldr-sft.jsonl', tokenizer, { format: 'tldr' });
 * await trainSFT(model, examples, { learningRate: 1e-4, batchSize: 1 });
 * ```
 */
export async function loadSFTExamples(path: string, tokenizer: Tokenizer, options: SFTFileOptions & EncodeSFTOptions & { limit?: number } = {}): Promise<SFTExample[]> {
  const limit = options.limit ?? Infinity;
  if (!(limit >= 0)) throw new RangeError(`loadSFTExamples: options.limit must be a non-negative number, got ${describe(limit)}`);
  const out: SFTExample[] = [];
  if (limit === 0) return out;
  for await (const record of readSFTRecords(path, options)) {
    out.push(encodeSFT(record, tokenizer, options));
    if (out.length >= limit) break;
  }
  return out;
}

/**
 * Reads and tokenises a whole prompt file: the `number[][]` prompts PPO and rejection sampling take.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { ByteTokenizer } from '@attune/transformer';
 * writeFileSync('prompts.jsonl', '{"prompt": "Q: 2+2?"}\n{"prompt": "Q: 3+3?"}\n');
 * const tokenizer = new ByteTokenizer({ eos: true });
 * const prompts = await loadPrompts('prompts.jsonl', tokenizer);
 * ```
 */
export async function loadPrompts(path: string, tokenizer: Tokenizer, options: PromptFileOptions & { limit?: number } = {}): Promise<number[][]> {
  const limit = options.limit ?? Infinity;
  if (!(limit >= 0)) throw new RangeError(`loadPrompts: options.limit must be a non-negative number, got ${describe(limit)}`);
  const out: number[][] = [];
  if (limit === 0) return out;
  for await (const record of readPromptRecords(path, options)) {
    out.push(encodePrompt(record, tokenizer));
    if (out.length >= limit) break;
  }
  return out;
}
