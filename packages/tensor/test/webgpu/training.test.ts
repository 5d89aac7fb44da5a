// Training parity: the same MLP and the same 2-layer transformer, initialised from the same seeded
// values, trained with Adam on the CPU and on WebGPU, reach the same losses step by step within a
// stated tolerance (float32 rounding differs between the backends' kernels and grows slowly with
// training). Plus the memory and readback properties a training loop relies on.

import { describe, expect, it } from 'vitest';
import { Generator, cpuBackend, crossEntropy, memory, randint, randn, tensor, tidy, type Backend, type Tensor } from '../../src/index.js';
import { Adam, Gpt, Mlp, ppoLoss } from './models.js';
import { webgpuBackend, withWebGPU } from './setup.js';

/**
 * Relative difference tolerated between the CPU and WebGPU loss curves. On lavapipe the curves agree
 * to 1.2e-7 (one float32 ulp) over every step; the margin covers GPUs with faster, less exact
 * transcendentals.
 */
const LOSS_RTOL = 1e-4;

/** Trains the MLP on a fixed spiral-like classification batch and returns the loss of every step. */
async function trainMlp(backend: Backend, steps: number): Promise<number[]> {
  const generator = new Generator(7);
  const x = randn([64, 2], { generator, backend });
  const y = randint(0, 3, [64], { generator, backend });
  const net = new Mlp([2, 32, 32, 3], 1, backend);
  const adam = new Adam(net.params, 1e-2);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = tidy(() => {
      const l = crossEntropy(net.forward(x), y);
      l.backward();
      return l;
    });
    adam.update();
    losses.push(await loss.item());
    loss.dispose();
  }
  adam.dispose();
  for (const t of [x, y, ...net.params]) t.dispose();
  return losses;
}

/** Trains a 2-layer GPT block stack on a fixed token batch and returns the loss of every step. */
async function trainGpt(backend: Backend, steps: number): Promise<number[]> {
  const config = { vocab: 13, blockSize: 8, layers: 2, heads: 2, width: 16 };
  const generator = new Generator(3);
  const tokens = randint(0, config.vocab, [2, 8], { generator, backend });
  const targets = randint(0, config.vocab, [2, 8], { generator, backend });
  const model = new Gpt(config, 5, backend);
  const adam = new Adam(model.params, 3e-3);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = tidy(() => {
      const l = model.loss(tokens, targets);
      l.backward();
      return l;
    });
    adam.update();
    losses.push(await loss.item());
    loss.dispose();
  }
  adam.dispose();
  for (const t of [tokens, targets, ...model.params]) t.dispose();
  return losses;
}

function expectSameCurve(cpu: number[], gpu: number[]): void {
  expect(gpu.length).toBe(cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    const tolerance = LOSS_RTOL * Math.abs(cpu[i]) + 1e-5;
    if (!(Math.abs(gpu[i] - cpu[i]) <= tolerance)) throw new Error(`step ${i}: WebGPU loss ${gpu[i]} vs CPU ${cpu[i]} (tolerance ${tolerance})`);
  }
  expect(cpu[cpu.length - 1]).toBeLessThan(cpu[0]); // it learned
}

withWebGPU(() => {
  describe('training parity: WebGPU against the CPU backend', () => {
    it('an MLP (2 → 32 → 32 → 3, tanh, cross-entropy, Adam) for 40 steps', async () => {
      const gpu = await webgpuBackend();
      const [cpuLosses, gpuLosses] = [await trainMlp(cpuBackend(), 40), await trainMlp(gpu, 40)];
      expectSameCurve(cpuLosses, gpuLosses);
    });

    it('a 2-layer transformer (layerNorm, attention, GELU, tied head) for 20 steps', async () => {
      const gpu = await webgpuBackend();
      const [cpuLosses, gpuLosses] = [await trainGpt(cpuBackend(), 20), await trainGpt(gpu, 20)];
      expectSameCurve(cpuLosses, gpuLosses);
    });
  });

  describe('a training loop on WebGPU', () => {
    it('1,000 steps keep live tensors, pool buffers and bytes flat, and create no buffers after warm-up', async () => {
      const gpu = await webgpuBackend();
      const generator = new Generator(11);
      const x = randn([32, 8], { generator, backend: gpu });
      const y = randn([32, 2], { generator, backend: gpu });
      const net = new Mlp([8, 16, 2], 2, gpu);
      const adam = new Adam(net.params, 1e-3);
      const step = () => {
        tidy(() => net.forward(x).sub(y).square().mean().backward());
        adam.update();
      };
      for (let i = 0; i < 5; i++) step();
      await gpu.sync();
      const tensorsBefore = memory();
      const poolBefore = gpu.poolStats();
      for (let i = 0; i < 1000; i++) {
        step();
        if (i % 200 === 199) await gpu.sync(); // let the GPU keep up
      }
      await gpu.sync();
      const tensorsAfter = memory();
      const poolAfter = gpu.poolStats();
      expect(tensorsAfter.numTensors).toBe(tensorsBefore.numTensors);
      expect(tensorsAfter.numBytes).toBe(tensorsBefore.numBytes);
      expect(poolAfter.liveBuffers).toBe(poolBefore.liveBuffers);
      expect(poolAfter.liveBytes).toBe(poolBefore.liveBytes);
      expect(poolAfter.pooledBytes).toBe(poolBefore.pooledBytes);
      expect(poolAfter.created).toBe(poolBefore.created);
      adam.dispose();
      for (const t of [x, y, ...net.params]) t.dispose();
    });

    it('a PPO-sized update (MLP 4 → 64 → 64 → 2+1, minibatch 128, forward + backward + Adam) reads nothing back', async () => {
      const gpu = await webgpuBackend();
      const generator = new Generator(4);
      const n = 128;
      const observations = randn([n, 4], { generator, backend: gpu });
      const actions = randint(0, 2, [n], { generator, backend: gpu });
      const oldLogProbs = tensor(new Float32Array(n).fill(Math.log(0.5)), { backend: gpu });
      const advantages = randn([n], { generator, backend: gpu });
      const returns = randn([n], { generator, backend: gpu });
      const net = new Mlp([4, 64, 64, 3], 9, gpu);
      const adam = new Adam(net.params, 3e-4);
      const update = (): Tensor => {
        const loss = tidy(() => {
          const l = ppoLoss(net, observations, actions, oldLogProbs, advantages, returns, 2);
          l.backward();
          return l;
        });
        adam.update();
        return loss;
      };
      update().dispose(); // compile the kernels
      const before = gpu.readbacks;
      const losses = [update(), update(), update()];
      expect(gpu.readbacks - before).toBe(0);
      const values = await Promise.all(losses.map((l) => l.item()));
      expect(gpu.readbacks - before).toBe(3);
      expect(values.every(Number.isFinite)).toBe(true);
      adam.dispose();
      for (const t of [observations, actions, oldLogProbs, advantages, returns, ...net.params, ...losses]) t.dispose();
    });
  });
});
