// Reading and writing the safetensors format (huggingface/safetensors): an 8-byte little-endian
// u64 header length N, N bytes of JSON header (padded with spaces to a multiple of 8) describing
// each tensor's dtype, shape and [begin, end) byte range, then the raw little-endian data.

import { getBackend, tensor, type Backend, type DType, type Tensor, type TypedArray } from '@attune/tensor';
import { describeValue } from './module.js';

/**
 * Dtype names of the safetensors format that this reader accepts.
 *
 * @example
 * ```ts
 * const bytes = saveSafetensors(new Linear(4, 2).stateDict());
 * const dtype: SafetensorsDtype = loadSafetensors(bytes).dtypes['weight']; // 'F32'
 * ```
 */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/** The header length above which a file is rejected, as the reference implementation (100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * A malformed or unsupported safetensors file; the message names the tensor and the numbers.
 *
 * @example
 * ```ts
 * const bytes = new Uint8Array([1, 2, 3]); // not a safetensors file
 * try { loadSafetensors(bytes); } catch (e) { if (e instanceof SafetensorsError) console.error(e.message); }
 * ```
 */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/**
 * What `loadSafetensors` returns.
 *
 * @example
 * ```ts
 * const bytes = saveSafetensors(new Linear(4, 2).stateDict());
 * const { tensors, metadata, dtypes }: LoadedSafetensors = loadSafetensors(bytes);
 * dtypes['weight']; // 'F32'
 * ```
 */
export interface LoadedSafetensors {
  /** The tensors by name (owned by the caller: dispose them). */
  tensors: Record<string, Tensor>;
  /** The header's `__metadata__` string map (empty when the file has none). */
  metadata: Record<string, string>;
  /** Each tensor's dtype as stored in the file, before conversion (F16 → float32, I64 → int32, …). */
  dtypes: Record<string, SafetensorsDtype>;
}

/**
 * Options of `loadSafetensors` and `loadFile`.
 *
 * @example
 * ```ts
 * import { cpuBackend } from '@attune/tensor';
 * const bytes = saveSafetensors(new Linear(4, 2).stateDict());
 * const options: LoadSafetensorsOptions = { backend: cpuBackend() };
 * loadSafetensors(bytes, options);
 * ```
 */
export interface LoadSafetensorsOptions {
  /** Backend to create the tensors on; defaults to the active backend. */
  backend?: Backend;
}

interface HostTensor {
  name: string;
  dtype: DType;
  shape: readonly number[];
  data: TypedArray;
}

const FILE_DTYPE: Record<DType, SafetensorsDtype> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };

function checkLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new SafetensorsError('safetensors: only little-endian hosts are supported');
}

function entriesOf(tensors: Record<string, Tensor> | ReadonlyMap<string, Tensor>): [string, Tensor][] {
  if (tensors instanceof Map) return [...tensors];
  if (typeof tensors !== 'object' || tensors === null) throw new TypeError(`saveSafetensors: expected a record of tensors, got ${describeValue(tensors)}`);
  return Object.entries(tensors as Record<string, Tensor>);
}

function checkEntry(name: string, t: Tensor): void {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('saveSafetensors: tensor names must be non-empty strings');
  if (name === '__metadata__') throw new RangeError("saveSafetensors: '__metadata__' is reserved for the metadata map and cannot name a tensor");
  if (typeof t !== 'object' || t === null || (t as { __isAttuneTensor?: boolean }).__isAttuneTensor !== true) throw new TypeError(`saveSafetensors: '${name}' is not a Tensor (got ${describeValue(t)})`);
  if (t.isDisposed) throw new Error(`saveSafetensors: tensor '${name}' was disposed`);
}

function checkMetadata(metadata: Record<string, string> | undefined): void {
  if (metadata === undefined) return;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw new TypeError(`saveSafetensors: metadata must be a record of strings, got ${describeValue(metadata)}`);
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new TypeError(`saveSafetensors: metadata '${key}' must be a string (safetensors metadata is a string→string map), got ${describeValue(value)}`);
  }
}

