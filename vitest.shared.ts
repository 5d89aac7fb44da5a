// The vitest configuration every package uses (each package's vitest.config.ts re-exports it).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests read sibling packages' sources through the @attune/source export condition, so no build
  // is needed; the condition must reach Vite's SSR resolver too.
  resolve: { conditions: ['@attune/source'] },
  ssr: { resolve: { conditions: ['@attune/source'] } },
  // Learning tests train real agents; CI runs every package on 2 shared cores, so limits are generous.
  test: { include: ['test/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
