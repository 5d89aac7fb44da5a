// Reductions over the middle axis of an (outer, size, inner) view: sum/prod/max/min, argmax/argmin
// and cumsum. With inner = 1 each row is reduced by T threads in workgroup memory (rows.ts); with
// inner > 1 one thread per output walks the axis, neighbouring threads reading neighbouring
// columns. Long axes with few outputs are split into chunks whose partial results a second pass
// reduces, so a full sum of a million elements still spreads over the GPU.

import type { ReduceOp } from '../../../backend.js';
import type { DType } from '../../../dtype.js';
import { flatDispatch, FLAT_WORKGROUP_SIZE, GROUP_INDEX, wgslType, type Program, type StorageBinding, type UniformField, type WgslType } from '../codegen.js';
import { GPU_ROW_POLICY, ROW_WORKGROUP_SIZE, rowGeometry, rowPrologue, rowReduce, type RowPolicy, type SubgroupReduction } from './rows.js';

/** Identity of a reduction in WGSL (max/min of floats start at ∓∞, of ints at the int range's ends, of bools at 0/1). */
function identity(op: ReduceOp, type: WgslType): string {
  const float = type === 'f32';
  if (type === 'u32') return op === 'sum' || op === 'max' ? '0u' : op === 'prod' ? '1u' : '1u';
  switch (op) {
    case 'sum': return float ? '0.0' : '0';
    case 'prod': return float ? '1.0' : '1';
    case 'max': return float ? 'negInf()' : 'i32(-2147483647 - 1)';
    case 'min': return float ? 'posInf()' : '2147483647';
  }
}

/** Combines two partial results; NaN wins max/min, as in PyTorch and the CPU backend. */
function combine(op: ReduceOp, type: WgslType): (a: string, b: string) => string {
  const float = type === 'f32';
  switch (op) {
    case 'sum': return (a, b) => `${a} + ${b}`;
    case 'prod': return (a, b) => `${a} * ${b}`;
    case 'max': return float ? (a, b) => `maxNan(${a}, ${b})` : (a, b) => `max(${a}, ${b})`;
    case 'min': return float ? (a, b) => `minNan(${a}, ${b})` : (a, b) => `min(${a}, ${b})`;
  }
}

const NAN_EXTREMA = /* wgsl */ `
fn maxNan(a: f32, b: f32) -> f32 { return select(select(b, a, a > b), a, isNan(a)); }
fn minNan(a: f32, b: f32) -> f32 { return select(select(b, a, a < b), a, isNan(a)); }
`;

/** The subgroup operation of a reduction with the same semantics, if any. */
function subgroupReduction(op: ReduceOp, type: WgslType): SubgroupReduction | null {
  if (type === 'u32') return null;
  if (op === 'sum') return 'subgroupAdd';
  if (op === 'prod') return 'subgroupMul';
  if (type === 'f32') return null;
  return op === 'max' ? 'subgroupMax' : 'subgroupMin';
}

/**
 * Chunks to split a reduction axis into so that few outputs still occupy the GPU: 1 when there are
 * enough outputs or the axis is short, else enough chunks of at least `minChunk` elements.
 */
export function reductionChunks(outputs: number, size: number, minChunk: number): number {
  const target = 8192; // threads (inner > 1) or rows (inner = 1) worth launching
  if (outputs * 4 >= target || size <= 4 * minChunk) return 1;
  return Math.max(1, Math.min(Math.ceil(size / minChunk), Math.ceil(target / outputs)));
}

/**
 * Reduces chunk c of the axis of (outer, size, inner) into out[o, c, i]. One chunk (the whole axis)
 * is the ordinary reduction.
 */
export class ReduceProgram implements Program {
  readonly key: string;
  readonly inputs: StorageBinding[];
  readonly outputs: StorageBinding[];
  readonly uniforms: UniformField[] = [
    { name: 'outer', type: 'u32' },
    { name: 'size', type: 'u32' },
    { name: 'inner', type: 'u32' },
    { name: 'chunk', type: 'u32' },
    { name: 'chunks', type: 'u32' },
  ];
  readonly uniformValues: number[];
  readonly workgroupSize = [ROW_WORKGROUP_SIZE, 1, 1] as const;
  readonly dispatch: [number, number, number];
  private readonly threadsPerRow: number;
  private readonly subgroup: boolean;
  readonly enables: string[] = [];
  readonly op: string;

