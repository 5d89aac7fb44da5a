// Every export of every package's public entry has a TSDoc @example whose ```ts block compiles
// against the real API and runs (unless it says `// not run: <reason>`). Known gaps are listed in
// KNOWN_GAPS (docs/src/tsdoc-examples.ts), which may only shrink. See that file for how an example
// becomes a module.

import { describe, expect, test } from 'vitest';
import {
  CHECKED_PACKAGES,
  KNOWN_GAPS,
  collectExports,
  formatProblem,
  parseExampleComment,
  runExamples,
  typecheckExamples,
  type ExampleProblem,
} from '../src/tsdoc-examples.js';

// One program typechecks every package's examples at once (the packages' sources are shared).
let compiled: Promise<Map<string, ExampleProblem[]>> | null = null;
const compileProblems = async (pkg: string): Promise<ExampleProblem[]> => {
  compiled ??= typecheckExamples(CHECKED_PACKAGES);
  return (await compiled).get(pkg) ?? [];
};

describe('parseExampleComment', () => {
  const comment = [
    '/**',
    ' * Summary with a fence outside any example:',
    ' * ```ts',
    ' * notAnExample();',
    ' * ```',
    ' *',
    ' * @param x - the input',
    ' * @example',
    ' * ```ts',
    " * import { make } from '@attune/envs'; // an @ inside code is not a tag",
    ' *   indented();',
    ' * ```',
    ' * ```sh',
    ' * npm test',
    ' * ```',
    ' * @example',
    ' * ```typescript',
    ' * // not run: needs a GPU',
    ' * gpuOnly();',
    ' * ```',
    ' * @example Text only, no code block.',
    ' */',
  ].join('\n');

  test('finds the ts blocks of @example tags only, with their first code line and opt-out reason', () => {
    const { blocks, tagsWithoutCode } = parseExampleComment(comment, 100);
    expect(blocks).toEqual([
      { line: 109, code: "import { make } from '@attune/envs'; // an @ inside code is not a tag\n  indented();", notRun: null },
      { line: 117, code: '// not run: needs a GPU\ngpuOnly();', notRun: 'needs a GPU' },
    ]);
    expect(tagsWithoutCode).toBe(1);
  });

  test('an opt-out without a reason is flagged', () => {
    const { blocks } = parseExampleComment(['/**', ' * @example', ' * ```ts', ' * // not run:', ' * x();', ' * ```', ' */'].join('\n'), 1);
    expect(blocks[0].notRun).toBe('(no reason given)');
  });

  test('problems are formatted as file:line (export): message', () => {
    expect(formatProblem({ exportName: 'zeros', file: 'a.ts', line: 3, message: 'boom' })).toBe('a.ts:3 (zeros): boom');
  });
});

const exportsOf = (problems: readonly ExampleProblem[]) => new Set(problems.map((p) => p.exportName));

describe.each(CHECKED_PACKAGES)('@attune/%s', (pkg) => {
  const gaps = KNOWN_GAPS[pkg];

  test('every export has an @example', async () => {
    const exports = await collectExports(pkg);
    const names = new Set(exports.map((e) => e.name));
    const missing = exports.filter((e) => e.examples.length === 0).map((e) => `${e.name} (${e.kind}, ${e.file}:${e.line})`);
    const unlisted = missing.filter((m) => !gaps.missing.includes(m.split(' ')[0]));
    expect(unlisted, 'exports without an @example ```ts block').toEqual([]);
    const closed = gaps.missing.filter((n) => !names.has(n) || exports.find((e) => e.name === n)!.examples.length > 0);
    expect(closed, 'KNOWN_GAPS.missing entries that have an example now (or no longer exist): delete them').toEqual([]);
  });

  test('every example typechecks', async () => {
    const problems = await compileProblems(pkg);
    const unlisted = problems.filter((p) => !gaps.broken.includes(p.exportName)).map(formatProblem);
    expect(unlisted, 'examples that do not compile').toEqual([]);
  });

  test('every runnable example runs', async () => {
    const exports = await collectExports(pkg);
    const compileFailed = exportsOf(await compileProblems(pkg));
    const report = await runExamples(pkg, { timeoutMs: 20_000, skipExports: compileFailed });
    const unlisted = report.problems.filter((p) => !gaps.broken.includes(p.exportName)).map(formatProblem);
    expect(unlisted, 'examples that threw or timed out').toEqual([]);
    // A broken entry must still be broken: its examples fail to compile or to run.
    const failing = new Set([...compileFailed, ...exportsOf(report.problems)]);
    const names = new Set(exports.map((e) => e.name));
    const closed = gaps.broken.filter((n) => !names.has(n) || !failing.has(n));
    expect(closed, 'KNOWN_GAPS.broken entries whose examples compile and run now (or no longer exist): delete them').toEqual([]);
    // Opting out needs a reason; an example that opts out is still typechecked above.
    expect(report.skipped.filter((s) => s.reason === '(no reason given)').map((s) => s.exportName)).toEqual([]);
  });
});
