// The CPU backend: the reference implementation ("the oracle") every other backend must match.
// Storage is a plain typed array. Plain-JavaScript loops define the semantics; when the
// WebAssembly SIMD kernels are available, matmul and the fused kernels run there instead
// (they are tested against these loops).

import { BACKEND_CONTRACT_VERSION, type AdamStep, type Backend, type BinaryOp, type ReduceOp, type UnaryOp } from '../../backend.js';
import { allocArray, dtypeOfArray, type DType, type TypedArray } from '../../dtype.js';
import { sizeOf, stridesOf, type Shape } from '../../shape.js';
import { binaryLoops, reduceLoop, unaryLoop } from './kernels.js';
import { wasmKernels } from './wasm/index.js';

/**
 * The optional fast kernels (WebAssembly SIMD) the CPU backend delegates to. Same semantics as the JS loops below.
 *
 * @example
 * ```ts
 * // A backend plugs in its own kernels; unset ones fall back to TypeScript.
 * const kernels: Partial<FastKernels> = {
 *   addRowVector(x, bias, rows, cols) {
 *     for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) x[r * cols + c] += bias[c];
 *   },
 * };
 * ```
 */
export interface FastKernels {
  addRowVector?(x: Float32Array, bias: Float32Array, rows: number, cols: number): void;
  sumRows?(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  unary?(op: 'tanh' | 'sigmoid' | 'geluTanh' | 'exp', x: Float32Array, out: Float32Array, count: number): void;
  binary?(op: 'add' | 'sub' | 'mul', a: Float32Array, b: Float32Array, out: Float32Array, count: number): void;
  gatherRuns?(x: Float32Array, out: Float32Array, offset: number, sizes: readonly [number, number, number], strides: readonly [number, number, number], inner: number): void;
  activationBackward?(op: 'tanhBackward' | 'sigmoidBackward' | 'geluTanhBackward', grad: Float32Array, saved: Float32Array, out: Float32Array, count: number): void;
  /** out = op(A) @ op(B), plus `rowBias` (n floats) added to every output row when given (a linear layer's bias). */
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, batch: number, m: number, k: number, n: number, transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number, rowBias?: Float32Array | null): void;
  /** dx = dy·W, dweight = dyᵀ·x, dbias = Σ_rows dy into the non-null outputs (a linear layer's gradients), dy read once. */
  linearBackward?(dy: Float32Array, x: Float32Array, weight: Float32Array, dx: Float32Array | null, dweight: Float32Array | null, dbias: Float32Array | null, m: number, k: number, n: number): void;
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  logSoftmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  softmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void;
  logSoftmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void;
  layerNorm(x: Float32Array, weight: Float32Array | null, bias: Float32Array | null, out: Float32Array, mean: Float32Array, rstd: Float32Array, rows: number, cols: number, eps: number): void;
  layerNormBackward(dy: Float32Array, x: Float32Array, weight: Float32Array | null, mean: Float32Array, rstd: Float32Array, dx: Float32Array, dweight: Float32Array | null, dbias: Float32Array | null, rows: number, cols: number): void;
  attention?(q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, logSumExp: Float32Array, batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean): void;
  attentionBackward?(q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, logSumExp: Float32Array, dOut: Float32Array, dq: Float32Array, dk: Float32Array, dv: Float32Array, batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean): void;
  adam(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: boolean, step: number): void;
  /**
   * A float32 array in the kernels' own memory, which they then use without copying, or null; the
   * backend allocates its float32 storage here when the kernels offer it.
   */
  allocate?(count: number): Float32Array | null;
  /** Gives back an array from `allocate` (true), or does nothing for any other array (false). */
  release?(array: Float32Array): boolean;
}

/** Below this many elements the JavaScript loop beats copying into WebAssembly memory and back. */
const FAST_ELEMENTWISE_MIN = 1024;
const FAST_UNARY: ReadonlySet<UnaryOp> = new Set(['tanh', 'sigmoid', 'geluTanh', 'exp']);
const FAST_BACKWARD: ReadonlySet<BinaryOp> = new Set(['tanhBackward', 'sigmoidBackward', 'geluTanhBackward']);
const FAST_BINARY: ReadonlySet<BinaryOp> = new Set(['add', 'sub', 'mul']);
/**
 * Same-shape add/sub/mul and strided copies go to the SIMD kernels from this many elements: copying
 * the operands into WebAssembly memory and back (~20 µs a MiB) then costs less than the JS loop saves.
 */
const FAST_ARITHMETIC_MIN = 16384;

/** Contiguous runs up to this length are copied by a loop in stridedCopy, longer ones by subarray + set. */
const STRIDED_SET_MIN = 64;

/** Arrays shorter than this are cheap to allocate (V8 keeps them on the heap) and are not pooled. */
const POOL_MIN_ELEMENTS = 32;
/**
 * Float32 storage from this many elements lives in the fast kernels' own memory when they offer it
 * (FastKernels.allocate), so that they use it without copying; below, copying costs less than the
 * bookkeeping.
 */
const RESIDENT_MIN_ELEMENTS = 1024;

function poolKey(dtype: DType, size: number): number {
  return size * 4 + (dtype === 'float32' ? 0 : dtype === 'int32' ? 1 : 2);
}

/** Strides of `shape` aligned to `outShape` for broadcasting (0 on broadcast dims). */
function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = stridesOf(shape);
  const out = new Array<number>(outShape.length).fill(0);
  const offset = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[offset + i] = shape[i] === 1 ? 0 : strides[i];
  return out;
}

let rowScratch = new Float64Array(64);
function scratchRow(length: number): Float64Array {
  if (rowScratch.length < length) rowScratch = new Float64Array(Math.max(length, rowScratch.length * 2));
  rowScratch.fill(0, 0, length);
  return rowScratch;
}

