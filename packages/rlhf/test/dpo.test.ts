import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Generator, memory, tensor } from '@attune/tensor';
import { GPT, gptConfig } from '@attune/transformer';
import { dpoLoss, preferenceBatch, referenceLogProbs, resolveDPOConfig, trainDPO, type DPOStepMetrics, type PreferencePair } from '../src/index.js';

const config = gptConfig('test', { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16, vocabSize: 16 });
const makeModel = (seed = 0) => new GPT(config, { generator: new Generator(seed) });
const softplus = (x: number) => Math.log1p(Math.exp(x));

/** Prompts of 1–4 tokens from 1…4; every pair prefers token 5 to token 6, then EOS (0). */
function toyPairs(count: number, seed: number): PreferencePair[] {
  const generator = new Generator(seed);
  return Array.from({ length: count }, () => {
    const prompt = Array.from({ length: generator.randint(1, 5) }, () => generator.randint(1, 5));
    return { prompt, chosen: [5, 0], rejected: [6, 0] };
  });
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('dpoLoss', () => {
  const pc = [-1, -3];
  const pr = [-2, -1];
  const rc = [-1.5, -2];
  const rr = [-1.5, -2];
  const h = [1, -2]; // (pc − pr) − (rc − rr)

  it('equals −log σ(β·h) averaged, with the implicit rewards, accuracy and margin (Rafailov et al. eq. 7)', async () => {
    const out = dpoLoss(tensor(pc), tensor(pr), tensor(rc), tensor(rr), { beta: 0.1 });
    const want = (softplus(-0.1 * h[0]) + softplus(-0.1 * h[1])) / 2;
    expect(await out.loss.item()).toBeCloseTo(want, 6);
    expect(Array.from(await out.losses.data())).toEqual(h.map((x) => expect.closeTo(softplus(-0.1 * x), 6)));
    expect(Array.from(await out.chosenRewards.data())).toEqual([expect.closeTo(0.05, 6), expect.closeTo(-0.1, 6)]);
    expect(Array.from(await out.rejectedRewards.data())).toEqual([expect.closeTo(-0.05, 6), expect.closeTo(0.1, 6)]);
    expect(await out.rewardAccuracy.item()).toBe(0.5);
    expect(await out.rewardMargin.item()).toBeCloseTo(-0.05, 6);
  });

  it('gives cDPO with label smoothing', async () => {
    const out = dpoLoss(tensor(pc), tensor(pr), tensor(rc), tensor(rr), { beta: 0.5, labelSmoothing: 0.2 });
    const want = h.map((x) => 0.8 * softplus(-0.5 * x) + 0.2 * softplus(0.5 * x)).reduce((s, x) => s + x, 0) / 2;
    expect(await out.loss.item()).toBeCloseTo(want, 6);
  });

  it('pushes the chosen log-prob up and the rejected one down', async () => {
    const chosen = tensor(pc, { requiresGrad: true });
    const rejected = tensor(pr, { requiresGrad: true });
    dpoLoss(chosen, rejected, tensor(rc), tensor(rr), { beta: 0.1 }).loss.backward();
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    const gradChosen = Array.from(await chosen.grad!.data());
    const gradRejected = Array.from(await rejected.grad!.data());
    h.forEach((x, i) => {
      expect(gradChosen[i]).toBeCloseTo((-0.1 * sigmoid(-0.1 * x)) / 2, 6); // ∂L/∂log π(y_w) = −β σ(−βh)/B < 0
      expect(gradRejected[i]).toBeCloseTo((0.1 * sigmoid(-0.1 * x)) / 2, 6);
    });
  });

  it('checks shapes and options', () => {
    expect(() => dpoLoss(tensor(pc), tensor([1]), tensor(rc), tensor(rr))).toThrow(/policyRejectedLogps must be \(B\) = \(2\).*got \[1\]/);
    expect(() => dpoLoss(tensor(pc), tensor(pr), tensor(rc), tensor(rr), { beta: 0 })).toThrow(/beta must be a positive number, got 0/);
    expect(() => dpoLoss(tensor(pc), tensor(pr), tensor(rc), tensor(rr), { labelSmoothing: 0.5 })).toThrow(/labelSmoothing must be in \[0, 0\.5\), got 0\.5/);
  });
});

describe('preference batches', () => {
  it('left-pads prompts, right-pads responses, chosen rows first, truncating prompts from the left', async () => {
    const pairs = [
      { prompt: [1, 2, 3], chosen: [5, 0], rejected: [6, 6, 6, 0] },
      { prompt: [4], chosen: [7], rejected: [8, 0] },
    ];
    const batch = preferenceBatch(pairs, { maxPromptLength: 2, maxResponseLength: 3, padTokenId: 9 });
    expect(batch.promptLength).toBe(2);
    expect(batch.sequences.shape).toEqual([4, 5]);
    expect(Array.from(await batch.sequences.data())).toEqual([2, 3, 5, 0, 9, 9, 4, 7, 9, 9, 2, 3, 6, 6, 6, 9, 4, 8, 0, 9]);
    expect(Array.from(await batch.attentionMask.data())).toEqual([1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0]);
    expect(Array.from(await batch.responseMask.data())).toEqual([1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0]);
  });

  it('scores each pair the same whatever it is batched with', async () => {
    const model = makeModel(3);
    const pairs = toyPairs(5, 1).map((pair, i) => ({ ...pair, chosen: i % 2 ? [5, 7, 0] : [5] }));
    const options = { maxPromptLength: 8, maxResponseLength: 8, padTokenId: 0 };
    const alone = await referenceLogProbs(model, pairs, { ...options, batchSize: 1 });
    const together = await referenceLogProbs(model, pairs, { ...options, batchSize: 5 });
    for (let i = 0; i < pairs.length; i++) {
      expect(together.chosen[i]).toBeCloseTo(alone.chosen[i], 4);
      expect(together.rejected[i]).toBeCloseTo(alone.rejected[i], 4);
      expect(alone.chosen[i]).toBeLessThan(0);
    }
  });
});

describe('trainDPO', () => {
  it('raises the policy chosen-vs-rejected log-ratio on a toy preference (token 5 over token 6)', async () => {
    const policy = makeModel(7);
    const reference = makeModel(7);
    const pairs = toyPairs(32, 2);
    const options = { maxPromptLength: 8, maxResponseLength: 8, padTokenId: 0 };
    const margin = async (model: GPT) => {
      const logps = await referenceLogProbs(model, pairs, options);
      return logps.chosen.reduce((s, x, i) => s + x - logps.rejected[i], 0) / pairs.length;
    };
    const before = await margin(policy);
    const referenceBefore = await margin(reference);
    const steps: DPOStepMetrics[] = [];
    const result = await trainDPO(policy, reference, { train: pairs, validation: toyPairs(8, 3) }, { learningRate: 1e-2, warmupSteps: 0, batchSize: 8, gradientAccumulationSteps: 1, maxSteps: 12, maxPromptLength: 8, maxResponseLength: 8 }, { onStep: (m) => void steps.push(m) });
    expect(steps[0].loss).toBeCloseTo(Math.log(2), 4); // policy = reference at the start: σ(0) = ½
    expect(steps[0].rewardMargin).toBeCloseTo(0, 5);
    expect(await margin(policy)).toBeGreaterThan(before + 1);
    expect(await margin(reference)).toBe(referenceBefore); // the reference stays frozen
    expect(result.metrics!.loss).toBeLessThan(0.5);
    expect(result.metrics!.rewardAccuracy).toBe(1);
    expect(result.metrics!.chosenReward).toBeGreaterThan(result.metrics!.rejectedReward);
    expect(result.validation!.rewardAccuracy).toBe(1);
    expect(result.referenceLogProbs.chosen).toHaveLength(32);
  });

  it('resumes to the same weights and losses, reusing the saved reference log-probs', async () => {
    const pairs = toyPairs(12, 4);
    const dpo = { learningRate: 5e-3, warmupSteps: 2, minLrFactor: 0.1, batchSize: 4, gradientAccumulationSteps: 1, numEpochs: 2, maxPromptLength: 8, maxResponseLength: 8 };
    const full: number[] = [];
    const reference = makeModel(8);
    const policy = makeModel(8);
    await trainDPO(policy, reference, pairs, dpo, { onStep: (m) => void full.push(m.loss) });
    expect(full).toHaveLength(6);

    const dir = await mkdtemp(join(tmpdir(), 'attune-dpo-'));
    dirs.push(dir);
    const resumed: number[] = [];
    await trainDPO(makeModel(8), makeModel(8), pairs, dpo, { onStep: (m) => void resumed.push(m.loss), checkpointDir: dir, stopAfterSteps: 4 });
    const model = makeModel(99);
    const wrongReference = { chosen: new Float32Array(12).fill(-50), rejected: new Float32Array(12) }; // ignored: the checkpoint's values win
    const result = await trainDPO(model, wrongReference, pairs, dpo, { onStep: (m) => void resumed.push(m.loss), checkpointDir: dir, resume: true });
    expect(result.step).toBe(6);
    expect(resumed).toEqual(full);
    const want = policy.stateDict();
    for (const [name, t] of Object.entries(model.stateDict())) expect(Array.from(await t.data()), name).toEqual(Array.from(await want[name].data()));
  });

  it('trains the same from precomputed reference log-probs as from the reference model, leaking no tensor', async () => {
    const pairs = toyPairs(8, 5);
    const dpo = { learningRate: 1e-2, warmupSteps: 0, batchSize: 4, gradientAccumulationSteps: 2, maxSteps: 2, maxPromptLength: 8, maxResponseLength: 8 };
    const a = makeModel(9);
    const reference = makeModel(9);
    const before = memory().numTensors;
    const fromModel = await trainDPO(a, reference, pairs, dpo);
    expect(memory().numTensors).toBe(before);
    const b = makeModel(9);
    const fromCache = await trainDPO(b, fromModel.referenceLogProbs, pairs, dpo);
    expect(fromCache.metrics).toEqual(fromModel.metrics);
    const want = a.stateDict();
    for (const [name, t] of Object.entries(b.stateDict())) expect(Array.from(await t.data()), name).toEqual(Array.from(await want[name].data()));
  });

  it('runs the policy without dropout by default, so it starts exactly at the reference (loss log 2)', async () => {
    const dropoutConfig = gptConfig('test', { ...config, dropout: 0.5 });
    const pairs = toyPairs(8, 6);
    const firstLoss = async (disableDropout: boolean) => {
      const losses: number[] = [];
      const policy = new GPT(dropoutConfig, { generator: new Generator(11) });
      const reference = new GPT(dropoutConfig, { generator: new Generator(11) });
      await trainDPO(policy, reference, pairs, { batchSize: 8, gradientAccumulationSteps: 1, maxSteps: 1, disableDropout, maxPromptLength: 8, maxResponseLength: 8 }, { onStep: (m) => void losses.push(m.loss) });
      expect(policy.training).toBe(true); // the mode is restored
      return losses[0];
    };
    expect(await firstLoss(true)).toBeCloseTo(Math.log(2), 5);
    expect(Math.abs((await firstLoss(false)) - Math.log(2))).toBeGreaterThan(1e-3);
  });

  it('validates the config and the pairs, naming the field', async () => {
    expect(() => resolveDPOConfig({ beta: 0 })).toThrow(/DPOConfig\.beta must be a number in \(0, Infinity\], got 0/);
    expect(() => resolveDPOConfig({ gradientAccumulationSteps: 1.5 })).toThrow(/DPOConfig\.gradientAccumulationSteps must be an integer ≥ 1, got 1\.5/);
    const model = makeModel();
    await expect(trainDPO(model, model, toyPairs(4, 1), { maxPromptLength: 10, maxResponseLength: 10 })).rejects.toThrow(/maxPromptLength \+ maxResponseLength must be at most the model's blockSize 16, got 10 \+ 10/);
    await expect(trainDPO(model, model, [{ prompt: [1], chosen: [], rejected: [2] }])).rejects.toThrow(/train\[0\]\.chosen must hold at least one token id/);
    await expect(trainDPO(model, model, toyPairs(2, 1), { batchSize: 4 })).rejects.toThrow(/2 training pairs are fewer than DPOConfig\.batchSize = 4/);
  });
});
