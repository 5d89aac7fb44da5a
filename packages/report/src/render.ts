// The report page: one self-contained HTML file. Chart.js's UMD build and the data (as JSON) are
// inlined, CSS is inline, nothing is fetched, so the file opens offline from file://.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { planCharts, slug, unique, type ChartSection, type ChartSpec } from './charts.js';
import type { MetricSeries } from './metrics.js';
import type { KernelBenchmark, KernelResultRow, RunData } from './run.js';

/**
 * Options of {@link renderReport} and {@link writeReport}.
 *
 * @example
 * ```ts
 * const options: ReportOptions = { title: 'CartPole-v1 PPO, seed 1', maxPointsPerSeries: 1000 };
 * ```
 */
export interface ReportOptions {
  /** The page's title and heading; default `Run report` (writeReport: the run directory's name). */
  title?: string;
  /** Series longer than this are downsampled for the charts (the summary table uses every point); default 2000. */
  maxPointsPerSeries?: number;
  /** The time printed as "generated"; default now. */
  generatedAt?: Date;
}

/**
 * Renders a run as one self-contained HTML page: title, the configuration and logged
 * hyperparameters as tables, a summary table (final, min, max and best value of every metric),
 * chart sections (learning curves, RLHF, bandits, then every other metric by stage and namespace)
 * and, when the run has `kernels.json`, kernel throughput tables with bar charts. Chart.js and the
 * data are inlined; the page needs no network. Each chart's canvas has a `data-chart` id, and the
 * page sets `window.attuneReport = { title, charts: [{ id, section, title, kind, series }] }` once
 * every chart is drawn.
 *
 * @param run - The run ({@link readRun}).
 * @param options - Title, downsampling limit, generation time.
 * @returns The HTML text.
 * @example
 * ```ts
 * const series = parseMetrics('{"step":0,"name":"charts/episodic_return","value":9}\n{"step":500,"name":"charts/episodic_return","value":21}');
 * const html = renderReport({ dir: 'runs/demo', config: null, hyperparameters: null, series, kernels: null }, { title: 'CartPole-v1 PPO' });
 * html.includes('data-chart="learning-curve"'); // true
 * ```
 */
export function renderReport(run: RunData, options: ReportOptions = {}): string {
  const title = options.title ?? 'Run report';
  const generatedAt = options.generatedAt ?? new Date();
  const sections = planCharts(run.series, { maxPointsPerSeries: options.maxPointsPerSeries });
  const kernelCharts = run.kernels === null ? [] : kernelBarCharts(run.kernels);
  const charts: ChartSpec[] = [...sections.flatMap((s) => s.charts), ...kernelCharts];
  const hasStages = run.series.some((s) => s.stage !== null);
  const pointCount = run.series.reduce((n, s) => n + s.values.length, 0);

  const nav: [string, string][] = [];
  const body: string[] = [];
  if (run.config !== null) {
    nav.push(['config', 'Configuration']);
    body.push(section('config', 'Configuration', 'config.json, flattened.', keyValueTable(run.config)));
  }
  // The logged hyperparameters, unless config.json already says the same.
  if (run.hyperparameters !== null && (run.config === null || !sameEntries(run.hyperparameters, run.config))) {
    nav.push(['hyperparameters', 'Hyperparameters']);
    body.push(section('hyperparameters', 'Hyperparameters', 'As logged on the first line of metrics.jsonl.', keyValueTable(run.hyperparameters)));
  }
  if (run.series.length > 0) {
    nav.push(['summary', 'Summary']);
    body.push(section('summary', 'Summary', 'Final, lowest and highest value of every metric; best is the lowest for losses and regret, the highest for returns, rewards and accuracies.', summaryTable(run.series, hasStages)));
  }
  for (const s of sections) {
    nav.push([s.id, s.title]);
    body.push(chartSection(s));
  }
  if (run.kernels !== null) {
    nav.push(['kernels', 'Kernel throughput']);
    body.push(kernelSection(run.kernels, kernelCharts));
  }
  if (run.series.length === 0 && run.kernels === null) body.push('<p class="empty">metrics.jsonl holds no metrics yet.</p>');

  const data = { title, charts };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="@attune/report">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(run.dir)} · ${run.series.length} metrics, ${pointCount} points${hasStages ? ` · stages: ${escapeHtml(unique(run.series.map((s) => s.stage ?? '')).filter((s) => s !== '').join(', '))}` : ''} · generated ${escapeHtml(generatedAt.toISOString())}</p>
