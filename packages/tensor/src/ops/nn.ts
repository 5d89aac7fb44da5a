// Neural-network functions: softmax / log-softmax and layer norm on fused backend kernels,
// dropout, and the losses (cross-entropy, NLL, MSE, smooth L1 / Huber, BCE with logits).

import { needsGrad, record } from '../autograd.js';
import { formatShape, normalizeDim, shapesEqual } from '../shape.js';
import type { Generator } from '../random.js';
import { getDefaultGenerator } from '../random.js';
import type { Tensor } from '../tensor.js';
import { abs, add, exp, log1p, mul, ne, neg, relu, rsub, sub, toDtype, where } from './elementwise.js';
import { gather, tril } from './indexing.js';
import { full } from './creation.js';
import { matmul, matmulTransposed } from './linalg.js';
import { mean, sum } from './reduce.js';
import { reshape, squeeze, transpose, unsqueeze, permute } from './shape.js';
import { checkDtype, checkIndexRange, checkSameBackend, checkTensor, describe, product, wrap } from './util.js';

/**
 * How a loss reduces its per-element values.
 *
 * @example
 * ```ts
 * const reduction: Reduction = 'none';
 * mseLoss(tensor([1, 2]), tensor([1, 1]), { reduction }); // [0, 1]: one loss per element
 * ```
 */
export type Reduction = 'mean' | 'sum' | 'none';

function checkReduction(op: string, reduction: unknown): asserts reduction is Reduction {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new RangeError(`${op}: reduction must be 'mean', 'sum' or 'none', got ${describe(reduction)}`);
  }
}

function softmaxLastDim(x: Tensor, log: boolean): Tensor {
  const cols = x.ndim === 0 ? 1 : x.shape[x.ndim - 1];
  const rows = cols === 0 ? 0 : x.size / cols;
  const out = wrap(x.backend, x.backend.softmax(x.storage, rows, cols, log), x.shape, 'float32');
  if (!needsGrad(x)) return out;
  return record(out, log ? 'logSoftmax' : 'softmax', [x], (g) => [wrap(g.backend, g.backend.softmaxBackward(out.storage, g.storage, rows, cols, log), x.shape, 'float32')]);
}

function softmaxAlong(op: string, x: Tensor, dim: number, log: boolean): Tensor {
  checkTensor(op, 'input', x);
  checkDtype(op, 'input', x, ['float32']);
  const d = normalizeDim(op, dim, x.ndim);
  if (x.ndim === 0 || d === x.ndim - 1) return softmaxLastDim(x, log);
  const moved = transpose(x, d, -1);
  const y = softmaxLastDim(moved, log);
  const out = transpose(y, d, -1);
  if (!out.requiresGrad) {
    moved.dispose();
    y.dispose();
  }
  return out;
}

/**
 * Softmax along `dim` (a fused, max-shifted kernel).
 *
 * @example
 * ```ts
 * softmax(tensor([[1, 2, 3]]), -1);
 * ```
 */
export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxAlong('softmax', x, dim, false);
}

/**
 * log(softmax(x)) along `dim`, computed stably in one fused kernel.
 *
 * @example
 * ```ts
 * logSoftmax(tensor([[1, 2, 3]]), -1); // log-probabilities: each row's exp sums to 1
 * ```
 */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return softmaxAlong('logSoftmax', x, dim, true);
}

