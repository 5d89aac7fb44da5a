// Opens generated reports in headless Chromium (Debian's chromium through playwright-core) from
// file:// and checks that every chart rendered: no console or page errors, no request but the file
// itself, each expected chart is a Chart.js instance with the expected series, and each canvas has
// a size and pixels in its series' colour. Saves a full-page screenshot per report (CI artifact).
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchChromium, screenshotPath } from '../../../test-utils/chromium.js';
import { writeReport, type ChartSpec } from '../src/index.js';
import { writeBanditRun, writeKernelsRun, writePpoRun, writeRlhfRun } from './fixtures.js';

/** What the page reports about one canvas. */
interface RenderedChart {
  id: string;
  type: string;
  labels: string[];
  width: number;
  height: number;
  /** Pixels drawn at all (alpha > 0). */
  drawn: number;
  /** Pixels within a small distance of the first series' colour. */
  firstSeriesColour: number;
}

const cases: { kind: string; write: (dir: string) => void; expected: Record<string, string[]> }[] = [
  {
    kind: 'ppo',
    write: writePpoRun,
    expected: {
      'learning-curve': ['charts/episodic_return', 'charts/episodic_return (smoothed)'],
      'episode-length': ['charts/episodic_length', 'charts/episodic_length (smoothed)'],
    },
  },
  {
    kind: 'rlhf',
    write: writeRlhfRun,
    expected: {
      'rlhf-reward:ppo': ['charts/gold_reward', 'charts/proxy_reward'],
      'rlhf-kl:ppo': ['charts/kl'],
      'rlhf-kl-coef:ppo': ['charts/kl_coef'],
      'rlhf-overoptimisation:ppo': ['charts/gold_reward', 'charts/proxy_reward'],
      'metrics:pretrain:losses': ['losses/train'],
      'metrics:dpo:losses': ['losses/dpo'],
      'values:evaluate:eval/…/gold': ['eval/…/gold'],
    },
  },
  {
    kind: 'bandit',
    write: writeBanditRun,
    expected: {
      'bandit-cumulative-regret': ['epsilon-greedy', 'ucb1'],
      'bandit-regret': ['epsilon-greedy', 'ucb1'],
      'bandit-optimal-action': ['epsilon-greedy', 'ucb1'],
      'bandit-reward': ['epsilon-greedy', 'ucb1'],
    },
  },
  {
    kind: 'kernels',
    write: writeKernelsRun,
    expected: {
      'kernels:matmul': ['attune-webgpu', 'tfjs-webgpu', 'attune-cpu'],
      'kernels:softmax': ['attune-webgpu', 'tfjs-webgpu', 'attune-cpu'],
      'kernels:adam': ['attune-webgpu', 'tfjs-webgpu', 'attune-cpu'],
      'kernels:train': ['attune-webgpu', 'tfjs-webgpu', 'attune-cpu'],
    },
  },
];

describe.skipIf(!browserAvailable())('report.html in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it.each(cases)('$kind run: every chart renders with its series, offline, without errors', async ({ kind, write, expected }) => {
    const dir = mkdtempSync(join(tmpdir(), `attune-report-${kind}-`));
    write(dir);
    const path = await writeReport(dir, { title: `Test report: ${kind}` });
    // The charts the page was given (render.test.ts checks these against planCharts).
    const embedded = /<script type="application\/json" id="attune-report-data">([\s\S]*?)<\/script>/.exec(readFileSync(path, 'utf8'));
    const planned: ChartSpec[] = JSON.parse(embedded![1]).charts;
    expect(planned.length).toBeGreaterThanOrEqual(Object.keys(expected).length);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => requests.push(request.url()));
    const url = pathToFileURL(path).href;
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { attuneReport?: unknown }).attuneReport !== undefined, null, { timeout: 20_000 });

    const rendered: RenderedChart[] = await page.evaluate(() => {
      const Chart = (window as unknown as { Chart: { getChart(canvas: HTMLCanvasElement): { config: { type: string }; data: { datasets: { label: string; borderColor: string; backgroundColor: string }[] } } | undefined } }).Chart;
      const hex = (colour: string): number[] => [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
      return [...document.querySelectorAll<HTMLCanvasElement>('canvas[data-chart]')].map((canvas) => {
        const chart = Chart.getChart(canvas);
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        const first = chart?.data.datasets[chart.data.datasets.length > 1 && chart.data.datasets[1].label.endsWith('(smoothed)') ? 1 : 0];
        const [r, g, b] = hex(String(first?.backgroundColor ?? '#000000').slice(0, 7));
        let drawn = 0;
        let firstSeriesColour = 0;
        for (let i = 0; i < pixels.length; i += 4) {
          if (pixels[i + 3] === 0) continue;
          drawn++;
          if (Math.abs(pixels[i] - r) + Math.abs(pixels[i + 1] - g) + Math.abs(pixels[i + 2] - b) < 60 && pixels[i + 3] > 200) firstSeriesColour++;
        }
        return {
          id: canvas.dataset.chart!, type: chart?.config.type ?? 'none', labels: chart?.data.datasets.map((d) => d.label) ?? [],
          width: canvas.width, height: canvas.height, drawn, firstSeriesColour,
        };
      });
    });
    const report = await page.evaluate(() => (window as unknown as { attuneReport: { charts: { id: string; series: string[] }[] } }).attuneReport);
    await page.screenshot({ path: screenshotPath(`report-${kind}.png`), fullPage: true });
    await page.close();

    expect(problems).toEqual([]);
    expect(requests).toEqual([url]); // nothing but the file itself: Chart.js and the data are inline
    // Every planned chart is on the page, drawn by Chart.js with the planned series.
    expect(rendered.map((c) => c.id).sort()).toEqual(planned.map((c) => c.id).sort());
    expect(report.charts.map((c) => c.id).sort()).toEqual(rendered.map((c) => c.id).sort());
    for (const chart of planned) {
      const onPage = rendered.find((c) => c.id === chart.id)!;
      expect(onPage.labels, chart.id).toEqual(chart.datasets.map((d) => d.label));
    }
    for (const [id, series] of Object.entries(expected)) {
      expect(rendered.find((c) => c.id === id)?.labels, id).toEqual(series);
    }
    for (const chart of rendered) {
      expect(chart.type, chart.id).not.toBe('none');
      expect(chart.width, chart.id).toBeGreaterThan(300);
      expect(chart.height, chart.id).toBeGreaterThan(200);
      expect(chart.drawn, chart.id).toBeGreaterThan(0.01 * chart.width * chart.height);
      expect(chart.firstSeriesColour, `${chart.id}: pixels of the first series' colour`).toBeGreaterThan(30);
    }
  });
});
