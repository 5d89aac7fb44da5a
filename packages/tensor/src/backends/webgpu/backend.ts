/// <reference types="@webgpu/types" />
// The WebGPU backend: every primitive of the backend contract as a WGSL kernel (programs/*),
// executed asynchronously. Storage is a GPU buffer from the size-bucketed pool; kernels are
// batched by the dispatcher; data reaches JavaScript only through `read` (a copy to a mappable
// staging buffer). bool is stored as one u32 per element (WGSL has no 8-bit storage) and converted
// on upload and read.

import { BACKEND_CONTRACT_VERSION, type AdamStep, type Backend, type BinaryOp, type ReduceOp, type UnaryOp } from '../../backend.js';
import type { DType, TypedArray } from '../../dtype.js';
import type { Shape } from '../../shape.js';
import { BufferPool, type BufferPoolStats } from './buffer_pool.js';
import { BUFFER_USAGE, Dispatcher, WebGPUDeviceError, type KernelTiming } from './dispatcher.js';
import type { Program } from './codegen.js';
import type { WebGPUAdapterSummary, WebGPUBackend, WebGPUExecutionOptions, WebGPUStorage } from './types.js';
import { BinaryProgram, CastProgram, FillProgram, UnaryProgram, WhereProgram } from './programs/elementwise.js';
import { ConcatBlockProgram, GatherProgram, IndexSelectProgram, ScatterAddProgram, StridedCopyProgram, TriangleProgram } from './programs/layout.js';
import { DEFAULT_MATMUL_TILING, HUGE_MATMUL_TILING, isVectorTiling, matmulSharedBytes, MatmulProgram, SMALL_MATMUL_TILING, SubgroupMatmulProgram, subgroupMatmulTiling, Vec4MatmulProgram, type MatmulTiling, type SubgroupMatmulTiling } from './programs/matmul.js';
import { AttentionBackwardKeyProgram, AttentionBackwardQueryProgram, AttentionProbsProgram, AttentionProgram, AttentionScoreGradProgram, MAX_ATTENTION_HEAD_SIZE } from './programs/attention.js';
import { DEFAULT_ROW_VECTORS_PER_THREAD, VectorLayerNormBackwardProgram, VectorLayerNormProgram, vectorRowGeometry, VectorSoftmaxBackwardProgram, VectorSoftmaxProgram, type VectorRowGeometry } from './programs/vector_rows.js';
import { AdamProgram, CrossEntropyBackwardProgram, CrossEntropyProgram, LayerNormBackwardProgram, LayerNormParamGradProgram, LayerNormProgram, SoftmaxBackwardProgram, SoftmaxProgram } from './programs/nn.js';
import { ArgReduceProgram, CumsumProgram, reductionChunks, ReduceProgram } from './programs/reduce.js';
import { GPU_ROW_POLICY, type RowPolicy } from './programs/rows.js';

/** A tensor's storage on the GPU: a pooled buffer holding `size` 32-bit elements. */
export class GpuStorage implements WebGPUStorage {
  /** Set once the storage went back to the pool. */
  released = false;
  constructor(
    /** The pooled buffer (its size is the pool bucket, ≥ 4·size bytes). */
    readonly buffer: GPUBuffer,
    /** Elements held. */
    readonly size: number,
  ) {}
}

/** Bytes per element of every dtype on the GPU (bool is widened to u32). */
const ELEMENT_BYTES = 4;

function float32Bits(value: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value, true);
  return view.getUint32(0, true);
}

/**
 * The subgroup matmul's tiling when it should replace the tiled kernel: on CPU-emulated adapters
 * (or when asked) with the 'subgroups' feature and one fixed subgroup size.
 */
function chooseSubgroupMatmul(adapter: WebGPUAdapterSummary, kernel: 'auto' | 'tiled' | 'subgroup'): SubgroupMatmulTiling | null {
  const size = adapter.subgroupMinSize;
  const usable = adapter.features.includes('subgroups') && size > 0 && size === adapter.subgroupMaxSize;
  if (kernel === 'subgroup' && !usable) throw new Error(`webgpu: matmulKernel 'subgroup' needs the 'subgroups' feature with a fixed subgroup size; '${adapter.description}' has sizes ${adapter.subgroupMinSize}..${adapter.subgroupMaxSize}`);
  if (kernel === 'subgroup' || (kernel === 'auto' && usable && adapter.isFallbackAdapter)) return subgroupMatmulTiling(size);
  return null;
}