/**
 * Layer normalisation (Ba et al. 2016) over the trailing `normalizedShape` dims, with optional
 * elementwise affine `weight` and `bias` of that shape; biased variance, as PyTorch.
 *
 * @example
 * ```ts
 * const x = randn([2, 5, 768]);
 * const [weight, bias] = [ones([768]), zeros([768])]; // e.g. a LayerNorm module's parameters
 * layerNorm(x, [768], weight, bias, 1e-5);
 * ```
 */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  checkTensor('layerNorm', 'input', x);
  checkDtype('layerNorm', 'input', x, ['float32']);
  const n = normalizedShape.length;
  if (n === 0 || n > x.ndim || !shapesEqual(x.shape.slice(x.ndim - n), normalizedShape)) {
    throw new RangeError(`layerNorm: normalizedShape ${formatShape(normalizedShape)} must equal the trailing dims of the input shape ${formatShape(x.shape)}`);
  }
  for (const [name, p] of [['weight', weight], ['bias', bias]] as const) {
    if (!p) continue;
    checkTensor('layerNorm', name, p);
    checkSameBackend('layerNorm', x, p);
    if (!shapesEqual(p.shape, normalizedShape)) {
      throw new RangeError(`layerNorm: ${name} must have shape ${formatShape(normalizedShape)}, got ${formatShape(p.shape)}`);
    }
  }
  const cols = product(normalizedShape);
  const rows = cols === 0 ? 0 : x.size / cols;
  const backend = x.backend;
  const result = backend.layerNorm(x.storage, weight?.storage ?? null, bias?.storage ?? null, rows, cols, eps);
  const out = wrap(backend, result.out, x.shape, 'float32');
  const inputs = [x, weight, bias].filter((t): t is Tensor => !!t);
  if (!inputs.some((t) => needsGrad(t))) {
    backend.free(result.mean);
    backend.free(result.rstd);
    return out;
  }
  const meanT = wrap(backend, result.mean, [rows], 'float32');
  const rstdT = wrap(backend, result.rstd, [rows], 'float32');
  return record(out, 'layerNorm', inputs, (g) => {
    const grads = backend.layerNormBackward(g.storage, x.storage, weight?.storage ?? null, meanT.storage, rstdT.storage, rows, cols, !!bias);
    const out: Tensor[] = [wrap(backend, grads.dx, x.shape, 'float32')];
    if (weight) out.push(wrap(backend, grads.dweight, weight.shape, 'float32'));
    else if (grads.dweight) backend.free(grads.dweight);
    if (bias) out.push(wrap(backend, grads.dbias, bias.shape, 'float32'));
    return out;
  });
}

/**
 * Inverted dropout (Srivastava et al. 2014): zeroes each element with probability `p` and scales
 * the rest by 1/(1−p) while `training`; the identity otherwise.
 *
 * @example
 * ```ts
 * const h = randn([4, 8]);
 * const training = true; // e.g. model.training
 * dropout(h, 0.1, training, new Generator(0));
 * ```
 */
export function dropout(x: Tensor, p = 0.5, training = true, generator?: Generator): Tensor {
  checkTensor('dropout', 'input', x);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x.clone();
  if (p === 1) return mul(x, 0);
  const g = generator ?? getDefaultGenerator();
  const scale = 1 / (1 - p);
  const values = new Float32Array(x.size);
  for (let i = 0; i < values.length; i++) values[i] = g.random() < p ? 0 : scale;
  const mask = wrap(x.backend, x.backend.upload(values, 'float32'), x.shape, 'float32');
  const out = mul(x, mask);
  if (!out.requiresGrad) mask.dispose(); // mul's backward reads the mask
  return out;
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return loss;
  const out = reduction === 'sum' ? sum(loss) : mean(loss);
  if (!out.requiresGrad) loss.dispose();
  return out;
}

/**
 * Options of `crossEntropy` and `nllLoss`.
 *
 * @example
 * ```ts
 * const options: CrossEntropyOptions = { labelSmoothing: 0.1, reduction: 'sum' };
 * crossEntropy(randn([4, 10]), tensor([1, 2, 3, 4], { dtype: 'int32' }), options);
 * ```
 */
export interface CrossEntropyOptions {
  /** Target value that contributes neither loss nor gradient (PyTorch's default −100). */
  ignoreIndex?: number;
  /** Mixes the target with the uniform distribution by this amount (Szegedy et al. 2016). */
  labelSmoothing?: number;
  /** 'mean' averages over non-ignored targets, 'sum' adds, 'none' keeps one loss per target. */
  reduction?: Reduction;
}

/** Moves the class dim (1) of (N, C, d1, …) last and flattens: (N·d1·…, C); (C) → (1, C). */
function classesLast(x: Tensor): Tensor {
  if (x.ndim === 1) return unsqueeze(x, 0);
  if (x.ndim === 2) return x;
  const order = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2), 1];
  return reshape(permute(x, order), [-1, x.shape[1]]);
}

