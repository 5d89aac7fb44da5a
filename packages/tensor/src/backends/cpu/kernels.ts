// Plain-JavaScript element loops for the CPU backend, specialised per op.
// Each op's loop is generated once from a small expression so that V8 sees one monomorphic
// loop per op (a shared loop calling a per-op closure would be several times slower).

import type { BinaryOp, ReduceOp, UnaryOp } from '../../backend.js';
import type { TypedArray } from '../../dtype.js';

/**
 * erf(x) to float32 accuracy: the Maclaurin series for |x| < 0.5 (good relative error near 0), else
 * Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7).
 */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  if (ax > 6) return sign;
  if (ax < 0.5) {
    const x2 = x * x;
    return 1.1283791670955126 * x * (1 + x2 * (-1 / 3 + x2 * (1 / 10 + x2 * (-1 / 42 + x2 * (1 / 216 + x2 * (-1 / 1320 + x2 / 9360))))));
  }
  const t = 1 / (1 + 0.3275911 * ax);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign * (1 - poly * Math.exp(-ax * ax));
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Expressions of `x` for every unary op. */
const UNARY_EXPR: Record<UnaryOp, string> = {
  neg: '-x',
  abs: 'Math.abs(x)',
  sign: 'x > 0 ? 1 : x < 0 ? -1 : x',
  exp: 'Math.exp(x)',
  expm1: 'Math.expm1(x)',
  log: 'Math.log(x)',
  log1p: 'Math.log1p(x)',
  sqrt: 'Math.sqrt(x)',
  rsqrt: '1 / Math.sqrt(x)',
  reciprocal: '1 / x',
  square: 'x * x',
  sin: 'Math.sin(x)',
  cos: 'Math.cos(x)',
  tanh: 'tanhRational(x)',
  sigmoid: 'sigmoidOf(x)',
  logSigmoid: '(x >= 0 ? 0 : x) - Math.log1p(Math.exp(-Math.abs(x)))',
  relu: 'x > 0 ? x : (x === x ? 0 : x)',
  gelu: '0.5 * x * (1 + erf(x * Math.SQRT1_2))',
  geluTanh: `0.5 * x * (1 + tanhRational(${SQRT_2_OVER_PI} * (x + 0.044715 * x * x * x)))`,
  silu: 'x * sigmoidOf(x)',
  // PyTorch's softplus with beta = 1, threshold = 20 (linear above the threshold).
  softplus: 'x > 20 ? x : Math.log1p(Math.exp(x))',
  erf: 'erf(x)',
  floor: 'Math.floor(x)',
  ceil: 'Math.ceil(x)',
  // round half to even, as torch.round
  round: 'roundHalfEven(x)',
  logicalNot: 'x ? 0 : 1',
};

/**
 * tanh for float32 results: a rational minimax approximation (the one Eigen uses for float), with
 * x clamped to ±9 where tanh rounds to ±1 in float32; max error ≈ 1 ulp, ~5× faster than Math.tanh.
 */
export function tanhRational(value: number): number {
  const x = value > 9 ? 9 : value < -9 ? -9 : value;
  const x2 = x * x;
  const p = x * (4.89352455891786e-3 + x2 * (6.37261928875436e-4 + x2 * (1.48572235717979e-5 + x2 * (5.12229709037114e-8 + x2 * (-8.60467152213735e-11 + x2 * (2.00018790482477e-13 + x2 * -2.76076847742355e-16))))));
  const q = 4.89352518554385e-3 + x2 * (2.268434632439e-3 + x2 * (1.18534705686654e-4 + x2 * 1.19825839466702e-6));
  return p / q;
}

