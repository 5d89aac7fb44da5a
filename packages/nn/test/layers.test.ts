// Layers: shapes, PyTorch's default init ranges, forward values against hand computation, modes.

import { describe, expect, it } from 'vitest';
import { Generator, noGrad, randn, tensor, tidy } from '@attune/tensor';
import { Dropout, Embedding, GELU, Identity, LayerNorm, Linear, LogSoftmax, MLP, ReLU, Sequential, Sigmoid, SiLU, Softmax, Tanh } from '../src/index.js';
import { expectClose, moments } from './helpers.js';

describe('Linear', () => {
  it('has weight (out, in) and bias (out), initialised U(−1/√in, 1/√in) as PyTorch', () => {
    const layer = new Linear(16, 300, { generator: new Generator(0) });
    expect(layer.weight.shape).toEqual([300, 16]);
    expect(layer.bias!.shape).toEqual([300]);
    const bound = 1 / Math.sqrt(16);
    for (const t of [layer.weight, layer.bias!]) {
      const values = t.dataSync();
      expect(Math.max(...values)).toBeLessThanOrEqual(bound);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(-bound);
      expect(Math.max(...values)).toBeGreaterThan(0.9 * bound); // fills the range
    }
    // U(−b, b) has std b/√3.
    expect(moments(layer.weight.dataSync()).std).toBeCloseTo(bound / Math.sqrt(3), 2);
  });

  it('is reproducible from a generator', () => {
    const a = new Linear(4, 3, { generator: new Generator(7) });
    const b = new Linear(4, 3, { generator: new Generator(7) });
    expect(Array.from(a.weight.dataSync())).toEqual(Array.from(b.weight.dataSync()));
    expect(Array.from(a.bias!.dataSync())).toEqual(Array.from(b.bias!.dataSync()));
  });

  it('computes x·Wᵀ + b over the last dim', () => {
    const layer = new Linear(2, 3);
    noGrad(() => {
      layer.weight.assign_(tensor([[1, 2], [3, 4], [5, 6]]));
      layer.bias!.assign_(tensor([0.5, -0.5, 1]));
    });
    const y = layer.forward(tensor([[[1, -1]], [[2, 0.5]]])); // (2, 1, 2)
    expect(y.shape).toEqual([2, 1, 3]);
    expectClose(y, [-0.5, -1.5, 0, 3.5, 7.5, 14]);
    expect(new Linear(2, 3, { bias: false }).bias).toBeNull();
  });

  it('rejects bad sizes, naming the field', () => {
    expect(() => new Linear(-1, 2)).toThrow(/Linear: inFeatures must be a non-negative integer, got number -1/);
    expect(() => new Linear(2, 1.5)).toThrow(/outFeatures/);
  });
});

describe('Embedding', () => {
  it('looks up N(0, 1)-initialised rows', () => {
    const emb = new Embedding(1000, 16, { generator: new Generator(1) });
    const { mean, std } = moments(emb.weight.dataSync());
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(std).toBeCloseTo(1, 1);
    const out = emb.forward(tensor([[2, 0]], { dtype: 'int32' }));
    expect(out.shape).toEqual([1, 2, 16]);
    const w = emb.weight.dataSync();
    expectClose(out, [...w.slice(32, 48), ...w.slice(0, 16)], 0);
  });

  it('accumulates gradients into the looked-up rows', () => {
    const emb = new Embedding(4, 2);
    tidy(() => emb.forward(tensor([[0, 2], [0, 3]], { dtype: 'int32' })).sum().backward());
    expectClose(emb.weight.grad!, [2, 2, 0, 0, 1, 1, 1, 1], 0);
  });
});