/** Whether the adapter's limits hold a tiling's threads and workgroup memory. */
function fitsAdapter(tiling: MatmulTiling, adapter: WebGPUAdapterSummary): boolean {
  const threads = (tiling.tileM / tiling.blockM) * (tiling.tileN / tiling.blockN);
  const bytes = matmulSharedBytes(tiling);
  return threads <= (adapter.limits.maxComputeInvocationsPerWorkgroup ?? 256) && bytes <= (adapter.limits.maxComputeWorkgroupStorageSize ?? 16384);
}

/** A user's matmul tiling, checked against the kernel's shape rules and the adapter's limits. */
function checkMatmulTiling(tiling: MatmulTiling, adapter: WebGPUAdapterSummary): MatmulTiling {
  const { tileM, tileN, tileK, blockM, blockN } = tiling;
  const text = `${tileM}×${tileN}×${tileK}, ${blockM}×${blockN} per thread`;
  if (![tileM, tileN, tileK, blockM, blockN].every((v) => Number.isInteger(v) && v > 0)) throw new RangeError(`webgpu: matmulTiling must hold positive integers, got ${text}`);
  if (tileM % blockM || tileN % blockN) throw new RangeError(`webgpu: matmulTiling tileM must be a multiple of blockM and tileN of blockN, got ${text}`);
  if (tiling.vectorized !== undefined && typeof tiling.vectorized !== 'boolean') throw new TypeError(`webgpu: matmulTiling.vectorized must be a boolean, got ${String(tiling.vectorized)}`);
  const threads = (tileM / blockM) * (tileN / blockN);
  const bytes = matmulSharedBytes(tiling);
  // WebGPU's default limits where the adapter did not report its own.
  const maxThreads = adapter.limits.maxComputeInvocationsPerWorkgroup ?? 256;
  const maxBytes = adapter.limits.maxComputeWorkgroupStorageSize ?? 16384;
  if (threads > maxThreads) throw new RangeError(`webgpu: matmulTiling ${text} needs ${threads} threads per workgroup; the adapter allows ${maxThreads}`);
  if (bytes > maxBytes) throw new RangeError(`webgpu: matmulTiling ${text} needs ${bytes} bytes of workgroup memory; the adapter allows ${maxBytes}`);
  return { tileM, tileN, tileK, blockM, blockN, ...(tiling.vectorized === undefined ? {} : { vectorized: tiling.vectorized }) };
}

/** Identity of a reduction over an empty axis, as the CPU backend stores it. */
function emptyReduction(op: ReduceOp, dtype: DType): number {
  if (op === 'sum') return 0;
  if (op === 'prod') return 1;
  if (dtype !== 'float32') return 0; // the CPU stores ±Infinity into an Int32Array: 0
  return op === 'max' ? -Infinity : Infinity;
}

/** The implementation of `WebGPUBackend` (see types.ts for the documented surface). */
export class WebGPUComputeBackend implements WebGPUBackend, Backend<GpuStorage> {
  readonly contractVersion = BACKEND_CONTRACT_VERSION;
  private readonly dispatcher: Dispatcher;
  private readonly pool: BufferPool;
  private readonly stagingPool: BufferPool;
  private destroyed = false;
  private readbackCount = 0;
  private readonly matmulTilings: { large: MatmulTiling; small: MatmulTiling; huge: MatmulTiling | null };

