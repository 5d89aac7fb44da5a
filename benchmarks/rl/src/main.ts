// Deep-RL benchmark for issue 5's bars, over several seeds:
//   ppo-cartpole        PPO, CleanRL ppo.py defaults: mean return of the last 100 episodes ≥ 475 by 300k steps, ≥ 4 of 5 seeds
//   dqn-cartpole        DQN, CleanRL dqn.py defaults: ≥ 475 at 500k steps, ≥ 3 of 5 seeds
//   ppo-pendulum        PPO continuous, ppoPendulumPreset: ≥ −300 within 1M steps, ≥ 3 of 5 seeds
//   reinforce-cartpole  REINFORCE with a baseline: ≥ 475 within 1M steps, ≥ 3 of 5 seeds
//   a2c-cartpole        A2C: ≥ 475 within 1M steps, ≥ 3 of 5 seeds
//   throughput          end-to-end PPO CartPole steps/s with CleanRL's defaults (≥ 10,000), against two baselines
//                       measured in the same run: the vector env alone, and the rollout (policy inference + env) alone
// Results go to benchmarks/results/rl-<machine>.json (merged suite by suite, written after every run) and one
// learning-curve SVG per suite, benchmarks/results/rl-<suite>.svg.
//
//   npm run bench --workspace @attune/benchmark-rl
//   npm run bench --workspace @attune/benchmark-rl -- --only ppo-cartpole,throughput --seeds 1,2,3
//   npm run bench --workspace @attune/benchmark-rl -- --plot      # redraw the SVGs from the results file only
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ActorCritic, makeVectorEnv, resolveA2CConfig, resolveReinforceConfig, trainA2C, trainReinforce, type EpisodeLog } from '@attune/policy-gradient';
import { ppoDefaults, ppoPendulumPreset, trainPPO } from '@attune/ppo';
import { resolveDQNConfig, trainDQN } from '@attune/q-learning';
import { Generator, noGrad, tensor, tidy } from '@attune/tensor';
import { learningCurveSvg } from './svg.js';

const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../results');
const SUITES = ['ppo-cartpole', 'dqn-cartpole', 'ppo-pendulum', 'reinforce-cartpole', 'a2c-cartpole', 'throughput'] as const;
type Suite = (typeof SUITES)[number];

const { values: flags } = parseArgs({ options: { only: { type: 'string' }, seeds: { type: 'string' }, out: { type: 'string' }, plot: { type: 'boolean' } } });
const only = (flags.only?.split(',') ?? [...SUITES]) as Suite[];
for (const suite of only) if (!SUITES.includes(suite)) throw new Error(`unknown suite '${suite}'; known: ${SUITES.join(', ')}`);
const seeds = (flags.seeds ?? '1,2,3,4,5').split(',').map(Number);

// ---------------------------------------------------------------------------
// 1. What a run is judged on.
// ---------------------------------------------------------------------------

interface Bar {
  /** Return the mean of the last 100 episodes must reach. */
  threshold: number;
  /** Step budget. */
  steps: number;
  /** 'cross': reach the threshold at some point within the budget; 'at': be at or above it at the budget. */
  kind: 'cross' | 'at';
  /** Seeds that must pass. */
  seedsRequired: number;
}

interface RunResult {
  seed: number;
  /** First global step at which the mean of the last 100 episodes reached the threshold (null: never). */
  crossedAtStep: number | null;
  /** Mean of the last 100 episodes at the bar's step budget. */
  meanReturnAtBarStep: number;
  /** Mean of the last 100 episodes at the end of the run. */
  finalMeanReturn: number;
  /** The best 100-episode mean seen. */
  bestMeanReturn: number;
  passed: boolean;
  episodes: number;
  totalSteps: number;
  stepsPerSecond: number;
  wallSeconds: number;
  /** [step, mean of the last 100 episodes], every ~1% of the run. */
  curve: [number, number][];
}

