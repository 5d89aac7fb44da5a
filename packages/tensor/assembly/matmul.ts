// Batched general matrix multiply for the CPU backend.
//
// `matmulPlan` picks one of four strategies from the shape, and the same plan runs on one thread
// (`matmul`) or on several (`matmulPrepareB` once, then `matmulClaimRows` on every thread):
// - packed: cache-blocked (BLIS loop order: NC columns, KC depth, MC rows), A and B packed into
//   panels, a 4x8 register-blocked micro-kernel with eight v128 accumulators; for B too large for L2;
// - direct: no packing; A read through its strides, B as a row-major K x N matrix, the same 4x8
//   register blocking; faster than packing whenever B fits in L2 (measured up to 256^3);
// - direct over a transposed copy of B, when B is given transposed (N x K);
// - dot: for a few rows of row-major A times a transposed B (x @ W^T with a small batch), dot
//   products along K, where transposing B would cost more than the product itself.
//
// Why 4x8 and not 6x8: V8 keeps xmm15 as a scratch register, and without a fused multiply-add
// every multiply needs a temporary, so 6x8 (12 accumulators + 2 B vectors + A splat + temporary)
// spills on every iteration; unrolling by hand lets Binaryen fuse the steps into trees that
// TurboFan then schedules worse. Measured on Zen 4 / V8 11.3 at 1024^3 on one core: 4x8 ~37
// GFLOP/s (the kernel alone, from L1, ~45), 6x8 ~26; the relaxed-SIMD build (fused multiply-add,
// where the engine has it) ~49 with the same 4x8 shape.

import { attentionJob } from './attention';
import { elementwiseJob } from './elementwise';
import { horizontalSum, madd } from './simd';

/** Rows of a micro-tile (height of a packed A panel). */
export const MR: i32 = 4;
/** Columns of a micro-tile (width of a packed B panel): two v128 of four floats. */
export const NR: i32 = 8;
/** Depth of one cache block: an MR x KC A panel (8 KiB) and a KC x NR B panel (16 KiB) stay in L1. */
export const KC: i32 = 512;
/** Rows of one packed A block (MC x KC floats, 192 KiB, stay in L2). A multiple of MR. */
export const MC: i32 = 96;
/** Columns of one packed B block (KC x NC floats, 2 MiB, streamed from L3). A multiple of NR. */
export const NC: i32 = 1024;

/** Bytes of thread-private scratch one `matmul` call needs: packed A block, one micro-tile, packed B block. */
export const MATMUL_SCRATCH_BYTES: i32 = (MC * KC + MR * NR + KC * NC) << 2;

/** The direct paths need B (K x N, N rounded up to 4) within this many floats (256 KiB, half of L2). */
const DIRECT_MAX_B_FLOATS: i32 = 64 * 1024;
/** Below this many rows per matrix, x @ W^T uses dot products rather than transposing W first. */
const DOT_MAX_ROWS: i32 = 8;

/** Strategy codes returned by `matmulPlan`. */
const PLAN_PACKED: i32 = 0;
const PLAN_DIRECT: i32 = 1;
const PLAN_DIRECT_TRANSPOSED: i32 = 2;
const PLAN_DOT: i32 = 3;
/**
 * Not matmul plans: matmulClaimRows given ATTENTION_PLAN + kind runs `attentionJob(kind, a, …)` on
 * the claimed "rows", which are then batch items (attention forward 0, backward 1), so the worker
 * threads can split fused attention as they split products.
 */
export const ATTENTION_PLAN: i32 = 16;
/** Likewise ELEMENTWISE_PLAN runs `elementwiseJob(a, …)` on claimed blocks of 8192 elements. */
export const ELEMENTWISE_PLAN: i32 = 32;
/**
 * And PRODUCTS_PLAN runs `productsJob(a, …)`: each claimed item is a row range of one of several
 * independent products (a linear layer's dx = dy·W and dW = dyᵀ·x), so that one pool job, woken
 * once, covers them all, and a thread that finds no worker awake simply computes everything.
 */
