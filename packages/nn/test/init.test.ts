// Initialisers against torch.nn.init's formulas: orthogonality, bounds, standard deviations, gains.

import { describe, expect, it } from 'vitest';
import { Generator, manualSeed, matmul, tensor, transpose, zeros, type Tensor } from '@attune/tensor';
import { init, Linear } from '../src/index.js';
import { expectClose, moments } from './helpers.js';

function gram(w: Tensor, wide: boolean): number[] {
  // WᵀW for tall/square W, WWᵀ for wide.
  const w2 = w.reshape([w.shape[0], -1]);
  return Array.from((wide ? matmul(w2, transpose(w2, 0, 1)) : matmul(transpose(w2, 0, 1), w2)).dataSync());
}

function scaledIdentity(n: number, scale: number): number[] {
  const out = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) out[i * n + i] = scale;
  return out;
}

describe('orthogonal_ (Saxe et al. 2014)', () => {
  it('gives WᵀW = gain²·I for tall and square W, WWᵀ = gain²·I for wide W', () => {
    for (const [rows, cols, gain] of [[64, 4, Math.SQRT2], [8, 8, 1], [2, 64, 0.01], [1, 5, 1], [5, 1, 3]] as const) {
      const w = init.orthogonal_(zeros([rows, cols]), gain, new Generator(rows * 100 + cols));
      const wide = rows < cols;
      expectClose(gram(w, wide), scaledIdentity(Math.min(rows, cols), gain * gain), 1e-5 * Math.max(1, gain * gain));
    }
  });

  it('flattens trailing dims like PyTorch (a conv kernel)', () => {
    const w = init.orthogonal_(zeros([4, 2, 3]), 1, new Generator(0)); // viewed as (4, 6): wide
    expectClose(gram(w, true), scaledIdentity(4, 1), 1e-5);
  });

  it('is reproducible from a generator and from manualSeed', () => {
    const a = init.orthogonal_(zeros([6, 3]), 1, new Generator(5)).dataSync();
    const b = init.orthogonal_(zeros([6, 3]), 1, new Generator(5)).dataSync();
    const c = init.orthogonal_(zeros([6, 3]), 1, new Generator(6)).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    manualSeed(3);
    const d = init.orthogonal_(zeros([6, 3])).dataSync();
    manualSeed(3);
    expect(Array.from(init.orthogonal_(zeros([6, 3])).dataSync())).toEqual(Array.from(d));
  });

  it('is the Q of the QR of the Gaussian draw with a positive-diagonal R', () => {
    // Hand-checkable: A = [[3], [4]] → Q = [[0.6], [0.8]], R = [[5]]; A = [[−3], [−4]] → Q = −A/5.
    expectClose(init.householderQ(Float64Array.from([3, 4]), 2, 1), [0.6, 0.8], 1e-15);
    expectClose(init.householderQ(Float64Array.from([-3, -4]), 2, 1), [-0.6, -0.8], 1e-15);
    // A 3×2: Q·R must reproduce A with R = QᵀA upper triangular with a positive diagonal.
    const a = [2, -1, 1, 3, -2, 0.5];
    const q = init.householderQ(Float64Array.from(a), 3, 2);
    const r = [0, 0, 0, 0];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 3; k++) r[i * 2 + j] += q[k * 2 + i] * a[k * 2 + j];
    expect(Math.abs(r[2])).toBeLessThan(1e-12); // below the diagonal
    expect(r[0]).toBeGreaterThan(0);
    expect(r[3]).toBeGreaterThan(0);
    const rebuilt = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) rebuilt[i * 2 + j] += q[i * 2 + k] * r[k * 2 + j];
    expectClose(rebuilt, a, 1e-12);
  });

  it('rejects 1-D tensors', () => {
    expect(() => init.orthogonal_(zeros([3]))).toThrow(/2 or more dimensions/);
  });

  it("layerInit is CleanRL's layer_init: orthogonal weight with gain std, constant bias", () => {
    const layer = init.layerInit(new Linear(64, 2), 0.01, 0.5, new Generator(2));
    expectClose(gram(layer.weight, true), scaledIdentity(2, 1e-4), 1e-8);
    expectClose(layer.bias!, [0.5, 0.5], 0);
  });
});

