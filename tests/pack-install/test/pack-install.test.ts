// Installs @attune/* packages the way a user does. Every public package under packages/ is built
// and packed with `npm pack`; the tarballs' contents are checked (what each manifest points at,
// sources the @attune/source condition needs, no tests, no undeclared imports); then fresh projects
// under os.tmpdir(), outside the monorepo, `npm install` the tarballs and run plain `node` scripts:
// no TypeScript loader, no @attune/source condition, no workspace symlinks.
//
// 1. @attune/envs + @attune/ppo and their internal dependencies alone (derived from package.json)
//    train PPO on CartPole-v1 for a few iterations (test/fixtures/train-cartpole.mjs).
// 2. All public packages together: each export subpath imports, and a TypeScript file importing
//    every entry compiles with skipLibCheck off.
//
// ATTUNE_KEEP_PACK_INSTALL=1 keeps the temporary folder (its path is printed) for inspection.

import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dependencyClosure,
  exportedSubpaths,
  manifestTargets,
  moduleSpecifiers,
  readWorkspacePackages,
  resolveShippedImport,
  undeclaredImports,
  type Manifest,
} from './packages.js';

const repositoryRoot = realpathSync(fileURLToPath(new URL('../../../', import.meta.url)));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const publicPackages = readWorkspacePackages(join(repositoryRoot, 'packages')).filter((p) => p.manifest.private !== true);
/** The subset a user installs to train PPO on a Gymnasium env. */
const SUBSET = ['@attune/envs', '@attune/ppo'];
/** CleanRL's CartPole batch is 4 envs × 128 steps: 32 iterations. */
const TOTAL_TIMESTEPS = 16_384;

interface Packed {
  manifest: Manifest;
  /** Absolute path of the .tgz. */
  tarball: string;
  /** The tarball unpacked: its package/ folder. */
  unpacked: string;
  /** Every file in the tarball, relative to package/. */
  files: Set<string>;
}

let work = '';
const packed = new Map<string, Packed>();

/**
 * The environment for npm and node in the fresh projects: without the npm_* variables of the
 * `npm run` that started vitest (npm_config_workspace would point npm back into the monorepo) and
 * without NODE_OPTIONS (no loader, no conditions), but keeping where npm's cache and registry are.
 */
function userEnvironment(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if ((lower.startsWith('npm_') && !keep.has(lower)) || key === 'NODE_OPTIONS' || key === 'INIT_CWD' || key.startsWith('VITEST') || key.startsWith('TURBO_')) continue;
    env[key] = value;
  }
  return env;
}

function run(command: string, args: string[], cwd: string, options: ExecFileSyncOptions = {}): string {
  try {
    return execFileSync(command, args, { cwd, env: userEnvironment(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...options }) as string;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed:\n${stderr ?? ''}\n${stdout ?? ''}`, { cause: error });
  }
}

/** The JSON a fixture script prints on its `RESULT ` line. */
function result(output: string): any {
  const line = output.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`no RESULT line in the script's output:\n${output}`);
  return JSON.parse(line.slice('RESULT '.length));
}

/**
 * A fresh project in `work` with `packages`' tarballs (from npm pack) installed, and any `extra`
 * registry packages a user would add.
 */
function freshProject(name: string, packages: string[], extra: string[] = []): string {
  const project = join(work, name);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
  const tarballs = packages.map((p) => packed.get(p)!.tarball);
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs, ...extra], project);
  return project;
}

/** The @attune packages installed in a project, each checked to be a real folder from a tarball. */
function installedFromTarballs(project: string): string[] {
  const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string; link?: boolean }> };
  const installed = readdirSync(join(project, 'node_modules', '@attune')).map((folder) => `@attune/${folder}`);
  for (const name of installed) {
    const folder = join(project, 'node_modules', name);
    expect(lstatSync(folder).isSymbolicLink(), `${name} is a symlink`).toBe(false);
    expect(realpathSync(folder).startsWith(project), `${name} lives outside the project`).toBe(true);
    const entry = lock.packages[`node_modules/${name}`];
    expect(entry?.link, `${name} is a link in package-lock.json`).toBeUndefined();
    expect(entry?.resolved, `${name} was not installed from its tarball`).toBe(`file:../${relative(work, packed.get(name)!.tarball)}`);
  }
  return installed.sort();
}

