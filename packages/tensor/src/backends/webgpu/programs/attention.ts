// Fused scaled-dot-product attention (FlashAttention, Dao et al. 2022): the (L, S) score matrix
// is never written to memory. The forward pass gives each workgroup one (batch·head, block of
// 64 queries), one query per thread, and streams key/value tiles through workgroup memory with
// the online softmax (Milakov & Gimelshein 2018), saving each row's log-sum-exp. The backward
// pass recomputes the probabilities from it (FlashAttention-2's split, Dao 2023): one kernel per
// query row writes dq and D_i = dO_i·O_i, a second per key row writes dk and dv, so no atomics.
// Under the causal mask only keys j ≤ i are scored; whole tiles past the block's last query are skipped.

import { flatDispatch, FLAT_WORKGROUP_SIZE, type Program, type StorageBinding, type UniformField } from '../codegen.js';

/** Threads (rows) per workgroup. */
const ROWS = 64;
/** Floats of workgroup memory a tile may use (16 KiB, WebGPU's default limit). */
const TILE_FLOATS = 4096;
/** Largest head / value size the kernels take (private per-thread arrays); larger ones use the composed path. */
export const MAX_ATTENTION_HEAD_SIZE = 256;

const UNIFORMS: UniformField[] = [
  { name: 'lengthQ', type: 'u32' },
  { name: 'lengthK', type: 'u32' },
  { name: 'scale', type: 'f32' },
];

/** Loops over the head / value dims are unrolled up to this size, so the per-thread arrays get constant indices (registers). */
const UNROLL_MAX = 64;

/**
 * Unrolls every `for (var e = 0u; e < D; …) { … }` loop (e or c, over D or DV, bodies without
 * nested braces) of `wgsl` whose bound is at most UNROLL_MAX: dynamically indexed private arrays
 * live in memory, constant-indexed ones in registers.
 */
function unrollHeadLoops(wgsl: string, headSize: number, valueSize: number): string {
  return wgsl.replace(/for \(var ([ec]) = 0u; \1 < (DV|D); \1 = \1 \+ 1u\) \{([^{}]*)\}/g, (loop, name: string, bound: string, body: string) => {
    const count = bound === 'D' ? headSize : valueSize;
    if (count > UNROLL_MAX) return loop;
    const pattern = new RegExp(`\\b${name}\\b`, 'g');
    return Array.from({ length: count }, (_, i) => body.trim().replace(pattern, `${i}u`)).join(' ');
  });
}

/** Rows of a tile of `width` floats each that fit the workgroup-memory budget (at most 64). */
function tileRows(width: number): number {
  return Math.max(1, Math.min(ROWS, Math.floor(TILE_FLOATS / width)));
}

abstract class AttentionProgramBase implements Program {
  abstract readonly op: string;
  abstract readonly key: string;
  abstract readonly inputs: StorageBinding[];
  abstract readonly outputs: StorageBinding[];
  readonly uniforms = UNIFORMS;
  readonly uniformValues: number[];
  readonly workgroupSize: readonly [number, number, number] = [ROWS, 1, 1];
  readonly dispatch: [number, number, number];

  constructor(
    batch: number,
    protected readonly lengthQ: number,
    protected readonly lengthK: number,
    protected readonly headSize: number,
    protected readonly valueSize: number,
    scale: number,
    protected readonly causal: boolean,
    /** Rows the threads of one workgroup own: queries (forward, dq) or keys (dk/dv). */
    ownRows: number,
  ) {
    this.uniformValues = [lengthQ, lengthK, scale];
    this.dispatch = [Math.ceil(ownRows / ROWS), batch, 1];
  }

  protected get shapeKey(): string {
    return `${this.headSize}_${this.valueSize}_${this.causal ? 'causal' : 'full'}`;
  }

  protected constants(tile: number): string {
    return `const D: u32 = ${this.headSize}u;
const DV: u32 = ${this.valueSize}u;
const TILE: u32 = ${tile}u;
const ROWS: u32 = ${ROWS}u;
const CAUSAL: bool = ${this.causal};`;
  }

  abstract main(): string;

  protected unrolled(wgsl: string): string {
    return unrollHeadLoops(wgsl, this.headSize, this.valueSize);
  }
}

/** Forward: out (batch, L, Ev) and the per-row log-sum-exp of the scaled scores (batch, L). */
export class AttentionProgram extends AttentionProgramBase {
  readonly op = 'scaledDotProductAttention';
  readonly key: string;
  readonly inputs: StorageBinding[] = [{ name: 'q', type: 'f32' }, { name: 'k', type: 'f32' }, { name: 'v', type: 'f32' }];
  readonly outputs: StorageBinding[] = [{ name: 'out', type: 'f32' }, { name: 'lse', type: 'f32' }];
  private readonly tile: number;

