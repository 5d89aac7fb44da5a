// Layer norm forward and backward against float64 references (PyTorch semantics: biased variance,
// rstd = 1 / sqrt(var + eps), parameter gradients summed over rows and overwritten), with and
// without weight and bias. Tolerances: 2e-5 relative + 2e-5 absolute (float32, two-pass moments).

import { describe, it } from 'vitest';
import { wasmKernels } from '../../src/backends/cpu/wasm';
import { expectAllClose, randomArray, seededRandom } from './helpers';

const kernels = wasmKernels()!;
const shapes = [[1, 1], [1, 3], [2, 4], [3, 7], [5, 17], [4, 64], [3, 65], [2, 129]];

function referenceMoments(x: Float32Array, rows: number, cols: number, eps: number) {
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += x[row * cols + j];
    mean[row] = sum / cols;
    let squares = 0;
    for (let j = 0; j < cols; j++) squares += (x[row * cols + j] - mean[row]) ** 2;
    rstd[row] = 1 / Math.sqrt(squares / cols + eps);
  }
  return { mean, rstd };
}

describe('wasm layer norm', () => {
  for (const affine of [true, false]) {
    it(`forward matches the reference (affine=${affine})`, () => {
      const random = seededRandom(affine ? 21 : 22);
      for (const [rows, cols] of shapes) {
        const eps = 1e-5;
        const x = randomArray(random, rows * cols, 2);
        for (let i = 0; i < x.length; i++) x[i] += 3; // an offset mean
        const weight = affine ? randomArray(random, cols) : null;
        const bias = affine ? randomArray(random, cols) : null;
        const out = new Float32Array(rows * cols);
        const mean = new Float32Array(rows);
        const rstd = new Float32Array(rows);
        kernels.layerNorm(x, weight, bias, out, mean, rstd, rows, cols, eps);
        const reference = referenceMoments(x, rows, cols, eps);
        const expected = new Float64Array(rows * cols);
        for (let row = 0; row < rows; row++) {
          for (let j = 0; j < cols; j++) {
            const normalised = (x[row * cols + j] - reference.mean[row]) * reference.rstd[row];
            expected[row * cols + j] = normalised * (weight ? weight[j] : 1) + (bias ? bias[j] : 0);
          }
        }
        expectAllClose(mean, reference.mean, 2e-6, 1e-6, `mean ${rows}x${cols}`);
        expectAllClose(rstd, reference.rstd, 2e-5, 0, `rstd ${rows}x${cols}`);
        expectAllClose(out, expected, 2e-5, 2e-5, `out ${rows}x${cols}`);
      }
    });

    it(`backward matches the reference (affine=${affine})`, () => {
      const random = seededRandom(affine ? 23 : 24);
      for (const [rows, cols] of shapes) {
        const eps = 1e-5;
        const x = randomArray(random, rows * cols, 2);
        const dy = randomArray(random, rows * cols);
        const weight = affine ? randomArray(random, cols) : null;
        const reference = referenceMoments(x, rows, cols, eps);
        const mean = Float32Array.from(reference.mean);
        const rstd = Float32Array.from(reference.rstd);
        const expectedDx = new Float64Array(rows * cols);
        const expectedDweight = new Float64Array(cols);
        const expectedDbias = new Float64Array(cols);
        for (let row = 0; row < rows; row++) {
          // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * w.
          let meanG = 0;
          let meanGX = 0;
          for (let j = 0; j < cols; j++) {
            const index = row * cols + j;
            const g = dy[index] * (weight ? weight[j] : 1);
            const normalised = (x[index] - mean[row]) * rstd[row];
            meanG += g / cols;
            meanGX += (g * normalised) / cols;
            expectedDweight[j] += dy[index] * normalised;
            expectedDbias[j] += dy[index];
          }
          for (let j = 0; j < cols; j++) {
            const index = row * cols + j;
            const g = dy[index] * (weight ? weight[j] : 1);
            const normalised = (x[index] - mean[row]) * rstd[row];
            expectedDx[index] = rstd[row] * (g - meanG - normalised * meanGX);
          }
        }
        const dx = new Float32Array(rows * cols);
        const dweight = new Float32Array(cols).fill(123); // must be overwritten, not accumulated
        const dbias = new Float32Array(cols).fill(123);
        kernels.layerNormBackward(dy, x, weight, mean, rstd, dx, dweight, dbias, rows, cols);
        expectAllClose(dx, expectedDx, 2e-5, 2e-5, `dx ${rows}x${cols}`);
        expectAllClose(dweight, expectedDweight, 2e-5, 2e-5, `dweight ${rows}x${cols}`);
        expectAllClose(dbias, expectedDbias, 2e-5, 2e-5, `dbias ${rows}x${cols}`);
        const dxOnly = new Float32Array(rows * cols);
        kernels.layerNormBackward(dy, x, weight, mean, rstd, dxOnly, null, null, rows, cols);
        expectAllClose(dxOnly, expectedDx, 2e-5, 2e-5, `dx without parameter gradients ${rows}x${cols}`);
      }
    });
  }
});
