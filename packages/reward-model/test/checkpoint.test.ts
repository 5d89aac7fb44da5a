import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFile } from '@attune/nn';
import { Generator, tensor, type Tensor } from '@attune/tensor';
import { ByteTokenizer, GPT, gptConfig, savePretrained } from '@attune/transformer';
import { RewardModel, loadRewardModel, rewardModelFromPretrained, saveRewardModel } from '../src/index.js';

const config = gptConfig({ nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 16, vocabSize: 260 });
const values = async (t: Tensor): Promise<number[]> => Array.from(await t.data());
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rm-checkpoint-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('saveRewardModel / loadRewardModel', () => {
  it('round-trips outputs, gain and bias', async () => {
    const model = new RewardModel(config, { generator: new Generator(0) });
    model.gain = 0.5;
    model.bias = -1.25;
    model.score.bias!.assign_(tensor([0.3]));
    const idx = tensor([[1, 2, 3, 0], [4, 5, 6, 7]], { dtype: 'int32' });
    const attentionMask = tensor([[1, 1, 1, 0], [1, 1, 1, 1]], { dtype: 'int32' });
    const path = join(dir, 'rm');
    await saveRewardModel(path, model, { tokenizer: new ByteTokenizer({ eos: true }) });
    const loaded = await loadRewardModel(path);
    expect(loaded.gain).toBe(0.5);
    expect(loaded.bias).toBe(-1.25);
    const expected = await values(model.forward(idx, { attentionMask }));
    const actual = await values(loaded.forward(idx, { attentionMask }));
    actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    expect(await values(loaded.score.bias!)).toEqual([Math.fround(0.3)]);
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]); // no temporary left
  });

  it('writes Hugging Face GPT2ForSequenceClassification names, layout and config', async () => {
    const model = new RewardModel(config, { generator: new Generator(1) });
    const path = join(dir, 'hf');
    await saveRewardModel(path, model, { tokenizer: new ByteTokenizer({ eos: true }) });
    const hf = JSON.parse(await readFile(join(path, 'config.json'), 'utf8'));
    expect(hf.architectures).toEqual(['GPT2ForSequenceClassification']);
    expect(hf.num_labels).toBe(1);
    expect(hf.pad_token_id).toBe(256);
    expect(hf.n_embd).toBe(16);
    expect(hf.attune_reward_model).toEqual({ gain: 1, bias: 0, scoreBias: true });
    const { tensors } = await loadFile(join(path, 'model.safetensors'));
    expect(tensors['score.weight'].shape).toEqual([1, 16]);
    expect(tensors['transformer.h.0.attn.c_attn.weight'].shape).toEqual([16, 48]); // Conv1D (in, out)
    expect(await values(tensors['transformer.h.0.attn.c_attn.weight'])).toEqual(await values(model.transformer.h.blocks[0].attn.c_attn.weight.transpose(0, 1)));
    expect(Object.keys(tensors).some((k) => k.startsWith('lm_head'))).toBe(false);
  });

  it('names the file when the directory holds no reward model', async () => {
    const gpt = new GPT(config, { generator: new Generator(2) });
    const path = join(dir, 'sft');
    await savePretrained(gpt, path);
    await expect(loadRewardModel(path)).rejects.toThrow(/loadRewardModel: .*sft[/\\]model\.safetensors: no 'score\.weight' tensor/);
    await expect(loadRewardModel(join(dir, 'missing'))).rejects.toThrow(/loadRewardModel: cannot read .*missing[/\\]config\.json/);
  });

  it('rewardModelFromPretrained takes the trunk of an SFT checkpoint and a fresh head', async () => {
    const gpt = new GPT(config, { generator: new Generator(3) });
    const path = join(dir, 'sft2');
    await savePretrained(gpt, path, { tokenizer: new ByteTokenizer({ eos: true }) });
    const { model, tokenizer } = await rewardModelFromPretrained(path, { generator: new Generator(4) });
    expect(tokenizer?.eosTokenId).toBe(256);
    const idx = tensor([[1, 2, 3]], { dtype: 'int32' });
    const a = await values(model.forwardHidden(idx));
    const b = await values(gpt.forwardHidden(idx));
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
    expect(await values(model.score.bias!)).toEqual([0]);
  });
});
