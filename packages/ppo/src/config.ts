/**
 * PPO's config: CleanRL's `Args` as a typed object. Defaults equal CleanRL's `ppo.py`
 * (CartPole-v1); `ppoContinuousDefaults` equals `ppo_continuous_action.py`; `ppoPendulumPreset`
 * is that script with RL-Baselines3-Zoo's tuned Pendulum-v1 hyperparameters. Derived sizes are
 * computed once in `resolvePPOConfig`, which also validates every field by name.
 */
import { checkBoolean, checkInteger, checkRange, checkString, mergeConfig } from '@attune/envs';

/**
 * Hyperparameters of {@link trainPPO}; field names follow CleanRL's `Args` in camelCase.
 *
 * @example
 * ```ts
 * const config: Partial<PPOConfig> = { envId: 'CartPole-v1', totalTimesteps: 300_000, seed: 2 };
 * ```
 */
export interface PPOConfig {
  /** Registry id of the environment. */
  envId: string;
  /** Seed of the run: parameter init, action sampling, minibatch shuffling, and env i's first reset (seed + i). */
  seed: number;
  /** Environment steps to train for, summed over envs. */
  totalTimesteps: number;
  /** Adam's learning rate (CleanRL: 2.5e-4 discrete, 3e-4 continuous). */
  learningRate: number;
  /** N, parallel environments in the `SyncVectorEnv` (detail 1 of the 37). */
  numEnvs: number;
  /** T, steps per env per rollout. */
  numSteps: number;
  /** Anneal the learning rate linearly from `learningRate` to 0 over the run (detail 4). */
  annealLearningRate: boolean;
  /** Discount factor γ. */
  gamma: number;
  /** GAE's λ (Schulman et al. 2016, eq. 16; detail 5). */
  gaeLambda: number;
  /** Minibatches per epoch; the batch of N · T samples is shuffled and split into this many (detail 6). */
  numMinibatches: number;
  /** K, passes over the batch per rollout. */
  updateEpochs: number;
  /** Normalise advantages per minibatch to zero mean and unit std (detail 7). */
  normalizeAdvantages: boolean;
  /** ε of the clipped surrogate objective (Schulman et al. 2017, eq. 7; detail 8). */
  clipCoef: number;
  /** Clip the value loss around the old values with the same ε (detail 9). */
  clipValueLoss: boolean;
  /** c₂, weight of the entropy bonus (eq. 9; detail 10). */
  entropyCoef: number;
  /** c₁, weight of the value loss (eq. 9; detail 10). */
  valueCoef: number;
  /** Global gradient-norm clipping threshold (detail 11). */
  maxGradNorm: number;
  /** Stop an update's epochs early once the k3 approx-KL of the last minibatch exceeds this; null disables (detail 12). */
  targetKl: number | null;
  /** Adam's ε (CleanRL 1e-5 instead of PyTorch's 1e-8; detail 3). */
  adamEpsilon: number;
  /**
   * Bootstrap from V(final observation) when a time limit truncates an episode. CleanRL's ppo.py
   * treats truncation like termination (false); Gymnasium's semantics and this package's default say
   * bootstrap (Pardo et al. 2018).
   */
  bootstrapTruncated: boolean;
  /** Hidden layer widths of the actor and the critic (CleanRL: [64, 64]). */
  hiddenSizes: number[];
  /** Clip continuous actions into the action space at the env boundary, keeping the unclipped sample for log-probs (continuous detail 5). */
  clipAction: boolean;
  /** Normalise observations with running statistics per sub-env (continuous detail 6). */
  normalizeObservation: boolean;
  /** Clip normalised observations to ±this; null disables (continuous detail 7). */
  clipObservation: number | null;
  /** Scale rewards by the running std of the discounted return per sub-env (continuous detail 8). */
  normalizeReward: boolean;
  /** Clip scaled rewards to ±this; null disables (continuous detail 9). */
  clipReward: number | null;
}