/** Lays out header and data; tensors with wider elements first so every tensor stays aligned. */
function encode(host: HostTensor[], metadata: Record<string, string> | undefined): Uint8Array {
  checkLittleEndian();
  const order = host.map((t, i) => ({ t, i })).sort((a, b) => DTYPE_BYTES[FILE_DTYPE[b.t.dtype]] - DTYPE_BYTES[FILE_DTYPE[a.t.dtype]] || a.i - b.i);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = { ...metadata };
  let offset = 0;
  for (const { t } of order) {
    const bytes = t.data.byteLength;
    header[t.name] = { dtype: FILE_DTYPE[t.dtype], shape: t.shape.slice(), data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength); // pad with spaces, as the reference writer
  let position = 8 + headerLength;
  for (const { t } of order) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), position);
    position += t.data.byteLength;
  }
  return out;
}

/**
 * Serialises tensors (float32 → F32, int32 → I32, bool → BOOL) and an optional string→string
 * metadata map to safetensors bytes. Reads the tensors synchronously (CPU); `saveFile` works on
 * every backend.
 *
 * @example
 * ```ts
 * const model = new Linear(4, 2);
 * const bytes = saveSafetensors(model.stateDict(), { format: 'pt' });
 * ```
 */
export function saveSafetensors(tensors: Record<string, Tensor> | ReadonlyMap<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  checkMetadata(metadata);
  const host = entriesOf(tensors).map(([name, t]) => {
    checkEntry(name, t);
    return { name, dtype: t.dtype, shape: t.shape, data: t.dataSync() };
  });
  return encode(host, metadata);
}

/**
 * `saveSafetensors` for every backend: reads the tensors asynchronously (`await t.data()`), so
 * tensors on the GPU serialise too.
 *
 * @example
 * ```ts
 * const model = new Linear(4, 2); // e.g. on WebGPU, where reading back is asynchronous
 * const bytes = await saveSafetensorsAsync(model.stateDict());
 * ```
 */
