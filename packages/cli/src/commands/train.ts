/**
 * `attune train <algo> --env <id>`: assembles and validates the config, writes `config.json`, runs
 * the trainer on a worker thread with a progress bar, turns Ctrl-C into "checkpoint and stop",
 * and finishes with `report.html`.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ALGORITHMS, ConfigError, algorithm, checkEnv, loadConfigFile, parseSetFlags, validateConfig } from '../config.js';
import type { CliIO } from '../io.js';
import { ProgressDisplay } from '../progress.js';
import { defaultRunDir, packageVersions, readJson, writeJson, writeRunReport } from '../run-dir.js';
import type { TrainJob, TrainOutcome, TrainProgress } from '../trainers.js';

/**
 * Options of `attune train`, as commander parses them.
 *
 * @example
 * ```ts
 * const options: TrainOptions = { env: 'CartPole-v1', set: [], backend: 'cpu', totalTimesteps: 2048, quiet: true };
 * ```
 */
export interface TrainOptions {
  /** Registered env id. */
  env: string;
  /** JSON or YAML config file. */
  config?: string;
  /** `key=value` overrides. */
  set: string[];
  /** Env steps (deep methods) or pulls (bandits). */
  totalTimesteps?: number;
  /** Episodes (tabular methods). */
  totalEpisodes?: number;
  /** Seed of the run. */
  seed?: number;
  /** Tensor backend of the deep methods. */
  backend: 'cpu' | 'webgpu' | 'auto';
  /** Run directory (default `runs/<algo>-<env>-<time>`). */
  runDir?: string;
  /** Continue the run in `runDir` from its newest checkpoint. */
  resume?: boolean;
  /** Checkpoint every N iterations (PPO, A2C, REINFORCE) or steps (DQN). */
  checkpointEvery?: number;
  /** No progress output. */
  quiet?: boolean;
}

/**
 * What `config.json` of a training run holds.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * await train('q-learning', { env: 'FrozenLake-v1', set: [], totalEpisodes: 500, backend: 'cpu', runDir: 'runs/frozenlake-config', quiet: true }, [], processIO);
 * const saved = JSON.parse(await readFile('runs/frozenlake-config/config.json', 'utf8')) as RunConfig;
 * saved.algo; // 'q-learning'
 * ```
 */
export interface RunConfig {
  /** `train`. */
  command: 'train';
  /** Algorithm name. */
  algo: string;
  /** Env id. */
  env: string;
  /** Seed of the run. */
  seed: number | null;
  /** Requested backend. */
  backend: string;
  /** The resolved config the trainer received. */
  config: Record<string, unknown>;
  /** Versions of the CLI and the packages that trained. */
  versions: Record<string, string | null>;
  /** The command line, for the record. */
  argv: string[];
  /** ISO time of the first start. */
  createdAt: string;
  /** ISO times of every resume. */
  resumedAt: string[];
}

