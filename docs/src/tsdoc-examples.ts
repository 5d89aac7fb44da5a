// Checks the TSDoc `@example` blocks of every package's public entry (issue 8): every export of
// `packages/<name>/src/index.ts` must carry at least one `@example` with a ```ts block; every such
// block must typecheck against the real API; and every block that does not opt out must run.
//
// How an example becomes a module (the same text is typechecked and run):
//
//   import { Tensor, zeros, … } from '@attune/<package>';   // prelude: every value export …
//   import type { Shape, … } from '@attune/<package>';      // … and every type-only export
//   import { trainPPO } from '@attune/ppo';                  // the example's own import lines, hoisted
//   {
//     …the rest of the example…                            // a block: its names may shadow the prelude's
//   }
//   export {};
//
// So an example uses its own package's exports without importing them, and imports anything else
// (another @attune package, node:fs) itself; a name it imports is left out of the prelude. The file
// is an ES module, so top-level `await` works. Members of a namespace export (`nn`'s `init`) are
// checked as `init.<member>` and reached that way in examples.
//
// An example whose first line is `// not run: <reason>` is typechecked but not executed (it needs a
// downloaded checkpoint, a GPU, trains for minutes, …). The others run with tsx, all of one package's
// examples one after another in one Node process whose working directory is a fresh temporary
// directory, each with a time limit.
//
// Run it by hand: `npx tsx --conditions=@attune/source docs/src/tsdoc-examples.ts [package…]`.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** The repository root (this file lives in `docs/src/`). */
export const REPO_ROOT: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The packages whose public entries are checked, smallest first. `cli` and `report` are not in it yet.
 *
 * @example
 * ```ts
 * for (const name of CHECKED_PACKAGES) console.log(`packages/${name}/src/index.ts`);
 * ```
 */
export const CHECKED_PACKAGES = [
  'bandits',
  'envs',
  'q-learning',
  'policy-gradient',
  'ppo',
  'nn',
  'reward-model',
  'rlhf',
  'transformer',
  'tensor',
  'report',
  'cli',
] as const;

/**
 * One of {@link CHECKED_PACKAGES}.
 *
 * @example
 * ```ts
 * const name: CheckedPackage = 'bandits';
 * ```
 */
export type CheckedPackage = (typeof CHECKED_PACKAGES)[number];

/**
 * The reviewed list of known gaps, per package, that may only shrink. `missing`: exports with no
 * `@example` yet. `broken`: exports whose examples do not compile or do not run yet. The test fails
 * when a gap is not listed here, and when a listed gap has been closed (or the export no longer
 * exists): then the entry must be deleted.
 *
 * @example
 * ```ts
 * const stillMissing = KNOWN_GAPS.tensor.missing.length;
 * ```
 */
export const KNOWN_GAPS: Readonly<Record<CheckedPackage, KnownGaps>> = {
  bandits: { missing: [], broken: [] },
  envs: { missing: [], broken: [] },
  'q-learning': { missing: [], broken: [] },
  'policy-gradient': { missing: [], broken: [] },
  ppo: { missing: [], broken: [] },
  nn: { missing: [], broken: [] },
  'reward-model': { missing: [], broken: [] },
  rlhf: { missing: [], broken: [] },
  transformer: { missing: [], broken: [] },
  tensor: { missing: [], broken: [] },
  report: { missing: [], broken: [] },
  cli: { missing: [], broken: [] },
};

/**
 * One package's entry in {@link KNOWN_GAPS}.
 *
 * @example
 * ```ts
 * const gaps: KnownGaps = { missing: ['zeros'], broken: [] };
 * ```
 */
export interface KnownGaps {
  /** Exports with no `@example` yet. */
  missing: readonly string[];
  /** Exports with an example that does not compile or run yet. */
  broken: readonly string[];
}

