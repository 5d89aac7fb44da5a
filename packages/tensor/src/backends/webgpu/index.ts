// The WebGPU backend's public surface. Nothing here loads GPU code: `createWebGPUBackend` imports
// the backend implementation and the Dawn binding (`webgpu` package) on first call.

export { createWebGPUBackend, probeWebGPU, type WebGPUProbe } from './create.js';
export { useBackend, describeAdapter, type BackendChoice, type UseBackendOptions } from './select.js';
export {
  WebGPUUnavailableError,
  WebGPUDeviceError,
  type WebGPUAdapterSummary,
  type WebGPUBackend,
  type WebGPUBackendOptions,
  type WebGPUExecutionOptions,
  type MatmulTiling,
  type WebGPUStorage,
  type WebGPUUnavailableReason,
} from './types.js';
export type { BufferPoolStats } from './buffer_pool.js';
export type { KernelTiming } from './dispatcher.js';
