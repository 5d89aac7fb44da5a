// Tokenizers: GPT-2's byte-level BPE (Radford et al. 2019, §2.2) loaded from Hugging Face's files,
// and a byte tokenizer and a character tokenizer for tiny models. All share one small interface, and
// each knows the files that reproduce it in a checkpoint directory.
//
// The BPE itself runs in `@huggingface/tokenizers` (Hugging Face's own pure-JavaScript port of their
// Rust `tokenizers`, zero dependencies, ~90 kB): it consumes `tokenizer.json` as the Hub ships it,
// has GPT-2's exact pre-tokenization regex and byte-to-unicode table, and is what transformers.js
// uses. `gpt-tokenizer` and `js-tiktoken` were the alternatives: both are fast, but they bundle
// OpenAI's fixed encodings (tiktoken rank files) rather than reading a model's `vocab.json` /
// `merges.txt` / `tokenizer.json`, so a fine-tuned or retrained GPT-2 tokenizer would not load.
// `vocab.json` + `merges.txt` are turned into the equivalent `tokenizer.json` (what Hugging Face's
// GPT2TokenizerFast does on conversion).

import { Tokenizer as HuggingFaceTokenizer } from '@huggingface/tokenizers';

/**
 * GPT-2's end-of-text token, which also separates documents and serves as padding.
 *
 * @example
 * ```ts
 * // not run: needs GPT-2's tokenizer files downloaded into gpt2/
 * const tokenizer = await GPT2Tokenizer.fromDirectory('gpt2');
 * const [a, b] = ['First document.', 'Second document.'];
 * tokenizer.encode(`${a}${GPT2_EOS_TOKEN}${b}`); // one id (50256) between the documents
 * ```
 */
export const GPT2_EOS_TOKEN = '<|endoftext|>';

/**
 * What generation, training and checkpoints need from a tokenizer.
 *
 * @example
 * ```ts
 * const tokenizer: Tokenizer = CharTokenizer.fromText('hello world');
 * tokenizer.decode(tokenizer.encode('hello')); // 'hello'
 * ```
 */
export interface Tokenizer {
  /** Number of token ids (the model's `vocabSize` must be at least this). */
  readonly vocabSize: number;
  /** Id of the end-of-sequence token, or null when the vocabulary has none. */
  readonly eosTokenId: number | null;
  /** Id used to pad batches (GPT-2 has no pad token and pads with EOS); null when none. */
  readonly padTokenId: number | null;
  /** Token ids of `text` (no special tokens added). */
  encode(text: string): number[];
  /** Text of `ids`; special tokens are dropped with `skipSpecialTokens`. */
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  /** File name → contents that reproduce this tokenizer in a checkpoint directory (see `loadTokenizer`). */
  files(): Record<string, string>;
}

/**
 * Options of `GPT2Tokenizer` factories.
 *
 * @example
 * ```ts
 * const vocab = { h: 0, i: 1, hi: 2, '<|endoftext|>': 3 };
 * const options: GPT2TokenizerOptions = { tokenizerConfig: { model_max_length: 1024 } };
 * const tokenizer = GPT2Tokenizer.fromVocabAndMerges(vocab, [['h', 'i']], options);
 * tokenizer.encode('hi'); // [2]
 * ```
 */
export interface GPT2TokenizerOptions {
  /** The `tokenizer_config.json` object, if the directory has one. */
  tokenizerConfig?: Record<string, unknown>;
}

/**
 * GPT-2's byte-level BPE: UTF-8 bytes mapped to printable characters, split by GPT-2's regex, merged
 * by rank. Loads Hugging Face's `tokenizer.json`, or `vocab.json` + `merges.txt`. EOS (and padding)
 * is `<|endoftext|>` (50256 in GPT-2).
 *
 * @example
 * ```ts
 * // not run: needs GPT-2's tokenizer files downloaded into gpt2/
 * const tokenizer = await GPT2Tokenizer.fromDirectory('gpt2');
 * tokenizer.encode('Hello world'); // [15496, 995]
 * tokenizer.decode([15496, 995]); // 'Hello world'
 * ```
 */