/**
 * One ```ts block of an `@example` tag.
 *
 * @example
 * ```ts
 * const block: ExampleBlock = { exportName: 'zeros', index: 0, file: 'packages/tensor/src/ops/creation.ts', line: 40, code: 'zeros([2, 3]);', notRun: null };
 * ```
 */
export interface ExampleBlock {
  /** The export whose TSDoc holds it (`init.normal_` for a namespace member). */
  exportName: string;
  /** Its position among the export's blocks, from 0. */
  index: number;
  /** The source file, relative to the repository root. */
  file: string;
  /** The 1-based line of the block's first code line in `file`. */
  line: number;
  /** The code, with the comment's leading ` * ` removed. */
  code: string;
  /** The reason given by a first line `// not run: <reason>`, or null when the example runs. */
  notRun: string | null;
}

/**
 * One export of a package's public entry and its example blocks.
 *
 * @example
 * ```ts
 * const missing = (await collectExports('bandits')).filter((e: ExportInfo) => e.examples.length === 0);
 * ```
 */
export interface ExportInfo {
  /** The exported name (`init.normal_` for a namespace member). */
  name: string;
  /** What it is: `class`, `function`, `const`, `interface`, `type`, `enum` or `namespace`. */
  kind: string;
  /** Whether it exists at run time (a class, function, const, enum or namespace). */
  isValue: boolean;
  /** Where it is declared, relative to the repository root, with its 1-based line. */
  file: string;
  line: number;
  /** Its ```ts blocks from `@example` tags; empty when it has none. */
  examples: ExampleBlock[];
  /** `@example` tags that hold no ```ts block (reported as problems). */
  examplesWithoutCode: number;
}

/**
 * A problem found in an example: a compile error or a failed run, located at the source line.
 *
 * @example
 * ```ts
 * const problem: ExampleProblem = { exportName: 'zeros', file: 'packages/tensor/src/ops/creation.ts', line: 42, message: "TS2304: Cannot find name 'zeroes'." };
 * console.log(formatProblem(problem));
 * ```
 */
export interface ExampleProblem {
  exportName: string;
  file: string;
  /** The 1-based source line the problem points at (the block's first line when unknown). */
  line: number;
  message: string;
}

/**
 * Formats a problem as `file:line (export): message`, the shape editors turn into links.
 *
 * @example
 * ```ts
 * formatProblem({ exportName: 'zeros', file: 'a.ts', line: 3, message: 'boom' }); // 'a.ts:3 (zeros): boom'
 * ```
 */
export function formatProblem(p: ExampleProblem): string {
  return `${p.file}:${p.line} (${p.exportName}): ${p.message}`;
}

// ---------------------------------------------------------------------------------------------------
// The TypeScript program over the packages' sources

