// Kernel benchmarks across GPUs: @attune/tensor's WebGPU backend against
// @tensorflow/tfjs-backend-webgpu (driven in Node through the same `webgpu` package) and
// @attune/tensor's CPU backend, in one process on one adapter. Square matmuls 256…4096 and GPT-2
// 124M's matmul shapes (GFLOP/s), softmax, layerNorm, elementwise and Adam (GB/s), causal attention,
// and a small GPT training step (tokens/s). Writes benchmarks/results/webgpu-<adapter>.json.
//
//   npm run bench --workspace @attune/benchmark-kernels               # full (~10 min on lavapipe)
//   npm run bench --workspace @attune/benchmark-kernels -- --quick    # fewer samples, lower caps
//   ... -- --only=matmul,train --libraries=attune-webgpu,tfjs-webgpu
//
// Flags: --quick, --only=<groups> (matmul, gpt2-matmul, softmax, layerNorm, attention,
// elementwise, adam, train), --libraries=<ids>, --out=<file>, --max-call-ms=<ms>,
// --matmul-tiling=MxNxKxBMxBN[s] (the tiled kernel's tiling for large products; see tune.ts),
// --row-vectors=N (the vector row kernels with at most N vec4s per thread; see tune.ts).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WebGPUBackend } from '@attune/tensor';
import { allCases, type Group, type KernelCase, type Prepared } from './cases.js';
import { attuneCpu, attuneWebGPU, tfjsWebGPU, type AttuneLibrary, type Library, type TfjsLibrary } from './libraries.js';
import { FULL_BUDGET, QUICK_BUDGET, median, sample, startSampler, type Sampler } from './measure.js';
import { parseTiling } from './tiling.js';

const LIBRARY_IDS = ['attune-webgpu', 'tfjs-webgpu', 'attune-cpu'] as const;
type LibraryId = (typeof LIBRARY_IDS)[number];

/** One measured (case, library) pair, as written to the JSON. */
export interface ResultRow {
  case: string;
  group: Group;
  title: string;
  library: LibraryId;
  /** 'measured', or why the pair was not run. */
  status: string;
  /** Median wall time per call (enqueue → onSubmittedWorkDone), ms. */
  wallMs?: number;
  /** Median GPU kernel time per call from timestamp queries, ms. */
  gpuMs?: number;
  /** The time the throughput figures use: GPU time when available, else wall time. */
  timing?: 'gpu-timestamps' | 'wall';
  gflops?: number;
  gbps?: number;
  tokensPerSecond?: number;
  firstCallMs?: number;
  samples?: number;
  iterationsPerSample?: number;
}

/** The JSON document of one run. */
export interface ResultFile {
  benchmark: '@attune/benchmark-kernels';
  schema: 1;
  date: string;
  quick: boolean;
  adapter: WebGPUBackend['adapter'];
  machine: { cpu: string; cores: number; platform: string; node: string; loadAverage: number[] };
  libraries: Record<string, Record<string, unknown>>;
  method: string;
  results: ResultRow[];
  /** The bars, computed from this run. */
  bars: { name: string; value: number | null; target: number; pass: boolean | null; note: string }[];
}

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  const arg = process.argv.find((a) => a === `--${name}` || a.startsWith(prefix));
  if (!arg) return undefined;
  return arg.startsWith(prefix) ? arg.slice(prefix.length) : 'true';
}

/** A file-name-safe slug of the adapter: vendor and device (or description). */
export function adapterSlug(adapter: WebGPUBackend['adapter']): string {
  const raw = `${adapter.vendor}-${adapter.device || adapter.architecture || adapter.description}`;
  return raw.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'unknown';
}

