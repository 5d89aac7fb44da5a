// Elementwise ops: arithmetic with broadcasting, unary math and activations, comparisons,
// logical ops, where and clamp. Each differentiable op states its gradient right here.

import { needsGrad, record } from '../autograd.js';
import type { BinaryOp, UnaryOp } from '../backend.js';
import { promoteTypes, type DType } from '../dtype.js';
import { broadcastShapes } from '../shape.js';
import { Tensor, type TensorOrScalar } from '../tensor.js';
import { sumToShape } from './shape.js';
import { checkSameBackend, checkTensor, describe, wrap } from './util.js';

const COMPARISONS: ReadonlySet<BinaryOp> = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr']);

function scalarDtype(value: number): DType {
  return Number.isInteger(value) ? 'int32' : 'float32';
}

/** Runs a backend binary op with PyTorch's dtype promotion and broadcasting, without recording. */
function binaryRaw(op: BinaryOp, name: string, a: Tensor, b: TensorOrScalar): Tensor {
  checkTensor(name, 'input', a);
  let inDtype: DType;
  if (typeof b === 'number') {
    // A scalar does not widen an int tensor unless it is fractional (PyTorch's rule for Python scalars).
    inDtype = scalarDtype(b) === 'float32' ? 'float32' : a.dtype === 'bool' ? 'int32' : a.dtype;
  } else {
    checkTensor(name, 'other', b);
    checkSameBackend(name, a, b);
    inDtype = promoteTypes(a.dtype, b.dtype);
  }
  if ((op === 'div' || (op === 'pow' && inDtype === 'bool')) && inDtype !== 'float32') inDtype = 'float32';
  if (inDtype === 'bool' && !COMPARISONS.has(op) && op !== 'maximum' && op !== 'minimum') inDtype = 'int32';
  const outDtype: DType = COMPARISONS.has(op) ? 'bool' : inDtype;
  const ca = a.dtype === inDtype ? a : castRaw(a, inDtype);
  const cb = typeof b === 'number' || b.dtype === inDtype ? b : castRaw(b, inDtype);
  const outShape = typeof cb === 'number' ? a.shape : broadcastShapes(name, a.shape, cb.shape);
  const storage = a.backend.binary(op, ca.storage, ca.shape, typeof cb === 'number' ? cb : cb.storage, typeof cb === 'number' ? [] : cb.shape, outShape, inDtype, outDtype);
  if (ca !== a) ca.dispose();
  if (typeof cb !== 'number' && cb !== b) cb.dispose();
  return wrap(a.backend, storage, outShape, outDtype);
}

function castRaw(x: Tensor, dtype: DType): Tensor {
  return wrap(x.backend, x.backend.cast(x.storage, x.size, x.dtype, dtype), x.shape, dtype);
}

/** `grad` summed to `value`'s shape, or null for scalars and tensors that need no gradient. */
function gradFor(value: TensorOrScalar, grad: Tensor): Tensor | null {
  if (typeof value === 'number' || !value.requiresGrad) return null;
  return sumToShape(grad, value.shape);
}

function inputs(a: Tensor, b: TensorOrScalar): Tensor[] {
  return typeof b === 'number' ? [a] : [a, b];
}

/**
 * a + b with broadcasting.
 *
 * @example
 * ```ts
 * add(tensor([1, 2]), 10); // [11, 12]
 * ```
 */
export function add(a: Tensor, b: TensorOrScalar): Tensor {
  const out = binaryRaw('add', 'add', a, b);
  if (!needsGrad(a, b)) return out;
  return record(out, 'add', inputs(a, b), (g) => [gradFor(a, g), gradFor(b, g)]);
}

/**
 * a − b with broadcasting.
 *
 * @example
 * ```ts
 * sub(tensor([3, 4]), 1); // [2, 3]
 * ```
 */
export function sub(a: Tensor, b: TensorOrScalar): Tensor {
  const out = binaryRaw('sub', 'sub', a, b);
  if (!needsGrad(a, b)) return out;
  return record(out, 'sub', inputs(a, b), (g) => [gradFor(a, g), typeof b === 'number' || !b.requiresGrad ? null : sumToShape(neg(g), b.shape)]);
}

/**
 * a · b elementwise with broadcasting.
 *
 * @example
 * ```ts
 * mul(tensor([1, 2]), tensor([3, 4])); // [3, 8]
 * ```
 */
