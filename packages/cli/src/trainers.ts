/**
 * Runs one `attune train` job: picks the backend, builds the trainer's options (metrics to
 * `metrics.jsonl`, checkpoints under `<run>/checkpoints`, resume) and calls the algorithm
 * package's trainer. It runs on a worker thread (see train-worker.ts) so that the main thread
 * stays free to draw progress and to hear Ctrl-C while the trainer's synchronous loop runs; the
 * stop request arrives through `hooks.stopRequested()`, read between iterations.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BetaBernoulliThompsonSampling,
  EpsilonGreedy,
  GaussianThompsonSampling,
  GradientBandit,
  LinUCB,
  UCB1,
  runBandit,
  runContextualBandit,
  type BanditAgent,
  type BanditRunResult,
} from '@attune/bandits';
import { make, type Env } from '@attune/envs';
import { JsonlLogger, combineLoggers, trainA2C, trainReinforce, type MetricLogger, type RunOptions } from '@attune/policy-gradient';
import { trainPPO } from '@attune/ppo';
import { trainDQN, trainExpectedSarsa, trainQLearning, trainSarsa, type DiscreteEnv, type DQNRunOptions, type TabularTrainingResult } from '@attune/q-learning';
import { useBackend } from '@attune/tensor';
import { algorithm } from './config.js';

/**
 * Everything a training job needs; plain data, so it crosses to the worker thread.
 *
 * @example
 * ```ts
 * const job: TrainJob = { algo: 'ppo', envId: 'CartPole-v1', config: { ...ppoDefaults, totalTimesteps: 2048 }, runDir: 'runs/x', resume: false, backend: 'cpu', checkpointEvery: 0 };
 * ```
 */
export interface TrainJob {
  /** Command-line algorithm name (a key of `ALGORITHMS`). */
  algo: string;
  /** Registered env id. */
  envId: string;
  /** The validated config (envId and seed included where the algorithm has them). */
  config: Record<string, unknown>;
  /** Run directory: metrics.jsonl, checkpoints/, qtable.json or bandit.json. */
  runDir: string;
  /** Continue from the newest checkpoint under `<runDir>/checkpoints`. */
  resume: boolean;
  /** Tensor backend for the deep algorithms. */
  backend: 'cpu' | 'webgpu' | 'auto';
  /** Checkpoint every this many iterations (PPO, A2C, REINFORCE) or steps (DQN); 0 = at the end and on Ctrl-C only. */
  checkpointEvery: number;
}

/**
 * What the job reports while it runs: the step reached (env steps; episodes for tabular
 * methods), and the key metric.
 *
 * @example
 * ```ts
 * const progress: TrainProgress = { step: 2048, total: 500_000, metricName: 'return', metric: 23.5 };
 * ```
 */
export interface TrainProgress {
  /** Steps (or episodes) done, resumed parts included. */
  step: number;
  /** Steps (or episodes) the run trains for. */
  total: number;
  /** Name of the key metric shown next to the bar. */
  metricName: string;
  /** Mean return of the last 100 episodes, or the cumulative regret; NaN before the first. */
  metric: number;
}

/**
 * How a job ended.
 *
 * @example
 * ```ts
 * const outcome: TrainOutcome = { stopped: false, step: 2048, metricName: 'return', metric: 22.1, checkpoint: 'runs/x/checkpoints/checkpoint-000000002048', backend: 'cpu: …' };
 * ```
 */
export interface TrainOutcome {
  /** Whether it stopped early on a stop request. */
  stopped: boolean;
  /** Steps (or episodes) done. */
  step: number;
  /** Name of the key metric. */
  metricName: string;
  /** Its final value. */
  metric: number;
  /** The last checkpoint (a directory for deep methods, a JSON file for tabular ones), or null. */
  checkpoint: string | null;
  /** The backend message (which backend ran), or why none was needed. */
  backend: string;
}

/**
 * The hooks a job is driven by.
 *
 * @example
 * ```ts
 * const hooks: TrainHooks = { stopRequested: () => false, progress: (p) => console.log(p.step) };
 * ```
 */
export interface TrainHooks {
  /** True once the user asked to stop (Ctrl-C); the job checkpoints and returns. */
  stopRequested(): boolean;
  /** Called as metrics arrive (the caller throttles drawing). */
  progress(progress: TrainProgress): void;
}

