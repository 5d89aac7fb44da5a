import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Generator, getBackend, memory, type Tensor } from '@attune/tensor';
import { GPT, generate, gptConfig } from '@attune/transformer';
import { RewardModel } from '@attune/reward-model';
import { PPOTrainer, responseLogProbs, trainPPOLM, type PPOLMConfig, type PPORollout, type PPOStepStats } from '../src/index.js';

const config = gptConfig('test', { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 24, vocabSize: 16 });
const EOS = 0;
/** The toy score: the fraction of response tokens equal to 3 (a uniform policy scores ~1/16). */
const fractionOfThrees = (rollout: PPORollout): Float32Array => Float32Array.from(rollout.responses, (r) => r.filter((t) => t === 3).length / r.length);
const prompts = Array.from({ length: 16 }, (_, i) => (i % 3 === 0 ? [1 + (i % 5), 2 + (i % 7)] : [1 + (i % 5)]));

/** Policy, an identical frozen reference, and a value model from the reward model's class (trunk copied from the policy). */
function models(seed = 1): { policy: GPT; reference: GPT; valueModel: RewardModel } {
  const policy = new GPT(config, { generator: new Generator(seed) });
  const reference = new GPT(config, { generator: new Generator(seed) });
  const valueModel = RewardModel.fromGPT(policy, { generator: new Generator(seed + 100) });
  return { policy, reference, valueModel };
}

const quick: Partial<PPOLMConfig> = { eosTokenId: EOS, maxNewTokens: 8, lr: 3e-3, miniBatchSize: 8, adaptiveKl: false, initKlCoef: 0.01 };

async function snapshot(tensors: Tensor[]): Promise<Float32Array[]> {
  return Promise.all(tensors.map(async (t) => Float32Array.from(await t.data())));
}

const directories: string[] = [];
async function temporaryDirectory(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'attune-ppo-'));
  directories.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of directories) await rm(dir, { recursive: true, force: true });
});

/** The stats without wall-clock times, for comparing runs. */
function withoutTime(stats: PPOStepStats): Omit<PPOStepStats, 'time'> {
  const { time: _time, ...rest } = stats;
  return rest;
}