  /** @internal Use `createWebGPUBackend`. */
  constructor(
    private readonly device: GPUDevice,
    /** The adapter this backend runs on. */
    readonly adapter: WebGPUAdapterSummary,
    /** Name under which `setBackend` finds this backend (default 'webgpu'). */
    readonly name: string,
    options: WebGPUExecutionOptions = {},
  ) {
    this.dispatcher = new Dispatcher(device, {
      batchSize: options.batchSize ?? 64,
      debug: options.debug ?? false,
      onShader: options.onShader,
      elementsPerThread: options.elementsPerThread ?? (adapter.isFallbackAdapter ? 4 : 1),
    });
    const usage = BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_SRC | BUFFER_USAGE.COPY_DST;
    this.pool = new BufferPool((bytes) => this.createBuffer(bytes, usage), options.maxPooledBytes ?? 2 ** 30);
    this.pool.destroyBuffer = (buffer) => this.dispatcher.destroy(buffer);
    this.stagingPool = new BufferPool((bytes) => this.createBuffer(bytes, BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST), 64 * 2 ** 20);
    this.matmulTilings = {
      large: options.matmulTiling ? checkMatmulTiling(options.matmulTiling, adapter) : DEFAULT_MATMUL_TILING,
      small: SMALL_MATMUL_TILING,
      huge: options.matmulTiling || adapter.isFallbackAdapter || !fitsAdapter(HUGE_MATMUL_TILING, adapter) ? null : HUGE_MATMUL_TILING,
    };
    this.subgroupTiling = chooseSubgroupMatmul(adapter, options.matmulKernel ?? (options.matmulTiling ? 'tiled' : 'auto'));
    const subgroupSize = adapter.features.includes('subgroups') && adapter.subgroupMinSize === adapter.subgroupMaxSize ? adapter.subgroupMinSize : 0;
    // Software adapters: with ≥ 64 rows a row gets one subgroup (or one thread), so no barrier runs.
    this.rowPolicy = { ...GPU_ROW_POLICY, subgroupSize, manyRows: adapter.isFallbackAdapter ? 64 : Infinity };
    const precision = options.matmulPrecision ?? 'highest';
    if (precision !== 'highest' && precision !== 'high') throw new RangeError(`webgpu: matmulPrecision must be 'highest' or 'high', got ${String(precision)}`);
    this.matmulF16 = precision === 'high' && adapter.features.includes('shader-f16') && this.subgroupTiling === null;
    const rowKernel = options.rowKernel ?? 'auto';
    if (!['auto', 'scalar', 'vector'].includes(rowKernel)) throw new RangeError(`webgpu: rowKernel must be 'auto', 'scalar' or 'vector', got ${String(rowKernel)}`);
    this.rowKernel = rowKernel === 'auto' ? (adapter.isFallbackAdapter ? 'scalar' : 'vector') : rowKernel;
    device.addEventListener('uncapturederror', (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.dispatcher.fail(new WebGPUDeviceError(`webgpu: uncaptured device error: ${error.message}`, 'validation', []));
    });
    void device.lost.then((info) => {
      if (!this.destroyed) this.dispatcher.fail(new WebGPUDeviceError(`webgpu: the device was lost (${info.reason}): ${info.message}`, 'device-lost', []));
    });
  }

  // --- introspection ---------------------------------------------------------------------

  /** True once `dispose()` ran. */
  get isDisposed(): boolean {
    return this.destroyed;
  }

  /** Buffers and bytes in use and waiting in the pool; flat across steady training steps. */
  poolStats(): BufferPoolStats {
    return this.pool.snapshot();
  }

  /** Number of `read` calls so far (each one waits for the GPU): a training step should add none. */
  get readbacks(): number {
    return this.readbackCount;
  }

  /** Command batches submitted so far. */
  get submits(): number {
    return this.dispatcher.submits;
  }

  /** Distinct kernels compiled so far. */
  get pipelineCount(): number {
    return this.dispatcher.pipelineCount;
  }

  /** Submits the kernels encoded so far without waiting for them. */
  flush(): void {
    this.dispatcher.flush();
  }

  /** Resolves when every kernel submitted so far has finished; rejects with a device error if one occurred. */
  async sync(): Promise<void> {
    this.check('sync');
    this.dispatcher.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.dispatcher.settle('sync');
  }

  /** Whether the adapter can time kernels on the GPU (`timestamp-query`). */
  get canProfile(): boolean {
    return this.device.features.has('timestamp-query');
  }

  /** Starts timing every kernel with GPU timestamps (needs `canProfile`). */
  startProfile(): void {
    if (!this.canProfile) throw new Error(`webgpu: the adapter '${this.adapter.description}' has no 'timestamp-query' feature`);
    this.dispatcher.startProfile();
  }

  /** Stops timing and resolves with the GPU time of every kernel since `startProfile`. */
  stopProfile(): Promise<KernelTiming[]> {
    return this.dispatcher.stopProfile();
  }

  /** Destroys the device; every tensor of this backend becomes unusable. */
  dispose(): void {
    if (this.destroyed) return;
    this.dispatcher.flush();
    this.destroyed = true;
    this.pool.trim();
    this.stagingPool.trim();
    this.device.destroy();
  }

  /** Drops the freed buffers the pool keeps for reuse. */
  trimPool(): void {
    this.pool.trim();
  }

  // --- storage ---------------------------------------------------------------------------

  private check(op: string): void {
    if (this.destroyed) throw new Error(`webgpu: ${op}: the backend was disposed`);
    this.dispatcher.check(op);
  }

  /** The op allocating right now, so an out-of-memory error can name it. */
  private allocatingFor = 'read';