/** The logistic sigmoid with one exp, accurate in both tails. */
export function sigmoidOf(x: number): number {
  const e = Math.exp(-Math.abs(x));
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

/**
 * d/dx of GPT-2's GELU 0.5·x·(1 + tanh(u)), u = √(2/π)(x + 0.044715x³):
 * 0.5(1 + t) + 0.5x(1 − t²)·√(2/π)(1 + 3·0.044715x²), t = tanh(u).
 */
export function geluTanhDerivative(x: number): number {
  const t = tanhRational(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Expressions of `a` and `b` for every binary op. */
const BINARY_EXPR: Record<BinaryOp, string> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  pow: 'Math.pow(a, b)',
  maximum: '(a > b || a !== a) ? a : b',
  minimum: '(a < b || a !== a) ? a : b',
  mod: 'a - Math.floor(a / b) * b',
  eq: 'a === b ? 1 : 0',
  ne: 'a !== b ? 1 : 0',
  lt: 'a < b ? 1 : 0',
  le: 'a <= b ? 1 : 0',
  gt: 'a > b ? 1 : 0',
  ge: 'a >= b ? 1 : 0',
  logicalAnd: 'a && b ? 1 : 0',
  logicalOr: 'a || b ? 1 : 0',
  tanhBackward: 'a * (1 - b * b)',
  sigmoidBackward: 'a * b * (1 - b)',
  reluBackward: 'b > 0 ? a : 0',
  geluTanhBackward: 'a * geluTanhDerivative(b)',
};

type UnaryLoop = (out: TypedArray, x: TypedArray, n: number) => void;
type BinaryLoops = {
  same: (out: TypedArray, a: TypedArray, b: TypedArray, n: number) => void;
  scalarB: (out: TypedArray, a: TypedArray, b: number, n: number) => void;
  scalarA: (out: TypedArray, a: number, b: TypedArray, n: number) => void;
  /** b repeats every `period` elements of a (a bias row added to every row). */
  rowB: (out: TypedArray, a: TypedArray, b: TypedArray, n: number, period: number) => void;
  /** a repeats every `period` elements of b. */
  rowA: (out: TypedArray, a: TypedArray, b: TypedArray, n: number, period: number) => void;
  strided: (out: TypedArray, a: TypedArray, b: TypedArray, shape: readonly number[], aStrides: readonly number[], bStrides: readonly number[]) => void;
};

const helpers = { erf, roundHalfEven, tanhRational, sigmoidOf, geluTanhDerivative };

function compile<T>(name: string, params: string[], body: string): T {
  // Named so that profiles show which op's loop is hot.
  const factory = new Function('helpers', `const { erf, roundHalfEven, tanhRational, sigmoidOf, geluTanhDerivative } = helpers; return function ${name}(${params.join(', ')}) {\n${body}\n};`);
  return factory(helpers) as T;
}

const unaryCache = new Map<UnaryOp, UnaryLoop>();
/** The element loop of a unary op. */
export function unaryLoop(op: UnaryOp): UnaryLoop {
  let loop = unaryCache.get(op);
  if (!loop) {
    loop = compile<UnaryLoop>(`unary_${op}`, ['out', 'src', 'n'], `for (let i = 0; i < n; i++) { const x = src[i]; out[i] = ${UNARY_EXPR[op]}; }`);
    unaryCache.set(op, loop);
  }
  return loop;
}

const binaryCache = new Map<BinaryOp, BinaryLoops>();
/** The element loops of a binary op: same shape, scalar operand, and general strided broadcasting. */
export function binaryLoops(op: BinaryOp): BinaryLoops {
  let loops = binaryCache.get(op);
  if (!loops) {
    const expr = BINARY_EXPR[op];
    loops = {
      same: compile(`${op}_same`, ['out', 'x', 'y', 'n'], `for (let i = 0; i < n; i++) { const a = x[i], b = y[i]; out[i] = ${expr}; }`),
      scalarB: compile(`${op}_scalarB`, ['out', 'x', 'b', 'n'], `for (let i = 0; i < n; i++) { const a = x[i]; out[i] = ${expr}; }`),
      scalarA: compile(`${op}_scalarA`, ['out', 'a', 'y', 'n'], `for (let i = 0; i < n; i++) { const b = y[i]; out[i] = ${expr}; }`),
      rowB: compile(`${op}_rowB`, ['out', 'x', 'y', 'n', 'period'], `for (let r = 0; r < n; r += period) { for (let i = 0; i < period; i++) { const a = x[r + i], b = y[i]; out[r + i] = ${expr}; } }`),
      rowA: compile(`${op}_rowA`, ['out', 'x', 'y', 'n', 'period'], `for (let r = 0; r < n; r += period) { for (let i = 0; i < period; i++) { const a = x[i], b = y[r + i]; out[r + i] = ${expr}; } }`),
      strided: compile(
        `${op}_strided`,
        ['out', 'x', 'y', 'shape', 'xs', 'ys'],
        `const rank = shape.length, last = rank - 1, inner = shape[last], n = out.length;
         const sa = xs[last], sb = ys[last];
         const index = new Array(rank).fill(0);
         for (let o = 0; o < n; o += inner) {
           let ap = 0, bp = 0;
           for (let d = 0; d < last; d++) { ap += index[d] * xs[d]; bp += index[d] * ys[d]; }
           for (let i = 0; i < inner; i++) { const a = x[ap + i * sa], b = y[bp + i * sb]; out[o + i] = ${expr}; }
           for (let d = last - 1; d >= 0; d--) { if (++index[d] < shape[d]) break; index[d] = 0; }
         }`,
      ),
    };
    binaryCache.set(op, loops);
  }
  return loops;
}

type ReduceLoop = (out: TypedArray, x: TypedArray, outer: number, size: number, inner: number) => void;
const REDUCE: Record<ReduceOp, { init: string; step: string }> = {
  sum: { init: '0', step: 'acc += v' },
  prod: { init: '1', step: 'acc *= v' },
  max: { init: '-Infinity', step: 'if (v > acc || v !== v) acc = v' },
  min: { init: 'Infinity', step: 'if (v < acc || v !== v) acc = v' },
};
const reduceCache = new Map<ReduceOp, ReduceLoop>();
/** The loop of a reduction over the middle axis of (outer, size, inner). Accumulates in float64. */
export function reduceLoop(op: ReduceOp): ReduceLoop {
  let loop = reduceCache.get(op);
  if (!loop) {
    const { init, step } = REDUCE[op];
    loop = compile<ReduceLoop>(
      `reduce_${op}`,
      ['out', 'x', 'outer', 'size', 'inner'],
      `if (inner === 1) {
         for (let o = 0; o < outer; o++) {
           let acc = ${init}; const base = o * size;
           for (let s = 0; s < size; s++) { const v = x[base + s]; ${step}; }
           out[o] = acc;
         }
         return;
       }
       for (let o = 0; o < outer; o++) {
         for (let i = 0; i < inner; i++) {
           let acc = ${init}; const base = o * size * inner + i;
           for (let s = 0; s < size; s++) { const v = x[base + s * inner]; ${step}; }
           out[o * inner + i] = acc;
         }
       }`,
    );
    reduceCache.set(op, loop);
  }
  return loop;
}