<nav>${nav.map(([id, label]) => `<a href="#${escapeHtml(id)}">${escapeHtml(label)}</a>`).join('')}</nav>
</header>
<main>
${body.join('\n')}
</main>
<script type="application/json" id="attune-report-data">${jsonForHtml(data)}</script>
<script>${scriptSafe(chartJsSource())}</script>
<script>${scriptSafe(PAGE_SCRIPT)}</script>
</body>
</html>
`;
}

// ---- Page pieces ---------------------------------------------------------------------------------

function section(id: string, title: string, description: string, content: string): string {
  return `<section id="${escapeHtml(id)}">\n<h2>${escapeHtml(title)}</h2>\n<p class="description">${escapeHtml(description)}</p>\n${content}\n</section>`;
}

function chartSection(s: ChartSection): string {
  return section(s.id, s.title, s.description, `<div class="charts">\n${s.charts.map(figure).join('\n')}\n</div>`);
}

function figure(chart: ChartSpec): string {
  return `<figure class="chart">
<figcaption>${escapeHtml(chart.title)}</figcaption>
<div class="canvas-box"><canvas data-chart="${escapeHtml(chart.id)}" role="img" aria-label="${escapeHtml(chart.title)}"></canvas></div>
${chart.note === undefined ? '' : `<p class="note">${escapeHtml(chart.note)}</p>`}
</figure>`;
}

/**
 * Key-value tables of a (flattened) object, nested keys joined with dots; a long one is split into
 * up to three side-by-side columns of tables.
 */
function keyValueTable(object: Record<string, unknown>): string {
  const rows = flatten(object);
  if (rows.length === 0) return '<p class="empty">(empty)</p>';
  const columns = Math.min(3, Math.ceil(rows.length / 15));
  const perColumn = Math.ceil(rows.length / columns);
  const tables: string[] = [];
  for (let start = 0; start < rows.length; start += perColumn) {
    tables.push(`<table class="config"><thead><tr><th>key</th><th>value</th></tr></thead><tbody>
