import { defineConfig } from 'tsup';

export default defineConfig({
  // async-worker is the worker-thread script AsyncVectorEnv starts (dist/async-worker.js);
  // it is not a public entry.
  entry: { index: 'src/index.ts', 'async-worker': 'src/vector/async-worker.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
