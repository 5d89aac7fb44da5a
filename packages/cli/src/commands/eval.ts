/**
 * `attune eval <run-dir>`: loads a run's config and final checkpoint, plays N greedy episodes,
 * prints mean ± std of the return and appends the result to `<run-dir>/eval.json`.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { make } from '@attune/envs';
import { evaluateAgent, loadPolicy, makeEvaluationEnv } from '@attune/policy-gradient';
import { QTable, evaluatePolicy, evaluateQNetwork, loadQNetwork, type DiscreteEnv } from '@attune/q-learning';
import { latestCheckpoint } from '@attune/nn';
import { useBackend } from '@attune/tensor';
import { ConfigError, algorithm } from '../config.js';
import type { CliIO } from '../io.js';
import { readJson, writeJson } from '../run-dir.js';
import { CHECKPOINT_DIR } from '../trainers.js';
import type { RunConfig } from './train.js';

/**
 * Options of `attune eval`.
 *
 * @example
 * ```ts
 * const options: EvalOptions = { episodes: 10, seed: 0, backend: 'cpu' };
 * ```
 */
export interface EvalOptions {
  /** Episodes to play. */
  episodes: number;
  /** Seed of the first reset (later resets continue its stream). */
  seed: number;
  /** Tensor backend for network policies. */
  backend: 'cpu' | 'webgpu' | 'auto';
}

/**
 * One evaluation, as appended to `eval.json`.
 *
 * @example
 * ```ts
 * const record: EvalRecord = { checkpoint: 'runs/x/checkpoints/checkpoint-000000002048', episodes: 10, seed: 0, meanReturn: 41.2, stdReturn: 9.3, returns: [], evaluatedAt: '2026-01-01T00:00:00Z' };
 * ```
 */
export interface EvalRecord {
  /** The checkpoint (directory or qtable.json) evaluated. */
  checkpoint: string;
  /** Episodes played. */
  episodes: number;
  /** Seed of the first reset. */
  seed: number;
  /** Mean undiscounted return. */
  meanReturn: number;
  /** Population standard deviation of the returns. */
  stdReturn: number;
  /** Every episode's return. */
  returns: number[];
  /** ISO time. */
  evaluatedAt: string;
}

function meanStd(returns: ArrayLike<number>): { mean: number; std: number } {
  const values = Array.from(returns);
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length);
  return { mean, std };
}

/**
 * Evaluates the run in `runDirArgument` greedily and appends to its `eval.json`.
 *
 * @example
 * ```ts
 * await train('q-learning', { env: 'FrozenLake-v1', set: [], totalEpisodes: 500, backend: 'cpu', runDir: 'runs/frozenlake', quiet: true }, [], processIO);
 * const record = await evaluateRun('runs/frozenlake', { episodes: 10, seed: 0, backend: 'cpu' }, processIO);
 * console.log(record.meanReturn);
 * ```
 */
export async function evaluateRun(runDirArgument: string, options: EvalOptions, io: CliIO): Promise<EvalRecord> {
  if (!Number.isSafeInteger(options.episodes) || options.episodes < 1) throw new ConfigError(`--episodes must be an integer ≥ 1, got ${options.episodes}`);
  const runDir = resolve(runDirArgument);
  const saved = await readJson<RunConfig>(join(runDir, 'config.json'));
  if (saved.command !== 'train') throw new ConfigError(`${runDir} is not a training run (config.json command: ${String(saved.command)})`);
  const spec = algorithm(saved.algo);
  let returns: number[];
  let checkpoint: string;
  if (spec.kind === 'deep') {
    const found = await latestCheckpoint(join(runDir, CHECKPOINT_DIR));
    if (found === null) throw new Error(`${runDir} has no checkpoint under ${CHECKPOINT_DIR}/: did the run finish or get stopped with Ctrl-C?`);
    checkpoint = found;
    await useBackend(options.backend);
    if (saved.algo === 'dqn') {
      const { qNetwork } = await loadQNetwork(checkpoint);
      returns = evaluateQNetwork(qNetwork, make(saved.env), { episodes: options.episodes, epsilon: 0, seed: options.seed }).returns;
    } else {
      const policy = await loadPolicy(checkpoint);
      const env = makeEvaluationEnv(saved.env, policy.wrappers, policy.observationStatistics);
      returns = evaluateAgent(policy.agent, env, { episodes: options.episodes, seed: options.seed, deterministic: true }).returns;
    }
  } else if (spec.kind === 'tabular') {
    checkpoint = join(runDir, 'qtable.json');
    if (!existsSync(checkpoint)) throw new Error(`${runDir} has no qtable.json: the run was stopped before it finished`);
    const table = await readJson<{ numStates: number; numActions: number; values: number[] }>(checkpoint);
    const q = new QTable(table.numStates, table.numActions);
    q.values.set(table.values);
    returns = Array.from(evaluatePolicy(make(saved.env) as DiscreteEnv, q, { episodes: options.episodes, seed: options.seed }).returns);
  } else {
    throw new ConfigError(`${saved.algo} is a bandit agent: a bandit run has no policy to replay; its regret is in ${join(runDir, 'metrics.jsonl')} and bandit.json`);
  }
  const { mean, std } = meanStd(returns);
  const record: EvalRecord = { checkpoint, episodes: options.episodes, seed: options.seed, meanReturn: mean, stdReturn: std, returns, evaluatedAt: new Date().toISOString() };
  const evalPath = join(runDir, 'eval.json');
  const previous = existsSync(evalPath) ? await readJson<{ evaluations: EvalRecord[] }>(evalPath) : { evaluations: [] };
  await writeJson(evalPath, { evaluations: [...previous.evaluations, record] });
  io.out(`${saved.algo} on ${saved.env}: mean return ${mean.toFixed(3)} ± ${std.toFixed(3)} over ${options.episodes} greedy episodes (seed ${options.seed})`);
  io.out(`checkpoint: ${checkpoint}`);
  io.out(`appended to ${evalPath}`);
  return record;
}
