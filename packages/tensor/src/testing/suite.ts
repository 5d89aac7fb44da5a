// `defineOpSuite`: registers the backend-agnostic op test suite with the caller's test runner
// (vitest's describe/it passed in, so the package never imports a test runner at run time).
// Each test activates the backend under test, runs, and restores the previous backend.

import type { Backend } from '../backend.js';
import { getBackend, listBackends, registerBackend, setBackend } from '../engine.js';
import { allcloseMatchers, expectAllclose, type AllcloseOptions } from './allclose.js';
import { finiteDifferenceGradCheck, type GradCheckOptions } from './gradcheck.js';
import { hashSeed, materialize, scaleTolerance, type SuiteContext } from './context.js';
import { autogradTests } from './suites/autograd.js';
import { creationTests } from './suites/creation.js';
import { elementwiseTests } from './suites/elementwise.js';
import { errorTests } from './suites/errors.js';
import { indexingTests } from './suites/indexing.js';
import { linalgTests } from './suites/linalg.js';
import { memoryTests } from './suites/memory.js';
import { nnTests } from './suites/nn.js';
import { reduceTests } from './suites/reduce.js';
import { shapeTests } from './suites/shape.js';

/** A test body as the runner calls it. */
export type TestBody = () => Promise<void>;

/** A test registration function (vitest's `it`/`test`), optionally with `.skip` and `.fails`. */
export interface ItFunction {
  (name: string, body: TestBody): void;
  /** Registers a skipped test (reported as such). */
  skip?: (name: string, body: TestBody) => void;
  /** Registers a test that must fail (vitest's `it.fails`): used for known failures. */
  fails?: (name: string, body: TestBody) => void;
}

/** The test-runner functions the suite registers through; pass vitest's. */
export interface TestFunctions {
  describe: (name: string, body: () => void) => void;
  it: ItFunction;
  /** When given, `allcloseMatchers` are registered with `expect.extend`. */
  expect?: { extend(matchers: Record<string, unknown>): void };
}

/** Options of `defineOpSuite`. */
export interface OpSuiteOptions {
  /** The backend under test, or a (possibly async) factory called once, on the first test. */
  backend: Backend | (() => Backend | Promise<Backend>);
  /** Name of the outer `describe` block. */
  name: string;
  /**
   * Tests not run on this backend, keyed by `'<group>: <test name>'` or by a whole `'<group>'`, each
   * with the reason (tfjs's reviewed TEST_FILTERS). A key that matches no test is an error, so the
   * list cannot go stale.
   */
  skip?: Record<string, string>;
  /**
   * Tests expected to fail, same keys, with the reason (a bug report). They run as `it.fails`, so a
   * fix makes them fail loudly until the entry is removed. Defaults to `KNOWN_FAILURES`, the core
   * bugs that every backend inherits; pass `{ ...KNOWN_FAILURES, ...yours }` to add backend bugs.
   */
  knownFailures?: Record<string, string>;
  /** Factor multiplying every tolerance (default 1); e.g. 10 for a backend with approximate transcendentals. */
  tolerance?: number;
}

/**
 * Bugs in the core (above the backends) that the suite demonstrates, with the reason and the fix.
 * Every backend inherits them; remove an entry when the fix lands (its `it.fails` test then fails).
 */
export const KNOWN_FAILURES: Readonly<Record<string, string>> = {};

/** Resolves and caches the backend of one suite. */
function backendResolver(option: OpSuiteOptions['backend']): () => Promise<Backend> {
  let cached: Promise<Backend> | null = null;
  return () => (cached ??= Promise.resolve(typeof option === 'function' ? option() : option));
}

/** Makes `backend` the active one for a test and returns the undo. */
function activate(backend: Backend): () => void {
  const previous = getBackend();
  const displaced = listBackends().includes(backend.name) ? setBackend(backend.name) : null;
  registerBackend(backend);
  setBackend(backend.name);
  return () => {
    if (displaced && displaced !== backend) registerBackend(displaced);
    registerBackend(previous);
    setBackend(previous.name);
  };
}

