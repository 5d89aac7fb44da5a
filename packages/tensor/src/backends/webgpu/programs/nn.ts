// Fused neural-network kernels: softmax / log-softmax forward and backward and layer norm forward
// and backward, each one pass over a row held by T threads (rows.ts); the column sums of the
// layer-norm weight and bias gradients; and the in-place Adam/AdamW update.

import type { AdamStep } from '../../../backend.js';
import { flatDispatch, FLAT_WORKGROUP_SIZE, vectorizable, type Program, type StorageBinding, type UniformField } from '../codegen.js';
import { GPU_ROW_POLICY, ROW_WORKGROUP_SIZE, rowGeometry, rowPrologue, rowReduce, type RowGeometry, type RowPolicy } from './rows.js';

/** exp that is exactly 0 at −∞ and NaN at NaN on every driver, and log that is −∞ at 0 and NaN below it. */
export const SAFE_EXP = /* wgsl */ `
fn expSafe(x: f32) -> f32 {
  if (isNan(x)) { return x; }
  if (x < -103.97208) { return 0.0; }
  if (x > 88.72284) { return posInf(); }
  return exp(x);
}
fn logSafe(x: f32) -> f32 {
  if (x == 0.0) { return negInf(); }
  if (x < 0.0) { return nanValue(); }
  if (isInf(x) || isNan(x)) { return x; }
  return log(x);
}`;

/** Shared parts of the row kernels: geometry, `rows`/`cols` uniforms, one workgroup array per reduction. */
abstract class RowProgram implements Program {
  abstract readonly op: string;
  abstract readonly key: string;
  readonly uniforms: UniformField[] = [
    { name: 'rows', type: 'u32' },
    { name: 'cols', type: 'u32' },
  ];
  readonly uniformValues: number[];
  readonly workgroupSize = [ROW_WORKGROUP_SIZE, 1, 1] as const;
  readonly dispatch: [number, number, number];
  protected readonly threadsPerRow: number;
  protected readonly geometry: RowGeometry;
  abstract readonly inputs: StorageBinding[];
  abstract readonly outputs: StorageBinding[];
  readonly enables: string[];

  constructor(rows: number, cols: number, policy: RowPolicy) {
    this.geometry = rowGeometry(rows, cols, policy);
    this.threadsPerRow = this.geometry.threadsPerRow;
    this.dispatch = this.geometry.dispatch;
    this.uniformValues = [rows, cols];
    this.enables = this.geometry.subgroup ? ['subgroups'] : [];
  }

  /** Suffix of the kernel key: the row geometry. */
  protected get geometryKey(): string {
    return `${this.threadsPerRow}${this.geometry.subgroup ? 'sg' : ''}`;
  }

  /** Constants, workgroup arrays and the entry point's opening lines. */
  protected prologue(arrays: string[]): string {
    const { constants, entry } = rowPrologue(this.threadsPerRow);
    return `${SAFE_EXP}\n${constants}\n${arrays.map((a) => `var<workgroup> ${a}: array<f32, ${ROW_WORKGROUP_SIZE}>;`).join('\n')}\n${entry}
  let valid = row < u.rows;
  let base = row * u.cols;`;
  }

  abstract main(): string;
}

/** Softmax or log-softmax of each row: max, Σ exp(x − max), then exp(x − max)/Σ or (x − max) − log Σ. */
export class SoftmaxProgram extends RowProgram {
  readonly op: string;
  readonly key: string;
  readonly inputs: StorageBinding[] = [{ name: 'x', type: 'f32' }];
  readonly outputs: StorageBinding[] = [{ name: 'out', type: 'f32' }];

  constructor(rows: number, cols: number, private readonly log: boolean, policy: RowPolicy = GPU_ROW_POLICY) {
    super(rows, cols, policy);
    this.op = log ? 'logSoftmax' : 'softmax';
    this.key = `${this.op}_${this.geometryKey}`;
  }

