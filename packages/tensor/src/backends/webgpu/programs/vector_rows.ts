// Row kernels for GPUs that keep each row in registers: softmax / log-softmax and layer norm,
// forward and backward, for rows whose length is a multiple of 4. A row is read once, as vec4s,
// by T threads (each holding up to `vectorsPerThread` vec4s, consecutive threads on consecutive
// vec4s), reduced across those threads, and written once: one pass over memory, where the scalar
// kernels of nn.ts read a row two or three times, one f32 per load. The reductions use subgroup
// operations when the device has one fixed subgroup size (a row then spans whole subgroups, and
// subgroups of a row meet in workgroup memory), else a tree in workgroup memory.

import { flatDispatch, GROUP_INDEX, nextPowerOfTwo, type Program, type StorageBinding, type UniformField } from '../codegen.js';
import { SAFE_EXP } from './nn.js';
import { ROW_WORKGROUP_SIZE } from './rows.js';

/** How many vec4s a thread of a vector row kernel holds at most (rows longer than 256 threads × this × 4 use the scalar kernels). */
export const DEFAULT_ROW_VECTORS_PER_THREAD = 4;

/** The geometry of one vector row kernel. */
export interface VectorRowGeometry {
  /** Threads per row T (a power of two; a multiple of the subgroup size when subgroups are used). */
  threadsPerRow: number;
  /** vec4s each thread holds: ⌈cols / 4 / T⌉. */
  vectorsPerThread: number;
  /** The device's fixed subgroup size when reductions use subgroups, else 0. */
  subgroupSize: number;
  dispatch: [number, number, number];
}

/**
 * The geometry for `rows` rows of `cols` elements, or null when the vector kernels cannot take them
 * (cols not a multiple of 4, or a row too long for 256 threads of `maxVectorsPerThread` vec4s).
 */
export function vectorRowGeometry(rows: number, cols: number, subgroupSize: number, maxVectorsPerThread = DEFAULT_ROW_VECTORS_PER_THREAD): VectorRowGeometry | null {
  if (cols % 4 !== 0 || cols === 0) return null;
  const vectors = cols / 4;
  let threadsPerRow = Math.min(ROW_WORKGROUP_SIZE, nextPowerOfTwo(Math.ceil(vectors / maxVectorsPerThread)));
  const useSubgroups = subgroupSize > 1 && subgroupSize <= ROW_WORKGROUP_SIZE;
  if (useSubgroups) threadsPerRow = Math.max(threadsPerRow, subgroupSize);
  const vectorsPerThread = Math.ceil(vectors / threadsPerRow);
  if (vectorsPerThread > maxVectorsPerThread) return null;
  return { threadsPerRow, vectorsPerThread, subgroupSize: useSubgroups ? subgroupSize : 0, dispatch: flatDispatch(rows, ROW_WORKGROUP_SIZE / threadsPerRow) };
}

/** exp per component that is exactly 0 below −103.97, +∞ above 88.72 and NaN at NaN on every driver; and the scalar helpers. */
const VECTOR_HELPERS = /* wgsl */ `
fn isNan4(x: vec4<f32>) -> vec4<bool> { return (bitcast<vec4<u32>>(x) & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u); }
fn expSafe4(x: vec4<f32>) -> vec4<f32> {
  var r = exp(x);
  r = select(r, vec4<f32>(0.0), x < vec4<f32>(-103.97208));
  r = select(r, vec4<f32>(posInf()), x > vec4<f32>(88.72284));
  return select(r, x, isNan4(x));
}
fn sum4(x: vec4<f32>) -> f32 { return (x.x + x.y) + (x.z + x.w); }
fn max4(x: vec4<f32>) -> f32 { return max(max(x.x, x.y), max(x.z, x.w)); }
${SAFE_EXP}`;

