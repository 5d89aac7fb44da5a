/** Vector envs: autoreset modes, seeding, batched results and infos, episode statistics, worker threads (from src and from the build). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AsyncVectorEnv,
  Box,
  AutoresetMode,
  RecordEpisodeStatisticsVector,
  SyncVectorEnv,
  make,
  type VectorEnv,
} from '../src/index.js';
import './fixtures/custom-env.js';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Steps sub-envs built by make one by one, applying Gymnasium's next-step autoreset by hand. */
function referenceNextStep(id: string, numEnvs: number, seed: number, actions: number[][]) {
  const envs = Array.from({ length: numEnvs }, () => make(id));
  const observations = envs.map((env, i) => env.reset({ seed: seed + i }).observation as Float32Array);
  const done = new Array(numEnvs).fill(false);
  return actions.map((row) =>
    envs.map((env, i) => {
      if (done[i]) {
        done[i] = false;
        observations[i] = env.reset().observation as Float32Array;
        return { observation: Array.from(observations[i]), reward: 0, terminated: false, truncated: false };
      }
      const result = env.step(row[i]);
      done[i] = result.terminated || result.truncated;
      return { observation: Array.from(result.observation as Float32Array), reward: result.reward, terminated: result.terminated, truncated: result.truncated };
    }),
  );
}

function actionRows(steps: number, numEnvs: number, seed: number): number[][] {
  let state = seed;
  return Array.from({ length: steps }, () =>
    Array.from({ length: numEnvs }, () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % 2;
    }),
  );
}

function runVector(envs: VectorEnv<Float32Array, Int32Array>, seed: number, rows: number[][]) {
  envs.reset({ seed });
  const size = (envs.singleObservationSpace as Box).size;
  return rows.map((row) => {
    const result = envs.step(Int32Array.from(row));
    return row.map((_, i) => ({
      observation: Array.from(result.observations.subarray(i * size, (i + 1) * size)),
      reward: result.rewards[i],
      terminated: result.terminations[i] === 1,
      truncated: result.truncations[i] === 1,
    }));
  });
}

