// Hugging Face GPT-2 checkpoints: the mapping between this package's parameters and the tensors of a
// `GPT2LMHeadModel` `model.safetensors`, and loading/saving a checkpoint directory (`config.json`,
// `model.safetensors`, tokenizer files). Names match already; the one difference is the layout of
// the four projections, which Hugging Face keeps in OpenAI's `Conv1D` modules as (in, out), the
// transpose of `nn.Linear`'s (out, in). They are transposed once here, on load and on save.

import { noGrad, transpose, zeros, type Backend, type Tensor } from '@attune/tensor';
import { loadFile, saveSafetensorsAsync } from '@attune/nn';
import { fromHuggingFaceConfig, toHuggingFaceConfig, type HuggingFaceGPT2Config } from './config.js';
import { GPT } from './model.js';
import { loadTokenizer, type Tokenizer } from './tokenizer.js';

/** Parameter names whose Hugging Face tensor is the transpose of ours (Conv1D weights, (in, out)). */
const CONV1D_WEIGHT = /^transformer\.h\.\d+\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$/;
/** Causal-mask buffers older GPT-2 checkpoints store (`attn.bias`, `attn.masked_bias`); not weights. */
const MASK_BUFFER = /^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/;

/**
 * Whether the Hugging Face tensor called `name` (with the `transformer.` prefix) is a Conv1D weight
 * stored (in, out), i.e. the transpose of this package's Linear weight.
 *
 * @example
 * ```ts
 * isConv1DWeight('transformer.h.0.attn.c_attn.weight'); // true
 * isConv1DWeight('transformer.wte.weight'); // false
 * ```
 */
export function isConv1DWeight(name: string): boolean {
  return CONV1D_WEIGHT.test(name);
}

/**
 * The model's parameters as Hugging Face `GPT2LMHeadModel` saves them: the same names, Conv1D
 * weights transposed to (in, out), no `lm_head.weight` (tied to `transformer.wte.weight`, which
 * `save_pretrained` writes once). A model without biases gets zero biases, since GPT-2 always has
 * them. Returns new tensors, owned by the caller.
 *
 * @example
 * ```ts
 * import { dispose } from '@attune/tensor';
 * import { saveFile } from '@attune/nn';
 * const model = new GPT(gptConfig('test'));
 * const tensors = toHuggingFaceStateDict(model);
 * await saveFile('model.safetensors', tensors, { format: 'pt' });
 * dispose(Object.values(tensors));
 * ```
 */
export function toHuggingFaceStateDict(model: GPT): Record<string, Tensor> {
  return noGrad(() => {
    const out: Record<string, Tensor> = {};
    const own = new Map(model.namedParameters());
    const backend = model.lmHeadWeight.backend;
    for (const name of huggingFaceKeys(model)) {
      const p = own.get(name);
      if (!p) {
        // A bias-free model: GPT-2 always has the bias, so write the zeros that compute the same.
        out[name] = zeros([biasSize(model, name)], { backend });
      } else {
        out[name] = isConv1DWeight(name) ? transpose(p, 0, 1) : p.clone();
      }
    }
    return out;
  });
}

/** Every tensor name of a Hugging Face GPT-2 checkpoint for this model's config, in module order. */
function huggingFaceKeys(model: GPT): string[] {
  const keys = ['transformer.wte.weight', 'transformer.wpe.weight'];
  for (let i = 0; i < model.config.nLayer; i++) {
    const h = `transformer.h.${i}`;
    for (const m of ['ln_1', 'attn.c_attn', 'attn.c_proj', 'ln_2', 'mlp.c_fc', 'mlp.c_proj']) keys.push(`${h}.${m}.weight`, `${h}.${m}.bias`);
  }
  keys.push('transformer.ln_f.weight', 'transformer.ln_f.bias');
  return keys;
}

function biasSize(model: GPT, name: string): number {
  const C = model.config.nEmbd;
  if (name.endsWith('attn.c_attn.bias')) return 3 * C;
  if (name.endsWith('mlp.c_fc.bias')) return 4 * C;
  return C;
}

/**
 * Options of `loadHuggingFaceStateDict`.
 *
 * @example
 * ```ts
 * const source = toHuggingFaceStateDict(new GPT(gptConfig('test')));
 * const options: LoadHuggingFaceOptions = { strict: true };
 * loadHuggingFaceStateDict(new GPT(gptConfig('test')), source, options);
 * ```
 */
