// The build's own steps, without TypeDoc or a browser: the Benchmarks page renderer (on the
// committed results and on files with fields missing or unknown), the placeholders the guides
// quote numbers through, and the README link rewriting.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { MISSING, formatNumber, readResults, renderBenchmarks, renderRlSuites } from '../scripts/benchmarks.ts';
import { expandPlaceholders, type PlaceholderData } from '../scripts/placeholders.ts';
import { rewritePackageLinks } from '../scripts/readmes.ts';
import { docsDir } from './site-server.ts';

const resultsDir = join(docsDir, '..', 'benchmarks', 'results');

describe('formatNumber', () => {
  test('three significant figures, thousands separators, integers whole, a dash for non-numbers', () => {
    expect(formatNumber(11710)).toBe('11,710');
    expect(formatNumber(20060.4)).toBe('20,060');
    expect(formatNumber(0.7719)).toBe('0.772');
    expect(formatNumber(5.625)).toBe('5.63');
    expect(formatNumber(17.18)).toBe('17.2');
    expect(formatNumber(8)).toBe('8');
    expect(formatNumber(-205.4)).toBe('-205');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(undefined)).toBe(MISSING);
    expect(formatNumber(Number.NaN)).toBe(MISSING);
    expect(formatNumber('12')).toBe(MISSING);
  });
});

describe('renderBenchmarks on the committed results', () => {
  const { files, images } = readResults(resultsDir);
  const md = renderBenchmarks(files, { images, imageBase: 'img/' });

  test('has a kernel table with a column per adapter, and the H100 numbers from its file', () => {
    const h100 = files.find((f) => f.name === 'webgpu-nvidia-h100-80gb-hbm3.json');
    expect(h100, 'the H100 result file is committed').toBeDefined();
    const row = (h100!.data as { results: { case: string; library: string; gflops?: number }[] }).results
      .find((r) => r.case === 'matmul-4096' && r.library === 'attune-webgpu')!;
    expect(md).toContain(`${formatNumber(row.gflops)} GFLOP/s`);
    const header = md.split('\n').find((l) => l.startsWith('| case | '))!;
    expect(header).toContain('nvidia-h100-80gb-hbm3');
    expect(header).toContain('llvmpipe');
    expect(md).toContain('### nvidia-h100-80gb-hbm3');
  });

  test('renders the kernel-variant sweep of tune.ts, the fastest variant in bold', () => {
    const sweep = files.find((f) => f.name === 'tune-nvidia-h100-80gb-hbm3.json');
    expect(sweep, 'the H100 sweep is committed').toBeDefined();
    const { best } = sweep!.data as { best: Record<string, string> };
    expect(md).toContain('### Kernel variants');
    expect(md).toMatch(/\| matmul \| 1024 \| 2048 \| 4096 \|/);
    expect(md).toContain(`| **${best['matmul 4096']}** |`);
    expect(md).toContain(`| **${best['softmax 65536x1024']}** |`);
    expect(md).not.toContain('tune-nvidia-h100-80gb-hbm3.json'); // tabulated, not listed as an unknown file
  });

  test('renders the tensor, transformer and RL sections, with the RL learning curves', () => {
    expect(md).toContain('## Tensor core on the CPU');
    expect(md).toContain('## GPT training step');
    expect(md).toContain('## Reinforcement learning');
    expect(md).toMatch(/\| ppo-cartpole \| PPO on CartPole-v1/);
    expect(md).toContain('![ppo-cartpole learning curves](img/rl-ppo-cartpole.svg)');
  });

});