  /** A new GPU buffer inside its own out-of-memory scope, whose error names the op it was for. */
  private createBuffer(bytes: number, usage: number): GPUBuffer {
    const limit = this.device.limits.maxBufferSize;
    if (bytes > limit) throw new RangeError(`webgpu: ${this.allocatingFor}: a buffer of ${bytes} bytes exceeds the adapter's maxBufferSize (${limit})`);
    const op = this.allocatingFor;
    this.device.pushErrorScope('out-of-memory');
    const buffer = this.device.createBuffer({ size: bytes, usage });
    this.dispatcher.watch(
      this.device.popErrorScope().then((error) => {
        if (error) this.dispatcher.fail(new WebGPUDeviceError(`webgpu: out-of-memory error in op '${op}' allocating ${bytes} bytes (${this.pool.snapshot().liveBytes} bytes in use): ${error.message}`, 'out-of-memory', [op]));
      }),
    );
    return buffer;
  }

  private alloc(size: number, op: string): GpuStorage {
    const bytes = size * ELEMENT_BYTES;
    const bindingLimit = this.device.limits.maxStorageBufferBindingSize;
    if (bytes > bindingLimit) {
      throw new RangeError(`webgpu: ${op}: a result of ${size} elements (${bytes} bytes) exceeds the adapter's maxStorageBufferBindingSize (${bindingLimit} bytes)`);
    }
    this.allocatingFor = op;
    return new GpuStorage(this.pool.acquire(bytes).buffer, size);
  }

  private run(program: Program, inputs: readonly GpuStorage[], outputs: readonly GpuStorage[]): void {
    this.check(program.op);
    for (const s of inputs) if (s.released) throw new Error(`webgpu: ${program.op}: an input's storage was already freed`);
    this.dispatcher.dispatch(program, inputs.map((s) => s.buffer), outputs.map((s) => s.buffer));
  }

  upload(values: TypedArray, dtype: DType): GpuStorage {
    this.check('upload');
    const storage = this.alloc(values.length, 'upload');
    if (values.length > 0) {
      const data = dtype === 'bool' ? Uint32Array.from(values) : values;
      this.dispatcher.beforeHostWrite(storage.buffer);
      this.device.queue.writeBuffer(storage.buffer, 0, data.buffer, data.byteOffset, values.length * ELEMENT_BYTES);
    }
    return storage;
  }

  fill(size: number, dtype: DType, value: number): GpuStorage {
    const out = this.alloc(size, 'fill');
    const bits = dtype === 'float32' ? float32Bits(value) : dtype === 'int32' ? value | 0 : value ? 1 : 0;
    this.run(new FillProgram(size, bits >>> 0), [], [out]);
    return out;
  }

  async read(storage: GpuStorage, dtype: DType, size: number): Promise<TypedArray> {
    this.check('read');
    if (storage.released) throw new Error('webgpu: read: the storage was already freed');
    this.readbackCount++;
    if (size === 0) return dtype === 'float32' ? new Float32Array(0) : dtype === 'int32' ? new Int32Array(0) : new Uint8Array(0);
    const bytes = size * ELEMENT_BYTES;
    this.allocatingFor = 'read';
    const { buffer: staging } = this.stagingPool.acquire(bytes);
    try {
      const data = await this.dispatcher.readBuffer(storage.buffer, bytes, staging, 'read');
      if (dtype === 'float32') return new Float32Array(data);
      if (dtype === 'int32') return new Int32Array(data);
      return Uint8Array.from(new Uint32Array(data));
    } finally {
      this.stagingPool.release(staging);
    }
  }

  free(storage: GpuStorage): void {
    if (storage.released || this.destroyed) return;
    storage.released = true;
    this.pool.release(storage.buffer);
  }

  byteLength(storage: GpuStorage): number {
    return storage.size * ELEMENT_BYTES;
  }

  // --- elementwise -----------------------------------------------------------------------

  unary(op: UnaryOp, x: GpuStorage, size: number, dtype: DType): GpuStorage {
    const out = this.alloc(size, op);
    this.run(new UnaryProgram(op, size, dtype), [x], [out]);
    return out;
  }

  binary(op: BinaryOp, a: GpuStorage, aShape: Shape, b: GpuStorage | number, bShape: Shape, outShape: Shape, inDtype: DType, outDtype: DType): GpuStorage {
    const size = outShape.reduce((p, d) => p * d, 1);
    const out = this.alloc(size, op);
    if (typeof b === 'number') this.run(new BinaryProgram(op, aShape, null, outShape, inDtype, outDtype, b), [a], [out]);
    else this.run(new BinaryProgram(op, aShape, bShape, outShape, inDtype, outDtype), [a, b], [out]);
    return out;
  }

