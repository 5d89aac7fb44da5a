/**
 * Deep Q-Network (Mnih et al. 2015, "Human-level control through deep reinforcement learning")
 * for vector observations and discrete actions, after CleanRL's `dqn.py`, with Double DQN
 * (van Hasselt et al. 2016) and the Huber loss as toggles. The loop reads top to bottom in
 * execution order; defaults equal CleanRL's.
 *
 * Metrics (CleanRL's names): `charts/episodic_return`, `charts/episodic_length` per episode;
 * every `logEvery` training steps `losses/td_loss`, `losses/q_values`, `charts/epsilon`,
 * `charts/SPS`.
 */
import { RecordEpisodeStatistics, make, type Env } from '@attune/envs';
import { Adam, clipGradNorm } from '@attune/nn';
import { Generator, huberLoss, mseLoss, noGrad, tensor, tidy, type GeneratorState } from '@attune/tensor';
import { checkpointName, latestCheckpoint, loadCheckpoint, saveCheckpoint } from '@attune/nn';
import { restoreEnv, snapshotEnv, type EnvSnapshot } from '@attune/envs';
import type { MetricLogger } from './logger.js';
import { QNetwork } from './q-network.js';
import { ReplayBuffer } from './replay-buffer.js';
import { linearSchedule } from './schedules.js';
import { checkChoice, checkInteger, checkRange, mergeConfig } from '@attune/envs';

/**
 * Hyperparameters of {@link trainDQN}; names follow CleanRL's `Args` in camelCase.
 *
 * @example
 * ```ts
 * const config: Partial<DQNConfig> = { doubleDqn: true, seed: 2 };
 * ```
 */
export interface DQNConfig {
  /** Registry id of the environment (Box observations, Discrete actions). */
  envId: string;
  /** Seed of the run: init, ε-greedy draws, replay sampling, and the env's first reset. */
  seed: number;
  /** Environment steps to train for. */
  totalTimesteps: number;
  /** Adam's learning rate. */
  learningRate: number;
  /** Replay memory capacity in transitions. */
  bufferSize: number;
  /** Discount factor γ. */
  gamma: number;
  /** Target update rate: θ⁻ ← τθ + (1 − τ)θ⁻; 1 is Mnih et al.'s hard copy, < 1 Polyak averaging (Lillicrap et al. 2016). */
  tau: number;
  /** Steps between target-network updates (Mnih et al.'s C). */
  targetNetworkFrequency: number;
  /** Transitions per gradient step, sampled uniformly from the replay memory. */
  batchSize: number;
  /** ε at the first step. */
  startEpsilon: number;
  /** ε after annealing. */
  endEpsilon: number;
  /** Fraction of `totalTimesteps` over which ε anneals linearly from start to end. */
  explorationFraction: number;
  /** Steps of pure ε-greedy collection before the first gradient step. */
  learningStarts: number;
  /** Env steps per gradient step. */
  trainFrequency: number;
  /** Double DQN: choose a′ with the online network, evaluate it with the target network (van Hasselt et al. 2016, eq. 4). */
  doubleDqn: boolean;
  /** TD loss: `'mse'` (CleanRL) or `'huber'` (δ = 1; Mnih et al.'s error clipping, SB3's default). */
  loss: 'mse' | 'huber';
  /** Global gradient-norm clipping threshold; null disables (CleanRL: none; SB3: 10). */
  maxGradNorm: number | null;
  /** Adam's ε (CleanRL's dqn.py keeps PyTorch's 1e-8). */
  adamEpsilon: number;
  /** Hidden layer widths of the Q-network (CleanRL: [120, 84]). */
  hiddenSizes: number[];
  /** Log the training metrics every this many steps, as CleanRL's `global_step % 100`. */
  logEvery: number;
}

/**
 * CleanRL's `dqn.py` defaults (CartPole-v1).
 *
 * @example
 * ```ts
 * // not run: trains DQN on CartPole for 500k steps (minutes)
 * await trainDQN({ ...dqnDefaults, doubleDqn: true });
 * ```
 */