  constructor(private readonly reduceOp: ReduceOp, outer: number, size: number, inner: number, chunks: number, private readonly dtype: DType, policy: RowPolicy = GPU_ROW_POLICY) {
    this.op = reduceOp;
    const type = wgslType(dtype);
    const chunk = Math.ceil(size / chunks);
    this.inputs = [{ name: 'x', type }];
    this.outputs = [{ name: 'out', type }];
    this.uniformValues = [outer, size, inner, chunk, chunks];
    if (inner === 1) {
      const geometry = rowGeometry(outer * chunks, chunk, policy);
      this.threadsPerRow = geometry.threadsPerRow;
      this.dispatch = geometry.dispatch;
      // Float max/min keep the workgroup tree: subgroupMax's NaN behaviour is unspecified.
      this.subgroup = geometry.subgroup && subgroupReduction(reduceOp, wgslType(dtype)) !== null;
      if (this.subgroup) this.enables.push('subgroups');
    } else {
      this.threadsPerRow = 0;
      this.subgroup = false;
      this.dispatch = flatDispatch(outer * chunks * inner);
    }
    this.key = `reduce_${reduceOp}_${dtype}_${this.threadsPerRow === 0 ? 'columns' : `rows${this.threadsPerRow}${this.subgroup ? 'sg' : ''}`}`;
  }

  main(): string {
    const type = wgslType(this.dtype);
    const init = identity(this.reduceOp, type);
    const step = combine(this.reduceOp, type);
    if (this.threadsPerRow === 0) {
      return `${NAN_EXTREMA}
@compute @workgroup_size(${FLAT_WORKGROUP_SIZE}, 1, 1)
fn main(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) local: u32) {
  let index = (${GROUP_INDEX}) * ${FLAT_WORKGROUP_SIZE}u + local;
  if (index >= u.outer * u.chunks * u.inner) { return; }
  let i = index % u.inner;
  let oc = index / u.inner;
  let c = oc % u.chunks;
  let o = oc / u.chunks;
  let begin = c * u.chunk;
  let end = min(begin + u.chunk, u.size);
  var acc: ${type} = ${init};
  var p = (o * u.size + begin) * u.inner + i;
  for (var s = begin; s < end; s = s + 1u) {
    acc = ${step('acc', 'x[p]')};
    p = p + u.inner;
  }
  out[index] = acc;
}`;
    }
    const { constants, entry } = rowPrologue(this.threadsPerRow);
    return `${NAN_EXTREMA}
${constants}
var<workgroup> partial: array<${type}, ${ROW_WORKGROUP_SIZE}>;
${entry}
  var acc: ${type} = ${init};
  if (row < u.outer * u.chunks) {
    let c = row % u.chunks;
    let o = row / u.chunks;
    let begin = c * u.chunk;
    let end = min(begin + u.chunk, u.size);
    let base = o * u.size;
    for (var s = begin + lane; s < end; s = s + THREADS_PER_ROW) {
      acc = ${step('acc', 'x[base + s]')};
    }
  }
  partial[local] = acc;
  ${rowReduce('partial', step, 'total', { threadsPerRow: this.threadsPerRow, subgroup: this.subgroup }, subgroupReduction(this.reduceOp, type))}
  if (lane == 0u && row < u.outer * u.chunks) { out[row] = total; }
}`;
  }
}

/**
 * Index of the max (min) along the axis: the first index wins ties and the first NaN wins
 * everything, as in the CPU backend and PyTorch. Chunked like `ReduceProgram`: with `partial`
 * inputs the second pass reduces (value, index) pairs of the first.
 */
export class ArgReduceProgram implements Program {
  readonly key: string;
  readonly inputs: StorageBinding[];
  readonly outputs: StorageBinding[];
  readonly uniforms: UniformField[] = [
    { name: 'outer', type: 'u32' },
    { name: 'size', type: 'u32' },
    { name: 'inner', type: 'u32' },
  ];
  readonly uniformValues: number[];
  readonly workgroupSize = [ROW_WORKGROUP_SIZE, 1, 1] as const;
  readonly dispatch: [number, number, number];
  private readonly threadsPerRow: number;

  constructor(readonly op: 'argmax' | 'argmin', outer: number, size: number, inner: number, private readonly dtype: DType, policy: RowPolicy = GPU_ROW_POLICY) {
    const type = wgslType(dtype);
    this.inputs = [{ name: 'x', type }];
    this.outputs = [{ name: 'out', type: 'i32' }];
    this.uniformValues = [outer, size, inner];
    if (inner === 1) {
      const geometry = rowGeometry(outer, size, policy);
      this.threadsPerRow = geometry.threadsPerRow;
      this.dispatch = geometry.dispatch;
    } else {
      this.threadsPerRow = 0;
      this.dispatch = flatDispatch(outer * inner);
    }
    this.key = `${op}_${dtype}_${this.threadsPerRow === 0 ? 'columns' : `rows${this.threadsPerRow}`}`;
  }