export class GPT2Tokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  private readonly inner: HuggingFaceTokenizer;

  private constructor(
    private readonly tokenizerJson: Record<string, unknown>,
    private readonly tokenizerConfig: Record<string, unknown>,
  ) {
    this.inner = new HuggingFaceTokenizer(tokenizerJson, tokenizerConfig);
    const vocab = this.inner.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;
    this.eosTokenId = this.inner.token_to_id(GPT2_EOS_TOKEN) ?? null;
    this.padTokenId = this.eosTokenId;
  }

  /**
   * From a parsed (or string) `tokenizer.json`.
   *
   * @example
   * ```ts
   * const tokenizer = GPT2Tokenizer.fromTokenizerJson(await readFile('gpt2/tokenizer.json', 'utf8'));
   * ```
   */
  static fromTokenizerJson(tokenizerJson: string | Record<string, unknown>, options: GPT2TokenizerOptions = {}): GPT2Tokenizer {
    const json = typeof tokenizerJson === 'string' ? (JSON.parse(tokenizerJson) as Record<string, unknown>) : tokenizerJson;
    const model = json.model as { type?: string } | undefined;
    if (!model || model.type !== 'BPE') throw new RangeError(`GPT2Tokenizer: tokenizer.json must hold a BPE model, got ${JSON.stringify(model?.type)}`);
    return new GPT2Tokenizer(json, { clean_up_tokenization_spaces: false, ...(options.tokenizerConfig ?? {}) });
  }

  /**
   * From `vocab.json` (token → id) and `merges.txt` (one merge `a b` per line, by rank, after an
   * optional `#version` line), as GPT-2 was released. `<|endoftext|>` becomes a special token if
   * the vocabulary has it.
   *
   * @example
   * ```ts
   * const tokenizer = GPT2Tokenizer.fromVocabAndMerges(await readFile('vocab.json', 'utf8'), await readFile('merges.txt', 'utf8'));
   * ```
   */
  static fromVocabAndMerges(vocab: string | Record<string, number>, merges: string | readonly (readonly [string, string])[], options: GPT2TokenizerOptions = {}): GPT2Tokenizer {
    const vocabObject = typeof vocab === 'string' ? (JSON.parse(vocab) as Record<string, number>) : vocab;
    const mergeList = typeof merges === 'string' ? parseMerges(merges) : merges.map(([a, b]) => [a, b] as [string, string]);
    return GPT2Tokenizer.fromTokenizerJson(gpt2TokenizerJson(vocabObject, mergeList), options);
  }

  /**
   * From a directory holding `tokenizer.json` (preferred) or `vocab.json` + `merges.txt`, and
   * optionally `tokenizer_config.json`.
   *
   * @example
   * ```ts
   * const tokenizer = await GPT2Tokenizer.fromDirectory('gpt2');
   * ```
   */
  static async fromDirectory(directory: string): Promise<GPT2Tokenizer> {
    const tokenizer = await loadTokenizer(directory);
    if (!(tokenizer instanceof GPT2Tokenizer)) throw new Error(`GPT2Tokenizer.fromDirectory: ${directory} has no tokenizer.json or vocab.json + merges.txt`);
    return tokenizer;
  }

  encode(text: string): number[] {
    return this.inner.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    return this.inner.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false, clean_up_tokenization_spaces: false });
  }

  /**
   * The token strings of `text` (byte-level, `Ġ` marking a leading space).
   *
   * @example
   * ```ts
   * tokenizer.tokenize('Hello world'); // ['Hello', 'Ġworld']
   * ```
   */
  tokenize(text: string): string[] {
    return this.inner.tokenize(text);
  }

  files(): Record<string, string> {
    return {
      'tokenizer.json': JSON.stringify(this.tokenizerJson),
      'tokenizer_config.json': JSON.stringify({ tokenizer_class: 'GPT2Tokenizer', ...this.tokenizerConfig, eos_token: GPT2_EOS_TOKEN, bos_token: GPT2_EOS_TOKEN, unk_token: GPT2_EOS_TOKEN }, null, 2) + '\n',
    };
  }
}

