// Loads the WebAssembly kernels module over one shared memory and implements WasmKernels on it:
// each call copies its JS-heap inputs into a grow-only region of the memory, runs the kernel
// (large matmuls split by rows across worker threads) and copies the results back.
//
// Memory layout, low to high: the module's static data | the thread pool's control block |
// per-call data (operands, then one matmul scratch block per participating thread). The module
// keeps no state, so the per-call region is simply reused from its start by every call.

import { kernelsRelaxedWasmBase64, kernelsWasmBase64 } from './generated/kernels';
import { CLAIM_COUNTER_OFFSET, CONTROL_BYTES, MATMUL_ARGUMENT_COUNT, MAX_THREADS, ThreadPool } from './thread_pool';
import type { WasmKernels } from './index';
import { webAssembly, type WasmMemory, type WasmModule } from './webassembly';

/** The module's exports (pointers are byte offsets; booleans are passed as 0/1). */
interface KernelExports {
  heapBase(): number;
  matmulScratchBytes(): number;
  matmul(
    a: number, b: number, c: number, m: number, k: number, n: number,
    transA: number, transB: number, aBatchStride: number, bBatchStride: number,
    rowStart: number, rowEnd: number, scratch: number,
  ): void;
  matmulPlan(m: number, k: number, n: number, transA: number, transB: number): number;
  matmulPreparedBFloats(plan: number, k: number, n: number): number;
  matmulPrepareB(
    plan: number, b: number, k: number, n: number, transB: number, bBatchStride: number, items: number, destination: number,
  ): void;
  matmulClaimRows(
    plan: number, a: number, b: number, prepared: number, sharedPrepared: number, c: number, m: number, k: number, n: number,
    transA: number, transB: number, aBatchStride: number, bBatchStride: number, rows: number,
    counter: number, chunkRows: number, scratch: number,
  ): void;
  softmax(x: number, out: number, rows: number, cols: number): void;
  logSoftmax(x: number, out: number, rows: number, cols: number): void;
  softmaxBackward(y: number, dy: number, dx: number, rows: number, cols: number): void;
  logSoftmaxBackward(y: number, dy: number, dx: number, rows: number, cols: number): void;
  layerNorm(
    x: number, weight: number, bias: number, out: number, mean: number, rstd: number,
    rows: number, cols: number, eps: number,
  ): void;
  layerNormBackward(
    dy: number, x: number, weight: number, mean: number, rstd: number,
    dx: number, dweight: number, dbias: number, rows: number, cols: number,
  ): void;
  adam(
    param: number, grad: number, m: number, v: number, count: number,
    lerpWeight: number, beta2: number, squareWeight: number, eps: number,
    stepSize: number, biasCorrection2Sqrt: number, decayFactor: number, gradDecay: number,
  ): void;
}

const PAGE_BYTES = 65536;
/** The module declares this maximum; a smaller one is tried if the engine cannot reserve it. */
const MAXIMUM_PAGES = [65536, 16384, 4096];
/** Rows per micro-tile of the packed kernel: row chunks are multiples of it. */
const TILE_ROWS = 4;
/** Bounds of the row chunks threads claim: small enough to balance, large enough to reuse packed B. */
const MIN_CHUNK_ROWS = 16;
const MAX_CHUNK_ROWS = 96;

/** Rows per claimed chunk: about eight chunks per thread, within [MIN_CHUNK_ROWS, MAX_CHUNK_ROWS]. */
function matmulChunkRows(rows: number, threads: number): number {
  const rowsPerChunk = alignUp(Math.ceil(rows / (threads * 8)), TILE_ROWS);
  return Math.max(MIN_CHUNK_ROWS, Math.min(MAX_CHUNK_ROWS, rowsPerChunk));
}
/**
 * Matmuls below this many flops stay on the calling thread. Waking a worker costs tens of
 * microseconds, so a split only pays off once each thread gets well over that in work: measured
 * on the 2-core Zen 4 reference machine, 128^3 is about even and 160^3 already gains.
 */
const PARALLEL_MIN_FLOPS = 2 * 160 * 160 * 160;
/** Fewest output rows worth giving one thread. */
const PARALLEL_MIN_ROWS_PER_THREAD = 16;
/** Arrays up to this length are copied by a loop rather than TypedArray.set (cheaper when tiny). */
const SMALL_COPY = 32;

/** Decodes base64 without Node's Buffer, so the module also loads in browsers. */
function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** Which of the two builds this engine runs: the relaxed-SIMD one (fused multiply-add) or the plain SIMD one. */
export type KernelVariant = 'relaxed-simd' | 'simd';