  main(): string {
    const write = this.log ? '(x[base + c] - rowMax) - logSum' : 'expSafe(x[base + c] - rowMax) / rowSum';
    return `${this.prologue(['partial'])}
  var m = negInf();
  if (valid) { for (var c = lane; c < u.cols; c = c + THREADS_PER_ROW) { m = max(m, x[base + c]); } }
  partial[local] = m;
  ${rowReduce('partial', (a, b) => `max(${a}, ${b})`, 'maxOfRow', this.geometry, 'subgroupMax')}
  let rowMax = select(maxOfRow, 0.0, maxOfRow == negInf());
  var s = 0.0;
  if (valid) { for (var c = lane; c < u.cols; c = c + THREADS_PER_ROW) { s = s + expSafe(x[base + c] - rowMax); } }
  partial[local] = s;
  ${rowReduce('partial', (a, b) => `${a} + ${b}`, 'rowSum', this.geometry, 'subgroupAdd')}
  let logSum = logSafe(rowSum);
  if (valid) { for (var c = lane; c < u.cols; c = c + THREADS_PER_ROW) { out[base + c] = ${write}; } }
}`;
  }
}

/** Gradient of softmax (y·(dy − Σ dy·y)) or log-softmax (dy − exp(y)·Σ dy) from the forward output y. */
export class SoftmaxBackwardProgram extends RowProgram {
  readonly op: string;
  readonly key: string;
  readonly inputs: StorageBinding[] = [{ name: 'y', type: 'f32' }, { name: 'dy', type: 'f32' }];
  readonly outputs: StorageBinding[] = [{ name: 'dx', type: 'f32' }];

  constructor(rows: number, cols: number, private readonly log: boolean, policy: RowPolicy = GPU_ROW_POLICY) {
    super(rows, cols, policy);
    this.op = log ? 'logSoftmax backward' : 'softmax backward';
    this.key = `${log ? 'logSoftmax' : 'softmax'}Backward_${this.geometryKey}`;
  }

  main(): string {
    const term = this.log ? 'dy[base + c]' : 'dy[base + c] * y[base + c]';
    const write = this.log ? 'dy[base + c] - expSafe(y[base + c]) * dot' : 'y[base + c] * (dy[base + c] - dot)';
    return `${this.prologue(['partial'])}
  var s = 0.0;
  if (valid) { for (var c = lane; c < u.cols; c = c + THREADS_PER_ROW) { s = s + ${term}; } }
  partial[local] = s;
  ${rowReduce('partial', (a, b) => `${a} + ${b}`, 'dot', this.geometry, 'subgroupAdd')}
  if (valid) { for (var c = lane; c < u.cols; c = c + THREADS_PER_ROW) { dx[base + c] = ${write}; } }
}`;
  }
}

/**
 * Fused cross-entropy of each row against an int32 target: row max, Σ exp(x − max) and (with label
 * smoothing, Szegedy et al. 2016) Σ (x − max), then one thread writes the loss and log-sum-exp.
 */
export class CrossEntropyProgram extends RowProgram {
  readonly op = 'crossEntropy';
  readonly key: string;
  readonly inputs: StorageBinding[] = [{ name: 'x', type: 'f32' }, { name: 'labels', type: 'i32' }];
  readonly outputs: StorageBinding[] = [{ name: 'loss', type: 'f32' }, { name: 'lse', type: 'f32' }];

  constructor(rows: number, cols: number, ignoreIndex: number, labelSmoothing: number, policy: RowPolicy = GPU_ROW_POLICY) {
    super(rows, cols, policy);
    this.uniforms.push({ name: 'ignoreIndex', type: 'i32' }, { name: 'smoothing', type: 'f32' });
    this.uniformValues.push(ignoreIndex, labelSmoothing);
    this.key = `crossEntropy_${this.geometryKey}`;
  }

