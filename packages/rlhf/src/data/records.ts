// The JSONL records the RLHF stages read (DESIGN "Data and checkpoints"): SFT demonstrations
// `{prompt, completion}`, RL prompts `{prompt}`, and the Reddit TL;DR posts of Stiennon et al. 2020
// `{subreddit, title, post, summary}`. Each record has a parse function that names the file, the
// line and the field when a record is wrong, and an encode function that turns text into token ids
// (the trainers never see text). Token ids are plain `number[]`, so every stage is tokenizer-agnostic.

import type { Tokenizer } from '@attune/transformer';

/** Where a record came from, as `readJsonl` passes it to a parse function. */
export interface RecordLocation {
  /** The file's path. */
  file: string;
  /** 1-based line number. */
  line: number;
}

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
 * A Reddit TL;DR post (Stiennon et al. 2020, §3.2; OpenAI's `summarize-from-feedback` files and
 * the `openai/summarize_from_feedback` / `CarperAI/openai_summarize_tldr` datasets use these field
 * names). `summary` is the reference TL;DR; RL prompt files may omit it.
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

function fail(where: RecordLocation, message: string): never {
  throw new TypeError(`${where.file}:${where.line}: ${message}`);
}

function objectOf(value: unknown, where: RecordLocation, expected: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, `expected an object ${expected}, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

function stringField(record: Record<string, unknown>, field: string, where: RecordLocation, options: { allowEmpty?: boolean } = {}): string {
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
 * for await (const record of readJsonl('sft.jsonl', parseSFTRecord)) console.log(record.completion);
 * parseSFTRecord({ prompt: 1 }, { file: 'sft.jsonl', line: 3 }); // throws 'sft.jsonl:3: field "prompt" must be a string, got 1'
 * ```
 */
export function parseSFTRecord(value: unknown, where: RecordLocation): SFTRecord {
  const record = objectOf(value, where, '{"prompt": string, "completion": string}');
  return { prompt: stringField(record, 'prompt', where, { allowEmpty: true }), completion: stringField(record, 'completion', where) };
}

/**
 * Parses one RL prompt line `{"prompt": string}` (further fields are ignored).
 *
 * @example
 * ```ts
 * for await (const { prompt } of readJsonl('prompts.jsonl', parsePromptRecord)) console.log(prompt);
 * ```
 */
export function parsePromptRecord(value: unknown, where: RecordLocation): PromptRecord {
  const record = objectOf(value, where, '{"prompt": string}');
  return { prompt: stringField(record, 'prompt', where) };
}

/**
 * Parses one TL;DR line `{"subreddit", "title", "post", "summary"?}` (Stiennon et al. 2020, §3.2).
 *
 * @example
 * ```ts
 * for await (const post of readJsonl('tldr.jsonl', parseTLDRPost)) examples.push(tldrToSFT(post));
 * ```
 */
export function parseTLDRPost(value: unknown, where: RecordLocation): TLDRPost {
  const record = objectOf(value, where, '{"subreddit", "title", "post", "summary"?}');
  const post: TLDRPost = { subreddit: stringField(record, 'subreddit', where), title: stringField(record, 'title', where), post: stringField(record, 'post', where) };
  if (record.summary !== undefined) post.summary = stringField(record, 'summary', where);
  return post;
}

/**
 * The query format of Stiennon et al. 2020 (§3.2 and OpenAI's `summarize-from-feedback` code):
 *
 *     SUBREDDIT: r/{subreddit}
 *     TITLE: {title}
 *     POST: {post}
 *     TL;DR:
 *
 * The post is trimmed of surrounding whitespace; a leading `r/` in `subreddit` is not repeated.
 *
 * @example
 * ```ts
 * tldrPrompt({ subreddit: 'cooking', title: 'Burnt rice', post: 'I left the pot on.' });
 * // 'SUBREDDIT: r/cooking\nTITLE: Burnt rice\nPOST: I left the pot on.\nTL;DR:'
 * ```
 */
export function tldrPrompt(post: TLDRPost): string {
  const subreddit = post.subreddit.replace(/^\/?r\//, '');
  return `SUBREDDIT: r/${subreddit}\nTITLE: ${post.title.trim()}\nPOST: ${post.post.trim()}\nTL;DR:`;
}

/**
 * A TL;DR post as an SFT record: the prompt of {@link tldrPrompt} and the completion
 * `" " + summary` (the reference summary follows "TL;DR:" after one space, as in the paper's data).
 *
 * @example
 * ```ts
 * tldrToSFT({ subreddit: 'cooking', title: 'Burnt rice', post: 'I left the pot on.', summary: 'watch the stove' });
 * // { prompt: 'SUBREDDIT: r/cooking\nTITLE: Burnt rice\nPOST: I left the pot on.\nTL;DR:', completion: ' watch the stove' }
 * ```
 */
export function tldrToSFT(post: TLDRPost): SFTRecord {
  if (post.summary === undefined || post.summary.trim().length === 0) {
    throw new TypeError(`tldrToSFT: post.summary must be a non-empty string (the reference TL;DR), got ${describe(post.summary)}`);
  }
  return { prompt: tldrPrompt(post), completion: ` ${post.summary.trim()}` };
}

/** Options of {@link encodeSFT}. */
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
 * const prompts = records.map((record) => encodePrompt(record, tokenizer));
 * ```
 */
export function encodePrompt(record: PromptRecord, tokenizer: Tokenizer): number[] {
  const ids = tokenizer.encode(record.prompt);
  if (ids.length === 0) throw new RangeError(`encodePrompt: the prompt ${describe(record.prompt)} encodes to no tokens`);
  return ids;
}
