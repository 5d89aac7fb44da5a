// WGSL code generation shared by every kernel: the `Program` interface (a kernel as a small
// object holding its dispatch geometry, cache key, bindings and only the op-specific WGSL), the
// generated header (bindings, the uniform struct, numeric helpers), and index arithmetic helpers.
// tfjs-backend-webgpu's `WebGPUProgram` + `makeShaderKey` + `getStartHeaderString` is the model.

import type { DType } from '../../dtype.js';

/** The WGSL element type of a storage buffer: float32 → f32, int32 → i32, bool → u32 (0 or 1). */
export type WgslType = 'f32' | 'i32' | 'u32';

/** One scalar field of a program's uniform struct, in declaration order. */
export interface UniformField {
  name: string;
  type: WgslType;
}

/** A storage binding: its WGSL name and element type (`vec4<type>` elements when `vec4` is set). */
export interface StorageBinding {
  name: string;
  type: WgslType;
  vec4?: boolean;
}

/**
 * A compute kernel. The constructor computes everything shape-dependent (dispatch, uniform values);
 * `main()` returns only the op-specific WGSL, called once per `key` (the pipeline cache key).
 */
export interface Program {
  /** The user-facing op the kernel belongs to, for error messages and profiles. */
  readonly op: string;
  /** Identifies the generated WGSL: two programs with the same key must produce the same shader. */
  readonly key: string;
  /** Read-only storage inputs, bound at 0..inputs.length − 1. */
  readonly inputs: readonly StorageBinding[];
  /** Read-write storage outputs, bound after the inputs. */
  readonly outputs: readonly StorageBinding[];
  /** Fields of the uniform struct `u`, bound last (omitted when empty). */
  readonly uniforms: readonly UniformField[];
  /** Values of the uniform fields, in order. */
  readonly uniformValues: readonly number[];
  /** Threads per workgroup, (x, y, z). */
  readonly workgroupSize: readonly [number, number, number];
  /** Workgroups to dispatch, (x, y, z); a zero dimension skips the dispatch. */
  readonly dispatch: readonly [number, number, number];
  /**
   * The op-specific WGSL. With `flat` set, it defines `fn run(index: u32)` called once per index
   * below `u.count` (the header writes the entry point); otherwise it defines the `main` entry point.
   */
  main(): string;
  /** True for one-thread-per-element programs whose body is `fn run(index: u32)`. */
  readonly flat?: boolean;
  /** WGSL extensions the shader enables (e.g. 'subgroups'); the device must have the features. */
  readonly enables?: readonly string[];
}

/** Threads per workgroup of the flat (one thread per element) programs. */
export const FLAT_WORKGROUP_SIZE = 256;

/** Largest workgroup count per dispatch dimension (WebGPU's default `maxComputeWorkgroupsPerDimension`). */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/** The WGSL storage type of a dtype. */
export function wgslType(dtype: DType): WgslType {
  return dtype === 'float32' ? 'f32' : dtype === 'int32' ? 'i32' : 'u32';
}

/** Workgroups for `count` items at `perGroup` items per workgroup, folded into 2-D past 65535. */
export function flatDispatch(count: number, perGroup = FLAT_WORKGROUP_SIZE): [number, number, number] {
  const groups = Math.ceil(count / perGroup);
  if (groups <= MAX_WORKGROUPS_PER_DIMENSION) return [groups, groups > 0 ? 1 : 0, 1];
  const y = Math.ceil(groups / MAX_WORKGROUPS_PER_DIMENSION);
  return [Math.ceil(groups / y), y, 1];
}

/** Numeric helpers every shader may call. NaN and ∞ are made at run time (WGSL rejects them as constants). */
const NUMERIC_HELPERS = /* wgsl */ `
var<private> INF_BITS: u32 = 0x7f800000u;
var<private> NAN_BITS: u32 = 0x7fc00000u;
fn posInf() -> f32 { return bitcast<f32>(INF_BITS); }
fn negInf() -> f32 { return -bitcast<f32>(INF_BITS); }
fn nanValue() -> f32 { return bitcast<f32>(NAN_BITS); }
fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isInf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn truthy(x: f32) -> bool { return x != 0.0 && !isNan(x); }
`;

/**
 * The header of a program's shader: bindings, the uniform struct, helpers and, for flat programs, the
 * entry point, in which each thread handles `elementsPerThread` elements `workgroup size` apart.
 */