/**
 * Registers the backend-agnostic op test suite: forward values of every op against hand-computed
 * values or float64 references, every gradient against central finite differences in float64,
 * autograd semantics, the `tidy`/`dispose` memory model, and error messages. Each backend runs it
 * once; tests read results with `await tensor.data()`, so asynchronous backends fit.
 *
 * @example
 * ```ts
 * import { describe, it, expect } from 'vitest';
 * import { cpuBackend } from '@attune/tensor';
 * import { defineOpSuite } from '@attune/tensor/testing';
 *
 * defineOpSuite({ backend: cpuBackend(), name: 'cpu' }, { describe, it, expect });
 * ```
 */
export function defineOpSuite(options: OpSuiteOptions, functions: TestFunctions): void {
  const { describe, it } = functions;
  const skip = options.skip ?? {};
  const knownFailures = options.knownFailures ?? KNOWN_FAILURES;
  const factor = options.tolerance ?? 1;
  const resolve = backendResolver(options.backend);
  const used = new Set<string>();
  const names = new Set<string>();
  let current: Backend | null = null;
  let groupName = '';

  const register = (name: string, body: () => Promise<void> | void): void => {
    const key = `${groupName}: ${name}`;
    if (names.has(key)) throw new Error(`defineOpSuite: duplicate test '${key}'`);
    names.add(key);
    const run: TestBody = async () => {
      const backend = await resolve();
      const restore = activate(backend);
      current = backend;
      try {
        await body();
      } finally {
        current = null;
        restore();
      }
    };
    const skipReason = skip[key] ?? skip[groupName];
    if (skipReason !== undefined) {
      used.add(skip[key] !== undefined ? `skip:${key}` : `skip:${groupName}`);
      if (it.skip) it.skip(`${name} [skipped: ${skipReason}]`, run);
      return;
    }
    const failure = knownFailures[key];
    if (failure !== undefined) {
      used.add(`fail:${key}`);
      if (it.fails) it.fails(`${name} [KNOWN FAILURE: ${failure}]`, run);
      else if (it.skip) it.skip(`${name} [KNOWN FAILURE, skipped: ${failure}]`, run);
      return;
    }
    it(name, run);
  };

  const context: SuiteContext = {
    get backend(): Backend {
      if (!current) throw new Error('defineOpSuite: the backend is only available while a test runs');
      return current;
    },
    group(name, body) {
      describe(name, () => {
        const outer = groupName;
        groupName = name;
        try {
          body();
        } finally {
          groupName = outer;
        }
      });
    },
    test: register,
    op(name, inputs, fn, reference, caseOptions = {}) {
      const seed = hashSeed(`${groupName}: ${name}`);
      register(name, async () => {
        await context.gradCheck(fn, materialize(inputs, seed), { ...caseOptions, reference, seed });
      });
    },
    close(actual, expected, closeOptions: AllcloseOptions = {}) {
      return expectAllclose(actual, expected, scaleTolerance(closeOptions, { rtol: 1e-5, atol: 1e-6 }, factor));
    },
    gradCheck(fn, inputs, checkOptions: GradCheckOptions = {}) {
      const scaled = scaleTolerance(checkOptions, { rtol: 1e-4, atol: 1e-5 }, factor);
      const forward = checkOptions.forward === false ? false : scaleTolerance(checkOptions.forward ?? {}, { rtol: 1e-5, atol: 1e-6 }, factor);
      return finiteDifferenceGradCheck(fn, inputs, { ...scaled, forward });
    },
  };

  functions.expect?.extend(allcloseMatchers);

  describe(options.name, () => {
    creationTests(context);
    elementwiseTests(context);
    reduceTests(context);
    linalgTests(context);
    shapeTests(context);
    indexingTests(context);
    nnTests(context);
    autogradTests(context);
    memoryTests(context);
    errorTests(context);
    // Runs after collection (runners may collect describe bodies lazily), so every test is known.
    it('every skip and known-failure entry matches a test', async () => {
      const stale = [
        ...Object.keys(skip).filter((key) => !used.has(`skip:${key}`)).map((key) => `skip '${key}'`),
        ...Object.keys(knownFailures).filter((key) => !used.has(`fail:${key}`)).map((key) => `knownFailures '${key}'`),
      ];
      if (stale.length > 0) throw new Error(`defineOpSuite(${options.name}): entries that match no test: ${stale.join(', ')}`);
    });
  });
}