/** Shared parts of the vector row kernels: geometry, uniforms, prologue, register loads and reductions. */
abstract class VectorRowProgram implements Program {
  abstract readonly op: string;
  abstract readonly key: string;
  abstract readonly inputs: StorageBinding[];
  abstract readonly outputs: StorageBinding[];
  readonly uniforms: UniformField[] = [
    { name: 'rows', type: 'u32' },
    { name: 'cols', type: 'u32' },
  ];
  readonly uniformValues: number[];
  readonly workgroupSize = [ROW_WORKGROUP_SIZE, 1, 1] as const;
  readonly dispatch: [number, number, number];
  readonly enables: string[];
  /** Reductions of this kernel: name → WGSL type of the workgroup slots it needs. */
  private readonly reductions = new Map<string, string>();

  constructor(rows: number, cols: number, protected readonly geometry: VectorRowGeometry) {
    this.dispatch = geometry.dispatch;
    this.uniformValues = [rows, cols];
    this.enables = geometry.subgroupSize > 0 ? ['subgroups'] : [];
  }

  /** Suffix of the kernel key: the geometry. */
  protected get geometryKey(): string {
    const { threadsPerRow, vectorsPerThread, subgroupSize } = this.geometry;
    return `${threadsPerRow}x${vectorsPerThread}${subgroupSize ? `sg${subgroupSize}` : ''}`;
  }

  /** `f(j, column)` for each of the thread's vec4 slots j; `column` is the slot's vec4 index in the row. */
  protected perSlot(f: (j: number, column: string) => string): string {
    return Array.from({ length: this.geometry.vectorsPerThread }, (_, j) => f(j, `(lane + ${j * this.geometry.threadsPerRow}u)`)).join('\n  ');
  }

  /** Declares `var <name><j>: vec4<f32>` per slot, loaded from `<binding>` (`fill` outside the row). */
  protected load(name: string, binding: string, fill: string): string {
    return this.perSlot((j, column) => `var ${name}${j} = vec4<f32>(${fill});\n  if (valid && ${column} < cols4) { ${name}${j} = ${binding}[base4 + ${column}]; }`);
  }

  /** Stores `value(j)` to `<binding>` for every slot inside the row. */
  protected store(binding: string, value: (j: number, column: string) => string): string {
    return this.perSlot((j, column) => `if (valid && ${column} < cols4) { ${binding}[base4 + ${column}] = ${value(j, column)}; }`);
  }

  /**
   * WGSL that combines `value` (of WGSL type `type`) over the row's T threads with `op` and leaves the
   * result in `let <result>` in every thread of the row. Runs in uniform control flow (it may
   * contain barriers).
   */
  protected reduce(value: string, type: 'f32' | 'vec2<f32>', op: 'add' | 'max', result: string): string {
    const { threadsPerRow: t, subgroupSize: s } = this.geometry;
    const combine = (a: string, b: string) => (op === 'add' ? `${a} + ${b}` : `max(${a}, ${b})`);
    if (t === 1) return `let ${result} = ${value};`;
    const shared = `shared_${result}`;
    if (s > 0) {
      const subgroupOp = op === 'add' ? 'subgroupAdd' : 'subgroupMax';
      if (t === s) return `let ${result} = ${subgroupOp}(${value});`;
      this.reductions.set(shared, `array<${type}, ${ROW_WORKGROUP_SIZE / s}>`);
      const parts = Array.from({ length: t / s - 1 }, (_, j) => `${result}Total = ${combine(`${result}Total`, `${shared}[rowBase / ${s}u + ${j + 1}u]`)};`).join(' ');
      return `let ${result}Part = ${subgroupOp}(${value});
  if (subgroupLane == 0u) { ${shared}[local / ${s}u] = ${result}Part; }
  workgroupBarrier();
  var ${result}Total = ${shared}[rowBase / ${s}u];
  ${parts}
  let ${result} = ${result}Total;
  workgroupBarrier();`;
    }
    this.reductions.set(shared, `array<${type}, ${ROW_WORKGROUP_SIZE}>`);
    return `${shared}[local] = ${value};
  workgroupBarrier();
  for (var stride = ${t / 2}u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) { ${shared}[local] = ${combine(`${shared}[local]`, `${shared}[local + stride]`)}; }
    workgroupBarrier();
  }
  let ${result} = ${shared}[rowBase];
  workgroupBarrier();`;
  }

  /** The kernel's body after the prologue (calls `reduce`, which records the workgroup arrays). */
  protected abstract body(): string;