async function main(): Promise<void> {
  const quick = flag('quick') !== undefined;
  const budget = { ...(quick ? QUICK_BUDGET : FULL_BUDGET) };
  if (flag('max-call-ms')) budget.maxCallMs = Number(flag('max-call-ms'));
  const only = flag('only')?.split(',') as Group[] | undefined;
  const wanted = (flag('libraries')?.split(',') as LibraryId[] | undefined) ?? [...LIBRARY_IDS];
  const cases = allCases().filter((c) => !only || only.includes(c.group));

  const tiling = flag('matmul-tiling');
  const attune = await attuneWebGPU(tiling ? { matmulTiling: parseTiling(tiling) } : {});
  const rowVectors = flag('row-vectors');
  if (rowVectors) {
    if (!(Number(rowVectors) >= 1)) throw new RangeError(`--row-vectors must be a positive integer, got '${rowVectors}'`);
    Object.assign(attune.backend, { rowKernel: 'vector', rowVectorsPerThread: Number(rowVectors) });
    attune.info.rows = `vector row kernels, at most ${rowVectors} vec4s per thread`;
  }
  const adapter = attune.backend.adapter;
  console.log(`adapter: ${adapter.vendor} ${adapter.architecture} — ${adapter.description}${adapter.isFallbackAdapter ? ' (software)' : ''}`);
  const libraries: Library[] = [];
  const libraryInfo: Record<string, Record<string, unknown>> = {};
  if (wanted.includes('attune-webgpu')) libraries.push(attune);
  if (wanted.includes('tfjs-webgpu')) {
    try {
      const tfjs = await tfjsWebGPU();
      libraries.push(tfjs);
    } catch (error) {
      libraryInfo['tfjs-webgpu'] = { status: `unavailable: ${(error as Error).message}` };
      console.log(`tfjs-webgpu unavailable: ${(error as Error).message}`);
    }
  }
  if (wanted.includes('attune-cpu')) libraries.push(attuneCpu());
  for (const library of libraries) libraryInfo[library.id] = { status: 'ok', ...library.info };

  const bindingLimit = adapter.limits.maxStorageBufferBindingSize;
  const rate = new Map<string, number>(); // best FLOP/ms seen per library, to cap sizes by time
  const rows: ResultRow[] = [];
  for (const kernelCase of cases) {
    const samplers: Sampler[] = [];
    for (const library of libraries) {
      const base = { case: kernelCase.id, group: kernelCase.group, title: kernelCase.title, library: library.id as LibraryId };
      const gpu = library.id !== 'attune-cpu';
      if (gpu && kernelCase.largestBuffer > bindingLimit) {
        rows.push({ ...base, status: `skipped: needs a ${mb(kernelCase.largestBuffer)} buffer, above the adapter's maxStorageBufferBindingSize (${mb(bindingLimit)})` });
        continue;
      }
      const flopsPerMs = rate.get(library.id);
      const capped = kernelCase.group === 'matmul' || kernelCase.group === 'gpt2-matmul';
      if (capped && kernelCase.flops > 0 && flopsPerMs && kernelCase.flops / flopsPerMs > budget.maxCallMs) {
        rows.push({ ...base, status: `skipped: about ${Math.round(kernelCase.flops / flopsPerMs)} ms per call at this library's best rate so far, above the ${budget.maxCallMs} ms cap` });
        continue;
      }
      let prepared: Prepared | null = null;
      try {
        prepared = library.id === 'tfjs-webgpu' ? kernelCase.tfjs((library as TfjsLibrary).tf) : kernelCase.attune(library as AttuneLibrary);
        samplers.push(await startSampler(library, prepared, budget));
      } catch (error) {
        prepared?.dispose();
        rows.push({ ...base, status: `failed: ${(error as Error).message.split('\n')[0]}` });
      }
    }
    for (let s = 0; s < budget.samples; s++) {
      for (const sampler of s % 2 ? [...samplers].reverse() : samplers) await sample(sampler);
    }
    for (const sampler of samplers) {
      sampler.prepared.dispose();
      const row = summarize(kernelCase, sampler);
      rows.push(row);
      const time = row.gpuMs ?? row.wallMs!;
      if (kernelCase.group === 'matmul' || kernelCase.group === 'gpt2-matmul') rate.set(sampler.library.id, Math.max(rate.get(sampler.library.id) ?? 0, kernelCase.flops / time));
    }
    printCase(kernelCase, rows.filter((r) => r.case === kernelCase.id));
  }

  const file: ResultFile = {
    benchmark: '@attune/benchmark-kernels',
    schema: 1,
    date: new Date().toISOString(),
    quick,
    adapter,
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), platform: `${os.platform()} ${os.release()} ${os.arch()}`, node: process.version, loadAverage: os.loadavg().map((v) => Number(v.toFixed(2))) },
    libraries: libraryInfo,
    method:
      `per case, every library: a first call (compilation), ${budget.warmupMs} ms of calls back to back (a GPU's clocks ramp up under load), then ${budget.samples} samples interleaved across libraries; a wall sample times enough calls (≥ ${budget.sampleMs} ms) ` +
      'enqueued back to back up to onSubmittedWorkDone, a GPU sample sums the kernel durations of one call from timestamp queries (attune: one pass per kernel; tfjs: tf.time kernelMs). ' +
      'Throughput uses the median GPU time when the adapter has timestamp-query, else the median wall time; the training step uses wall time (tokens/s as a user sees them).',
    results: rows,
    bars: bars(rows, adapter.device),
  };
  const defaultName = `webgpu-${adapterSlug(adapter)}${quick || only || flag('libraries') || tiling ? '.partial' : ''}.json`;
  const out = flag('out') ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'results', defaultName);
  fs.writeFileSync(out, `${JSON.stringify(file, null, 2)}\n`);
  console.log('\nbars:');
  for (const bar of file.bars) console.log(`  ${bar.pass === null ? 'n/a ' : bar.pass ? 'PASS' : 'FAIL'} ${bar.name}: ${bar.value === null ? '—' : bar.value.toFixed(2)} (target ≥ ${bar.target}) ${bar.note}`);
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
  attune.backend.dispose();
  process.exit(0);
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function summarize(kernelCase: KernelCase, sampler: Sampler): ResultRow {
  const wallMs = median(sampler.wallMs);
  const gpuMs = sampler.gpuMs.length > 0 ? median(sampler.gpuMs) : undefined;
  const train = kernelCase.group === 'train';
  const time = !train && gpuMs !== undefined && gpuMs > 0 ? gpuMs : wallMs;
  const row: ResultRow = {
    case: kernelCase.id,
    group: kernelCase.group,
    title: kernelCase.title,
    library: sampler.library.id as LibraryId,
    status: 'measured',
    wallMs: round(wallMs),
    gpuMs: gpuMs === undefined ? undefined : round(gpuMs),
    timing: time === wallMs ? 'wall' : 'gpu-timestamps',
    firstCallMs: round(sampler.firstCallMs),
    samples: sampler.wallMs.length,
    iterationsPerSample: sampler.iterations,
  };
  if (kernelCase.flops > 0) row.gflops = round(kernelCase.flops / time / 1e6);
  if (kernelCase.bytes > 0 && kernelCase.flops === 0) row.gbps = round(kernelCase.bytes / time / 1e6);
  if (kernelCase.tokens) row.tokensPerSecond = round((kernelCase.tokens / wallMs) * 1000);
  return row;
}

