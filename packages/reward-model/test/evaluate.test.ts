import { describe, expect, it } from 'vitest';
import { Generator, tensor } from '@attune/tensor';
import { gptConfig } from '@attune/transformer';
import {
  RewardModel,
  calibrationFromMargins,
  evaluateRewardModel,
  rewardNormalization,
  rewardStatistics,
  scoreSequences,
  setRewardNormalization,
  type PreferenceRecord,
} from '../src/index.js';

const config = gptConfig({ nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16, vocabSize: 16 });
const softplus = (x: number): number => Math.log1p(Math.exp(x));

describe('reward normalisation', () => {
  it('computes gain and bias from raw scores', () => {
    expect(rewardNormalization([1, 3])).toEqual({ gain: 1, bias: -2 });
    const { gain, bias } = rewardNormalization([1, 2, 3, 4], { targetMean: 1, targetStd: 2 });
    expect(gain).toBeCloseTo(2 / Math.sqrt(1.25), 12);
    expect(bias).toBeCloseTo(1 - gain * 2.5, 12);
    expect(() => rewardNormalization([2, 2])).toThrow(/rawScores must vary to set a std, got 2 scores all equal to 2/);
    expect(() => rewardNormalization([])).toThrow(/scores must not be empty/);
    expect(() => rewardNormalization([1, 2], { targetStd: 0 })).toThrow(/options\.targetStd must be a finite number > 0, got 0/);
  });

  it('makes forward() have mean 0 and std 1 on the SFT samples it was given', async () => {
    const model = new RewardModel(config, { generator: new Generator(0) });
    const samples = [[1, 2, 3], [4, 5], [6, 7, 8, 9], [10], [11, 12, 13], [14, 15, 1, 2, 3]];
    const raw = await scoreSequences(model, samples, { batchSize: 4 });
    const single = await model.forwardRaw(tensor([samples[2]], { dtype: 'int32' })).data();
    expect(raw[2]).toBeCloseTo(single[0], 5); // padded batch scores = unpadded scores
    setRewardNormalization(model, raw);
    const normalised = rewardStatistics(await scoreSequences(model, samples, { normalized: true }));
    expect(normalised.mean).toBeCloseTo(0, 5);
    expect(normalised.std).toBeCloseTo(1, 5);
    // The raw scores are unchanged by the normalisation.
    expect(Array.from(await scoreSequences(model, samples))).toEqual(Array.from(raw));
  });
});

describe('calibrationFromMargins', () => {
  it('bins σ(Δr) in both orders and computes the ECE', () => {
    const ln3 = Math.log(3); // σ(ln 3) = 0.75
    const perfect = calibrationFromMargins([ln3, ln3, ln3, -ln3], 2);
    expect(perfect.ece).toBeCloseTo(0, 10);
    expect(perfect.bins[1]).toMatchObject({ lower: 0.5, upper: 1, count: 4 });
    expect(perfect.bins[1].meanPredicted).toBeCloseTo(0.75, 10);
    expect(perfect.bins[1].observedFrequency).toBeCloseTo(0.75, 10);
    const overconfident = calibrationFromMargins([ln3, -ln3], 2);
    expect(overconfident.ece).toBeCloseTo(0.25, 10); // predicts 0.75, right half of the time
    expect(calibrationFromMargins([ln3], 2).ece).toBeCloseTo(0.25, 10); // predicts 0.75, always right
    expect(calibrationFromMargins([ln3], 5).bins.map((b) => b.count)).toEqual([0, 1, 0, 1, 0]); // 0.25 and 0.75
    expect(() => calibrationFromMargins([0], 0)).toThrow(/numBins must be a positive integer, got 0/);
  });
});

describe('evaluateRewardModel', () => {
  it('reports accuracy, loss and reward statistics that match a manual computation', async () => {
    const model = new RewardModel(config, { generator: new Generator(2) });
    const records: PreferenceRecord[] = [
      { prompt: [1, 2], chosen: [3], rejected: [4, 5] },
      { prompt: [6], chosen: [7, 8], rejected: [9] },
      { prompt: [10], responses: [[11], [12, 13], [14]], ranking: [2, 0, 1] },
    ];
    const score = async (ids: number[]): Promise<number> => (await scoreSequences(model, [ids]))[0];
    const pairs: Array<[number, number]> = [
      [await score([1, 2, 3]), await score([1, 2, 4, 5])],
      [await score([6, 7, 8]), await score([6, 9])],
    ];
    const k = [await score([10, 11]), await score([10, 12, 13]), await score([10, 14])];
    const ranked: Array<[number, number]> = [[k[2], k[0]], [k[2], k[1]], [k[0], k[1]]];
    const all = [...pairs, ...ranked];
    const accuracy = all.filter(([c, r]) => c > r).length / all.length;
    const loss = (softplus(-(pairs[0][0] - pairs[0][1])) + softplus(-(pairs[1][0] - pairs[1][1])) + ranked.reduce((s, [c, r]) => s + softplus(-(c - r)), 0) / 3) / 3;
    const rewards = rewardStatistics([...pairs.flat(), ...k]);
    model.train();
    const result = await evaluateRewardModel(model, records, { batchSize: 2, numBins: 5 });
    expect(model.training).toBe(true);
    expect(result.numComparisons).toBe(5);
    expect(result.numRecords).toBe(3);
    expect(result.accuracy).toBeCloseTo(accuracy, 10);
    expect(result.loss).toBeCloseTo(loss, 5);
    expect(result.rewardMean).toBeCloseTo(rewards.mean, 5);
    expect(result.rewardStd).toBeCloseTo(rewards.std, 5);
    expect(result.rewardMin).toBeCloseTo(rewards.min, 5);
    expect(result.rewardMax).toBeCloseTo(rewards.max, 5);
    expect(result.meanMargin).toBeCloseTo(all.reduce((s, [c, r]) => s + c - r, 0) / 5, 5);
    expect(result.ece).toBeCloseTo(calibrationFromMargins(all.map(([c, r]) => c - r), 5).ece, 5);
    expect(result.calibration.bins).toHaveLength(5);
  });
});
