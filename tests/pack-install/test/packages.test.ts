// The helpers the pack-and-install test relies on, on small made-up inputs (and the real workspace
// for the closure), so that a wrong answer there cannot hide a packaging mistake.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  dependencyClosure,
  exportedSubpaths,
  manifestTargets,
  moduleSpecifiers,
  packageOfSpecifier,
  readWorkspacePackages,
  resolveShippedImport,
  undeclaredImports,
  type WorkspacePackage,
} from './packages.js';

const fake = (name: string, dependencies: Record<string, string> = {}): WorkspacePackage => ({
  directory: `/repo/packages/${name}`,
  manifest: { name, version: '0.1.0', dependencies },
});

describe('dependencyClosure', () => {
  const graph = [fake('c'), fake('b', { c: '*', seedrandom: '^3' }), fake('a', { b: '*' }), fake('d', { c: '*' })];

  it('returns the roots and their internal dependencies, dependencies first', () => {
    expect(dependencyClosure(graph, ['a'])).toEqual(['c', 'b', 'a']);
    expect(dependencyClosure(graph, ['d', 'a'])).toEqual(['c', 'b', 'a', 'd']);
    expect(dependencyClosure(graph, ['c'])).toEqual(['c']);
  });

  it('names an unknown root and a cycle', () => {
    expect(() => dependencyClosure(graph, ['e'])).toThrow(/roots must name workspace packages \(a, b, c, d\), got 'e'/);
    expect(() => dependencyClosure([fake('x', { y: '*' }), fake('y', { x: '*' })], ['x'])).toThrow('dependency cycle x -> y -> x');
  });

  it('finds @attune/ppo\'s dependencies in the real workspace', () => {
    const packages = readWorkspacePackages(fileURLToPath(new URL('../../../packages', import.meta.url)));
    const closure = dependencyClosure(packages, ['@attune/ppo']);
    expect(closure.at(-1)).toBe('@attune/ppo');
    expect(closure).toContain('@attune/tensor');
    expect(closure.indexOf('@attune/tensor')).toBeLessThan(closure.indexOf('@attune/nn'));
  });
});

describe('manifest fields', () => {
  it('collects every file a manifest points at', () => {
    const manifest = {
      name: 'a',
      version: '1.0.0',
      main: './dist/index.js',
      bin: { a: './dist/bin.js' },
      exports: {
        '.': { types: './dist/index.d.ts', '@attune/source': './src/index.ts', default: './dist/index.js' },
        './testing': { types: './dist/testing/index.d.ts', default: './dist/testing/index.js' },
        './package.json': './package.json',
      },
    };
    expect(manifestTargets(manifest)).toEqual(['dist/bin.js', 'dist/index.d.ts', 'dist/index.js', 'dist/testing/index.d.ts', 'dist/testing/index.js', 'package.json', 'src/index.ts']);
    expect(exportedSubpaths(manifest)).toEqual(['.', './testing']);
  });

  it('treats a string or a bare conditions object as the "." export', () => {
    expect(exportedSubpaths({ name: 'a', version: '1.0.0', exports: './i.js' })).toEqual(['.']);
    expect(exportedSubpaths({ name: 'a', version: '1.0.0', exports: { import: './i.js' } })).toEqual(['.']);
    expect(exportedSubpaths({ name: 'a', version: '1.0.0' })).toEqual([]);
  });
});

describe('imports', () => {
  const source = [
    'import { a } from "@attune/tensor";',
    "export * from '@attune/nn/testing';",
    'import "side-effect";',
    'const m = await import("webgpu");',
    'import { readFile } from "node:fs/promises";',
    'import("path");',
    'import { x } from "./chunk-ABC.js";',
    'const text = "import me from nowhere";',
  ].join('\n');

  it('finds static, re-export, side-effect and dynamic specifiers', () => {
    expect(moduleSpecifiers(source).sort()).toEqual(['./chunk-ABC.js', '@attune/nn/testing', '@attune/tensor', 'node:fs/promises', 'path', 'side-effect', 'webgpu']);
  });

  it('maps a specifier to its package, and built-ins and relative paths to null', () => {
    expect(packageOfSpecifier('@attune/nn/testing')).toBe('@attune/nn');
    expect(packageOfSpecifier('lodash/fp')).toBe('lodash');
    expect(packageOfSpecifier('path')).toBeNull();
    expect(packageOfSpecifier('node:fs/promises')).toBeNull();
    expect(packageOfSpecifier('./chunk-ABC.js')).toBeNull();
  });

  it('reports imported packages the manifest does not declare', () => {
    const manifest = { name: '@attune/x', version: '1.0.0', dependencies: { '@attune/tensor': '*' }, peerDependencies: { webgpu: '^0.6' } };
    expect(undeclaredImports(manifest, source)).toEqual(['@attune/nn', 'side-effect']);
    expect(undeclaredImports(manifest, 'import "@attune/x/testing";')).toEqual([]);
  });

  it('resolves a relative import in a shipped source to a shipped file, or null', () => {
    const shipped = new Set(['src/index.ts', 'src/ops/index.ts', 'src/backends/cpu/wasm/generated/kernels.ts']);
    expect(resolveShippedImport('src/backends/cpu/wasm/runtime.ts', './generated/kernels', shipped)).toBe('src/backends/cpu/wasm/generated/kernels.ts');
    expect(resolveShippedImport('src/index.ts', './ops/index.js', shipped)).toBe('src/ops/index.ts');
    expect(resolveShippedImport('src/index.ts', './ops', shipped)).toBe('src/ops/index.ts');
    expect(resolveShippedImport('src/ops/index.ts', '../missing.js', shipped)).toBeNull();
  });
});