/**
 * Negative log-likelihood of int32 class `target` under `logProbs` (N, C) / (C) / (N, C, d1, …).
 *
 * @example
 * ```ts
 * const logits = tensor([[2, 0, -1], [0, 1, 0]]);
 * const labels = tensor([0, 1], { dtype: 'int32' });
 * nllLoss(logSoftmax(logits, -1), labels);
 * ```
 */
export function nllLoss(logProbs: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  return classLoss('nllLoss', logProbs, target, options, false);
}

/**
 * Cross-entropy between `input` logits (N, C), (C) or (N, C, d1, …) — class dim 1 as PyTorch — and
 * either int32 class indices (N) / (N, d1, …) or float class probabilities of the input's shape.
 * Supports `ignoreIndex`, `labelSmoothing` and `reduction` with PyTorch's semantics.
 *
 * @example
 * ```ts
 * const [B, T, vocab] = [2, 3, 5];
 * const logits = randn([B, T, vocab]);
 * const targets = tensor([[1, 2, -100], [0, 4, 3]], { dtype: 'int32' }); // -100: not counted
 * const loss = crossEntropy(logits.reshape([-1, vocab]), targets.reshape([-1]), { ignoreIndex: -100 });
 * ```
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  return classLoss('crossEntropy', input, target, options, true);
}

function classLoss(op: string, input: Tensor, target: Tensor, options: CrossEntropyOptions, fromLogits: boolean): Tensor {
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  checkDtype(op, 'input', input, ['float32']);
  checkSameBackend(op, input, target);
  const { ignoreIndex = -100, labelSmoothing = 0, reduction = 'mean' } = options;
  checkReduction(op, reduction);
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new RangeError(`${op}: labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
  if (input.ndim === 0) throw new RangeError(`${op}: input must have at least 1 dim (the classes), got a scalar`);
  const classes = input.shape[input.ndim === 1 ? 0 : 1];
  const rows = classesLast(input);
  const backend = rows.backend;
  const fused = fromLogits && target.dtype === 'int32' && !!backend.crossEntropy && !!backend.crossEntropyBackward && rows.size > 0;
  const logProbs = fromLogits && !fused ? logSoftmax(rows, -1) : rows;

  if (target.dtype === 'float32') {
    // Class probabilities: loss = −Σ_c q_c log p_c with q smoothed toward uniform.
    if (!shapesEqual(target.shape, input.shape)) {
      throw new RangeError(`${op}: probability targets must have the input's shape ${formatShape(input.shape)}, got ${formatShape(target.shape)}`);
    }
    let q = classesLast(target);
    if (labelSmoothing > 0) q = add(mul(q, 1 - labelSmoothing), labelSmoothing / classes);
    const perRow = neg(sum(mul(q, logProbs), -1));
    const shaped = input.ndim === 1 ? squeeze(perRow, 0) : reshape(perRow, [input.shape[0], ...input.shape.slice(2)]);
    return reduce(shaped, reduction);
  }

  checkDtype(op, 'target', target, ['int32']);
  const expected = input.ndim === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (!shapesEqual(target.shape, expected)) {
    throw new RangeError(`${op}: target must have shape ${formatShape(expected)} for input ${formatShape(input.shape)}, got ${formatShape(target.shape)}`);
  }
  checkIndexRange(op, target, classes, ignoreIndex);
  if (fused) {
    return fusedCrossEntropy(rows, target, expected, ignoreIndex, labelSmoothing, reduction);
  }
  const flatTarget = reshape(target, [-1, 1]);
  const keep = ne(flatTarget, ignoreIndex); // (R, 1) bool
  const safeTarget = where(keep, flatTarget, 0);
  const picked = gather(logProbs, 1, safeTarget); // (R, 1)
  let perRow = neg(picked);
  if (labelSmoothing > 0) {
    // (1 − ε)·(−log p_y) + ε·mean_c(−log p_c)   (Szegedy et al. 2016 §7; PyTorch's formulation)
    const uniform = neg(mean(logProbs, -1, true));
    perRow = add(mul(perRow, 1 - labelSmoothing), mul(uniform, labelSmoothing));
  }
  const keepFloat = toDtype(keep, 'float32');
  const masked = mul(perRow, keepFloat); // ignored targets contribute 0 loss and 0 gradient
  const losses = reshape(masked, expected);
  if (reduction === 'none') return losses;
  if (reduction === 'sum') return sum(losses);
  return sum(losses).div(sum(keepFloat)); // mean over non-ignored targets (NaN if all are ignored, as PyTorch)
}

/**
 * Cross-entropy of int32 targets on the backend's fused kernel: per-row loss and log-sum-exp in one
 * pass, the gradient softmax − smoothed one-hot in another, no (R, C) log-probabilities kept.
 */
