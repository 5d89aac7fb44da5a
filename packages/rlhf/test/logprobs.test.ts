import { describe, expect, it } from 'vitest';
import { manualSeed } from '@attune/tensor';
import { GPT, generate, gptConfig } from '@attune/transformer';
import { entropyFromLogits, responseLogProbs } from '../src/index.js';

const config = gptConfig('test', { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 32, vocabSize: 24 });

describe('responseLogProbs', () => {
  it('recomputes the log-probs generate() sampled with, for left-padded prompts', async () => {
    manualSeed(0);
    const model = new GPT(config);
    const out = await generate(model, [[1, 2, 3, 4], [5], [6, 7]], { maxNewTokens: 6, temperature: 0.7, eosTokenId: 0, seed: 3 });
    const { logProbs, logits } = responseLogProbs(model, out.sequences, out.attentionMask, out.promptLength, { temperature: 0.7 });
    expect(logits.shape).toEqual([3, 6, 24]);
    const got = await logProbs.data();
    const want = await out.logProbs.data();
    const mask = await out.responseMask.data();
    for (let i = 0; i < got.length; i++) if (mask[i]) expect(got[i]).toBeCloseTo(want[i], 4);
  });

  it('gives the entropy of a uniform distribution as log V', async () => {
    manualSeed(0);
    const model = new GPT(config);
    const out = await generate(model, [[1, 2]], { maxNewTokens: 2, seed: 1 });
    const { logits } = responseLogProbs(model, out.sequences, out.attentionMask, out.promptLength);
    const h = await entropyFromLogits(logits.mul(0)).data();
    for (const v of h) expect(v).toBeCloseTo(Math.log(24), 5);
  });

  it('names the argument that is wrong', async () => {
    const model = new GPT(config);
    const out = await generate(model, [[1, 2]], { maxNewTokens: 2, seed: 1 });
    expect(() => responseLogProbs(model, out.sequences, out.attentionMask, 4)).toThrow(/promptLength must be an integer in \[1, 3\].*got 4/);
    expect(() => responseLogProbs(model, out.sequences, out.attentionMask, 2, { temperature: 0 })).toThrow(/temperature must be > 0/);
  });
});