describe('PPOTrainer', () => {
  it('shapes rewards as −β·KL per token plus the score at the last token, with the missing-EOS penalty', async () => {
    const { policy, valueModel } = models(1);
    const reference = new GPT(config, { generator: new Generator(2) }); // differs from the policy: KL ≠ 0
    const seen: boolean[][] = [];
    const klCoef = 0.3;
    const trainer = new PPOTrainer({
      policy, reference, valueModel,
      score: (r) => (seen.push(r.endedWithEos), r.responses.map(() => 0.5)),
      config: { ...quick, maxNewTokens: 4, initKlCoef: klCoef, missingEosPenalty: -1, missingEosMode: 'replace', seed: 3 },
    });
    // The same draws as the trainer's rollout: the rollout is the first use of its generator.
    const out = await generate(policy, prompts, { maxNewTokens: 4, eosTokenId: EOS, generator: new Generator(3) });
    const P = out.promptLength;
    const logPi = await responseLogProbs(policy, out.sequences, out.attentionMask, P).logProbs.data();
    const logRef = await responseLogProbs(reference, out.sequences, out.attentionMask, P).logProbs.data();
    let kl = 0;
    for (let b = 0; b < prompts.length; b++) for (let t = 0; t < out.tokens[b].length; t++) kl += logPi[b * 4 + t] - logRef[b * 4 + t]; // k1
    kl /= prompts.length;
    const endedWithEos = out.tokens.map((t) => t[t.length - 1] === EOS);
    expect(endedWithEos.some((e) => e)).toBe(true);
    expect(endedWithEos.some((e) => !e)).toBe(true);
    const score = endedWithEos.reduce((a, e) => a + (e ? 0.5 : -1), 0) / prompts.length;

    const stats = await trainer.step(prompts);
    expect(seen[0]).toEqual(endedWithEos);
    expect(stats.kl).toBeCloseTo(kl, 4);
    expect(stats.klCoef).toBe(klCoef);
    expect(stats.nonScoreReward).toBeCloseTo(-klCoef * kl, 4);
    expect(stats.rawScore).toBeCloseTo(0.5, 6);
    expect(stats.score).toBeCloseTo(score, 6);
    expect(stats.totalReward).toBeCloseTo(score - klCoef * kl, 4);
    expect(stats.missingEosFraction).toBeCloseTo(endedWithEos.filter((e) => !e).length / prompts.length, 6);
    expect(stats.responseLength).toBeCloseTo(out.tokens.reduce((a, t) => a + t.length, 0) / prompts.length, 6);
  });

  it('uses the k3 estimator exp(Δ) − 1 − Δ, Δ = log π_ref − log π, when asked', async () => {
    const { policy, valueModel } = models(1);
    const reference = new GPT(config, { generator: new Generator(2) });
    const trainer = new PPOTrainer({ policy, reference, valueModel, score: fractionOfThrees, config: { ...quick, maxNewTokens: 4, klEstimator: 'k3', seed: 3 } });
    const out = await generate(policy, prompts, { maxNewTokens: 4, eosTokenId: EOS, generator: new Generator(3) });
    const logPi = await responseLogProbs(policy, out.sequences, out.attentionMask, out.promptLength).logProbs.data();
    const logRef = await responseLogProbs(reference, out.sequences, out.attentionMask, out.promptLength).logProbs.data();
    let kl = 0;
    for (let b = 0; b < prompts.length; b++) {
      for (let t = 0; t < out.tokens[b].length; t++) {
        const delta = logRef[b * 4 + t] - logPi[b * 4 + t];
        kl += Math.expm1(delta) - delta;
      }
    }
    const stats = await trainer.step(prompts);
    expect(stats.kl).toBeCloseTo(kl / prompts.length, 4);
    expect(stats.kl).toBeGreaterThan(0);
  });

  it('clips the global gradient norm before the optimizer step', async () => {
    const change = async (maxGradNorm: number | null): Promise<number> => {
      const { policy, reference, valueModel } = models(15);
      const before = await snapshot(policy.parameters());
      const trainer = new PPOTrainer({ policy, reference, valueModel, score: fractionOfThrees, config: { ...quick, lr: 1e-3, ppoEpochs: 1, miniBatchSize: 16, maxGradNorm } });
      const stats = await trainer.step(prompts);
      expect(stats.policyGradNorm).toBeGreaterThan(1e-4); // the norm is reported before clipping
      const after = await snapshot(policy.parameters());
      return Math.max(...after.map((p, i) => Math.max(...p.map((v, j) => Math.abs(v - before[i][j])))));
    };
    // One Adam step moves a weight by ≈ lr·g/(|g| + ε): about lr for a gradient far above ε = 1e-5,
    // and far less when clipping scales the whole gradient to norm 1e-9.
    expect(await change(null)).toBeGreaterThan(5e-4);
    expect(await change(1e-9)).toBeLessThan(1e-5);
  });

  it('runs rollout and update without dropout when disableDropout is set', async () => {
    const withDropout = gptConfig('test', { ...config, dropout: 0.5 });
    const approxKl = async (disableDropout: boolean): Promise<number> => {
      const policy = new GPT(withDropout, { generator: new Generator(16) });
      const reference = new GPT(withDropout, { generator: new Generator(16) });
      const valueModel = RewardModel.fromGPT(policy, { generator: new Generator(17) });
      // lr 0: the policy never changes, so any ratio ≠ 1 comes from dropout noise.
      const trainer = new PPOTrainer({ policy, reference, valueModel, score: fractionOfThrees, config: { ...quick, lr: 0, disableDropout } });
      return (await trainer.step(prompts)).approxKl;
    };
    expect(await approxKl(true)).toBe(0);
    expect(await approxKl(false)).toBeGreaterThan(1e-3);
  });

  it('adapts β after each step by Ziegler et al.\'s formula', async () => {
    const { policy, reference, valueModel } = models(4);
    const target = 0.05;
    const horizon = 64;
    const trainer = new PPOTrainer({ policy, reference, valueModel, score: fractionOfThrees, config: { ...quick, adaptiveKl: true, initKlCoef: 0.15, target, horizon } });
    const history: PPOStepStats[] = [];
    for (let i = 0; i < 4; i++) history.push(await trainer.step(prompts));
    expect(history[0].klCoef).toBe(0.15);
    for (let i = 0; i < 3; i++) {
      const error = Math.min(Math.max(history[i].kl / target - 1, -0.2), 0.2);
      expect(history[i + 1].klCoef).toBeCloseTo(history[i].klCoef * (1 + (error * prompts.length) / horizon), 10);
    }
    expect(trainer.klController.value).not.toBe(0.15);
  });

  it('raises the toy score, and a large β keeps the KL small where β = 0 drifts', async () => {
    const run = async (klCoef: number): Promise<PPOStepStats[]> => {
      const { policy, reference, valueModel } = models(5);
      const trainer = new PPOTrainer({ policy, reference, valueModel, score: fractionOfThrees, config: { ...quick, initKlCoef: klCoef, seed: 5 } });
      const history: PPOStepStats[] = [];
      for (let i = 0; i < 12; i++) history.push(await trainer.step(prompts));
      return history;
    };
    const free = await run(0);
    const anchored = await run(2);
    const mean = (h: PPOStepStats[], key: 'score' | 'kl'): number => h.reduce((a, s) => a + s[key], 0) / h.length;
    // Uniform-ish start: ~1/16 of tokens are 3; PPO drives it up clearly.
    expect(mean(free.slice(0, 2), 'score')).toBeLessThan(0.2);
    expect(mean(free.slice(-3), 'score')).toBeGreaterThan(0.5);
    expect(mean(free.slice(-3), 'kl')).toBeGreaterThan(3 * mean(anchored.slice(-3), 'kl'));
    expect(mean(anchored.slice(-3), 'kl')).toBeLessThan(2);
    for (const s of free) {
      for (const value of Object.values(withoutTime(s))) expect(Number.isFinite(value)).toBe(true);
      expect(s.clipFraction).toBeGreaterThanOrEqual(0);
      expect(s.approxKl).toBeGreaterThanOrEqual(0);
      expect(s.epochs).toBe(4);
    }
  });

  it('changes every trainable parameter of policy and value model, never the reference', async () => {
    const { policy, reference, valueModel } = models(6);
    const before = await snapshot(policy.parameters());
    const valueBefore = await snapshot(valueModel.parameters());
    const referenceBefore = await snapshot(reference.parameters());
    const trainer = new PPOTrainer({ policy, reference, valueModel, score: fractionOfThrees, config: { ...quick, entropyCoef: 0.01 } });
    await trainer.step(prompts);
    const after = await snapshot(policy.parameters());
    after.forEach((p, i) => expect(p.some((v, j) => v !== before[i][j]), `policy parameter ${policy.namedParameters()[i][0]}`).toBe(true));
    const valueAfter = await snapshot(valueModel.parameters());
    valueAfter.forEach((p, i) => expect(p.some((v, j) => v !== valueBefore[i][j]), `value parameter ${valueModel.namedParameters()[i][0]}`).toBe(true));
    (await snapshot(reference.parameters())).forEach((p, i) => expect(p).toEqual(referenceBefore[i]));
  });

  it('reads nothing back inside the update: the read count does not grow with epochs, minibatches or accumulation', async () => {
    const backend = getBackend();
    const count = async (overrides: Partial<PPOLMConfig>): Promise<number> => {
      const { policy, reference, valueModel } = models(7);
      // eosTokenId null: generation always takes maxNewTokens steps (one readback each).
      const trainer = new PPOTrainer({ policy, reference, valueModel, score: fractionOfThrees, config: { ...quick, eosTokenId: null, ...overrides } });
      // `read` is the only way data leaves an asynchronous (GPU) backend; the CPU's `readSync` also
      // serves its index-range checks, which GPU backends skip, so it is not counted.
      const read = vi.spyOn(backend, 'read');
      const tensorsBefore = memory().numTensors;
      await trainer.step(prompts);
      const reads = read.mock.calls.length;
      read.mockRestore();
      expect(memory().numTensors - tensorsBefore).toBe(2 * (policy.parameters().length + valueModel.parameters().length)); // only Adam's moments stay
      return reads;
    };
    const single = await count({ ppoEpochs: 1, miniBatchSize: 16 });
    const many = await count({ ppoEpochs: 4, miniBatchSize: 4, gradientAccumulationSteps: 2 });
    expect(many).toBe(single);
    // generate: one per new token; rollout: KL and values; update: the summed stats and grad norms.
    expect(single).toBe(quick.maxNewTokens! + 4);
    // Early stopping reads the epoch's approx-KL once per epoch, not per minibatch.
    expect(await count({ ppoEpochs: 4, miniBatchSize: 4, targetKl: 1e6 })).toBe(single + 4);
  });

  it('gives the same step in rollout chunks of any size as in one forward', async () => {
    const stepWith = async (rolloutForwardBatchSize: number | null): Promise<Omit<PPOStepStats, 'time'>> => {
      const { policy, reference, valueModel } = models(14);
      const trainer = new PPOTrainer({ policy, reference, valueModel, score: fractionOfThrees, config: { ...quick, rolloutForwardBatchSize } });
      return withoutTime(await trainer.step(prompts));
    };
    const whole = await stepWith(null);
    const chunked = await stepWith(5); // 5 + 5 + 5 + 1 rows
    for (const [key, value] of Object.entries(whole)) {
      // Fractions count threshold crossings, so a float rounding difference can flip one token of 512.
      const digits = key.endsWith('Fraction') ? 2 : 4;
      expect(chunked[key as keyof typeof chunked], key).toBeCloseTo(value, digits);
    }
  });

  it('scores with a reward model and stops early on approx-KL', async () => {
    const { policy, reference, valueModel } = models(8);
    const rewardModel = RewardModel.fromGPT(reference, { generator: new Generator(9) });
    rewardModel.gain = 2;
    rewardModel.bias = 1;
    const trainer = new PPOTrainer({ policy, reference, valueModel, score: rewardModel, config: { ...quick, targetKl: 1e-9, lr: 1e-2 } });
    const stats = await trainer.step(prompts);
    expect(stats.epochs).toBe(1);
    expect(stats.rawScore).not.toBe(0);
    expect(rewardModel.training).toBe(true); // restored after scoring in eval mode
  });

  it('names what is wrong in its arguments', async () => {
    const { policy, reference, valueModel } = models(10);
    expect(() => new PPOTrainer({ policy, reference: policy, valueModel, score: fractionOfThrees })).toThrow(/reference must be a separate frozen copy/);
    expect(() => new PPOTrainer({ policy, reference, valueModel: policy as never, score: fractionOfThrees })).toThrow(/valueModel must be a module with forwardAll/);
    expect(() => new PPOTrainer({ policy, reference, valueModel, score: 3 as never })).toThrow(/score must be a function/);
    expect(() => new PPOTrainer({ policy, reference, valueModel, score: fractionOfThrees, config: { eosTokenId: 99 } })).toThrow('PPOLMConfig.eosTokenId must be < vocabSize 16, got 99');
    expect(() => new PPOTrainer({ policy, reference, valueModel, score: fractionOfThrees, config: { vfCoef: -1 } })).toThrow('PPOLMConfig.vfCoef must be a number in [0, 1000000], got -1');
    const trainer = new PPOTrainer({ policy, reference, valueModel, score: fractionOfThrees, config: quick });
    await expect(trainer.step(prompts.slice(0, 6))).rejects.toThrow('the batch of 6 prompts must be a multiple of PPOLMConfig.miniBatchSize (8)');
    const short = new PPOTrainer({ policy, reference, valueModel, score: () => [1, 2], config: quick });
    await expect(short.step(prompts)).rejects.toThrow('score must return one number per response (16), got an array of length 2');
    const nan = new PPOTrainer({ policy, reference, valueModel, score: (r) => r.responses.map((_, i) => (i === 2 ? NaN : 0)), config: quick });
    const tensorsBefore = memory().numTensors;
    await expect(nan.step(prompts)).rejects.toThrow('score[2] must be a finite number, got NaN');
    expect(memory().numTensors).toBe(tensorsBefore); // the failed step freed its batch
  });
});

