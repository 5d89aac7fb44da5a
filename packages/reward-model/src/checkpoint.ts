// Reward-model checkpoint directories in Hugging Face's GPT2ForSequenceClassification layout:
// `model.safetensors` with `transformer.*` (Conv1D weights transposed to (in, out), as
// @attune/transformer's toHuggingFaceStateDict writes them) plus `score.weight` (1, C) and
// `score.bias` (1), and `config.json` (GPT2Config with num_labels 1, plus `attune_reward_model`
// holding the normalisation gain and bias). Written atomically: a temporary sibling directory renamed
// into place. Also the start of reward modelling: a reward model from an SFT checkpoint directory.

import { noGrad, tensor, type Backend, type Tensor } from '@attune/tensor';
import { loadFile, saveSafetensorsAsync } from '@attune/nn';
import { fromHuggingFaceConfig, loadHuggingFaceStateDict, loadPretrained, toHuggingFaceConfig, toHuggingFaceStateDict, type HuggingFaceGPT2Config, type Tokenizer } from '@attune/transformer';
import { RewardModel, type RewardModelOptions } from './model.js';

/**
 * Options of {@link saveRewardModel}.
 *
 * @example
 * ```ts
 * import { ByteTokenizer, gptConfig } from '@attune/transformer';
 * const tokenizer = new ByteTokenizer({ eos: true });
 * const rm = new RewardModel(gptConfig('test', { vocabSize: tokenizer.vocabSize }));
 * const options: SaveRewardModelOptions = { tokenizer };
 * await saveRewardModel('runs/rm/final', rm, options);
 * ```
 */
export interface SaveRewardModelOptions {
  /** Tokenizer whose files are written alongside (its EOS/pad ids go into config.json). */
  tokenizer?: Tokenizer | null;
}

/**
 * What `config.json` of a reward-model directory holds besides the GPT-2 fields.
 *
 * @example
 * ```ts
 * const extra: RewardModelConfigExtra = { gain: 0.5, bias: -0.1, scoreBias: true };
 * ```
 */
export interface RewardModelConfigExtra {
  /** Normalisation gain: r = gain·raw + bias. */
  gain: number;
  /** Normalisation bias. */
  bias: number;
  /** Whether `score.bias` is saved (Hugging Face's head has none and ignores it: its raw score is then off by that constant). */
  scoreBias: boolean;
}

/**
 * Writes `model` as the directory `dir`, atomically (temporary sibling, then rename): `config.json`
 * (GPT-2 config, `architectures: ['GPT2ForSequenceClassification']`, `num_labels: 1`, and
 * `attune_reward_model: {gain, bias, scoreBias}`), `model.safetensors` (HF names and layout,
 * `{"format": "pt"}`), and the tokenizer's files. `transformers`' GPT2ForSequenceClassification loads
 * it (warning that `score.bias` is unused) and reads the pad id from config.json to find the last token.
 *
 * @example
 * ```ts
 * import { ByteTokenizer, gptConfig } from '@attune/transformer';
 * const tokenizer = new ByteTokenizer({ eos: true });
 * const rm = new RewardModel(gptConfig('test', { vocabSize: tokenizer.vocabSize }));
 * await saveRewardModel('runs/rm/final', rm, { tokenizer });
 * const again = await loadRewardModel('runs/rm/final');
 * ```
 */
