// Row-wise softmax and log-softmax over the last dimension, and their backward passes.
// Every function walks `rows` contiguous rows of `cols` floats; vectors cover four columns at a
// time and a scalar tail the rest.

import { exp1, exp4, horizontalMax, horizontalSum } from './simd';

/** Largest element of one row. */
// @ts-ignore: decorator
@inline
function rowMax(x: usize, cols: i32): f32 {
  let j = 0;
  let best: f32 = -Infinity;
  if (cols >= 4) {
    let vectorBest = v128.load(x);
    // pmax is one instruction (max is seven); a NaN it drops still reaches every output through the sum.
    for (j = 4; j + 4 <= cols; j += 4) vectorBest = f32x4.pmax(vectorBest, v128.load(x + (<usize>j << 2)));
    best = horizontalMax(vectorBest);
  }
  for (; j < cols; j++) best = max(best, load<f32>(x + (<usize>j << 2)));
  return best;
}

/** Writes e^(x - shift) for one row to out and returns its sum. */
// @ts-ignore: decorator
@inline
function expShiftedRow(x: usize, out: usize, cols: i32, shift: f32): f32 {
  const shiftVector = f32x4.splat(shift);
  let sumVector = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    const e = exp4(f32x4.sub(v128.load(x + (<usize>j << 2)), shiftVector));
    v128.store(out + (<usize>j << 2), e);
    sumVector = f32x4.add(sumVector, e);
  }
  let sum = horizontalSum(sumVector);
  for (; j < cols; j++) {
    const e = exp1(load<f32>(x + (<usize>j << 2)) - shift);
    store<f32>(out + (<usize>j << 2), e);
    sum += e;
  }
  return sum;
}

/** out = exp(x - max) / sum(exp(x - max)) per row. out may alias x. */
export function softmax(x: usize, out: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let row = 0; row < rows; row++) {
    const sum = expShiftedRow(x, out, cols, rowMax(x, cols));
    const inverse = f32x4.splat(<f32>1 / sum);
    let j = 0;
    for (; j + 4 <= cols; j += 4) v128.store(out + (<usize>j << 2), f32x4.mul(v128.load(out + (<usize>j << 2)), inverse));
    for (; j < cols; j++) store<f32>(out + (<usize>j << 2), load<f32>(out + (<usize>j << 2)) * f32x4.extract_lane(inverse, 0));
    x += rowBytes;
    out += rowBytes;
  }
}

/** sum(e^(x - shift)) for one row. */
// @ts-ignore: decorator
@inline
function expShiftedSum(x: usize, cols: i32, shift: f32): f32 {
  const shiftVector = f32x4.splat(shift);
  let sumVector = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= cols; j += 4) sumVector = f32x4.add(sumVector, exp4(f32x4.sub(v128.load(x + (<usize>j << 2)), shiftVector)));
  let sum = horizontalSum(sumVector);
  for (; j < cols; j++) sum += exp1(load<f32>(x + (<usize>j << 2)) - shift);
  return sum;
}

/** out = x - max - log(sum(exp(x - max))) per row. out may alias x. */
export function logSoftmax(x: usize, out: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let row = 0; row < rows; row++) {
    const maximum = rowMax(x, cols);
    const sum = expShiftedSum(x, cols, maximum);
    // (x − max) − log Σ, in that order: x − max is exact for nearby values, whereas x − (max + log Σ)
    // would round max + log Σ to one float first (an error of ulp(max)/2, 3e-5 at |x| = 1000).
    const logSum = Mathf.log(sum);
    const maxVector = f32x4.splat(maximum);
    const logSumVector = f32x4.splat(logSum);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const shifted = f32x4.sub(v128.load(x + (<usize>j << 2)), maxVector);
      v128.store(out + (<usize>j << 2), f32x4.sub(shifted, logSumVector));
    }
    for (; j < cols; j++) store<f32>(out + (<usize>j << 2), (load<f32>(x + (<usize>j << 2)) - maximum) - logSum);
    x += rowBytes;
    out += rowBytes;
  }
}

/** dx = y * (dy - sum(dy * y)) per row, where y is the softmax output. dx may alias dy. */
export function softmaxBackward(y: usize, dy: usize, dx: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let row = 0; row < rows; row++) {
    let dotVector = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      dotVector = f32x4.add(dotVector, f32x4.mul(v128.load(dy + (<usize>j << 2)), v128.load(y + (<usize>j << 2))));
    }
    let dot = horizontalSum(dotVector);
    for (; j < cols; j++) dot += load<f32>(dy + (<usize>j << 2)) * load<f32>(y + (<usize>j << 2));
    const dotSplat = f32x4.splat(dot);
    for (j = 0; j + 4 <= cols; j += 4) {
      const offset = <usize>j << 2;
      v128.store(dx + offset, f32x4.mul(v128.load(y + offset), f32x4.sub(v128.load(dy + offset), dotSplat)));
    }
    for (; j < cols; j++) {
      const offset = <usize>j << 2;
      store<f32>(dx + offset, load<f32>(y + offset) * (load<f32>(dy + offset) - dot));
    }
    y += rowBytes;
    dy += rowBytes;
    dx += rowBytes;
  }
}

/** dx = dy - exp(y) * sum(dy) per row, where y is the log-softmax output. dx may alias dy. */
export function logSoftmaxBackward(y: usize, dy: usize, dx: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let row = 0; row < rows; row++) {
    let sumVector = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) sumVector = f32x4.add(sumVector, v128.load(dy + (<usize>j << 2)));
    let sum = horizontalSum(sumVector);
    for (; j < cols; j++) sum += load<f32>(dy + (<usize>j << 2));
    const sumSplat = f32x4.splat(sum);
    for (j = 0; j + 4 <= cols; j += 4) {
      const offset = <usize>j << 2;
      v128.store(dx + offset, f32x4.sub(v128.load(dy + offset), f32x4.mul(exp4(v128.load(y + offset)), sumSplat)));
    }
    for (; j < cols; j++) {
      const offset = <usize>j << 2;
      store<f32>(dx + offset, load<f32>(dy + offset) - exp1(load<f32>(y + offset)) * sum);
    }
    y += rowBytes;
    dy += rowBytes;
    dx += rowBytes;
  }
}