export interface LoadHuggingFaceOptions {
  /** Require every parameter and no unknown tensor (default true); the mask buffers and a tied `lm_head.weight` are always accepted. */
  strict?: boolean;
}

/**
 * Copies Hugging Face GPT-2 tensors into `model`: names with or without the `transformer.` prefix
 * (the hub's `gpt2` files have none; `save_pretrained` of an LM-head model writes it), Conv1D
 * weights transposed from (in, out), the causal-mask buffers skipped, and `lm_head.weight` ignored
 * because the head is tied to `wte`. Errors name every missing or unexpected key and shape
 * mismatch. The caller keeps ownership of `tensors`.
 *
 * @example
 * ```ts
 * import { dispose } from '@attune/tensor';
 * import { loadFile, saveFile } from '@attune/nn';
 * await saveFile('model.safetensors', toHuggingFaceStateDict(new GPT(gptConfig('test')))); // or GPT-2's model.safetensors
 * const model = new GPT(gptConfig('test'));
 * const { tensors } = await loadFile('model.safetensors');
 * loadHuggingFaceStateDict(model, tensors);
 * dispose(Object.values(tensors));
 * ```
 */
export function loadHuggingFaceStateDict(model: GPT, tensors: Record<string, Tensor>, options: LoadHuggingFaceOptions = {}): void {
  if (!model.config.bias) {
    throw new RangeError('loadHuggingFaceStateDict: GPT-2 checkpoints carry biases, so the model needs config.bias = true (loadPretrained builds it that way)');
  }
  const strict = options.strict ?? true;
  const ours = new Map<string, Tensor>();
  const created: Tensor[] = [];
  const unexpected: string[] = [];
  try {
    noGrad(() => {
      for (const [rawName, value] of Object.entries(tensors)) {
        if (rawName === 'lm_head.weight') continue; // tied to transformer.wte.weight
        const name = rawName.startsWith('transformer.') ? rawName : `transformer.${rawName}`;
        if (MASK_BUFFER.test(name)) continue;
        if (!/^transformer\.(wte|wpe|h\.\d+|ln_f)\./.test(name)) {
          unexpected.push(rawName);
          continue;
        }
        if (isConv1DWeight(name)) {
          if (value.ndim !== 2) throw new RangeError(`loadHuggingFaceStateDict: '${rawName}' must be 2-D (in, out), got [${value.shape.join(', ')}]`);
          const t = transpose(value, 0, 1); // (in, out) → (out, in)
          created.push(t);
          ours.set(name, t);
        } else {
          ours.set(name, value);
        }
      }
    });
    if (strict && unexpected.length > 0) {
      throw new Error(`loadHuggingFaceStateDict: unexpected tensor(s) ${unexpected.map((k) => `"${k}"`).join(', ')} (not part of GPT2LMHeadModel)`);
    }
    model.loadStateDict(ours, { strict });
  } finally {
    for (const t of created) t.dispose();
  }
}

/**
 * Options of `loadPretrained`.
 *
 * @example
 * ```ts
 * await savePretrained(new GPT(gptConfig('test')), 'runs/sft/final');
 * const options: LoadPretrainedOptions = { dropout: 0, strict: true };
 * await loadPretrained('runs/sft/final', options);
 * ```
 */
export interface LoadPretrainedOptions extends LoadHuggingFaceOptions {
  /** Backend for the parameters; defaults to the active backend. */
  backend?: Backend;
  /** Overrides config.json's dropout (e.g. 0 for inference or PPO). */
  dropout?: number;
}

/**
 * A model loaded from a checkpoint directory, with its tokenizer when the directory has one.
 *
 * @example
 * ```ts
 * await savePretrained(new GPT(gptConfig('test')), 'runs/gpt');
 * const { model, tokenizer, huggingFaceConfig }: Pretrained = await loadPretrained('runs/gpt');
 * ```
 */
export interface Pretrained {
  model: GPT;
  /** The tokenizer from `tokenizer.json`, `vocab.json` + `merges.txt` or `attune_tokenizer.json`; null if none. */
  tokenizer: Tokenizer | null;
  /** The directory's `config.json` as read. */
  huggingFaceConfig: HuggingFaceGPT2Config;
}

/**
 * Loads a Hugging Face GPT-2 directory: `config.json` (GPT2Config), `model.safetensors` (F32, F16 or
 * BF16 tensors, converted to float32) and the tokenizer files if present. Works with a downloaded
 * `gpt2` (`huggingface-cli download gpt2 --include "*.json" "*.safetensors" "merges.txt"
 * --local-dir gpt2`) and with directories written by `savePretrained` or `save_pretrained`.
 *
 * @example
 * ```ts
 * await savePretrained(new GPT(gptConfig('test')), 'gpt2-test'); // or a downloaded GPT-2 directory
 * const { model, tokenizer } = await loadPretrained('gpt2-test');
 * model.eval();
 * ```
 */
