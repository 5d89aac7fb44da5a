/// <reference types="@webgpu/types" />
// A size-bucketed pool of GPU buffers. Creating a GPUBuffer costs far more than the small kernels
// of RL networks, and a training step frees and allocates the same sizes every time, so freed
// buffers wait in per-bucket free lists for the next request of that bucket. Buckets are four per
// power of two (at most 25% slack) above 4 KiB and powers of two below.

/**
 * Counts of the pool: buffers handed out and not yet released, and buffers waiting for reuse.
 *
 * @example
 * ```ts
 * // not run: needs a WebGPU adapter
 * const gpu = await createWebGPUBackend();
 * const { liveBuffers, pooledBytes, created }: BufferPoolStats = gpu.poolStats();
 * ```
 */
export interface BufferPoolStats {
  /** Buffers in use (handed out, not released). */
  liveBuffers: number;
  /** Bytes of the buffers in use (bucket sizes). */
  liveBytes: number;
  /** Buffers waiting in the free lists. */
  pooledBuffers: number;
  /** Bytes waiting in the free lists. */
  pooledBytes: number;
  /** Buffers created since the pool began (a flat count in a steady loop means full reuse). */
  created: number;
}

/** The bucket size a request of `bytes` is served from. */
export function bucketSize(bytes: number): number {
  const size = Math.max(16, bytes);
  if (size <= 4096) {
    let p = 16;
    while (p < size) p *= 2;
    return p;
  }
  const quarter = 2 ** (Math.floor(Math.log2(size)) - 2);
  return Math.ceil(size / quarter) * quarter;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private stats: BufferPoolStats = { liveBuffers: 0, liveBytes: 0, pooledBuffers: 0, pooledBytes: 0, created: 0 };
  /** Destroys a buffer the pool lets go (the backend defers it past commands not yet submitted). */
  destroyBuffer: (buffer: GPUBuffer) => void = (buffer) => buffer.destroy();

  /**
   * @param create makes a new buffer of exactly `bytes` (the caller handles errors and usage flags).
   * @param maxPooledBytes bytes the free lists may hold; buffers released beyond it are destroyed.
   */
  constructor(
    private readonly create: (bytes: number) => GPUBuffer,
    public maxPooledBytes: number,
  ) {}

  /** A buffer of at least `bytes`, reused when one of its bucket is free. */
  acquire(bytes: number): { buffer: GPUBuffer; reused: boolean } {
    const size = bucketSize(bytes);
    const list = this.free.get(size);
    let buffer = list?.pop();
    const reused = buffer !== undefined;
    if (buffer) {
      this.stats.pooledBuffers--;
      this.stats.pooledBytes -= size;
    } else {
      buffer = this.create(size);
      this.stats.created++;
    }
    this.stats.liveBuffers++;
    this.stats.liveBytes += size;
    return { buffer, reused };
  }

  /** Returns a buffer obtained from `acquire` for reuse (or destroys it past the pool limit). */
  release(buffer: GPUBuffer): void {
    const size = buffer.size;
    this.stats.liveBuffers--;
    this.stats.liveBytes -= size;
    if (this.stats.pooledBytes + size > this.maxPooledBytes) {
      this.destroyBuffer(buffer);
      return;
    }
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buffer);
    this.stats.pooledBuffers++;
    this.stats.pooledBytes += size;
  }

  /** Destroys every buffer waiting for reuse. */
  trim(): void {
    for (const list of this.free.values()) for (const buffer of list) this.destroyBuffer(buffer);
    this.free.clear();
    this.stats.pooledBuffers = 0;
    this.stats.pooledBytes = 0;
  }

  /** A snapshot of the counts. */
  snapshot(): BufferPoolStats {
    return { ...this.stats };
  }
}
