// The GPT configuration: a typed object with GPT-2's defaults, the four released GPT-2 sizes and
// tiny presets for tests, validation that names the offending field, and the mapping to and from
// Hugging Face's GPT2Config (`config.json`).

/**
 * Hyper-parameters of a GPT-2-style decoder (nanoGPT's `GPTConfig`, with Hugging Face's names alongside).
 *
 * @example
 * ```ts
 * const config: GPTConfig = gptConfig('tiny', { dropout: 0.1 });
 * config.nEmbd / config.nHead; // 32, the head size
 * ```
 */
export interface GPTConfig {
  /** Number of transformer blocks (HF `n_layer`). */
  nLayer: number;
  /** Attention heads per block; must divide `nEmbd` (HF `n_head`). */
  nHead: number;
  /** Width C of the residual stream (HF `n_embd`). */
  nEmbd: number;
  /** Longest sequence, the number of learned positions (HF `n_positions`). */
  blockSize: number;
  /** Number of token ids (HF `vocab_size`; GPT-2's BPE has 50257). */
  vocabSize: number;
  /** Dropout on embeddings, attention weights and residual branches while training (HF's `*_pdrop`; 0 for pre-training small models, 0.1 in GPT-2). */
  dropout: number;
  /** Biases in Linear and LayerNorm layers (GPT-2: true; nanoGPT's `bias=False` is slightly better and faster). */
  bias: boolean;
  /** LayerNorm epsilon (HF `layer_norm_epsilon`, 1e-5). */
  layerNormEpsilon: number;
  /** Std of the normal init of weights (HF `initializer_range`, 0.02, Radford et al. 2019). */
  initializerRange: number;
}

/**
 * Names of the built-in presets.
 *
 * @example
 * ```ts
 * const preset: GPTPreset = 'tiny';
 * gptConfig(preset).nLayer; // 4
 * ```
 */
export type GPTPreset = 'gpt2' | 'gpt2-medium' | 'gpt2-large' | 'gpt2-xl' | 'tiny' | 'test';

const GPT2_DEFAULTS = {
  blockSize: 1024,
  vocabSize: 50257,
  dropout: 0,
  bias: true,
  layerNormEpsilon: 1e-5,
  initializerRange: 0.02,
} as const;

/**
 * The GPT-2 sizes (Radford et al. 2019, Table 2: 124M, 355M, 774M, 1.5B parameters; Hugging Face's
 * `gpt2`, `gpt2-medium`, `gpt2-large`, `gpt2-xl`) and two tiny ones: `tiny` (4 layers, 4 heads,
 * 128 wide, byte vocabulary 256, T = 128: the throughput benchmark's model) and `test` (2 layers,
 * 2 heads, 16 wide, vocab 37, T = 16: for unit tests).
 *
 * @example
 * ```ts
 * GPT_PRESETS['gpt2'].nLayer; // 12
 * ```
 */
export const GPT_PRESETS: Readonly<Record<GPTPreset, Readonly<GPTConfig>>> = Object.freeze({
  gpt2: Object.freeze({ ...GPT2_DEFAULTS, nLayer: 12, nHead: 12, nEmbd: 768 }),
  'gpt2-medium': Object.freeze({ ...GPT2_DEFAULTS, nLayer: 24, nHead: 16, nEmbd: 1024 }),
  'gpt2-large': Object.freeze({ ...GPT2_DEFAULTS, nLayer: 36, nHead: 20, nEmbd: 1280 }),
  'gpt2-xl': Object.freeze({ ...GPT2_DEFAULTS, nLayer: 48, nHead: 25, nEmbd: 1600 }),
  tiny: Object.freeze({ ...GPT2_DEFAULTS, nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 128, vocabSize: 256 }),
  test: Object.freeze({ ...GPT2_DEFAULTS, nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 16, vocabSize: 37 }),
});

/**
 * A validated config: a preset (default `gpt2`, 124M) with `overrides` applied. Throws a
 * `RangeError` naming the field for a non-positive size, `nEmbd` not divisible by `nHead`, or a
 * dropout outside [0, 1).
 *
 * @example
 * ```ts
 * const config = gptConfig('tiny', { dropout: 0.1 });
 * const custom = gptConfig({ nLayer: 6, nHead: 6, nEmbd: 384, blockSize: 256, vocabSize: 65 });
 * ```
 */
