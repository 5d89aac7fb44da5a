// Timing of one benchmark case in one round: on the first round a first call
// (compilation, lazy init) and a timed warm-up, on later rounds a short re-warm;
// then samples of a calibrated number of iterations each. The runner pools the
// per-iteration samples of all rounds and reports their median.

import type { BenchCase } from './peer.js';

export interface Budget {
  /** Rounds each case is measured in; the runner interleaves libraries round by round. */
  rounds: number;
  /** Warm-up after the first call, ms (first round). */
  warmupMs: number;
  /** Re-warm-up at the start of later rounds, ms (another process just had the CPU). */
  rewarmMs: number;
  /** Measurement time per round, ms (stops earlier at maxSamples). */
  measureMs: number;
  /** Samples per round at least, even past measureMs (1 when one iteration exceeds slowIterationMs). */
  minSamples: number;
  maxSamples: number;
  /** Each sample runs enough iterations to last about this long, so µs-scale calls are not timer noise. */
  sampleTargetMs: number;
  /** Iterations slower than this get no warm-up beyond the first call and 1 sample per round. */
  slowIterationMs: number;
}

export const FULL_BUDGET: Budget = {
  rounds: 3,
  warmupMs: 300,
  rewarmMs: 60,
  measureMs: 700,
  minSamples: 3,
  maxSamples: 150,
  sampleTargetMs: 3,
  slowIterationMs: 400,
};

export const QUICK_BUDGET: Budget = {
  rounds: 1,
  warmupMs: 150,
  rewarmMs: 50,
  measureMs: 600,
  minSamples: 5,
  maxSamples: 100,
  sampleTargetMs: 2,
  slowIterationMs: 250,
};

export interface RoundResult {
  /** Per-iteration time of each sample, ms. */
  samples: number[];
  iterationsPerSample: number;
  /** The very first call, ms (includes compilation / kernel caches / thread start); first round only. */
  firstCallMs?: number;
}

export interface Stats {
  /** Median time of one iteration over all samples of all rounds, ms. */
  medianMs: number;
  minMs: number;
  /** 25th and 75th percentiles of the per-iteration time, ms. */
  p25Ms: number;
  p75Ms: number;
  samples: number;
  rounds: number;
  /** Median of each round, ms: their spread shows how much the machine's load moved. */
  roundMediansMs: number[];
  firstCallMs: number;
}

const now = (): number => performance.now();

async function timeIterations(c: BenchCase, k: number): Promise<number> {
  const t0 = now();
  if (c.async) for (let i = 0; i < k; i++) await c.run();
  else for (let i = 0; i < k; i++) c.run();
  return now() - t0;
}

export function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Per-case state kept between rounds (the iteration-cost estimate). */
export interface CaseState {
  perIterMs?: number;
}

export async function measureRound(c: BenchCase, budget: Budget, state: CaseState): Promise<RoundResult> {
  let firstCallMs: number | undefined;
  if (state.perIterMs === undefined) {
    firstCallMs = await timeIterations(c, 1);
    state.perIterMs = firstCallMs;
  }
  // Warm-up (re-warm on later rounds), refining the per-iteration estimate.
  if (state.perIterMs < budget.slowIterationMs) {
    const span = firstCallMs !== undefined ? budget.warmupMs : budget.rewarmMs;
    let iters = 0;
    let time = 0;
    const w0 = now();
    while (now() - w0 < span || iters < 3) {
      const k = Math.max(1, iters);
      time += await timeIterations(c, k);
      iters += k;
    }
    state.perIterMs = time / iters;
  }
  const perIter = state.perIterMs;
  const k = Math.max(1, Math.round(budget.sampleTargetMs / Math.max(perIter, 1e-4)));
  const minSamples = perIter >= budget.slowIterationMs ? 1 : budget.minSamples;

  const samples: number[] = [];
  const m0 = now();
  while (samples.length < budget.maxSamples && (samples.length < minSamples || now() - m0 < budget.measureMs)) {
    samples.push((await timeIterations(c, k)) / k);
  }
  return { samples, iterationsPerSample: k, ...(firstCallMs !== undefined ? { firstCallMs } : {}) };
}

export function combine(rounds: readonly RoundResult[]): Stats {
  const all = rounds.flatMap((r) => r.samples).sort((a, b) => a - b);
  return {
    medianMs: quantile(all, 0.5),
    minMs: all[0]!,
    p25Ms: quantile(all, 0.25),
    p75Ms: quantile(all, 0.75),
    samples: all.length,
    rounds: rounds.length,
    roundMediansMs: rounds.map((r) => quantile([...r.samples].sort((a, b) => a - b), 0.5)),
    firstCallMs: rounds.find((r) => r.firstCallMs !== undefined)?.firstCallMs ?? NaN,
  };
}
