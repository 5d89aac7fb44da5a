/**
 * Where a training loop's metrics go. The logger is passed in, never global (CleanRL's
 * `SummaryWriter`); metric names are fixed per algorithm and use CleanRL's namespaces
 * (`charts/episodic_return`, `charts/SPS`, `losses/policy_loss`, …, listed in the README).
 * `JsonlLogger` writes them to `metrics.jsonl`, one JSON record a line.
 */

/**
 * Receives scalars under fixed names. Structurally the same interface as
 * `@attune/q-learning`'s `MetricLogger`, so one logger serves every algorithm.
 *
 * @example
 * ```ts
 * const logger: MetricLogger = { scalar: (name, value, step) => console.log(step, name, value) };
 * await trainA2C({ totalTimesteps: 10_000 }, { logger });
 * ```
 */
export interface MetricLogger {
  /** Records one scalar `value` of metric `name` at environment step `step`. */
  scalar(name: string, value: number, step: number): void;
  /** Records the resolved config once, before the first step (CleanRL's hyperparameter table). */
  hyperparameters?(config: Readonly<Record<string, unknown>>): void;
}

/**
 * One line of `metrics.jsonl`.
 *
 * @example
 * ```ts
 * const record: MetricRecord = { step: 512, name: 'charts/episodic_return', value: 23 };
 * ```
 */
export interface MetricRecord {
  /** Environment steps taken so far (CleanRL's `global_step`). */
  step: number;
  /** Metric name, e.g. `losses/approx_kl`. */
  name: string;
  /** The value (NaN and ±Infinity are written as null). */
  value: number;
}

interface NodeFs {
  openSync(path: string, flags: string): number;
  writeSync(fd: number, data: string): number;
  closeSync(fd: number): void;
  mkdirSync(path: string, options: { recursive: boolean }): unknown;
}

/** Loads `node:fs` on first use so the package entry has no static Node import. */
export function nodeFs(): NodeFs {
  const getBuiltinModule = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  if (typeof getBuiltinModule !== 'function') throw new Error('Writing files needs Node.js ≥ 20.16 (process.getBuiltinModule)');
  return getBuiltinModule('node:fs') as NodeFs;
}

function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '.' : path.slice(0, slash);
}

/**
 * Writes metrics to a JSON Lines file: first `{"hyperparameters": {...}}`, then one
 * {@link MetricRecord} a line. Lines are buffered and written every `flushEvery` records and on
 * `flush()`/`close()`. `append: true` continues an existing file (resuming a run).
 *
 * @example
 * ```ts
 * const logger = new JsonlLogger('runs/cartpole-a2c/metrics.jsonl');
 * await trainA2C({ envId: 'CartPole-v1', totalTimesteps: 400 }, { logger });
 * logger.close();
 * ```
 */
export class JsonlLogger implements MetricLogger {
  /** The file written. */
  readonly path: string;
  private readonly fs: NodeFs;
  private fd: number | null;
  private pending: string[] = [];
  private readonly flushEvery: number;

  constructor(path: string, options: { append?: boolean; flushEvery?: number } = {}) {
    this.path = path;
    this.fs = nodeFs();
    this.fs.mkdirSync(dirname(path), { recursive: true });
    this.fd = this.fs.openSync(path, options.append ? 'a' : 'w');
    this.flushEvery = options.flushEvery ?? 256;
  }

  hyperparameters(config: Readonly<Record<string, unknown>>): void {
    this.write(JSON.stringify({ hyperparameters: config }));
  }

  scalar(name: string, value: number, step: number): void {
    this.write(JSON.stringify({ step, name, value: Number.isFinite(value) ? value : null }));
  }

  /** Writes buffered lines to the file. */
  flush(): void {
    if (this.fd === null) throw new Error(`JsonlLogger: ${this.path} is closed`);
    if (this.pending.length === 0) return;
    this.fs.writeSync(this.fd, this.pending.join('\n') + '\n');
    this.pending = [];
  }

  /** Flushes and closes the file. */
  close(): void {
    if (this.fd === null) return;
    this.flush();
    this.fs.closeSync(this.fd);
    this.fd = null;
  }

  private write(line: string): void {
    if (this.fd === null) throw new Error(`JsonlLogger: ${this.path} is closed`);
    this.pending.push(line);
    if (this.pending.length >= this.flushEvery) this.flush();
  }
}

/**
 * Keeps every record in memory: for tests, benchmarks and plots.
 *
 * @example
 * ```ts
 * const logger = new MemoryLogger();
 * await trainA2C({ totalTimesteps: 400 }, { logger });
 * logger.values('charts/SPS'); // number[]
 * ```
 */
export class MemoryLogger implements MetricLogger {
  /** Every scalar, in order. */
  readonly records: MetricRecord[] = [];
  /** The last config passed to `hyperparameters`. */
  config: Readonly<Record<string, unknown>> | undefined;

  hyperparameters(config: Readonly<Record<string, unknown>>): void {
    this.config = config;
  }

  scalar(name: string, value: number, step: number): void {
    this.records.push({ step, name, value });
  }

  /** The values logged under `name`, in order. */
  values(name: string): number[] {
    return this.records.filter((record) => record.name === name).map((record) => record.value);
  }

  /** The steps at which `name` was logged. */
  steps(name: string): number[] {
    return this.records.filter((record) => record.name === name).map((record) => record.step);
  }
}

/**
 * Sends every record to each of `loggers`.
 *
 * @example
 * ```ts
 * const logger = combineLoggers(new JsonlLogger('run/metrics.jsonl'), progressLogger());
 * ```
 */
export function combineLoggers(...loggers: (MetricLogger | undefined)[]): MetricLogger {
  const present = loggers.filter((logger): logger is MetricLogger => logger !== undefined);
  return {
    scalar: (name, value, step) => {
      for (const logger of present) logger.scalar(name, value, step);
    },
    hyperparameters: (config) => {
      for (const logger of present) logger.hyperparameters?.(config);
    },
  };
}

/**
 * Prints a one-line summary whenever `charts/SPS` is logged (once per iteration for on-policy
 * methods): steps, mean return of the last `window` episodes, and steps/s.
 *
 * @example
 * ```ts
 * await trainA2C({ totalTimesteps: 400 }, { logger: progressLogger() });
 * // global_step=400 mean_return(100)=… SPS=…
 * ```
 */
export function progressLogger(options: { window?: number; print?: (line: string) => void; every?: number } = {}): MetricLogger {
  const window = options.window ?? 100;
  const print = options.print ?? ((line: string) => console.log(line));
  const every = options.every ?? 1;
  const recent: number[] = [];
  let count = 0;
  return {
    scalar(name, value, step) {
      if (name === 'charts/episodic_return') {
        recent.push(value);
        if (recent.length > window) recent.shift();
      } else if (name === 'charts/SPS' && count++ % every === 0) {
        const mean = recent.length === 0 ? NaN : recent.reduce((a, b) => a + b, 0) / recent.length;
        print(`global_step=${step} mean_return(${window})=${mean.toFixed(1)} SPS=${Math.round(value)}`);
      }
    },
  };
}
