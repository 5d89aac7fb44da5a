// Hugging Face compatibility: a forward on a GPT-2 checkpoint in Hugging Face's layout (written here
// with the safetensors writer) matches a float64 reference of GPT-2's equations, and checkpoints
// this package saves have Hugging Face's names, layouts, metadata and config, and load back.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSafetensors } from '@attune/nn';
import { manualSeed, memory, noGrad, ones, tensor, tidy } from '@attune/tensor';
import { ByteTokenizer, GPT, gptConfig, isConv1DWeight, loadHuggingFaceStateDict, loadPretrained, savePretrained, toHuggingFaceStateDict } from '../src/index.js';
import { SPEC, maxAbsDiff, randomHuggingFaceWeights, referenceLogits, removeDirectory, writeHuggingFaceDirectory } from './helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeDirectory(d);
});

const IDS = [3, 17, 0, 36, 5, 5, 22, 9, 14, 1, 30]; // T = 11 of nPositions 12

function logitsOf(model: GPT, ids: number[]): Float32Array {
  const logits = noGrad(() => tidy(() => model.forward(tensor([ids], { dtype: 'int32' }))));
  const values = logits.dataSync() as Float32Array;
  logits.dispose();
  return values;
}

describe('Hugging Face GPT-2 checkpoints', () => {
  it('a forward on a hub-layout checkpoint matches a float64 reference within 1e-4', async () => {
    const weights = randomHuggingFaceWeights(SPEC, 1);
    // The hub's gpt2 files: no `transformer.` prefix, and the old causal-mask buffers.
    const maskBuffer = tidy(() => ones([1, 1, SPEC.nPositions, SPEC.nPositions]).tril());
    const dir = await writeHuggingFaceDirectory(SPEC, weights, { 'h.0.attn.bias': maskBuffer, 'h.1.attn.bias': maskBuffer });
    maskBuffer.dispose();
    dirs.push(dir);
    const { model, tokenizer } = await loadPretrained(dir);
    expect(tokenizer).toBeNull();
    expect(model.config).toMatchObject({ nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 12, vocabSize: 37, dropout: 0.1, bias: true });
    model.eval();
    const actual = logitsOf(model, IDS);
    const expected = referenceLogits(SPEC, weights, IDS);
    const error = maxAbsDiff(actual, Float64Array.from(expected.flatMap((r) => Array.from(r))));
    console.log(`forward vs float64 reference: max |error| = ${error.toExponential(2)} (logit scale ${Math.max(...expected.flatMap((r) => Array.from(r, Math.abs))).toFixed(1)})`);
    expect(error).toBeLessThan(1e-4);
    // The check can fail: other weights of the same scale are far off.
    expect(maxAbsDiff(actual, Float64Array.from(referenceLogits(SPEC, randomHuggingFaceWeights(SPEC, 2), IDS).flatMap((r) => Array.from(r))))).toBeGreaterThan(0.1);
    model.dispose();
  });

  it('loads `transformer.`-prefixed names with a tied lm_head.weight (save_pretrained of GPT2LMHeadModel)', async () => {
    const weights = randomHuggingFaceWeights(SPEC, 3, 'transformer.');
    const lmHead = tensor(weights['transformer.wte.weight'].values, { shape: weights['transformer.wte.weight'].shape });
    const dir = await writeHuggingFaceDirectory(SPEC, weights, { 'lm_head.weight': lmHead });
    lmHead.dispose();
    dirs.push(dir);
    const { model } = await loadPretrained(dir, { dropout: 0 });
    expect(model.config.dropout).toBe(0);
    const plain = Object.fromEntries(Object.entries(weights).map(([k, v]) => [k.replace('transformer.', ''), v]));
    expect(maxAbsDiff(logitsOf(model, IDS), Float64Array.from(referenceLogits(SPEC, plain, IDS).flatMap((r) => Array.from(r))))).toBeLessThan(1e-4);
    model.dispose();
  });

  it('names every missing, unexpected and mis-shaped tensor', async () => {
    manualSeed(0);
    const model = new GPT(gptConfig({ nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 12, vocabSize: 37 }));
    const weights = randomHuggingFaceWeights(SPEC, 4);
    const tensors = Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, tensor(v.values, { shape: v.shape })]));
    const dropped = tensors['h.1.mlp.c_fc.bias'];
    delete tensors['h.1.mlp.c_fc.bias'];
    expect(() => loadHuggingFaceStateDict(model, tensors)).toThrow(/Missing key.*transformer\.h\.1\.mlp\.c_fc\.bias/);
    tensors['h.1.mlp.c_fc.bias'] = dropped;
    tensors['score.weight'] = tensor([[1]]);
    expect(() => loadHuggingFaceStateDict(model, tensors)).toThrow(/unexpected tensor\(s\) "score\.weight"/);
    tensors['score.weight'].dispose();
    delete tensors['score.weight'];
    const good = tensors['h.0.attn.c_attn.weight'];
    tensors['h.0.attn.c_attn.weight'] = tensor(new Float32Array(48 * 16), { shape: [48, 16] }); // Linear layout: wrong for HF
    expect(() => loadHuggingFaceStateDict(model, tensors)).toThrow(/size mismatch for "transformer\.h\.0\.attn\.c_attn\.weight"/);
    tensors['h.0.attn.c_attn.weight'].dispose();
    tensors['h.0.attn.c_attn.weight'] = good;
    const before = memory().numTensors;
    loadHuggingFaceStateDict(model, tensors);
    expect(memory().numTensors).toBe(before); // transposed copies are freed
    for (const t of Object.values(tensors)) t.dispose();
    model.dispose();
  });

  it('saves what Hugging Face loads: names, Conv1D layout, no lm_head, format metadata, config.json, tokenizer', async () => {
    manualSeed(1);
    const config = gptConfig('test', { vocabSize: 257 });
    const model = new GPT(config);
    const tokenizer = new ByteTokenizer({ eos: true });
    const dir = join(await writeHuggingFaceDirectory(SPEC, {}), 'checkpoint');
    dirs.push(join(dir, '..'));
    await savePretrained(model, dir, { tokenizer });
    await savePretrained(model, dir, { tokenizer }); // overwriting an existing checkpoint works
    const file = loadSafetensors(await readFile(join(dir, 'model.safetensors')));
    expect(file.metadata).toEqual({ format: 'pt' });
    const names = Object.keys(file.tensors);
    expect(names).toEqual(model.namedParameters().map(([n]) => n));
    expect(names).not.toContain('lm_head.weight');
    expect(names.filter(isConv1DWeight)).toEqual([0, 1].flatMap((i) => ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'].map((m) => `transformer.h.${i}.${m}.weight`)));
    expect(file.tensors['transformer.h.0.attn.c_attn.weight'].shape).toEqual([16, 48]); // (in, out)
    expect(file.tensors['transformer.h.0.mlp.c_proj.weight'].shape).toEqual([64, 16]);
    // (in, out) is the transpose of the Linear weight.
    const ours = model.transformer.h.blocks[0].attn.c_attn.weight.dataSync();
    const theirs = file.tensors['transformer.h.0.attn.c_attn.weight'].dataSync();
    expect(theirs[1 * 48 + 5]).toBe(ours[5 * 16 + 1]);
    for (const t of Object.values(file.tensors)) t.dispose();
    const hf = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(hf).toMatchObject({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_layer: 2, n_head: 2, n_embd: 16, n_positions: 16, vocab_size: 257, activation_function: 'gelu_new', tie_word_embeddings: true, eos_token_id: 256 });
    const loaded = await loadPretrained(dir);
    expect(loaded.tokenizer).toBeInstanceOf(ByteTokenizer);
    expect(loaded.tokenizer!.eosTokenId).toBe(256);
    const ids = [1, 2, 250, 256, 7];
    expect(maxAbsDiff(logitsOf(loaded.model, ids), logitsOf(model, ids))).toBe(0);
    const roundTrip = toHuggingFaceStateDict(loaded.model);
    expect(Object.keys(roundTrip)).toEqual(names);
    for (const t of Object.values(roundTrip)) t.dispose();
    loaded.model.dispose();
    model.dispose();
  });

  it('a bias-free model saves zero biases, which load as the same function', async () => {
    manualSeed(2);
    const model = new GPT(gptConfig('test', { bias: false }));
    expect(model.namedParameters().some(([n]) => n.endsWith('.bias'))).toBe(false);
    const dir = join(await writeHuggingFaceDirectory(SPEC, {}), 'nobias');
    dirs.push(join(dir, '..'));
    await savePretrained(model, dir);
    const loaded = await loadPretrained(dir);
    expect(loaded.model.config.bias).toBe(true);
    expect(maxAbsDiff(logitsOf(loaded.model, [1, 2, 3]), logitsOf(model, [1, 2, 3]))).toBe(0);
    expect(() => loadHuggingFaceStateDict(model, {})).toThrow(/config\.bias = true/);
    loaded.model.dispose();
    model.dispose();
  });

  it('rejects config.json fields it cannot compute, naming them', async () => {
    const dir = await writeHuggingFaceDirectory(SPEC, randomHuggingFaceWeights(SPEC, 5));
    dirs.push(dir);
    const { writeFile } = await import('node:fs/promises');
    const { huggingFaceConfigJson } = await import('./helpers.js');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...huggingFaceConfigJson(SPEC), activation_function: 'relu' }));
    await expect(loadPretrained(dir)).rejects.toThrow(/activation_function 'relu'/);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...huggingFaceConfigJson(SPEC), n_head: 3 }));
    await expect(loadPretrained(dir)).rejects.toThrow(/nEmbd \(16\) must be divisible by nHead \(3\)/);
  });
});