export function mul(a: Tensor, b: TensorOrScalar): Tensor {
  const out = binaryRaw('mul', 'mul', a, b);
  if (!needsGrad(a, b)) return out;
  return record(out, 'mul', inputs(a, b), (g) => [
    a.requiresGrad ? sumToShape(mul(g, b), a.shape) : null,
    typeof b !== 'number' && b.requiresGrad ? sumToShape(mul(g, a), b.shape) : null,
  ]);
}

/**
 * a / b (true division: the result is float32).
 *
 * @example
 * ```ts
 * div(tensor([1, 2]), 2); // [0.5, 1]
 * ```
 */
export function div(a: Tensor, b: TensorOrScalar): Tensor {
  const out = binaryRaw('div', 'div', a, b);
  if (!needsGrad(a, b)) return out;
  return record(out, 'div', inputs(a, b), (g) => [
    a.requiresGrad ? sumToShape(div(g, b), a.shape) : null,
    // d(a/b)/db = −a/b² = −out/b
    typeof b !== 'number' && b.requiresGrad ? sumToShape(neg(mul(g, div(out, b))), b.shape) : null,
  ]);
}

/**
 * a ** b elementwise.
 *
 * @example
 * ```ts
 * pow(tensor([2, 3]), 2); // [4, 9]
 * ```
 */
export function pow(a: Tensor, b: TensorOrScalar): Tensor {
  const out = binaryRaw('pow', 'pow', a, b);
  if (!needsGrad(a, b)) return out;
  return record(out, 'pow', inputs(a, b), (g) => [
    // d(a^b)/da = b·a^(b−1)
    a.requiresGrad ? sumToShape(mul(g, mul(pow(a, typeof b === 'number' ? b - 1 : sub(b, 1)), b)), a.shape) : null,
    // d(a^b)/db = a^b·ln a
    typeof b !== 'number' && b.requiresGrad ? sumToShape(mul(g, mul(out, log(a))), b.shape) : null,
  ]);
}

/**
 * Python-style remainder: the result has the sign of the divisor (`torch.remainder`).
 *
 * @example
 * ```ts
 * remainder(tensor([5, -5]), 3); // [2, 1], the sign of the divisor as PyTorch
 * ```
 */
export function remainder(a: Tensor, b: TensorOrScalar): Tensor {
  const out = binaryRaw('mod', 'remainder', a, b);
  if (!needsGrad(a, b)) return out;
  return record(out, 'remainder', inputs(a, b), (g) => [
    sumToShape(g, a.shape),
    typeof b === 'number' ? null : sumToShape(neg(mul(g, floor(div(a, b)))), b.shape),
  ]);
}

function extremum(op: 'maximum' | 'minimum', a: Tensor, b: TensorOrScalar): Tensor {
  const out = binaryRaw(op, op, a, b);
  if (!needsGrad(a, b)) return out;
  // The gradient goes to the larger (smaller) input; ties split it evenly, as in PyTorch.
  return record(out, op, inputs(a, b), (g) => {
    const wins = op === 'maximum' ? gt(a, b) : lt(a, b);
    const ties = eq(a, b);
    const share = add(wins.float(), mul(ties.float(), 0.5));
    return [sumToShape(mul(g, share), a.shape), typeof b === 'number' ? null : sumToShape(mul(g, rsubScalar(1, share)), b.shape)];
  });
}

/**
 * Elementwise maximum; NaN propagates.
 *
 * @example
 * ```ts
 * maximum(tensor([1, 5]), 3); // [3, 5]
 * ```
 */
export function maximum(a: Tensor, b: TensorOrScalar): Tensor {
  return extremum('maximum', a, b);
}

/**
 * Elementwise minimum; NaN propagates.
 *
 * @example
 * ```ts
 * minimum(tensor([1, 5]), 3); // [1, 3]
 * ```
 */
export function minimum(a: Tensor, b: TensorOrScalar): Tensor {
  return extremum('minimum', a, b);
}

function comparison(op: BinaryOp) {
  return (a: Tensor, b: TensorOrScalar): Tensor => binaryRaw(op, op, a, b);
}

/**
 * Elementwise a == b → bool.
 *
 * @example
 * ```ts
 * eq(tensor([1, 2]), tensor([1, 3])); // bool [true, false]
 * ```
 */
