import { describe, expect, it } from 'vitest';
import { Generator, tensor, type Tensor } from '@attune/tensor';
import { GPT, gptConfig } from '@attune/transformer';
import { RewardModel } from '../src/index.js';

const config = gptConfig({ nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 16, vocabSize: 32 });
const ids = (rows: number[][]): Tensor => tensor(rows, { dtype: 'int32' });
const values = async (t: Tensor): Promise<number[]> => Array.from(await t.data());

describe('RewardModel', () => {
  it('has the GPT trunk names plus score.weight and score.bias', () => {
    const rm = new RewardModel(config, { generator: new Generator(0) });
    const names = rm.namedParameters().map(([n]) => n);
    const gptNames = new GPT(config).namedParameters().map(([n]) => n);
    expect(names).toEqual([...gptNames, 'score.weight', 'score.bias']);
    expect(rm.score.weight.shape).toEqual([1, 16]);
  });

  it('initialises the head N(0, 1/(C+1)) with a zero bias', async () => {
    const rm = new RewardModel(gptConfig({ nLayer: 1, nHead: 2, nEmbd: 400, blockSize: 8, vocabSize: 8 }), { generator: new Generator(3) });
    const w = await values(rm.score.weight);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    expect(std).toBeGreaterThan(0.8 / Math.sqrt(401));
    expect(std).toBeLessThan(1.2 / Math.sqrt(401));
    expect(await values(rm.score.bias!)).toEqual([0]);
    const custom = new RewardModel(config, { generator: new Generator(3), headStd: 0 });
    expect(await values(custom.score.weight)).toEqual(new Array(16).fill(0));
    expect(() => new RewardModel(config, { headStd: -1 })).toThrow(/options\.headStd must be a finite number ≥ 0, got -1/);
  });

  it('scores the last real token, with right and with left padding', async () => {
    const rm = new RewardModel(config, { generator: new Generator(1) });
    rm.eval();
    const unpadded = await values(rm.forward(ids([[5, 6, 7]])));
    const all = await values(rm.forwardAll(ids([[5, 6, 7]])));
    expect(unpadded[0]).toBeCloseTo(all[2], 6);
    const right = await values(rm.forward(ids([[5, 6, 7, 0, 0], [1, 2, 3, 4, 5]]), { attentionMask: ids([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]) }));
    const left = await values(rm.forward(ids([[0, 0, 5, 6, 7], [1, 2, 3, 4, 5]]), { attentionMask: ids([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]]) }));
    const full = await values(rm.forward(ids([[1, 2, 3, 4, 5]])));
    expect(right[0]).toBeCloseTo(unpadded[0], 5);
    expect(left[0]).toBeCloseTo(unpadded[0], 5);
    expect(right[1]).toBeCloseTo(full[0], 5);
    expect(left[1]).toBeCloseTo(full[0], 5);
    // A padded position's score is different, so picking the wrong index would fail above.
    const rightAll = await values(rm.forwardAll(ids([[5, 6, 7, 0, 0]]), { attentionMask: ids([[1, 1, 1, 0, 0]]) }));
    expect(Math.abs(rightAll[4] - unpadded[0])).toBeGreaterThan(1e-4);
  });

  it('applies gain and bias in forward() but not in forwardAll() or forwardRaw()', async () => {
    const rm = new RewardModel(config, { generator: new Generator(2) });
    const idx = ids([[3, 4, 5], [6, 7, 8]]);
    const raw = await values(rm.forwardRaw(idx));
    rm.gain = 2;
    rm.bias = -0.5;
    const normalised = await values(rm.forward(idx));
    raw.forEach((r, i) => expect(normalised[i]).toBeCloseTo(2 * r - 0.5, 5));
    const all = await values(rm.forwardAll(idx));
    expect(all[2]).toBeCloseTo(raw[0], 5);
  });

  it('follows train()/eval() for dropout, embeddings included', async () => {
    const rm = new RewardModel(gptConfig({ nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16, vocabSize: 32, dropout: 0.5 }), { generator: new Generator(7) });
    const idx = ids([[1, 2, 3, 4]]);
    rm.eval();
    expect(await values(rm.forward(idx))).toEqual(await values(rm.forward(idx)));
    rm.train();
    expect(await values(rm.forward(idx))).not.toEqual(await values(rm.forward(idx)));
    expect(rm.gpt.training).toBe(true);
    rm.eval();
    rm.forward(idx);
    expect(rm.gpt.training).toBe(false); // the trunk's own flag (embedding dropout) follows the model
  });

  it('lets gradients reach the trunk and the head', () => {
    const rm = new RewardModel(config, { generator: new Generator(4) });
    rm.forward(ids([[1, 2, 3], [4, 5, 6]])).sum().backward();
    for (const [name, p] of rm.namedParameters()) {
      expect(p.grad, name).not.toBeNull();
    }
    expect(rm.transformer.wte.weight.grad).not.toBeNull();
  });

  it('fromGPT copies the trunk exactly, without sharing tensors', async () => {
    const gpt = new GPT(config, { generator: new Generator(5) });
    const rm = RewardModel.fromGPT(gpt, { generator: new Generator(6) });
    const gptState = gpt.transformer.stateDict();
    for (const [name, p] of Object.entries(rm.transformer.stateDict())) {
      expect(p).not.toBe(gptState[name]);
      expect(await values(p), name).toEqual(await values(gptState[name]));
    }
    const idx = ids([[1, 2, 3, 4]]);
    expect(await values(rm.forwardHidden(idx))).toEqual(await values(gpt.forwardHidden(idx)));
    // Changing the GPT afterwards leaves the reward model alone.
    gpt.transformer.wte.weight.assign_(gpt.transformer.wte.weight.mul(0));
    expect((await values(rm.transformer.wte.weight)).some((v) => v !== 0)).toBe(true);
    expect(() => RewardModel.fromGPT({} as GPT)).toThrow(/gpt must be a GPT, got an object \(Object\)/);
  });
});
