import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMetrics, planCharts, readRun, renderReport, writeReport, type ChartSpec, type MetricSeries, type RunData } from '../src/index.js';
import { movingMean, toPoints } from '../src/charts.js';
import { formatNumber, jsonForHtml, metricDirection, scriptSafe } from '../src/render.js';
import { writeBanditRun, writeKernelsRun, writePpoRun, writeRlhfRun } from './fixtures.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'attune-report-'));
const runOf = (series: MetricSeries[], extra: Partial<RunData> = {}): RunData => ({ dir: 'runs/test', config: null, hyperparameters: null, series, kernels: null, ...extra });
const charts = (series: MetricSeries[], maxPointsPerSeries?: number): ChartSpec[] => planCharts(series, { maxPointsPerSeries }).flatMap((s) => s.charts);
const labels = (chart: ChartSpec | undefined): string[] => chart?.datasets.map((d) => d.label) ?? [];

/** The JSON inside `<script type="application/json" id="attune-report-data">`. */
function embeddedData(html: string): { title: string; charts: ChartSpec[] } {
  const match = /<script type="application\/json" id="attune-report-data">([\s\S]*?)<\/script>/.exec(html);
  if (match === null) throw new Error('no data script');
  return JSON.parse(match[1]);
}

describe('planCharts', () => {
  it('gives a PPO run learning curves (raw and smoothed) and charts every other metric by namespace', async () => {
    const dir = tempDir();
    writePpoRun(dir);
    const { series } = await readRun(dir);
    const sections = planCharts(series);
    expect(sections.map((s) => s.id)).toEqual(['learning-curves', 'metrics']);
    const all = sections.flatMap((s) => s.charts);
    const curve = all.find((c) => c.id === 'learning-curve');
    expect(labels(curve)).toEqual(['charts/episodic_return', 'charts/episodic_return (smoothed)']);
    expect(curve?.datasets[0].faint).toBe(true);
    expect(labels(all.find((c) => c.id === 'episode-length'))).toEqual(['charts/episodic_length', 'charts/episodic_length (smoothed)']);
    // Every other series is on exactly one chart of its namespace.
    for (const s of series.filter((s) => !s.name.startsWith('charts/episodic'))) {
      const holders = all.filter((c) => labels(c).includes(s.name));
      expect(holders, s.name).toHaveLength(1);
      expect(holders[0].id.startsWith(`metrics:${s.name.split('/')[0]}`), holders[0].id).toBe(true);
    }
    // charts/SPS (~1900) and charts/learning_rate (~1e-4) differ by far more than 10×: two charts.
    expect(all.filter((c) => c.id.startsWith('metrics:charts')).map(labels)).toEqual([['charts/learning_rate'], ['charts/SPS']]);
  });

  it('gives an RLHF run reward, KL, β and reward-against-KL charts per stage, and leaves single points to the summary', async () => {
    const dir = tempDir();
    writeRlhfRun(dir);
    const { series } = await readRun(dir);
    const sections = planCharts(series);
    expect(sections.map((s) => s.id)).toEqual(['rlhf', 'stage-pretrain', 'stage-sft', 'stage-reward-model', 'stage-ppo', 'stage-dpo', 'stage-evaluate']);
    const all = sections.flatMap((s) => s.charts);
    expect(labels(all.find((c) => c.id === 'rlhf-reward:ppo'))).toEqual(['charts/gold_reward', 'charts/proxy_reward']);
    expect(labels(all.find((c) => c.id === 'rlhf-kl:ppo'))).toEqual(['charts/kl']);
    expect(labels(all.find((c) => c.id === 'rlhf-kl-coef:ppo'))).toEqual(['charts/kl_coef']);
    const overOptimisation = all.find((c) => c.id === 'rlhf-overoptimisation:ppo');
    expect(overOptimisation?.kind).toBe('scatter');
    // x is the KL at the same step, y the reward.
    const kl = series.find((s) => s.name === 'charts/kl')!;
    const gold = series.find((s) => s.name === 'charts/gold_reward')!;
    expect(overOptimisation?.datasets[0].data[7]).toEqual([kl.values[7], gold.values[7]]);
    expect(labels(all.find((c) => c.id === 'metrics:pretrain:losses'))).toEqual(['losses/train']);
    // The evaluation's single values eval/<policy>/<metric>: a bar per policy, one chart per metric;
    // win_rate has one finite value only (sft), so it stays in the summary table.
    const evaluation = sections[sections.length - 1].charts;
    expect(evaluation.map((c) => [c.id, c.kind, c.categories, labels(c)])).toEqual([
      ['values:evaluate:eval/…/gold', 'bar', ['sft', 'ppo', 'dpo'], ['eval/…/gold']],
      ['values:evaluate:eval/…/kl', 'bar', ['sft', 'ppo', 'dpo'], ['eval/…/kl']],
    ]);
    expect(evaluation[0].datasets[0].data).toEqual(['sft', 'ppo', 'dpo'].map((p) => series.find((s) => s.name === `eval/${p}/gold`)!.values[0]));
  });

  it('compares bandit agents (stages) on one chart per bandit metric, per-pull ones as moving means', async () => {
    const dir = tempDir();
    writeBanditRun(dir);
    const { series } = await readRun(dir);
    const sections = planCharts(series);
    expect(sections.map((s) => s.id)).toEqual(['bandits']);
    const all = sections[0].charts;
    expect(all.map((c) => c.id)).toEqual(['bandit-cumulative-regret', 'bandit-regret', 'bandit-optimal-action', 'bandit-reward']);
    for (const chart of all) expect(labels(chart)).toEqual(['epsilon-greedy', 'ucb1']);
    expect(all[0].title).toBe('Cumulative regret');
    expect(all[2].title).toBe('Optimal action rate (moving mean over 10 pulls)');
    const optimal = series.find((s) => s.stage === 'ucb1' && s.name === 'charts/optimal_action')!;
    expect((all[2].datasets[1].data[499] as [number, number])[1]).toBeCloseTo(optimal.values.slice(490).reduce((a, b) => a + b) / 10, 12);
  });

  it('charts a bandit run without stages under the metric names', () => {
    const series = parseMetrics([1, 2, 3].flatMap((step) => [`{"step":${step},"name":"charts/cumulative_regret","value":${step / 2}}`]).join('\n'));
    expect(labels(charts(series).find((c) => c.id === 'bandit-cumulative-regret'))).toEqual(['charts/cumulative_regret']);
  });

  it('downsamples long series to min and max per bucket, keeping the extremes, and says so', () => {
    const steps = Array.from({ length: 10_000 }, (_, i) => i);
    const values = steps.map((i) => Math.sin(i / 100) + (i === 4321 ? 5 : 0));
    const [chart] = charts([{ name: 'losses/loss', stage: null, steps, values }], 100);
    const points = chart.datasets[0].data as [number, number][];
    expect(points.length).toBeLessThanOrEqual(100);
    expect(points).toContainEqual([4321, values[4321]]);
    expect(Math.min(...points.map((p) => p[1]))).toBe(Math.min(...values));
    expect(points.map((p) => p[0])).toEqual([...points.map((p) => p[0])].sort((a, b) => a - b));
    expect(chart.note).toMatch(/more than 100 points/);
    expect(charts([{ name: 'losses/loss', stage: null, steps: [0, 1], values: [1, 2] }])[0].note).toBeUndefined();
  });

  it('handles series of a million points (no argument-spreading of whole series)', () => {
    const steps = Array.from({ length: 1_000_000 }, (_, i) => i);
    const chart = charts([{ name: 'losses/loss', stage: null, steps, values: steps.map((i) => 1 / (i + 1)) }, { name: 'losses/other', stage: null, steps, values: steps.map(() => 2) }]);
    expect(chart.map(labels)).toEqual([['losses/loss', 'losses/other']]);
    expect(chart[0].datasets[0].data.length).toBeLessThanOrEqual(2000);
  });

  it('turns NaN into gaps and averages over finite values only', () => {
    expect(toPoints([0, 1, 2], [1, NaN, 3], 10)).toEqual([[0, 1], [1, null], [2, 3]]);
    expect(movingMean([1, NaN, 3, 5], 2)).toEqual([1, 1, 3, 4]);
  });

  it('rejects a bad maxPointsPerSeries', () => {
    expect(() => planCharts([], { maxPointsPerSeries: 2.5 })).toThrow('planCharts: maxPointsPerSeries must be an integer ≥ 4, got 2.5');
  });
});