beforeAll(() => {
  work = mkdtempSync(join(realpathSync(tmpdir()), 'attune-pack-install-'));
  if (process.env.ATTUNE_KEEP_PACK_INSTALL) console.log(`pack-install: working in ${work}`);
  if (!relative(repositoryRoot, work).startsWith('..')) throw new Error(`os.tmpdir() (${work}) is inside the repository; the test needs a folder outside it`);

  // Build (turbo: a cache hit when the sources did not change), then pack every public package
  // with one npm call.
  const turbo = join(repositoryRoot, 'node_modules', '.bin', 'turbo');
  run(turbo, ['run', 'build', '--output-logs=errors-only', ...publicPackages.map((p) => `--filter=${p.manifest.name}`)], repositoryRoot, { env: { ...userEnvironment(), TURBO_TELEMETRY_DISABLED: '1' } });
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  const workspaces = publicPackages.flatMap((p) => ['--workspace', p.manifest.name]);
  const report = JSON.parse(run('npm', ['pack', '--json', '--loglevel=error', '--pack-destination', tarballs, ...workspaces], repositoryRoot)) as { name: string; filename: string }[];
  for (const { manifest } of publicPackages) {
    const entry = report.find((r) => r.name === manifest.name);
    if (entry === undefined) throw new Error(`npm pack did not pack ${manifest.name}`);
    const tarball = join(tarballs, entry.filename);
    const unpacked = join(work, 'unpacked', manifest.name);
    mkdirSync(unpacked, { recursive: true });
    run('tar', ['-xzf', tarball, '-C', unpacked], work);
    const root = join(unpacked, 'package');
    const files = new Set(readdirSync(root, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => relative(root, join(d.parentPath, d.name))));
    const shippedManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
    packed.set(manifest.name, { manifest: shippedManifest, tarball, unpacked: root, files });
  }
}, 600_000);

afterAll(() => {
  if (work !== '' && !process.env.ATTUNE_KEEP_PACK_INSTALL) rmSync(work, { recursive: true, force: true });
});

