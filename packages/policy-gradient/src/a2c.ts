/**
 * Synchronous advantage actor-critic, A2C (Mnih et al. 2016, "Asynchronous Methods for Deep
 * Reinforcement Learning", Algorithm S3, run synchronously over a vector env as OpenAI Baselines
 * and Stable-Baselines3 do): every iteration takes n = numSteps steps in each of numEnvs envs,
 * computes n-step returns bootstrapped from the critic (GAE with λ = 1), and takes one gradient
 * step on −log π(a|s)·Â + c₁·(V − R)² − c₂·H[π]. Defaults are Stable-Baselines3's `A2C` with
 * RL-Baselines3-Zoo's CartPole-v1 settings (8 envs, no entropy bonus), except the optimiser: Adam
 * (ε 1e-5) stands in for RMSprop, which `@attune/nn` does not have.
 *
 * Metrics: `charts/episodic_return`, `charts/episodic_length` per finished episode; every
 * `logEvery` iterations `charts/learning_rate`, `losses/value_loss`, `losses/policy_loss`,
 * `losses/entropy`, `losses/explained_variance`, `charts/SPS`.
 */
import { Adam, clipGradNorm } from '@attune/nn';
import { Generator, noGrad, tensor, tidy, type GeneratorState } from '@attune/tensor';
import { ActorCritic } from './actor-critic.js';
import { explainedVariance } from './advantages.js';
import { checkpointName, loadCheckpoint, saveCheckpoint } from '@attune/nn';
import { restoreEnv, snapshotEnv, type EnvSnapshot } from '@attune/envs';
import { observationStatistics } from './evaluate.js';
import { RolloutBuffer } from './rollout-buffer.js';
import { checkpointDue, resumePath, type EpisodeLog, type RunOptions, type TrainingResult } from './training.js';
import { checkBoolean, checkInteger, checkRange, checkString, mergeConfig } from '@attune/envs';
import { finalObservation, finishedEpisodes, makeVectorEnv, spaceSizes } from './vector-env.js';

/**
 * Hyperparameters of {@link trainA2C}.
 *
 * @example
 * ```ts
 * const config: Partial<A2CConfig> = { totalTimesteps: 1_000_000, seed: 3 };
 * ```
 */
export interface A2CConfig {
  /** Registry id of the environment. */
  envId: string;
  /** Seed of the run: init, sampling, and env i's first reset (seed + i). */
  seed: number;
  /** Environment steps to train for, summed over envs. */
  totalTimesteps: number;
  /** Learning rate (SB3: 7e-4). */
  learningRate: number;
  /** Anneal the learning rate linearly to 0 (SB3: constant). */
  annealLearningRate: boolean;
  /** Parallel environments (RL-Zoo CartPole: 8). */
  numEnvs: number;
  /** n of the n-step return: steps per env per update (Mnih et al. 2016: t_max = 5). */
  numSteps: number;
  /** Discount factor γ. */
  gamma: number;
  /** GAE's λ; 1 gives the plain n-step return of the paper (SB3: 1). */
  gaeLambda: number;
  /** c₂, entropy bonus weight (RL-Zoo CartPole: 0; the paper: 0.01). */
  entropyCoef: number;
  /** c₁, value loss weight (SB3: 0.5 on the mean squared error). */
  valueCoef: number;
  /** Global gradient-norm clipping threshold (SB3: 0.5). */
  maxGradNorm: number;
  /** Normalise the advantages of each batch (SB3: false). */
  normalizeAdvantages: boolean;
  /** Adam's ε (SB3's RMSprop ε: 1e-5). */
  adamEpsilon: number;
  /** Bootstrap from V(final observation) when a time limit truncates an episode. */
  bootstrapTruncated: boolean;
  /** Hidden layer widths of actor and critic (SB3: [64, 64]). */
  hiddenSizes: number[];
  /** Log the per-update metrics every this many updates (an update is only numEnvs × numSteps steps). */
  logEvery: number;
}

/**
 * {@link trainA2C}'s defaults.
 *
 * @example
 * ```ts
 * await trainA2C({ ...a2cDefaults, numEnvs: 16, totalTimesteps: 1600 });
 * ```
 */
