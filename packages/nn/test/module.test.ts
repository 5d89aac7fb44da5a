// Module: registration, PyTorch-style names, modes, state dicts, disposal.

import { describe, expect, it } from 'vitest';
import { CpuBackend, memory, noGrad, ones, randn, tensor, tidy, tril, zeros, type Tensor } from '@attune/tensor';
import { Dropout, LayerNorm, Linear, MLP, Module, Sequential, Tanh } from '../src/index.js';
import { expectClose } from './helpers.js';

class Block extends Module {
  readonly fc1 = this.registerModule('fc1', new Linear(4, 8));
  readonly norm = this.registerModule('norm', new LayerNorm(8));
  readonly drop = this.registerModule('drop', new Dropout(0.5));
  readonly fc2 = this.registerModule('fc2', new Linear(8, 2, { bias: false }));
  readonly mask = this.registerBuffer('mask', tril(ones([3, 3])));
  readonly scratch = this.registerBuffer('scratch', zeros([2]), { persistent: false });

  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.drop.forward(this.norm.forward(this.fc1.forward(x)).relu()));
  }
}

class Tied extends Module {
  readonly a = this.registerModule('a', new Linear(3, 3));
  readonly b = this.registerModule('b', new Linear(3, 3, { bias: false }));
  constructor() {
    super();
    this.b.registerParameter('weight', this.a.weight);
  }
}

