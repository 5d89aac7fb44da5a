// The few WebAssembly JavaScript API types this folder uses. The project compiles against lib
// ES2023 and @types/node 20, which declare none of them, so they are typed here and the global is
// read through globalThis (absent in engines without WebAssembly).

/** A WebAssembly.Memory. */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(deltaPages: number): number;
}

/** A compiled WebAssembly.Module (opaque; structured-cloneable to workers). */
export type WasmModule = object;

/** A WebAssembly.Instance. */
export interface WasmInstance {
  readonly exports: object;
}

/** The parts of the WebAssembly namespace object used here. */
export interface WebAssemblyNamespace {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
}

/** The engine's WebAssembly namespace, or undefined where there is none. */
export function webAssembly(): WebAssemblyNamespace | undefined {
  return (globalThis as { WebAssembly?: WebAssemblyNamespace }).WebAssembly;
}
