// Row-wise kernels share one geometry: a workgroup of 256 threads holds 256/T rows of T threads
// each (T a power of two sized to the row length), and each row is reduced in workgroup memory
// by a tree over its T threads. Short rows then fill a workgroup instead of wasting 255 threads,
// long rows get all 256. When T equals the device's (fixed) subgroup size the reduction is one
// subgroup operation instead, with no workgroup memory and no barrier.

import { flatDispatch, GROUP_INDEX, nextPowerOfTwo } from '../codegen.js';

/** Threads of one workgroup of a row kernel. */
export const ROW_WORKGROUP_SIZE = 256;

/** How a backend sizes row groups. */
export interface RowPolicy {
  /** Elements of a row per thread the thread count aims for. */
  elementsPerThread: number;
  /**
   * With at least this many rows, a row gets one subgroup (or one thread without subgroups) and no
   * barrier runs: software adapters, where a barrier switches coroutines. Infinity on GPUs.
   */
  manyRows: number;
  /** The device's subgroup size when it has 'subgroups' and one fixed size, else 0. */
  subgroupSize: number;
}

/** GPUs: about 8 elements per thread, up to 256 threads per row. */
export const GPU_ROW_POLICY: RowPolicy = { elementsPerThread: 8, manyRows: Infinity, subgroupSize: 0 };

/** The row geometry of one kernel. */
export interface RowGeometry {
  threadsPerRow: number;
  /** Reduce rows with subgroup operations (threadsPerRow is the subgroup size). */
  subgroup: boolean;
  dispatch: [number, number, number];
}

/** Threads per row and workgroups for `rows` rows of `cols` elements. */
export function rowGeometry(rows: number, cols: number, policy: RowPolicy = GPU_ROW_POLICY): RowGeometry {
  const threadsPerRow =
    rows >= policy.manyRows ? Math.max(1, policy.subgroupSize) : Math.min(ROW_WORKGROUP_SIZE, nextPowerOfTwo(Math.ceil(cols / policy.elementsPerThread)));
  const rowsPerGroup = ROW_WORKGROUP_SIZE / threadsPerRow;
  return { threadsPerRow, subgroup: policy.subgroupSize > 1 && threadsPerRow === policy.subgroupSize, dispatch: flatDispatch(rows, rowsPerGroup) };
}

/** The subgroup operation of a reduction, when one exists with the same semantics. */
export type SubgroupReduction = 'subgroupAdd' | 'subgroupMul' | 'subgroupMax' | 'subgroupMin';

/**
 * WGSL constants and the `main` signature prologue of a row kernel: defines `lane` (0..T − 1),
 * `row` (may be ≥ the row count: such threads only take part in barriers), `local` and `rowBase`
 * (the row's first slot in workgroup arrays).
 */
export function rowPrologue(threadsPerRow: number): { constants: string; entry: string } {
  return {
    constants: `const THREADS_PER_ROW: u32 = ${threadsPerRow}u;\nconst ROWS_PER_GROUP: u32 = ${ROW_WORKGROUP_SIZE / threadsPerRow}u;`,
    entry: `@compute @workgroup_size(${ROW_WORKGROUP_SIZE}, 1, 1)
fn main(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) local: u32) {
  let lane = local % THREADS_PER_ROW;
  let rowBase = local - lane;
  let row = (${GROUP_INDEX}) * ROWS_PER_GROUP + local / THREADS_PER_ROW;`,
  };
}

/**
 * WGSL that reduces `shared[local]` over each row's T threads with `combine(a, b)` (an expression
 * template) and leaves the row's result in `let <result>`. Ends with a barrier, so `shared` may be
 * written again right after. With one thread per row it is a plain read, and with a subgroup per
 * row (and a `subgroupOp` of the same meaning) one subgroup operation; neither has a barrier.
 */
export function rowReduce(shared: string, combine: (a: string, b: string) => string, result: string, geometry: Pick<RowGeometry, 'threadsPerRow' | 'subgroup'>, subgroupOp: SubgroupReduction | null): string {
  if (geometry.threadsPerRow === 1) return `let ${result} = ${shared}[local];`;
  if (geometry.subgroup && subgroupOp) return `let ${result} = ${subgroupOp}(${shared}[local]);`;
  return `workgroupBarrier();
  for (var stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) { ${shared}[local] = ${combine(`${shared}[local]`, `${shared}[local + stride]`)}; }
    workgroupBarrier();
  }
  let ${result} = ${shared}[rowBase];
  workgroupBarrier();`;
}
