// Gradient checking: autograd gradients from the backend under test (float32) against central
// finite differences. With a float64 `reference` forward the differences are taken in float64
// (eps 1e-6: truncation ~eps² and rounding ~1e-16/eps are both far below float32 noise), so the
// expected gradient is exact to float32 precision and the tolerance only has to absorb the
// backend's float32 rounding. Without one, the differences are taken on the backend itself in
// float32 with a large eps (1e-2) and loose tolerances — a fallback for ops with no reference.

import { memory, noGrad, tidy } from '../engine.js';
import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { allcloseMessage, type Tolerance } from './allclose.js';
import { array64, type Array64 } from './reference.js';

/** One input of a gradient check: its shape and values (rounded to float32 before use). */
export interface GradCheckInput {
  /** Shape of the input tensor. */
  shape: readonly number[];
  /** Row-major values. */
  values: ArrayLike<number>;
  /** Whether to check the gradient of this input (default true); false makes it a float32 constant. */
  requiresGrad?: boolean;
}

/** Options of `finiteDifferenceGradCheck`. */
export interface GradCheckOptions extends Tolerance {
  /**
   * The op's forward in float64 (plain JavaScript on `Array64`s, independent of the package).
   * When given, the forward values are checked against it and finite differences are computed
   * through it in float64; otherwise they are computed by re-running `fn` on the backend in float32.
   */
  reference?: (...inputs: Array64[]) => Array64;
  /** Finite-difference step (default 1e-6 with a reference, 1e-2 without). */
  eps?: number;
  /** Tolerance of the forward check against `reference` (default rtol 1e-5, atol 1e-6); false skips it. */
  forward?: Tolerance | false;
  /** Seed of the random output weights w in the checked scalar Σ w·fn(inputs). */
  seed?: number;
  /** Assert that forward + backward inside `tidy` leaves no tensor behind except the leaves' grads (default true). */
  checkLeaks?: boolean;
  /** Prefix of failure messages. */
  label?: string;
}

/** What a gradient check computed, for further assertions. */
export interface GradCheckResult {
  /** Forward output values (float32, from the backend). */
  output: Float32Array;
  /** Output shape. */
  shape: readonly number[];
  /** Autograd gradient per input (null for inputs that do not require grad). */
  gradients: (Float32Array | null)[];
  /** Finite-difference gradient per input (null for inputs that do not require grad). */
  numeric: (Float64Array | null)[];
}

