// Environment throughput benchmark (issue 3's bar): CartPole-v1 bare `step()`
// ≥ 3 million steps/s on one core, and a SyncVectorEnv of 8 CartPoles with
// next-step autoreset ≥ 1 million total steps/s. Each figure is printed next
// to a naive plain-JS CartPole (the same equations, a fresh state array, an
// observation array and a result object allocated per step) timed in the
// same run, and the results are written to benchmarks/envs/results/latest.json.
//
//   npm run bench --workspace @attune/benchmark-envs
//   BENCH_QUICK=1 npm run bench --workspace @attune/benchmark-envs   # shorter sampling
//   BENCH_ASYNC=1 …                                                  # also AsyncVectorEnv (worker threads)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AsyncVectorEnv, CartPoleEnv, SyncVectorEnv, make } from '@attune/envs';

const QUICK = process.env.BENCH_QUICK === '1';
const SAMPLE_SECONDS = QUICK ? 0.3 : 1.0;
const SAMPLES = QUICK ? 3 : 7;

// ---------------------------------------------------------------------------
// 1. The baseline: CartPole written the obvious way, allocating per step.
// ---------------------------------------------------------------------------

interface NaiveStep {
  observation: number[];
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Record<string, unknown>;
}

/** Gymnasium's cartpole.py equations with a fresh array per state (like `np.array(...)`), no reuse. */
class NaiveCartPole {
  state: number[] = [0, 0, 0, 0];
  reset(): number[] {
    this.state = this.state.map(() => Math.random() * 0.1 - 0.05);
    return [...this.state];
  }
  step(action: number): NaiveStep {
    if (action !== 0 && action !== 1) throw new Error(`invalid action ${action}`);
    const [x, xDot, theta, thetaDot] = this.state;
    const force = action === 1 ? 10 : -10;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const temp = (force + 0.05 * thetaDot ** 2 * sin) / 1.1;
    const thetaAcc = (9.8 * sin - cos * temp) / (0.5 * (4 / 3 - (0.1 * cos ** 2) / 1.1));
    const xAcc = temp - (0.05 * thetaAcc * cos) / 1.1;
    this.state = [x + 0.02 * xDot, xDot + 0.02 * xAcc, theta + 0.02 * thetaDot, thetaDot + 0.02 * thetaAcc];
    const terminated = Math.abs(this.state[0]) > 2.4 || Math.abs(this.state[2]) > (12 * 2 * Math.PI) / 360;
    return { observation: [...this.state], reward: 1, terminated, truncated: false, info: {} };
  }
}

// ---------------------------------------------------------------------------
// 2. Measurement: run a step function for a fixed time, several samples, median.
// ---------------------------------------------------------------------------

/** Runs `chunk()` (which performs `stepsPerChunk` env steps) repeatedly; returns the median steps/s over samples. */
function stepsPerSecond(chunk: () => void, stepsPerChunk: number): { median: number; samples: number[] } {
  const warmupEnd = performance.now() + 300;
  while (performance.now() < warmupEnd) chunk();
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    let steps = 0;
    const start = performance.now();
    const end = start + SAMPLE_SECONDS * 1000;
    let now = start;
    while (now < end) {
      chunk();
      steps += stepsPerChunk;
      now = performance.now();
    }
    samples.push(steps / ((now - start) / 1000));
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], samples };
}

const CHUNK = 10_000;

function benchNaive(): number {
  const env = new NaiveCartPole();
  let observation = env.reset();
  return stepsPerSecond(() => {
    for (let i = 0; i < CHUNK; i++) {
      const result = env.step(observation[2] > 0 ? 1 : 0);
      observation = result.terminated ? env.reset() : result.observation;
    }
  }, CHUNK).median;
}

function benchBare(): number {
  const env = new CartPoleEnv();
  let observation = env.reset({ seed: 0 }).observation;
  return stepsPerSecond(() => {
    for (let i = 0; i < CHUNK; i++) {
      const result = env.step(observation[2] > 0 ? 1 : 0);
      observation = result.terminated ? env.reset().observation : result.observation;
    }
  }, CHUNK).median;
}

function benchMade(): number {
  const env = make<Float32Array, number>('CartPole-v1');
  let observation = env.reset({ seed: 0 }).observation;
  return stepsPerSecond(() => {
    for (let i = 0; i < CHUNK; i++) {
      const result = env.step(observation[2] > 0 ? 1 : 0);
      observation = result.terminated || result.truncated ? env.reset().observation : result.observation;
    }
  }, CHUNK).median;
}

