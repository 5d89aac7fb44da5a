// Public types of the WebGPU backend that do not need the GPU code loaded: the options, the adapter
// description, and the error that says why WebGPU is unavailable.

import type { Backend } from '../../backend.js';
import type { BufferPoolStats } from './buffer_pool.js';
import type { KernelTiming } from './dispatcher.js';

/**
 * Settings of a WebGPU backend that shape its execution.
 *
 * @example
 * ```ts
 * const options: WebGPUExecutionOptions = { batchSize: 128, maxPooledBytes: 256 * 2 ** 20 };
 * ```
 */
export interface WebGPUExecutionOptions {
  /** Kernels per submitted command batch (default 64). Larger batches cost less CPU per kernel. */
  batchSize?: number;
  /**
   * Submit every kernel on its own and report WGSL compilation messages, so a device error names
   * the exact op (slow; for debugging). Default false.
   */
  debug?: boolean;
  /** Called with the key and WGSL source of every shader compiled (a shader dump for debugging). */
  onShader?: (key: string, code: string) => void;
  /** Bytes of freed buffers the pool keeps for reuse (default 1 GiB); beyond it they are destroyed. */
  maxPooledBytes?: number;
  /**
   * The matmul kernel: 'tiled' (workgroup-memory tiles, for GPUs), 'subgroup' (subgroup broadcasts,
   * for CPU-emulated adapters such as lavapipe, where it is ~4× faster), or 'auto' (default: 'subgroup'
   * on software adapters that support it, else 'tiled').
   */
  matmulKernel?: 'auto' | 'tiled' | 'subgroup';
  /**
   * Tile shape of the tiled matmul kernel for all but small products (default: 64 × 64 × 16, 4 × 4
   * per thread, and on GPUs 128 × 128 × 8, 8 × 8 per thread for big products). Setting it selects the
   * tiled kernel unless `matmulKernel` says otherwise; `benchmarks/kernels` has a tuner (`npm run
   * tune`) that sweeps tilings on an adapter.
   */
  matmulTiling?: MatmulTiling;
  /**
   * Precision of float32 matrix products, as PyTorch's `torch.set_float32_matmul_precision`:
   * 'highest' (default) computes in f32; 'high' lets the vec4 tiled kernel (the GPUs' kernel for all
   * but small products) round its operands to f16 (11 significant bits, like TF32's) as it stages
   * them in workgroup memory, and still multiply and sum in f32: half the workgroup memory and its
   * traffic, relative errors of about 1e-3, and operands beyond f16's range (±65,504) become
   * infinite. It needs the adapter's `shader-f16` feature and the tiled kernels (not the subgroup
   * kernel of software adapters), and is f32 otherwise; `backend.matmulF16` says which.
   */
  matmulPrecision?: 'highest' | 'high';
  /**
   * The softmax and layer-norm kernels (forward and backward): 'vector' keeps each row in registers
   * and moves it as vec4s, one read and one write (rows of a multiple of 4 elements, up to 4,096);
   * 'scalar' reads rows one f32 at a time, in two or three passes, with fewer threads per row; 'auto'
   * (default) is 'vector' on GPUs and 'scalar' on software adapters, which run a row per thread.
   */
  rowKernel?: 'auto' | 'scalar' | 'vector';
  /**
   * Elements (or vec4s) each thread of an elementwise kernel handles (default 1 on GPUs, 4 on software
   * adapters, where every workgroup costs a coroutine start).
   */
  elementsPerThread?: number;
}

/**
 * Tile shape of the tiled matmul kernel: a workgroup computes a `tileM` × `tileN` block of C,
 * staging `tileK`-deep slices of A and B in workgroup memory, and each of its
 * (tileM / blockM)·(tileN / blockN) threads accumulates `blockM` × `blockN` outputs in registers.
 *
 * @example
 * ```ts
 * const tiling: MatmulTiling = { tileM: 64, tileN: 64, tileK: 16, blockM: 4, blockN: 4 };
 * const options: WebGPUBackendOptions = { matmulKernel: 'tiled', matmulTiling: tiling }; // for createWebGPUBackend
 * ```
 */
