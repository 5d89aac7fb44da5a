// Sweeps the WebGPU backend's kernel variants on this adapter and prints the best of each, so the
// defaults can be chosen per adapter class from measurements rather than guesses:
//
// - matmul: tilings of the tiled kernels (vec4 double-buffered, and the scalar kernel with an `s`
//   suffix) on square products of 1024, 2048 and 4096 (`--sizes=`), and with f16 tiles
//   (`matmulPrecision: 'high'`) where the adapter has `shader-f16`;
// - rows: softmax of 65,536 × 1,024 and layer norm of 65,536 × 768 with the scalar row kernels and
//   the vector ones at 1, 2, 4 and 8 vec4s per thread;
// - elementwise: a 64M-element add at 1, 2 and 4 vec4s per thread.
//
// Median GPU time from timestamp queries (else wall time) over 3 samples per variant.
//
//   npm run tune --workspace @attune/benchmark-kernels [-- --only=matmul,rows,elementwise --out=<file.json> --sizes=1024,4096]

import fs from 'node:fs';
import { add, layerNorm, matmul, softmax, tidy, type WebGPUBackend } from '@attune/tensor';
import { attuneInputs } from './cases.js';
import { attuneWebGPU, type AttuneLibrary } from './libraries.js';
import { FULL_BUDGET, median, sample, startSampler } from './measure.js';
import { formatTiling, parseTiling } from './tiling.js';

const MATMUL_CANDIDATES = [
  '128x128x16x8x4s', // the scalar kernel's best on an H100 before the vec4 kernel
  '64x64x16x4x4s',
  '64x64x8x4x4',
  '64x64x16x4x4',
  '128x64x8x8x4',
  '64x128x8x4x8',
  '128x128x8x8x4',
  '128x128x8x8x8',
  '128x128x16x8x8',
  '128x128x16x8x4',
  '128x256x8x8x8',
  '256x128x8x8x8',
  '64x64x8x8x8',
].map(parseTiling);

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const SIZES = (arg('sizes') ?? '1024,2048,4096').split(',').map(Number);
const ONLY = new Set((arg('only') ?? 'matmul,rows,elementwise').split(','));

interface Row {
  group: string;
  variant: string;
  shape: string;
  ms?: number;
  gflops?: number;
  gbps?: number;
  status: string;
}

/** Median milliseconds of one call (GPU time when the adapter has timestamps, else wall). */
async function time(library: AttuneLibrary, call: () => void): Promise<number> {
  const sampler = await startSampler(library, { call, dispose() {} }, { ...FULL_BUDGET, samples: 3, sampleMs: 200 });
  for (let s = 0; s < 3; s++) await sample(sampler);
  return sampler.gpuMs.length > 0 ? median(sampler.gpuMs) : median(sampler.wallMs);
}

async function measure(rows: Row[], library: AttuneLibrary, row: Omit<Row, 'status'>, call: () => void, work: { flops?: number; bytes?: number }): Promise<void> {
  try {
    const ms = await time(library, call);
    const result: Row = { ...row, ms: Number(ms.toPrecision(4)), status: 'measured' };
    if (work.flops) result.gflops = Number((work.flops / ms / 1e6).toPrecision(4));
    if (work.bytes) result.gbps = Number((work.bytes / ms / 1e6).toPrecision(4));
    rows.push(result);
    console.log(`${row.group.padEnd(12)} ${row.variant.padEnd(18)} ${row.shape.padEnd(14)} ${ms.toFixed(4)} ms${result.gflops ? `  ${result.gflops} GFLOP/s` : ''}${result.gbps ? `  ${result.gbps} GB/s` : ''}`);
  } catch (error) {
    rows.push({ ...row, status: `failed: ${(error as Error).message.split('\n')[0]}` });
    console.log(`${row.group.padEnd(12)} ${row.variant.padEnd(18)} ${row.shape.padEnd(14)} failed: ${(error as Error).message.split('\n')[0]}`);
  }
}

