// Turns the generated base64 strings into WebAssembly module bytes, and derives from the build
// (which imports a shared memory, for worker threads) a copy that imports an ordinary memory.
// Copies into and out of a shared memory run 2-3x slower than into an ordinary one (V8 copies
// shared buffers with relaxed atomic stores), so single-threaded calls use the ordinary copy;
// it also keeps the kernels working where SharedArrayBuffer is unavailable.

/** Decodes base64 without Node's Buffer, so the module also loads in browsers. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Section id of the import section in the WebAssembly binary format. */
const IMPORT_SECTION = 2;
/** Import kinds: function, table, memory, global, tag. */
const IMPORT_FUNCTION = 0;
const IMPORT_TABLE = 1;
const IMPORT_MEMORY = 2;
const IMPORT_GLOBAL = 3;
const IMPORT_TAG = 4;
/** Bit of a memory's limits flags that marks it shared. */
const LIMITS_SHARED = 0x02;

/**
 * Returns a copy of `bytes` whose imported memories are not shared (the limits' shared bit cleared).
 * Atomic instructions stay valid on an unshared memory, so the module is otherwise unchanged.
 */
export function withUnsharedMemory(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const patched = bytes.slice();
  let position = 8; // magic and version
  const readUnsigned = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = patched[position++];
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  };
  const skipName = (): void => {
    const length = readUnsigned();
    position += length;
  };
  const skipLimits = (): void => {
    const flags = patched[position++];
    readUnsigned();
    if (flags & 0x01) readUnsigned();
  };
  while (position < patched.length) {
    const id = patched[position++];
    const size = readUnsigned();
    const end = position + size;
    if (id !== IMPORT_SECTION) {
      position = end;
      continue;
    }
    const count = readUnsigned();
    for (let i = 0; i < count; i++) {
      skipName();
      skipName();
      const kind = patched[position++];
      if (kind === IMPORT_FUNCTION) readUnsigned();
      else if (kind === IMPORT_TABLE) {
        position++; // reference type
        skipLimits();
      } else if (kind === IMPORT_MEMORY) {
        patched[position] &= ~LIMITS_SHARED;
        skipLimits();
      } else if (kind === IMPORT_GLOBAL) position += 2; // value type, mutability
      else if (kind === IMPORT_TAG) {
        position++; // attribute
        readUnsigned();
      } else throw new Error(`unexpected import kind ${kind} in the kernels module`);
    }
    return patched;
  }
  return patched;
}
