// Matrix products: matmul in every torch.matmul form (1-D promotion, 2-D, batched, broadcast
// batch dims) and linear, with gradients; plus odd-sized and larger products that exercise the
// blocking and edge handling of fast kernels.

import { linear, matmul, tensor } from '../../index.js';
import type { SuiteContext } from '../context.js';
import { uniformValues } from '../gradcheck.js';
import * as R from '../reference.js';

/** [label, a shape, b shape] for every torch.matmul form. */
const MATMUL_SHAPES: readonly [string, number[], number[]][] = [
  ['1-D · 1-D (dot)', [4], [4]],
  ['2-D · 1-D', [3, 4], [4]],
  ['1-D · 2-D', [4], [4, 3]],
  ['2-D · 2-D', [3, 4], [4, 2]],
  ['3-D · 3-D (batched)', [2, 3, 4], [2, 4, 5]],
  ['3-D · 2-D', [2, 3, 4], [4, 2]],
  ['2-D · 3-D', [3, 4], [2, 4, 2]],
  ['broadcast batch [2, 1, 3, 4] · [3, 4, 2]', [2, 1, 3, 4], [3, 4, 2]],
  ['1-D · 3-D', [4], [2, 4, 3]],
  ['3-D · 1-D', [2, 3, 4], [4]],
  ['batch of 1 · batch of 3', [1, 2, 3], [3, 3, 2]],
];

export function linalgTests(t: SuiteContext): void {
  t.group('linalg', () => {
    for (const [label, aShape, bShape] of MATMUL_SHAPES) {
      t.op(`matmul: ${label}`, [{ shape: aShape }, { shape: bShape }], matmul, R.matmul, { forward: { rtol: 1e-5, atol: 1e-5 } });
    }
    t.op('linear with bias: x·Wᵀ + b', [{ shape: [3, 4] }, { shape: [5, 4] }, { shape: [5] }], linear, (x, w, b) => R.zip(R.matmul(x, R.transpose(w, 0, 1)), b, (p, q) => p + q), {
      forward: { rtol: 1e-5, atol: 1e-5 },
    });
    t.op('linear without bias on a 3-D input', [{ shape: [2, 3, 4] }, { shape: [2, 4] }], (x, w) => linear(x, w), (x, w) => R.matmul(x, R.transpose(w, 0, 1)), { forward: { rtol: 1e-5, atol: 1e-5 } });
    // m·n ≥ 1024: the CPU backend's fused linear backward (dy copied once for dx, dW and db).
    t.op('linear with bias, fused-backward size: (40, 24)·(32, 24)ᵀ + b', [{ shape: [40, 24] }, { shape: [32, 24] }, { shape: [32] }], linear, (x, w, b) => R.zip(R.matmul(x, R.transpose(w, 0, 1)), b, (p, q) => p + q), {
      forward: { rtol: 1e-5, atol: 1e-5 },
    });
    t.op('linear without bias, fused-backward size: (2, 20, 24)·(48, 24)ᵀ', [{ shape: [2, 20, 24] }, { shape: [48, 24] }], (x, w) => linear(x, w), (x, w) => R.matmul(x, R.transpose(w, 0, 1)), { forward: { rtol: 1e-5, atol: 1e-5 } });
    t.op('linear, constant input (gradients of weight and bias only): (40, 24)·(32, 24)ᵀ + b', [{ shape: [40, 24], requiresGrad: false }, { shape: [32, 24] }, { shape: [32] }], linear, (x, w, b) => R.zip(R.matmul(x, R.transpose(w, 0, 1)), b, (p, q) => p + q), {
      forward: { rtol: 1e-5, atol: 1e-5 },
    });
    t.op('linear, constant weight (gradients of input and bias only): (40, 24)·(32, 24)ᵀ + b', [{ shape: [40, 24] }, { shape: [32, 24], requiresGrad: false }, { shape: [32] }], linear, (x, w, b) => R.zip(R.matmul(x, R.transpose(w, 0, 1)), b, (p, q) => p + q), {
      forward: { rtol: 1e-5, atol: 1e-5 },
    });
    t.op('linear on a 1-D input', [{ shape: [4] }, { shape: [3, 4] }, { shape: [3] }], linear, (x, w, b) => R.zip(R.matmul(w, x), b, (p, q) => p + q), { forward: { rtol: 1e-5, atol: 1e-5 } });

    // Odd sizes around SIMD widths and tile edges, and one large enough for a blocked/threaded kernel.
    for (const [m, k, n] of [
      [1, 1, 1],
      [5, 7, 3],
      [17, 33, 9],
      [64, 65, 63],
      [130, 257, 70],
    ] as const) {
      t.test(`matmul values: ${m}×${k} · ${k}×${n}`, async () => {
        const a = uniformValues(m * k, m + 31 * k, -1, 1);
        const b = uniformValues(k * n, n + 17 * k, -1, 1);
        const expected = R.matmul(R.array64([m, k], a), R.array64([k, n], b));
        // float32 accumulation over k terms of magnitude ≤ 1: error grows like √k ulps.
        await t.close(matmul(tensor(a, { shape: [m, k] }), tensor(b, { shape: [k, n] })), expected.data, { shape: [m, n], rtol: 1e-5, atol: 2e-6 * Math.sqrt(k) });
      });
    }
    t.test('matmul values: batched 3×40×24 · 24×16 and transposed-operand gradients', async () => {
      const [batch, m, k, n] = [3, 40, 24, 16];
      const a = uniformValues(batch * m * k, 11, -1, 1);
      const b = uniformValues(k * n, 12, -1, 1);
      const at = tensor(a, { shape: [batch, m, k], requiresGrad: true });
      const bt = tensor(b, { shape: [k, n], requiresGrad: true });
      const out = matmul(at, bt);
      const expected = R.matmul(R.array64([batch, m, k], a), R.array64([k, n], b));
      await t.close(out, expected.data, { shape: [batch, m, n], rtol: 1e-5, atol: 1e-5 });
      out.sum().backward();
      // d/dA Σ A·B = 1·Bᵀ (row sums of B), d/dB = Aᵀ·1 (column sums of A over batch and rows).
      const rowSums = R.reduce(R.array64([k, n], b), 1, false, R.sumOf);
      await t.close(at.grad!, R.expand(R.reshape(rowSums, [1, 1, k]), [batch, m, k]).data, { shape: [batch, m, k], rtol: 1e-5, atol: 1e-5 });
      const colSums = R.reduce(R.array64([batch * m, k], a), 0, true, R.sumOf);
      await t.close(bt.grad!, R.expand(R.reshape(colSums, [k, 1]), [k, n]).data, { shape: [k, n], rtol: 1e-5, atol: 1e-4 });
    });
  });
}