/**
 * The synchronous CPU backend. Use through `setBackend('cpu')`; it is the default.
 *
 * @example
 * ```ts
 * const cpu: CpuBackend = cpuBackend();
 * cpu.name; // 'cpu'
 * ```
 */
export class CpuBackend implements Backend<TypedArray> {
  readonly name = 'cpu';
  readonly contractVersion = BACKEND_CONTRACT_VERSION;
  private fastKernels: FastKernels | null | undefined = undefined;

  /**
   * The fast kernels in use (WebAssembly SIMD, loaded on first use), or null for the plain-JavaScript
   * reference loops. Assign null to force the reference loops, e.g. to test one against the other.
   */
  get fast(): FastKernels | null {
    if (this.fastKernels === undefined) this.fastKernels = wasmKernels();
    return this.fastKernels;
  }

  set fast(kernels: FastKernels | null) {
    this.fastKernels = kernels;
  }

  private pool = new Map<number, TypedArray[]>();
  private pooledBytes = 0;

  /**
   * Bytes the free-list may hold for reuse. Allocating a large typed array costs microseconds (a
   * zeroed off-heap backing store, and garbage-collector pressure), far more than the small ops of
   * RL networks compute, so storage freed by `dispose`/`tidy` is reused for the next array of the
   * same dtype and length.
   */
  poolLimitBytes = 256 * 1024 * 1024;

  /** The kernels the resident storage came from, which take it back in `free`. */
  private residentSource: FastKernels | null = null;

  /** An array of `size` elements of `dtype` whose contents are unspecified (every kernel overwrites it). */
  private alloc(dtype: DType, size: number): TypedArray {
    if (dtype === 'float32' && size >= RESIDENT_MIN_ELEMENTS) {
      const fast = this.fast;
      const resident = fast?.allocate?.(size);
      if (resident) {
        this.residentSource = fast;
        return resident;
      }
    }
    if (size >= POOL_MIN_ELEMENTS) {
      const reused = this.pool.get(poolKey(dtype, size))?.pop();
      if (reused) {
        this.pooledBytes -= reused.byteLength;
        return reused;
      }
    }
    return allocArray(dtype, size);
  }

  private allocZeroed(dtype: DType, size: number): TypedArray {
    const out = this.alloc(dtype, size);
    out.fill(0);
    return out;
  }

  /** Drops every array held for reuse. */
  clearPool(): void {
    this.pool.clear();
    this.pooledBytes = 0;
  }

  upload(values: TypedArray, dtype: DType): TypedArray {
    const out = this.alloc(dtype, values.length);
    out.set(values);
    return out;
  }

  fill(size: number, dtype: DType, value: number): TypedArray {
    const out = this.alloc(dtype, size);
    out.fill(value);
    return out;
  }

  async read(storage: TypedArray): Promise<TypedArray> {
    return storage.slice();
  }

  readSync(storage: TypedArray): TypedArray {
    return storage.slice();
  }

  free(storage: TypedArray): void {
    // Resident storage goes back to the kernels' memory.
    if (this.residentSource?.release?.(storage as Float32Array)) return;
    // Arrays no tensor holds any more are kept for reuse up to the limit; the rest go to the GC.
    if (storage.length < POOL_MIN_ELEMENTS || this.pooledBytes + storage.byteLength > this.poolLimitBytes) return;
    const key = poolKey(dtypeOfArray(storage)!, storage.length);
    let list = this.pool.get(key);
    if (!list) this.pool.set(key, (list = []));
    list.push(storage);
    this.pooledBytes += storage.byteLength;
  }

  byteLength(storage: TypedArray): number {
    return storage.byteLength;
  }

  unary(op: UnaryOp, x: TypedArray, size: number, dtype: DType): TypedArray {
    const fast = this.fast;
    if (fast?.unary && size >= FAST_ELEMENTWISE_MIN && dtype === 'float32' && FAST_UNARY.has(op)) {
      const out = this.alloc('float32', size) as Float32Array;
      fast.unary(op as 'tanh', x as Float32Array, out, size);
      return out;
    }
    const out = this.alloc(op === 'logicalNot' ? 'bool' : dtype, size);
    unaryLoop(op)(out, x, size);
    return out;
  }

  binary(op: BinaryOp, a: TypedArray, aShape: Shape, b: TypedArray | number, bShape: Shape, outShape: Shape, _inDtype: DType, outDtype: DType): TypedArray {
    const size = sizeOf(outShape);
    const fast = this.fast;
    if (fast?.activationBackward && FAST_BACKWARD.has(op) && typeof b !== 'number' && a.length === size && b.length === size && size >= FAST_ELEMENTWISE_MIN) {
      const out = this.alloc('float32', size) as Float32Array;
      fast.activationBackward(op as 'tanhBackward', a as Float32Array, b as Float32Array, out, size);
      return out;
    }
    if (fast?.binary && FAST_BINARY.has(op) && outDtype === 'float32' && typeof b !== 'number' && size >= FAST_ARITHMETIC_MIN && a.length === size && b.length === size && a instanceof Float32Array && b instanceof Float32Array) {
      const out = this.alloc('float32', size) as Float32Array;
      fast.binary(op as 'add', a, b, out, size);
      return out;
    }
    const out = this.alloc(outDtype, size);
    const loops = binaryLoops(op);
    if (typeof b === 'number') {
      if (a.length === size) loops.scalarB(out, a, b, size);
      else loops.strided(out, a, new Float32Array([b]), atLeast1D(outShape), broadcastStrides(aShape, outShape), outShape.map(() => 0));
    } else if (a.length === size && b.length === size) loops.same(out, a, b, size);
    else if (b.length === 1 && a.length === size) loops.scalarB(out, a, b[0], size);
    else if (a.length === 1 && b.length === size) loops.scalarA(out, a[0], b, size);
    else if (a.length === size && isTrailing(bShape, outShape)) loops.rowB(out, a, b, size, b.length);
    else if (b.length === size && isTrailing(aShape, outShape)) loops.rowA(out, a, b, size, a.length);
    else if (size > 0) {
      const shape = atLeast1D(outShape);
      loops.strided(out, a, b, shape, broadcastStrides(aShape, shape), broadcastStrides(bShape, shape));
    }
    return out;
  }

