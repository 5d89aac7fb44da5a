// WebAssembly SIMD kernels for the CPU backend: matmul (packed and cache-blocked, split across
// worker threads when large), softmax and log-softmax with their backward passes, layer norm
// with its backward pass, and the Adam/AdamW update.
//
// Inputs and outputs are ordinary Float32Arrays on the JS heap; each call copies them into a
// reused region of the module's memory and back, which costs little next to the arithmetic.
// The module is compiled and instantiated synchronously on first use.

import { availableParallelism } from './parallelism';
import { createKernelRuntime, type ActivationBackwardOp, type ElementwiseBinaryOp, type ElementwiseUnaryOp, type KernelRuntime } from './runtime';

export type { ActivationBackwardOp, ElementwiseBinaryOp, ElementwiseUnaryOp, KernelVariant } from './runtime';

/** The kernels the CPU backend calls. All arrays are dense, row-major float32. */
export interface WasmKernels {
  /**
   * out[b] = op(A[b]) @ op(B[b]) for b < batch. A is (m, k) row-major, or (k, m) when transA;
   * B is (k, n), or (n, k) when transB. aBatchStride / bBatchStride are element strides between
   * batch items (0 broadcasts one matrix over the batch). out is (batch, m, n) contiguous. When
   * rowBias (n floats) is given it is added to every output row after the product, as a separate
   * float32 add (the same rounding as adding it afterwards).
   */
  matmul(
    a: Float32Array, b: Float32Array, out: Float32Array, batch: number, m: number, k: number, n: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number, rowBias?: Float32Array | null,
  ): void;
  /**
   * The gradients of y = x·Wᵀ (+ b) for x (m, k), weight (n, k) from dy (m, n), into the non-null
   * outputs: dx = dy·W (m, k), dweight = dyᵀ·x (n, k), dbias = Σ_rows dy (n). dy is read (copied into the
   * module's memory when not resident) once for all three; the values are bit for bit those of `matmul` and `sumRows`.
   */
  linearBackward(
    dy: Float32Array, x: Float32Array, weight: Float32Array, dx: Float32Array | null, dweight: Float32Array | null, dbias: Float32Array | null,
    m: number, k: number, n: number,
  ): void;
  /** out[i] = op(x[i]) for the transcendental activations (tanh, sigmoid, GPT-2 GELU, exp); out may be x. */
  unary(op: ElementwiseUnaryOp, x: Float32Array, out: Float32Array, count: number): void;
  /** out[i] = an activation's gradient from the upstream gradient and the saved output (tanh, sigmoid) or input (GELU). */
  activationBackward(op: ActivationBackwardOp, grad: Float32Array, saved: Float32Array, out: Float32Array, count: number): void;
  /** out[i] = a[i] op b[i] for same-length operands (add, sub, mul), rounded exactly as the JS loops; out may be a or b. */
  binary(op: ElementwiseBinaryOp, a: Float32Array, b: Float32Array, out: Float32Array, count: number): void;
  /**
   * out = the runs of `inner` contiguous floats of x at offset + i0·strides[0] + i1·strides[1] + i2·strides[2]
   * for i0 < sizes[0], i1 < sizes[1], i2 < sizes[2] in order: a strided copy of rank ≤ 4 with a contiguous last dim.
   */
  gatherRuns(x: Float32Array, out: Float32Array, offset: number, sizes: readonly [number, number, number], strides: readonly [number, number, number], inner: number): void;
  /** x[r, :] += bias for every row of a rows x cols matrix, in place (a linear layer's bias). */
  addRowVector(x: Float32Array, bias: Float32Array, rows: number, cols: number): void;
  /** out[j] = sum over rows of x[r, j] (a bias gradient), with blockwise float32 accumulation. */
  sumRows(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  /** Row-wise softmax over the last dimension: rows x cols contiguous. out may be x. */
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  /** Row-wise log-softmax over the last dimension: rows x cols contiguous. out may be x. */
  logSoftmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  /** dx = y * (dy - sum(dy * y)) per row, where y is the softmax output. */
  softmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void;
  /** dx = dy - exp(y) * sum(dy) per row, where y is the log-softmax output. */
  logSoftmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void;
  /**
   * y = (x - mean) * rstd * weight + bias per row (weight / bias may be null: 1 / 0); writes mean
   * and rstd (length rows), with the biased variance as PyTorch.
   */
  layerNorm(
    x: Float32Array, weight: Float32Array | null, bias: Float32Array | null, out: Float32Array,
    mean: Float32Array, rstd: Float32Array, rows: number, cols: number, eps: number,
  ): void;
  /** PyTorch's layer-norm backward: writes dx and, if non-null, dweight / dbias summed over rows (overwritten). */
  layerNormBackward(
    dy: Float32Array, x: Float32Array, weight: Float32Array | null, mean: Float32Array, rstd: Float32Array,
    dx: Float32Array, dweight: Float32Array | null, dbias: Float32Array | null, rows: number, cols: number,
  ): void;
  /**
   * Fused attention per batch item (batch · heads): out = softmax(q·kᵀ·scale, causal: key j ≤ query
   * i)·v and the rows' log-sum-exp (−∞ where no key is visible; the output row is then 0). q is
   * (batch, lengthQ, headSize), k (batch, lengthK, headSize), v (batch, lengthK, valueSize), out
   * (batch, lengthQ, valueSize), logSumExp (batch, lengthQ); a causal product scores only visible keys.
   */
  attention(
    q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, logSumExp: Float32Array,
    batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean,
  ): void;
  /** Gradients dq, dk, dv (overwritten) of `attention` from its inputs, output, log-sum-exp and dOut. */
  attentionBackward(
    q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, logSumExp: Float32Array, dOut: Float32Array,
    dq: Float32Array, dk: Float32Array, dv: Float32Array,
    batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean,
  ): void;
  /**
   * In-place Adam / AdamW step exactly as torch.optim.Adam / AdamW (amsgrad=False, foreach=False):
   * if (weightDecay && !decoupled) g = g + weightDecay * p; if (decoupled) p *= 1 - lr * weightDecay;
   * m = lerp(m, g, 1 - beta1); v = beta2 * v + (1 - beta2) * g * g;
   * p -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps). step >= 1. Mutates param, m, v.
   */
  adam(
    param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, lr: number,
    beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: boolean, step: number,
  ): void;
  /**
   * A float32 array of `count` elements (contents unspecified) in the kernels' own shared memory,
   * which every kernel then uses where it lies instead of copying it in and out; null where that
   * memory is unavailable (no SharedArrayBuffer) or full, and for 16 elements or fewer. Give it back
   * with `release`.
   */
  allocate(count: number): Float32Array | null;
  /** Gives back an array from `allocate`, returning true; false (nothing done) for any other array. */
  release(array: Float32Array): boolean;
  /** Bytes of arrays from `allocate` not yet given back. */
  readonly residentBytes: number;
}

/** Default thread count: the available parallelism, at most 8. */
const DEFAULT_MAX_THREADS = 8;

let runtime: KernelRuntime | null | undefined;
let threadCount = Math.max(1, Math.min(DEFAULT_MAX_THREADS, availableParallelism()));

function loadRuntime(): KernelRuntime | null {
  if (runtime === undefined) runtime = createKernelRuntime(threadCount);
  return runtime;
}

/**
 * The kernels, or null when WebAssembly SIMD (or shared memory) is unavailable, in which case the
 * backend uses plain JS. Loads the module on first call.
 *
 * @example
 * const kernels = wasmKernels();
 * if (kernels) kernels.matmul(a, b, out, 1, m, k, n, false, false, 0, 0);
 */
export function wasmKernels(): WasmKernels | null {
  return runtime === undefined ? loadRuntime() : runtime;
}

/**
 * Sets the number of threads (main thread included) used for large matmuls; 1 disables workers.
 * Values are clamped to [1, 16]. Workers no longer needed stay parked (blocked, using no CPU, never
 * keeping the process alive) so that changing the count back is free; terminateWorkers() stops them.
 *
 * @example
 * setNumThreads(1); // single-threaded timing
 *
 * @example
 * ```ts
 * setNumThreads(2); // the wasm kernels may split work across 2 threads
 * ```
 */
export function setNumThreads(n: number): void {
  threadCount = Math.max(1, Math.min(16, Math.floor(n)));
  if (runtime) runtime.threadCount = threadCount;
}

/**
 * Stops every worker thread now, e.g. before a long single-threaded phase, to release their memory.
 * They start again on the next large matmul if the thread count is above 1.
 *
 * @example
 * terminateWorkers();
 *
 * @example
 * ```ts
 * setNumThreads(2);
 * terminateWorkers(); // lets a script exit without waiting for idle worker threads
 * ```
 */
export function terminateWorkers(): void {
  runtime?.terminateWorkers();
}

/**
 * Number of threads used for large matmuls (default: os.availableParallelism(), at most 8).
 *
 * @example
 * console.log(`matmul threads: ${getNumThreads()}`);
 *
 * @example
 * ```ts
 * getNumThreads(); // CPU worker threads the wasm kernels may use
 * ```
 */
export function getNumThreads(): number {
  return threadCount;
}

/**
 * Which build of the kernels is loaded ('relaxed-simd' where the engine supports fused
 * multiply-add, else 'simd'), or null when none could be loaded. For diagnostics and benchmarks.
 * Relaxed SIMD is on by default from Node 21; on Node 20 the loader switches V8's
 * `--experimental-wasm-relaxed-simd` on before compiling. Set the environment variable
 * `ATTUNE_WASM_RELAXED_SIMD=0` to keep the plain build, e.g. to get the same float32 rounding on
 * every machine (fused multiply-add rounds once where multiply then add rounds twice).
 *
 * @example
 * console.log(wasmKernelVariant()); // 'relaxed-simd' on Node 20+ with ATTUNE_WASM_RELAXED_SIMD unset
 *
 * @example
 * ```ts
 * wasmKernelVariant(); // 'simd', 'relaxed-simd', or null before the kernels load
 * ```
 */
export function wasmKernelVariant(): 'relaxed-simd' | 'simd' | null {
  return loadRuntime()?.variant ?? null;
}

/**
 * Threads (main thread included) the most recent matmul ran on; 0 before any. For tests and benchmarks.
 *
 * @example
 * kernels.matmul(a, b, out, 1, 1024, 1024, 1024, false, false, 0, 0);
 * console.log(wasmMatmulThreadsUsed()); // 2 on two cores once the workers are up
 */
export function wasmMatmulThreadsUsed(): number {
  return runtime?.lastMatmulThreads ?? 0;
}

/**
 * Threads (main thread included) that took part in the most recent fused attention or activation
 * (unary, activationBackward) kernel call; 0 before any. For tests and benchmarks.
 *
 * @example
 * kernels.attention(q, k, v, out, lse, 32, 128, 128, 32, 32, 0.18, true);
 * console.log(wasmJobThreadsUsed()); // 2 on two cores once the workers are up
 */
export function wasmJobThreadsUsed(): number {
  return runtime?.lastJobThreads ?? 0;
}

/**
 * How jobs large enough to split across threads are run: 'auto' (the default) splits a job shape
 * only while that has recently been faster than one thread (on a busy machine it often is not)
 * and pauses splitting after splits that did not pay; 'always' splits every one, pause or not,
 * for tests of the threaded paths.
 *
 * @example
 * setSplitMode('always'); // exercise the worker threads whatever the load
 */
export function setSplitMode(mode: 'auto' | 'always'): void {
  const kernels = loadRuntime();
  if (kernels) kernels.chooser.mode = mode;
}
