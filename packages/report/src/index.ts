// @attune/report: self-contained HTML run reports. A run directory holds config.json,
// metrics.jsonl (and, for kernel benchmarks, kernels.json); writeReport turns it into report.html
// with Chart.js plots that open offline.

export { parseMetrics, parseMetricsLog, type MetricSeries, type MetricsLog } from './metrics.js';
export { readRun, writeReport, type RunData, type KernelBenchmark, type KernelResultRow } from './run.js';
export { renderReport, type ReportOptions } from './render.js';
export {
  planCharts,
  RECOGNISED_METRICS,
  type ChartSection,
  type ChartSpec,
  type ChartDataset,
  type ChartPoint,
  type PlanOptions,
} from './charts.js';
