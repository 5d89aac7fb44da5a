// @attune/reward-model — reward models for RLHF. This file is the package's only public entry:
// everything exported here is a supported API.
export {};
