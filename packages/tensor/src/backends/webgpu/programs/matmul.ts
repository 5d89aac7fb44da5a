// Batched matrix product C[b] = op(A[b]) · op(B[b]) (+ a bias per column of C, added as C is
// written: `linear`'s x·Wᵀ + b in one pass) with transposed operands read in place, in three
// kernels: a shared-memory tiled one, its vec4 double-buffered form (the default on GPUs), and a
// subgroup-broadcast one for CPU-emulated GPUs (lavapipe), where workgroup memory and barriers are
// slow and every per-lane load is a gather.
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

/**
 * The default tiling: 64 × 64 tiles, 16 deep, 4 × 4 per thread (256 threads), on the vec4 kernel. On
 * an H100 it is the best of 13 tilings at 1024² (23.9 TFLOP/s; the scalar kernel's 11.8) and runs
 * 2048² at 27.9 (benchmarks/results/tune-nvidia-h100-80gb-hbm3.json).
 */
export const DEFAULT_MATMUL_TILING: MatmulTiling = { tileM: 64, tileN: 64, tileK: 16, blockM: 4, blockN: 4 };

/**
 * The tiling for big products on hardware GPUs: 128 × 128 tiles, 8 deep, 8 × 8 per thread (256
 * threads), on the vec4 kernel. On an H100: 35.6 TFLOP/s at 4096² and 33.5 at 2048², within 1% of
 * the best of 13 tilings at each (the scalar kernel's best was 20.2; tfjs-webgpu's 23.4).
 */
export const HUGE_MATMUL_TILING: MatmulTiling = { tileM: 128, tileN: 128, tileK: 8, blockM: 8, blockN: 8 };

/** A smaller tiling for products whose m or n is small, so more workgroups run. */
export const SMALL_MATMUL_TILING: MatmulTiling = { tileM: 32, tileN: 32, tileK: 16, blockM: 2, blockN: 2 };

export class MatmulProgram implements Program {
  readonly op: string;
  readonly key: string;
  readonly inputs: StorageBinding[] = [{ name: 'a', type: 'f32' }, { name: 'b', type: 'f32' }];
  readonly outputs: StorageBinding[] = [{ name: 'c', type: 'f32' }];
  readonly uniforms: UniformField[] = ['m', 'n', 'k', 'aBatchStride', 'bBatchStride'].map((name) => ({ name, type: 'u32' as const }));
  readonly uniformValues: number[];
  readonly workgroupSize: readonly [number, number, number];
  readonly dispatch: [number, number, number];

