// Parameter initialisers with torch.nn.init's names and formulas. Each fills a tensor in place
// (`assign_` under noGrad) from a seeded Generator and returns it. Values are drawn in float64 on
// the host, row-major, then uploaded once.

import { getDefaultGenerator, noGrad, tensor, type Generator, type Tensor } from '@attune/tensor';
import type { Linear } from './layers.js';
import { describeValue } from './module.js';

/**
 * Nonlinearities known to `calculateGain` (PyTorch's names).
 *
 * @example
 * ```ts
 * const nonlinearity: Nonlinearity = 'tanh';
 * init.calculateGain(nonlinearity); // 5/3
 * ```
 */
export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/**
 * Which fan Kaiming init preserves: `'fan_in'` the forward pass's variance, `'fan_out'` the backward's.
 *
 * @example
 * ```ts
 * const mode: FanMode = 'fan_out';
 * init.kaimingNormal_(new Linear(16, 8).weight, { mode, nonlinearity: 'relu' });
 * ```
 */
export type FanMode = 'fan_in' | 'fan_out';

/**
 * The recommended gain for a nonlinearity, as `torch.nn.init.calculate_gain`: 1 for linear, conv
 * and sigmoid; 5/3 for tanh; √2 for relu; √(2/(1 + slope²)) for leaky_relu (`param` is the
 * negative slope, default 0.01); 3/4 for selu.
 *
 * @example
 * ```ts
 * init.calculateGain('tanh'); // 5/3
 * init.calculateGain('leaky_relu', 0.2);
 * ```
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) throw new TypeError(`calculateGain: negative slope ${describeValue(param)} is not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new RangeError(`calculateGain: unsupported nonlinearity ${describeValue(nonlinearity)}`);
  }
}

/**
 * fan_in = size(1)·receptive field and fan_out = size(0)·receptive field, where the receptive
 * field is the product of dims 2.. (as `torch.nn.init._calculate_fan_in_and_fan_out`). A Linear
 * weight (out, in) has fanIn = in, fanOut = out.
 *
 * @example
 * ```ts
 * import { zeros } from '@attune/tensor';
 * init.calculateFanInAndFanOut(zeros([64, 4])); // { fanIn: 4, fanOut: 64 }
 * ```
 */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) throw new RangeError(`calculateFanInAndFanOut: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape [${t.shape.join(', ')}])`);
  let receptive = 1;
  for (let i = 2; i < t.ndim; i++) receptive *= t.shape[i];
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

/** Replaces `t`'s values by `values` (same element order) without recording gradients. */
function fill(t: Tensor, values: Float32Array | Int32Array | Uint8Array): Tensor {
  noGrad(() => {
    const next = tensor(values, { shape: t.shape, dtype: t.dtype, backend: t.backend });
    t.assign_(next);
    next.dispose();
  });
  return t;
}

function checkFloat(op: string, t: Tensor): void {
  if (t.dtype !== 'float32') throw new TypeError(`${op}: expected a float32 tensor, got dtype ${t.dtype}`);
}

/**
 * Fills `t` with U(a, b) draws, as `torch.nn.init.uniform_`.
 *
 * @example
 * ```ts
 * import { Generator } from '@attune/tensor';
 * const linear = new Linear(4, 2);
 * init.uniform_(linear.bias!, -0.1, 0.1, new Generator(0));
 * ```
 */
export function uniform_(t: Tensor, a = 0, b = 1, generator?: Generator): Tensor {
  checkFloat('uniform_', t);
  if (!(a <= b)) throw new RangeError(`uniform_: expected a <= b, got a=${a}, b=${b}`);
  const g = generator ?? getDefaultGenerator();
  const values = new Float32Array(t.size);
  for (let i = 0; i < values.length; i++) values[i] = a + (b - a) * g.random();
  return fill(t, values);
}

/**
 * Fills `t` with N(mean, std²) draws, as `torch.nn.init.normal_`; GPT-2 uses std 0.02.
 *
 * @example
 * ```ts
 * const wte = new Embedding(100, 16);
 * init.normal_(wte.weight, 0, 0.02);
 * ```
 */
export function normal_(t: Tensor, mean = 0, std = 1, generator?: Generator): Tensor {
  checkFloat('normal_', t);
  if (!(std >= 0)) throw new RangeError(`normal_: std must be non-negative, got ${std}`);
  const g = generator ?? getDefaultGenerator();
  const values = new Float32Array(t.size);
  for (let i = 0; i < values.length; i++) values[i] = mean + std * g.normal();
  return fill(t, values);
}

