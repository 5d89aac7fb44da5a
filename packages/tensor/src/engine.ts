// Global state of the tensor runtime: the active backend, gradient mode, memory scopes
// (`tidy`) and the live-tensor accounting behind `memory()`.

import type { Backend } from './backend.js';
import type { TypedArray } from './dtype.js';
import { CpuBackend } from './backends/cpu/index.js';
import type { Tensor } from './tensor.js';

/**
 * Counts reported by `memory()`.
 *
 * @example
 * ```ts
 * const { numTensors, numBytes, backend }: MemoryInfo = memory();
 * ```
 */
export interface MemoryInfo {
  /** Tensors created and not yet disposed. */
  numTensors: number;
  /** Distinct storages held by those tensors (views share one). */
  numBuffers: number;
  /** Bytes held by those storages. */
  numBytes: number;
  /** The active backend's name. */
  backend: string;
}

/** A storage handle shared by a tensor and its views (reshape, squeeze, ...), freed when the last holder goes. */
export class DataBuffer {
  refs = 1;
  constructor(
    readonly backend: Backend,
    readonly storage: unknown,
    readonly bytes: number,
  ) {
    state.numBuffers++;
    state.numBytes += bytes;
  }

  /** Drops one holder; frees the storage when none is left. */
  release(): void {
    if (--this.refs === 0) {
      state.numBuffers--;
      state.numBytes -= this.bytes;
      this.backend.free(this.storage);
    }
  }
}

interface State {
  backend: Backend;
  backends: Map<string, Backend>;
  gradEnabled: boolean;
  scopes: Set<Tensor>[];
  numTensors: number;
  numBuffers: number;
  numBytes: number;
  nextId: number;
}

const cpu = new CpuBackend();
const state: State = {
  backend: cpu,
  backends: new Map<string, Backend>([['cpu', cpu]]),
  gradEnabled: true,
  scopes: [],
  numTensors: 0,
  numBuffers: 0,
  numBytes: 0,
  nextId: 0,
};

/** @internal Engine hooks used by Tensor and the ops; not part of the public API. */
export const engine = {
  get backend(): Backend {
    return state.backend;
  },
  get gradEnabled(): boolean {
    return state.gradEnabled;
  },
  nextId(): number {
    return state.nextId++;
  },
  /** Records a new tensor in the innermost `tidy` scope and the live counts. */
  track(tensor: Tensor): void {
    state.numTensors++;
    const scope = state.scopes[state.scopes.length - 1];
    if (scope) scope.add(tensor);
  },
  /** Called once when a tensor is disposed. */
  untrack(tensor: Tensor): void {
    state.numTensors--;
    for (let i = state.scopes.length - 1; i >= 0; i--) if (state.scopes[i].delete(tensor)) break;
  },
  /** Removes a tensor from every scope, so no `tidy` frees it. */
  keep(tensor: Tensor): void {
    for (const scope of state.scopes) scope.delete(tensor);
  },
};

/**
 * The CPU backend instance (always available).
 *
 * @example
 * ```ts
 * const x = zeros([2, 2], { backend: cpuBackend() }); // on the CPU whatever backend is active
 * ```
 */
export function cpuBackend(): CpuBackend {
  return cpu;
}

/**
 * The active backend, used by creation ops that are not given one.
 *
 * @example
 * ```ts
 * getBackend().name; // 'cpu' unless another backend was selected
 * ```
 */
export function getBackend(): Backend {
  return state.backend;
}

/**
 * Registers a backend under `backend.name` so `setBackend(name)` can select it.
 *
 * @example
 * ```ts
 * registerBackend(cpuBackend()); // a backend must be registered before setBackend(name) selects it
 * setBackend('cpu');
 * ```
 */
export function registerBackend(backend: Backend): void {
  state.backends.set(backend.name, backend);
}

/**
 * Selects the backend new tensors are created on. `'cpu'` is always available; a GPU backend
 * must be registered first.
 *
 * @example
 * ```ts
 * setBackend('cpu');
 * ```
 */
export function setBackend(name: string): Backend {
  const backend = state.backends.get(name);
  if (!backend) {
    throw new Error(`setBackend: unknown backend '${name}' (registered: ${[...state.backends.keys()].join(', ')})`);
  }
  state.backend = backend;
  return backend;
}

/**
 * The backend registered under `name`, or an error listing the registered names.
 *
 * @example
 * ```ts
 * const cpu = backendByName('cpu');
 * ```
 */
export function backendByName(name: string): Backend {
  const backend = state.backends.get(name);
  if (!backend) throw new Error(`unknown backend '${name}' (registered: ${[...state.backends.keys()].join(', ')})`);
  return backend;
}