export const dqnDefaults: Readonly<DQNConfig> = Object.freeze({
  envId: 'CartPole-v1',
  seed: 1,
  totalTimesteps: 500_000,
  learningRate: 2.5e-4,
  bufferSize: 10_000,
  gamma: 0.99,
  tau: 1.0,
  targetNetworkFrequency: 500,
  batchSize: 128,
  startEpsilon: 1,
  endEpsilon: 0.05,
  explorationFraction: 0.5,
  learningStarts: 10_000,
  trainFrequency: 10,
  doubleDqn: false,
  loss: 'mse',
  maxGradNorm: null,
  adamEpsilon: 1e-8,
  hiddenSizes: [120, 84],
  logEvery: 100,
});

/**
 * Validates a DQN config, naming the offending field.
 *
 * @example
 * ```ts
 * resolveDQNConfig({ tau: 0.005 }).tau; // 0.005
 * try {
 *   resolveDQNConfig({ tau: 2 });
 * } catch (error) {
 *   console.log((error as Error).message); // DQNConfig.tau must be a number in (0, 1], got 2
 * }
 * ```
 */
export function resolveDQNConfig(config: Partial<DQNConfig> = {}): DQNConfig {
  const name = 'DQNConfig';
  const args = mergeConfig<DQNConfig>(name, { ...dqnDefaults, hiddenSizes: [...dqnDefaults.hiddenSizes] }, config);
  if (typeof args.envId !== 'string' || args.envId.length === 0) throw new TypeError(`${name}.envId must be a non-empty string, got ${String(args.envId)}`);
  checkInteger(name, 'seed', args.seed, 0);
  checkInteger(name, 'totalTimesteps', args.totalTimesteps, 1);
  checkRange(name, 'learningRate', args.learningRate, 0, 1, true);
  checkInteger(name, 'bufferSize', args.bufferSize, 1);
  checkRange(name, 'gamma', args.gamma, 0, 1);
  checkRange(name, 'tau', args.tau, 0, 1, true);
  checkInteger(name, 'targetNetworkFrequency', args.targetNetworkFrequency, 1);
  checkInteger(name, 'batchSize', args.batchSize, 1);
  checkRange(name, 'startEpsilon', args.startEpsilon, 0, 1);
  checkRange(name, 'endEpsilon', args.endEpsilon, 0, 1);
  checkRange(name, 'explorationFraction', args.explorationFraction, 0, 1);
  checkInteger(name, 'learningStarts', args.learningStarts, 0);
  checkInteger(name, 'trainFrequency', args.trainFrequency, 1);
  if (typeof args.doubleDqn !== 'boolean') throw new TypeError(`${name}.doubleDqn must be true or false, got ${String(args.doubleDqn)}`);
  checkChoice(name, 'loss', args.loss, ['mse', 'huber']);
  if (args.maxGradNorm !== null) checkRange(name, 'maxGradNorm', args.maxGradNorm, 0, Infinity, true);
  checkRange(name, 'adamEpsilon', args.adamEpsilon, 0, 1, true);
  if (!Array.isArray(args.hiddenSizes) || args.hiddenSizes.length === 0) throw new RangeError(`${name}.hiddenSizes must be a non-empty array of layer widths, got ${String(args.hiddenSizes)}`);
  args.hiddenSizes.forEach((width, i) => checkInteger(name, `hiddenSizes[${i}]`, width, 1));
  checkInteger(name, 'logEvery', args.logEvery, 1);
  return args;
}

/**
 * How a DQN run is driven; every field is optional.
 *
 * @example
 * ```ts
 * const logger: MetricLogger = { scalar: (name, value, step) => console.log(step, name, value) };
 * const options: DQNRunOptions = { logger, checkpointDir: 'runs/dqn', checkpointEvery: 100_000, resume: true };
 * ```
 */