/** A small deterministic generator (mulberry32) so the testing module has no dependency on the package's RNG. */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` float32-representable values uniform in [low, high), kept at least `margin` away from every
 * point in `avoid` (the kinks of relu, abs, clamp, ...) so finite differences never straddle one.
 *
 * @example
 * ```ts
 * uniformValues(6, 1, -2, 2, { avoid: [0], margin: 0.1 });
 * ```
 */
export function uniformValues(count: number, seed: number, low = -2, high = 2, options: { avoid?: readonly number[]; margin?: number } = {}): Float32Array {
  const { avoid = [], margin = 0.05 } = options;
  const random = seededUniform(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let v: number;
    let tries = 0;
    do {
      v = Math.fround(low + (high - low) * random());
    } while (avoid.some((a) => Math.abs(v - a) < margin) && ++tries < 1000);
    out[i] = v;
  }
  return out;
}

/** Output weights: magnitudes in [0.5, 1.5) with random signs, so no output element is ignored. */
function outputWeights(count: number, seed: number): Float64Array {
  const random = seededUniform(seed ^ 0x9e3779b9);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.fround((random() < 0.5 ? -1 : 1) * (0.5 + random()));
  return out;
}

function dot(weights: Float64Array, values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i] * values[i];
  return total;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Checks the autograd gradients of `fn` at `inputs` against central finite differences of the scalar
 * L = Σ w·fn(inputs) for fixed random weights w (so every output element and the explicit-gradient
 * path of `backward` take part). Tensors are created on the active backend; forward and backward run
 * inside `tidy`. Throws an Error naming the input, the element, and the two gradients on mismatch.
 *
 * Prefer passing `reference`, a float64 forward written independently in plain JavaScript: the
 * expected gradient is then exact to float32 precision and tolerances can be tight.
 *
 * @example
 * ```ts
 * await finiteDifferenceGradCheck((x) => x.tanh(), [{ shape: [3], values: [-1, 0.5, 2] }], {
 *   reference: (x) => map(x, Math.tanh),
 * });
 * ```
 */
export async function finiteDifferenceGradCheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly GradCheckInput[],
  options: GradCheckOptions = {},
): Promise<GradCheckResult> {
  const { reference, seed = 1, checkLeaks = true, rtol = 1e-4, atol = 1e-5 } = options;
  const eps = options.eps ?? (reference ? 1e-6 : 1e-2);
  const label = options.label ? `${options.label}: ` : '';
  const values = inputs.map((input) => Float32Array.from(input.values));
  const wants = inputs.map((input) => input.requiresGrad !== false);

  // 1. Forward and backward on the backend under test, inside tidy.
  const before = memory().numTensors;
  const leaves = inputs.map((input, i) => tensor(values[i], { shape: input.shape, requiresGrad: wants[i] }));
  let weights: Float64Array | null = null;
  const out = tidy(() => {
    const y = fn(...leaves);
    if (!y.requiresGrad) throw new Error(`${label}fn's output does not require grad; no gradient reaches the inputs`);
    weights = outputWeights(y.size, seed);
    y.backward(tensor(Float32Array.from(weights), { shape: y.shape }));
    return y;
  });
  const w = weights as unknown as Float64Array;
  const output = Float32Array.from(await out.data());
  const shape = out.shape.slice();
  const gradients: (Float32Array | null)[] = [];
  for (let i = 0; i < leaves.length; i++) {
    const grad = leaves[i].grad;
    if (!wants[i]) gradients.push(null);
    else if (!grad) gradients.push(new Float32Array(values[i].length));
    else {
      if (shapeText(grad.shape) !== shapeText(inputs[i].shape)) {
        throw new Error(`${label}input ${i}: gradient has shape ${shapeText(grad.shape)}, expected ${shapeText(inputs[i].shape)}`);
      }
      gradients.push(Float32Array.from(await grad.data()));
    }
  }
  out.dispose();
  for (const leaf of leaves) leaf.dispose();
  if (checkLeaks && memory().numTensors !== before) {
    throw new Error(`${label}forward + backward inside tidy left ${memory().numTensors - before} tensor(s) alive besides the leaves`);
  }

  // 2. The forward values against the float64 reference.
  if (reference && options.forward !== false) {
    const expected = reference(...inputs.map((input, i) => array64(input.shape, values[i])));
    if (shapeText(expected.shape) !== shapeText(shape)) {
      throw new Error(`${label}forward: expected shape ${shapeText(expected.shape)}, got ${shapeText(shape)}`);
    }
    const message = allcloseMessage(output, expected.data, { rtol: 1e-5, atol: 1e-6, ...(options.forward ?? {}), shape, label: `${label}forward` });
    if (message) throw new Error(message);
  }

  // 3. Central differences of L = Σ w·fn, in float64 through the reference or in float32 on the backend.
  const loss = reference
    ? (point: Float64Array[]) => dot(w, reference(...inputs.map((input, i) => array64(input.shape, point[i]))).data)
    : (point: Float64Array[]) =>
        noGrad(() => {
          const ts = inputs.map((input, i) => tensor(Float32Array.from(point[i]), { shape: input.shape }));
          const y = fn(...ts);
          const data = y.backend.readSync ? y.dataSync() : null;
          if (!data) throw new Error(`${label}finite differences without a reference need a synchronous backend; pass options.reference`);
          y.dispose();
          for (const t of ts) t.dispose();
          return dot(w, data);
        });
  const numeric: (Float64Array | null)[] = [];
  const point = values.map((v) => Float64Array.from(v));
  for (let i = 0; i < inputs.length; i++) {
    if (!wants[i]) {
      numeric.push(null);
      continue;
    }
    const result = new Float64Array(values[i].length);
    for (let k = 0; k < result.length; k++) {
      const x = point[i][k];
      // Without a reference the perturbed points must be float32, so divide by the step actually taken.
      const hi = reference ? x + eps : Math.fround(x + eps);
      const lo = reference ? x - eps : Math.fround(x - eps);
      point[i][k] = hi;
      const up = loss(point);
      point[i][k] = lo;
      const down = loss(point);
      point[i][k] = x;
      result[k] = (up - down) / (hi - lo);
    }
    numeric.push(result);
    const message = allcloseMessage(gradients[i] as Float32Array, result, {
      rtol,
      atol,
      shape: inputs[i].shape,
      label: `${label}gradient of input ${i} (shape ${shapeText(inputs[i].shape)}): autograd (actual) vs central differences (expected)`,
    });
    if (message) throw new Error(message);
  }
  return { output, shape, gradients, numeric };
}
