// The RLHF guide embeds the flagship recipe's run report. docs/data/rlhf-sentiment holds a copy of
// a real run of examples/rlhf-sentiment (seed 1, CPU backend): its metrics.jsonl, its report.json
// and config.json (the run's arguments, taken from report.json). This renders it with
// @attune/report into one self-contained page.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readRun, renderReport } from '@attune/report';

/** Where the committed run was made, relative to the repository root (shown in the report). */
export const RECIPE_RUN_DIR = 'examples/rlhf-sentiment/runs/rlhf-sentiment';

/** When the committed run finished (report.json has no date); printed as the report's "generated" time so builds are reproducible. */
export const RECIPE_RUN_FINISHED = new Date('2026-11-26T22:47:05Z');

/**
 * Renders the run in `runDir` to a self-contained HTML report at `outFile` and returns the path.
 * The run's own summary (report.json's `bars`) is not needed by the report; the guide quotes it.
 *
 * @param runDir - a run directory with metrics.jsonl (and optionally config.json).
 * @param outFile - where to write the HTML; its folder is created.
 *
 * @example
 * ```ts
 * await writeRecipeReport('docs/data/rlhf-sentiment', 'docs/site/reports/rlhf-sentiment.html');
 * ```
 */
export async function writeRecipeReport(runDir: string, outFile: string): Promise<string> {
  // The page shows the run's directory: name where the run was made, not this checkout's path.
  const run = { ...(await readRun(runDir)), dir: RECIPE_RUN_DIR };
  if (run.series.length === 0) throw new Error(`${join(runDir, 'metrics.jsonl')} has no metric series to plot`);
  const html = renderReport(run, { title: 'RLHF sentiment recipe (seed 1, CPU)', generatedAt: RECIPE_RUN_FINISHED });
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, html);
  return outFile;
}

/** The headline numbers of the committed run, from its report.json (for the guide's checks). */
export function recipeSummary(runDir: string): { bars: unknown; totalSeconds: unknown } {
  const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as Record<string, unknown>;
  return { bars: report.bars, totalSeconds: report.totalSeconds };
}
