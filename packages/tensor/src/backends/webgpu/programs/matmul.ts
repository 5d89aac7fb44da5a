// Batched matrix product C[b] = op(A[b]) · op(B[b]) with transposed operands read in place, in two
// kernels: a shared-memory tiled one for GPUs, and a subgroup-broadcast one for CPU-emulated GPUs
// (lavapipe), where workgroup memory and barriers are slow and every per-lane load is a gather.
//
// Tiled: classic shared-memory tiling with register blocking: a workgroup computes a TM × TN tile of C;
// per step of TK along k it stages the A and B tiles in workgroup memory (each load coalesced for
// the operand's own layout, so a transposed operand costs nothing extra), then each thread
// accumulates its RM × RN block from registers. A thread's rows and columns are interleaved
// (row = ty + i·TY) so neighbouring threads read neighbouring words. The batch is dispatch z; a
// batch stride of 0 broadcasts one matrix.

import { type Program, type StorageBinding, type UniformField } from '../codegen.js';
import type { MatmulTiling } from '../types.js';

export type { MatmulTiling } from '../types.js';

/** The default tiling: 64 × 64 tiles, 16 deep, 4 × 4 per thread (256 threads). */
export const DEFAULT_MATMUL_TILING: MatmulTiling = { tileM: 64, tileN: 64, tileK: 16, blockM: 4, blockN: 4 };

/**
 * The tiling for big products on hardware GPUs: 128 × 128 tiles, 16 deep, 8 × 4 per thread (512
 * threads). Chosen by sweeping 11 tilings on an H100 (20.2 TFLOP/s at 4096² against 16.6 for the
 * default; benchmarks/results/tune-matmul-nvidia-h100-80gb-hbm3.json).
 */
export const HUGE_MATMUL_TILING: MatmulTiling = { tileM: 128, tileN: 128, tileK: 16, blockM: 8, blockN: 4 };

/** A smaller tiling for products whose m or n is small, so more workgroups run. */
export const SMALL_MATMUL_TILING: MatmulTiling = { tileM: 32, tileN: 32, tileK: 16, blockM: 2, blockN: 2 };

export class MatmulProgram implements Program {
  readonly op = 'matmul';
  readonly key: string;
  readonly inputs: StorageBinding[] = [{ name: 'a', type: 'f32' }, { name: 'b', type: 'f32' }];
  readonly outputs: StorageBinding[] = [{ name: 'c', type: 'f32' }];
  readonly uniforms: UniformField[] = ['m', 'n', 'k', 'aBatchStride', 'bBatchStride'].map((name) => ({ name, type: 'u32' as const }));
  readonly uniformValues: number[];
  readonly workgroupSize: readonly [number, number, number];
  readonly dispatch: [number, number, number];

  constructor(batch: number, m: number, k: number, n: number, private readonly transA: boolean, private readonly transB: boolean, aBatchStride: number, bBatchStride: number, private readonly tiling: MatmulTiling = DEFAULT_MATMUL_TILING) {
    const { tileM, tileN, tileK, blockM, blockN } = tiling;
    this.uniformValues = [m, n, k, aBatchStride, bBatchStride];
    this.workgroupSize = [tileN / blockN, tileM / blockM, 1];
    this.dispatch = [Math.ceil(n / tileN), Math.ceil(m / tileM), batch];
    this.key = `matmul_${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}_${tileM}x${tileN}x${tileK}_${blockM}x${blockN}`;
  }