describe('renderBenchmarks on unusual files', () => {
  test('lists partial runs (interrupted benchmarks, never committed) instead of tabulating them', () => {
    const partial = { name: 'transformer-webgpu-x.partial.json', data: { benchmark: '@attune/benchmark-transformer', date: '2026-01-01T00:00:00Z', results: [] } };
    const md = renderBenchmarks([partial]);
    expect(md).toContain('- `transformer-webgpu-x.partial.json`: an interrupted or partial run');
    expect(md).not.toContain('transformer-webgpu-x.partial.json |');
  });

  test('a kernel file without adapter, machine or bars still renders, with dashes', () => {
    const md = renderBenchmarks([{
      name: 'webgpu-x.json',
      data: { benchmark: '@attune/benchmark-kernels', results: [{ case: 'c1', library: 'attune-webgpu', status: 'measured' }, { case: 'c1', library: 'tfjs-webgpu', status: 'failed: device lost' }] },
    }]);
    expect(md).toContain('| c1 | — |');
    expect(md).toContain('| c1 | — | failed (1) |');
    expect(md).toContain('1. device lost');
  });

  test('an unknown benchmark is listed by name, and nothing is required of it', () => {
    const md = renderBenchmarks([{ name: 'future.json', data: { benchmark: '@attune/benchmark-future' } }, { name: 'odd.json', data: [1, 2] }]);
    expect(md).toContain('`future.json`: benchmark `@attune/benchmark-future`');
    expect(md).toContain('`odd.json`: benchmark `unknown`');
    expect(md).toContain('No kernel results are committed yet.');
  });

  test('an RL suite nobody measured is reported, not dropped', () => {
    const md = renderRlSuites([{ name: 'rl.json', data: { benchmark: '@attune/benchmark-rl', suites: {} } }], ['sac-pendulum']);
    expect(md).toContain('| sac-pendulum | no committed result |');
  });
});

describe('placeholders', () => {
  const { files, images } = readResults(resultsDir);
  const recipe = JSON.parse(readFileSync(join(docsDir, 'data', 'rlhf-sentiment', 'report.json'), 'utf8')) as Record<string, unknown>;
  const data: PlaceholderData = { results: files, images: { images, imageBase: 'img/' }, recipe };

  test('fill in the recipe numbers from report.json', () => {
    const md = expandPlaceholders('{{recipe-bars}}\n\n{{recipe-policies}}\n\n{{recipe-stages}}', data);
    const bars = recipe.bars as { bar: string; value: string }[];
    for (const b of bars) expect(md).toContain(`| ${b.bar} | ${b.value} |`);
    const ppo = (recipe.evaluation as { results: Record<string, { winRate: number }> }).results.ppo;
    expect(md).toContain(`${(100 * ppo.winRate).toFixed(1)}%`);
    expect(md).toMatch(/\*\*whole recipe\*\* \|\s+\| \*\*\d+:\d\d\*\* \|/);
    expect(md).not.toContain('{{');
  });

  test('rl-results quotes the suites it names', () => {
    const md = expandPlaceholders('{{rl-results dqn-cartpole}}', data);
    expect(md).toMatch(/\| dqn-cartpole \| DQN on CartPole-v1/);
    expect(md).not.toContain('ppo-cartpole |');
  });

  test('code blocks are left alone; unknown placeholders and missing fields fail', () => {
    expect(expandPlaceholders('```\n{{recipe-bars}}\n```\n', data)).toBe('```\n{{recipe-bars}}\n```\n');
    expect(() => expandPlaceholders('{{recipe-barz}}', data)).toThrow(/unknown placeholder \{\{recipe-barz\}\}/);
    expect(() => expandPlaceholders('{{recipe-bars}}', { ...data, recipe: {} })).toThrow(/report.json has no field bars/);
  });
});

describe('rewritePackageLinks', () => {
  const names = new Map([['nn', '@attune/nn'], ['tensor', '@attune/tensor']]);

  test('links to sibling package folders become {@link} tags; others stay', () => {
    const md = 'on [`@attune/tensor`](../tensor) and [nn](../nn/), see [x](../../examples/y), [web](https://a.b/../nn), [z](../zzz)';
    expect(rewritePackageLinks(md, names)).toBe(
      'on {@link @attune/tensor! | @attune/tensor} and {@link @attune/nn! | nn}, see [x](../../examples/y), [web](https://a.b/../nn), [z](../zzz)',
    );
  });
});
