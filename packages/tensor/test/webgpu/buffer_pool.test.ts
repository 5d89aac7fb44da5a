// The WebGPU buffer pool's bookkeeping, with stand-in buffers (no adapter needed): reuse by bucket,
// and what goes when the pooled bytes pass the limit.

import { describe, expect, it } from 'vitest';
import { BufferPool, bucketSize } from '../../src/backends/webgpu/buffer_pool.js';

/** A pool over fake buffers that records which ones it destroyed. */
function fakePool(maxPooledBytes: number) {
  const destroyed: number[] = [];
  let next = 0;
  const pool = new BufferPool((bytes) => ({ size: bytes, id: next++ }) as unknown as GPUBuffer, maxPooledBytes);
  pool.destroyBuffer = (buffer) => destroyed.push((buffer as unknown as { id: number }).id);
  const id = (buffer: GPUBuffer) => (buffer as unknown as { id: number }).id;
  return { pool, destroyed, id };
}

describe('BufferPool', () => {
  it('serves a request from a freed buffer of its bucket and counts what it created', () => {
    const { pool, id } = fakePool(1 << 20);
    const a = pool.acquire(1000);
    expect(a.buffer.size).toBe(bucketSize(1000));
    pool.release(a.buffer);
    const b = pool.acquire(1000);
    expect(b.reused).toBe(true);
    expect(id(b.buffer)).toBe(id(a.buffer));
    expect(pool.acquire(5000).reused).toBe(false);
    expect(pool.snapshot()).toMatchObject({ liveBuffers: 2, pooledBuffers: 0, created: 2 });
  });

  it('past its limit, destroys the buffers released longest ago and keeps the one just released', () => {
    const { pool, destroyed, id } = fakePool(3 * 4096);
    const old = [pool.acquire(4096), pool.acquire(4096), pool.acquire(4096)].map((a) => a.buffer);
    for (const buffer of old) pool.release(buffer); // the pool is full
    const fresh = pool.acquire(8192).buffer; // a new size, as a new phase of work asks for
    pool.release(fresh);
    expect(destroyed).toEqual([id(old[0]), id(old[1])]);
    const again = pool.acquire(8192);
    expect(again.reused).toBe(true); // the next call of that phase reuses it instead of allocating again
    expect(id(again.buffer)).toBe(id(fresh));
    expect(pool.snapshot()).toMatchObject({ pooledBuffers: 1, pooledBytes: 4096 });
  });

  it('destroys a buffer larger than the whole limit, and trim empties the pool', () => {
    const { pool, destroyed, id } = fakePool(4096);
    const big = pool.acquire(16384).buffer;
    pool.release(big);
    expect(destroyed).toEqual([id(big)]);
    const small = pool.acquire(1024).buffer;
    pool.release(small);
    pool.trim();
    expect(destroyed).toEqual([id(big), id(small)]);
    expect(pool.snapshot()).toMatchObject({ pooledBuffers: 0, pooledBytes: 0 });
    expect(pool.acquire(1024).reused).toBe(false);
  });
});
