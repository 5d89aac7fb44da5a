// @attune/tensor/testing — the backend-agnostic op test suite and the helpers it is built from.
// Every backend runs the same suite (`defineOpSuite`) with a reviewed skip list; closeness is
// checked with `expectAllclose`, gradients with `finiteDifferenceGradCheck` against float64
// references. This module never imports a test runner: pass vitest's `describe`/`it` in.

export {
  allcloseMatchers,
  allcloseMessage,
  assertAllclose,
  expectAllclose,
  DEFAULT_TOLERANCE,
  type AllcloseOptions,
  type Expected,
  type MatcherResult,
  type Tolerance,
} from './allclose.js';
export {
  finiteDifferenceGradCheck,
  seededUniform,
  uniformValues,
  type GradCheckInput,
  type GradCheckOptions,
  type GradCheckResult,
} from './gradcheck.js';
export { defineOpSuite, KNOWN_FAILURES, type ItFunction, type OpSuiteOptions, type TestBody, type TestFunctions } from './suite.js';
export type { CaseOptions, InputSpec, SuiteContext } from './context.js';
/** Float64 reference implementations of the ops (plain JavaScript), for backend tests of their own. */
export * as reference from './reference.js';