  where(condition: GpuStorage, conditionShape: Shape, a: GpuStorage, aShape: Shape, b: GpuStorage, bShape: Shape, outShape: Shape, dtype: DType): GpuStorage {
    const out = this.alloc(outShape.reduce((p, d) => p * d, 1), 'where');
    this.run(new WhereProgram(conditionShape, aShape, bShape, outShape, dtype), [condition, a, b], [out]);
    return out;
  }

  cast(x: GpuStorage, size: number, from: DType, to: DType): GpuStorage {
    const out = this.alloc(size, 'cast');
    this.run(new CastProgram(size, from, to), [x], [out]);
    return out;
  }

  // --- reductions and scans --------------------------------------------------------------

  reduce(op: ReduceOp, x: GpuStorage, outer: number, size: number, inner: number, dtype: DType): GpuStorage {
    if (size === 0) return this.fill(outer * inner, dtype, emptyReduction(op, dtype));
    const out = this.alloc(outer * inner, op);
    const chunks = reductionChunks(outer * inner, size, inner === 1 ? 1024 : 64);
    if (chunks === 1) {
      this.run(new ReduceProgram(op, outer, size, inner, 1, dtype, this.rowPolicy), [x], [out]);
      return out;
    }
    // Two passes: chunks of the axis into (outer, chunks, inner), then the chunks.
    const partial = this.alloc(outer * chunks * inner, op);
    this.run(new ReduceProgram(op, outer, size, inner, chunks, dtype, this.rowPolicy), [x], [partial]);
    this.run(new ReduceProgram(op, outer, chunks, inner, 1, dtype, this.rowPolicy), [partial], [out]);
    this.free(partial);
    return out;
  }

  argReduce(op: 'argmax' | 'argmin', x: GpuStorage, outer: number, size: number, inner: number, dtype: DType): GpuStorage {
    const out = this.alloc(outer * inner, op);
    this.run(new ArgReduceProgram(op, outer, size, inner, dtype, this.rowPolicy), [x], [out]);
    return out;
  }

  cumsum(x: GpuStorage, outer: number, size: number, inner: number, dtype: DType): GpuStorage {
    const out = this.alloc(outer * size * inner, 'cumsum');
    this.run(new CumsumProgram(outer, size, inner, dtype), [x], [out]);
    return out;
  }

  // --- linear algebra --------------------------------------------------------------------

  matmul(a: GpuStorage, b: GpuStorage, batch: number, m: number, k: number, n: number, transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number): GpuStorage {
    return this.product(a, b, null, batch, m, k, n, transA, transB, aBatchStride, bBatchStride);
  }

  /** x·Wᵀ + b with the bias added as the product is written (no separate add over the output). */
  linear(x: GpuStorage, weight: GpuStorage, bias: GpuStorage, m: number, k: number, n: number): GpuStorage {
    return this.product(x, weight, bias, 1, m, k, n, false, true, 0, 0);
  }

  /** op(A)·op(B) (+ a bias per column) on the kernel and tiling this adapter and shape call for. */
  private product(a: GpuStorage, b: GpuStorage, bias: GpuStorage | null, batch: number, m: number, k: number, n: number, transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number): GpuStorage {
    const out = this.alloc(batch * m * n, bias ? 'linear' : 'matmul');
    const inputs = bias ? [a, b, bias] : [a, b];
    if (this.subgroupTiling) {
      this.run(new SubgroupMatmulProgram(batch, m, k, n, transA, transB, aBatchStride, bBatchStride, this.subgroupTiling, bias !== null), inputs, [out]);
      return out;
    }
    const { large, small, huge } = this.matmulTilings;
    // Small products get smaller tiles so that enough workgroups run; on hardware GPUs products with
    // ≥ 256 tiles of 128 × 128 get the bigger tiling (fewer loads per FMA), which only pays once every
    // multiprocessor has a few workgroups (H100: 33.5 vs 27.9 TFLOP/s at 2048², 15.6 vs 23.9 at 1024²;
    // benchmarks/results/tune-nvidia-h100-80gb-hbm3.json).
    const tilesOf = (t: MatmulTiling) => Math.ceil(m / t.tileM) * Math.ceil(n / t.tileN) * batch;
    const tiling = huge && tilesOf(huge) >= 256 ? huge : tilesOf(large) < 32 ? small : large;
    const program = isVectorTiling(tiling)
      ? new Vec4MatmulProgram(batch, m, k, n, transA, transB, aBatchStride, bBatchStride, tiling, bias !== null, this.matmulF16)
      : new MatmulProgram(batch, m, k, n, transA, transB, aBatchStride, bBatchStride, tiling, bias !== null);
    this.run(program, inputs, [out]);
    return out;
  }

