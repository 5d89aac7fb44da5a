// Loads the WebAssembly kernels module and implements WasmKernels on it. Two instances of the same
// code: one over an ordinary memory, and one over a shared memory that the worker threads
// instantiate too. The CPU backend allocates its float32 storage in the shared memory
// (`allocate`), and from then on every call runs there and uses its operands where they lie;
// arrays that live elsewhere (small ones, other callers' arrays, or all of them where there is no
// SharedArrayBuffer and the ordinary memory serves alone) are copied into a per-call region and
// the results copied back.
//
// Memory layout, low to high: the module's static data | (shared memory only) the thread pool's
// control block, then the blocks of resident storage | per-call data from the top of the blocks
// (the parameter block of a pool job, copied operands, then scratch: B prepared for the threads
// and one block per participating thread). The module keeps no state, so every call reuses it.

import { kernelsRelaxedWasmBase64, kernelsWasmBase64 } from './generated/kernels';
import { CLAIM_ARGUMENT_COUNT, CLAIMS_OFFSET, CONTROL_BYTES, DONE_OFFSET, MAX_THREADS, ThreadPool } from './thread_pool';
import type { WasmKernels } from './index';
import { decodeBase64, withUnsharedMemory } from './module_bytes';
import { webAssembly, type WasmMemory, type WebAssemblyNamespace } from './webassembly';

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
    claims: number, tag: number, chunkRows: number, done: number, scratch: number,
  ): number;
  matmulOpenClaims(claims: number, tag: number, done: number): void;
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
  unary(op: number, x: number, out: number, count: number): void;
  activationBackward(op: number, g: number, saved: number, out: number, count: number): void;
  addRowVector(x: number, bias: number, rows: number, cols: number): void;
  binary(op: number, a: number, b: number, out: number, count: number): void;
  gatherRuns(x: number, out: number, offset: number, s0: number, s1: number, s2: number, t0: number, t1: number, t2: number, inner: number): void;
  sumRows(x: number, out: number, rows: number, cols: number): void;
  attentionScratchFloats(lengthK: number, headSize: number, valueSize: number): number;
  attention(
    q: number, k: number, v: number, out: number, logSumExp: number,
    batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: number, scratch: number,
  ): void;
  attentionBackward(
    q: number, k: number, v: number, out: number, logSumExp: number, dOut: number, dq: number, dk: number, dv: number,
    batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: number, scratch: number,
  ): void;
  adam(
    param: number, grad: number, m: number, v: number, count: number,
    lerpWeight: number, beta2: number, squareWeight: number, eps: number,
    stepSize: number, biasCorrection2Sqrt: number, decayFactor: number, gradDecay: number,
  ): void;
}

/** Unary ops with a SIMD kernel (assembly/elementwise.ts); codes match the module's. */
export type ElementwiseUnaryOp = 'tanh' | 'sigmoid' | 'geluTanh' | 'exp';
const UNARY_OP_CODES: Record<ElementwiseUnaryOp, number> = { tanh: 0, sigmoid: 1, geluTanh: 2, exp: 3 };
/** Fused activation gradients with a SIMD kernel; codes match the module's. */
export type ActivationBackwardOp = 'tanhBackward' | 'sigmoidBackward' | 'geluTanhBackward';
const BACKWARD_OP_CODES: Record<ActivationBackwardOp, number> = { tanhBackward: 0, sigmoidBackward: 1, geluTanhBackward: 2 };
/** Same-shape float32 arithmetic with a SIMD kernel; codes match the module's. */
export type ElementwiseBinaryOp = 'add' | 'sub' | 'mul';
const BINARY_OP_CODES: Record<ElementwiseBinaryOp, number> = { add: 0, sub: 1, mul: 2 };

const PAGE_BYTES = 65536;
/** The module declares this maximum; a smaller one is tried if the engine cannot reserve it. */
const MAXIMUM_PAGES = [65536, 16384, 4096];
/** Rows per micro-tile of the packed kernel: row chunks are multiples of it. */
const TILE_ROWS = 4;
/** Bounds of the row chunks threads claim: small enough to balance, large enough to reuse packed B. */
const MIN_CHUNK_ROWS = 16;
const MAX_CHUNK_ROWS = 96;
/**
 * Matmuls below this many flops stay on the calling thread. Measured with bench/threads.ts on the
 * 2-core Zen 4 reference machine, quiet, two threads against one: 96^3 1.0x, 128^3 1.2x, 160^3
 * 1.36x, 256^3 1.7x, 512^3 1.9x (a worker takes ~50 us to wake; the wake-up call hides most of it).
 */
const PARALLEL_MIN_FLOPS = 2 * 128 * 128 * 128;
/** Fewest output rows worth giving one thread. */
const PARALLEL_MIN_ROWS_PER_THREAD = 16;
/**
 * When other processes keep the cores busy, a worker may claim a chunk and then not be scheduled
 * for milliseconds while the main thread waits for it (measured: 256^3 on two threads at half the
 * single-thread speed). After this many consecutive split matmuls that were no faster than the main
 * thread's own pace predicts for one thread, splitting pauses for CONTENTION_PAUSE_MS.
 */
const CONTENTION_STRIKES = 3;
const CONTENTION_PAUSE_MS = 250;
/**
 * Outputs up to this length are copied out by a loop: subarray + set costs ~50 ns whatever the
 * length, a loop ~1 ns per element (measured, V8 11.3). Inputs go through set (~20 ns) unless a
 * short prefix of a longer array is wanted.
 */
const SMALL_COPY = 16;

