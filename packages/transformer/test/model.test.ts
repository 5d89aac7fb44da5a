// The model: Hugging Face's parameter names, GPT-2's init, tied LM head, config validation and
// presets, and learning — a few AdamW steps on one batch lower the loss and change every parameter.

import { describe, expect, it } from 'vitest';
import { Generator, crossEntropy, manualSeed, memory, randint, tensor, tidy } from '@attune/tensor';
import { AdamW } from '@attune/nn';
import { GPT, GPT_PRESETS, fromHuggingFaceConfig, gptConfig, toHuggingFaceConfig } from '../src/index.js';

function std(values: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= values.length;
  let v = 0;
  for (let i = 0; i < values.length; i++) v += (values[i] - mean) ** 2;
  return Math.sqrt(v / values.length);
}

describe('GPT', () => {
  it("names parameters as Hugging Face's GPT2LMHeadModel, with the LM head tied to wte", () => {
    manualSeed(0);
    const model = new GPT(gptConfig('test'));
    const names = model.namedParameters().map(([n]) => n);
    expect(names.slice(0, 4)).toEqual(['transformer.wte.weight', 'transformer.wpe.weight', 'transformer.h.0.ln_1.weight', 'transformer.h.0.ln_1.bias']);
    expect(names).toContain('transformer.h.1.attn.c_attn.weight');
    expect(names).toContain('transformer.h.1.mlp.c_proj.bias');
    expect(names.slice(-2)).toEqual(['transformer.ln_f.weight', 'transformer.ln_f.bias']);
    expect(names.some((n) => n.startsWith('lm_head'))).toBe(false);
    expect(names.length).toBe(2 + 2 * 12 + 2);
    const C = 16;
    expect(model.numParameters()).toBe(37 * C + 16 * C + 2 * (12 * C * C + 13 * C) + 2 * C);
    expect(model.lmHeadWeight).toBe(model.transformer.wte.weight);
    expect(String(model)).toContain('(c_attn): Linear(inFeatures=16, outFeatures=48, bias=true)');
    model.dispose();
  });

  it("initialises as GPT-2: N(0, 0.02²), residual projections N(0, (0.02/√(2·nLayer))²), LayerNorm 1/0, biases 0", () => {
    const model = new GPT(gptConfig('tiny'), { generator: new Generator(1) });
    const params = new Map(model.namedParameters());
    expect(std(params.get('transformer.wte.weight')!.dataSync())).toBeCloseTo(0.02, 3);
    expect(std(params.get('transformer.h.2.attn.c_attn.weight')!.dataSync())).toBeCloseTo(0.02, 3);
    expect(std(params.get('transformer.h.2.mlp.c_fc.weight')!.dataSync())).toBeCloseTo(0.02, 3);
    expect(std(params.get('transformer.h.3.attn.c_proj.weight')!.dataSync())).toBeCloseTo(0.02 / Math.sqrt(8), 3);
    expect(std(params.get('transformer.h.0.mlp.c_proj.weight')!.dataSync())).toBeCloseTo(0.02 / Math.sqrt(8), 3);
    expect(new Set(params.get('transformer.h.1.ln_2.weight')!.dataSync())).toEqual(new Set([1]));
    expect(new Set(params.get('transformer.h.1.attn.c_attn.bias')!.dataSync())).toEqual(new Set([0]));
    // Same generator seed, same weights.
    const again = new GPT(gptConfig('tiny'), { generator: new Generator(1) });
    expect(again.transformer.wpe.weight.dataSync()).toEqual(model.transformer.wpe.weight.dataSync());
    model.dispose();
    again.dispose();
  });

  it('learns: AdamW steps on one batch lower the loss, change every parameter, and leak nothing', () => {
    manualSeed(3);
    const model = new GPT(gptConfig('test', { dropout: 0.1 }));
    const before = new Map(model.namedParameters().map(([n, p]) => [n, Float32Array.from(p.dataSync())]));
    const optimizer = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0.1 });
    const x = randint(0, 37, [4, 16]);
    const y = randint(0, 37, [4, 16]);
    const step = () =>
      tidy(() => {
        const loss = crossEntropy(model.forward(x).reshape([-1, 37]), y.reshape([-1]));
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        return loss.itemSync();
      });
    const first = step();
    expect(first).toBeCloseTo(Math.log(37), 0); // near-uniform predictions at init
    const live = memory().numTensors;
    let last = first;
    for (let i = 0; i < 30; i++) last = step();
    expect(memory().numTensors).toBe(live);
    expect(last).toBeLessThan(first * 0.5);
    for (const [name, p] of model.namedParameters()) {
      const old = before.get(name)!;
      const now = p.dataSync();
      expect(now.some((v, i) => v !== old[i]), `${name} changed`).toBe(true);
    }
    optimizer.dispose();
    model.dispose();
    x.dispose();
    y.dispose();
  });

  it("dropout is active in training mode only; eval is deterministic", () => {
    manualSeed(4);
    const model = new GPT(gptConfig('test', { dropout: 0.5 }));
    const idx = tensor([[1, 2, 3, 4]], { dtype: 'int32' });
    const run = () => tidy(() => model.forward(idx).sum().itemSync());
    model.train();
    expect(run()).not.toBe(run());
    model.eval();
    expect(run()).toBe(run());
    model.dispose();
  });

  it('rejects inputs it cannot run, naming the problem', () => {
    manualSeed(5);
    const model = new GPT(gptConfig('test'));
    expect(() => model.forward(tensor([[1, 2]]))).toThrow(/idx must be \(B, T\) int32/);
    expect(() => model.forward(tensor([new Array(17).fill(1)], { dtype: 'int32' }))).toThrow(/exceeds blockSize 16/);
    expect(() => model.forward(tensor([[1, 2]], { dtype: 'int32' }), { attentionMask: tensor([[1, 1, 1]]) })).toThrow(/attentionMask must be \(B, S\) = \(1, 2\)/);
    model.dispose();
  });
});