  /** Whether the vec4 matmul stages its tiles as f16 (`matmulPrecision: 'high'`, shader-f16, and the tiled kernels in use). */
  readonly matmulF16: boolean;

  /** How row kernels (softmax, layerNorm, row reductions) size their thread groups. */
  private readonly rowPolicy: RowPolicy;
  /** @internal The subgroup matmul's tiling when it replaces the tiled kernel (CPU-emulated adapters). */
  subgroupTiling: SubgroupMatmulTiling | null = null;

  /** @internal Replaces the matmul tilings (for benchmarks and tuning). */
  setMatmulTilings(large: MatmulTiling, small: MatmulTiling = large): void {
    this.matmulTilings.large = large;
    this.matmulTilings.small = small;
    this.matmulTilings.huge = null;
  }

  // --- layout ----------------------------------------------------------------------------

  stridedCopy(x: GpuStorage, outShape: Shape, strides: readonly number[], offset: number, dtype: DType): GpuStorage {
    const out = this.alloc(outShape.reduce((p, d) => p * d, 1), 'stridedCopy');
    this.run(new StridedCopyProgram(outShape, strides, offset, dtype), [x], [out]);
    return out;
  }

  concat(inputs: readonly GpuStorage[], sizes: readonly number[], outer: number, inner: number, _dtype: DType): GpuStorage {
    const total = sizes.reduce((p, s) => p + s, 0);
    const out = this.alloc(outer * total * inner, 'concat');
    let column = 0;
    inputs.forEach((input, j) => {
      const block = sizes[j] * inner;
      this.run(new ConcatBlockProgram(outer, block, total * inner, column), [input], [out]);
      column += block;
    });
    return out;
  }

  triangle(x: GpuStorage, batch: number, rows: number, cols: number, diagonal: number, upper: boolean, _dtype: DType): GpuStorage {
    const count = batch * rows * cols;
    const out = this.alloc(count, upper ? 'triu' : 'tril');
    this.run(new TriangleProgram(count, rows, cols, diagonal, upper), [x], [out]);
    return out;
  }

  // --- indexing --------------------------------------------------------------------------

  gather(x: GpuStorage, index: GpuStorage, outer: number, size: number, indexSize: number, inner: number, _dtype: DType): GpuStorage {
    const out = this.alloc(outer * indexSize * inner, 'gather');
    this.run(new GatherProgram(outer, size, indexSize, inner), [x, index], [out]);
    return out;
  }

  scatterAdd(index: GpuStorage, src: GpuStorage, outer: number, size: number, indexSize: number, inner: number, dtype: DType): GpuStorage {
    const out = this.alloc(outer * size * inner, 'scatterAdd');
    this.run(new ScatterAddProgram(outer, size, indexSize, inner, true, dtype), [index, src], [out]);
    return out;
  }

  indexSelect(x: GpuStorage, index: GpuStorage, outer: number, size: number, indexCount: number, inner: number, _dtype: DType): GpuStorage {
    const out = this.alloc(outer * indexCount * inner, 'indexSelect');
    this.run(new IndexSelectProgram(outer, size, indexCount, inner), [x, index], [out]);
    return out;
  }

  indexAdd(index: GpuStorage, src: GpuStorage, outer: number, size: number, indexCount: number, inner: number, dtype: DType): GpuStorage {
    const out = this.alloc(outer * size * inner, 'indexAdd');
    this.run(new ScatterAddProgram(outer, size, indexCount, inner, false, dtype), [index, src], [out]);
    return out;
  }

  // --- fused kernels ---------------------------------------------------------------------

  /**
   * @internal The row kernels' form: 'vector' holds each row in registers as vec4s (GPUs), 'scalar'
   * reads it one f32 at a time (software adapters, and rows the vector kernels cannot take).
   */
  rowKernel: 'scalar' | 'vector' = 'scalar';
  /** @internal vec4s per thread the vector row kernels allow (longer rows use the scalar kernels). */
  rowVectorsPerThread = DEFAULT_ROW_VECTORS_PER_THREAD;

