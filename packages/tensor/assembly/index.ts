// Entry point of the WebAssembly kernels module: every function the CPU backend calls.
// All pointers are byte offsets into the (shared) linear memory, which the JavaScript side lays
// out itself; the module allocates nothing and keeps no state, so one module can be instantiated
// on the main thread and on every worker over the same memory.

import { MATMUL_SCRATCH_BYTES } from './matmul';

export {
  matmul,
  matmulClaimRows,
  matmulOpenClaims,
  matmulPlan,
  matmulPrepareB,
  matmulPreparedBFloats,
} from './matmul';
export { softmax, logSoftmax, softmaxBackward, logSoftmaxBackward } from './softmax';
export { layerNorm, layerNormBackward } from './layer_norm';
export { adam } from './adam';
export { attention, attentionBackward, attentionScratchFloats } from './attention';
export { unary, activationBackward, addRowVector, sumRows, binary, gatherRuns } from './elementwise';

/** First byte after the compiler's static data; the JavaScript side lays out memory above it. */
export function heapBase(): usize {
  return __heap_base;
}

/** Bytes of thread-private scratch each concurrent `matmul` call needs. */
export function matmulScratchBytes(): i32 {
  return MATMUL_SCRATCH_BYTES;
}