describe('config', () => {
  it('has the GPT-2 sizes and validates fields by name', () => {
    expect([GPT_PRESETS.gpt2, GPT_PRESETS['gpt2-medium'], GPT_PRESETS['gpt2-large'], GPT_PRESETS['gpt2-xl']].map((c) => [c.nLayer, c.nHead, c.nEmbd])).toEqual([
      [12, 12, 768],
      [24, 16, 1024],
      [36, 20, 1280],
      [48, 25, 1600],
    ]);
    expect(gptConfig().vocabSize).toBe(50257);
    expect(gptConfig('tiny', { dropout: 0.1 })).toMatchObject({ nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 128, vocabSize: 256, dropout: 0.1 });
    expect(() => gptConfig('tiny', { nHead: 3 })).toThrow(/nEmbd \(128\) must be divisible by nHead \(3\)/);
    expect(() => gptConfig('tiny', { nLayer: 0 })).toThrow(/GPTConfig\.nLayer must be a positive integer/);
    expect(() => gptConfig('tiny', { dropout: 1 })).toThrow(/GPTConfig\.dropout must be in \[0, 1\)/);
    expect(() => gptConfig('huge' as never)).toThrow(/unknown preset 'huge'/);
  });

  it('round-trips through Hugging Face config.json', () => {
    const config = gptConfig('gpt2', { dropout: 0.1 });
    const hf = toHuggingFaceConfig(config);
    expect(hf).toMatchObject({ n_layer: 12, n_head: 12, n_embd: 768, n_positions: 1024, vocab_size: 50257, eos_token_id: 50256, resid_pdrop: 0.1 });
    expect(fromHuggingFaceConfig(hf)).toEqual(config);
    expect(() => fromHuggingFaceConfig({ ...hf, attn_pdrop: 0 })).toThrow(/differ/);
    expect(fromHuggingFaceConfig({ ...hf, attn_pdrop: 0 }, { dropout: 0 }).dropout).toBe(0);
    expect(() => fromHuggingFaceConfig({ ...hf, n_inner: 1000 })).toThrow(/n_inner must be null or 4·n_embd/);
    expect(() => fromHuggingFaceConfig({ ...hf, tie_word_embeddings: false })).toThrow(/tie_word_embeddings/);
  });
});

describe('causal mask', () => {
  it('the fused causal path and the padded-batch mask give the same logits', () => {
    manualSeed(6);
    const small = new GPT(gptConfig('test', { blockSize: 16 }));
    const idx = tensor([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]], { dtype: 'int32' });
    const a = tidy(() => small.forward(idx));
    const b = tidy(() => small.forward(idx, { attentionMask: tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]]) }));
    const [x, y] = [a.dataSync(), b.dataSync()];
    expect(x.length).toBe(y.length);
    for (let i = 0; i < x.length; i++) expect(Math.abs(x[i] - y[i])).toBeLessThan(1e-5);
    small.dispose();
  });
});