function judge(seed: number, episodes: EpisodeLog, bar: Bar, totalSteps: number, stepsPerSecond: number, wallSeconds: number): RunResult {
  const window: number[] = [];
  let sum = 0;
  let crossedAtStep: number | null = null;
  let meanReturnAtBarStep = Number.NaN;
  let bestMeanReturn = -Infinity;
  const curve: [number, number][] = [];
  const every = totalSteps / 100;
  let nextPoint = every;
  for (let i = 0; i < episodes.returns.length; i++) {
    window.push(episodes.returns[i]);
    sum += episodes.returns[i];
    if (window.length > 100) sum -= window.shift()!;
    const mean = sum / window.length;
    const step = episodes.steps[i];
    if (window.length === 100) {
      bestMeanReturn = Math.max(bestMeanReturn, mean);
      if (crossedAtStep === null && mean >= bar.threshold) crossedAtStep = step;
    }
    if (step <= bar.steps) meanReturnAtBarStep = mean;
    if (step >= nextPoint || i === episodes.returns.length - 1) {
      curve.push([step, +mean.toFixed(2)]);
      while (nextPoint <= step) nextPoint += every;
    }
  }
  const finalMeanReturn = sum / window.length;
  const passed = bar.kind === 'cross' ? crossedAtStep !== null && crossedAtStep <= bar.steps : meanReturnAtBarStep >= bar.threshold;
  return {
    seed,
    crossedAtStep,
    meanReturnAtBarStep: +meanReturnAtBarStep.toFixed(2),
    finalMeanReturn: +finalMeanReturn.toFixed(2),
    bestMeanReturn: +bestMeanReturn.toFixed(2),
    passed,
    episodes: episodes.returns.length,
    totalSteps,
    stepsPerSecond: Math.round(stepsPerSecond),
    wallSeconds: +wallSeconds.toFixed(1),
    curve,
  };
}

// ---------------------------------------------------------------------------
// 2. The suites.
// ---------------------------------------------------------------------------

interface LearningSuite {
  description: string;
  config: Record<string, unknown>;
  bar: Bar;
  plot: { yMin: number; yMax: number };
  run(seed: number): Promise<{ episodes: EpisodeLog; totalSteps: number; stepsPerSecond: number }>;
}

const learningSuites: Record<Exclude<Suite, 'throughput'>, LearningSuite> = {
  'ppo-cartpole': {
    description: "PPO on CartPole-v1, CleanRL ppo.py defaults (500k-step schedule; the bar reads the curve at 300k)",
    config: { ...ppoDefaults },
    bar: { threshold: 475, steps: 300_000, kind: 'cross', seedsRequired: 4 },
    plot: { yMin: 0, yMax: 520 },
    async run(seed) {
      const { agent, episodes, globalStep, stepsPerSecond } = await trainPPO({ ...ppoDefaults, seed });
      agent.dispose();
      return { episodes, totalSteps: globalStep, stepsPerSecond };
    },
  },
  'dqn-cartpole': {
    description: 'DQN on CartPole-v1, CleanRL dqn.py defaults',
    config: { ...resolveDQNConfig() },
    bar: { threshold: 475, steps: 500_000, kind: 'at', seedsRequired: 3 },
    plot: { yMin: 0, yMax: 520 },
    async run(seed) {
      const { qNetwork, episodeReturns, episodeLengths, episodeSteps, globalStep, stepsPerSecond } = await trainDQN({ seed });
      qNetwork.dispose();
      return { episodes: { returns: episodeReturns, lengths: episodeLengths, steps: episodeSteps }, totalSteps: globalStep, stepsPerSecond };
    },
  },
  'ppo-pendulum': {
    description: 'continuous PPO on Pendulum-v1, ppoPendulumPreset (CleanRL ppo_continuous_action.py + RL-Zoo tuned Pendulum hyperparameters)',
    config: { ...ppoPendulumPreset },
    bar: { threshold: -300, steps: 1_000_000, kind: 'cross', seedsRequired: 3 },
    plot: { yMin: -1500, yMax: 0 },
    async run(seed) {
      const { agent, episodes, globalStep, stepsPerSecond } = await trainPPO({ ...ppoPendulumPreset, seed });
      agent.dispose();
      return { episodes, totalSteps: globalStep, stepsPerSecond };
    },
  },
  'reinforce-cartpole': {
    description: 'REINFORCE with a learned baseline on CartPole-v1, package defaults',
    config: { ...resolveReinforceConfig({ totalTimesteps: 1_000_000 }) },
    bar: { threshold: 475, steps: 1_000_000, kind: 'cross', seedsRequired: 3 },
    plot: { yMin: 0, yMax: 520 },
    async run(seed) {
      const { agent, episodes, globalStep, stepsPerSecond } = await trainReinforce({ seed, totalTimesteps: 1_000_000 });
      agent.dispose();
      return { episodes, totalSteps: globalStep, stepsPerSecond };
    },
  },
  'a2c-cartpole': {
    description: 'A2C on CartPole-v1, package defaults (SB3 A2C with RL-Zoo CartPole settings, Adam for RMSprop)',
    config: { ...resolveA2CConfig({ totalTimesteps: 1_000_000 }) },
    bar: { threshold: 475, steps: 1_000_000, kind: 'cross', seedsRequired: 3 },
    plot: { yMin: 0, yMax: 520 },
    async run(seed) {
      const { agent, episodes, globalStep, stepsPerSecond } = await trainA2C({ seed, totalTimesteps: 1_000_000 });
      agent.dispose();
      return { episodes, totalSteps: globalStep, stepsPerSecond };
    },
  },
};

