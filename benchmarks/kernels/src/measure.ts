// Timing of one case on one library, after a warm-up that brings a GPU to its boost clock. Wall
// time: `iterations` calls enqueued back to back, then the library's sync (onSubmittedWorkDone),
// divided by `iterations`. GPU time: the sum of the call's kernel durations from timestamp queries,
// when the adapter has them. The runner interleaves the libraries sample by sample and reports
// medians, so load from other processes falls on all alike.

import type { Prepared } from './cases.js';
import type { Library } from './libraries.js';

/** How long to measure. */
export interface Budget {
  /** Samples per library and case (medians are over these). */
  samples: number;
  /** Each wall sample runs enough calls to last about this long. */
  sampleMs: number;
  /** Calls estimated to take longer than this are skipped (sizes are capped by time). */
  maxCallMs: number;
  /**
   * Calls run back to back for about this long before the first sample: a GPU idles at low clocks
   * and needs sustained work to reach its boost clock (an H100 measured a streaming kernel at half
   * speed in a case that followed light ones).
   */
  warmupMs: number;
}

export const FULL_BUDGET: Budget = { samples: 5, sampleMs: 400, maxCallMs: 4000, warmupMs: 500 };
export const QUICK_BUDGET: Budget = { samples: 3, sampleMs: 150, maxCallMs: 1500, warmupMs: 200 };

/** A library ready to sample one case. */
export interface Sampler {
  library: Library;
  prepared: Prepared;
  iterations: number;
  firstCallMs: number;
  wallMs: number[];
  gpuMs: number[];
}

/** Runs the first call (compilation) and calibrates the calls per sample. */
export async function startSampler(library: Library, prepared: Prepared, budget: Budget): Promise<Sampler> {
  let start = performance.now();
  prepared.call();
  await library.sync();
  const firstCallMs = performance.now() - start;
  start = performance.now();
  prepared.call();
  await library.sync();
  const single = performance.now() - start;
  const iterations = Math.max(1, Math.min(50, Math.round(budget.sampleMs / Math.max(single, 1e-3))));
  // Warm-up in chunks of about 20 ms of calls, each waited for, so the queue never holds much.
  const chunk = Math.max(1, Math.min(50, Math.round(20 / Math.max(single, 1e-3))));
  const warmEnd = performance.now() + budget.warmupMs;
  while (performance.now() < warmEnd) {
    for (let i = 0; i < chunk; i++) prepared.call();
    await library.sync();
  }
  return { library, prepared, iterations, firstCallMs, wallMs: [], gpuMs: [] };
}

/** One wall sample and one GPU sample. */
export async function sample(sampler: Sampler): Promise<void> {
  const { library, prepared, iterations } = sampler;
  const start = performance.now();
  for (let i = 0; i < iterations; i++) prepared.call();
  await library.sync();
  sampler.wallMs.push((performance.now() - start) / iterations);
  const gpu = await library.gpuTime(() => prepared.call());
  if (gpu !== null) sampler.gpuMs.push(gpu);
  await library.sync();
}

/** The median of values (NaN for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
