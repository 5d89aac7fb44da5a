import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Generator, memory, tensor } from '@attune/tensor';
import { GPT, gptConfig } from '@attune/transformer';
import { resolveSFTConfig, sftLoss, sftSequences, trainSFT, type SFTExample, type SFTStepMetrics } from '../src/index.js';

const config = gptConfig('test', { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16, vocabSize: 24 });
const makeModel = (seed = 0) => new GPT(config, { generator: new Generator(seed) });

/** Three examples whose tokens (17 in all) pack into exactly one row of 16 inputs + 1 target. */
const oneRow: SFTExample[] = [
  { prompt: [1, 2, 3], completion: [4, 5, 0] },
  { prompt: [6, 7, 8, 9], completion: [10, 11, 0] },
  { prompt: [12], completion: [13, 14, 0] },
];

/** A toy task: the completion repeats the prompt's tokens in reverse, then EOS (0). */
function reverseTask(count: number, seed: number): SFTExample[] {
  const generator = new Generator(seed);
  return Array.from({ length: count }, () => {
    const prompt = Array.from({ length: 3 }, () => generator.randint(1, 12));
    return { prompt: [20, ...prompt, 21], completion: [...prompt].reverse().concat(0) };
  });
}

async function weights(model: GPT): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, t] of Object.entries(model.stateDict())) out.set(name, Float32Array.from(await t.data()));
  return out;
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('sftSequences', () => {
  it('masks the prompt and keeps the completion', () => {
    expect(sftSequences([{ prompt: [1, 2], completion: [3, 0] }])).toEqual([{ tokens: [1, 2, 3, 0], lossMask: [0, 0, 1, 1] }]);
    expect(sftSequences([{ prompt: [1, 2], completion: [3, 0] }], { trainOnPrompt: true })[0].lossMask).toEqual([1, 1, 1, 1]);
  });
});

describe('sftLoss', () => {
  it('equals a hand-masked cross-entropy over the completion tokens of a packed row', async () => {
    const model = makeModel();
    const stream = oneRow.flatMap((e) => [...e.prompt, ...e.completion]);
    const isCompletion = oneRow.flatMap((e) => [...e.prompt.map(() => false), ...e.completion.map(() => true)]);
    expect(stream.length).toBe(17);
    model.eval();
    const logits = (await model.forward(tensor(Int32Array.from(stream.slice(0, 16)), { shape: [1, 16], dtype: 'int32' })).data()) as Float32Array;
    const V = config.vocabSize;
    let total = 0;
    let count = 0;
    let totalAll = 0;
    for (let t = 0; t < 16; t++) {
      const row = logits.subarray(t * V, (t + 1) * V);
      const max = Math.max(...row);
      const logSumExp = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
      const nll = logSumExp - row[stream[t + 1]];
      totalAll += nll;
      if (isCompletion[t + 1]) {
        total += nll;
        count++;
      }
    }
    expect(count).toBe(9); // 3 completion tokens per example; the first prompt's tokens never count
    expect(await sftLoss(model, oneRow)).toBeCloseTo(total / count, 5);
    expect(await sftLoss(model, oneRow, { trainOnPrompt: true })).toBeCloseTo(totalAll / 16, 5);
    expect(Math.abs(total / count - totalAll / 16)).toBeGreaterThan(1e-3); // the mask changes the number
  });
});