/** Compiler options: the repository's base config, plus the source export condition. */
function compilerOptions(): ts.CompilerOptions {
  const configPath = path.join(REPO_ROOT, 'tsconfig.base.json');
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(`cannot read ${configPath}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, REPO_ROOT, undefined, configPath);
  return { ...parsed.options, noEmit: true, customConditions: ['@attune/source'], sourceMap: false, declaration: false };
}

function entryOf(pkg: string): string {
  return path.join(REPO_ROOT, 'packages', pkg, 'src', 'index.ts');
}

function checkPackageName(pkg: string): asserts pkg is CheckedPackage {
  if (!(CHECKED_PACKAGES as readonly string[]).includes(pkg)) {
    throw new Error(`package must be one of ${CHECKED_PACKAGES.join(', ')}; got '${pkg}'`);
  }
}

/** A compiler host that also serves in-memory example modules. */
function hostWith(options: ts.CompilerOptions, virtual: ReadonlyMap<string, string>): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  const cache = new Map<string, ts.SourceFile | undefined>();
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => virtual.has(path.resolve(f)) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(path.resolve(f)) ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, onError, shouldCreate) => {
    const text = virtual.get(path.resolve(f));
    if (text !== undefined) return ts.createSourceFile(f, text, lang, true);
    if (!cache.has(f)) cache.set(f, getSourceFile.call(host, f, lang, onError, shouldCreate));
    return cache.get(f);
  };
  return host;
}

let baseProgram: ts.Program | null = null;

/** One program over every checked package's entry (built once, reused by the example check). */
function packagesProgram(): ts.Program {
  if (baseProgram === null) {
    const options = compilerOptions();
    baseProgram = ts.createProgram(CHECKED_PACKAGES.map(entryOf), options, hostWith(options, new Map()));
  }
  return baseProgram;
}

// ---------------------------------------------------------------------------------------------------
// Exports and their @example blocks

const rel = (f: string) => path.relative(REPO_ROOT, f).split(path.sep).join('/');

function lineOf(sf: ts.SourceFile, pos: number): number {
  return sf.getLineAndCharacterOfPosition(pos).line + 1;
}

/**
 * The ```ts blocks of the `@example` tags of one JSDoc comment's text (from its opening slash-star-star
 * to its closing star-slash), read line by line rather than through the compiler's tag list, which
 * also splits at an `@` inside code (`'@attune/envs'`), so that lines map back exactly. A tag runs
 * until the next line that starts with `@` outside a code fence. `startLine` is the 1-based line of
 * the comment's first line; each block's `line` is that of its first code line.
 *
 * @example
 * ```ts
 * const comment = ['/' + '** Doubles.', ' * @example', ' * ```ts', ' * // not run: slow', ' * double(2);', ' * ```', ' *' + '/'].join('\n');
 * const { blocks } = parseExampleComment(comment, 10);
 * blocks[0]; // { line: 13, code: '// not run: slow\ndouble(2);', notRun: 'slow' }
 * ```
 */
export function parseExampleComment(
  comment: string,
  startLine: number,
): { blocks: Pick<ExampleBlock, 'line' | 'code' | 'notRun'>[]; tagsWithoutCode: number } {
  const lines = comment
    .split('\n')
    .map((l, i) => (i === 0 ? l.replace(/^\/\*\*\s?/, '') : l.replace(/^\s*\*(?!\/) ?/, '')));
  const blocks: Pick<ExampleBlock, 'line' | 'code' | 'notRun'>[] = [];
  let tagsWithoutCode = 0;
  let inExample = false;
  let blocksInTag = 0;
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*@\w/.test(lines[i])) {
      if (inExample && blocksInTag === 0) tagsWithoutCode++;
      inExample = /^\s*@example\b/.test(lines[i]);
      blocksInTag = 0;
      continue;
    }
    if (!/^\s*```/.test(lines[i])) continue;
    // A fence: find its end, and keep its body when it is a ts block inside an @example tag.
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) j++;
    if (inExample && /^\s*```(ts|typescript)\s*$/.test(lines[i])) {
      const fenceIndent = lines[i].match(/^\s*/)![0].length;
      const body = lines.slice(i + 1, j).map((l) => l.slice(Math.min(fenceIndent, l.match(/^\s*/)![0].length)));
      const notRunMatch = body.find((l) => l.trim() !== '')?.match(/^\s*\/\/\s*not run:\s*(.*)$/);
      blocks.push({
        line: startLine + i + 1,
        code: body.join('\n'),
        notRun: notRunMatch ? notRunMatch[1].trim() || '(no reason given)' : null,
      });
      blocksInTag++;
    }
    i = j;
  }
  if (inExample && blocksInTag === 0) tagsWithoutCode++;
  return { blocks, tagsWithoutCode };
}

/** The example blocks of one JSDoc node, located in its source file. */
function blocksOfDoc(doc: ts.JSDoc, exportName: string, firstIndex: number): { blocks: ExampleBlock[]; tagsWithoutCode: number } {
  const sf = doc.getSourceFile();
  const start = doc.getStart(sf);
  const found = parseExampleComment(sf.text.slice(start, doc.end), lineOf(sf, start));
  const blocks = found.blocks.map((b, i) => ({ exportName, index: firstIndex + i, file: rel(sf.fileName), ...b }));
  return { blocks, tagsWithoutCode: found.tagsWithoutCode };
}

/** The nodes whose JSDoc documents a declaration. */
function documentedNode(decl: ts.Declaration): ts.Node {
  if (ts.isNamespaceExport(decl)) return decl.parent;
  return decl;
}

function kindOf(symbol: ts.Symbol): string {
  const f = symbol.flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & ts.SymbolFlags.Enum) return 'enum';
  if (f & ts.SymbolFlags.Variable) return 'const';
  if (f & ts.SymbolFlags.Interface) return 'interface';
  if (f & ts.SymbolFlags.TypeAlias) return 'type';
  if (f & ts.SymbolFlags.ValueModule) return 'namespace';
  return 'other';
}

function describeExport(checker: ts.TypeChecker, exported: ts.Symbol, name: string): ExportInfo {
  // Walk the alias chain: TSDoc may sit on the final declaration or on an `export * as x` statement.
  const chain: ts.Symbol[] = [exported];
  let current = exported;
  while (current.flags & ts.SymbolFlags.Alias) {
    const next = checker.getImmediateAliasedSymbol(current);
    if (!next || chain.includes(next)) break;
    chain.push(next);
    current = next;
  }
  const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const decls = chain.flatMap((s) => s.declarations ?? []);
  const examples: ExampleBlock[] = [];
  let examplesWithoutCode = 0;
  const seenDocs = new Set<ts.Node>();
  for (const decl of decls) {
    for (const doc of ts.getJSDocCommentsAndTags(documentedNode(decl))) {
      if (!ts.isJSDoc(doc) || seenDocs.has(doc)) continue;
      seenDocs.add(doc);
      const found = blocksOfDoc(doc, name, examples.length);
      examples.push(...found.blocks);
      examplesWithoutCode += found.tagsWithoutCode;
    }
  }
  const main = (target.declarations ?? decls).find((d) => !ts.isSourceFile(d)) ?? decls[0];
  const sf = main.getSourceFile();
  const isValue = (target.flags & ts.SymbolFlags.Value) !== 0;
  return {
    name,
    kind: kindOf(target),
    isValue,
    file: rel(sf.fileName),
    line: lineOf(sf, main.getStart(sf)),
    examples,
    examplesWithoutCode,
  };
}

/**
 * Every export of `packages/<pkg>/src/index.ts` (re-exports resolved, namespace exports expanded into
 * their members too), in the order of their names, with their `@example` blocks.
 *
 * @example
 * ```ts
 * const exports = await collectExports('bandits');
 * console.log(exports.filter((e) => e.examples.length === 0).map((e) => e.name));
 * ```
 */
export async function collectExports(pkg: string): Promise<ExportInfo[]> {
  checkPackageName(pkg);
  const program = packagesProgram();
  const checker = program.getTypeChecker();
  const entry = program.getSourceFile(entryOf(pkg));
  if (!entry) throw new Error(`cannot read the public entry ${rel(entryOf(pkg))}`);
  const moduleSymbol = checker.getSymbolAtLocation(entry);
  if (!moduleSymbol) throw new Error(`${rel(entryOf(pkg))} is not a module (it exports nothing)`);
  const out: ExportInfo[] = [];
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    const info = describeExport(checker, symbol, symbol.name);
    out.push(info);
    if (info.kind === 'namespace') {
      const target = checker.getAliasedSymbol(symbol);
      for (const member of checker.getExportsOfModule(target)) {
        out.push(describeExport(checker, member, `${symbol.name}.${member.name}`));
      }
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

// ---------------------------------------------------------------------------------------------------
// Examples as modules

/** A generated module and, for each of its lines, the source line it came from (0 for the prelude). */
interface ExampleModule {
  block: ExampleBlock;
  text: string;
  sourceLines: number[];
}

/** Names bound by an example's own import lines. */
function importedNames(importText: string): string[] {
  const sf = ts.createSourceFile('imports.ts', importText, ts.ScriptTarget.ES2022, true);
  const names: string[] = [];
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !st.importClause) continue;
    const c = st.importClause;
    if (c.name) names.push(c.name.text);
    if (c.namedBindings && ts.isNamespaceImport(c.namedBindings)) names.push(c.namedBindings.name.text);
    if (c.namedBindings && ts.isNamedImports(c.namedBindings)) names.push(...c.namedBindings.elements.map((e) => e.name.text));
  }
  return names;
}

/** Builds the module for one example (see the top of this file). */
function exampleModule(pkg: string, block: ExampleBlock, exports: readonly ExportInfo[]): ExampleModule {
  const lines = block.code.split('\n');
  const importLines: { text: string; line: number }[] = [];
  const bodyLines: { text: string; line: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (/^import\s/.test(lines[i])) {
      // An import statement runs until its `from '…'` clause (or a bare `import 'x';`).
      let j = i;
      while (j < lines.length - 1 && !/(\bfrom\s*['"][^'"]+['"]|^import\s*['"][^'"]+['"])\s*;?\s*$/.test(lines[j])) j++;
      for (let k = i; k <= j; k++) importLines.push({ text: lines[k], line: block.line + k });
      i = j;
    } else {
      bodyLines.push({ text: lines[i], line: block.line + i });
    }
  }
  const own = new Set(importedNames(importLines.map((l) => l.text).join('\n')));
  const top = exports.filter((e) => !e.name.includes('.') && !own.has(e.name));
  const values = top.filter((e) => e.isValue).map((e) => e.name);
  const types = top.filter((e) => !e.isValue).map((e) => e.name);
  const out: { text: string; line: number }[] = [];
  if (values.length > 0) out.push({ text: `import { ${values.join(', ')} } from '@attune/${pkg}';`, line: 0 });
  if (types.length > 0) out.push({ text: `import type { ${types.join(', ')} } from '@attune/${pkg}';`, line: 0 });
  out.push(...importLines, { text: '{', line: 0 }, ...bodyLines, { text: '}', line: 0 }, { text: 'export {};', line: 0 });
  return { block, text: out.map((l) => l.text).join('\n') + '\n', sourceLines: out.map((l) => l.line) };
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');

/** Where an example's module lives for the typecheck (in memory only; under docs/ so node_modules resolves). */
function virtualPath(pkg: string, block: ExampleBlock): string {
  return path.join(REPO_ROOT, 'docs', '.tsdoc-examples', pkg, `${safeName(block.exportName)}.${block.index}.ts`);
}

/**
 * Typechecks every example of the given packages, each as its own module (one program for all, so
 * the packages' sources are checked once). Returns the problems per package; an empty list means
 * every example compiles.
 *
 * @example
 * ```ts
 * const problems = await typecheckExamples(['bandits']);
 * for (const p of problems.get('bandits') ?? []) console.log(formatProblem(p));
 * ```
 */
export async function typecheckExamples(packages: readonly string[]): Promise<Map<string, ExampleProblem[]>> {
  const modules = new Map<string, { pkg: string; module: ExampleModule }>();
  const result = new Map<string, ExampleProblem[]>();
  for (const pkg of packages) {
    const exports = await collectExports(pkg);
    result.set(pkg, []);
    for (const e of exports) {
      for (const block of e.examples) {
        modules.set(virtualPath(pkg, block), { pkg, module: exampleModule(pkg, block, exports) });
      }
    }
  }
  const options = compilerOptions();
  const virtual = new Map([...modules].map(([f, m]) => [f, m.module.text]));
  const base = packagesProgram();
  const program = ts.createProgram([...base.getRootFileNames(), ...virtual.keys()], options, hostWith(options, virtual), base);
  for (const [file, { pkg, module }] of modules) {
    const sf = program.getSourceFile(file)!;
    const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    for (const d of diagnostics) {
      const genLine = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line;
      const line = module.sourceLines[genLine] || module.block.line;
      result.get(pkg)!.push({
        exportName: module.block.exportName,
        file: module.block.file,
        line,
        message: `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
      });
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Running examples

