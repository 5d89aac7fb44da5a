// Builds the documentation site into docs/site: `npm run docs` at the repository root.
//
// 1. Renders into docs/.generated/: the guides (docs/guides/*.md with their {{placeholders}}
//    filled from the committed data, see placeholders.ts), the Benchmarks page from
//    benchmarks/results/*.json, and a copy of every package README whose links to sibling package
//    folders point at their API pages instead.
// 2. Runs TypeDoc over every package (entryPointStrategy "packages", each package's src/index.ts)
//    with the written guides in docs/guides/ as project documents. Any TypeDoc warning fails the
//    build (treatWarningsAsErrors).
// 3. Writes the flagship recipe's run report (docs/data/rlhf-sentiment, a copy of a real run) with
//    @attune/report into site/reports/, where the RLHF guide embeds it.
//
// Run with `tsx --conditions=@attune/source` so @attune/report resolves to its source.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, EntryPointStrategy, type Options } from 'typedoc';
import { readResults, renderBenchmarks } from './benchmarks.ts';
import { expandPlaceholders } from './placeholders.ts';
import { rewritePackageLinks } from './readmes.ts';
import { writeRecipeReport } from './report.ts';

const docsDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const rootDir = join(docsDir, '..');
const generatedDir = join(docsDir, '.generated');
const outDir = join(docsDir, 'site');

/** The guides in sidebar order (benchmarks.md is generated; index.md is the home page). */
const GUIDES = ['getting-started', 'tensors', 'environments', 'algorithms', 'rlhf', 'benchmarks', 'cli', 'comparison'];

/**
 * Types a package's API refers to but does not export, per package folder. Each is a gap to fix in
 * that package (listed in docs/README.md); TypeDoc would otherwise warn, and warnings fail the build.
 */
const NOT_EXPORTED: Record<string, string[]> = {
  tensor: ['DataBuffer'],
};

/** Every package folder with a src/index.ts, sorted, as folder name → npm name. */
function findPackages(): Map<string, string> {
  const packagesDir = join(rootDir, 'packages');
  const found = new Map<string, string>();
  for (const folder of readdirSync(packagesDir).sort()) {
    const dir = join(packagesDir, folder);
    if (!existsSync(join(dir, 'src', 'index.ts')) || !existsSync(join(dir, 'package.json'))) continue;
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
    if (typeof pkg.name !== 'string') throw new Error(`packages/${folder}/package.json has no "name"`);
    found.set(folder, pkg.name);
  }
  return found;
}

function writeGenerated(packages: Map<string, string>): void {
  rmSync(generatedDir, { recursive: true, force: true });
  mkdirSync(join(generatedDir, 'readmes'), { recursive: true });
  mkdirSync(join(generatedDir, 'guides'), { recursive: true });
  const resultsDir = join(rootDir, 'benchmarks', 'results');
  const { files, images } = readResults(resultsDir);
  const imageBase = `${relative(join(generatedDir, 'guides'), resultsDir).split('\\').join('/')}/`;
  writeFileSync(join(generatedDir, 'guides', 'benchmarks.md'), renderBenchmarks(files, { images, imageBase }));
  const recipe = JSON.parse(readFileSync(join(docsDir, 'data', 'rlhf-sentiment', 'report.json'), 'utf8')) as Record<string, unknown>;
  for (const name of readdirSync(join(docsDir, 'guides')).filter((n) => n.endsWith('.md')).sort()) {
    const text = readFileSync(join(docsDir, 'guides', name), 'utf8');
    try {
      writeFileSync(join(generatedDir, 'guides', name), expandPlaceholders(text, { results: files, images: { images, imageBase }, recipe }));
    } catch (error) {
      throw new Error(`docs/guides/${name}: ${(error as Error).message}`);
    }
  }
  for (const guide of GUIDES) {
    if (!existsSync(join(generatedDir, 'guides', `${guide}.md`))) throw new Error(`docs/guides/${guide}.md is missing`);
  }
  for (const folder of packages.keys()) {
    const readme = join(rootDir, 'packages', folder, 'README.md');
    if (!existsSync(readme)) continue;
    writeFileSync(join(generatedDir, 'readmes', `${folder}.md`), rewritePackageLinks(readFileSync(readme, 'utf8'), packages));
  }
}