export interface DQNRunOptions {
  /** Receives the metrics. */
  logger?: MetricLogger;
  /** Directory for `checkpoint-<globalStep>/` checkpoints (Q-network, target network, replay memory, trainer state). */
  checkpointDir?: string;
  /** Checkpoint every this many env steps, and always at the end; 0 = only at the end. */
  checkpointEvery?: number;
  /** `true` = continue from the newest checkpoint under `checkpointDir`; a string = that checkpoint. */
  resume?: boolean | string;
  /** Stop after this many env steps in this call (checkpointing first when `checkpointDir` is set). */
  stopAfterSteps?: number;
}

/**
 * What {@link trainDQN} returns.
 *
 * @example
 * ```ts
 * const { qNetwork, episodeReturns }: DQNResult = await trainDQN({ totalTimesteps: 300, learningStarts: 100 });
 * ```
 */
export interface DQNResult {
  /** The trained online Q-network (the caller disposes it). */
  qNetwork: QNetwork;
  /** Return of every finished episode, resumed parts included. */
  episodeReturns: number[];
  /** Length of every finished episode. */
  episodeLengths: number[];
  /** Global step at which each episode ended. */
  episodeSteps: number[];
  /** Env steps taken. */
  globalStep: number;
  /** Steps per second over this call. */
  stepsPerSecond: number;
  /** The last checkpoint written, or null. */
  checkpoint: string | null;
}

interface DQNTrainerState {
  globalStep: number;
  generator: GeneratorState;
  optimizer: unknown;
  env: EnvSnapshot;
  observation: number[];
  replay: { size: number; position: number };
  episodes: { returns: number[]; lengths: number[]; steps: number[] };
}

/**
 * Trains a DQN agent. Fields of `config` default to CleanRL's `dqn.py` ({@link dqnDefaults}).
 *
 * @example
 * ```ts
 * // not run: trains DQN on CartPole for 500k steps (minutes)
 * import { make } from '@attune/envs';
 * const logger: MetricLogger = { scalar: (name, value, step) => console.log(step, name, value) };
 * const { qNetwork, episodeReturns } = await trainDQN({ seed: 1 }, { logger });
 * evaluateQNetwork(qNetwork, make('CartPole-v1'), { episodes: 10 }).meanReturn; // ≈ 500
 * ```
 */