function round(value: number): number {
  return Number(value.toPrecision(4));
}

function printCase(kernelCase: KernelCase, rows: ResultRow[]): void {
  console.log(`\n${kernelCase.title}`);
  for (const row of rows) {
    if (row.status !== 'measured') {
      console.log(`  ${row.library.padEnd(14)} ${row.status}`);
      continue;
    }
    const figures = [
      row.gflops !== undefined ? `${row.gflops} GFLOP/s` : null,
      row.gbps !== undefined ? `${row.gbps} GB/s` : null,
      row.tokensPerSecond !== undefined ? `${row.tokensPerSecond} tokens/s` : null,
      `wall ${row.wallMs} ms`,
      row.gpuMs !== undefined ? `gpu ${row.gpuMs} ms` : null,
    ].filter(Boolean);
    console.log(`  ${row.library.padEnd(14)} ${figures.join(', ')}`);
  }
}

/** Spec-sheet memory bandwidth (GB/s) of adapters we have run on, keyed by the adapter's `device`. */
const PEAK_BANDWIDTH_GBPS: Record<string, number> = {
  'nvidia-h100-80gb-hbm3': 3350, // H100 SXM5 80 GB, HBM3 (NVIDIA H100 datasheet)
  'nvidia-h200': 4800, // H200 SXM 141 GB, HBM3e (NVIDIA H200 datasheet)
};