export const PRODUCTS_PLAN: i32 = 48;
/** i32 words per item of a products job: plan, a, b, c, m, k, n, transA, transB, rowStart, rowEnd, prepared B (0: none). */
export const PRODUCT_ITEM_WORDS: i32 = 12;

// ---------------------------------------------------------------------------------------------
// Packed path

/** Packs A[i0 : i0+mc, k0 : k0+kc] into MR-row panels laid out k-major (panel[k * MR + r]), zero-padding the last panel. */
function packA(a: usize, rowStride: i32, colStride: i32, i0: i32, mc: i32, k0: i32, kc: i32, dst: usize): void {
  for (let ip = 0; ip < mc; ip += MR) {
    const rows = min(MR, mc - ip);
    const src = a + ((<usize>(i0 + ip) * rowStride + <usize>k0 * colStride) << 2);
    if (rows == MR && colStride == 1) {
      const rowBytes = <usize>rowStride << 2;
      const r0 = src, r1 = src + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
      for (let kk = 0; kk < kc; kk++) {
        const offset = <usize>kk << 2;
        const d = dst + (<usize>kk << 4);
        store<f32>(d, load<f32>(r0 + offset));
        store<f32>(d, load<f32>(r1 + offset), 4);
        store<f32>(d, load<f32>(r2 + offset), 8);
        store<f32>(d, load<f32>(r3 + offset), 12);
      }
    } else if (rows == MR && rowStride == 1) {
      const colBytes = <usize>colStride << 2;
      for (let kk = 0; kk < kc; kk++) {
        v128.store(dst + (<usize>kk << 4), v128.load(src + <usize>kk * colBytes));
      }
    } else {
      for (let kk = 0; kk < kc; kk++) {
        const d = dst + (<usize>kk << 4);
        for (let r = 0; r < MR; r++) {
          let value: f32 = 0;
          if (r < rows) value = load<f32>(src + ((<usize>r * rowStride + <usize>kk * colStride) << 2));
          store<f32>(d + (<usize>r << 2), value);
        }
      }
    }
    dst += <usize>kc * (MR << 2);
  }
}

/** Packs B[k0 : k0+kc, j0 : j0+nc] into NR-column panels laid out k-major (panel[k * NR + c]), zero-padding the last panel. */
function packB(b: usize, rowStride: i32, colStride: i32, k0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let jp = 0; jp < nc; jp += NR) {
    const cols = min(NR, nc - jp);
    const src = b + ((<usize>k0 * rowStride + <usize>(j0 + jp) * colStride) << 2);
    if (cols == NR && colStride == 1) {
      const rowBytes = <usize>rowStride << 2;
      for (let kk = 0; kk < kc; kk++) {
        const s = src + <usize>kk * rowBytes;
        const d = dst + (<usize>kk << 5);
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
      }
    } else if (cols == NR && rowStride == 1) {
      // B is stored transposed (N x K): gather four k at a time from eight columns and transpose 4x4 blocks.
      const colBytes = <usize>colStride << 2;
      let kk = 0;
      for (; kk + 4 <= kc; kk += 4) {
        const s = src + (<usize>kk << 2);
        const d = dst + (<usize>kk << 5);
        transpose4x4(s, colBytes, d, 32);
        transpose4x4(s + 4 * colBytes, colBytes, d + 16, 32);
      }
      for (; kk < kc; kk++) {
        const s = src + (<usize>kk << 2);
        const d = dst + (<usize>kk << 5);
        for (let col = 0; col < NR; col++) store<f32>(d + (<usize>col << 2), load<f32>(s + <usize>col * colBytes));
      }
    } else {
      for (let kk = 0; kk < kc; kk++) {
        const d = dst + (<usize>kk << 5);
        for (let col = 0; col < NR; col++) {
          let value: f32 = 0;
          if (col < cols) value = load<f32>(src + ((<usize>kk * rowStride + <usize>col * colStride) << 2));
          store<f32>(d + (<usize>col << 2), value);
        }
      }
    }
    dst += <usize>kc * (NR << 2);
  }
}