export interface MatmulTiling {
  tileM: number;
  tileN: number;
  tileK: number;
  blockM: number;
  blockN: number;
  /**
   * Stage the tiles as vec4s, double-buffered, with vec4 accumulators (the fast kernel on GPUs). It
   * needs blockM, blockN and tileK to be multiples of 4 and is used whenever they are, unless this is
   * set to false (the scalar kernel, for comparison).
   */
  vectorized?: boolean;
}

/**
 * A tensor's storage on the GPU (opaque): a pooled buffer of `size` 32-bit elements.
 *
 * @example
 * ```ts
 * // not run: needs a WebGPU adapter
 * const gpu = await createWebGPUBackend();
 * const storage: WebGPUStorage = zeros([1024], { backend: gpu }).storage as WebGPUStorage;
 * storage.size; // 1024
 * ```
 */
export interface WebGPUStorage {
  /** Elements held. */
  readonly size: number;
}

/**
 * The WebGPU compute backend (Dawn through the `webgpu` package in Node, `navigator.gpu` in
 * browsers): every primitive of the backend contract as a WGSL kernel, executed asynchronously.
 * Create it with `createWebGPUBackend` or select it with `useBackend('webgpu')`.
 *
 * @example
 * ```ts
 * // not run: needs a WebGPU adapter
 * const gpu = await createWebGPUBackend();
 * registerBackend(gpu);
 * setBackend(gpu.name);
 * const w = randn([64, 64], { requiresGrad: true });
 * const trainStep = () => w.square().mean().backward(); // encodes kernels, reads nothing back
 * const loss = w.square().mean();
 * const before = gpu.readbacks;
 * trainStep();
 * await loss.item();           // the one readback
 * console.log(gpu.readbacks - before, gpu.poolStats());
 * ```
 */
export interface WebGPUBackend extends Backend<WebGPUStorage> {
  /** The adapter this backend runs on. */
  readonly adapter: WebGPUAdapterSummary;
  /** True once `dispose()` ran. */
  readonly isDisposed: boolean;
  /** Number of `read` calls so far (each waits for the GPU): a training step should add none. */
  readonly readbacks: number;
  /** Command batches submitted so far. */
  readonly submits: number;
  /** Distinct kernels compiled so far. */
  readonly pipelineCount: number;
  /** Whether the adapter can time kernels on the GPU (`timestamp-query`). */
  readonly canProfile: boolean;
  /** Whether the vec4 matmul kernel stages its operands as f16 (`matmulPrecision: 'high'` where the adapter and kernel allow it). */
  readonly matmulF16: boolean;
  /** Buffers and bytes in use and waiting in the pool; flat across steady training steps. */
  poolStats(): BufferPoolStats;
  /** Submits the kernels encoded so far without waiting for them. */
  flush(): void;
  /** Resolves when every kernel submitted so far has finished; rejects with a device error if one occurred. */
  sync(): Promise<void>;
  /** Starts timing every kernel with GPU timestamps (needs `canProfile`). */
  startProfile(): void;
  /** Stops timing and resolves with the GPU time of every kernel since `startProfile`. */
  stopProfile(): Promise<KernelTiming[]>;
  /** Drops the freed buffers the pool keeps for reuse. */
  trimPool(): void;
  /** Destroys the device; every tensor of this backend becomes unusable. */
  dispose(): void;
}

/**
 * What an adapter says about itself, and what the backend was granted on it.
 *
 * @example
 * ```ts
 * // not run: needs a WebGPU adapter
 * const gpu = await createWebGPUBackend();
 * const summary: WebGPUAdapterSummary = gpu.adapter;
 * console.log(describeAdapter(summary), summary.features);
 * ```
 */