${rows.slice(start, start + perColumn).map(([key, value]) => `<tr><td>${escapeHtml(key)}</td><td>${escapeHtml(value)}</td></tr>`).join('\n')}
</tbody></table>`);
  }
  return `<div class="columns">${tables.join('\n')}</div>`;
}

/** Whether every entry of `logged` is in `config` with the same (JSON) value. */
function sameEntries(logged: Record<string, unknown>, config: Record<string, unknown>): boolean {
  return Object.entries(logged).every(([key, value]) => key in config && JSON.stringify(config[key]) === JSON.stringify(value));
}

function flatten(object: Record<string, unknown>, prefix = ''): [string, string][] {
  const rows: [string, string][] = [];
  for (const [key, value] of Object.entries(object)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0) {
      rows.push(...flatten(value as Record<string, unknown>, path));
    } else {
      rows.push([path, typeof value === 'string' ? value : JSON.stringify(value) ?? String(value)]);
    }
  }
  return rows;
}

/** Whether lower or higher values of a metric are better, or null when it has no direction. */
export function metricDirection(name: string): 'lower' | 'higher' | null {
  const last = name.slice(name.lastIndexOf('/') + 1);
  // Running totals and per-pull bandit outcomes have no best point.
  if (/cumulative/i.test(last) || name === 'charts/regret' || name === 'charts/optimal_action') return null;
  if (/loss|regret|error|perplexity/i.test(last)) return 'lower';
  const notLosses = ['explained_variance', 'entropy', 'approx_kl', 'old_approx_kl', 'clipfrac', 'q_values'];
  if (name.startsWith('losses/') && !notLosses.includes(last)) return 'lower';
  if (/return|reward|score|accuracy|win_rate|optimal_action|gold|proxy|explained_variance|tokens_per_second|^sps$/i.test(last)) return 'higher';
  return null;
}

function summaryTable(series: readonly MetricSeries[], hasStages: boolean): string {
  const rows = series.map((s) => {
    let final = NaN;
    let finalStep = NaN;
    let low = -1;
    let high = -1;
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      final = v;
      finalStep = s.steps[i];
      if (low < 0 || v < s.values[low]) low = i;
      if (high < 0 || v > s.values[high]) high = i;
    });
    const direction = metricDirection(s.name);
    const best = direction === null || low < 0 ? '—' : `${direction === 'lower' ? '↓' : '↑'} ${formatNumber(s.values[direction === 'lower' ? low : high])} @ ${formatNumber(s.steps[direction === 'lower' ? low : high])}`;
    const cells = [
      ...(hasStages ? [escapeHtml(s.stage ?? '')] : []),
      escapeHtml(s.name),
      String(s.values.length),
      formatNumber(finalStep),
      formatNumber(final),
      low < 0 ? '—' : formatNumber(s.values[low]),
      high < 0 ? '—' : formatNumber(s.values[high]),
      escapeHtml(best),
    ];
    return `<tr data-metric="${escapeHtml(s.name)}">${cells.map((c, i) => `<td${i >= (hasStages ? 2 : 1) ? ' class="number"' : ''}>${c}</td>`).join('')}</tr>`;
  });
  const head = [...(hasStages ? ['stage'] : []), 'metric', 'points', 'last step', 'final', 'min', 'max', 'best @ step'];
  return `<table class="summary"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

// ---- Kernel benchmarks ---------------------------------------------------------------------------

/** The throughput figure a group is compared by, with its unit. */
const THROUGHPUT: { key: 'tokensPerSecond' | 'gflops' | 'gbps'; unit: string }[] = [
  { key: 'tokensPerSecond', unit: 'tokens/s' },
  { key: 'gflops', unit: 'GFLOP/s' },
  { key: 'gbps', unit: 'GB/s' },
];

function groupsOf(kernels: KernelBenchmark): string[] {
  return unique(kernels.results.map((r) => r.group));
}

function throughputOf(rows: readonly KernelResultRow[]): (typeof THROUGHPUT)[number] | null {
  return THROUGHPUT.find((t) => rows.some((r) => typeof r[t.key] === 'number')) ?? null;
}

/** One bar chart per group: x = case, one bar per library, y = throughput on a log axis. */
function kernelBarCharts(kernels: KernelBenchmark): ChartSpec[] {
  const charts: ChartSpec[] = [];
  for (const group of groupsOf(kernels)) {
    const rows = kernels.results.filter((r) => r.group === group);
    const throughput = throughputOf(rows);
    if (throughput === null) continue;
    const cases = unique(rows.map((r) => r.case));
    charts.push({
      id: `kernels:${slug(group)}`, section: 'kernels', title: `${group} (${throughput.unit})`, kind: 'bar', logY: true,
      xLabel: 'case', yLabel: `${throughput.unit} (log scale)`, categories: cases,
      datasets: unique(rows.map((r) => r.library)).map((library) => ({
        label: library,
        data: cases.map((c) => rows.find((r) => r.case === c && r.library === library)?.[throughput.key] ?? null),
      })),
    });
  }
  return charts;
}

