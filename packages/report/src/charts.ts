// From metric series to chart specifications: recognised sections first (learning curves, RLHF,
// bandits), then every other series grouped by stage and namespace. Pure data: render.ts turns the
// specifications into Chart.js configurations inside the page.

import type { MetricSeries } from './metrics.js';

/**
 * A point of a line or scatter chart: [x, y], y `null` for a gap.
 *
 * @example
 * ```ts
 * const points: ChartPoint[] = [[0, 1.5], [10, null], [20, 2.5]]; // a gap at step 10
 * ```
 */
export type ChartPoint = [number, number | null];

/**
 * One plotted series: its legend label and data (points for line/scatter, one value per category for bars).
 *
 * @example
 * ```ts
 * const dataset: ChartDataset = { label: 'charts/kl', data: [[0, 0.1], [1, 0.4]] };
 * ```
 */
export interface ChartDataset {
  /** Legend label: the metric name (or the stage, when a chart compares stages). */
  label: string;
  /** Points of a line or scatter chart; one value per category of a bar chart. */
  data: ChartPoint[] | (number | null)[];
  /** Drawn thin and pale (the raw curve under its smoothed version). */
  faint?: boolean;
}

/**
 * A chart of the report, as embedded in the page (and listed in `window.attuneReport.charts`).
 *
 * @example
 * ```ts
 * const chart: ChartSpec = {
 *   id: 'learning-curve', section: 'learning-curves', title: 'Episodic return', kind: 'line',
 *   xLabel: 'step', yLabel: 'return', datasets: [{ label: 'charts/episodic_return', data: [[0, 9], [500, 21]] }],
 * };
 * ```
 */
export interface ChartSpec {
  /** Stable id, the canvas's `data-chart` attribute (e.g. `rlhf-kl:ppo`, `metrics:ppo:losses`). */
  id: string;
  /** Id of the section the chart belongs to. */
  section: string;
  /** Heading shown above the chart. */
  title: string;
  /** Chart.js chart type. */
  kind: 'line' | 'scatter' | 'bar';
  /** x-axis title. */
  xLabel: string;
  /** y-axis title. */
  yLabel: string;
  /** Logarithmic y axis (throughput bars). */
  logY?: boolean;
  /** Category labels of a bar chart. */
  categories?: string[];
  /** The series plotted. */
  datasets: ChartDataset[];
  /** A sentence under the chart (smoothing, downsampling). */
  note?: string;
}

/**
 * A titled group of charts on the page.
 *
 * @example
 * ```ts
 * const section: ChartSection = { id: 'bandits', title: 'Bandits', description: 'Regret.', charts: [] };
 * ```
 */
export interface ChartSection {
  /** Anchor id of the section. */
  id: string;
  /** Heading. */
  title: string;
  /** One sentence on what the section shows. */
  description: string;
  /** The section's charts, in page order. */
  charts: ChartSpec[];
}

/**
 * Metric names the report recognises and gives named sections (documented in the README); every
 * other metric is charted by stage and namespace.
 *
 * @example
 * ```ts
 * RECOGNISED_METRICS.bandits.includes('charts/cumulative_regret'); // true
 * ```
 */
export const RECOGNISED_METRICS = {
  /** Learning curves (RL): episodic return and length against environment steps. */
  learningCurves: ['charts/episodic_return', 'charts/episodic_length'],
  /** RLHF rewards: gold (true objective), proxy (reward model), PPO-for-LM's score and raw score. */
  rlhfRewards: ['charts/gold_reward', 'charts/proxy_reward', 'charts/reward', 'charts/score', 'charts/raw_score'],
  /** RLHF KL to the reference policy (nats) and its coefficient β. */
  rlhfKl: ['charts/kl', 'charts/kl_coef'],
  /** Bandits: cumulative regret, per-pull regret, whether the pull was optimal, reward. */
  bandits: ['charts/cumulative_regret', 'charts/regret', 'charts/optimal_action', 'charts/reward'],
} as const;

