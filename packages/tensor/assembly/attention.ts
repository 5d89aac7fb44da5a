// Fused scaled-dot-product attention and its backward pass, FlashAttention's math (Dao et al.
// 2022, Alg. 1 and 4: the per-row log-sum-exp is saved, the probabilities recomputed in the
// backward pass), one batch item (batch · head) at a time and four query rows at a time.
//
// For each block of four query rows only the keys some row of the block may see are scored, so a
// causal product does about half the work of the full (L, S) one, and the (L, S) probabilities
// never exist beyond a 4 × S strip. Keys (and, backward, values) are transposed once per batch
// item into a zero-padded S' = ⌈S/4⌉·4 wide copy so the scores vectorise over keys.
//
// Layouts: q (batch, L, hs), k (batch, S, hs), v (batch, S, vs), out / dOut (batch, L, vs),
// logSumExp (batch, L), all contiguous row-major. Causal means the top-left aligned mask of
// torch's is_causal: query row i sees keys j ≤ i.

import { exp1, exp4, horizontalMax, horizontalSum, madd } from './simd';

/** Query rows per block. */
const ROWS: i32 = 4;

/** Floats of scratch `attention` / `attentionBackward` need for these sizes. */
export function attentionScratchFloats(lengthK: i32, headSize: i32, valueSize: i32): i32 {
  const padded = (lengthK + 3) & ~3;
  const widest = max(headSize, valueSize);
  return (headSize + valueSize) * padded + 2 * ROWS * padded + 2 * ((widest + 3) & ~3);
}

/** dst (cols × stride) = transpose of src (rows × cols), columns rows … stride zero-filled. */
function transposeInto(src: usize, rows: i32, cols: i32, dst: usize, stride: i32): void {
  for (let c = 0; c < cols; c++) {
    const d = dst + ((<usize>c * stride) << 2);
    let s = src + (<usize>c << 2);
    const step = <usize>cols << 2;
    for (let r = 0; r < rows; r++) {
      store<f32>(d + (<usize>r << 2), load<f32>(s));
      s += step;
    }
    for (let r = rows; r < stride; r++) store<f32>(d + (<usize>r << 2), 0);
  }
}

/**
 * out[r, j] = Σ_e a_r[e] · bT[e, j] for the four rows a0…a3 (dims floats each) and j < count
 * (a multiple of 4, ≤ stride); bT is dims × stride, out is four rows of stride floats.
 */
function rowsTimesTransposed(a0: usize, a1: usize, a2: usize, a3: usize, dims: i32, bT: usize, stride: i32, count: i32, out: usize): void {
  const rowBytes = <usize>stride << 2;
  let j = 0;
  for (; j + 8 <= count; j += 8) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
    let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
    let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let b = bT + (<usize>j << 2);
    for (let e = 0; e < dims; e++) {
      const offset = <usize>e << 2;
      const b0 = v128.load(b), b1 = v128.load(b, 16);
      let s = v128.load32_splat(a0 + offset);
      c00 = madd(s, b0, c00); c01 = madd(s, b1, c01);
      s = v128.load32_splat(a1 + offset);
      c10 = madd(s, b0, c10); c11 = madd(s, b1, c11);
      s = v128.load32_splat(a2 + offset);
      c20 = madd(s, b0, c20); c21 = madd(s, b1, c21);
      s = v128.load32_splat(a3 + offset);
      c30 = madd(s, b0, c30); c31 = madd(s, b1, c31);
      b += rowBytes;
    }
    const o = out + (<usize>j << 2);
    v128.store(o, c00); v128.store(o, c01, 16);
    v128.store(o + rowBytes, c10); v128.store(o + rowBytes, c11, 16);
    v128.store(o + 2 * rowBytes, c20); v128.store(o + 2 * rowBytes, c21, 16);
    v128.store(o + 3 * rowBytes, c30); v128.store(o + 3 * rowBytes, c31, 16);
  }
  if (j < count) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    let b = bT + (<usize>j << 2);
    for (let e = 0; e < dims; e++) {
      const offset = <usize>e << 2;
      const b0 = v128.load(b);
      c0 = madd(v128.load32_splat(a0 + offset), b0, c0);
      c1 = madd(v128.load32_splat(a1 + offset), b0, c1);
      c2 = madd(v128.load32_splat(a2 + offset), b0, c2);
      c3 = madd(v128.load32_splat(a3 + offset), b0, c3);
      b += rowBytes;
    }
    const o = out + (<usize>j << 2);
    v128.store(o, c0);
    v128.store(o + rowBytes, c1);
    v128.store(o + 2 * rowBytes, c2);
    v128.store(o + 3 * rowBytes, c3);
  }
}