  main(): string {
    const { threadsPerRow, subgroupSize } = this.geometry;
    const body = this.body();
    const arrays = [...this.reductions].map(([name, type]) => `var<workgroup> ${name}: ${type};`).join('\n');
    return `${VECTOR_HELPERS}
${arrays}
@compute @workgroup_size(${ROW_WORKGROUP_SIZE}, 1, 1)
fn main(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) local: u32${subgroupSize ? ', @builtin(subgroup_invocation_id) subgroupLane: u32' : ''}) {
  let lane = local % ${threadsPerRow}u;
  let rowBase = local - lane;
  let row = (${GROUP_INDEX}) * ${ROW_WORKGROUP_SIZE / threadsPerRow}u + local / ${threadsPerRow}u;
  let valid = row < u.rows;
  let cols4 = u.cols / 4u;
  let base4 = row * cols4;
  ${body}
}`;
  }
}

/** Softmax or log-softmax of each row held in registers: one read, max and Σ exp reductions, one write. */
export class VectorSoftmaxProgram extends VectorRowProgram {
  readonly op: string;
  readonly key: string;
  readonly inputs: StorageBinding[] = [{ name: 'x', type: 'f32', vec4: true }];
  readonly outputs: StorageBinding[] = [{ name: 'out', type: 'f32', vec4: true }];

  constructor(rows: number, cols: number, private readonly log: boolean, geometry: VectorRowGeometry) {
    super(rows, cols, geometry);
    this.op = log ? 'logSoftmax' : 'softmax';
    this.key = `${this.op}Vec4_${this.geometryKey}`;
  }

  protected body(): string {
    return `${this.load('v', 'x', 'negInf()')}
  var m = negInf();
  ${this.perSlot((j) => `m = max(m, max4(v${j}));`)}
  ${this.reduce('m', 'f32', 'max', 'maxOfRow')}
  let rowMax = select(maxOfRow, 0.0, maxOfRow == negInf());
  var s = 0.0;
  ${this.perSlot((j) => (this.log ? `v${j} = v${j} - vec4<f32>(rowMax); s = s + sum4(expSafe4(v${j}));` : `v${j} = expSafe4(v${j} - vec4<f32>(rowMax)); s = s + sum4(v${j});`))}
  ${this.reduce('s', 'f32', 'add', 'rowSum')}
  ${this.log ? 'let logSum = vec4<f32>(logSafe(rowSum));' : 'let inverse = vec4<f32>(1.0 / rowSum);'}
  ${this.store('out', (j) => (this.log ? `v${j} - logSum` : `v${j} * inverse`))}`;
  }
}

/** Gradient of softmax (y·(dy − Σ dy·y)) or log-softmax (dy − exp(y)·Σ dy), each row read once. */
export class VectorSoftmaxBackwardProgram extends VectorRowProgram {
  readonly op: string;
  readonly key: string;
  readonly inputs: StorageBinding[] = [{ name: 'y', type: 'f32', vec4: true }, { name: 'dy', type: 'f32', vec4: true }];
  readonly outputs: StorageBinding[] = [{ name: 'dx', type: 'f32', vec4: true }];

  constructor(rows: number, cols: number, private readonly log: boolean, geometry: VectorRowGeometry) {
    super(rows, cols, geometry);
    this.op = log ? 'logSoftmax backward' : 'softmax backward';
    this.key = `${log ? 'logSoftmax' : 'softmax'}BackwardVec4_${this.geometryKey}`;
  }

  protected body(): string {
    return `${this.load('y', 'y', '0.0')}
  ${this.load('g', 'dy', '0.0')}
  var s = 0.0;
  ${this.perSlot((j) => (this.log ? `s = s + sum4(g${j});` : `s = s + dot(g${j}, y${j});`))}
  ${this.reduce('s', 'f32', 'add', 'total')}
  let t = vec4<f32>(total);
  ${this.store('dx', (j) => (this.log ? `g${j} - expSafe4(y${j}) * t` : `y${j} * (g${j} - t)`))}`;
  }
}

