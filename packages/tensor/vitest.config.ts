// The shared configuration (vitest.shared.ts at the repository root), run as two projects: every
// test with the kernels' default build (relaxed SIMD, fused multiply-add, wherever the engine has
// it), and the WebAssembly kernel tests again with ATTUNE_WASM_RELAXED_SIMD=0, so that the plain
// SIMD build, which engines without relaxed SIMD load, stays tested too.
import { defineConfig } from 'vitest/config';
import shared from '../../vitest.shared';

export default defineConfig({
  ...shared,
  test: {
    projects: [
      { ...shared, test: { ...shared.test, name: 'default' } },
      {
        ...shared,
        test: {
          ...shared.test,
          name: 'plain-simd',
          include: ['test/wasm/**/*.test.ts', 'test/attention*.test.ts', 'test/cross-entropy-fused.test.ts'],
          exclude: ['test/wasm/relaxed.test.ts'],
          env: { ATTUNE_WASM_RELAXED_SIMD: '0' },
        },
      },
    ],
  },
});