export async function saveSafetensorsAsync(tensors: Record<string, Tensor> | ReadonlyMap<string, Tensor>, metadata?: Record<string, string>): Promise<Uint8Array> {
  checkMetadata(metadata);
  const host: HostTensor[] = [];
  for (const [name, t] of entriesOf(tensors)) {
    checkEntry(name, t);
    host.push({ name, dtype: t.dtype, shape: t.shape, data: await t.data() });
  }
  return encode(host, metadata);
}

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Parses and validates the header against the file size; throws `SafetensorsError`. */
function parseHeader(bytes: Uint8Array): { entries: HeaderEntry[]; metadata: Record<string, string>; dataStart: number } {
  if (bytes.length < 8) throw new SafetensorsError(`safetensors: truncated file: ${bytes.length} bytes, fewer than the 8-byte header length prefix`);
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  const available = bytes.length - 8;
  if (declared > BigInt(available)) {
    throw new SafetensorsError(`safetensors: truncated file or not safetensors: the header length prefix says ${declared} bytes, but only ${available} bytes follow it`);
  }
  const headerLength = Number(declared);
  if (headerLength > MAX_HEADER_BYTES) throw new SafetensorsError(`safetensors: header of ${headerLength} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new SafetensorsError(`safetensors: the ${headerLength}-byte header is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SafetensorsError(`safetensors: the header must be a JSON object, got ${Array.isArray(header) ? 'an array' : header === null ? 'null' : typeof header}`);
  }
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SafetensorsError(`safetensors: '__metadata__' must be an object of strings, got ${describeValue(raw)}`);
      for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof value !== 'string') throw new SafetensorsError(`safetensors: '__metadata__'.${key} must be a string, got ${describeValue(value)}`);
        metadata[key] = value;
      }
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SafetensorsError(`safetensors: tensor '${name}': expected an object with dtype, shape and data_offsets, got ${describeValue(raw)}`);
    const info = raw as Record<string, unknown>;
    for (const field of ['dtype', 'shape', 'data_offsets']) {
      if (!(field in info)) throw new SafetensorsError(`safetensors: tensor '${name}': missing field '${field}'`);
    }
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== 'string') throw new SafetensorsError(`safetensors: tensor '${name}': dtype must be a string, got ${describeValue(dtype)}`);
    if (!(dtype in DTYPE_BYTES)) {
      throw new SafetensorsError(`safetensors: tensor '${name}': unsupported dtype '${dtype}' (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`safetensors: tensor '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      throw new SafetensorsError(`safetensors: tensor '${name}': data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const numel = (shape as number[]).reduce((p, d) => p * d, 1);
    const expected = numel * DTYPE_BYTES[dtype as SafetensorsDtype];
    if (end - begin !== expected) {
      throw new SafetensorsError(`safetensors: tensor '${name}': data_offsets [${begin}, ${end}] span ${end - begin} bytes, but dtype ${dtype} × shape [${(shape as number[]).join(', ')}] needs ${expected}`);
    }
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end });
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  for (const e of entries) {
    if (e.end > dataLength) {
      throw new SafetensorsError(`safetensors: tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] are out of range: the data buffer after the header has ${dataLength} bytes`);
    }
  }
  // As the reference reader: the tensors must tile the data buffer exactly, without overlap or gaps.
  const sorted = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: HeaderEntry | null = null;
  for (const e of sorted) {
    if (e.begin < covered) {
      throw new SafetensorsError(`safetensors: tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap tensor '${previous?.name}' at [${previous?.begin}, ${previous?.end}]`);
    }
    if (e.begin > covered) throw new SafetensorsError(`safetensors: tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] leave bytes [${covered}, ${e.begin}) of the data buffer unused`);
    covered = e.end;
    if (e.end > e.begin) previous = e;
  }
  if (covered !== dataLength) {
    throw new SafetensorsError(`safetensors: the tensors cover ${covered} bytes but the data buffer after the header has ${dataLength} (trailing bytes or a corrupt header)`);
  }
  return { entries, metadata, dataStart };
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function float16ToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // subnormal (or zero)
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Converts one tensor's bytes (a private, aligned copy) to the dtype Attune stores it as. */
function decode(e: HeaderEntry, raw: ArrayBuffer): { dtype: DType; data: TypedArray } {
  const n = raw.byteLength / DTYPE_BYTES[e.dtype];
  const toInt32 = (values: ArrayLike<number | bigint>): Int32Array => {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      const value = typeof v === 'bigint' ? v : BigInt(v);
      if (value < BigInt(INT32_MIN) || value > BigInt(INT32_MAX)) {
        throw new SafetensorsError(`safetensors: tensor '${e.name}': ${e.dtype} value ${value} at flat index ${i} is outside the int32 range Attune stores integers in`);
      }
      out[i] = Number(value);
    }
    return out;
  };
  switch (e.dtype) {
    case 'F32':
      return { dtype: 'float32', data: new Float32Array(raw) };
    case 'F64':
      return { dtype: 'float32', data: Float32Array.from(new Float64Array(raw)) };
    case 'F16': {
      const halves = new Uint16Array(raw);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = float16ToFloat32(halves[i]);
      return { dtype: 'float32', data: out };
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const halves = new Uint16Array(raw);
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = halves[i] << 16;
      return { dtype: 'float32', data: new Float32Array(bits.buffer) };
    }
    case 'I32':
      return { dtype: 'int32', data: new Int32Array(raw) };
    case 'I16':
      return { dtype: 'int32', data: Int32Array.from(new Int16Array(raw)) };
    case 'I8':
      return { dtype: 'int32', data: Int32Array.from(new Int8Array(raw)) };
    case 'U16':
      return { dtype: 'int32', data: Int32Array.from(new Uint16Array(raw)) };
    case 'U8':
      return { dtype: 'int32', data: Int32Array.from(new Uint8Array(raw)) };
    case 'I64':
      return { dtype: 'int32', data: toInt32(new BigInt64Array(raw)) };
    case 'U64':
      return { dtype: 'int32', data: toInt32(new BigUint64Array(raw)) };
    case 'U32': {
      const values = new Uint32Array(raw);
      for (let i = 0; i < n; i++) {
        if (values[i] > INT32_MAX) throw new SafetensorsError(`safetensors: tensor '${e.name}': U32 value ${values[i]} at flat index ${i} is outside the int32 range Attune stores integers in`);
      }
      return { dtype: 'int32', data: new Int32Array(raw) };
    }
    case 'BOOL': {
      const out = new Uint8Array(raw);
      for (let i = 0; i < n; i++) if (out[i] > 1) out[i] = 1;
      return { dtype: 'bool', data: out };
    }
  }
}

