// attune bench (outside a checkout: a clear refusal; inside one: npm runs the suite's workspace
// and its result lands in the run directory) and attune report.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bench, main, reportRun, type CliIO } from '../src/index.js';
import { benchCommand } from '../src/commands/bench.js';
import { findRepoRoot } from '../src/run-dir.js';
import { CLI_DIR } from './run-attune.js';

function capture(): { io: CliIO; text: () => string } {
  const lines: string[] = [];
  return { io: { out: (line) => lines.push(line), err: (line) => lines.push(line) }, text: () => lines.join('\n') };
}

/** A stand-in checkout: a root package.json named attune-monorepo with a benchmark-kernels workspace whose bench writes --out. */
async function fakeCheckout(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'attune-cli-checkout-'));
  await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'attune-monorepo', private: true, workspaces: ['benchmarks/*'] }));
  await mkdir(join(root, 'benchmarks/kernels'), { recursive: true });
  await writeFile(join(root, 'benchmarks/kernels/package.json'), JSON.stringify({ name: '@attune/benchmark-kernels', private: true, scripts: { bench: 'node bench.mjs' } }));
  await writeFile(
    join(root, 'benchmarks/kernels/bench.mjs'),
    `import { writeFileSync } from 'node:fs';
const out = process.argv.find((a) => a.startsWith('--out=')).slice(6);
const extra = process.argv.slice(2).filter((a) => !a.startsWith('--out='));
writeFileSync(out, JSON.stringify({ benchmark: '@attune/benchmark-kernels', schema: 1, quick: extra.includes('--quick'), results: [{ case: 'adam-4M', group: 'adam', title: 'Adam 4M', library: 'attune-cpu', status: 'measured', gbps: 3.5 }] }));
console.log('bench ran with', extra.join(' '));
`,
  );
  return root;
}

describe('attune bench', () => {
  it('finds the repository root from inside the checkout', () => {
    expect(findRepoRoot(CLI_DIR)).toBe(join(CLI_DIR, '..', '..'));
    expect(findRepoRoot(tmpdir())).toBeNull();
  });

  it('builds the npm invocation of each suite', () => {
    expect(benchCommand('kernels', '/r', ['--quick'], undefined).args).toEqual(['run', 'bench', '--workspace', '@attune/benchmark-kernels', '--', '--out=/r/kernels.json', '--quick']);
    expect(benchCommand('rl', '/r', ['--only', 'ppo-cartpole'], 3).args).toEqual(['run', 'bench', '--workspace', '@attune/benchmark-rl', '--', '--out', '/r/rl.json', '--seeds', '3', '--only', 'ppo-cartpole']);
  });

  it('outside a checkout, says why it cannot run and what to do', async () => {
    const { io } = capture();
    await expect(bench('kernels', [], { backend: 'auto', cwd: tmpdir() }, io)).rejects.toThrow(/not published: no checkout was found above .* Clone the repository, run `npm ci` there/);
    await expect(bench('gpu', [], { backend: 'auto', cwd: tmpdir() }, io)).rejects.toThrow('unknown benchmark suite "gpu"; known: kernels, rl');
  });

  it('inside a checkout, runs the workspace and writes kernels.json, config.json, metrics.jsonl and report.html', async () => {
    const root = await fakeCheckout();
    const runDir = join(root, 'runs/k');
    const { io, text } = capture();
    const status = await bench('kernels', ['--quick'], { backend: 'auto', cwd: join(root, 'benchmarks'), runDir }, io);
    expect(status, text()).toBe(0);
    const kernels = JSON.parse(readFileSync(join(runDir, 'kernels.json'), 'utf8'));
    expect(kernels.quick).toBe(true);
    expect(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'))).toMatchObject({ command: 'bench', suite: 'kernels', extraArgs: ['--quick'], repository: root });
    expect(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')).toContain('"name":"bench/exit_status","value":0');
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('Adam 4M');
  });
});

describe('attune report', () => {
  it('(re)writes report.html titled from config.json and prints its path', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'attune-cli-report-'));
    await writeFile(join(runDir, 'config.json'), JSON.stringify({ command: 'train', algo: 'ppo', env: 'CartPole-v1', seed: 1 }));
    await writeFile(join(runDir, 'metrics.jsonl'), '{"step":500,"name":"charts/episodic_return","value":21}\n{"step":1000,"name":"charts/episodic_return","value":35}\n');
    const { io, text } = capture();
    const status = await main(['report', runDir], io);
    expect(status, text()).toBe(0);
    expect(text()).toBe(join(runDir, 'report.html'));
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('ppo on CartPole-v1');
    expect(html).toContain('episodic_return');
    expect(await reportRun(runDir, {}, capture().io)).toBe(join(runDir, 'report.html'));
  });

  it('fails with status 1 naming a directory that is not a run', async () => {
    const { io, text } = capture();
    expect(await main(['report', join(tmpdir(), 'attune-no-such-run')], io)).toBe(1);
    expect(text()).toContain('attune-no-such-run does not exist');
    const empty = await mkdtemp(join(tmpdir(), 'attune-cli-empty-'));
    expect(await main(['report', empty], io)).toBe(1);
    expect(text()).toContain('metrics.jsonl not found');
    expect(existsSync(join(empty, 'report.html'))).toBe(false);
  });
});