  constructor(batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean) {
    super(batch, lengthQ, lengthK, headSize, valueSize, scale, causal, lengthQ);
    this.tile = tileRows(headSize + valueSize);
    this.key = `attention_${this.shapeKey}`;
  }

  main(): string {
    return this.unrolled(`${this.constants(this.tile)}
var<workgroup> kTile: array<f32, ${this.tile * this.headSize}>;
var<workgroup> vTile: array<f32, ${this.tile * this.valueSize}>;
@compute @workgroup_size(${ROWS}, 1, 1)
fn main(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(local_invocation_index) local: u32) {
  let b = workgroup.y;
  let rowStart = workgroup.x * ROWS;
  let i = rowStart + local;
  let valid = i < u.lengthQ;
  var qr: array<f32, ${this.headSize}>;
  var acc: array<f32, ${this.valueSize}>;
  var sc: array<f32, ${this.tile}>;
  let qBase = (b * u.lengthQ + min(i, u.lengthQ - 1u)) * D;
  for (var e = 0u; e < D; e = e + 1u) { qr[e] = q[qBase + e] * u.scale; }
  for (var c = 0u; c < DV; c = c + 1u) { acc[c] = 0.0; }
  var m = -1e30;
  var l = 0.0;
  // Keys the workgroup needs (uniform) and keys this row sees.
  var keyEnd = u.lengthK;
  var myEnd = u.lengthK;
  if (CAUSAL) {
    keyEnd = min(u.lengthK, rowStart + ROWS);
    myEnd = min(u.lengthK, i + 1u);
  }
  let kBase = b * u.lengthK;
  for (var t0 = 0u; t0 < keyEnd; t0 = t0 + TILE) {
    let n = min(TILE, keyEnd - t0);
    workgroupBarrier();
    for (var x = local; x < n * D; x = x + ROWS) { kTile[x] = k[(kBase + t0) * D + x]; }
    for (var x = local; x < n * DV; x = x + ROWS) { vTile[x] = v[(kBase + t0) * DV + x]; }
    workgroupBarrier();
    if (valid && t0 < myEnd) {
      let count = min(n, myEnd - t0);
      var tileMax = -1e30;
      for (var j = 0u; j < count; j = j + 1u) {
        var s = 0.0;
        for (var e = 0u; e < D; e = e + 1u) { s = s + qr[e] * kTile[j * D + e]; }
        sc[j] = s;
        tileMax = max(tileMax, s);
      }
      // Online softmax: rescale what was accumulated under the old maximum.
      let mNew = max(m, tileMax);
      let correction = exp(m - mNew);
      l = l * correction;
      for (var c = 0u; c < DV; c = c + 1u) { acc[c] = acc[c] * correction; }
      for (var j = 0u; j < count; j = j + 1u) {
        let p = exp(sc[j] - mNew);
        l = l + p;
        for (var c = 0u; c < DV; c = c + 1u) { acc[c] = acc[c] + p * vTile[j * DV + c]; }
      }
      m = mNew;
    }
  }
  if (valid) {
    let oBase = (b * u.lengthQ + i) * DV;
    let inv = 1.0 / l;
    for (var c = 0u; c < DV; c = c + 1u) { out[oBase + c] = acc[c] * inv; }
    lse[b * u.lengthQ + i] = m + log(l);
  }
}`);
  }
}

/** Backward, per query row: dq and D_i = dO_i·O_i (read by the key-row kernel). */
export class AttentionBackwardQueryProgram extends AttentionProgramBase {
  readonly op = 'scaledDotProductAttention backward';
  readonly key: string;
  readonly inputs: StorageBinding[] = [
    { name: 'q', type: 'f32' }, { name: 'k', type: 'f32' }, { name: 'v', type: 'f32' },
    { name: 'o', type: 'f32' }, { name: 'lse', type: 'f32' }, { name: 'dout', type: 'f32' },
  ];
  readonly outputs: StorageBinding[] = [{ name: 'dq', type: 'f32' }, { name: 'delta', type: 'f32' }];
  private readonly tile: number;

  constructor(batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean) {
    super(batch, lengthQ, lengthK, headSize, valueSize, scale, causal, lengthQ);
    this.tile = tileRows(headSize + valueSize);
    this.key = `attentionBackwardQ_${this.shapeKey}`;
  }