/**
 * o_r[c] = Σ_{j < count} p[r, j] · m[j, c] for the four rows of p (stride floats apart) and the
 * count × dims matrix m; o0…o3 are the destination rows (overwritten).
 */
function weightedRows(p: usize, stride: i32, count: i32, m: usize, dims: i32, o0: usize, o1: usize, o2: usize, o3: usize): void {
  const pRow = <usize>stride << 2;
  const mRow = <usize>dims << 2;
  let c = 0;
  for (; c + 8 <= dims; c += 8) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
    let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
    let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let mp = m + (<usize>c << 2);
    let pp = p;
    for (let j = 0; j < count; j++) {
      const m0 = v128.load(mp), m1 = v128.load(mp, 16);
      let s = v128.load32_splat(pp);
      c00 = madd(s, m0, c00); c01 = madd(s, m1, c01);
      s = v128.load32_splat(pp + pRow);
      c10 = madd(s, m0, c10); c11 = madd(s, m1, c11);
      s = v128.load32_splat(pp + 2 * pRow);
      c20 = madd(s, m0, c20); c21 = madd(s, m1, c21);
      s = v128.load32_splat(pp + 3 * pRow);
      c30 = madd(s, m0, c30); c31 = madd(s, m1, c31);
      mp += mRow;
      pp += 4;
    }
    const offset = <usize>c << 2;
    v128.store(o0 + offset, c00); v128.store(o0 + offset, c01, 16);
    v128.store(o1 + offset, c10); v128.store(o1 + offset, c11, 16);
    v128.store(o2 + offset, c20); v128.store(o2 + offset, c21, 16);
    v128.store(o3 + offset, c30); v128.store(o3 + offset, c31, 16);
  }
  for (; c + 4 <= dims; c += 4) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    let mp = m + (<usize>c << 2);
    let pp = p;
    for (let j = 0; j < count; j++) {
      const m0 = v128.load(mp);
      c0 = madd(v128.load32_splat(pp), m0, c0);
      c1 = madd(v128.load32_splat(pp + pRow), m0, c1);
      c2 = madd(v128.load32_splat(pp + 2 * pRow), m0, c2);
      c3 = madd(v128.load32_splat(pp + 3 * pRow), m0, c3);
      mp += mRow;
      pp += 4;
    }
    const offset = <usize>c << 2;
    v128.store(o0 + offset, c0);
    v128.store(o1 + offset, c1);
    v128.store(o2 + offset, c2);
    v128.store(o3 + offset, c3);
  }
  for (; c < dims; c++) {
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    let mp = m + (<usize>c << 2);
    let pp = p;
    for (let j = 0; j < count; j++) {
      const value = load<f32>(mp);
      s0 += load<f32>(pp) * value;
      s1 += load<f32>(pp + pRow) * value;
      s2 += load<f32>(pp + 2 * pRow) * value;
      s3 += load<f32>(pp + 3 * pRow) * value;
      mp += mRow;
      pp += 4;
    }
    const offset = <usize>c << 2;
    store<f32>(o0 + offset, s0);
    store<f32>(o1 + offset, s1);
    store<f32>(o2 + offset, s2);
    store<f32>(o3 + offset, s3);
  }
}

/**
 * m[j, c] += Σ_r p[r, j] · s_r[c] for j < count: the four source rows s0…s3 (dims floats) scattered
 * into the count × dims matrix m with the weights of p's column j.
 */
