// The backend contract: the small set of primitive kernels every backend implements.
// Everything user-facing (ops, broadcasting rules, gradients) is composed above this file,
// so adding a backend means implementing this interface and nothing more.
//
// Storage handles are opaque to the core. A backend may execute asynchronously (WebGPU):
// every method returns at once with a handle, and only `read` waits for results.

import type { DType, TypedArray } from './dtype.js';
import type { Shape } from './shape.js';

/**
 * Version of this contract; a backend states the version it implements.
 *
 * @example
 * ```ts
 * if (BACKEND_CONTRACT_VERSION !== 1) throw new Error('this backend implements contract version 1');
 * ```
 */
export const BACKEND_CONTRACT_VERSION = 1 as const;

/**
 * Elementwise ops of one operand. Float ops read and write float32; `neg`, `abs`, `sign` keep int32; `logicalNot` maps to bool.
 *
 * @example
 * ```ts
 * const op: UnaryOp = 'gelu';
 * ```
 */
export type UnaryOp =
  | 'neg' | 'abs' | 'sign' | 'exp' | 'expm1' | 'log' | 'log1p' | 'sqrt' | 'rsqrt' | 'reciprocal' | 'square'
  | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'logSigmoid' | 'relu' | 'gelu' | 'geluTanh' | 'silu' | 'softplus'
  | 'erf' | 'floor' | 'ceil' | 'round' | 'logicalNot';

/**
 * Elementwise ops of two operands with broadcasting. Comparisons and logical ops write bool.
 * The `*Backward` ops fuse an activation's gradient, a = upstream gradient: tanh's a·(1 − b²) and
 * sigmoid's a·b·(1 − b) take the forward output b; relu's (b > 0 ? a : 0) and GPT-2 GELU's
 * a·gelu′(b) take the input b.
 *
 * @example
 * ```ts
 * const op: BinaryOp = 'maximum';
 * ```
 */
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'mod'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'logicalAnd' | 'logicalOr'
  | 'tanhBackward' | 'sigmoidBackward' | 'reluBackward' | 'geluTanhBackward';

/**
 * Reductions over the middle axis of an (outer, size, inner) view.
 *
 * @example
 * ```ts
 * const op: ReduceOp = 'max';
 * ```
 */
export type ReduceOp = 'sum' | 'max' | 'min' | 'prod';

/**
 * Hyper-parameters of one fused Adam/AdamW step (torch.optim.Adam / AdamW semantics).
 *
 * @example
 * ```ts
 * const step: AdamStep = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, step: 1 };
 * ```
 */
export interface AdamStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW's decoupled decay (Loshchilov & Hutter 2019) instead of L2 added to the gradient. */
  decoupled: boolean;
  /** 1-based step count, used for bias correction. */
  step: number;
}

/**
 * A compute backend. `S` is the backend's storage handle; sizes are element counts and shapes
 * are row-major. Inputs are never mutated except by the methods documented as in-place.
 *
 * @example
 * ```ts
 * const backend: Backend = getBackend();
 * console.log(backend.name); // 'cpu'
 * ```
 */
export interface Backend<S = unknown> {
  /** Short name used by `setBackend` and in error messages: `'cpu'`, `'webgpu'`. */
  readonly name: string;
  /** The contract version this backend implements. */
  readonly contractVersion: typeof BACKEND_CONTRACT_VERSION;

  // --- storage ---------------------------------------------------------------------------
  /** Copies host values into new storage of `dtype`. */
  upload(values: TypedArray, dtype: DType): S;
  /** New storage of `size` elements all equal to `value`. */
  fill(size: number, dtype: DType, value: number): S;
  /** Resolves with a host copy of the storage (the only way results reach JavaScript). */
  read(storage: S, dtype: DType, size: number): Promise<TypedArray>;
  /** Synchronous read, offered only by backends that compute synchronously (the CPU). */
  readSync?(storage: S, dtype: DType, size: number): TypedArray;
  /** Releases storage; the handle must not be used again. */
  free(storage: S): void;
  /** Bytes held by the storage. */
  byteLength(storage: S): number;

  // --- elementwise -----------------------------------------------------------------------
  unary(op: UnaryOp, x: S, size: number, dtype: DType): S;
  /** `b` may be a JavaScript number (a scalar operand, broadcast everywhere). */
  binary(op: BinaryOp, a: S, aShape: Shape, b: S | number, bShape: Shape, outShape: Shape, inDtype: DType, outDtype: DType): S;
  where(condition: S, conditionShape: Shape, a: S, aShape: Shape, b: S, bShape: Shape, outShape: Shape, dtype: DType): S;
  cast(x: S, size: number, from: DType, to: DType): S;

  // --- reductions and scans --------------------------------------------------------------
  reduce(op: ReduceOp, x: S, outer: number, size: number, inner: number, dtype: DType): S;
  /** Index (int32) of the max/min along the middle axis; the first index wins ties. */
  argReduce(op: 'argmax' | 'argmin', x: S, outer: number, size: number, inner: number, dtype: DType): S;
  cumsum(x: S, outer: number, size: number, inner: number, dtype: DType): S;

  // --- linear algebra --------------------------------------------------------------------
  /**
   * out[b] = op(A[b]) · op(B[b]) for b < batch, with A (m, k) — stored (k, m) when `transA` — and
   * B (k, n) — stored (n, k) when `transB`. Batch strides are in elements; 0 broadcasts one matrix.
   */
  matmul(a: S, b: S, batch: number, m: number, k: number, n: number, transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number): S;

