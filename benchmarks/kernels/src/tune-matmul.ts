// Sweeps the tiled matmul kernel's tilings on this adapter (the default tiling was chosen on
// lavapipe and a guess elsewhere): square products of 1024, 2048 and 4096 per tiling, median GPU
// time from timestamp queries (else wall time), and the best tiling printed as the flag the kernel
// benchmark takes (`--matmul-tiling=…`). Tilings the adapter's limits cannot hold are skipped.
//
//   npm run tune-matmul --workspace @attune/benchmark-kernels [-- --out=<file.json> --sizes=1024,4096]

import fs from 'node:fs';
import { Generator, matmul, randn, tidy } from '@attune/tensor';
import { attuneWebGPU } from './libraries.js';
import { FULL_BUDGET, median, sample, startSampler } from './measure.js';
import { formatTiling, parseTiling } from './tiling.js';

const CANDIDATES = [
  '64x64x16x4x4', // the default
  '64x64x32x4x4',
  '64x64x8x4x4',
  '128x64x16x8x4',
  '64x128x16x4x8',
  '128x128x8x8x8',
  '128x128x16x8x8',
  '128x128x32x8x8',
  '128x128x16x8x4',
  '64x64x16x8x8',
  '32x32x16x2x2', // the small-product tiling
].map(parseTiling);

const SIZES = (process.argv.find((a) => a.startsWith('--sizes='))?.slice('--sizes='.length) ?? '1024,2048,4096').split(',').map(Number);

async function main(): Promise<void> {
  const out = process.argv.find((a) => a.startsWith('--out='))?.slice('--out='.length);
  const rows: { tiling: string; size: number; gflops?: number; status: string }[] = [];
  let adapter: unknown = null;
  for (const tiling of CANDIDATES) {
    const name = formatTiling(tiling);
    let library;
    try {
      library = await attuneWebGPU({ matmulTiling: tiling }); // a backend per tiling: the tiling is fixed at creation
    } catch (error) {
      rows.push({ tiling: name, size: 0, status: `skipped: ${(error as Error).message}` });
      console.log(`${name.padEnd(16)} skipped: ${(error as Error).message}`);
      continue;
    }
    const { backend } = library;
    if (!adapter) {
      adapter = backend.adapter;
      console.log(`adapter: ${backend.adapter.vendor} ${backend.adapter.architecture} — ${backend.adapter.description}`);
    }
    const generator = new Generator(17);
    const figures: string[] = [];
    for (const n of SIZES) {
      const [a, b] = [randn([n, n], { generator, backend }), randn([n, n], { generator, backend })];
      const prepared = { call: () => tidy(() => void matmul(a, b)), dispose() {} };
      try {
        const sampler = await startSampler(library, prepared, { ...FULL_BUDGET, samples: 3, sampleMs: 200 });
        for (let s = 0; s < 3; s++) await sample(sampler);
        const ms = sampler.gpuMs.length > 0 ? median(sampler.gpuMs) : median(sampler.wallMs);
        const gflops = (2 * n ** 3) / ms / 1e6;
        rows.push({ tiling: name, size: n, gflops: Number(gflops.toPrecision(4)), status: 'measured' });
        figures.push(`${n}: ${gflops.toFixed(0)}`);
      } catch (error) {
        rows.push({ tiling: name, size: n, status: `failed: ${(error as Error).message.split('\n')[0]}` });
        figures.push(`${n}: failed`);
      }
      a.dispose();
      b.dispose();
    }
    console.log(`${name.padEnd(16)} GFLOP/s  ${figures.join('  ')}`);
    backend.dispose();
  }
  const largest = SIZES.at(-1)!;
  const best = rows.filter((r) => r.size === largest && r.gflops !== undefined).sort((x, y) => y.gflops! - x.gflops!)[0];
  if (best) console.log(`\nbest at ${largest}: ${best.tiling} (${best.gflops} GFLOP/s) → --matmul-tiling=${best.tiling}`);
  if (out) fs.writeFileSync(out, `${JSON.stringify({ adapter, date: new Date().toISOString(), sizes: SIZES, rows, best: best?.tiling ?? null }, null, 2)}\n`);
  process.exit(0);
}

await main();
