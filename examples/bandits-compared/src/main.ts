// The 10-armed Bernoulli testbed (arm means drawn U(0, 1) at every reset): ε-greedy, UCB1, UCB1-Tuned, Thompson
// sampling and the gradient bandit, each run 2,000 times for 1,000 pulls on the same arms (Sutton & Barto 2nd ed.
// figure 2.2 style). Prints the regret table and writes runs/regret.svg and runs/regret.json. Run: npm start
import { mkdirSync, writeFileSync } from 'node:fs';
import { make } from '@attune/envs';
import {
  BetaBernoulliThompsonSampling,
  EpsilonGreedy,
  GaussianThompsonSampling,
  GradientBandit,
  UCB1,
  runBanditExperiment,
  type BanditAgent,
  type BanditExperimentResult,
} from '@attune/bandits';
import { lineChart } from './plot.js';

const RUNS = 2_000;
const STEPS = 1_000;
const SEED = 2024;
const OUTPUT_DIRECTORY = 'runs';
const numArms = 10;

const agents: [string, (seed: number) => BanditAgent][] = [
  ['ε-greedy, ε = 0.1', (seed) => new EpsilonGreedy({ numArms, seed, epsilon: 0.1 })],
  ['ε-greedy, ε 1 → 0.01', (seed) => new EpsilonGreedy({ numArms, seed, epsilon: 1, epsilonDecay: 0.99, minEpsilon: 0.01 })],
  ['UCB1, c = √2', (seed) => new UCB1({ numArms, seed })],
  ['UCB1-Tuned', (seed) => new UCB1({ numArms, seed, variant: 'tuned' })],
  ['Thompson, Beta(1, 1)', (seed) => new BetaBernoulliThompsonSampling({ numArms, seed })],
  ['Thompson, Gaussian', (seed) => new GaussianThompsonSampling({ numArms, seed, priorMean: 0.5, priorVariance: 1 / 12, noiseVariance: 0.25 })],
  ['gradient, α = 0.1', (seed) => new GradientBandit({ numArms, seed, stepSize: 0.1 })],
  ['gradient, α = 0.4', (seed) => new GradientBandit({ numArms, seed, stepSize: 0.4 })],
];

// 1. Every agent faces the same 2,000 sets of arms: runBanditExperiment draws run r's env seed from SEED.
const env = make('BernoulliBandit-v0'); // 10 arms, 1,000-pull TimeLimit
const results: [string, BanditExperimentResult][] = [];
for (const [label, makeAgent] of agents) {
  const started = performance.now();
  results.push([label, runBanditExperiment(env, makeAgent, { runs: RUNS, steps: STEPS, seed: SEED })]);
  console.log(`ran ${label.padEnd(22)} in ${((performance.now() - started) / 1000).toFixed(2)} s`);
}

// 2. The table: cumulative regret after 100 and 1,000 pulls, and how often the best arm is pulled at the end.
console.log(`\nmean cumulative regret over ${RUNS} runs (± standard error at ${STEPS})`);
console.log(`${'agent'.padEnd(22)} ${'t = 100'.padStart(8)} ${'t = 1000'.padStart(16)} ${'best arm, last 100'.padStart(20)}`);
for (const [label, result] of [...results].sort((a, b) => a[1].finalRegret.mean - b[1].finalRegret.mean)) {
  const bestArm = result.optimalActionRate.slice(STEPS - 100).reduce((sum, rate) => sum + rate, 0) / 100;
  const final = `${result.finalRegret.mean.toFixed(1)} ± ${result.finalRegret.standardError.toFixed(1)}`;
  console.log(`${label.padEnd(22)} ${result.meanCumulativeRegret[99].toFixed(1).padStart(8)} ${final.padStart(16)} ${`${(100 * bestArm).toFixed(1)} %`.padStart(20)}`);
}

// 3. The plot and the raw series.
mkdirSync(OUTPUT_DIRECTORY, { recursive: true });
const svg = lineChart(
  results.map(([label, result]) => ({ label, values: result.meanCumulativeRegret })),
  { title: `10-armed Bernoulli testbed: mean cumulative regret (${RUNS} runs)`, xLabel: 'pull', yLabel: 'cumulative regret' },
);
writeFileSync(`${OUTPUT_DIRECTORY}/regret.svg`, svg);
const json = {
  env: 'BernoulliBandit-v0',
  runs: RUNS,
  steps: STEPS,
  seed: SEED,
  agents: results.map(([label, result]) => ({
    label,
    finalRegret: result.finalRegret,
    meanCumulativeRegret: Array.from(result.meanCumulativeRegret, (v) => Number(v.toFixed(4))),
    optimalActionRate: Array.from(result.optimalActionRate, (v) => Number(v.toFixed(4))),
  })),
};
writeFileSync(`${OUTPUT_DIRECTORY}/regret.json`, JSON.stringify(json));
console.log(`\nwrote ${OUTPUT_DIRECTORY}/regret.svg (open it in a browser) and ${OUTPUT_DIRECTORY}/regret.json`);