describe.each(publicPackages.map((p) => p.manifest.name))('%s tarball', (name) => {
  const shipped = () => packed.get(name)!;

  it('ships its README, dist/ and src/, and every file its manifest points at', () => {
    const { manifest, files } = shipped();
    expect(files).toContain('package.json');
    expect(files).toContain('README.md');
    expect([...files].some((f) => f.startsWith('dist/') && f.endsWith('.js'))).toBe(true);
    expect([...files].some((f) => f.startsWith('src/') && f.endsWith('.ts'))).toBe(true);
    expect(manifestTargets(manifest).filter((target) => !files.has(target))).toEqual([]);
  });

  it('ships no tests', () => {
    const tests = [...shipped().files].filter((f) => /(^|\/)(test|tests|__tests__)\//.test(f) || /\.(test|spec)\.[cm]?[jt]sx?$/.test(f));
    expect(tests).toEqual([]);
  });

  it('ships every file its sources import (the @attune/source condition reads src/)', () => {
    const { files, unpacked } = shipped();
    const missing: string[] = [];
    for (const file of [...files].filter((f) => f.startsWith('src/') && /\.[cm]?tsx?$/.test(f))) {
      for (const specifier of moduleSpecifiers(readFileSync(join(unpacked, file), 'utf8'))) {
        if (specifier.startsWith('.') && resolveShippedImport(file, specifier, files) === null) missing.push(`${file} imports ${specifier}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('ships every source its source maps name', () => {
    const { files, unpacked } = shipped();
    const missing: string[] = [];
    for (const map of [...files].filter((f) => f.endsWith('.js.map'))) {
      const { sources } = JSON.parse(readFileSync(join(unpacked, map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const path = relative(unpacked, join(unpacked, map, '..', source));
        if (!files.has(path)) missing.push(`${map} names ${source}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('declares every package its built JavaScript imports', () => {
    const { manifest, files, unpacked } = shipped();
    const undeclared = [...files]
      .filter((f) => f.startsWith('dist/') && /\.[cm]?js$/.test(f))
      .flatMap((f) => undeclaredImports(manifest, readFileSync(join(unpacked, f), 'utf8')).map((p) => `${f} imports ${p}`));
    expect(undeclared).toEqual([]);
  });
});

describe('a fresh project outside the monorepo', () => {
  it(`installs ${SUBSET.join(' + ')} with only their internal dependencies and trains CartPole-v1 from plain node`, () => {
    const closure = dependencyClosure(publicPackages, SUBSET);
    expect(closure).toContain('@attune/tensor'); // the closure reached the bottom layer
    const project = freshProject('cartpole-user', closure);
    // Exactly the closure is installed, each from its tarball: nothing came from the registry or
    // from the monorepo.
    expect(installedFromTarballs(project)).toEqual([...closure].sort());
    copyFileSync(join(fixtures, 'train-cartpole.mjs'), join(project, 'train-cartpole.mjs'));

    const output = run(process.execPath, ['train-cartpole.mjs', String(TOTAL_TIMESTEPS), join(project, 'checkpoints')], project, { timeout: 120_000 });
    const trained = result(output);

    // Node resolved the installed builds, not the monorepo's sources.
    for (const url of Object.values(trained.resolved as Record<string, string>)) {
      expect(url.startsWith(pathToFileURL(join(project, 'node_modules')).href)).toBe(true);
      expect(url).toMatch(/\/dist\/index\.js$/);
    }
    expect(trained.iterations).toBe(TOTAL_TIMESTEPS / 512);
    expect(trained.globalStep).toBe(TOTAL_TIMESTEPS);
    const returns = trained.returns as number[];
    expect(returns.length).toBeGreaterThan(20);
    expect(returns.every((r) => Number.isFinite(r) && r >= 1 && r <= 500)).toBe(true);
    // It learned: CartPole's random policy lasts ~20 steps; the last episodes run well beyond.
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(returns.slice(-10))).toBeGreaterThan(1.5 * mean(returns.slice(0, 10)));
    // The checkpoint was written and reloads; the reloaded policy plays.
    expect(existsSync(join(trained.checkpoint, 'model.safetensors'))).toBe(true);
    expect(trained.evaluationReturns).toHaveLength(3);
    expect((trained.evaluationReturns as number[]).every((r) => Number.isFinite(r) && r >= 1)).toBe(true);
    // AsyncVectorEnv's workers started from the installed dist/async-worker.js.
    expect(trained.vector).toEqual({ observations: 8, rewards: [1, 1] });
    // The WebAssembly kernels load from the tarball's layout, worker pool included.
    expect(['simd', 'relaxed-simd']).toContain(trained.wasmKernelVariant);
    expect(trained.matmul).toEqual({ length: 256 * 256, min: 512, max: 512 });
    // Without the optional `webgpu` peer, WebGPU is reported missing rather than failing the import.
    expect(trained.webgpu).toEqual({ available: false, reason: 'package-missing' });
  });

  it('installs every public package; each export imports from plain node and type-checks with skipLibCheck off', () => {
    const names = publicPackages.map((p) => p.manifest.name);
    // A Node user's TypeScript project has Node's types (the .d.ts files name URL, Buffer, …).
    const rootManifest = JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const project = freshProject('every-package-user', names, [`@types/node@${rootManifest.devDependencies['@types/node']}`]);
    expect(installedFromTarballs(project)).toEqual([...names].sort());

    copyFileSync(join(fixtures, 'import-entries.mjs'), join(project, 'import-entries.mjs'));
    const imported = result(run(process.execPath, ['import-entries.mjs', ...names], project, { timeout: 60_000 })) as Record<string, Record<string, { resolved: string; exports: string[] }>>;
    const entries: string[] = [];
    for (const name of names) {
      const subpaths = exportedSubpaths(packed.get(name)!.manifest);
      expect(Object.keys(imported[name]!).sort(), name).toEqual([...subpaths].sort());
      for (const subpath of subpaths) {
        const { resolved, exports } = imported[name]![subpath]!;
        expect(resolved.startsWith(pathToFileURL(join(project, 'node_modules', name, 'dist')).href), `${name} ${subpath} resolved to ${resolved}`).toBe(true);
        expect(exports.length, `${name} ${subpath} exports nothing`).toBeGreaterThan(0);
        entries.push(subpath === '.' ? name : `${name}/${subpath.slice(2)}`);
      }
    }

    // A TypeScript user on Node's own module resolution, checking our .d.ts files too.
    const consumer = `${entries.map((entry, i) => `import * as entry${i} from '${entry}';\n`).join('')}export { ${entries.map((_, i) => `entry${i}`).join(', ')} };\n`;
    writeFileSync(join(project, 'consumer.ts'), consumer);
    const tsconfig = {
      compilerOptions: { target: 'ES2022', lib: ['ES2023'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
      files: ['consumer.ts'],
    };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const tsc = join(repositoryRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], project, { timeout: 120_000 });
  });
});
