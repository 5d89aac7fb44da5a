// Runs the backend-agnostic op suite (`defineOpSuite`) on the WebGPU backend: every op's forward
// values against float64 references and every gradient against central differences, autograd,
// memory and error semantics — the same tests the CPU backend passes.

import { describe, expect, it } from 'vitest';
import { defineOpSuite, KNOWN_FAILURES } from '../../src/testing/index.js';
import { adapterLabel, webgpuBackend, withWebGPU } from './setup.js';

/** Tests the WebGPU backend does not run, with the reason (reviewed: keep this list short). */
export const WEBGPU_SKIP: Record<string, string> = {
  'errors: out-of-range index names the index and the size':
    'the core checks index ranges only on synchronous backends: on the GPU the check would need a readback before every gather/indexSelect/scatterAdd, stalling the pipeline (out-of-range indices read 0 and are ignored by the scatters)',
  'indexing: oneHot with explicit and inferred numClasses, any index shape':
    'oneHot infers numClasses = max(indices) + 1 with dataSync, documented as needing a synchronous backend; pass numClasses on the GPU (the explicit form runs in the training tests)',
};

withWebGPU(() => {
  defineOpSuite({ backend: webgpuBackend, name: `webgpu: ${adapterLabel}`, skip: WEBGPU_SKIP, knownFailures: KNOWN_FAILURES }, { describe, it, expect });
});