describe('SyncVectorEnv', () => {
  it('next-step autoreset matches stepping the sub-envs by hand', () => {
    const rows = actionRows(400, 4, 1);
    const envs = new SyncVectorEnv<Float32Array, Int32Array>('CartPole-v1', { numEnvs: 4 });
    const actual = runVector(envs, 10, rows);
    expect(actual).toEqual(referenceNextStep('CartPole-v1', 4, 10, rows));
    expect(actual.flat().some((step) => step.terminated)).toBe(true);
  });

  it('returns typed-array batches, fresh each call by default', () => {
    const envs = new SyncVectorEnv('CartPole-v1', { numEnvs: 3 });
    const { observations } = envs.reset({ seed: 0 });
    expect(observations).toBeInstanceOf(Float32Array);
    expect(observations).toHaveLength(12);
    expect(envs.observationSpace.shape).toEqual([3, 4]);
    expect(String(envs.actionSpace)).toBe('MultiDiscrete([2 2 2])');
    const first = envs.step(Int32Array.of(0, 1, 0));
    const second = envs.step(Int32Array.of(0, 1, 0));
    expect(first.observations).not.toBe(second.observations);
    expect(first.rewards).toBeInstanceOf(Float64Array);
    expect(first.terminations).toBeInstanceOf(Uint8Array);
    const reused = new SyncVectorEnv('CartPole-v1', { numEnvs: 3, copy: false });
    reused.reset({ seed: 0 });
    expect(reused.step([0, 0, 0]).observations).toBe(reused.step([1, 1, 1]).observations);
  });

  it('seeds env i with seed + i, or with a list', () => {
    const envs = new SyncVectorEnv<Float32Array, Int32Array>('CartPole-v1', { numEnvs: 2 });
    const { observations } = envs.reset({ seed: 5 });
    expect(Array.from(observations.subarray(4, 8))).toEqual(Array.from(make('CartPole-v1').reset({ seed: 6 }).observation as Float32Array));
    const listed = envs.reset({ seed: [6, 5] }).observations;
    expect(Array.from(listed.subarray(0, 4))).toEqual(Array.from(observations.subarray(4, 8)));
    expect(() => envs.reset({ seed: [1] })).toThrow(/length must match numEnvs=2/);
  });

  it('same-step autoreset returns the reset observation and the final one in infos', () => {
    const envs = new SyncVectorEnv<Float32Array, Int32Array>('CartPole-v1', { numEnvs: 2, autoresetMode: AutoresetMode.SAME_STEP });
    envs.reset({ seed: 0 });
    for (let t = 0; t < 100; t++) {
      const { terminations, infos, observations } = envs.step(Int32Array.of(1, 1));
      if (terminations[0] === 1) {
        expect(infos._finalObs[0]).toBe(1);
        const finalObs = infos.finalObs[0] as Float32Array;
        expect(Math.abs(finalObs[2]) > 0.2 || Math.abs(finalObs[0]) > 2.4).toBe(true); // the pole had fallen
        expect(Math.max(...Array.from(observations.subarray(0, 4), Math.abs))).toBeLessThanOrEqual(0.05); // already reset
        expect(infos.finalInfo).toBeDefined();
        return;
      }
    }
    throw new Error('CartPole never terminated under constant pushes');
  });

  it('disabled autoreset refuses to step a finished env until it is reset by mask', () => {
    const envs = new SyncVectorEnv('CartPole-v1', { numEnvs: 2, autoresetMode: AutoresetMode.DISABLED });
    envs.reset({ seed: 0 });
    let terminations: Uint8Array = new Uint8Array(2);
    while (terminations[0] === 0) terminations = envs.step(Int32Array.of(1, 0)).terminations;
    expect(() => envs.step(Int32Array.of(1, 0))).toThrow(/sub-env 0 ended its episode and autoresetMode is Disabled/);
    const { observations } = envs.reset({ options: { resetMask: [true, false] } });
    expect(Math.max(...Array.from((observations as Float32Array).subarray(0, 4), Math.abs))).toBeLessThanOrEqual(0.05);
    expect(() => envs.step(Int32Array.of(1, 0))).not.toThrow();
    expect(() => envs.reset({ options: { resetMask: [0, 0] } })).toThrow(/at least one env/);
  });

  it('batches infos with masks, Gymnasium-style', () => {
    const envs = new SyncVectorEnv('Taxi-v4', { numEnvs: 3 });
    const { infos, observations } = envs.reset({ seed: 0 });
    expect(observations).toBeInstanceOf(Int32Array);
    expect(infos.prob).toEqual(Float64Array.of(1, 1, 1));
    expect(infos._prob).toEqual(Uint8Array.of(1, 1, 1));
    expect(infos.actionMask[2]).toBeInstanceOf(Int8Array);
  });

  it('steps Box actions from a flat batch or per-env arrays', () => {
    const envs = new SyncVectorEnv('Pendulum-v1', { numEnvs: 2 });
    envs.reset({ seed: 0 });
    expect(envs.step(Float32Array.of(1, -1)).rewards).toHaveLength(2);
    expect(envs.step([Float32Array.of(1), Float32Array.of(-1)]).rewards).toHaveLength(2);
    expect(() => envs.step(Float32Array.of(1, -1, 0))).toThrow(/Expected 2 action values/);
    expect(() => envs.step(Float32Array.of(3, 0))).toThrow(/action Float32Array \[3\] is not in the action space/);
  });

  it('records episode statistics', () => {
    const envs = new RecordEpisodeStatisticsVector(new SyncVectorEnv('CartPole-v1', { numEnvs: 4 }));
    envs.reset({ seed: 0 });
    const lengths: number[] = [];
    const returns: number[] = [];
    for (let t = 0; t < 300; t++) {
      const { infos } = envs.step(Int32Array.of(0, 1, 0, 1));
      if (infos._episode !== undefined) {
        for (let i = 0; i < 4; i++) {
          if (infos._episode[i]) {
            lengths.push(infos.episode.l[i]);
            returns.push(infos.episode.r[i]);
          }
        }
      }
    }
    expect(lengths.length).toBeGreaterThan(10);
    expect(returns).toEqual(lengths); // CartPole pays 1 per step, nothing on the autoreset step
    expect(envs.returnQueue.length).toBe(Math.min(100, returns.length));
    expect(envs.episodeCount).toBe(returns.length);
  });
});