/**
 * Options for {@link runExamples}.
 *
 * @example
 * ```ts
 * const options: RunExamplesOptions = { timeoutMs: 10_000 };
 * ```
 */
export interface RunExamplesOptions {
  /** The most one example may take, in milliseconds (default 15 000). */
  timeoutMs?: number;
  /** Exports whose examples are not run (those that do not compile: running them would only repeat the error). */
  skipExports?: ReadonlySet<string>;
}

/**
 * What running one package's examples found.
 *
 * @example
 * ```ts
 * const run: ExampleRunReport = await runExamples('bandits');
 * console.log(`${run.ran} ran, ${run.skipped.length} not run, ${run.problems.length} failed`);
 * ```
 */
export interface ExampleRunReport {
  /** How many examples ran to completion. */
  ran: number;
  /** The examples that opted out, with their reasons. */
  skipped: { exportName: string; reason: string }[];
  /** The examples that threw, or ran out of time. */
  problems: ExampleProblem[];
  /** Milliseconds each example took, by `exportName#index`. */
  timings: Record<string, number>;
}

// The runner imports each example in turn and appends one JSON line per event to a results file
// (not stdout, which the examples print to). It stops after a time-out: the parent starts a new
// process for the remaining examples, so a hung example cannot poison the next one.
const RUNNER = `
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [resultsFile, timeoutMs, ...files] = process.argv.slice(2);
const log = (o) => appendFileSync(resultsFile, JSON.stringify(o) + '\\n');
for (const file of files) {
  log({ file, event: 'start' });
  const t0 = performance.now();
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('timed out after ' + timeoutMs + ' ms')), Number(timeoutMs)); });
  try {
    await Promise.race([import(pathToFileURL(file).href), timeout]);
    log({ file, event: 'ok', ms: performance.now() - t0 });
  } catch (e) {
    log({ file, event: 'error', ms: performance.now() - t0, message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    if (String(e && e.message).startsWith('timed out')) process.exit(0);
  } finally {
    clearTimeout(timer);
  }
}
process.exit(0);
`;

