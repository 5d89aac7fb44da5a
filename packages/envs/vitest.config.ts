import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests read sibling packages' sources: the condition must reach Vite's SSR resolver too.
  resolve: { conditions: ['@attune/source'] },
  ssr: { resolve: { conditions: ['@attune/source'] } },
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
