import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend, Generator, memory } from '@attune/tensor';
import { gptConfig } from '@attune/transformer';
import { RewardModel, resolveRewardTrainerConfig, trainRewardModel, type PreferenceRecord, type RewardTrainStats } from '../src/index.js';

/** mulberry32, so the data does not depend on the library's RNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Toy preferences: more 7s is better (pairwise: one 7 vs none; 3-way rankings: two 7s ≻ one ≻ none). */
function toyData(n: number, seed: number): PreferenceRecord[] {
  const random = rng(seed);
  const token = (): number => {
    let t = 7;
    while (t === 7) t = 1 + Math.floor(random() * 14);
    return t;
  };
  const response = (sevens: number): number[] => {
    const r = [token(), token(), token()];
    const free = [0, 1, 2];
    for (let k = 0; k < sevens; k++) r[free.splice(Math.floor(random() * free.length), 1)[0]] = 7;
    return r;
  };
  const records: PreferenceRecord[] = [];
  for (let i = 0; i < n; i++) {
    const prompt = [token(), token()];
    if (i % 4 === 3) {
      const responses = [response(1), response(2), response(0)];
      records.push({ prompt, responses, ranking: [1, 0, 2] });
    } else {
      records.push({ prompt, chosen: response(1), rejected: response(0) });
    }
  }
  return records;
}

