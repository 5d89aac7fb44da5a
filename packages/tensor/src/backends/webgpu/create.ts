/// <reference types="@webgpu/types" />
// Finding a WebGPU device: `navigator.gpu` where the platform has one (browsers, Deno), else Dawn
// through the optional `webgpu` package, loaded by dynamic import on first use so CPU-only users
// never load (or install) its ~130 MB of native binaries. Each failure becomes a
// `WebGPUUnavailableError` naming the step and the fix.

import { WebGPUUnavailableError, type WebGPUAdapterSummary, type WebGPUBackend, type WebGPUBackendOptions } from './types.js';

/** Optional features the backend asks for when the adapter has them. */
const WANTED_FEATURES = ['timestamp-query', 'shader-f16', 'subgroups'] as const;

/** Limits raised to the adapter's maximum (the defaults cap a storage binding at 128 MiB). */
const RAISED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

/**
 * Dawn flags every instance gets: kernel timestamps at full resolution (Dawn quantizes them by
 * default, a browser anti-fingerprinting measure that a Node process does not need).
 */
const DEFAULT_DAWN_FLAGS = ['disable-dawn-features=timestamp_quantization'];

interface DawnModule {
  create(flags: string[]): GPU;
}

const instances = new Map<string, GPU>();

/** Settles when the device request in progress (if any) has finished. */
let creating: Promise<void> = Promise.resolve();

/** The `GPU` object: `navigator.gpu` when present, else a Dawn instance from the `webgpu` package. */
async function gpuEntryPoint(flags: readonly string[]): Promise<GPU> {
  const navigatorGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (navigatorGpu) return navigatorGpu;
  const key = flags.join('\n');
  const cached = instances.get(key);
  if (cached) return cached;
  let dawn: DawnModule;
  try {
    dawn = (await import('webgpu')) as DawnModule;
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new WebGPUUnavailableError(
        'package-missing',
        "WebGPU in Node needs the optional peer dependency 'webgpu' (Dawn's prebuilt binaries, about 130 MB): run `npm install webgpu`",
        { cause },
      );
    }
    throw new WebGPUUnavailableError('package-failed', `the 'webgpu' package failed to load (${(cause as Error).message}); its prebuilt Dawn binary may not support this platform`, { cause });
  }
  const gpu = dawn.create([...flags]);
  instances.set(key, gpu);
  return gpu;
}

/** The adapter's self-description as one searchable line. */
function adapterText(info: GPUAdapterInfo): string {
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
}

/** Every adapter reachable through the usual requests (discrete, integrated, software), without duplicates. */
async function listAdapters(gpu: GPU, options: WebGPUBackendOptions): Promise<GPUAdapter[]> {
  const requests: GPURequestAdapterOptions[] = [
    { powerPreference: options.powerPreference ?? 'high-performance' },
    { powerPreference: options.powerPreference === 'high-performance' ? 'low-power' : 'high-performance' },
    { forceFallbackAdapter: true },
  ];
  const found: GPUAdapter[] = [];
  const seen = new Set<string>();
  for (const request of requests) {
    let adapter: GPUAdapter | null = null;
    try {
      adapter = await gpu.requestAdapter(request);
    } catch {
      adapter = null;
    }
    if (!adapter) continue;
    const text = adapterText(adapter.info);
    if (seen.has(text)) continue;
    seen.add(text);
    found.push(adapter);
  }
  return found;
}

/** Picks the adapter by name or power preference, or says exactly why there is none. */
async function chooseAdapter(gpu: GPU, options: WebGPUBackendOptions): Promise<GPUAdapter> {
  if (!options.adapterName) {
    const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference });
    if (adapter) return adapter;
    throw new WebGPUUnavailableError(
      'no-adapter',
      'WebGPU found no adapter: no GPU driver with Vulkan (Linux), Metal (macOS) or D3D12 (Windows) support is installed. ' +
        'On a Linux machine without a GPU, Mesa\'s software Vulkan driver works: `apt-get install mesa-vulkan-drivers` (lavapipe).',
    );
  }
  const wanted = options.adapterName.toLowerCase();
  const adapters = await listAdapters(gpu, options);
  const match = adapters.find((adapter) => adapterText(adapter.info).toLowerCase().includes(wanted));
  if (match) return match;
  const available = adapters.map((adapter) => `'${adapterText(adapter.info)}'`).join(', ') || 'none';
  throw new WebGPUUnavailableError('no-matching-adapter', `WebGPU found no adapter matching '${options.adapterName}' (available: ${available})`);
}