/** Layer norm of each row held in registers (mean, then the mean squared deviation from the registers), also writing mean and 1/std. */
export class VectorLayerNormProgram extends VectorRowProgram {
  readonly op = 'layerNorm';
  readonly key: string;
  readonly inputs: StorageBinding[] = [{ name: 'x', type: 'f32', vec4: true }];
  readonly outputs: StorageBinding[] = [{ name: 'out', type: 'f32', vec4: true }, { name: 'meanOut', type: 'f32' }, { name: 'rstdOut', type: 'f32' }];

  constructor(rows: number, cols: number, eps: number, private readonly withWeight: boolean, private readonly withBias: boolean, geometry: VectorRowGeometry) {
    super(rows, cols, geometry);
    if (withWeight) this.inputs.push({ name: 'weight', type: 'f32', vec4: true });
    if (withBias) this.inputs.push({ name: 'bias', type: 'f32', vec4: true });
    this.uniforms.push({ name: 'eps', type: 'f32' });
    this.uniformValues.push(eps);
    this.key = `layerNormVec4_${withWeight}_${withBias}_${this.geometryKey}`;
  }

  protected body(): string {
    let value = (j: number, column: string) => {
      let v = `v${j} * rstd4`;
      if (this.withWeight) v = `${v} * weight[${column}]`;
      if (this.withBias) v = `${v} + bias[${column}]`;
      return v;
    };
    return `${this.load('v', 'x', '0.0')}
  var s = 0.0;
  ${this.perSlot((j) => `s = s + sum4(v${j});`)}
  ${this.reduce('s', 'f32', 'add', 'total')}
  let mean = total / f32(u.cols);
  var squares = 0.0;
  ${this.perSlot((j, column) => `v${j} = select(vec4<f32>(0.0), v${j} - vec4<f32>(mean), vec4<bool>(${column} < cols4)); squares = squares + dot(v${j}, v${j});`)}
  ${this.reduce('squares', 'f32', 'add', 'squareSum')}
  let rstd = 1.0 / sqrt(squareSum / f32(u.cols) + u.eps);
  let rstd4 = vec4<f32>(rstd);
  ${this.store('out', value)}
  if (valid && lane == 0u) { meanOut[row] = mean; rstdOut[row] = rstd; }`;
  }
}

/** dx of layer norm, rstd·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)) with dxhat = dy·weight, each row read once. */
export class VectorLayerNormBackwardProgram extends VectorRowProgram {
  readonly op = 'layerNorm backward';
  readonly key: string;
  readonly inputs: StorageBinding[] = [{ name: 'dy', type: 'f32', vec4: true }, { name: 'x', type: 'f32', vec4: true }, { name: 'mean', type: 'f32' }, { name: 'rstd', type: 'f32' }];
  readonly outputs: StorageBinding[] = [{ name: 'dx', type: 'f32', vec4: true }];

  constructor(rows: number, cols: number, private readonly withWeight: boolean, geometry: VectorRowGeometry) {
    super(rows, cols, geometry);
    if (withWeight) this.inputs.push({ name: 'weight', type: 'f32', vec4: true });
    this.key = `layerNormBackwardVec4_${withWeight}_${this.geometryKey}`;
  }

  protected body(): string {
    const dxhat = (j: number, column: string) => (this.withWeight ? `g${j} * weight[${column}]` : `g${j}`);
    return `let mu = vec4<f32>(select(0.0, mean[min(row, u.rows - 1u)], valid));
  let rs = vec4<f32>(select(0.0, rstd[min(row, u.rows - 1u)], valid));
  ${this.load('g', 'dy', '0.0')}
  ${this.load('h', 'x', '0.0')}
  var sums = vec2<f32>(0.0);
  ${this.perSlot((j, column) => `h${j} = (h${j} - mu) * rs; g${j} = ${dxhat(j, column)}; sums = sums + vec2<f32>(sum4(g${j}), dot(g${j}, h${j}));`)}
  ${this.reduce('sums', 'vec2<f32>', 'add', 'totals')}
  let meanA = vec4<f32>(totals.x / f32(u.cols));
  let meanB = vec4<f32>(totals.y / f32(u.cols));
  ${this.store('dx', (j) => `rs * (g${j} - meanA - h${j} * meanB)`)}`;
  }
}
