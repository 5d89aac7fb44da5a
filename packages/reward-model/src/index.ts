// @attune/reward-model — reward models for RLHF: a GPT-2 trunk with a scalar head scoring the last
// real token, pairwise and K-way preference losses, reward normalisation, a trainer, evaluation and
// streaming JSONL preference data. This file is the package's only public entry.

export { RewardModel, type RewardModelOptions, type RewardForwardOptions } from './model.js';