/** Parses `merges.txt`: `a b` per line, skipping a `#version` header and blank lines. */
function parseMerges(text: string): [string, string][] {
  const out: [string, string][] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line === '' || (index === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2) throw new RangeError(`merges.txt line ${index + 1}: expected two tokens separated by one space, got ${JSON.stringify(line)}`);
    out.push([parts[0], parts[1]]);
  });
  return out;
}

/** The `tokenizer.json` of GPT-2's tokenizer for a vocabulary and merges (Hugging Face's layout). */
function gpt2TokenizerJson(vocab: Record<string, number>, merges: [string, string][]): Record<string, unknown> {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const added = Object.hasOwn(vocab, GPT2_EOS_TOKEN)
    ? [{ id: vocab[GPT2_EOS_TOKEN], content: GPT2_EOS_TOKEN, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }]
    : [];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

/**
 * Options of `ByteTokenizer`.
 *
 * @example
 * ```ts
 * const options: ByteTokenizerOptions = { eos: true };
 * new ByteTokenizer(options).vocabSize; // 257
 * ```
 */
export interface ByteTokenizerOptions {
  /** Add an end-of-text token with id 256 (vocabulary 257); without it the vocabulary is the 256 byte values. */
  eos?: boolean;
}

/**
 * Token = one byte of the UTF-8 encoding: vocabulary 256 (257 with an EOS), nothing to learn, every
 * string encodable. For tiny models such as the `tiny` preset (llm.c's and nanoGPT's character-level
 * runs use the same idea). Decoding replaces an incomplete UTF-8 sequence by U+FFFD.
 *
 * @example
 * ```ts
 * const tokenizer = new ByteTokenizer();
 * tokenizer.encode('hé'); // [104, 195, 169]
 * tokenizer.decode([104, 195, 169]); // 'hé'
 * ```
 */
export class ByteTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(options: ByteTokenizerOptions = {}) {
    const eos = options.eos ?? false;
    this.vocabSize = eos ? 257 : 256;
    this.eosTokenId = eos ? 256 : null;
    this.padTokenId = this.eosTokenId;
  }

  encode(text: string): number[] {
    return Array.from(this.encoder.encode(text));
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    const parts: string[] = [];
    let bytes: number[] = [];
    const flush = () => {
      if (bytes.length > 0) parts.push(this.decoder.decode(Uint8Array.from(bytes)));
      bytes = [];
    };
    for (const id of ids) {
      if (id === this.eosTokenId) {
        flush();
        if (!options.skipSpecialTokens) parts.push(GPT2_EOS_TOKEN);
      } else if (Number.isInteger(id) && id >= 0 && id < 256) {
        bytes.push(id);
      } else {
        throw new RangeError(`ByteTokenizer.decode: id ${id} is outside the vocabulary [0, ${this.vocabSize})`);
      }
    }
    flush();
    return parts.join('');
  }

  files(): Record<string, string> {
    return { 'attune_tokenizer.json': JSON.stringify({ type: 'byte', eos: this.eosTokenId !== null }) + '\n' };
  }
}

/**
 * Token = one Unicode code point of a fixed alphabet (nanoGPT's `shakespeare_char`), built from a
 * corpus with `fromText`; optionally an EOS after the alphabet. Encoding a character outside the
 * alphabet throws, naming it.
 *
 * @example
 * ```ts
 * const tokenizer = CharTokenizer.fromText('hello world');
 * tokenizer.vocabSize; // 8
 * tokenizer.decode(tokenizer.encode('hold')); // 'hold'
 * ```
 */