/** Names whose presence in a stage makes it an RLHF stage. */
const RLHF_MARKERS = ['charts/kl', 'charts/kl_coef', 'charts/gold_reward', 'charts/proxy_reward'];
/** Names whose presence in a stage makes it a bandit stage. */
const BANDIT_MARKERS = ['charts/cumulative_regret', 'charts/regret'];

/**
 * Options of {@link planCharts}.
 *
 * @example
 * ```ts
 * const options: PlanOptions = { maxPointsPerSeries: 1000 };
 * ```
 */
export interface PlanOptions {
  /** Series longer than this are downsampled (min and max per bucket) for the page; default 2000. */
  maxPointsPerSeries?: number;
}

/**
 * Groups metric series into the report's chart sections: learning curves, RLHF (reward, KL, β,
 * reward against KL), bandits (cumulative regret, moving means of per-pull regret, optimal action
 * and reward; one series per stage so agents compare on one chart) and, per stage, every other
 * series by namespace (`charts/`, `losses/`, …), split into several charts when magnitudes differ
 * by more than 10×. Single values named `<namespace>/<item>/<metric>` (`eval/ppo/gold`) become one
 * bar chart per metric with a bar per item; other series with fewer than two finite values are left
 * to the summary table.
 *
 * @param series - The run's series ({@link parseMetrics}).
 * @param options - Downsampling limit.
 * @example
 * ```ts
 * const sections = planCharts(parseMetrics('{"step":1,"name":"charts/episodic_return","value":9}\n{"step":2,"name":"charts/episodic_return","value":12}'));
 * sections[0].charts[0].id; // 'learning-curve'
 * ```
 */