interface RunnerEvent {
  file: string;
  event: 'start' | 'ok' | 'error';
  ms?: number;
  message?: string;
}

function runProcess(cwd: string, runner: string, resultsFile: string, timeoutMs: number, files: string[]): Promise<string> {
  const tsx = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href;
  const args = ['--conditions=@attune/source', '--import', tsx, runner, resultsFile, String(timeoutMs), ...files];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    // A synchronous hang (or long synchronous training) cannot be timed out inside the process:
    // watch the results file from here and kill the process when one example runs too long.
    let watched = '';
    let since = Date.now();
    const watchdog = setInterval(() => {
      const lines = fs.readFileSync(resultsFile, 'utf8').trimEnd().split('\n');
      const last = lines[lines.length - 1] ?? '';
      if (last !== watched) {
        watched = last;
        since = Date.now();
      } else if (last.includes('"event":"start"') && Date.now() - since > timeoutMs + 2_000) {
        child.kill('SIGKILL');
      }
    }, 250);
    child.on('error', reject);
    child.on('close', () => {
      clearInterval(watchdog);
      resolve(output);
    });
  });
}

/**
 * Runs the runnable examples of one package (those without `// not run: …`) with tsx, in one Node
 * process at a time whose working directory is a fresh temporary directory (removed afterwards).
 *
 * @example
 * ```ts
 * const report = await runExamples('bandits', { timeoutMs: 10_000 });
 * for (const p of report.problems) console.log(formatProblem(p));
 * ```
 */
