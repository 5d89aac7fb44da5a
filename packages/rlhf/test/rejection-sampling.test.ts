import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Generator, memory } from '@attune/tensor';
import { GPT, gptConfig } from '@attune/transformer';
import { rejectionSample, resolveRejectionSamplingConfig, trainRejectionSampling, type RejectionSamplingIterationMetrics, type ScoreFunction } from '../src/index.js';

const config = gptConfig('test', { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16, vocabSize: 12 });
const makeModel = (seed = 0) => new GPT(config, { generator: new Generator(seed) });

/** The toy reward: the fraction of a response's tokens that are 5. */
const fives: ScoreFunction = (_prompts, responses) => responses.map((r) => r.filter((t) => t === 5).length / r.length);

function toyPrompts(count: number, seed: number): number[][] {
  const generator = new Generator(seed);
  return Array.from({ length: count }, () => Array.from({ length: generator.randint(1, 4) }, () => generator.randint(1, 5)));
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('rejectionSample', () => {
  it('samples K responses per prompt, scores them with the given function and keeps the argmax', async () => {
    const model = makeModel(1);
    const prompts = toyPrompts(5, 1);
    const seen: { prompts: number[][]; responses: number[][] }[] = [];
    const score: ScoreFunction = async (p, r) => {
      seen.push({ prompts: p, responses: r });
      return Float32Array.from(r, (response) => response.reduce((s, t) => s + t, 0)); // sum of ids
    };
    const result = await rejectionSample(model, prompts, score, { k: 4, maxNewTokens: 5, seed: 3, batchSize: 2 });
    expect(seen.map((call) => call.prompts.length)).toEqual([8, 8, 4]); // 2 prompts × K per call, then 1 × K
    expect(seen[0].prompts.slice(0, 4)).toEqual([prompts[0], prompts[0], prompts[0], prompts[0]]);
    expect(result.samples).toHaveLength(5);
    let all = 0;
    result.samples.forEach((sample, i) => {
      expect(sample.prompt).toEqual(prompts[i]);
      expect(sample.responses).toHaveLength(4);
      const sums = sample.responses.map((r) => r.reduce((s, t) => s + t, 0));
      expect(sample.scores).toEqual(sums);
      expect(sample.bestScore).toBe(Math.max(...sums));
      expect(sample.bestIndex).toBe(sums.indexOf(Math.max(...sums)));
      expect(sample.best).toBe(sample.responses[sample.bestIndex]);
      all += sums.reduce((s, x) => s + x, 0);
    });
    expect(new Set(result.samples.flatMap((s) => s.responses.map((r) => r.join(',')))).size).toBeGreaterThan(10); // real sampling
    expect(result.meanScore).toBeCloseTo(all / 20, 5);
    expect(result.meanBestScore).toBeCloseTo(result.samples.reduce((s, x) => s + x.bestScore, 0) / 5, 5);
    expect(result.meanBestScore).toBeGreaterThan(result.meanScore);
    const again = await rejectionSample(model, prompts, score, { k: 4, maxNewTokens: 5, seed: 3, batchSize: 2 });
    expect(again.samples.map((s) => s.responses)).toEqual(result.samples.map((s) => s.responses)); // a function of the weights and the seed
    const other = await rejectionSample(model, prompts, score, { k: 4, maxNewTokens: 5, seed: 4, batchSize: 2 });
    expect(other.samples.map((s) => s.responses)).not.toEqual(result.samples.map((s) => s.responses));
  });

  it('leaves no tensor behind', async () => {
    const model = makeModel(4);
    const before = memory().numTensors;
    await rejectionSample(model, toyPrompts(3, 4), fives, { k: 3, maxNewTokens: 3, seed: 1 });
    expect(memory().numTensors).toBe(before);
  });

  it('checks what the score function returns', async () => {
    const model = makeModel();
    await expect(rejectionSample(model, [[1]], () => [1], { k: 2, maxNewTokens: 2 })).rejects.toThrow(/score returned 1 values for 2 \(prompt, response\) rows/);
    await expect(rejectionSample(model, [[1]], () => [1, Number.NaN], { k: 2, maxNewTokens: 2 })).rejects.toThrow(/score returned NaN for row 1 \(prompt 0, sample 1\)/);
    await expect(rejectionSample(model, [[1]], fives, { k: 0, maxNewTokens: 2 })).rejects.toThrow(/k must be an integer ≥ 1, got 0/);
  });
});

describe('trainRejectionSampling', () => {
  const sft = { learningRate: 1e-2, batchSize: 2, gradientAccumulationSteps: 1, numEpochs: 4, warmupSteps: 0, weightDecay: 0 };
  const rs = { iterations: 3, k: 4, maxNewTokens: 4, sampleBatchSize: 8, seed: 2, sft };

  it('raises the mean score of a toy reward round after round', async () => {
    const model = makeModel(2);
    const prompts = toyPrompts(16, 2);
    const rounds: RejectionSamplingIterationMetrics[] = [];
    const { history, finished } = await trainRejectionSampling(model, prompts, fives, rs, { onIteration: (m) => void rounds.push(m) });
    expect(finished).toBe(true);
    expect(rounds).toEqual(history);
    expect(history.map((h) => h.iteration)).toEqual([1, 2, 3]);
    for (const h of history) expect(h.meanBestScore).toBeGreaterThanOrEqual(h.meanScore);
    expect(history[2].meanScore).toBeGreaterThan(history[0].meanScore);
    const after = await rejectionSample(model, prompts, fives, { k: 4, maxNewTokens: 4, seed: 77 });
    expect(after.meanScore).toBeGreaterThan(history[0].meanScore + 0.3); // best-of-K SFT moved the policy towards token 5 (≈ 0.06 → 0.6)
  });

  it('resumes a killed run mid-round to the same weights and history', async () => {
    const prompts = toyPrompts(8, 3);
    const reference = makeModel(5);
    const whole = await trainRejectionSampling(reference, prompts, fives, { ...rs, iterations: 2 });

    const dir = await mkdtemp(join(tmpdir(), 'attune-rs-'));
    dirs.push(dir);
    const steps: number[] = [];
    const first = await trainRejectionSampling(makeModel(5), prompts, fives, { ...rs, iterations: 2 }, { checkpointDir: dir, checkpointEvery: 1, stopAfterSteps: 6, onStep: (m) => void steps.push(m.iteration) });
    expect(first.finished).toBe(false);
    expect(first.history).toHaveLength(1); // round 1 took 4 steps (2 rows, batch 2, 4 epochs); round 2 was cut after 2
    expect(steps).toEqual([1, 1, 1, 1, 2, 2]);
    expect((await readdir(dir)).sort()).toEqual(['checkpoint-000000000001', 'iteration-0001', 'iteration-0002']);
    const model = makeModel(42);
    const second = await trainRejectionSampling(model, prompts, fives, { ...rs, iterations: 2 }, { checkpointDir: dir, resume: true });
    expect(second.finished).toBe(true);
    expect(second.history).toEqual(whole.history);
    const want = reference.stateDict();
    for (const [name, t] of Object.entries(model.stateDict())) expect(Array.from(await t.data()), name).toEqual(Array.from(await want[name].data()));
  });

  it('fine-tunes on the winners of all rounds so far with keepPreviousWinners (Llama 2 RLHF-V3)', async () => {
    const prompts = toyPrompts(8, 4);
    const kept = await trainRejectionSampling(makeModel(6), prompts, fives, { ...rs, iterations: 2, keepPreviousWinners: true });
    expect(kept.history.map((h) => h.examples)).toEqual([8, 16]);
    const latest = await trainRejectionSampling(makeModel(6), prompts, fives, { ...rs, iterations: 2 });
    expect(latest.history.map((h) => h.examples)).toEqual([8, 8]);
  });

  it('validates the config and the prompt lengths', async () => {
    expect(() => resolveRejectionSamplingConfig({ temperature: 0 })).toThrow(/RejectionSamplingConfig\.temperature must be a number in \(0, Infinity\], got 0/);
    expect(() => resolveRejectionSamplingConfig({ iteration: 2 } as never)).toThrow(/RejectionSamplingConfig\.iteration is not a field/);
    await expect(trainRejectionSampling(makeModel(), [[1, 2, 3]], fives, { maxNewTokens: 14 })).rejects.toThrow(/prompts\[0\] has 3 tokens; with maxNewTokens 14 that exceeds the model's blockSize 16/);
  });
});
