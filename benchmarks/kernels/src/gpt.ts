// The GPT training step of the benchmark, written twice from each library's own ops with the same
// architecture: GPT-2's pre-LN decoder (token + learned position embeddings; per block ln_1,
// c_attn, causal attention, c_proj, ln_2, c_fc, tanh GELU, c_proj; ln_f; head tied to wte), mean
// next-token cross-entropy, Adam (lr 3e-4, β 0.9/0.999, ε 1e-8). One step = forward, backward,
// Adam update, with no readback.

import {
  Generator,
  crossEntropy,
  embedding,
  gelu,
  layerNorm,
  linear,
  randint,
  randn,
  scaledDotProductAttention,
  tensor,
  tidy,
  zeros,
  type Backend,
  type Tensor,
} from '@attune/tensor';
import type { Tf } from './libraries.js';
import type * as TfCore from '@tensorflow/tfjs-core';

/** Model and batch shape. */
export interface GptShape {
  vocab: number;
  /** Sequence length T. */
  blockSize: number;
  layers: number;
  heads: number;
  /** Width C. */
  width: number;
  /** Sequences per step B. */
  batch: number;
}

/** The small GPT: 4 layers, 4 heads, 128 wide, T = 128, B = 8 (byte-level vocabulary of 256). */
export const SMALL_GPT: GptShape = { vocab: 256, blockSize: 128, layers: 4, heads: 4, width: 128, batch: 8 };

/** Parameter shapes in GPT-2's order; Linear weights are (out, in). */
function parameterShapes({ vocab, blockSize, layers, width: C }: GptShape): { name: string; shape: number[]; init: 'normal' | 'ones' | 'zeros' }[] {
  const shapes: { name: string; shape: number[]; init: 'normal' | 'ones' | 'zeros' }[] = [
    { name: 'wte', shape: [vocab, C], init: 'normal' },
    { name: 'wpe', shape: [blockSize, C], init: 'normal' },
  ];
  for (let l = 0; l < layers; l++) {
    shapes.push(
      { name: `h.${l}.ln_1.weight`, shape: [C], init: 'ones' },
      { name: `h.${l}.ln_1.bias`, shape: [C], init: 'zeros' },
      { name: `h.${l}.attn.c_attn.weight`, shape: [3 * C, C], init: 'normal' },
      { name: `h.${l}.attn.c_attn.bias`, shape: [3 * C], init: 'zeros' },
      { name: `h.${l}.attn.c_proj.weight`, shape: [C, C], init: 'normal' },
      { name: `h.${l}.attn.c_proj.bias`, shape: [C], init: 'zeros' },
      { name: `h.${l}.ln_2.weight`, shape: [C], init: 'ones' },
      { name: `h.${l}.ln_2.bias`, shape: [C], init: 'zeros' },
      { name: `h.${l}.mlp.c_fc.weight`, shape: [4 * C, C], init: 'normal' },
      { name: `h.${l}.mlp.c_fc.bias`, shape: [4 * C], init: 'zeros' },
      { name: `h.${l}.mlp.c_proj.weight`, shape: [C, 4 * C], init: 'normal' },
      { name: `h.${l}.mlp.c_proj.bias`, shape: [C], init: 'zeros' },
    );
  }
  shapes.push({ name: 'ln_f.weight', shape: [C], init: 'ones' }, { name: 'ln_f.bias', shape: [C], init: 'zeros' });
  return shapes;
}

/** Matmul FLOPs of one training step (forward ×3 for forward + backward), for GFLOP/s. */
export function gptStepFlops({ vocab, blockSize: T, layers, width: C, batch: B, heads }: GptShape): number {
  const tokens = B * T;
  const perLayer = 2 * tokens * 12 * C * C + 4 * B * heads * T * T * (C / heads);
  return 3 * (layers * perLayer + 2 * tokens * C * vocab);
}