function fusedCrossEntropy(rows: Tensor, target: Tensor, expected: number[], ignoreIndex: number, labelSmoothing: number, reduction: Reduction): Tensor {
  const backend = rows.backend;
  const [count, classes] = rows.shape;
  const flatTarget = reshape(target, [-1]);
  const result = backend.crossEntropy!(rows.storage, flatTarget.storage, count, classes, ignoreIndex, labelSmoothing);
  let perRow = wrap(backend, result.loss, [count], 'float32');
  if (needsGrad(rows)) {
    const logSumExp = wrap(backend, result.logSumExp, [count], 'float32');
    perRow = record(perRow, 'crossEntropy', [rows], (g) => [
      wrap(backend, backend.crossEntropyBackward!(rows.storage, flatTarget.storage, logSumExp.storage, g.storage, count, classes, ignoreIndex, labelSmoothing), rows.shape, 'float32'),
    ]);
  } else backend.free(result.logSumExp);
  const losses = reshape(perRow, expected);
  if (reduction === 'none') return losses;
  if (reduction === 'sum') return sum(losses);
  const kept = sum(toDtype(ne(flatTarget, ignoreIndex), 'float32'));
  return sum(losses).div(kept); // mean over non-ignored targets (NaN if all are ignored, as PyTorch)
}

/**
 * Mean squared error (input − target)², with `reduction`.
 *
 * @example
 * ```ts
 * const values = tensor([0.5, 1.0]);
 * const returns = tensor([1.0, 1.0]);
 * mseLoss(values, returns); // 0.125
 * ```
 */
export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  checkPair('mseLoss', input, target);
  const { reduction = 'mean' } = options;
  checkReduction('mseLoss', reduction);
  const diff = sub(input, target);
  return reduce(mul(diff, diff), reduction);
}

/**
 * Huber loss (Huber 1964): ½d² where |d| < delta, else delta·(|d| − ½delta), as `torch.nn.HuberLoss`.
 *
 * @example
 * ```ts
 * const qValues = tensor([1.0, 2.5, 0.2]);
 * const targets = tensor([1.2, 0.5, 0.1]);
 * huberLoss(qValues, targets, { delta: 1 });
 * ```
 */
export function huberLoss(input: Tensor, target: Tensor, options: { delta?: number; reduction?: Reduction } = {}): Tensor {
  checkPair('huberLoss', input, target);
  const { delta = 1, reduction = 'mean' } = options;
  checkReduction('huberLoss', reduction);
  if (!(delta > 0)) throw new RangeError(`huberLoss: delta must be positive, got ${delta}`);
  const d = sub(input, target);
  const a = abs(d);
  const quadratic = mul(mul(d, d), 0.5);
  const linear = mul(sub(a, 0.5 * delta), delta);
  return reduce(where(a.lt(delta), quadratic, linear), reduction);
}

