// @attune/transformer — GPT-2 on @attune/tensor: the decoder, Hugging Face checkpoints, tokenizers,
// generation, scalar heads and LM training utilities. This file is the package's only public entry:
// everything exported here is a supported API.

export {
  GPT_PRESETS,
  gptConfig,
  validateConfig,
  fromHuggingFaceConfig,
  toHuggingFaceConfig,
  type GPTConfig,
  type GPTPreset,
  type HuggingFaceGPT2Config,
} from './config.js';
export {
  GPT,
  GPT2Body,
  Block,
  BlockList,
  CausalSelfAttention,
  MLP,
  positionIdsFromMask,
  type GPTOptions,
  type ForwardOptions,
  type AttentionContext,
} from './model.js';
export { KVCache } from './kv-cache.js';
export {
  isConv1DWeight,
  toHuggingFaceStateDict,
  loadHuggingFaceStateDict,
  loadPretrained,
  savePretrained,
  type LoadHuggingFaceOptions,
  type LoadPretrainedOptions,
  type Pretrained,
  type SavePretrainedOptions,
} from './checkpoint.js';
export {
  GPT2_EOS_TOKEN,
  GPT2Tokenizer,
  ByteTokenizer,
  CharTokenizer,
  loadTokenizer,
  type Tokenizer,
  type GPT2TokenizerOptions,
  type ByteTokenizerOptions,
} from './tokenizer.js';
export { generate, type GenerateOptions, type GenerateOutput } from './generate.js';
export { ScalarHead, lastTokenIndices, type ScalarHeadOptions } from './heads.js';
export {
  lmLoss,
  sampleBatch,
  packSequences,
  accumulateGradients,
  type LmLossOptions,
  type TokenBatch,
  type PackableSequence,
  type PackedSequences,
} from './training.js';