describe('renderReport', () => {
  it('embeds the title, the configuration, a canvas per chart and the data', async () => {
    const dir = tempDir();
    writeRlhfRun(dir);
    const run = await readRun(dir);
    const html = renderReport(run, { title: 'RLHF <sentiment>', generatedAt: new Date('2026-01-02T03:04:05Z') });
    expect(html).toContain('<title>RLHF &lt;sentiment&gt;</title>');
    expect(html).toContain('generated 2026-01-02T03:04:05.000Z');
    expect(html).toContain('<tr><td>ppo.initKlCoef</td><td>0.35</td></tr>');
    const data = embeddedData(html);
    expect(data.title).toBe('RLHF <sentiment>');
    expect(data.charts.map((c) => c.id)).toEqual(planCharts(run.series).flatMap((s) => s.charts.map((c) => c.id)));
    for (const chart of data.charts) expect(html).toContain(`<canvas data-chart="${chart.id}"`);
    // The evaluation's single values appear in the summary table.
    expect(html).toMatch(/<tr data-metric="eval\/ppo\/gold"><td>evaluate<\/td>/);
  });

  it('shows the logged hyperparameters only when config.json does not already say the same, long configs in columns', () => {
    const series = parseMetrics('{"step":0,"losses/loss":1}');
    const hyperparameters = { lr: 0.001, seed: 1 };
    expect(renderReport(runOf(series, { config: { lr: 0.001, seed: 1, env: 'CartPole-v1' }, hyperparameters }))).not.toContain('id="hyperparameters"');
    const differing = renderReport(runOf(series, { config: { lr: 0.01, seed: 1 }, hyperparameters }));
    expect(differing).toContain('id="hyperparameters"');
    expect(differing).toContain('<a href="#hyperparameters">');
    expect(renderReport(runOf(series, { hyperparameters }))).toContain('id="hyperparameters"');
    const long = renderReport(runOf(series, { config: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key${i}`, i])) }));
    expect(long.match(/<table class="config">/g)).toHaveLength(3);
    expect(long).toContain('<tr><td>key39</td><td>39</td></tr>');
  });

  it('loads nothing from outside the file: Chart.js is inlined, no src/href but in-page anchors', async () => {
    const dir = tempDir();
    writePpoRun(dir);
    const html = renderReport(await readRun(dir));
    expect(html).toContain('Chart.js v4');
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/\b(src|srcset|action)\s*=/i);
    const hrefs = [...html.matchAll(/\bhref\s*=\s*"([^"]*)"/gi)].map((m) => m[1]);
    expect(hrefs.length).toBeGreaterThan(2);
    for (const href of hrefs) expect(href.startsWith('#'), href).toBe(true);
    expect(html).not.toMatch(/@import|url\(/);
  });

  it('escapes </script> and <!-- in metric names, so the data survives and no script is closed early', () => {
    const name = 'charts/</script><script>alert(1)</script><!--\u2028';
    const run = runOf(parseMetrics(`{"step":0,${JSON.stringify(name)}:1}\n{"step":1,${JSON.stringify(name)}:2}`), { config: { note: '</script>' } });
    const html = renderReport(run, { title: '</script>' });
    expect(html.match(/<\/script>/gi)).toHaveLength(3); // the data, Chart.js and the page script
    expect(html).not.toContain('<!--');
    expect(labels(embeddedData(html).charts[0])).toEqual([name]);
    expect(html).toContain('<td>&lt;/script&gt;</td>');
  });

  it('script and JSON escaping keep the meaning', () => {
    const value = { text: '</script><!-- & \u2028 >' };
    expect(JSON.parse(jsonForHtml(value))).toEqual(value);
    expect(jsonForHtml(value)).not.toMatch(/[<>&\u2028]/);
    const source = 'var s = "</SCRIPT>" + "<!--";';
    expect(scriptSafe(source)).toBe('var s = "<\\/SCRIPT>" + "<\\!--";');
    expect(new Function(`${scriptSafe(source)} return s;`)()).toBe('</SCRIPT><!--');
  });

  it('summarises final, min, max and best (lowest for losses, highest for returns)', () => {
    const series = parseMetrics([
      '{"step":1,"losses/value_loss":3,"charts/episodic_return":10,"charts/learning_rate":0.01}',
      '{"step":2,"losses/value_loss":1,"charts/episodic_return":30,"charts/learning_rate":0.005}',
      '{"step":3,"losses/value_loss":2,"charts/episodic_return":null,"charts/learning_rate":0.001}',
    ].join('\n'));
    const html = renderReport(runOf(series));
    const row = (name: string): string[] => {
      const match = new RegExp(`<tr data-metric="${name.replace('/', '\\/')}">(.*?)</tr>`).exec(html);
      return [...(match?.[1] ?? '').matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]);
    };
    expect(row('losses/value_loss')).toEqual(['losses/value_loss', '3', '3', '2', '1', '3', '↓ 1 @ 2']);
    expect(row('charts/episodic_return')).toEqual(['charts/episodic_return', '3', '2', '30', '10', '30', '↑ 30 @ 2']);
    expect(row('charts/learning_rate')).toEqual(['charts/learning_rate', '3', '3', '0.001', '0.001', '0.01', '—']);
    expect(metricDirection('losses/reward')).toBe('lower');
    expect(metricDirection('losses/explained_variance')).toBe('higher');
    expect(metricDirection('losses/td_error')).toBe('lower');
    expect(metricDirection('charts/cumulative_regret')).toBeNull(); // a running total has no best point
    expect(metricDirection('charts/kl')).toBeNull();
    expect(formatNumber(1234567)).toBe('1234567');
    expect(formatNumber(0.000123456)).toBe('1.235e-4');
    expect(formatNumber(3.14159)).toBe('3.142');
  });

  it('shows kernels.json as tables per group with a log-scale bar chart each, skipped pairs included', async () => {
    const dir = tempDir();
    writeKernelsRun(dir);
    const run = await readRun(dir);
    const html = renderReport(run);
    const data = embeddedData(html);
    expect(data.charts.map((c) => c.id)).toEqual(['kernels:matmul', 'kernels:softmax', 'kernels:adam', 'kernels:train']);
    const matmul = data.charts[0];
    expect(matmul).toMatchObject({ kind: 'bar', logY: true, categories: ['matmul-256', 'matmul-1024', 'matmul-4096'], title: 'matmul (GFLOP/s)' });
    expect(labels(matmul)).toEqual(['attune-webgpu', 'tfjs-webgpu', 'attune-cpu']);
    const row = run.kernels!.results.find((r) => r.case === 'matmul-1024' && r.library === 'tfjs-webgpu')!;
    expect(matmul.datasets[1].data[1]).toBe(row.gflops);
    expect(matmul.datasets[0].data[2]).toBeNull(); // skipped: too slow on this adapter
    expect(data.charts[3].title).toBe('train (tokens/s)');
    expect(data.charts[1].title).toBe('softmax (GB/s)');
    expect(html).toContain('skipped: about 7999 ms per call');
    expect(html).toContain('llvmpipe: Mesa 25.0.7');
    expect(html).toMatch(/GPT training step: attune-webgpu \/ tfjs-webgpu tokens\/s<\/td><td class="number">4\.536<\/td><td class="number">2<\/td><td class="pass">pass/);
  });
});

describe('writeReport', () => {
  it('writes <runDir>/report.html through a temporary file and returns its path', async () => {
    const dir = tempDir();
    writeBanditRun(dir);
    const path = await writeReport(dir);
    expect(path).toBe(join(dir, 'report.html'));
    expect(readdirSync(dir).sort()).toEqual(['metrics.jsonl', 'report.html']);
    const html = readFileSync(path, 'utf8');
    expect(html).toContain(`<title>${basename(dir)}</title>`);
    writeFileSync(join(dir, 'config.json'), '{"agents":["epsilon-greedy","ucb1"]}');
    await writeReport(dir, { title: 'Bandits compared' });
    expect(readFileSync(path, 'utf8')).toContain('<title>Bandits compared</title>');
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'metrics.jsonl', 'report.html']);
  });

  it('fails, leaving no file, when the run cannot be read', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'metrics.jsonl'), 'oops\n');
    await expect(writeReport(dir)).rejects.toThrow('metrics.jsonl line 1: not valid JSON');
    expect(readdirSync(dir)).toEqual(['metrics.jsonl']);
  });
});
