/// <reference types="@webgpu/types" />
// Encodes kernels into command encoders and submits them in batches. Owns the pipeline cache
// (keyed by `Program.key`), the per-batch uniform data, GPU error scopes (every batch runs inside a
// validation and an out-of-memory scope whose errors name the batch's ops) and, when profiling,
// timestamp queries around every dispatch.
//
// Ordering: WebGPU executes queue operations in order, so a kernel may write a buffer that an
// earlier kernel of the same batch read, and the single uniform buffer can be rewritten for every
// batch (`writeBuffer` lands just before the batch's `submit`). The one hazard is a host write
// (`queue.writeBuffer`) into a buffer that commands not yet submitted still read: such a write
// flushes the batch first (`beforeHostWrite`).

import { flatDispatch, shaderSource, type Program } from './codegen.js';
import { WebGPUDeviceError } from './types.js';

export { WebGPUDeviceError };

// WebGPU's flag constants, spelled out so the backend does not need the `GPU*` globals installed.
export const BUFFER_USAGE = { MAP_READ: 1, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128, QUERY_RESOLVE: 512 } as const;
const SHADER_STAGE_COMPUTE = 4;
const MAP_MODE_READ = 1;

/** Bytes reserved per dispatch in the uniform buffer (WebGPU's minimum uniform offset alignment). */
const UNIFORM_SLOT_BYTES = 256;

/**
 * Time spent by one kernel, from GPU timestamps.
 *
 * @example
 * ```ts
 * // not run: needs a WebGPU adapter that supports timestamp queries
 * const timing: KernelTiming = { op: 'matmul', key: 'matmul_tiled_64x64', ms: 0.42 };
 * console.log(`${timing.op} ${timing.ms.toFixed(2)} ms`);
 * ```
 */
export interface KernelTiming {
  /** The op the kernel belongs to. */
  op: string;
  /** The kernel's shader key. */
  key: string;
  /** GPU time in milliseconds. */
  ms: number;
}

export interface DispatcherOptions {
  /** Dispatches per submitted batch. */
  batchSize: number;
  /** Submit every dispatch on its own, so a device error names the exact op (slow). */
  debug: boolean;
  /** Called with every newly compiled shader (key, WGSL). */
  onShader?: (key: string, code: string) => void;
  /** Elements each thread of a flat (one-element-per-index) kernel handles. */
  elementsPerThread: number;
}

interface CachedPipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

interface ProfileState {
  querySet: GPUQuerySet;
  capacity: number;
  /** Queries written in the current batch, with their kernels. */
  batch: { op: string; key: string }[];
  pending: Promise<void>[];
  timings: KernelTiming[];
}

export class Dispatcher {
  private readonly pipelines = new Map<string, CachedPipeline>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private batchOps: string[] = [];
  private dispatches = 0;
  /** Buffers that commands of the open batch use. */
  private readonly pendingBuffers = new Set<GPUBuffer>();
  /** Buffers to destroy once the open batch is submitted. */
  private destroyAfterSubmit: GPUBuffer[] = [];
  private readonly uniformBuffer: GPUBuffer;
  private readonly uniformData: ArrayBuffer;
  private readonly uniformU32: Uint32Array;
  private readonly uniformI32: Int32Array;
  private readonly uniformF32: Float32Array;
  private uniformOffset = 0;
  private readonly uniformCapacity: number;
  private readonly errorChecks = new Set<Promise<void>>();
  private profile: ProfileState | null = null;
  /** The first device error; every later call rethrows it. */
  error: WebGPUDeviceError | null = null;
  /** Batches submitted so far. */
  submits = 0;

  constructor(
    readonly device: GPUDevice,
    private readonly options: DispatcherOptions,
  ) {
    this.uniformCapacity = Math.max(1, options.batchSize) * UNIFORM_SLOT_BYTES;
    this.uniformBuffer = device.createBuffer({ size: this.uniformCapacity, usage: BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST });
    this.uniformData = new ArrayBuffer(this.uniformCapacity);
    this.uniformU32 = new Uint32Array(this.uniformData);
    this.uniformI32 = new Int32Array(this.uniformData);
    this.uniformF32 = new Float32Array(this.uniformData);
  }