/** Requests a device with the wanted optional features and the adapter's maximum compute limits. */
async function openDevice(adapter: GPUAdapter): Promise<{ device: GPUDevice; summary: WebGPUAdapterSummary }> {
  const requiredFeatures = WANTED_FEATURES.filter((feature) => adapter.features.has(feature)) as GPUFeatureName[];
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  } catch (cause) {
    throw new WebGPUUnavailableError('device-request-failed', `WebGPU could not create a device on '${adapterText(adapter.info)}': ${(cause as Error).message}`, { cause });
  }
  const info = adapter.info;
  const limits: Record<string, number> = {};
  for (const name of [...RAISED_LIMITS, 'maxComputeWorkgroupsPerDimension', 'minUniformBufferOffsetAlignment', 'minStorageBufferOffsetAlignment'] as const) {
    const value = (device.limits as unknown as Record<string, number>)[name];
    if (typeof value === 'number') limits[name] = value;
  }
  const summary: WebGPUAdapterSummary = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: (info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
    subgroupMinSize: (info as { subgroupMinSize?: number }).subgroupMinSize ?? 0,
    subgroupMaxSize: (info as { subgroupMaxSize?: number }).subgroupMaxSize ?? 0,
    features: [...device.features].sort(),
    limits,
  };
  return { device, summary };
}

/**
 * Creates a WebGPU backend on the chosen adapter. Loads the Dawn binding (`webgpu` package) on
 * first use. Throws a `WebGPUUnavailableError` saying why when no device can be created.
 *
 * @example
 * ```ts
 * const gpu = await createWebGPUBackend({ powerPreference: 'high-performance' });
 * console.log(gpu.adapter.description);
 * const x = randn([1024, 1024], { backend: gpu });
 * ```
 */
export async function createWebGPUBackend(options: WebGPUBackendOptions = {}): Promise<WebGPUBackend> {
  // One device request at a time: concurrent requests crashed Dawn on lavapipe (a pthread mutex
  // assertion once the devices ran work).
  const previous = creating;
  let done!: () => void;
  creating = new Promise<void>((resolve) => (done = resolve));
  await previous;
  try {
    const gpu = await gpuEntryPoint([...DEFAULT_DAWN_FLAGS, ...(options.dawnFlags ?? [])]);
    const adapter = await chooseAdapter(gpu, options);
    const { device, summary } = await openDevice(adapter);
    const { WebGPUComputeBackend } = await import('./backend.js');
    return new WebGPUComputeBackend(device, summary, options.name ?? 'webgpu', options);
  } finally {
    done();
  }
}

/**
 * What `probeWebGPU` found.
 *
 * @example
 * ```ts
 * const probe: WebGPUProbe = await probeWebGPU();
 * console.log(probe.available ? describeAdapter(probe.adapter) : probe.error.message);
 * ```
 */
export type WebGPUProbe =
  | { available: true; adapter: Pick<WebGPUAdapterSummary, 'vendor' | 'architecture' | 'device' | 'description' | 'isFallbackAdapter'> }
  | { available: false; error: WebGPUUnavailableError };

/**
 * Checks whether a WebGPU adapter can be found, without creating a device (tests use it to skip).
 *
 * @example
 * ```ts
 * const probe = await probeWebGPU();
 * if (!probe.available) console.log(probe.error.message);
 * ```
 */
export async function probeWebGPU(options: WebGPUBackendOptions = {}): Promise<WebGPUProbe> {
  try {
    const gpu = await gpuEntryPoint([...DEFAULT_DAWN_FLAGS, ...(options.dawnFlags ?? [])]);
    const { info } = await chooseAdapter(gpu, options);
    return {
      available: true,
      adapter: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, isFallbackAdapter: (info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false },
    };
  } catch (error) {
    if (error instanceof WebGPUUnavailableError) return { available: false, error };
    throw error;
  }
}
