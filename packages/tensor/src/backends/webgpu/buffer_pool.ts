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
  /** When each pooled buffer was released (a counter), so that the pool evicts the stalest first. */
  private readonly releasedAt = new Map<GPUBuffer, number>();
  private releases = 0;
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
      this.releasedAt.delete(buffer);
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

  /**
   * Returns a buffer obtained from `acquire` for reuse. Past the pool's limit the buffers released
   * longest ago are destroyed to make room: the one just released is the likeliest to be asked for
   * again (a loop allocates the same sizes every step), while sizes of a finished phase would
   * otherwise hold the pool forever and make every new size a fresh, zero-filled allocation.
   */
  release(buffer: GPUBuffer): void {
    const size = buffer.size;
    this.stats.liveBuffers--;
    this.stats.liveBytes -= size;
    if (size > this.maxPooledBytes) {
      this.destroyBuffer(buffer);
      return;
    }
    if (this.stats.pooledBytes + size > this.maxPooledBytes) this.evict(this.stats.pooledBytes + size - this.maxPooledBytes);
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buffer);
    this.releasedAt.set(buffer, this.releases++);
    this.stats.pooledBuffers++;
    this.stats.pooledBytes += size;
  }

  /** Destroys pooled buffers, stalest first, until at least `bytes` are freed. */
  private evict(bytes: number): void {
    const stalest = [...this.releasedAt].sort((a, b) => a[1] - b[1]);
    let freed = 0;
    for (const [buffer] of stalest) {
      if (freed >= bytes) break;
      const list = this.free.get(buffer.size)!;
      list.splice(list.indexOf(buffer), 1);
      if (list.length === 0) this.free.delete(buffer.size);
      this.releasedAt.delete(buffer);
      this.stats.pooledBuffers--;
      this.stats.pooledBytes -= buffer.size;
      freed += buffer.size;
      this.destroyBuffer(buffer);
    }
  }

  /** Destroys every buffer waiting for reuse. */
  trim(): void {
    for (const list of this.free.values()) for (const buffer of list) this.destroyBuffer(buffer);
    this.free.clear();
    this.releasedAt.clear();
    this.stats.pooledBuffers = 0;
    this.stats.pooledBytes = 0;
  }

  /** A snapshot of the counts. */
  snapshot(): BufferPoolStats {
    return { ...this.stats };
  }
}
