// Matrix products: `matmul` with NumPy/PyTorch semantics (1-D promotion, batched, broadcasting
// batch dims) and `linear`. Both reduce to one batched kernel whose operands may be read
// transposed, so gradients and x·Wᵀ never materialise a transpose.

import { needsGrad, record } from '../autograd.js';
import { broadcastShapes, formatShape, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add } from './elementwise.js';
import { sum } from './reduce.js';
import { expand, reshape, sumToShape, unsqueeze } from './shape.js';
import { checkDtype, checkSameBackend, checkTensor, product, wrap } from './util.js';

/**
 * Product of 2-D or 3-D operands: a is (m, k) or (Ba, m, k) — stored (k, m) per batch when `transA` —
 * and b likewise (k, n) / (Bb, k, n); 3-D batches Ba, Bb ∈ {1, B}. The result is (m, n) when both
 * operands are 2-D, else (B, m, n). Records gradients for every combination of flags.
 */
function mm(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  const aRows = a.shape[a.ndim - 2];
  const aCols = a.shape[a.ndim - 1];
  const bRows = b.shape[b.ndim - 2];
  const bCols = b.shape[b.ndim - 1];
  const aBatch = a.ndim === 3 ? a.shape[0] : 1;
  const bBatch = b.ndim === 3 ? b.shape[0] : 1;
  const batch = Math.max(aBatch, bBatch);
  const m = transA ? aCols : aRows;
  const k = transA ? aRows : aCols;
  const n = transB ? bRows : bCols;
  const storage = a.backend.matmul(a.storage, b.storage, batch, m, k, n, transA, transB, aBatch === 1 ? 0 : aRows * aCols, bBatch === 1 ? 0 : bRows * bCols);
  const out = wrap(a.backend, storage, a.ndim === 3 || b.ndim === 3 ? [batch, m, n] : [m, n], 'float32');
  if (!needsGrad(a, b)) return out;
  return record(out, 'matmul', [a, b], (g) => {
    // C = op(A)·op(B): dop(A) = dC·op(B)ᵀ, dop(B) = op(A)ᵀ·dC; transposed operands swap roles.
    let gradA: Tensor | null = null;
    let gradB: Tensor | null = null;
    if (a.requiresGrad) gradA = transA ? mm(b, g, transB, true) : mm(g, b, false, !transB);
    if (b.requiresGrad) gradB = transB ? mm(g, a, true, transA) : mm(a, g, !transA, false);
    return [gradA && sumToShape(gradA, a.shape), gradB && sumToShape(gradB, b.shape)];
  });
}

/**
 * Matrix product with `torch.matmul` semantics: 1-D operands are promoted (and the added dim
 * removed), leading batch dims broadcast.
 *
 * @example
 * ```ts
 * matmul(randn([8, 3, 4]), randn([4, 5])); // shape [8, 3, 5]
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', 'input', a);
  checkTensor('matmul', 'other', b);
  checkSameBackend('matmul', a, b);
  checkDtype('matmul', 'input', a, ['float32']);
  checkDtype('matmul', 'other', b, ['float32']);
  if (a.ndim === 0 || b.ndim === 0) throw new RangeError(`matmul: both arguments need at least 1 dim, got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  const a2 = a.ndim === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.ndim === 1 ? unsqueeze(b, -1) : b;
  const m = a2.shape[a2.ndim - 2];
  const k = a2.shape[a2.ndim - 1];
  const kb = b2.shape[b2.ndim - 2];
  const n = b2.shape[b2.ndim - 1];
  if (k !== kb) {
    throw new RangeError(`matmul: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} cannot be multiplied (${k} vs ${kb} in the contracted dim)`);
  }
  const aBatch = a2.shape.slice(0, -2);
  const bBatch = b2.shape.slice(0, -2);
  let out: Tensor;
  if (aBatch.length === 0 && bBatch.length === 0) {
    out = mm(a2, b2, false, false);
  } else if (bBatch.length === 0) {
    // Fold a's batch dims into its rows: (…, m, k)·(k, n) is one (…·m, k)·(k, n) product.
    const a3 = reshape(a2, [product(aBatch) * m, k]);
    out = reshapeAndRelease(mm(a3, b2, false, false), [...aBatch, m, n], [a3]);
  } else {
    const batchShape = broadcastShapes('matmul', aBatch, bBatch);
    const batch = product(batchShape);
    const a3 = toBatch3(a2, aBatch, batchShape, batch);
    const b3 = toBatch3(b2, bBatch, batchShape, batch);
    out = reshapeAndRelease(mm(a3, b3, false, false), [...batchShape, m, n], [a3, b3]);
  }
  if (a.ndim === 1) out = reshapeAndRelease(out, squeezedShape(out.shape, -2), []);
  if (b.ndim === 1) out = reshapeAndRelease(out, squeezedShape(out.shape, -1), []);
  if (!out.requiresGrad) {
    if (a2 !== a) a2.dispose();
    if (b2 !== b) b2.dispose();
  }
  return out;
}

function squeezedShape(shape: readonly number[], dim: number): number[] {
  const out = shape.slice();
  out.splice(shape.length + dim, 1);
  return out;
}

/** Reshapes `x` and disposes it (a view keeps the storage), plus `temporaries` when no gradient flows. */
function reshapeAndRelease(x: Tensor, shape: readonly number[], temporaries: readonly Tensor[]): Tensor {
  const out = reshape(x, shape);
  x.dispose();
  if (!out.requiresGrad) for (const t of temporaries) t.dispose();
  return out;
}

