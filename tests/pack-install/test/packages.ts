// What the pack-and-install test needs to know about the workspace and about a packed tarball:
// the @attune/* packages and their internal dependency closure (read from package.json files, never
// a hard-coded list), the files a manifest points at, and the imports a shipped file makes.

import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, posix } from 'node:path';

/** The fields of a package.json this test reads. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  main?: string;
  types?: string;
  bin?: string | Record<string, string>;
  exports?: unknown;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** One workspace package: its folder and its manifest. */
export interface WorkspacePackage {
  /** Absolute path of the package's folder. */
  directory: string;
  manifest: Manifest;
}

/**
 * Reads every `<packagesDirectory>/<folder>/package.json`, sorted by package name.
 *
 * @example
 * ```ts
 * const publicPackages = readWorkspacePackages('/repo/packages').filter((p) => !p.manifest.private);
 * ```
 */
export function readWorkspacePackages(packagesDirectory: string): WorkspacePackage[] {
  const found: WorkspacePackage[] = [];
  for (const entry of readdirSync(packagesDirectory, { withFileTypes: true })) {
    const manifestPath = join(packagesDirectory, entry.name, 'package.json');
    if (!entry.isDirectory() || !existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    found.push({ directory: join(packagesDirectory, entry.name), manifest });
  }
  return found.sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

/**
 * The `dependencies` of a manifest that are other packages of `workspace` (peer and dev
 * dependencies are not installed for a user, so they do not count).
 *
 * @example
 * ```ts
 * internalDependencies(ppo.manifest, ['@attune/tensor', '@attune/nn']); // ['@attune/nn', '@attune/tensor']
 * ```
 */
export function internalDependencies(manifest: Manifest, workspace: readonly string[]): string[] {
  return Object.keys(manifest.dependencies ?? {}).filter((name) => workspace.includes(name)).sort();
}

/**
 * The packages a user must install to use `roots`: the roots and, transitively, every workspace
 * package they depend on, ordered so that each package comes after its dependencies (the order to
 * publish them in). Throws on a name that is not in `packages` and on a dependency cycle.
 *
 * @example
 * ```ts
 * dependencyClosure(readWorkspacePackages('/repo/packages'), ['@attune/ppo']);
 * // ['@attune/tensor', '@attune/envs', '@attune/nn', '@attune/policy-gradient', '@attune/ppo']
 * ```
 */
export function dependencyClosure(packages: readonly WorkspacePackage[], roots: readonly string[]): string[] {
  const byName = new Map(packages.map((p) => [p.manifest.name, p.manifest]));
  const names = [...byName.keys()].sort();
  const ordered: string[] = [];
  const visiting: string[] = [];
  const visit = (name: string): void => {
    if (ordered.includes(name)) return;
    const manifest = byName.get(name);
    if (manifest === undefined) throw new Error(`dependencyClosure: roots must name workspace packages (${names.join(', ')}), got '${name}'`);
    if (visiting.includes(name)) throw new Error(`dependencyClosure: dependency cycle ${[...visiting.slice(visiting.indexOf(name)), name].join(' -> ')}`);
    visiting.push(name);
    for (const dependency of internalDependencies(manifest, names)) visit(dependency);
    visiting.pop();
    ordered.push(name);
  };
  for (const root of [...roots].sort()) visit(root);
  return ordered;
}

/**
 * Every file path a manifest points at — `main`, `types`, each `bin`, and every string target
 * in `exports` (all conditions) — without the leading `./`, sorted and without duplicates.
 *
 * @example
 * ```ts
 * manifestTargets({ name: 'a', version: '1.0.0', exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } } });
 * // ['dist/index.d.ts', 'dist/index.js']
 * ```
 */
export function manifestTargets(manifest: Manifest): string[] {
  const targets = new Set<string>();
  const add = (value: unknown): void => {
    if (typeof value === 'string') targets.add(posix.normalize(value));
    else if (Array.isArray(value)) value.forEach(add);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(add);
  };
  add(manifest.main);
  add(manifest.types);
  add(manifest.bin);
  add(manifest.exports);
  return [...targets].sort();
}

/**
 * The public subpaths of a manifest's `exports` map (`'.'`, `'./testing'`), leaving out
 * `./package.json` and any pattern with `*`.
 *
 * @example
 * ```ts
 * exportedSubpaths({ name: 'a', version: '1.0.0', exports: { '.': './i.js', './package.json': './package.json' } }); // ['.']
 * ```
 */
export function exportedSubpaths(manifest: Manifest): string[] {
  const exportsField = manifest.exports;
  if (typeof exportsField === 'string' || Array.isArray(exportsField)) return ['.'];
  if (exportsField === null || typeof exportsField !== 'object') return [];
  const keys = Object.keys(exportsField);
  if (!keys.every((key) => key.startsWith('.'))) return ['.']; // a conditions object for '.' alone
  return keys.filter((key) => key !== './package.json' && !key.includes('*'));
}

/**
 * The module specifiers a JavaScript or TypeScript file imports: static `import … from`,
 * `export … from`, side-effect `import '…'` and `import('…')` with a string literal.
 *
 * @example
 * ```ts
 * moduleSpecifiers(`import { a } from "@attune/tensor"; await import('webgpu');`); // ['@attune/tensor', 'webgpu']
 * ```
 */
export function moduleSpecifiers(source: string): string[] {
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])([^"'\n]+)\1/g;
  const specifiers = new Set<string>();
  for (const match of source.matchAll(pattern)) specifiers.add(match[2]!);
  return [...specifiers];
}

/**
 * The package a bare specifier names (`'@scope/name/sub'` → `'@scope/name'`, `'lodash/fp'` →
 * `'lodash'`), or null for a relative path, a URL or a Node built-in.
 *
 * @example
 * ```ts
 * packageOfSpecifier('@attune/tensor/testing'); // '@attune/tensor'
 * packageOfSpecifier('node:fs'); // null
 * ```
 */
export function packageOfSpecifier(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || /^[a-z]+:/.test(specifier) || isBuiltin(specifier)) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * The packages `source` imports that `manifest` does not declare in `dependencies`,
 * `peerDependencies` or `optionalDependencies` (a user's install would not have them); a package
 * may import itself.
 *
 * @example
 * ```ts
 * undeclaredImports({ name: 'a', version: '1.0.0', dependencies: { b: '*' } }, `import 'b'; import 'c';`); // ['c']
 * ```
 */
export function undeclaredImports(manifest: Manifest, source: string): string[] {
  const declared = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
  const missing = new Set<string>();
  for (const specifier of moduleSpecifiers(source)) {
    const name = packageOfSpecifier(specifier);
    if (name !== null && !declared.has(name)) missing.add(name);
  }
  return [...missing].sort();
}

/**
 * The shipped file a relative import in a shipped TypeScript source resolves to (TypeScript's
 * rules: `./a.js` → `a.ts`, `./a` → `a.ts` or `a/index.ts`), or null when no shipped file matches.
 * `fromFile` and the result are paths inside the package (`src/index.ts`).
 *
 * @example
 * ```ts
 * resolveShippedImport('src/index.ts', './tensor.js', new Set(['src/tensor.ts'])); // 'src/tensor.ts'
 * ```
 */
export function resolveShippedImport(fromFile: string, specifier: string, shipped: ReadonlySet<string>): string | null {
  const base = posix.join(posix.dirname(fromFile), specifier);
  const stem = base.replace(/\.(?:js|mjs|cjs)$/, '');
  const candidates = [base, `${stem}.ts`, `${stem}.mts`, `${stem}.tsx`, `${stem}.d.ts`, `${base}/index.ts`];
  return candidates.find((candidate) => shipped.has(candidate)) ?? null;
}