export interface WebGPUAdapterSummary {
  /** GPU vendor, e.g. 'nvidia', 'amd', 'apple', 'mesa' (may be empty). */
  vendor: string;
  /** Architecture family, e.g. 'ampere', 'rdna-3', 'software' (may be empty). */
  architecture: string;
  /** Device name (may be empty). */
  device: string;
  /** Driver's description, e.g. 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)'. */
  description: string;
  /** True for software/fallback adapters (lavapipe, SwiftShader). */
  isFallbackAdapter: boolean;
  /** Smallest and largest subgroup size (0 when the adapter does not say). */
  subgroupMinSize: number;
  subgroupMaxSize: number;
  /** Optional features the device was created with (e.g. 'timestamp-query', 'shader-f16', 'subgroups'). */
  features: string[];
  /** The device limits that matter for compute (requested at the adapter's maximum). */
  limits: Record<string, number>;
}

/**
 * Options of `createWebGPUBackend` and `useBackend`.
 *
 * @example
 * ```ts
 * // not run: needs a WebGPU adapter
 * const options: WebGPUBackendOptions = { powerPreference: 'high-performance', batchSize: 128 };
 * registerBackend(await createWebGPUBackend(options));
 * ```
 */
export interface WebGPUBackendOptions extends WebGPUExecutionOptions {
  /** Which GPU to prefer on machines with several (WebGPU's `powerPreference`). */
  powerPreference?: 'low-power' | 'high-performance';
  /**
   * Pick the adapter whose vendor, architecture, device or description contains this text
   * (case-insensitive), e.g. 'nvidia' or 'llvmpipe'. Unavailable adapters are listed in the error.
   */
  adapterName?: string;
  /** Extra flags for Dawn's `create()` in Node, e.g. ['backend=vulkan'] (ignored in browsers). */
  dawnFlags?: string[];
  /** Name to register the backend under (default 'webgpu'); use distinct names for two GPUs. */
  name?: string;
}

/**
 * Why WebGPU could not be used.
 *
 * @example
 * ```ts
 * const probe = await probeWebGPU();
 * if (!probe.available) {
 *   const reason: WebGPUUnavailableReason = probe.error.reason;
 *   console.log(reason);
 * }
 * ```
 */
export type WebGPUUnavailableReason = 'package-missing' | 'package-failed' | 'no-adapter' | 'no-matching-adapter' | 'device-request-failed';

/**
 * Thrown by `createWebGPUBackend` and `useBackend('webgpu')` when no WebGPU device can be created;
 * `reason` says which step failed and the message says how to fix it.
 *
 * @example
 * ```ts
 * try {
 *   await createWebGPUBackend(); // creates a device without making it the active backend
 * } catch (error) {
 *   if (error instanceof WebGPUUnavailableError && error.reason === 'package-missing') console.log('npm install webgpu');
 * }
 * ```
 */
export class WebGPUUnavailableError extends Error {
  constructor(
    /** The step that failed. */
    readonly reason: WebGPUUnavailableReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WebGPUUnavailableError';
  }
}

/**
 * An error of the GPU device (validation, out of memory, device lost), naming the op or the batch
 * of ops it came from. Thrown by the next backend call (or `await t.data()`) after the error occurred.
 *
 * @example
 * ```ts
 * // not run: needs a WebGPU adapter
 * await useBackend('webgpu');
 * const loss = randn([1000]).square().mean();
 * try {
 *   await loss.item();
 * } catch (error) {
 *   if (error instanceof WebGPUDeviceError) console.log(error.kind, error.ops);
 * }
 * ```
 */
export class WebGPUDeviceError extends Error {
  constructor(
    message: string,
    /** 'validation', 'out-of-memory', 'internal' or 'device-lost'. */
    readonly kind: string,
    /** The ops whose commands were in the failing batch. */
    readonly ops: readonly string[],
  ) {
    super(message);
    this.name = 'WebGPUDeviceError';
  }
}

