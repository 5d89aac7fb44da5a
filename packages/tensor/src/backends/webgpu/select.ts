// Backend selection: `useBackend('webgpu' | 'cpu' | 'auto')` creates (once) and activates a
// backend and says which one it chose and why.

import type { Backend } from '../../backend.js';
import { cpuBackend, registerBackend, setBackend } from '../../engine.js';
import { createWebGPUBackend } from './create.js';
import { WebGPUUnavailableError, type WebGPUAdapterSummary, type WebGPUBackend, type WebGPUBackendOptions } from './types.js';

/**
 * Options of `useBackend`.
 *
 * @example
 * ```ts
 * const options: UseBackendOptions = { allowFallbackAdapter: false, log: (message) => console.log(message) };
 * await useBackend('cpu', options);
 * ```
 */
export interface UseBackendOptions extends WebGPUBackendOptions {
  /**
   * Let `'auto'` choose a software adapter (lavapipe, SwiftShader). Default false: those emulate a
   * GPU on the CPU cores the CPU backend already uses, so `'auto'` prefers the CPU backend.
   * `'webgpu'` always accepts them.
   */
  allowFallbackAdapter?: boolean;
  /** Called once with the message saying which backend was chosen (e.g. `console.info`). */
  log?: (message: string) => void;
}

/**
 * What `useBackend` chose.
 *
 * @example
 * ```ts
 * const { backend, adapter, message }: BackendChoice = await useBackend('cpu');
 * console.log(message); // 'cpu'
 * ```
 */
export interface BackendChoice {
  /** The backend now active for new tensors. */
  backend: Backend;
  /** The adapter of a WebGPU backend, null for the CPU. */
  adapter: WebGPUAdapterSummary | null;
  /** One line: the backend chosen, its adapter, and why WebGPU was not used if it was not. */
  message: string;
  /** Why WebGPU is not used, when the CPU backend was chosen in `'auto'` mode. */
  unavailable: WebGPUUnavailableError | null;
}

const created = new Map<string, WebGPUBackend>();

/** The WebGPU backend registered under `options.name`, created on first request. */
async function webgpuBackend(options: WebGPUBackendOptions): Promise<WebGPUBackend> {
  const name = options.name ?? 'webgpu';
  const existing = created.get(name);
  if (existing && !existing.isDisposed) return existing;
  const backend = await createWebGPUBackend(options);
  created.set(name, backend);
  return backend;
}

/**
 * A one-line description of an adapter.
 *
 * @example
 * ```ts
 * describeAdapter({ vendor: 'mesa', architecture: '', device: 'llvmpipe', description: 'Mesa 25.0.7 (LLVM 15.0.6)', isFallbackAdapter: true });
 * // "mesa software (llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)), a software adapter"
 * ```
 */
export function describeAdapter(adapter: Pick<WebGPUAdapterSummary, 'vendor' | 'architecture' | 'device' | 'description' | 'isFallbackAdapter'>): string {
  const what = [adapter.vendor, adapter.architecture].filter(Boolean).join(' ') || 'unknown vendor';
  return `${what} (${adapter.description || adapter.device || 'no description'})${adapter.isFallbackAdapter ? ', a software adapter' : ''}`;
}

/**
 * Creates (once per name) and activates a backend for new tensors: `'webgpu'` (throws a
 * `WebGPUUnavailableError` saying why when there is no usable adapter), `'cpu'`, or `'auto'`
 * (WebGPU on a hardware adapter when one works, else the CPU). Resolves with what was chosen.
 *
 * @example
 * ```ts
 * const { backend, message } = await useBackend('auto');
 * console.log(message); // e.g. "webgpu: nvidia ampere (NVIDIA GeForce RTX 3090)"
 * const x = randn([256, 256]); // on `backend`
 * await useBackend('cpu'); // and back to the CPU
 * ```
 */
export async function useBackend(kind: 'webgpu' | 'cpu' | 'auto' = 'auto', options: UseBackendOptions = {}): Promise<BackendChoice> {
  if (kind !== 'webgpu' && kind !== 'cpu' && kind !== 'auto') throw new RangeError(`useBackend: kind must be 'webgpu', 'cpu' or 'auto', got '${String(kind)}'`);
  let choice: BackendChoice;
  if (kind === 'cpu') {
    choice = { backend: cpuBackend(), adapter: null, message: 'cpu: the CPU backend (requested)', unavailable: null };
  } else {
    let unavailable: WebGPUUnavailableError | null = null;
    let backend: WebGPUBackend | null = null;
    try {
      backend = await webgpuBackend(options);
    } catch (error) {
      if (kind === 'webgpu' || !(error instanceof WebGPUUnavailableError)) throw error;
      unavailable = error;
    }
    if (backend && kind === 'auto' && backend.adapter.isFallbackAdapter && !options.allowFallbackAdapter) {
      unavailable = new WebGPUUnavailableError('no-adapter', `the only WebGPU adapter is a software one, ${describeAdapter(backend.adapter)}; pass allowFallbackAdapter: true to use it`);
      backend = null;
    }
    if (backend) {
      registerBackend(backend);
      choice = { backend, adapter: backend.adapter, message: `${backend.name}: ${describeAdapter(backend.adapter)}`, unavailable: null };
    } else {
      choice = { backend: cpuBackend(), adapter: null, message: `cpu: WebGPU is unavailable: ${unavailable!.message}`, unavailable };
    }
  }
  setBackend(choice.backend.name);
  options.log?.(choice.message);
  return choice;
}