  main(): string {
    const { tileM, tileN, tileK, blockM, blockN } = this.tiling;
    const threadsX = tileN / blockN;
    const threadsY = tileM / blockM;
    const threads = threadsX * threadsY;
    // Coalesced staging: consecutive threads take consecutive words of the operand as stored.
    const loadA = this.transA
      ? `let kk = e / ${tileM}u; let r = e % ${tileM}u; let gr = tileRow + r; let gk = k0 + kk;
      tileA[kk * ${tileM}u + r] = select(0.0, a[aBase + gk * u.m + gr], gr < u.m && gk < u.k);`
      : `let r = e / ${tileK}u; let kk = e % ${tileK}u; let gr = tileRow + r; let gk = k0 + kk;
      tileA[kk * ${tileM}u + r] = select(0.0, a[aBase + gr * u.k + gk], gr < u.m && gk < u.k);`;
    const loadB = this.transB
      ? `let col = e / ${tileK}u; let kk = e % ${tileK}u; let gc = tileCol + col; let gk = k0 + kk;
      tileB[kk * ${tileN}u + col] = select(0.0, b[bBase + gc * u.k + gk], gc < u.n && gk < u.k);`
      : `let kk = e / ${tileN}u; let col = e % ${tileN}u; let gc = tileCol + col; let gk = k0 + kk;
      tileB[kk * ${tileN}u + col] = select(0.0, b[bBase + gk * u.n + gc], gc < u.n && gk < u.k);`;
    const accumulators = Array.from({ length: blockM }, (_, i) => `var acc${i}: array<f32, ${blockN}>;`).join('\n  ');
    const rows = Array.from({ length: blockM }, (_, i) => `let a${i} = tileA[kk * ${tileM}u + ty + ${i * threadsY}u];`).join('\n      ');
    const cols = Array.from({ length: blockN }, (_, j) => `let b${j} = tileB[kk * ${tileN}u + tx + ${j * threadsX}u];`).join('\n      ');
    const fma = Array.from({ length: blockM }, (_, i) => Array.from({ length: blockN }, (_, j) => `acc${i}[${j}] = fma(a${i}, b${j}, acc${i}[${j}]);`).join(' ')).join('\n      ');
    const store = Array.from({ length: blockM }, (_, i) =>
      Array.from({ length: blockN }, (_, j) => `if (tileRow + ty + ${i * threadsY}u < u.m && tileCol + tx + ${j * threadsX}u < u.n) { c[cBase + (tileRow + ty + ${i * threadsY}u) * u.n + tileCol + tx + ${j * threadsX}u] = acc${i}[${j}]; }`).join('\n  '),
    ).join('\n  ');
    return `var<workgroup> tileA: array<f32, ${tileK * tileM}>;
var<workgroup> tileB: array<f32, ${tileK * tileN}>;
@compute @workgroup_size(${threadsX}, ${threadsY}, 1)
fn main(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(local_invocation_id) localId: vec3<u32>, @builtin(local_invocation_index) local: u32) {
  let tx = localId.x;
  let ty = localId.y;
  let batch = workgroup.z;
  let tileRow = workgroup.y * ${tileM}u;
  let tileCol = workgroup.x * ${tileN}u;
  let aBase = batch * u.aBatchStride;
  let bBase = batch * u.bBatchStride;
  let cBase = batch * u.m * u.n;
  ${accumulators}
  for (var k0 = 0u; k0 < u.k; k0 = k0 + ${tileK}u) {
    for (var e = local; e < ${tileM * tileK}u; e = e + ${threads}u) {
      ${loadA}
    }
    for (var e = local; e < ${tileN * tileK}u; e = e + ${threads}u) {
      ${loadB}
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${tileK}u; kk = kk + 1u) {
      ${rows}
      ${cols}
      ${fma}
    }
    workgroupBarrier();
  }
  ${store}
}`;
  }
}

/** Tiling of `SubgroupMatmulProgram`. */
export interface SubgroupMatmulTiling {
  /** Lanes of a subgroup (the adapter's fixed subgroup size). */
  subgroupSize: number;
  /** Groups of `subgroupSize` rows of C per workgroup. */
  rowGroups: number;
  threads: number;
  columns: number;
}

/** The subgroup kernel's tiling on lavapipe (8-lane subgroups): 16 rows × 128 columns per workgroup. */
export function subgroupMatmulTiling(subgroupSize: number): SubgroupMatmulTiling {
  return { subgroupSize, rowGroups: 2, threads: 2 * subgroupSize, columns: 8 };
}

/**
 * A matmul for CPU-emulated GPUs with subgroups: per step along k each lane loads one A value of a
 * different row (one gather serves `subgroupSize` rows) and `subgroupBroadcast` hands every row's
 * value to all lanes, which an emulator does with a register shuffle. Each thread owns `columns`
 * columns of C, `threads` apart. No workgroup memory, no barriers. On lavapipe (2 cores) this runs
 * 1024² products at ~8 GFLOP/s against ~2 for the tiled kernel; the tiling was chosen by sweeping
 * rowGroups ∈ {1, 2, 4}, threads ∈ {8, 16, 32, 64}, columns ∈ {2, 4, 8}.
 */
