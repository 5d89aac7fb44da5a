// The recipe's run directory: one folder per stage, a `done.json` that marks a finished stage (so a
// re-run skips it), `checkpoint-<step>` folders inside an unfinished stage (so a re-run continues
// from the latest), one metrics.jsonl for the whole run, and a progress bar per stage.

import { appendFile, mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { AdamW, checkpointName, latestCheckpoint, loadCheckpoint, saveCheckpoint, writeFileAtomic, type Module } from '@attune/nn';
import type { Generator, GeneratorState, Tensor } from '@attune/tensor';

/**
 * Writes `value` as JSON to `path` through a temporary file and a rename, so a killed process never
 * leaves half a file.
 *
 * @example
 * ```ts
 * await writeJsonAtomic('runs/rlhf-sentiment/sft/done.json', { loss: 2.1 });
 * ```
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** One run: where it lives, its metrics log and the wall-clock time of each stage. */
export class Run {
  /** Seconds per stage this process ran (finished stages that were skipped show 0). */
  readonly seconds: Record<string, number> = {};
  private readonly metricsPath: string;

  /**
   * A run rooted at `outDir` (created if missing).
   *
   * @example
   * ```ts
   * const run = new Run('runs/rlhf-sentiment', { quiet: false });
   * ```
   */
  constructor(
    readonly outDir: string,
    private readonly options: { quiet: boolean },
  ) {
    this.metricsPath = join(outDir, 'metrics.jsonl');
  }

  /**
   * Appends one record (with its stage name) to `metrics.jsonl`.
   *
   * @example
   * ```ts
   * await run.log('ppo', { step: 3, 'charts/gold_reward': 1.5 });
   * ```
   */
  async log(stage: string, record: Record<string, number>): Promise<void> {
    await appendFile(this.metricsPath, JSON.stringify({ stage, ...record }) + '\n');
  }

  /**
   * Runs stage `name` unless `<out>/<name>/done.json` exists, in which case its saved result is
   * returned; a finished stage writes its result there and removes its resume checkpoints. `body`
   * gets the stage's directory.
   *
   * @example
   * ```ts
   * const sft = await run.stage('sft', async (dir) => { ...; return { loss }; });
   * ```
   */
  async stage<T extends object>(name: string, body: (dir: string) => Promise<T>): Promise<T> {
    const dir = join(this.outDir, name);
    const done = join(dir, 'done.json');
    try {
      const result = JSON.parse(await readFile(done, 'utf8')) as T;
      this.seconds[name] = 0;
      this.print(`[${name}] finished earlier (${done}); skipped`);
      return result;
    } catch {
      // not finished: run it
    }
    await mkdir(dir, { recursive: true });
    const started = performance.now();
    const result = await body(dir);
    this.seconds[name] = (performance.now() - started) / 1000;
    await writeJsonAtomic(done, { ...result, seconds: this.seconds[name] });
    // The stage's outputs are in place: its resume checkpoints are not needed any more.
    for (const entry of await readdir(dir)) if (/^(checkpoint|iteration)-\d+$/.test(entry)) await rm(join(dir, entry), { recursive: true, force: true });
    this.print(`[${name}] done in ${formatTime(this.seconds[name])}`);
    return result;
  }

  /**
   * A progress bar for `total` steps: step, throughput, ETA and one metric. Draws on a TTY; elsewhere
   * (logs, CI) it prints a plain line every 15 s, and nothing in quiet mode.
   *
   * @example
   * ```ts
   * const bar = run.progress('sft', 200, 'loss', 'seq');
   * bar.update(10, 2.31, 640); bar.stop();
   * ```
   */
  progress(name: string, total: number, metricName: string, unit: string): Progress {
    return new Progress(name, total, metricName, unit, this.options.quiet);
  }

  /** Prints a line (not in quiet mode). @example `run.print('hello')` */
  print(line: string): void {
    if (!this.options.quiet) console.log(line);
  }
}

/** A cli-progress bar with the recipe's format: `stage [bar] step/total | items/s | ETA | metric`. */
export class Progress {
  private readonly bar: cliProgress.SingleBar | null;
  /** Time and step of the first update: rates and the ETA count from there, so a stage's set-up (sampling before its first step) does not inflate the ETA. */
  private started = 0;
  private firstStep = -1;
  private items = 0;
  private lastLine = performance.now();
  private readonly total: number;
  private readonly lines: boolean;

  /**
   * See `Run.progress`.
   *
   * @example
   * ```ts
   * const bar = new Progress('pretrain', 500, 'loss', 'tok', false);
   * ```
   */
  constructor(
    private readonly name: string,
    total: number,
    private readonly metricName: string,
    private readonly unit: string,
    quiet: boolean,
  ) {
    this.total = total;
    this.lines = !quiet && !process.stdout.isTTY; // logs and CI: a plain line every 15 s instead of a bar
    this.bar = quiet || !process.stdout.isTTY
      ? null
      : new cliProgress.SingleBar(
          { format: `${name.padEnd(10)} [{bar}] {value}/{total} | {speed} ${unit}/s | ETA {eta_formatted} | ${metricName} {metric}`, barsize: 24, hideCursor: true, etaBuffer: 20 },
          cliProgress.Presets.shades_classic,
        );
    this.bar?.start(total, 0, { speed: '-', metric: '-' });
  }

  /**
   * Moves to `step`, having processed `items` more items (tokens, sequences) since the last call.
   *
   * @example
   * ```ts
   * bar.update(step + 1, loss, batchSize * blockSize);
   * ```
   */
  update(step: number, metric: number, items: number): void {
    if (this.firstStep < 0) {
      this.firstStep = step;
      this.started = performance.now();
      this.bar?.update(step, { speed: '-', metric: metric.toFixed(3) });
      return;
    }
    this.items += items;
    const seconds = (performance.now() - this.started) / 1000;
    const speed = (this.items / Math.max(seconds, 1e-3)).toFixed(0);
    this.bar?.update(step, { speed, metric: metric.toFixed(3) });
    if (this.lines && performance.now() - this.lastLine > 15_000) {
      this.lastLine = performance.now();
      const done = step - this.firstStep;
      const eta = done > 0 ? (seconds * (this.total - step)) / done : NaN;
      console.log(`${this.name.padEnd(10)} ${step}/${this.total} | ${speed} ${this.unit}/s | ETA ${Number.isFinite(eta) ? formatTime(eta) : '-'} | ${this.metricName} ${metric.toFixed(3)}`);
    }
  }

  /** Stops drawing. @example `bar.stop()` */
  stop(): void {
    this.bar?.stop();
  }
}

/** What a stage's training loop saves in a checkpoint and restores on resume. */
export interface TrainingState {
  modules: Record<string, Module>;
  optimizers: Record<string, AdamW>;
  generators: Record<string, Generator>;
}

/**
 * Saves `state` at `step` as `<dir>/checkpoint-<step>` (parameters and optimizer moments as
 * safetensors, step counts, hyper-parameters and generator states as JSON, plus `extra`), then removes
 * older checkpoints of the stage.
 *
 * @example
 * ```ts
 * await saveTrainingState(dir, step, { modules: { policy }, optimizers: { policy: optimizer }, generators: { sample: generator } }, { klCoef });
 * ```
 */
export async function saveTrainingState(dir: string, step: number, state: TrainingState, extra: Record<string, unknown> = {}): Promise<void> {
  const model: Record<string, Tensor> = {};
  for (const [name, module] of Object.entries(state.modules)) for (const [key, t] of Object.entries(module.stateDict())) model[`${name}.${key}`] = t;
  const moments: Record<string, Tensor> = {};
  const optimizers: Record<string, unknown> = {};
  for (const [name, optimizer] of Object.entries(state.optimizers)) {
    const { state: paramState, paramGroups } = optimizer.stateDict();
    const numbers: Record<string, Record<string, number>> = {};
    for (const [index, fields] of Object.entries(paramState)) {
      numbers[index] = {};
      for (const [field, value] of Object.entries(fields)) {
        if (typeof value === 'number') numbers[index][field] = value;
        else moments[`${name}.${index}.${field}`] = value as Tensor;
      }
    }
    optimizers[name] = { paramGroups, numbers };
  }
  const generators = Object.fromEntries(Object.entries(state.generators).map(([name, g]) => [name, g.getState()]));
  const previous = await latestCheckpoint(dir);
  await saveCheckpoint(join(dir, checkpointName(step)), {
    model,
    config: {},
    trainerState: { step, optimizers, generators, extra },
    extraTensors: { optimizer: moments },
  });
  if (previous !== null && previous !== join(dir, checkpointName(step))) await rm(previous, { recursive: true, force: true });
}

/**
 * Restores the latest checkpoint of `dir` into `state`; returns its step and `extra`, or null when
 * the stage has no checkpoint yet.
 *
 * @example
 * ```ts
 * const resumed = await loadTrainingState(dir, state);
 * let step = resumed?.step ?? 0;
 * ```
 */
export async function loadTrainingState(dir: string, state: TrainingState): Promise<{ step: number; extra: Record<string, unknown> } | null> {
  const path = await latestCheckpoint(dir);
  if (path === null) return null;
  const loaded = await loadCheckpoint(path, ['optimizer']);
  try {
    for (const [name, module] of Object.entries(state.modules)) {
      const own: Record<string, Tensor> = {};
      for (const [key, t] of Object.entries(loaded.model)) if (key.startsWith(`${name}.`)) own[key.slice(name.length + 1)] = t;
      module.loadStateDict(own);
    }
    const saved = loaded.trainerState as { step: number; optimizers: Record<string, { paramGroups: never; numbers: Record<string, Record<string, number>> }>; generators: Record<string, GeneratorState>; extra: Record<string, unknown> };
    const moments = loaded.extraTensors.optimizer;
    for (const [name, optimizer] of Object.entries(state.optimizers)) {
      const { paramGroups, numbers } = saved.optimizers[name];
      const paramState: Record<string, Record<string, number | Tensor>> = {};
      for (const [index, fields] of Object.entries(numbers)) paramState[index] = { ...fields };
      for (const [key, t] of Object.entries(moments)) {
        const [owner, index, field] = key.split('.');
        if (owner === name) (paramState[index] ??= {})[field] = t;
      }
      optimizer.loadStateDict({ paramGroups, state: paramState as never });
    }
    for (const [name, generator] of Object.entries(state.generators)) generator.setState(saved.generators[name]);
    return { step: saved.step, extra: saved.extra };
  } finally {
    for (const t of Object.values(loaded.model)) t.dispose();
    for (const t of Object.values(loaded.extraTensors.optimizer ?? {})) t.dispose();
  }
}

/**
 * `m:ss`.
 *
 * @example
 * ```ts
 * formatTime(75); // '1:15'
 * ```
 */
export function formatTime(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
