// Optimizers against PyTorch's update formulas, computed independently in float64 here.

import { describe, expect, it } from 'vitest';
import { keep, memory, mseLoss, randn, tensor, tidy, zeros, type Tensor } from '@attune/tensor';
import { Adam, AdamW, Linear, MLP, SGD } from '../src/index.js';
import { expectClose } from './helpers.js';

const P0 = [1, -2, 0.5];
const TARGET = [0, 1, 2];

/** A parameter initialised to P0 and the loss ½Σ(p − target)², whose gradient is p − target. */
function quadratic(): { p: Tensor; lossOf: () => Tensor } {
  const p = tensor(P0, { requiresGrad: true });
  const target = tensor(TARGET);
  return { p, lossOf: () => p.sub(target).square().sum().mul(0.5) };
}

function optimize(optimizer: { zeroGrad(): void; step(): void }, lossOf: () => Tensor, p: Tensor, steps: number): number[][] {
  const trajectory: number[][] = [];
  for (let s = 0; s < steps; s++) {
    tidy(() => {
      optimizer.zeroGrad();
      lossOf().backward();
      optimizer.step();
    });
    trajectory.push(Array.from(p.dataSync()));
  }
  return trajectory;
}

/** torch.optim.Adam / AdamW's single-tensor update in float64, with the gradient p − target. */
function adamReference(options: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; decoupled: boolean; steps: number }): number[][] {
  const { lr, beta1, beta2, eps, weightDecay, decoupled, steps } = options;
  const p = P0.slice();
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    for (let i = 0; i < p.length; i++) {
      let g = p[i] - TARGET[i];
      if (weightDecay !== 0 && !decoupled) g += weightDecay * p[i];
      if (weightDecay !== 0 && decoupled) p[i] *= 1 - lr * weightDecay;
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      const denominator = Math.sqrt(v[i]) / Math.sqrt(1 - beta2 ** t) + eps;
      p[i] -= (lr / (1 - beta1 ** t)) * (m[i] / denominator);
    }
    out.push(p.slice());
  }
  return out;
}

