// Training utilities and heads: the masked LM loss against a float64 reference, packing layout,
// gradient accumulation equal to the full batch, nanoGPT's batches, and the scalar head.

import { describe, expect, it } from 'vitest';
import { Generator, manualSeed, randn, tensor, tidy } from '@attune/tensor';
import { GPT, ScalarHead, accumulateGradients, gptConfig, lastTokenIndices, lmLoss, packSequences, sampleBatch } from '../src/index.js';

describe('lmLoss', () => {
  it('averages the cross-entropy over masked-in targets only', () => {
    manualSeed(0);
    const logits = randn([2, 3, 5]);
    const targets = tensor([[1, 4, 0], [2, 2, 3]], { dtype: 'int32' });
    const mask = tensor([[0, 1, 1], [1, 0, 0]]);
    const l = logits.dataSync();
    const t = targets.dataSync();
    const m = mask.dataSync();
    let total = 0;
    let count = 0;
    for (let i = 0; i < 6; i++) {
      if (!m[i]) continue;
      const row = Array.from(l.subarray(i * 5, i * 5 + 5));
      const max = Math.max(...row);
      total += -(row[t[i]] - max - Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)));
      count++;
    }
    expect(lmLoss(logits, targets, { lossMask: mask }).itemSync()).toBeCloseTo(total / count, 5);
    expect(lmLoss(logits, targets, { lossMask: mask.gt(0) }).itemSync()).toBeCloseTo(total / count, 5);
    expect(lmLoss(logits, targets).itemSync()).not.toBeCloseTo(total / count, 3);
    expect(() => lmLoss(logits, tensor([[1]], { dtype: 'int32' }))).toThrow(/targets must be \(B, T\) = \(2, 3\)/);
  });
});

describe('packSequences', () => {
  it('concatenates with separators into overlapping rows of T + 1 and carries the loss masks', () => {
    const packed = packSequences([{ tokens: [1, 2, 3], lossMask: [0, 1, 1] }, [4, 5], { tokens: [6, 7, 8, 9] }], 4, { separatorTokenId: 0 });
    // stream: 1 2 3 0 4 5 0 6 7 8 9 0 (12 tokens) → rows of 5 overlapping by 1: 2 full rows
    expect(packed.rows).toBe(2);
    expect(Array.from(packed.inputs)).toEqual([1, 2, 3, 0, 4, 5, 0, 6]);
    expect(Array.from(packed.targets)).toEqual([2, 3, 0, 4, 5, 0, 6, 7]);
    expect(Array.from(packed.lossMask)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    const masked = packSequences([{ tokens: [1, 2, 3, 4, 5, 6], lossMask: [0, 0, 0, 1, 1, 1] }], 3);
    expect(Array.from(masked.lossMask)).toEqual([0, 0, 1, 1, 1, 0].slice(0, 3).concat([])); // one row of 3
    expect(() => packSequences([{ tokens: [1, 2], lossMask: [1] }], 2)).toThrow(/sequence 0 has 2 tokens but a lossMask of 1/);
  });
});

describe('accumulateGradients', () => {
  it('gives the gradients of the full batch from equal micro-batches', async () => {
    manualSeed(1);
    const model = new GPT(gptConfig('test'));
    const inputs = tensor([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]], { dtype: 'int32' });
    const targets = tensor([[2, 3, 4, 5], [6, 7, 8, 9], [10, 11, 12, 13], [14, 15, 16, 17]], { dtype: 'int32' });
    const full = tidy(() => {
      const loss = lmLoss(model.forward(inputs), targets);
      loss.backward();
      return loss.itemSync();
    });
    const fullGrads = model.parameters().map((p) => Float32Array.from(p.grad!.dataSync()));
    model.zeroGrad();
    const mean = await accumulateGradients(2, (i) => lmLoss(model.forward(inputs.narrow(0, 2 * i, 2)), targets.narrow(0, 2 * i, 2)));
    expect(mean).toBeCloseTo(full, 5);
    model.parameters().forEach((p, k) => {
      const g = p.grad!.dataSync();
      for (let i = 0; i < g.length; i++) expect(g[i]).toBeCloseTo(fullGrads[k][i], 5);
    });
    model.dispose();
  });
});

describe('sampleBatch', () => {
  it('draws windows whose targets are the inputs shifted by one, reproducibly', () => {
    const tokens = Uint8Array.from({ length: 100 }, (_, i) => i);
    const a = sampleBatch(tokens, 3, 8, new Generator(5));
    const b = sampleBatch(tokens, 3, 8, new Generator(5));
    expect(a.inputs.dataSync()).toEqual(b.inputs.dataSync());
    const x = a.inputs.dataSync();
    const y = a.targets.dataSync();
    for (let i = 0; i < 24; i++) expect(y[i]).toBe(x[i] + 1);
    expect(() => sampleBatch(tokens, 1, 100, new Generator(0))).toThrow(/at least blockSize \+ 1 = 101 tokens/);
  });
});

describe('ScalarHead', () => {
  it('maps hidden states to one scalar per position, or at chosen positions', () => {
    manualSeed(2);
    const model = new GPT(gptConfig('test'));
    const head = new ScalarHead(16, { std: 0.5 });
    expect(head.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
    const mask = tensor([[0, 0, 1, 1], [1, 1, 1, 0]]);
    const hidden = model.forwardHidden(tensor([[0, 0, 5, 6], [1, 2, 3, 0]], { dtype: 'int32' }), { attentionMask: mask });
    const all = head.forward(hidden);
    expect(all.shape).toEqual([2, 4]);
    const last = lastTokenIndices(mask);
    expect(Array.from(last.dataSync())).toEqual([3, 2]);
    const picked = head.forward(hidden, last).dataSync();
    const a = all.dataSync();
    expect(Array.from(picked)).toEqual([a[3], a[4 + 2]]);
    // The head trains: its gradient reaches the transformer.
    head.forward(hidden, last).sum().backward();
    expect(head.weight.grad).not.toBeNull();
    expect(model.transformer.wte.weight.grad).not.toBeNull();
    expect(new ScalarHead(16, { bias: false }).bias).toBeNull();
    expect(Array.from(lastTokenIndices(tensor([[0, 0, 0]])).dataSync())).toEqual([0]);
    model.dispose();
  });
});