  /** The vector row kernels' geometry for these rows, or null when the scalar kernels run. */
  private vectorRows(rows: number, cols: number): VectorRowGeometry | null {
    return this.rowKernel === 'vector' ? vectorRowGeometry(rows, cols, this.rowPolicy.subgroupSize, this.rowVectorsPerThread) : null;
  }

  softmax(x: GpuStorage, rows: number, cols: number, log: boolean): GpuStorage {
    const out = this.alloc(rows * cols, log ? 'logSoftmax' : 'softmax');
    const vector = this.vectorRows(rows, cols);
    this.run(vector ? new VectorSoftmaxProgram(rows, cols, log, vector) : new SoftmaxProgram(rows, cols, log, this.rowPolicy), [x], [out]);
    return out;
  }

  softmaxBackward(y: GpuStorage, dy: GpuStorage, rows: number, cols: number, log: boolean): GpuStorage {
    const dx = this.alloc(rows * cols, 'softmax backward');
    const vector = this.vectorRows(rows, cols);
    this.run(vector ? new VectorSoftmaxBackwardProgram(rows, cols, log, vector) : new SoftmaxBackwardProgram(rows, cols, log, this.rowPolicy), [y, dy], [dx]);
    return dx;
  }

  layerNorm(x: GpuStorage, weight: GpuStorage | null, bias: GpuStorage | null, rows: number, cols: number, eps: number) {
    const out = this.alloc(rows * cols, 'layerNorm');
    const mean = this.alloc(rows, 'layerNorm');
    const rstd = this.alloc(rows, 'layerNorm');
    const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
    const vector = this.vectorRows(rows, cols);
    const program = vector ? new VectorLayerNormProgram(rows, cols, eps, weight !== null, bias !== null, vector) : new LayerNormProgram(rows, cols, eps, weight !== null, bias !== null, this.rowPolicy);
    this.run(program, inputs, [out, mean, rstd]);
    return { out, mean, rstd };
  }

  layerNormBackward(dy: GpuStorage, x: GpuStorage, weight: GpuStorage | null, mean: GpuStorage, rstd: GpuStorage, rows: number, cols: number, withBias: boolean) {
    const dx = this.alloc(rows * cols, 'layerNorm backward');
    const vector = this.vectorRows(rows, cols);
    const program = vector ? new VectorLayerNormBackwardProgram(rows, cols, weight !== null, vector) : new LayerNormBackwardProgram(rows, cols, weight !== null, this.rowPolicy);
    this.run(program, [dy, x, mean, rstd, ...(weight ? [weight] : [])], [dx]);
    if (!weight && !withBias) return { dx, dweight: null, dbias: null };
    // Column sums over row chunks, then over the chunks.
    const chunks = reductionChunks(cols, rows, 64);
    let dweight = this.alloc(chunks * cols, 'layerNorm backward');
    let dbias = this.alloc(chunks * cols, 'layerNorm backward');
    this.run(new LayerNormParamGradProgram(rows, cols, chunks), [dy, x, mean, rstd], [dweight, dbias]);
    if (chunks > 1) {
      const partials = [dweight, dbias];
      [dweight, dbias] = partials.map((partial) => this.reduce('sum', partial, 1, chunks, cols, 'float32'));
      for (const partial of partials) this.free(partial);
    }
    if (!weight) this.free(dweight);
    if (!withBias) this.free(dbias);
    return { dx, dweight: weight ? dweight : null, dbias: withBias ? dbias : null };
  }

  crossEntropy(logits: GpuStorage, target: GpuStorage, rows: number, classes: number, ignoreIndex: number, labelSmoothing: number) {
    const loss = this.alloc(rows, 'crossEntropy');
    const logSumExp = this.alloc(rows, 'crossEntropy');
    this.run(new CrossEntropyProgram(rows, classes, ignoreIndex, labelSmoothing, this.rowPolicy), [logits, target], [loss, logSumExp]);
    return { loss, logSumExp };
  }

  crossEntropyBackward(logits: GpuStorage, target: GpuStorage, logSumExp: GpuStorage, dLoss: GpuStorage, rows: number, classes: number, ignoreIndex: number, labelSmoothing: number): GpuStorage {
    const dx = this.alloc(rows * classes, 'crossEntropy backward');
    this.run(new CrossEntropyBackwardProgram(rows, classes, ignoreIndex, labelSmoothing), [logits, target, logSumExp, dLoss], [dx]);
    return dx;
  }