  /** Records a device error (the first one sticks). */
  fail(error: WebGPUDeviceError): void {
    if (!this.error) this.error = error;
  }

  /** Throws the recorded device error, naming `op` as the call that found it. */
  check(op: string): void {
    if (this.error) {
      const error = new WebGPUDeviceError(`webgpu: ${op}: an earlier device error makes results unreliable: ${this.error.message}`, this.error.kind, this.error.ops);
      error.cause = this.error;
      throw error;
    }
  }

  /** Encodes one kernel. `inputs` and `outputs` are bound in the order the program declares them. */
  dispatch(program: Program, inputs: readonly GPUBuffer[], outputs: readonly GPUBuffer[]): void {
    // Flat kernels (uniform 0 is the element count) get their geometry here, from elementsPerThread.
    const [x, y, z] = program.flat ? flatDispatch(program.uniformValues[0], program.workgroupSize[0] * this.options.elementsPerThread) : program.dispatch;
    if (x === 0 || y === 0 || z === 0) return;
    if (this.uniformOffset + UNIFORM_SLOT_BYTES > this.uniformCapacity) this.flush();
    const { pipeline, layout } = this.pipeline(program);
    const encoder = this.openEncoder();
    const entries: GPUBindGroupEntry[] = [];
    let binding = 0;
    for (const buffer of inputs) {
      entries.push({ binding: binding++, resource: { buffer } });
      this.pendingBuffers.add(buffer);
    }
    for (const buffer of outputs) {
      entries.push({ binding: binding++, resource: { buffer } });
      this.pendingBuffers.add(buffer);
    }
    if (program.uniforms.length > 0) {
      const size = Math.ceil((program.uniforms.length * 4) / 16) * 16;
      this.writeUniforms(program);
      entries.push({ binding, resource: { buffer: this.uniformBuffer, offset: this.uniformOffset, size } });
      this.uniformOffset += UNIFORM_SLOT_BYTES;
    }
    const bindGroup = this.device.createBindGroup({ layout, entries });
    let pass = this.pass;
    if (this.profile) {
      pass?.end();
      const index = this.profile.batch.length * 2;
      pass = encoder.beginComputePass({ timestampWrites: { querySet: this.profile.querySet, beginningOfPassWriteIndex: index, endOfPassWriteIndex: index + 1 } });
      this.profile.batch.push({ op: program.op, key: program.key });
    } else if (!pass) {
      pass = encoder.beginComputePass();
    }
    this.pass = pass;
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    if (this.profile) {
      pass.end();
      this.pass = null;
    }
    this.batchOps.push(program.op);
    this.dispatches++;
    const profileFull = this.profile !== null && this.profile.batch.length * 2 >= this.profile.capacity;
    if (this.options.debug || this.dispatches >= this.options.batchSize || profileFull) this.flush();
  }

  /** Encodes a buffer-to-buffer copy (ends the open compute pass). */
  copy(source: GPUBuffer, destination: GPUBuffer, bytes: number, op: string): void {
    const encoder = this.openEncoder();
    this.endPass();
    encoder.copyBufferToBuffer(source, 0, destination, 0, bytes);
    this.pendingBuffers.add(source);
    this.pendingBuffers.add(destination);
    this.batchOps.push(op);
  }

  /** Must be called before `queue.writeBuffer(buffer)`: submits the batch if its commands use `buffer`. */
  beforeHostWrite(buffer: GPUBuffer): void {
    if (this.pendingBuffers.has(buffer)) this.flush();
  }

  /** Destroys `buffer`, after the open batch is submitted if it uses the buffer. */
  destroy(buffer: GPUBuffer): void {
    if (this.pendingBuffers.has(buffer)) this.destroyAfterSubmit.push(buffer);
    else buffer.destroy();
  }