async function runTypeDoc(packages: Map<string, string>): Promise<void> {
  const app = await Application.bootstrapWithPlugins({
    name: 'Attune',
    entryPointStrategy: EntryPointStrategy.Packages,
    entryPoints: [...packages.keys()].map((folder) => join(rootDir, 'packages', folder)),
    packageOptions: {
      entryPoints: ['src/index.ts'],
      // No source links: the output must not depend on the git remote or the commit.
      disableSources: true,
    },
    readme: join(generatedDir, 'guides', 'index.md'),
    projectDocuments: GUIDES.map((g) => join(generatedDir, 'guides', `${g}.md`)),
    out: outDir,
    cleanOutputDir: true,
    disableSources: true,
    treatWarningsAsErrors: true,
    validation: { notExported: true, invalidLink: true, invalidPath: true, rewrittenLink: true, notDocumented: false, unusedMergeModuleWith: true },
    searchInDocuments: true,
    hideGenerator: true,
    favicon: join(docsDir, 'assets', 'favicon.svg'),
    navigation: { includeCategories: false, includeGroups: false, includeFolders: false },
    logLevel: process.env.DOCS_VERBOSE === '1' ? 'Verbose' : 'Warn',
  });
  // Per package: its README is the rewritten copy (TypeDoc reads the package folder's own by
  // default), and its known unexported types are allowed.
  app.options.addReader({
    name: 'attune-package-readme',
    order: 10_000,
    supportsPackages: true,
    read(container: Options, _logger: unknown, cwd: string) {
      const folder = relative(join(rootDir, 'packages'), cwd);
      const copy = join(generatedDir, 'readmes', `${folder}.md`);
      if (packages.has(folder) && existsSync(copy)) container.setValue('readme', copy);
      const allowed = NOT_EXPORTED[folder];
      if (allowed !== undefined) container.setValue('intentionallyNotExported', allowed);
    },
  });
  const project = await app.convert();
  if (project === undefined) throw new Error('TypeDoc could not convert the packages (see the errors above)');
  app.validate(project);
  if (app.logger.hasErrors() || app.logger.hasWarnings()) {
    throw new Error(`TypeDoc reported ${app.logger.errorCount} error(s) and ${app.logger.warningCount} warning(s) (see above); the docs build treats warnings as errors`);
  }
  await app.generateDocs(project, outDir);
  if (app.logger.hasErrors() || app.logger.hasWarnings()) {
    throw new Error(`TypeDoc reported ${app.logger.errorCount} error(s) and ${app.logger.warningCount} warning(s) while rendering (see above)`);
  }
}

/**
 * TypeDoc resolves @attune/tensor's imports, including its generated WebAssembly kernel module.
 * `npm run docs` builds it first; a bare `turbo run build` does not order this workspace after
 * the tensor package, so build the kernels here when they are missing.
 */
function ensureWasmKernels(): void {
  if (existsSync(join(rootDir, 'packages', 'tensor', 'src', 'backends', 'cpu', 'wasm', 'generated', 'kernels.ts'))) return;
  console.log('docs: building the WebAssembly kernels first (npm run build:wasm --workspace @attune/tensor)');
  execFileSync('npm', ['run', 'build:wasm', '--workspace', '@attune/tensor'], { cwd: rootDir, stdio: 'inherit' });
}

async function main(): Promise<void> {
  const started = Date.now();
  ensureWasmKernels();
  const packages = findPackages();
  writeGenerated(packages);
  // Before TypeDoc: the RLHF guide links to the report, and TypeDoc copies linked files into the site.
  await writeRecipeReport(join(docsDir, 'data', 'rlhf-sentiment'), join(generatedDir, 'reports', 'rlhf-sentiment.html'));
  await runTypeDoc(packages);
  const pages = countPages(outDir);
  console.log(`docs: ${pages} pages for ${packages.size} packages in ${relative(process.cwd(), outDir) || '.'} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

function countPages(dir: string): number {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) n += countPages(join(dir, entry.name));
    else if (entry.name.endsWith('.html')) n += 1;
  }
  return n;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