export function gptConfig(preset: GPTPreset | Partial<GPTConfig> = 'gpt2', overrides: Partial<GPTConfig> = {}): GPTConfig {
  let base: Partial<GPTConfig>;
  if (typeof preset === 'string') {
    if (!Object.hasOwn(GPT_PRESETS, preset)) {
      throw new RangeError(`gptConfig: unknown preset '${preset}' (known: ${Object.keys(GPT_PRESETS).join(', ')})`);
    }
    base = GPT_PRESETS[preset];
  } else {
    base = { ...GPT2_DEFAULTS, ...preset };
  }
  const config = { ...base, ...definedOnly(overrides) } as GPTConfig;
  validateConfig(config);
  return config;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Checks every field of `config`, throwing a `RangeError` that names the first bad one.
 *
 * @example
 * ```ts
 * validateConfig({ ...GPT_PRESETS.tiny }); // ok
 * try {
 *   validateConfig({ ...GPT_PRESETS.tiny, nHead: 3 });
 * } catch (error) {
 *   console.log((error as Error).message); // GPTConfig.nEmbd (128) must be divisible by nHead (3)
 * }
 * ```
 */
export function validateConfig(config: GPTConfig): void {
  for (const field of ['nLayer', 'nHead', 'nEmbd', 'blockSize', 'vocabSize'] as const) {
    const value = config[field];
    if (!Number.isInteger(value) || value <= 0) throw new RangeError(`GPTConfig.${field} must be a positive integer, got ${String(value)}`);
  }
  if (config.nEmbd % config.nHead !== 0) {
    throw new RangeError(`GPTConfig.nEmbd (${config.nEmbd}) must be divisible by nHead (${config.nHead})`);
  }
  if (!(config.dropout >= 0 && config.dropout < 1)) throw new RangeError(`GPTConfig.dropout must be in [0, 1), got ${String(config.dropout)}`);
  if (typeof config.bias !== 'boolean') throw new RangeError(`GPTConfig.bias must be a boolean, got ${String(config.bias)}`);
  if (!(config.layerNormEpsilon > 0)) throw new RangeError(`GPTConfig.layerNormEpsilon must be positive, got ${String(config.layerNormEpsilon)}`);
  if (!(config.initializerRange > 0)) throw new RangeError(`GPTConfig.initializerRange must be positive, got ${String(config.initializerRange)}`);
}

/**
 * The subset of Hugging Face's `GPT2Config` (`config.json`) that this package reads and writes.
 *
 * @example
 * ```ts
 * const hf: HuggingFaceGPT2Config = toHuggingFaceConfig(gptConfig('test'));
 * hf.n_embd; // 16
 * fromHuggingFaceConfig(hf).nEmbd; // 16
 * ```
 */
export interface HuggingFaceGPT2Config {
  model_type?: string;
  architectures?: string[];
  n_layer: number;
  n_head: number;
  n_embd: number;
  n_positions: number;
  n_ctx?: number;
  vocab_size: number;
  n_inner?: number | null;
  activation_function?: string;
  resid_pdrop?: number;
  embd_pdrop?: number;
  attn_pdrop?: number;
  layer_norm_epsilon?: number;
  initializer_range?: number;
  scale_attn_weights?: boolean;
  scale_attn_by_inverse_layer_idx?: boolean;
  tie_word_embeddings?: boolean;
  bos_token_id?: number;
  eos_token_id?: number;
  [key: string]: unknown;
}

/** Activations Hugging Face implements as GELU with the tanh approximation. */
const TANH_GELUS = new Set(['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast']);

/**
 * Reads a Hugging Face `config.json` object of a GPT-2 model. Rejects what this decoder does not
 * compute (another activation, `n_inner` ≠ 4·n_embd, unscaled or layer-scaled attention, untied
 * embeddings), naming the field. HF's three dropouts must agree (they become one `dropout`).
 *
 * @example
 * ```ts
 * import { readFile, writeFile } from 'node:fs/promises';
 * await writeFile('config.json', JSON.stringify(toHuggingFaceConfig(gptConfig('test')))); // or GPT-2's config.json
 * const config = fromHuggingFaceConfig(JSON.parse(await readFile('config.json', 'utf8')));
 * ```
 */
export function fromHuggingFaceConfig(hf: HuggingFaceGPT2Config, options: { dropout?: number } = {}): GPTConfig {
  const where = 'config.json';
  if (hf.model_type !== undefined && hf.model_type !== 'gpt2') throw new RangeError(`${where}: model_type must be 'gpt2', got '${hf.model_type}'`);
  for (const field of ['n_layer', 'n_head', 'n_embd', 'n_positions', 'vocab_size'] as const) {
    if (typeof hf[field] !== 'number') throw new RangeError(`${where}: ${field} must be a number, got ${JSON.stringify(hf[field])}`);
  }
  const activation = hf.activation_function ?? 'gelu_new';
  if (!TANH_GELUS.has(activation)) throw new RangeError(`${where}: activation_function '${activation}' is not supported (GPT-2 uses 'gelu_new', GELU with the tanh approximation)`);
  if (hf.n_inner != null && hf.n_inner !== 4 * hf.n_embd) throw new RangeError(`${where}: n_inner must be null or 4·n_embd (${4 * hf.n_embd}), got ${hf.n_inner}`);
  if (hf.scale_attn_weights === false) throw new RangeError(`${where}: scale_attn_weights false is not supported`);
  if (hf.scale_attn_by_inverse_layer_idx === true) throw new RangeError(`${where}: scale_attn_by_inverse_layer_idx true is not supported`);
  if (hf.tie_word_embeddings === false) throw new RangeError(`${where}: tie_word_embeddings false is not supported (the LM head is the token embedding)`);
  const pdrops = [hf.resid_pdrop, hf.embd_pdrop, hf.attn_pdrop].filter((p): p is number => typeof p === 'number');
  let dropout = options.dropout;
  if (dropout === undefined) {
    if (pdrops.some((p) => p !== pdrops[0])) {
      throw new RangeError(`${where}: resid_pdrop, embd_pdrop and attn_pdrop differ (${pdrops.join(', ')}); pass options.dropout to choose one`);
    }
    dropout = pdrops[0] ?? 0;
  }
  return gptConfig({
    nLayer: hf.n_layer,
    nHead: hf.n_head,
    nEmbd: hf.n_embd,
    blockSize: hf.n_positions,
    vocabSize: hf.vocab_size,
    dropout,
    bias: true,
    layerNormEpsilon: hf.layer_norm_epsilon ?? 1e-5,
    initializerRange: hf.initializer_range ?? 0.02,
  });
}

/**
 * The Hugging Face `config.json` object for `config`, loadable by `GPT2LMHeadModel.from_pretrained`.
 * `bosTokenId`/`eosTokenId` default to GPT-2's 50256 when the vocabulary is GPT-2's, else to the
 * last id.
 *
 * @example
 * ```ts
 * import { mkdir, writeFile } from 'node:fs/promises';
 * const model = new GPT(gptConfig('test'));
 * await mkdir('out', { recursive: true });
 * await writeFile('out/config.json', JSON.stringify(toHuggingFaceConfig(model.config), null, 2));
 * ```
 */
export function toHuggingFaceConfig(config: GPTConfig, options: { bosTokenId?: number; eosTokenId?: number } = {}): HuggingFaceGPT2Config {
  validateConfig(config);
  const defaultEos = config.vocabSize - 1;
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    activation_function: 'gelu_new',
    n_layer: config.nLayer,
    n_head: config.nHead,
    n_embd: config.nEmbd,
    n_positions: config.blockSize,
    n_ctx: config.blockSize,
    n_inner: null,
    vocab_size: config.vocabSize,
    resid_pdrop: config.dropout,
    embd_pdrop: config.dropout,
    attn_pdrop: config.dropout,
    layer_norm_epsilon: config.layerNormEpsilon,
    initializer_range: config.initializerRange,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    tie_word_embeddings: true,
    bos_token_id: options.bosTokenId ?? defaultEos,
    eos_token_id: options.eosTokenId ?? defaultEos,
    torch_dtype: 'float32',
  };
}