  /** Submits the open batch, if any. */
  flush(): void {
    const encoder = this.encoder;
    if (!encoder) return;
    this.endPass();
    if (this.uniformOffset > 0) this.device.queue.writeBuffer(this.uniformBuffer, 0, this.uniformData, 0, this.uniformOffset);
    const timings = this.profile && this.profile.batch.length > 0 ? this.resolveTimestamps(encoder) : null;
    this.device.queue.submit([encoder.finish()]);
    this.submits++;
    const ops = this.batchOps;
    this.watchErrors(ops);
    if (timings) this.profile!.pending.push(timings());
    this.encoder = null;
    this.batchOps = [];
    this.dispatches = 0;
    this.uniformOffset = 0;
    this.pendingBuffers.clear();
    for (const buffer of this.destroyAfterSubmit) buffer.destroy();
    this.destroyAfterSubmit = [];
  }

  /** Resolves once every submitted batch's error scopes have reported; throws the first device error. */
  async settle(op: string): Promise<void> {
    while (this.errorChecks.size > 0) await Promise.all([...this.errorChecks]);
    this.check(op);
  }

  /** Copies `bytes` of `buffer` to a mappable buffer and resolves with them (the only readback path). */
  async readBuffer(buffer: GPUBuffer, bytes: number, staging: GPUBuffer, op: string): Promise<ArrayBuffer> {
    this.copy(buffer, staging, bytes, op);
    this.flush();
    try {
      await staging.mapAsync(MAP_MODE_READ, 0, bytes);
    } catch (cause) {
      await this.settle(op);
      throw new WebGPUDeviceError(`webgpu: ${op}: mapping the readback buffer failed: ${(cause as Error).message}`, 'validation', [op]);
    }
    const data = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    await this.settle(op);
    return data;
  }

  /** Starts recording GPU time per kernel (needs the 'timestamp-query' feature). */
  startProfile(capacity = 2 * this.options.batchSize): void {
    this.flush();
    if (this.profile) throw new Error('webgpu: a profile is already being recorded');
    const querySet = this.device.createQuerySet({ type: 'timestamp', count: capacity });
    this.profile = { querySet, capacity, batch: [], pending: [], timings: [] };
  }

  /** Stops recording and resolves with the time of every kernel since `startProfile`. */
  async stopProfile(): Promise<KernelTiming[]> {
    const profile = this.profile;
    if (!profile) throw new Error('webgpu: stopProfile without startProfile');
    this.flush();
    this.profile = null;
    await Promise.all(profile.pending);
    profile.querySet.destroy();
    return profile.timings;
  }

  private resolveTimestamps(encoder: GPUCommandEncoder): () => Promise<void> {
    const profile = this.profile!;
    const kernels = profile.batch;
    profile.batch = [];
    const bytes = kernels.length * 2 * 8;
    const resolve = this.device.createBuffer({ size: bytes, usage: BUFFER_USAGE.QUERY_RESOLVE | BUFFER_USAGE.COPY_SRC });
    const readback = this.device.createBuffer({ size: bytes, usage: BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST });
    encoder.resolveQuerySet(profile.querySet, 0, kernels.length * 2, resolve, 0);
    encoder.copyBufferToBuffer(resolve, 0, readback, 0, bytes);
    return async () => {
      await readback.mapAsync(MAP_MODE_READ);
      const stamps = new BigUint64Array(readback.getMappedRange().slice(0));
      readback.unmap();
      readback.destroy();
      resolve.destroy();
      kernels.forEach((kernel, i) => {
        const ns = stamps[2 * i + 1] > stamps[2 * i] ? Number(stamps[2 * i + 1] - stamps[2 * i]) : 0;
        profile.timings.push({ op: kernel.op, key: kernel.key, ms: ns / 1e6 });
      });
    };
  }