const NUM_ENVS = 8;

function benchNaiveVector(): number {
  const envs = Array.from({ length: NUM_ENVS }, () => new NaiveCartPole());
  let observations = envs.map((env) => env.reset());
  const vectorSteps = CHUNK / NUM_ENVS;
  return stepsPerSecond(() => {
    for (let i = 0; i < vectorSteps; i++) {
      observations = envs.map((env, e) => {
        const result = env.step(observations[e][2] > 0 ? 1 : 0);
        return result.terminated ? env.reset() : result.observation;
      });
    }
  }, CHUNK).median;
}

function benchVector(copy: boolean): number {
  const envs = new SyncVectorEnv<Float32Array, Int32Array>('CartPole-v1', { numEnvs: NUM_ENVS, copy });
  let observations = envs.reset({ seed: 0 }).observations;
  const actions = new Int32Array(NUM_ENVS);
  const vectorSteps = CHUNK / NUM_ENVS;
  return stepsPerSecond(() => {
    for (let i = 0; i < vectorSteps; i++) {
      for (let e = 0; e < NUM_ENVS; e++) actions[e] = observations[e * 4 + 2] > 0 ? 1 : 0;
      observations = envs.step(actions).observations;
    }
  }, CHUNK).median;
}

function benchAsync(): number {
  const envs = new AsyncVectorEnv<Float32Array, Int32Array>('CartPole-v1', { numEnvs: NUM_ENVS });
  let observations = envs.reset({ seed: 0 }).observations;
  const actions = new Int32Array(NUM_ENVS);
  const result = stepsPerSecond(() => {
    for (let i = 0; i < 100; i++) {
      for (let e = 0; e < NUM_ENVS; e++) actions[e] = observations[e * 4 + 2] > 0 ? 1 : 0;
      observations = envs.step(actions).observations;
    }
  }, 100 * NUM_ENVS).median;
  envs.close();
  return result;
}

// ---------------------------------------------------------------------------
// 3. Run, print, record.
// ---------------------------------------------------------------------------

const format = (value: number): string => `${(value / 1e6).toFixed(2)} M steps/s`;
const rows: { name: string; stepsPerSecond: number; baseline?: number; target?: number }[] = [];

const naive = benchNaive();
const bare = benchBare();
const made = benchMade();
rows.push({ name: 'CartPole-v1 naive plain JS (baseline)', stepsPerSecond: naive });
rows.push({ name: 'CartPoleEnv bare step()', stepsPerSecond: bare, baseline: naive, target: 3e6 });
rows.push({ name: "make('CartPole-v1') (checker + TimeLimit + OrderEnforcing)", stepsPerSecond: made, baseline: naive });

const naiveVector = benchNaiveVector();
const vector = benchVector(true);
const vectorNoCopy = benchVector(false);
rows.push({ name: `${NUM_ENVS} × naive plain JS (baseline)`, stepsPerSecond: naiveVector });
rows.push({ name: `SyncVectorEnv ${NUM_ENVS} × CartPole-v1, autoreset, copy (default)`, stepsPerSecond: vector, baseline: naiveVector, target: 1e6 });
rows.push({ name: `SyncVectorEnv ${NUM_ENVS} × CartPole-v1, autoreset, copy: false`, stepsPerSecond: vectorNoCopy, baseline: naiveVector });
if (process.env.BENCH_ASYNC === '1') {
  rows.push({ name: `AsyncVectorEnv ${NUM_ENVS} × CartPole-v1 (worker threads)`, stepsPerSecond: benchAsync(), baseline: naiveVector });
}

console.log(`\n@attune/envs throughput — node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, one core\n`);
for (const row of rows) {
  const ratio = row.baseline === undefined ? '' : `  ×${(row.stepsPerSecond / row.baseline).toFixed(2)} vs baseline`;
  const target = row.target === undefined ? '' : `  target ≥ ${format(row.target)}: ${row.stepsPerSecond >= row.target ? 'PASS' : 'FAIL'}`;
  console.log(`${row.name.padEnd(72)} ${format(row.stepsPerSecond).padStart(16)}${ratio}${target}`);
}

const results = {
  date: new Date().toISOString(),
  machine: { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism() },
  sampling: { samples: SAMPLES, secondsPerSample: SAMPLE_SECONDS, statistic: 'median' },
  rows,
};
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'results', 'latest.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
