// Resident storage: float32 arrays the CPU backend allocates in the kernels' shared memory, which
// every kernel then uses where they lie. Checks that the backend's storage is resident, that kernel
// results with resident operands (single-threaded and split across threads) are bit for bit those
// with ordinary arrays, that disposing gives the blocks back (no growth over many steps), and, in a
// child process with --expose-gc, that blocks of storage nobody disposed come back once collected.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cpuBackend, randn, tensor, tidy, manualSeed } from '../../src';
import { setNumThreads, setSplitMode, wasmJobThreadsUsed, wasmKernels, wasmMatmulThreadsUsed } from '../../src/backends/cpu/wasm';
import { randomArray, seededRandom } from './helpers';

const kernels = wasmKernels()!;

/** Resident arrays a test made, given back after it. */
const made: Float32Array[] = [];

/** A resident copy of `values`. */
function resident(values: Float32Array): Float32Array {
  const array = kernels.allocate(values.length);
  expect(array, 'the kernels offer resident storage').not.toBeNull();
  array!.set(values);
  made.push(array!);
  return array!;
}

describe('resident storage', () => {
  afterEach(() => {
    setSplitMode('auto');
    for (const array of made.splice(0)) expect(kernels.release(array)).toBe(true);
  });

  it('holds the CPU backend float32 storage from 1024 elements, not smaller or other dtypes', () => {
    const before = kernels.residentBytes;
    const big = tensor(new Float32Array(4096));
    const small = tensor(new Float32Array(64));
    const ints = tensor(new Int32Array(4096), { dtype: 'int32' });
    expect(kernels.residentBytes - before).toBeGreaterThanOrEqual(4096 * 4);
    expect(kernels.release(new Float32Array(4096)), 'an ordinary array is not taken').toBe(false);
    // V8 keeps typed arrays of up to 64 bytes on its heap; none is resident, so none is asked for its buffer.
    expect(kernels.allocate(16)).toBeNull();
    const seventeen = kernels.allocate(17);
    expect(seventeen).not.toBeNull();
    expect(kernels.release(seventeen!)).toBe(true);
    big.dispose();
    small.dispose();
    ints.dispose();
    expect(kernels.residentBytes).toBe(before);
    expect(cpuBackend().fast).not.toBeNull();
  });

  it('gives kernels with resident operands the results they give ordinary arrays, on one thread and split', async () => {
    const random = seededRandom(7);
    const [m, k, n] = [256, 96, 200];
    const a = randomArray(random, m * k), b = randomArray(random, n * k), bias = randomArray(random, n);
    const dy = randomArray(random, m * n);
    const count = 70000;
    const x = randomArray(random, count), g = randomArray(random, count);
    setNumThreads(2);
    for (const mode of ['auto', 'always'] as const) {
      setSplitMode(mode);
      // Each check returns the threads its resident call ran on; split, they are repeated until it was two.
      const checks: (() => number)[] = [
        () => {
          const plain = new Float32Array(m * n);
          kernels.matmul(a, b, plain, 1, m, k, n, false, true, 0, 0, bias);
          const ra = resident(a), rbias = resident(bias), out = resident(new Float32Array(m * n));
          kernels.matmul(ra, resident(b), out, 1, m, k, n, false, true, 0, 0, rbias);
          const threads = wasmMatmulThreadsUsed();
          expect(Array.from(out)).toEqual(Array.from(plain));
          // Mixed: a resident input with an ordinary one and an ordinary output.
          const mixed = new Float32Array(m * n);
          kernels.matmul(ra, b, mixed, 1, m, k, n, false, true, 0, 0, rbias);
          expect(Array.from(mixed)).toEqual(Array.from(plain));
          return threads;
        },
        () => {
          const dx = new Float32Array(m * k), dw = new Float32Array(n * k), db = new Float32Array(n);
          kernels.linearBackward(dy, a, b, dx, dw, db, m, k, n);
          const rdx = resident(new Float32Array(m * k)), rdw = resident(new Float32Array(n * k)), rdb = resident(new Float32Array(n));
          kernels.linearBackward(resident(dy), resident(a), resident(b), rdx, rdw, rdb, m, k, n);
          const threads = wasmJobThreadsUsed();
          expect(Array.from(rdx)).toEqual(Array.from(dx));
          expect(Array.from(rdw)).toEqual(Array.from(dw));
          expect(Array.from(rdb)).toEqual(Array.from(db));
          return threads;
        },
        () => {
          const gelu = new Float32Array(count), geluResident = resident(new Float32Array(count));
          kernels.unary('geluTanh', x, gelu, count);
          kernels.unary('geluTanh', resident(x), geluResident, count);
          const threads = wasmJobThreadsUsed();
          expect(Array.from(geluResident)).toEqual(Array.from(gelu));
          return threads;
        },
        () => {
          const back = new Float32Array(count), backResident = resident(new Float32Array(count));
          kernels.activationBackward('geluTanhBackward', g, x, back, count);
          kernels.activationBackward('geluTanhBackward', resident(g), resident(x), backResident, count);
          const threads = wasmJobThreadsUsed();
          expect(Array.from(backResident)).toEqual(Array.from(back));
          return threads;
        },
      ];
      for (const [index, check] of checks.entries()) {
        // On a busy machine the worker may wake too late to take a part, so each check gets its own time.
        const deadline = Date.now() + 60_000;
        while (check() !== 2 && mode === 'always') {
          if (Date.now() > deadline) expect.fail(`check ${index} never ran on two threads`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    }
  });

  it('refuses to give a block back twice', () => {
    const array = kernels.allocate(2048)!;
    expect(kernels.release(array)).toBe(true);
    expect(() => kernels.release(array)).toThrow(/released already/);
  });

  it('updates resident Adam state in place', () => {
    const random = seededRandom(3);
    const count = 5000;
    const param = randomArray(random, count), grad = randomArray(random, count);
    const m = new Float32Array(count), v = new Float32Array(count);
    const rp = resident(param), rg = resident(grad), rm = resident(m), rv = resident(v);
    kernels.adam(param, grad, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.1, true, 1);
    kernels.adam(rp, rg, rm, rv, 1e-3, 0.9, 0.999, 1e-8, 0.1, true, 1);
    expect(Array.from(rp)).toEqual(Array.from(param));
    expect(Array.from(rm)).toEqual(Array.from(m));
    expect(Array.from(rv)).toEqual(Array.from(v));
  });

  it('reuses the blocks of disposed storage: many training-like steps do not grow it', () => {
    manualSeed(1);
    const w = randn([256, 256]);
    const step = () => tidy(() => randn([64, 256]).matmul(w).relu().sum());
    for (let i = 0; i < 5; i++) step().dispose();
    const settled = kernels.residentBytes;
    for (let i = 0; i < 200; i++) step().dispose();
    expect(kernels.residentBytes).toBe(settled);
    w.dispose();
  });

  it('takes back the blocks of storage nobody disposed once the garbage collector finalizes it', () => {
    const child = fileURLToPath(new URL('./resident_child.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', child], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { held: number; after: number };
    expect(report.held).toBeGreaterThan(50 * 4096 * 4);
    expect(report.after).toBe(0);
  });
});
