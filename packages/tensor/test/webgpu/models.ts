// Small models built from tensor ops alone (the tensor package cannot depend on @attune/nn): an
// MLP, a GPT-style transformer block, a PPO update, and Adam through the backend's fused kernel.
// The WebGPU tests train them on both backends from the same seeded values.

import {
  Generator,
  crossEntropy,
  embedding,
  gelu,
  layerNorm,
  linear,
  logSoftmax,
  mseLoss,
  randn,
  scaledDotProductAttention,
  tensor,
  zeros,
  type Backend,
  type Tensor,
} from '../../src/index.js';

/** Leaf parameters drawn on the host from `seed` (identical on every backend), scaled by `std`. */
export function parameter(shape: number[], generator: Generator, backend: Backend, std = 0.1): Tensor {
  return randn(shape, { generator, backend, std, requiresGrad: true });
}

/** Adam (Kingma & Ba 2015) through the backend's fused in-place kernel, as @attune/nn's Adam uses it. */
export class Adam {
  private readonly moments: { m: Tensor; v: Tensor }[];
  private step = 0;

  constructor(
    private readonly params: readonly Tensor[],
    private readonly lr = 1e-2,
  ) {
    this.moments = params.map((p) => ({ m: zeros(p.shape, { backend: p.backend }), v: zeros(p.shape, { backend: p.backend }) }));
  }

  /** Applies the accumulated gradients and clears them. */
  update(): void {
    this.step++;
    this.params.forEach((p, i) => {
      const grad = p.grad;
      if (!grad) return;
      const { m, v } = this.moments[i];
      p.backend.adamStep(p.storage, grad.storage, m.storage, v.storage, p.size, { lr: this.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: this.step });
      grad.isKeptAsGrad = false;
      grad.dispose();
      p.grad = null;
    });
  }

  dispose(): void {
    for (const { m, v } of this.moments) {
      m.dispose();
      v.dispose();
    }
  }
}

/** A tanh MLP: sizes[0] → … → sizes[last], parameters [W1, b1, W2, b2, …] (PyTorch Linear layout). */
export class Mlp {
  readonly params: Tensor[] = [];

  constructor(readonly sizes: readonly number[], seed: number, backend: Backend) {
    const generator = new Generator(seed);
    for (let i = 0; i + 1 < sizes.length; i++) {
      this.params.push(parameter([sizes[i + 1], sizes[i]], generator, backend, 1 / Math.sqrt(sizes[i])), parameter([sizes[i + 1]], generator, backend, 0.01));
    }
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (let i = 0; i < this.params.length; i += 2) {
      h = linear(h, this.params[i], this.params[i + 1]);
      if (i + 2 < this.params.length) h = h.tanh();
    }
    return h;
  }
}

/** Configuration of the GPT-style model used by the parity test and the benchmark. */
export interface GptConfig {
  vocab: number;
  /** Context length T. */
  blockSize: number;
  layers: number;
  heads: number;
  /** Embedding width C. */
  width: number;
}

/** A GPT-2-style decoder from tensor ops: token + position embeddings, pre-LN blocks, tied head. */
export class Gpt {
  readonly params: Tensor[] = [];
  private readonly wte: Tensor;
  private readonly wpe: Tensor;
  private readonly blocks: Tensor[][] = [];
  private readonly lnF: Tensor[];

  constructor(readonly config: GptConfig, seed: number, backend: Backend) {
    const g = new Generator(seed);
    const { vocab, blockSize, width: C, layers } = config;
    const p = (shape: number[], std = 0.02) => {
      const t = parameter(shape, g, backend, std);
      this.params.push(t);
      return t;
    };
    const ones = (n: number) => {
      const t = tensor(new Float32Array(n).fill(1), { backend, requiresGrad: true });
      this.params.push(t);
      return t;
    };
    const zero = (n: number) => {
      const t = zeros([n], { backend, requiresGrad: true });
      this.params.push(t);
      return t;
    };
    this.wte = p([vocab, C]);
    this.wpe = p([blockSize, C]);
    for (let l = 0; l < layers; l++) {
      // ln_1, c_attn, c_proj, ln_2, mlp.c_fc, mlp.c_proj (GPT-2's names), Linear layout (out, in).
      this.blocks.push([ones(C), zero(C), p([3 * C, C]), zero(3 * C), p([C, C]), zero(C), ones(C), zero(C), p([4 * C, C]), zero(4 * C), p([C, 4 * C]), zero(C)]);
    }
    this.lnF = [ones(C), zero(C)];
  }

  /** Logits (B, T, vocab) for int32 tokens (B, T). */
  forward(tokens: Tensor): Tensor {
    const [B, T] = tokens.shape;
    const { heads, width: C } = this.config;
    const positions = tensor(Int32Array.from({ length: T }, (_, i) => i), { backend: tokens.backend });
    let x = embedding(tokens, this.wte).add(embedding(positions, this.wpe)); // (B, T, C)
    positions.dispose();
    for (const [ln1w, ln1b, attnW, attnB, projW, projB, ln2w, ln2b, fcW, fcB, fcProjW, fcProjB] of this.blocks) {
      const qkv = linear(layerNorm(x, [C], ln1w, ln1b), attnW, attnB); // (B, T, 3C)
      const [q, k, v] = qkv.split(C, 2).map((t) => t.reshape([B, T, heads, C / heads]).transpose(1, 2)); // (B, H, T, D)
      const y = scaledDotProductAttention(q, k, v, { isCausal: true }).transpose(1, 2).reshape([B, T, C]); // (B, T, C)
      x = x.add(linear(y, projW, projB));
      const h = gelu(linear(layerNorm(x, [C], ln2w, ln2b), fcW, fcB), 'tanh'); // (B, T, 4C)
      x = x.add(linear(h, fcProjW, fcProjB));
    }
    return linear(layerNorm(x, [C], this.lnF[0], this.lnF[1]), this.wte); // tied head: (B, T, vocab)
  }

  /** Mean next-token cross-entropy of `tokens` (B, T) against `targets` (B, T). */
  loss(tokens: Tensor, targets: Tensor): Tensor {
    const logits = this.forward(tokens);
    const [B, T] = tokens.shape;
    return crossEntropy(logits.reshape([B * T, this.config.vocab]), targets.reshape([B * T]));
  }
}

/** PPO's clipped surrogate + value loss − entropy bonus (Schulman et al. 2017, eq. 9) for a policy/value MLP. */
export function ppoLoss(net: Mlp, observations: Tensor, actions: Tensor, oldLogProbs: Tensor, advantages: Tensor, returns: Tensor, actionCount: number, clip = 0.2): Tensor {
  const out = net.forward(observations); // (N, actions + 1): logits and the value
  const [logits, value] = out.split([actionCount, 1], 1);
  const logProbs = logSoftmax(logits, 1); // (N, A)
  const logProb = logProbs.gather(1, actions.reshape([-1, 1])).reshape([-1]); // (N)
  const ratio = logProb.sub(oldLogProbs).exp();
  const surrogate = ratio.mul(advantages).minimum(ratio.clamp(1 - clip, 1 + clip).mul(advantages));
  const entropy = logProbs.exp().mul(logProbs).sum(1).neg().mean();
  const valueLoss = mseLoss(value.reshape([-1]), returns);
  return surrogate.mean().neg().add(valueLoss.mul(0.5)).sub(entropy.mul(0.01));
}
