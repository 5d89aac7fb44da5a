// Elementwise kernels: fill, cast, unary and binary ops with broadcasting, and where. Every
// expression mirrors the CPU backend's (backends/cpu/kernels.ts) so both give the same numbers,
// NaN handling included; NaN tests use bit patterns because GPU compilers may fold `x != x`.

import type { BinaryOp, UnaryOp } from '../../../backend.js';
import type { DType } from '../../../dtype.js';
import {
  StridedIndexer,
  broadcastStrides,
  collapseDims,
  flatDispatch,
  FLAT_WORKGROUP_SIZE,
  operandLayout,
  wgslType,
  perComponent,
  vectorizable,
  type OperandLayout,
  type Program,
  type StorageBinding,
  type UniformField,
  type WgslType,
} from '../codegen.js';

/**
 * Float helpers that mirror the CPU loops: erf (series near 0, Abramowitz & Stegun 7.1.26 beyond),
 * the rational tanh, Kahan's accurate expm1/log1p, and JavaScript's Math.pow rules.
 */
export const MATH_HELPERS = /* wgsl */ `
fn erfF(x: f32) -> f32 {
  let ax = abs(x);
  let s = select(1.0, -1.0, x < 0.0);
  if (isNan(x)) { return x; }
  if (ax > 6.0) { return s; }
  if (ax < 0.5) {
    let x2 = x * x;
    return 1.1283791670955126 * x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (0.1 + x2 * (-1.0 / 42.0 + x2 * (1.0 / 216.0 + x2 * (-1.0 / 1320.0 + x2 / 9360.0))))));
  }
  let t = 1.0 / (1.0 + 0.3275911 * ax);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return s * (1.0 - poly * exp(-ax * ax));
}
fn tanhF(value: f32) -> f32 {
  if (isNan(value)) { return value; }
  let x = clamp(value, -9.0, 9.0);
  let x2 = x * x;
  let p = x * (4.89352455891786e-3 + x2 * (6.37261928875436e-4 + x2 * (1.48572235717979e-5 + x2 * (5.12229709037114e-8 + x2 * (-8.60467152213735e-11 + x2 * (2.00018790482477e-13 + x2 * -2.76076847742355e-16))))));
  let q = 4.89352518554385e-3 + x2 * (2.268434632439e-3 + x2 * (1.18534705686654e-4 + x2 * 1.19825839466702e-6));
  return p / q;
}
fn geluTanhDerivative(x: f32) -> f32 {
  let c = 0.7978845608028654;
  let t = tanhF(c * (x + 0.044715 * x * x * x));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * c * (1.0 + 0.134145 * x * x);
}
fn logF(x: f32) -> f32 {
  if (x == 0.0) { return negInf(); }
  if (x < 0.0) { return nanValue(); }
  if (isInf(x) || isNan(x)) { return x; }
  return log(x);
}
fn expF(x: f32) -> f32 {
  if (isNan(x)) { return x; }
  if (x > 88.72284) { return posInf(); }
  if (x < -103.97208) { return 0.0; }
  return exp(x);
}
fn expm1F(x: f32) -> f32 {
  if (abs(x) < 1e-5) { return x + 0.5 * x * x; }
  let e = expF(x);
  if (e == 1.0) { return x; }
  let em1 = e - 1.0;
  if (em1 == -1.0) { return -1.0; }
  if (isInf(e)) { return e; }
  return em1 * x / log(e);
}
fn log1pF(x: f32) -> f32 {
  let v = 1.0 + x;
  if (v == 1.0) { return x; }
  if (v <= 0.0 || isInf(v) || isNan(v)) { return logF(v); }
  return log(v) * x / (v - 1.0);
}
fn sqrtF(x: f32) -> f32 {
  if (x < 0.0) { return nanValue(); }
  return sqrt(x);
}
fn sigmoidF(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + expF(-x)); }
  let e = expF(x);
  return e / (1.0 + e);
}
fn logSigmoidF(x: f32) -> f32 {
  if (x >= 0.0) { return -log1pF(expF(-x)); }
  return x - log1pF(expF(x));
}
fn siluF(x: f32) -> f32 {
  if (x >= 0.0) { return x / (1.0 + expF(-x)); }
  let e = expF(x);
  return x * e / (1.0 + e);
}
fn powInt(base: f32, exponent: u32) -> f32 {
  var result = 1.0;
  var b = base;
  var e = exponent;
  loop {
    if ((e & 1u) != 0u) { result = result * b; }
    e = e >> 1u;
    if (e == 0u) { break; }
    b = b * b;
  }
  return result;
}
fn powAbs(a: f32, b: f32) -> f32 {
  if (a == 0.0) { return select(0.0, posInf(), b < 0.0); }
  if (a == 1.0) { return select(1.0, nanValue(), isInf(b)); }
  if (isInf(a)) { return select(posInf(), 0.0, b < 0.0); }
  return exp2(b * log2(a));
}
fn powF(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (isNan(a) || isNan(b)) { return nanValue(); }
  let integer = !isInf(b) && floor(b) == b;
  if (integer && abs(b) <= 64.0) {
    let r = powInt(a, u32(abs(b)));
    return select(r, 1.0 / r, b < 0.0);
  }
  if (a < 0.0 && !isInf(b)) {
    if (!integer) { return nanValue(); }
    let odd = abs(b) < 16777216.0 && (u32(abs(b)) & 1u) == 1u;
    let r = powAbs(-a, b);
    return select(r, -r, odd);
  }
  return powAbs(abs(a), b);
}
fn modF(a: f32, b: f32) -> f32 {
  return a - floor(a / b) * b;
}
fn modI(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) { return r + b; }
  return r;
}
fn powI(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { return select(1, -1, (b & 1) != 0); }
    return 0;
  }
  var result = 1;
  var base = a;
  var e = u32(b);
  loop {
    if (e == 0u) { break; }
    if ((e & 1u) != 0u) { result = result * base; }
    e = e >> 1u;
    base = base * base;
  }
  return result;
}
`;

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Float expressions of `x` for every unary op (the CPU's UNARY_EXPR, in WGSL). */
const UNARY_FLOAT: Record<Exclude<UnaryOp, 'logicalNot'>, string> = {
  neg: '-x',
  abs: 'abs(x)',
  sign: 'select(select(x, -1.0, x < 0.0), 1.0, x > 0.0)',
  exp: 'expF(x)',
  expm1: 'expm1F(x)',
  log: 'logF(x)',
  log1p: 'log1pF(x)',
  sqrt: 'sqrtF(x)',
  rsqrt: '1.0 / sqrtF(x)',
  reciprocal: '1.0 / x',
  square: 'x * x',
  sin: 'sin(x)',
  cos: 'cos(x)',
  tanh: 'tanhF(x)',
  sigmoid: 'sigmoidF(x)',
  logSigmoid: 'logSigmoidF(x)',
  relu: 'select(select(0.0, x, isNan(x)), x, x > 0.0)',
  gelu: '0.5 * x * (1.0 + erfF(x * 0.70710678118654752))',
  geluTanh: `0.5 * x * (1.0 + tanhF(${SQRT_2_OVER_PI} * (x + 0.044715 * x * x * x)))`,
  silu: 'siluF(x)',
  softplus: 'select(log1pF(expF(x)), x, x > 20.0)',
  erf: 'erfF(x)',
  floor: 'floor(x)',
  ceil: 'ceil(x)',
  round: 'round(x)',
};

/** int32 expressions of the ops that keep int32 (the core casts the rest to float32 first). */
const UNARY_INT: Partial<Record<UnaryOp, string>> = {
  neg: '-x',
  abs: 'abs(x)',
  sign: 'sign(x)',
  square: 'x * x',
  floor: 'x',
  ceil: 'x',
  round: 'x',
};

/** A value of WGSL type `type` read as a number of the compute type (bool reads as i32). */
function computeType(type: WgslType): 'f32' | 'i32' {
  return type === 'f32' ? 'f32' : 'i32';
}

/** Whether a value of `type` counts as true (nonzero; NaN is false, as in JavaScript). */
function truthyExpression(value: string, type: WgslType): string {
  return type === 'f32' ? `truthy(${value})` : `${value} != ${type === 'i32' ? '0' : '0u'}`;
}

/** Writes `value` (a bool expression when `fromBool`) as the storage type of `dtype`. */
function storeExpression(value: string, type: WgslType, fromBool: boolean): string {
  if (fromBool) return type === 'f32' ? `select(0.0, 1.0, ${value})` : type === 'i32' ? `select(0, 1, ${value})` : `select(0u, 1u, ${value})`;
  return value;
}

/** Fills `count` elements with the same 32-bit pattern (the value stored as the dtype would hold it). */
export class FillProgram implements Program {
  readonly op = 'fill';
  readonly flat = true;
  readonly inputs: StorageBinding[] = [];
  readonly outputs: StorageBinding[];
  readonly uniforms: UniformField[] = [{ name: 'count', type: 'u32' }, { name: 'bits', type: 'u32' }];
  readonly uniformValues: number[];
  readonly workgroupSize = [FLAT_WORKGROUP_SIZE, 1, 1] as const;
  readonly dispatch: [number, number, number];
  readonly key: string;
  private readonly vec4: boolean;

  constructor(count: number, bits: number) {
    this.vec4 = vectorizable(count);
    this.outputs = [{ name: 'out', type: 'u32', vec4: this.vec4 }];
    this.uniformValues = [this.vec4 ? count / 4 : count, bits];
    this.dispatch = flatDispatch(count);
    this.key = `fill${this.vec4 ? '4' : ''}`;
  }

  main(): string {
    return `fn run(index: u32) { out[index] = ${this.vec4 ? 'vec4<u32>(u.bits)' : 'u.bits'}; }`;
  }
}

/** Converts between dtypes: float → int32 truncates toward zero (NaN → 0), anything → bool tests nonzero. */
export class CastProgram implements Program {
  readonly op = 'cast';
  readonly key: string;
  readonly flat = true;
  readonly inputs: StorageBinding[];
  readonly outputs: StorageBinding[];
  readonly uniforms: UniformField[] = [{ name: 'count', type: 'u32' }];
  readonly uniformValues: number[];
  readonly workgroupSize = [FLAT_WORKGROUP_SIZE, 1, 1] as const;
  readonly dispatch: [number, number, number];

  constructor(count: number, private readonly from: DType, private readonly to: DType) {
    this.key = `cast_${from}_${to}`;
    this.inputs = [{ name: 'x', type: wgslType(from) }];
    this.outputs = [{ name: 'out', type: wgslType(to) }];
    this.uniformValues = [count];
    this.dispatch = flatDispatch(count);
  }

  main(): string {
    const from = wgslType(this.from);
    const to = wgslType(this.to);
    let expression: string;
    if (this.to === 'bool') expression = `select(0u, 1u, ${truthyExpression('x[index]', from)})`;
    else if (from === to) expression = 'x[index]';
    else if (to === 'i32' && from === 'f32') expression = 'select(i32(trunc(x[index])), 0, isNan(x[index]))';
    else expression = `${to}(x[index])`;
    return `fn run(index: u32) { out[index] = ${expression}; }`;
  }
}

/** One unary op over `count` elements (four per thread as vec4 when the count allows). */
export class UnaryProgram implements Program {
  readonly key: string;
  readonly flat = true;
  readonly inputs: StorageBinding[];
  readonly outputs: StorageBinding[];
  readonly uniforms: UniformField[] = [{ name: 'count', type: 'u32' }];
  readonly uniformValues: number[];
  readonly workgroupSize = [FLAT_WORKGROUP_SIZE, 1, 1] as const;
  readonly dispatch: [number, number, number];
  private readonly vec4: boolean;

  constructor(readonly op: UnaryOp, count: number, private readonly dtype: DType) {
    this.vec4 = vectorizable(count);
    this.key = `unary_${op}_${dtype}${this.vec4 ? '_vec4' : ''}`;
    this.inputs = [{ name: 'input', type: wgslType(dtype), vec4: this.vec4 }];
    this.outputs = [{ name: 'out', type: op === 'logicalNot' ? 'u32' : wgslType(dtype), vec4: this.vec4 }];
    this.uniformValues = [this.vec4 ? count / 4 : count];
    this.dispatch = flatDispatch(count);
  }

  main(): string {
    const type = wgslType(this.dtype);
    const outType = this.outputs[0].type;
    const compute = computeType(type);
    let expression: string;
    if (this.op === 'logicalNot') expression = `select(1u, 0u, ${truthyExpression('x', compute)})`;
    else {
      const found = compute === 'f32' ? UNARY_FLOAT[this.op] : UNARY_INT[this.op];
      if (!found) throw new Error(`webgpu: unary op '${this.op}' is not defined for dtype ${this.dtype}`);
      expression = outType === 'u32' ? `u32(${found})` : found;
    }
    const load = (v: string) => (type === 'u32' ? `i32(${v})` : v);
    const store = this.vec4 ? perComponent(outType, (c) => `element(${load(`v.${c}`)})`) : `element(${load('input[index]')})`;
    return `${compute === 'f32' ? MATH_HELPERS : MATH_HELPERS_INT_ONLY}
fn element(x: ${compute}) -> ${outType} { return ${expression}; }
fn run(index: u32) {
  ${this.vec4 ? 'let v = input[index];' : ''}
  out[index] = ${store};
}`;
  }
}

/** The integer helpers alone (the float helpers would be dead code in int kernels). */
const MATH_HELPERS_INT_ONLY = MATH_HELPERS.slice(MATH_HELPERS.indexOf('fn modI'));

const COMPARISON_OPS: ReadonlySet<BinaryOp> = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr']);

/** The expression of a binary op on `a`, `b` of compute type `type` (f32 or i32); comparisons give bool. */
function binaryExpression(op: BinaryOp, type: 'f32' | 'i32'): string {
  const float = type === 'f32';
  const nanGuard = (e: string) => (float ? `(${e} && !isNan(a) && !isNan(b))` : e);
  switch (op) {
    case 'add': return 'a + b';
    case 'sub': return 'a - b';
    case 'mul': return 'a * b';
    case 'div': return 'a / b';
    case 'pow': return float ? 'powF(a, b)' : 'powI(a, b)';
    case 'maximum': return float ? 'select(b, a, a > b || isNan(a))' : 'max(a, b)';
    case 'minimum': return float ? 'select(b, a, a < b || isNan(a))' : 'min(a, b)';
    case 'mod': return float ? 'modF(a, b)' : 'modI(a, b)';
    case 'eq': return nanGuard('a == b');
    case 'ne': return float ? '(a != b || isNan(a) || isNan(b))' : 'a != b';
    case 'lt': return nanGuard('a < b');
    case 'le': return nanGuard('a <= b');
    case 'gt': return nanGuard('a > b');
    case 'ge': return nanGuard('a >= b');
    case 'logicalAnd': return `(${truthyExpression('a', type)} && ${truthyExpression('b', type)})`;
    case 'logicalOr': return `(${truthyExpression('a', type)} || ${truthyExpression('b', type)})`;
    case 'tanhBackward': return 'a * (1.0 - b * b)';
    case 'sigmoidBackward': return 'a * b * (1.0 - b)';
    case 'reluBackward': return float ? 'select(0.0, a, b > 0.0 && !isNan(b))' : 'select(0, a, b > 0)';
    case 'geluTanhBackward': return `a * geluTanhDerivative(b)`;
  }
}

/** Reads operand `name` at its index for the layout: the output index, element 0, or `<name>Index`. */
function operandLoad(name: string, layout: OperandLayout, type: WgslType): string {
  const index = layout === 'contiguous' ? 'index' : layout === 'scalar' ? '0u' : `${name}Index`;
  const load = `${name}[${index}]`;
  return type === 'u32' ? `i32(${load})` : load;
}

/**
 * A binary op with broadcasting. Dims are merged first (`collapseDims`), so same-shape operands,
 * a bias row, or a scalar tensor read without index arithmetic; a JavaScript-number operand is a uniform.
 */
export class BinaryProgram implements Program {
  readonly key: string;
  readonly flat = true;
  readonly inputs: StorageBinding[];
  readonly outputs: StorageBinding[];
  readonly uniforms: UniformField[];
  readonly uniformValues: number[];
  readonly workgroupSize = [FLAT_WORKGROUP_SIZE, 1, 1] as const;
  readonly dispatch: [number, number, number];
  private readonly layouts: OperandLayout[];
  private readonly indexer: StridedIndexer | null;
  private readonly scalarB: boolean;
  private readonly vec4: boolean;

  constructor(readonly op: BinaryOp, aShape: readonly number[], bShape: readonly number[] | null, outShape: readonly number[], private readonly inDtype: DType, private readonly outDtype: DType, scalar?: number) {
    const count = outShape.reduce((p, d) => p * d, 1);
    const inType = wgslType(inDtype);
    this.scalarB = bShape === null;
    const operandShapes = this.scalarB ? [aShape] : [aShape, bShape as readonly number[]];
    const merged = collapseDims(outShape, operandShapes.map((s) => broadcastStrides(s, outShape)));
    this.layouts = merged.strides.map((s) => operandLayout(merged.shape, s));
    const strided = this.layouts.map((layout, i) => ({ layout, name: i === 0 ? 'a' : 'b', strides: merged.strides[i] })).filter((o) => o.layout === 'strided');
    this.indexer = strided.length > 0 ? new StridedIndexer(merged.shape, strided) : null;
    // Four elements per thread as vec4 when no operand needs index arithmetic.
    this.vec4 = !this.indexer && vectorizable(count);
    this.inputs = [{ name: 'a', type: inType, vec4: this.vec4 && this.layouts[0] === 'contiguous' }];
    if (!this.scalarB) this.inputs.push({ name: 'b', type: inType, vec4: this.vec4 && this.layouts[1] === 'contiguous' });
    this.outputs = [{ name: 'out', type: wgslType(outDtype), vec4: this.vec4 }];
    this.uniforms = [{ name: 'count', type: 'u32' }];
    this.uniformValues = [this.vec4 ? count / 4 : count];
    if (this.scalarB) {
      this.uniforms.push({ name: 'scalar', type: computeType(inType) });
      this.uniformValues.push(inType === 'f32' ? (scalar as number) : (scalar as number) | 0);
    }
    if (this.indexer) {
      this.uniforms.push(...this.indexer.fields);
      this.uniformValues.push(...this.indexer.values);
    }
    this.key = `binary_${op}_${inDtype}_${outDtype}_${this.scalarB ? 'scalar' : ''}${this.layouts.join('_')}_${merged.shape.length}${this.vec4 ? '_vec4' : ''}`;
    this.dispatch = flatDispatch(count);
  }

  main(): string {
    const inType = wgslType(this.inDtype);
    const type = computeType(inType);
    const outType = wgslType(this.outDtype);
    const expression = binaryExpression(this.op, type);
    const value = COMPARISON_OPS.has(this.op) ? storeExpression(expression, outType, true) : outType === 'u32' ? `u32(${expression})` : expression;
    const element = `fn element(a: ${type}, b: ${type}) -> ${outType} { return ${value}; }`;
    const helpers = type === 'f32' ? MATH_HELPERS : MATH_HELPERS_INT_ONLY;
    if (this.vec4) {
      // Contiguous operands load a vec4; a one-element operand or a number is the same in every lane.
      const lane = (name: 'a' | 'b', i: number, c: string) => {
        if (name === 'b' && this.scalarB) return 'u.scalar';
        const raw = this.layouts[i] === 'contiguous' ? `${name}4.${c}` : `${name}[0]`;
        return inType === 'u32' ? `i32(${raw})` : raw;
      };
      const loads = [this.layouts[0] === 'contiguous' ? 'let a4 = a[index];' : '', !this.scalarB && this.layouts[1] === 'contiguous' ? 'let b4 = b[index];' : ''];
      return `${helpers}
${element}
fn run(index: u32) {
  ${loads.join('\n  ')}
  out[index] = ${perComponent(outType, (c) => `element(${lane('a', 0, c)}, ${lane('b', 1, c)})`)};
}`;
    }
    const a = operandLoad('a', this.layouts[0], inType);
    const b = this.scalarB ? 'u.scalar' : operandLoad('b', this.layouts[1], inType);
    return `${helpers}
${element}
fn run(index: u32) {
  ${this.indexer ? this.indexer.code() : ''}
  out[index] = element(${a}, ${b});
}`;
  }
}

/** where(condition, a, b) with broadcasting of all three operands; the condition is bool (the core casts it). */
export class WhereProgram implements Program {
  readonly op = 'where';
  readonly key: string;
  readonly flat = true;
  readonly inputs: StorageBinding[];
  readonly outputs: StorageBinding[];
  readonly uniforms: UniformField[];
  readonly uniformValues: number[];
  readonly workgroupSize = [FLAT_WORKGROUP_SIZE, 1, 1] as const;
  readonly dispatch: [number, number, number];
  private readonly layouts: OperandLayout[];
  private readonly indexer: StridedIndexer | null;

  constructor(conditionShape: readonly number[], aShape: readonly number[], bShape: readonly number[], outShape: readonly number[], dtype: DType) {
    const count = outShape.reduce((p, d) => p * d, 1);
    const type = wgslType(dtype);
    const names = ['c', 'a', 'b'];
    const merged = collapseDims(outShape, [conditionShape, aShape, bShape].map((s) => broadcastStrides(s, outShape)));
    this.layouts = merged.strides.map((s) => operandLayout(merged.shape, s));
    const strided = this.layouts.map((layout, i) => ({ layout, name: names[i], strides: merged.strides[i] })).filter((o) => o.layout === 'strided');
    this.indexer = strided.length > 0 ? new StridedIndexer(merged.shape, strided) : null;
    this.inputs = [{ name: 'c', type: 'u32' }, { name: 'a', type }, { name: 'b', type }];
    this.outputs = [{ name: 'out', type }];
    this.uniforms = [{ name: 'count', type: 'u32' }, ...(this.indexer?.fields ?? [])];
    this.uniformValues = [count, ...(this.indexer?.values ?? [])];
    this.key = `where_${type}_${this.layouts.join('_')}_${merged.shape.length}`;
    this.dispatch = flatDispatch(count);
  }

  main(): string {
    const index = (name: string, i: number) => (this.layouts[i] === 'contiguous' ? 'index' : this.layouts[i] === 'scalar' ? '0u' : `${name}Index`);
    return `fn run(index: u32) {
  ${this.indexer ? this.indexer.code() : ''}
  out[index] = select(b[${index('b', 2)}], a[${index('a', 1)}], ${truthyExpression(`c[${index('c', 0)}]`, this.inputs[0].type)});
}`;
  }
}