function scatterRows(p: usize, stride: i32, count: i32, s0: usize, s1: usize, s2: usize, s3: usize, m: usize, dims: i32): void {
  const pRow = <usize>stride << 2;
  const mRow = <usize>dims << 2;
  let c = 0;
  for (; c + 8 <= dims; c += 8) {
    const offset = <usize>c << 2;
    const x00 = v128.load(s0 + offset), x01 = v128.load(s0 + offset, 16);
    const x10 = v128.load(s1 + offset), x11 = v128.load(s1 + offset, 16);
    const x20 = v128.load(s2 + offset), x21 = v128.load(s2 + offset, 16);
    const x30 = v128.load(s3 + offset), x31 = v128.load(s3 + offset, 16);
    let mp = m + offset;
    let pp = p;
    for (let j = 0; j < count; j++) {
      let m0 = v128.load(mp), m1 = v128.load(mp, 16);
      let w = v128.load32_splat(pp);
      m0 = madd(w, x00, m0); m1 = madd(w, x01, m1);
      w = v128.load32_splat(pp + pRow);
      m0 = madd(w, x10, m0); m1 = madd(w, x11, m1);
      w = v128.load32_splat(pp + 2 * pRow);
      m0 = madd(w, x20, m0); m1 = madd(w, x21, m1);
      w = v128.load32_splat(pp + 3 * pRow);
      m0 = madd(w, x30, m0); m1 = madd(w, x31, m1);
      v128.store(mp, m0); v128.store(mp, m1, 16);
      mp += mRow;
      pp += 4;
    }
  }
  for (; c + 4 <= dims; c += 4) {
    const offset = <usize>c << 2;
    const x0 = v128.load(s0 + offset), x1 = v128.load(s1 + offset), x2 = v128.load(s2 + offset), x3 = v128.load(s3 + offset);
    let mp = m + offset;
    let pp = p;
    for (let j = 0; j < count; j++) {
      let m0 = v128.load(mp);
      m0 = madd(v128.load32_splat(pp), x0, m0);
      m0 = madd(v128.load32_splat(pp + pRow), x1, m0);
      m0 = madd(v128.load32_splat(pp + 2 * pRow), x2, m0);
      m0 = madd(v128.load32_splat(pp + 3 * pRow), x3, m0);
      v128.store(mp, m0);
      mp += mRow;
      pp += 4;
    }
  }
  for (; c < dims; c++) {
    const offset = <usize>c << 2;
    const x0 = load<f32>(s0 + offset), x1 = load<f32>(s1 + offset), x2 = load<f32>(s2 + offset), x3 = load<f32>(s3 + offset);
    let mp = m + offset;
    let pp = p;
    for (let j = 0; j < count; j++) {
      store<f32>(mp, load<f32>(mp) + load<f32>(pp) * x0 + load<f32>(pp + pRow) * x1 + load<f32>(pp + 2 * pRow) * x2 + load<f32>(pp + 3 * pRow) * x3);
      mp += mRow;
      pp += 4;
    }
  }
}

/** Zero-fills floats [from, to) of a row. */
// @ts-ignore: decorator
@inline
function zeroRange(row: usize, from: i32, to: i32): void {
  for (let j = from; j < to; j++) store<f32>(row + (<usize>j << 2), 0);
}

/**
 * Turns a row of raw scores (keys valid of count) into softmax(scores · scale) in place, zeroes
 * [keys, count), and returns the log-sum-exp of the scaled scores.
 */
function softmaxScaledRow(row: usize, keys: i32, count: i32, scale: f32): f32 {
  const scaleVector = f32x4.splat(scale);
  let j = 0;
  let best: f32 = -Infinity;
  if (keys >= 4) {
    let vectorBest = f32x4.splat(-Infinity);
    for (; j + 4 <= keys; j += 4) {
      const s = f32x4.mul(v128.load(row + (<usize>j << 2)), scaleVector);
      v128.store(row + (<usize>j << 2), s);
      vectorBest = f32x4.pmax(vectorBest, s);
    }
    best = horizontalMax(vectorBest);
  }
  for (; j < keys; j++) {
    const s = load<f32>(row + (<usize>j << 2)) * scale;
    store<f32>(row + (<usize>j << 2), s);
    best = max(best, s);
  }
  const shift: f32 = best == -Infinity ? 0 : best;
  const shiftVector = f32x4.splat(shift);
  let sumVector = f32x4.splat(0);
  j = 0;
  for (; j + 4 <= keys; j += 4) {
    const e = exp4(f32x4.sub(v128.load(row + (<usize>j << 2)), shiftVector));
    v128.store(row + (<usize>j << 2), e);
    sumVector = f32x4.add(sumVector, e);
  }
  let sum = horizontalSum(sumVector);
  for (; j < keys; j++) {
    const e = exp1(load<f32>(row + (<usize>j << 2)) - shift);
    store<f32>(row + (<usize>j << 2), e);
    sum += e;
  }
  const inverse = f32x4.splat(<f32>1 / sum);
  j = 0;
  for (; j + 4 <= keys; j += 4) v128.store(row + (<usize>j << 2), f32x4.mul(v128.load(row + (<usize>j << 2)), inverse));
  for (; j < keys; j++) store<f32>(row + (<usize>j << 2), load<f32>(row + (<usize>j << 2)) * f32x4.extract_lane(inverse, 0));
  zeroRange(row, keys, count);
  return shift + Mathf.log(sum);
}