export function planCharts(series: readonly MetricSeries[], options: PlanOptions = {}): ChartSection[] {
  const maxPoints = options.maxPointsPerSeries ?? 2000;
  if (!Number.isInteger(maxPoints) || maxPoints < 4) {
    throw new Error(`planCharts: maxPointsPerSeries must be an integer ≥ 4, got ${maxPoints}`);
  }
  const used = new Set<MetricSeries>();
  const stages = unique(series.map((s) => s.stage));
  const find = (stage: string | null, name: string): MetricSeries | undefined =>
    series.find((s) => s.stage === stage && s.name === name && finiteCount(s) >= 1);
  const line = (s: MetricSeries, label: string): ChartDataset => ({ label, data: toPoints(s.steps, s.values, maxPoints) });
  const sections: ChartSection[] = [];
  const longestSource = new Map<ChartSpec, number>(); // for the downsampling note
  const add = (list: ChartSpec[], chart: ChartSpec, sources: readonly MetricSeries[]): void => {
    longestSource.set(chart, Math.max(0, ...sources.map((s) => s.values.length)));
    list.push(chart);
  };

  // 1. Learning curves: episodic return (and length) against steps, raw and smoothed.
  const learning: ChartSpec[] = [];
  for (const stage of stages) {
    for (const [name, id, title, yLabel] of [
      ['charts/episodic_return', 'learning-curve', 'Episodic return', 'return'],
      ['charts/episodic_length', 'episode-length', 'Episode length', 'steps'],
    ] as const) {
      const s = find(stage, name);
      if (s === undefined) continue;
      used.add(s);
      const window = smoothingWindow(s.values.length, 20);
      const datasets: ChartDataset[] = [{ ...line(s, name), faint: window > 1 }];
      if (window > 1) datasets.push({ label: `${name} (smoothed)`, data: toPoints(s.steps, movingMean(s.values, window), maxPoints) });
      add(learning, {
        id: withStage(id, stage), section: 'learning-curves', title: withStageTitle(title, stage), kind: 'line',
        xLabel: 'step', yLabel, datasets,
        note: window > 1 ? `Smoothed: mean of the last ${window} episodes.` : undefined,
      }, [s]);
    }
  }
  if (learning.length > 0) {
    sections.push({ id: 'learning-curves', title: 'Learning curves', description: 'Return (and length) of each finished episode against environment steps.', charts: learning });
  }

  // 2. RLHF: reward (gold and proxy), KL to the reference, β, and reward against KL (over-optimisation).
  const rlhf: ChartSpec[] = [];
  for (const stage of stages) {
    if (!RLHF_MARKERS.some((name) => find(stage, name) !== undefined)) continue;
    const rewards = RECOGNISED_METRICS.rlhfRewards.map((name) => find(stage, name)).filter((s): s is MetricSeries => s !== undefined);
    const kl = find(stage, 'charts/kl');
    const klCoef = find(stage, 'charts/kl_coef');
    if (rewards.length > 0) {
      add(rlhf, {
        id: withStage('rlhf-reward', stage), section: 'rlhf', title: withStageTitle('Reward', stage), kind: 'line',
        xLabel: 'step', yLabel: 'reward', datasets: rewards.map((s) => line(s, s.name)),
        note: 'Gold: the true objective; proxy: the learned reward model the policy optimises.',
      }, rewards);
    }
    if (kl !== undefined) {
      add(rlhf, { id: withStage('rlhf-kl', stage), section: 'rlhf', title: withStageTitle('KL(π ‖ π_ref)', stage), kind: 'line', xLabel: 'step', yLabel: 'KL (nats)', datasets: [line(kl, kl.name)] }, [kl]);
    }
    if (klCoef !== undefined) {
      add(rlhf, { id: withStage('rlhf-kl-coef', stage), section: 'rlhf', title: withStageTitle('KL coefficient β', stage), kind: 'line', xLabel: 'step', yLabel: 'β', datasets: [line(klCoef, klCoef.name)] }, [klCoef]);
    }
    if (kl !== undefined && rewards.length > 0) {
      add(rlhf, {
        id: withStage('rlhf-overoptimisation', stage), section: 'rlhf', title: withStageTitle('Reward against KL (over-optimisation)', stage), kind: 'scatter',
        xLabel: 'KL (nats)', yLabel: 'reward', datasets: rewards.map((s) => ({ label: s.name, data: againstKl(s, kl, maxPoints) })),
        note: 'Each point is one step; as the policy drifts from the reference (KL grows) the proxy reward keeps rising while the gold reward flattens or falls once the reward model is over-optimised (Gao et al. 2022).',
      }, []);
    }
    for (const s of [...rewards, kl, klCoef]) if (s !== undefined) used.add(s);
  }
  if (rlhf.length > 0) {
    sections.push({ id: 'rlhf', title: 'RLHF', description: 'Reward, KL to the reference policy and the KL coefficient β during policy optimisation.', charts: rlhf });
  }

  // 3. Bandits: one series per stage (agent), so agents compare on one chart.
  const banditStages = stages.filter((stage) => BANDIT_MARKERS.some((name) => find(stage, name) !== undefined));
  const bandits: ChartSpec[] = [];
  for (const [name, id, title, yLabel, smooth] of [
    ['charts/cumulative_regret', 'bandit-cumulative-regret', 'Cumulative regret', 'cumulative regret', false],
    ['charts/regret', 'bandit-regret', 'Regret per pull', 'regret', true],
    ['charts/optimal_action', 'bandit-optimal-action', 'Optimal action rate', 'fraction optimal', true],
    ['charts/reward', 'bandit-reward', 'Reward per pull', 'reward', true],
  ] as const) {
    const found = banditStages.map((stage) => find(stage, name)).filter((s): s is MetricSeries => s !== undefined && !used.has(s));
    if (found.length === 0) continue;
    const window = smooth ? smoothingWindow(Math.max(...found.map((s) => s.values.length)), 50) : 1;
    add(bandits, {
      id, section: 'bandits', title: window > 1 ? `${title} (moving mean over ${window} pulls)` : title, kind: 'line', xLabel: 'pull', yLabel,
      datasets: found.map((s) => ({ label: s.stage ?? s.name, data: toPoints(s.steps, window > 1 ? movingMean(s.values, window) : s.values, maxPoints) })),
    }, found);
    for (const s of found) used.add(s);
  }
  if (bandits.length > 0) {
    sections.push({ id: 'bandits', title: 'Bandits', description: 'Regret against the best arm, pull by pull; one line per agent (stage).', charts: bandits });
  }

  // 4. Everything else, per stage and namespace.
  for (const stage of stages) {
    const charts: ChartSpec[] = [];
    // 4a. Single values named <namespace>/<item>/<metric> (the recipe's eval/ppo/gold, eval/dpo/gold, …):
    // one bar chart per metric, one bar per item, when at least two items have it.
    const singles = series.filter((s) => s.stage === stage && !used.has(s) && finiteCount(s) === 1 && s.name.split('/').length >= 3);
    for (const pattern of unique(singles.map(itemPattern))) {
      const group = singles.filter((s) => itemPattern(s) === pattern);
      if (group.length < 2) continue;
      add(charts, {
        id: ['values', stage, pattern].filter((p) => p !== null).join(':'), section: stageSectionId(stage), title: withStageTitle(pattern, stage),
        kind: 'bar', xLabel: pattern.split('/')[0], yLabel: pattern.slice(pattern.lastIndexOf('/') + 1), categories: group.map(itemOf),
        datasets: [{ label: pattern, data: group.map((s) => s.values.find(Number.isFinite) ?? null) }],
      }, group);
      for (const s of group) used.add(s);
    }
    // 4b. Curves, per namespace.
    const rest = series.filter((s) => s.stage === stage && !used.has(s) && finiteCount(s) >= 2);
    for (const namespace of unique(rest.map((s) => namespaceOf(s.name)))) {
      const clusters = clusterByScale(rest.filter((s) => namespaceOf(s.name) === namespace));
      clusters.forEach((cluster, k) => {
        // One chart for the namespace, or (when split by scale) one titled by its metrics.
        const label = clusters.length > 1 ? cluster.map((s) => s.name).join(', ') : namespace === '' ? 'other metrics' : `${namespace}/`;
        add(charts, {
          id: ['metrics', stage, namespace === '' ? 'other' : namespace].filter((p) => p !== null).join(':') + (clusters.length > 1 ? `:${k + 1}` : ''),
          section: stageSectionId(stage), title: withStageTitle(label, stage), kind: 'line', xLabel: 'step', yLabel: 'value',
          datasets: cluster.map((s) => line(s, s.name)),
        }, cluster);
      });
    }
    if (charts.length === 0) continue;
    sections.push({
      id: stageSectionId(stage),
      title: stage === null ? 'Metrics' : `Stage: ${stage}`,
      description: `Every other metric${stage === null ? '' : ` of the ${stage} stage`}: curves by namespace, single values (namespace/item/metric) as bars per item.`,
      charts,
    });
  }

  // 5. Say so under every chart whose data was downsampled.
  for (const chart of sections.flatMap((section) => section.charts)) {
    if ((longestSource.get(chart) ?? 0) > maxPoints) {
      chart.note = `${chart.note ?? ''} Series of more than ${maxPoints} points are shown as the minimum and maximum of each of ${Math.floor(maxPoints / 2)} buckets.`.trim();
    }
  }
  return sections;
}

