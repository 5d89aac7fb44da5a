// A static file server for the built site, on 127.0.0.1: used by the tests and by
// `npm run preview --workspace @attune/docs` (PORT=8080 by default).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
};

/**
 * Serves `dir` on 127.0.0.1 (`port` 0: a free one); `/x/` serves `/x/index.html`.
 *
 * @example
 * ```ts
 * const { origin, close } = await serveStatic('docs/site');
 * console.log(`${origin}/index.html`);
 * await close();
 * ```
 */
export async function serveStatic(dir: string, port = 0): Promise<{ origin: string; close: () => Promise<void>; notFound: string[] }> {
  const root = normalize(dir + sep);
  const notFound: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(root, path));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      notFound.push(path);
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('static server has no port');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    notFound,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const site = join(fileURLToPath(new URL('..', import.meta.url)), 'site');
  if (!existsSync(join(site, 'index.html'))) {
    console.error('docs/site/index.html does not exist: build the site first (npm run docs)');
    process.exit(1);
  }
  const { origin } = await serveStatic(site, Number(process.env.PORT ?? 8080));
  console.log(`docs: serving ${site} at ${origin}/index.html (Ctrl-C stops)`);
}