  private openEncoder(): GPUCommandEncoder {
    if (!this.encoder) {
      this.device.pushErrorScope('validation');
      this.device.pushErrorScope('out-of-memory');
      this.device.pushErrorScope('internal');
      this.encoder = this.device.createCommandEncoder();
    }
    return this.encoder;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** Makes `settle` wait for `check` (an error-scope result that records its own error). */
  watch(check: Promise<void>): void {
    const tracked = check.catch(() => undefined).finally(() => this.errorChecks.delete(tracked));
    this.errorChecks.add(tracked);
  }

  /** Pops the batch's three error scopes and records what they caught, naming the batch's ops. */
  private watchErrors(ops: string[]): void {
    const scopes = [this.device.popErrorScope(), this.device.popErrorScope(), this.device.popErrorScope()];
    const check = Promise.all(scopes).then(
      (errors) => {
        const kinds = ['internal', 'out-of-memory', 'validation'];
        errors.forEach((error, i) => {
          if (!error) return;
          const where = ops.length === 1 ? `in op '${ops[0]}'` : `in a batch of ${ops.length} ops (${summarize(ops)}); create the backend with { debug: true } to name the exact op`;
          this.fail(new WebGPUDeviceError(`webgpu: ${kinds[i]} error ${where}: ${error.message}`, kinds[i], ops));
        });
      },
      (cause: unknown) => this.fail(new WebGPUDeviceError(`webgpu: error scopes failed (${(cause as Error).message})`, 'internal', ops)),
    );
    this.watch(check);
  }

  private pipeline(program: Program): CachedPipeline {
    const cached = this.pipelines.get(program.key);
    if (cached) return cached;
    const code = shaderSource(program, program.flat ? this.options.elementsPerThread : 1);
    this.options.onShader?.(program.key, code);
    const layoutKey = `${program.inputs.length}_${program.outputs.length}_${program.uniforms.length > 0}`;
    let layout = this.layouts.get(layoutKey);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [];
      let binding = 0;
      for (let i = 0; i < program.inputs.length; i++) entries.push({ binding: binding++, visibility: SHADER_STAGE_COMPUTE, buffer: { type: 'read-only-storage' } });
      for (let i = 0; i < program.outputs.length; i++) entries.push({ binding: binding++, visibility: SHADER_STAGE_COMPUTE, buffer: { type: 'storage' } });
      if (program.uniforms.length > 0) entries.push({ binding, visibility: SHADER_STAGE_COMPUTE, buffer: { type: 'uniform' } });
      layout = this.device.createBindGroupLayout({ entries });
      this.layouts.set(layoutKey, layout);
    }
    this.openEncoder(); // compilation errors land in the batch's error scope
    const module = this.device.createShaderModule({ code, label: program.key });
    const pipeline = this.device.createComputePipeline({
      label: program.key,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    if (this.options.debug) void this.reportCompilation(module, program);
    const entry = { pipeline, layout };
    this.pipelines.set(program.key, entry);
    return entry;
  }

  /** In debug mode, turns WGSL compilation errors into a device error naming the kernel. */
  private async reportCompilation(module: GPUShaderModule, program: Program): Promise<void> {
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      this.fail(new WebGPUDeviceError(`webgpu: shader '${program.key}' of op '${program.op}' failed to compile: ${errors.map((e) => `${e.lineNum}:${e.linePos} ${e.message}`).join('; ')}`, 'validation', [program.op]));
    }
  }

  private writeUniforms(program: Program): void {
    const base = this.uniformOffset / 4;
    program.uniforms.forEach((field, i) => {
      const value = program.uniformValues[i];
      if (field.type === 'f32') this.uniformF32[base + i] = value;
      else if (field.type === 'i32') this.uniformI32[base + i] = value;
      else this.uniformU32[base + i] = value;
    });
  }

  /** Number of compiled pipelines (one per distinct kernel key). */
  get pipelineCount(): number {
    return this.pipelines.size;
  }
}

function summarize(ops: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const op of ops) counts.set(op, (counts.get(op) ?? 0) + 1);
  return [...counts].map(([op, n]) => (n > 1 ? `${op} ×${n}` : op)).join(', ');
}
