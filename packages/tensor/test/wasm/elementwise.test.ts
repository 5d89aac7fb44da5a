// The SIMD activations and fused activation gradients against float64 references, over values that
// reach the vector body and the scalar tail, both tails of each function, ±Infinity and NaN.
// Tolerance: 4e-6 relative + 1e-7 absolute (a few float32 ulps).

import { describe, expect, it } from 'vitest';
import { wasmKernels } from '../../src/backends/cpu/wasm';
import { expectAllClose } from './helpers';

const kernels = wasmKernels()!;
const C = Math.sqrt(2 / Math.PI);

function inputs(count: number, scale: number, seed: number): Float32Array {
  let state = seed;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out[i] = (state / 2147483648 - 0.5) * 2 * scale;
  }
  return out;
}

const references = {
  tanh: Math.tanh,
  sigmoid: (x: number) => 1 / (1 + Math.exp(-x)),
  geluTanh: (x: number) => x / (1 + Math.exp(-2 * C * (x + 0.044715 * x ** 3))),
  exp: Math.exp,
};

function geluDerivative(x: number): number {
  const s = 1 / (1 + Math.exp(-2 * C * (x + 0.044715 * x ** 3)));
  return s + x * s * (1 - s) * 2 * C * (1 + 3 * 0.044715 * x * x);
}

describe('wasm elementwise', () => {
  for (const [op, reference] of Object.entries(references) as [keyof typeof references, (x: number) => number][]) {
    it(`${op} matches the float64 reference`, () => {
      const x = inputs(1027, op === 'exp' ? 20 : 12, 7);
      const out = new Float32Array(x.length);
      kernels.unary(op, x, out, x.length);
      expectAllClose(out, Float64Array.from(x, reference), 4e-6, 1e-7, op);
    });
  }

  it('handles ±Infinity and NaN like the Math functions', () => {
    const x = Float32Array.from([Infinity, -Infinity, NaN, 0, -0]);
    const out = new Float32Array(5);
    kernels.unary('tanh', x, out, 5);
    expect(Array.from(out)).toEqual([1, -1, NaN, 0, -0]);
    kernels.unary('sigmoid', x, out, 5);
    expect(Array.from(out)).toEqual([1, 0, NaN, 0.5, 0.5]);
    kernels.unary('exp', x, out, 5);
    expect(Array.from(out)).toEqual([Infinity, 0, NaN, 1, 1]);
  });

  it('fused gradients match their formulas', () => {
    const g = inputs(1029, 3, 11);
    const saved = inputs(1029, 1, 13);
    const x = inputs(1029, 6, 17);
    const out = new Float32Array(g.length);
    kernels.activationBackward('tanhBackward', g, saved, out, g.length);
    expectAllClose(out, Float64Array.from(g, (v, i) => v * (1 - saved[i] * saved[i])), 4e-6, 1e-7, 'tanhBackward');
    kernels.activationBackward('sigmoidBackward', g, saved, out, g.length);
    expectAllClose(out, Float64Array.from(g, (v, i) => v * saved[i] * (1 - saved[i])), 4e-6, 1e-7, 'sigmoidBackward');
    kernels.activationBackward('geluTanhBackward', g, x, out, g.length);
    expectAllClose(out, Float64Array.from(g, (v, i) => v * geluDerivative(x[i])), 4e-6, 1e-6, 'geluTanhBackward');
  });

  it('addRowVector adds the bias to every row, and sumRows sums the rows, on odd widths', () => {
    for (const [rows, cols] of [[1, 1], [3, 5], [128, 64], [129, 67], [1024, 130]]) {
      const x = inputs(rows * cols, 2, rows + cols);
      const bias = inputs(cols, 1, cols);
      const expected = Float64Array.from(x, (v, i) => v + bias[i % cols]);
      const sums = new Float64Array(cols);
      for (let i = 0; i < x.length; i++) sums[i % cols] += x[i];
      const sumOut = new Float32Array(cols);
      kernels.sumRows(x, sumOut, rows, cols);
      // Blockwise float32 accumulation: error ~ √rows·ulp of the partial sums.
      expectAllClose(sumOut, sums, 1e-5, 1e-4 * Math.sqrt(rows), `sumRows ${rows}x${cols}`);
      kernels.addRowVector(x, bias, rows, cols);
      expectAllClose(x, expected, 1e-6, 1e-7, `addRowVector ${rows}x${cols}`);
    }
  });
});