  main(): string {
    return this.unrolled(`${this.constants(this.tile)}
var<workgroup> kTile: array<f32, ${this.tile * this.headSize}>;
var<workgroup> vTile: array<f32, ${this.tile * this.valueSize}>;
@compute @workgroup_size(${ROWS}, 1, 1)
fn main(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(local_invocation_index) local: u32) {
  let b = workgroup.y;
  let rowStart = workgroup.x * ROWS;
  let i = rowStart + local;
  let valid = i < u.lengthQ;
  let row = b * u.lengthQ + min(i, u.lengthQ - 1u);
  var qr: array<f32, ${this.headSize}>;
  var dqr: array<f32, ${this.headSize}>;
  var dor: array<f32, ${this.valueSize}>;
  for (var e = 0u; e < D; e = e + 1u) { qr[e] = q[row * D + e] * u.scale; dqr[e] = 0.0; }
  var d = 0.0;
  for (var c = 0u; c < DV; c = c + 1u) { dor[c] = dout[row * DV + c]; d = d + dor[c] * o[row * DV + c]; }
  let rowLse = lse[row];
  var keyEnd = u.lengthK;
  var myEnd = u.lengthK;
  if (CAUSAL) {
    keyEnd = min(u.lengthK, rowStart + ROWS);
    myEnd = min(u.lengthK, i + 1u);
  }
  let kBase = b * u.lengthK;
  for (var t0 = 0u; t0 < keyEnd; t0 = t0 + TILE) {
    let n = min(TILE, keyEnd - t0);
    workgroupBarrier();
    for (var x = local; x < n * D; x = x + ROWS) { kTile[x] = k[(kBase + t0) * D + x]; }
    for (var x = local; x < n * DV; x = x + ROWS) { vTile[x] = v[(kBase + t0) * DV + x]; }
    workgroupBarrier();
    if (valid && t0 < myEnd) {
      let count = min(n, myEnd - t0);
      for (var j = 0u; j < count; j = j + 1u) {
        var s = 0.0;
        for (var e = 0u; e < D; e = e + 1u) { s = s + qr[e] * kTile[j * D + e]; }
        var dp = 0.0;
        for (var c = 0u; c < DV; c = c + 1u) { dp = dp + dor[c] * vTile[j * DV + c]; }
        let ds = exp(s - rowLse) * (dp - d);
        for (var e = 0u; e < D; e = e + 1u) { dqr[e] = dqr[e] + ds * kTile[j * D + e]; }
      }
    }
  }
  if (valid) {
    for (var e = 0u; e < D; e = e + 1u) { dq[row * D + e] = dqr[e] * u.scale; }
    delta[row] = d;
  }
}`);
  }
}

/** Backward, per key row: dk and dv, reading D_i from the query-row kernel. */
export class AttentionBackwardKeyProgram extends AttentionProgramBase {
  readonly op = 'scaledDotProductAttention backward';
  readonly key: string;
  readonly inputs: StorageBinding[] = [
    { name: 'q', type: 'f32' }, { name: 'k', type: 'f32' }, { name: 'v', type: 'f32' },
    { name: 'lse', type: 'f32' }, { name: 'dout', type: 'f32' }, { name: 'delta', type: 'f32' },
  ];
  readonly outputs: StorageBinding[] = [{ name: 'dk', type: 'f32' }, { name: 'dv', type: 'f32' }];
  private readonly tile: number;

  constructor(batch: number, lengthQ: number, lengthK: number, headSize: number, valueSize: number, scale: number, causal: boolean) {
    super(batch, lengthQ, lengthK, headSize, valueSize, scale, causal, lengthK);
    this.tile = tileRows(headSize + valueSize + 2);
    this.key = `attentionBackwardK_${this.shapeKey}`;
  }

