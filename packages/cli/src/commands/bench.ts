/**
 * `attune bench kernels|rl`: runs the repository's benchmark workspaces. They compare against
 * TensorFlow.js, which the published CLI must not install, so they run only inside a checkout of
 * the repository (`npm run bench --workspace @attune/benchmark-<suite>`), writing their result
 * into a run directory (kernels.json or rl.json) next to config.json, metrics.jsonl and report.html.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { JsonlLogger } from '@attune/policy-gradient';
import { ConfigError } from '../config.js';
import type { CliIO } from '../io.js';
import { defaultRunDir, findRepoRoot, writeJson, writeRunReport } from '../run-dir.js';

/**
 * The benchmark suites and the repository workspaces that run them.
 *
 * @example
 * ```ts
 * BENCH_SUITES.kernels; // '@attune/benchmark-kernels'
 * ```
 */
export const BENCH_SUITES = { kernels: '@attune/benchmark-kernels', rl: '@attune/benchmark-rl' } as const;

/**
 * Options of `attune bench`.
 *
 * @example
 * ```ts
 * const options: BenchOptions = { backend: 'auto', runDir: 'runs/bench-kernels' };
 * ```
 */
export interface BenchOptions {
  /** Run directory (default `runs/bench-<suite>-<time>`). */
  runDir?: string;
  /** Seed (the rl suite runs this one seed instead of its default set). */
  seed?: number;
  /** Recorded; the kernels suite measures WebGPU against the CPU itself, the rl suite runs on the CPU. */
  backend: string;
  /** Working directory to look for the checkout from (default: the process's). */
  cwd?: string;
}

/**
 * The npm invocation `attune bench <suite>` runs, for a run directory (absolute).
 *
 * @example
 * ```ts
 * benchCommand('kernels', '/tmp/run', [], undefined).args; // ['run', 'bench', '--workspace', '@attune/benchmark-kernels', '--', '--out=/tmp/run/kernels.json']
 * ```
 */
export function benchCommand(suite: keyof typeof BENCH_SUITES, runDir: string, extra: readonly string[], seed: number | undefined): { command: string; args: string[]; output: string } {
  const output = join(runDir, `${suite}.json`);
  const suiteArgs = suite === 'kernels' ? [`--out=${output}`] : ['--out', output, ...(seed === undefined ? [] : ['--seeds', String(seed)])];
  return { command: process.platform === 'win32' ? 'npm.cmd' : 'npm', args: ['run', 'bench', '--workspace', BENCH_SUITES[suite], '--', ...suiteArgs, ...extra], output };
}

/**
 * Runs a benchmark suite from the checkout containing the working directory; resolves with its
 * exit status.
 *
 * @example
 * ```ts
 * // not run: runs the repository's kernel benchmark suite (minutes; needs a checkout of the repository)
 * const status = await bench('kernels', ['--quick'], { backend: 'auto' }, processIO);
 * ```
 */
export async function bench(suite: string, extra: readonly string[], options: BenchOptions, io: CliIO): Promise<number> {
  if (!Object.hasOwn(BENCH_SUITES, suite)) throw new ConfigError(`unknown benchmark suite "${suite}"; known: ${Object.keys(BENCH_SUITES).join(', ')}`);
  const name = suite as keyof typeof BENCH_SUITES;
  const root = findRepoRoot(options.cwd ?? process.cwd());
  if (root === null) {
    throw new ConfigError(
      `attune bench ${name} runs the benchmark workspaces of the Attune repository, which compare against TensorFlow.js and are not published: ` +
        `no checkout was found above ${options.cwd ?? process.cwd()} (a package.json named "attune-monorepo"). ` +
        'Clone the repository, run `npm ci` there, and run `attune bench` (or `npm run bench --workspace ' + BENCH_SUITES[name] + '`) inside it.',
    );
  }
  const runDir = resolve(options.runDir ?? defaultRunDir(`bench-${name}`));
  const { command, args, output } = benchCommand(name, runDir, extra, options.seed);
  await writeJson(join(runDir, 'config.json'), { command: 'bench', suite: name, workspace: BENCH_SUITES[name], extraArgs: extra, seed: options.seed ?? null, backend: options.backend, repository: root, createdAt: new Date().toISOString() });
  io.out(`running ${command} ${args.join(' ')} in ${root}`);
  const started = performance.now();
  const status = await new Promise<number>((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    const forward = () => child.kill('SIGINT');
    process.on('SIGINT', forward);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      resolvePromise(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
  const metrics = new JsonlLogger(join(runDir, 'metrics.jsonl'));
  metrics.scalar('bench/wall_seconds', (performance.now() - started) / 1000, 0);
  metrics.scalar('bench/exit_status', status, 0);
  metrics.close();
  const report = await writeRunReport(runDir, `benchmark: ${name}`);
  io.out(`${name} benchmark ${status === 0 ? 'finished' : `exited with status ${status}`}; result: ${output}`);
  io.out(`report: ${report}`);
  return status;
}
