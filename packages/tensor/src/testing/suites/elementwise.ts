// Elementwise ops: every unary op and activation, arithmetic with broadcasting and scalar
// operands, dtype promotion, comparisons and logical ops, where and clamp — forward values
// against float64 references and gradients against central differences.

import {
  abs,
  add,
  ceil,
  clamp,
  clone,
  cos,
  div,
  eq,
  erf,
  exp,
  expm1,
  floor,
  ge,
  gelu,
  gt,
  le,
  log,
  log1p,
  logSigmoid,
  logicalAnd,
  logicalNot,
  logicalOr,
  lt,
  maximum,
  minimum,
  mul,
  ne,
  neg,
  pow,
  reciprocal,
  relu,
  remainder,
  round,
  rsqrt,
  rsub,
  sigmoid,
  sign,
  silu,
  sin,
  softplus,
  sqrt,
  square,
  sub,
  tanh,
  tensor,
  toDtype,
  where,
  type Tensor,
} from '../../index.js';
import type { InputSpec, SuiteContext } from '../context.js';
import * as R from '../reference.js';
import { bool, check, int } from './helpers.js';

type Unary = (x: Tensor) => Tensor;

/** Unary ops: the op, its float64 definition, and the domain its inputs are drawn from. */
const UNARY: readonly { name: string; fn: Unary; ref: (v: number) => number; input?: Partial<InputSpec> }[] = [
  { name: 'neg', fn: neg, ref: (v) => -v },
  { name: 'abs', fn: abs, ref: Math.abs, input: { avoid: [0], margin: 0.1 } },
  { name: 'sign (zero gradient)', fn: sign, ref: R.scalar.sign, input: { avoid: [0], margin: 0.1 } },
  { name: 'exp', fn: exp, ref: Math.exp },
  { name: 'expm1', fn: expm1, ref: Math.expm1 },
  { name: 'log', fn: log, ref: Math.log, input: { low: 0.1, high: 3 } },
  { name: 'log1p', fn: log1p, ref: Math.log1p, input: { low: -0.5, high: 2 } },
  { name: 'sqrt', fn: sqrt, ref: Math.sqrt, input: { low: 0.1, high: 3 } },
  { name: 'rsqrt', fn: rsqrt, ref: R.scalar.rsqrt, input: { low: 0.2, high: 3 } },
  { name: 'reciprocal', fn: reciprocal, ref: R.scalar.reciprocal, input: { avoid: [0], margin: 0.3 } },
  { name: 'square', fn: square, ref: R.scalar.square },
  { name: 'sin', fn: sin, ref: Math.sin, input: { low: -4, high: 4 } },
  { name: 'cos', fn: cos, ref: Math.cos, input: { low: -4, high: 4 } },
  { name: 'tanh', fn: tanh, ref: Math.tanh },
  { name: 'sigmoid', fn: sigmoid, ref: R.scalar.sigmoid, input: { low: -6, high: 6 } },
  { name: 'logSigmoid', fn: logSigmoid, ref: R.scalar.logSigmoid, input: { low: -6, high: 6 } },
  { name: 'relu', fn: relu, ref: R.scalar.relu, input: { avoid: [0], margin: 0.1 } },
  { name: 'gelu (exact, erf form)', fn: (x) => gelu(x), ref: R.scalar.gelu, input: { low: -3, high: 3 } },
  { name: "gelu (GPT-2's tanh form)", fn: (x) => gelu(x, 'tanh'), ref: R.scalar.geluTanh, input: { low: -3, high: 3 } },
  { name: 'silu', fn: silu, ref: R.scalar.silu, input: { low: -5, high: 5 } },
  { name: 'softplus (below and above the threshold 20)', fn: softplus, ref: R.scalar.softplus, input: { shape: [7], values: [-4, -0.5, 0.75, 3, 19.5, 20.5, 25] } },
  { name: 'erf', fn: erf, ref: R.erf, input: { low: -2.5, high: 2.5 } },
  { name: 'floor (zero gradient)', fn: floor, ref: Math.floor, input: { avoid: [-2, -1, 0, 1, 2], margin: 0.05 } },
  { name: 'ceil (zero gradient)', fn: ceil, ref: Math.ceil, input: { avoid: [-2, -1, 0, 1, 2], margin: 0.05 } },
  { name: 'round (zero gradient)', fn: round, ref: R.scalar.round, input: { avoid: [-1.5, -0.5, 0.5, 1.5], margin: 0.05 } },
];

