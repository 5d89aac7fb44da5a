// Shared test helpers: a seeded PRNG independent of the library, random Hugging Face-layout GPT-2
// checkpoints written with the safetensors writer, a float64 reference forward of GPT-2's equations
// computed from those tensors alone, and closeness checks.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { saveSafetensors } from '@attune/nn';
import { tensor, type Tensor } from '@attune/tensor';

/** mulberry32: a small deterministic PRNG, so fixtures do not depend on the library's RNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Gaussian values (Box–Muller) with the given mean and std. */
export function gaussian(n: number, std: number, random: () => number, mean = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(random(), 1e-12);
    out[i] = mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  return out;
}

export interface TinySpec {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  nPositions: number;
  vocabSize: number;
}

export const SPEC: TinySpec = { nLayer: 2, nHead: 2, nEmbd: 16, nPositions: 12, vocabSize: 37 };

/** A host tensor in Hugging Face's layout: row-major values and a shape. */
export interface HostTensor {
  shape: number[];
  values: Float32Array;
}

/**
 * Random GPT-2 weights in Hugging Face's layout and names (Conv1D weights (in, out)), large enough
 * that every term of the forward matters. `prefix` is '' (the hub's `gpt2` files) or 'transformer.'.
 */
export function randomHuggingFaceWeights(spec: TinySpec, seed: number, prefix = ''): Record<string, HostTensor> {
  const r = rng(seed);
  const C = spec.nEmbd;
  const out: Record<string, HostTensor> = {};
  const put = (name: string, shape: number[], std: number, mean = 0) => {
    out[prefix + name] = { shape, values: gaussian(shape.reduce((a, b) => a * b, 1), std, r, mean) };
  };
  put('wte.weight', [spec.vocabSize, C], 0.5);
  put('wpe.weight', [spec.nPositions, C], 0.3);
  for (let i = 0; i < spec.nLayer; i++) {
    const h = `h.${i}.`;
    put(h + 'ln_1.weight', [C], 0.2, 1);
    put(h + 'ln_1.bias', [C], 0.1);
    put(h + 'attn.c_attn.weight', [C, 3 * C], 0.3);
    put(h + 'attn.c_attn.bias', [3 * C], 0.1);
    put(h + 'attn.c_proj.weight', [C, C], 0.2);
    put(h + 'attn.c_proj.bias', [C], 0.1);
    put(h + 'ln_2.weight', [C], 0.2, 1);
    put(h + 'ln_2.bias', [C], 0.1);
    put(h + 'mlp.c_fc.weight', [C, 4 * C], 0.3);
    put(h + 'mlp.c_fc.bias', [4 * C], 0.1);
    put(h + 'mlp.c_proj.weight', [4 * C, C], 0.2);
    put(h + 'mlp.c_proj.bias', [C], 0.1);
  }
  put('ln_f.weight', [C], 0.2, 1);
  put('ln_f.bias', [C], 0.1);
  return out;
}

/** The `config.json` Hugging Face writes for a GPT2LMHeadModel of this size. */
export function huggingFaceConfigJson(spec: TinySpec): Record<string, unknown> {
  return {
    activation_function: 'gelu_new',
    architectures: ['GPT2LMHeadModel'],
    attn_pdrop: 0.1,
    bos_token_id: spec.vocabSize - 1,
    embd_pdrop: 0.1,
    eos_token_id: spec.vocabSize - 1,
    initializer_range: 0.02,
    layer_norm_epsilon: 1e-5,
    model_type: 'gpt2',
    n_ctx: spec.nPositions,
    n_embd: spec.nEmbd,
    n_head: spec.nHead,
    n_inner: null,
    n_layer: spec.nLayer,
    n_positions: spec.nPositions,
    reorder_and_upcast_attn: false,
    resid_pdrop: 0.1,
    scale_attn_by_inverse_layer_idx: false,
    scale_attn_weights: true,
    vocab_size: spec.vocabSize,
  };
}