/** `eval/ppo/gold` → `eval/…/gold`: the metric a single value belongs to, across items. */
function itemPattern(s: MetricSeries): string {
  const parts = s.name.split('/');
  return `${parts[0]}/…/${parts[parts.length - 1]}`;
}

/** `eval/ppo/gold` → `ppo`: the item (policy, agent, …) a single value describes. */
function itemOf(s: MetricSeries): string {
  const parts = s.name.split('/');
  return parts.slice(1, -1).join('/');
}

/** The namespace of a metric name: what comes before the first `/` (`charts`, `losses`), or ''. */
export function namespaceOf(name: string): string {
  const slash = name.indexOf('/');
  return slash <= 0 ? '' : name.slice(0, slash);
}

function stageSectionId(stage: string | null): string {
  return stage === null ? 'metrics' : `stage-${slug(stage)}`;
}

function withStage(id: string, stage: string | null): string {
  return stage === null ? id : `${id}:${stage}`;
}

function withStageTitle(title: string, stage: string | null): string {
  return stage === null ? title : `${stage} · ${title}`;
}

/** A trailing moving-mean window of about `length / divisions` points (1 = no smoothing), at most 200. */
function smoothingWindow(length: number, divisions: number): number {
  return Math.max(1, Math.min(200, Math.round(length / divisions)));
}