/**
 * Thrown from the metric logger to end a trainer that has no stop hook of its own (the tabular
 * methods and bandits); {@link runTrainJob} catches it and reports a stopped run.
 *
 * @example
 * ```ts
 * if (hooks.stopRequested()) throw new StopRequested();
 * ```
 */
export class StopRequested extends Error {
  override readonly name = 'StopRequested';
  constructor() {
    super('stop requested (Ctrl-C)');
  }
}

/**
 * Directory of the deep methods' `checkpoint-<step>/` folders inside a run directory.
 *
 * @example
 * ```ts
 * const newest = await latestCheckpoint(join(runDir, CHECKPOINT_DIR));
 * ```
 */
export const CHECKPOINT_DIR = 'checkpoints';

const RETURN_WINDOW = 100;

/** Logger that feeds the progress hook: step, and the mean of the last 100 returns or the cumulative regret. */
function progressTap(hooks: TrainHooks, total: number, countEpisodes: boolean, throwOnStop: boolean): MetricLogger & { step: number; metric: number; metricName: string } {
  const recent: number[] = [];
  const tap = {
    step: 0,
    metric: Number.NaN,
    metricName: 'return',
    scalar(name: string, value: number, step: number) {
      if (throwOnStop && hooks.stopRequested()) throw new StopRequested();
      if (name === 'charts/episodic_return') {
        recent.push(value);
        if (recent.length > RETURN_WINDOW) recent.shift();
        tap.metric = recent.reduce((sum, v) => sum + v, 0) / recent.length;
        tap.step = countEpisodes ? tap.step + 1 : step;
        hooks.progress({ step: tap.step, total, metricName: tap.metricName, metric: tap.metric });
      } else if (name === 'charts/cumulative_regret') {
        tap.metricName = 'regret';
        tap.metric = value;
        tap.step = step;
        hooks.progress({ step, total, metricName: 'regret', metric: value });
      } else if (!countEpisodes && step > tap.step) {
        tap.step = step;
        hooks.progress({ step, total, metricName: tap.metricName, metric: tap.metric });
      }
    },
  };
  return tap;
}

async function runDeep(job: TrainJob, hooks: TrainHooks, metrics: JsonlLogger): Promise<TrainOutcome> {
  const { message } = await useBackend(job.backend);
  const total = job.config.totalTimesteps as number;
  const tap = progressTap(hooks, total, false, false);
  const logger = combineLoggers(metrics, tap);
  const checkpointDir = join(job.runDir, CHECKPOINT_DIR);
  let result: { globalStep: number; checkpoint: string | null };
  if (job.algo === 'dqn') {
    // DQN counts steps: stopAfterSteps is read after every step, so a stop request checkpoints the next one.
    const options: DQNRunOptions = {
      logger,
      checkpointDir,
      checkpointEvery: job.checkpointEvery,
      resume: job.resume,
      get stopAfterSteps() {
        return hooks.stopRequested() ? 0 : undefined;
      },
    };
    const trained = await trainDQN(job.config, options);
    trained.qNetwork.dispose?.();
    result = trained;
  } else {
    // PPO, A2C and REINFORCE read stopAfterIterations after every iteration: 0 once a stop is
    // requested makes the trainer write a checkpoint and return.
    const options: RunOptions = {
      logger,
      checkpointDir,
      checkpointEvery: job.checkpointEvery,
      resume: job.resume,
      get stopAfterIterations() {
        return hooks.stopRequested() ? 0 : undefined;
      },
    };
    const train = job.algo === 'ppo' ? trainPPO : job.algo === 'a2c' ? trainA2C : trainReinforce;
    const trained = await train(job.config, options);
    trained.agent.dispose?.();
    result = trained;
  }
  return { stopped: hooks.stopRequested(), step: result.globalStep, metricName: 'return', metric: tap.metric, checkpoint: result.checkpoint, backend: message };
}

