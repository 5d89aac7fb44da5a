/**
 * REINFORCE (Williams 1992; Sutton & Barto 2nd ed. §13.3–13.4) with an optional learned
 * baseline: each update runs one complete episode in each of `numEnvs` envs with the current
 * policy, computes Monte Carlo returns G_t = Σ_k γ^k r_{t+k}, and takes one gradient step on
 * −mean(log π(a_t|s_t) · (G_t − b(s_t))), where the baseline b is a critic regressed onto G_t
 * (S&B eq. 13.11). Episodes cut by a time limit bootstrap G from V(final observation) when there
 * is a baseline (they are not terminal). The envs are stepped individually so that an env whose
 * episode has ended waits for the others without wasting steps.
 *
 * Metrics: `charts/episodic_return`, `charts/episodic_length` per episode; per update
 * `charts/learning_rate`, `losses/policy_loss`, `losses/value_loss`, `losses/entropy`,
 * `losses/explained_variance`, `charts/SPS`.
 */
import { Adam, clipGradNorm } from '@attune/nn';
import { Generator, noGrad, tensor, tidy, type GeneratorState } from '@attune/tensor';
import { ActorCritic } from './actor-critic.js';
import { discountedReturns, explainedVariance } from './advantages.js';
import { checkpointName, loadCheckpoint, saveCheckpoint } from '@attune/nn';
import { restoreEnv, snapshotEnv, type EnvSnapshot } from '@attune/envs';
import { checkpointDue, resumePath, type EpisodeLog, type RunOptions, type TrainingResult } from './training.js';
import { checkBoolean, checkInteger, checkRange, checkString, mergeConfig } from '@attune/envs';
import { makeEnv, spaceSizes } from './vector-env.js';

/**
 * Hyperparameters of {@link trainReinforce}.
 *
 * @example
 * ```ts
 * const config: Partial<ReinforceConfig> = { baseline: false, totalTimesteps: 200_000 };
 * ```
 */
export interface ReinforceConfig {
  /** Registry id of the environment. */
  envId: string;
  /** Seed of the run: init, sampling, and env i's first reset (seed + i). */
  seed: number;
  /** Environment steps to train for (the last update may overshoot by its episodes). */
  totalTimesteps: number;
  /** Adam's learning rate for policy and baseline. */
  learningRate: number;
  /** Episodes per update, one per env, run in lockstep. */
  numEnvs: number;
  /** Discount factor γ. */
  gamma: number;
  /** Subtract a learned state-value baseline from the return (S&B §13.4); false is plain REINFORCE. */
  baseline: boolean;
  /** Normalise G − b (or G without a baseline) over each batch to zero mean, unit std. */
  normalizeAdvantages: boolean;
  /** Weight of the baseline's squared error in the loss. */
  valueCoef: number;
  /** Weight of an entropy bonus (0 = Williams' REINFORCE). */
  entropyCoef: number;
  /** Global gradient-norm clipping threshold; null disables. */
  maxGradNorm: number | null;
  /** Bootstrap the return of a truncated episode from the baseline's V(final observation). */
  bootstrapTruncated: boolean;
  /** Hidden layer widths of the policy and baseline networks. */
  hiddenSizes: number[];
}

/**
 * {@link trainReinforce}'s defaults, chosen for CartPole-v1 (see the README's benchmark).
 *
 * @example
 * ```ts
 * await trainReinforce({ ...reinforceDefaults, numEnvs: 4, totalTimesteps: 2000 });
 * ```
 */
export const reinforceDefaults: Readonly<ReinforceConfig> = Object.freeze({
  envId: 'CartPole-v1',
  seed: 1,
  totalTimesteps: 1_000_000,
  learningRate: 1e-3,
  numEnvs: 8,
  gamma: 0.99,
  baseline: true,
  normalizeAdvantages: true,
  valueCoef: 0.5,
  entropyCoef: 0,
  maxGradNorm: null,
  bootstrapTruncated: true,
  hiddenSizes: [64, 64],
});

