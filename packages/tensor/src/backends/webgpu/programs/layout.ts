// Layout and indexing kernels: strided copies (transpose, slice, expand), concatenation blocks,
// triangles, gather / indexSelect and their deterministic accumulating inverses scatterAdd /
// indexAdd.
//
// WGSL has no float atomics, so scatterAdd and indexAdd give each (outer, inner) column to one
// thread, which zeroes the column and then walks the index list in order adding its source
// elements: no two threads write one element, the result is deterministic and sums in the same
// order as the CPU backend. Work is O(outer · indexSize · inner) in total, spread over outer · inner
// threads (an embedding gradient of B·T tokens and C channels runs C threads of B·T steps).

import type { DType } from '../../../dtype.js';
import {
  collapseDims,
  flatDispatch,
  FLAT_WORKGROUP_SIZE,
  operandLayout,
  StridedIndexer,
  wgslType,
  type OperandLayout,
  type Program,
  type StorageBinding,
  type UniformField,
} from '../codegen.js';

/** Common shape of the flat layout programs. */
abstract class FlatProgram implements Program {
  abstract readonly op: string;
  abstract readonly key: string;
  readonly flat = true;
  readonly inputs: StorageBinding[];
  readonly outputs: StorageBinding[];
  readonly uniforms: UniformField[];
  readonly uniformValues: number[];
  readonly workgroupSize = [FLAT_WORKGROUP_SIZE, 1, 1] as const;
  readonly dispatch: [number, number, number];

  constructor(count: number, inputs: StorageBinding[], outputs: StorageBinding[], fields: [string, number][]) {
    this.inputs = inputs;
    this.outputs = outputs;
    this.uniforms = [{ name: 'count', type: 'u32' }, ...fields.map(([name]) => ({ name, type: 'u32' as const }))];
    this.uniformValues = [count, ...fields.map(([, value]) => value)];
    this.dispatch = flatDispatch(count);
  }

  abstract main(): string;
}

/** out[i] = x[offset + Σ_d coord_d · strides[d]] over `outShape` (a stride of 0 broadcasts). */
export class StridedCopyProgram implements Program {
  readonly op = 'stridedCopy';
  readonly key: string;
  readonly flat = true;
  readonly inputs: StorageBinding[];
  readonly outputs: StorageBinding[];
  readonly uniforms: UniformField[];
  readonly uniformValues: number[];
  readonly workgroupSize = [FLAT_WORKGROUP_SIZE, 1, 1] as const;
  readonly dispatch: [number, number, number];
  private readonly layout: OperandLayout;
  private readonly indexer: StridedIndexer | null;

  constructor(outShape: readonly number[], strides: readonly number[], offset: number, dtype: DType) {
    const count = outShape.reduce((p, d) => p * d, 1);
    const merged = collapseDims(outShape, [strides]);
    this.layout = operandLayout(merged.shape, merged.strides[0]);
    this.indexer = this.layout === 'strided' ? new StridedIndexer(merged.shape, [{ name: 'x', strides: merged.strides[0], offset: true }]) : null;
    const type = wgslType(dtype);
    this.inputs = [{ name: 'x', type }];
    this.outputs = [{ name: 'out', type }];
    this.uniforms = [{ name: 'count', type: 'u32' }, { name: 'x_offset', type: 'u32' }, ...(this.indexer?.fields ?? [])];
    this.uniformValues = [count, offset, ...(this.indexer?.values ?? [])];
    // The storage type does not matter to a copy: every dtype is 32 bits.
    this.inputs[0].type = this.outputs[0].type = 'u32';
    this.key = `stridedCopy_${this.layout}_${merged.shape.length}`;
    this.dispatch = flatDispatch(count);
  }

  main(): string {
    const source = this.layout === 'contiguous' ? 'u.x_offset + index' : this.layout === 'scalar' ? 'u.x_offset' : 'xIndex';
    return `fn run(index: u32) {
  ${this.indexer ? this.indexer.code() : ''}
  out[index] = x[${source}];
}`;
  }
}

/** Copies input j of a concatenation, (outer, block), into its columns of the (outer, total) output. */
export class ConcatBlockProgram extends FlatProgram {
  readonly op = 'concat';
  readonly key = 'concatBlock';

  constructor(outer: number, block: number, total: number, column: number) {
    super(outer * block, [{ name: 'x', type: 'u32' }], [{ name: 'out', type: 'u32' }], [['block', block], ['total', total], ['column', column]]);
  }

  main(): string {
    return `fn run(index: u32) {
  let o = index / u.block;
  out[o * u.total + u.column + index % u.block] = x[index];
}`;
  }
}

