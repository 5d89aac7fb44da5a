// Generation: the KV cache changes nothing, seeded sampling repeats, a left-padded batch computes
// what each prompt computes alone, EOS stops a row, and the returned log-probs and masks agree with
// a plain forward pass.

import { describe, expect, it } from 'vitest';
import { Generator, logSoftmax, manualSeed, memory, noGrad, tensor, tidy } from '@attune/tensor';
import { GPT, generate, gptConfig } from '../src/index.js';

/** A small model with large weights, so its next-token distributions are peaked and far from ties. */
function peakedModel(seed = 0): GPT {
  manualSeed(seed);
  return new GPT(gptConfig('test', { blockSize: 24, initializerRange: 0.4 }));
}

const PROMPTS = [[5, 9, 2], [30], [1, 2, 3, 4, 5, 6], [12, 12]];

describe('generate', () => {
  it('greedy decoding with the KV cache yields exactly the tokens of full recomputation', async () => {
    const model = peakedModel();
    const withCache = await generate(model, PROMPTS, { maxNewTokens: 12, doSample: false });
    const without = await generate(model, PROMPTS, { maxNewTokens: 12, doSample: false, useCache: false });
    expect(withCache.tokens).toEqual(without.tokens);
    expect(withCache.tokens.every((t) => t.length === 12)).toBe(true);
    expect(new Set(withCache.tokens.flat()).size).toBeGreaterThan(3); // not a degenerate repeat
    const a = withCache.logProbs.dataSync();
    const b = without.logProbs.dataSync();
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
    model.dispose();
  });

  it('a left-padded batch generates what each prompt generates alone', async () => {
    const model = peakedModel(1);
    const batched = await generate(model, PROMPTS, { maxNewTokens: 10, doSample: false });
    expect(batched.promptLength).toBe(6);
    expect(Array.from(batched.attentionMask.dataSync().subarray(0, 6))).toEqual([0, 0, 0, 1, 1, 1]);
    for (let b = 0; b < PROMPTS.length; b++) {
      const alone = await generate(model, [PROMPTS[b]], { maxNewTokens: 10, doSample: false });
      expect(batched.tokens[b]).toEqual(alone.tokens[0]);
      const lpBatched = batched.logProbs.dataSync().subarray(b * 10, (b + 1) * 10);
      const lpAlone = alone.logProbs.dataSync();
      for (let i = 0; i < 10; i++) expect(lpBatched[i]).toBeCloseTo(lpAlone[i], 5);
    }
    model.dispose();
  });

  it('seeded sampling is reproducible, and the seed matters', async () => {
    const model = peakedModel(2);
    const options = { maxNewTokens: 12, temperature: 1.5, topK: 10, topP: 0.95 };
    const first = await generate(model, PROMPTS, { ...options, seed: 7 });
    const second = await generate(model, PROMPTS, { ...options, generator: new Generator(7) });
    const other = await generate(model, PROMPTS, { ...options, seed: 8 });
    expect(second.tokens).toEqual(first.tokens);
    expect(Array.from(second.logProbs.dataSync())).toEqual(Array.from(first.logProbs.dataSync()));
    expect(other.tokens).not.toEqual(first.tokens);
    model.dispose();
  });

  it('top-k = 1 and a tiny top-p are greedy; log-probs are those of softmax(logits / temperature)', async () => {
    const model = peakedModel(3);
    const greedy = await generate(model, PROMPTS, { maxNewTokens: 8, doSample: false });
    expect((await generate(model, PROMPTS, { maxNewTokens: 8, topK: 1, seed: 1 })).tokens).toEqual(greedy.tokens);
    expect((await generate(model, PROMPTS, { maxNewTokens: 8, topP: 1e-6, seed: 2 })).tokens).toEqual(greedy.tokens);
    // Re-score the sampled sequences with one forward pass: the log-probs must agree.
    const temperature = 0.7;
    const out = await generate(model, PROMPTS, { maxNewTokens: 8, temperature, seed: 3 });
    const logProbs = noGrad(() =>
      tidy(() => {
        const logits = model.forward(out.sequences, { attentionMask: out.attentionMask, positionIds: positionsOf(out.attentionMask.dataSync(), 4, 14) });
        return logSoftmax(logits.div(temperature), -1);
      }),
    );
    const scored = logProbs.dataSync();
    logProbs.dispose();
    const seq = out.sequences.dataSync();
    const lp = out.logProbs.dataSync();
    const V = model.config.vocabSize;
    for (let b = 0; b < 4; b++) {
      for (let i = 0; i < 8; i++) {
        const t = out.promptLength + i; // token at t was predicted at t − 1
        expect(lp[b * 8 + i]).toBeCloseTo(scored[(b * 14 + t - 1) * V + seq[b * 14 + t]], 4);
      }
    }
    model.dispose();
  });

  it('stops a row at EOS: the EOS is kept, later tokens are padding with zero masks and log-probs', async () => {
    const model = peakedModel(4);
    const greedy = await generate(model, PROMPTS, { maxNewTokens: 10, doSample: false });
    const eos = greedy.tokens[0][3]; // row 0 emits it at step 3 (or earlier)
    const stopAt = greedy.tokens.map((t) => t.indexOf(eos));
    const out = await generate(model, PROMPTS, { maxNewTokens: 10, doSample: false, eosTokenId: eos, padTokenId: 0 });
    const mask = out.responseMask.dataSync();
    const lp = out.logProbs.dataSync();
    const responses = out.responses.dataSync();
    for (let b = 0; b < 4; b++) {
      const n = stopAt[b] === -1 ? 10 : stopAt[b] + 1;
      expect(out.tokens[b]).toEqual(greedy.tokens[b].slice(0, n));
      for (let i = 0; i < 10; i++) {
        expect(mask[b * 10 + i]).toBe(i < n ? 1 : 0);
        if (i >= n) {
          expect(lp[b * 10 + i]).toBe(0);
          expect(responses[b * 10 + i]).toBe(0);
        }
      }
    }
    model.dispose();
  });

  it('leaks no tensors, restores training mode and validates its options', async () => {
    const model = peakedModel(5);
    model.train();
    const before = memory().numTensors;
    const out = await generate(model, PROMPTS, { maxNewTokens: 4, seed: 0 });
    for (const t of [out.sequences, out.attentionMask, out.responses, out.responseMask, out.logProbs]) t.dispose();
    expect(memory().numTensors).toBe(before);
    expect(model.training).toBe(true);
    await expect(generate(model, [[1]], { maxNewTokens: 24 })).rejects.toThrow(/exceeds blockSize 24/);
    await expect(generate(model, [[99]], { maxNewTokens: 1 })).rejects.toThrow(/outside the vocabulary/);
    await expect(generate(model, [[1]], { maxNewTokens: 1, temperature: 0 })).rejects.toThrow(/temperature must be > 0/);
    await expect(generate(model, [[]], { maxNewTokens: 1 })).rejects.toThrow(/prompt 0 is empty/);
    model.dispose();
  });
});

/** Position ids (B, L) from a (B, L) left-padded mask: 0 at each row's first real token. */
function positionsOf(mask: ArrayLike<number>, B: number, L: number) {
  const out = new Int32Array(B * L);
  for (let b = 0; b < B; b++) {
    let p = 0;
    for (let t = 0; t < L; t++) if (mask[b * L + t]) out[b * L + t] = p++;
  }
  return tensor(out, { shape: [B, L], dtype: 'int32' });
}