function startWorker(workerData: unknown): Worker {
  // Built, the worker is dist/train-worker.js next to this chunk. From source (tests, a checkout
  // under tsx) it is src/train-worker.ts, and tsx's loader does not reach worker threads by
  // itself: a small bootstrap registers it there first.
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./train-worker.js', import.meta.url), { workerData });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const script = new URL('../train-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(script)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/**
 * Runs `attune train`; resolves with the exit status (0 done, 130 stopped by Ctrl-C).
 *
 * @example
 * ```ts
 * const status = await train('ppo', { env: 'CartPole-v1', set: [], backend: 'cpu', totalTimesteps: 2048, quiet: true }, ['train', 'ppo'], processIO);
 * ```
 */
export async function train(algo: string, options: TrainOptions, argv: string[], io: CliIO): Promise<number> {
  const spec = algorithm(algo);
  checkEnv(spec, options.env);
  if (options.resume && options.runDir === undefined) throw new ConfigError('--resume needs --run-dir: the run directory to continue');
  const runDir = resolve(options.runDir ?? defaultRunDir(`${algo}-${options.env}`));
  const configPath = join(runDir, 'config.json');

  // 1. The base config: the algorithm's defaults, or the saved config of the run being resumed.
  let base = spec.defaults(options.env);
  let saved: RunConfig | null = null;
  if (options.resume) {
    if (spec.kind !== 'deep') throw new ConfigError(`--resume: ${algo} keeps no checkpoint (its trainer runs to the end in one call); start a new run instead`);
    saved = await readJson<RunConfig>(configPath);
    if (saved.algo !== algo || saved.env !== options.env) throw new ConfigError(`--resume: ${runDir} holds a ${saved.algo} run on ${saved.env}, not ${algo} on ${options.env}`);
    base = { ...base, ...saved.config };
  } else if (existsSync(configPath)) {
    throw new ConfigError(`--run-dir ${runDir} already holds a run (config.json); add --resume to continue it or choose another directory`);
  }

  // 2. Overrides: file, then --set, then the dedicated flags.
  const overrides: Record<string, unknown> = { ...(options.config === undefined ? {} : await loadConfigFile(options.config)), ...parseSetFlags(options.set) };
  const source = options.config === undefined ? '--set' : `${options.config} / --set`;
  if (options.seed !== undefined) overrides.seed = options.seed;
  if (options.totalTimesteps !== undefined) {
    if (spec.kind === 'tabular') throw new ConfigError(`--total-timesteps: ${algo} counts episodes; use --total-episodes`);
    overrides[spec.kind === 'bandit' ? 'steps' : 'totalTimesteps'] = options.totalTimesteps;
  }
  if (options.totalEpisodes !== undefined) {
    if (spec.kind !== 'tabular') throw new ConfigError(`--total-episodes: ${algo} counts ${spec.kind === 'bandit' ? 'pulls' : 'env steps'}; use --total-timesteps`);
    overrides.totalEpisodes = options.totalEpisodes;
  }
  if ('envId' in base) overrides.envId = options.env;
  const config = validateConfig(spec, base, overrides, source);

  // 3. config.json first, so even a run that crashes says what it was.
  const now = new Date().toISOString();
  const runConfig: RunConfig = {
    command: 'train',
    algo,
    env: options.env,
    seed: typeof config.seed === 'number' ? config.seed : null,
    backend: options.backend,
    config,
    versions: packageVersions(['@attune/cli', spec.packageName, '@attune/envs', '@attune/tensor']),
    argv,
    createdAt: saved?.createdAt ?? now,
    resumedAt: saved === null ? [] : [...saved.resumedAt, now],
  };
  await writeJson(configPath, runConfig);
  io.out(`${options.resume ? 'resuming' : 'training'} ${algo} on ${options.env} (seed ${runConfig.seed ?? '-'}) in ${runDir}`);

  // 4. Train on a worker thread; Ctrl-C sets the shared stop flag, a second one quits at once.
  const job: TrainJob = { algo, envId: options.env, config, runDir, resume: options.resume === true, backend: options.backend, checkpointEvery: options.checkpointEvery ?? 0 };
  const total = spec.kind === 'tabular' ? (config.totalEpisodes as number) : spec.kind === 'bandit' ? (config.steps as number) : (config.totalTimesteps as number);
  const unit = spec.kind === 'tabular' ? 'episodes' : spec.kind === 'bandit' ? 'pulls' : 'steps';
  const display = new ProgressDisplay(algo, total, unit, { quiet: options.quiet === true, print: io.out });
  const stop = new Int32Array(new SharedArrayBuffer(4));
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) {
      io.err('\nsecond Ctrl-C: quitting without a checkpoint');
      process.exit(130);
    }
    Atomics.store(stop, 0, 1);
    io.err(`\nCtrl-C: stopping after the current ${spec.kind === 'deep' ? 'iteration and writing a checkpoint' : 'step'} (Ctrl-C again to quit at once)`);
  };
  process.on('SIGINT', onSigint);
  let started = false;
  let outcome: TrainOutcome;
  try {
    outcome = await new Promise<TrainOutcome>((resolvePromise, reject) => {
      const worker = startWorker({ job, stop });
      worker.on('message', (message: { type: string; progress?: TrainProgress; outcome?: TrainOutcome; message?: string; stack?: string }) => {
        if (message.type === 'progress' && message.progress !== undefined) {
          if (!started) {
            started = true;
            if (options.quiet !== true && !display.drawing) io.out(`started: first metrics at step ${message.progress.step}`);
          }
          display.update(message.progress.step, message.progress.metricName, message.progress.metric);
        } else if (message.type === 'done' && message.outcome !== undefined) {
          resolvePromise(message.outcome);
          void worker.terminate();
        } else if (message.type === 'error') {
          const error = new Error(message.message);
          error.stack = message.stack;
          reject(error);
          void worker.terminate();
        }
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`the training worker exited with code ${code} before finishing`)));
    });
  } finally {
    display.stop();
    process.off('SIGINT', onSigint);
  }

  // 5. The report, and where things are.
  const report = await writeRunReport(runDir, `${algo} on ${options.env}`);
  io.out(`backend: ${outcome.backend}`);
  io.out(`${outcome.stopped ? 'stopped' : 'finished'} at ${outcome.step} ${unit}; ${outcome.metricName === 'regret' ? 'cumulative regret' : 'mean return (last 100 episodes)'} ${Number.isFinite(outcome.metric) ? outcome.metric.toFixed(3) : '-'}`);
  if (outcome.checkpoint !== null) io.out(`checkpoint: ${outcome.checkpoint}`);
  io.out(`metrics: ${join(runDir, 'metrics.jsonl')}`);
  io.out(`report: ${report}`);
  if (!outcome.stopped) return 0;
  if (spec.kind === 'deep') io.out(`resume with: attune train ${algo} --env ${options.env} --run-dir ${runDir} --resume`);
  else io.out(`${algo} keeps no checkpoint: run it again to train from the start`);
  return 130;
}