/**
 * Validates a REINFORCE config.
 *
 * @example
 * ```ts
 * resolveReinforceConfig({ gamma: 0.99 }).gamma; // 0.99
 * try {
 *   resolveReinforceConfig({ gamma: 2 });
 * } catch (error) {
 *   console.log((error as Error).message); // ReinforceConfig.gamma must be a number in [0, 1], got 2
 * }
 * ```
 */
export function resolveReinforceConfig(config: Partial<ReinforceConfig> = {}): ReinforceConfig {
  const name = 'ReinforceConfig';
  const args = mergeConfig<ReinforceConfig>(name, { ...reinforceDefaults, hiddenSizes: [...reinforceDefaults.hiddenSizes] }, config);
  checkString(name, 'envId', args.envId);
  checkInteger(name, 'seed', args.seed, 0);
  checkInteger(name, 'totalTimesteps', args.totalTimesteps, 1);
  checkRange(name, 'learningRate', args.learningRate, 0, 1, true);
  checkInteger(name, 'numEnvs', args.numEnvs, 1);
  checkRange(name, 'gamma', args.gamma, 0, 1);
  checkBoolean(name, 'baseline', args.baseline);
  checkBoolean(name, 'normalizeAdvantages', args.normalizeAdvantages);
  checkRange(name, 'valueCoef', args.valueCoef, 0, 100);
  checkRange(name, 'entropyCoef', args.entropyCoef, 0, 100);
  if (args.maxGradNorm !== null) checkRange(name, 'maxGradNorm', args.maxGradNorm, 0, Infinity, true);
  checkBoolean(name, 'bootstrapTruncated', args.bootstrapTruncated);
  if (!Array.isArray(args.hiddenSizes) || args.hiddenSizes.length === 0) throw new RangeError(`${name}.hiddenSizes must be a non-empty array of layer widths, got ${String(args.hiddenSizes)}`);
  args.hiddenSizes.forEach((width, i) => checkInteger(name, `hiddenSizes[${i}]`, width, 1));
  return args;
}

interface ReinforceTrainerState {
  iteration: number;
  globalStep: number;
  generator: GeneratorState;
  optimizer: unknown;
  envs: EnvSnapshot;
  episodes: EpisodeLog;
}

/**
 * Trains a policy (and baseline) with REINFORCE.
 *
 * @example
 * ```ts
 * // not run: trains on CartPole-v1 for up to 1M steps (minutes)
 * const { agent, episodes } = await trainReinforce({ seed: 1 }, { logger: progressLogger() });
 * recentMeanReturn(episodes.returns); // ≈ 500 on CartPole-v1 within 1M steps
 * ```
 */