  constructor(batch: number, m: number, k: number, n: number, private readonly transA: boolean, private readonly transB: boolean, aBatchStride: number, bBatchStride: number, private readonly tiling: MatmulTiling = DEFAULT_MATMUL_TILING, private readonly bias = false) {
    const { tileM, tileN, tileK, blockM, blockN } = tiling;
    this.op = bias ? 'linear' : 'matmul';
    this.uniformValues = [m, n, k, aBatchStride, bBatchStride];
    this.workgroupSize = [tileN / blockN, tileM / blockM, 1];
    this.dispatch = [Math.ceil(n / tileN), Math.ceil(m / tileM), batch];
    if (bias) this.inputs.push({ name: 'bias', type: 'f32' });
    this.key = `matmul_${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}_${tileM}x${tileN}x${tileK}_${blockM}x${blockN}${bias ? '_bias' : ''}`;
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
      Array.from({ length: blockN }, (_, j) => `if (tileRow + ty + ${i * threadsY}u < u.m && tileCol + tx + ${j * threadsX}u < u.n) { c[cBase + (tileRow + ty + ${i * threadsY}u) * u.n + tileCol + tx + ${j * threadsX}u] = acc${i}[${j}]${this.bias ? ` + bias[tileCol + tx + ${j * threadsX}u]` : ''}; }`).join('\n  '),
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

/** Bytes of workgroup memory a tiling needs: one A and one B tile, twice when double-buffered. */
export function matmulSharedBytes(tiling: MatmulTiling): number {
  return (isVectorTiling(tiling) ? 2 : 1) * 4 * tiling.tileK * (tiling.tileM + tiling.tileN);
}

/** Whether a tiling runs on `Vec4MatmulProgram`: `vectorized` unless set false, and a shape it can take. */
export function isVectorTiling(tiling: MatmulTiling): boolean {
  return tiling.vectorized !== false && tiling.blockM % 4 === 0 && tiling.blockN % 4 === 0 && tiling.tileK % 4 === 0;
}

/**
 * How one operand's tile goes from global to workgroup memory. The tile is kept as [kk][x] (x = the
 * operand's row of C: m for A, n for B) in vec4s along x. `xMajor`: x is the operand's contiguous
 * dimension (Aᵀ stored k × m, B stored k × n), so a vec4 load lands as one vec4; otherwise k is, and a
 * vec4 along k is written as four components (a transpose). `vec4`: whole vec4 loads, which need the
 * contiguous dimension and the batch stride to be multiples of 4; else one scalar per load.
 */
interface Staging {
  name: 'a' | 'b';
  xMajor: boolean;
  vec4: boolean;
  /** Tile extent along x. */
  tileX: number;
  /** WGSL: the operand's extent along x, its row stride when x-major (else u.k), first x of the tile and batch offset. */
  extentX: string;
  leading: string;
  tileStart: string;
  base: string;
}

/**
 * The tiled matmul for GPUs, vectorized (after the SGEMM kernels that reach cuBLAS-class speed in
 * CUDA): tiles are staged in workgroup memory as vec4 (one 16-byte load where the layout allows, with
 * transposed operands read in place), double-buffered with the next tile's global loads issued
 * before the current tile's FMAs (one barrier per step along k), and each thread keeps
 * blockM × blockN accumulators as vec4s. A thread's rows are 4-row groups `tileM / (blockM / 4)`
 * apart and its columns 4-column groups likewise, so a warp's workgroup-memory reads are contiguous
 * 16-byte vectors, free of bank conflicts. C is written as vec4 when n is a multiple of 4.
 */
export class Vec4MatmulProgram implements Program {
  readonly op: string;
  readonly key: string;
  readonly inputs: StorageBinding[];
  readonly outputs: StorageBinding[];
  readonly uniforms: UniformField[] = ['m', 'n', 'k', 'aBatchStride', 'bBatchStride'].map((name) => ({ name, type: 'u32' as const }));
  readonly uniformValues: number[];
  readonly workgroupSize: readonly [number, number, number];
  readonly dispatch: [number, number, number];
  readonly enables: string[];
  private readonly stagings: [Staging, Staging];
  private readonly vec4Out: boolean;

  /**
   * @param f16 - stage the tiles in workgroup memory as f16 (operands rounded to 11 significant
   *   bits, products and sums in f32): half the workgroup memory and its traffic; needs `shader-f16`.
   */
  constructor(batch: number, m: number, k: number, n: number, transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number, private readonly tiling: MatmulTiling, private readonly bias = false, private readonly f16 = false) {
    const { tileM, tileN, tileK, blockM, blockN } = tiling;
    this.op = bias ? 'linear' : 'matmul';
    if (!isVectorTiling(tiling)) throw new RangeError(`webgpu: Vec4MatmulProgram needs blockM, blockN and tileK multiples of 4, got ${tileM}×${tileN}×${tileK}, ${blockM}×${blockN}`);
    this.uniformValues = [m, n, k, aBatchStride, bBatchStride];
    this.workgroupSize = [tileN / blockN, tileM / blockM, 1];
    this.dispatch = [Math.ceil(n / tileN), Math.ceil(m / tileM), batch];
    // An operand loads vec4s when its contiguous dimension and batch stride are multiples of 4.
    const aContiguous = transA ? m : k;
    const bContiguous = transB ? k : n;
    const a: Staging = { name: 'a', xMajor: transA, vec4: aContiguous % 4 === 0 && aBatchStride % 4 === 0, tileX: tileM, extentX: 'u.m', leading: 'u.m', tileStart: 'tileRow', base: 'aBase' };
    const b: Staging = { name: 'b', xMajor: !transB, vec4: bContiguous % 4 === 0 && bBatchStride % 4 === 0, tileX: tileN, extentX: 'u.n', leading: 'u.n', tileStart: 'tileCol', base: 'bBase' };
    this.stagings = [a, b];
    this.vec4Out = n % 4 === 0;
    this.inputs = [{ name: 'a', type: 'f32', vec4: a.vec4 }, { name: 'b', type: 'f32', vec4: b.vec4 }];
    if (bias) this.inputs.push({ name: 'bias', type: 'f32', vec4: this.vec4Out });
    this.outputs = [{ name: 'c', type: 'f32', vec4: this.vec4Out }];
    const layout = (s: Staging) => `${s.xMajor ? 'x' : 'k'}${s.vec4 ? '4' : '1'}`;
    this.enables = f16 ? ['f16'] : [];
    this.key = `matmulVec4_${layout(a)}_${layout(b)}_${this.vec4Out ? 'c4' : 'c1'}_${tileM}x${tileN}x${tileK}_${blockM}x${blockN}${bias ? '_bias' : ''}${f16 ? '_f16' : ''}`;
  }

  /** WGSL that loads this thread's share of the tile starting at `k0` into registers `<name>Next<j>`, and stores them into buffer `buffer`. */
  private staging(s: Staging, threads: number): { declare: string; load: string; store: (buffer: string) => string } {
    const { tileK } = this.tiling;
    const tileX4 = s.tileX / 4;
    const items = s.vec4 ? (s.tileX * tileK) / 4 : s.tileX * tileK;
    const perThread = Math.ceil(items / threads);
    const guard = items % threads !== 0;
    const type = s.vec4 ? 'vec4<f32>' : 'f32';
    const tile = s.name === 'a' ? 'tileA' : 'tileB';
    const declare: string[] = [];
    const load: string[] = [];
    const store: ((buffer: string) => string)[] = [];
    for (let j = 0; j < perThread; j++) {
      const r = `${s.name}Next${j}`;
      declare.push(`var ${r}: ${type};`);
      const e = `${s.name}E${j}`;
      // (kk, x): where item e sits in the tile; `at`: its global index (in vec4s when s.vec4); `inside`: bounds.
      let coords: string;
      let at: string;
      let inside: string;
      if (s.xMajor) {
        const per = s.vec4 ? tileX4 : s.tileX;
        coords = `let ${e}kk = ${e} / ${per}u; let ${e}x = (${e} % ${per}u)${s.vec4 ? ' * 4u' : ''};`;
        at = `(${s.base} + (k0 + ${e}kk) * ${s.leading} + ${s.tileStart} + ${e}x)${s.vec4 ? ' / 4u' : ''}`;
        inside = `k0 + ${e}kk < u.k && ${s.tileStart} + ${e}x < ${s.extentX}`;
      } else {
        const per = s.vec4 ? tileK / 4 : tileK;
        coords = `let ${e}x = ${e} / ${per}u; let ${e}kk = (${e} % ${per}u)${s.vec4 ? ' * 4u' : ''};`;
        at = `(${s.base} + (${s.tileStart} + ${e}x) * u.k + k0 + ${e}kk)${s.vec4 ? ' / 4u' : ''}`;
        inside = `${s.tileStart} + ${e}x < ${s.extentX} && k0 + ${e}kk < u.k`;
      }
      const body = `let ${e} = local + ${j * threads}u; ${coords}
    ${r} = ${type}(0.0);
    if (${guard ? `${e} < ${items}u && ` : ''}${inside}) { ${r} = ${s.name}[${at}]; }`;
      load.push(`{ ${body} }`);
      store.push((buffer) => {
        const slot = (kk: string, x: string) => `${tile}[${buffer} + (${kk}) * ${tileX4}u + (${x}) / 4u]`;
        // Values as the tile holds them (rounded to f16 when it is f16).
        const held = (value: string, vector: boolean) => (this.f16 ? `${vector ? 'vec4<f16>' : 'f16'}(${value})` : value);
        let write: string;
        if (s.vec4 && s.xMajor) write = `${slot(`${e}kk`, `${e}x`)} = ${held(r, true)};`; // a vec4 along x lands whole
        else if (s.vec4) write = [0, 1, 2, 3].map((c) => `${slot(`${e}kk + ${c}u`, `${e}x`)}[${e}x % 4u] = ${held(`${r}[${c}]`, false)};`).join(' '); // along k: transposed
        else write = `${slot(`${e}kk`, `${e}x`)}[${e}x % 4u] = ${held(r, false)};`;
        return `{ let ${e} = local + ${j * threads}u; ${coords}${guard ? ` if (${e} < ${items}u) {` : ''} ${write}${guard ? ' }' : ''} }`;
      });
    }
    return { declare: declare.join('\n  '), load: load.join('\n    '), store: (buffer) => store.map((f) => f(buffer)).join('\n    ') };
  }

  main(): string {
    const { tileM, tileN, tileK, blockM, blockN } = this.tiling;
    const threadsX = tileN / blockN;
    const threadsY = tileM / blockM;
    const threads = threadsX * threadsY;
    const groupsM = blockM / 4;
    const groupsN = blockN / 4;
    const sizeA = (tileK * tileM) / 4;
    const sizeB = (tileK * tileN) / 4;
    const [a, b] = this.stagings.map((s) => this.staging(s, threads));
    const accumulators: string[] = [];
    for (let g = 0; g < groupsM; g++) for (let i = 0; i < 4; i++) for (let h = 0; h < groupsN; h++) accumulators.push(`var acc${g}_${i}_${h} = vec4<f32>(0.0);`);
    const step: string[] = [];
    for (let kk = 0; kk < tileK; kk++) {
      const widen = (value: string) => (this.f16 ? `vec4<f32>(${value})` : value);
      for (let g = 0; g < groupsM; g++) step.push(`let a${kk}_${g} = ${widen(`tileA[bufA + ${kk * (tileM / 4)}u + ty + ${g * threadsY}u]`)};`);
      for (let h = 0; h < groupsN; h++) step.push(`let b${kk}_${h} = ${widen(`tileB[bufB + ${kk * (tileN / 4)}u + tx + ${h * threadsX}u]`)};`);
      for (let g = 0; g < groupsM; g++) for (let i = 0; i < 4; i++) for (let h = 0; h < groupsN; h++) {
        step.push(`acc${g}_${i}_${h} = fma(vec4<f32>(a${kk}_${g}[${i}]), b${kk}_${h}, acc${g}_${i}_${h});`);
      }
    }
    const stores: string[] = [];
    for (let g = 0; g < groupsM; g++) for (let i = 0; i < 4; i++) {
      const row = `tileRow + ty * 4u + ${g * threadsY * 4 + i}u`;
      for (let h = 0; h < groupsN; h++) {
        const col = `tileCol + (tx + ${h * threadsX}u) * 4u`;
        const acc = `acc${g}_${i}_${h}`;
        if (this.vec4Out) stores.push(`{ let row = ${row}; let col = ${col}; if (row < u.m && col < u.n) { c[(cBase + row * u.n + col) / 4u] = ${acc}${this.bias ? ' + bias[col / 4u]' : ''}; } }`);
        else stores.push(`{ let row = ${row}; let col = ${col}; if (row < u.m) { for (var q = 0u; q < 4u; q = q + 1u) { if (col + q < u.n) { c[cBase + row * u.n + col + q] = ${acc}[q]${this.bias ? ' + bias[col + q]' : ''}; } } } }`);
      }
    }
    const held = this.f16 ? 'vec4<f16>' : 'vec4<f32>';
    return `var<workgroup> tileA: array<${held}, ${2 * sizeA}>;
var<workgroup> tileB: array<${held}, ${2 * sizeB}>;
@compute @workgroup_size(${threadsX}, ${threadsY}, 1)
fn main(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(local_invocation_id) localId: vec3<u32>, @builtin(local_invocation_index) local: u32) {
  let tx = localId.x;
  let ty = localId.y;
  let tileRow = workgroup.y * ${tileM}u;
  let tileCol = workgroup.x * ${tileN}u;
  let aBase = workgroup.z * u.aBatchStride;
  let bBase = workgroup.z * u.bBatchStride;
  let cBase = workgroup.z * u.m * u.n;
  ${accumulators.join('\n  ')}
  ${a.declare}
  ${b.declare}
  var k0 = 0u;
  {
    ${a.load}
    ${b.load}
    ${a.store('0u')}
    ${b.store('0u')}
  }
  workgroupBarrier();
  let steps = (u.k + ${tileK - 1}u) / ${tileK}u;
  for (var t = 0u; t < steps; t = t + 1u) {
    let bufA = (t & 1u) * ${sizeA}u;
    let bufB = (t & 1u) * ${sizeB}u;
    // The next tile's global loads go out before this tile's FMAs, which hide their latency.
    k0 = (t + 1u) * ${tileK}u;
    ${a.load}
    ${b.load}
    ${step.join('\n    ')}
    ${a.store(`${sizeA}u - bufA`)}
    ${b.store(`${sizeB}u - bufB`)}
    workgroupBarrier();
  }
  ${stores.join('\n  ')}
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
  readonly op: string;
  readonly key: string;
  readonly enables = ['subgroups'];
  readonly inputs: StorageBinding[] = [{ name: 'a', type: 'f32' }, { name: 'b', type: 'f32' }];
  readonly outputs: StorageBinding[] = [{ name: 'c', type: 'f32' }];
  readonly uniforms: UniformField[] = ['m', 'n', 'k', 'aBatchStride', 'bBatchStride'].map((name) => ({ name, type: 'u32' as const }));
  readonly uniformValues: number[];
  readonly workgroupSize: readonly [number, number, number];
  readonly dispatch: [number, number, number];

  constructor(batch: number, m: number, k: number, n: number, private readonly transA: boolean, private readonly transB: boolean, aBatchStride: number, bBatchStride: number, private readonly tiling: SubgroupMatmulTiling, private readonly bias = false) {
    const { subgroupSize, rowGroups, threads, columns } = tiling;
    this.op = bias ? 'linear' : 'matmul';
    this.uniformValues = [m, n, k, aBatchStride, bBatchStride];
    this.workgroupSize = [threads, 1, 1];
    this.dispatch = [Math.ceil(n / (threads * columns)), Math.ceil(m / (subgroupSize * rowGroups)), batch];
    if (bias) this.inputs.push({ name: 'bias', type: 'f32' });
    this.key = `matmulSubgroup_${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}_${subgroupSize}x${rowGroups}x${threads}x${columns}${bias ? '_bias' : ''}`;
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
        stores.push(`if (rowBase + ${i}u < u.m && colBase + ${j * threads}u < u.n) { c[cBase + (rowBase + ${i}u) * u.n + colBase + ${j * threads}u] = acc${i}_${j}${this.bias ? ` + bias[colBase + ${j * threads}u]` : ''}; }`);
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