export const a2cDefaults: Readonly<A2CConfig> = Object.freeze({
  envId: 'CartPole-v1',
  seed: 1,
  totalTimesteps: 1_000_000,
  learningRate: 7e-4,
  annealLearningRate: false,
  numEnvs: 8,
  numSteps: 5,
  gamma: 0.99,
  gaeLambda: 1.0,
  entropyCoef: 0.0,
  valueCoef: 0.5,
  maxGradNorm: 0.5,
  normalizeAdvantages: false,
  adamEpsilon: 1e-5,
  bootstrapTruncated: true,
  hiddenSizes: [64, 64],
  logEvery: 100,
});

/**
 * Validates an A2C config and derives the batch size and number of updates.
 *
 * @example
 * ```ts
 * resolveA2CConfig({ numSteps: 5 }).numSteps; // 5
 * try {
 *   resolveA2CConfig({ numSteps: 0 });
 * } catch (error) {
 *   console.log((error as Error).message); // A2CConfig.numSteps must be an integer ≥ 1, got 0
 * }
 * ```
 */
export function resolveA2CConfig(config: Partial<A2CConfig> = {}): A2CConfig & { batchSize: number; numIterations: number } {
  const name = 'A2CConfig';
  const args = mergeConfig<A2CConfig>(name, { ...a2cDefaults, hiddenSizes: [...a2cDefaults.hiddenSizes] }, config);
  checkString(name, 'envId', args.envId);
  checkInteger(name, 'seed', args.seed, 0);
  checkInteger(name, 'totalTimesteps', args.totalTimesteps, 1);
  checkRange(name, 'learningRate', args.learningRate, 0, 1, true);
  checkBoolean(name, 'annealLearningRate', args.annealLearningRate);
  checkInteger(name, 'numEnvs', args.numEnvs, 1);
  checkInteger(name, 'numSteps', args.numSteps, 1);
  checkRange(name, 'gamma', args.gamma, 0, 1);
  checkRange(name, 'gaeLambda', args.gaeLambda, 0, 1);
  checkRange(name, 'entropyCoef', args.entropyCoef, 0, 100);
  checkRange(name, 'valueCoef', args.valueCoef, 0, 100);
  checkRange(name, 'maxGradNorm', args.maxGradNorm, 0, Infinity, true);
  checkBoolean(name, 'normalizeAdvantages', args.normalizeAdvantages);
  checkRange(name, 'adamEpsilon', args.adamEpsilon, 0, 1, true);
  checkBoolean(name, 'bootstrapTruncated', args.bootstrapTruncated);
  if (!Array.isArray(args.hiddenSizes) || args.hiddenSizes.length === 0) throw new RangeError(`${name}.hiddenSizes must be a non-empty array of layer widths, got ${String(args.hiddenSizes)}`);
  args.hiddenSizes.forEach((width, i) => checkInteger(name, `hiddenSizes[${i}]`, width, 1));
  checkInteger(name, 'logEvery', args.logEvery, 1);
  const batchSize = args.numEnvs * args.numSteps;
  const numIterations = Math.floor(args.totalTimesteps / batchSize);
  if (numIterations < 1) throw new RangeError(`${name}.totalTimesteps (${args.totalTimesteps}) must be at least one batch, numEnvs × numSteps = ${batchSize}`);
  return { ...args, batchSize, numIterations };
}

interface A2CTrainerState {
  iteration: number;
  globalStep: number;
  generator: GeneratorState;
  optimizer: unknown;
  envs: EnvSnapshot;
  nextObservation: number[];
  episodes: EpisodeLog;
}

/**
 * Trains an actor-critic with synchronous A2C.
 *
 * @example
 * ```ts
 * // not run: trains on CartPole-v1 for 1M steps (minutes)
 * const { agent, episodes } = await trainA2C({ totalTimesteps: 1_000_000, seed: 1 }, { logger: progressLogger() });
 * recentMeanReturn(episodes.returns); // ≈ 500 on CartPole-v1
 * ```
 */
