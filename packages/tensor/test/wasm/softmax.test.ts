// Softmax and log-softmax (forward and backward) against float64 references, on row widths that
// exercise the vector body and the scalar tail, large logits, and -Infinity (masked) entries.
// Tolerances: probabilities 1e-6 absolute + 1e-5 relative; log-probabilities 1e-5 relative +
// 2e-6 absolute (float32 rounding of values up to ~40); gradients 1e-5 relative + 1e-6 absolute.

import { describe, expect, it } from 'vitest';
import { wasmKernels } from '../../src/backends/cpu/wasm';
import { expectAllClose, randomArray, seededRandom } from './helpers';

const kernels = wasmKernels()!;
const shapes = [[1, 1], [1, 2], [3, 3], [2, 7], [5, 8], [4, 17], [3, 65], [2, 129], [1, 1000]];

function referenceLogSoftmax(x: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let row = 0; row < rows; row++) {
    let maximum = -Infinity;
    for (let j = 0; j < cols; j++) maximum = Math.max(maximum, x[row * cols + j]);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(x[row * cols + j] - maximum);
    for (let j = 0; j < cols; j++) out[row * cols + j] = x[row * cols + j] - maximum - Math.log(sum);
  }
  return out;
}

describe('wasm softmax', () => {
  it('softmax and logSoftmax match the reference', () => {
    const random = seededRandom(11);
    for (const [rows, cols] of shapes) {
      for (const scale of [1, 30]) {
        const x = randomArray(random, rows * cols, scale);
        if (cols > 3) x[1] = -Infinity; // a masked logit
        const logReference = referenceLogSoftmax(x, rows, cols);
        const probabilities = new Float32Array(rows * cols);
        kernels.softmax(x, probabilities, rows, cols);
        expectAllClose(probabilities, logReference.map(Math.exp), 1e-5, 1e-6, `softmax ${rows}x${cols} scale ${scale}`);
        if (cols > 3) expect(probabilities[1]).toBe(0);
        const logProbabilities = new Float32Array(rows * cols);
        kernels.logSoftmax(x, logProbabilities, rows, cols);
        expectAllClose(logProbabilities, logReference, 1e-5, 2e-6, `logSoftmax ${rows}x${cols} scale ${scale}`);
        if (cols > 3) expect(logProbabilities[1]).toBe(-Infinity);
      }
    }
  });

  it('softmax of a row of equal large values is uniform (no overflow)', () => {
    const x = new Float32Array(6).fill(1e30);
    const out = new Float32Array(6);
    kernels.softmax(x, out, 1, 6);
    for (const p of out) expect(p).toBeCloseTo(1 / 6, 6);
  });

  it('softmaxBackward and logSoftmaxBackward match the reference', () => {
    const random = seededRandom(12);
    for (const [rows, cols] of shapes) {
      const x = randomArray(random, rows * cols, 3);
      const dy = randomArray(random, rows * cols);
      const logReference = referenceLogSoftmax(x, rows, cols);
      const y = Float32Array.from(logReference, Math.exp);
      const logY = Float32Array.from(logReference);
      const expectedSoftmax = new Float64Array(rows * cols);
      const expectedLogSoftmax = new Float64Array(rows * cols);
      for (let row = 0; row < rows; row++) {
        let dot = 0;
        let sum = 0;
        for (let j = 0; j < cols; j++) {
          dot += dy[row * cols + j] * y[row * cols + j];
          sum += dy[row * cols + j];
        }
        for (let j = 0; j < cols; j++) {
          const index = row * cols + j;
          expectedSoftmax[index] = y[index] * (dy[index] - dot);
          expectedLogSoftmax[index] = dy[index] - Math.exp(logY[index]) * sum;
        }
      }
      const dx = new Float32Array(rows * cols);
      kernels.softmaxBackward(y, dy, dx, rows, cols);
      expectAllClose(dx, expectedSoftmax, 1e-5, 1e-6, `softmaxBackward ${rows}x${cols}`);
      kernels.logSoftmaxBackward(logY, dy, dx, rows, cols);
      expectAllClose(dx, expectedLogSoftmax, 1e-5, 1e-6 * Math.sqrt(cols), `logSoftmaxBackward ${rows}x${cols}`);
    }
  });

  it('exp is accurate over the whole float range', () => {
    // logSoftmax of [0, t] gives t - log(1 + e^t) and softmax gives e^t / (1 + e^t): a probe of exp.
    const values: number[] = [];
    for (let t = -110; t <= 0; t += 0.37) values.push(t);
    const x = new Float32Array(values.length * 2);
    values.forEach((t, i) => {
      x[2 * i] = 0;
      x[2 * i + 1] = t;
    });
    const out = new Float32Array(x.length);
    kernels.softmax(x, out, values.length, 2);
    values.forEach((t, i) => {
      const exact = Math.exp(Math.fround(t)) / (1 + Math.exp(Math.fround(t)));
      const error = Math.abs(out[2 * i + 1] - exact);
      expect(error, `softmax([0, ${t}])`).toBeLessThanOrEqual(4e-7 * exact + 1.5e-45);
    });
  });

  it('exp overflows to Infinity past 88.72 and keeps NaN (probed through logSoftmaxBackward)', () => {
    // With dy = [-1, 0, 0, 0, 0] per row, sum(dy) = -1 and dx[j] = dy[j] + exp(y[j]).
    const ys = [0, 1, 10, 50, 80, 88, 88.7, 88.73, 89, 100, Infinity, Number.NaN];
    const y = new Float32Array(ys.length * 5);
    const dy = new Float32Array(ys.length * 5);
    ys.forEach((value, row) => {
      y.fill(value, row * 5, row * 5 + 5);
      dy[row * 5] = -1;
    });
    const dx = new Float32Array(y.length);
    kernels.logSoftmaxBackward(y, dy, dx, ys.length, 5);
    ys.forEach((value, row) => {
      const got = dx[row * 5 + 1]; // columns 0-3 go through the vector body, column 4 through the scalar tail
      const exact = Math.exp(Math.fround(value));
      if (Number.isNaN(value)) expect(got).toBeNaN();
      else if (exact > 3.4028234663852886e38) expect(got, `exp(${value})`).toBe(Infinity);
      else expect(Math.abs(got - exact), `exp(${value})`).toBeLessThanOrEqual(4e-7 * exact);
      expect(dx[row * 5 + 4], `scalar tail of exp(${value})`).toEqual(got);
    });
  });
});
