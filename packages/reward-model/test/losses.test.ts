import { describe, expect, it } from 'vitest';
import { Generator, tensor, type Tensor } from '@attune/tensor';
import { gptConfig } from '@attune/transformer';
import { RewardModel, bradleyTerryLoss, buildComparisonBatch, checkRanking, comparisonLoss, rankingComparisons, rewardCenteringLoss } from '../src/index.js';

const item = async (t: Tensor): Promise<number> => (await t.data())[0];
const softplus = (x: number): number => Math.log1p(Math.exp(x));

describe('bradleyTerryLoss', () => {
  it('is −log σ(r_c − r_r), averaged', async () => {
    // (softplus(−2) + softplus(0)) / 2, computed by hand in float64
    expect(await item(bradleyTerryLoss(tensor([2, 0]), tensor([0, 0])))).toBeCloseTo(0.4100375958, 6);
  });

  it('subtracts the Llama 2 margin', async () => {
    // logits [2 − 1, 0 − 0] → (softplus(−1) + softplus(0)) / 2
    expect(await item(bradleyTerryLoss(tensor([2, 0]), tensor([0, 0]), { margins: tensor([1, 0]) }))).toBeCloseTo(0.5032044340, 6);
  });

  it('weights comparisons: Σ w·ℓ / Σ w', async () => {
    expect(await item(bradleyTerryLoss(tensor([2, 0]), tensor([0, 0]), { weights: tensor([3, 1]) }))).toBeCloseTo(0.2684828034, 6);
  });

  it('stays finite for large reward gaps (softplus form)', async () => {
    expect(await item(bradleyTerryLoss(tensor([-100]), tensor([0])))).toBeCloseTo(100, 4);
    expect(await item(bradleyTerryLoss(tensor([100]), tensor([0])))).toBeCloseTo(0, 6);
  });

  it('has gradient −σ(−Δ)/M for r_c', async () => {
    const chosen = tensor([0.5, -1], { requiresGrad: true });
    bradleyTerryLoss(chosen, tensor([0, 0])).backward();
    const g = Array.from(await chosen.grad!.data());
    expect(g[0]).toBeCloseTo(-1 / (1 + Math.exp(0.5)) / 2, 6);
    expect(g[1]).toBeCloseTo(-1 / (1 + Math.exp(-1)) / 2, 6);
  });

  it('names the argument on a shape mismatch', () => {
    expect(() => bradleyTerryLoss(tensor([1, 2]), tensor([1]))).toThrow(/rejectedRewards must have shape \[2\], got \[1\]/);
    expect(() => bradleyTerryLoss(tensor([1]), tensor([1]), { margins: tensor([1, 2]) })).toThrow(/margins must have shape \[1\], got \[2\]/);
  });
});

describe('rewardCenteringLoss', () => {
  it('is η·mean((r_c + r_r)²)', async () => {
    expect(await item(rewardCenteringLoss(tensor([1, 2]), tensor([1, -1]), 0.5))).toBeCloseTo(0.5 * (4 + 1) / 2, 6);
    expect(() => rewardCenteringLoss(tensor([1]), tensor([1]), -1)).toThrow(/coefficient must be a finite number ≥ 0, got -1/);
  });
});

describe('rankingComparisons', () => {
  it('gives the C(K,2) winner/loser pairs of a ranking', () => {
    expect(rankingComparisons([2, 0, 1])).toEqual([[2, 0], [2, 1], [0, 1]]);
    expect(rankingComparisons([3, 1, 0, 2])).toHaveLength(6);
  });

  it('rejects a ranking that is not a permutation', () => {
    expect(() => checkRanking([0, 0, 1], 3, 'x')).toThrow(/x must be a permutation of 0\.\.2: 0 appears twice/);
    expect(() => checkRanking([0, 3, 1], 3, 'x')).toThrow(/x must hold integers in 0\.\.2, got 3/);
    expect(() => checkRanking([0, 1], 3, 'x')).toThrow(/x must list all 3 responses/);
  });
});

