import { defineConfig } from 'tsup';

export default defineConfig({
  // bin.ts keeps its shebang; train-worker.ts is loaded by URL at run time, so it is an entry of its own.
  entry: ['src/index.ts', 'src/bin.ts', 'src/train-worker.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
