// The run directory: `<out>/<stage>/` per stage with its `checkpoint-<step>/` folders while it
// runs, `final/` when it is done and `done.json` written last (atomically), so a re-run skips a
// finished stage and resumes an unfinished one; one `metrics.jsonl` for the whole run; a plain
// progress line per stage on stderr.

import { appendFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@attune/nn';
import type { StageName } from './options.js';

/**
 * Writes `value` as JSON through a temporary file and a rename, so a killed process never leaves
 * half a file.
 *
 * @example
 * ```ts
 * await writeJsonAtomic('runs/tldr/sft/done.json', { steps: 100 });
 * ```
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/**
 * One metrics record: the stage, its 1-based optimizer step, and numbers in the `charts/…` and
 * `losses/…` namespaces.
 *
 * @example
 * ```ts
 * const record: MetricsRecord = { stage: 'ppo', step: 3, 'charts/reward': 0.4 };
 * ```
 */
export type MetricsRecord = { stage: StageName; step: number } & Record<string, number | string>;

/**
 * A run folder (see the file comment).
 *
 * @example
 * ```ts
 * const run = new RunDir('runs/tldr', { quiet: false });
 * if (!(await run.isDone('sft'))) { ...; await run.finish('sft', { steps }); }
 * ```
 */
export class RunDir {
  readonly metricsPath: string;

  constructor(
    readonly out: string,
    private readonly options: { quiet: boolean; keepCheckpoints?: boolean },
  ) {
    this.metricsPath = join(out, 'metrics.jsonl');
  }

  /** `<out>/<stage>`. @example `run.stageDir('rm') // 'runs/tldr/rm'` */
  stageDir(stage: StageName): string {
    return join(this.out, stage);
  }

  /** `<out>/<stage>/final`, the stage's output model. @example `run.finalDir('sft')` */
  finalDir(stage: StageName): string {
    return join(this.out, stage, 'final');
  }

  /**
   * The stage's `done.json`, or null while it is unfinished.
   *
   * @example
   * ```ts
   * const sft = await run.readDone<SFTSummary>('sft');
   * ```
   */
  async readDone<T>(stage: StageName): Promise<T | null> {
    try {
      return JSON.parse(await readFile(join(this.stageDir(stage), 'done.json'), 'utf8')) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new Error(`${join(this.stageDir(stage), 'done.json')}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Creates the stage's folder (and the run's).
   *
   * @example
   * ```ts
   * const dir = await run.begin('sft');
   * ```
   */
  async begin(stage: StageName): Promise<string> {
    await mkdir(this.stageDir(stage), { recursive: true });
    return this.stageDir(stage);
  }

  /**
   * Marks a stage finished: `done.json` (written last, atomically) holds `result`; the stage's
   * resume checkpoints are then removed unless `keepCheckpoints`, and so are the temporary
   * folders (`.<name>.tmp-<pid>`) a killed process may have left mid-write.
   *
   * @example
   * ```ts
   * await run.finish('sft', { steps: 100, loss: 1.9 });
   * ```
   */
  async finish(stage: StageName, result: object): Promise<void> {
    await writeJsonAtomic(join(this.stageDir(stage), 'done.json'), result);
    for (const entry of await readdir(this.stageDir(stage))) {
      const leftover = /^\..+\.(tmp|old)-\d+$/.test(entry);
      const checkpoint = /^checkpoint-\d+$/.test(entry) && !this.options.keepCheckpoints;
      if (leftover || checkpoint) await rm(join(this.stageDir(stage), entry), { recursive: true, force: true });
    }
  }

  /**
   * Appends records to `metrics.jsonl`.
   *
   * @example
   * ```ts
   * await run.log({ stage: 'sft', step: 1, 'losses/sft': 2.3 });
   * ```
   */
  async log(...records: MetricsRecord[]): Promise<void> {
    await mkdir(this.out, { recursive: true });
    await appendFile(this.metricsPath, records.map((r) => JSON.stringify(r) + '\n').join(''));
  }

  /**
   * Drops `stage`'s records after `step` from `metrics.jsonl`: a resumed stage redoes those steps
   * (they came after its checkpoint), so the log keeps one record per step.
   *
   * @example
   * ```ts
   * await run.truncateMetrics('ppo', 20); // resumed from checkpoint 20
   * ```
   */
  async truncateMetrics(stage: StageName, step: number): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.metricsPath, 'utf8');
    } catch {
      return; // no log yet
    }
    const kept = text.split('\n').filter((line) => {
      if (line.trim() === '') return false;
      const record = JSON.parse(line) as MetricsRecord;
      return record.stage !== stage || record.step <= step;
    });
    await writeFile(this.metricsPath, kept.map((line) => line + '\n').join(''));
  }

  /**
   * The records of `metrics.jsonl` (all stages, in order).
   *
   * @example
   * ```ts
   * const ppo = (await run.readMetrics()).filter((r) => r.stage === 'ppo');
   * ```
   */
  async readMetrics(): Promise<MetricsRecord[]> {
    try {
      const text = await readFile(this.metricsPath, 'utf8');
      return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as MetricsRecord);
    } catch {
      return [];
    }
  }

  /**
   * A progress line for `total` steps of `stage` (see {@link ProgressLine}).
   *
   * @example
   * ```ts
   * const progress = run.progress('sft', 100);
   * progress.update(1, { loss: 2.3 });
   * ```
   */
  progress(stage: StageName, total: number): ProgressLine {
    return new ProgressLine(stage, total, this.options.quiet);
  }

  /** A line on stderr (not in quiet mode). @example `run.print('[sft] resumed from step 20')` */
  print(line: string): void {
    if (!this.options.quiet) process.stderr.write(line + '\n');
  }
}

/**
 * `[stage] step/total | steps/s | ETA | metrics` on stderr: redrawn in place on a terminal, one line
 * every 10 s otherwise (logs, CI), and always after the last step.
 *
 * @example
 * ```ts
 * const line = new ProgressLine('ppo', 200, false);
 * line.update(1, { reward: 0.1, kl: 0.02 });
 * ```
 */
export class ProgressLine {
  private readonly started = performance.now();
  private lastDrawn = 0;
  private firstStep: number | null = null;

  constructor(
    private readonly stage: StageName,
    private readonly total: number,
    private readonly quiet: boolean,
  ) {}

  /** Reports that `step` (1-based) is done, with its metrics. @example `line.update(3, { loss: 1.2 })` */
  update(step: number, metrics: Record<string, number>): void {
    if (this.quiet) return;
    this.firstStep ??= step - 1; // a resumed stage starts counting its speed here
    const now = performance.now();
    const last = step >= this.total;
    const tty = process.stderr.isTTY === true;
    if (!last && now - this.lastDrawn < (tty ? 200 : 10_000)) return;
    this.lastDrawn = now;
    const seconds = (now - this.started) / 1000;
    const rate = (step - this.firstStep) / Math.max(seconds, 1e-3);
    const eta = rate > 0 ? (this.total - step) / rate : NaN;
    const fields = Object.entries(metrics).map(([k, v]) => `${k} ${Number.isFinite(v) ? v.toFixed(4) : String(v)}`);
    const line = [`[${this.stage}] ${step}/${this.total}`, `${rate.toFixed(2)} steps/s`, `ETA ${Number.isFinite(eta) ? `${eta.toFixed(0)} s` : '-'}`, ...fields].join(' | ');
    process.stderr.write(tty ? `\r${line}\x1b[K${last ? '\n' : ''}` : `${line}\n`);
  }
}