/**
 * Fills `t` with `value` (any dtype), as `torch.nn.init.constant_`.
 *
 * @example
 * ```ts
 * const layer = new Linear(4, 2);
 * init.constant_(layer.bias!, 0);
 * ```
 */
export function constant_(t: Tensor, value: number): Tensor {
  const values = t.dtype === 'float32' ? new Float32Array(t.size) : t.dtype === 'int32' ? new Int32Array(t.size) : new Uint8Array(t.size);
  values.fill(t.dtype === 'bool' ? (value ? 1 : 0) : value);
  return fill(t, values);
}

/**
 * Fills `t` with zeros.
 *
 * @example
 * ```ts
 * const layer = new Linear(4, 2);
 * init.zeros_(layer.bias!);
 * ```
 */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

/**
 * Fills `t` with ones.
 *
 * @example
 * ```ts
 * const ln = new LayerNorm(8);
 * init.ones_(ln.weight!);
 * ```
 */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/**
 * Xavier/Glorot uniform (Glorot & Bengio 2010): U(−a, a) with a = gain·√(6/(fanIn + fanOut)), as
 * `torch.nn.init.xavier_uniform_`.
 *
 * @example
 * ```ts
 * const layer = new Linear(16, 8);
 * init.xavierUniform_(layer.weight, init.calculateGain('tanh'));
 * ```
 */
export function xavierUniform_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  const bound = Math.sqrt(3) * std;
  return uniform_(t, -bound, bound, generator);
}

/**
 * Xavier/Glorot normal (Glorot & Bengio 2010): N(0, std²) with std = gain·√(2/(fanIn + fanOut)), as
 * `torch.nn.init.xavier_normal_`.
 *
 * @example
 * ```ts
 * const layer = new Linear(16, 8);
 * init.xavierNormal_(layer.weight);
 * ```
 */
export function xavierNormal_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), generator);
}

/**
 * Options of the Kaiming initialisers (PyTorch's arguments and defaults).
 *
 * @example
 * ```ts
 * const options: KaimingOptions = { a: 0, mode: 'fan_in', nonlinearity: 'relu' };
 * init.kaimingUniform_(new Linear(16, 8).weight, options);
 * ```
 */
export interface KaimingOptions {
  /** Negative slope of the rectifier after this layer (used with 'leaky_relu'); default 0. */
  a?: number;
  /** 'fan_in' (default) preserves the forward pass's variance, 'fan_out' the backward pass's. */
  mode?: FanMode;
  /** Nonlinearity the gain is computed for; default 'leaky_relu' as PyTorch. */
  nonlinearity?: Nonlinearity;
  /** Generator to draw from. */
  generator?: Generator;
}

function kaimingStd(op: string, t: Tensor, options: KaimingOptions): number {
  const { a = 0, mode = 'fan_in', nonlinearity = 'leaky_relu' } = options;
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new RangeError(`${op}: mode must be 'fan_in' or 'fan_out', got ${describeValue(mode)}`);
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const fan = mode === 'fan_in' ? fanIn : fanOut;
  if (fan === 0) return 0; // PyTorch warns and leaves the (empty) tensor alone
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

/**
 * Kaiming/He uniform (He et al. 2015): U(−bound, bound) with bound = gain·√(3/fan), as
 * `torch.nn.init.kaiming_uniform_`. `nn.Linear`'s default is `{ a: √5 }`, i.e. U(−1/√in, 1/√in).
 *
 * @example
 * ```ts
 * const layer = new Linear(64, 32);
 * init.kaimingUniform_(layer.weight, { nonlinearity: 'relu' });
 * ```
 */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform_', t, options);
  return uniform_(t, -bound, bound, options.generator);
}

/**
 * Kaiming/He normal (He et al. 2015): N(0, std²) with std = gain/√fan, as
 * `torch.nn.init.kaiming_normal_`.
 *
 * @example
 * ```ts
 * const layer = new Linear(64, 32);
 * init.kaimingNormal_(layer.weight, { mode: 'fan_out', nonlinearity: 'relu' });
 * ```
 */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd('kaimingNormal_', t, options), options.generator);
}

/**
 * A (semi-)orthogonal matrix times `gain` (Saxe et al. 2014), as `torch.nn.init.orthogonal_`: the
 * tensor is viewed as (rows, cols) = (size(0), numel/size(0)); a rows×cols standard normal matrix
 * (transposed when wide) is factored A = QR by Householder reflections in float64, and Q's
 * columns are multiplied by sign(diag R) so the result is uniformly distributed. Then WᵀW = gain²·I
 * for a tall or square W, WWᵀ = gain²·I for a wide one. This is CleanRL's `layer_init`.
 *
 * @example
 * ```ts
 * import { Generator } from '@attune/tensor';
 * const policyHead = new Linear(64, 2);
 * init.orthogonal_(policyHead.weight, 0.01, new Generator(1));
 * ```
 */
