// The PPO trainer on the WebGPU backend: the same models give the CPU's step, and a step reads data
// back only a fixed number of times (one per generated token, two for the rollout, two for the
// update's summed statistics) whatever the epochs, minibatches and accumulation. Skipped with the
// reason when no adapter is present; fails instead when REQUIRE_WEBGPU=1.

import { afterAll, describe, expect, it } from 'vitest';
import { cpuBackend, createWebGPUBackend, Generator, probeWebGPU, type Backend, type WebGPUBackend } from '@attune/tensor';
import { GPT, gptConfig } from '@attune/transformer';
import { RewardModel } from '@attune/reward-model';
import { PPOTrainer, type PPOLMConfig, type PPORollout, type PPOStepStats } from '../src/index.js';

const probe = await probeWebGPU();
const required = process.env.REQUIRE_WEBGPU === '1';
let gpu: WebGPUBackend | null = null;
afterAll(() => gpu?.dispose());

const config = gptConfig('test', { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 24, vocabSize: 16 });
const fractionOfThrees = (rollout: PPORollout): Float32Array => Float32Array.from(rollout.responses, (r) => r.filter((t) => t === 3).length / r.length);
const prompts = Array.from({ length: 16 }, (_, i) => (i % 3 === 0 ? [1 + (i % 5), 2 + (i % 7)] : [1 + (i % 5)]));
const quick: Partial<PPOLMConfig> = { eosTokenId: 0, maxNewTokens: 8, lr: 3e-3, miniBatchSize: 8, adaptiveKl: false, initKlCoef: 0.01 };

/** Policy, reference and value model with the same weights on `backend` (built on the CPU, copied over). */
async function models(backend: Backend): Promise<{ policy: GPT; reference: GPT; valueModel: RewardModel }> {
  const cpu = cpuBackend();
  const policy = new GPT(config, { generator: new Generator(1), backend: cpu });
  const valueModel = RewardModel.fromGPT(policy, { generator: new Generator(2), backend: cpu });
  if (backend === cpu) return { policy, reference: new GPT(config, { generator: new Generator(1), backend: cpu }), valueModel };
  // loadStateDict uploads a CPU state dict into a model on another backend.
  const move = <M extends GPT | RewardModel>(from: M, to: M): M => {
    to.loadStateDict(from.stateDict());
    return to;
  };
  return {
    policy: move(policy, new GPT(config, { backend })),
    reference: move(policy, new GPT(config, { backend })),
    valueModel: move(valueModel, new RewardModel(config, { backend })),
  };
}

if (!probe.available) {
  if (required) it('finds a WebGPU adapter (REQUIRE_WEBGPU=1)', () => expect.fail(`WebGPU unavailable: ${probe.error.message}`));
  else it.skip(`WebGPU tests skipped: ${probe.error.message}`, () => {});
} else {
  describe('PPOTrainer on WebGPU', () => {
    it('steps as on the CPU', async () => {
      gpu ??= await createWebGPUBackend();
      const run = async (backend: Backend): Promise<PPOStepStats[]> => {
        const trainer = new PPOTrainer({ ...(await models(backend)), score: fractionOfThrees, config: quick });
        const history: PPOStepStats[] = [];
        for (let i = 0; i < 2; i++) history.push(await trainer.step(prompts));
        return history;
      };
      const onCpu = await run(cpuBackend());
      const onGpu = await run(gpu);
      // The first rollout samples from the same logits (up to float rounding), so the same tokens.
      expect(onGpu[0].score).toBe(onCpu[0].score);
      expect(onGpu[0].responseLength).toBe(onCpu[0].responseLength);
      for (const key of ['kl', 'policyLoss', 'valueLoss', 'entropy', 'approxKl', 'valueError', 'policyGradNorm', 'valueGradNorm'] as const) {
        expect(Math.abs(onGpu[0][key] - onCpu[0][key]), key).toBeLessThan(1e-3 * Math.max(1, Math.abs(onCpu[0][key])));
      }
      for (const s of onGpu) expect(Number.isFinite(s.policyLoss) && Number.isFinite(s.valueLoss)).toBe(true);
    });

    it('reads back a fixed number of times per step, none per minibatch', async () => {
      gpu ??= await createWebGPUBackend();
      const count = async (overrides: Partial<PPOLMConfig>): Promise<number> => {
        const trainer = new PPOTrainer({ ...(await models(gpu!)), score: fractionOfThrees, config: { ...quick, eosTokenId: null, ...overrides } });
        const before = gpu!.readbacks;
        await trainer.step(prompts);
        return gpu!.readbacks - before;
      };
      const single = await count({ ppoEpochs: 1, miniBatchSize: 16 });
      expect(single).toBe(quick.maxNewTokens! + 4);
      expect(await count({ ppoEpochs: 4, miniBatchSize: 4, gradientAccumulationSteps: 2 })).toBe(single);
    });
  });
}