  /** Fused attention (FlashAttention, Dao et al. 2022); null for head sizes past the kernel's private arrays or grids past one dispatch. */
  attention(q: GpuStorage, k: GpuStorage, v: GpuStorage, batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean) {
    if (!this.attentionFits(batch, headSize, valueSize)) return null;
    const out = this.alloc(batch * lengthQ * valueSize, 'scaledDotProductAttention');
    const logSumExp = this.alloc(batch * lengthQ, 'scaledDotProductAttention');
    this.run(new AttentionProgram(batch, lengthQ, lengthK, headSize, valueSize, scale, causal), [q, k, v], [out, logSumExp]);
    return { out, logSumExp };
  }

  /**
   * @internal How `attentionBackward` runs: 'tiled', a query-row kernel (dq, D_i) then a key-row
   * kernel (dk, dv), nothing (L, S) in memory; or 'matmul', the probabilities recomputed into an
   * (L, S) buffer and five products on the matmul kernel, faster on CPU-emulated adapters. Default:
   * 'matmul' on fallback adapters, else 'tiled'.
   */
  attentionBackwardKernel: 'tiled' | 'matmul' | null = null;

  /** Gradients of `attention` (Dao et al. 2022, Alg. 4), by `attentionBackwardKernel`. */
  attentionBackward(q: GpuStorage, k: GpuStorage, v: GpuStorage, out: GpuStorage, logSumExp: GpuStorage, dOut: GpuStorage, batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean) {
    const kernel = this.attentionBackwardKernel ?? (this.adapter.isFallbackAdapter ? 'matmul' : 'tiled');
    if (kernel === 'matmul') {
      const probs = this.matmul(q, k, batch, lengthQ, headSize, lengthK, false, true, lengthQ * headSize, lengthK * headSize);
      this.run(new AttentionProbsProgram(batch, lengthQ, lengthK, scale, causal), [logSumExp], [probs]);
      const rowsShape = [batch * lengthQ, valueSize];
      const product = this.binary('mul', dOut, rowsShape, out, rowsShape, rowsShape, 'float32', 'float32');
      const delta = this.reduce('sum', product, batch * lengthQ, valueSize, 1, 'float32'); // D_i = dO_i·O_i
      this.free(product);
      const ds = this.matmul(dOut, v, batch, lengthQ, valueSize, lengthK, false, true, lengthQ * valueSize, lengthK * valueSize);
      this.run(new AttentionScoreGradProgram(batch, lengthQ, lengthK, scale), [probs, delta], [ds]);
      const dq = this.matmul(ds, k, batch, lengthQ, lengthK, headSize, false, false, lengthQ * lengthK, lengthK * headSize);
      const dk = this.matmul(ds, q, batch, lengthK, lengthQ, headSize, true, false, lengthQ * lengthK, lengthQ * headSize);
      const dv = this.matmul(probs, dOut, batch, lengthK, lengthQ, valueSize, true, false, lengthQ * lengthK, lengthQ * valueSize);
      for (const storage of [probs, delta, ds]) this.free(storage);
      return { dq, dk, dv };
    }
    const dq = this.alloc(batch * lengthQ * headSize, 'scaledDotProductAttention backward');
    const delta = this.alloc(batch * lengthQ, 'scaledDotProductAttention backward');
    this.run(new AttentionBackwardQueryProgram(batch, lengthQ, lengthK, headSize, valueSize, scale, causal), [q, k, v, out, logSumExp, dOut], [dq, delta]);
    const dk = this.alloc(batch * lengthK * headSize, 'scaledDotProductAttention backward');
    const dv = this.alloc(batch * lengthK * valueSize, 'scaledDotProductAttention backward');
    this.run(new AttentionBackwardKeyProgram(batch, lengthQ, lengthK, headSize, valueSize, scale, causal), [q, k, v, logSumExp, dOut, delta], [dk, dv]);
    this.free(delta);
    return { dq, dk, dv };
  }

  private attentionFits(batch: number, headSize: number, valueSize: number): boolean {
    return headSize <= MAX_ATTENTION_HEAD_SIZE && valueSize <= MAX_ATTENTION_HEAD_SIZE && batch <= this.device.limits.maxComputeWorkgroupsPerDimension;
  }

  adamStep(param: GpuStorage, grad: GpuStorage, m: GpuStorage, v: GpuStorage, size: number, hyper: AdamStep): void {
    this.run(new AdamProgram(size, hyper), [grad], [param, m, v]);
  }
}