export async function loadPretrained(directory: string, options: LoadPretrainedOptions = {}): Promise<Pretrained> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const configPath = join(directory, 'config.json');
  let huggingFaceConfig: HuggingFaceGPT2Config;
  try {
    huggingFaceConfig = JSON.parse(await readFile(configPath, 'utf8')) as HuggingFaceGPT2Config;
  } catch (error) {
    throw new Error(`loadPretrained: cannot read ${configPath}: ${(error as Error).message}`, { cause: error });
  }
  const config = fromHuggingFaceConfig(huggingFaceConfig, { dropout: options.dropout });
  const model = new GPT(config, { backend: options.backend });
  const weightsPath = join(directory, 'model.safetensors');
  const { tensors } = await loadFile(weightsPath, { backend: options.backend });
  try {
    loadHuggingFaceStateDict(model, tensors, options);
  } catch (error) {
    model.dispose();
    throw new Error(`loadPretrained: ${weightsPath}: ${(error as Error).message}`, { cause: error });
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
  const tokenizer = await loadTokenizer(directory);
  return { model, tokenizer, huggingFaceConfig };
}

/**
 * Options of `savePretrained`.
 *
 * @example
 * ```ts
 * const tokenizer = new ByteTokenizer();
 * const options: SavePretrainedOptions = { tokenizer, extraFiles: { 'training_args.json': { lr: 3e-4 } } };
 * await savePretrained(new GPT(gptConfig('test', { vocabSize: tokenizer.vocabSize })), 'runs/gpt', options);
 * ```
 */
export interface SavePretrainedOptions {
  /** Tokenizer whose files are written alongside (and whose EOS id goes into config.json). */
  tokenizer?: Tokenizer | null;
  /** Extra JSON files to write, e.g. `{ 'trainer_state.json': { step } }`. */
  extraFiles?: Record<string, unknown>;
}

/**
 * Writes a checkpoint directory that Hugging Face's `GPT2LMHeadModel.from_pretrained(directory)`
 * loads: `config.json`, `model.safetensors` (F32, metadata `{"format": "pt"}`, which transformers
 * requires) and the tokenizer's files. Everything is written to a temporary sibling directory that
 * is then renamed over `directory`, so a crash never leaves half a checkpoint.
 *
 * @example
 * ```ts
 * const tokenizer = new ByteTokenizer();
 * const model = new GPT(gptConfig('test', { vocabSize: tokenizer.vocabSize }));
 * await savePretrained(model, 'runs/brown/checkpoint', { tokenizer });
 * ```
 */
export async function savePretrained(model: GPT, directory: string, options: SavePretrainedOptions = {}): Promise<void> {
  const { mkdir, rename, rm, writeFile } = await import('node:fs/promises');
  const { dirname, basename, join } = await import('node:path');
  const tokenizer = options.tokenizer ?? null;
  const eos = tokenizer?.eosTokenId ?? undefined;
  const files: Record<string, string | Uint8Array> = {
    'config.json': JSON.stringify(toHuggingFaceConfig(model.config, { bosTokenId: eos, eosTokenId: eos }), null, 2) + '\n',
  };
  const tensors = toHuggingFaceStateDict(model);
  try {
    files['model.safetensors'] = await saveSafetensorsAsync(tensors, { format: 'pt' });
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
  if (tokenizer) Object.assign(files, tokenizer.files());
  for (const [name, value] of Object.entries(options.extraFiles ?? {})) files[name] = JSON.stringify(value, null, 2) + '\n';

  const parent = dirname(directory);
  await mkdir(parent, { recursive: true });
  const temporary = join(parent, `.${basename(directory)}.tmp-${process.pid}`);
  const previous = join(parent, `.${basename(directory)}.old-${process.pid}`);
  await rm(temporary, { recursive: true, force: true });
  try {
    await mkdir(temporary);
    for (const [name, contents] of Object.entries(files)) await writeFile(join(temporary, name), contents);
    let hadPrevious = true;
    try {
      await rename(directory, previous);
    } catch {
      hadPrevious = false;
    }
    await rename(temporary, directory);
    if (hadPrevious) await rm(previous, { recursive: true, force: true });
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