  where(condition: TypedArray, conditionShape: Shape, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, outShape: Shape, dtype: DType): TypedArray {
    const size = sizeOf(outShape);
    const out = this.alloc(dtype, size);
    const shape = atLeast1D(outShape);
    const cs = broadcastStrides(conditionShape, shape);
    const as = broadcastStrides(aShape, shape);
    const bs = broadcastStrides(bShape, shape);
    const rank = shape.length;
    const index = new Array<number>(rank).fill(0);
    for (let i = 0; i < size; i++) {
      let c = 0, ai = 0, bi = 0;
      for (let d = 0; d < rank; d++) {
        c += index[d] * cs[d];
        ai += index[d] * as[d];
        bi += index[d] * bs[d];
      }
      out[i] = condition[c] ? a[ai] : b[bi];
      for (let d = rank - 1; d >= 0; d--) {
        if (++index[d] < shape[d]) break;
        index[d] = 0;
      }
    }
    return out;
  }

  cast(x: TypedArray, size: number, _from: DType, to: DType): TypedArray {
    const out = this.alloc(to, size);
    if (to === 'bool') for (let i = 0; i < size; i++) out[i] = x[i] ? 1 : 0;
    else if (to === 'int32') for (let i = 0; i < size; i++) out[i] = Math.trunc(x[i]);
    else out.set(x);
    return out;
  }

  reduce(op: ReduceOp, x: TypedArray, outer: number, size: number, inner: number, dtype: DType): TypedArray {
    const out = this.alloc(dtype, outer * inner);
    const fast = this.fast;
    if (op === 'sum' && dtype === 'float32' && outer === 1 && inner > 1 && size * inner >= FAST_ELEMENTWISE_MIN && fast?.sumRows) {
      fast.sumRows(x as Float32Array, out as Float32Array, size, inner);
      return out;
    }
    if (op === 'sum' && inner > 1 && size > 1) {
      // Sum rows into a float64 accumulator row: contiguous reads instead of stride-`inner` walks.
      for (let o = 0; o < outer; o++) {
        const acc = scratchRow(inner);
        const base = o * size * inner;
        for (let s = 0; s < size; s++) {
          const row = base + s * inner;
          for (let i = 0; i < inner; i++) acc[i] += x[row + i];
        }
        for (let i = 0; i < inner; i++) out[o * inner + i] = acc[i];
      }
      return out;
    }
    reduceLoop(op)(out, x, outer, size, inner);
    return out;
  }