/** Reads four rows of four floats (row stride srcStride bytes) and writes their transpose (row stride dstStride bytes). */
// @ts-ignore: decorator
@inline
function transpose4x4(src: usize, srcStride: usize, dst: usize, dstStride: usize): void {
  const r0 = v128.load(src);
  const r1 = v128.load(src + srcStride);
  const r2 = v128.load(src + 2 * srcStride);
  const r3 = v128.load(src + 3 * srcStride);
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); // a0 b0 a1 b1
  const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5); // c0 d0 c1 d1
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7); // a2 b2 a3 b3
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7); // c2 d2 c3 d3
  v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst + dstStride, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * dstStride, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * dstStride, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

// @ts-ignore: decorator
@inline
function storeRow(c: usize, lo: v128, hi: v128, accumulate: bool): void {
  if (accumulate) {
    lo = f32x4.add(lo, v128.load(c));
    hi = f32x4.add(hi, v128.load(c, 16));
  }
  v128.store(c, lo);
  v128.store(c, hi, 16);
}

/**
 * Multiplies a packed MR x kc A panel by a packed kc x NR B panel into the tile at c (row stride ldc floats).
 * Writes (or adds into, when accumulate) only the top-left rows x cols corner, through the tile scratch when partial.
 * Kept as a plain one-step loop: TurboFan allocates it without spills, manual unrolling made it slower.
 */
function microKernel(a: usize, b: usize, kc: i32, c: usize, ldc: i32, accumulate: bool, rows: i32, cols: i32, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  // Looping on the B pointer rather than a counter saves an instruction per step (+5% measured).
  const bEnd = b + (<usize>kc << 5);
  while (b < bEnd) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let s = v128.load32_splat(a);
    c00 = madd(s, b0, c00); c01 = madd(s, b1, c01);
    s = v128.load32_splat(a, 4);
    c10 = madd(s, b0, c10); c11 = madd(s, b1, c11);
    s = v128.load32_splat(a, 8);
    c20 = madd(s, b0, c20); c21 = madd(s, b1, c21);
    s = v128.load32_splat(a, 12);
    c30 = madd(s, b0, c30); c31 = madd(s, b1, c31);
    a += MR << 2;
    b += NR << 2;
  }
  if (rows == MR && cols == NR) {
    const rowBytes = <usize>ldc << 2;
    storeRow(c, c00, c01, accumulate); c += rowBytes;
    storeRow(c, c10, c11, accumulate); c += rowBytes;
    storeRow(c, c20, c21, accumulate); c += rowBytes;
    storeRow(c, c30, c31, accumulate);
    return;
  }
  storeRow(tile, c00, c01, false);
  storeRow(tile + 32, c10, c11, false);
  storeRow(tile + 64, c20, c21, false);
  storeRow(tile + 96, c30, c31, false);
  for (let r = 0; r < rows; r++) {
    const d = c + (<usize>r * ldc << 2);
    const s = tile + (<usize>r << 5);
    for (let col = 0; col < cols; col++) {
      let value = load<f32>(s + (<usize>col << 2));
      if (accumulate) value += load<f32>(d + (<usize>col << 2));
      store<f32>(d + (<usize>col << 2), value);
    }
  }
}

/**
 * C[rowStart:rowEnd, :] = A @ B for one matrix through packing, where element (i, p) of A is at
 * a + 4 * (i * aRowStride + p * aColStride), element (p, j) of B at b + 4 * (p * bRowStride + j * bColStride),
 * and C is row-major with row stride n. `scratch` holds MATMUL_SCRATCH_BYTES. When `prepackedB` is
 * non-zero it holds all of B already packed by `matmulPrepareB` (b and its strides are then unused).
 */
