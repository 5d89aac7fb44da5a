// Shared by the site test: make sure docs/site is built from the current sources, and serve it on
// 127.0.0.1 (TypeDoc's pages load their navigation and search index as scripts; a real HTTP origin
// is also what users get from any static host).
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
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
 * Builds docs/site unless a build newer than every source exists (`DOCS_REBUILD=1` forces one).
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

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
};

/** Serves `dir` on 127.0.0.1 on a free port; `/x/` serves `/x/index.html`. */
export async function serveStatic(dir: string): Promise<{ origin: string; close: () => Promise<void> }> {
  const root = normalize(dir + sep);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(root, path));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('static server has no port');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
