// Element types a tensor can hold, and the typed arrays that store them on the host.

/**
 * The element type of a tensor. Index tensors use `int32` (PyTorch uses int64).
 *
 * @example
 * ```ts
 * const dtype: DType = 'int32';
 * zeros([3], { dtype });
 * ```
 */
export type DType = 'float32' | 'int32' | 'bool';

/**
 * The typed array that holds a tensor's elements on the host.
 *
 * @example
 * ```ts
 * const data: TypedArray = tensor([1, 2, 3]).dataSync();
 * ```
 */
export type TypedArray = Float32Array | Int32Array | Uint8Array;

/** Maps a dtype to the typed array that stores it. */
export type ArrayFor<D extends DType> = D extends 'float32' ? Float32Array : D extends 'int32' ? Int32Array : Uint8Array;

/** Allocates a zero-filled typed array for `size` elements of `dtype`. */
export function allocArray(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}

/** Bytes per element of `dtype`. */
export function bytesPerElement(dtype: DType): number {
  return dtype === 'bool' ? 1 : 4;
}

/** The dtype whose host array is `values`, or an error for other array types. */
export function dtypeOfArray(values: ArrayLike<number>): DType | undefined {
  if (values instanceof Float32Array) return 'float32';
  if (values instanceof Int32Array) return 'int32';
  if (values instanceof Uint8Array) return 'bool';
  return undefined;
}

/** Result dtype of an arithmetic op (add, sub, mul, ...) on two operands, following PyTorch's promotion. */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === 'float32' || b === 'float32') return 'float32';
  if (a === 'int32' || b === 'int32') return 'int32';
  return 'bool';
}

/** True for the floating-point dtypes, the only ones that can require gradients. */
export function isFloating(dtype: DType): boolean {
  return dtype === 'float32';
}
