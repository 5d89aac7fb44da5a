/**
 * @attune/envs — Gymnasium-compatible reinforcement-learning environments:
 * the `Env` contract, spaces, registry, classic control, toy text, bandits,
 * wrappers and vector environments. This file is the package's only public
 * entry.
 */
export { ENV_API_VERSION, Env, Wrapper, ObservationWrapper, RewardWrapper, ActionWrapper } from './core.js';
export type { Info, ResetArgs, ResetResult, StepResult, RgbFrame, RenderOutput, EnvMetadata, EnvCreator, EnvSpec } from './core.js';
export { Rng, entropySeed, validateSeed } from './rng.js';
export type { RngState } from './rng.js';
export { Space, Discrete, Box, MultiDiscrete, MultiBinary, Tuple, Dict, allocateArray, describeValue } from './spaces.js';
export type { BoxDtype, BoxArray, NumericArray, SpaceValue, DiscreteOptions, BoxOptions, MultiDiscreteOptions } from './spaces.js';