/** Creates the kernels, or returns null when this engine has no WebAssembly SIMD or shared memory. */
export function createKernelRuntime(defaultThreads: number): KernelRuntime | null {
  const WebAssembly = webAssembly();
  if (!WebAssembly || typeof SharedArrayBuffer !== 'function') return null;
  try {
    const relaxed = decodeBase64(kernelsRelaxedWasmBase64);
    let bytes = relaxed;
    let variant: KernelVariant = 'relaxed-simd';
    if (!WebAssembly.validate(relaxed)) {
      bytes = decodeBase64(kernelsWasmBase64);
      variant = 'simd';
      if (!WebAssembly.validate(bytes)) return null;
    }
    const module = new WebAssembly.Module(bytes);
    let memory: WasmMemory | null = null;
    for (const maximum of MAXIMUM_PAGES) {
      try {
        memory = new WebAssembly.Memory({ initial: 1, maximum, shared: true });
        break;
      } catch {
        memory = null;
      }
    }
    if (!memory) return null;
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return new KernelRuntime(module, memory, instance.exports as unknown as KernelExports, variant, defaultThreads);
  } catch {
    return null;
  }
}

/** The kernels over one module instance and its shared memory. */
export class KernelRuntime implements WasmKernels {
  /** A float view of the whole memory, refreshed whenever the memory grows. */
  private heap: Float32Array;
  private capacity: number;
  private readonly controlOffset: number;
  private readonly dataOffset: number;
  private readonly scratchBytes: number;
  /** Int32 view of the thread pool's control block (for the shared row counter). */
  private readonly controlWords: Int32Array;
  private pool: ThreadPool | null = null;
  private threads: number;
  /** Threads (main included) the most recent matmul ran on. */
  lastMatmulThreads = 0;
  /** Argument block reused for every worker post. */
  private readonly matmulArguments = new Int32Array(MATMUL_ARGUMENT_COUNT);

  constructor(
    private readonly module: WasmModule,
    private readonly memory: WasmMemory,
    private readonly exports: KernelExports,
    /** Which build was loaded. */
    readonly variant: KernelVariant,
    threads: number,
  ) {
    this.threads = threads;
    this.controlOffset = alignUp(exports.heapBase(), 64);
    this.dataOffset = alignUp(this.controlOffset + CONTROL_BYTES, 64);
    this.scratchBytes = exports.matmulScratchBytes();
    this.controlWords = new Int32Array(memory.buffer, this.controlOffset, CONTROL_BYTES / 4);
    this.capacity = memory.buffer.byteLength;
    this.heap = new Float32Array(memory.buffer);
  }

  /** Threads used for large matmuls (main thread included). */
  get threadCount(): number {
    return this.threads;
  }

  set threadCount(count: number) {
    this.threads = Math.max(1, Math.min(MAX_THREADS, Math.floor(count)));
    // Extra workers stop now; missing ones start on the next large matmul.
    this.pool?.limit(this.threads - 1);
  }

  /** Stops every worker thread (they restart on the next large matmul if threadCount > 1). */
  terminateWorkers(): void {
    this.pool?.terminate();
  }