export async function trainA2C(config: Partial<A2CConfig> = {}, options: RunOptions = {}): Promise<TrainingResult<ActorCritic>> {
  // 0. Config, seeding, env, agent, optimiser, storage.
  const args = resolveA2CConfig(config);
  const { logger } = options;
  logger?.hyperparameters?.({ algorithm: 'a2c', ...args });
  const generator = new Generator(args.seed);
  const envs = makeVectorEnv(args.envId, args.numEnvs);
  const { observationSize, action } = spaceSizes(envs.singleObservationSpace, envs.singleActionSpace);
  const discrete = action.kind === 'discrete';
  const actionSize = discrete ? 1 : action.size;
  const agent = new ActorCritic({ observationSize, action: discrete ? action : { kind: 'continuous', size: action.size }, hiddenSizes: args.hiddenSizes }, generator);
  const parameters = agent.parameters();
  const optimizer = new Adam(parameters, { lr: args.learningRate, eps: args.adamEpsilon });
  const buffer = new RolloutBuffer({ numSteps: args.numSteps, numEnvs: args.numEnvs, observationSize, actionSize, discrete });
  const nextObservation = new Float32Array(args.numEnvs * observationSize);
  const actionBatch = discrete ? new Int32Array(args.numEnvs) : new Float32Array(args.numEnvs * actionSize);
  const episodes: EpisodeLog = { returns: [], lengths: [], steps: [] };
  let globalStep = 0;
  let startIteration = 1;

  nextObservation.set(envs.reset({ seed: args.seed }).observations);
  const resumeFrom = await resumePath(options);
  if (resumeFrom !== null) {
    const checkpoint = await loadCheckpoint(resumeFrom);
    const state = checkpoint.trainerState as unknown as A2CTrainerState;
    agent.loadStateDict(checkpoint.model);
    for (const t of Object.values(checkpoint.model)) t.dispose();
    optimizer.loadStateDict(state.optimizer as Parameters<typeof optimizer.loadStateDict>[0]);
    generator.setState(state.generator);
    restoreEnv(envs, state.envs);
    nextObservation.set(state.nextObservation);
    episodes.returns.push(...state.episodes.returns);
    episodes.lengths.push(...state.episodes.lengths);
    episodes.steps.push(...state.episodes.steps);
    globalStep = state.globalStep;
    startIteration = state.iteration + 1;
  }
  const startTime = performance.now();
  const startStep = globalStep;
  let stepsPerSecond = 0;
  let lastCheckpoint: string | null = null;
  let iterationsThisCall = 0;

  for (let iteration = startIteration; iteration <= args.numIterations; iteration++) {
    // 1. Learning rate, optionally annealed.
    if (args.annealLearningRate) optimizer.lr = (1 - (iteration - 1) / args.numIterations) * args.learningRate;

    // 2. Rollout: n steps in every env.
    buffer.resetFlags();
    for (let step = 0; step < args.numSteps; step++) {
      globalStep += args.numEnvs;
      const offset = step * args.numEnvs;
      buffer.observations.set(nextObservation, offset * observationSize);
      tidy(() =>
        noGrad(() => {
          const observations = tensor(nextObservation, { shape: [args.numEnvs, observationSize] });
          const actions = agent.distribution(observations).sample(generator);
          buffer.values.set(agent.getValue(observations).dataSync(), offset);
          actionBatch.set(actions.dataSync());
        }),
      );
      buffer.actions.set(actionBatch, offset * actionSize);
      const { observations, rewards, terminations, truncations, infos } = envs.step(actionBatch);
      for (let e = 0; e < args.numEnvs; e++) {
        buffer.rewards[offset + e] = rewards[e];
        buffer.terminations[offset + e] = terminations[e];
        buffer.truncations[offset + e] = truncations[e];
        if (args.bootstrapTruncated && truncations[e] && !terminations[e]) {
          const final = Float32Array.from(finalObservation(infos, e));
          buffer.truncationValues[offset + e] = tidy(() => noGrad(() => agent.getValue(tensor(final, { shape: [1, observationSize] })).itemSync()));
        }
      }
      nextObservation.set(observations);
      for (const episode of finishedEpisodes(infos)) {
        episodes.returns.push(episode.episodicReturn);
        episodes.lengths.push(episode.length);
        episodes.steps.push(globalStep);
        logger?.scalar('charts/episodic_return', episode.episodicReturn, globalStep);
        logger?.scalar('charts/episodic_length', episode.length, globalStep);
      }
    }

    // 3. n-step returns R_t = Σ_k γ^k r_{t+k} + γ^n V(s_{t+n}) (GAE with λ = 1 by default) and advantages R − V.
    let nextValues: ArrayLike<number> = [];
    tidy(() => noGrad(() => {
      nextValues = agent.getValue(tensor(nextObservation, { shape: [args.numEnvs, observationSize] })).dataSync();
    }));
    buffer.computeAdvantages(nextValues, { gamma: args.gamma, lambda: args.gaeLambda, bootstrapTruncated: args.bootstrapTruncated });

    // 4. One gradient step on the whole batch: policy gradient, value regression, entropy bonus.
    const B = args.batchSize;
    let losses = { policy: 0, value: 0, entropy: 0 };
    tidy(() => {
      const observations = tensor(buffer.observations, { shape: [B, observationSize] });
      const actions = discrete ? tensor(buffer.actions, { shape: [B], dtype: 'int32' }) : tensor(buffer.actions, { shape: [B, actionSize] });
      const { logProbs, entropy, values } = agent.getActionAndValue(observations, actions);
      let advantages = tensor(buffer.advantages);
      if (args.normalizeAdvantages) advantages = advantages.sub(advantages.mean()).div(advantages.std().add(1e-8));
      const policyLoss = advantages.mul(logProbs).mean().neg(); // −E[Â · log π(a|s)]
      const valueLoss = values.sub(tensor(buffer.returns)).square().mean(); // E[(V − R)²]
      const entropyLoss = entropy.mean();
      const loss = policyLoss.add(valueLoss.mul(args.valueCoef)).sub(entropyLoss.mul(args.entropyCoef));
      optimizer.zeroGrad();
      loss.backward();
      clipGradNorm(parameters, args.maxGradNorm);
      optimizer.step();
      if (iteration % args.logEvery === 0) losses = { policy: policyLoss.itemSync(), value: valueLoss.itemSync(), entropy: entropyLoss.itemSync() };
    });

    // 5. Record.
    iterationsThisCall++;
    if (iteration % args.logEvery === 0 || iteration === args.numIterations) {
      stepsPerSecond = (globalStep - startStep) / ((performance.now() - startTime) / 1000);
      if (logger !== undefined) {
        logger.scalar('charts/learning_rate', optimizer.lr, globalStep);
        logger.scalar('losses/value_loss', losses.value, globalStep);
        logger.scalar('losses/policy_loss', losses.policy, globalStep);
        logger.scalar('losses/entropy', losses.entropy, globalStep);
        logger.scalar('losses/explained_variance', explainedVariance(buffer.values, buffer.returns), globalStep);
        logger.scalar('charts/SPS', Math.floor(stepsPerSecond), globalStep);
      }
    }

    // 6. Checkpoint when due.
    if (checkpointDue(options, iteration, args.numIterations, iterationsThisCall)) {
      const trainerState: A2CTrainerState = {
        iteration,
        globalStep,
        generator: generator.getState(),
        optimizer: await optimizer.stateDictJson(),
        envs: snapshotEnv(envs),
        nextObservation: Array.from(nextObservation),
        episodes,
      };
      lastCheckpoint = `${options.checkpointDir}/${checkpointName(globalStep)}`;
      await saveCheckpoint(lastCheckpoint, {
        model: agent.stateDict(),
        config: { algorithm: { name: 'a2c', ...args }, agent: agent.options, wrappers: {} },
        trainerState: { ...trainerState, observationStatistics: observationStatistics(envs.envs[0]) } as unknown as Record<string, unknown>,
      });
    }
    if (options.stopAfterIterations !== undefined && iterationsThisCall >= options.stopAfterIterations) break;
  }

  stepsPerSecond = (globalStep - startStep) / ((performance.now() - startTime) / 1000);
  envs.close();
  optimizer.zeroGrad(); // free the last gradients; the agent keeps only its parameters
  optimizer.dispose();
  return { agent, episodes, globalStep, iterations: startIteration - 1 + iterationsThisCall, stepsPerSecond, checkpoint: lastCheckpoint };
}
