// Data: the JSONL records of the RLHF stages (SFT demonstrations, RL prompts, Reddit TL;DR posts),
// their streaming loaders, and the encoders that turn them into token ids.
export {
  parseSFTRecord,
  parsePromptRecord,
  parseTLDRPost,
  tldrPrompt,
  tldrToSFT,
  encodeSFT,
  encodePrompt,
  type RecordLocation,
  type SFTRecord,
  type PromptRecord,
  type SFTExample,
  type TLDRPost,
  type EncodeSFTOptions,
} from './records.js';
