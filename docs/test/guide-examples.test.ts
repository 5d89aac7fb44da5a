// Every ```ts block in the guides typechecks against the packages' real APIs (their sources,
// through tsconfig.base.json's paths), so a renamed export or a changed signature breaks this test
// instead of silently breaking the docs. Each block is its own module (top-level await allowed).
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { docsDir } from './site-server.ts';

/** The ```ts blocks of a markdown text, with the line each starts on. */
export function tsBlocks(markdown: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ts\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    blocks.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

describe('guide examples', () => {
  test('tsBlocks finds ts fences only', () => {
    expect(tsBlocks('a\n```ts\nconst x = 1;\n```\n```sh\nnpm ci\n```\n```ts\ny();\n```\n')).toEqual([
      { line: 3, code: 'const x = 1;' },
      { line: 9, code: 'y();' },
    ]);
  });

  test('every ts block in docs/guides typechecks', () => {
    const guidesDir = join(docsDir, 'guides');
    const outDir = join(docsDir, '.generated', 'guide-examples');
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const origin = new Map<string, string>();
    for (const name of readdirSync(guidesDir).filter((n) => n.endsWith('.md')).sort()) {
      for (const { line, code } of tsBlocks(readFileSync(join(guidesDir, name), 'utf8'))) {
        const file = join(outDir, `${name.replace(/\.md$/, '')}-${line}.ts`);
        writeFileSync(file, `${code}\nexport {};\n`);
        origin.set(file, `docs/guides/${name}:${line}`);
      }
    }
    expect(origin.size).toBeGreaterThanOrEqual(10);
    const configPath = join(docsDir, '..', 'tsconfig.base.json');
    const config = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, join(docsDir, '..'));
    const program = ts.createProgram([...origin.keys()], { ...config.options, noEmit: true, customConditions: ['@attune/source'] });
    const problems = ts.getPreEmitDiagnostics(program)
      .filter((d) => d.file !== undefined && origin.has(d.file.fileName))
      .map((d) => {
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        const [guide, start] = origin.get(d.file!.fileName)!.split(/:(?=\d+$)/);
        return `${guide}:${Number(start) + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
  }, 120_000);
});