type Binary = (a: Tensor, b: Tensor) => Tensor;

const BINARY: readonly { name: string; fn: Binary; ref: (a: number, b: number) => number; b?: Partial<InputSpec> }[] = [
  { name: 'add', fn: add, ref: (a, b) => a + b },
  { name: 'sub', fn: sub, ref: (a, b) => a - b },
  { name: 'mul', fn: mul, ref: (a, b) => a * b },
  { name: 'div', fn: div, ref: (a, b) => a / b, b: { avoid: [0], margin: 0.4 } },
  { name: 'maximum', fn: maximum, ref: Math.max },
  { name: 'minimum', fn: minimum, ref: Math.min },
];

/** Broadcasting cases: same shape, trailing vector, both sides stretched, 0-d, column × row. */
const BROADCAST_SHAPES: readonly [string, number[], number[]][] = [
  ['same shape', [2, 3], [2, 3]],
  ['[2, 3] with [3]', [2, 3], [3]],
  ['[2, 1, 3] with [4, 1]', [2, 1, 3], [4, 1]],
  ['0-d with [2, 3]', [], [2, 3]],
  ['[3, 1] with [1, 4]', [3, 1], [1, 4]],
];

export function elementwiseTests(t: SuiteContext): void {
  t.group('elementwise', () => {
    for (const { name, fn, ref, input } of UNARY) {
      t.op(name, [{ shape: [2, 5], ...input }], fn, (x) => R.map(x, ref));
    }
    t.op('clamp(min, max)', [{ shape: [3, 4], avoid: [-0.5, 0.8], margin: 0.05 }], (x) => clamp(x, -0.5, 0.8), (x) => R.map(x, (v) => Math.min(Math.max(v, -0.5), 0.8)));
    t.op('clamp(min only)', [{ shape: [6], avoid: [0.3], margin: 0.05 }], (x) => clamp(x, 0.3), (x) => R.map(x, (v) => Math.max(v, 0.3)));
    t.op('clamp(max only)', [{ shape: [6], avoid: [-0.2], margin: 0.05 }], (x) => clamp(x, null, -0.2), (x) => R.map(x, (v) => Math.min(v, -0.2)));
    t.op('pow(x, 3)', [{ shape: [5] }], (x) => pow(x, 3), (x) => R.map(x, (v) => v ** 3));
    t.op('pow(x, 0.5) and pow(x, -1.5)', [{ shape: [5], low: 0.2, high: 3 }], (x) => add(pow(x, 0.5), pow(x, -1.5)), (x) => R.map(x, (v) => v ** 0.5 + v ** -1.5));
    t.op('pow(a, b) with tensor exponent, broadcast', [{ shape: [2, 3], low: 0.2, high: 3 }, { shape: [3], low: -2, high: 2 }], pow, (a, b) => R.zip(a, b, (x, y) => x ** y));
    t.op('remainder(x, 1.5) (gradient 1 w.r.t. x)', [{ shape: [6], low: -4, high: 4, avoid: [-3, -1.5, 0, 1.5, 3], margin: 0.05 }], (x) => remainder(x, 1.5), (x) => R.map(x, (v) => R.scalar.remainder(v, 1.5)));
    t.op('remainder(a, b) with a tensor divisor', [{ shape: [4], values: [-3.7, -1.2, 2.5, 5.3] }, { shape: [4], values: [1.5, -2.5, 0.7, 2] }], remainder, (a, b) => R.zip(a, b, R.scalar.remainder));

    for (const { name, fn, ref, b } of BINARY) {
      for (const [label, aShape, bShape] of BROADCAST_SHAPES) {
        t.op(`${name}: ${label}`, [{ shape: aShape }, { shape: bShape, ...b }], fn, (x, y) => R.zip(x, y, ref));
      }
    }
    t.op('scalar operands: x + 2.5, x − 1, x·(−3), x / 4, 3 − x', [{ shape: [2, 2] }], (x) => add(add(add(add(add(x, 2.5), sub(x, 1)), mul(x, -3)), div(x, 4)), rsub(x, 3)), (x) =>
      R.map(x, (v) => v + 2.5 + (v - 1) + v * -3 + v / 4 + (3 - v)),
    );
    t.op('one operand used as both inputs: x·x + x / x', [{ shape: [4], avoid: [0], margin: 0.3 }], (x) => add(mul(x, x), div(x, x)), (x) => R.map(x, (v) => v * v + 1));
    t.op('where(cond, a, b) with broadcasting', [{ shape: [2, 3] }, { shape: [3] }], (a, b) => where(bool([[true], [false]]), a, b), (a, b) => R.where(R.array64([2, 1], [1, 0]), a, b));
    t.op('where with a scalar branch', [{ shape: [4] }], (x) => where(bool([true, false, false, true]), x, 0.5), (x) => R.where(R.array64([4], [1, 0, 0, 1]), x, 0.5));
    t.op('clone passes the gradient through', [{ shape: [3] }], (x) => mul(clone(x), 2), (x) => R.map(x, (v) => 2 * v));

    t.test('maximum/minimum split the gradient evenly at ties', async () => {
      const a = tensor([1, 2, 3], { requiresGrad: true });
      const b = tensor([1, 3, 2], { requiresGrad: true });
      maximum(a, b).sum().backward();
      await t.close(a.grad!, [0.5, 0, 1]);
      await t.close(b.grad!, [0.5, 1, 0]);
      const c = tensor([1, 2, 3], { requiresGrad: true });
      minimum(c, 2).sum().backward();
      await t.close(c.grad!, [1, 0.5, 0]);
    });
    t.test('maximum/minimum propagate NaN', async () => {
      await t.close(maximum(tensor([NaN, 1, 2]), tensor([1, NaN, 0])), [NaN, NaN, 2]);
      await t.close(minimum(tensor([NaN, 1, 2]), tensor([1, NaN, 0])), [NaN, NaN, 0]);
    });
    t.test('round is half-to-even; floor/ceil/round/sign keep int32', async () => {
      await t.close(round(tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4, -2.6])), [-2, -2, -0, 0, 2, 2, 2, -3], { atol: 0 });
      await t.close(floor(tensor([-1.5, 1.5])), [-2, 1], { atol: 0 });
      await t.close(ceil(tensor([-1.5, 1.5])), [-1, 2], { atol: 0 });
      await t.close(sign(int([-3, 0, 4])), [-1, 0, 1], { dtype: 'int32', atol: 0 });
      await t.close(abs(int([-3, 4])), [3, 4], { dtype: 'int32', atol: 0 });
      await t.close(neg(int([-3, 4])), [3, -4], { dtype: 'int32', atol: 0 });
    });
    t.test('activations stay finite and exact at large |x|', async () => {
      await t.close(sigmoid(tensor([-100, 100])), [0, 1], { atol: 1e-30 });
      await t.close(logSigmoid(tensor([-100, 100, -1000])), [-100, 0, -1000], { atol: 1e-30 });
      await t.close(softplus(tensor([100, -100])), [100, 0], { atol: 1e-30 });
      await t.close(tanh(tensor([-50, 50])), [-1, 1], { atol: 0 });
      await t.close(silu(tensor([-100, 100])), [0, 100], { atol: 1e-30 });
      await t.close(exp(tensor([-Infinity, 0])), [0, 1], { atol: 0 });
      await t.close(log(tensor([0, -1])), [-Infinity, NaN]);
    });
    t.test('gelu matches published values', async () => {
      // PyTorch: F.gelu(tensor([1., -1., 2.])) and approximate='tanh'.
      await t.close(gelu(tensor([1, -1, 2])), [0.8413447460685429, -0.15865525393145707, 1.9544997361036416]);
      await t.close(gelu(tensor([1, -1, 2]), 'tanh'), [0.8411919906082768, -0.15880800939172324, 1.9545976940871865]);
    });
    t.test('erf keeps float32 relative accuracy near 0', async () => {
      const xs = [1e-6, 1e-4, 1e-2];
      await t.close(erf(tensor(xs)), xs.map(R.erf), { rtol: 1e-5, atol: 0 });
    });

    t.test('dtype promotion: int32 with float32, int32 with int32, scalars', async () => {
      const i = int([1, 2, 3]);
      const f = tensor([0.5, 0.5, 0.5]);
      await t.close(add(i, f), [1.5, 2.5, 3.5], { dtype: 'float32' });
      await t.close(mul(f, i), [0.5, 1, 1.5], { dtype: 'float32' });
      await t.close(add(i, i), [2, 4, 6], { dtype: 'int32', atol: 0 });
      await t.close(add(i, 2), [3, 4, 5], { dtype: 'int32', atol: 0 });
      await t.close(add(i, 2.5), [3.5, 4.5, 5.5], { dtype: 'float32' });
      await t.close(mul(bool([true, false, true]), f), [0.5, 0, 0.5], { dtype: 'float32' });
    });
    t.test('true division: int32 / int32 and int32 / integer scalar are float32', async () => {
      await t.close(div(int([7, -7, 1]), int([2, 2, 3])), [3.5, -3.5, 1 / 3], { dtype: 'float32' });
      await t.close(div(int([7, 1]), 2), [3.5, 0.5], { dtype: 'float32' });
    });
    t.test('comparisons give bool, with broadcasting and scalars', async () => {
      const a = tensor([[1, 2, 3]]);
      const b = tensor([[2], [1]]);
      const cases: [(x: Tensor, y: Tensor) => Tensor, number[][]][] = [
        [eq, [[0, 1, 0], [1, 0, 0]]],
        [ne, [[1, 0, 1], [0, 1, 1]]],
        [lt, [[1, 0, 0], [0, 0, 0]]],
        [le, [[1, 1, 0], [1, 0, 0]]],
        [gt, [[0, 0, 1], [0, 1, 1]]],
        [ge, [[0, 1, 1], [1, 1, 1]]],
      ];
      for (const [op, expected] of cases) await t.close(op(a, b), expected, { dtype: 'bool', atol: 0, label: op.name });
      await t.close(gt(tensor([0.5, 2.5]), 2), [0, 1], { dtype: 'bool', atol: 0 });
      await t.close(eq(int([1, 2]), tensor([1, 2.5])), [1, 0], { dtype: 'bool', atol: 0 });
      await t.close(lt(int([1, 2]), 1.5), [1, 0], { dtype: 'bool', atol: 0 });
    });
    t.test('logicalAnd/Or/Not on bool and on numbers (nonzero is true)', async () => {
      const p = bool([true, true, false, false]);
      const q = bool([true, false, true, false]);
      await t.close(logicalAnd(p, q), [1, 0, 0, 0], { dtype: 'bool', atol: 0 });
      await t.close(logicalOr(p, q), [1, 1, 1, 0], { dtype: 'bool', atol: 0 });
      await t.close(logicalNot(p), [0, 0, 1, 1], { dtype: 'bool', atol: 0 });
      await t.close(logicalAnd(tensor([2, 0, -1]), tensor([1, 1, 0])), [1, 0, 0], { dtype: 'bool', atol: 0 });
      await t.close(logicalNot(tensor([0, 0.5])), [1, 0], { dtype: 'bool', atol: 0 });
    });
    t.test('toDtype: float → int32 truncates toward zero, → bool tests nonzero, bool → float32', async () => {
      await t.close(toDtype(tensor([1.7, -1.7, 0.2]), 'int32'), [1, -1, 0], { dtype: 'int32', atol: 0 });
      await t.close(toDtype(tensor([0, -0.5, 3]), 'bool'), [0, 1, 1], { dtype: 'bool', atol: 0 });
      await t.close(toDtype(bool([true, false]), 'float32'), [1, 0], { dtype: 'float32', atol: 0 });
      await t.close(tensor([1.5]).int(), [1], { dtype: 'int32', atol: 0 });
    });
    t.test('where with a non-bool condition and int branches', async () => {
      await t.close(where(tensor([0, 2, -1]), int([1, 2, 3]), int([7, 8, 9])), [7, 2, 3], { dtype: 'int32', atol: 0 });
      await t.close(where(bool([true, false]), 1.5, int([4, 5])), [1.5, 5], { dtype: 'float32' });
    });
    t.test('ops on non-float inputs do not require grad and float math on int32 gives float32', async () => {
      const x = exp(int([0, 1]));
      check(x.dtype === 'float32' && !x.requiresGrad, `exp(int32): dtype ${x.dtype}`);
      await t.close(x, [1, Math.E]);
      await t.close(sqrt(int([4, 9])), [2, 3], { dtype: 'float32' });
    });
  });
}