export function orthogonal_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  checkFloat('orthogonal_', t);
  if (t.ndim < 2) throw new RangeError(`orthogonal_: only tensors with 2 or more dimensions are supported, got shape [${t.shape.join(', ')}]`);
  if (t.size === 0) return t;
  const g = generator ?? getDefaultGenerator();
  const rows = t.shape[0];
  const cols = t.size / rows;
  const flat = new Float64Array(rows * cols);
  for (let i = 0; i < flat.length; i++) flat[i] = g.normal();
  // Factor the tall orientation: (n, m) with n ≥ m.
  const wide = rows < cols;
  const n = wide ? cols : rows;
  const m = wide ? rows : cols;
  const a = wide ? transposeMatrix(flat, rows, cols) : flat;
  const q = householderQ(a, n, m); // (n, m), columns orthonormal, sign-corrected
  const out = new Float32Array(rows * cols);
  if (wide) {
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = gain * q[j * m + i];
  } else {
    for (let i = 0; i < flat.length; i++) out[i] = gain * q[i];
  }
  return fill(t, out);
}

function transposeMatrix(x: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

/**
 * The thin Q (n, m) of A = QR for A (n, m), n ≥ m, row-major, with Q's columns scaled by
 * sign(diag R) — the unique factorisation with a positive diagonal, as torch's `orthogonal_` makes.
 * Householder: H_k = I − 2v_k v_kᵀ zeroes column k below the diagonal; Q = H_0 H_1 … H_{m−1} I[:, :m].
 * Exported for tests.
 *
 * @example
 * ```ts
 * init.householderQ(Float64Array.from([3, 4]), 2, 1); // [0.6, 0.8]
 * ```
 */
export function householderQ(matrix: Float64Array, n: number, m: number): Float64Array {
  const a = Float64Array.from(matrix);
  const reflectors: Float64Array[] = [];
  const diagonalSign = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    let norm = 0;
    for (let i = k; i < n; i++) norm += a[i * m + k] * a[i * m + k];
    norm = Math.sqrt(norm);
    const v = new Float64Array(n - k);
    if (norm === 0) {
      // A zero column: no reflection; R's diagonal entry is 0 and torch's sign(0) = 0 zeroes the column.
      reflectors.push(v);
      diagonalSign[k] = 0;
      continue;
    }
    const x0 = a[k * m + k];
    const alpha = x0 >= 0 ? -norm : norm; // R[k][k] = alpha; the sign choice avoids cancellation
    for (let i = k; i < n; i++) v[i - k] = a[i * m + k];
    v[0] -= alpha;
    let vNorm = 0;
    for (let i = 0; i < v.length; i++) vNorm += v[i] * v[i];
    vNorm = Math.sqrt(vNorm);
    if (vNorm > 0) for (let i = 0; i < v.length; i++) v[i] /= vNorm;
    // A[k:, k:] −= 2 v (vᵀ A[k:, k:])
    for (let j = k; j < m; j++) {
      let dot = 0;
      for (let i = k; i < n; i++) dot += v[i - k] * a[i * m + j];
      dot *= 2;
      for (let i = k; i < n; i++) a[i * m + j] -= dot * v[i - k];
    }
    reflectors.push(v);
    diagonalSign[k] = Math.sign(alpha);
  }
  // Q = H_0 … H_{m−1} applied to the first m columns of the identity, innermost reflector first.
  const q = new Float64Array(n * m);
  for (let j = 0; j < m; j++) q[j * m + j] = 1;
  for (let k = m - 1; k >= 0; k--) {
    const v = reflectors[k];
    for (let j = 0; j < m; j++) {
      let dot = 0;
      for (let i = k; i < n; i++) dot += v[i - k] * q[i * m + j];
      if (dot === 0) continue;
      dot *= 2;
      for (let i = k; i < n; i++) q[i * m + j] -= dot * v[i - k];
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) q[i * m + j] *= diagonalSign[j];
  return q;
}

/**
 * CleanRL's `layer_init`: orthogonal weight with gain `std` (√2 for hidden layers, 0.01 for a
 * policy head, 1 for a value head) and a constant bias.
 *
 * @example
 * ```ts
 * init.layerInit(new Linear(64, 2), 0.01);
 * ```
 */
export function layerInit<L extends Linear>(layer: L, std = Math.SQRT2, biasConst = 0, generator?: Generator): L {
  orthogonal_(layer.weight, std, generator);
  if (layer.bias) constant_(layer.bias, biasConst);
  return layer;
}
