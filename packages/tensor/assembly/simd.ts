// Shared SIMD helpers for the kernels: multiply-add (fused when the module is built with relaxed
// SIMD), horizontal reductions and a vectorised single-precision exp.

/** Returns a * b + c lane-wise; one fused instruction when the module is built with relaxed SIMD. */
// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Sum of the four lanes. */
// @ts-ignore: decorator
@inline
export function horizontalSum(v: v128): f32 {
  const pairs = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.add(pairs, v128.shuffle<f32>(pairs, pairs, 1, 0, 3, 2)), 0);
}

/** Maximum of the four lanes (NaN-propagating like Math.max). */
// @ts-ignore: decorator
@inline
export function horizontalMax(v: v128): f32 {
  const pairs = f32x4.max(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.max(pairs, v128.shuffle<f32>(pairs, pairs, 1, 0, 3, 2)), 0);
}

/**
 * e^x lane-wise, within about 2 ulp (Cephes expf: n = round(x / ln 2), a degree-6 polynomial on
 * the remainder, then scaling by 2^n built in the exponent bits), with gradual underflow:
 * inputs below -104 (including -Infinity) give exactly 0, above 88.72 +Infinity, NaN stays NaN.
 * Written for V8's x64 code: pmin/pmax are one instruction each where min/max (NaN-propagating)
 * take seven, and the 1.5 * 2^23 trick rounds and converts to integer in two where
 * nearest + trunc_sat take six.
 */
// @ts-ignore: decorator
@inline
export function exp4(x: v128): v128 {
  // Below -104 the result rounds to 0; at 89 it overflows to +Infinity in the final scaling. pmax and
  // pmin return their first operand when it is NaN, so NaN passes through.
  const clamped = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-104.0)), f32x4.splat(89.0));
  // Adding 1.5 * 2^23 rounds x / ln 2 to the nearest integer n and leaves n in the low mantissa bits.
  const magic = f32x4.splat(12582912.0);
  const shifted = f32x4.add(f32x4.mul(clamped, f32x4.splat(1.44269504088896341)), magic);
  const n = f32x4.sub(shifted, magic);
  const integerN = i32x4.sub(shifted, magic);
  let r = f32x4.sub(clamped, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1.0));
  // 2^n for n in [-150, 128], split as 2^(n/2) * 2^(n - n/2) so both factors are normal floats:
  // the product underflows gradually to subnormals and to 0, and overflows to +Infinity past 88.72.
  const half = i32x4.shr_s(integerN, 1);
  const scaleA = i32x4.shl(i32x4.add(half, i32x4.splat(127)), 23);
  const scaleB = i32x4.shl(i32x4.add(i32x4.sub(integerN, half), i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(y, scaleA), scaleB);
}

/** e^x for one float, through the vector routine so that scalar tails round exactly like full vectors. */
// @ts-ignore: decorator
@inline
export function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}
