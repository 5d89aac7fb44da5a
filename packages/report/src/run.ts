// Reading a run directory: config.json (optional), metrics.jsonl (required) and kernels.json
// (optional, a @attune/benchmark-kernels result), and writing its report.html atomically.

import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseMetricsLog, type MetricSeries } from './metrics.js';
import { renderReport, type ReportOptions } from './render.js';

/**
 * One measured (or skipped) (kernel case, library) pair of a kernel benchmark, exactly as
 * `benchmarks/kernels` writes it.
 *
 * @example
 * ```ts
 * const row: KernelResultRow = { case: 'matmul-1024', group: 'matmul', title: 'matmul 1024', library: 'attune-webgpu', status: 'measured', gflops: 2150 };
 * ```
 */
export interface KernelResultRow {
  /** Stable case id, e.g. `matmul-1024`. */
  case: string;
  /** The case's group: `matmul`, `gpt2-matmul`, `softmax`, `layerNorm`, `attention`, `elementwise`, `adam`, `train`. */
  group: string;
  /** Human-readable description of the case. */
  title: string;
  /** The library measured: `attune-webgpu`, `tfjs-webgpu`, `attune-cpu`. */
  library: string;
  /** `'measured'`, or why the pair was not run. */
  status: string;
  /** Median wall time per call, ms. */
  wallMs?: number;
  /** Median GPU kernel time per call from timestamp queries, ms. */
  gpuMs?: number;
  /** Which time the throughput figures use. */
  timing?: string;
  /** Throughput, GFLOP/s. */
  gflops?: number;
  /** Throughput, GB/s. */
  gbps?: number;
  /** Throughput of the training step, tokens/s. */
  tokensPerSecond?: number;
  /** Time of the first call (pipeline compilation), ms. */
  firstCallMs?: number;
  /** Number of timed samples. */
  samples?: number;
  /** Calls per wall sample. */
  iterationsPerSample?: number;
}

/**
 * A kernel benchmark result (`kernels.json`): the JSON document `benchmarks/kernels` writes to
 * `benchmarks/results/webgpu-<adapter>.json`. Only `results` is required; the rest is shown when present.
 *
 * @example
 * ```ts
 * const kernels: KernelBenchmark = { results: [{ case: 'adam-4M', group: 'adam', title: 'Adam', library: 'attune-cpu', status: 'measured', gbps: 3.1 }] };
 * ```
 */
export interface KernelBenchmark {
  /** `'@attune/benchmark-kernels'`. */
  benchmark?: string;
  /** Schema version of the document (1). */
  schema?: number;
  /** ISO date of the run. */
  date?: string;
  /** Whether it was a `--quick` run. */
  quick?: boolean;
  /** The WebGPU adapter's info (vendor, device, description, features, limits). */
  adapter?: Record<string, unknown>;
  /** The machine: cpu, cores, platform, node, loadAverage. */
  machine?: Record<string, unknown>;
  /** Per library: status, package and version. */
  libraries?: Record<string, Record<string, unknown>>;
  /** How the numbers were measured. */
  method?: string;
  /** Every (case, library) pair. */
  results: KernelResultRow[];
  /** The bars computed from this run. */
  bars?: { name: string; value: number | null; target: number; pass: boolean | null; note: string }[];
}

/**
 * Everything a report shows about one run directory.
 *
 * @example
 * ```ts
 * const run: RunData = { dir: 'runs/demo', config: { seed: 1 }, hyperparameters: null, series: [], kernels: null };
 * renderReport(run, { title: 'demo' });
 * ```
 */
export interface RunData {
  /** The run directory, as given. */
  dir: string;
  /** `config.json`, or `null` when the directory has none. */
  config: Record<string, unknown> | null;
  /** The `{"hyperparameters": {...}}` line(s) of `metrics.jsonl`, or `null`. */
  hyperparameters: Record<string, unknown> | null;
  /** Every metric series of `metrics.jsonl`. */
  series: MetricSeries[];
  /** `kernels.json`, or `null` when the directory has none. */
  kernels: KernelBenchmark | null;
}

