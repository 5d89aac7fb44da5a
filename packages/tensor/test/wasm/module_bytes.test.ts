// The loader's byte-level helpers: base64 decoding, and the patch that makes the build (which
// imports a shared memory for worker threads) import an ordinary memory instead.

import { describe, expect, it } from 'vitest';
import { kernelsRelaxedWasmBase64, kernelsWasmBase64 } from '../../src/backends/cpu/wasm/generated/kernels';
import { decodeBase64, withUnsharedMemory } from '../../src/backends/cpu/wasm/module_bytes';
import { webAssembly } from '../../src/backends/cpu/wasm/webassembly';

const WebAssembly = webAssembly()!;

describe('wasm module bytes', () => {
  it('decodes base64 like Buffer does', () => {
    const text = Buffer.from(Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 255)).toString('base64');
    expect(Array.from(decodeBase64(text))).toEqual(Array.from(Buffer.from(text, 'base64')));
  });

  it('clears only the shared flag of the memory import', () => {
    for (const text of [kernelsWasmBase64, kernelsRelaxedWasmBase64]) {
      const bytes = decodeBase64(text);
      const patched = withUnsharedMemory(bytes);
      const differences = Array.from(bytes).flatMap((byte, i) => (byte !== patched[i] ? [[byte, patched[i]]] : []));
      expect(differences).toEqual([[0x03, 0x01]]); // limits flags: shared + maximum -> maximum
    }
  });

  it('instantiates with an ordinary memory once patched, and only with a shared one before', () => {
    const bytes = decodeBase64(kernelsWasmBase64);
    const plain = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: plain } })).toThrow();
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: shared } })).not.toThrow();
    const patched = new WebAssembly.Module(withUnsharedMemory(bytes));
    expect(() => new WebAssembly.Instance(patched, { env: { memory: plain } })).not.toThrow();
  });
});