  main(): string {
    const type = wgslType(this.dtype);
    const compute = type === 'f32' ? 'f32' : 'i32';
    const load = (p: string) => (type === 'u32' ? `i32(x[${p}])` : `x[${p}]`);
    const better = this.op === 'argmax' ? 'b > a' : 'b < a';
    const nan = compute === 'f32' ? 'isNan' : 'noNan';
    // (a, ia) vs (b, ib) with ia < ib: b wins if it is NaN and a is not, or strictly better.
    const helpers = `
fn noNan(v: i32) -> bool { return false; }
fn secondWins(a: ${compute}, b: ${compute}) -> bool { return !${nan}(a) && (${nan}(b) || ${better}); }`;
    if (this.threadsPerRow === 0) {
      return `${helpers}
@compute @workgroup_size(${FLAT_WORKGROUP_SIZE}, 1, 1)
fn main(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) local: u32) {
  let index = (${GROUP_INDEX}) * ${FLAT_WORKGROUP_SIZE}u + local;
  if (index >= u.outer * u.inner) { return; }
  let i = index % u.inner;
  let o = index / u.inner;
  let base = o * u.size * u.inner + i;
  var best = ${load('base')};
  var bestIndex = 0u;
  for (var s = 1u; s < u.size; s = s + 1u) {
    let v = ${load('base + s * u.inner')};
    if (secondWins(best, v)) { best = v; bestIndex = s; }
  }
  out[index] = i32(bestIndex);
}`;
    }
    const { constants, entry } = rowPrologue(this.threadsPerRow);
    return `${helpers}
${constants}
var<workgroup> values: array<${compute}, ${ROW_WORKGROUP_SIZE}>;
var<workgroup> indices: array<u32, ${ROW_WORKGROUP_SIZE}>;
${entry}
  var best: ${compute} = ${compute === 'f32' ? '0.0' : '0'};
  var bestIndex = 0xffffffffu;
  if (row < u.outer) {
    let base = row * u.size;
    for (var s = lane; s < u.size; s = s + THREADS_PER_ROW) {
      let v = ${load('base + s')};
      if (bestIndex == 0xffffffffu || secondWins(best, v)) { best = v; bestIndex = s; }
    }
  }
  values[local] = best;
  indices[local] = bestIndex;
  ${this.threadsPerRow > 1 ? 'workgroupBarrier();' : ''}
  for (var stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) {
      let ia = indices[local];
      let ib = indices[local + stride];
      // Lanes hold strided indices, so the pair's order by index decides the tie rule.
      var take = false;
      if (ib != 0xffffffffu) {
        if (ia == 0xffffffffu) { take = true; }
        else if (ib < ia) { take = !secondWins(values[local + stride], values[local]); }
        else { take = secondWins(values[local], values[local + stride]); }
      }
      if (take) { values[local] = values[local + stride]; indices[local] = ib; }
    }
    ${this.threadsPerRow > 1 ? 'workgroupBarrier();' : ''}
  }
  if (lane == 0u && row < u.outer) { out[row] = i32(indices[rowBase]); }
}`;
  }
}

/** Inclusive prefix sums along the axis: one thread per (outer, inner) column walks it in order. */
export class CumsumProgram implements Program {
  readonly op = 'cumsum';
  readonly key: string;
  readonly flat = true;
  readonly inputs: StorageBinding[];
  readonly outputs: StorageBinding[];
  readonly uniforms: UniformField[] = [
    { name: 'count', type: 'u32' },
    { name: 'size', type: 'u32' },
    { name: 'inner', type: 'u32' },
  ];
  readonly uniformValues: number[];
  readonly workgroupSize = [FLAT_WORKGROUP_SIZE, 1, 1] as const;
  readonly dispatch: [number, number, number];

  constructor(outer: number, size: number, inner: number, private readonly dtype: DType) {
    const type = wgslType(dtype);
    this.key = `cumsum_${dtype}`;
    this.inputs = [{ name: 'x', type }];
    this.outputs = [{ name: 'out', type }];
    this.uniformValues = [outer * inner, size, inner];
    this.dispatch = flatDispatch(outer * inner);
  }

  main(): string {
    const type = wgslType(this.dtype);
    return `fn run(index: u32) {
  let i = index % u.inner;
  let o = index / u.inner;
  var acc: ${type} = ${type === 'f32' ? '0.0' : '0'};
  var p = o * u.size * u.inner + i;
  for (var s = 0u; s < u.size; s = s + 1u) {
    acc = acc + x[p];
    out[p] = acc;
    p = p + u.inner;
  }
}`;
  }
}