  argReduce(op: 'argmax' | 'argmin', x: TypedArray, outer: number, size: number, inner: number): TypedArray {
    const out = this.alloc('int32', outer * inner) as Int32Array;
    const sign = op === 'argmax' ? 1 : -1;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * size * inner + i;
        let best = 0;
        let bestValue = x[base];
        if (bestValue !== bestValue) { out[o * inner + i] = 0; continue; }
        for (let s = 1; s < size; s++) {
          const v = x[base + s * inner];
          if (v !== v) { best = s; break; } // NaN wins, as in PyTorch
          if (sign * (v - bestValue) > 0) { best = s; bestValue = v; }
        }
        out[o * inner + i] = best;
      }
    }
    return out;
  }

  cumsum(x: TypedArray, outer: number, size: number, inner: number, dtype: DType): TypedArray {
    const out = this.alloc(dtype, outer * size * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let acc = 0;
        const base = o * size * inner + i;
        for (let s = 0; s < size; s++) {
          acc += x[base + s * inner];
          out[base + s * inner] = acc;
        }
      }
    }
    return out;
  }

  matmul(a: TypedArray, b: TypedArray, batch: number, m: number, k: number, n: number, transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number): TypedArray {
    const out = this.alloc('float32', batch * m * n) as Float32Array;
    if (this.fast) {
      this.fast.matmul(a as Float32Array, b as Float32Array, out, batch, m, k, n, transA, transB, aBatchStride, bBatchStride);
      return out;
    }
    matmulReference(a, b, out, batch, m, k, n, transA, transB, aBatchStride, bBatchStride);
    return out;
  }

  linear(x: TypedArray, weight: TypedArray, bias: TypedArray, m: number, k: number, n: number): TypedArray {
    const fast = this.fast;
    if (fast && m * n >= FAST_ELEMENTWISE_MIN) {
      // The bias is added in WebAssembly memory before the product is copied out: one pass fewer.
      const out = this.alloc('float32', m * n) as Float32Array;
      fast.matmul(x as Float32Array, weight as Float32Array, out, 1, m, k, n, false, true, 0, 0, bias as Float32Array);
      return out;
    }
    const out = this.matmul(x, weight, 1, m, k, n, false, true, 0, 0);
    if (fast?.addRowVector && m * n >= FAST_ELEMENTWISE_MIN) fast.addRowVector(out as Float32Array, bias as Float32Array, m, n);
    else for (let row = 0; row < m * n; row += n) for (let j = 0; j < n; j++) out[row + j] += bias[j];
    return out;
  }

  /**
   * Gradients of `linear` (y = x·Wᵀ + b): with the fast kernels one call reads dy once for dx, dW
   * and db; otherwise the same two products and row sum as the composed path.
   * Both ways compute bit for bit what `matmul` and `reduce` would.
   */
  linearBackward(dy: TypedArray, x: TypedArray, weight: TypedArray, m: number, k: number, n: number, wantX: boolean, wantWeight: boolean, wantBias: boolean) {
    const fast = this.fast;
    // n > 1 and m·n large enough: where `reduce` sums the bias gradient with the same SIMD row sum.
    if (fast?.linearBackward && fast.sumRows && m * n >= FAST_ELEMENTWISE_MIN && n > 1) {
      const dx = wantX ? this.alloc('float32', m * k) as Float32Array : null;
      const dweight = wantWeight ? this.alloc('float32', n * k) as Float32Array : null;
      const dbias = wantBias ? this.alloc('float32', n) as Float32Array : null;
      fast.linearBackward(dy as Float32Array, x as Float32Array, weight as Float32Array, dx, dweight, dbias, m, k, n);
      return { dx, dweight, dbias };
    }
    return {
      dx: wantX ? this.matmul(dy, weight, 1, m, n, k, false, false, 0, 0) : null,
      dweight: wantWeight ? this.matmul(dy, x, 1, n, m, k, true, false, 0, 0) : null,
      dbias: wantBias ? this.reduce('sum', dy, 1, m, n, 'float32') : null,
    };
  }

  /**
   * Fused attention (FlashAttention's math, Dao et al. 2022: per-row log-sum-exp saved, probabilities
   * recomputed in the backward pass). With the fast kernels the two products run on the SIMD matmul
   * and only the row softmax is in JavaScript; otherwise (`fast = null`) plain loops, the reference.
   */
  attention(q: TypedArray, k: TypedArray, v: TypedArray, batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean) {
    const fast = this.fast;
    if (!fast) return this.attentionLoops(q, k, v, batch, lengthQ, lengthK, headSize, valueSize, scale, causal);
    if (fast.attention) {
      const out = this.alloc('float32', batch * lengthQ * valueSize) as Float32Array;
      const logSumExp = this.alloc('float32', batch * lengthQ) as Float32Array;
      fast.attention(q as Float32Array, k as Float32Array, v as Float32Array, out, logSumExp, batch, lengthQ, lengthK, headSize, valueSize, scale, causal);
      return { out, logSumExp };
    }
    const probs = this.attentionProbs(q, k, null, batch, lengthQ, lengthK, headSize, scale, causal);
    const out = this.matmul(probs.p, v, batch, lengthQ, lengthK, valueSize, false, false, lengthQ * lengthK, lengthK * valueSize);
    this.free(probs.p);
    return { out, logSumExp: probs.logSumExp };
  }

  /**
   * Row-softmax probabilities p = exp(q·kᵀ·scale − logSumExp) of every (batch, L, S) score, 0 for
   * masked keys (never exponentiated). Computes logSumExp when `given` is null.
   */
  private attentionProbs(q: TypedArray, k: TypedArray, given: TypedArray | null, batch: number, lengthQ: number, lengthK: number, headSize: number, scale: number, causal: boolean) {
    const p = this.matmul(q, k, batch, lengthQ, headSize, lengthK, false, true, lengthQ * headSize, lengthK * headSize);
    const logSumExp = given ?? this.alloc('float32', batch * lengthQ);
    for (let r = 0; r < batch * lengthQ; r++) {
      const i = r % lengthQ;
      const keys = causal ? Math.min(i + 1, lengthK) : lengthK;
      const base = r * lengthK;
      let lse: number;
      if (given) lse = given[r];
      else {
        let max = -Infinity;
        for (let j = 0; j < keys; j++) max = Math.max(max, p[base + j] * scale);
        let total = 0;
        for (let j = 0; j < keys; j++) total += Math.exp(p[base + j] * scale - max);
        lse = max + Math.log(total);
        logSumExp[r] = lse;
      }
      for (let j = 0; j < keys; j++) p[base + j] = Math.exp(p[base + j] * scale - lse);
      p.fill(0, base + keys, base + lengthK);
    }
    return { p, logSumExp };
  }

  /** Gradients of `attention`: dS = P∘(dO·vᵀ − D)·scale with D_i = dO_i·O_i, then three products (Dao et al. 2022, Alg. 4). */
  attentionBackward(q: TypedArray, k: TypedArray, v: TypedArray, out: TypedArray, logSumExp: TypedArray, dOut: TypedArray, batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean) {
    const fast = this.fast;
    if (!fast) return this.attentionBackwardLoops(q, k, v, out, logSumExp, dOut, batch, lengthQ, lengthK, headSize, valueSize, scale, causal);
    if (fast.attentionBackward) {
      const dq = this.alloc('float32', batch * lengthQ * headSize) as Float32Array;
      const dk = this.alloc('float32', batch * lengthK * headSize) as Float32Array;
      const dv = this.alloc('float32', batch * lengthK * valueSize) as Float32Array;
      fast.attentionBackward(q as Float32Array, k as Float32Array, v as Float32Array, out as Float32Array, logSumExp as Float32Array, dOut as Float32Array, dq, dk, dv, batch, lengthQ, lengthK, headSize, valueSize, scale, causal);
      return { dq, dk, dv };
    }
    const { p } = this.attentionProbs(q, k, logSumExp, batch, lengthQ, lengthK, headSize, scale, causal);
    const ds = this.matmul(dOut, v, batch, lengthQ, valueSize, lengthK, false, true, lengthQ * valueSize, lengthK * valueSize);
    for (let r = 0; r < batch * lengthQ; r++) {
      let delta = 0;
      for (let c = r * valueSize; c < (r + 1) * valueSize; c++) delta += dOut[c] * out[c];
      for (let j = r * lengthK; j < (r + 1) * lengthK; j++) ds[j] = p[j] * (ds[j] - delta) * scale;
    }
    const dq = this.matmul(ds, k, batch, lengthQ, lengthK, headSize, false, false, lengthQ * lengthK, lengthK * headSize);
    const dk = this.matmul(ds, q, batch, lengthK, lengthQ, headSize, true, false, lengthQ * lengthK, lengthQ * headSize);
    const dv = this.matmul(p, dOut, batch, lengthK, lengthQ, valueSize, true, false, lengthQ * lengthK, lengthQ * valueSize);
    this.free(p);
    this.free(ds);
    return { dq, dk, dv };
  }

  /** Fused attention as plain loops (the reference): masked keys are skipped, not scored. */
  private attentionLoops(q: TypedArray, k: TypedArray, v: TypedArray, batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean) {
    const out = this.alloc('float32', batch * lengthQ * valueSize);
    const logSumExp = this.alloc('float32', batch * lengthQ);
    const scores = new Float64Array(lengthK);
    const acc = new Float64Array(valueSize);
    for (let b = 0; b < batch; b++) {
      const qBase = b * lengthQ * headSize;
      const kBase = b * lengthK * headSize;
      const vBase = b * lengthK * valueSize;
      for (let i = 0; i < lengthQ; i++) {
        const keys = causal ? Math.min(i + 1, lengthK) : lengthK;
        const qRow = qBase + i * headSize;
        let max = -Infinity;
        for (let j = 0; j < keys; j++) {
          let s = 0;
          const kRow = kBase + j * headSize;
          for (let e = 0; e < headSize; e++) s += q[qRow + e] * k[kRow + e];
          s *= scale;
          scores[j] = s;
          if (s > max) max = s;
        }
        acc.fill(0);
        let total = 0;
        for (let j = 0; j < keys; j++) {
          const p = Math.exp(scores[j] - max);
          total += p;
          const vRow = vBase + j * valueSize;
          for (let c = 0; c < valueSize; c++) acc[c] += p * v[vRow + c];
        }
        const oRow = (b * lengthQ + i) * valueSize;
        for (let c = 0; c < valueSize; c++) out[oRow + c] = keys > 0 ? acc[c] / total : 0;
        logSumExp[b * lengthQ + i] = keys > 0 ? max + Math.log(total) : -Infinity;
      }
    }
    return { out, logSumExp };
  }

  /** Gradients of `attention` as plain loops, recomputing p = exp(s − logSumExp) (Dao et al. 2022, Alg. 4). */
  private attentionBackwardLoops(q: TypedArray, k: TypedArray, v: TypedArray, out: TypedArray, logSumExp: TypedArray, dOut: TypedArray, batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean) {
    const dq = new Float64Array(batch * lengthQ * headSize);
    const dk = new Float64Array(batch * lengthK * headSize);
    const dv = new Float64Array(batch * lengthK * valueSize);
    for (let b = 0; b < batch; b++) {
      const qBase = b * lengthQ * headSize;
      const kBase = b * lengthK * headSize;
      const vBase = b * lengthK * valueSize;
      for (let i = 0; i < lengthQ; i++) {
        const keys = causal ? Math.min(i + 1, lengthK) : lengthK;
        const qRow = qBase + i * headSize;
        const oRow = (b * lengthQ + i) * valueSize;
        const lse = logSumExp[b * lengthQ + i];
        let delta = 0; // D_i = dO_i · O_i = Σ_j p_ij·dp_ij
        for (let c = 0; c < valueSize; c++) delta += dOut[oRow + c] * out[oRow + c];
        for (let j = 0; j < keys; j++) {
          const kRow = kBase + j * headSize;
          const vRow = vBase + j * valueSize;
          let s = 0;
          for (let e = 0; e < headSize; e++) s += q[qRow + e] * k[kRow + e];
          const p = Math.exp(s * scale - lse);
          let dp = 0;
          for (let c = 0; c < valueSize; c++) {
            dp += dOut[oRow + c] * v[vRow + c];
            dv[vRow + c] += p * dOut[oRow + c];
          }
          const ds = p * (dp - delta) * scale;
          for (let e = 0; e < headSize; e++) {
            dq[qRow + e] += ds * k[kRow + e];
            dk[kRow + e] += ds * q[qRow + e];
          }
        }
      }
    }
    const toStorage = (values: Float64Array) => {
      const storage = this.alloc('float32', values.length);
      storage.set(values);
      return storage;
    };
    return { dq: toStorage(dq), dk: toStorage(dk), dv: toStorage(dv) };
  }

  /**
   * Fused cross-entropy per row. With the fast kernels the exponentials run in the SIMD log-softmax
   * and only the picking is in JavaScript; otherwise (`fast = null`) plain loops, the reference.
   */
  crossEntropy(logits: TypedArray, target: TypedArray, rows: number, classes: number, ignoreIndex: number, labelSmoothing: number) {
    if (!this.fast) return this.crossEntropyLoops(logits, target, rows, classes, ignoreIndex, labelSmoothing);
    const logProbs = this.softmax(logits, rows, classes, true);
    const loss = this.alloc('float32', rows);
    const logSumExp = this.alloc('float32', rows);
    for (let r = 0; r < rows; r++) {
      const base = r * classes;
      // lse = x_c − log p_c for any class with a finite logit (the first, else the max).
      let pick = 0;
      if (!Number.isFinite(logits[base])) for (let c = 1; c < classes; c++) if (logits[base + c] > logits[base + pick]) pick = c;
      logSumExp[r] = logits[base + pick] - logProbs[base + pick];
      const t = target[r];
      if (t === ignoreIndex) {
        loss[r] = 0;
        continue;
      }
      let value = (1 - labelSmoothing) * -(t >= 0 && t < classes ? logProbs[base + t] : 0);
      if (labelSmoothing > 0) {
        let total = 0;
        for (let c = 0; c < classes; c++) total += logProbs[base + c];
        value -= (labelSmoothing * total) / classes;
      }
      loss[r] = value;
    }
    this.free(logProbs);
    return { loss, logSumExp };
  }

  /** Fused cross-entropy per row as plain loops (the reference): one max, one Σ exp, the picked logit. */
  private crossEntropyLoops(logits: TypedArray, target: TypedArray, rows: number, classes: number, ignoreIndex: number, labelSmoothing: number) {
    const loss = this.alloc('float32', rows);
    const logSumExp = this.alloc('float32', rows);
    for (let r = 0; r < rows; r++) {
      const base = r * classes;
      let max = -Infinity;
      for (let c = 0; c < classes; c++) if (logits[base + c] > max) max = logits[base + c];
      const shift = max === -Infinity ? 0 : max;
      let total = 0;
      let shiftedSum = 0;
      for (let c = 0; c < classes; c++) {
        total += Math.exp(logits[base + c] - shift);
        shiftedSum += logits[base + c] - shift;
      }
      const logSum = Math.log(total);
      logSumExp[r] = shift + logSum;
      const t = target[r];
      if (t === ignoreIndex) {
        loss[r] = 0;
        continue;
      }
      const picked = t >= 0 && t < classes ? logits[base + t] - shift : 0;
      let value = (1 - labelSmoothing) * (logSum - picked);
      if (labelSmoothing > 0) value += labelSmoothing * (logSum - shiftedSum / classes);
      loss[r] = value;
    }
    return { loss, logSumExp };
  }

  /** Gradient of `crossEntropy`; with the fast kernels softmax runs in SIMD and is reused in place. */
  crossEntropyBackward(logits: TypedArray, target: TypedArray, logSumExp: TypedArray, dLoss: TypedArray, rows: number, classes: number, ignoreIndex: number, labelSmoothing: number): TypedArray {
    const uniform = labelSmoothing / classes;
    if (this.fast) {
      const dx = this.softmax(logits, rows, classes, false);
      for (let r = 0; r < rows; r++) {
        const base = r * classes;
        const t = target[r];
        if (t === ignoreIndex) {
          dx.fill(0, base, base + classes);
          continue;
        }
        const g = dLoss[r];
        for (let c = base; c < base + classes; c++) dx[c] = g * (dx[c] - uniform);
        if (t >= 0 && t < classes) dx[base + t] -= g * (1 - labelSmoothing);
      }
      return dx;
    }
    const dx = this.alloc('float32', rows * classes);
    for (let r = 0; r < rows; r++) {
      const base = r * classes;
      const t = target[r];
      if (t === ignoreIndex) {
        dx.fill(0, base, base + classes);
        continue;
      }
      const g = dLoss[r];
      const lse = logSumExp[r];
      for (let c = 0; c < classes; c++) dx[base + c] = g * (Math.exp(logits[base + c] - lse) - uniform - (c === t ? 1 - labelSmoothing : 0));
    }
    return dx;
  }

  stridedCopy(x: TypedArray, outShape: Shape, strides: readonly number[], offset: number, dtype: DType): TypedArray {
    const size = sizeOf(outShape);
    const out = this.alloc(dtype, size);
    if (size === 0) return out;
    const shape = atLeast1D(outShape);
    const st = outShape.length === 0 ? [0] : strides;
    const rank = shape.length;
    const last = rank - 1;
    const inner = shape[last];
    const innerStride = st[last];
    const fast = this.fast;
    if (rank <= 4 && innerStride === 1 && inner <= STRIDED_SET_MIN && fast?.gatherRuns && dtype === 'float32' && size >= FAST_ARITHMETIC_MIN) {
      const sizes: [number, number, number] = [rank === 4 ? shape[0] : 1, rank >= 3 ? shape[rank - 3] : 1, rank >= 2 ? shape[rank - 2] : 1];
      const steps: [number, number, number] = [rank === 4 ? st[0] : 0, rank >= 3 ? st[rank - 3] : 0, rank >= 2 ? st[rank - 2] : 0];
      fast.gatherRuns(x as Float32Array, out as Float32Array, offset, sizes, steps, inner);
      return out;
    }
    if (rank <= 4 && innerStride === 1 && inner <= STRIDED_SET_MIN) {
      // The head split/merge permutes of attention: short contiguous runs, copied by a loop
      // (subarray + set costs ~50 ns a call whatever the length) with the outer dims unrolled.
      const s0 = rank === 4 ? shape[0] : 1, s1 = rank >= 3 ? shape[rank - 3] : 1, s2 = rank >= 2 ? shape[rank - 2] : 1;
      const t0 = rank === 4 ? st[0] : 0, t1 = rank >= 3 ? st[rank - 3] : 0, t2 = rank >= 2 ? st[rank - 2] : 0;
      let o = 0;
      for (let i0 = 0; i0 < s0; i0++) {
        for (let i1 = 0; i1 < s1; i1++) {
          let p = offset + i0 * t0 + i1 * t1;
          for (let i2 = 0; i2 < s2; i2++, p += t2) for (let i = 0; i < inner; i++) out[o++] = x[p + i];
        }
      }
      return out;
    }
    const index = new Array<number>(rank).fill(0);
    for (let o = 0; o < size; o += inner) {
      let p = offset;
      for (let d = 0; d < last; d++) p += index[d] * st[d];
      if (innerStride === 1) out.set(x.subarray(p, p + inner), o);
      else for (let i = 0; i < inner; i++) out[o + i] = x[p + i * innerStride];
      for (let d = last - 1; d >= 0; d--) {
        if (++index[d] < shape[d]) break;
        index[d] = 0;
      }
    }
    return out;
  }

  concat(inputs: readonly TypedArray[], sizes: readonly number[], outer: number, inner: number, dtype: DType): TypedArray {
    let total = 0;
    for (const s of sizes) total += s;
    const out = this.alloc(dtype, outer * total * inner);
    let column = 0;
    for (let j = 0; j < inputs.length; j++) {
      const block = sizes[j] * inner;
      const input = inputs[j];
      for (let o = 0; o < outer; o++) out.set(input.subarray(o * block, (o + 1) * block), o * total * inner + column);
      column += block;
    }
    return out;
  }

  triangle(x: TypedArray, batch: number, rows: number, cols: number, diagonal: number, upper: boolean, dtype: DType): TypedArray {
    const out = this.allocZeroed(dtype, batch * rows * cols);
    for (let b = 0; b < batch; b++) {
      for (let r = 0; r < rows; r++) {
        const base = (b * rows + r) * cols;
        for (let c = 0; c < cols; c++) {
          const keep = upper ? c - r >= diagonal : c - r <= diagonal;
          if (keep) out[base + c] = x[base + c];
        }
      }
    }
    return out;
  }

  gather(x: TypedArray, index: TypedArray, outer: number, size: number, indexSize: number, inner: number, dtype: DType): TypedArray {
    const out = this.alloc(dtype, outer * indexSize * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < indexSize; j++) {
        const row = (o * indexSize + j) * inner;
        for (let i = 0; i < inner; i++) out[row + i] = x[(o * size + index[row + i]) * inner + i];
      }
    }
    return out;
  }

  scatterAdd(index: TypedArray, src: TypedArray, outer: number, size: number, indexSize: number, inner: number, dtype: DType): TypedArray {
    const out = this.allocZeroed(dtype, outer * size * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < indexSize; j++) {
        const row = (o * indexSize + j) * inner;
        for (let i = 0; i < inner; i++) out[(o * size + index[row + i]) * inner + i] += src[row + i];
      }
    }
    return out;
  }

  indexSelect(x: TypedArray, index: TypedArray, outer: number, size: number, indexCount: number, inner: number, dtype: DType): TypedArray {
    const out = this.alloc(dtype, outer * indexCount * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < indexCount; j++) {
        const from = (o * size + index[j]) * inner;
        out.set(x.subarray(from, from + inner), (o * indexCount + j) * inner);
      }
    }
    return out;
  }

  indexAdd(index: TypedArray, src: TypedArray, outer: number, size: number, indexCount: number, inner: number, dtype: DType): TypedArray {
    const out = this.allocZeroed(dtype, outer * size * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < indexCount; j++) {
        const to = (o * size + index[j]) * inner;
        const from = (o * indexCount + j) * inner;
        for (let i = 0; i < inner; i++) out[to + i] += src[from + i];
      }
    }
    return out;
  }

  softmax(x: TypedArray, rows: number, cols: number, log: boolean): TypedArray {
    const out = this.alloc('float32', rows * cols) as Float32Array;
    const src = x as Float32Array;
    if (this.fast) {
      if (log) this.fast.logSoftmax(src, out, rows, cols);
      else this.fast.softmax(src, out, rows, cols);
      return out;
    }
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let max = -Infinity;
      for (let c = 0; c < cols; c++) if (src[base + c] > max) max = src[base + c];
      if (max === -Infinity) max = 0;
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.exp(src[base + c] - max);
      if (log) {
        const logSum = Math.log(sum) + max;
        for (let c = 0; c < cols; c++) out[base + c] = src[base + c] - logSum;
      } else {
        for (let c = 0; c < cols; c++) out[base + c] = Math.exp(src[base + c] - max) / sum;
      }
    }
    return out;
  }

  softmaxBackward(y: TypedArray, dy: TypedArray, rows: number, cols: number, log: boolean): TypedArray {
    const dx = this.alloc('float32', rows * cols) as Float32Array;
    if (this.fast) {
      if (log) this.fast.logSoftmaxBackward(y as Float32Array, dy as Float32Array, dx, rows, cols);
      else this.fast.softmaxBackward(y as Float32Array, dy as Float32Array, dx, rows, cols);
      return dx;
    }
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let dot = 0;
      if (log) {
        for (let c = 0; c < cols; c++) dot += dy[base + c];
        for (let c = 0; c < cols; c++) dx[base + c] = dy[base + c] - Math.exp(y[base + c]) * dot;
      } else {
        for (let c = 0; c < cols; c++) dot += dy[base + c] * y[base + c];
        for (let c = 0; c < cols; c++) dx[base + c] = y[base + c] * (dy[base + c] - dot);
      }
    }
    return dx;
  }

  layerNorm(x: TypedArray, weight: TypedArray | null, bias: TypedArray | null, rows: number, cols: number, eps: number) {
    const out = this.alloc('float32', rows * cols) as Float32Array;
    const mean = this.alloc('float32', rows) as Float32Array;
    const rstd = this.alloc('float32', rows) as Float32Array;
    if (this.fast) {
      this.fast.layerNorm(x as Float32Array, weight as Float32Array | null, bias as Float32Array | null, out, mean, rstd, rows, cols, eps);
      return { out, mean, rstd };
    }
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += x[base + c];
      const mu = sum / cols;
      let squares = 0;
      for (let c = 0; c < cols; c++) {
        const d = x[base + c] - mu;
        squares += d * d;
      }
      const rs = 1 / Math.sqrt(squares / cols + eps);
      mean[r] = mu;
      rstd[r] = rs;
      for (let c = 0; c < cols; c++) {
        let v = (x[base + c] - mu) * rs;
        if (weight) v *= weight[c];
        if (bias) v += bias[c];
        out[base + c] = v;
      }
    }
    return { out, mean, rstd };
  }

  layerNormBackward(dy: TypedArray, x: TypedArray, weight: TypedArray | null, mean: TypedArray, rstd: TypedArray, rows: number, cols: number, withBias: boolean) {
    const dx = this.alloc('float32', rows * cols) as Float32Array;
    const dweight = weight ? this.alloc('float32', cols) as Float32Array : null;
    const dbias = withBias ? this.alloc('float32', cols) as Float32Array : null;
    if (this.fast) {
      this.fast.layerNormBackward(dy as Float32Array, x as Float32Array, weight as Float32Array | null, mean as Float32Array, rstd as Float32Array, dx, dweight, dbias, rows, cols);
      return { dx, dweight, dbias };
    }
    const dwAcc = new Float64Array(cols);
    const dbAcc = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      const mu = mean[r];
      const rs = rstd[r];
      // dxhat = dy * w;  dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
      let sumDxhat = 0;
      let sumDxhatXhat = 0;
      for (let c = 0; c < cols; c++) {
        const xhat = (x[base + c] - mu) * rs;
        const dxhat = weight ? dy[base + c] * weight[c] : dy[base + c];
        sumDxhat += dxhat;
        sumDxhatXhat += dxhat * xhat;
        dwAcc[c] += dy[base + c] * xhat;
        dbAcc[c] += dy[base + c];
      }
      const meanDxhat = sumDxhat / cols;
      const meanDxhatXhat = sumDxhatXhat / cols;
      for (let c = 0; c < cols; c++) {
        const xhat = (x[base + c] - mu) * rs;
        const dxhat = weight ? dy[base + c] * weight[c] : dy[base + c];
        dx[base + c] = rs * (dxhat - meanDxhat - xhat * meanDxhatXhat);
      }
    }
    if (dweight) for (let c = 0; c < cols; c++) dweight[c] = dwAcc[c];
    if (dbias) for (let c = 0; c < cols; c++) dbias[c] = dbAcc[c];
    return { dx, dweight, dbias };
  }

  adamStep(param: TypedArray, grad: TypedArray, m: TypedArray, v: TypedArray, size: number, h: AdamStep): void {
    if (this.fast) {
      this.fast.adam(param as Float32Array, grad as Float32Array, m as Float32Array, v as Float32Array, h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, h.decoupled, h.step);
      return;
    }
    adamReference(param, grad, m, v, size, h);
  }
}

