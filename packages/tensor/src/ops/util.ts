// Small helpers shared by the op files: argument checks with clear messages and tensor construction.

import type { Backend } from '../backend.js';
import type { DType } from '../dtype.js';
import { formatShape, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';

/** Wraps backend storage as a tensor. */
export function wrap(backend: Backend, storage: unknown, shape: Shape, dtype: DType): Tensor {
  return Tensor.fromStorage(backend, storage, shape, dtype);
}

/** Throws unless `value` is a live Tensor, naming the op and the argument. */
export function checkTensor(op: string, argument: string, value: unknown): asserts value is Tensor {
  if (!(value instanceof Tensor)) {
    throw new TypeError(`${op}: expected '${argument}' to be a Tensor, got ${describe(value)}`);
  }
  if (value.isDisposed) throw new Error(`${op}: '${argument}' (shape ${formatShape(value.shape)}) was disposed`);
}

/** Throws unless `tensor` has one of the allowed dtypes. */
export function checkDtype(op: string, argument: string, tensor: Tensor, allowed: readonly DType[]): void {
  if (!allowed.includes(tensor.dtype)) {
    throw new TypeError(`${op}: expected '${argument}' to have dtype ${allowed.join(' or ')}, got ${tensor.dtype}`);
  }
}

/** Throws unless both tensors live on the same backend. */
export function checkSameBackend(op: string, a: Tensor, b: Tensor): void {
  if (a.backend !== b.backend) {
    throw new Error(`${op}: tensors are on different backends ('${a.backend.name}' and '${b.backend.name}'); move one with .to()`);
  }
}

/**
 * Checks that every element of an int32 index tensor lies in [0, size) (or equals `allowed`), naming
 * the op, the bad index and the size. Only on synchronous backends: a GPU check would need a readback.
 */
export function checkIndexRange(op: string, index: Tensor, size: number, allowed?: number): void {
  const backend = index.backend;
  if (!backend.readSync) return;
  const values = backend.readSync(index.storage, index.dtype, index.size);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if ((v < 0 || v >= size) && v !== allowed) {
      throw new RangeError(`${op}: index ${v} is out of range for dimension of size ${size} (at flat position ${i} of the index tensor)`);
    }
  }
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  return `${typeof value} ${String(value)}`;
}

/** Product of shape[from..to). */
export function product(shape: Shape, from = 0, to = shape.length): number {
  let p = 1;
  for (let i = from; i < to; i++) p *= shape[i];
  return p;
}