function kernelSection(kernels: KernelBenchmark, charts: readonly ChartSpec[]): string {
  const parts: string[] = [];
  const adapter = kernels.adapter ?? {};
  const machine = kernels.machine ?? {};
  const facts: [string, unknown][] = [
    ['benchmark', kernels.benchmark],
    ['date', kernels.date],
    ['quick run', kernels.quick],
    ['adapter', [adapter.vendor, adapter.device, adapter.description].filter((v) => typeof v === 'string' && v !== '').join(' · ')],
    ['machine', [machine.cpu, machine.cores === undefined ? undefined : `${machine.cores} cores`, machine.platform, machine.node].filter((v) => v !== undefined).join(' · ')],
    ...Object.entries(kernels.libraries ?? {}).map(([id, info]): [string, unknown] => [`library ${id}`, [info.status, info.package, info.version].filter((v) => v !== undefined).join(' · ')]),
  ];
  parts.push(`<table class="config"><tbody>\n${facts.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(String(v))}</td></tr>`).join('\n')}\n</tbody></table>`);
  if (kernels.method !== undefined) parts.push(`<p class="note">${escapeHtml(kernels.method)}</p>`);
  if (kernels.bars !== undefined && kernels.bars.length > 0) {
    parts.push(`<h3>Bars</h3>\n<table class="summary"><thead><tr><th>bar</th><th>value</th><th>target</th><th>pass</th><th>note</th></tr></thead><tbody>
${kernels.bars.map((b) => `<tr><td>${escapeHtml(b.name)}</td><td class="number">${b.value === null ? '—' : formatNumber(b.value)}</td><td class="number">${formatNumber(b.target)}</td><td class="${b.pass === true ? 'pass' : b.pass === false ? 'fail' : ''}">${b.pass === null ? 'not judged' : b.pass ? 'pass' : 'fail'}</td><td>${escapeHtml(b.note ?? '')}</td></tr>`).join('\n')}
</tbody></table>`);
  }
  for (const group of groupsOf(kernels)) {
    const rows = kernels.results.filter((r) => r.group === group);
    const throughput = throughputOf(rows);
    const chart = charts.find((c) => c.id === `kernels:${slug(group)}`);
    parts.push(`<h3 id="kernels-${escapeHtml(slug(group))}">${escapeHtml(group)}</h3>`);
    if (chart !== undefined) parts.push(`<div class="charts">${figure(chart)}</div>`);
    const head = ['case', 'library', throughput?.unit ?? 'throughput', 'wall ms', 'GPU ms', 'timing', 'first call ms', 'status'];
    parts.push(`<table class="summary kernels"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>
