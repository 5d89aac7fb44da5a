// Learning tests: small networks trained with these optimizers must actually learn, every trainable
// parameter must move (TRL's check), and a training step must leak no tensors.

import { describe, expect, it } from 'vitest';
import { binaryCrossEntropyWithLogits, crossEntropy, Generator, linspace, manualSeed, memory, mseLoss, noGrad, sin, tensor, tidy, type Tensor } from '@attune/tensor';
import { Adam, AdamW, clipGradNorm, cosineSchedule, Embedding, LayerNorm, Linear, LRScheduler, MLP, Module, SGD } from '../src/index.js';

describe('learning', () => {
  it('an MLP learns XOR with Adam', () => {
    manualSeed(0);
    const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
    const y = tensor([[0], [1], [1], [0]]);
    const model = new MLP({ inFeatures: 2, hiddenSizes: [8], outFeatures: 1, activation: 'tanh', generator: new Generator(0) });
    const optimizer = new Adam(model.parameters(), { lr: 0.05 });
    let loss = Infinity;
    for (let step = 0; step < 300; step++) {
      loss = tidy(() => {
        optimizer.zeroGrad();
        const l = binaryCrossEntropyWithLogits(model.forward(x), y);
        l.backward();
        optimizer.step();
        return l.itemSync();
      });
    }
    expect(loss).toBeLessThan(0.05);
    const predictions = noGrad(() => model.forward(x).dataSync());
    expect(Array.from(predictions).map((logit) => (logit > 0 ? 1 : 0))).toEqual([0, 1, 1, 0]);
  });

  it('a regression (y = sin 2x) reaches near-zero loss', () => {
    const x = linspace(-2, 2, 64).reshape([64, 1]);
    const y = sin(x.mul(2));
    const model = new MLP({ inFeatures: 1, hiddenSizes: [32, 32], outFeatures: 1, activation: 'tanh', generator: new Generator(1) });
    const optimizer = new AdamW(model.parameters(), { lr: 0.01, weightDecay: 0 });
    const scheduler = new LRScheduler(optimizer, cosineSchedule({ warmupSteps: 20, decaySteps: 800, minFactor: 0.1 }));
    let loss = Infinity;
    for (let step = 0; step < 800; step++) {
      loss = tidy(() => {
        optimizer.zeroGrad();
        const l = mseLoss(model.forward(x), y);
        l.backward();
        clipGradNorm(model.parameters(), 1);
        optimizer.step();
        scheduler.step();
        return l.itemSync();
      });
    }
    expect(loss).toBeLessThan(1e-3);
  });

  it('SGD with momentum learns a linear map exactly', () => {
    const g = new Generator(2);
    const x = tensor(Array.from({ length: 32 }, () => [g.normal(), g.normal(), g.normal()]));
    const trueWeight = tensor([[1.5, -2, 0.5]]);
    const y = x.matmul(trueWeight.transpose(0, 1)).add(0.25);
    const model = new Linear(3, 1, { generator: g });
    const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    for (let step = 0; step < 300; step++) {
      tidy(() => {
        optimizer.zeroGrad();
        mseLoss(model.forward(x), y).backward();
        optimizer.step();
      });
    }
    expect(Array.from(model.weight.dataSync()).map((v) => Number(v.toFixed(3)))).toEqual([1.5, -2, 0.5]);
    expect(model.bias!.itemSync()).toBeCloseTo(0.25, 3);
  });

  it('after a few steps every trainable parameter has changed (and frozen ones have not)', () => {
    class Classifier extends Module<[Tensor], Tensor> {
      readonly wte = this.registerModule('wte', new Embedding(10, 8, { generator: new Generator(3) }));
      readonly ln = this.registerModule('ln', new LayerNorm(8));
      readonly head = this.registerModule('head', new MLP({ inFeatures: 8, hiddenSizes: [16], outFeatures: 10, activation: 'gelu', generator: new Generator(4) }));
      override forward(tokens: Tensor): Tensor {
        return this.head.forward(this.ln.forward(this.wte.forward(tokens)));
      }
    }
    const model = new Classifier();
    model.head.linears[0].bias!.requiresGrad = false; // frozen
    const tokens = tensor([1, 2, 3, 4, 5], { dtype: 'int32' });
    const targets = tensor([2, 3, 4, 5, 6], { dtype: 'int32' });
    const before = new Map(model.namedParameters().map(([name, p]) => [name, Array.from(p.dataSync())]));
    const optimizer = new AdamW(model.parameters().filter((p) => p.requiresGrad), { lr: 1e-2 });
    for (let step = 0; step < 3; step++) {
      tidy(() => {
        optimizer.zeroGrad();
        crossEntropy(model.forward(tokens), targets).backward();
        optimizer.step();
      });
    }
    for (const [name, p] of model.namedParameters()) {
      const changed = Array.from(p.dataSync()).some((v, i) => v !== before.get(name)![i]);
      expect(changed, `${name} ${p.requiresGrad ? 'should have changed' : 'is frozen'}`).toBe(p.requiresGrad);
    }
  });

  it('a PPO-sized update inside tidy leaves memory().numTensors unchanged', () => {
    const policy = new MLP({ inFeatures: 4, hiddenSizes: [64, 64], outFeatures: 2, activation: 'tanh' });
    const value = new MLP({ inFeatures: 4, hiddenSizes: [64, 64], outFeatures: 1, activation: 'tanh' });
    const optimizer = new Adam([...policy.parameters(), ...value.parameters()], { lr: 2.5e-4, eps: 1e-5 });
    const g = new Generator(5);
    const obs = tensor(Array.from({ length: 128 }, () => [g.normal(), g.normal(), g.normal(), g.normal()]));
    const actions = tensor(Array.from({ length: 128 }, () => g.randint(0, 2)), { dtype: 'int32' });
    const advantages = tensor(Array.from({ length: 128 }, () => g.normal()));
    const returns = tensor(Array.from({ length: 128 }, () => g.normal()));
    const update = (): number =>
      tidy(() => {
        const logProbs = policy.forward(obs).logSoftmax(-1);
        const taken = logProbs.gather(-1, actions.unsqueeze(-1)).squeeze(-1);
        const policyLoss = taken.mul(advantages).mean().neg();
        const valueLoss = value.forward(obs).squeeze(-1).sub(returns).square().mean().mul(0.5);
        const loss = policyLoss.add(valueLoss);
        optimizer.zeroGrad();
        loss.backward();
        clipGradNorm(optimizer.parameters(), 0.5);
        optimizer.step();
        return loss.itemSync();
      });
    update();
    const before = memory();
    for (let i = 0; i < 100; i++) update();
    expect(memory().numTensors).toBe(before.numTensors);
    expect(memory().numBytes).toBe(before.numBytes);
  });
});