  main(): string {
    return `${this.prologue(['partial'])}
  var m = negInf();
  if (valid) { for (var c = lane; c < u.cols; c = c + THREADS_PER_ROW) { m = max(m, x[base + c]); } }
  partial[local] = m;
  ${rowReduce('partial', (a, b) => `max(${a}, ${b})`, 'maxOfRow', this.geometry, 'subgroupMax')}
  let rowMax = select(maxOfRow, 0.0, maxOfRow == negInf());
  var s = 0.0;
  var shifted = 0.0;
  if (valid) {
    for (var c = lane; c < u.cols; c = c + THREADS_PER_ROW) {
      s = s + expSafe(x[base + c] - rowMax);
      shifted = shifted + (x[base + c] - rowMax);
    }
  }
  partial[local] = s;
  ${rowReduce('partial', (a, b) => `${a} + ${b}`, 'rowSum', this.geometry, 'subgroupAdd')}
  partial[local] = shifted;
  ${rowReduce('partial', (a, b) => `${a} + ${b}`, 'shiftedSum', this.geometry, 'subgroupAdd')}
  if (valid && lane == 0u) {
    let logSum = logSafe(rowSum);
    lse[row] = rowMax + logSum;
    let t = labels[row];
    var value = 0.0;
    if (t != u.ignoreIndex) {
      var picked = 0.0;
      if (t >= 0 && u32(t) < u.cols) { picked = x[base + u32(t)] - rowMax; }
      value = (1.0 - u.smoothing) * (logSum - picked);
      if (u.smoothing > 0.0) { value = value + u.smoothing * (logSum - shiftedSum / f32(u.cols)); }
    }
    loss[row] = value;
  }
}`;
  }
}

/** Gradient of cross-entropy, one thread per logit: dLoss·(exp(x − lse) − (1 − ε)·[c = y] − ε/C), 0 on ignored rows. */
export class CrossEntropyBackwardProgram implements Program {
  readonly op = 'crossEntropy backward';
  readonly key = 'crossEntropyBackward';
  readonly flat = true;
  readonly inputs: StorageBinding[] = [{ name: 'x', type: 'f32' }, { name: 'labels', type: 'i32' }, { name: 'lse', type: 'f32' }, { name: 'dloss', type: 'f32' }];
  readonly outputs: StorageBinding[] = [{ name: 'dx', type: 'f32' }];
  readonly uniforms: UniformField[] = [
    { name: 'count', type: 'u32' },
    { name: 'cols', type: 'u32' },
    { name: 'ignoreIndex', type: 'i32' },
    { name: 'smoothing', type: 'f32' },
  ];
  readonly uniformValues: number[];
  readonly workgroupSize = [FLAT_WORKGROUP_SIZE, 1, 1] as const;
  readonly dispatch: [number, number, number];

  constructor(rows: number, cols: number, ignoreIndex: number, labelSmoothing: number) {
    this.uniformValues = [rows * cols, cols, ignoreIndex, labelSmoothing];
    this.dispatch = flatDispatch(rows * cols);
  }

  main(): string {
    return `${SAFE_EXP}
fn run(index: u32) {
  let row = index / u.cols;
  let c = index - row * u.cols;
  let t = labels[row];
  if (t == u.ignoreIndex) { dx[index] = 0.0; return; }
  var onehot = 0.0;
  if (t >= 0 && u32(t) == c) { onehot = 1.0 - u.smoothing; }
  dx[index] = dloss[row] * (expSafe(x[index] - lse[row]) - onehot - u.smoothing / f32(u.cols));
}`;
  }
}

/** Layer norm of each row (two passes over the row: mean, then the mean squared deviation), also writing mean and 1/std. */
export class LayerNormProgram extends RowProgram {
  readonly op = 'layerNorm';
  readonly key: string;
  readonly inputs: StorageBinding[] = [{ name: 'x', type: 'f32' }];
  readonly outputs: StorageBinding[] = [{ name: 'out', type: 'f32' }, { name: 'meanOut', type: 'f32' }, { name: 'rstdOut', type: 'f32' }];

  constructor(rows: number, cols: number, eps: number, private readonly withWeight: boolean, private readonly withBias: boolean, policy: RowPolicy = GPU_ROW_POLICY) {
    super(rows, cols, policy);
    if (withWeight) this.inputs.push({ name: 'weight', type: 'f32' });
    if (withBias) this.inputs.push({ name: 'bias', type: 'f32' });
    this.uniforms.push({ name: 'eps', type: 'f32' });
    this.uniformValues.push(eps);
    this.key = `layerNorm_${withWeight}_${withBias}_${this.geometryKey}`;
  }

