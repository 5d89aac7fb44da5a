// Which build of the kernels this run loaded: the relaxed-SIMD one (fused multiply-add) by default,
// the plain SIMD one in the vitest project that sets ATTUNE_WASM_RELAXED_SIMD=0 (vitest.config.ts),
// so that each project really tests the build it claims to.
import { describe, expect, it } from 'vitest';
import { wasmKernelVariant } from '../../src/backends/cpu/wasm';

describe('wasm kernel variant', () => {
  it('is the build this test project asks for', () => {
    expect(wasmKernelVariant()).toBe(process.env.ATTUNE_WASM_RELAXED_SIMD === '0' ? 'simd' : 'relaxed-simd');
  });
});
