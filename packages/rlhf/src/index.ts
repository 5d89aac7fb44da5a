// @attune/rlhf — SFT, PPO for language models, rejection sampling and DPO. This file is the
// package's only public entry: everything exported here is a supported API. Each trainer lives in
// its own folder whose internal barrel is re-exported here.
export { responseLogProbs, entropyFromLogits, type ResponseLogProbs, type ResponseLogProbsOptions } from './logprobs.js';
export * from './data/index.js';
export * from './sft/index.js';
export * from './dpo/index.js';
export * from './rejection-sampling/index.js';
export * from './ppo/index.js';