${rows.map((r) => `<tr><td title="${escapeHtml(r.case)}">${escapeHtml(r.title)}</td><td>${escapeHtml(r.library)}</td><td class="number">${throughput === null ? '—' : formatNumber(r[throughput.key])}</td><td class="number">${formatNumber(r.wallMs)}</td><td class="number">${formatNumber(r.gpuMs)}</td><td>${escapeHtml(r.timing ?? '')}</td><td class="number">${formatNumber(r.firstCallMs)}</td><td>${escapeHtml(r.status)}</td></tr>`).join('\n')}
</tbody></table>`);
  }
  return section('kernels', 'Kernel throughput', 'Median throughput per kernel case and library (kernels.json, written by benchmarks/kernels); bars on a log scale.', parts.join('\n'));
}

// ---- Text helpers --------------------------------------------------------------------------------

/** A number for a table: 4 significant digits, exponent notation outside [1e-3, 1e6), '—' for none. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/**
 * JSON that is safe inside a `<script>` element: `<`, `>` and `&` (so no `</script>` or `<!--`)
 * and the line separators U+2028/U+2029 become `\u` escapes, which JSON.parse reads back unchanged.
 */
export function jsonForHtml(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JavaScript that is safe inside a `<script>` element: `</script` and `<!--` are broken up with a
 * backslash (`<\/script`, `<\!--`), which means the same inside string literals and regular expressions.
 */
export function scriptSafe(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

let chartJs: string | null = null;

/** Chart.js's UMD build (`chart.js/dist/chart.umd.min.js`), read once. */
function chartJsSource(): string {
  if (chartJs === null) {
    // chart.js's package.json is not exported: resolve its main entry (dist/chart.cjs) and take its folder.
    const entry = createRequire(import.meta.url).resolve('chart.js');
    chartJs = readFileSync(join(dirname(entry), 'chart.umd.min.js'), 'utf8');
  }
  return chartJs;
}

// ---- What runs in the page -----------------------------------------------------------------------

/** Builds every chart from the inlined JSON, then publishes `window.attuneReport`. Plain ES2017. */
const PAGE_SCRIPT = `(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('attune-report-data').textContent);
  var palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  Chart.defaults.animation = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  Chart.defaults.color = '#333';
  var listed = [];
  data.charts.forEach(function (spec) {
    var canvas = document.querySelector('canvas[data-chart="' + CSS.escape(spec.id) + '"]');
    if (canvas === null) throw new Error('attune report: no canvas for chart ' + spec.id);
    var colorIndex = 0;
    var datasets = spec.datasets.map(function (d) {
      var color = palette[(d.faint ? colorIndex : colorIndex++) % palette.length];
      if (spec.kind === 'bar') return { label: d.label, data: d.data, backgroundColor: color, borderColor: color };
      var points = d.data.map(function (p) { return { x: p[0], y: p[1] }; });
      return {
        label: d.label, data: points, borderColor: d.faint ? color + '55' : color, backgroundColor: d.faint ? color + '55' : color,
        borderWidth: d.faint ? 1 : 2, pointRadius: spec.kind === 'scatter' ? 3 : points.length > 60 ? 0 : 2.5, showLine: spec.kind !== 'scatter', spanGaps: false, tension: 0,
      };
    });
    var chart = new Chart(canvas, {
      type: spec.kind,
      data: spec.kind === 'bar' ? { labels: spec.categories, datasets: datasets } : { datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, normalized: true,
        interaction: spec.kind === 'bar' ? { mode: 'index', intersect: false } : { mode: 'nearest', intersect: false },
        plugins: { legend: { position: 'top', labels: { boxWidth: 12 } } },
        scales: {
          x: spec.kind === 'bar' ? { title: { display: true, text: spec.xLabel } } : { type: 'linear', title: { display: true, text: spec.xLabel } },
          y: { type: spec.logY ? 'logarithmic' : 'linear', title: { display: true, text: spec.yLabel } },
        },
      },
    });
    listed.push({
      id: spec.id, section: spec.section, title: spec.title, kind: spec.kind,
      series: chart.data.datasets.map(function (d) { return d.label; }),
    });
  });
  window.attuneReport = { title: data.title, charts: listed };
  document.documentElement.setAttribute('data-rendered', 'true');
})();`;

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f; background: #fafafa; }
header { padding: 20px 32px 12px; background: #fff; border-bottom: 1px solid #e3e3e3; }
h1 { margin: 0 0 4px; font-size: 24px; }
h2 { margin: 0 0 4px; font-size: 19px; }
h3 { margin: 18px 0 6px; font-size: 16px; }
.meta { margin: 0 0 8px; color: #666; font-size: 13px; }
nav a { display: inline-block; margin: 0 14px 4px 0; color: #0b5cad; text-decoration: none; font-size: 14px; }
nav a:hover { text-decoration: underline; }
main { padding: 8px 32px 40px; max-width: 1500px; }
section { margin: 22px 0; padding: 16px 20px; background: #fff; border: 1px solid #e3e3e3; border-radius: 8px; }
.description { margin: 0 0 12px; color: #555; font-size: 14px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
figure.chart { margin: 0; padding: 10px 12px; border: 1px solid #eee; border-radius: 6px; background: #fff; }
figcaption { font-weight: 600; font-size: 14px; margin-bottom: 6px; }
.canvas-box { position: relative; height: 300px; }
.note { margin: 6px 0 0; color: #666; font-size: 12.5px; }
table { border-collapse: collapse; font-size: 13px; margin: 4px 0 8px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
th { background: #f3f3f3; font-weight: 600; }
td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.config td:first-child { font-family: ui-monospace, Menlo, Consolas, monospace; white-space: nowrap; }
table.config td:last-child { word-break: break-word; max-width: 900px; }
td.pass { color: #1a7f37; font-weight: 600; }
td.fail { color: #c62828; font-weight: 600; }
.empty { color: #888; }
.columns { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; }
`;
