// safetensors: the byte layout, round trips, a file written by the reference implementation, the
// dtype conversions, and one test per kind of corruption.

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend, dispose, randn, scalar, tensor, zeros, type Tensor } from '@attune/tensor';
import { Linear, loadCheckpoint, loadFile, loadSafetensors, MLP, SafetensorsError, saveCheckpoint, saveFile, saveSafetensors, saveSafetensorsAsync, writeFileAtomic } from '../src/index.js';
import { expectClose } from './helpers.js';

const FIXTURE = new URL('./fixtures/reference.safetensors', import.meta.url);

/** Builds a file from a header object (or raw header text) and a data buffer, as a writer would. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), rawHeader?: string): Uint8Array {
  const json = new TextEncoder().encode(rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function bytesOf(values: ArrayBufferView): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

describe('saveSafetensors', () => {
  it('writes the real layout: u64 LE header length, space-padded JSON header, contiguous aligned data', () => {
    const bytes = saveSafetensors(
      { flag: tensor([true, false, true]), w: tensor([[1, 2], [3, 4]]), ids: tensor([5, -6], { dtype: 'int32' }) },
      { format: 'pt' },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text).toMatch(/^\{.*\} *$/);
    const header = JSON.parse(text);
    expect(header.__metadata__).toEqual({ format: 'pt' });
    // Wider dtypes first (as the reference writer), so every tensor starts aligned to its element size.
    expect(header.w).toEqual({ dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] });
    expect(header.ids).toEqual({ dtype: 'I32', shape: [2], data_offsets: [16, 24] });
    expect(header.flag).toEqual({ dtype: 'BOOL', shape: [3], data_offsets: [24, 27] });
    expect(bytes.length).toBe(8 + n + 27);
    expect(Array.from(new Float32Array(bytes.slice(8 + n, 8 + n + 16).buffer))).toEqual([1, 2, 3, 4]);
  });

  it('round-trips float32, int32, bool, scalars, empty tensors and metadata', () => {
    const tensors: Record<string, Tensor> = {
      'h.0.attn.c_attn.weight': randn([3, 5]),
      ids: tensor([[1, -2, 3]], { dtype: 'int32' }),
      mask: tensor([[true, false], [false, true]]),
      temperature: scalar(0.7),
      empty: zeros([0, 4]),
    };
    const loaded = loadSafetensors(saveSafetensors(tensors, { step: '12' }));
    expect(loaded.metadata).toEqual({ step: '12' });
    expect(Object.keys(loaded.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const back = loaded.tensors[name];
      expect(back.dtype).toBe(t.dtype);
      expect(back.shape).toEqual(t.shape);
      expect(Array.from(back.dataSync())).toEqual(Array.from(t.dataSync()));
    }
    expect(loaded.dtypes.ids).toBe('I32');
    expect(loadSafetensors(saveSafetensors({ a: zeros([1]) })).metadata).toEqual({});
  });

  it('rejects a reserved name, a non-tensor and non-string metadata', () => {
    expect(() => saveSafetensors({ __metadata__: zeros([1]) })).toThrow(/reserved/);
    expect(() => saveSafetensors({ a: [1, 2] as unknown as Tensor })).toThrow(/'a' is not a Tensor/);
    expect(() => saveSafetensors({ a: zeros([1]) }, { step: 3 as unknown as string })).toThrow(/metadata 'step' must be a string/);
  });
});

describe('loadSafetensors', () => {
  it('reads a file written by the reference implementation (safetensors 0.8.0), converting F16, F64, I64 and U8', async () => {
    const { tensors, metadata, dtypes } = loadSafetensors(await readFile(FIXTURE));
    expect(metadata).toEqual({ format: 'pt', note: 'written by safetensors 0.8.0' });
    expect(dtypes).toMatchObject({ half: 'F16', double: 'F64', position_ids: 'I64', bytes: 'U8', mask: 'BOOL', counts: 'I32' });
    expectClose(tensors['linear.weight'], [0.5, -1.25, 3, Math.fround(1e-3), 2, -0], 0);
    expect(tensors['linear.weight'].shape).toEqual([2, 3]);
    expect(tensors.half.dtype).toBe('float32');
    expectClose(tensors.half, [1, -2, 0.5, 65504, 2 ** -24, Infinity], 0);
    expect(tensors.double.dtype).toBe('float32');
    expectClose(tensors.double, [Math.fround(1 / 3), Math.fround(-1e10)], 0);
    expect(tensors.position_ids.dtype).toBe('int32');
    expect(tensors.position_ids.shape).toEqual([1, 5]);
    expect(Array.from(tensors.position_ids.dataSync())).toEqual([0, 1, 2, -5, 2 ** 31 - 1]);
    expect(Array.from(tensors.counts.dataSync())).toEqual([7, -8]);
    expect(Array.from(tensors.bytes.dataSync())).toEqual([0, 255]);
    expect(tensors.mask.dtype).toBe('bool');
    expect(Array.from(tensors.mask.dataSync())).toEqual([1, 0, 0, 1]);
    expect(tensors.scalar.shape).toEqual([]);
    expect(tensors.scalar.itemSync()).toBe(2.5);
    dispose(tensors);
  });

  it('converts BF16 to float32 (the top 16 bits)', () => {
    const data = bytesOf(new Uint16Array([0x3f80, 0xc020, 0x4049, 0x0000]));
    const { tensors } = loadSafetensors(build({ w: { dtype: 'BF16', shape: [2, 2], data_offsets: [0, 8] } }, data));
    expectClose(tensors.w, [1, -2.5, 3.140625, 0], 0);
  });

  it('rejects I64 values outside the int32 range, naming the tensor, the value and the index', () => {
    const data = bytesOf(new BigInt64Array([1n, 2n ** 31n]));
    expect(() => loadSafetensors(build({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, data))).toThrow(
      /tensor 'ids': I64 value 2147483648 at flat index 1 is outside the int32 range/,
    );
  });

  it('accepts an ArrayBuffer and a Buffer at a non-zero byte offset', () => {
    const bytes = saveSafetensors({ a: tensor([1, 2, 3]) });
    expectClose(loadSafetensors(bytes.slice().buffer).tensors.a, [1, 2, 3], 0);
    const padded = Buffer.concat([Buffer.from([9, 9, 9]), Buffer.from(bytes)]).subarray(3);
    expectClose(loadSafetensors(padded).tensors.a, [1, 2, 3], 0);
  });
});

describe('corrupt files', () => {
  const good = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const data8 = bytesOf(new Float32Array([1, 2]));

  const cases: [string, () => Uint8Array, RegExp][] = [
    ['fewer than 8 bytes', () => new Uint8Array(5), /truncated file: 5 bytes, fewer than the 8-byte header length prefix/],
    ['a header length beyond the file', () => build(good, data8).slice(0, 20), /the header length prefix says \d+ bytes, but only 12 bytes follow it/],
    ['a header that is not JSON', () => build(null, data8, '{"w": {"dtype": "F32",'), /the 22-byte header is not valid JSON/],
    ['a header that is not an object', () => build([1, 2]), /the header must be a JSON object, got an array/],
    ['a missing field', () => build({ w: { dtype: 'F32', shape: [2] } }, data8), /tensor 'w': missing field 'data_offsets'/],
    ['an unknown dtype', () => build({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, data8), /tensor 'w': unsupported dtype 'C64'/],
    ['a bad shape', () => build({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, data8), /tensor 'w': shape must be an array of non-negative integers, got \[-2\]/],
    ['reversed offsets', () => build({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, data8), /tensor 'w': data_offsets must be \[begin, end\] with 0 <= begin <= end, got \[8,0\]/],
    ['offsets out of range (truncated data)', () => build(good, data8.slice(0, 6)), /tensor 'w': data_offsets \[0, 8\] are out of range: the data buffer after the header has 6 bytes/],
    ['offsets not matching dtype × shape', () => build({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, data8), /tensor 'w': data_offsets \[0, 8\] span 8 bytes, but dtype F32 × shape \[3\] needs 12/],
    [
      'overlapping tensors',
      () => build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, data8),
      /tensor 'b': data_offsets \[4, 8\] overlap tensor 'a' at \[0, 8\]/,
    ],
    ['a gap between tensors', () => build({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, data8), /tensor 'w': data_offsets \[4, 8\] leave bytes \[0, 4\) of the data buffer unused/],
    ['trailing bytes', () => build({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, data8), /the tensors cover 4 bytes but the data buffer after the header has 8/],
    ['non-string metadata', () => build({ __metadata__: { step: 3 }, ...good }, data8), /'__metadata__'\.step must be a string, got number 3/],
  ];
  for (const [name, make, message] of cases) {
    it(`rejects ${name}`, () => {
      let error: unknown;
      try {
        loadSafetensors(make());
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(SafetensorsError);
      expect((error as Error).message).toMatch(message);
    });
  }
});

describe('files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'attune-nn-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saveFile writes atomically (no temporary left) and loadFile reads it back', async () => {
    const path = join(dir, 'model.safetensors');
    const model = new MLP({ inFeatures: 4, hiddenSizes: [8], outFeatures: 2 });
    await saveFile(path, model.stateDict(), { format: 'pt' });
    await saveFile(path, model.stateDict(), { format: 'pt' }); // overwrite in place
    expect(await readdir(dir)).toEqual(['model.safetensors']);
    const { tensors, metadata } = await loadFile(path);
    expect(metadata).toEqual({ format: 'pt' });
    const copy = new MLP({ inFeatures: 4, hiddenSizes: [8], outFeatures: 2 });
    copy.loadStateDict(tensors);
    for (const [name, t] of Object.entries(copy.stateDict())) expectClose(t, Array.from(model.stateDict()[name].dataSync()), 0);
    dispose(tensors);
  });

  it('loadFile errors name the file', async () => {
    const path = join(dir, 'broken.safetensors');
    await writeFile(path, new Uint8Array(3));
    await expect(loadFile(path)).rejects.toThrow(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: safetensors: truncated file`));
  });

  it('Module.loadStateDict from a file names the key on a shape or dtype mismatch', async () => {
    const path = join(dir, 'linear.safetensors');
    await saveFile(path, { weight: zeros([3, 4]), bias: zeros([3], { dtype: 'int32' }) });
    const { tensors } = await loadFile(path);
    expect(() => new Linear(4, 2).loadStateDict(tensors)).toThrow(/size mismatch for "weight": copying a tensor of shape \[3, 4\] from the state dict, the shape in the current model is \[2, 4\]/);
    expect(() => new Linear(4, 3).loadStateDict(tensors)).toThrow(/dtype mismatch for "bias": the state dict holds int32, the current model expects float32/);
    dispose(tensors);
  });
});

describe('asynchronous backends (WebGPU)', () => {
  // A CPU backend without `readSync` behaves as the WebGPU backend does: only `await t.data()` reads.
  class AsyncCpu extends CpuBackend {
    override readonly name = 'cpu' as const;
  }
  const asyncCpu = new AsyncCpu() as CpuBackend;
  (asyncCpu as unknown as { readSync?: unknown }).readSync = undefined;

  it('saveSafetensorsAsync and saveCheckpoint read tensors asynchronously; saveSafetensors cannot', async () => {
    const w = tensor([[1, 2], [3, 4]], { backend: asyncCpu });
    const b = tensor([5, 6], { dtype: 'int32', backend: asyncCpu });
    expect(() => saveSafetensors({ w })).toThrow(/asynchronous/);
    const loaded = loadSafetensors(await saveSafetensorsAsync({ w, b }));
    expect(Array.from(loaded.tensors.w!.dataSync())).toEqual([1, 2, 3, 4]);
    expect(loaded.tensors.b!.dtype).toBe('int32');
    const root = await mkdtemp(join(tmpdir(), 'attune-async-ckpt-'));
    try {
      await saveCheckpoint(join(root, 'checkpoint-1'), { model: { w }, config: {}, trainerState: { step: 1 }, extraTensors: { optimizer: { b } } });
      const checkpoint = await loadCheckpoint(join(root, 'checkpoint-1'), ['optimizer']);
      expect(Array.from(checkpoint.model.w!.dataSync())).toEqual([1, 2, 3, 4]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('writeFileAtomic', () => {
  it('replaces a file whole, and on failure leaves the old file and no temporary behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attune-atomic-'));
    const path = join(dir, 'done.json');
    await writeFileAtomic(path, 'first\n');
    await writeFileAtomic(path, new TextEncoder().encode('second\n'));
    expect(await readFile(path, 'utf8')).toBe('second\n');
    // Renaming a file over a directory fails: the directory stays, the temporary file is removed.
    const blocked = join(dir, 'blocked');
    await mkdir(blocked);
    await expect(writeFileAtomic(blocked, 'x')).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['blocked', 'done.json']);
  });
});