function gemmPacked(
  a: usize, aRowStride: i32, aColStride: i32,
  b: usize, bRowStride: i32, bColStride: i32, prepackedB: usize,
  c: usize, n: i32, k: i32, rowStart: i32, rowEnd: i32, scratch: usize,
): void {
  const packedA = scratch;
  const tile = packedA + (<usize>(MC * KC) << 2);
  let packedB = tile + (<usize>(MR * NR) << 2);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    const paddedNc = (nc + NR - 1) & ~(NR - 1);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      if (prepackedB) packedB = prepackedB + ((<usize>jc * k + <usize>pc * paddedNc) << 2);
      else packB(b, bRowStride, bColStride, pc, kc, jc, nc, packedB);
      for (let ic = rowStart; ic < rowEnd; ic += MC) {
        const mc = min(MC, rowEnd - ic);
        packA(a, aRowStride, aColStride, ic, mc, pc, kc, packedA);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const bPanel = packedB + (<usize>jr * kc << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const cTile = c + ((<usize>(ic + ir) * n + <usize>(jc + jr)) << 2);
            microKernel(packedA + (<usize>ir * kc << 2), bPanel, kc, cTile, n, pc > 0, rows, cols, tile);
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Direct path

/** Writes the first `count` (1..4) lanes of v to c. */
// @ts-ignore: decorator
@inline
function storeLanes(c: usize, v: v128, count: i32): void {
  if (count >= 4) {
    v128.store(c, v);
    return;
  }
  store<f32>(c, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(c, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(c, f32x4.extract_lane(v, 2), 8);
}

/**
 * Four rows of C = A @ B where B is row-major with row stride ldb floats and readable in whole v128
 * past column n (its tail lanes are discarded). A rows start at a0..a3 and advance aStep bytes per k.
 */
function directRows4(a0: usize, aRowBytes: usize, aStep: usize, b: usize, ldb: i32, c: usize, n: i32, k: i32): void {
  const bStep = <usize>ldb << 2;
  const cRow = <usize>n << 2;
  const a1 = a0 + aRowBytes, a2 = a1 + aRowBytes, a3 = a2 + aRowBytes;
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
    let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
    let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let bp = b + (<usize>j << 2);
    const bEnd = bp + <usize>k * bStep;
    let offset: usize = 0;
    while (bp < bEnd) {
      const b0 = v128.load(bp);
      const b1 = v128.load(bp, 16);
      let s = v128.load32_splat(a0 + offset);
      c00 = madd(s, b0, c00); c01 = madd(s, b1, c01);
      s = v128.load32_splat(a1 + offset);
      c10 = madd(s, b0, c10); c11 = madd(s, b1, c11);
      s = v128.load32_splat(a2 + offset);
      c20 = madd(s, b0, c20); c21 = madd(s, b1, c21);
      s = v128.load32_splat(a3 + offset);
      c30 = madd(s, b0, c30); c31 = madd(s, b1, c31);
      bp += bStep;
      offset += aStep;
    }
    const cp = c + (<usize>j << 2);
    v128.store(cp, c00); v128.store(cp, c01, 16);
    v128.store(cp + cRow, c10); v128.store(cp + cRow, c11, 16);
    v128.store(cp + 2 * cRow, c20); v128.store(cp + 2 * cRow, c21, 16);
    v128.store(cp + 3 * cRow, c30); v128.store(cp + 3 * cRow, c31, 16);
  }
  for (; j < n; j += 4) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    let bp = b + (<usize>j << 2);
    const bEnd = bp + <usize>k * bStep;
    let offset: usize = 0;
    while (bp < bEnd) {
      const b0 = v128.load(bp);
      c0 = madd(v128.load32_splat(a0 + offset), b0, c0);
      c1 = madd(v128.load32_splat(a1 + offset), b0, c1);
      c2 = madd(v128.load32_splat(a2 + offset), b0, c2);
      c3 = madd(v128.load32_splat(a3 + offset), b0, c3);
      bp += bStep;
      offset += aStep;
    }
    const count = min(4, n - j);
    const cp = c + (<usize>j << 2);
    storeLanes(cp, c0, count);
    storeLanes(cp + cRow, c1, count);
    storeLanes(cp + 2 * cRow, c2, count);
    storeLanes(cp + 3 * cRow, c3, count);
  }
}

/** One row of C = A @ B (see directRows4); sixteen columns at a time so four accumulator chains hide add latency. */
function directRow(a0: usize, aStep: usize, b: usize, ldb: i32, c: usize, n: i32, k: i32): void {
  const bStep = <usize>ldb << 2;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    let bp = b + (<usize>j << 2);
    const bEnd = bp + <usize>k * bStep;
    let ap = a0;
    while (bp < bEnd) {
      const s = v128.load32_splat(ap);
      c0 = madd(s, v128.load(bp), c0);
      c1 = madd(s, v128.load(bp, 16), c1);
      c2 = madd(s, v128.load(bp, 32), c2);
      c3 = madd(s, v128.load(bp, 48), c3);
      bp += bStep;
      ap += aStep;
    }
    const cp = c + (<usize>j << 2);
    v128.store(cp, c0); v128.store(cp, c1, 16); v128.store(cp, c2, 32); v128.store(cp, c3, 48);
  }
  for (; j < n; j += 4) {
    let c0 = f32x4.splat(0);
    let bp = b + (<usize>j << 2);
    const bEnd = bp + <usize>k * bStep;
    let ap = a0;
    while (bp < bEnd) {
      c0 = madd(v128.load32_splat(ap), v128.load(bp), c0);
      bp += bStep;
      ap += aStep;
    }
    storeLanes(c + (<usize>j << 2), c0, min(4, n - j));
  }
}

/** Writes the K x N row-major transpose (row stride ldb floats) of the N x K row-major matrix at src. */
function transposeInto(src: usize, n: i32, k: i32, dst: usize, ldb: i32): void {
  const srcRow = <usize>k << 2;
  const dstRow = <usize>ldb << 2;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    let kk = 0;
    for (; kk + 4 <= k; kk += 4) {
      transpose4x4(src + <usize>j * srcRow + (<usize>kk << 2), srcRow, dst + <usize>kk * dstRow + (<usize>j << 2), dstRow);
    }
    for (; kk < k; kk++) {
      for (let jj = j; jj < j + 4; jj++) {
        store<f32>(dst + <usize>kk * dstRow + (<usize>jj << 2), load<f32>(src + <usize>jj * srcRow + (<usize>kk << 2)));
      }
    }
  }
  for (; j < n; j++) {
    for (let kk = 0; kk < k; kk++) {
      store<f32>(dst + <usize>kk * dstRow + (<usize>j << 2), load<f32>(src + <usize>j * srcRow + (<usize>kk << 2)));
    }
  }
}

/** C[rowStart:rowEnd, :] = A @ B for one matrix without packing; B row-major (row stride ldb), A through its strides. */
function gemmDirect(
  a: usize, aRowStride: i32, aColStride: i32, b: usize, ldb: i32,
  c: usize, n: i32, k: i32, rowStart: i32, rowEnd: i32,
): void {
  const aRowBytes = <usize>aRowStride << 2;
  const aStep = <usize>aColStride << 2;
  const cRow = <usize>n << 2;
  let i = rowStart;
  for (; i + 4 <= rowEnd; i += 4) {
    directRows4(a + <usize>i * aRowBytes, aRowBytes, aStep, b, ldb, c + <usize>i * cRow, n, k);
  }
  for (; i < rowEnd; i++) {
    directRow(a + <usize>i * aRowBytes, aStep, b, ldb, c + <usize>i * cRow, n, k);
  }
}

/** Sums each of four vectors' lanes: returns [sum(v0), sum(v1), sum(v2), sum(v3)]. */
// @ts-ignore: decorator
@inline
function transposeSum(v0: v128, v1: v128, v2: v128, v3: v128): v128 {
  const s01 = f32x4.add(v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), v128.shuffle<f32>(v0, v1, 2, 6, 3, 7));
  const s23 = f32x4.add(v128.shuffle<f32>(v2, v3, 0, 4, 1, 5), v128.shuffle<f32>(v2, v3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(s01, s23, 0, 1, 4, 5), v128.shuffle<f32>(s01, s23, 2, 3, 6, 7));
}

/** C[rowStart:rowEnd, :] = A @ B^T for row-major A (m x k) and row-major Bt (n x k): dot products along k. */
function gemmDot(a: usize, bt: usize, c: usize, n: i32, k: i32, rowStart: i32, rowEnd: i32): void {
  const rowBytes = <usize>k << 2;
  const vectorEnd = k & ~3;
  for (let i = rowStart; i < rowEnd; i++) {
    const aRow = a + <usize>i * rowBytes;
    const cRow = c + (<usize>i * n << 2);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = bt + <usize>j * rowBytes, b1 = b0 + rowBytes, b2 = b1 + rowBytes, b3 = b2 + rowBytes;
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
      for (let p = 0; p < vectorEnd; p += 4) {
        const offset = <usize>p << 2;
        const x = v128.load(aRow + offset);
        c0 = madd(x, v128.load(b0 + offset), c0);
        c1 = madd(x, v128.load(b1 + offset), c1);
        c2 = madd(x, v128.load(b2 + offset), c2);
        c3 = madd(x, v128.load(b3 + offset), c3);
      }
      let sums = transposeSum(c0, c1, c2, c3);
      for (let p = vectorEnd; p < k; p++) {
        const offset = <usize>p << 2;
        const x = f32x4.splat(load<f32>(aRow + offset));
        const y = f32x4.replace_lane(
          f32x4.replace_lane(
            f32x4.replace_lane(f32x4.splat(load<f32>(b0 + offset)), 1, load<f32>(b1 + offset)),
            2, load<f32>(b2 + offset)),
          3, load<f32>(b3 + offset));
        sums = madd(x, y, sums);
      }
      v128.store(cRow + (<usize>j << 2), sums);
    }
    for (; j < n; j++) {
      const bRow = bt + <usize>j * rowBytes;
      let sumVector = f32x4.splat(0);
      for (let p = 0; p < vectorEnd; p += 4) {
        const offset = <usize>p << 2;
        sumVector = madd(v128.load(aRow + offset), v128.load(bRow + offset), sumVector);
      }
      let sum = horizontalSum(sumVector);
      for (let p = vectorEnd; p < k; p++) sum += load<f32>(aRow + (<usize>p << 2)) * load<f32>(bRow + (<usize>p << 2));
      store<f32>(cRow + (<usize>j << 2), sum);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Entry points

/** The strategy for an m x k by k x n product (see the top of this file). */
export function matmulPlan(m: i32, k: i32, n: i32, transA: bool, transB: bool): i32 {
  const paddedN = (n + 3) & ~3;
  if (<i64>k * paddedN > <i64>DIRECT_MAX_B_FLOATS) return PLAN_PACKED;
  if (!transB) return PLAN_DIRECT;
  if (!transA && m < DOT_MAX_ROWS) return PLAN_DOT;
  return PLAN_DIRECT_TRANSPOSED;
}

/** Floats `matmulPrepareB` writes per B matrix for this plan (0 when B is used as given). */
export function matmulPreparedBFloats(plan: i32, k: i32, n: i32): i32 {
  if (plan == PLAN_PACKED) return k * ((n + NR - 1) & ~(NR - 1));
  if (plan == PLAN_DIRECT_TRANSPOSED) return k * ((n + 3) & ~3);
  return 0;
}

/**
 * Prepares `items` B matrices (element stride bBatchStride apart) for threads to share: packs every
 * (NC, KC) block in the order gemmPacked reads them (plan packed), or writes the K x N transpose
 * with rows padded to whole vectors (plan direct-transposed). Item i goes to
 * dst + 4 * i * matmulPreparedBFloats(plan, k, n).
 */
export function matmulPrepareB(plan: i32, b: usize, k: i32, n: i32, transB: bool, bBatchStride: i32, items: i32, dst: usize): void {
  const itemBytes = <usize>matmulPreparedBFloats(plan, k, n) << 2;
  for (let item = 0; item < items; item++) {
    const bItem = b + (<usize>item * bBatchStride << 2);
    const dstItem = dst + <usize>item * itemBytes;
    if (plan == PLAN_DIRECT_TRANSPOSED) {
      transposeInto(bItem, n, k, dstItem, (n + 3) & ~3);
    } else if (plan == PLAN_PACKED) {
      const bRowStride = transB ? 1 : n;
      const bColStride = transB ? k : 1;
      for (let jc = 0; jc < n; jc += NC) {
        const nc = min(NC, n - jc);
        const paddedNc = (nc + NR - 1) & ~(NR - 1);
        for (let pc = 0; pc < k; pc += KC) {
          packB(bItem, bRowStride, bColStride, pc, min(KC, k - pc), jc, nc,
            dstItem + ((<usize>jc * k + <usize>pc * paddedNc) << 2));
        }
      }
    }
  }
}

/**
 * Items [itemStart, itemEnd) of a products job: item i is described by PRODUCT_ITEM_WORDS i32 words
 * at params + 4 · i · PRODUCT_ITEM_WORDS (plan, a, b, c, m, k, n, transA, transB, rowStart,
 * rowEnd: rows [rowStart, rowEnd) of C = op(A)·op(B), one matrix each; then the pointer of B as
 * `matmulPrepareB` wrote it, shared by all parts of the product, or 0 to prepare B on the fly in
 * this thread's scratch exactly as `matmul` does), so the rows are bit for bit `matmul`'s.
 */
function productsJob(params: usize, itemStart: i32, itemEnd: i32, scratch: usize): void {
  for (let item = itemStart; item < itemEnd; item++) {
    const p = params + (<usize>(item * PRODUCT_ITEM_WORDS) << 2);
    const prepared = <usize>load<u32>(p, 44);
    runRows(
      load<i32>(p), <usize>load<u32>(p, 4), <usize>load<u32>(p, 8), prepared, prepared != 0, <usize>load<u32>(p, 12),
      load<i32>(p, 16), load<i32>(p, 20), load<i32>(p, 24), load<i32>(p, 28) != 0, load<i32>(p, 32) != 0, 0, 0,
      load<i32>(p, 36), load<i32>(p, 40), scratch,
    );
  }
}

/**
 * Computes the flattened output rows [rowStart, rowEnd) of a batched product with a given plan.
 * `prepared` is B as written by matmulPrepareB (one matrix for all items when sharedPrepared), or
 * 0 to prepare on the fly into this thread's scratch.
 */
function runRows(
  plan: i32, a: usize, b: usize, prepared: usize, sharedPrepared: bool, c: usize, m: i32, k: i32, n: i32,
  transA: bool, transB: bool, aBatchStride: i32, bBatchStride: i32, rowStart: i32, rowEnd: i32, scratch: usize,
): void {
  const aRowStride = transA ? 1 : k;
  const aColStride = transA ? m : 1;
  const bRowStride = transB ? 1 : n;
  const bColStride = transB ? k : 1;
  const paddedN = (n + 3) & ~3;
  const preparedItemBytes: usize = sharedPrepared ? 0 : <usize>matmulPreparedBFloats(plan, k, n) << 2;
  let transposedItem: i32 = -1;
  let item = rowStart / m;
  let row = rowStart - item * m;
  let remaining = rowEnd - rowStart;
  while (remaining > 0) {
    const count = min(remaining, m - row);
    const aItem = a + (<usize>item * aBatchStride << 2);
    const bItem = b + (<usize>item * bBatchStride << 2);
    const cItem = c + (<usize>item * m * n << 2);
    const preparedItem = prepared + <usize>item * preparedItemBytes;
    if (plan == PLAN_DIRECT) {
      gemmDirect(aItem, aRowStride, aColStride, bItem, n, cItem, n, k, row, row + count);
    } else if (plan == PLAN_DOT) {
      gemmDot(aItem, bItem, cItem, n, k, row, row + count);
    } else if (plan == PLAN_DIRECT_TRANSPOSED) {
      let transposed = preparedItem;
      if (!prepared) {
        // Transpose into scratch once per distinct B (once in all when it is broadcast).
        const bIndex = bBatchStride == 0 ? 0 : item;
        if (transposedItem != bIndex) {
          transposeInto(bItem, n, k, scratch, paddedN);
          transposedItem = bIndex;
        }
        transposed = scratch;
      }
      gemmDirect(aItem, aRowStride, aColStride, transposed, paddedN, cItem, n, k, row, row + count);
    } else {
      gemmPacked(aItem, aRowStride, aColStride, bItem, bRowStride, bColStride, prepared ? preparedItem : 0,
        cItem, n, k, row, row + count, scratch);
    }
    remaining -= count;
    row = 0;
    item++;
  }
}

/**
 * out[batch] = op(A[batch]) @ op(B[batch]) on the calling thread, for the flattened output rows
 * [rowStart, rowEnd) of the (batch * m) x n result. A is (m, k) row-major, or (k, m) when transA;
 * B is (k, n), or (n, k) when transB; aBatchStride and bBatchStride are element strides between
 * batch items (0 broadcasts). `scratch` is MATMUL_SCRATCH_BYTES. Every B must be followed by at
 * least 16 readable bytes (the direct path reads whole vectors past its last column).
 */
export function matmul(
  a: usize, b: usize, c: usize, m: i32, k: i32, n: i32,
  transA: bool, transB: bool, aBatchStride: i32, bBatchStride: i32,
  rowStart: i32, rowEnd: i32, scratch: usize,
): void {
  if (rowStart >= rowEnd || n == 0) return;
  if (k == 0) {
    memory.fill(c + (<usize>rowStart * n << 2), 0, <usize>(rowEnd - rowStart) * n << 2);
    return;
  }
  const plan = matmulPlan(m, k, n, transA, transB);
  runRows(plan, a, b, 0, false, c, m, k, n, transA, transB, aBatchStride, bBatchStride, rowStart, rowEnd, scratch);
}

/**
 * The per-thread body of a parallel matmul (k > 0), run by the main thread and by every worker
 * that wakes in time. Claims chunks of `chunkRows` flattened output rows from the 64-bit word at
 * `claims` (high half: the job's tag, low half: next unclaimed row) with compare-and-swap, so a
 * thread holding stale arguments from an earlier job can never claim rows of a later one; runs
 * `plan` on each chunk with B as prepared by matmulPrepareB (at `prepared`; one matrix for every
 * item when sharedPrepared); adds the rows it finished to the i32 at `done` (waking the waiter once
 * all `rows` are done) and counts itself in the i32 at `done + 4` when it claimed anything.
 * Returns the number of rows this thread computed.
 */
export function matmulClaimRows(
  plan: i32, a: usize, b: usize, prepared: usize, sharedPrepared: bool, c: usize, m: i32, k: i32, n: i32,
  transA: bool, transB: bool, aBatchStride: i32, bBatchStride: i32, rows: i32,
  claims: usize, tag: i32, chunkRows: i32, done: usize, scratch: usize,
): i32 {
  const tagBits = <i64>tag << 32;
  let participated = false;
  let computed = 0;
  for (;;) {
    const current = atomic.load<i64>(claims);
    const start = <i32>current;
    if ((current & 0xffffffff00000000) != tagBits || start >= rows) return computed;
    const end = min(rows, start + chunkRows);
    if (atomic.cmpxchg<i64>(claims, current, tagBits | <i64><u32>end) != current) continue;
    if (!participated) {
      participated = true;
      atomic.add<i32>(done + 4, 1);
    }
    if (plan >= PRODUCTS_PLAN) productsJob(a, start, end, scratch);
    else if (plan >= ELEMENTWISE_PLAN) elementwiseJob(a, start, end);
    else if (plan >= ATTENTION_PLAN) attentionJob(plan - ATTENTION_PLAN, a, start, end, scratch);
    else runRows(plan, a, b, prepared, sharedPrepared, c, m, k, n, transA, transB, aBatchStride, bBatchStride, start, end, scratch);
    computed += end - start;
    if (atomic.add<i32>(done, end - start) + (end - start) >= rows) atomic.notify(done, 1);
  }
  return computed; // not reached: the loop returns
}

/** Opens job `tag` for claiming: stores the claim word (tag, row 0) and clears the done and participant counts. */
export function matmulOpenClaims(claims: usize, tag: i32, done: usize): void {
  atomic.store<i32>(done, 0);
  atomic.store<i32>(done + 4, 0);
  atomic.store<i64>(claims, <i64>tag << 32);
}