/**
 * CleanRL's `ppo.py` defaults (discrete actions, CartPole-v1).
 *
 * @example
 * ```ts
 * await trainPPO({ ...ppoDefaults, totalTimesteps: 2048 });
 * ```
 */
export const ppoDefaults: Readonly<PPOConfig> = Object.freeze({
  envId: 'CartPole-v1',
  seed: 1,
  totalTimesteps: 500_000,
  learningRate: 2.5e-4,
  numEnvs: 4,
  numSteps: 128,
  annealLearningRate: true,
  gamma: 0.99,
  gaeLambda: 0.95,
  numMinibatches: 4,
  updateEpochs: 4,
  normalizeAdvantages: true,
  clipCoef: 0.2,
  clipValueLoss: true,
  entropyCoef: 0.01,
  valueCoef: 0.5,
  maxGradNorm: 0.5,
  targetKl: null,
  adamEpsilon: 1e-5,
  bootstrapTruncated: true,
  hiddenSizes: [64, 64],
  clipAction: false,
  normalizeObservation: false,
  clipObservation: null,
  normalizeReward: false,
  clipReward: null,
});

/**
 * CleanRL's `ppo_continuous_action.py` defaults (its MuJoCo default env swapped for Pendulum-v1,
 * the continuous env `@attune/envs` ships): one env × 2048 steps, 32 minibatches × 10 epochs,
 * lr 3e-4, no entropy bonus, and the observation/reward normalisation and clipping wrappers.
 *
 * @example
 * ```ts
 * await trainPPO({ ...ppoContinuousDefaults, envId: 'MountainCarContinuous-v0', totalTimesteps: 2048 });
 * ```
 */
export const ppoContinuousDefaults: Readonly<PPOConfig> = Object.freeze({
  ...ppoDefaults,
  envId: 'Pendulum-v1',
  totalTimesteps: 1_000_000,
  learningRate: 3e-4,
  numEnvs: 1,
  numSteps: 2048,
  numMinibatches: 32,
  updateEpochs: 10,
  entropyCoef: 0,
  clipAction: true,
  normalizeObservation: true,
  clipObservation: 10,
  normalizeReward: true,
  clipReward: 10,
});

/**
 * Continuous PPO with RL-Baselines3-Zoo's tuned Pendulum-v1 hyperparameters (hyperparams/ppo.yml:
 * 4 envs × 1024 steps, γ 0.9, λ 0.95, 10 epochs, minibatches of 64, constant lr 1e-3, no entropy
 * bonus). The zoo also uses gSDE, which this package does not implement; the state-independent
 * Gaussian of CleanRL stands in for it. CleanRL's observation normalisation and action clipping
 * stay on; reward scaling is off, as in the zoo's entry.
 *
 * @example
 * ```ts
 * await trainPPO({ ...ppoPendulumPreset, seed: 3, totalTimesteps: 4096 });
 * ```
 */
export const ppoPendulumPreset: Readonly<PPOConfig> = Object.freeze({
  ...ppoContinuousDefaults,
  envId: 'Pendulum-v1',
  totalTimesteps: 1_000_000,
  learningRate: 1e-3,
  annealLearningRate: false,
  numEnvs: 4,
  numSteps: 1024,
  gamma: 0.9,
  gaeLambda: 0.95,
  numMinibatches: 64,
  updateEpochs: 10,
  entropyCoef: 0,
  normalizeReward: false, // RL-Zoo's entry does not normalise; with γ = 0.9 reward scaling stalled learning near −500
  clipReward: null,
});

/**
 * A validated config plus the sizes CleanRL computes at runtime.
 *
 * @example
 * ```ts
 * const args: ResolvedPPOConfig = resolvePPOConfig({ numEnvs: 8 });
 * args.batchSize; // 1024
 * ```
 */
export interface ResolvedPPOConfig extends PPOConfig {
  /** N · T samples per rollout. */
  batchSize: number;
  /** batchSize / numMinibatches. */
  minibatchSize: number;
  /** ⌊totalTimesteps / batchSize⌋ rollout-and-update iterations. */
  numIterations: number;
}