describe('Adam', () => {
  it("matches PyTorch's formula for the first 3 steps (hand-computed values)", () => {
    const { p, lossOf } = quadratic();
    const trajectory = optimize(new Adam([p], { lr: 0.1 }), lossOf, p, 3);
    // Step 1: m̂ = g, v̂ = g², so θ₁ = θ₀ − 0.1·g/(|g| + 1e-8) = θ₀ − 0.1·sign(g) (up to ε).
    const expected = [
      [0.900000001, -1.9000000003333333, 0.5999999993333334],
      [0.8004122297123382, -1.8001027077505518, 0.6997609370316097],
      [0.701586274504415, -1.7003815239578244, 0.7990971284546328],
    ];
    const reference = adamReference({ lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, steps: 3 });
    for (let s = 0; s < 3; s++) {
      expectClose(reference[s], expected[s], 1e-12);
      expectClose(trajectory[s], expected[s], 2e-6);
    }
  });

  it('adds L2 weight decay to the gradient (coupled)', () => {
    const { p, lossOf } = quadratic();
    const trajectory = optimize(new Adam([p], { lr: 0.1, weightDecay: 0.1 }), lossOf, p, 3);
    const expected = [
      [0.9000000009090909, -1.9000000003125, 0.5999999993103449],
      [0.8004122295267845, -1.8001064435523881, 0.6997169833289848],
      [0.7015862742210723, -1.7003955906286825, 0.7989257991399168],
    ];
    const reference = adamReference({ lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decoupled: false, steps: 3 });
    for (let s = 0; s < 3; s++) {
      expectClose(reference[s], expected[s], 1e-12);
      expectClose(trajectory[s], expected[s], 2e-6);
    }
  });

  it('honours betas and eps (CleanRL PPO: eps 1e-5)', () => {
    const { p, lossOf } = quadratic();
    const trajectory = optimize(new Adam([p], { lr: 0.05, betas: [0.5, 0.9], eps: 1e-5 }), lossOf, p, 5);
    const reference = adamReference({ lr: 0.05, beta1: 0.5, beta2: 0.9, eps: 1e-5, weightDecay: 0, decoupled: false, steps: 5 });
    for (let s = 0; s < 5; s++) expectClose(trajectory[s], reference[s], 2e-6);
  });

  it('AMSGrad divides by the running maximum of v', () => {
    // Explicit gradients whose magnitude drops, so max(v) differs from v.
    const grads = [
      [1, -1, 0.5],
      [0.01, 10, 0],
      [0.01, 0.01, -0.01],
    ];
    const expectedAmsgrad = [
      [0.400000001, 0.599999999, 0.40000000199999997],
      [0.33228355101282037, 0.5326192784471422, 0.333027689772761],
      [0.2793259045394782, 0.4804962708024978, 0.2825614171676072],
    ];
    const expectedAdam = [
      [0.400000001, 0.599999999, 0.40000000199999997],
      [0.332253058026447, 0.5326192784471422, 0.33299417848203117],
      [0.27924770912731073, 0.48047021557874925, 0.2824875096416821],
    ];
    for (const [amsgrad, expected] of [[true, expectedAmsgrad], [false, expectedAdam]] as const) {
      const p = tensor([0.5, 0.5, 0.5], { requiresGrad: true });
      const optimizer = new Adam([p], { lr: 0.1, amsgrad });
      for (let s = 0; s < 3; s++) {
        optimizer.zeroGrad();
        p.grad = tensor(grads[s]);
        optimizer.step();
        expectClose(p, expected[s], 2e-6);
      }
    }
  });

  it('maximize ascends', () => {
    const { p, lossOf } = quadratic();
    const trajectory = optimize(new Adam([p], { lr: 0.1, maximize: true }), lossOf, p, 3);
    expectClose(trajectory[2], [1.3004900523217835, -2.300261332467704, 0.1995803154519603], 2e-6);
  });

  it('skips parameters without a gradient and counts steps per parameter', () => {
    const a = tensor([1], { requiresGrad: true });
    const b = tensor([1], { requiresGrad: true });
    const optimizer = new Adam([a, b], { lr: 0.1 });
    a.sum().backward();
    optimizer.step();
    expect(a.dataSync()[0]).toBeCloseTo(0.9, 6);
    expect(b.dataSync()[0]).toBe(1);
    const state = optimizer.stateDict().state;
    expect(Object.keys(state)).toEqual(['0']);
    expect(state['0'].step).toBe(1);
  });

  it('validates hyper-parameters, naming the group and field', () => {
    const p = zeros([2], { requiresGrad: true });
    expect(() => new Adam([p], { lr: -1 })).toThrow(/paramGroups\[0\]\.lr/);
    expect(() => new Adam([p], { betas: [0.9, 1] })).toThrow(/betas\[1\] must be in \[0, 1\)/);
    expect(() => new Adam([{ params: [p] }, { params: [p] }])).toThrow(/more than once/);
    expect(() => new Adam([])).toThrow(/non-empty/);
    expect(() => new AdamW([p], { eps: -1 })).toThrow(/AdamW: paramGroups\[0\]\.eps/);
    // An undefined field keeps the default (as an omitted one).
    expect(new AdamW([{ params: [p], lr: undefined }], { weightDecay: undefined }).paramGroups[0]).toMatchObject({ lr: 1e-3, weightDecay: 1e-2 });
  });
});

describe('AdamW', () => {
  it("decouples weight decay, as Loshchilov & Hutter 2019 and PyTorch (first 3 steps)", () => {
    const { p, lossOf } = quadratic();
    const trajectory = optimize(new AdamW([p], { lr: 0.1, weightDecay: 0.1 }), lossOf, p, 3);
    const expected = [
      [0.890000001, -1.8800000003333333, 0.5949999993333334],
      [0.7815718569541611, -1.7613271886465631, 0.6888261751474264],
      [0.6751012231892008, -1.6440586057000908, 0.7813220150838993],
    ];
    const reference = adamReference({ lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decoupled: true, steps: 3 });
    for (let s = 0; s < 3; s++) {
      expectClose(reference[s], expected[s], 1e-12);
      expectClose(trajectory[s], expected[s], 2e-6);
    }
  });

  it('defaults to weight decay 1e-2', () => {
    const { p, lossOf } = quadratic();
    const optimizer = new AdamW([p], { lr: 0.1 });
    expect(optimizer.paramGroups[0].weightDecay).toBe(0.01);
    const trajectory = optimize(optimizer, lossOf, p, 3);
    expectClose(trajectory[2], [0.6989111847156934, -1.6946961380458634, 0.7973053835331408], 2e-6);
  });
});