export async function saveRewardModel(dir: string, model: RewardModel, options: SaveRewardModelOptions = {}): Promise<void> {
  if (!(model instanceof RewardModel)) throw new TypeError(`saveRewardModel: model must be a RewardModel, got ${typeof model}`);
  const { mkdir, rename, rm, writeFile } = await import('node:fs/promises');
  const { dirname, basename, join } = await import('node:path');
  const tokenizer = options.tokenizer ?? null;
  const eos = tokenizer?.eosTokenId ?? undefined;
  const extra: RewardModelConfigExtra = { gain: model.gain, bias: model.bias, scoreBias: model.score.bias !== null };
  const config = {
    ...toHuggingFaceConfig(model.config, { bosTokenId: eos, eosTokenId: eos }),
    architectures: ['GPT2ForSequenceClassification'],
    num_labels: 1,
    id2label: { 0: 'LABEL_0' },
    label2id: { LABEL_0: 0 },
    pad_token_id: tokenizer?.padTokenId ?? eos ?? model.config.vocabSize - 1,
    attune_reward_model: extra,
  };
  const files: Record<string, string | Uint8Array> = { 'config.json': JSON.stringify(config, null, 2) + '\n' };
  const tensors = toHuggingFaceStateDict(model.gpt); // transformer.*, Conv1D layout
  try {
    noGrad(() => {
      tensors['score.weight'] = model.score.weight.clone(); // (1, C), HF's score layout
      if (model.score.bias) tensors['score.bias'] = model.score.bias.clone();
    });
    files['model.safetensors'] = await saveSafetensorsAsync(tensors, { format: 'pt' });
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
  if (tokenizer) Object.assign(files, tokenizer.files());

  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const temporary = join(parent, `.${basename(dir)}.tmp-${process.pid}`);
  const previous = join(parent, `.${basename(dir)}.old-${process.pid}`);
  await rm(temporary, { recursive: true, force: true });
  try {
    await mkdir(temporary);
    for (const [name, contents] of Object.entries(files)) await writeFile(join(temporary, name), contents);
    const hadPrevious = await rename(dir, previous).then(() => true, () => false);
    await rename(temporary, dir);
    if (hadPrevious) await rm(previous, { recursive: true, force: true });
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Options of {@link loadRewardModel} and {@link rewardModelFromPretrained}.
 *
 * @example
 * ```ts
 * const options: LoadRewardModelOptions = { dropout: 0 };
 * ```
 */
export interface LoadRewardModelOptions {
  /** Backend for the parameters; defaults to the active backend. */
  backend?: Backend;
  /** Overrides config.json's dropout (e.g. 0 for scoring during PPO). */
  dropout?: number;
}

/**
 * Loads a reward-model directory written by {@link saveRewardModel} (or by `transformers`'
 * GPT2ForSequenceClassification.save_pretrained with one label: no `score.bias` means bias 0, no
 * `attune_reward_model` means gain 1, bias 0). Errors name the file.
 *
 * @example
 * ```ts
 * import { gptConfig } from '@attune/transformer';
 * await saveRewardModel('runs/rm/final', new RewardModel(gptConfig('test')));
 * const rm = await loadRewardModel('runs/rm/final', { dropout: 0 });
 * rm.eval();
 * ```
 */
export async function loadRewardModel(dir: string, options: LoadRewardModelOptions = {}): Promise<RewardModel> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const configPath = join(dir, 'config.json');
  let hf: HuggingFaceGPT2Config & { attune_reward_model?: Partial<RewardModelConfigExtra> };
  try {
    hf = JSON.parse(await readFile(configPath, 'utf8'));
  } catch (error) {
    throw new Error(`loadRewardModel: cannot read ${configPath}: ${(error as Error).message}`, { cause: error });
  }
  const extra = hf.attune_reward_model ?? {};
  for (const field of ['gain', 'bias'] as const) {
    if (extra[field] !== undefined && !(typeof extra[field] === 'number' && Number.isFinite(extra[field]))) {
      throw new RangeError(`loadRewardModel: ${configPath}: attune_reward_model.${field} must be a finite number, got ${JSON.stringify(extra[field])}`);
    }
  }
  const model = new RewardModel(fromHuggingFaceConfig(hf, { dropout: options.dropout }), { backend: options.backend });
  const weightsPath = join(dir, 'model.safetensors');
  let tensors: Record<string, Tensor> = {};
  try {
    tensors = (await loadFile(weightsPath, { backend: options.backend })).tensors;
    const { 'score.weight': weight, 'score.bias': bias, ...trunk } = tensors;
    if (!weight) throw new Error(`no 'score.weight' tensor: this is not a reward model (an SFT checkpoint? use rewardModelFromPretrained)`);
    loadHuggingFaceStateDict(model.gpt, trunk);
    const head: Record<string, Tensor> = { weight };
    if (model.score.bias) head.bias = bias ?? tensor([0], { backend: weight.backend });
    model.score.loadStateDict(head);
    if (model.score.bias && !bias) head.bias.dispose();
  } catch (error) {
    model.dispose();
    throw new Error(`loadRewardModel: ${weightsPath}: ${(error as Error).message}`, { cause: error });
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
  model.gain = extra.gain ?? 1;
  model.bias = extra.bias ?? 0;
  return model;
}

/**
 * A reward model whose trunk is loaded from an SFT checkpoint directory (written by
 * `savePretrained`, or any Hugging Face GPT-2 directory) and whose head is fresh
 * (N(0, 1/(C + 1)) by default); the tokenizer found there is returned with it.
 *
 * @example
 * ```ts
 * import { Generator } from '@attune/tensor';
 * import { ByteTokenizer, GPT, gptConfig, savePretrained } from '@attune/transformer';
 * const tokenizer = new ByteTokenizer({ eos: true });
 * await savePretrained(new GPT(gptConfig('test', { vocabSize: tokenizer.vocabSize })), 'runs/sft/final', { tokenizer });
 * const { model: rm } = await rewardModelFromPretrained('runs/sft/final', { generator: new Generator(0) });
 * ```
 */
export async function rewardModelFromPretrained(dir: string, options: LoadRewardModelOptions & RewardModelOptions = {}): Promise<{ model: RewardModel; tokenizer: Tokenizer | null }> {
  const { model: gpt, tokenizer } = await loadPretrained(dir, { backend: options.backend, dropout: options.dropout });
  try {
    return { model: RewardModel.fromGPT(gpt, options), tokenizer };
  } finally {
    gpt.dispose();
  }
}