/** Steps/s of `fn` (which takes `steps` env steps) over `seconds`, median of `samples`. */
function measure(fn: () => number, samples: number, seconds: number): number {
  fn(); // warm-up
  const rates: number[] = [];
  for (let s = 0; s < samples; s++) {
    let steps = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) steps += fn();
    rates.push(steps / ((performance.now() - start) / 1000));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

async function throughput(): Promise<Record<string, unknown>> {
  const { numEnvs, numSteps } = ppoDefaults;
  // Baseline 1: the vector env alone, random actions (what the env package can deliver to any learner).
  const envs = makeVectorEnv('CartPole-v1', numEnvs);
  envs.reset({ seed: 0 });
  const random = new Generator(0);
  const actions = new Int32Array(numEnvs);
  const envOnly = measure(() => {
    for (let t = 0; t < numSteps; t++) {
      for (let e = 0; e < numEnvs; e++) actions[e] = random.randint(0, 2);
      envs.step(actions);
    }
    return numSteps * numEnvs;
  }, 5, 1);
  // Baseline 2: the rollout alone: CleanRL's agent sampling actions and values for every step, no updates.
  const agent = new ActorCritic({ observationSize: 4, action: { kind: 'discrete', n: 2 } }, new Generator(0));
  let observations = envs.reset({ seed: 0 }).observations as Float32Array;
  const rolloutOnly = measure(() => {
    for (let t = 0; t < numSteps; t++) {
      tidy(() =>
        noGrad(() => {
          const input = tensor(observations, { shape: [numEnvs, 4] });
          const pi = agent.distribution(input);
          const sampled = pi.sample(random);
          pi.logProb(sampled).dataSync();
          agent.getValue(input).dataSync();
          actions.set(sampled.dataSync());
        }),
      );
      observations = envs.step(actions).observations as Float32Array;
    }
    return numSteps * numEnvs;
  }, 5, 1);
  agent.dispose();
  envs.close();
  // End to end: trainPPO with CleanRL's defaults, 3 runs of 100 updates (51,200 steps) each; median.
  const endToEnd: number[] = [];
  for (let run = 0; run < 3; run++) {
    const result = await trainPPO({ ...ppoDefaults, seed: run + 1, totalTimesteps: 100 * numEnvs * numSteps });
    endToEnd.push(result.stepsPerSecond);
    result.agent.dispose();
  }
  endToEnd.sort((a, b) => a - b);
  const median = endToEnd[1];
  return {
    description: "end-to-end trainPPO steps/s with CleanRL's ppo.py defaults (4 envs × 128 steps, 4 epochs × 4 minibatches of 128), median of 3 runs of 100 updates; baselines measured in the same process",
    bar: { stepsPerSecond: 10_000 },
    endToEndStepsPerSecond: Math.round(median),
    endToEndRuns: endToEnd.map(Math.round),
    passed: median >= 10_000,
    baselines: {
      vectorEnvOnlyStepsPerSecond: Math.round(envOnly),
      rolloutOnlyStepsPerSecond: Math.round(rolloutOnly),
    },
    shareOfTimeInUpdates: +(1 - median / rolloutOnly).toFixed(3),
  };
}

// ---------------------------------------------------------------------------
// 3. Run, merge into the results file, plot.
// ---------------------------------------------------------------------------

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    totalMemoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg().map((value) => +value.toFixed(2)),
  };
}

