// Runs the backend-agnostic op suite on the CPU backend, twice: as configured (with the
// WebAssembly fast kernels when they load) and with `fast = null`, so both the fast kernels and
// the plain-JavaScript reference loops they must match are covered.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Relative imports: this package's vitest config sets the '@attune/source' condition for the
// client only (packages/nn also sets it under `ssr`), so a self-import of '@attune/tensor' would
// need a build. These are the same two entry files the package exports.
import { cpuBackend, type FastKernels } from '../../src/index.js';
import { defineOpSuite, KNOWN_FAILURES } from '../../src/testing/index.js';

/** Bugs of the CPU backend's JavaScript kernels (backends/cpu/kernels.ts), with the proposed fix. */
const CPU_KNOWN_FAILURES: Record<string, string> = {};

/** Bugs of the WebAssembly fast kernels (assembly/), expected only while they are in use. */
const FAST_KERNEL_KNOWN_FAILURES: Record<string, string> = {};

const cpu = cpuBackend();
const fastKernelsLoaded = cpu.fast !== null;

defineOpSuite(
  {
    backend: cpu,
    name: fastKernelsLoaded ? 'cpu (WebAssembly fast kernels)' : 'cpu (fast kernels unavailable: JavaScript loops)',
    knownFailures: { ...KNOWN_FAILURES, ...CPU_KNOWN_FAILURES, ...(fastKernelsLoaded ? FAST_KERNEL_KNOWN_FAILURES : {}) },
  },
  { describe, it, expect },
);

describe('cpu with fast = null', () => {
  let saved: FastKernels | null = null;
  beforeAll(() => {
    saved = cpu.fast;
    cpu.fast = null;
  });
  afterAll(() => {
    cpu.fast = saved;
  });
  it('uses the JavaScript reference loops', () => {
    expect(cpu.fast).toBeNull();
  });
  defineOpSuite({ backend: cpu, name: 'cpu (JavaScript reference loops)', knownFailures: { ...KNOWN_FAILURES, ...CPU_KNOWN_FAILURES } }, { describe, it });
});