export async function runExamples(pkg: string, options: RunExamplesOptions = {}): Promise<ExampleRunReport> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new Error(`options.timeoutMs must be a positive number of milliseconds; got ${timeoutMs}`);
  const exports = await collectExports(pkg);
  const report: ExampleRunReport = { ran: 0, skipped: [], problems: [], timings: {} };
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `attune-examples-${pkg}-`));
  try {
    fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
    const cwd = path.join(root, 'cwd');
    const dir = path.join(root, 'examples');
    fs.mkdirSync(cwd);
    fs.mkdirSync(dir);
    const runner = path.join(root, 'runner.mjs');
    fs.writeFileSync(runner, RUNNER);
    const byFile = new Map<string, ExampleBlock>();
    for (const e of exports) {
      for (const block of e.examples) {
        if (block.notRun !== null) {
          report.skipped.push({ exportName: block.exportName, reason: block.notRun });
          continue;
        }
        if (options.skipExports?.has(block.exportName)) {
          report.skipped.push({ exportName: block.exportName, reason: 'skipped by the caller' });
          continue;
        }
        const file = path.join(dir, `${safeName(block.exportName)}.${block.index}.ts`);
        fs.writeFileSync(file, exampleModule(pkg, block, exports).text);
        byFile.set(file, block);
      }
    }
    let pending = [...byFile.keys()];
    const resultsFile = path.join(root, 'results.jsonl');
    while (pending.length > 0) {
      fs.writeFileSync(resultsFile, '');
      const output = await runProcess(cwd, runner, resultsFile, timeoutMs, pending);
      const events: RunnerEvent[] = fs
        .readFileSync(resultsFile, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l));
      const done = new Set<string>();
      let lastStarted: string | null = null;
      for (const ev of events) {
        const block = byFile.get(ev.file)!;
        if (ev.event === 'start') {
          lastStarted = ev.file;
          continue;
        }
        done.add(ev.file);
        report.timings[`${block.exportName}#${block.index}`] = Math.round(ev.ms ?? 0);
        if (ev.event === 'ok') report.ran++;
        else report.problems.push({ exportName: block.exportName, file: block.file, line: block.line, message: ev.message ?? 'failed' });
      }
      if (lastStarted !== null && !done.has(lastStarted)) {
        // The process died inside this example (a crash, or killed for a synchronous hang).
        const block = byFile.get(lastStarted)!;
        done.add(lastStarted);
        report.problems.push({ exportName: block.exportName, file: block.file, line: block.line, message: `the process ended inside this example (killed after ${timeoutMs} ms, or crashed); its last output:\n${output}` });
      }
      if (done.size === 0) {
        throw new Error(`the example runner for ${pkg} started no example; its output:\n${output}`);
      }
      pending = pending.filter((f) => !done.has(f));
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return report;
}

// ---------------------------------------------------------------------------------------------------
// By hand: npx tsx --conditions=@attune/source docs/src/tsdoc-examples.ts [package…]

async function main(args: string[]): Promise<void> {
  const packages = args.length > 0 ? args : [...CHECKED_PACKAGES];
  let failed = false;
  const compile = await typecheckExamples(packages);
  for (const pkg of packages) {
    const exports = await collectExports(pkg);
    const missing = exports.filter((e) => e.examples.length === 0).map((e) => e.name);
    const blocks = exports.reduce((n, e) => n + e.examples.length, 0);
    console.log(`${pkg}: ${exports.length} exports, ${blocks} example blocks, ${missing.length} exports without an example`);
    if (missing.length > 0) console.log(`  missing: ${missing.join(', ')}`);
    for (const p of compile.get(pkg) ?? []) console.log(`  compile: ${formatProblem(p)}`);
    const run = await runExamples(pkg);
    console.log(`  ran ${run.ran}, not run ${run.skipped.length}, failed ${run.problems.length}`);
    for (const p of run.problems) console.log(`  run: ${formatProblem(p)}`);
    failed ||= missing.length > 0 || (compile.get(pkg) ?? []).length > 0 || run.problems.length > 0;
  }
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