/** Views a (…batch, r, c) operand as (B, r, c), or (1, r, c) when it has no batch to broadcast. */
function toBatch3(x: Tensor, batchDims: readonly number[], batchShape: readonly number[], batch: number): Tensor {
  const rows = x.shape[x.ndim - 2];
  const cols = x.shape[x.ndim - 1];
  if (product(batchDims) === 1) return reshape(x, [1, rows, cols]);
  if (shapesEqual(batchDims, batchShape)) return reshape(x, [batch, rows, cols]);
  return reshape(expand(x, [...batchShape, rows, cols]), [batch, rows, cols]);
}

/**
 * y = x·Wᵀ + b over the last dim of `x`, as `torch.nn.functional.linear`: weight is (out, in).
 *
 * @example
 * ```ts
 * linear(randn([32, 4]), randn([64, 4]), zeros([64])); // shape [32, 64]
 * ```
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkTensor('linear', 'input', x);
  checkTensor('linear', 'weight', weight);
  if (weight.ndim !== 2) throw new RangeError(`linear: weight must be 2-D (outFeatures, inFeatures), got shape ${formatShape(weight.shape)}`);
  const inFeatures = x.shape[x.ndim - 1];
  if (inFeatures !== weight.shape[1]) {
    throw new RangeError(`linear: input's last dim is ${inFeatures} but weight expects ${weight.shape[1]} in-features (input ${formatShape(x.shape)}, weight ${formatShape(weight.shape)})`);
  }
  const lead = x.shape.slice(0, -1);
  if (x.ndim >= 2 && (bias ? x.backend.linear : x.backend.linearBackward)) {
    if (x.ndim === 2) return fusedLinear(x, weight, bias ?? null);
    const x2 = reshape(x, [product(lead), inFeatures]); // (…, in) → (N, in)
    return reshapeAndRelease(fusedLinear(x2, weight, bias ?? null), [...lead, weight.shape[0]], [x2]);
  }
  // x·Wᵀ reads W transposed in the kernel: no transpose is materialised, forward or backward.
  const x2 = x.ndim === 2 ? x : reshape(x, [product(lead), inFeatures]);
  let out = mm(x2, weight, false, true);
  if (x.ndim !== 2) out = reshapeAndRelease(out, [...lead, weight.shape[0]], [x2]);
  if (bias) {
    checkTensor('linear', 'bias', bias);
    if (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0]) {
      throw new RangeError(`linear: bias must have shape [${weight.shape[0]}], got ${formatShape(bias.shape)}`);
    }
    const biased = add(out, bias);
    out.dispose();
    out = biased;
  }
  return out;
}

/**
 * Batched a·bᵀ over the last two dims without materialising bᵀ: a (…, m, k), b (…, n, k) with equal
 * leading dims → (…, m, n). Used by attention (q·kᵀ).
 *
 * @example
 * ```ts
 * const q = randn([2, 4, 8]); // (B, T, C)
 * const k = randn([2, 4, 8]);
 * matmulTransposed(q, k); // q·kᵀ: (2, 4, 4)
 * ```
 */
export function matmulTransposed(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmulTransposed', 'input', a);
  checkTensor('matmulTransposed', 'other', b);
  checkSameBackend('matmulTransposed', a, b);
  const lead = a.shape.slice(0, -2);
  if (a.ndim < 2 || b.ndim !== a.ndim || !shapesEqual(lead, b.shape.slice(0, -2)) || a.shape[a.ndim - 1] !== b.shape[b.ndim - 1]) {
    throw new RangeError(`matmulTransposed: expected (…, m, k) and (…, n, k) with equal leading dims, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.ndim - 2];
  const batch = product(lead);
  const a3 = reshape(a, [batch, m, k]);
  const b3 = reshape(b, [batch, n, k]);
  return reshapeAndRelease(mm(a3, b3, false, true), [...lead, m, n], [a3, b3]);
}

/**
 * x·Wᵀ (+ b) for 2-D x on a backend with a fused kernel for it: `linear` (bias added as the output is
 * written) when there is a bias, and `linearBackward` (dy read once for dx, dW and db) when the
 * backend has it. Shapes are checked by `linear`, which calls this with a bias only where the
 * backend has `linear`.
 */
function fusedLinear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  if (bias) checkTensor('linear', 'bias', bias);
  checkSameBackend('linear', x, weight);
  if (bias) checkSameBackend('linear', x, bias);
  const [m, k] = x.shape;
  const n = weight.shape[0];
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== n)) throw new RangeError(`linear: bias must have shape [${n}], got ${formatShape(bias.shape)}`);
  const backend = x.backend;
  // `linear` only calls this with a bias where the backend has `linear`.
  const storage = bias ? backend.linear!(x.storage, weight.storage, bias.storage, m, k, n) : backend.matmul(x.storage, weight.storage, 1, m, k, n, false, true, 0, 0);
  const out = wrap(backend, storage, [m, n], 'float32');
  if (!needsGrad(x, weight, bias)) return out;
  const inputs = bias ? [x, weight, bias] : [x, weight];
  // y = x·Wᵀ + b: dx = g·W, dW = gᵀ·x, db = Σ_rows g
  if (!backend.linearBackward) {
    return record(out, 'linear', inputs, (g) => [
      x.requiresGrad ? mm(g, weight, false, false) : null,
      weight.requiresGrad ? mm(g, x, true, false) : null,
      bias?.requiresGrad ? sum(g, 0) : null,
    ]);
  }
  return record(out, 'linear', inputs, (g) => {
    const grads = backend.linearBackward!(g.storage, x.storage, weight.storage, m, k, n, x.requiresGrad, weight.requiresGrad, !!bias?.requiresGrad);
    return [
      grads.dx === null ? null : wrap(backend, grads.dx, [m, k], 'float32'),
      grads.dweight === null ? null : wrap(backend, grads.dweight, [n, k], 'float32'),
      grads.dbias === null ? null : wrap(backend, grads.dbias, [n], 'float32'),
    ];
  });
}