export async function trainReinforce(config: Partial<ReinforceConfig> = {}, options: RunOptions = {}): Promise<TrainingResult<ActorCritic>> {
  // 0. Config, seeding, envs, networks, optimiser.
  const args = resolveReinforceConfig(config);
  const { logger } = options;
  logger?.hyperparameters?.({ algorithm: 'reinforce', ...args });
  const generator = new Generator(args.seed);
  const envs = Array.from({ length: args.numEnvs }, () => makeEnv(args.envId));
  const { observationSize, action } = spaceSizes(envs[0].observationSpace, envs[0].actionSpace);
  const discrete = action.kind === 'discrete';
  const actionSize = discrete ? 1 : action.size;
  const agent = new ActorCritic(
    { observationSize, action: discrete ? action : { kind: 'continuous', size: action.size }, hiddenSizes: args.hiddenSizes, critic: args.baseline },
    generator,
  );
  const parameters = agent.parameters();
  const optimizer = new Adam(parameters, { lr: args.learningRate });
  const episodes: EpisodeLog = { returns: [], lengths: [], steps: [] };
  let globalStep = 0;
  let iteration = 0;

  const resumeFrom = await resumePath(options);
  if (resumeFrom !== null) {
    const checkpoint = await loadCheckpoint(resumeFrom);
    const state = checkpoint.trainerState as unknown as ReinforceTrainerState;
    agent.loadStateDict(checkpoint.model);
    for (const t of Object.values(checkpoint.model)) t.dispose();
    optimizer.loadStateDict(state.optimizer as Parameters<typeof optimizer.loadStateDict>[0]);
    generator.setState(state.generator);
    restoreEnv(envs, state.envs);
    episodes.returns.push(...state.episodes.returns);
    episodes.lengths.push(...state.episodes.lengths);
    episodes.steps.push(...state.episodes.steps);
    globalStep = state.globalStep;
    iteration = state.iteration;
  }
  const startTime = performance.now();
  const startStep = globalStep;
  let stepsPerSecond = 0;
  let lastCheckpoint: string | null = null;
  let iterationsThisCall = 0;

  while (globalStep < args.totalTimesteps) {
    iteration++;
    // 1. Run one full episode per env with the current policy; envs that finish wait for the rest.
    const trajectories = envs.map(() => ({ observations: [] as number[], actions: [] as number[], rewards: [] as number[], terminated: false, truncationValue: 0 }));
    const current = envs.map((env, e) => Float32Array.from(env.reset(iteration === 1 ? { seed: args.seed + e } : {}).observation as ArrayLike<number>));
    const active = envs.map((_, e) => e);
    while (active.length > 0) {
      const batch = new Float32Array(active.length * observationSize); // [active, observationSize]
      active.forEach((e, row) => batch.set(current[e], row * observationSize));
      let actions: ArrayLike<number> = [];
      tidy(() => noGrad(() => {
        actions = agent.distribution(tensor(batch, { shape: [active.length, observationSize] })).sample(generator).dataSync();
      }));
      const stillActive: number[] = [];
      active.forEach((e, row) => {
        const trajectory = trajectories[e];
        const envAction = discrete ? actions[row] : Float32Array.from({ length: actionSize }, (_, k) => actions[row * actionSize + k]);
        const { observation, reward, terminated, truncated } = envs[e].step(envAction);
        globalStep++;
        trajectory.observations.push(...current[e]);
        if (discrete) trajectory.actions.push(actions[row]);
        else trajectory.actions.push(...(envAction as Float32Array));
        trajectory.rewards.push(reward);
        current[e] = Float32Array.from(observation as ArrayLike<number>);
        if (terminated || truncated) {
          trajectory.terminated = terminated;
          // A time limit cut a non-terminal state: the baseline bootstraps the rest of the return.
          if (!terminated && args.baseline && args.bootstrapTruncated) {
            trajectory.truncationValue = tidy(() => noGrad(() => agent.getValue(tensor(current[e], { shape: [1, observationSize] })).itemSync()));
          }
          const episodicReturn = trajectory.rewards.reduce((sum, r) => sum + r, 0);
          episodes.returns.push(episodicReturn);
          episodes.lengths.push(trajectory.rewards.length);
          episodes.steps.push(globalStep);
          logger?.scalar('charts/episodic_return', episodicReturn, globalStep);
          logger?.scalar('charts/episodic_length', trajectory.rewards.length, globalStep);
        } else {
          stillActive.push(e);
        }
      });
      active.splice(0, active.length, ...stillActive);
    }

    // 2. Monte Carlo returns G_t, per episode, backwards (each episode is a rollout of one env).
    const lengths = trajectories.map((trajectory) => trajectory.rewards.length);
    const B = lengths.reduce((sum, length) => sum + length, 0); // samples in the batch
    const returns = new Float32Array(B);
    let offset = 0;
    trajectories.forEach((trajectory, e) => {
      const T = lengths[e];
      const terminations = new Uint8Array(T);
      const truncations = new Uint8Array(T);
      (trajectory.terminated ? terminations : truncations)[T - 1] = 1;
      const truncationValues = new Float32Array(T);
      truncationValues[T - 1] = trajectory.truncationValue;
      discountedReturns({ numSteps: T, numEnvs: 1, rewards: trajectory.rewards, terminations, truncations, truncationValues }, { gamma: args.gamma }, returns.subarray(offset, offset + T));
      offset += T;
    });
    const observations = new Float32Array(B * observationSize);
    const actionsTaken = discrete ? new Int32Array(B) : new Float32Array(B * actionSize);
    offset = 0;
    for (const trajectory of trajectories) {
      observations.set(trajectory.observations, offset * observationSize);
      actionsTaken.set(trajectory.actions, offset * actionSize);
      offset += trajectory.rewards.length;
    }

    // 3. One gradient step: −mean(log π(a|s) · Â) with Â = G − b(s), plus the baseline's regression onto G.
    let losses = { policy: 0, value: 0, entropy: 0 };
    let baselineValues: ArrayLike<number> = new Float32Array(B);
    tidy(() => {
      const observationBatch = tensor(observations, { shape: [B, observationSize] });
      const actionBatch = discrete ? tensor(actionsTaken, { shape: [B], dtype: 'int32' }) : tensor(actionsTaken, { shape: [B, actionSize] });
      const returnBatch = tensor(returns);
      const pi = agent.distribution(observationBatch);
      const logProbs = pi.logProb(actionBatch);
      const entropy = pi.entropy().mean();
      let advantages = returnBatch;
      let valueLoss = null;
      if (args.baseline) {
        const values = agent.getValue(observationBatch);
        baselineValues = values.dataSync();
        advantages = returnBatch.sub(values.detach());
        valueLoss = values.sub(returnBatch).square().mean();
      }
      if (args.normalizeAdvantages && B > 1) advantages = advantages.sub(advantages.mean()).div(advantages.std().add(1e-8));
      const policyLoss = logProbs.mul(advantages).mean().neg();
      let loss = policyLoss.sub(entropy.mul(args.entropyCoef));
      if (valueLoss !== null) loss = loss.add(valueLoss.mul(args.valueCoef));
      optimizer.zeroGrad();
      loss.backward();
      if (args.maxGradNorm !== null) clipGradNorm(parameters, args.maxGradNorm);
      optimizer.step();
      losses = { policy: policyLoss.itemSync(), value: valueLoss === null ? 0 : valueLoss.itemSync(), entropy: entropy.itemSync() };
    });

    // 4. Record.
    iterationsThisCall++;
    stepsPerSecond = (globalStep - startStep) / ((performance.now() - startTime) / 1000);
    if (logger !== undefined) {
      logger.scalar('charts/learning_rate', optimizer.lr, globalStep);
      logger.scalar('losses/policy_loss', losses.policy, globalStep);
      logger.scalar('losses/value_loss', losses.value, globalStep);
      logger.scalar('losses/entropy', losses.entropy, globalStep);
      if (args.baseline) logger.scalar('losses/explained_variance', explainedVariance(baselineValues, returns), globalStep);
      logger.scalar('charts/SPS', Math.floor(stepsPerSecond), globalStep);
    }

    // 5. Checkpoint when due (between updates every env is between episodes).
    const finished = globalStep >= args.totalTimesteps;
    if (checkpointDue(options, iteration, finished ? iteration : Infinity, iterationsThisCall)) {
      const trainerState: ReinforceTrainerState = {
        iteration,
        globalStep,
        generator: generator.getState(),
        optimizer: await optimizer.stateDictJson(),
        envs: snapshotEnv(envs),
        episodes,
      };
      lastCheckpoint = `${options.checkpointDir}/${checkpointName(globalStep)}`;
      await saveCheckpoint(lastCheckpoint, {
        model: agent.stateDict(),
        config: { algorithm: { name: 'reinforce', ...args }, agent: agent.options, wrappers: {} },
        trainerState: trainerState as unknown as Record<string, unknown>,
      });
    }
    if (options.stopAfterIterations !== undefined && iterationsThisCall >= options.stopAfterIterations) break;
  }

  for (const env of envs) env.close();
  optimizer.zeroGrad(); // free the last gradients; the agent keeps only its parameters
  optimizer.dispose();
  return { agent, episodes, globalStep, iterations: iteration, stepsPerSecond, checkpoint: lastCheckpoint };
}
