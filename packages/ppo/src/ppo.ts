/**
 * Proximal Policy Optimization (Schulman et al. 2017) for Gymnasium-style vector envs, discrete or
 * continuous actions, after CleanRL's `ppo.py` and `ppo_continuous_action.py`. The loop reads top
 * to bottom in execution order; every implementation detail of "The 37 Implementation Details of
 * PPO" (Huang et al. 2022) that applies to vector observations is a visible line here or a config
 * toggle, tagged `[detail n]` (the README's table lists them).
 *
 * Metrics (CleanRL's names): `charts/episodic_return`, `charts/episodic_length` per finished
 * episode; per iteration `charts/learning_rate`, `losses/value_loss`, `losses/policy_loss`,
 * `losses/entropy`, `losses/old_approx_kl`, `losses/approx_kl`, `losses/clipfrac`,
 * `losses/explained_variance`, `charts/SPS`.
 */
import { restoreEnv, snapshotEnv, type EnvSnapshot } from '@attune/envs';
import { Adam, checkpointName, clipGradNorm, loadCheckpoint, saveCheckpoint } from '@attune/nn';
import {
  ActorCritic,
  RolloutBuffer,
  checkpointDue,
  explainedVariance,
  finalObservation,
  finishedEpisodes,
  gatherRows,
  makeVectorEnv,
  observationStatistics,
  resumePath,
  shuffleInPlace,
  spaceSizes,
  type EnvWrapperOptions,
  type EpisodeLog,
  type RunOptions,
  type TrainingResult,
} from '@attune/policy-gradient';
import { Generator, noGrad, tensor, tidy, type GeneratorState } from '@attune/tensor';
import { resolvePPOConfig, type PPOConfig, type ResolvedPPOConfig } from './config.js';
import { approxKlDivergence } from './kl.js';
import { clipFraction, clippedSurrogateLoss, entropyBonus, normalizeAdvantages, valueLoss } from './losses.js';

/** What `trainer_state.json` holds for PPO. */
interface PPOTrainerState {
  iteration: number;
  globalStep: number;
  generator: GeneratorState;
  optimizer: unknown;
  envs: EnvSnapshot;
  nextObservation: number[];
  episodes: EpisodeLog;
  observationStatistics: ReturnType<typeof observationStatistics>;
}

/**
 * Trains a PPO agent. `config` fields default to CleanRL's `ppo.py` ({@link ppoDefaults}); spread
 * {@link ppoContinuousDefaults} or {@link ppoPendulumPreset} for continuous control.
 *
 * @example
 * ```ts
 * // not run: trains on CartPole-v1 for 300k steps (minutes)
 * import { JsonlLogger, recentMeanReturn } from '@attune/policy-gradient';
 * const logger = new JsonlLogger('runs/cartpole-ppo/metrics.jsonl');
 * const { agent, episodes } = await trainPPO({ envId: 'CartPole-v1', totalTimesteps: 300_000, seed: 1 }, { logger, checkpointDir: 'runs/cartpole-ppo' });
 * recentMeanReturn(episodes.returns); // ≥ 475 for most seeds
 * ```
 */