export const eq = comparison('eq');
/**
 * Elementwise a != b → bool.
 *
 * @example
 * ```ts
 * ne(tensor([1, 2]), 2); // bool [true, false]
 * ```
 */
export const ne = comparison('ne');
/**
 * Elementwise a < b → bool.
 *
 * @example
 * ```ts
 * lt(tensor([1, 2]), 2); // bool [true, false]
 * ```
 */
export const lt = comparison('lt');
/**
 * Elementwise a <= b → bool.
 *
 * @example
 * ```ts
 * le(tensor([1, 2]), 1); // bool [true, false]
 * ```
 */
export const le = comparison('le');
/**
 * Elementwise a > b → bool.
 *
 * @example
 * ```ts
 * gt(tensor([1, 2]), 1); // bool [false, true]
 * ```
 */
export const gt = comparison('gt');
/**
 * Elementwise a >= b → bool.
 *
 * @example
 * ```ts
 * ge(tensor([1, 2]), 2); // bool [false, true]
 * ```
 */
export const ge = comparison('ge');
/**
 * Elementwise logical and (nonzero is true) → bool.
 *
 * @example
 * ```ts
 * logicalAnd(tensor([true, true]), tensor([true, false])); // bool [true, false]
 * ```
 */
export const logicalAnd = comparison('logicalAnd');
/**
 * Elementwise logical or → bool.
 *
 * @example
 * ```ts
 * logicalOr(tensor([true, false]), tensor([false, false])); // bool [true, false]
 * ```
 */
export const logicalOr = comparison('logicalOr');

/**
 * Elementwise logical not → bool.
 *
 * @example
 * ```ts
 * logicalNot(tensor([true, false])); // bool [false, true]
 * ```
 */
export function logicalNot(x: Tensor): Tensor {
  checkTensor('logicalNot', 'input', x);
  return wrap(x.backend, x.backend.unary('logicalNot', x.storage, x.size, x.dtype), x.shape, 'bool');
}

// ---- unary ----------------------------------------------------------------------------------

const INT_PRESERVING: ReadonlySet<UnaryOp> = new Set(['neg', 'abs', 'sign', 'square', 'floor', 'ceil', 'round']);

function unaryRaw(op: UnaryOp, x: Tensor): Tensor {
  checkTensor(op, 'input', x);
  if (x.dtype !== 'float32' && !INT_PRESERVING.has(op)) {
    const f = castRaw(x, 'float32');
    const out = wrap(x.backend, x.backend.unary(op, f.storage, f.size, 'float32'), x.shape, 'float32');
    f.dispose();
    return out;
  }
  const dtype = x.dtype === 'bool' ? 'int32' : x.dtype;
  const source = x.dtype === 'bool' ? castRaw(x, 'int32') : x;
  const out = wrap(x.backend, x.backend.unary(op, source.storage, source.size, dtype), x.shape, dtype);
  if (source !== x) source.dispose();
  return out;
}

/** Defines a unary op whose gradient is `grad(g, x, out)`. */
function unary(op: UnaryOp, grad: ((g: Tensor, x: Tensor, out: Tensor) => Tensor) | null) {
  return (x: Tensor): Tensor => {
    const out = unaryRaw(op, x);
    if (!needsGrad(x)) return out;
    return record(out, op, [x], (g) => [grad ? grad(g, x, out) : zerosOf(g)]);
  };
}

/** An activation's gradient in one fused kernel (see `BinaryOp`); differentiable for double backward. */
function activationBackward(op: 'tanhBackward' | 'sigmoidBackward' | 'reluBackward', g: Tensor, saved: Tensor): Tensor {
  const out = binaryRaw(op, op, g, saved);
  if (!needsGrad(g, saved)) return out;
  return record(out, op, [g, saved], (h) => {
    if (op === 'reluBackward') return [activationBackward('reluBackward', h, saved), null];
    if (op === 'tanhBackward') return [activationBackward('tanhBackward', h, saved), mul(mul(h, mul(g, saved)), -2)];
    // d/db [a·b·(1 − b)] = a·(1 − 2b)
    return [activationBackward('sigmoidBackward', h, saved), mul(h, mul(g, rsubScalar(1, mul(saved, 2))))];
  });
}