describe('LayerNorm', () => {
  it('normalises the trailing dims with a learnable scale and shift', () => {
    const ln = new LayerNorm(4);
    expect(ln.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
    const y = ln.forward(tensor([[1, 2, 3, 4]]));
    // mean 2.5, biased variance 1.25
    const s = Math.sqrt(1.25 + 1e-5);
    expectClose(y, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], 1e-5);
    expect(new LayerNorm([2, 3], { elementwiseAffine: false }).parameters()).toEqual([]);
    expect(new LayerNorm(3, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight']);
  });
});

describe('Dropout', () => {
  it('zeroes about p of the elements and scales the rest by 1/(1−p) while training; identity in eval', () => {
    const drop = new Dropout(0.25, { generator: new Generator(3) });
    const x = tensor(new Float32Array(4000).fill(1));
    const y = drop.forward(x).dataSync();
    const zeros = y.filter((v) => v === 0).length;
    expect(zeros / y.length).toBeGreaterThan(0.22);
    expect(zeros / y.length).toBeLessThan(0.28);
    expect(y.filter((v) => v !== 0).every((v) => Math.abs(v - 4 / 3) < 1e-6)).toBe(true);
    drop.eval();
    expectClose(drop.forward(x), x.dataSync(), 0);
  });

  it('backpropagates through the mask', () => {
    const drop = new Dropout(0.5, { generator: new Generator(0) });
    const x = randn([4, 8], { requiresGrad: true });
    tidy(() => {
      const y = drop.forward(x);
      y.sum().backward();
      const mask = y.div(x).dataSync();
      expectClose(x.grad!, Array.from(mask), 1e-5);
    });
  });
});

describe('activation modules', () => {
  it('match the ops', () => {
    const x = tensor([-2, -0.5, 0, 1.5]);
    const v = [-2, -0.5, 0, 1.5];
    expectClose(new Tanh().forward(x), v.map(Math.tanh), 1e-6);
    expectClose(new ReLU().forward(x), v.map((a) => Math.max(a, 0)));
    expectClose(new Sigmoid().forward(x), v.map((a) => 1 / (1 + Math.exp(-a))), 1e-6);
    expectClose(new SiLU().forward(x), v.map((a) => a / (1 + Math.exp(-a))), 1e-6);
    const tanhGelu = (a: number): number => 0.5 * a * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (a + 0.044715 * a ** 3)));
    expectClose(new GELU({ approximate: 'tanh' }).forward(x), v.map(tanhGelu), 1e-6);
    expectClose(new GELU().forward(x), [-0.04550026, -0.15426877, 0, 1.39978155], 1e-5);
    const z = Math.exp(-2) + Math.exp(-0.5) + 1 + Math.exp(1.5);
    expectClose(new Softmax(-1).forward(x), v.map((a) => Math.exp(a) / z), 1e-6);
    expectClose(new LogSoftmax(0).forward(x), v.map((a) => a - Math.log(z)), 1e-5);
    expect(new Identity().forward(x)).toBe(x);
    expect(() => new GELU({ approximate: 'erf' as 'none' })).toThrow(/approximate/);
  });
});

describe('MLP', () => {
  it("is a Sequential with PyTorch's names: Linear at even indices, activations between", () => {
    const mlp = new MLP({ inFeatures: 4, hiddenSizes: [64, 64], outFeatures: 2, activation: 'tanh' });
    expect(mlp.namedParameters().map(([n, p]) => `${n} [${p.shape.join(', ')}]`)).toEqual([
      '0.weight [64, 4]', '0.bias [64]', '2.weight [64, 64]', '2.bias [64]', '4.weight [2, 64]', '4.bias [2]',
    ]);
    expect(mlp.length).toBe(5);
    expect(mlp.at(1)).toBeInstanceOf(Tanh);
    expect(mlp.linears.length).toBe(3);
    expect(mlp.numParameters()).toBe(4 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2);
    expect(mlp.forward(randn([7, 4])).shape).toEqual([7, 2]);
  });

  it('supports every activation, an output activation, no bias and factories', () => {
    for (const activation of ['tanh', 'relu', 'gelu', 'geluTanh', 'silu', 'sigmoid', 'identity'] as const) {
      expect(new MLP({ inFeatures: 2, hiddenSizes: [3], outFeatures: 1, activation }).forward(randn([1, 2])).shape).toEqual([1, 1]);
    }
    const probs = new MLP({ inFeatures: 2, hiddenSizes: [], outFeatures: 3, outputActivation: () => new Softmax(-1), bias: false });
    expect(probs.namedParameters().map(([n]) => n)).toEqual(['0.weight']);
    const p = probs.forward(randn([4, 2])).sum(-1);
    expectClose(p, [1, 1, 1, 1], 1e-6);
  });

  it('is reproducible from a generator', () => {
    const make = (): MLP => new MLP({ inFeatures: 3, hiddenSizes: [5], outFeatures: 2, generator: new Generator(11) });
    expect(Array.from(make().linears[1].weight.dataSync())).toEqual(Array.from(make().linears[1].weight.dataSync()));
  });

  it('validates its config, naming the field', () => {
    expect(() => new MLP({ inFeatures: 4, hiddenSizes: [64, -1], outFeatures: 2 })).toThrow(/MLP: hiddenSizes\[1\] must be a non-negative integer/);
    expect(() => new MLP({ inFeatures: 4, hiddenSizes: [8], outFeatures: 2, activation: 'swish' as 'silu' })).toThrow(/MLP: activation must be one of/);
  });

  it('frees intermediates of a no-grad forward', () => {
    const mlp = new Sequential(new Linear(4, 8), new Tanh(), new Linear(8, 2));
    const x = randn([1, 4]);
    const y = noGrad(() => mlp.forward(x));
    expect(x.isDisposed).toBe(false);
    expect(y.shape).toEqual([1, 2]);
  });
});
