// Elementwise activations and their fused gradients, four lanes at a time: the transcendental ops
// (tanh, GPT-2's GELU, sigmoid, exp) cost 10–40 ns per element as JavaScript Math calls, well
// above the cost of copying operands into this module's memory and back.

import { exp4 } from './simd';

// Rational minimax approximation of tanh for float32 (the one Eigen uses), on x clamped to ±9
// where tanh rounds to ±1: numerator x·P(x²) of degree 13, denominator Q(x²) of degree 6.
// @ts-ignore: decorator
@inline
function tanh4(value: v128): v128 {
  const x = f32x4.pmin(f32x4.pmax(value, f32x4.splat(-9.0)), f32x4.splat(9.0));
  const x2 = f32x4.mul(x, x);
  let p = f32x4.splat(-2.76076847742355e-16);
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(2.00018790482477e-13));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-8.60467152213735e-11));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(5.12229709037114e-8));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(1.48572235717979e-5));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(6.37261928875436e-4));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(4.89352455891786e-3));
  p = f32x4.mul(p, x);
  let q = f32x4.splat(1.19825839466702e-6);
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(1.18534705686654e-4));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(2.268434632439e-3));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(4.89352518554385e-3));
  return f32x4.div(p, q);
}

const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const GELU_CUBIC: f32 = 0.044715;

/**
 * σ(2u) with u = √(2/π)(x + 0.044715x³). GPT-2's GELU 0.5·x·(1 + tanh u) equals x·σ(2u); the
 * sigmoid form avoids the cancellation of 1 + tanh u in the negative tail.
 */
// @ts-ignore: decorator
@inline
function geluGate(x: v128): v128 {
  const cubic = f32x4.mul(f32x4.mul(x, x), f32x4.mul(x, f32x4.splat(GELU_CUBIC)));
  const minusTwoU = f32x4.mul(f32x4.add(x, cubic), f32x4.splat(-2 * SQRT_2_OVER_PI));
  const one = f32x4.splat(1.0);
  return f32x4.div(one, f32x4.add(one, exp4(minusTwoU)));
}

/** Op codes of `unary`, shared with the JavaScript side. */
const UNARY_TANH = 0;
const UNARY_SIGMOID = 1;
const UNARY_GELU_TANH = 2;
const UNARY_EXP = 3;

// @ts-ignore: decorator
@inline
function unary4(op: i32, x: v128): v128 {
  const one = f32x4.splat(1.0);
  if (op == UNARY_TANH) return tanh4(x);
  if (op == UNARY_SIGMOID) return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
  if (op == UNARY_GELU_TANH) return f32x4.mul(x, geluGate(x));
  return exp4(x);
}

/** out[i] = op(x[i]) for i < count; out may alias x. Pointers are 16-byte aligned by the caller. */
export function unary(op: i32, x: usize, out: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const offset = <usize>i << 2;
    v128.store(out + offset, unary4(op, v128.load(x + offset)));
  }
  for (; i < count; i++) {
    const offset = <usize>i << 2;
    store<f32>(out + offset, f32x4.extract_lane(unary4(op, f32x4.splat(load<f32>(x + offset))), 0));
  }
}

/** Op codes of `activationBackward`, shared with the JavaScript side. */
const BACKWARD_TANH = 0;
const BACKWARD_SIGMOID = 1;
const BACKWARD_GELU_TANH = 2;

// @ts-ignore: decorator
@inline
function backward4(op: i32, g: v128, saved: v128): v128 {
  const one = f32x4.splat(1.0);
  // tanh: g·(1 − y²) with y the output; sigmoid: g·y·(1 − y).
  if (op == BACKWARD_TANH) return f32x4.mul(g, f32x4.sub(one, f32x4.mul(saved, saved)));
  if (op == BACKWARD_SIGMOID) return f32x4.mul(g, f32x4.mul(saved, f32x4.sub(one, saved)));
  // GELU (input x), with s = σ(2u): d/dx x·s = s + x·s(1 − s)·2u′, u′ = √(2/π)(1 + 3·0.044715x²)
  const s = geluGate(saved);
  const twoDu = f32x4.mul(f32x4.splat(2 * SQRT_2_OVER_PI), f32x4.add(one, f32x4.mul(f32x4.splat(3 * GELU_CUBIC), f32x4.mul(saved, saved))));
  const right = f32x4.mul(f32x4.mul(saved, f32x4.mul(s, f32x4.sub(one, s))), twoDu);
  return f32x4.mul(g, f32x4.add(s, right));
}

/** out[i] = activation gradient(g[i], saved[i]); out may alias g. */
export function activationBackward(op: i32, g: usize, saved: usize, out: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const offset = <usize>i << 2;
    v128.store(out + offset, backward4(op, v128.load(g + offset), v128.load(saved + offset)));
  }
  for (; i < count; i++) {
    const offset = <usize>i << 2;
    const value = backward4(op, f32x4.splat(load<f32>(g + offset)), f32x4.splat(load<f32>(saved + offset)));
    store<f32>(out + offset, f32x4.extract_lane(value, 0));
  }
}

