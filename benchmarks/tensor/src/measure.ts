// Timing of one benchmark case: a first call (compilation, lazy init), a timed
// warm-up, then repeated samples of a calibrated number of iterations each; the
// reported figure is the median per-iteration time over samples.

import type { BenchCase } from './peer.js';

export interface Budget {
  /** Warm-up time after the first call, ms. */
  warmupMs: number;
  /** Measurement time, ms (stops earlier at maxSamples). */
  measureMs: number;
  /** Samples taken at least, even past measureMs (fewer when one iteration exceeds slowIterationMs). */
  minSamples: number;
  maxSamples: number;
  /** Each sample runs enough iterations to last about this long, so µs-scale calls are not timer noise. */
  sampleTargetMs: number;
  /** Iterations slower than this get 2 samples at least and no further warm-up. */
  slowIterationMs: number;
}

export const FULL_BUDGET: Budget = {
  warmupMs: 400,
  measureMs: 2000,
  minSamples: 7,
  maxSamples: 300,
  sampleTargetMs: 3,
  slowIterationMs: 400,
};

export const QUICK_BUDGET: Budget = {
  warmupMs: 150,
  measureMs: 600,
  minSamples: 5,
  maxSamples: 100,
  sampleTargetMs: 2,
  slowIterationMs: 250,
};

export interface Stats {
  /** Median time of one iteration, ms. */
  medianMs: number;
  minMs: number;
  /** 25th and 75th percentiles of the per-iteration time, ms. */
  p25Ms: number;
  p75Ms: number;
  samples: number;
  iterationsPerSample: number;
  /** The very first call, ms (includes compilation / kernel caches / thread start). */
  firstCallMs: number;
}

const now = (): number => performance.now();

async function timeIterations(c: BenchCase, k: number): Promise<number> {
  const t0 = now();
  if (c.async) for (let i = 0; i < k; i++) await c.run();
  else for (let i = 0; i < k; i++) c.run();
  return now() - t0;
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export async function measure(c: BenchCase, budget: Budget): Promise<Stats> {
  const firstCallMs = await timeIterations(c, 1);

  // Warm-up, also estimating the cost of one iteration.
  let warmIters = 0;
  let warmTime = 0;
  if (firstCallMs < budget.slowIterationMs) {
    const w0 = now();
    while (now() - w0 < budget.warmupMs || warmIters < 3) {
      const k = Math.max(1, warmIters);
      warmTime += await timeIterations(c, k);
      warmIters += k;
    }
  }
  const perIter = warmIters > 0 ? warmTime / warmIters : firstCallMs;
  const k = Math.max(1, Math.round(budget.sampleTargetMs / Math.max(perIter, 1e-4)));
  const minSamples = perIter > budget.slowIterationMs ? 2 : budget.minSamples;

  const times: number[] = [];
  const m0 = now();
  while (times.length < budget.maxSamples && (times.length < minSamples || now() - m0 < budget.measureMs)) {
    times.push((await timeIterations(c, k)) / k);
  }
  times.sort((a, b) => a - b);
  return {
    medianMs: quantile(times, 0.5),
    minMs: times[0]!,
    p25Ms: quantile(times, 0.25),
    p75Ms: quantile(times, 0.75),
    samples: times.length,
    iterationsPerSample: k,
    firstCallMs,
  };
}
