// Parsing metrics.jsonl: the two line formats the repository writes, into one series per
// (stage, metric name).
//
//   long  {"step":N,"name":"charts/episodic_return","value":V}   (@attune/policy-gradient's JsonlLogger;
//         optional first line {"hyperparameters":{...}}; an optional "stage" is honoured too)
//   wide  {"stage":"ppo","step":N,"charts/kl":V,"losses/policy":V,...}   (the RLHF recipes)
//
// `null` values (a logger's NaN/Infinity) become NaN: gaps in the charts.

/**
 * One metric over a run: the values of `name` (within `stage`, when the records carry one) in
 * file order.
 *
 * @example
 * ```ts
 * const [series] = parseMetrics('{"step":1,"name":"charts/episodic_return","value":9}');
 * series.name;   // 'charts/episodic_return'
 * series.steps;  // [1]
 * series.values; // [9]
 * ```
 */
export interface MetricSeries {
  /** The metric's name, e.g. `charts/episodic_return` or `losses/policy`. */
  name: string;
  /** The record's `stage` (`'ppo'`, `'sft'`, …), or `null` when the records have none. */
  stage: string | null;
  /** The x value of each point: the record's `step`, or its index within the stage when it has none. */
  steps: number[];
  /** The y value of each point; NaN where the record held `null`. */
  values: number[];
}

/**
 * What one `metrics.jsonl` holds: every series, and the hyperparameters its
 * `{"hyperparameters": {...}}` line(s) logged (merged, later lines win), or `null`.
 *
 * @example
 * ```ts
 * const log = parseMetricsLog('{"hyperparameters":{"lr":0.001}}\n{"step":0,"name":"losses/loss","value":2}');
 * log.hyperparameters; // { lr: 0.001 }
 * log.series.length;   // 1
 * ```
 */
export interface MetricsLog {
  /** One series per (stage, name), in order of first appearance. */
  series: MetricSeries[];
  /** The logged hyperparameters, or `null` when the file has no hyperparameters line. */
  hyperparameters: Record<string, unknown> | null;
}

/** Keys of a wide record that are not metrics. */
const WIDE_RESERVED = new Set(['stage', 'step']);

/**
 * Parses the text of a `metrics.jsonl` in either line format (long `{step, name, value}` or wide
 * `{stage?, step?, <metric>: value, …}`; both may appear in one file) into series and the logged
 * hyperparameters. Blank lines are skipped. A malformed line throws an error naming `file` and the
 * 1-based line number.
 *
 * @param text - The file's contents.
 * @param file - The name used in error messages (default `metrics.jsonl`).
 * @example
 * ```ts
 * const log = parseMetricsLog('{"stage":"ppo","step":0,"charts/kl":0.1,"charts/kl_coef":0.2}');
 * log.series.map((s) => `${s.stage}:${s.name}`); // ['ppo:charts/kl', 'ppo:charts/kl_coef']
 * ```
 */
export function parseMetricsLog(text: string, file = 'metrics.jsonl'): MetricsLog {
  const byKey = new Map<string, MetricSeries>();
  const recordsPerStage = new Map<string, number>(); // x of step-less records: their index in the stage
  let hyperparameters: Record<string, unknown> | null = null;

  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].trim();
    if (line === '') continue;
    const where = `${file} line ${index + 1}`;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new Error(`${where}: not valid JSON (${(error as Error).message}): ${preview(line)}`);
    }
    if (!isPlainObject(record)) {
      throw new Error(`${where}: expected a JSON object, got ${describe(record)}: ${preview(line)}`);
    }

    // 1. The hyperparameters line.
    if ('hyperparameters' in record) {
      const logged = record.hyperparameters;
      if (!isPlainObject(logged)) throw new Error(`${where}: "hyperparameters" must be an object, got ${describe(logged)}`);
      hyperparameters = { ...(hyperparameters ?? {}), ...logged };
      continue;
    }

    // 2. Stage and step, shared by both formats.
    const stage = record.stage ?? null;
    if (stage !== null && typeof stage !== 'string') throw new Error(`${where}: "stage" must be a string, got ${describe(stage)}`);
    const stageKey = stage ?? '';
    const ordinal = recordsPerStage.get(stageKey) ?? 0;
    recordsPerStage.set(stageKey, ordinal + 1);
    let step = ordinal;
    if ('step' in record) {
      if (typeof record.step !== 'number' || !Number.isFinite(record.step)) {
        throw new Error(`${where}: "step" must be a finite number, got ${describe(record.step)}`);
      }
      step = record.step;
    }

    // 3. The record's metrics: one (long) or every other key (wide).
    if ('name' in record && 'value' in record) {
      if (typeof record.name !== 'string' || record.name === '') {
        throw new Error(`${where}: "name" must be a non-empty string, got ${describe(record.name)}`);
      }
      push(byKey, stage, record.name, step, metricValue(record.value, `${where}: "value"`));
    } else {
      for (const [name, value] of Object.entries(record)) {
        if (WIDE_RESERVED.has(name)) continue;
        push(byKey, stage, name, step, metricValue(value, `${where}: "${name}"`));
      }
    }
  }
  return { series: [...byKey.values()], hyperparameters };
}

/**
 * Parses the text of a `metrics.jsonl` (long or wide line format, see {@link parseMetricsLog})
 * into one series per (stage, metric name). A malformed line throws an error naming `file` and
 * the line number.
 *
 * @param text - The file's contents.
 * @param file - The name used in error messages (default `metrics.jsonl`).
 * @example
 * ```ts
 * const series = parseMetrics([
 *   '{"hyperparameters":{"seed":1}}',
 *   '{"step":500,"name":"charts/episodic_return","value":21}',
 *   '{"step":900,"name":"charts/episodic_return","value":null}',
 * ].join('\n'));
 * series[0].values; // [21, NaN]
 * ```
 */
export function parseMetrics(text: string, file = 'metrics.jsonl'): MetricSeries[] {
  return parseMetricsLog(text, file).series;
}

function push(byKey: Map<string, MetricSeries>, stage: string | null, name: string, step: number, value: number): void {
  const key = `${stage ?? ''}\u0000${name}`;
  let series = byKey.get(key);
  if (series === undefined) {
    series = { name, stage, steps: [], values: [] };
    byKey.set(key, series);
  }
  series.steps.push(step);
  series.values.push(value);
}

/** A metric's value: a number, or null (a logger's NaN/±Infinity) read as NaN. */
function metricValue(value: unknown, where: string): number {
  if (value === null) return NaN;
  if (typeof value === 'number') return value;
  throw new Error(`${where} must be a number or null, got ${describe(value)}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function preview(line: string): string {
  return line.length > 80 ? line.slice(0, 80) + '…' : line;
}