  main(): string {
    return this.unrolled(`${this.constants(this.tile)}
var<workgroup> qTile: array<f32, ${this.tile * this.headSize}>;
var<workgroup> doTile: array<f32, ${this.tile * this.valueSize}>;
var<workgroup> lseTile: array<f32, ${this.tile}>;
var<workgroup> deltaTile: array<f32, ${this.tile}>;
@compute @workgroup_size(${ROWS}, 1, 1)
fn main(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(local_invocation_index) local: u32) {
  let b = workgroup.y;
  let keyStart = workgroup.x * ROWS;
  let j = keyStart + local;
  let valid = j < u.lengthK;
  let row = b * u.lengthK + min(j, u.lengthK - 1u);
  var kr: array<f32, ${this.headSize}>;
  var vr: array<f32, ${this.valueSize}>;
  var dkr: array<f32, ${this.headSize}>;
  var dvr: array<f32, ${this.valueSize}>;
  for (var e = 0u; e < D; e = e + 1u) { kr[e] = k[row * D + e] * u.scale; dkr[e] = 0.0; }
  for (var c = 0u; c < DV; c = c + 1u) { vr[c] = v[row * DV + c]; dvr[c] = 0.0; }
  // Under the causal mask queries before the block's first key see none of its keys (uniform).
  var queryStart = 0u;
  if (CAUSAL) { queryStart = min(keyStart, u.lengthQ); }
  let qBase = b * u.lengthQ;
  for (var t0 = queryStart; t0 < u.lengthQ; t0 = t0 + TILE) {
    let n = min(TILE, u.lengthQ - t0);
    workgroupBarrier();
    for (var x = local; x < n * D; x = x + ROWS) { qTile[x] = q[(qBase + t0) * D + x]; }
    for (var x = local; x < n * DV; x = x + ROWS) { doTile[x] = dout[(qBase + t0) * DV + x]; }
    for (var x = local; x < n; x = x + ROWS) { lseTile[x] = lse[qBase + t0 + x]; deltaTile[x] = delta[qBase + t0 + x]; }
    workgroupBarrier();
    if (valid) {
      for (var r = 0u; r < n; r = r + 1u) {
        if (CAUSAL && t0 + r < j) { continue; }
        var s = 0.0;
        for (var e = 0u; e < D; e = e + 1u) { s = s + qTile[r * D + e] * kr[e]; }
        let p = exp(s - lseTile[r]);
        var dp = 0.0;
        for (var c = 0u; c < DV; c = c + 1u) {
          dp = dp + doTile[r * DV + c] * vr[c];
          dvr[c] = dvr[c] + p * doTile[r * DV + c];
        }
        let ds = p * (dp - deltaTile[r]);
        for (var e = 0u; e < D; e = e + 1u) { dkr[e] = dkr[e] + ds * qTile[r * D + e]; }
      }
    }
  }
  if (valid) {
    for (var e = 0u; e < D; e = e + 1u) { dk[row * D + e] = dkr[e] * u.scale; }
    for (var c = 0u; c < DV; c = c + 1u) { dv[row * DV + c] = dvr[c]; }
  }
}`);
  }
}

/**
 * For the matmul-based backward: scores (batch, L, S) → probabilities exp(s·scale − lse) in place,
 * 0 for keys past the query under the causal mask.
 */
export class AttentionProbsProgram implements Program {
  readonly op = 'scaledDotProductAttention backward';
  readonly key: string;
  readonly flat = true;
  readonly inputs: StorageBinding[] = [{ name: 'lse', type: 'f32' }];
  readonly outputs: StorageBinding[] = [{ name: 'p', type: 'f32' }];
  readonly uniforms: UniformField[] = [{ name: 'count', type: 'u32' }, { name: 'lengthQ', type: 'u32' }, { name: 'lengthK', type: 'u32' }, { name: 'scale', type: 'f32' }];
  readonly uniformValues: number[];
  readonly workgroupSize = [FLAT_WORKGROUP_SIZE, 1, 1] as const;
  readonly dispatch: [number, number, number];

  constructor(batch: number, lengthQ: number, lengthK: number, scale: number, private readonly causal: boolean) {
    const count = batch * lengthQ * lengthK;
    this.uniformValues = [count, lengthQ, lengthK, scale];
    this.dispatch = flatDispatch(count);
    this.key = `attentionProbs_${causal ? 'causal' : 'full'}`;
  }

  main(): string {
    return `fn run(index: u32) {
  let row = index / u.lengthK;
  let j = index - row * u.lengthK;
  if (${this.causal} && j > row % u.lengthQ) { p[index] = 0.0; return; }
  p[index] = exp(max(p[index] * u.scale - lse[row], -104.0));
}`;
  }
}

/** For the matmul-based backward: dp (batch, L, S) → dS = p·(dp − D_row)·scale in place. */
export class AttentionScoreGradProgram implements Program {
  readonly op = 'scaledDotProductAttention backward';
  readonly key = 'attentionScoreGrad';
  readonly flat = true;
  readonly inputs: StorageBinding[] = [{ name: 'p', type: 'f32' }, { name: 'delta', type: 'f32' }];
  readonly outputs: StorageBinding[] = [{ name: 'ds', type: 'f32' }];
  readonly uniforms: UniformField[] = [{ name: 'count', type: 'u32' }, { name: 'lengthK', type: 'u32' }, { name: 'scale', type: 'f32' }];
  readonly uniformValues: number[];
  readonly workgroupSize = [FLAT_WORKGROUP_SIZE, 1, 1] as const;
  readonly dispatch: [number, number, number];

  constructor(batch: number, lengthQ: number, lengthK: number, scale: number) {
    const count = batch * lengthQ * lengthK;
    this.uniformValues = [count, lengthK, scale];
    this.dispatch = flatDispatch(count);
  }

  main(): string {
    return `fn run(index: u32) {
  ds[index] = p[index] * (ds[index] - delta[index / u.lengthK]) * u.scale;
}`;
  }
}