/** Keeps the lower (upper) triangle of each (rows, cols) matrix relative to `diagonal`; zeroes the rest. */
export class TriangleProgram extends FlatProgram {
  readonly op: string;
  readonly key: string;

  constructor(count: number, rows: number, cols: number, diagonal: number, private readonly upper: boolean) {
    super(count, [{ name: 'x', type: 'u32' }], [{ name: 'out', type: 'u32' }], [['rows', rows], ['cols', cols], ['diagonal', diagonal | 0]]);
    this.uniforms[3].type = 'i32';
    this.op = upper ? 'triu' : 'tril';
    this.key = `triangle_${upper}`;
  }

  main(): string {
    const keep = this.upper ? 'c - r >= u.diagonal' : 'c - r <= u.diagonal';
    // Zero is the same bit pattern for f32, i32 and bool.
    return `fn run(index: u32) {
  let c = i32(index % u.cols);
  let r = i32((index / u.cols) % u.rows);
  out[index] = select(0u, x[index], ${keep});
}`;
  }
}

/** out[o, j, i] = x[o, index[o, j, i], i]; an out-of-range index reads 0 (the core checks ranges on the CPU only). */
export class GatherProgram extends FlatProgram {
  readonly op = 'gather';
  readonly key = 'gather';

  constructor(outer: number, size: number, indexSize: number, inner: number) {
    super(outer * indexSize * inner, [{ name: 'x', type: 'u32' }, { name: 'indices', type: 'i32' }], [{ name: 'out', type: 'u32' }], [['size', size], ['indexSize', indexSize], ['inner', inner]]);
  }

  main(): string {
    return `fn run(index: u32) {
  let i = index % u.inner;
  let o = index / (u.indexSize * u.inner);
  let picked = indices[index];
  if (picked < 0 || u32(picked) >= u.size) { out[index] = 0u; return; }
  out[index] = x[(o * u.size + u32(picked)) * u.inner + i];
}`;
  }
}

/** out[o, j, i] = x[o, index[j], i]. */
export class IndexSelectProgram extends FlatProgram {
  readonly op = 'indexSelect';
  readonly key = 'indexSelect';

  constructor(outer: number, size: number, indexCount: number, inner: number) {
    super(outer * indexCount * inner, [{ name: 'x', type: 'u32' }, { name: 'indices', type: 'i32' }], [{ name: 'out', type: 'u32' }], [['size', size], ['indexCount', indexCount], ['inner', inner]]);
  }

  main(): string {
    return `fn run(index: u32) {
  let i = index % u.inner;
  let j = (index / u.inner) % u.indexCount;
  let o = index / (u.indexCount * u.inner);
  let picked = indices[j];
  if (picked < 0 || u32(picked) >= u.size) { out[index] = 0u; return; }
  out[index] = x[(o * u.size + u32(picked)) * u.inner + i];
}`;
  }
}

/**
 * scatterAdd (`perElement`: index has src's shape, torch.scatter_add) or indexAdd (one index per
 * row j) into zeros of (outer, size, inner): one thread per (o, i) column, deterministic.
 */
export class ScatterAddProgram extends FlatProgram {
  readonly op: string;
  readonly key: string;

  constructor(outer: number, size: number, indexSize: number, inner: number, private readonly perElement: boolean, private readonly dtype: DType) {
    const type = wgslType(dtype);
    super(outer * inner, [{ name: 'indices', type: 'i32' }, { name: 'src', type }], [{ name: 'out', type }], [['size', size], ['indexSize', indexSize], ['inner', inner]]);
    this.op = perElement ? 'scatterAdd' : 'indexAdd';
    this.key = `${this.op}_${dtype}`;
  }

  main(): string {
    const zero = wgslType(this.dtype) === 'f32' ? '0.0' : '0';
    const target = this.perElement ? 'indices[sourceIndex]' : 'indices[j]';
    return `fn run(index: u32) {
  let i = index % u.inner;
  let o = index / u.inner;
  let column = o * u.size * u.inner + i;
  for (var s = 0u; s < u.size; s = s + 1u) { out[column + s * u.inner] = ${zero}; }
  for (var j = 0u; j < u.indexSize; j = j + 1u) {
    let sourceIndex = (o * u.indexSize + j) * u.inner + i;
    let picked = ${target};
    if (picked >= 0 && u32(picked) < u.size) {
      let to = column + u32(picked) * u.inner;
      out[to] = out[to] + src[sourceIndex];
    }
  }
}`;
  }
}