/** Turns a row of raw scores into p = exp(scores · scale − logSumExp) in place for j < keys, zero on [keys, count). */
function probabilitiesRow(row: usize, keys: i32, count: i32, scale: f32, logSumExp: f32): void {
  const scaleVector = f32x4.splat(scale);
  const shiftVector = f32x4.splat(logSumExp);
  let j = 0;
  for (; j + 4 <= keys; j += 4) {
    const pointer = row + (<usize>j << 2);
    v128.store(pointer, exp4(f32x4.sub(f32x4.mul(v128.load(pointer), scaleVector), shiftVector)));
  }
  for (; j < keys; j++) store<f32>(row + (<usize>j << 2), exp1(load<f32>(row + (<usize>j << 2)) * scale - logSumExp));
  zeroRange(row, keys, count);
}

/** Σ_c a[c] · b[c] over dims floats. */
function dot(a: usize, b: usize, dims: i32): f32 {
  let acc = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= dims; c += 4) acc = madd(v128.load(a + (<usize>c << 2)), v128.load(b + (<usize>c << 2)), acc);
  let sum = horizontalSum(acc);
  for (; c < dims; c++) sum += load<f32>(a + (<usize>c << 2)) * load<f32>(b + (<usize>c << 2));
  return sum;
}

/** Keys query row i may see. */
// @ts-ignore: decorator
@inline
function visibleKeys(i: i32, lengthK: i32, causal: bool): i32 {
  return causal ? min(i + 1, lengthK) : lengthK;
}

/**
 * out = softmax(q·kᵀ·scale [+ causal mask])·v and logSumExp (−∞ for a row without keys, whose
 * output is 0), per batch item. scratch: attentionScratchFloats(lengthK, headSize, valueSize) floats.
 */
export function attention(
  q: usize, k: usize, v: usize, out: usize, logSumExp: usize,
  batch: i32, lengthQ: i32, lengthK: i32, headSize: i32, valueSize: i32, scale: f32, causal: i32, scratch: usize,
): void {
  attentionItems(q, k, v, out, logSumExp, 0, batch, lengthQ, lengthK, headSize, valueSize, scale, causal, scratch);
}

/** `attention` for batch items [itemStart, itemEnd) only (a thread's share). */
function attentionItems(
  q: usize, k: usize, v: usize, out: usize, logSumExp: usize,
  itemStart: i32, itemEnd: i32, lengthQ: i32, lengthK: i32, headSize: i32, valueSize: i32, scale: f32, causal: i32, scratch: usize,
): void {
  const padded = (lengthK + 3) & ~3;
  const widest = (max(headSize, valueSize) + 3) & ~3;
  const keysT = scratch;
  const probs = keysT + ((<usize>(headSize + valueSize) * padded) << 2);
  const zeroRow = probs + ((<usize>(2 * ROWS) * padded) << 2);
  const dummyRow = zeroRow + (<usize>widest << 2);
  zeroRange(zeroRow, 0, widest);
  const pRow = <usize>padded << 2;
  for (let b = itemStart; b < itemEnd; b++) {
    const qb = q + ((<usize>b * lengthQ * headSize) << 2);
    const kb = k + ((<usize>b * lengthK * headSize) << 2);
    const vb = v + ((<usize>b * lengthK * valueSize) << 2);
    const ob = out + ((<usize>b * lengthQ * valueSize) << 2);
    const lb = logSumExp + ((<usize>b * lengthQ) << 2);
    transposeInto(kb, lengthK, headSize, keysT, padded);
    for (let i0 = 0; i0 < lengthQ; i0 += ROWS) {
      const rows = min(ROWS, lengthQ - i0);
      const keysBlock = visibleKeys(i0 + rows - 1, lengthK, causal != 0);
      const count = (keysBlock + 3) & ~3;
      const qRow = <usize>headSize << 2;
      const q0 = qb + <usize>i0 * qRow;
      const a1 = rows > 1 ? q0 + qRow : zeroRow;
      const a2 = rows > 2 ? q0 + 2 * qRow : zeroRow;
      const a3 = rows > 3 ? q0 + 3 * qRow : zeroRow;
      rowsTimesTransposed(q0, a1, a2, a3, headSize, keysT, padded, count, probs);
      for (let r = 0; r < ROWS; r++) {
        const row = probs + <usize>r * pRow;
        if (r >= rows) {
          zeroRange(row, 0, count);
          continue;
        }
        const keys = visibleKeys(i0 + r, lengthK, causal != 0);
        if (keys == 0) {
          zeroRange(row, 0, count);
          store<f32>(lb + (<usize>(i0 + r) << 2), -Infinity);
        } else {
          store<f32>(lb + (<usize>(i0 + r) << 2), softmaxScaledRow(row, keys, count, scale));
        }
      }
      const oRow = <usize>valueSize << 2;
      const o0 = ob + <usize>i0 * oRow;
      weightedRows(
        probs, padded, keysBlock, vb, valueSize,
        o0, rows > 1 ? o0 + oRow : dummyRow, rows > 2 ? o0 + 2 * oRow : dummyRow, rows > 3 ? o0 + 3 * oRow : dummyRow,
      );
    }
  }
}