/**
 * Parses safetensors bytes into tensors. F32, I32 and BOOL load as float32, int32 and bool;
 * because Hugging Face checkpoints use them, F64, F16 and BF16 are converted to float32 and
 * I64, U64, U32, I16, I8, U16, U8 to int32 (a value outside the int32 range is an error). The
 * header is validated in full before any tensor is created: a truncated file, a header that is
 * not JSON, a missing field, an unknown dtype, offsets out of range, overlapping or not tiling the
 * buffer, or a byte span that does not match dtype × shape each throw a `SafetensorsError` naming
 * the tensor and the numbers.
 *
 * @example
 * ```ts
 * import { dispose } from '@attune/tensor';
 * const model = new Linear(4, 2);
 * const bytes = saveSafetensors(model.stateDict()); // or the bytes of a downloaded .safetensors file
 * const { tensors, metadata } = loadSafetensors(bytes);
 * model.loadStateDict(tensors);
 * dispose(tensors);
 * ```
 */
export function loadSafetensors(bytes: Uint8Array | ArrayBuffer, options: LoadSafetensorsOptions = {}): LoadedSafetensors {
  checkLittleEndian();
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) throw new TypeError(`loadSafetensors: expected a Uint8Array or ArrayBuffer, got ${describeValue(bytes)}`);
  // A plain Uint8Array view: Node's Buffer overrides slice() to share memory, which would alias the file.
  const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { entries, metadata, dataStart } = parseHeader(view);
  const decoded = entries.map((e) => ({ e, ...decode(e, view.slice(dataStart + e.begin, dataStart + e.end).buffer) }));
  const backend = options.backend ?? getBackend();
  const tensors: Record<string, Tensor> = {};
  const dtypes: Record<string, SafetensorsDtype> = {};
  for (const { e, dtype, data } of decoded) {
    tensors[e.name] = tensor(data, { shape: e.shape, dtype, backend });
    dtypes[e.name] = e.dtype;
  }
  return { tensors, metadata, dtypes };
}

/**
 * Writes `data` to `path` atomically: to `path.tmp-<pid>` first, then renamed over `path`, so a
 * crash or a full disk never leaves half a file where a complete one stood (the temporary file is
 * removed on failure). Every checkpoint, config and report Attune writes goes through it. Node only
 * (loads `node:fs` on first use).
 *
 * @example
 * ```ts
 * await writeFileAtomic('done.json', JSON.stringify({ steps: 100 }) + '\n');
 * ```
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const { writeFile, rename, rm } = await import('node:fs/promises');
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Writes tensors to a safetensors file atomically: to `path.tmp-<pid>` first, then renamed over
 * `path`, so a crash never leaves half a file. Reads tensors asynchronously, so it works on every
 * backend. Node only (loads `node:fs` on first use).
 *
 * @example
 * ```ts
 * const model = new Linear(4, 2);
 * const step = 100;
 * await saveFile('model.safetensors', model.stateDict(), { step: String(step) });
 * ```
 */
export async function saveFile(path: string, tensors: Record<string, Tensor> | ReadonlyMap<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, await saveSafetensorsAsync(tensors, metadata));
}

/**
 * Reads a safetensors file (see `loadSafetensors`); errors name the file.
 *
 * @example
 * ```ts
 * await saveFile('model.safetensors', new Linear(4, 2).stateDict());
 * const { tensors } = await loadFile('model.safetensors');
 * ```
 */
export async function loadFile(path: string, options: LoadSafetensorsOptions = {}): Promise<LoadedSafetensors> {
  const { readFile } = await import('node:fs/promises');
  const bytes = await readFile(path);
  try {
    return loadSafetensors(bytes, options);
  } catch (error) {
    if (error instanceof SafetensorsError) throw new SafetensorsError(`${path}: ${error.message}`, { cause: error });
    throw error;
  }
}