/**
 * Fills defaults (`ppoDefaults`), validates every field and derives the batch sizes.
 *
 * @example
 * ```ts
 * resolvePPOConfig({ clipCoef: 0.2 }).clipCoef; // 0.2
 * try {
 *   resolvePPOConfig({ clipCoef: -1 });
 * } catch (error) {
 *   console.log((error as Error).message); // PPOConfig.clipCoef must be a number in (0, 10], got -1
 * }
 * ```
 */
export function resolvePPOConfig(config: Partial<PPOConfig> = {}): ResolvedPPOConfig {
  const name = 'PPOConfig';
  const args = mergeConfig<PPOConfig>(name, { ...ppoDefaults, hiddenSizes: [...ppoDefaults.hiddenSizes] }, config);
  checkString(name, 'envId', args.envId);
  checkInteger(name, 'seed', args.seed, 0);
  checkInteger(name, 'totalTimesteps', args.totalTimesteps, 1);
  checkRange(name, 'learningRate', args.learningRate, 0, 1, true);
  checkInteger(name, 'numEnvs', args.numEnvs, 1);
  checkInteger(name, 'numSteps', args.numSteps, 1);
  checkBoolean(name, 'annealLearningRate', args.annealLearningRate);
  checkRange(name, 'gamma', args.gamma, 0, 1);
  checkRange(name, 'gaeLambda', args.gaeLambda, 0, 1);
  checkInteger(name, 'numMinibatches', args.numMinibatches, 1);
  checkInteger(name, 'updateEpochs', args.updateEpochs, 1);
  checkBoolean(name, 'normalizeAdvantages', args.normalizeAdvantages);
  checkRange(name, 'clipCoef', args.clipCoef, 0, 10, true);
  checkBoolean(name, 'clipValueLoss', args.clipValueLoss);
  checkRange(name, 'entropyCoef', args.entropyCoef, 0, 100);
  checkRange(name, 'valueCoef', args.valueCoef, 0, 100);
  checkRange(name, 'maxGradNorm', args.maxGradNorm, 0, Infinity, true);
  if (args.targetKl !== null) checkRange(name, 'targetKl', args.targetKl, 0, Infinity, true);
  checkRange(name, 'adamEpsilon', args.adamEpsilon, 0, 1, true);
  checkBoolean(name, 'bootstrapTruncated', args.bootstrapTruncated);
  if (!Array.isArray(args.hiddenSizes) || args.hiddenSizes.length === 0) throw new RangeError(`${name}.hiddenSizes must be a non-empty array of layer widths, got ${String(args.hiddenSizes)}`);
  args.hiddenSizes.forEach((width, i) => checkInteger(name, `hiddenSizes[${i}]`, width, 1));
  checkBoolean(name, 'clipAction', args.clipAction);
  checkBoolean(name, 'normalizeObservation', args.normalizeObservation);
  if (args.clipObservation !== null) checkRange(name, 'clipObservation', args.clipObservation, 0, Infinity, true);
  checkBoolean(name, 'normalizeReward', args.normalizeReward);
  if (args.clipReward !== null) checkRange(name, 'clipReward', args.clipReward, 0, Infinity, true);

  const batchSize = args.numEnvs * args.numSteps;
  if (batchSize % args.numMinibatches !== 0) {
    throw new RangeError(`${name}.numMinibatches (${args.numMinibatches}) must divide the batch size numEnvs × numSteps = ${batchSize}`);
  }
  const numIterations = Math.floor(args.totalTimesteps / batchSize);
  if (numIterations < 1) throw new RangeError(`${name}.totalTimesteps (${args.totalTimesteps}) must be at least one batch, numEnvs × numSteps = ${batchSize}`);
  return { ...args, batchSize, minibatchSize: batchSize / args.numMinibatches, numIterations };
}
