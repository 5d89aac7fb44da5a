// The Tensor type: an n-dimensional array on a backend, with autograd bookkeeping.
// Tensors are values: only `assign_`, `zero_` and fused optimizer kernels change one in place; methods
// delegate to the op functions in ./ops, which hold the semantics and the gradients.

import { backward as runBackward, type BackwardOptions, type GradNode } from './autograd.js';
import type { Backend } from './backend.js';
import { isFloating, type DType, type TypedArray } from './dtype.js';
import { backendByName, DataBuffer, engine } from './engine.js';
import { formatShape, shapesEqual, sizeOf, type Shape } from './shape.js';
import * as creation from './ops/creation.js';
import * as el from './ops/elementwise.js';
import * as idx from './ops/indexing.js';
import * as linalg from './ops/linalg.js';
import * as nn from './ops/nn.js';
import * as red from './ops/reduce.js';
import * as sh from './ops/shape.js';

/**
 * A tensor or a JavaScript number used as a scalar operand.
 *
 * @example
 * ```ts
 * const offset: TensorOrScalar = 1;
 * tensor([1, 2]).add(offset);
 * ```
 */
export type TensorOrScalar = Tensor | number;

/**
 * Nested number arrays, as returned by `tolist()`.
 *
 * @example
 * ```ts
 * const rows: NestedArray = tensor([[1, 2], [3, 4]]).tolistSync(); // [[1, 2], [3, 4]]
 * ```
 */
export type NestedArray = number | NestedArray[];

/**
 * An n-dimensional array with a dtype, living on a backend, optionally tracking gradients.
 * Create tensors with `tensor`, `zeros`, `randn`, ...; free them with `dispose()` or `tidy`.
 *
 * @example
 * ```ts
 * const w = randn([3, 2], { requiresGrad: true });
 * const loss = tensor([[1, 2, 3]]).matmul(w).square().sum();
 * loss.backward();
 * console.log(w.grad!.dataSync());
 * ```
 */
export class Tensor {
  /** @internal Brand used by `tidy` to find tensors in returned containers. */
  readonly __isAttuneTensor = true;
  /** Unique id, for debugging. */
  readonly id: number;
  /** Size of each dimension. */
  readonly shape: Shape;
  /** Element type. */
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** The gradient accumulated by `backward()` for a leaf that requires grad, else null. */
  grad: Tensor | null = null;
  private buffer: DataBuffer;
  private requiresGradFlag = false;
  private node: GradNode | null = null;
  private disposed = false;
  /** @internal True while this tensor is a leaf's `.grad`. */
  isKeptAsGrad = false;

  /** @internal Use the creation functions (`tensor`, `zeros`, ...) instead. */
  constructor(buffer: DataBuffer, shape: Shape, dtype: DType) {
    this.buffer = buffer;
    this.shape = shape.slice();
    this.dtype = dtype;
    this.size = sizeOf(shape);
    this.id = engine.nextId();
    engine.track(this);
  }

  /** @internal Wraps new backend storage in a tensor. */
  static fromStorage(backend: Backend, storage: unknown, shape: Shape, dtype: DType): Tensor {
    return new Tensor(new DataBuffer(backend, storage, backend.byteLength(storage)), shape, dtype);
  }

  /** The backend holding this tensor's data. */
  get backend(): Backend {
    return this.buffer.backend;
  }