const config = gptConfig({ nLayer: 1, nHead: 2, nEmbd: 32, blockSize: 16, vocabSize: 16 });
const train = toyData(256, 1);
const heldOut = toyData(64, 2);
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('trainRewardModel', () => {
  it('learns to prefer responses with token 7 (≥ 90% held-out accuracy)', async () => {
    const model = new RewardModel(config, { generator: new Generator(0) });
    const steps: RewardTrainStats[] = [];
    const evals: number[] = [];
    const result = await trainRewardModel(
      model,
      { train, eval: heldOut },
      { learningRate: 3e-3, batchSize: 16, numEpochs: 3, evalEvery: 16, seed: 3 },
      { onStep: (s) => void steps.push(s), onEval: (e) => void evals.push(e.step) },
    );
    expect(result.globalStep).toBe(48);
    expect(steps).toHaveLength(48);
    expect(evals).toEqual([16, 32, 48]);
    expect(result.lastEval!.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(result.lastEval!.numComparisons).toBe(48 + 16 * 3);
    expect(steps[47].loss).toBeLessThan(steps[0].loss);
    // cosine schedule from 3e-3 down to 10%
    expect(steps[0].learningRate).toBeCloseTo(3e-3, 9);
    expect(steps[47].learningRate).toBeLessThan(3e-3 * 0.11);
    expect(model.training).toBe(true);
  });

  it('changes every trainable parameter', async () => {
    const model = new RewardModel(config, { generator: new Generator(5) });
    const before = await Promise.all(model.namedParameters().map(async ([name, p]) => [name, Array.from(await p.data())] as const));
    // The pairwise loss depends on score differences only, so the score head's bias gets gradient
    // from the centering term alone (without it, its gradient is exactly zero up to rounding).
    await trainRewardModel(model, { train: train.slice(0, 32) }, { learningRate: 1e-3, batchSize: 16, centeringCoef: 0.01 });
    for (const [name, values] of before) {
      const after = Array.from(await model.namedParameters().find(([n]) => n === name)![1].data());
      expect(after, name).not.toEqual(values);
    }
  });

  it('resumes from a checkpoint with the same losses as an uninterrupted run', async () => {
    const args = { learningRate: 2e-3, batchSize: 24, numEpochs: 2, seed: 7, centeringCoef: 0.01 };
    const data = { train: train.slice(0, 96) };
    const full: number[] = [];
    await trainRewardModel(new RewardModel(config, { generator: new Generator(1) }), data, args, { onStep: (s) => void full.push(s.loss) });
    expect(full).toHaveLength(8);

    const dir = await mkdtemp(join(tmpdir(), 'rm-resume-'));
    dirs.push(dir);
    const first: number[] = [];
    // Stop mid-epoch (step 3 of 4 in epoch 0) and at an epoch boundary would both have to work; use 5 (epoch 1, step 1).
    const stopped = await trainRewardModel(new RewardModel(config, { generator: new Generator(1) }), data, args, {
      onStep: (s) => void first.push(s.loss),
      checkpointDir: dir,
      checkpointEvery: 3,
      stopAfterSteps: 5,
    });
    expect(stopped.globalStep).toBe(5);
    expect((await readdir(dir)).filter((n) => n.startsWith('checkpoint-'))).toEqual(['checkpoint-000000000003', 'checkpoint-000000000005']);
    const rest: number[] = [];
    const resumed = await trainRewardModel(new RewardModel(config, { generator: new Generator(99) }), data, args, {
      onStep: (s) => void rest.push(s.loss),
      checkpointDir: dir,
      resume: true,
    });
    expect(resumed.globalStep).toBe(8);
    const joined = [...first, ...rest];
    expect(joined).toHaveLength(8);
    joined.forEach((loss, i) => expect(loss, `step ${i + 1}`).toBeCloseTo(full[i], 5));

    // Resuming from the mid-epoch checkpoint (step 3) also reproduces steps 4…8.
    const fromThree: number[] = [];
    await trainRewardModel(new RewardModel(config, { generator: new Generator(42) }), data, args, {
      onStep: (s) => void fromThree.push(s.loss),
      resume: join(dir, 'checkpoint-000000000003'),
    });
    fromThree.forEach((loss, i) => expect(loss, `step ${i + 4}`).toBeCloseTo(full[i + 3], 5));
    // A checkpoint of another run layout is refused, naming the field.
    await expect(
      trainRewardModel(new RewardModel(config, { generator: new Generator(1) }), data, { ...args, batchSize: 12 }, { checkpointDir: dir, resume: true }),
    ).rejects.toThrow(/cannot resume from .*checkpoint-000000000008: its batchSize is 24, this run's is 12/);
  });

  it('checkpoints and resumes a model that lives on another backend', async () => {
    const backend = new CpuBackend(); // not cpuBackend(): the trainer must copy to and from the host
    const dir = await mkdtemp(join(tmpdir(), 'rm-backend-'));
    dirs.push(dir);
    const args = { learningRate: 2e-3, batchSize: 16, seed: 2 };
    const data = { train: train.slice(0, 48) };
    const full: number[] = [];
    await trainRewardModel(new RewardModel(config, { generator: new Generator(1), backend }), data, args, { onStep: (s) => void full.push(s.loss) });
    const resumed: number[] = [];
    await trainRewardModel(new RewardModel(config, { generator: new Generator(1), backend }), data, args, { onStep: (s) => void resumed.push(s.loss), checkpointDir: dir, stopAfterSteps: 1 });
    const model = new RewardModel(config, { generator: new Generator(3), backend });
    await trainRewardModel(model, data, args, { onStep: (s) => void resumed.push(s.loss), checkpointDir: dir, resume: true });
    expect(model.score.weight.backend).toBe(backend);
    expect(resumed).toHaveLength(3);
    resumed.forEach((loss, i) => expect(loss).toBeCloseTo(full[i], 5));
  });

  it('leaves no tensor behind but the model', async () => {
    const model = new RewardModel(config, { generator: new Generator(8) });
    const before = memory().numTensors;
    await trainRewardModel(model, { train: train.slice(0, 32), eval: heldOut.slice(0, 8) }, { learningRate: 1e-3, batchSize: 16 });
    expect(memory().numTensors).toBe(before);
  });

  it('validates the config by field name', () => {
    expect(() => resolveRewardTrainerConfig({ batchSize: 0 })).toThrow(/RewardTrainerConfig\.batchSize must be an integer ≥ 1, got 0/);
    expect(() => resolveRewardTrainerConfig({ lrSchedule: 'step' as never })).toThrow(/RewardTrainerConfig\.lrSchedule must be 'cosine', 'linear' or 'constant', got "step"/);
    expect(() => resolveRewardTrainerConfig({ learningRate: -1 })).toThrow(/RewardTrainerConfig\.learningRate must be a number in \[0, Infinity\], got -1/);
    expect(() => resolveRewardTrainerConfig({ lr: 1 } as never)).toThrow(/unknown field 'lr'/);
    expect(resolveRewardTrainerConfig({}).learningRate).toBe(9e-6);
  });
});