/** x[r, :] += bias for each of `rows` rows of `cols` floats, in place (a linear layer's bias). */
export function addRowVector(x: usize, bias: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let row = 0; row < rows; row++) {
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const offset = <usize>j << 2;
      v128.store(x + offset, f32x4.add(v128.load(x + offset), v128.load(bias + offset)));
    }
    for (; j < cols; j++) {
      const offset = <usize>j << 2;
      store<f32>(x + offset, load<f32>(x + offset) + load<f32>(bias + offset));
    }
    x += rowBytes;
  }
}

/** Rows summed per block before joining the total, so float32 rounding grows with log(rows), not rows. */
const SUM_BLOCK_ROWS = 32;

/**
 * out[j] = Σ_r x[r, j] over `rows` rows of `cols` floats (a bias gradient). Partial sums of blocks of
 * 32 rows are added into `out`, which the caller zero-fills.
 */
export function sumRows(x: usize, out: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let start = 0; start < rows; start += SUM_BLOCK_ROWS) {
    const end = min(start + SUM_BLOCK_ROWS, rows);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const offset = <usize>j << 2;
      let block = f32x4.splat(0);
      let row = x + <usize>start * rowBytes + offset;
      for (let r = start; r < end; r++) {
        block = f32x4.add(block, v128.load(row));
        row += rowBytes;
      }
      v128.store(out + offset, f32x4.add(v128.load(out + offset), block));
    }
    for (; j < cols; j++) {
      const offset = <usize>j << 2;
      let block: f32 = 0;
      for (let r = start; r < end; r++) block += load<f32>(x + <usize>r * rowBytes + offset);
      store<f32>(out + offset, load<f32>(out + offset) + block);
    }
  }
}

/** Op codes of `binary`, shared with the JavaScript side. */
const BINARY_ADD = 0;
const BINARY_SUB = 1;
const BINARY_MUL = 2;

// @ts-ignore: decorator
@inline
function binary4(op: i32, a: v128, b: v128): v128 {
  if (op == BINARY_ADD) return f32x4.add(a, b);
  if (op == BINARY_SUB) return f32x4.sub(a, b);
  return f32x4.mul(a, b);
}

/**
 * out[i] = a[i] op b[i] for same-length float32 operands (add, sub, mul: one rounding each, so the
 * results equal JavaScript's double arithmetic rounded to float32); out may alias a or b.
 */
export function binary(op: i32, a: usize, b: usize, out: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const offset = <usize>i << 2;
    v128.store(out + offset, binary4(op, v128.load(a + offset), v128.load(b + offset)));
  }
  for (; i < count; i++) {
    const offset = <usize>i << 2;
    store<f32>(out + offset, f32x4.extract_lane(binary4(op, f32x4.splat(load<f32>(a + offset)), f32x4.splat(load<f32>(b + offset))), 0));
  }
}

/**
 * out = the runs of `inner` contiguous floats of x at offset + i0·t0 + i1·t1 + i2·t2 (floats) for
 * i0 < s0, i1 < s1, i2 < s2, in that order: a rank ≤ 4 strided copy whose last dim is contiguous
 * (the head split / merge permutes around attention).
 */
export function gatherRuns(x: usize, out: usize, offset: i32, s0: i32, s1: i32, s2: i32, t0: i32, t1: i32, t2: i32, inner: i32): void {
  const runBytes = <usize>inner << 2;
  for (let i0 = 0; i0 < s0; i0++) {
    for (let i1 = 0; i1 < s1; i1++) {
      let p = x + ((<usize>(offset + i0 * t0 + i1 * t1)) << 2);
      const step = <usize>t2 << 2;
      for (let i2 = 0; i2 < s2; i2++) {
        let j: usize = 0;
        for (; j + 16 <= runBytes; j += 16) v128.store(out + j, v128.load(p + j));
        for (; j < runBytes; j += 4) store<f32>(out + j, load<f32>(p + j));
        out += runBytes;
        p += step;
      }
    }
  }
}

/** Elements per item of an elementwise job split across threads. */
const JOB_BLOCK: i32 = 8192;

/**
 * Elements [itemStart · 8192, itemEnd · 8192) ∩ [0, count) of an elementwise job described by the
 * i32 words at `params`: kind (0 unary, 1 activationBackward), op code, x (or the gradient), saved
 * (backward only), out, count. Worker threads run it through matmulClaimRows.
 */
export function elementwiseJob(params: usize, itemStart: i32, itemEnd: i32): void {
  const kind = load<i32>(params), op = load<i32>(params, 4);
  const x = <usize>load<i32>(params, 8), saved = <usize>load<i32>(params, 12), out = <usize>load<i32>(params, 16);
  const count = load<i32>(params, 20);
  const start = itemStart * JOB_BLOCK;
  const end = min(count, itemEnd * JOB_BLOCK);
  if (start >= end) return;
  const offset = <usize>start << 2;
  if (kind == 0) unary(op, x + offset, out + offset, end - start);
  else activationBackward(op, x + offset, saved + offset, out + offset, end - start);
}