/**
 * Reads a run directory: `metrics.jsonl` (required; a malformed line throws an error naming the
 * file and line), `config.json` (optional, a JSON object) and `kernels.json` (optional, a
 * `benchmarks/kernels` result).
 *
 * @param runDir - The run directory.
 * @example
 * ```ts
 * import { mkdirSync, writeFileSync } from 'node:fs';
 * mkdirSync('runs/demo', { recursive: true });
 * writeFileSync('runs/demo/config.json', JSON.stringify({ env: 'CartPole-v1', seed: 1 }));
 * writeFileSync('runs/demo/metrics.jsonl', '{"step":500,"name":"charts/episodic_return","value":21}\n');
 * const run = await readRun('runs/demo');
 * run.config?.env;         // 'CartPole-v1'
 * run.series[0].values;    // [21]
 * ```
 */
export async function readRun(runDir: string): Promise<RunData> {
  const metricsPath = join(runDir, 'metrics.jsonl');
  const metricsText = await readOptional(metricsPath);
  if (metricsText === null) {
    throw new Error(`readRun: ${metricsPath} not found; a run directory must hold metrics.jsonl (and may hold config.json and kernels.json)`);
  }
  const log = parseMetricsLog(metricsText, metricsPath);

  const configPath = join(runDir, 'config.json');
  const configText = await readOptional(configPath);
  let config: Record<string, unknown> | null = null;
  if (configText !== null) {
    const parsed = parseJson(configText, configPath);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error(`readRun: ${configPath} must hold a JSON object, got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}`);
    }
    config = parsed as Record<string, unknown>;
  }

  const kernelsPath = join(runDir, 'kernels.json');
  const kernelsText = await readOptional(kernelsPath);
  const kernels = kernelsText === null ? null : validateKernels(parseJson(kernelsText, kernelsPath), kernelsPath);

  return { dir: runDir, config, hyperparameters: log.hyperparameters, series: log.series, kernels };
}

/**
 * Reads `runDir` ({@link readRun}), renders its report ({@link renderReport}) and writes it to
 * `<runDir>/report.html` atomically (a temporary file renamed over it, so a reader never sees half a
 * report). The title defaults to the directory's name.
 *
 * @param runDir - The run directory.
 * @param options - Report options (title, …).
 * @returns The path of the written `report.html`.
 * @example
 * ```ts
 * import { mkdirSync, writeFileSync } from 'node:fs';
 * mkdirSync('runs/demo', { recursive: true });
 * writeFileSync('runs/demo/metrics.jsonl', [1, 2, 3].map((step) => JSON.stringify({ step, name: 'losses/loss', value: 1 / step })).join('\n'));
 * const path = await writeReport('runs/demo', { title: 'demo run' });
 * console.log(`report: ${path}`); // runs/demo/report.html
 * ```
 */
export async function writeReport(runDir: string, options: ReportOptions = {}): Promise<string> {
  const run = await readRun(runDir);
  const html = renderReport(run, { ...options, title: options.title ?? basename(resolve(runDir)) });
  const path = join(runDir, 'report.html');
  const temporary = join(runDir, `.report.html.tmp-${process.pid}-${Date.now()}`);
  try {
    await writeFile(temporary, html, 'utf8');
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return path;
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`readRun: ${path} is not valid JSON (${(error as Error).message})`);
  }
}

/** Checks the parts of a kernel benchmark result the report reads; errors name the file and field. */
function validateKernels(value: unknown, path: string): KernelBenchmark {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`readRun: ${path} must hold a JSON object (a benchmarks/kernels result)`);
  }
  const document = value as Record<string, unknown>;
  if (!Array.isArray(document.results)) {
    throw new Error(`readRun: ${path}: "results" must be an array of benchmark rows, got ${typeof document.results}`);
  }
  document.results.forEach((row: unknown, index: number) => {
    const where = `readRun: ${path}: results[${index}]`;
    if (typeof row !== 'object' || row === null) throw new Error(`${where} must be an object`);
    const fields = row as Record<string, unknown>;
    for (const key of ['case', 'group', 'title', 'library', 'status']) {
      if (typeof fields[key] !== 'string') throw new Error(`${where}.${key} must be a string, got ${typeof fields[key]}`);
    }
    for (const key of ['wallMs', 'gpuMs', 'gflops', 'gbps', 'tokensPerSecond', 'firstCallMs']) {
      if (fields[key] !== undefined && typeof fields[key] !== 'number') throw new Error(`${where}.${key} must be a number, got ${typeof fields[key]}`);
    }
  });
  if (document.bars !== undefined && !Array.isArray(document.bars)) {
    throw new Error(`readRun: ${path}: "bars" must be an array, got ${typeof document.bars}`);
  }
  return document as unknown as KernelBenchmark;
}