async function sweepMatmul(rows: Row[], f16: boolean): Promise<void> {
  // With shader-f16, the two default tilings again with f16 tiles (`matmulPrecision: 'high'`).
  const candidates = [...MATMUL_CANDIDATES.map((tiling) => ({ tiling, f16: false })), ...(f16 ? ['64x64x16x4x4', '128x128x8x8x8'].map((t) => ({ tiling: parseTiling(t), f16: true })) : [])];
  for (const { tiling, f16: half } of candidates) {
    const variant = `${formatTiling(tiling)}${half ? ' f16' : ''}`;
    let library;
    try {
      library = await attuneWebGPU({ matmulTiling: tiling, ...(half ? { matmulPrecision: 'high' as const } : {}) }); // a backend per tiling: the tiling is fixed at creation
    } catch (error) {
      rows.push({ group: 'matmul', variant, shape: '', status: `skipped: ${(error as Error).message}` });
      console.log(`matmul       ${variant.padEnd(18)} skipped: ${(error as Error).message}`);
      continue;
    }
    const backend = library.backend as WebGPUBackend;
    for (const n of SIZES) {
      const [a, b] = attuneInputs(library, [[n, n], [n, n]]);
      await measure(rows, library, { group: 'matmul', variant, shape: `${n}` }, () => tidy(() => void matmul(a, b)), { flops: 2 * n ** 3 });
      a.dispose();
      b.dispose();
    }
    backend.dispose();
  }
}

/** `maxElements`: what the adapter binds in one buffer (the sizes shrink to it on software adapters). */
async function sweepRows(rows: Row[], maxElements: number): Promise<void> {
  const library = await attuneWebGPU({ rowKernel: 'vector' });
  const backend = library.backend as WebGPUBackend & { rowKernel: 'scalar' | 'vector'; rowVectorsPerThread: number };
  const count = Math.min(65536, Math.floor(maxElements / 1024));
  const [x, w, b, xl] = attuneInputs(library, [[count, 1024], [768], [768], [count, 768]]);
  for (const variant of ['scalar', 'vector-1', 'vector-2', 'vector-4', 'vector-8']) {
    backend.rowKernel = variant === 'scalar' ? 'scalar' : 'vector';
    if (variant !== 'scalar') backend.rowVectorsPerThread = Number(variant.split('-')[1]);
    await measure(rows, library, { group: 'softmax', variant, shape: `${count}x1024` }, () => tidy(() => void softmax(x, -1)), { bytes: 2 * 4 * count * 1024 });
    await measure(rows, library, { group: 'layerNorm', variant, shape: `${count}x768` }, () => tidy(() => void layerNorm(xl, [768], w, b)), { bytes: 4 * (2 * count * 768 + 2 * 768) });
  }
  for (const t of [x, w, b, xl]) t.dispose();
  backend.dispose();
}

async function sweepElementwise(rows: Row[], maxElements: number): Promise<void> {
  const n = Math.min(2 ** 26, 2 ** Math.floor(Math.log2(maxElements)));
  for (const elementsPerThread of [1, 2, 4]) {
    const library = await attuneWebGPU({ elementsPerThread });
    const backend = library.backend as WebGPUBackend;
    const [a, b] = attuneInputs(library, [[n], [n]]);
    await measure(rows, library, { group: 'add', variant: `${elementsPerThread} per thread`, shape: `${n}` }, () => tidy(() => void add(a, b)), { bytes: 3 * 4 * n });
    a.dispose();
    b.dispose();
    backend.dispose();
  }
}

async function main(): Promise<void> {
  const out = arg('out');
  const probe = await attuneWebGPU();
  const adapter = probe.backend.adapter;
  console.log(`adapter: ${adapter.vendor} ${adapter.architecture} — ${adapter.description}`);
  const maxElements = Math.floor((adapter.limits.maxStorageBufferBindingSize ?? 2 ** 27) / 4);
  probe.backend.dispose();
  const rows: Row[] = [];
  if (ONLY.has('matmul')) await sweepMatmul(rows, adapter.features.includes('shader-f16'));
  if (ONLY.has('rows')) await sweepRows(rows, maxElements);
  if (ONLY.has('elementwise')) await sweepElementwise(rows, maxElements);
  const best: Record<string, string> = {};
  for (const group of ['matmul', 'softmax', 'layerNorm', 'add']) {
    const measured = rows.filter((r) => r.group === group && r.ms !== undefined);
    const shape = group === 'matmul' ? String(SIZES.at(-1)) : measured[0]?.shape;
    const winner = measured.filter((r) => r.shape === shape).sort((p, q) => p.ms! - q.ms!)[0];
    if (winner) {
      best[`${group} ${shape}`] = winner.variant;
      console.log(`best ${group} ${shape}: ${winner.variant} (${winner.gflops ? `${winner.gflops} GFLOP/s` : `${winner.gbps} GB/s`})`);
    }
  }
  if (out) fs.writeFileSync(out, `${JSON.stringify({ benchmark: '@attune/benchmark-kernels/tune', adapter, date: new Date().toISOString(), sizes: SIZES, rows, best }, null, 2)}\n`);
  process.exit(0);
}

await main();
