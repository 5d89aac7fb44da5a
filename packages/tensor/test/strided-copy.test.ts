// CpuBackend.stridedCopy (permute, narrow, expand materialise through it) against a direct
// index walk, for the ranks, run lengths and strides its fast paths special-case.

import { describe, expect, it, vi } from 'vitest';
import { CpuBackend } from '../src/index.js';

function naive(x: Float32Array, shape: number[], strides: number[], offset: number): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  const index = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < size; o++) {
    let p = offset;
    for (let d = 0; d < shape.length; d++) p += index[d] * strides[d];
    out[o] = x[p];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

const CASES: { name: string; shape: number[]; strides: number[]; offset: number }[] = [
  // (B, T, nh, hs) → (B, nh, T, hs): attention's head split, inner runs of hs = 32.
  { name: 'head split permute', shape: [2, 4, 8, 32], strides: [8 * 4 * 32, 32, 4 * 32, 1], offset: 0 },
  // (B, nh, T, hs) → (B, T, nh, hs): the merge.
  { name: 'head merge permute', shape: [2, 8, 4, 32], strides: [8 * 4 * 32, 32, 8 * 32, 1], offset: 0 },
  { name: 'rank-3 narrow with an offset', shape: [3, 2, 5], strides: [40, 5, 1], offset: 15 },
  { name: 'rank-2 narrow', shape: [3, 3], strides: [5, 1], offset: 1 },
  { name: 'rank-1 slice', shape: [7], strides: [1], offset: 2 },
  { name: 'broadcast rows (stride 0)', shape: [4, 6], strides: [0, 1], offset: 0 },
  { name: 'rank-5 permute', shape: [2, 3, 2, 2, 3], strides: [36, 3, 18, 9, 1], offset: 0 },
  { name: 'long runs (subarray path)', shape: [3, 100], strides: [200, 1], offset: 50 },
  { name: 'transposed inner stride', shape: [4, 3], strides: [1, 4], offset: 0 },
  // From 16384 elements the WebAssembly kernel copies the runs.
  { name: 'head split permute (wasm runs)', shape: [2, 8, 32, 32], strides: [32 * 8 * 32, 32, 8 * 32, 1], offset: 0 },
  { name: 'rank-3 narrow of runs of 5 (wasm runs)', shape: [40, 100, 5], strides: [1000, 10, 1], offset: 3 },
];

describe('CpuBackend.stridedCopy', () => {
  const backend = new CpuBackend();
  const reference = new CpuBackend();
  reference.fast = null;
  const x = Float32Array.from({ length: 40000 }, (_, i) => i * 0.5 - 3);
  for (const c of CASES) {
    it(`matches a direct index walk: ${c.name}`, () => {
      const expected = Array.from(naive(x, c.shape, c.strides, c.offset));
      expect(Array.from(backend.stridedCopy(x, c.shape, c.strides, c.offset, 'float32'))).toEqual(expected);
      expect(Array.from(reference.stridedCopy(x, c.shape, c.strides, c.offset, 'float32'))).toEqual(expected);
    });
  }

  it('hands large float32 copies with contiguous runs to the WebAssembly kernel', () => {
    const fast = backend.fast;
    if (!fast?.gatherRuns) return expect(fast).toBeNull();
    const spy = vi.spyOn(fast, 'gatherRuns');
    backend.stridedCopy(x, [2, 8, 32, 32], [8192, 32, 256, 1], 0, 'float32');
    backend.stridedCopy(x, [2, 4, 8, 32], [1024, 32, 128, 1], 0, 'float32'); // small: the JS loop
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });
});

describe('CpuBackend.binary on the SIMD kernel', () => {
  const backend = new CpuBackend();
  const reference = new CpuBackend();
  reference.fast = null;
  const n = 20003; // above the kernel's threshold, with a scalar tail
  const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1e3);
  const b = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.7) / 3);
  for (const op of ['add', 'sub', 'mul'] as const) {
    it(`${op} equals the JavaScript loop bit for bit`, () => {
      const fast = backend.fast;
      const spy = fast?.binary ? vi.spyOn(fast, 'binary') : null;
      const out = backend.binary(op, a, [n], b, [n], [n], 'float32', 'float32');
      expect(Array.from(out)).toEqual(Array.from(reference.binary(op, a, [n], b, [n], [n], 'float32', 'float32')));
      if (spy) expect(spy).toHaveBeenCalledTimes(1);
      spy?.mockRestore();
    });
  }
});