describe('Module naming and traversal', () => {
  it("names parameters with PyTorch's dotted names, in registration order", () => {
    const block = new Block();
    expect(block.namedParameters().map(([n]) => n)).toEqual(['fc1.weight', 'fc1.bias', 'norm.weight', 'norm.bias', 'fc2.weight']);
    expect(block.namedBuffers().map(([n]) => n)).toEqual(['mask', 'scratch']);
    expect(block.namedModules().map(([n]) => n)).toEqual(['', 'fc1', 'norm', 'drop', 'fc2']);
    expect(block.children()).toEqual([block.fc1, block.norm, block.drop, block.fc2]);
    expect(block.namedChildren().map(([n]) => n)).toEqual(['fc1', 'norm', 'drop', 'fc2']);
    expect(block.parameters(false)).toEqual([]);
    expect(block.numParameters()).toBe(4 * 8 + 8 + 8 + 8 + 8 * 2);
    expect(block.namedParameters('model').map(([n]) => n)[0]).toBe('model.fc1.weight');
  });

  it('Sequential names children 0, 1, … like torch.nn.Sequential', () => {
    const seq = new Sequential(new Linear(2, 3), new Tanh(), new Linear(3, 1));
    expect(seq.namedParameters().map(([n, p]) => `${n} [${p.shape.join(', ')}]`)).toEqual(['0.weight [3, 2]', '0.bias [3]', '2.weight [1, 3]', '2.bias [1]']);
    expect(seq.length).toBe(3);
    expect(seq.at(-1)).toBe(seq.at(2));
    expect(() => seq.at(3)).toThrow(/out of range/);
  });

  it('lists a shared (tied) parameter once but saves it under every name', () => {
    const tied = new Tied();
    expect(tied.namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias']);
    expect(Object.keys(tied.stateDict())).toEqual(['a.weight', 'a.bias', 'b.weight']);
    expect(tied.stateDict()['b.weight']).toBe(tied.a.weight);
  });

  it('rejects bad names and double registration under another kind', () => {
    const block = new Block();
    expect(() => block.registerParameter('fc1', zeros([1]))).toThrow(/'fc1' is already registered as a module of Block/);
    expect(() => block.registerModule('a.b', new Tanh())).toThrow(/must not contain '\.'/);
    expect(() => block.registerParameter('', zeros([1]))).toThrow(/non-empty/);
    expect(() => block.registerParameter('i', zeros([1], { dtype: 'int32' }))).toThrow(/float32/);
    const computed = tensor([1], { requiresGrad: true }).mul(2);
    expect(() => block.registerParameter('c', computed)).toThrow(/leaf/);
  });

  it('keeps registered tensors alive past tidy', () => {
    let layer!: Linear;
    tidy(() => {
      layer = new Linear(3, 2);
    });
    expect(layer.weight.isDisposed).toBe(false);
    expect(layer.weight.requiresGrad).toBe(true);
  });

  it('apply visits children first, then the module', () => {
    const seq = new Sequential(new Linear(2, 2), new Sequential(new Tanh()));
    const order: string[] = [];
    seq.apply((m) => order.push(m.constructor.name));
    expect(order).toEqual(['Linear', 'Tanh', 'Sequential', 'Sequential']);
  });

  it('train() and eval() set the mode recursively; Dropout honours it', () => {
    const block = new Block();
    expect(block.drop.training).toBe(true);
    block.eval();
    expect(block.training).toBe(false);
    expect(block.drop.training).toBe(false);
    const x = randn([5, 4]);
    const a = noGrad(() => block.forward(x)).dataSync();
    const b = noGrad(() => block.forward(x)).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    block.train();
    expect(block.fc1.training).toBe(true);
  });

  it('forward is typed per module and the base throws', () => {
    class Empty extends Module {}
    expect(() => new Empty().forward(zeros([1]))).toThrow(/Empty does not implement forward/);
  });

  it('zeroGrad clears every parameter gradient', () => {
    const block = new Block();
    block.forward(randn([2, 4])).sum().backward();
    expect(block.parameters().every((p) => p.grad !== null)).toBe(true);
    block.zeroGrad({ setToNone: false });
    expect(block.fc1.weight.grad!.dataSync().every((v) => v === 0)).toBe(true);
    block.zeroGrad();
    expect(block.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('prints a tree like PyTorch', () => {
    expect(String(new MLP({ inFeatures: 4, hiddenSizes: [8], outFeatures: 2 }))).toBe(
      'MLP(\n  (0): Linear(inFeatures=4, outFeatures=8, bias=true)\n  (1): Tanh()\n  (2): Linear(inFeatures=8, outFeatures=2, bias=true)\n)',
    );
  });
});

describe('state dicts', () => {
  it('holds parameters and persistent buffers by name', () => {
    const block = new Block();
    expect(Object.keys(block.stateDict())).toEqual(['mask', 'fc1.weight', 'fc1.bias', 'norm.weight', 'norm.bias', 'fc2.weight']);
  });

  it('round-trips into another instance, copying the values', () => {
    const source = new Block();
    const target = new Block();
    const result = target.loadStateDict(source.stateDict());
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    for (const [name, t] of Object.entries(target.stateDict())) {
      expectClose(t, Array.from(source.stateDict()[name].dataSync()), 0);
      expect(t).not.toBe(source.stateDict()[name]);
    }
    // A copy: changing the target never writes into the source.
    const before = Array.from(source.fc1.weight.dataSync());
    noGrad(() => target.fc1.weight.assign_(zeros([8, 4])));
    expectClose(source.fc1.weight, before, 0);
  });

  it('accepts a Map', () => {
    const a = new Linear(2, 2);
    const b = new Linear(2, 2);
    b.loadStateDict(new Map(Object.entries(a.stateDict())));
    expectClose(b.weight, Array.from(a.weight.dataSync()), 0);
  });

  it('names missing and unexpected keys (strict), or reports them (non-strict)', () => {
    const layer = new Linear(2, 2);
    const weight = randn([2, 2]);
    const extra = randn([1]);
    expect(() => layer.loadStateDict({ weight, extra })).toThrow(/Unexpected key\(s\) in state dict: "extra"\.[\s\S]*Missing key\(s\) in state dict: "bias"\./);
    const result = layer.loadStateDict({ weight, extra }, { strict: false });
    expect(result).toEqual({ missingKeys: ['bias'], unexpectedKeys: ['extra'] });
    expectClose(layer.weight, Array.from(weight.dataSync()), 0);
  });

  it('names the key on a shape or dtype mismatch, even when not strict, and writes nothing', () => {
    const layer = new Linear(3, 2);
    const before = Array.from(layer.weight.dataSync());
    expect(() => layer.loadStateDict({ weight: zeros([3, 2]), bias: zeros([2]) })).toThrow(
      /size mismatch for "weight": copying a tensor of shape \[3, 2\] from the state dict, the shape in the current model is \[2, 3\]/,
    );
    expect(() => layer.loadStateDict({ weight: zeros([2, 3]), bias: zeros([2], { dtype: 'int32' }) }, { strict: false })).toThrow(
      /dtype mismatch for "bias": the state dict holds int32, the current model expects float32/,
    );
    expectClose(layer.weight, before, 0);
  });
});

describe('dispose', () => {
  it('frees every parameter, buffer and gradient', () => {
    const before = memory().numTensors;
    const block = new Block();
    block.forward(randn([2, 4])).sum().backward();
    block.dispose();
    // Only the input, the output and the loss of the forward above may remain (not in a tidy).
    expect(block.parameters().every((p) => p.isDisposed)).toBe(true);
    expect(block.buffers().every((b) => b.isDisposed)).toBe(true);
    expect(memory().numTensors - before).toBeLessThan(30);
    const clean = memory().numTensors;
    const other = new MLP({ inFeatures: 4, hiddenSizes: [8, 8], outFeatures: 2 });
    tidy(() => other.forward(randn([3, 4])).sum().backward());
    other.dispose();
    expect(memory().numTensors).toBe(clean);
  });
});

describe('loadStateDict across backends', () => {
  it('uploads a state dict read on the CPU into a model on another backend; refuses an asynchronous source by name', async () => {
    const other = new CpuBackend(); // stands in for WebGPU: a different backend object
    const source = new Linear(3, 2);
    const target = new Linear(3, 2, { backend: other });
    target.loadStateDict(source.stateDict());
    expect(target.weight.backend).toBe(other);
    expect(Array.from(await target.weight.data())).toEqual(Array.from(await source.weight.data()));
    const asyncSource = new CpuBackend();
    (asyncSource as unknown as { readSync?: unknown }).readSync = undefined;
    const onAsync = new Linear(3, 2, { backend: asyncSource });
    expect(() => source.loadStateDict(onAsync.stateDict())).toThrow(/backend mismatch for "weight".*reads only asynchronously.*await t\.to\(backend\)/);
  });
});
