// Layer normalisation over the last dimension (PyTorch's nn.LayerNorm / F.layer_norm semantics):
// biased variance, rstd = 1 / sqrt(var + eps), and the backward pass in the form PyTorch's CPU
// kernel uses. A null weight or bias is passed as pointer 0 and means 1 or 0.

import { horizontalSum } from './simd';

/** Sum of one row. */
// @ts-ignore: decorator
@inline
function rowSum(x: usize, cols: i32): f32 {
  let sumVector = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= cols; j += 4) sumVector = f32x4.add(sumVector, v128.load(x + (<usize>j << 2)));
  let sum = horizontalSum(sumVector);
  for (; j < cols; j++) sum += load<f32>(x + (<usize>j << 2));
  return sum;
}

/**
 * out = (x - mean) * rstd * weight + bias per row, computed as (x * rstd - mean * rstd) * weight + bias;
 * writes each row's mean and rstd (two-pass mean and variance). out may alias x.
 */
export function layerNorm(
  x: usize, weight: usize, bias: usize, out: usize, mean: usize, rstd: usize,
  rows: i32, cols: i32, eps: f32,
): void {
  const rowBytes = <usize>cols << 2;
  const inverseCols = <f32>1 / <f32>cols;
  for (let row = 0; row < rows; row++) {
    const rowMean = rowSum(x, cols) * inverseCols;
    const meanVector = f32x4.splat(rowMean);
    let squaresVector = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const centred = f32x4.sub(v128.load(x + (<usize>j << 2)), meanVector);
      squaresVector = f32x4.add(squaresVector, f32x4.mul(centred, centred));
    }
    let squares = horizontalSum(squaresVector);
    for (; j < cols; j++) {
      const centred = load<f32>(x + (<usize>j << 2)) - rowMean;
      squares += centred * centred;
    }
    const rowRstd = <f32>1 / Mathf.sqrt(squares * inverseCols + eps);
    store<f32>(mean + (<usize>row << 2), rowMean);
    store<f32>(rstd + (<usize>row << 2), rowRstd);
    const scale = f32x4.splat(rowRstd);
    const shift = f32x4.splat(-rowMean * rowRstd);
    for (j = 0; j + 4 <= cols; j += 4) {
      const offset = <usize>j << 2;
      let y = f32x4.add(f32x4.mul(v128.load(x + offset), scale), shift);
      if (weight) y = f32x4.mul(y, v128.load(weight + offset));
      if (bias) y = f32x4.add(y, v128.load(bias + offset));
      v128.store(out + offset, y);
    }
    for (; j < cols; j++) {
      const offset = <usize>j << 2;
      let y = load<f32>(x + offset) * rowRstd - rowMean * rowRstd;
      if (weight) y *= load<f32>(weight + offset);
      if (bias) y += load<f32>(bias + offset);
      store<f32>(out + offset, y);
    }
    x += rowBytes;
    out += rowBytes;
  }
}

/**
 * PyTorch's layer-norm backward. Per row, with w = weight (or 1):
 *   ds = sum(dy * w * x), db = sum(dy * w),
 *   b = (db * mean - ds) * rstd^3 / cols, c = -b * mean - db * rstd / cols,
 *   dx = rstd * dy * w + b * x + c;
 * and over rows dweight = sum(dy * (x - mean) * rstd), dbias = sum(dy) (overwritten, not accumulated;
 * pointer 0 skips them). dx may alias dy.
 */
export function layerNormBackward(
  dy: usize, x: usize, weight: usize, mean: usize, rstd: usize,
  dx: usize, dweight: usize, dbias: usize, rows: i32, cols: i32,
): void {
  const rowBytes = <usize>cols << 2;
  const inverseCols = <f32>1 / <f32>cols;
  if (dweight) memory.fill(dweight, 0, rowBytes);
  if (dbias) memory.fill(dbias, 0, rowBytes);
  for (let row = 0; row < rows; row++) {
    const rowMean = load<f32>(mean + (<usize>row << 2));
    const rowRstd = load<f32>(rstd + (<usize>row << 2));
    // Parameter gradients first: they read dy before dx (which may alias it) is written.
    if (dweight || dbias) {
      const meanVector = f32x4.splat(rowMean);
      const rstdVector = f32x4.splat(rowRstd);
      let j = 0;
      for (; j + 4 <= cols; j += 4) {
        const offset = <usize>j << 2;
        const g = v128.load(dy + offset);
        if (dweight) {
          const normalised = f32x4.mul(f32x4.sub(v128.load(x + offset), meanVector), rstdVector);
          v128.store(dweight + offset, f32x4.add(v128.load(dweight + offset), f32x4.mul(g, normalised)));
        }
        if (dbias) v128.store(dbias + offset, f32x4.add(v128.load(dbias + offset), g));
      }
      for (; j < cols; j++) {
        const offset = <usize>j << 2;
        const g = load<f32>(dy + offset);
        if (dweight) store<f32>(dweight + offset, load<f32>(dweight + offset) + g * ((load<f32>(x + offset) - rowMean) * rowRstd));
        if (dbias) store<f32>(dbias + offset, load<f32>(dbias + offset) + g);
      }
    }
    let dsVector = f32x4.splat(0);
    let dbVector = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const offset = <usize>j << 2;
      let g = v128.load(dy + offset);
      if (weight) g = f32x4.mul(g, v128.load(weight + offset));
      dsVector = f32x4.add(dsVector, f32x4.mul(g, v128.load(x + offset)));
      dbVector = f32x4.add(dbVector, g);
    }
    let ds = horizontalSum(dsVector);
    let db = horizontalSum(dbVector);
    for (; j < cols; j++) {
      const offset = <usize>j << 2;
      let g = load<f32>(dy + offset);
      if (weight) g *= load<f32>(weight + offset);
      ds += g * load<f32>(x + offset);
      db += g;
    }
    const b = (db * rowMean - ds) * rowRstd * rowRstd * rowRstd * inverseCols;
    const c = -b * rowMean - db * rowRstd * inverseCols;
    const aVector = f32x4.splat(rowRstd);
    const bVector = f32x4.splat(b);
    const cVector = f32x4.splat(c);
    for (j = 0; j + 4 <= cols; j += 4) {
      const offset = <usize>j << 2;
      let g = v128.load(dy + offset);
      if (weight) g = f32x4.mul(g, v128.load(weight + offset));
      const value = f32x4.add(f32x4.add(f32x4.mul(aVector, g), f32x4.mul(bVector, v128.load(x + offset))), cVector);
      v128.store(dx + offset, value);
    }
    for (; j < cols; j++) {
      const offset = <usize>j << 2;
      let g = load<f32>(dy + offset);
      if (weight) g *= load<f32>(weight + offset);
      store<f32>(dx + offset, rowRstd * g + b * load<f32>(x + offset) + c);
    }
    dy += rowBytes;
    x += rowBytes;
    dx += rowBytes;
  }
}