/**
 * Smooth L1 loss (Girshick 2015): ½d²/beta where |d| < beta, else |d| − ½beta, as `torch.nn.SmoothL1Loss`.
 * Equals `huberLoss / beta`.
 *
 * @example
 * ```ts
 * const pred = tensor([0.2, 3]);
 * const target = tensor([0, 0]);
 * smoothL1Loss(pred, target, { beta: 1 });
 * ```
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: { beta?: number; reduction?: Reduction } = {}): Tensor {
  checkPair('smoothL1Loss', input, target);
  const { beta = 1, reduction = 'mean' } = options;
  checkReduction('smoothL1Loss', reduction);
  if (!(beta >= 0)) throw new RangeError(`smoothL1Loss: beta must be non-negative, got ${beta}`);
  const d = sub(input, target);
  const a = abs(d);
  if (beta === 0) return reduce(a, reduction);
  return reduce(where(a.lt(beta), mul(mul(d, d), 0.5 / beta), sub(a, 0.5 * beta)), reduction);
}

/**
 * Binary cross-entropy on logits, stably: max(x, 0) − x·y + log(1 + e^−|x|); `posWeight` scales
 * the positive term as in PyTorch.
 *
 * @example
 * ```ts
 * const logits = tensor([0.5, -1, 2]);
 * const labels = tensor([1, 0, 1], { dtype: 'int32' });
 * binaryCrossEntropyWithLogits(logits, labels.float());
 * ```
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: { reduction?: Reduction; posWeight?: Tensor | number } = {}): Tensor {
  checkPair('binaryCrossEntropyWithLogits', input, target);
  const { reduction = 'mean', posWeight } = options;
  checkReduction('binaryCrossEntropyWithLogits', reduction);
  // log(1 + e^−|x|) + max(−x, 0) = −log σ(x)
  const softplusNeg = add(log1p(exp(neg(abs(input)))), relu(neg(input)));
  let loss: Tensor;
  if (posWeight === undefined) {
    loss = add(mul(rsub(target, 1), input), softplusNeg);
  } else {
    // (1 − y)·x + (1 + (w − 1)·y)·softplus(−x)
    const weight = add(mul(target, typeof posWeight === 'number' ? posWeight - 1 : sub(posWeight, 1)), 1);
    loss = add(mul(rsub(target, 1), input), mul(weight, softplusNeg));
  }
  return reduce(loss, reduction);
}

function checkPair(op: string, input: Tensor, target: Tensor): void {
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  checkDtype(op, 'input', input, ['float32']);
  checkDtype(op, 'target', target, ['float32']);
  checkSameBackend(op, input, target);
  if (!shapesEqual(input.shape, target.shape)) {
    throw new RangeError(`${op}: input shape ${formatShape(input.shape)} and target shape ${formatShape(target.shape)} must match`);
  }
}

/**
 * Options of `scaledDotProductAttention`.
 *
 * @example
 * ```ts
 * const [q, k, v] = [randn([1, 2, 4, 8]), randn([1, 2, 4, 8]), randn([1, 2, 4, 8])];
 * const options: AttentionOptions = { isCausal: true, dropoutP: 0.1, training: true, generator: new Generator(0) };
 * scaledDotProductAttention(q, k, v, options);
 * ```
 */
export interface AttentionOptions {
  /** Bool mask broadcastable to (…, L, S): true where attention is allowed. */
  attnMask?: Tensor | null;
  /** Apply the causal mask (query i attends to keys j ≤ i), as a decoder does. */
  isCausal?: boolean;
  /** Dropout probability on the attention weights (only while `training`). */
  dropoutP?: number;
  /** Whether dropout is active. */
  training?: boolean;
  /** Scale of q·kᵀ; defaults to 1/√E (Vaswani et al. 2017, eq. 1). */
  scale?: number;
  /** Generator for the dropout mask. */
  generator?: Generator;
}

