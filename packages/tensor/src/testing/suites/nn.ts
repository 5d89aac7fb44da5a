// Neural-network functions: softmax/logSoftmax on last and non-last dims, layerNorm with and
// without affine parameters, dropout, and the losses — crossEntropy (ignoreIndex, labelSmoothing,
// every reduction, (N, C, d) inputs, probability targets), nllLoss, mseLoss, huberLoss,
// smoothL1Loss and binaryCrossEntropyWithLogits (with posWeight).

import {
  Generator,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  dropout,
  huberLoss,
  layerNorm,
  logSoftmax,
  mseLoss,
  nllLoss,
  ones,
  smoothL1Loss,
  softmax,
  sum,
  tensor,
  type Reduction,
} from '../../index.js';
import type { SuiteContext } from '../context.js';
import * as R from '../reference.js';
import { check, int, near, sameValues } from './helpers.js';

const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

/** Float64 reference of binary cross-entropy on logits: (1 − y)·x + (1 + (w − 1)·y)·log(1 + e^−x). */
function bceReference(x: R.Array64, y: R.Array64, posWeight: R.Array64 | number = 1): R.Array64 {
  const weight = R.zip(y, posWeight, (target, w) => 1 + (w - 1) * target);
  const perElement = R.zip(R.zip(x, y, (logit, target) => (1 - target) * logit), R.zip(weight, x, (w, logit) => w * Math.log1p(Math.exp(-logit))), (a, b) => a + b);
  return perElement;
}

