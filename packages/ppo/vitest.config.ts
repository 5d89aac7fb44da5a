import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@attune/source'] },
  ssr: { resolve: { conditions: ['@attune/source'] } },
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