describe('buildComparisonBatch', () => {
  const records = [
    { prompt: [1, 2], chosen: [3], rejected: [4, 5], margin: 0.5 },
    { prompt: [6], responses: [[7], [8, 9], [10]], ranking: [1, 2, 0] },
  ];

  it('lays out one right-padded row per response', () => {
    const batch = buildComparisonBatch(records, { padTokenId: 0 });
    expect(batch.numRows).toBe(5);
    expect(batch.length).toBe(4);
    expect(Array.from(batch.inputIds)).toEqual([1, 2, 3, 0, 1, 2, 4, 5, 6, 7, 0, 0, 6, 8, 9, 0, 6, 10, 0, 0]);
    expect(Array.from(batch.attentionMask)).toEqual([1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0]);
  });

  it('expands a K-way ranking into C(K,2) pairs weighted 1/C(K,2)', () => {
    const batch = buildComparisonBatch(records);
    expect(Array.from(batch.chosenIndex)).toEqual([0, 3, 3, 4]); // pair, then (1≻2), (1≻0), (2≻0) at rows 2 + k
    expect(Array.from(batch.rejectedIndex)).toEqual([1, 4, 2, 2]);
    expect(Array.from(batch.weights)).toEqual([1, 1 / 3, 1 / 3, 1 / 3].map(Math.fround));
    expect(Array.from(batch.margins)).toEqual([0.5, 0, 0, 0]);
    expect(batch.numRecords).toBe(2);
  });

  it('names the record and field of bad input', () => {
    expect(() => buildComparisonBatch([{ prompt: [1], responses: [[2], [3]], ranking: [0, 0] }])).toThrow(/records\[0\]\.ranking must be a permutation/);
    expect(() => buildComparisonBatch([{ prompt: [1], chosen: [], rejected: [2] }])).toThrow(/records\[0\]\.chosen must hold at least one token/);
    expect(() => buildComparisonBatch([{ prompt: [1.5], chosen: [1], rejected: [2] }])).toThrow(/records\[0\]\.prompt\[0\] must be a non-negative integer token id, got 1.5/);
    expect(() => buildComparisonBatch([{ prompt: [1, 2, 3], chosen: [1], rejected: [2] }], { maxLength: 3 })).toThrow(/records\[0\]: prompt \+ response has 4 tokens, more than maxLength 3/);
    expect(() => buildComparisonBatch([])).toThrow(/records must be a non-empty array/);
  });
});

describe('comparisonLoss', () => {
  const config = gptConfig({ nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16, vocabSize: 16 });

  it('matches the per-prompt mean of pair losses computed from separately scored rows', async () => {
    const model = new RewardModel(config, { generator: new Generator(0) });
    model.eval();
    const records = [
      { prompt: [1, 2], chosen: [3], rejected: [4, 5], margin: 0.5 },
      { prompt: [6], responses: [[7], [8, 9], [10]], ranking: [1, 2, 0] },
    ];
    const score = async (ids: number[]): Promise<number> => item(model.forward(tensor([ids], { dtype: 'int32' })));
    const [c, r] = [await score([1, 2, 3]), await score([1, 2, 4, 5])];
    const k = [await score([6, 7]), await score([6, 8, 9]), await score([6, 10])];
    const pairLoss = softplus(-(c - r - 0.5));
    const rankLoss = (softplus(-(k[1] - k[2])) + softplus(-(k[1] - k[0])) + softplus(-(k[2] - k[0]))) / 3;
    const { loss, rewards } = comparisonLoss(model, buildComparisonBatch(records));
    expect(await item(loss)).toBeCloseTo((pairLoss + rankLoss) / 2, 5);
    expect(rewards.shape).toEqual([5]);
    const noMargin = comparisonLoss(model, buildComparisonBatch(records), { useMargins: false, centeringCoef: 0.1 });
    const centering = 0.1 * (((c + r) ** 2) + (((k[1] + k[2]) ** 2 + (k[1] + k[0]) ** 2 + (k[2] + k[0]) ** 2) / 3)) / 2;
    expect(await item(noMargin.loss)).toBeCloseTo((softplus(-(c - r)) + rankLoss) / 2 + centering, 5);
  });

  it('sends gradients to every parameter of trunk and head', () => {
    const model = new RewardModel(config, { generator: new Generator(1) });
    comparisonLoss(model, buildComparisonBatch([{ prompt: [6], responses: [[7], [8, 9], [10]], ranking: [1, 2, 0] }])).loss.backward();
    for (const [name, p] of model.namedParameters()) expect(p.grad, name).not.toBeNull();
  });
});