/** torch.optim.SGD in float64 with the gradient p − target. */
function sgdReference(options: { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean; maximize: boolean; steps: number }): number[][] {
  const { lr, momentum, dampening, weightDecay, nesterov, maximize, steps } = options;
  const p = P0.slice();
  const buffer: (number | null)[] = [null, null, null];
  const out: number[][] = [];
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < p.length; i++) {
      let g = p[i] - TARGET[i];
      if (maximize) g = -g;
      if (weightDecay !== 0) g += weightDecay * p[i];
      if (momentum !== 0) {
        const previous = buffer[i];
        const b = previous === null ? g : momentum * previous + (1 - dampening) * g;
        buffer[i] = b;
        g = nesterov ? g + momentum * b : b;
      }
      p[i] -= lr * g;
    }
    out.push(p.slice());
  }
  return out;
}

describe('SGD', () => {
  const cases = [
    { name: 'plain', lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
    { name: 'momentum', lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
    { name: 'momentum + dampening + weight decay', lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.1, nesterov: false, maximize: false },
    { name: 'nesterov + weight decay', lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0.01, nesterov: true, maximize: false },
    { name: 'maximize', lr: 0.1, momentum: 0.5, dampening: 0, weightDecay: 0, nesterov: false, maximize: true },
  ];
  for (const { name, ...hyper } of cases) {
    it(`${name} matches torch.optim.SGD's formula`, () => {
      const { p, lossOf } = quadratic();
      const trajectory = optimize(new SGD([p], hyper), lossOf, p, 4);
      const reference = sgdReference({ ...hyper, steps: 4 });
      for (let s = 0; s < 4; s++) expectClose(trajectory[s], reference[s], 1e-6);
    });
  }

  it('step 1 by hand: θ − lr·(g + λθ), momentum buffer = g', () => {
    const { p, lossOf } = quadratic();
    const optimizer = new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.5 });
    optimize(optimizer, lossOf, p, 1);
    // g = (θ − t) + 0.5θ = [1.5, −4, −1.25]; θ₁ = θ₀ − 0.1·g
    expectClose(p, [0.85, -1.6, 0.625], 1e-6);
    expectClose(optimizer.stateDict().state['0'].momentumBuffer as Tensor, [1.5, -4, -1.25], 1e-6);
  });

  it('rejects Nesterov without momentum, naming the field', () => {
    expect(() => new SGD([zeros([1], { requiresGrad: true })], { nesterov: true })).toThrow(/paramGroups\[0\]\.nesterov requires momentum > 0/);
  });
});

describe('parameter groups and lr', () => {
  it('gives each group its own hyper-parameters', () => {
    const a = tensor([1], { requiresGrad: true });
    const b = tensor([1], { requiresGrad: true });
    const optimizer = new SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
    a.add(b).sum().backward();
    optimizer.step();
    expectClose(a, [0.9]);
    expectClose(b, [0.5]);
    expect(optimizer.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.5]);
    optimizer.lr = 0.01;
    expect(optimizer.paramGroups.map((g) => g.lr)).toEqual([0.01, 0.01]);
  });

  it('zeroGrad sets grads to null by default, or to zeros', () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const optimizer = new SGD([p], { lr: 0.1 });
    p.sum().backward();
    optimizer.zeroGrad({ setToNone: false });
    expectClose(p.grad!, [0, 0]);
    optimizer.zeroGrad();
    expect(p.grad).toBeNull();
  });
});