export function nnTests(t: SuiteContext): void {
  t.group('nn', () => {
    for (const dim of [-1, 0, 1]) {
      t.op(`softmax along dim ${dim} of [2, 3, 4]`, [{ shape: [2, 3, 4] }], (x) => softmax(x, dim), (x) => R.alongDim(x, dim, R.softmaxOf));
      t.op(`logSoftmax along dim ${dim} of [2, 3, 4]`, [{ shape: [2, 3, 4] }], (x) => logSoftmax(x, dim), (x) => R.alongDim(x, dim, R.logSoftmaxOf));
    }
    t.op('softmax of a 1-D tensor with a wide range', [{ shape: [6], low: -8, high: 8 }], (x) => softmax(x, 0), (x) => R.alongDim(x, 0, R.softmaxOf));
    t.op('logSoftmax of wide rows (64 columns)', [{ shape: [3, 64], low: -5, high: 5 }], (x) => logSoftmax(x, -1), (x) => R.alongDim(x, -1, R.logSoftmaxOf));
    t.test('softmax/logSoftmax are stable for large logits; rows sum to 1', async () => {
      await t.close(softmax(tensor([[1000, 1001], [-1000, -1001]]), -1), [[1 / (1 + Math.E), Math.E / (1 + Math.E)], [Math.E / (1 + Math.E), 1 / (1 + Math.E)]]);
      await t.close(logSoftmax(tensor([1000, 1000]), 0), [-Math.LN2, -Math.LN2], { rtol: 1e-4 });
      await t.close(softmax(tensor([0, -Infinity, 0]), 0), [0.5, 0, 0.5]);
      await t.close(logSoftmax(tensor([0, -Infinity]), 0), [0, -Infinity]);
      await t.close(sum(softmax(tensor([[3, 1, -2, 7], [0, 0, 0, 0]]), 1), 1), [1, 1]);
    });
    t.test('logSoftmax of large logits keeps float32 accuracy: (x − max) − log Σ', async () => {
      // Subtracting max + log Σ as one float32 number rounds it at the scale of max (ulp(1000) ≈ 6e-5).
      await t.close(logSoftmax(tensor([[1000, 1000], [-3000, -3001]]), 1), [[-Math.LN2, -Math.LN2], [-Math.log1p(Math.exp(-1)), -1 - Math.log1p(Math.exp(-1))]]);
    });

    t.op('layerNorm with weight and bias', [{ shape: [3, 4] }, { shape: [4] }, { shape: [4] }], (x, w, b) => layerNorm(x, [4], w, b), (x, w, b) => R.layerNorm(x, [4], w, b, 1e-5), {
      forward: { rtol: 1e-5, atol: 1e-5 },
    });
    t.op('layerNorm without affine parameters', [{ shape: [2, 5] }], (x) => layerNorm(x, [5]), (x) => R.layerNorm(x, [5], null, null, 1e-5), { forward: { rtol: 1e-5, atol: 1e-5 } });
    t.op('layerNorm with weight only', [{ shape: [3, 4] }, { shape: [4] }], (x, w) => layerNorm(x, [4], w), (x, w) => R.layerNorm(x, [4], w, null, 1e-5), { forward: { rtol: 1e-5, atol: 1e-5 } });
    t.op('layerNorm with bias only', [{ shape: [3, 4] }, { shape: [4] }], (x, b) => layerNorm(x, [4], null, b), (x, b) => R.layerNorm(x, [4], null, b, 1e-5), { forward: { rtol: 1e-5, atol: 1e-5 } });
    t.op('layerNorm over two trailing dims with eps 0.1', [{ shape: [2, 2, 3] }, { shape: [2, 3] }, { shape: [2, 3] }], (x, w, b) => layerNorm(x, [2, 3], w, b, 0.1), (x, w, b) =>
      R.layerNorm(x, [2, 3], w, b, 0.1), { forward: { rtol: 1e-5, atol: 1e-5 } },
    );
    t.op('layerNorm of wide rows (96 columns)', [{ shape: [2, 96] }, { shape: [96] }, { shape: [96] }], (x, w, b) => layerNorm(x, [96], w, b), (x, w, b) => R.layerNorm(x, [96], w, b, 1e-5), {
      forward: { rtol: 1e-5, atol: 1e-5 },
      rtol: 1e-3,
      atol: 1e-4,
    });
    t.test('layerNorm of a constant row is the bias (no NaN)', async () => {
      await t.close(layerNorm(tensor([[2, 2, 2]]), [3], tensor([1, 2, 3]), tensor([0.5, -0.5, 0])), [[0.5, -0.5, 0]]);
    });

    t.test('dropout in eval mode, or with p = 0, is the identity (and passes the gradient)', async () => {
      const x = tensor([1, -2, 3], { requiresGrad: true });
      await t.close(dropout(x, 0.5, false), [1, -2, 3]);
      await t.close(dropout(x, 0, true), [1, -2, 3]);
      dropout(x, 0.9, false).sum().backward();
      await t.close(x.grad!, [1, 1, 1]);
    });
    t.test('dropout in training zeroes a fraction p and scales survivors by 1/(1 − p)', async () => {
      const n = 20000;
      const p = 0.25;
      const values = await dropout(ones([n]), p, true, new Generator(3)).data();
      let zeros = 0;
      for (const v of values) {
        if (v === 0) zeros++;
        else check(Math.abs(v - 1 / (1 - p)) < 1e-6, `survivor ${v}, expected ${1 / (1 - p)}`);
      }
      near('dropout zero fraction', zeros / n, p, 5 * Math.sqrt((p * (1 - p)) / n));
      await t.close(dropout(ones([4]), 1, true), [0, 0, 0, 0]);
    });
    t.test('dropout is reproducible per generator seed', async () => {
      const a = await dropout(ones([64]), 0.5, true, new Generator(11)).data();
      const b = await dropout(ones([64]), 0.5, true, new Generator(11)).data();
      const c = await dropout(ones([64]), 0.5, true, new Generator(12)).data();
      check(sameValues(a, b), 'same seed, same mask');
      check(!sameValues(a, c), 'different seeds, different masks');
    });
    t.test('dropout in training backpropagates through its mask', async () => {
      const a = await dropout(ones([64]), 0.5, true, new Generator(11)).data();
      const x = tensor(new Float32Array(64).fill(3), { requiresGrad: true });
      const y = dropout(x, 0.5, true, new Generator(11));
      y.sum().backward();
      await t.close(x.grad!, Array.from(a)); // mask·scale, the same draws as `a`
      await t.close(y, Array.from(a, (v) => 3 * v));
    });

    // --- cross-entropy ---------------------------------------------------------------------
    const targets = [1, 4, 0, 2];
    for (const reduction of REDUCTIONS) {
      t.op(`crossEntropy (N, C) with class indices, reduction ${reduction}`, [{ shape: [4, 5] }], (x) => crossEntropy(x, int(targets), { reduction }), (x) =>
        R.crossEntropy(x, R.array64([4], targets), { reduction }),
      );
    }
    const withIgnored = [1, -100, 0, 2];
    t.op('crossEntropy ignores target −100 by default (mean over the rest, zero gradient)', [{ shape: [4, 3] }], (x) => crossEntropy(x, int(withIgnored)), (x) => R.crossEntropy(x, R.array64([4], withIgnored)));
    t.op('crossEntropy with ignoreIndex 2 and reduction none', [{ shape: [4, 3] }], (x) => crossEntropy(x, int([1, 2, 0, 2]), { ignoreIndex: 2, reduction: 'none' }), (x) =>
      R.crossEntropy(x, R.array64([4], [1, 2, 0, 2]), { ignoreIndex: 2, reduction: 'none' }),
    );
    for (const reduction of REDUCTIONS) {
      t.op(`crossEntropy with labelSmoothing 0.1 and an ignored target, reduction ${reduction}`, [{ shape: [4, 3] }], (x) => crossEntropy(x, int(withIgnored), { labelSmoothing: 0.1, reduction }), (x) =>
        R.crossEntropy(x, R.array64([4], withIgnored), { labelSmoothing: 0.1, reduction }),
      );
    }
    const spatial = [[0, 2, 1, 2], [1, 1, -100, 0]];
    for (const reduction of ['mean', 'none'] as const) {
      t.op(`crossEntropy on (N, C, d) = (2, 3, 4) inputs, reduction ${reduction}`, [{ shape: [2, 3, 4] }], (x) => crossEntropy(x, int(spatial), { reduction }), (x) =>
        R.crossEntropy(x, R.array64([2, 4], spatial.flat()), { reduction }),
      );
    }
    t.op('crossEntropy on a 1-D (C) input with a 0-d target', [{ shape: [5] }], (x) => crossEntropy(x, int(3)), (x) => R.crossEntropy(x, R.array64([], [3])));
    t.op('crossEntropy with probability targets', [{ shape: [3, 4] }, { shape: [3, 4], low: 0, high: 1, requiresGrad: false }], (x, q) => crossEntropy(x, q), (x, q) => R.crossEntropyProbabilities(x, q));
    t.op('crossEntropy with probability targets, labelSmoothing 0.2, reduction sum', [{ shape: [3, 4] }, { shape: [3, 4], low: 0, high: 1, requiresGrad: false }], (x, q) =>
      crossEntropy(x, q, { labelSmoothing: 0.2, reduction: 'sum' }), (x, q) => R.crossEntropyProbabilities(x, q, { labelSmoothing: 0.2, reduction: 'sum' }),
    );
    t.op('crossEntropy with probability targets on (N, C, d), reduction none', [{ shape: [2, 3, 2] }, { shape: [2, 3, 2], low: 0, high: 1, requiresGrad: false }], (x, q) =>
      crossEntropy(x, q, { reduction: 'none' }), (x, q) => R.crossEntropyProbabilities(x, q, { reduction: 'none' }),
    );
    t.test('crossEntropy by hand: uniform logits give log C; all targets ignored give NaN', async () => {
      await t.close(crossEntropy(tensor([[0, 0, 0, 0]]), int([2])), Math.log(4));
      await t.close(crossEntropy(tensor([[1, 2], [3, 4]]), int([-100, -100])), NaN);
    });
    t.op('nllLoss on log-probabilities, with an ignored target', [{ shape: [4, 3] }], (x) => nllLoss(logSoftmax(x, 1), int(withIgnored)), (x) => R.crossEntropy(x, R.array64([4], withIgnored)));
    t.op('nllLoss is linear in its input (reduction sum)', [{ shape: [3, 4] }], (x) => nllLoss(x, int([3, 0, 1]), { reduction: 'sum' }), (x) => R.array64([], [-(R.at(x, [0, 3]) + R.at(x, [1, 0]) + R.at(x, [2, 1]))]));

    // --- regression and binary losses ------------------------------------------------------
    for (const reduction of REDUCTIONS) {
      t.op(`mseLoss, reduction ${reduction}`, [{ shape: [2, 3] }, { shape: [2, 3] }], (x, y) => mseLoss(x, y, { reduction }), (x, y) => R.reduceLoss(R.zip(x, y, (a, b) => (a - b) ** 2), reduction));
    }
    const huber = (delta: number) => (a: number, b: number) => {
      const d = Math.abs(a - b);
      return d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
    };
    for (const [delta, reduction] of [[0.5, 'mean'], [1, 'sum'], [2, 'none']] as const) {
      t.op(`huberLoss delta ${delta}, reduction ${reduction}`, [{ shape: [3, 4] }, { shape: [3, 4], requiresGrad: false }], (x, y) => huberLoss(x, y, { delta, reduction }), (x, y) =>
        R.reduceLoss(R.zip(x, y, huber(delta)), reduction),
      );
    }
    for (const [beta, reduction] of [[0.5, 'mean'], [1, 'none'], [0, 'sum']] as const) {
      t.op(`smoothL1Loss beta ${beta}, reduction ${reduction}`, [{ shape: [3, 4] }, { shape: [3, 4], requiresGrad: false }], (x, y) => smoothL1Loss(x, y, { beta, reduction }), (x, y) =>
        R.reduceLoss(R.zip(x, y, (a, b) => (beta === 0 ? Math.abs(a - b) : huber(beta)(a, b) / beta)), reduction),
      );
    }
    for (const reduction of REDUCTIONS) {
      t.op(`binaryCrossEntropyWithLogits, reduction ${reduction}`, [{ shape: [2, 3], low: -4, high: 4, avoid: [0] }, { shape: [2, 3], low: 0, high: 1 }], (x, y) =>
        binaryCrossEntropyWithLogits(x, y, { reduction }), (x, y) => R.reduceLoss(bceReference(x, y), reduction),
      );
    }
    t.op('binaryCrossEntropyWithLogits with a scalar posWeight', [{ shape: [4], low: -4, high: 4, avoid: [0] }, { shape: [4], low: 0, high: 1, requiresGrad: false }], (x, y) =>
      binaryCrossEntropyWithLogits(x, y, { posWeight: 2.5 }), (x, y) => R.reduceLoss(bceReference(x, y, 2.5), 'mean'),
    );
    t.op('binaryCrossEntropyWithLogits with a per-class posWeight tensor, broadcast', [{ shape: [2, 3], low: -4, high: 4, avoid: [0] }, { shape: [2, 3], low: 0, high: 1, requiresGrad: false }], (x, y) =>
      binaryCrossEntropyWithLogits(x, y, { posWeight: tensor([0.5, 1, 3]), reduction: 'sum' }), (x, y) => R.reduceLoss(bceReference(x, y, R.array64([3], [0.5, 1, 3])), 'sum'),
    );
    t.test('binaryCrossEntropyWithLogits is stable at large |logits|', async () => {
      await t.close(binaryCrossEntropyWithLogits(tensor([100, -100, 100]), tensor([1, 0, 0]), { reduction: 'none' }), [0, 0, 100], { atol: 1e-6 });
    });
    t.test('losses by hand: mse, huber and smoothL1 at the branch boundary', async () => {
      const x = tensor([0, 1, 3]);
      const y = tensor([0, 0, 0]);
      await t.close(mseLoss(x, y), 10 / 3);
      await t.close(huberLoss(x, y, { reduction: 'none' }), [0, 0.5, 2.5]);
      await t.close(huberLoss(x, y, { delta: 2, reduction: 'none' }), [0, 0.5, 4]);
      await t.close(smoothL1Loss(x, y, { beta: 2, reduction: 'none' }), [0, 0.25, 2]);
    });
  });
}