function zerosOf(g: Tensor): Tensor {
  return mul(g, 0);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * −x.
 *
 * @example
 * ```ts
 * neg(tensor([1, -2])); // [-1, 2]
 * ```
 */
export const neg = unary('neg', (g) => neg(g));
/**
 * |x|; the gradient at 0 is 0.
 *
 * @example
 * ```ts
 * abs(tensor([-1, 2])); // [1, 2]
 * ```
 */
export const abs = unary('abs', (g, x) => mul(g, sign(x)));
/**
 * Sign of x (−1, 0 or 1); zero gradient.
 *
 * @example
 * ```ts
 * sign(tensor([-3, 0, 2])); // [-1, 0, 1]
 * ```
 */
export const sign = unary('sign', null);
/**
 * eˣ.
 *
 * @example
 * ```ts
 * exp(tensor([0, 1])); // [1, 2.7183]
 * ```
 */
export const exp = unary('exp', (g, _x, y) => mul(g, y));
/**
 * eˣ − 1, accurate near 0.
 *
 * @example
 * ```ts
 * expm1(tensor([1e-6])); // [1e-6], exact for small x
 * ```
 */
export const expm1 = unary('expm1', (g, _x, y) => mul(g, add(y, 1)));
/**
 * Natural logarithm.
 *
 * @example
 * ```ts
 * log(tensor([1, Math.E])); // [0, 1]
 * ```
 */
export const log = unary('log', (g, x) => div(g, x));
/**
 * log(1 + x), accurate near 0.
 *
 * @example
 * ```ts
 * log1p(tensor([1e-6])); // [1e-6], exact for small x
 * ```
 */
export const log1p = unary('log1p', (g, x) => div(g, add(x, 1)));
/**
 * √x.
 *
 * @example
 * ```ts
 * sqrt(tensor([4, 9])); // [2, 3]
 * ```
 */
export const sqrt = unary('sqrt', (g, _x, y) => div(mul(g, 0.5), y));
/**
 * 1/√x.
 *
 * @example
 * ```ts
 * rsqrt(tensor([4])); // [0.5]
 * ```
 */
export const rsqrt = unary('rsqrt', (g, _x, y) => mul(g, mul(pow(y, 3), -0.5)));
/**
 * 1/x.
 *
 * @example
 * ```ts
 * reciprocal(tensor([2, 4])); // [0.5, 0.25]
 * ```
 */
export const reciprocal = unary('reciprocal', (g, _x, y) => neg(mul(g, square(y))));
/**
 * x².
 *
 * @example
 * ```ts
 * square(tensor([-2, 3])); // [4, 9]
 * ```
 */
export const square = unary('square', (g, x) => mul(g, mul(x, 2)));
/**
 * sin x.
 *
 * @example
 * ```ts
 * sin(tensor([0, Math.PI / 2])); // [0, 1]
 * ```
 */
export const sin = unary('sin', (g, x) => mul(g, cos(x)));
/**
 * cos x.
 *
 * @example
 * ```ts
 * cos(tensor([0, Math.PI])); // [1, -1]
 * ```
 */
export const cos = unary('cos', (g, x) => neg(mul(g, sin(x))));
/**
 * tanh x.
 *
 * @example
 * ```ts
 * tanh(tensor([0])); // [0]
 * ```
 */
export const tanh = unary('tanh', (g, _x, y) => activationBackward('tanhBackward', g, y));
/**
 * Logistic sigmoid 1/(1+e⁻ˣ).
 *
 * @example
 * ```ts
 * sigmoid(tensor([0])); // [0.5]
 * ```
 */
export const sigmoid = unary('sigmoid', (g, _x, y) => activationBackward('sigmoidBackward', g, y));
/**
 * log σ(x), stable for large |x|.
 *
 * @example
 * ```ts
 * logSigmoid(tensor([0])); // [-0.6931]
 * ```
 */
export const logSigmoid = unary('logSigmoid', (g, x) => mul(g, sigmoid(neg(x))));
/**
 * max(x, 0); the gradient at 0 is 0.
 *
 * @example
 * ```ts
 * relu(tensor([-1, 2])); // [0, 2]
 * ```
 */
export const relu = unary('relu', (g, x) => activationBackward('reluBackward', g, x));
/**
 * x·σ(x) (SiLU / swish).
 *
 * @example
 * ```ts
 * silu(tensor([0, 1])); // [0, 0.7311]
 * ```
 */
export const silu = unary('silu', (g, x) => {
  const s = sigmoid(x);
  return mul(g, mul(s, add(mul(x, rsubScalar(1, s)), 1)));
});
/**
 * log(1 + eˣ), linear above 20 as PyTorch's default.
 *
 * @example
 * ```ts
 * softplus(tensor([0])); // [ln 2]
 * ```
 */
export const softplus = unary('softplus', (g, x) => mul(g, sigmoid(x)));
/**
 * The error function.
 *
 * @example
 * ```ts
 * erf(tensor([0, 1])); // [0, 0.8427]
 * ```
 */
export const erf = unary('erf', (g, x) => mul(g, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI))));
/**
 * Floor; zero gradient.
 *
 * @example
 * ```ts
 * floor(tensor([1.7, -1.2])); // [1, -2]
 * ```
 */