/** torch.optim.Adam / AdamW's single-tensor update (Kingma & Ba 2015, Alg. 1; Loshchilov & Hutter 2019 for decoupled decay). */
export function adamReference(param: TypedArray, grad: TypedArray, m: TypedArray, v: TypedArray, size: number, h: AdamStep): void {
  const biasCorrection1 = 1 - Math.pow(h.beta1, h.step);
  const biasCorrection2 = 1 - Math.pow(h.beta2, h.step);
  const stepSize = h.lr / biasCorrection1;
  const biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
  const decay = h.decoupled ? 1 - h.lr * h.weightDecay : 1;
  for (let i = 0; i < size; i++) {
    let g = grad[i];
    if (h.weightDecay !== 0 && !h.decoupled) g += h.weightDecay * param[i];
    const p = param[i] * decay;
    const mi = h.beta1 * m[i] + (1 - h.beta1) * g;
    const vi = h.beta2 * v[i] + (1 - h.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = p - stepSize * (mi / (Math.sqrt(vi) / biasCorrection2Sqrt + h.eps));
  }
}

/** Reference batched matmul with optional transposed operands, accumulating in float64. */
export function matmulReference(a: ArrayLike<number>, b: ArrayLike<number>, out: Float32Array, batch: number, m: number, k: number, n: number, transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number): void {
  const row = new Float64Array(n);
  for (let t = 0; t < batch; t++) {
    const aOff = t * aBatchStride;
    const bOff = t * bBatchStride;
    for (let i = 0; i < m; i++) {
      const o = (t * m + i) * n;
      if (transB) {
        // Both operands are read along k contiguously when A is not transposed: dot products.
        for (let j = 0; j < n; j++) {
          let acc = 0;
          const bRow = bOff + j * k;
          if (transA) for (let p = 0; p < k; p++) acc += a[aOff + p * m + i] * b[bRow + p];
          else {
            const aRow = aOff + i * k;
            for (let p = 0; p < k; p++) acc += a[aRow + p] * b[bRow + p];
          }
          out[o + j] = acc;
        }
        continue;
      }
      row.fill(0);
      for (let p = 0; p < k; p++) {
        const av = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
        const bRow = bOff + p * n;
        for (let j = 0; j < n; j++) row[j] += av * b[bRow + j];
      }
      for (let j = 0; j < n; j++) out[o + j] = row[j];
    }
  }
}

/** True when `shape` (ignoring leading 1s) equals the trailing dims of `outShape`: it repeats row after row. */
function isTrailing(shape: Shape, outShape: Shape): boolean {
  let start = 0;
  while (start < shape.length && shape[start] === 1) start++;
  const length = shape.length - start;
  if (length === 0) return false;
  for (let i = 0; i < length; i++) if (shape[start + i] !== outShape[outShape.length - length + i]) return false;
  return true;
}

function atLeast1D(shape: Shape): Shape {
  return shape.length === 0 ? [1] : shape;
}
