import { defineConfig } from 'tsup';

// The recipe as a built script (dist/main.js, run by `attune rlhf`) and its metadata (dist/index.js).
// `npm start` keeps running src/main.ts under tsx.
export default defineConfig({
  entry: ['src/index.ts', 'src/main.ts'],
  format: ['esm'],
  dts: false,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