/**
 * Names of the registered backends.
 *
 * @example
 * ```ts
 * listBackends(); // ['cpu'] until a GPU backend is registered
 * ```
 */
export function listBackends(): string[] {
  return [...state.backends.keys()];
}

/**
 * Live tensors, storages and bytes, so tests can assert that a training step leaks nothing.
 *
 * @example
 * ```ts
 * const before = memory().numTensors;
 * tidy(() => ones([3]).mul(2).sum());
 * memory().numTensors === before; // true
 * ```
 */
export function memory(): MemoryInfo {
  return { numTensors: state.numTensors, numBuffers: state.numBuffers, numBytes: state.numBytes, backend: state.backend.name };
}

/**
 * Whether operations currently record gradients.
 *
 * @example
 * ```ts
 * isGradEnabled(); // true
 * noGrad(() => isGradEnabled()); // false
 * ```
 */
export function isGradEnabled(): boolean {
  return state.gradEnabled;
}

/**
 * Runs `fn` without recording operations for autograd, as `torch.no_grad()`.
 *
 * @example
 * ```ts
 * const w = tensor([1, 2], { requiresGrad: true });
 * const y = noGrad(() => w.mul(2)); // y.requiresGrad === false
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  return withGradEnabled(false, fn);
}

/**
 * Runs `fn` with gradient recording turned on or off, restoring the previous mode afterwards.
 *
 * @example
 * ```ts
 * const w = tensor([1, 2], { requiresGrad: true });
 * const y = noGrad(() => withGradEnabled(true, () => w.mul(2))); // recorded despite the outer noGrad
 * y.requiresGrad; // true
 * ```
 */
export function withGradEnabled<T>(enabled: boolean, fn: () => T): T {
  const previous = state.gradEnabled;
  state.gradEnabled = enabled;
  try {
    return fn();
  } finally {
    state.gradEnabled = previous;
  }
}

/**
 * Value shapes `tidy` looks through to find tensors to keep: a tensor, arrays and plain objects of them.
 *
 * @example
 * ```ts
 * const result: TensorContainer = tidy(() => ({ mean: randn([4]).mean(), steps: 3 }));
 * ```
 */
export type TensorContainer = Tensor | TypedArray | number | string | boolean | null | undefined | void | TensorContainer[] | { [key: string]: TensorContainer };

/**
 * Runs `fn` and disposes every tensor it created except those it returns (found inside arrays
 * and plain objects too) and those passed to `keep`. Scopes nest; returned tensors move to the
 * enclosing scope. `fn` must be synchronous.
 *
 * @example
 * ```ts
 * const w = randn([4, 3], { requiresGrad: true });
 * const x = randn([8, 4]);
 * const y = tensor([0, 1, 2, 0, 1, 2, 0, 1], { dtype: 'int32' });
 * const loss = tidy(() => {
 *   const logits = x.matmul(w);
 *   return crossEntropy(logits, y); // only `loss` survives
 * });
 * ```
 */
export function tidy<T extends TensorContainer>(fn: () => T): T {
  const scope = new Set<Tensor>();
  state.scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    state.scopes.pop();
    for (const tensor of scope) tensor.dispose();
    throw error;
  }
  state.scopes.pop();
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    for (const tensor of scope) tensor.dispose();
    throw new TypeError('tidy: fn returned a Promise; tidy only supports synchronous functions (await outside it)');
  }
  const kept = new Set<Tensor>();
  collectTensors(result, kept);
  const parent = state.scopes[state.scopes.length - 1];
  for (const tensor of scope) {
    if (kept.has(tensor)) parent?.add(tensor);
    else tensor.dispose();
  }
  return result;
}

function collectTensors(value: unknown, out: Set<Tensor>): void {
  if (value === null || typeof value !== 'object') return;
  if (isTensorLike(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) for (const item of value) collectTensors(item, out);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const item of Object.values(value)) collectTensors(item, out);
}

function isTensorLike(value: object): value is Tensor {
  return (value as { __isAttuneTensor?: boolean }).__isAttuneTensor === true;
}

/**
 * Keeps `tensor` alive past every enclosing `tidy`; it must then be disposed by hand.
 *
 * @example
 * ```ts
 * let running: Tensor;
 * tidy(() => { running = keep(zeros([4])); });
 * ```
 */
export function keep<T extends Tensor>(tensor: T): T {
  engine.keep(tensor);
  return tensor;
}

/**
 * Disposes a tensor or every tensor inside an array or plain object.
 *
 * @example
 * ```ts
 * const [a, b, c] = [zeros([2]), ones([2]), full([2], 3)];
 * dispose([a, b, { c }]);
 * ```
 */
export function dispose(container: TensorContainer): void {
  const found = new Set<Tensor>();
  collectTensors(container, found);
  for (const tensor of found) tensor.dispose();
}
