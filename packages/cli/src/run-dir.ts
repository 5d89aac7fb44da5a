/**
 * Run directories: their default names, the `config.json` every run writes first, the package
 * versions recorded in it, the repository root (for `bench` and `rlhf`), and `report.html`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '@attune/nn';
import { writeReport } from '@attune/report';

/**
 * The default run directory `runs/<name>-<yyyymmdd-hhmmss>` (UTC), relative to the working directory.
 *
 * @example
 * ```ts
 * defaultRunDir('ppo-CartPole-v1', new Date('2026-01-02T03:04:05Z')); // 'runs/ppo-CartPole-v1-20260102-030405'
 * ```
 */
export function defaultRunDir(name: string, now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}-${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  return join('runs', `${name}-${stamp}`);
}

/**
 * Versions of the named packages as installed next to the CLI (`null` when one cannot be found).
 *
 * @example
 * ```ts
 * packageVersions(['@attune/cli', '@attune/ppo']); // { '@attune/cli': '0.1.0', '@attune/ppo': '0.1.0' }
 * ```
 */
export function packageVersions(names: readonly string[]): Record<string, string | null> {
  const require = createRequire(import.meta.url);
  const versions: Record<string, string | null> = {};
  for (const name of names) {
    try {
      versions[name] = (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
    } catch {
      versions[name] = null;
    }
  }
  return versions;
}

/**
 * Writes `value` as pretty JSON, atomically (a temporary file renamed into place), creating the
 * directory.
 *
 * @example
 * ```ts
 * await writeJson('runs/x/config.json', { algo: 'ppo' });
 * ```
 */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Reads and parses a JSON file, with an error naming the file when it is missing or malformed.
 *
 * @example
 * ```ts
 * const config = await readJson<{ algo: string }>('runs/x/config.json');
 * ```
 */
export async function readJson<T>(path: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new Error(`${path} does not exist: is this a run directory written by attune?`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * The root of an Attune repository checkout containing `from` (the nearest directory upwards whose
 * package.json is named `attune-monorepo`), or null outside one.
 *
 * @example
 * ```ts
 * findRepoRoot(process.cwd()); // '/home/me/attune' or null
 * ```
 */
export function findRepoRoot(from: string): string | null {
  let directory = resolve(from);
  for (;;) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'attune-monorepo') return directory;
      } catch {
        // not a readable package.json: keep walking up
      }
    }
    const parent = dirname(directory);
    if (parent === directory) return null;
    directory = parent;
  }
}

/**
 * (Re)writes `<runDir>/report.html` with `@attune/report` and returns its path.
 *
 * @example
 * ```ts
 * const path = await writeRunReport('runs/ppo-CartPole-v1-20260102-030405', 'ppo on CartPole-v1');
 * ```
 */
export async function writeRunReport(runDir: string, title: string): Promise<string> {
  return writeReport(runDir, { title });
}