  matmul(
    a: Float32Array, b: Float32Array, out: Float32Array, batch: number, m: number, k: number, n: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number,
  ): void {
    if (batch <= 0 || m <= 0 || n <= 0) return;
    if (k <= 0) {
      out.fill(0, 0, batch * m * n);
      return;
    }
    // A broadcast B over a contiguous batch of row-major A is one product with batch * m rows.
    if (batch > 1 && bBatchStride === 0 && !transA && aBatchStride === m * k) {
      m *= batch;
      batch = 1;
    }
    if (batch === 1) {
      aBatchStride = 0;
      bBatchStride = 0;
    }
    const aCount = aBatchStride * (batch - 1) + m * k;
    const bCount = bBatchStride * (batch - 1) + k * n;
    const rows = batch * m;
    const cCount = rows * n;
    const aPointer = this.dataOffset;
    const bPointer = alignUp(aPointer + aCount * 4, 16);
    // 16 spare bytes after B: the small-product path reads whole vectors past its last column.
    const cPointer = alignUp(bPointer + bCount * 4 + 16, 16);
    const scratchPointer = alignUp(cPointer + cCount * 4, 64);

    let workers = 0;
    if (this.threads > 1 && 2 * rows * n * k >= PARALLEL_MIN_FLOPS) {
      const wanted = Math.min(this.threads, Math.floor(rows / PARALLEL_MIN_ROWS_PER_THREAD)) - 1;
      if (wanted > 0) {
        this.pool ??= new ThreadPool(this.module, this.memory, this.controlOffset);
        workers = Math.min(wanted, this.pool.ensureWorkers(this.threads - 1));
      }
    }
    const transposeA = transA ? 1 : 0;
    const transposeB = transB ? 1 : 0;
    if (workers === 0) {
      this.reserve(scratchPointer + this.scratchBytes);
      this.copyIn(a, aCount, aPointer);
      this.copyIn(b, bCount, bPointer);
      this.lastMatmulThreads = 1;
      this.exports.matmul(
        aPointer, bPointer, cPointer, m, k, n, transposeA, transposeB, aBatchStride, bBatchStride,
        0, rows, scratchPointer,
      );
    } else {
      // B is prepared once (packed or transposed, as the plan needs), then every thread claims row chunks.
      const plan = this.exports.matmulPlan(m, k, n, transposeA, transposeB);
      const sharedPrepared = batch === 1 || bBatchStride === 0;
      const preparedItems = sharedPrepared ? 1 : batch;
      const preparedPointer = scratchPointer;
      const preparedBytes = preparedItems * this.exports.matmulPreparedBFloats(plan, k, n) * 4;
      const threadScratchPointer = alignUp(preparedPointer + preparedBytes, 64);
      const participants = workers + 1;
      this.reserve(threadScratchPointer + participants * this.scratchBytes);
      this.copyIn(a, aCount, aPointer);
      this.copyIn(b, bCount, bPointer);
      this.exports.matmulPrepareB(plan, bPointer, k, n, transposeB, bBatchStride, preparedItems, preparedPointer);
      const chunkRows = matmulChunkRows(rows, participants);
      const counterPointer = this.controlOffset + CLAIM_COUNTER_OFFSET;
      Atomics.store(this.controlWords, CLAIM_COUNTER_OFFSET >> 2, 0);
      const pool = this.pool!;
      const args = this.matmulArguments;
      args[0] = plan; args[1] = aPointer; args[2] = bPointer; args[3] = preparedPointer; args[4] = sharedPrepared ? 1 : 0;
      args[5] = cPointer; args[6] = m; args[7] = k; args[8] = n; args[9] = transposeA; args[10] = transposeB;
      args[11] = aBatchStride; args[12] = bBatchStride; args[13] = rows; args[14] = counterPointer; args[15] = chunkRows;
      pool.begin(workers);
      for (let worker = 0; worker < workers; worker++) {
        args[16] = threadScratchPointer + (worker + 1) * this.scratchBytes;
        pool.postMatmul(worker, args);
      }
      this.exports.matmulClaimRows(
        plan, aPointer, bPointer, preparedPointer, sharedPrepared ? 1 : 0, cPointer, m, k, n, transposeA, transposeB,
        aBatchStride, bBatchStride, rows, counterPointer, chunkRows, threadScratchPointer,
      );
      pool.wait();
      this.lastMatmulThreads = participants;
    }
    this.copyOut(cPointer, out, cCount);
  }

  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
    const count = rows * cols;
    if (count <= 0) return;
    const pointer = this.dataOffset;
    this.reserve(pointer + count * 4);
    this.copyIn(x, count, pointer);
    this.exports.softmax(pointer, pointer, rows, cols);
    this.copyOut(pointer, out, count);
  }

  logSoftmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
    const count = rows * cols;
    if (count <= 0) return;
    const pointer = this.dataOffset;
    this.reserve(pointer + count * 4);
    this.copyIn(x, count, pointer);
    this.exports.logSoftmax(pointer, pointer, rows, cols);
    this.copyOut(pointer, out, count);
  }

  softmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void {
    const count = rows * cols;
    if (count <= 0) return;
    const yPointer = this.dataOffset;
    const dyPointer = alignUp(yPointer + count * 4, 16);
    this.reserve(dyPointer + count * 4);
    this.copyIn(y, count, yPointer);
    this.copyIn(dy, count, dyPointer);
    this.exports.softmaxBackward(yPointer, dyPointer, dyPointer, rows, cols);
    this.copyOut(dyPointer, dx, count);
  }

  logSoftmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void {
    const count = rows * cols;
    if (count <= 0) return;
    const yPointer = this.dataOffset;
    const dyPointer = alignUp(yPointer + count * 4, 16);
    this.reserve(dyPointer + count * 4);
    this.copyIn(y, count, yPointer);
    this.copyIn(dy, count, dyPointer);
    this.exports.logSoftmaxBackward(yPointer, dyPointer, dyPointer, rows, cols);
    this.copyOut(dyPointer, dx, count);
  }

  layerNorm(
    x: Float32Array, weight: Float32Array | null, bias: Float32Array | null, out: Float32Array,
    mean: Float32Array, rstd: Float32Array, rows: number, cols: number, eps: number,
  ): void {
    const count = rows * cols;
    if (count <= 0) return;
    const xPointer = this.dataOffset;
    const weightPointer = alignUp(xPointer + count * 4, 16);
    const biasPointer = alignUp(weightPointer + cols * 4, 16);
    const meanPointer = alignUp(biasPointer + cols * 4, 16);
    const rstdPointer = alignUp(meanPointer + rows * 4, 16);
    this.reserve(rstdPointer + rows * 4);
    this.copyIn(x, count, xPointer);
    if (weight) this.copyIn(weight, cols, weightPointer);
    if (bias) this.copyIn(bias, cols, biasPointer);
    this.exports.layerNorm(
      xPointer, weight ? weightPointer : 0, bias ? biasPointer : 0, xPointer, meanPointer, rstdPointer,
      rows, cols, eps,
    );
    this.copyOut(xPointer, out, count);
    this.copyOut(meanPointer, mean, rows);
    this.copyOut(rstdPointer, rstd, rows);
  }

  layerNormBackward(
    dy: Float32Array, x: Float32Array, weight: Float32Array | null, mean: Float32Array, rstd: Float32Array,
    dx: Float32Array, dweight: Float32Array | null, dbias: Float32Array | null, rows: number, cols: number,
  ): void {
    const count = rows * cols;
    if (cols <= 0) return;
    const dyPointer = this.dataOffset;
    const xPointer = alignUp(dyPointer + count * 4, 16);
    const weightPointer = alignUp(xPointer + count * 4, 16);
    const meanPointer = alignUp(weightPointer + cols * 4, 16);
    const rstdPointer = alignUp(meanPointer + rows * 4, 16);
    const dweightPointer = alignUp(rstdPointer + rows * 4, 16);
    const dbiasPointer = alignUp(dweightPointer + cols * 4, 16);
    this.reserve(dbiasPointer + cols * 4);
    this.copyIn(dy, count, dyPointer);
    this.copyIn(x, count, xPointer);
    if (weight) this.copyIn(weight, cols, weightPointer);
    this.copyIn(mean, rows, meanPointer);
    this.copyIn(rstd, rows, rstdPointer);
    this.exports.layerNormBackward(
      dyPointer, xPointer, weight ? weightPointer : 0, meanPointer, rstdPointer, dyPointer,
      dweight ? dweightPointer : 0, dbias ? dbiasPointer : 0, rows, cols,
    );
    this.copyOut(dyPointer, dx, count);
    if (dweight) this.copyOut(dweightPointer, dweight, cols);
    if (dbias) this.copyOut(dbiasPointer, dbias, cols);
  }

  adam(
    param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, lr: number,
    beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: boolean, step: number,
  ): void {
    const count = param.length;
    if (count === 0) return;
    const paramPointer = this.dataOffset;
    const gradPointer = alignUp(paramPointer + count * 4, 16);
    const mPointer = alignUp(gradPointer + count * 4, 16);
    const vPointer = alignUp(mPointer + count * 4, 16);
    this.reserve(vPointer + count * 4);
    this.copyIn(param, count, paramPointer);
    this.copyIn(grad, count, gradPointer);
    this.copyIn(m, count, mPointer);
    this.copyIn(v, count, vPointer);
    // Scalars in double precision, as torch.optim computes them in Python.
    const biasCorrection1 = 1 - beta1 ** step;
    const biasCorrection2 = 1 - beta2 ** step;
    this.exports.adam(
      paramPointer, gradPointer, mPointer, vPointer, count,
      1 - beta1, beta2, 1 - beta2, eps, lr / biasCorrection1, Math.sqrt(biasCorrection2),
      decoupled ? 1 - lr * weightDecay : 1, decoupled ? 0 : weightDecay,
    );
    this.copyOut(paramPointer, param, count);
    this.copyOut(mPointer, m, count);
    this.copyOut(vPointer, v, count);
  }

  /** Grows the memory so that bytes [0, end) exist. */
  private reserve(end: number): void {
    if (end <= this.capacity) return;
    const pages = Math.ceil((end - this.capacity) / PAGE_BYTES);
    this.memory.grow(pages);
    // A shared memory keeps its buffer when it grows, but views must be recreated to see the new length.
    this.capacity = this.memory.buffer.byteLength;
    this.heap = new Float32Array(this.memory.buffer);
  }

  private copyIn(source: Float32Array, count: number, pointer: number): void {
    if (source.length < count) throw new RangeError(`wasm kernels: input has ${source.length} elements, needs ${count}`);
    const heap = this.heap;
    const start = pointer >>> 2;
    if (count <= SMALL_COPY) {
      for (let i = 0; i < count; i++) heap[start + i] = source[i];
    } else {
      heap.set(source.length === count ? source : source.subarray(0, count), start);
    }
  }

  private copyOut(pointer: number, target: Float32Array, count: number): void {
    if (target.length < count) throw new RangeError(`wasm kernels: output has ${target.length} elements, needs ${count}`);
    const heap = this.heap;
    const start = pointer >>> 2;
    if (count <= SMALL_COPY) {
      for (let i = 0; i < count; i++) target[i] = heap[start + i];
    } else {
      target.set(heap.subarray(start, start + count));
    }
  }
}