  main(): string {
    let value = '(x[base + c] - mean) * rstd';
    if (this.withWeight) value = `${value} * weight[c]`;
    if (this.withBias) value = `${value} + bias[c]`;
    return `${this.prologue(['partial'])}
  var s = 0.0;
  if (valid) { for (var c = lane; c < u.cols; c = c + THREADS_PER_ROW) { s = s + x[base + c]; } }
  partial[local] = s;
  ${rowReduce('partial', (a, b) => `${a} + ${b}`, 'total', this.geometry, 'subgroupAdd')}
  let mean = total / f32(u.cols);
  var squares = 0.0;
  if (valid) { for (var c = lane; c < u.cols; c = c + THREADS_PER_ROW) { let d = x[base + c] - mean; squares = squares + d * d; } }
  partial[local] = squares;
  ${rowReduce('partial', (a, b) => `${a} + ${b}`, 'squareSum', this.geometry, 'subgroupAdd')}
  let rstd = 1.0 / sqrt(squareSum / f32(u.cols) + u.eps);
  if (valid) {
    for (var c = lane; c < u.cols; c = c + THREADS_PER_ROW) { out[base + c] = ${value}; }
    if (lane == 0u) { meanOut[row] = mean; rstdOut[row] = rstd; }
  }
}`;
  }
}

/** dx of layer norm: rstd·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)) with dxhat = dy·weight. */
export class LayerNormBackwardProgram extends RowProgram {
  readonly op = 'layerNorm backward';
  readonly key: string;
  readonly inputs: StorageBinding[] = [{ name: 'dy', type: 'f32' }, { name: 'x', type: 'f32' }, { name: 'mean', type: 'f32' }, { name: 'rstd', type: 'f32' }];
  readonly outputs: StorageBinding[] = [{ name: 'dx', type: 'f32' }];

  constructor(rows: number, cols: number, private readonly withWeight: boolean, policy: RowPolicy = GPU_ROW_POLICY) {
    super(rows, cols, policy);
    if (withWeight) this.inputs.push({ name: 'weight', type: 'f32' });
    this.key = `layerNormBackward_${withWeight}_${this.geometryKey}`;
  }

  main(): string {
    const dxhat = this.withWeight ? 'dy[base + c] * weight[c]' : 'dy[base + c]';
    return `${this.prologue(['sumA', 'sumB'])}
  let mu = select(0.0, mean[min(row, u.rows - 1u)], valid);
  let rs = select(0.0, rstd[min(row, u.rows - 1u)], valid);
  var a = 0.0;
  var b = 0.0;
  if (valid) {
    for (var c = lane; c < u.cols; c = c + THREADS_PER_ROW) {
      let xhat = (x[base + c] - mu) * rs;
      let g = ${dxhat};
      a = a + g;
      b = b + g * xhat;
    }
  }
  sumA[local] = a;
  sumB[local] = b;
  ${rowReduce('sumA', (p, q) => `${p} + ${q}`, 'totalA', this.geometry, 'subgroupAdd')}
  ${rowReduce('sumB', (p, q) => `${p} + ${q}`, 'totalB', this.geometry, 'subgroupAdd')}
  let meanA = totalA / f32(u.cols);
  let meanB = totalB / f32(u.cols);
  if (valid) {
    for (var c = lane; c < u.cols; c = c + THREADS_PER_ROW) {
      let xhat = (x[base + c] - mu) * rs;
      dx[base + c] = rs * (${dxhat} - meanA - xhat * meanB);
    }
  }
}`;
  }
}

/**
 * Column sums of the layer-norm parameter gradients over a chunk of rows: dweight[p, c] = Σ dy·xhat,
 * dbias[p, c] = Σ dy for rows in chunk p. One chunk gives the gradients; more need a second sum.
 */