describe('xavier and kaiming', () => {
  const shape = [400, 300]; // fanIn 300, fanOut 400
  it('xavierUniform_ stays within gain·√(6/(fanIn + fanOut)) with std bound/√3', () => {
    const gain = init.calculateGain('tanh');
    const bound = gain * Math.sqrt(6 / 700);
    const values = init.xavierUniform_(zeros(shape), gain, new Generator(1)).dataSync();
    expect(Math.max(...values)).toBeLessThanOrEqual(bound + 1e-7);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-bound - 1e-7);
    expect(moments(values).std).toBeCloseTo(bound / Math.sqrt(3), 3);
  });

  it('xavierNormal_ has std gain·√(2/(fanIn + fanOut))', () => {
    const values = init.xavierNormal_(zeros(shape), 2, new Generator(2)).dataSync();
    const { mean, std } = moments(values);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(std / (2 * Math.sqrt(2 / 700))).toBeCloseTo(1, 2);
  });

  it('kaimingUniform_ has bound gain·√(3/fan) in both fan modes', () => {
    for (const [mode, fan] of [['fan_in', 300], ['fan_out', 400]] as const) {
      const bound = Math.SQRT2 * Math.sqrt(3 / fan);
      const values = init.kaimingUniform_(zeros(shape), { mode, nonlinearity: 'relu', generator: new Generator(3) }).dataSync();
      expect(Math.max(...values)).toBeLessThanOrEqual(bound + 1e-7);
      expect(Math.max(...values)).toBeGreaterThan(0.99 * bound);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(-bound - 1e-7);
    }
  });

  it('kaimingNormal_ has std gain/√fan; the leaky_relu default uses slope a', () => {
    const values = init.kaimingNormal_(zeros(shape), { a: 0.2, generator: new Generator(4) }).dataSync();
    const expected = Math.sqrt(2 / (1 + 0.04)) / Math.sqrt(300);
    expect(moments(values).std / expected).toBeCloseTo(1, 2);
  });

  it("Linear's default equals kaimingUniform_ with a = √5, i.e. bound 1/√in", () => {
    const gain = init.calculateGain('leaky_relu', Math.sqrt(5));
    expect(Math.sqrt(3) * gain / Math.sqrt(300)).toBeCloseTo(1 / Math.sqrt(300), 12);
  });
});

describe('gains, fans and simple fills', () => {
  it("calculateGain follows torch.nn.init.calculate_gain", () => {
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('conv2d')).toBe(1);
    expect(init.calculateGain('sigmoid')).toBe(1);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 15);
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 15);
    expect(init.calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 15);
    expect(init.calculateGain('selu')).toBe(0.75);
    expect(() => init.calculateGain('swish' as 'relu')).toThrow(/unsupported nonlinearity/);
  });

  it('calculateFanInAndFanOut uses the receptive field', () => {
    expect(init.calculateFanInAndFanOut(zeros([64, 4]))).toEqual({ fanIn: 4, fanOut: 64 });
    expect(init.calculateFanInAndFanOut(zeros([8, 3, 5, 5]))).toEqual({ fanIn: 75, fanOut: 200 });
    expect(() => init.calculateFanInAndFanOut(zeros([3]))).toThrow(/fewer than 2 dimensions/);
  });

  it('normal_(0, 0.02) as GPT-2, uniform_, constant_, zeros_, ones_ fill in place', () => {
    const w = zeros([200, 100]);
    const same = init.normal_(w, 0, 0.02, new Generator(9));
    expect(same).toBe(w);
    const { mean, std } = moments(w.dataSync());
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(std).toBeCloseTo(0.02, 3);
    const u = init.uniform_(zeros([1000]), 2, 3, new Generator(1)).dataSync();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...u)).toBeLessThan(3);
    expectClose(init.constant_(zeros([3]), 0.5), [0.5, 0.5, 0.5], 0);
    expectClose(init.ones_(zeros([2])), [1, 1], 0);
    expectClose(init.zeros_(tensor([1, 2])), [0, 0], 0);
    expectClose(init.constant_(zeros([2], { dtype: 'int32' }), 7), [7, 7], 0);
  });

  it('does not record gradients and keeps requiresGrad', () => {
    const p = zeros([3, 3], { requiresGrad: true });
    init.orthogonal_(p);
    expect(p.requiresGrad).toBe(true);
    expect(p.isLeaf).toBe(true);
  });
});