  /**
   * Optional fused `x·Wᵀ + bias` for x (m, k), weight (n, k), bias (n): the bias is added while the
   * output is written instead of in a second pass. Backends without it get matmul + add.
   */
  linear?(x: S, weight: S, bias: S, m: number, k: number, n: number): S;
  /**
   * Optional fused gradients of `y = x·Wᵀ (+ bias)` for x (m, k), weight (n, k) from the upstream
   * gradient dy (m, n): dx = dy·W (m, k) when `wantX`, dweight = dyᵀ·x (n, k) when `wantWeight`,
   * dbias = Σ_rows dy (n) when `wantBias`; the others are null. dy is read once for all three (the
   * CPU backend copies it into WebAssembly memory once instead of three times). Backends without it
   * get two matmuls and a sum.
   */
  linearBackward?(dy: S, x: S, weight: S, m: number, k: number, n: number, wantX: boolean, wantWeight: boolean, wantBias: boolean): { dx: S | null; dweight: S | null; dbias: S | null };

  // --- fused attention (optional) ------------------------------------------------------
  /**
   * Optional fused attention (FlashAttention, Dao et al. 2022): for each of `batch` (batch·heads)
   * slices, out = softmax(q·kᵀ·scale [causal: key j ≤ query i]) · v with q (lengthQ, headSize),
   * k (lengthK, headSize), v (lengthK, valueSize), all float32. Also returns the per-row
   * log-sum-exp of the scaled scores (batch·lengthQ), which the backward pass reuses.
   * Backends without it, or returning null (a shape the kernel does not take), get the composed
   * matmul → softmax → matmul path.
   */
  attention?(q: S, k: S, v: S, batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean): { out: S; logSumExp: S } | null;
  /**
   * Gradients of `attention` from its inputs, output, saved log-sum-exp and the upstream gradient
   * `dOut`; the probabilities are recomputed rather than stored (Dao et al. 2022, Alg. 4).
   */
  attentionBackward?(q: S, k: S, v: S, out: S, logSumExp: S, dOut: S, batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean): { dq: S; dk: S; dv: S };

  // --- fused cross-entropy (optional) ---------------------------------------------------
  /**
   * Optional fused cross-entropy of (rows, classes) float32 logits against int32 class `target`
   * (rows): per-row loss (1 − ε)·(lse − x_y) + ε·(lse − mean_c x_c) with lse the row's log-sum-exp
   * and ε = `labelSmoothing` (Szegedy et al. 2016); rows whose target is `ignoreIndex` get 0. Also
   * returns lse per row for the backward pass. Backends without it get logSoftmax + gather.
   */
  crossEntropy?(logits: S, target: S, rows: number, classes: number, ignoreIndex: number, labelSmoothing: number): { loss: S; logSumExp: S };
  /** Gradient of `crossEntropy`: dx = dLoss_r·(softmax(x) − (1 − ε)·onehot(y) − ε/C), 0 on ignored rows. */
  crossEntropyBackward?(logits: S, target: S, logSumExp: S, dLoss: S, rows: number, classes: number, ignoreIndex: number, labelSmoothing: number): S;

  // --- layout ----------------------------------------------------------------------------
  /** Materialises a strided view: out[i] = x[offset + Σ index_d · strides[d]] over `outShape` (stride 0 broadcasts). */
  stridedCopy(x: S, outShape: Shape, strides: readonly number[], offset: number, dtype: DType): S;
  /** Concatenates along the middle axis: input j is (outer, sizes[j], inner). */
  concat(inputs: readonly S[], sizes: readonly number[], outer: number, inner: number, dtype: DType): S;
  /** Lower (`upper` false) or upper triangle of each (rows, cols) matrix; the rest becomes 0. */
  triangle(x: S, batch: number, rows: number, cols: number, diagonal: number, upper: boolean, dtype: DType): S;

  // --- indexing (index storages are int32; out-of-range indices are checked by the core) ---
  /** out[o, j, i] = x[o, index[o, j, i], i]; x is (outer, size, inner), index/out (outer, indexSize, inner). */
  gather(x: S, index: S, outer: number, size: number, indexSize: number, inner: number, dtype: DType): S;
  /** out = zeros (outer, size, inner); out[o, index[o, j, i], i] += src[o, j, i]. */
  scatterAdd(index: S, src: S, outer: number, size: number, indexSize: number, inner: number, dtype: DType): S;
  /** out[o, j, i] = x[o, index[j], i]; x is (outer, size, inner), out (outer, indexCount, inner). */
  indexSelect(x: S, index: S, outer: number, size: number, indexCount: number, inner: number, dtype: DType): S;
  /** out = zeros (outer, size, inner); out[o, index[j], i] += src[o, j, i]. */
  indexAdd(index: S, src: S, outer: number, size: number, indexCount: number, inner: number, dtype: DType): S;

  // --- fused kernels ---------------------------------------------------------------------
  /** Softmax (or log-softmax) of each row of a (rows, cols) float32 matrix. */
  softmax(x: S, rows: number, cols: number, log: boolean): S;
  /** Gradient of `softmax` given its output `y` and the upstream gradient `dy`. */
  softmaxBackward(y: S, dy: S, rows: number, cols: number, log: boolean): S;
  /** Layer norm of each row; `weight`/`bias` (length cols) may be null. Also returns per-row mean and 1/std. */
  layerNorm(x: S, weight: S | null, bias: S | null, rows: number, cols: number, eps: number): { out: S; mean: S; rstd: S };
  /** Gradients of `layerNorm`: dx always, dweight/dbias when weight/bias are given. */
  layerNormBackward(dy: S, x: S, weight: S | null, mean: S, rstd: S, rows: number, cols: number, withBias: boolean): { dx: S; dweight: S | null; dbias: S | null };
  /** In place: one Adam/AdamW step on `param`, updating the moments `m` and `v`. */
  adamStep(param: S, grad: S, m: S, v: S, size: number, hyper: AdamStep): void;
}