/**
 * Gradients dq, dk, dv (overwritten) of `attention` from its inputs, output, saved logSumExp and
 * the upstream gradient dOut: p recomputed, dS = p∘(dO·vᵀ − D)·scale with D_i = dO_i·O_i, then
 * dq = dS·k, dk = dSᵀ·q, dv = pᵀ·dO (Dao et al. 2022, Alg. 4). Same scratch as `attention`.
 */
export function attentionBackward(
  q: usize, k: usize, v: usize, out: usize, logSumExp: usize, dOut: usize, dq: usize, dk: usize, dv: usize,
  batch: i32, lengthQ: i32, lengthK: i32, headSize: i32, valueSize: i32, scale: f32, causal: i32, scratch: usize,
): void {
  attentionBackwardItems(q, k, v, out, logSumExp, dOut, dq, dk, dv, 0, batch, lengthQ, lengthK, headSize, valueSize, scale, causal, scratch);
}

/** `attentionBackward` for batch items [itemStart, itemEnd) only (a thread's share). */
function attentionBackwardItems(
  q: usize, k: usize, v: usize, out: usize, logSumExp: usize, dOut: usize, dq: usize, dk: usize, dv: usize,
  itemStart: i32, itemEnd: i32, lengthQ: i32, lengthK: i32, headSize: i32, valueSize: i32, scale: f32, causal: i32, scratch: usize,
): void {
  const padded = (lengthK + 3) & ~3;
  const widest = (max(headSize, valueSize) + 3) & ~3;
  const keysT = scratch;
  const valuesT = keysT + ((<usize>headSize * padded) << 2);
  const probs = valuesT + ((<usize>valueSize * padded) << 2);
  const pRow = <usize>padded << 2;
  const grads = probs + <usize>ROWS * pRow;
  const zeroRow = grads + <usize>ROWS * pRow;
  const dummyRow = zeroRow + (<usize>widest << 2);
  zeroRange(zeroRow, 0, widest);
  const qRow = <usize>headSize << 2;
  const oRow = <usize>valueSize << 2;
  for (let b = itemStart; b < itemEnd; b++) {
    const qb = q + ((<usize>b * lengthQ * headSize) << 2);
    const kb = k + ((<usize>b * lengthK * headSize) << 2);
    const vb = v + ((<usize>b * lengthK * valueSize) << 2);
    const ob = out + ((<usize>b * lengthQ * valueSize) << 2);
    const gb = dOut + ((<usize>b * lengthQ * valueSize) << 2);
    const lb = logSumExp + ((<usize>b * lengthQ) << 2);
    const dqb = dq + ((<usize>b * lengthQ * headSize) << 2);
    const dkb = dk + ((<usize>b * lengthK * headSize) << 2);
    const dvb = dv + ((<usize>b * lengthK * valueSize) << 2);
    zeroRange(dkb, 0, lengthK * headSize);
    zeroRange(dvb, 0, lengthK * valueSize);
    transposeInto(kb, lengthK, headSize, keysT, padded);
    transposeInto(vb, lengthK, valueSize, valuesT, padded);
    for (let i0 = 0; i0 < lengthQ; i0 += ROWS) {
      const rows = min(ROWS, lengthQ - i0);
      const keysBlock = visibleKeys(i0 + rows - 1, lengthK, causal != 0);
      const count = (keysBlock + 3) & ~3;
      const q0 = qb + <usize>i0 * qRow;
      const q1 = rows > 1 ? q0 + qRow : zeroRow;
      const q2 = rows > 2 ? q0 + 2 * qRow : zeroRow;
      const q3 = rows > 3 ? q0 + 3 * qRow : zeroRow;
      const g0 = gb + <usize>i0 * oRow;
      const g1 = rows > 1 ? g0 + oRow : zeroRow;
      const g2 = rows > 2 ? g0 + 2 * oRow : zeroRow;
      const g3 = rows > 3 ? g0 + 3 * oRow : zeroRow;
      rowsTimesTransposed(q0, q1, q2, q3, headSize, keysT, padded, count, probs);
      rowsTimesTransposed(g0, g1, g2, g3, valueSize, valuesT, padded, count, grads);
      for (let r = 0; r < ROWS; r++) {
        const p = probs + <usize>r * pRow;
        const ds = grads + <usize>r * pRow;
        const keys = r < rows ? visibleKeys(i0 + r, lengthK, causal != 0) : 0;
        if (keys == 0) {
          zeroRange(p, 0, count);
          zeroRange(ds, 0, count);
          continue;
        }
        probabilitiesRow(p, keys, count, scale, load<f32>(lb + (<usize>(i0 + r) << 2)));
        // D_i = dO_i · O_i (= Σ_j p_ij · dp_ij); dS_ij = p_ij · (dp_ij − D_i) · scale, 0 where p is.
        const delta = f32x4.splat(dot(gb + <usize>(i0 + r) * oRow, ob + <usize>(i0 + r) * oRow, valueSize));
        const scaleVector = f32x4.splat(scale);
        for (let j = 0; j < count; j += 4) {
          const offset = <usize>j << 2;
          v128.store(ds + offset, f32x4.mul(f32x4.mul(v128.load(p + offset), f32x4.sub(v128.load(ds + offset), delta)), scaleVector));
        }
      }
      const d0 = dqb + <usize>i0 * qRow;
      weightedRows(
        grads, padded, keysBlock, kb, headSize,
        d0, rows > 1 ? d0 + qRow : dummyRow, rows > 2 ? d0 + 2 * qRow : dummyRow, rows > 3 ? d0 + 3 * qRow : dummyRow,
      );
      scatterRows(grads, padded, keysBlock, q0, q1, q2, q3, dkb, headSize);
      scatterRows(probs, padded, keysBlock, g0, g1, g2, g3, dvb, valueSize);
    }
  }
}

