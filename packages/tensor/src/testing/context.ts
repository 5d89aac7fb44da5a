// What every test group of the op suite sees: registration of tests, the backend under test,
// and assertion helpers whose tolerances honour the suite's `tolerance` factor.

import type { Backend } from '../backend.js';
import type { Tensor } from '../tensor.js';
import type { AllcloseOptions, Expected } from './allclose.js';
import { uniformValues, type GradCheckInput, type GradCheckOptions, type GradCheckResult } from './gradcheck.js';
import type { Array64 } from './reference.js';

/** Describes one input of an op case: a shape and how to draw its values. */
export interface InputSpec {
  shape: readonly number[];
  /** Explicit values; drawn uniformly in [low, high) from a seed derived from the test name otherwise. */
  values?: ArrayLike<number>;
  low?: number;
  high?: number;
  /** Points the drawn values stay `margin` away from (kinks). */
  avoid?: readonly number[];
  margin?: number;
  /** False for constant inputs (targets, masks as floats). */
  requiresGrad?: boolean;
}

/** Options of an op case beyond its inputs. */
export type CaseOptions = Omit<GradCheckOptions, 'reference' | 'label'>;

/** The interface each test group registers its tests through. */
export interface SuiteContext {
  /** The backend under test (valid while a test runs; it is also the active backend then). */
  readonly backend: Backend;
  /** Opens a group of tests (a `describe` block); group names prefix skip-list keys. */
  group(name: string, body: () => void): void;
  /** Registers a test. */
  test(name: string, body: () => Promise<void> | void): void;
  /**
   * Registers a test that checks `fn`'s forward values against the float64 `reference` and its
   * gradients against central differences through the reference.
   */
  op(name: string, inputs: readonly InputSpec[], fn: (...xs: Tensor[]) => Tensor, reference: (...xs: Array64[]) => Array64, options?: CaseOptions): void;
  /** `expectAllclose` with the suite's tolerance factor applied. */
  close(actual: Tensor | Expected, expected: Tensor | Expected, options?: AllcloseOptions): Promise<void>;
  /** `finiteDifferenceGradCheck` with the suite's tolerance factor applied. */
  gradCheck(fn: (...xs: Tensor[]) => Tensor, inputs: readonly GradCheckInput[], options?: GradCheckOptions): Promise<GradCheckResult>;
}

/** A stable 32-bit hash of a string (FNV-1a), to seed each test's inputs from its name. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Materialises input specs into gradient-check inputs, drawing values from `seed`. */
export function materialize(specs: readonly InputSpec[], seed: number): GradCheckInput[] {
  return specs.map((spec, i) => {
    const count = spec.shape.reduce((p, d) => p * d, 1);
    const values = spec.values
      ? Float32Array.from(spec.values)
      : uniformValues(count, seed + 7919 * i, spec.low ?? -2, spec.high ?? 2, { avoid: spec.avoid, margin: spec.margin });
    if (values.length !== count) throw new RangeError(`input ${i}: shape [${spec.shape.join(', ')}] needs ${count} values, got ${values.length}`);
    return { shape: spec.shape, values, requiresGrad: spec.requiresGrad };
  });
}

/** Scales the tolerances of a closeness check by `factor`. */
export function scaleTolerance<T extends { rtol?: number; atol?: number }>(options: T, defaults: { rtol: number; atol: number }, factor: number): T {
  return { ...options, rtol: (options.rtol ?? defaults.rtol) * factor, atol: (options.atol ?? defaults.atol) * factor };
}
