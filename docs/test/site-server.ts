// Shared by the site test: make sure docs/site is built from the current sources, and serve it on
// 127.0.0.1 (TypeDoc's pages load their navigation and search index as scripts; a real HTTP origin
// is also what users get from any static host).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** docs/ */
export const docsDir = fileURLToPath(new URL('..', import.meta.url));
/** docs/site/ */
export const siteDir = join(docsDir, 'site');
const rootDir = join(docsDir, '..');

function newestMtime(path: string, skip: (name: string) => boolean = () => false): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(path)) {
    if (skip(name)) continue;
    newest = Math.max(newest, newestMtime(join(path, name), skip));
  }
  return newest;
}

/** The newest modification time of anything the site is built from. */
export function newestSourceMtime(): number {
  const packagesDir = join(rootDir, 'packages');
  let newest = 0;
  for (const pkg of readdirSync(packagesDir)) {
    for (const part of ['src', 'README.md', 'package.json']) {
      newest = Math.max(newest, newestMtime(join(packagesDir, pkg, part), (n) => n === 'generated'));
    }
  }
  for (const part of ['guides', 'scripts', 'data', 'assets', 'package.json']) newest = Math.max(newest, newestMtime(join(docsDir, part)));
  return Math.max(newest, newestMtime(join(rootDir, 'benchmarks', 'results')));
}

/**
 * Builds docs/site unless a build newer than every source exists (`DOCS_REBUILD=1` forces one);
 * the build script builds the tensor package's WebAssembly kernels first if they are missing.
 * Returns whether it built.
 */
export function ensureSite(): boolean {
  const stamp = join(siteDir, 'index.html');
  const fresh = existsSync(stamp) && statSync(stamp).mtimeMs > newestSourceMtime();
  if (fresh && process.env.DOCS_REBUILD !== '1') return false;
  execFileSync(process.execPath, ['--import', 'tsx', '--conditions=@attune/source', join(docsDir, 'scripts', 'build.ts')], {
    cwd: docsDir,
    stdio: 'inherit',
  });
  return true;
}

/** Every file under `dir`, as paths relative to it with forward slashes, sorted. */
export function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

export { serveStatic } from '../scripts/serve.ts';
