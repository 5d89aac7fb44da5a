// The libraries measured side by side, each behind the same small interface: how to wait for
// queued work (the sync a benchmark times up to) and how to time one call's kernels on the GPU.
//
// - attune-webgpu: @attune/tensor's WebGPU backend (Dawn via `webgpu`).
// - tfjs-webgpu: @tensorflow/tfjs-backend-webgpu driven in Node through the same `webgpu`
//   package: its globals (GPUBufferUsage, ...) are installed and `navigator.gpu` is Dawn's GPU
//   object, which is all the backend needs.
// - attune-cpu: @attune/tensor's CPU backend (WebAssembly SIMD kernels, synchronous).

import { createRequire } from 'node:module';
import { cpuBackend, createWebGPUBackend, type Backend, type WebGPUBackend, type WebGPUBackendOptions } from '@attune/tensor';
import type * as TfCore from '@tensorflow/tfjs-core';

export type Tf = typeof TfCore;

/** What a benchmark needs from a library. */
export interface Library {
  id: 'attune-webgpu' | 'tfjs-webgpu' | 'attune-cpu';
  /** Resolves when every call queued so far has finished. */
  sync(): Promise<void>;
  /** GPU milliseconds of the kernels `call` enqueues (timestamp queries), or null without them. */
  gpuTime(call: () => void): Promise<number | null>;
  /** Version and how the library was run. */
  info: Record<string, unknown>;
}

/** An @attune/tensor library: the backend its tensors live on. */
export interface AttuneLibrary extends Library {
  id: 'attune-webgpu' | 'attune-cpu';
  backend: Backend;
}

/** The tfjs library: the loaded module. */
export interface TfjsLibrary extends Library {
  id: 'tfjs-webgpu';
  tf: Tf;
}

const require = createRequire(import.meta.url);

/** @attune/tensor's WebGPU backend on the default adapter. */
export async function attuneWebGPU(options: WebGPUBackendOptions = {}): Promise<AttuneLibrary & { backend: WebGPUBackend }> {
  const backend = await createWebGPUBackend(options);
  return {
    id: 'attune-webgpu',
    backend,
    sync: () => backend.sync(),
    async gpuTime(call) {
      if (!backend.canProfile) return null;
      await backend.sync();
      backend.startProfile();
      call();
      const timings = await backend.stopProfile();
      return timings.reduce((total, t) => total + t.ms, 0);
    },
    info: { package: '@attune/tensor', version: readVersion('@attune/tensor'), matmul: options.matmulTiling ? `tiled kernel, large-product tiling ${options.matmulTiling.tileM}x${options.matmulTiling.tileN}x${options.matmulTiling.tileK}x${options.matmulTiling.blockM}x${options.matmulTiling.blockN}` : 'auto (subgroup kernel on software adapters, tiled otherwise)' },
  };
}

/** @attune/tensor's CPU backend. */
export function attuneCpu(): AttuneLibrary {
  const backend = cpuBackend();
  return {
    id: 'attune-cpu',
    backend,
    sync: async () => {},
    gpuTime: async () => null,
    info: { package: '@attune/tensor', version: readVersion('@attune/tensor'), kernels: backend.fast ? 'WebAssembly SIMD' : 'JavaScript' },
  };
}

/**
 * tfjs-backend-webgpu in Node on Dawn. Everything runs on the GPU (the CPU hand-off of small ops
 * is disabled), production mode, gradients registered for training.
 */
export async function tfjsWebGPU(): Promise<TfjsLibrary> {
  const { create, globals } = (await import('webgpu')) as { create(flags: string[]): GPU; globals: object };
  Object.assign(globalThis, globals);
  (globalThis as { navigator?: unknown }).navigator = { gpu: create(['disable-dawn-features=timestamp_quantization']) };
  const tf = (await import('@tensorflow/tfjs-core')) as Tf;
  // tfjs-core's Node bundle registers no gradients; this ESM file loads through tsx's require hook
  // and registers them on the shared engine (as benchmarks/tensor does).
  require('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  await import('@tensorflow/tfjs-backend-webgpu');
  tf.env().set('PROD', true);
  tf.env().set('WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD', 0);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: setBackend("webgpu") failed');
  const backend = tf.backend() as unknown as {
    device: GPUDevice;
    commandEncoder: GPUCommandEncoder | null;
    endComputePassEncoder(): void;
    submitQueue(): void;
    supportTimestampQuery: boolean;
  };
  const flush = () => {
    backend.endComputePassEncoder();
    if (backend.commandEncoder) backend.submitQueue();
  };
  return {
    id: 'tfjs-webgpu',
    tf,
    async sync() {
      flush();
      await backend.device.queue.onSubmittedWorkDone();
    },
    async gpuTime(call) {
      if (!backend.supportTimestampQuery) return null;
      flush();
      const info = await tf.time(call);
      return info.kernelMs as number;
    },
    info: {
      package: '@tensorflow/tfjs-backend-webgpu',
      version: readVersion('@tensorflow/tfjs-backend-webgpu'),
      flags: { PROD: true, WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD: 0 },
      howRun: "Node: `webgpu`'s globals installed, navigator.gpu = Dawn's GPU object",
    },
  };
}

function readVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