function machineSlug(): string {
  const words = (os.cpus()[0]?.model ?? 'cpu').toLowerCase().replace(/\(r\)|\(tm\)|cpu|processor|\d+-core/g, ' ').split(/[^a-z0-9]+/).filter(Boolean);
  return `cpu-${words.slice(0, 2).join('-')}-${os.cpus().length}c`;
}

const resultsPath = flags.out ?? path.join(RESULTS_DIR, `rl-${machineSlug()}.json`);
const results: Record<string, any> = fs.existsSync(resultsPath) ? JSON.parse(fs.readFileSync(resultsPath, 'utf8')) : { benchmark: '@attune/benchmark-rl', suites: {} };
function save(): void {
  results.date = new Date().toISOString();
  results.machine = machine();
  results.note = 'Measured on a shared 2-core machine while other work ran on it; steps/s are lower bounds of what an idle machine gives.';
  fs.mkdirSync(path.dirname(resultsPath), { recursive: true });
  fs.writeFileSync(resultsPath, JSON.stringify(results, null, 2) + '\n');
}

function plot(suite: Exclude<Suite, 'throughput'>): void {
  const spec = learningSuites[suite];
  const runs = results.suites[suite].runs as RunResult[];
  const totalSteps = Math.max(...runs.map((run) => run.totalSteps));
  const svg = learningCurveSvg({
    title: `${suite}: ${runs.filter((run) => run.passed).length}/${runs.length} seeds pass (need ${spec.bar.seedsRequired})`,
    curves: runs.map((run) => ({ label: `seed ${run.seed}`, points: run.curve })),
    threshold: spec.bar.threshold,
    barStep: spec.bar.steps,
    xMax: Math.ceil(totalSteps / 100_000) * 100_000,
    ...spec.plot,
  });
  fs.writeFileSync(path.join(RESULTS_DIR, `rl-${suite}.svg`), svg);
}

if (flags.plot) {
  for (const suite of only) if (suite !== 'throughput' && results.suites[suite] !== undefined) plot(suite);
  process.exit(0);
}

for (const suite of only) {
  if (suite === 'throughput') {
    console.log('throughput …');
    results.suites.throughput = { ...(await throughput()), machineLoadAverage: os.loadavg().map((value) => +value.toFixed(2)) };
    console.log(JSON.stringify(results.suites.throughput));
    save();
    continue;
  }
  const spec = learningSuites[suite];
  const previous = results.suites[suite]?.runs ?? [];
  const entry = { description: spec.description, bar: spec.bar, config: spec.config, runs: previous.filter((run: RunResult) => !seeds.includes(run.seed)) as RunResult[] };
  results.suites[suite] = entry;
  for (const seed of seeds) {
    const start = performance.now();
    const { episodes, totalSteps, stepsPerSecond } = await spec.run(seed);
    const run = judge(seed, episodes, spec.bar, totalSteps, stepsPerSecond, (performance.now() - start) / 1000);
    entry.runs.push(run);
    entry.runs.sort((a, b) => a.seed - b.seed);
    const passing = entry.runs.filter((r) => r.passed).length;
    Object.assign(entry, { seedsPassed: passing, seedsRun: entry.runs.length, passed: passing >= spec.bar.seedsRequired });
    save();
    console.log(`${suite} seed ${seed}: crossed ${spec.bar.threshold} at ${run.crossedAtStep ?? 'never'}, at ${spec.bar.steps} steps ${run.meanReturnAtBarStep}, final ${run.finalMeanReturn}, ${run.stepsPerSecond} steps/s, ${run.passed ? 'PASS' : 'fail'}`);
  }
  plot(suite);
}
console.log(`results: ${resultsPath}`);