  /** @internal The backend storage handle; throws if the tensor was disposed. */
  get storage(): unknown {
    if (this.disposed) throw new Error(`Tensor ${this.id} (shape ${formatShape(this.shape)}) is disposed`);
    return this.buffer.storage;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of dimensions (PyTorch's `dim()`). */
  dim(): number {
    return this.shape.length;
  }

  /** Number of elements (PyTorch's `numel()`). */
  numel(): number {
    return this.size;
  }

  /** Whether operations on this tensor are recorded for autograd. Only float32 tensors can require grad. */
  get requiresGrad(): boolean {
    return this.requiresGradFlag;
  }

  set requiresGrad(value: boolean) {
    if (value && !isFloating(this.dtype)) {
      throw new TypeError(`requiresGrad: only float32 tensors can require gradients, got dtype ${this.dtype}`);
    }
    if (!value && this.node) throw new Error('requiresGrad: cannot turn off gradients of a non-leaf tensor; use detach()');
    this.requiresGradFlag = value;
  }

  /** Sets `requiresGrad` in place and returns this tensor (PyTorch's `requires_grad_`). */
  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }

  /** The op that produced this tensor, for tensors computed from inputs that require grad. */
  get gradFn(): GradNode | null {
    return this.node;
  }

  /** True for tensors not produced by a recorded op (user-created tensors and parameters). */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** @internal Sets or clears the grad node. */
  setGradFn(node: GradNode | null): void {
    this.node = node;
    if (node) this.requiresGradFlag = true;
  }

  /** True once `dispose()` has run. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Frees the tensor's storage (shared views keep it until they are disposed too). Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    engine.untrack(this);
    this.buffer.release();
    // The grad node stays: a disposed intermediate may still be a link in a graph (its values are
    // not needed by every backward), and the node is reclaimed with the tensor object.
    if (this.grad) {
      this.grad.isKeptAsGrad = false;
      this.grad.dispose();
      this.grad = null;
    }
  }

  /**
   * Computes gradients of this tensor with respect to every leaf that requires grad, adding them
   * into each leaf's `.grad`. A non-scalar tensor needs an explicit `gradient` of its shape.
   */
  backward(gradient?: Tensor, options?: BackwardOptions): void {
    runBackward(this, gradient, options);
  }

  /** @internal Adds `grad` into this leaf's `.grad`. */
  accumulateGrad(grad: Tensor): void {
    if (this.grad) {
      const sum = this.grad.add(grad);
      this.grad.isKeptAsGrad = false;
      this.grad.dispose();
      this.grad = sum;
    } else {
      // Pass-through gradients (add, clone, expand) can reach two leaves as one tensor: give each its own.
      this.grad = grad.isKeptAsGrad ? grad.detach() : grad;
    }
    this.grad.isKeptAsGrad = true;
    engine.keep(this.grad);
  }

  /** A tensor sharing this one's data but cut from the autograd graph. */
  detach(): Tensor {
    this.buffer.refs++;
    return new Tensor(this.buffer, this.shape, this.dtype);
  }

  /** @internal A tensor of another shape sharing this one's data (reshape of a contiguous tensor). */
  viewAs(shape: Shape): Tensor {
    this.storage; // throws if disposed
    this.buffer.refs++;
    return new Tensor(this.buffer, shape, this.dtype);
  }

  /**
   * Replaces this tensor's data with `value`'s, in place (for optimizers and `loadStateDict`).
   * Shapes and dtypes must match; gradients are not recorded.
   */
  assign_(value: Tensor): this {
    if (!shapesEqual(value.shape, this.shape)) {
      throw new RangeError(`assign_: value shape ${formatShape(value.shape)} does not match tensor shape ${formatShape(this.shape)}`);
    }
    if (value.dtype !== this.dtype) throw new TypeError(`assign_: expected dtype ${this.dtype}, got ${value.dtype}`);
    if (value.backend !== this.backend) throw new Error(`assign_: value is on backend '${value.backend.name}', tensor on '${this.backend.name}'`);
    value.storage;
    this.storage;
    value.buffer.refs++;
    this.buffer.release();
    this.buffer = value.buffer;
    return this;
  }

  /** Sets every element to zero, in place. */
  zero_(): this {
    const zeros = this.backend.fill(this.size, this.dtype, 0);
    this.buffer.release();
    this.buffer = new DataBuffer(this.backend, zeros, this.backend.byteLength(zeros));
    return this;
  }

  /** Resolves with a copy of the elements as a typed array (the only portable way to read data). */
  async data(): Promise<TypedArray> {
    return this.backend.read(this.storage, this.dtype, this.size);
  }

  /** Copy of the elements, synchronously; only backends that compute synchronously (CPU) support it. */
  dataSync(): TypedArray {
    const backend = this.backend;
    if (!backend.readSync) {
      throw new Error(`dataSync: the '${backend.name}' backend is asynchronous; use 'await tensor.data()' instead`);
    }
    return backend.readSync(this.storage, this.dtype, this.size);
  }

  /** Resolves with the single element of a one-element tensor. */
  async item(): Promise<number> {
    this.checkItem('item');
    return (await this.data())[0];
  }

  /** The single element of a one-element tensor, synchronously (CPU). */
  itemSync(): number {
    this.checkItem('itemSync');
    return this.dataSync()[0];
  }

  private checkItem(op: string): void {
    if (this.size !== 1) throw new RangeError(`${op}: only one-element tensors can be converted to a number, got shape ${formatShape(this.shape)}`);
  }

  /**
   * This tensor's values on another backend (a backend instance or a registered name). Waits for
   * the data only when it must cross to a different backend; on the same backend the result shares
   * this tensor's storage. The result is always a new tensor to dispose on its own. Gradients do not
   * flow across backends: a leaf that requires grad gives a new leaf that requires grad, any other
   * tensor a constant.
   *
   * @example
   * ```ts
   * const gpu = await createWebGPUBackend();
   * const w = await randn([4, 4], { requiresGrad: true }).to(gpu); // a leaf on the GPU
   * ```
   */
  async to(backend: Backend | string): Promise<Tensor> {
    const target = typeof backend === 'string' ? backendByName(backend) : backend;
    const keepGrad = this.requiresGradFlag && this.node === null;
    let out: Tensor;
    if (target === this.backend) {
      this.storage; // throws if disposed
      this.buffer.refs++;
      out = new Tensor(this.buffer, this.shape, this.dtype);
    } else {
      const values = await this.data();
      out = Tensor.fromStorage(target, target.upload(values, this.dtype), this.shape, this.dtype);
    }
    if (keepGrad) out.requiresGrad = true;
    return out;
  }

  /** Resolves with the elements as nested arrays. */
  async tolist(): Promise<NestedArray> {
    return nest(await this.data(), this.shape);
  }

  /** The elements as nested arrays, synchronously (CPU). */
  tolistSync(): NestedArray {
    return nest(this.dataSync(), this.shape);
  }

  /** A short description; includes the values on synchronous backends. */
  toString(): string {
    const head = `Tensor(shape=${formatShape(this.shape)}, dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
    if (this.disposed) return `${head} <disposed>`;
    if (!this.backend.readSync || this.size > 1000) return head;
    return `${head} ${JSON.stringify(this.tolistSync())}`;
  }

  // ---- conversion -----------------------------------------------------------------------
  /** A copy on the same backend (recorded for autograd). */ clone(): Tensor { return el.clone(this); }
  /** Converts to another dtype. */ toDtype(dtype: DType): Tensor { return el.toDtype(this, dtype); }
  /** Converts to float32. */ float(): Tensor { return el.toDtype(this, 'float32'); }
  /** Converts to int32. */ int(): Tensor { return el.toDtype(this, 'int32'); }
  /** Converts to bool. */ bool(): Tensor { return el.toDtype(this, 'bool'); }
  /** A tensor of ones with this tensor's shape and dtype. */ onesLike(): Tensor { return creation.onesLike(this); }
  /** A tensor of zeros with this tensor's shape and dtype. */ zerosLike(): Tensor { return creation.zerosLike(this); }

  // ---- elementwise ----------------------------------------------------------------------
  /** this + other (broadcasting). */ add(other: TensorOrScalar): Tensor { return el.add(this, other); }
  /** this − other. */ sub(other: TensorOrScalar): Tensor { return el.sub(this, other); }
  /** this · other. */ mul(other: TensorOrScalar): Tensor { return el.mul(this, other); }
  /** this / other (true division). */ div(other: TensorOrScalar): Tensor { return el.div(this, other); }
  /** this ** exponent. */ pow(exponent: TensorOrScalar): Tensor { return el.pow(this, exponent); }
  /** Python-style remainder (sign of the divisor). */ remainder(other: TensorOrScalar): Tensor { return el.remainder(this, other); }
  /** Elementwise maximum (propagates NaN). */ maximum(other: TensorOrScalar): Tensor { return el.maximum(this, other); }
  /** Elementwise minimum (propagates NaN). */ minimum(other: TensorOrScalar): Tensor { return el.minimum(this, other); }
  /** −this. */ neg(): Tensor { return el.neg(this); }
  /** e^x. */ exp(): Tensor { return el.exp(this); }
  /** e^x − 1. */ expm1(): Tensor { return el.expm1(this); }
  /** Natural log. */ log(): Tensor { return el.log(this); }
  /** log(1 + x). */ log1p(): Tensor { return el.log1p(this); }
  /** Square root. */ sqrt(): Tensor { return el.sqrt(this); }
  /** 1 / √x. */ rsqrt(): Tensor { return el.rsqrt(this); }
  /** 1 / x. */ reciprocal(): Tensor { return el.reciprocal(this); }
  /** x². */ square(): Tensor { return el.square(this); }
  /** |x|. */ abs(): Tensor { return el.abs(this); }
  /** Sign (−1, 0, 1). */ sign(): Tensor { return el.sign(this); }
  /** Sine. */ sin(): Tensor { return el.sin(this); }
  /** Cosine. */ cos(): Tensor { return el.cos(this); }
  /** Hyperbolic tangent. */ tanh(): Tensor { return el.tanh(this); }
  /** Logistic sigmoid. */ sigmoid(): Tensor { return el.sigmoid(this); }
  /** log σ(x), computed stably. */ logSigmoid(): Tensor { return el.logSigmoid(this); }
  /** max(x, 0). */ relu(): Tensor { return el.relu(this); }
  /** GELU; `approximate: 'tanh'` is GPT-2's form. */ gelu(approximate: 'none' | 'tanh' = 'none'): Tensor { return el.gelu(this, approximate); }
  /** x · σ(x). */ silu(): Tensor { return el.silu(this); }
  /** log(1 + eˣ) (β = 1, threshold 20). */ softplus(): Tensor { return el.softplus(this); }
  /** Error function. */ erf(): Tensor { return el.erf(this); }
  /** Floor. */ floor(): Tensor { return el.floor(this); }
  /** Ceiling. */ ceil(): Tensor { return el.ceil(this); }
  /** Round half to even. */ round(): Tensor { return el.round(this); }
  /** Clamps into [min, max]; either bound may be omitted. */ clamp(min?: number | null, max?: number | null): Tensor { return el.clamp(this, min, max); }
  /** Elementwise ==. */ eq(other: TensorOrScalar): Tensor { return el.eq(this, other); }
  /** Elementwise !=. */ ne(other: TensorOrScalar): Tensor { return el.ne(this, other); }
  /** Elementwise <. */ lt(other: TensorOrScalar): Tensor { return el.lt(this, other); }
  /** Elementwise <=. */ le(other: TensorOrScalar): Tensor { return el.le(this, other); }
  /** Elementwise >. */ gt(other: TensorOrScalar): Tensor { return el.gt(this, other); }
  /** Elementwise >=. */ ge(other: TensorOrScalar): Tensor { return el.ge(this, other); }
  /** Elementwise logical and. */ logicalAnd(other: TensorOrScalar): Tensor { return el.logicalAnd(this, other); }
  /** Elementwise logical or. */ logicalOr(other: TensorOrScalar): Tensor { return el.logicalOr(this, other); }
  /** Elementwise logical not. */ logicalNot(): Tensor { return el.logicalNot(this); }
  /** Replaces elements where `mask` is true by `value`. */ maskedFill(mask: Tensor, value: number): Tensor { return idx.maskedFill(this, mask, value); }

  // ---- reductions -----------------------------------------------------------------------
  /** Sum over `dim` (all dims when omitted). */ sum(dim?: number | number[], keepdim = false): Tensor { return red.sum(this, dim, keepdim); }
  /** Mean over `dim`. */ mean(dim?: number | number[], keepdim = false): Tensor { return red.mean(this, dim, keepdim); }
  /** Max values over `dim` (use `argmax` for indices). */ max(dim?: number | number[], keepdim = false): Tensor { return red.max(this, dim, keepdim); }
  /** Min values over `dim`. */ min(dim?: number | number[], keepdim = false): Tensor { return red.min(this, dim, keepdim); }
  /** Index of the max along `dim` (of the flattened tensor when omitted). */ argmax(dim?: number, keepdim = false): Tensor { return red.argmax(this, dim, keepdim); }
  /** Index of the min along `dim`. */ argmin(dim?: number, keepdim = false): Tensor { return red.argmin(this, dim, keepdim); }
  /** Variance with Bessel's correction by default (`correction` = 1). */ var(dim?: number | number[], options?: red.VarianceOptions): Tensor { return red.variance(this, dim, options); }
  /** Standard deviation. */ std(dim?: number | number[], options?: red.VarianceOptions): Tensor { return red.std(this, dim, options); }
  /** log Σ exp over `dim`, computed stably. */ logsumexp(dim: number | number[], keepdim = false): Tensor { return red.logsumexp(this, dim, keepdim); }
  /** Cumulative sum along `dim`. */ cumsum(dim: number): Tensor { return red.cumsum(this, dim); }
  /** Softmax along `dim`. */ softmax(dim: number): Tensor { return nn.softmax(this, dim); }
  /** Log-softmax along `dim`. */ logSoftmax(dim: number): Tensor { return nn.logSoftmax(this, dim); }

  // ---- linear algebra -------------------------------------------------------------------
  /** Matrix product with NumPy/PyTorch semantics (batched, broadcasting batch dims). */ matmul(other: Tensor): Tensor { return linalg.matmul(this, other); }

  // ---- shape ----------------------------------------------------------------------------
  /** Same data, new shape (one dim may be −1). */ reshape(...shape: number[] | [readonly number[]]): Tensor { return sh.reshape(this, flatArgs(shape)); }
  /** Alias of `reshape`: tensors are always contiguous. */ view(...shape: number[] | [readonly number[]]): Tensor { return sh.reshape(this, flatArgs(shape)); }
  /** Flattens dims startDim..endDim into one. */ flatten(startDim = 0, endDim = -1): Tensor { return sh.flatten(this, startDim, endDim); }
  /** Reorders dims. */ permute(...dims: number[] | [readonly number[]]): Tensor { return sh.permute(this, flatArgs(dims)); }
  /** Swaps two dims. */ transpose(dim0: number, dim1: number): Tensor { return sh.transpose(this, dim0, dim1); }
  /** Transpose of the last two dims (PyTorch's `.mT`). */ get mT(): Tensor { return sh.transpose(this, -2, -1); }
  /** Broadcasts to `shape` (−1 keeps a dim). */ expand(...shape: number[] | [readonly number[]]): Tensor { return sh.expand(this, flatArgs(shape)); }
  /** Broadcasts to `other`'s shape. */ expandAs(other: Tensor): Tensor { return sh.expand(this, other.shape); }
  /** Removes size-1 dims (or only `dim`). */ squeeze(dim?: number | number[]): Tensor { return sh.squeeze(this, dim); }
  /** Inserts a size-1 dim at `dim`. */ unsqueeze(dim: number): Tensor { return sh.unsqueeze(this, dim); }
  /** `length` elements along `dim` from `start`. */ narrow(dim: number, start: number, length: number): Tensor { return sh.narrow(this, dim, start, length); }
  /** Python-style slice `[start:end:step]` along `dim`. */ slice(dim: number, start?: number, end?: number, step?: number): Tensor { return sh.slice(this, dim, start, end, step); }
  /** Splits into pieces of `splitSize` (or the given sizes) along `dim`. */ split(splitSize: number | number[], dim = 0): Tensor[] { return sh.split(this, splitSize, dim); }
  /** Splits into `chunks` nearly equal pieces along `dim`. */ chunk(chunks: number, dim = 0): Tensor[] { return sh.chunk(this, chunks, dim); }
  /** Returns this tensor (tensors are always contiguous). */ contiguous(): Tensor { return this; }

  // ---- indexing -------------------------------------------------------------------------
  /** `torch.gather`: out[..., j, ...] = this[..., index[..., j, ...], ...] along `dim`. */ gather(dim: number, index: Tensor): Tensor { return idx.gather(this, dim, index); }
  /** Selects entries `index` (1-D int32) along `dim`. */ indexSelect(dim: number, index: Tensor): Tensor { return idx.indexSelect(this, dim, index); }
  /** this + scatter of `src` at `index` along `dim` (`torch.scatter_add`, out of place). */ scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return idx.scatterAdd(this, dim, index, src); }
  /** Lower triangle of the last two dims. */ tril(diagonal = 0): Tensor { return idx.tril(this, diagonal); }
  /** Upper triangle of the last two dims. */ triu(diagonal = 0): Tensor { return idx.triu(this, diagonal); }
}

function flatArgs(args: number[] | [readonly number[]]): readonly number[] {
  return Array.isArray(args[0]) ? (args[0] as readonly number[]) : (args as number[]);
}

function nest(values: TypedArray, shape: Shape): NestedArray {
  if (shape.length === 0) return values[0];
  let offset = 0;
  const build = (dim: number): NestedArray => {
    const out: NestedArray[] = [];
    for (let i = 0; i < shape[dim]; i++) out.push(dim === shape.length - 1 ? values[offset++] : build(dim + 1));
    return out;
  };
  return build(0);
}
