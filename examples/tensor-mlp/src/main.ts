// A small MLP trained with Adam on the CPU, twice: XOR (the classic problem a linear model cannot
// solve) and a three-arm spiral (CS231n's toy dataset). Seeded, prints the loss as it goes and the
// final accuracy; runs in seconds. `npm start` at the repository root runs it.

import { crossEntropy, Generator, manualSeed, memory, noGrad, tensor, tidy, type Tensor } from '@attune/tensor';
import { Adam, clipGradNorm, cosineSchedule, LRScheduler, MLP } from '@attune/nn';

/** Everything the run depends on, in one place. */
const args = {
  /** Seed of every random draw (data, initial weights). */
  seed: 1,
  /** XOR: hidden width of the two-layer network. */
  xorHidden: 8,
  /** XOR: full-batch Adam steps. */
  xorSteps: 300,
  /** XOR: Adam learning rate. */
  xorLr: 0.05,
  /** Spiral: points per class. */
  pointsPerClass: 100,
  /** Spiral: number of classes (arms). */
  classes: 3,
  /** Spiral: hidden layer widths. */
  spiralHidden: [64, 64],
  /** Spiral: full-batch Adam steps. */
  spiralSteps: 600,
  /** Spiral: peak learning rate, reached after the warmup. */
  spiralLr: 0.02,
  /** Spiral: linear warmup steps before the cosine decay (nanoGPT's schedule). */
  warmupSteps: 30,
  /** Clip the gradient's global 2-norm to this (CleanRL's max_grad_norm style). */
  maxGradNorm: 1.0,
  /** Print the loss every this many steps. */
  logEvery: 100,
};

/** Trains `model` full-batch on (x, labels) with cross-entropy; returns the final loss. */
function train(name: string, model: MLP, x: Tensor, labels: Tensor, steps: number, lr: number, warmupSteps: number): number {
  const optimizer = new Adam(model.parameters(), { lr });
  const scheduler = new LRScheduler(optimizer, cosineSchedule({ warmupSteps, decaySteps: steps, minFactor: 0.1 }));
  let loss = NaN;
  for (let step = 1; step <= steps; step++) {
    const stepLr = optimizer.lr; // set by the scheduler for this step
    // tidy frees every intermediate of the step; parameters and Adam's moments are kept.
    loss = tidy(() => {
      const logits = model.forward(x); // (N, classes)
      const l = crossEntropy(logits, labels);
      optimizer.zeroGrad();
      l.backward();
      clipGradNorm(model.parameters(), args.maxGradNorm);
      optimizer.step();
      return l.itemSync();
    });
    scheduler.step();
    if (step === 1 || step % args.logEvery === 0 || step === steps) {
      console.log(`  ${name} step ${String(step).padStart(4)}  loss ${loss.toFixed(4)}  lr ${stepLr.toExponential(2)}`);
    }
  }
  optimizer.dispose();
  return loss;
}

/** Fraction of rows whose argmax logit is the label. */
function accuracy(model: MLP, x: Tensor, labels: Tensor): number {
  return tidy(() =>
    noGrad(() => {
      const predicted = model.forward(x).argmax(-1);
      return predicted.eq(labels).float().mean().itemSync();
    }),
  );
}

/** CS231n's spiral: `classes` arms of `perClass` points, radius 0→1, angle with Gaussian noise. */
function spiral(perClass: number, classes: number, generator: Generator): { x: Tensor; labels: Tensor } {
  const points: number[][] = [];
  const labels: number[] = [];
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++) {
      const radius = i / (perClass - 1);
      const angle = (c * 4 + (4 * i) / (perClass - 1)) + 0.2 * generator.normal();
      points.push([radius * Math.sin(angle), radius * Math.cos(angle)]);
      labels.push(c);
    }
  }
  return { x: tensor(points), labels: tensor(labels, { dtype: 'int32' }) };
}

const started = performance.now();
manualSeed(args.seed);
const generator = new Generator(args.seed);

// 1. XOR: four points, two classes; needs the hidden layer.
console.log('XOR (2 → 8 → 2, tanh, Adam)');
const xorX = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
const xorLabels = tensor([0, 1, 1, 0], { dtype: 'int32' });
const xorModel = new MLP({ inFeatures: 2, hiddenSizes: [args.xorHidden], outFeatures: 2, activation: 'tanh', generator });
train('xor', xorModel, xorX, xorLabels, args.xorSteps, args.xorLr, 0);
console.log(`  xor accuracy ${(100 * accuracy(xorModel, xorX, xorLabels)).toFixed(0)}%\n`);

// 2. Spiral: 300 points on three interleaved arms; a linear model gets about a third right.
console.log(`Spiral (${args.classes} arms × ${args.pointsPerClass} points; 2 → ${args.spiralHidden.join(' → ')} → ${args.classes}, relu, Adam + warmup/cosine)`);
const { x, labels } = spiral(args.pointsPerClass, args.classes, generator);
const model = new MLP({ inFeatures: 2, hiddenSizes: args.spiralHidden, outFeatures: args.classes, activation: 'relu', generator });
console.log(`  ${model.numParameters()} parameters: ${model.namedParameters().map(([n, p]) => `${n} [${p.shape.join(', ')}]`).join(', ')}`);
train('spiral', model, x, labels, args.spiralSteps, args.spiralLr, args.warmupSteps);
console.log(`  spiral accuracy ${(100 * accuracy(model, x, labels)).toFixed(1)}%\n`);

// 3. Everything still alive is what we hold on purpose: inputs, labels and the two models.
for (const t of [xorX, xorLabels, x, labels]) t.dispose();
xorModel.dispose();
model.dispose();
console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s; live tensors at exit: ${memory().numTensors}`);
