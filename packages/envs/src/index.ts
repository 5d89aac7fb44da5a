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
export { ResetNeededError, InvalidActionError, UnknownEnvError } from './errors.js';
export { PredicateSpace } from './spaces.js';
export type { PredicateSpaceOptions } from './spaces.js';

// Toy text
export { TabularEnv, categoricalSample, colorize } from './envs/toy-text/tabular.js';
export type { Transition, TransitionTable } from './envs/toy-text/tabular.js';
export { FrozenLakeEnv, FrozenLakeAction, FROZEN_LAKE_MAPS, generateRandomMap, isValidFrozenLakeMap } from './envs/toy-text/frozen-lake.js';
export type { FrozenLakeOptions } from './envs/toy-text/frozen-lake.js';
export { CliffWalkingEnv, CliffWalkingAction } from './envs/toy-text/cliff-walking.js';
export type { CliffWalkingOptions } from './envs/toy-text/cliff-walking.js';
export { TaxiEnv, TaxiAction, TAXI_MAP, TAXI_LOCATIONS, encodeTaxiState, decodeTaxiState } from './envs/toy-text/taxi.js';
export type { TaxiOptions } from './envs/toy-text/taxi.js';

// Bandits
export { KArmedBanditEnv, BernoulliBanditEnv, GaussianBanditEnv } from './envs/bandits/k-armed.js';
export type { BanditStepInfo, BernoulliBanditOptions, GaussianBanditOptions } from './envs/bandits/k-armed.js';
export { LinearContextualBanditEnv } from './envs/bandits/contextual.js';
export type { LinearContextualBanditOptions } from './envs/bandits/contextual.js';
export { LanguageModelBanditEnv } from './envs/bandits/language-model.js';
export type { Scorer, LanguageModelBanditOptions, LanguageModelBanditResetOptions } from './envs/bandits/language-model.js';
export type { ClassicControlResetOptions, ClassicControlRenderMode } from './envs/classic-control/common.js';

// Classic control
export { CartPoleEnv } from './envs/classic-control/cartpole.js';
export type { CartPoleOptions } from './envs/classic-control/cartpole.js';
export { MountainCarEnv, MountainCarContinuousEnv } from './envs/classic-control/mountain-car.js';
export type { MountainCarOptions } from './envs/classic-control/mountain-car.js';
export { PendulumEnv, angleNormalize } from './envs/classic-control/pendulum.js';
export type { PendulumOptions } from './envs/classic-control/pendulum.js';
export { AcrobotEnv, acrobotRk4, wrap } from './envs/classic-control/acrobot.js';
export type { AcrobotOptions } from './envs/classic-control/acrobot.js';
export { sceneToSvg, rasterizeScene } from './envs/classic-control/scene.js';
export type { Scene, Shape, Color } from './envs/classic-control/scene.js';

// Registry
export { registry, register, make, spec, envIds, parseEnvId } from './registry.js';
export type { RegisterOptions, MakeOptions } from './registry.js';

// Spaces utilities
export { flatdim, flatDtype, flatten, flattenSpace, unflatten } from './flatten.js';

// Wrappers
export {
  TimeLimit,
  OrderEnforcing,
  PassiveEnvChecker,
  Autoreset,
  RecordEpisodeStatistics,
  RunningMeanStd,
  NormalizeObservation,
  NormalizeReward,
  ClipAction,
  RescaleAction,
  FlattenObservation,
  TransformObservation,
  TransformReward,
  TransformAction,
} from './wrappers.js';
export type { EpisodeStatistics, WrapperInfo } from './wrappers.js';

// Vector envs
export { VectorEnv, SyncVectorEnv, RecordEpisodeStatisticsVector, AutoresetMode, addInfo } from './vector/vector-env.js';
export type { VectorEnvOptions, VectorInfo, VectorResetArgs, VectorResetResult, VectorStepResult } from './vector/vector-env.js';
export { AsyncVectorEnv } from './vector/async-vector-env.js';
export type { AsyncVectorEnvOptions } from './vector/async-vector-env.js';
export { batchSpace, createBatch, writeBatch, readBatch, copyBatch } from './vector/batch.js';

// Env checker
export { checkEnv, dataEquivalence, EnvCheckError } from './env-checker.js';
export type { CheckEnvOptions, CheckEnvReport } from './env-checker.js';

// Env state snapshots for checkpoints that resume bit for bit.
export { snapshotEnv, restoreEnv } from './env-state.js';
export type { EnvSnapshot } from './env-state.js';

// Config validation shared by the algorithm packages.
export { mergeConfig, checkInteger, checkRange, checkBoolean, checkChoice, checkString } from './config-validation.js';