describe('trainSFT', () => {
  it('learns a toy task, changes every parameter and reports validation loss', async () => {
    const model = makeModel(1);
    const before = await weights(model);
    const validation = reverseTask(12, 99);
    const initial = await sftLoss(model, validation);
    const steps: SFTStepMetrics[] = [];
    const evals: number[] = [];
    const result = await trainSFT(
      model,
      { train: reverseTask(48, 1), validation },
      { learningRate: 1e-2, batchSize: 4, gradientAccumulationSteps: 1, maxSteps: 40, warmupSteps: 4, evalEvery: 20, weightDecay: 0 },
      { onStep: (m) => void steps.push(m), onEval: (m) => void evals.push(m.validationLoss) },
    );
    expect(result.step).toBe(40);
    expect(steps.map((m) => m.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(steps[0].learningRate).toBeCloseTo(1e-2 / 5, 8); // warmup: (s + 1)/(warmup + 1)
    expect(steps[39].learningRate).toBeCloseTo(1e-3, 8); // cosine down to minLrFactor 0.1
    for (const m of steps) expect(m.gradNorm).toBeGreaterThan(0);
    expect(steps.every((m) => m.tokens > 0 && Number.isFinite(m.loss))).toBe(true);
    expect(evals).toHaveLength(2);
    expect(result.validationLoss).toBe(evals[1]);
    expect(result.validationLoss).toBeLessThan(initial - 0.5);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(steps.slice(-5).map((m) => m.loss))).toBeLessThan(mean(steps.slice(0, 5).map((m) => m.loss)) - 0.5);
    const after = await weights(model);
    for (const [name, value] of before) expect(after.get(name)!.some((x, i) => x !== value[i]), name).toBe(true);
  });

  it('weights micro-batches by completion tokens: 2 rows × 1 step equals 1 row × 2 accumulated', async () => {
    const examples = reverseTask(16, 5);
    const run = async (batchSize: number, gradientAccumulationSteps: number) => {
      const model = makeModel(2);
      const result = await trainSFT(model, examples, { learningRate: 1e-2, batchSize, gradientAccumulationSteps, maxSteps: 1 });
      return { loss: result.loss, weights: await weights(model) };
    };
    const a = await run(2, 1);
    const b = await run(1, 2);
    expect(b.loss).toBeCloseTo(a.loss, 5);
    for (const [name, value] of a.weights) {
      const other = b.weights.get(name)!;
      for (let i = 0; i < value.length; i++) expect(other[i]).toBeCloseTo(value[i], 5);
    }
  });

  it('resumes a killed run from its last checkpoint to the same weights and losses as an uninterrupted run', async () => {
    const examples = reverseTask(12, 3); // 108 tokens → 6 rows → 3 steps per epoch: 12 steps over 4 epochs
    const sft = { learningRate: 5e-3, batchSize: 2, gradientAccumulationSteps: 1, numEpochs: 4, warmupSteps: 2 } as const;
    const full: number[] = [];
    const reference = makeModel(4);
    const whole = await trainSFT(reference, examples, sft, { onStep: (m) => void full.push(m.loss) });
    expect(whole.totalSteps).toBe(12);

    const dir = await mkdtemp(join(tmpdir(), 'attune-sft-'));
    dirs.push(dir);
    const resumed: number[] = [];
    const first = await trainSFT(makeModel(4), examples, sft, { onStep: (m) => void resumed.push(m.loss), checkpointDir: dir, checkpointEvery: 2, stopAfterSteps: 5 });
    expect(first.step).toBe(5);
    expect((await readdir(dir)).sort()).toEqual(['checkpoint-000000000002', 'checkpoint-000000000004', 'checkpoint-000000000005']);
    const model = makeModel(123); // different init: everything must come from the checkpoint
    const second = await trainSFT(model, examples, sft, { onStep: (m) => void resumed.push(m.loss), checkpointDir: dir, resume: true });
    expect(second.step).toBe(12);
    expect(resumed).toEqual(full);
    const want = await weights(reference);
    const got = await weights(model);
    for (const [name, value] of want) expect(Array.from(got.get(name)!), name).toEqual(Array.from(value));
  });

  it('leaves no tensor behind but the model', async () => {
    const model = makeModel(6);
    const before = memory().numTensors;
    await trainSFT(model, { train: reverseTask(16, 6), validation: reverseTask(4, 7) }, { learningRate: 1e-3, batchSize: 2, gradientAccumulationSteps: 2, maxSteps: 3, evalEvery: 1 });
    expect(memory().numTensors).toBe(before);
  });

  it('validates the config and the examples, naming the field', async () => {
    expect(() => resolveSFTConfig({ batchSize: 0 })).toThrow(/SFTConfig\.batchSize must be an integer ≥ 1, got 0/);
    expect(() => resolveSFTConfig({ learningRate: -1 })).toThrow(/SFTConfig\.learningRate must be a number in \(0, Infinity\], got -1/);
    expect(() => resolveSFTConfig({ learningrate: 1 } as never)).toThrow(/SFTConfig\.learningrate is not a field/);
    const model = makeModel();
    await expect(trainSFT(model, [{ prompt: [1], completion: [2, 99] }])).rejects.toThrow(/train\[0\]\.completion\[1\] must be a token id in \[0, 24\).*got 99/);
    await expect(trainSFT(model, [{ prompt: [1], completion: [2] }], { batchSize: 1 })).rejects.toThrow(/pack into 0 rows of blockSize 16, fewer than SFTConfig\.batchSize = 1/);
    await expect(trainSFT(model, oneRow, {}, { resume: true })).rejects.toThrow(/resume: true needs hooks\.checkpointDir/);
  });
});