function runTabular(job: TrainJob, hooks: TrainHooks, metrics: JsonlLogger): Promise<TrainOutcome> {
  const total = job.config.totalEpisodes as number;
  const tap = progressTap(hooks, total, true, true);
  const env = make(job.envId) as DiscreteEnv;
  const train = job.algo === 'q-learning' ? trainQLearning : job.algo === 'sarsa' ? trainSarsa : trainExpectedSarsa;
  const outcome = (stopped: boolean, checkpoint: string | null): TrainOutcome => ({
    stopped,
    step: tap.step,
    metricName: 'return',
    metric: tap.metric,
    checkpoint,
    backend: 'none: tabular methods run on plain arrays',
  });
  let result: TabularTrainingResult;
  try {
    result = train(env, job.config, combineLoggers(metrics, tap));
  } catch (error) {
    // The tabular trainers have no stop hook and no checkpoint: the logger threw to end the loop.
    if (error instanceof StopRequested) return Promise.resolve(outcome(true, null));
    throw error;
  }
  const path = join(job.runDir, 'qtable.json');
  const table = { algo: job.algo, envId: job.envId, numStates: result.qTable.numStates, numActions: result.qTable.numActions, values: Array.from(result.qTable.values) };
  return writeFile(path, JSON.stringify(table) + '\n').then(() => outcome(false, path));
}

function banditAgent(job: TrainJob, env: Env<any, any, any>): BanditAgent {
  const { steps: _steps, ...config } = job.config;
  const numArms = (env.actionSpace as unknown as { n: number }).n;
  switch (job.algo) {
    case 'epsilon-greedy':
      return new EpsilonGreedy({ ...config, numArms });
    case 'ucb1':
      return new UCB1({ ...config, numArms });
    case 'thompson':
      return /Bernoulli/.test(job.envId) ? new BetaBernoulliThompsonSampling({ ...config, numArms }) : new GaussianThompsonSampling({ ...config, numArms });
    case 'gradient-bandit':
      return new GradientBandit({ ...config, numArms });
    default:
      throw new Error(`not a k-armed bandit agent: ${job.algo}`);
  }
}

function runBanditJob(job: TrainJob, hooks: TrainHooks, metrics: JsonlLogger): Promise<TrainOutcome> {
  const steps = job.config.steps as number;
  const seed = job.config.seed as number;
  const tap = progressTap(hooks, steps, false, true);
  // The registry's 1000-pull time limit would end a longer run early: the run length is `steps`.
  const env = make(job.envId, {}, { maxEpisodeSteps: steps });
  const logger = combineLoggers(metrics, tap);
  let result: BanditRunResult;
  try {
    if (job.algo === 'linucb') {
      const { steps: _steps, seed: _seed, ...config } = job.config;
      const dimension = (env.observationSpace.shape ?? [0])[0];
      const agent = new LinUCB({ ...config, numArms: (env.actionSpace as unknown as { n: number }).n, dimension });
      result = runContextualBandit(env, agent, { steps, seed }, logger);
    } else {
      result = runBandit(env, banditAgent(job, env), { steps, seed }, logger);
    }
  } catch (error) {
    if (error instanceof StopRequested) return Promise.resolve({ stopped: true, step: tap.step, metricName: 'regret', metric: tap.metric, checkpoint: null, backend: 'none: bandit agents run on plain arrays' });
    throw error;
  }
  const path = join(job.runDir, 'bandit.json');
  const summary = { algo: job.algo, envId: job.envId, steps: result.rewards.length, cumulativeRegret: result.cumulativeRegret.at(-1) ?? 0, meanReward: result.rewards.reduce((a, b) => a + b, 0) / Math.max(result.rewards.length, 1) };
  return writeFile(path, JSON.stringify(summary, null, 2) + '\n').then(() => ({
    stopped: false,
    step: result.rewards.length,
    metricName: 'regret',
    metric: summary.cumulativeRegret,
    checkpoint: null,
    backend: 'none: bandit agents run on plain arrays',
  }));
}

/**
 * Runs `job` to the end or until `hooks.stopRequested()`: metrics go to `<runDir>/metrics.jsonl`
 * (appended when resuming), deep methods checkpoint under `<runDir>/checkpoints` (always on a
 * stop), tabular methods write `qtable.json`, bandits `bandit.json`.
 *
 * @example
 * ```ts
 * const outcome = await runTrainJob(job, { stopRequested: () => false, progress: () => {} });
 * ```
 */
export async function runTrainJob(job: TrainJob, hooks: TrainHooks): Promise<TrainOutcome> {
  const spec = algorithm(job.algo);
  const metrics = new JsonlLogger(join(job.runDir, 'metrics.jsonl'), { append: job.resume });
  try {
    if (spec.kind === 'deep') return await runDeep(job, hooks, metrics);
    if (spec.kind === 'tabular') return await runTabular(job, hooks, metrics);
    return await runBanditJob(job, hooks, metrics);
  } finally {
    metrics.close();
  }
}