/** Trailing mean of the last `window` finite values at each index (NaN where there are none). */
export function movingMean(values: readonly number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) {
      sum += values[i];
      count++;
    }
    if (i >= window && Number.isFinite(values[i - window])) {
      sum -= values[i - window];
      count--;
    }
    out.push(count > 0 ? sum / count : NaN);
  }
  return out;
}

/**
 * Chart points from steps and values: NaN/±Infinity become `null` (gaps), and more than
 * `maxPoints` points are reduced to the minimum and maximum of each of `maxPoints / 2` buckets
 * (in step order), which keeps the envelope of a noisy curve.
 */
export function toPoints(steps: readonly number[], values: readonly number[], maxPoints: number): ChartPoint[] {
  const point = (i: number): ChartPoint => [steps[i], Number.isFinite(values[i]) ? values[i] : null];
  if (values.length <= maxPoints) return values.map((_, i) => point(i));
  const buckets = Math.floor(maxPoints / 2);
  const out: ChartPoint[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * values.length) / buckets);
    const end = Math.floor(((b + 1) * values.length) / buckets);
    let low = -1;
    let high = -1;
    for (let i = start; i < end; i++) {
      if (!Number.isFinite(values[i])) continue;
      if (low < 0 || values[i] < values[low]) low = i;
      if (high < 0 || values[i] > values[high]) high = i;
    }
    if (low < 0) out.push(point(start)); // a bucket of gaps stays a gap
    else if (low === high) out.push(point(low));
    else for (const i of low < high ? [low, high] : [high, low]) out.push(point(i));
  }
  return out;
}

/** Points (KL at step t, reward at step t) for the steps both series have, in step order. */
function againstKl(reward: MetricSeries, kl: MetricSeries, maxPoints: number): ChartPoint[] {
  const klAt = new Map<number, number>();
  kl.steps.forEach((step, i) => klAt.set(step, kl.values[i]));
  const xs: number[] = [];
  const ys: number[] = [];
  reward.steps.forEach((step, i) => {
    const x = klAt.get(step);
    if (x !== undefined && Number.isFinite(x) && Number.isFinite(reward.values[i])) {
      xs.push(x);
      ys.push(reward.values[i]);
    }
  });
  if (xs.length <= maxPoints) return xs.map((x, i) => [x, ys[i]]);
  const stride = Math.ceil(xs.length / maxPoints);
  return xs.flatMap((x, i) => (i % stride === 0 ? [[x, ys[i]] as ChartPoint] : []));
}

/**
 * Splits a namespace's series into charts of similar magnitude: ordered by their largest absolute
 * value, a new chart starts whenever a series is more than 10× larger than the first of the current one.
 */
function clusterByScale(group: readonly MetricSeries[]): MetricSeries[][] {
  const scaled = group.map((s, order) => ({ s, order, scale: s.values.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0) }));
  scaled.sort((a, b) => a.scale - b.scale || a.order - b.order);
  const clusters: (typeof scaled)[] = [];
  for (const entry of scaled) {
    const current = clusters[clusters.length - 1];
    if (current !== undefined && entry.scale <= 10 * Math.max(current[0].scale, 1e-12)) current.push(entry);
    else clusters.push([entry]);
  }
  return clusters.map((cluster) => cluster.sort((a, b) => a.order - b.order).map((e) => e.s));
}

function finiteCount(s: MetricSeries): number {
  return s.values.reduce((n, v) => n + (Number.isFinite(v) ? 1 : 0), 0);
}

/** The distinct values, in first-seen order (module-internal; also used by render.ts). */
export function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** A string safe in ids and anchors: letters, digits, `_`, `-`, `.`, `/`. */
export function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9_./-]+/g, '-');
}