describe('AsyncVectorEnv (worker threads, from sources)', () => {
  const opened: AsyncVectorEnv[] = [];
  afterAll(() => opened.forEach((envs) => envs.close()));

  it('gives exactly the SyncVectorEnv results', () => {
    const rows = actionRows(300, 3, 7);
    const asyncEnvs = new AsyncVectorEnv<Float32Array, Int32Array>('CartPole-v1', { numEnvs: 3 });
    opened.push(asyncEnvs);
    const syncEnvs = new SyncVectorEnv<Float32Array, Int32Array>('CartPole-v1', { numEnvs: 3 });
    expect(runVector(asyncEnvs, 3, rows)).toEqual(runVector(syncEnvs, 3, rows));
  });

  it('supports same-step autoreset, infos, render, call and split steps', () => {
    const envs = new AsyncVectorEnv('FrozenLake-v1', { numEnvs: 2, kwargs: { isSlippery: false, renderMode: 'ansi' }, autoresetMode: AutoresetMode.SAME_STEP });
    opened.push(envs);
    expect(envs.reset({ seed: 0 }).infos.prob).toEqual(Float64Array.of(1, 1));
    envs.stepAsync(Int32Array.of(1, 2));
    const { observations } = envs.stepWait();
    expect(Array.from(observations as Int32Array)).toEqual([4, 1]);
    const { terminations, observations: afterHole, infos } = envs.step(Int32Array.of(2, 1)); // 4 → 5 is a hole; 1 → 5 as well
    expect(Array.from(terminations)).toEqual([1, 1]);
    expect(Array.from(afterHole as Int32Array)).toEqual([0, 0]);
    expect(infos.finalObs).toEqual([5, 5]);
    expect(envs.render()[0]).toContain('S');
    expect(envs.call('s')).toEqual([0, 0]);
  });

  it('propagates errors from the workers with the sub-env index', () => {
    const envs = new AsyncVectorEnv('CartPole-v1', { numEnvs: 2 });
    opened.push(envs);
    envs.reset({ seed: 0 });
    expect(() => envs.step(Int32Array.of(0, 7))).toThrow(/sub-env 1 \(step\): InvalidActionError: CartPoleEnv\.step: action 7 is not in the action space Discrete\(2\)/);
    expect(() => new AsyncVectorEnv('Nope-v0')).toThrow(/'Nope-v0' is not registered/);
  });

  it('builds custom envs registered by a worker module', () => {
    const envs = new AsyncVectorEnv('test/ShortCartPole-v0', { numEnvs: 2, workerModule: new URL('./fixtures/custom-env.ts', import.meta.url) });
    opened.push(envs);
    envs.reset({ seed: 0 });
    let truncations: Uint8Array = new Uint8Array(2);
    let steps = 0;
    while (truncations[0] === 0) {
      truncations = envs.step(Int32Array.of(0, 1)).truncations;
      steps++;
    }
    expect(steps).toBe(7);
  });

  it('closes its workers, twice without error', () => {
    const envs = new AsyncVectorEnv('CartPole-v1', { numEnvs: 1 });
    envs.close();
    envs.close();
    expect(() => envs.reset()).toThrow(/closed/);
  });
});

describe('AsyncVectorEnv from the tsup build', () => {
  it('runs its worker from dist', () => {
    // Inside the package (under the git-ignored dist/) so that `seedrandom` resolves from node_modules.
    mkdirSync(path.join(packageRoot, 'dist'), { recursive: true });
    const outDir = mkdtempSync(path.join(packageRoot, 'dist', 'test-build-'));
    try {
      execFileSync('npx', ['tsup', '--no-dts', '--silent', '--out-dir', outDir], { cwd: packageRoot, stdio: 'pipe' });
      const script = `
        const { AsyncVectorEnv, SyncVectorEnv } = await import(${JSON.stringify(path.join(outDir, 'index.js'))});
        const a = new AsyncVectorEnv('CartPole-v1', { numEnvs: 2 });
        const s = new SyncVectorEnv('CartPole-v1', { numEnvs: 2 });
        const x = a.reset({ seed: 1 }).observations, y = s.reset({ seed: 1 }).observations;
        let same = x.every((v, i) => v === y[i]);
        for (let t = 0; t < 50; t++) { const p = a.step([t % 2, 1]).observations, q = s.step([t % 2, 1]).observations; same &&= p.every((v, i) => v === q[i]); }
        a.close();
        console.log(JSON.stringify({ same, worker: import.meta.url }));`;
      const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageRoot, encoding: 'utf8' });
      expect(JSON.parse(output.trim().split('\n').at(-1) as string).same).toBe(true);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }, 120_000);
});