describe('optimizer state dicts', () => {
  function setup(): { model: MLP; optimizer: Adam; x: Tensor; y: Tensor } {
    const model = new MLP({ inFeatures: 3, hiddenSizes: [8], outFeatures: 1 });
    const optimizer = new Adam(model.parameters(), { lr: 0.01 });
    return { model, optimizer, x: randn([16, 3]), y: randn([16, 1]) };
  }
  function train(model: MLP, optimizer: Adam, x: Tensor, y: Tensor, steps: number): void {
    for (let i = 0; i < steps; i++) {
      tidy(() => {
        optimizer.zeroGrad();
        mseLoss(model.forward(x), y).backward();
        optimizer.step();
      });
    }
  }

  it('round-trips (tensors and JSON), so training resumes exactly', async () => {
    const { model, optimizer, x, y } = setup();
    train(model, optimizer, x, y, 3);
    const savedModel = Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, keep(v.clone())]));
    const json = JSON.parse(JSON.stringify(await optimizer.stateDictJson()));
    expect(json.state['0'].step).toBe(3);
    expect(json.paramGroups[0]).toMatchObject({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, params: [0, 1, 2, 3] });
    train(model, optimizer, x, y, 2);
    const continued = model.parameters().map((p) => Array.from(p.dataSync()));

    for (const fromJson of [true, false]) {
      const fresh = setup();
      fresh.model.loadStateDict(savedModel);
      // The tensor form: take a state dict from an optimizer restored from JSON.
      const other = new Adam(fresh.model.parameters(), { lr: 0.5 });
      other.loadStateDict(json);
      expect(other.paramGroups[0].lr).toBe(0.01);
      if (fromJson) fresh.optimizer.loadStateDict(json);
      else fresh.optimizer.loadStateDict(other.stateDict());
      train(fresh.model, fresh.optimizer, x, y, 2);
      fresh.model.parameters().forEach((p, i) => expectClose(p, continued[i], 1e-6));
    }
  });

  it('rejects a state dict whose groups do not match', () => {
    const { optimizer } = setup();
    const other = new Adam([zeros([2], { requiresGrad: true })]);
    expect(() => optimizer.loadStateDict(other.stateDict())).toThrow(/paramGroups\[0\] has 1 parameters in the state dict, 4 in the optimizer/);
    const bad = { state: { '0': { step: 1, expAvg: [1, 2, 3] } }, paramGroups: optimizer.stateDict().paramGroups };
    expect(() => optimizer.loadStateDict(bad)).toThrow(/state '0'\.expAvg has 3 elements, its parameter \(shape \[8, 3\]\) has 24/);
  });
});

describe('memory', () => {
  it('a training step inside tidy leaves memory().numTensors unchanged over 100 steps (Adam, AdamW, SGD, AMSGrad)', () => {
    const x = randn([32, 4]);
    const y = randn([32, 2]);
    for (const make of [
      (ps: Tensor[]) => new Adam(ps, { lr: 1e-3 }),
      (ps: Tensor[]) => new AdamW(ps),
      (ps: Tensor[]) => new SGD(ps, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }),
      (ps: Tensor[]) => new Adam(ps, { amsgrad: true, maximize: true }),
    ]) {
      const model = new MLP({ inFeatures: 4, hiddenSizes: [16, 16], outFeatures: 2 });
      const optimizer = make(model.parameters());
      const stepOnce = (): void => {
        tidy(() => {
          optimizer.zeroGrad();
          mseLoss(model.forward(x), y).backward();
          optimizer.step();
        });
      };
      stepOnce(); // creates the optimizer state and the grads
      const before = memory();
      for (let i = 0; i < 100; i++) stepOnce();
      const after = memory();
      expect(after.numTensors).toBe(before.numTensors);
      expect(after.numBytes).toBe(before.numBytes);
      optimizer.dispose();
      model.dispose();
    }
  });

  it('dispose() frees the moments', () => {
    const layer = new Linear(4, 4);
    const optimizer = new Adam(layer.parameters());
    const before = memory().numTensors;
    tidy(() => {
      layer.forward(randn([2, 4])).sum().backward();
      optimizer.step();
    });
    expect(memory().numTensors).toBe(before + 2 + 4); // two grads, two moments per parameter
    optimizer.dispose();
    layer.zeroGrad();
    expect(memory().numTensors).toBe(before);
  });
});