export function shaderSource(program: Program, elementsPerThread = 1): string {
  const lines: string[] = (program.enables ?? []).map((extension) => `enable ${extension};`);
  let binding = 0;
  const element = (b: StorageBinding) => (b.vec4 ? `vec4<${b.type}>` : b.type);
  for (const input of program.inputs) {
    lines.push(`@group(0) @binding(${binding++}) var<storage, read> ${input.name}: array<${element(input)}>;`);
  }
  for (const output of program.outputs) {
    lines.push(`@group(0) @binding(${binding++}) var<storage, read_write> ${output.name}: array<${element(output)}>;`);
  }
  if (program.uniforms.length > 0) {
    lines.push(`struct Uniforms {\n${program.uniforms.map((f) => `  ${f.name}: ${f.type},`).join('\n')}\n};`);
    lines.push(`@group(0) @binding(${binding}) var<uniform> u: Uniforms;`);
  }
  const [x, y, z] = program.workgroupSize;
  lines.push(`const WORKGROUP_SIZE_X: u32 = ${x}u;`, `const WORKGROUP_SIZE_Y: u32 = ${y}u;`, `const WORKGROUP_SIZE_Z: u32 = ${z}u;`);
  lines.push(NUMERIC_HELPERS);
  lines.push(program.main());
  if (program.flat) {
    lines.push(/* wgsl */ `
@compute @workgroup_size(${x}, 1, 1)
fn main(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) local: u32) {
  let first = (workgroup.y * groups.x + workgroup.x) * ${x * elementsPerThread}u + local;
  for (var e = 0u; e < ${elementsPerThread}u; e = e + 1u) {
    let index = first + e * ${x}u;
    if (index < u.count) { run(index); }
  }
}`);
  }
  return lines.join('\n');
}

/** The number of the group a workgroup is in a 2-D folded dispatch (see `flatDispatch`). */
export const GROUP_INDEX = 'workgroup.y * groups.x + workgroup.x';

/**
 * Strides of an operand of shape `shape` read at every index of `outShape` (right-aligned, 0 on
 * broadcast dims), as numpy/PyTorch broadcasting defines them.
 */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const out = new Array<number>(outShape.length).fill(0);
  const offset = outShape.length - shape.length;
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[offset + i] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i];
  }
  return out;
}

/**
 * Merges adjacent dims that every operand walks contiguously (stride[d] = stride[d + 1]·shape[d + 1])
 * and drops size-1 dims, so most broadcasts become rank 1 or 2. Returns the merged shape and each
 * operand's merged strides.
 */
export function collapseDims(shape: readonly number[], operandStrides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const dims: number[] = [];
  const strides: number[][] = operandStrides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && operandStrides.every((s, k) => strides[k][last] === s[d] * shape[d])) {
      dims[last] *= shape[d];
      operandStrides.forEach((s, k) => (strides[k][last] = s[d]));
    } else {
      dims.push(shape[d]);
      operandStrides.forEach((s, k) => strides[k].push(s[d]));
    }
  }
  return { shape: dims, strides };
}

/** How a flat kernel locates an operand's element for output index `index`. */
export type OperandLayout = 'contiguous' | 'scalar' | 'strided';

/** Classifies merged strides: the output's own layout, one element everywhere, or general strides. */
export function operandLayout(shape: readonly number[], strides: readonly number[]): OperandLayout {
  if (strides.every((s) => s === 0)) return 'scalar';
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (strides[d] !== expected) return 'strided';
    expected *= shape[d];
  }
  return 'contiguous';
}

/**
 * Uniform fields and WGSL that turn a flat output index into coordinates over a rank-`rank` shape
 * (`shape_1..shape_{rank−1}` uniforms; dim 0 needs no size) and into an offset per strided operand
 * (`<name>_stride_d` uniforms). The WGSL defines `let <name>Index` for each operand.
 */
export class StridedIndexer {
  readonly fields: UniformField[] = [];
  readonly values: number[] = [];

  constructor(
    readonly shape: readonly number[],
    readonly operands: readonly { name: string; strides: readonly number[]; offset?: boolean }[],
  ) {
    for (let d = 1; d < shape.length; d++) {
      this.fields.push({ name: `shape_${d}`, type: 'u32' });
      this.values.push(shape[d]);
    }
    for (const operand of operands) {
      for (let d = 0; d < shape.length; d++) {
        this.fields.push({ name: `${operand.name}_stride_${d}`, type: 'u32' });
        this.values.push(operand.strides[d]);
      }
    }
  }

  /** WGSL statements computing `<name>Index` for every operand from `index`. */
  code(): string {
    const rank = this.shape.length;
    const lines: string[] = ['var rest = index;'];
    for (let d = rank - 1; d >= 1; d--) {
      lines.push(`let coord_${d} = rest % u.shape_${d};`, `rest = rest / u.shape_${d};`);
    }
    lines.push('let coord_0 = rest;');
    for (const operand of this.operands) {
      const terms = Array.from({ length: rank }, (_, d) => `coord_${d} * u.${operand.name}_stride_${d}`);
      if (operand.offset) terms.push(`u.${operand.name}_offset`);
      lines.push(`let ${operand.name}Index = ${terms.length > 0 ? terms.join(' + ') : '0u'};`);
    }
    return lines.join('\n  ');
  }
}

/**
 * Whether a flat kernel over `count` elements may move them as vec4s: whole vec4s only (every pool
 * buffer is a multiple of 16 bytes, so the last vec4 is always in bounds).
 */
export function vectorizable(count: number): boolean {
  return count >= 4 && count % 4 === 0;
}

/** `vec4<type>(f(x.x, …), f(x.y, …), …)`: a per-component expression applied to all four lanes. */
export function perComponent(type: WgslType, component: (c: 'x' | 'y' | 'z' | 'w') => string): string {
  return `vec4<${type}>(${(['x', 'y', 'z', 'w'] as const).map(component).join(', ')})`;
}

/** The next power of two ≥ n (1 for n ≤ 1). */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