export class LayerNormParamGradProgram implements Program {
  readonly op = 'layerNorm backward';
  readonly key = 'layerNormParamGrad';
  readonly inputs: StorageBinding[] = [{ name: 'dy', type: 'f32' }, { name: 'x', type: 'f32' }, { name: 'mean', type: 'f32' }, { name: 'rstd', type: 'f32' }];
  readonly outputs: StorageBinding[] = [{ name: 'dweight', type: 'f32' }, { name: 'dbias', type: 'f32' }];
  readonly uniforms: UniformField[] = [
    { name: 'count', type: 'u32' },
    { name: 'rows', type: 'u32' },
    { name: 'cols', type: 'u32' },
    { name: 'chunk', type: 'u32' },
  ];
  readonly uniformValues: number[];
  readonly workgroupSize = [FLAT_WORKGROUP_SIZE, 1, 1] as const;
  readonly dispatch: [number, number, number];
  readonly flat = true;

  constructor(rows: number, cols: number, chunks: number) {
    const chunk = Math.ceil(rows / chunks);
    this.uniformValues = [chunks * cols, rows, cols, chunk];
    this.dispatch = flatDispatch(chunks * cols);
  }

  main(): string {
    return `fn run(index: u32) {
  let c = index % u.cols;
  let p = index / u.cols;
  let begin = p * u.chunk;
  let end = min(begin + u.chunk, u.rows);
  var dw = 0.0;
  var db = 0.0;
  for (var r = begin; r < end; r = r + 1u) {
    let g = dy[r * u.cols + c];
    dw = dw + g * (x[r * u.cols + c] - mean[r]) * rstd[r];
    db = db + g;
  }
  dweight[index] = dw;
  dbias[index] = db;
}`;
  }
}

/** One Adam/AdamW step in place on param, m and v (torch.optim.Adam / AdamW's single-tensor update). */
export class AdamProgram implements Program {
  readonly op = 'adamStep';
  readonly key: string;
  readonly flat = true;
  readonly inputs: StorageBinding[];
  readonly outputs: StorageBinding[];
  readonly uniforms: UniformField[] = ['count', 'beta1', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'eps', 'l2', 'decay', 'stepSize', 'biasCorrection2Sqrt'].map((name) => ({
    name,
    type: name === 'count' ? ('u32' as const) : ('f32' as const),
  }));
  readonly uniformValues: number[];
  readonly workgroupSize = [FLAT_WORKGROUP_SIZE, 1, 1] as const;
  readonly dispatch: [number, number, number];

  constructor(count: number, h: AdamStep) {
    // Four parameters per thread as vec4 when the count allows (WGSL's arithmetic is per component).
    const vec4 = vectorizable(count);
    this.key = vec4 ? 'adam_vec4' : 'adam';
    this.inputs = [{ name: 'grad', type: 'f32', vec4 }];
    this.outputs = ['param', 'm', 'v'].map((name) => ({ name, type: 'f32' as const, vec4 }));
    // Scalars in float64 on the host, as the CPU reference computes them.
    const biasCorrection1 = 1 - Math.pow(h.beta1, h.step);
    const biasCorrection2 = 1 - Math.pow(h.beta2, h.step);
    this.uniformValues = [
      vec4 ? count / 4 : count,
      h.beta1,
      1 - h.beta1,
      h.beta2,
      1 - h.beta2,
      h.eps,
      h.decoupled ? 0 : h.weightDecay,
      h.decoupled ? 1 - h.lr * h.weightDecay : 1,
      h.lr / biasCorrection1,
      Math.sqrt(biasCorrection2),
    ];
    this.dispatch = flatDispatch(count);
  }

  main(): string {
    return `fn run(index: u32) {
  let p = param[index];
  let g = grad[index] + u.l2 * p;
  let mi = u.beta1 * m[index] + u.oneMinusBeta1 * g;
  let vi = u.beta2 * v[index] + u.oneMinusBeta2 * g * g;
  m[index] = mi;
  v[index] = vi;
  param[index] = p * u.decay - u.stepSize * (mi / (sqrt(vi) / u.biasCorrection2Sqrt + u.eps));
}`;
  }
}