export const floor = unary('floor', null);
/**
 * Ceiling; zero gradient.
 *
 * @example
 * ```ts
 * ceil(tensor([1.2, -1.2])); // [2, -1]
 * ```
 */
export const ceil = unary('ceil', null);
/**
 * Round half to even; zero gradient.
 *
 * @example
 * ```ts
 * round(tensor([1.4, 1.6])); // [1, 2]
 * ```
 */
export const round = unary('round', null);

const geluExact = unary('gelu', (g, x) => {
  // d/dx x·Φ(x) = Φ(x) + x·φ(x)
  const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
  const pdf = mul(exp(mul(square(x), -0.5)), INV_SQRT_2PI);
  return mul(g, add(cdf, mul(x, pdf)));
});
// GPT-2's approximation 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) (Hendrycks & Gimpel 2016),
// with its derivative fused into one kernel.
const geluTanh = unary('geluTanh', (g, x) => geluTanhBackward(g, x));

function geluTanhBackward(g: Tensor, x: Tensor): Tensor {
  const out = binaryRaw('geluTanhBackward', 'geluTanhBackward', g, x);
  if (!needsGrad(g, x)) return out;
  // Double backward: d/dg = gelu′(x); d/dx is composed from ops (rarely needed).
  return record(out, 'geluTanhBackward', [g, x], (h) => [
    geluTanhBackward(h, x),
    x.requiresGrad ? mul(mul(h, g), geluTanhSecondDerivative(x)) : null,
  ]);
}

function geluTanhSecondDerivative(x: Tensor): Tensor {
  // gelu″(x) = (1 − t²)·u′ + 0.5x·[−2t(1 − t²)u′² + (1 − t²)u″], u′ = c(1 + 3kx²), u″ = 6ckx
  const c = SQRT_2_OVER_PI;
  const k = 0.044715;
  const t = tanh(mul(add(x, mul(pow(x, 3), k)), c));
  const sech2 = rsubScalar(1, square(t));
  const du = mul(add(mul(square(x), 3 * k), 1), c);
  const d2u = mul(x, 6 * c * k);
  const inner = add(mul(mul(mul(t, sech2), square(du)), -2), mul(sech2, d2u));
  return add(mul(sech2, du), mul(mul(x, inner), 0.5));
}

/**
 * GELU (Hendrycks & Gimpel 2016): x·Φ(x), or GPT-2's tanh approximation with `approximate: 'tanh'`.
 *
 * @example
 * ```ts
 * gelu(tensor([1]), 'tanh');
 * ```
 */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new RangeError(`gelu: approximate must be 'none' or 'tanh', got ${describe(approximate)}`);
  }
  return approximate === 'tanh' ? geluTanh(x) : geluExact(x);
}

/** s − x for a scalar s, in one op. */
function rsubScalar(s: number, x: Tensor): Tensor {
  return add(neg(x), s);
}

/**
 * s − x for a scalar s (PyTorch's `rsub`).
 *
 * @example
 * ```ts
 * rsub(tensor([0.2, 1]), 1); // 1 − x: [0.8, 0]
 * ```
 */
export function rsub(x: Tensor, s: number): Tensor {
  return rsubScalar(s, x);
}