/**
 * softmax(q·kᵀ·scale + mask)·v over the last two dims, as `torch.nn.functional.scaled_dot_product_attention`:
 * query (…, L, E), key (…, S, E), value (…, S, Ev) → (…, L, Ev).
 *
 * @example
 * ```ts
 * const [B, nHead, T, headSize] = [1, 2, 4, 8];
 * const [q, k, v] = [randn([B, nHead, T, headSize]), randn([B, nHead, T, headSize]), randn([B, nHead, T, headSize])];
 * const y = scaledDotProductAttention(q, k, v, { isCausal: true }); // (B, nHead, T, headSize)
 * ```
 */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, options: AttentionOptions = {}): Tensor {
  checkTensor('scaledDotProductAttention', 'query', query);
  checkTensor('scaledDotProductAttention', 'key', key);
  checkTensor('scaledDotProductAttention', 'value', value);
  const { attnMask = null, isCausal = false, dropoutP = 0, training = true, generator } = options;
  if (isCausal && attnMask) throw new RangeError('scaledDotProductAttention: pass either isCausal or attnMask, not both');
  const headSize = query.shape[query.ndim - 1];
  const scale = options.scale ?? 1 / Math.sqrt(headSize);
  if (!attnMask && !(dropoutP > 0 && training) && fusedAttentionEligible(query, key, value)) {
    const fused = fusedAttention(query, key, value, scale, isCausal);
    if (fused) return fused;
  }
  const scores = mul(matmulTransposed(query, key), scale); // (…, L, S)
  let masked = scores;
  if (isCausal || attnMask) {
    const L = query.shape[query.ndim - 2];
    const S = key.shape[key.ndim - 2];
    let allowed = attnMask;
    if (!allowed) {
      const ones = full([L, S], 1, { backend: query.backend });
      allowed = ne(tril(ones), 0);
      ones.dispose();
    } else checkDtype('scaledDotProductAttention', 'attnMask', allowed, ['bool']);
    masked = where(allowed, scores, -Infinity);
    if (!attnMask && !masked.requiresGrad) allowed.dispose(); // where's backward reads the mask
  }
  let weights = softmax(masked, -1);
  if (dropoutP > 0 && training) weights = dropout(weights, dropoutP, true, generator);
  return matmul(weights, value);
}

/** Whether the backend's fused attention applies: float32 3-D/4-D inputs with matching leading dims. */
function fusedAttentionEligible(query: Tensor, key: Tensor, value: Tensor): boolean {
  const backend = query.backend;
  if (!backend.attention || !backend.attentionBackward) return false;
  if (key.backend !== backend || value.backend !== backend) return false;
  const n = query.ndim;
  if ((n !== 3 && n !== 4) || key.ndim !== n || value.ndim !== n) return false;
  if (query.dtype !== 'float32' || key.dtype !== 'float32' || value.dtype !== 'float32') return false;
  for (let d = 0; d < n - 2; d++) if (key.shape[d] !== query.shape[d] || value.shape[d] !== query.shape[d]) return false;
  if (key.shape[n - 1] !== query.shape[n - 1] || value.shape[n - 2] !== key.shape[n - 2]) return false;
  return query.size > 0 && key.size > 0 && value.size > 0;
}

/**
 * Attention on the backend's fused kernel (FlashAttention, Dao et al. 2022): the (L, S) score
 * matrix is never materialised; the per-row log-sum-exp is kept for the backward pass.
 */
function fusedAttention(query: Tensor, key: Tensor, value: Tensor, scale: number, causal: boolean): Tensor | null {
  const backend = query.backend;
  const n = query.ndim;
  const lengthQ = query.shape[n - 2];
  const lengthK = key.shape[n - 2];
  const headSize = query.shape[n - 1];
  const valueSize = value.shape[n - 1];
  const batch = query.size / (lengthQ * headSize);
  const result = backend.attention!(query.storage, key.storage, value.storage, batch, lengthQ, lengthK, headSize, valueSize, scale, causal);
  if (!result) return null;
  const out = wrap(backend, result.out, [...query.shape.slice(0, n - 1), valueSize], 'float32');
  const inputs = [query, key, value];
  if (!inputs.some((t) => needsGrad(t))) {
    backend.free(result.logSumExp);
    return out;
  }
  const logSumExp = wrap(backend, result.logSumExp, [batch * lengthQ], 'float32');
  return record(out, 'scaledDotProductAttention', inputs, (g) => {
    const grads = backend.attentionBackward!(query.storage, key.storage, value.storage, out.storage, logSumExp.storage, g.storage, batch, lengthQ, lengthK, headSize, valueSize, scale, causal);
    return [wrap(backend, grads.dq, query.shape, 'float32'), wrap(backend, grads.dk, key.shape, 'float32'), wrap(backend, grads.dv, value.shape, 'float32')];
  });
}