export class SubgroupMatmulProgram implements Program {
  readonly op = 'matmul';
  readonly key: string;
  readonly enables = ['subgroups'];
  readonly inputs: StorageBinding[] = [{ name: 'a', type: 'f32' }, { name: 'b', type: 'f32' }];
  readonly outputs: StorageBinding[] = [{ name: 'c', type: 'f32' }];
  readonly uniforms: UniformField[] = ['m', 'n', 'k', 'aBatchStride', 'bBatchStride'].map((name) => ({ name, type: 'u32' as const }));
  readonly uniformValues: number[];
  readonly workgroupSize: readonly [number, number, number];
  readonly dispatch: [number, number, number];

  constructor(batch: number, m: number, k: number, n: number, private readonly transA: boolean, private readonly transB: boolean, aBatchStride: number, bBatchStride: number, private readonly tiling: SubgroupMatmulTiling) {
    const { subgroupSize, rowGroups, threads, columns } = tiling;
    this.uniformValues = [m, n, k, aBatchStride, bBatchStride];
    this.workgroupSize = [threads, 1, 1];
    this.dispatch = [Math.ceil(n / (threads * columns)), Math.ceil(m / (subgroupSize * rowGroups)), batch];
    this.key = `matmulSubgroup_${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}_${subgroupSize}x${rowGroups}x${threads}x${columns}`;
  }

  main(): string {
    const { subgroupSize, rowGroups, threads, columns } = this.tiling;
    const rows = subgroupSize * rowGroups;
    const aAt = (row: string) => (this.transA ? `a[aBase + p * u.m + ${row}]` : `a[aBase + ${row} * u.k + p]`);
    const bAt = (col: string) => (this.transB ? `b[bBase + ${col} * u.k + p]` : `b[bBase + p * u.n + ${col}]`);
    const declarations: string[] = [];
    for (let g = 0; g < rowGroups; g++) declarations.push(`let lanedRow${g} = min(rowBase + ${g * subgroupSize}u + lane, u.m - 1u);`);
    for (let j = 0; j < columns; j++) declarations.push(`let col${j} = min(colBase + ${j * threads}u, u.n - 1u);`);
    for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) declarations.push(`var acc${i}_${j} = 0.0;`);
    const body: string[] = [];
    for (let g = 0; g < rowGroups; g++) body.push(`let laned${g} = ${aAt(`lanedRow${g}`)};`);
    for (let j = 0; j < columns; j++) body.push(`let b${j} = ${bAt(`col${j}`)};`);
    for (let g = 0; g < rowGroups; g++) {
      for (let r = 0; r < subgroupSize; r++) {
        const i = g * subgroupSize + r;
        body.push(`let a${i} = subgroupBroadcast(laned${g}, ${r}u);`);
        for (let j = 0; j < columns; j++) body.push(`acc${i}_${j} = fma(a${i}, b${j}, acc${i}_${j});`);
      }
    }
    const stores: string[] = [];
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < columns; j++) {
        stores.push(`if (rowBase + ${i}u < u.m && colBase + ${j * threads}u < u.n) { c[cBase + (rowBase + ${i}u) * u.n + colBase + ${j * threads}u] = acc${i}_${j}; }`);
      }
    }
    return `@compute @workgroup_size(${threads}, 1, 1)
fn main(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(local_invocation_index) local: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let rowBase = workgroup.y * ${rows}u;
  let colBase = workgroup.x * ${threads * columns}u + local;
  let aBase = workgroup.z * u.aBatchStride;
  let bBase = workgroup.z * u.bBatchStride;
  let cBase = workgroup.z * u.m * u.n;
  ${declarations.join('\n  ')}
  for (var p = 0u; p < u.k; p = p + 1u) {
    ${body.join('\n    ')}
  }
  ${stores.join('\n  ')}
}`;
  }
}