/** Job kinds of `attentionJob` (matmulClaimRows hands them plan codes ATTENTION_PLAN + kind). */
const JOB_FORWARD = 0;

/**
 * Runs batch items [itemStart, itemEnd) of an attention job described by the i32 words at `params`:
 * q, k, v, out, logSumExp, dOut, dq, dk, dv, lengthQ, lengthK, headSize, valueSize, scale (f32
 * bits), causal (dOut, dq, dk, dv unused forward). Worker threads run it through matmulClaimRows.
 */
export function attentionJob(kind: i32, params: usize, itemStart: i32, itemEnd: i32, scratch: usize): void {
  const q = <usize>load<i32>(params), k = <usize>load<i32>(params, 4), v = <usize>load<i32>(params, 8);
  const out = <usize>load<i32>(params, 12), logSumExp = <usize>load<i32>(params, 16);
  const lengthQ = load<i32>(params, 36), lengthK = load<i32>(params, 40);
  const headSize = load<i32>(params, 44), valueSize = load<i32>(params, 48);
  const scale = load<f32>(params, 52), causal = load<i32>(params, 56);
  if (kind == JOB_FORWARD) {
    attentionItems(q, k, v, out, logSumExp, itemStart, itemEnd, lengthQ, lengthK, headSize, valueSize, scale, causal, scratch);
  } else {
    attentionBackwardItems(
      q, k, v, out, logSumExp, <usize>load<i32>(params, 20), <usize>load<i32>(params, 24), <usize>load<i32>(params, 28), <usize>load<i32>(params, 32),
      itemStart, itemEnd, lengthQ, lengthK, headSize, valueSize, scale, causal, scratch,
    );
  }
}