/** The spec bandwidth of an adapter: by its exact `device`, else by the longest known name it starts with. */
function peakBandwidth(device: string): number | undefined {
  const known = Object.keys(PEAK_BANDWIDTH_GBPS).filter((name) => device === name || device.startsWith(`${name}-`));
  return known.length > 0 ? PEAK_BANDWIDTH_GBPS[known.sort((p, q) => q.length - p.length)[0]] : undefined;
}

/** The bars: matmul 1024 ≥ 1.5× tfjs-webgpu, GPT step ≥ 2× tfjs-webgpu tokens/s, and the H100 figures. */
function bars(rows: ResultRow[], adapterDevice: string): ResultFile['bars'] {
  const find = (id: string, library: LibraryId) => rows.find((r) => r.case === id && r.library === library && r.status === 'measured');
  const ratio = (id: string, field: 'gflops' | 'tokensPerSecond') => {
    const ours = find(id, 'attune-webgpu')?.[field];
    const theirs = find(id, 'tfjs-webgpu')?.[field];
    return ours !== undefined && theirs !== undefined ? round(ours / theirs) : null;
  };
  const matmul = ratio('matmul-1024', 'gflops');
  const gpt = ratio('gpt-train-step', 'tokensPerSecond');
  const big = find('matmul-4096', 'attune-webgpu')?.gflops;
  // Memory-bound kernels as a share of the adapter's memory bandwidth: the spec sheet's where we know
  // it, else the large streaming add measured in this run.
  const streaming = find('add-67108864', 'attune-webgpu')?.gbps;
  const spec = peakBandwidth(adapterDevice);
  const peak = spec ?? streaming;
  const share = (id: string) => {
    const gbps = find(id, 'attune-webgpu')?.gbps;
    return gbps !== undefined && peak !== undefined ? round(gbps / peak) : null;
  };
  const source = spec ? `of the spec's ${spec} GB/s` : streaming ? `of the ${streaming} GB/s a streaming add reached (no spec bandwidth known for this adapter)` : '';
  const softmaxShare = share('softmax-65536x1024');
  const layerNormShare = share('layerNorm-65536x768');
  return [
    { name: 'matmul 1024: attune-webgpu / tfjs-webgpu GFLOP/s', value: matmul, target: 1.5, pass: matmul === null ? null : matmul >= 1.5, note: '' },
    { name: 'GPT training step: attune-webgpu / tfjs-webgpu tokens/s', value: gpt, target: 2, pass: gpt === null ? null : gpt >= 2, note: '' },
    { name: 'matmul 4096 f32 TFLOP/s (H100 bar)', value: big === undefined ? null : round(big / 1000), target: 25, pass: null, note: 'judged on an NVIDIA H100 only' },
    { name: 'softmax 65536×1024: share of memory bandwidth (H100 bar)', value: softmaxShare, target: 0.6, pass: null, note: source },
    { name: 'layerNorm 65536×768: share of memory bandwidth (H100 bar)', value: layerNormShare, target: 0.6, pass: null, note: source },
  ];
}

await main();