export async function trainDQN(config: Partial<DQNConfig> = {}, options: DQNRunOptions = {}): Promise<DQNResult> {
  // 0. Config, seeding, env, networks, optimiser, replay memory.
  const args = resolveDQNConfig(config);
  const { logger } = options;
  logger?.hyperparameters?.({ algorithm: args.doubleDqn ? 'double-dqn' : 'dqn', ...args });
  const generator = new Generator(args.seed); // init, ε-greedy, random actions, replay sampling
  const env: Env<any, any, any> = new RecordEpisodeStatistics(make(args.envId));
  const observationSize = env.observationSpace.shape?.reduce((a: number, b: number) => a * b, 1) ?? 0;
  const numActions = (env.actionSpace as { n?: number }).n;
  if (numActions === undefined || !(observationSize > 0)) throw new TypeError(`trainDQN: ${args.envId} needs a Box observation space and a Discrete action space`);
  const architecture = { observationSize, numActions, hiddenSizes: args.hiddenSizes };
  const qNetwork = new QNetwork(architecture, generator);
  const targetNetwork = new QNetwork(architecture, generator);
  targetNetwork.loadStateDict(qNetwork.stateDict()); // θ⁻ ← θ
  const parameters = qNetwork.parameters();
  const targetParameters = targetNetwork.parameters();
  const optimizer = new Adam(parameters, { lr: args.learningRate, eps: args.adamEpsilon });
  const replay = new ReplayBuffer(args.bufferSize, observationSize);
  const epsilonAt = linearSchedule(args.startEpsilon, args.endEpsilon, args.explorationFraction * args.totalTimesteps);
  const episodes = { returns: [] as number[], lengths: [] as number[], steps: [] as number[] };

  // Start the game, or continue a checkpointed one exactly where it stopped.
  let observation = Float32Array.from(env.reset({ seed: args.seed }).observation as ArrayLike<number>);
  let startStep = 0;
  const resumeFrom = options.resume === undefined || options.resume === false ? null : typeof options.resume === 'string' ? options.resume : await latestCheckpoint(requireDir(options));
  if (resumeFrom !== null) {
    const checkpoint = await loadCheckpoint(resumeFrom, ['target_network', 'replay_buffer']);
    const state = checkpoint.trainerState as unknown as DQNTrainerState;
    qNetwork.loadStateDict(checkpoint.model);
    targetNetwork.loadStateDict(checkpoint.extraTensors.target_network);
    replay.load(checkpoint.extraTensors.replay_buffer, state.replay);
    for (const group of [checkpoint.model, ...Object.values(checkpoint.extraTensors)]) for (const t of Object.values(group)) t.dispose();
    optimizer.loadStateDict(state.optimizer as Parameters<typeof optimizer.loadStateDict>[0]);
    generator.setState(state.generator);
    restoreEnv(env, state.env);
    observation = Float32Array.from(state.observation);
    episodes.returns.push(...state.episodes.returns);
    episodes.lengths.push(...state.episodes.lengths);
    episodes.steps.push(...state.episodes.steps);
    startStep = state.globalStep;
  }
  const startTime = performance.now();
  let stepsPerSecond = 0;
  let lastCheckpoint: string | null = null;
  let globalStep = startStep;

  for (; globalStep < args.totalTimesteps; globalStep++) {
    // 1. ε-greedy action: random with probability ε(t), else argmax_a Q(s, a).
    const epsilon = epsilonAt(globalStep);
    let action: number;
    if (generator.random() < epsilon) {
      action = generator.randint(0, numActions);
    } else {
      action = tidy(() => noGrad(() => qNetwork.forward(tensor(observation, { shape: [1, observationSize] })).argmax(1).itemSync()));
    }

    // 2. Act; record finished episodes.
    const step = env.step(action);
    const nextObservation = Float32Array.from(step.observation as ArrayLike<number>); // the real s′, also after a truncation
    if (step.terminated || step.truncated) {
      const stats = step.info.episode as { r: number; l: number };
      episodes.returns.push(stats.r);
      episodes.lengths.push(stats.l);
      episodes.steps.push(globalStep + 1);
      logger?.scalar('charts/episodic_return', stats.r, globalStep + 1);
      logger?.scalar('charts/episodic_length', stats.l, globalStep + 1);
    }

    // 3. Store (s, a, r, s′, terminated): only termination stops bootstrapping, a truncated s′ is bootstrapped from.
    replay.add(observation, action, step.reward, nextObservation, step.terminated);

    // 4. CRUCIAL step easy to overlook (CleanRL): move on to s′, or start the next episode.
    observation = step.terminated || step.truncated ? Float32Array.from(env.reset().observation as ArrayLike<number>) : nextObservation;

    // 5. Learn: every trainFrequency steps after learningStarts, one gradient step on a sampled minibatch.
    if (globalStep > args.learningStarts) {
      if (globalStep % args.trainFrequency === 0) {
        const data = replay.sample(args.batchSize, generator);
        const B = args.batchSize;
        tidy(() => {
          const observations = tensor(data.observations, { shape: [B, observationSize] });
          const nextObservations = tensor(data.nextObservations, { shape: [B, observationSize] });
          const actions = tensor(data.actions, { shape: [B, 1], dtype: 'int32' });
          const rewards = tensor(data.rewards);
          const terminations = tensor(data.terminations);
          // TD target y = r + γ · max_a′ Q⁻(s′, a′) · (1 − terminated); Double DQN picks a′ with the online network.
          const tdTarget = noGrad(() => {
            const nextQ = targetNetwork.forward(nextObservations); // [B, A]
            const targetMax = args.doubleDqn
              ? nextQ.gather(1, qNetwork.forward(nextObservations).argmax(1, true)).reshape(-1) // [B, 1] → [B]
              : nextQ.max(1);
            return rewards.add(targetMax.mul(args.gamma).mul(terminations.neg().add(1)));
          });
          const oldValues = qNetwork.forward(observations).gather(1, actions).reshape(-1); // Q(s, a), [B, 1] → [B]
          const loss = args.loss === 'mse' ? mseLoss(tdTarget, oldValues) : huberLoss(oldValues, tdTarget, { delta: 1 });

          if (globalStep % args.logEvery === 0) {
            stepsPerSecond = (globalStep - startStep) / ((performance.now() - startTime) / 1000);
            logger?.scalar('losses/td_loss', loss.itemSync(), globalStep);
            logger?.scalar('losses/q_values', noGrad(() => oldValues.mean().itemSync()), globalStep);
            logger?.scalar('charts/epsilon', epsilon, globalStep);
            logger?.scalar('charts/SPS', Math.floor(stepsPerSecond), globalStep);
          }

          optimizer.zeroGrad();
          loss.backward();
          if (args.maxGradNorm !== null) clipGradNorm(parameters, args.maxGradNorm);
          optimizer.step();
        });
      }

      // 6. Update the target network every targetNetworkFrequency steps: θ⁻ ← τθ + (1 − τ)θ⁻.
      if (globalStep % args.targetNetworkFrequency === 0) {
        tidy(() => noGrad(() => {
          targetParameters.forEach((target, i) => target.assign_(parameters[i].mul(args.tau).add(target.mul(1 - args.tau))));
        }));
      }
    }

    // 7. Checkpoint when due (after the step, so the checkpoint continues at globalStep + 1).
    const stepsThisCall = globalStep + 1 - startStep;
    const stopping = options.stopAfterSteps !== undefined && stepsThisCall >= options.stopAfterSteps;
    const every = options.checkpointEvery ?? 0;
    if (options.checkpointDir !== undefined && (stopping || globalStep + 1 === args.totalTimesteps || (every > 0 && (globalStep + 1) % every === 0))) {
      const trainerState: DQNTrainerState = {
        globalStep: globalStep + 1,
        generator: generator.getState(),
        optimizer: await optimizer.stateDictJson(),
        env: snapshotEnv(env),
        observation: Array.from(observation),
        replay: { size: replay.size, position: replay.position },
        episodes,
      };
      lastCheckpoint = `${options.checkpointDir}/${checkpointName(globalStep + 1)}`;
      const replayTensors = replay.tensors();
      await saveCheckpoint(lastCheckpoint, {
        model: qNetwork.stateDict(),
        config: { algorithm: { name: args.doubleDqn ? 'double-dqn' : 'dqn', ...args }, qNetwork: qNetwork.options },
        trainerState: trainerState as unknown as Record<string, unknown>,
        extraTensors: { target_network: targetNetwork.stateDict(), replay_buffer: replayTensors },
      });
      for (const t of Object.values(replayTensors)) t.dispose();
    }
    if (stopping) {
      globalStep++;
      break;
    }
  }

  stepsPerSecond = (globalStep - startStep) / ((performance.now() - startTime) / 1000);
  env.close();
  optimizer.zeroGrad(); // free the last gradients; the agent keeps only its parameters
  optimizer.dispose();
  targetNetwork.dispose();
  return {
    qNetwork,
    episodeReturns: episodes.returns,
    episodeLengths: episodes.lengths,
    episodeSteps: episodes.steps,
    globalStep,
    stepsPerSecond,
    checkpoint: lastCheckpoint,
  };
}

function requireDir(options: DQNRunOptions): string {
  if (options.checkpointDir === undefined) throw new TypeError('DQNRunOptions.resume: true needs checkpointDir to look for checkpoints in');
  return options.checkpointDir;
}
