/**
 * `attune report <run-dir> [--open]`: (re)writes the run's self-contained `report.html`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CliIO } from '../io.js';
import { readJson, writeRunReport } from '../run-dir.js';

/** The command that opens a file in the default browser on this platform. */
function opener(): { command: string; args: string[] } {
  if (process.platform === 'darwin') return { command: 'open', args: [] };
  if (process.platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] };
  return { command: 'xdg-open', args: [] };
}

/**
 * Writes `<runDir>/report.html` (title from the run's config.json) and prints its path; with `open`,
 * opens it in the default browser.
 *
 * @example
 * ```ts
 * await train('q-learning', { env: 'FrozenLake-v1', set: [], totalEpisodes: 500, backend: 'cpu', runDir: 'runs/frozenlake-report', quiet: true }, [], processIO);
 * const path = await reportRun('runs/frozenlake-report', { open: false }, processIO); // …/runs/frozenlake-report/report.html
 * ```
 */
export async function reportRun(runDirArgument: string, options: { open?: boolean }, io: CliIO): Promise<string> {
  const runDir = resolve(runDirArgument);
  if (!existsSync(runDir)) throw new Error(`${runDir} does not exist`);
  let title = runDir;
  if (existsSync(join(runDir, 'config.json'))) {
    const config = await readJson<{ command?: string; algo?: string; env?: string; recipe?: string; suite?: string }>(join(runDir, 'config.json'));
    if (config.command === 'train') title = `${config.algo} on ${config.env}`;
    else if (config.command === 'rlhf') title = `RLHF recipe: ${config.recipe}`;
    else if (config.command === 'bench') title = `benchmark: ${config.suite}`;
  }
  const path = await writeRunReport(runDir, title);
  io.out(path);
  if (options.open) {
    const { command, args } = opener();
    const child = spawn(command, [...args, path], { detached: true, stdio: 'ignore' });
    child.on('error', (error) => io.err(`could not open the report with ${command}: ${error.message}`));
    child.unref();
  }
  return path;
}
