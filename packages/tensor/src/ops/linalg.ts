// Matrix products: `matmul` with NumPy/PyTorch semantics (1-D promotion, batched, broadcasting
// batch dims) and `linear`. Both reduce to one batched kernel whose operands may be read
// transposed, so gradients and x·Wᵀ never materialise a transpose.

import { needsGrad, record } from '../autograd.js';
import { broadcastShapes, formatShape, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add } from './elementwise.js';
import { expand, reshape, sumToShape, unsqueeze } from './shape.js';
import { checkDtype, checkSameBackend, checkTensor, product, wrap } from './util.js';

/**
 * Batched product of 3-D operands a (Ba, ·, ·) and b (Bb, ·, ·) where Ba, Bb ∈ {1, B}, reading a as
 * its transpose when `transA` (likewise b). Records gradients for every combination of flags.
 */
function bmm(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  const batch = Math.max(a.shape[0], b.shape[0]);
  const m = transA ? a.shape[2] : a.shape[1];
  const k = transA ? a.shape[1] : a.shape[2];
  const n = transB ? b.shape[1] : b.shape[2];
  const aStride = a.shape[0] === 1 ? 0 : a.shape[1] * a.shape[2];
  const bStride = b.shape[0] === 1 ? 0 : b.shape[1] * b.shape[2];
  const storage = a.backend.matmul(a.storage, b.storage, batch, m, k, n, transA, transB, aStride, bStride);
  const out = wrap(a.backend, storage, [batch, m, n], 'float32');
  if (!needsGrad(a, b)) return out;
  return record(out, 'matmul', [a, b], (g) => {
    // C = op(A)·op(B): dop(A) = dC·op(B)ᵀ, dop(B) = op(A)ᵀ·dC; transposed operands swap roles.
    let gradA: Tensor | null = null;
    let gradB: Tensor | null = null;
    if (a.requiresGrad) gradA = transA ? bmm(b, g, transB, true) : bmm(g, b, false, !transB);
    if (b.requiresGrad) gradB = transB ? bmm(g, a, true, transA) : bmm(a, g, !transA, false);
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
  if (bBatch.length === 0) {
    // Fold a's batch dims into its rows: (…, m, k)·(k, n) is one (…·m, k)·(k, n) product.
    const a3 = reshape(a2, [1, product(aBatch) * m, k]);
    const b3 = reshape(b2, [1, k, n]);
    out = reshapeAndRelease(bmm(a3, b3, false, false), [...aBatch, m, n], [a3, b3]);
  } else {
    const batchShape = broadcastShapes('matmul', aBatch, bBatch);
    const batch = product(batchShape);
    const a3 = toBatch3(a2, aBatch, batchShape, batch);
    const b3 = toBatch3(b2, bBatch, batchShape, batch);
    out = reshapeAndRelease(bmm(a3, b3, false, false), [...batchShape, m, n], [a3, b3]);
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
  const x3 = reshape(x, [1, product(lead), inFeatures]);
  const w3 = reshape(weight, [1, weight.shape[0], inFeatures]);
  const product3 = bmm(x3, w3, false, true); // (1, N, out)
  let out = reshape(product3, [...lead, weight.shape[0]]);
  product3.dispose(); // a view: `out` keeps the storage
  if (!out.requiresGrad) {
    x3.dispose();
    w3.dispose();
  }
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