/** A training step of the @attune/tensor GPT: `step()` enqueues one step. */
export function attuneGptStep(backend: Backend, shape: GptShape): { step: () => void; dispose: () => void } {
  const generator = new Generator(1);
  const params = parameterShapes(shape).map(({ shape: s, init }) =>
    init === 'normal' ? randn(s, { generator, backend, std: 0.02, requiresGrad: true }) : init === 'ones' ? tensor(new Float32Array(s[0]).fill(1), { backend, requiresGrad: true }) : zeros(s, { backend, requiresGrad: true }),
  );
  const moments = params.map((p) => ({ m: zeros(p.shape, { backend }), v: zeros(p.shape, { backend }) }));
  const { batch: B, blockSize: T, width: C, heads, vocab } = shape;
  const tokens = randint(0, vocab, [B, T], { generator, backend });
  const targets = randint(0, vocab, [B, T], { generator, backend });
  const positions = tensor(Int32Array.from({ length: T }, (_, i) => i), { backend });
  let stepCount = 0;

  const loss = (): Tensor => {
    const [wte, wpe] = params;
    let x = embedding(tokens, wte).add(embedding(positions, wpe)); // (B, T, C)
    for (let l = 0; l < shape.layers; l++) {
      const [ln1w, ln1b, attnW, attnB, projW, projB, ln2w, ln2b, fcW, fcB, fcProjW, fcProjB] = params.slice(2 + 12 * l, 14 + 12 * l);
      const qkv = linear(layerNorm(x, [C], ln1w, ln1b), attnW, attnB); // (B, T, 3C)
      const [q, k, v] = qkv.split(C, 2).map((t) => t.reshape([B, T, heads, C / heads]).transpose(1, 2)); // (B, H, T, D)
      const y = scaledDotProductAttention(q, k, v, { isCausal: true }).transpose(1, 2).reshape([B, T, C]); // (B, T, C)
      x = x.add(linear(y, projW, projB));
      const h = gelu(linear(layerNorm(x, [C], ln2w, ln2b), fcW, fcB), 'tanh'); // (B, T, 4C)
      x = x.add(linear(h, fcProjW, fcProjB));
    }
    const [lnFw, lnFb] = params.slice(params.length - 2);
    const logits = linear(layerNorm(x, [C], lnFw, lnFb), wte); // (B, T, vocab)
    return crossEntropy(logits.reshape([B * T, vocab]), targets.reshape([B * T]));
  };

  return {
    step() {
      tidy(() => loss().backward());
      stepCount++;
      params.forEach((p, i) => {
        const grad = p.grad!;
        const { m, v } = moments[i];
        p.backend.adamStep(p.storage, grad.storage, m.storage, v.storage, p.size, { lr: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: stepCount });
        grad.isKeptAsGrad = false;
        grad.dispose();
        p.grad = null;
      });
    },
    dispose() {
      for (const t of [...params, tokens, targets, positions, ...moments.flatMap(({ m, v }) => [m, v])]) t.dispose();
    },
  };
}

/** The same model and step in TensorFlow.js ops, trained with tf.train.adam through `minimize`. */
export function tfjsGptStep(tf: Tf, shape: GptShape): { step: () => void; dispose: () => void } {
  const { batch: B, blockSize: T, width: C, heads, vocab } = shape;
  const D = C / heads;
  const params = parameterShapes(shape).map(({ name, shape: s, init }) =>
    tf.variable(init === 'normal' ? tf.randomNormal(s, 0, 0.02, 'float32', 1) : init === 'ones' ? tf.ones(s) : tf.zeros(s), true, name),
  );
  const tokens = tf.randomUniform([B, T], 0, vocab, 'int32', 2);
  const targets = tf.oneHot(tf.randomUniform([B * T], 0, vocab, 'int32', 3), vocab);
  const positions = tf.range(0, T, 1, 'int32');
  const causal = tf.linalg.bandPart(tf.ones([T, T]), -1, 0); // 1 on and below the diagonal
  const maskBias = tf.mul(tf.sub(1, causal), -1e9); // 0 where allowed, −1e9 above the diagonal
  const optimizer = tf.train.adam(3e-4, 0.9, 0.999, 1e-8);
  type T = TfCore.Tensor;
  const layerNormTf = (x: T, w: T, b: T): T => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), w), b);
  };
  const linearTf = (x: T, w: T, b: T | null): T => {
    const y = tf.matMul(tf.reshape(x, [-1, x.shape[x.shape.length - 1]]), w, false, true);
    return tf.reshape(b ? tf.add(y, b) : y, [...x.shape.slice(0, -1), w.shape[0]]);
  };
  const geluTanh = (x: T): T => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI)))));
  const loss = (): TfCore.Scalar => {
    const [wte, wpe] = params;
    let x = tf.add(tf.gather(wte, tokens), tf.gather(wpe, positions)); // (B, T, C)
    for (let l = 0; l < shape.layers; l++) {
      const [ln1w, ln1b, attnW, attnB, projW, projB, ln2w, ln2b, fcW, fcB, fcProjW, fcProjB] = params.slice(2 + 12 * l, 14 + 12 * l);
      const qkv = linearTf(layerNormTf(x, ln1w, ln1b), attnW, attnB); // (B, T, 3C)
      const [q, k, v] = tf.split(qkv, 3, 2).map((t) => tf.transpose(tf.reshape(t, [B, T, heads, D]), [0, 2, 1, 3])); // (B, H, T, D)
      const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D)), maskBias); // (B, H, T, T)
      const y = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), v), [0, 2, 1, 3]), [B, T, C]);
      x = tf.add(x, linearTf(y, projW, projB));
      x = tf.add(x, linearTf(geluTanh(linearTf(layerNormTf(x, ln2w, ln2b), fcW, fcB)), fcProjW, fcProjB));
    }
    const [lnFw, lnFb] = params.slice(params.length - 2);
    const logits = tf.reshape(linearTf(layerNormTf(x, lnFw, lnFb), wte, null), [B * T, vocab]);
    return tf.losses.softmaxCrossEntropy(targets, logits) as TfCore.Scalar;
  };
  return {
    step() {
      tf.tidy(() => {
        optimizer.minimize(loss, false, params);
      });
    },
    dispose() {
      tf.dispose([...params, tokens, targets, positions, causal, maskBias]);
      optimizer.dispose();
    },
  };
}