describe('trainPPOLM', () => {
  const run = (dir: string, iterations: number, seed: number, onStep?: (s: PPOStepStats) => void) => {
    const { policy, valueModel } = models(seed);
    const reference = new GPT(config, { generator: new Generator(12) }); // the SFT model: the same in every run, not checkpointed
    return trainPPOLM({
      policy, reference, valueModel, score: fractionOfThrees, prompts, iterations, batchSize: 8,
      checkpointDir: dir, checkpointEvery: 2, onStep,
      config: { ...quick, adaptiveKl: true, initKlCoef: 0.1, target: 0.5, horizon: 100, seed: 11 },
    });
  };

  it('resumes after an interruption with the same stats as an uninterrupted run', async () => {
    const straight = await run(await temporaryDirectory(), 5, 12);
    expect(straight.history.map((s) => s.step)).toEqual([1, 2, 3, 4, 5]);
    expect(straight.resumedFrom).toBeNull();

    const dir = await temporaryDirectory();
    await run(dir, 3, 12); // "interrupted" after step 3: checkpoints at 2 and 3
    expect((await readdir(dir)).sort()).toEqual(['checkpoint-000000000002', 'checkpoint-000000000003']);
    const steps: number[] = [];
    const resumed = await run(dir, 5, 99, (s) => steps.push(s.step)); // other initial weights: the checkpoint must overwrite them
    expect(resumed.resumedFrom).toBe(join(dir, 'checkpoint-000000000003'));
    expect(steps).toEqual([4, 5]);
    expect(resumed.history.map(withoutTime)).toEqual(straight.history.slice(3).map(withoutTime));
    expect(resumed.trainer.klController.value).toBe(straight.trainer.klController.value);
    expect(await snapshot(resumed.trainer.policy.parameters())).toEqual(await snapshot(straight.trainer.policy.parameters()));
  });

  it('validates its loop options by name', async () => {
    const { policy, reference, valueModel } = models(13);
    const base = { policy, reference, valueModel, score: fractionOfThrees, prompts, config: quick };
    await expect(trainPPOLM({ ...base, iterations: 0, batchSize: 8 })).rejects.toThrow('trainPPOLM: iterations must be a positive integer, got 0');
    await expect(trainPPOLM({ ...base, iterations: 1, batchSize: 12 })).rejects.toThrow('trainPPOLM: batchSize (12) must be a multiple of PPOLMConfig.miniBatchSize (8)');
    await expect(trainPPOLM({ ...base, iterations: 1, batchSize: 8, checkpointEvery: -1 })).rejects.toThrow('trainPPOLM: checkpointEvery must be an integer ≥ 0, got -1');
  });
});