/**
 * Clamps into [min, max]; either bound may be null. The gradient flows where min ≤ x ≤ max.
 *
 * @example
 * ```ts
 * clamp(tensor([-2, 0.5, 3]), -1, 1); // [-1, 0.5, 1]
 * ```
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  checkTensor('clamp', 'input', x);
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw new RangeError('clamp: at least one of min or max must be given');
  }
  let out = x;
  let owned = false;
  if (min !== undefined && min !== null) {
    out = binaryRaw('maximum', 'clamp', x, min);
    owned = true;
  }
  if (max !== undefined && max !== null) {
    const next = binaryRaw('minimum', 'clamp', out, max);
    if (owned) out.dispose();
    out = next;
  }
  if (!needsGrad(x)) return out;
  return record(out, 'clamp', [x], (g) => {
    let mask = g.onesLike();
    if (min !== undefined && min !== null) mask = mul(mask, ge(x, min));
    if (max !== undefined && max !== null) mask = mul(mask, le(x, max));
    return [mul(g, mask)];
  });
}

/**
 * Picks from `a` where `condition` is true and from `b` elsewhere, with broadcasting.
 *
 * @example
 * ```ts
 * where(tensor([true, false]), tensor([1, 2]), 0); // [1, 0]
 * ```
 */
export function where(condition: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  checkTensor('where', 'condition', condition);
  const backend = condition.backend;
  const ta = typeof a === 'number' ? scalarLike(a, backend, typeof b === 'number' ? 'float32' : b.dtype) : a;
  const tb = typeof b === 'number' ? scalarLike(b, backend, ta.dtype) : b;
  checkTensor('where', 'input', ta);
  checkTensor('where', 'other', tb);
  checkSameBackend('where', condition, ta);
  checkSameBackend('where', condition, tb);
  const dtype = promoteTypes(ta.dtype, tb.dtype);
  const ca = ta.dtype === dtype ? ta : castRaw(ta, dtype);
  const cb = tb.dtype === dtype ? tb : castRaw(tb, dtype);
  const cond = condition.dtype === 'bool' ? condition : binaryRaw('ne', 'where', condition, 0);
  const outShape = broadcastShapes('where', broadcastShapes('where', cond.shape, ca.shape), cb.shape);
  const out = wrap(backend, backend.where(cond.storage, cond.shape, ca.storage, ca.shape, cb.storage, cb.shape, outShape, dtype), outShape, dtype);
  for (const t of [ca, cb, cond]) if (t !== ta && t !== tb && t !== condition) t.dispose();
  if (typeof a === 'number') ta.dispose();
  if (typeof b === 'number') tb.dispose();
  const grads = [typeof a === 'number' ? null : a, typeof b === 'number' ? null : b].filter((t): t is Tensor => t !== null);
  if (!engineNeedsGrad(grads)) return out;
  return record(out, 'where', grads, (g) => {
    const result: (Tensor | null)[] = [];
    if (typeof a !== 'number') result.push(sumToShape(where(condition, g, 0), a.shape));
    if (typeof b !== 'number') result.push(sumToShape(where(condition, 0, g), b.shape));
    return result;
  });
}

function engineNeedsGrad(tensors: Tensor[]): boolean {
  return tensors.some((t) => needsGrad(t));
}

function scalarLike(value: number, backend: Tensor['backend'], dtype: DType): Tensor {
  const d: DType = dtype === 'float32' || !Number.isInteger(value) ? 'float32' : dtype;
  return wrap(backend, backend.fill(1, d, value), [], d);
}

/**
 * Converts to `dtype`. float → int truncates toward zero; anything → bool tests for nonzero.
 * Gradients flow through float → float only.
 *
 * @example
 * ```ts
 * toDtype(tensor([1.7]), 'int32'); // [1]
 * ```
 */
export function toDtype(x: Tensor, dtype: DType): Tensor {
  checkTensor('toDtype', 'input', x);
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
    throw new TypeError(`toDtype: dtype must be 'float32', 'int32' or 'bool', got ${describe(dtype)}`);
  }
  if (x.dtype === dtype) return clone(x);
  return castRaw(x, dtype);
}

/**
 * A copy of `x` with its own storage; gradients flow back to `x`.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2, 3]);
 * const y = clone(x); // a new tensor with the same values
 * ```
 */
export function clone(x: Tensor): Tensor {
  checkTensor('clone', 'input', x);
  const strides = x.shape.map((_, i) => x.shape.slice(i + 1).reduce((p, d) => p * d, 1));
  const out = wrap(x.backend, x.backend.stridedCopy(x.storage, x.shape, strides, 0, x.dtype), x.shape, x.dtype);
  if (!needsGrad(x)) return out;
  return record(out, 'clone', [x], (g) => [g]);
}