/** Writes `config.json` and `model.safetensors` (with `extra` tensors, e.g. mask buffers) into a new temp directory. */
export async function writeHuggingFaceDirectory(spec: TinySpec, weights: Record<string, HostTensor>, extra: Record<string, Tensor> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'attune-gpt2-'));
  const tensors: Record<string, Tensor> = { ...extra };
  for (const [name, t] of Object.entries(weights)) tensors[name] = tensor(t.values, { shape: t.shape });
  await writeFile(join(dir, 'model.safetensors'), saveSafetensors(tensors, { format: 'pt' }));
  for (const t of Object.values(tensors)) t.dispose();
  await writeFile(join(dir, 'config.json'), JSON.stringify(huggingFaceConfigJson(spec)));
  return dir;
}

export async function removeDirectory(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * GPT-2's forward in float64, straight from the equations and Hugging Face's tensors (keys without
 * prefix): logits (T, V) of one sequence `ids`.
 */
export function referenceLogits(spec: TinySpec, w: Record<string, HostTensor>, ids: readonly number[], eps = 1e-5): Float64Array[] {
  const C = spec.nEmbd;
  const nh = spec.nHead;
  const hs = C / nh;
  const T = ids.length;
  const get = (name: string) => w[name].values;
  const row = (m: Float32Array, r: number, width: number) => Array.from(m.subarray(r * width, (r + 1) * width));
  let x: number[][] = ids.map((id, t) => row(get('wte.weight'), id, C).map((v, c) => v + get('wpe.weight')[t * C + c]));
  const layerNorm = (v: number[], g: Float32Array, b: Float32Array) => {
    const mean = v.reduce((a, c) => a + c, 0) / v.length;
    const variance = v.reduce((a, c) => a + (c - mean) ** 2, 0) / v.length;
    return v.map((c, i) => ((c - mean) / Math.sqrt(variance + eps)) * g[i] + b[i]);
  };
  // Conv1D: y = x·W + b with W (in, out).
  const conv1d = (v: number[], W: Float32Array, b: Float32Array, outDim: number) => {
    const y = Array.from(b, (bi) => bi as number);
    for (let i = 0; i < v.length; i++) for (let o = 0; o < outDim; o++) y[o] += v[i] * W[i * outDim + o];
    return y;
  };
  const gelu = (u: number) => 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u ** 3)));
  for (let l = 0; l < spec.nLayer; l++) {
    const p = `h.${l}.`;
    const qkv = x.map((v) => conv1d(layerNorm(v, get(p + 'ln_1.weight'), get(p + 'ln_1.bias')), get(p + 'attn.c_attn.weight'), get(p + 'attn.c_attn.bias'), 3 * C));
    const y = x.map(() => new Array<number>(C).fill(0));
    for (let h = 0; h < nh; h++) {
      for (let i = 0; i < T; i++) {
        const scores: number[] = [];
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let d = 0; d < hs; d++) s += qkv[i][h * hs + d] * qkv[j][C + h * hs + d];
          scores.push(s / Math.sqrt(hs));
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, c) => a + c, 0);
        for (let j = 0; j <= i; j++) for (let d = 0; d < hs; d++) y[i][h * hs + d] += (e[j] / z) * qkv[j][2 * C + h * hs + d];
      }
    }
    x = x.map((v, t) => conv1d(y[t], get(p + 'attn.c_proj.weight'), get(p + 'attn.c_proj.bias'), C).map((a, c) => v[c] + a));
    x = x.map((v) => {
      const hidden = conv1d(layerNorm(v, get(p + 'ln_2.weight'), get(p + 'ln_2.bias')), get(p + 'mlp.c_fc.weight'), get(p + 'mlp.c_fc.bias'), 4 * C).map(gelu);
      return conv1d(hidden, get(p + 'mlp.c_proj.weight'), get(p + 'mlp.c_proj.bias'), C).map((a, c) => v[c] + a);
    });
  }
  const wte = get('wte.weight');
  return x.map((v) => {
    const f = layerNorm(v, get('ln_f.weight'), get('ln_f.bias'));
    const logits = new Float64Array(spec.vocabSize);
    for (let k = 0; k < spec.vocabSize; k++) for (let c = 0; c < C; c++) logits[k] += f[c] * wte[k * C + c];
    return logits;
  });
}

/** Largest |a − b| over two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