export class CharTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  /** The alphabet: id → character. */
  readonly alphabet: readonly string[];
  private readonly ids: Map<string, number>;

  constructor(alphabet: readonly string[], options: { eos?: boolean } = {}) {
    if (new Set(alphabet).size !== alphabet.length) throw new RangeError('CharTokenizer: the alphabet repeats a character');
    for (const c of alphabet) if ([...c].length !== 1) throw new RangeError(`CharTokenizer: ${JSON.stringify(c)} is not one character`);
    this.alphabet = Object.freeze([...alphabet]);
    this.ids = new Map(alphabet.map((c, i) => [c, i]));
    this.eosTokenId = options.eos ? alphabet.length : null;
    this.padTokenId = this.eosTokenId;
    this.vocabSize = alphabet.length + (options.eos ? 1 : 0);
  }

  /**
   * The sorted set of characters of `text`.
   *
   * @example
   * ```ts
   * CharTokenizer.fromText(corpus, { eos: true });
   * ```
   */
  static fromText(text: string, options: { eos?: boolean } = {}): CharTokenizer {
    return new CharTokenizer([...new Set(text)].sort(), options);
  }

  encode(text: string): number[] {
    const out: number[] = [];
    for (const c of text) {
      const id = this.ids.get(c);
      if (id === undefined) throw new RangeError(`CharTokenizer.encode: character ${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) is not in the alphabet`);
      out.push(id);
    }
    return out;
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    let out = '';
    for (const id of ids) {
      if (id === this.eosTokenId) {
        if (!options.skipSpecialTokens) out += GPT2_EOS_TOKEN;
      } else if (Number.isInteger(id) && id >= 0 && id < this.alphabet.length) {
        out += this.alphabet[id];
      } else {
        throw new RangeError(`CharTokenizer.decode: id ${id} is outside the vocabulary [0, ${this.vocabSize})`);
      }
    }
    return out;
  }

  files(): Record<string, string> {
    return { 'attune_tokenizer.json': JSON.stringify({ type: 'char', alphabet: this.alphabet, eos: this.eosTokenId !== null }) + '\n' };
  }
}

/**
 * The tokenizer stored in a checkpoint directory: `tokenizer.json`, else `vocab.json` + `merges.txt`
 * (GPT-2 BPE), else `attune_tokenizer.json` (byte or character); null when there is none.
 *
 * @example
 * ```ts
 * const tokenizer = await loadTokenizer('runs/brown/checkpoint');
 * ```
 */
export async function loadTokenizer(directory: string): Promise<Tokenizer | null> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const read = async (name: string): Promise<string | null> => {
    try {
      return await readFile(join(directory, name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  };
  const configText = await read('tokenizer_config.json');
  const tokenizerConfig = configText ? (JSON.parse(configText) as Record<string, unknown>) : undefined;
  const tokenizerJson = await read('tokenizer.json');
  if (tokenizerJson !== null) return GPT2Tokenizer.fromTokenizerJson(tokenizerJson, { tokenizerConfig });
  const vocab = await read('vocab.json');
  const merges = await read('merges.txt');
  if (vocab !== null && merges !== null) return GPT2Tokenizer.fromVocabAndMerges(vocab, merges, { tokenizerConfig });
  const own = await read('attune_tokenizer.json');
  if (own !== null) {
    const spec = JSON.parse(own) as { type: string; alphabet?: string[]; eos?: boolean };
    if (spec.type === 'byte') return new ByteTokenizer({ eos: spec.eos });
    if (spec.type === 'char' && Array.isArray(spec.alphabet)) return new CharTokenizer(spec.alphabet, { eos: spec.eos });
    throw new RangeError(`loadTokenizer: ${join(directory, 'attune_tokenizer.json')} has unknown type ${JSON.stringify(spec.type)}`);
  }
  return null;
}