export async function trainPPO(config: Partial<PPOConfig> = {}, options: RunOptions = {}): Promise<TrainingResult<ActorCritic>> {
  // 0. Config, derived sizes, seeding, env, agent, optimizer and storage — all computed once.
  const args: ResolvedPPOConfig = resolvePPOConfig(config);
  const { logger } = options;
  logger?.hyperparameters?.({ algorithm: 'ppo', ...args });
  const generator = new Generator(args.seed); // parameter init, action sampling, minibatch shuffling
  const wrappers: EnvWrapperOptions = {
    clipAction: args.clipAction, // [continuous detail 5] clip at the env boundary, keep the unclipped sample
    normalizeObservation: args.normalizeObservation, // [continuous detail 6]
    clipObservation: args.clipObservation, // [continuous detail 7]
    normalizeReward: args.normalizeReward, // [continuous detail 8]
    clipReward: args.clipReward, // [continuous detail 9]
    gamma: args.gamma,
  };
  const envs = makeVectorEnv(args.envId, args.numEnvs, wrappers); // [detail 1] vectorised envs
  const { observationSize, action } = spaceSizes(envs.singleObservationSpace, envs.singleActionSpace);
  const discrete = action.kind === 'discrete';
  const actionSize = discrete ? 1 : action.size;
  const architecture = { observationSize, action: discrete ? action : { kind: 'continuous' as const, size: action.size }, hiddenSizes: args.hiddenSizes };
  // [detail 2] orthogonal init, gains √2 / 0.01 (policy head) / 1 (value head), zero biases; [detail 13] separate actor and critic.
  const agent = new ActorCritic(architecture, generator);
  const parameters = agent.parameters();
  const optimizer = new Adam(parameters, { lr: args.learningRate, eps: args.adamEpsilon }); // [detail 3] Adam ε = 1e-5

  const buffer = new RolloutBuffer({ numSteps: args.numSteps, numEnvs: args.numEnvs, observationSize, actionSize, discrete });
  const nextObservation = new Float32Array(args.numEnvs * observationSize); // s_t for every env, [N, observationSize]
  const batchIndices = new Int32Array(args.batchSize);
  const minibatch = {
    observations: new Float32Array(args.minibatchSize * observationSize),
    actions: discrete ? new Int32Array(args.minibatchSize) : new Float32Array(args.minibatchSize * actionSize),
    logProbs: new Float32Array(args.minibatchSize),
    advantages: new Float32Array(args.minibatchSize),
    returns: new Float32Array(args.minibatchSize),
    values: new Float32Array(args.minibatchSize),
  };
  const episodes: EpisodeLog = { returns: [], lengths: [], steps: [] };
  let globalStep = 0;
  let startIteration = 1;

  // Start the game, or continue a checkpointed one exactly where it stopped.
  nextObservation.set(envs.reset({ seed: args.seed }).observations);
  const resumeFrom = await resumePath(options);
  if (resumeFrom !== null) {
    const checkpoint = await loadCheckpoint(resumeFrom);
    const state = checkpoint.trainerState as unknown as PPOTrainerState;
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
  const actionBatch = discrete ? new Int32Array(args.numEnvs) : new Float32Array(args.numEnvs * actionSize);

  for (let iteration = startIteration; iteration <= args.numIterations; iteration++) {
    // 1. Anneal the learning rate linearly to 0 over the run [detail 4].
    if (args.annealLearningRate) {
      const fraction = 1 - (iteration - 1) / args.numIterations;
      optimizer.lr = fraction * args.learningRate;
    }

    // 2. Rollout: numSteps steps in every env with the current policy, no gradients.
    buffer.resetFlags();
    for (let step = 0; step < args.numSteps; step++) {
      globalStep += args.numEnvs;
      const offset = step * args.numEnvs;
      buffer.observations.set(nextObservation, offset * observationSize);
      tidy(() =>
        noGrad(() => {
          const observations = tensor(nextObservation, { shape: [args.numEnvs, observationSize] });
          const pi = agent.distribution(observations);
          const actions = pi.sample(generator);
          buffer.logProbs.set(pi.logProb(actions).dataSync(), offset);
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
        // A truncated (not terminated) episode bootstraps from the value of its final observation.
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

    // 3. Advantages with GAE(γ, λ) [detail 5], bootstrapping from V(s_T) for the unfinished episodes.
    let nextValues: ArrayLike<number> = [];
    tidy(() => noGrad(() => {
      nextValues = agent.getValue(tensor(nextObservation, { shape: [args.numEnvs, observationSize] })).dataSync();
    }));
    buffer.computeAdvantages(nextValues, { gamma: args.gamma, lambda: args.gaeLambda, bootstrapTruncated: args.bootstrapTruncated });

    // 4. Optimise the policy and value network: updateEpochs passes over shuffled minibatches [detail 6].
    //    The (numSteps × numEnvs) buffer is already the flat batch b_* of batchSize samples.
    let policyLossValue = 0;
    let valueLossValue = 0;
    let entropyValue = 0;
    let approxKl = 0;
    let oldApproxKl = 0;
    const clipFractions: number[] = [];
    for (let i = 0; i < args.batchSize; i++) batchIndices[i] = i; // b_inds = arange(batchSize), reshuffled every epoch
    for (let epoch = 0; epoch < args.updateEpochs; epoch++) {
      shuffleInPlace(batchIndices, generator);
      for (let start = 0; start < args.batchSize; start += args.minibatchSize) {
        const end = start + args.minibatchSize;
        gatherRows(buffer.observations, observationSize, batchIndices, start, end, minibatch.observations);
        gatherRows(buffer.actions as Float32Array, actionSize, batchIndices, start, end, minibatch.actions as Float32Array);
        gatherRows(buffer.logProbs, 1, batchIndices, start, end, minibatch.logProbs);
        gatherRows(buffer.advantages, 1, batchIndices, start, end, minibatch.advantages);
        gatherRows(buffer.returns, 1, batchIndices, start, end, minibatch.returns);
        gatherRows(buffer.values, 1, batchIndices, start, end, minibatch.values);

        tidy(() => {
          const M = args.minibatchSize;
          const observations = tensor(minibatch.observations, { shape: [M, observationSize] });
          const actions = discrete ? tensor(minibatch.actions, { shape: [M], dtype: 'int32' }) : tensor(minibatch.actions, { shape: [M, actionSize] });
          const oldLogProbs = tensor(minibatch.logProbs);
          const returns = tensor(minibatch.returns);
          const oldValues = tensor(minibatch.values);

          const { logProbs: newLogProbs, entropy, values: newValues } = agent.getActionAndValue(observations, actions);
          const logRatio = newLogProbs.sub(oldLogProbs); // log π_θ(a|s) − log π_old(a|s), [M]

          // Diagnostics: k1 and k3 estimates of KL(π_old ‖ π_θ) and the clip fraction [detail 12].
          oldApproxKl = approxKlDivergence(logRatio, 'k1');
          approxKl = approxKlDivergence(logRatio, 'k3');

          let advantages = tensor(minibatch.advantages);
          if (args.normalizeAdvantages) advantages = normalizeAdvantages(advantages); // [detail 7] per minibatch

          const { loss: policyLoss, ratio } = clippedSurrogateLoss({ logRatio, advantages, clipCoef: args.clipCoef }); // [detail 8]
          clipFractions.push(clipFraction(ratio, args.clipCoef));
          const vLoss = valueLoss({ values: newValues, returns, oldValues, clipCoef: args.clipValueLoss ? args.clipCoef : null }); // [detail 9]
          const entropyLoss = entropyBonus(entropy); // [detail 10]
          const loss = policyLoss.sub(entropyLoss.mul(args.entropyCoef)).add(vLoss.mul(args.valueCoef));

          optimizer.zeroGrad();
          loss.backward();
          clipGradNorm(parameters, args.maxGradNorm); // [detail 11] global gradient-norm clipping
          optimizer.step();

          policyLossValue = policyLoss.itemSync();
          valueLossValue = vLoss.itemSync();
          entropyValue = entropyLoss.itemSync();
        });
      }
      // Early stopping on the last minibatch's approx-KL [detail 12].
      if (args.targetKl !== null && approxKl > args.targetKl) break;
    }

    // 5. Record: the last minibatch's losses and KLs, the mean clip fraction, the critic's explained variance.
    iterationsThisCall++;
    stepsPerSecond = (globalStep - startStep) / ((performance.now() - startTime) / 1000);
    if (logger !== undefined) {
      logger.scalar('charts/learning_rate', optimizer.lr, globalStep);
      logger.scalar('losses/value_loss', valueLossValue, globalStep);
      logger.scalar('losses/policy_loss', policyLossValue, globalStep);
      logger.scalar('losses/entropy', entropyValue, globalStep);
      logger.scalar('losses/old_approx_kl', oldApproxKl, globalStep);
      logger.scalar('losses/approx_kl', approxKl, globalStep);
      logger.scalar('losses/clipfrac', clipFractions.reduce((sum, value) => sum + value, 0) / clipFractions.length, globalStep);
      logger.scalar('losses/explained_variance', explainedVariance(buffer.values, buffer.returns), globalStep);
      logger.scalar('charts/SPS', Math.floor(stepsPerSecond), globalStep);
    }

    // 6. Checkpoint (atomic directory write) when due.
    if (checkpointDue(options, iteration, args.numIterations, iterationsThisCall)) {
      const trainerState: PPOTrainerState = {
        iteration,
        globalStep,
        generator: generator.getState(),
        optimizer: await optimizer.stateDictJson(),
        envs: snapshotEnv(envs),
        nextObservation: Array.from(nextObservation),
        episodes,
        observationStatistics: observationStatistics(envs.envs[0]),
      };
      lastCheckpoint = `${options.checkpointDir}/${checkpointName(globalStep)}`;
      await saveCheckpoint(lastCheckpoint, {
        model: agent.stateDict(),
        config: { algorithm: { name: 'ppo', ...args }, agent: agent.options, wrappers },
        trainerState: trainerState as unknown as Record<string, unknown>,
      });
    }
    if (options.stopAfterIterations !== undefined && iterationsThisCall >= options.stopAfterIterations) break;
  }

  envs.close();
  optimizer.zeroGrad(); // free the last gradients; the agent keeps only its parameters
  optimizer.dispose();
  const iterations = startIteration - 1 + iterationsThisCall;
  return { agent, episodes, globalStep, iterations, stepsPerSecond, checkpoint: lastCheckpoint };
}
