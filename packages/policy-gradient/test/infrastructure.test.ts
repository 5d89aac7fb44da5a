import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor } from '@attune/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { restoreEnv, snapshotEnv } from '@attune/envs';
import { checkpointName, latestCheckpoint, loadCheckpoint, saveCheckpoint } from '@attune/nn';
import {
  JsonlLogger,
  MemoryLogger,
  RolloutBuffer,
  combineLoggers,
  finalObservation,
  finishedEpisodes,
  gatherRows,
  makeVectorEnv,
} from '../src/index.js';

const directories: string[] = [];
async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'attune-pg-'));
  directories.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of directories) await rm(dir, { recursive: true, force: true });
});

/** Steps `envs` `n` times with a fixed action pattern and records everything it returns. */
function trajectory(envs: ReturnType<typeof makeVectorEnv>, n: number, continuous: boolean): number[] {
  const out: number[] = [];
  for (let t = 0; t < n; t++) {
    const actions = continuous ? Float32Array.from({ length: envs.numEnvs }, (_, e) => Math.sin(t + e) * 3) : Int32Array.from({ length: envs.numEnvs }, (_, e) => (t * 7 + e) % 3 === 0 ? 1 : 0);
    const { observations, rewards, terminations, truncations } = envs.step(actions);
    out.push(...observations, ...rewards, ...terminations, ...truncations);
  }
  return out;
}

describe('snapshotEnv / restoreEnv', () => {
  it('continues a CartPole vector env exactly, through autoresets and its RNG', () => {
    const envs = makeVectorEnv('CartPole-v1', 3);
    envs.reset({ seed: 4 });
    trajectory(envs, 57, false);
    const saved = JSON.parse(JSON.stringify(snapshotEnv(envs)));
    const expected = trajectory(envs, 300, false);
    // A fresh env built the same way, restored, replays the same future.
    const other = makeVectorEnv('CartPole-v1', 3);
    other.reset({ seed: 99 });
    restoreEnv(other, saved);
    expect(trajectory(other, 300, false)).toEqual(expected);
  });

  it('restores observation and reward normalisation statistics (Pendulum, CleanRL wrappers)', () => {
    const wrappers = { clipAction: true, normalizeObservation: true, clipObservation: 10, normalizeReward: true, clipReward: 10, gamma: 0.99 };
    const envs = makeVectorEnv('Pendulum-v1', 2, wrappers);
    envs.reset({ seed: 1 });
    trajectory(envs, 250, true);
    const saved = JSON.parse(JSON.stringify(snapshotEnv(envs)));
    const expected = trajectory(envs, 300, true);
    const other = makeVectorEnv('Pendulum-v1', 2, wrappers);
    other.reset({ seed: 1 });
    restoreEnv(other, saved);
    expect(trajectory(other, 300, true)).toEqual(expected);
  });
});

describe('makeVectorEnv', () => {
  it('autoresets in the same step and reports the final observation and episode statistics', () => {
    const envs = makeVectorEnv('CartPole-v1', 2);
    envs.reset({ seed: 0 });
    let episodes = 0;
    for (let t = 0; t < 200 && episodes === 0; t++) {
      const { terminations, infos } = envs.step(Int32Array.of(1, 1));
      const finished = finishedEpisodes(infos);
      episodes += finished.length;
      for (const { env, episodicReturn, length } of finished) {
        expect(terminations[env]).toBe(1);
        expect(episodicReturn).toBe(length); // CartPole: reward 1 per step
        expect(finalObservation(infos, env)).toHaveLength(4);
      }
    }
    expect(episodes).toBeGreaterThan(0);
  });
});

describe('checkpoints', () => {
  it('round-trips model, config and trainer state and leaves no temporary directory', async () => {
    const root = await scratch();
    const path = join(root, checkpointName(512));
    await saveCheckpoint(path, { model: { 'critic.0.weight': tensor([[1, 2], [3, 4]]) }, config: { seed: 1 }, trainerState: { globalStep: 512 }, extraTensors: { extra: { x: tensor([5]) } } });
    const loaded = await loadCheckpoint(path, ['extra']);
    expect(loaded.model['critic.0.weight'].tolistSync()).toEqual([[1, 2], [3, 4]]);
    expect(loaded.config).toEqual({ seed: 1 });
    expect(loaded.trainerState).toEqual({ globalStep: 512 });
    expect(loaded.extraTensors.extra.x.tolistSync()).toEqual([5]);
    expect((await readdir(root)).sort()).toEqual([checkpointName(512)]);
    expect((await readdir(path)).sort()).toEqual(['config.json', 'extra.safetensors', 'model.safetensors', 'trainer_state.json']);
  });

  it('replaces an existing checkpoint atomically and finds the newest one', async () => {
    const root = await scratch();
    await saveCheckpoint(join(root, checkpointName(2048)), { model: { w: tensor([1]) }, config: {}, trainerState: { v: 1 } });
    await saveCheckpoint(join(root, checkpointName(2048)), { model: { w: tensor([2]) }, config: {}, trainerState: { v: 2 } });
    await saveCheckpoint(join(root, checkpointName(512)), { model: { w: tensor([3]) }, config: {}, trainerState: { v: 3 } });
    expect(await latestCheckpoint(root)).toBe(join(root, checkpointName(2048)));
    expect((await loadCheckpoint(join(root, checkpointName(2048)))).trainerState).toEqual({ v: 2 });
    expect((await readdir(root)).filter((name) => name.startsWith('.'))).toEqual([]);
    expect(await latestCheckpoint(join(root, 'missing'))).toBeNull();
  });
});

describe('loggers', () => {
  it('JsonlLogger writes the hyperparameters then one record a line', async () => {
    const path = join(await scratch(), 'run', 'metrics.jsonl');
    const memory = new MemoryLogger();
    const jsonl = new JsonlLogger(path, { flushEvery: 2 });
    const logger = combineLoggers(jsonl, memory);
    logger.hyperparameters?.({ seed: 1 });
    logger.scalar('charts/episodic_return', 21, 84);
    logger.scalar('losses/approx_kl', Number.NaN, 512);
    jsonl.close();
    const lines = (await readFile(path, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toEqual([{ hyperparameters: { seed: 1 } }, { step: 84, name: 'charts/episodic_return', value: 21 }, { step: 512, name: 'losses/approx_kl', value: null }]);
    expect(memory.values('charts/episodic_return')).toEqual([21]);
    expect(memory.config).toEqual({ seed: 1 });
  });
});

describe('RolloutBuffer', () => {
  it('stores (numSteps × numEnvs) time-major and gathers shuffled rows', () => {
    const buffer = new RolloutBuffer({ numSteps: 2, numEnvs: 3, observationSize: 2, actionSize: 1, discrete: true });
    buffer.observations.set(Float32Array.from({ length: 12 }, (_, i) => i));
    const out = new Float32Array(4);
    gatherRows(buffer.observations, 2, Int32Array.of(5, 0, 3), 0, 2, out);
    expect(Array.from(out)).toEqual([10, 11, 0, 1]);
    expect(() => new RolloutBuffer({ numSteps: 0, numEnvs: 1, observationSize: 1, actionSize: 1, discrete: true })).toThrow(/numSteps/);
  });
});