/** Rows per claimed chunk: about eight chunks per thread, within [MIN_CHUNK_ROWS, MAX_CHUNK_ROWS]. */
function matmulChunkRows(rows: number, threads: number): number {
  const rowsPerChunk = alignUp(Math.ceil(rows / (threads * 8)), TILE_ROWS);
  return Math.max(MIN_CHUNK_ROWS, Math.min(MAX_CHUNK_ROWS, rowsPerChunk));
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** matmulClaimRows runs attentionJob for plan codes from this one (the module's ATTENTION_PLAN) on. */
const ATTENTION_PLAN = 16;
const ATTENTION_FORWARD = 0;
const ATTENTION_BACKWARD = 1;
/** Words of a pool job's parameter block (assembly/attention.ts attentionJob, assembly/elementwise.ts elementwiseJob). */
const JOB_PARAM_WORDS = 16;
/** matmulClaimRows runs elementwiseJob for this plan code (the module's ELEMENTWISE_PLAN), on blocks of ELEMENTWISE_BLOCK elements. */
const ELEMENTWISE_PLAN = 32;
const ELEMENTWISE_BLOCK = 8192;
/**
 * matmulClaimRows runs productsJob for this plan code (the module's PRODUCTS_PLAN): items are row
 * ranges of independent products, each described by PRODUCT_ITEM_WORDS words of the parameter block.
 */
const PRODUCTS_PLAN = 48;
const PRODUCT_ITEM_WORDS = 12;
/**
 * Activations (and their gradients) from this many elements split across the threads: GPT-2's GELU
 * costs ~3 ns an element on one core, so 64Ki elements are ~0.2 ms of work, well above a wake-up.
 */
const PARALLEL_MIN_ELEMENTS = 65536;

/** Which of the two builds this engine runs: the relaxed-SIMD one (fused multiply-add) or the plain SIMD one. */
export type KernelVariant = 'relaxed-simd' | 'simd';

/** A memory with the largest maximum the engine can reserve, or null. */
function createMemory(api: WebAssemblyNamespace, shared: boolean): WasmMemory | null {
  for (const maximum of MAXIMUM_PAGES) {
    try {
      return new api.Memory({ initial: 1, maximum, shared });
    } catch {
      // Try a smaller reservation.
    }
  }
  return null;
}

/** The environment variable that, set to 0, keeps the plain SIMD build (no fused multiply-add) everywhere. */
const RELAXED_SIMD_ENV = 'ATTUNE_WASM_RELAXED_SIMD';

/** Whether to try the relaxed-SIMD build at all: yes unless ATTUNE_WASM_RELAXED_SIMD=0. */
function relaxedSimdWanted(): boolean {
  return globalThis.process?.env?.[RELAXED_SIMD_ENV] !== '0';
}

/**
 * Node 20's V8 (11.3) validates WebAssembly relaxed SIMD only behind --experimental-wasm-relaxed-simd;
 * V8 11.4 (Chrome 114, Node 21 on) ships it on. The flag only makes more modules valid, so on Node
 * 20 it is switched on here, before the kernels compile: their fused multiply-add takes the GPT
 * training step of the transformer benchmark from ~200 to ~170 ms on one core (Zen 4). The module
 * is validated again afterwards, so an engine that ignores the flag keeps the plain build. Returns
 * whether the flag was set.
 */
function enableRelaxedSimd(): boolean {
  if (globalThis.process?.versions?.node?.split('.')[0] !== '20') return false;
  try {
    const v8 = globalThis.process?.getBuiltinModule?.('node:v8') as { setFlagsFromString(flags: string): void } | undefined;
    if (!v8) return false;
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates the kernels, or returns null when this engine has no WebAssembly SIMD. The shared memory
 * (and its worker threads, started later) is set up on the first resident allocation or the first
 * job large enough to split, whichever comes first.
 */
export function createKernelRuntime(defaultThreads: number): KernelRuntime | null {
  const api = webAssembly();
  if (!api) return null;
  try {
    let bytes = decodeBase64(kernelsRelaxedWasmBase64);
    let variant: KernelVariant = 'relaxed-simd';
    if (!relaxedSimdWanted() || (!api.validate(bytes) && !(enableRelaxedSimd() && api.validate(bytes)))) {
      bytes = decodeBase64(kernelsWasmBase64);
      variant = 'simd';
      if (!api.validate(bytes)) return null;
    }
    const memory = createMemory(api, false);
    if (!memory) return null;
    const instance = new api.Instance(new api.Module(withUnsharedMemory(bytes)), { env: { memory } });
    const exports = instance.exports as unknown as KernelExports;
    const local = new KernelHeap(memory, exports, alignUp(exports.heapBase(), 64));
    return new KernelRuntime(api, bytes, local, variant, defaultThreads);
  } catch {
    return null;
  }
}

/**
 * Bytes added to every resident block: the direct matmul kernels read whole vectors past the last
 * column of B, so an operand used where it lies must be followed by readable memory.
 */
const RESIDENT_PAD_BYTES = 16;
/**
 * Resident storage stops growing the memory past this many bytes; later arrays are ordinary ones.
 * The cap also bounds what storage never disposed can hold until the garbage collector finalizes
 * its views (their blocks are invisible to its heuristics).
 */
const RESIDENT_MAX_BYTES = 2 ** 30;

/** Floats in V8's largest on-heap typed array (64 bytes): no resident array is this small. */
const ON_HEAP_MAX_FLOATS = 16;

/** A block size class: bytes rounded up to 1/8 of their power of two (at most 12.5% slack), at least 64. */
function blockClass(bytes: number): number {
  const granule = Math.max(64, 2 ** (Math.floor(Math.log2(bytes)) - 3));
  return Math.ceil(bytes / granule) * granule;
}

/**
 * One instance of the kernels module and its memory: the copies in and out and, above the module's
 * data, blocks of resident storage (float32 arrays that live in this memory, so kernels use them
 * where they lie) followed by the per-call data region, which starts at the top of the blocks.
 */
class KernelHeap {
  /** A float view of the whole memory, refreshed whenever the memory grows. */
  private view: Float32Array;
  private capacity: number;
  /** End of the blocks handed out so far; the per-call data region starts here. */
  private top: number;
  /** Every buffer object the memory has had (a shared memory gets a new one when it grows). */
  private readonly buffers = new Set<ArrayBufferLike>();
  /** Free blocks by size class. */
  private readonly freeBlocks = new Map<number, number[]>();
  /** Start of every block in use. */
  private readonly live = new Set<number>();
  /** Bytes of blocks in use. */
  residentBytes = 0;
  /** Frees the block of a resident array the garbage collector took before anyone freed it. */
  private readonly collected = new FinalizationRegistry<{ pointer: number; bytes: number }>(({ pointer, bytes }) => this.releaseBlock(pointer, bytes));

  constructor(
    readonly memory: WasmMemory,
    readonly exports: KernelExports,
    /** First byte after the module's data (and the thread pool's control block). */
    start: number,
  ) {
    this.capacity = memory.buffer.byteLength;
    this.view = new Float32Array(memory.buffer);
    this.buffers.add(memory.buffer);
    this.top = start;
  }

  /** First byte of the per-call data region (the operands copied in, then scratch): the top of the blocks. */
  get dataOffset(): number {
    return this.top;
  }

  /**
   * Whether `array` lies in this heap's memory (a resident array), so that kernels can use it where
   * it is. Arrays of up to 16 floats are never resident (`allocate` refuses them) and are not asked
   * for their buffer: V8 keeps such small arrays on its heap and reading `.buffer` moves them off it,
   * which cost a batch-1 policy forward ~20 % (measured).
   */
  holds(array: Float32Array): boolean {
    return array.length > ON_HEAP_MAX_FLOATS && this.buffers.has(array.buffer);
  }

  /**
   * A float32 array of `count` elements in this memory (contents unspecified), or null when the
   * memory cannot grow for it or `count` is 16 or less. Give it back with `release`; one the garbage
   * collector takes first is given back then.
   */
  allocate(count: number): Float32Array | null {
    if (count <= ON_HEAP_MAX_FLOATS) return null;
    const bytes = blockClass(count * 4 + RESIDENT_PAD_BYTES);
    let pointer = this.freeBlocks.get(bytes)?.pop();
    if (pointer === undefined) {
      if (this.top + bytes > RESIDENT_MAX_BYTES) return null;
      try {
        this.reserve(this.top + bytes);
      } catch {
        return null; // the engine refused to grow the memory: plain arrays from now on for this size
      }
      pointer = this.top;
      this.top += bytes;
    }
    this.residentBytes += bytes;
    this.live.add(pointer);
    const buffer = this.memory.buffer;
    this.buffers.add(buffer); // in case anything else grew the memory
    const array = new Float32Array(buffer, pointer, count);
    this.collected.register(array, { pointer, bytes }, array);
    return array;
  }

  /**
   * Gives back the block of an array from `allocate`; false (nothing done) for any other array.
   * Throws for an array given back already (its block may hold another array by now).
   */
  release(array: Float32Array): boolean {
    if (!this.holds(array)) return false;
    if (!this.live.has(array.byteOffset)) throw new Error('wasm kernels: this resident array was released already');
    this.collected.unregister(array);
    this.releaseBlock(array.byteOffset, blockClass(array.length * 4 + RESIDENT_PAD_BYTES));
    return true;
  }

  private releaseBlock(pointer: number, bytes: number): void {
    this.live.delete(pointer);
    this.residentBytes -= bytes;
    let list = this.freeBlocks.get(bytes);
    if (!list) this.freeBlocks.set(bytes, (list = []));
    list.push(pointer);
  }

  /** Grows the memory so that bytes [0, end) exist. */
  reserve(end: number): void {
    if (end <= this.capacity) return;
    const pages = Math.ceil((end - this.capacity) / PAGE_BYTES);
    this.memory.grow(pages);
    // Views must be recreated to see the new length (a shared memory gets a new buffer object; views
    // of the old one stay valid, over the old length).
    this.capacity = this.memory.buffer.byteLength;
    this.view = new Float32Array(this.memory.buffer);
    this.buffers.add(this.memory.buffer);
  }

  /** An int32 view of `count` words at `pointer` (valid until the memory next grows). */
  int32View(pointer: number, count: number): Int32Array {
    return new Int32Array(this.memory.buffer, pointer, count);
  }

  /** Zero-fills `count` floats at `pointer`. */
  zero(pointer: number, count: number): void {
    this.view.fill(0, pointer >>> 2, (pointer >>> 2) + count);
  }

  /** Copies the first `count` floats of `source` to `pointer` (Frame has checked the length). */
  copyIn(source: Float32Array, count: number, pointer: number): void {
    const view = this.view;
    const start = pointer >>> 2;
    if (source.length === count) view.set(source, start);
    else if (count <= SMALL_COPY) for (let i = 0; i < count; i++) view[start + i] = source[i];
    else view.set(source.subarray(0, count), start);
  }

  /** Copies `count` floats at `pointer` to the start of `target` (Frame has checked the length). */
  copyOut(pointer: number, target: Float32Array, count: number): void {
    const view = this.view;
    const start = pointer >>> 2;
    if (count <= SMALL_COPY) {
      for (let i = 0; i < count; i++) target[i] = view[start + i];
    } else {
      target.set(view.subarray(start, start + count));
    }
  }
}

/**
 * The operands of one kernel call in a heap: arrays the heap holds (resident storage) are used
 * where they lie; the others get a slot in the per-call data region, inputs copied in by `copyIn`,
 * outputs copied back by `copyOut`. Lay out every operand and slot first, then `copyIn` (which
 * grows the memory to fit them), run the kernel, `copyOut`. Every operand's length is checked here.
 */
class Frame {
  private cursor: number;
  private readonly ins: [Float32Array, number, number][] = [];
  private readonly outs: [Float32Array, number, number][] = [];

  constructor(readonly heap: KernelHeap, reservedBytes = 0) {
    this.cursor = heap.dataOffset + reservedBytes;
  }

  /** A slot of `bytes` in the data region (16-byte aligned, or `align`). */
  slot(bytes: number, align = 16): number {
    const pointer = alignUp(this.cursor, align);
    this.cursor = pointer + bytes;
    return pointer;
  }

  /** Where the kernel reads `count` floats of `array` (copied when not resident; `spare` bytes after a copy). */
  input(array: Float32Array, count: number, spare = 0): number {
    if (array.length < count) throw new RangeError(`wasm kernels: input has ${array.length} elements, needs ${count}`);
    if (this.heap.holds(array)) return array.byteOffset;
    const pointer = this.slot(count * 4 + spare);
    this.ins.push([array, count, pointer]);
    return pointer;
  }

  /** Where the kernel writes `count` floats of `array` (copied back after the call when not resident). */
  output(array: Float32Array, count: number): number {
    if (array.length < count) throw new RangeError(`wasm kernels: output has ${array.length} elements, needs ${count}`);
    if (this.heap.holds(array)) return array.byteOffset;
    const pointer = this.slot(count * 4);
    this.outs.push([array, count, pointer]);
    return pointer;
  }

  /** An operand the kernel reads and updates in place. */
  inout(array: Float32Array, count: number): number {
    const pointer = this.input(array, count);
    if (!this.heap.holds(array)) this.outs.push([array, count, pointer]);
    return pointer;
  }

  /** End of the slots laid out so far. */
  get end(): number {
    return this.cursor;
  }

  /** Grows the memory for the slots, then copies the inputs in. */
  copyIn(): void {
    this.heap.reserve(this.cursor);
    for (const [array, count, pointer] of this.ins) this.heap.copyIn(array, count, pointer);
  }

  /** Copies the non-resident outputs back. */
  copyOut(): void {
    for (const [array, count, pointer] of this.outs) this.heap.copyOut(pointer, array, count);
  }
}

/** The instance over a shared memory that worker threads also run, with their pool. */
interface SharedSide {
  heap: KernelHeap;
  pool: ThreadPool;
  controlOffset: number;
}

/** Recent wall times (ms, exponential averages; 0 = none yet) of one job shape run split and on one thread. */
export interface SplitRecord {
  splitMs: number;
  singleMs: number;
  /** Timings folded into each average. */
  splitSamples: number;
  singleSamples: number;
  calls: number;
  /** Set when a probe of the slower way beat the faster one's average: probe again on the next call. */
  probeAgain: boolean;
}

/** Job shapes remembered at most (the map starts over beyond). */
const SPLIT_MAX_RECORDS = 4096;
/** Timings of each way a shape collects, alternating, before the faster one is preferred. */
const SPLIT_WARMUP_SAMPLES = 3;

/** Weight of the newest timing in a SplitRecord's averages. */
const SPLIT_TIMING_WEIGHT = 0.3;
/**
 * The slower way runs every SPLIT_EXPLORE_CLOSE-th call of a shape while the two are within
 * SPLIT_CLOSE_RATIO of each other, every SPLIT_EXPLORE_FAR-th call while within SPLIT_FAR_RATIO
 * (~3% of the calls of a shape that splits twice as fast on a quiet machine), and every
 * SPLIT_EXPLORE_RARE-th call beyond (split jobs measured 2-4× slower than one thread at load 2.5
 * on the 2-core box: probing them every 32nd call cost ~5% of the step).
 */
const SPLIT_CLOSE_RATIO = 1.3;
const SPLIT_FAR_RATIO = 2;
const SPLIT_EXPLORE_CLOSE = 8;
const SPLIT_EXPLORE_FAR = 32;
const SPLIT_EXPLORE_RARE = 128;

/**
 * Chooses, per job shape, between splitting across the threads and running on the calling thread,
 * (a probe of the slower way that beats the faster one is followed by another at once, so the
 * choice turns within a few calls when the machine gets quieter or busier),
 * from the recent wall time of each (copies included). On a quiet machine splitting wins and the
 * single-thread runs are rare probes; when other processes keep the cores busy, a worker that
 * claims a chunk and is then descheduled holds the main thread for a scheduler time slice, and
 * splitting can lose (measured on the 2-core box at load 3.3: the GPT bench step at ~410 ms median
 * on two threads, ~258 ms on one, in the same process). The main thread's pace alone cannot tell:
 * contention slows it too.
 */
export class SplitChooser {
  private readonly records = new Map<string, SplitRecord>();
  /** 'always' splits every job large enough (tests of the threaded paths); 'auto' chooses by timings. */
  mode: 'auto' | 'always' = 'auto';

  /** The record of job shape `key`. */
  record(key: string): SplitRecord {
    let record = this.records.get(key);
    // Shapes that keep changing (a growing key-value cache, variable batches) must not grow the map without end.
    if (!record && this.records.size >= SPLIT_MAX_RECORDS) this.records.clear();
    if (!record) this.records.set(key, (record = { splitMs: 0, singleMs: 0, splitSamples: 0, singleSamples: 0, calls: 0, probeAgain: false }));
    return record;
  }

  /** Whether this call of the shape should split: the faster way, and the other now and then to keep its time current. */
  choose(record: SplitRecord): boolean {
    record.calls++;
    if (this.mode === 'always') return true;
    // Alternate until each way has a few timings: one unlucky first timing must not decide for long.
    if (record.splitSamples < SPLIT_WARMUP_SAMPLES || record.singleSamples < SPLIT_WARMUP_SAMPLES) return record.splitSamples <= record.singleSamples;
    const splitFaster = record.splitMs <= record.singleMs;
    if (record.probeAgain) {
      record.probeAgain = false;
      return !splitFaster;
    }
    const ratio = splitFaster ? record.singleMs / record.splitMs : record.splitMs / record.singleMs;
    const period = ratio < SPLIT_CLOSE_RATIO ? SPLIT_EXPLORE_CLOSE : ratio < SPLIT_FAR_RATIO ? SPLIT_EXPLORE_FAR : SPLIT_EXPLORE_RARE;
    const explore = record.calls % period === 0;
    return splitFaster !== explore;
  }

  /**
   * Folds one wall time of the shape, split or not, into its record. A time is capped at twice the
   * average first, so that one outlier (a garbage collection, one preemption) moves the average by
   * at most 30%, while a run of slow times still turns it within a few calls.
   */
  note(record: SplitRecord, split: boolean, ms: number): void {
    const average = split ? record.splitMs : record.singleMs;
    // A probe of the slower way that beat the faster one: the load may have changed, so follow it up
    // at once rather than a probe period later (otherwise flipping takes several periods).
    const other = split ? record.singleMs : record.splitMs;
    if (average > other && other > 0 && ms < other) record.probeAgain = true;
    const next = average === 0 ? ms : average + SPLIT_TIMING_WEIGHT * (Math.min(ms, 2 * average) - average);
    if (split) {
      record.splitMs = next;
      record.splitSamples++;
    } else {
      record.singleMs = next;
      record.singleSamples++;
    }
  }
}

/** The kernels: single-threaded calls on an instance over an ordinary memory, threaded matmuls on a shared one. */
export class KernelRuntime implements WasmKernels {
  private readonly scratchBytes: number;
  /** Undefined until a large matmul first asks for threads; null when they cannot be had. */
  private shared: SharedSide | null | undefined;
  private threads: number;
  /** Threads (main included) the most recent matmul ran on. */
  lastMatmulThreads = 0;
  /** Threads (main included) that took part in the most recent fused attention or activation kernel call. */
  lastJobThreads = 0;
  /** Consecutive split matmuls that did not beat one thread, and until when splitting pauses. */
  private contentionStrikes = 0;
  private splitPausedUntil = 0;
  /** How many times splitting has paused for contention (diagnostics). */
  splitPauses = 0;
  /** Whether every worker of the last pool job had finished starting up (else its timing is no sign of anything). */
  private lastJobAllRunning = true;
  /** Split or not, per job shape, from recent timings. */
  readonly chooser = new SplitChooser();
  /** Argument block reused for every threaded matmul. */
  private readonly claimArguments = new Int32Array(CLAIM_ARGUMENT_COUNT);
  /** A float32's bits as an int32, for the attention parameter block. */
  private readonly scaleBits = new Float32Array(1);
  private readonly scaleBitsInt = new Int32Array(this.scaleBits.buffer);

  constructor(
    private readonly api: WebAssemblyNamespace,
    /** The module bytes as built (importing a shared memory), for the threaded instance. */
    private readonly sharedBytes: Uint8Array<ArrayBuffer>,
    /** The heap single-threaded calls run in: the ordinary memory's, or the shared one once storage lives there. */
    private local: KernelHeap,
    /** Which build was loaded. */
    readonly variant: KernelVariant,
    threads: number,
  ) {
    this.threads = threads;
    this.scratchBytes = local.exports.matmulScratchBytes();
  }

  /** Threads used for large matmuls (main thread included). */
  get threadCount(): number {
    return this.threads;
  }

  set threadCount(count: number) {
    // Workers beyond the count stay parked (blocked, costing no CPU) so that toggling is cheap;
    // missing ones start on the next large matmul. terminateWorkers() stops them.
    this.threads = Math.max(1, Math.min(MAX_THREADS, Math.floor(count)));
  }

  /** Stops every worker thread (they restart on the next large matmul if threadCount > 1). */
  terminateWorkers(): void {
    this.shared?.pool.terminate();
  }

  /**
   * A float32 array of `count` elements (contents unspecified) in the shared memory the kernels and
   * their worker threads run in, so that every kernel call reads and writes it where it lies instead
   * of copying it in and out (in the GPT-2 training step of benchmarks/transformer those copies
   * were ~300 MB and ~20 ms a step). Null where there is no shared memory (no SharedArrayBuffer) or
   * it cannot grow; plain arrays then work as before. From the first one on, single-threaded calls
   * run in the shared memory too. Give it back with `release` (the garbage collector's finalizer
   * does it for one never released).
   */
  allocate(count: number): Float32Array | null {
    const shared = this.residentHeap();
    return shared ? shared.allocate(count) : null;
  }

  /** Gives back an array from `allocate`; false (nothing done) for any other array. */
  release(array: Float32Array): boolean {
    return this.shared ? this.shared.heap.release(array) : false;
  }

  /** Bytes of storage from `allocate` in use (diagnostics and leak tests). */
  get residentBytes(): number {
    return this.shared ? this.shared.heap.residentBytes : 0;
  }

  /** The shared heap, made the one single-threaded calls use too; null without shared memory. */
  private residentHeap(): KernelHeap | null {
    const shared = this.sharedSide();
    if (!shared) return null;
    this.local = shared.heap;
    return shared.heap;
  }

  /** The shared-memory instance and its pool, created on first use; null where threads are unavailable. */
  private sharedSide(): SharedSide | null {
    if (this.shared !== undefined) return this.shared;
    this.shared = null;
    if (typeof SharedArrayBuffer !== 'function') return null;
    try {
      const memory = createMemory(this.api, true);
      if (!memory) return null;
      const module = new this.api.Module(this.sharedBytes);
      const exports = new this.api.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
      const controlOffset = alignUp(exports.heapBase(), 64);
      const pool = new ThreadPool(module, memory, controlOffset);
      if (!pool.available) return null;
      const heap = new KernelHeap(memory, exports, alignUp(controlOffset + CONTROL_BYTES, 64));
      this.shared = { heap, pool, controlOffset };
    } catch {
      this.shared = null;
    }
    return this.shared;
  }

  matmul(
    a: Float32Array, b: Float32Array, out: Float32Array, batch: number, m: number, k: number, n: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number, rowBias: Float32Array | null = null,
  ): void {
    if (batch <= 0 || m <= 0 || n <= 0) return;
    if (k <= 0) {
      out.fill(0, 0, batch * m * n);
      if (rowBias) for (let row = 0; row < batch * m * n; row += n) for (let j = 0; j < n; j++) out[row + j] += rowBias[j];
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
    let workers = 0;
    let shared: SharedSide | null = null;
    const record = this.threads > 1 && 2 * rows * n * k >= PARALLEL_MIN_FLOPS ? this.chooser.record(`mm${batch},${m},${k},${n},${+transA}${+transB},${aBatchStride},${bBatchStride}`) : null;
    const callStarted = record ? performance.now() : 0;
    let allRunning = true;
    if (record && this.chooser.choose(record) && !this.splitPaused(callStarted)) {
      const wanted = Math.min(this.threads, Math.floor(rows / PARALLEL_MIN_ROWS_PER_THREAD)) - 1;
      if (wanted > 0) {
        shared = this.sharedSide();
        if (shared) workers = Math.min(wanted, shared.pool.ensureWorkers(this.threads - 1));
      }
    }
    const heap = workers > 0 ? shared!.heap : this.local;
    const exports = heap.exports;
    const frame = new Frame(heap);
    const aPointer = frame.input(a, aCount);
    // 16 spare bytes after B: the direct kernels read whole vectors past its last column.
    const bPointer = frame.input(b, bCount, 16);
    const cPointer = frame.output(out, cCount);
    const biasPointer = rowBias ? frame.input(rowBias, n) : 0;
    const transposeA = transA ? 1 : 0;
    const transposeB = transB ? 1 : 0;
    if (workers === 0) {
      const scratchPointer = frame.slot(this.scratchBytes, 64);
      frame.copyIn();
      this.lastMatmulThreads = 1;
      exports.matmul(
        aPointer, bPointer, cPointer, m, k, n, transposeA, transposeB, aBatchStride, bBatchStride,
        0, rows, scratchPointer,
      );
    } else {
      // B is prepared once (packed or transposed, as the plan needs), then the threads claim row chunks.
      const { pool, controlOffset } = shared!;
      pool.wake(workers);
      const plan = exports.matmulPlan(m, k, n, transposeA, transposeB);
      const sharedPrepared = batch === 1 || bBatchStride === 0;
      const preparedItems = sharedPrepared ? 1 : batch;
      const preparedPointer = frame.slot(preparedItems * exports.matmulPreparedBFloats(plan, k, n) * 4, 64);
      const threadScratchPointer = frame.slot((workers + 1) * this.scratchBytes, 64);
      frame.copyIn();
      exports.matmulPrepareB(plan, bPointer, k, n, transposeB, bBatchStride, preparedItems, preparedPointer);
      const chunkRows = matmulChunkRows(rows, workers + 1);
      const claimsPointer = controlOffset + CLAIMS_OFFSET;
      const donePointer = controlOffset + DONE_OFFSET;
      const args = this.claimArguments;
      args[0] = plan; args[1] = aPointer; args[2] = bPointer; args[3] = preparedPointer; args[4] = sharedPrepared ? 1 : 0;
      args[5] = cPointer; args[6] = m; args[7] = k; args[8] = n; args[9] = transposeA; args[10] = transposeB;
      args[11] = aBatchStride; args[12] = bBatchStride; args[13] = rows; args[14] = claimsPointer;
      const tag = pool.nextTag();
      args[15] = tag; args[16] = chunkRows; args[17] = donePointer;
      pool.publish(args, threadScratchPointer, this.scratchBytes, workers, () =>
        exports.matmulOpenClaims(claimsPointer, tag, donePointer),
      );
      const started = performance.now();
      const mainRows = exports.matmulClaimRows(
        plan, aPointer, bPointer, preparedPointer, sharedPrepared ? 1 : 0, cPointer, m, k, n, transposeA, transposeB,
        aBatchStride, bBatchStride, rows, claimsPointer, tag, chunkRows, donePointer, threadScratchPointer,
      );
      const mainFinished = performance.now();
      this.lastMatmulThreads = pool.waitDone(rows);
      // Workers still starting up are no sign of contention.
      allRunning = pool.runningCount(workers) === workers;
      if (allRunning) this.noteSplitOutcome(mainRows, rows, mainFinished - started, performance.now() - started);
    }
    if (rowBias) exports.addRowVector(cPointer, biasPointer, rows, n);
    frame.copyOut();
    if (record && allRunning) this.chooser.note(record, workers > 0, performance.now() - callStarted);
  }

  /**
   * How many workers (besides the main thread) a job of `flops` over `items` claimable items should
   * use: 0 when threads are off (no `record`), the job is small, one thread has been faster for its
   * shape, splitting is paused for contention, or the pool is unavailable. When positive, the workers have been sent their wake-up call and `this.shared`
   * holds the pool and the shared heap the job must run in.
   */
  private poolWorkers(flops: number, items: number, record: SplitRecord | null): number {
    if (!record || flops < PARALLEL_MIN_FLOPS || items < 2 || !this.chooser.choose(record) || this.splitPaused(performance.now())) return 0;
    const shared = this.sharedSide();
    if (!shared) return 0;
    const workers = Math.min(Math.min(this.threads, items) - 1, shared.pool.ensureWorkers(this.threads - 1));
    if (workers > 0) shared.pool.wake(workers);
    return workers;
  }

  /**
   * Runs a non-matmul job on the pool: its parameter block is at the shared heap's data offset,
   * `plan` selects the module's job (ATTENTION_PLAN + kind, ELEMENTWISE_PLAN), and the threads claim
   * `items` in chunks of `chunk`; worker i gets scratch at scratchPointer + (i + 1) · scratchBytes.
   * Returns how many threads took part.
   */
  private runOnPool(workers: number, plan: number, items: number, chunk: number, scratchPointer: number): number {
    const { pool, controlOffset, heap } = this.shared!;
    const claimsPointer = controlOffset + CLAIMS_OFFSET;
    const donePointer = controlOffset + DONE_OFFSET;
    const args = this.claimArguments;
    args.fill(0);
    args[0] = plan; args[1] = heap.dataOffset; args[13] = items; args[14] = claimsPointer;
    const tag = pool.nextTag();
    args[15] = tag; args[16] = chunk; args[17] = donePointer;
    pool.publish(args, scratchPointer, this.scratchBytes, workers, () => heap.exports.matmulOpenClaims(claimsPointer, tag, donePointer));
    const started = performance.now();
    const mainItems = heap.exports.matmulClaimRows(plan, heap.dataOffset, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, items, claimsPointer, tag, chunk, donePointer, scratchPointer);
    const mainFinished = performance.now();
    const threads = pool.waitDone(items);
    this.lastJobAllRunning = pool.runningCount(workers) === workers;
    if (this.lastJobAllRunning) this.noteSplitOutcome(mainItems, items, mainFinished - started, performance.now() - started);
    return threads;
  }

  /**
   * An activation (kind 0, unary op) or its gradient (kind 1) over `count` elements split across
   * the pool in blocks of ELEMENTWISE_BLOCK; false (nothing done) when it should stay on this thread.
   */
  private elementwiseOnPool(kind: number, op: number, x: Float32Array, saved: Float32Array | null, out: Float32Array, count: number, record: SplitRecord | null): boolean {
    if (count < PARALLEL_MIN_ELEMENTS) return false;
    const items = Math.ceil(count / ELEMENTWISE_BLOCK);
    const workers = this.poolWorkers(PARALLEL_MIN_FLOPS, items, record);
    if (workers === 0) return false;
    const heap = this.shared!.heap;
    const frame = new Frame(heap, JOB_PARAM_WORDS * 4);
    const xPointer = frame.input(x, count);
    const savedPointer = saved ? frame.input(saved, count) : 0;
    const outPointer = frame.output(out, count);
    frame.copyIn();
    const params = heap.int32View(heap.dataOffset, JOB_PARAM_WORDS);
    params[0] = kind; params[1] = op; params[2] = xPointer; params[3] = savedPointer; params[4] = outPointer; params[5] = count;
    // No scratch: the workers' scratch pointers are never used.
    this.lastJobThreads = this.runOnPool(workers, ELEMENTWISE_PLAN, items, Math.max(1, Math.floor(items / ((workers + 1) * 4))), alignUp(frame.end, 64));
    frame.copyOut();
    return true;
  }

  /** Whether splitting is paused for contention at time `now` ('always' mode never pauses: it is for tests of the threaded paths). */
  private splitPaused(now: number): boolean {
    return this.chooser.mode !== 'always' && now < this.splitPausedUntil;
  }

  /**
   * Compares a split matmul's time with what one thread would have taken at the main thread's
   * measured pace, and pauses splitting after CONTENTION_STRIKES that did not gain.
   */
  private noteSplitOutcome(mainRows: number, rows: number, mainMs: number, totalMs: number): void {
    const oneThreadMs = mainRows > 0 ? (mainMs * rows) / mainRows : Infinity;
    if (totalMs < 0.95 * oneThreadMs) {
      this.contentionStrikes = 0;
      return;
    }
    if (++this.contentionStrikes >= CONTENTION_STRIKES) {
      this.contentionStrikes = 0;
      this.splitPausedUntil = performance.now() + CONTENTION_PAUSE_MS;
      this.splitPauses++;
    }
  }

  /**
   * Runs `kernel(inputPointer, outputPointer)` on `input` (count floats) into `out` in the local heap:
   * the shape of every one-operand elementwise or row kernel (they allow the two to be one array).
   */
  private unaryKernel(input: Float32Array, count: number, out: Float32Array, kernel: (inputPointer: number, outPointer: number) => void): void {
    if (count <= 0) return;
    const frame = new Frame(this.local);
    const inputPointer = frame.input(input, count);
    const outPointer = frame.output(out, count);
    frame.copyIn();
    kernel(inputPointer, outPointer);
    frame.copyOut();
  }

  /** As `unaryKernel` with a second input of `secondCount` floats. */
  private binaryKernel(
    first: Float32Array, count: number, second: Float32Array, secondCount: number, out: Float32Array,
    kernel: (firstPointer: number, secondPointer: number, outPointer: number) => void,
  ): void {
    if (count <= 0) return;
    const frame = new Frame(this.local);
    const firstPointer = frame.input(first, count);
    const secondPointer = frame.input(second, secondCount);
    const outPointer = frame.output(out, count);
    frame.copyIn();
    kernel(firstPointer, secondPointer, outPointer);
    frame.copyOut();
  }

  unary(op: ElementwiseUnaryOp, x: Float32Array, out: Float32Array, count: number): void {
    const record = this.activationRecord(0, UNARY_OP_CODES[op], count);
    const started = record ? performance.now() : 0;
    this.lastJobAllRunning = true;
    const split = this.elementwiseOnPool(0, UNARY_OP_CODES[op], x, null, out, count, record);
    if (!split) {
      this.lastJobThreads = 1;
      this.unaryKernel(x, count, out, (xPointer, outPointer) => this.local.exports.unary(UNARY_OP_CODES[op], xPointer, outPointer, count));
    }
    if (record && this.lastJobAllRunning) this.chooser.note(record, split, performance.now() - started);
  }

  activationBackward(op: ActivationBackwardOp, grad: Float32Array, saved: Float32Array, out: Float32Array, count: number): void {
    const record = this.activationRecord(1, BACKWARD_OP_CODES[op], count);
    const started = record ? performance.now() : 0;
    this.lastJobAllRunning = true;
    const split = this.elementwiseOnPool(1, BACKWARD_OP_CODES[op], grad, saved, out, count, record);
    if (!split) {
      this.lastJobThreads = 1;
      this.binaryKernel(grad, count, saved, count, out, (g, y, o) => this.local.exports.activationBackward(BACKWARD_OP_CODES[op], g, y, o, count));
    }
    if (record && this.lastJobAllRunning) this.chooser.note(record, split, performance.now() - started);
  }

  /** The split-or-not record of an activation job large enough to split, else null. */
  private activationRecord(kind: number, op: number, count: number): SplitRecord | null {
    return this.threads > 1 && count >= PARALLEL_MIN_ELEMENTS ? this.chooser.record(`ew${kind},${op},${count}`) : null;
  }

  binary(op: ElementwiseBinaryOp, a: Float32Array, b: Float32Array, out: Float32Array, count: number): void {
    this.binaryKernel(a, count, b, count, out, (aPointer, bPointer, outPointer) => this.local.exports.binary(BINARY_OP_CODES[op], aPointer, bPointer, outPointer, count));
  }

  gatherRuns(x: Float32Array, out: Float32Array, offset: number, sizes: readonly [number, number, number], strides: readonly [number, number, number], inner: number): void {
    const count = sizes[0] * sizes[1] * sizes[2] * inner;
    if (count <= 0) return;
    const frame = new Frame(this.local);
    const xPointer = frame.input(x, x.length);
    const outPointer = frame.output(out, count);
    frame.copyIn();
    this.local.exports.gatherRuns(xPointer, outPointer, offset, sizes[0], sizes[1], sizes[2], strides[0], strides[1], strides[2], inner);
    frame.copyOut();
  }

  addRowVector(x: Float32Array, bias: Float32Array, rows: number, cols: number): void {
    if (rows * cols <= 0) return;
    const frame = new Frame(this.local);
    const xPointer = frame.inout(x, rows * cols);
    const biasPointer = frame.input(bias, cols);
    frame.copyIn();
    this.local.exports.addRowVector(xPointer, biasPointer, rows, cols);
    frame.copyOut();
  }

  /**
   * The gradients of a linear layer y = x·Wᵀ (+ b), x (m, k), weight (n, k), from dy (m, n): dx = dy·W
   * (m, k), dweight = dyᵀ·x (n, k) and dbias = Σ_rows dy (n) into the non-null outputs. dy is read
   * (or, when not resident, copied in) once for all three, and when the call splits across the
   * threads both products are one pool job (one wake-up) of row parts, dW's first, over x packed
   * once; a thread left alone computes everything. Each row is computed exactly as `matmul`
   * computes it, and the bias gradient as `sumRows`, so the results are bit for bit those of the
   * composed path.
   */
  linearBackward(
    dy: Float32Array, x: Float32Array, weight: Float32Array, dx: Float32Array | null, dweight: Float32Array | null, dbias: Float32Array | null,
    m: number, k: number, n: number,
  ): void {
    if (m <= 0 || n <= 0 || k <= 0) {
      dx?.fill(0, 0, m * k);
      dweight?.fill(0, 0, n * k);
      if (dbias) this.sumRows(dy, dbias, m, n);
      return;
    }
    const flops = 2 * m * n * k * ((dx ? 1 : 0) + (dweight ? 1 : 0));
    const record = this.threads > 1 && flops >= PARALLEL_MIN_FLOPS ? this.chooser.record(`lb${m},${k},${n},${+!!dx}${+!!dweight}`) : null;
    const callStarted = record ? performance.now() : 0;
    // Row parts per product: 8·threads each (small parts: a thread descheduled mid-part holds the
    // others up for less). x, dW's B operand, is packed once for all of dW's parts: with dW as one
    // part per thread pair (each packing x again), a late or descheduled thread holding it cost
    // half the split's gain (measured: 1.2× instead of 1.8× on two threads for 1024×128×384).
    const threads = Math.max(1, this.threads);
    const dwParts = dweight ? 8 * threads : 0;
    const dxParts = dx ? 8 * threads : 0;
    const workers = flops > 0 ? this.poolWorkers(flops, dwParts + dxParts, record) : 0;
    this.lastJobAllRunning = true;
    const heap = workers > 0 ? this.shared!.heap : this.local;
    const items = workers > 0 ? dwParts + dxParts : 0;
    const frame = new Frame(heap, items * PRODUCT_ITEM_WORDS * 4);
    const dyPointer = frame.input(dy, m * n);
    // 16 spare bytes after each B operand (weight, x): the direct kernels read whole vectors past its last column.
    const weightPointer = dx ? frame.input(weight, n * k, 16) : 0;
    const xPointer = dweight ? frame.input(x, m * k, 16) : 0;
    const dxPointer = dx ? frame.output(dx, m * k) : 0;
    const dwPointer = dweight ? frame.output(dweight, n * k) : 0;
    const dbPointer = dbias ? frame.output(dbias, n) : 0;
    // dW = dyᵀ·x: (n, m)·(m, k); when split, x goes here prepared (packed) once for every part.
    const exports = heap.exports;
    const dwPlan = dweight && workers > 0 ? exports.matmulPlan(n, m, k, 1, 0) : 0;
    const xPreparedFloats = dweight && workers > 0 ? exports.matmulPreparedBFloats(dwPlan, m, k) : 0;
    const xPreparedPointer = frame.slot(xPreparedFloats * 4, 64);
    const scratchPointer = frame.slot((workers + 1) * this.scratchBytes, 64);
    frame.copyIn();
    // dx = dy·W: (m, n)·(n, k); dW = dyᵀ·x: (n, m)·(m, k) with dy read transposed.
    if (workers === 0) {
      this.lastJobThreads = 1;
      if (dweight) exports.matmul(dyPointer, xPointer, dwPointer, n, m, k, 1, 0, 0, 0, 0, n, scratchPointer);
      if (dx) exports.matmul(dyPointer, weightPointer, dxPointer, m, n, k, 0, 0, 0, 0, 0, m, scratchPointer);
    } else {
      const params = heap.int32View(heap.dataOffset, items * PRODUCT_ITEM_WORDS);
      let item = 0;
      const addParts = (parts: number, a: number, b: number, c: number, rows: number, depth: number, transA: number, prepared: number): void => {
        const plan = exports.matmulPlan(rows, depth, k, transA, 0);
        // Part boundaries on whole micro-tiles of 4 rows.
        const step = Math.ceil(rows / parts / 4) * 4;
        for (let part = 0; part < parts; part++, item++) {
          const words = item * PRODUCT_ITEM_WORDS;
          params[words] = plan; params[words + 1] = a; params[words + 2] = b; params[words + 3] = c;
          params[words + 4] = rows; params[words + 5] = depth; params[words + 6] = k; params[words + 7] = transA; params[words + 8] = 0;
          params[words + 9] = Math.min(rows, part * step); params[words + 10] = Math.min(rows, (part + 1) * step);
          params[words + 11] = prepared;
        }
      };
      let xPrepared = 0;
      if (dweight && xPreparedFloats > 0) {
        exports.matmulPrepareB(dwPlan, xPointer, m, k, 0, 0, 1, xPreparedPointer);
        xPrepared = xPreparedPointer;
      }
      if (dweight) addParts(dwParts, dyPointer, xPointer, dwPointer, n, m, 1, xPrepared);
      if (dx) addParts(dxParts, dyPointer, weightPointer, dxPointer, m, n, 0, 0);
      this.lastJobThreads = this.runOnPool(workers, PRODUCTS_PLAN, items, 1, scratchPointer);
    }
    if (dbias) {
      heap.zero(dbPointer, n);
      exports.sumRows(dyPointer, dbPointer, m, n);
    }
    frame.copyOut();
    if (record && this.lastJobAllRunning) this.chooser.note(record, workers > 0, performance.now() - callStarted);
  }

  sumRows(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
    if (cols <= 0) return;
    const frame = new Frame(this.local);
    const xPointer = frame.input(x, rows * cols);
    const outPointer = frame.output(out, cols);
    frame.copyIn();
    this.local.zero(outPointer, cols);
    this.local.exports.sumRows(xPointer, outPointer, rows, cols);
    frame.copyOut();
  }

  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
    this.unaryKernel(x, rows * cols, out, (xPointer, outPointer) => this.local.exports.softmax(xPointer, outPointer, rows, cols));
  }

  logSoftmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
    this.unaryKernel(x, rows * cols, out, (xPointer, outPointer) => this.local.exports.logSoftmax(xPointer, outPointer, rows, cols));
  }

  softmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void {
    this.binaryKernel(dy, rows * cols, y, rows * cols, dx, (dyPointer, yPointer, dxPointer) => this.local.exports.softmaxBackward(yPointer, dyPointer, dxPointer, rows, cols));
  }

  logSoftmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void {
    this.binaryKernel(dy, rows * cols, y, rows * cols, dx, (dyPointer, yPointer, dxPointer) => this.local.exports.logSoftmaxBackward(yPointer, dyPointer, dxPointer, rows, cols));
  }

  layerNorm(
    x: Float32Array, weight: Float32Array | null, bias: Float32Array | null, out: Float32Array,
    mean: Float32Array, rstd: Float32Array, rows: number, cols: number, eps: number,
  ): void {
    const count = rows * cols;
    if (count <= 0) return;
    const frame = new Frame(this.local);
    const xPointer = frame.input(x, count);
    const weightPointer = weight ? frame.input(weight, cols) : 0;
    const biasPointer = bias ? frame.input(bias, cols) : 0;
    const outPointer = frame.output(out, count);
    const meanPointer = frame.output(mean, rows);
    const rstdPointer = frame.output(rstd, rows);
    frame.copyIn();
    this.local.exports.layerNorm(xPointer, weightPointer, biasPointer, outPointer, meanPointer, rstdPointer, rows, cols, eps);
    frame.copyOut();
  }

  layerNormBackward(
    dy: Float32Array, x: Float32Array, weight: Float32Array | null, mean: Float32Array, rstd: Float32Array,
    dx: Float32Array, dweight: Float32Array | null, dbias: Float32Array | null, rows: number, cols: number,
  ): void {
    const count = rows * cols;
    if (cols <= 0) return;
    const frame = new Frame(this.local);
    const dyPointer = frame.input(dy, count);
    const xPointer = frame.input(x, count);
    const weightPointer = weight ? frame.input(weight, cols) : 0;
    const meanPointer = frame.input(mean, rows);
    const rstdPointer = frame.input(rstd, rows);
    const dxPointer = frame.output(dx, count);
    const dweightPointer = dweight ? frame.output(dweight, cols) : 0;
    const dbiasPointer = dbias ? frame.output(dbias, cols) : 0;
    frame.copyIn();
    this.local.exports.layerNormBackward(dyPointer, xPointer, weightPointer, meanPointer, rstdPointer, dxPointer, dweightPointer, dbiasPointer, rows, cols);
    frame.copyOut();
  }

  attention(
    q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, logSumExp: Float32Array,
    batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean,
  ): void {
    if (batch <= 0 || lengthQ <= 0) return;
    this.attentionJob(ATTENTION_FORWARD, batch, lengthQ, lengthK, headSize, valueSize, scale, causal, [q, k, v, null, null, null], [out, logSumExp, null, null, null, null]);
  }

  attentionBackward(
    q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, logSumExp: Float32Array, dOut: Float32Array,
    dq: Float32Array, dk: Float32Array, dv: Float32Array,
    batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean,
  ): void {
    if (batch <= 0) return;
    this.attentionJob(ATTENTION_BACKWARD, batch, lengthQ, lengthK, headSize, valueSize, scale, causal, [q, k, v, out, logSumExp, dOut], [null, null, null, dq, dk, dv]);
  }

  /**
   * Runs attention forward or backward over `batch` items: copies the inputs in, lays out the job's
   * parameter block (the module's attentionJob words) and runs it on this thread, or, when the
   * product is large enough and threads are up, on the pool, batch items claimed like matmul rows.
   * inputs: q, k, v, out, logSumExp, dOut (the last three backward only); outputs, in the same
   * order from out on: out, logSumExp, dOut (never), dq, dk, dv — null where not written.
   */
  private attentionJob(
    kind: number, batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean,
    inputs: readonly (Float32Array | null)[], outputs: readonly (Float32Array | null)[],
  ): void {
    const qCount = batch * lengthQ * headSize;
    const kCount = batch * lengthK * headSize;
    const vCount = batch * lengthK * valueSize;
    const outCount = batch * lengthQ * valueSize;
    const lseCount = batch * lengthQ;
    // q, k, v, out, logSumExp, dOut, dq, dk, dv: the parameter block's order.
    const counts = [qCount, kCount, vCount, outCount, lseCount, kind === ATTENTION_FORWARD ? 0 : outCount, kind === ATTENTION_FORWARD ? 0 : qCount, kind === ATTENTION_FORWARD ? 0 : kCount, kind === ATTENTION_FORWARD ? 0 : vCount];
    const scratchBytes = this.local.exports.attentionScratchFloats(lengthK, headSize, valueSize) * 4;
    const flops = (kind === ATTENTION_FORWARD ? 4 : 10) * batch * lengthQ * lengthK * Math.max(headSize, valueSize) * (causal ? 0.5 : 1);
    const record = this.threads > 1 && flops >= PARALLEL_MIN_FLOPS ? this.chooser.record(`at${kind},${batch},${lengthQ},${lengthK},${headSize},${valueSize},${+causal}`) : null;
    const callStarted = record ? performance.now() : 0;
    const workers = scratchBytes <= this.scratchBytes ? this.poolWorkers(flops, batch, record) : 0;
    this.lastJobAllRunning = true;
    const heap = workers > 0 ? this.shared!.heap : this.local;
    const frame = new Frame(heap, JOB_PARAM_WORDS * 4);
    // Inputs q, k, v, out, logSumExp, dOut (pointers 0-5), then outputs dq, dk, dv (6-8); forward
    // writes out and logSumExp (3-4) instead of reading them.
    const pointers = counts.map((count, i) => {
      const input = inputs[i];
      const output = i >= 3 ? outputs[i - 3] : null;
      if (input) return frame.input(input, count);
      if (output) return frame.output(output, count);
      return 0;
    });
    const scratchPointer = frame.slot((workers + 1) * Math.max(scratchBytes, workers > 0 ? this.scratchBytes : 0), 64);
    frame.copyIn();
    if (workers === 0) {
      this.lastJobThreads = 1;
      if (kind === ATTENTION_FORWARD) {
        heap.exports.attention(pointers[0], pointers[1], pointers[2], pointers[3], pointers[4], batch, lengthQ, lengthK, headSize, valueSize, scale, causal ? 1 : 0, scratchPointer);
      } else {
        heap.exports.attentionBackward(
          pointers[0], pointers[1], pointers[2], pointers[3], pointers[4], pointers[5], pointers[6], pointers[7], pointers[8],
          batch, lengthQ, lengthK, headSize, valueSize, scale, causal ? 1 : 0, scratchPointer,
        );
      }
    } else {
      const params = heap.int32View(heap.dataOffset, JOB_PARAM_WORDS);
      for (let i = 0; i < 9; i++) params[i] = pointers[i];
      params[9] = lengthQ; params[10] = lengthK; params[11] = headSize; params[12] = valueSize;
      this.scaleBits[0] = scale;
      params[13] = this.scaleBitsInt[0];
      params[14] = causal ? 1 : 0;
      this.lastJobThreads = this.runOnPool(workers, ATTENTION_PLAN + kind, batch, Math.max(1, Math.floor(batch / ((workers + 1) * 4))), scratchPointer);
    }
    frame.copyOut();
    if (record && this.lastJobAllRunning) this.chooser.note(record, workers > 0, performance.now() - callStarted);
  }

  adam(
    param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, lr: number,
    beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: boolean, step: number,
  ): void {
    const count = param.length;
    if (count === 0) return;
    const frame = new Frame(this.local);
    const paramPointer = frame.inout(param, count);
    const gradPointer = frame.input(grad, count);
    const mPointer = frame.inout(m, count);
    const vPointer = frame.inout(v, count);
    frame.copyIn();
    // Scalars in double precision, as torch.optim computes them in Python.
    const biasCorrection1 = 1 - beta1 ** step;
    const biasCorrection2 = 1 - beta2 ** step;
    this.local.exports.adam(
      paramPointer, gradPointer, mPointer, vPointer, count,
      1 - beta1, beta2, 1 - beta2, eps, lr / biasCorrection1, Math.sqrt(biasCorrection2),
      decoupled ? 1 - lr * weightDecay : 1, decoupled ? 0 : weightDecay,
    );
    frame.copyOut();
  }
}
