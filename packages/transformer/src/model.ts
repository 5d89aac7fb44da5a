// The GPT-2 decoder as nanoGPT and llm.c lay it out, defined leaf to root: causal self-attention,
// the GELU MLP, the pre-LayerNorm block, and the model with token and position embeddings, a final
// LayerNorm and an LM head tied to the token embedding. Module names copy Hugging Face's
// GPT2LMHeadModel (`transformer.wte`, `transformer.h.0.attn.c_attn`, `transformer.ln_f`), so
// `namedParameters()` lists checkpoint keys; only the Conv1D weight layout differs (see
// ./checkpoint.ts).

import {
  add,
  arange,
  cumsum,
  eq,
  gelu,
  le,
  linear,
  logicalAnd,
  logicalOr,
  matmul,
  matmulTransposed,
  maximum,
  mul,
  narrow,
  ne,
  permute,
  reshape,
  scaledDotProductAttention,
  softmax,
  sub,
  tensor,
  toDtype,
  where,
  type Backend,
  type Generator,
  type Tensor,
} from '@attune/tensor';
import { Dropout, Embedding, init, LayerNorm, Linear, Module } from '@attune/nn';
import { validateConfig, type GPTConfig } from './config.js';
import type { KVCache } from './kv-cache.js';

/**
 * Options of the `GPT` constructor.
 *
 * @example
 * ```ts
 * import { Generator } from '@attune/tensor';
 * const options: GPTOptions = { generator: new Generator(0) };
 * new GPT(gptConfig('test'), options);
 * ```
 */
export interface GPTOptions {
  /** Generator for the initial weights; defaults to the global one seeded by `manualSeed`. */
  generator?: Generator;
  /** Backend for the parameters; defaults to the active backend. */
  backend?: Backend;
}

/**
 * What every block of one forward pass shares: the additive attention mask and the KV cache.
 * Built once per forward by `GPT.forwardHidden`.
 *
 * @example
 * ```ts
 * import { randn } from '@attune/tensor';
 * const block = new Block(gptConfig('test'));
 * const context: AttentionContext = { maskBias: null, cache: null, layer: 0 }; // plain causal attention
 * block.forward(randn([2, 4, 16]), context); // (B, T, C)
 * ```
 */
export interface AttentionContext {
  /**
   * Added to the attention scores: 0 where a query may attend to a key, −∞ elsewhere; broadcastable
   * to (B, nHead, T, S), S = cached length + T: (T, S) with a cache, (B, 1, T, S) with padding. Null
   * for the plain causal case (training, scoring), which runs the fused causal attention kernel.
   */
  maskBias: Tensor | null;
  /** Past keys and values, extended in place by each layer (generation). */
  cache: KVCache | null;
  /** Index of this block, for the cache. */
  layer: number;
}

/**
 * Multi-head causal self-attention (Vaswani et al. 2017) with GPT-2's fused q/k/v projection
 * `c_attn` (C → 3C) and output projection `c_proj` (C → C).
 *
 * @example
 * ```ts
 * const attn = new CausalSelfAttention(gptConfig('tiny'));
 * attn.c_attn.weight.shape; // [384, 128]  (Linear layout (out, in); HF stores the transpose)
 * ```
 */
export class CausalSelfAttention extends Module<[Tensor, AttentionContext], Tensor> {
  readonly nHead: number;
  readonly nEmbd: number;
  readonly dropoutP: number;
  /** q, k, v for all heads in one projection: weight (3C, C), rows [q; k; v]. */
  readonly c_attn: Linear;
  /** Output projection, weight (C, C). */
  readonly c_proj: Linear;
  readonly attn_dropout: Dropout;
  readonly resid_dropout: Dropout;

  constructor(config: GPTConfig, options: GPTOptions = {}) {
    super();
    const { nEmbd, nHead, bias, dropout: p } = config;
    this.nHead = nHead;
    this.nEmbd = nEmbd;
    this.dropoutP = p;
    this.c_attn = this.registerModule('c_attn', new Linear(nEmbd, 3 * nEmbd, { bias, backend: options.backend, generator: options.generator }));
    this.c_proj = this.registerModule('c_proj', new Linear(nEmbd, nEmbd, { bias, backend: options.backend, generator: options.generator }));
    this.attn_dropout = this.registerModule('attn_dropout', new Dropout(p, { generator: options.generator }));
    this.resid_dropout = this.registerModule('resid_dropout', new Dropout(p, { generator: options.generator }));
  }

  /** x (B, T, C) → (B, T, C). */
  override forward(x: Tensor, context: AttentionContext): Tensor {
    const [B, T, C] = x.shape;
    const nh = this.nHead;
    const hs = C / nh;
    // q, k, v from row blocks of c_attn's weight: three (B·T, C)·(C, C) products read straight into
    // place, instead of one (B·T, 3C) activation that would then be split (a copy each, and a
    // zero-padded concatenation each in backward). Slicing the (3C, C) weight costs 3·C² floats.
    const project = (part: number, scale = 1): Tensor => {
      let w = narrow(this.c_attn.weight, 0, part * C, C); // (C, C)
      let b = this.c_attn.bias && narrow(this.c_attn.bias, 0, part * C, C); // (C)
      if (scale !== 1) [w, b] = [mul(w, scale), b && mul(b, scale)];
      return linear(x, w, b); // (B, T, C)
    };
    // (B, T, C) → (B, T, nh, hs) → (B, nh, T, hs)
    const heads = (t: Tensor): Tensor => permute(reshape(t, [B, T, nh, hs]), [0, 2, 1, 3]);
    // The 1/√hs of softmax(q·kᵀ/√hs) (Vaswani et al. 2017, eq. 1) goes into q's weight and bias: C²
    // values scaled instead of B·T·C activations (or B·nh·T·S scores).
    const q = heads(project(0, 1 / Math.sqrt(hs))); // (B, nh, T, hs)
    let k = heads(project(1)); // (B, nh, T, hs)
    let v = heads(project(2)); // (B, nh, T, hs)
    const cache = context.cache;
    if (cache) [k, v] = cache.append(context.layer, k, v); // (B, nh, S, hs)
    let attended: Tensor; // (B, nh, T, hs)
    if (!context.maskBias) {
      // Plain causal attention: one fused kernel when the backend has it (q is already scaled).
      const dropoutP = this.training ? this.dropoutP : 0;
      attended = scaledDotProductAttention(q, k, v, { isCausal: true, scale: 1, dropoutP, training: this.training });
    } else {
      const scores = add(matmulTransposed(q, k), context.maskBias); // (B, nh, T, S)
      let weights = softmax(scores, -1); // (B, nh, T, S)
      if (this.dropoutP > 0 && this.training) weights = this.attn_dropout.forward(weights);
      attended = matmul(weights, v); // (B, nh, T, hs)
    }
    const y = reshape(permute(attended, [0, 2, 1, 3]), [B, T, C]); // (B, nh, T, hs) → (B, T, nh, hs) → (B, T, C)
    return this.residualDropout(this.c_proj.forward(y));
  }

  private residualDropout(x: Tensor): Tensor {
    return this.dropoutP > 0 && this.training ? this.resid_dropout.forward(x) : x;
  }

  override extraRepr(): string {
    return `nHead=${this.nHead}, nEmbd=${this.nEmbd}`;
  }
}

/**
 * The position-wise feed-forward network: `c_fc` (C → 4C), GELU with the tanh approximation (GPT-2's
 * `gelu_new`), `c_proj` (4C → C).
 *
 * @example
 * ```ts
 * import { randn } from '@attune/tensor';
 * new MLP(gptConfig('tiny')).forward(randn([2, 8, 128])); // shape [2, 8, 128]
 * ```
 */
export class MLP extends Module {
  readonly c_fc: Linear;
  readonly c_proj: Linear;
  readonly dropout: Dropout;

  constructor(config: GPTConfig, options: GPTOptions = {}) {
    super();
    const { nEmbd, bias } = config;
    this.c_fc = this.registerModule('c_fc', new Linear(nEmbd, 4 * nEmbd, { bias, backend: options.backend, generator: options.generator }));
    this.c_proj = this.registerModule('c_proj', new Linear(4 * nEmbd, nEmbd, { bias, backend: options.backend, generator: options.generator }));
    this.dropout = this.registerModule('dropout', new Dropout(config.dropout, { generator: options.generator }));
  }

  /** x (B, T, C) → (B, T, C). */
  override forward(x: Tensor): Tensor {
    const h = gelu(this.c_fc.forward(x), 'tanh'); // (B, T, 4C), GPT-2's gelu_new
    const out = this.c_proj.forward(h); // (B, T, C)
    return this.dropout.p > 0 && this.training ? this.dropout.forward(out) : out;
  }
}

/**
 * One pre-LayerNorm transformer block (Radford et al. 2019, §2.3): x + attn(ln_1(x)), then
 * x + mlp(ln_2(x)).
 *
 * @example
 * ```ts
 * const block = new Block(gptConfig('tiny'));
 * block.namedParameters().map(([n]) => n); // ['ln_1.weight', 'ln_1.bias', 'attn.c_attn.weight', …]
 * ```
 */
export class Block extends Module<[Tensor, AttentionContext], Tensor> {
  readonly ln_1: LayerNorm;
  readonly attn: CausalSelfAttention;
  readonly ln_2: LayerNorm;
  readonly mlp: MLP;

  constructor(config: GPTConfig, options: GPTOptions = {}) {
    super();
    const ln = { eps: config.layerNormEpsilon, bias: config.bias, backend: options.backend };
    this.ln_1 = this.registerModule('ln_1', new LayerNorm(config.nEmbd, ln));
    this.attn = this.registerModule('attn', new CausalSelfAttention(config, options));
    this.ln_2 = this.registerModule('ln_2', new LayerNorm(config.nEmbd, ln));
    this.mlp = this.registerModule('mlp', new MLP(config, options));
  }

  /** x (B, T, C) → (B, T, C). */
  override forward(x: Tensor, context: AttentionContext): Tensor {
    const h = add(x, this.attn.forward(this.ln_1.forward(x), context));
    return add(h, this.mlp.forward(this.ln_2.forward(h)));
  }
}

/**
 * The blocks as a list named `0`, `1`, … (PyTorch's `nn.ModuleList`), run in order.
 *
 * @example
 * ```ts
 * const model = new GPT(gptConfig('test'));
 * model.transformer.h.blocks.length; // nLayer
 * ```
 */
export class BlockList extends Module<[Tensor, AttentionContext], Tensor> {
  readonly blocks: readonly Block[];

  constructor(blocks: Block[]) {
    super();
    blocks.forEach((block, i) => this.registerModule(String(i), block));
    this.blocks = blocks;
  }

  /** Runs the blocks in order on x (B, T, C). */
  override forward(x: Tensor, context: AttentionContext): Tensor {
    let h = x;
    this.blocks.forEach((block, layer) => {
      h = block.forward(h, { ...context, layer });
    });
    return h;
  }
}

/**
 * The body of the model, HF's `GPT2Model` (registered as `transformer`): embeddings, blocks and the
 * final LayerNorm. `GPT.forwardHidden` runs it.
 *
 * @example
 * ```ts
 * const model = new GPT(gptConfig('test'));
 * const body: GPT2Body = model.transformer;
 * body.wte.weight.shape; // [vocabSize, nEmbd]
 * ```
 */
export class GPT2Body extends Module<never[], unknown> {
  /** Token embedding (vocabSize, C); also the LM head. */
  readonly wte: Embedding;
  /** Learned position embedding (blockSize, C). */
  readonly wpe: Embedding;
  readonly drop: Dropout;
  readonly h: BlockList;
  readonly ln_f: LayerNorm;

  constructor(config: GPTConfig, options: GPTOptions = {}) {
    super();
    const { backend, generator } = options;
    this.wte = this.registerModule('wte', new Embedding(config.vocabSize, config.nEmbd, { backend, generator }));
    this.wpe = this.registerModule('wpe', new Embedding(config.blockSize, config.nEmbd, { backend, generator }));
    this.drop = this.registerModule('drop', new Dropout(config.dropout, { generator }));
    this.h = this.registerModule('h', new BlockList(Array.from({ length: config.nLayer }, () => new Block(config, options))));
    this.ln_f = this.registerModule('ln_f', new LayerNorm(config.nEmbd, { eps: config.layerNormEpsilon, bias: config.bias, backend }));
  }
}

/**
 * Options of `GPT.forward` and `GPT.forwardHidden`.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const model = new GPT(gptConfig('test'));
 * const options: ForwardOptions = { attentionMask: tensor([[0, 1, 1]], { dtype: 'int32' }) }; // left padding
 * model.forward(tensor([[0, 5, 6]], { dtype: 'int32' }), options);
 * ```
 */
export interface ForwardOptions {
  /**
   * (B, S) mask of the keys, 1 (or true) for real tokens and 0 for padding, S = cached length + T.
   * Queries never attend to padded keys; a padded query attends to itself only, so its (unused)
   * output stays finite. Without it, attention is plain causal.
   */
  attentionMask?: Tensor | null;
  /** (B, T) or (T) int32 positions; defaults to cached length + 0…T−1. With left padding pass `positionIdsFromMask(mask)`. */
  positionIds?: Tensor | null;
  /** Past keys and values: the new ones are appended and attention covers past and present. */
  cache?: KVCache | null;
}

/**
 * GPT-2 (Radford et al. 2019) in nanoGPT's layout with Hugging Face's names: `transformer.wte`,
 * `transformer.wpe`, `transformer.h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj}`,
 * `transformer.ln_f`, and an LM head tied to `transformer.wte.weight` (not a parameter of its own,
 * so `namedParameters()` lists exactly the keys Hugging Face saves).
 *
 * Init as nanoGPT and HF: every Linear and Embedding weight N(0, 0.02²), biases 0, LayerNorm 1 and 0,
 * and the residual projections (`attn.c_proj`, `mlp.c_proj`) N(0, (0.02/√(2·nLayer))²) so the
 * residual stream's variance does not grow with depth (Radford et al. 2019, §2.3).
 *
 * @example
 * ```ts
 * import { manualSeed, tensor } from '@attune/tensor';
 * manualSeed(0);
 * const model = new GPT(gptConfig('tiny'));
 * const logits = model.forward(tensor([[1, 2, 3]], { dtype: 'int32' })); // (1, 3, 256)
 * ```
 */
export class GPT extends Module<[Tensor, ForwardOptions?], Tensor> {
  readonly config: Readonly<GPTConfig>;
  readonly transformer: GPT2Body;

  constructor(config: GPTConfig, options: GPTOptions = {}) {
    super();
    validateConfig(config);
    this.config = Object.freeze({ ...config });
    this.transformer = this.registerModule('transformer', new GPT2Body(config, options));
    this.initWeights(options.generator);
  }

  /**
   * Re-draws every parameter with GPT-2's init (see the class comment).
   *
   * @example
   * ```ts
   * model.initWeights(new Generator(42));
   * ```
   */
  initWeights(generator?: Generator): void {
    const std = this.config.initializerRange;
    const residualStd = std / Math.sqrt(2 * this.config.nLayer);
    for (const [name, p] of this.namedParameters()) {
      if (name.endsWith('ln_1.weight') || name.endsWith('ln_2.weight') || name.endsWith('ln_f.weight')) init.ones_(p);
      else if (name.endsWith('.bias')) init.zeros_(p);
      else if (name.endsWith('c_proj.weight')) init.normal_(p, 0, residualStd, generator);
      else init.normal_(p, 0, std, generator);
    }
  }

  /** The token embedding (vocabSize, C), which is also the LM head's weight. */
  get lmHeadWeight(): Tensor {
    return this.transformer.wte.weight;
  }

  /**
   * Logits (B, T, vocabSize) for int32 token ids `idx` (B, T).
   *
   * @example
   * ```ts
   * const logits = model.forward(idx); // (B, T, V)
   * const loss = crossEntropy(logits.reshape([-1, V]), targets.reshape([-1]));
   * ```
   */
  override forward(idx: Tensor, options: ForwardOptions = {}): Tensor {
    return this.logits(this.forwardHidden(idx, options));
  }

  /**
   * The LM head: hidden states (…, C) → logits (…, vocabSize), h·wteᵀ.
   *
   * @example
   * ```ts
   * const last = model.logits(hidden.narrow(1, T - 1, 1)); // only the last position's logits
   * ```
   */
  logits(hidden: Tensor): Tensor {
    return linear(hidden, this.transformer.wte.weight);
  }

  /**
   * The final hidden states (B, T, C) after `ln_f`: what the LM head and scalar heads read.
   *
   * @example
   * ```ts
   * const hidden = model.forwardHidden(idx, { attentionMask }); // (B, T, C)
   * const values = valueHead.forward(hidden); // (B, T)
   * ```
   */
  forwardHidden(idx: Tensor, options: ForwardOptions = {}): Tensor {
    if (idx.ndim !== 2 || idx.dtype !== 'int32') throw new RangeError(`GPT.forward: idx must be (B, T) int32, got shape [${idx.shape.join(', ')}] ${idx.dtype}`);
    const [B, T] = idx.shape;
    const cache = options.cache ?? null;
    const past = cache ? cache.length : 0;
    if (past + T > this.config.blockSize) {
      throw new RangeError(`GPT.forward: sequence length ${past + T} (cached ${past} + new ${T}) exceeds blockSize ${this.config.blockSize}`);
    }
    const body = this.transformer;
    const positions = options.positionIds ?? this.defaultPositions(past, T);
    const tok = body.wte.forward(idx); // (B, T, C)
    const pos = body.wpe.forward(positions); // (T, C) or (B, T, C)
    let x = add(tok, pos); // (B, T, C)
    if (this.config.dropout > 0 && this.training) x = body.drop.forward(x);
    const maskBias = options.attentionMask ? paddedCausalBias(options.attentionMask, B, T, past) : cache ? causalBiasTensor(T, past, body.wte.weight.backend) : null;
    x = body.h.forward(x, { maskBias, cache, layer: 0 });
    if (cache) cache.advance(T);
    return body.ln_f.forward(x);
  }

  private defaultPositions(past: number, T: number): Tensor {
    const values = new Int32Array(T);
    for (let t = 0; t < T; t++) values[t] = past + t;
    return tensor(values, { shape: [T], dtype: 'int32', backend: this.transformer.wte.weight.backend });
  }

  override extraRepr(): string {
    const c = this.config;
    return `nLayer=${c.nLayer}, nHead=${c.nHead}, nEmbd=${c.nEmbd}, blockSize=${c.blockSize}, vocabSize=${c.vocabSize}`;
  }
}

/** Largest causal mask kept at the full score shape (B, nHead, T, T): 4M floats, 16 MiB. */

/** (T, past + T): 0 where key j ≤ past + query i, −∞ after. */
function causalBiasTensor(T: number, past: number, backend: Backend): Tensor {
  const S = past + T;
  const values = new Float32Array(T * S);
  for (let i = 0; i < T; i++) for (let j = past + i + 1; j < S; j++) values[i * S + j] = -Infinity;
  return tensor(values, { shape: [T, S], backend });
}

/**
 * (B, 1, T, S) additive mask from a (B, S) key mask, built with tensor ops so it stays on the mask's
 * backend: key j is visible to query i when j ≤ past + i and it is a real token; the diagonal stays
 * visible so a padded query's softmax row is finite (its output is never used).
 */
function paddedCausalBias(attentionMask: Tensor, B: number, T: number, past: number): Tensor {
  const S = past + T;
  if (attentionMask.ndim !== 2 || attentionMask.shape[0] !== B || attentionMask.shape[1] !== S) {
    throw new RangeError(`GPT.forward: attentionMask must be (B, S) = (${B}, ${S}) (cached + new tokens), got [${attentionMask.shape.join(', ')}]`);
  }
  const backend = attentionMask.backend;
  const keys = reshape(arange(0, S, 1, { backend }), [1, S]); // (1, S)
  const queries = reshape(arange(past, S, 1, { backend }), [T, 1]); // (T, 1) absolute query positions
  const causal = le(keys, queries); // (T, S)
  const self = eq(keys, queries); // (T, S)
  const real = reshape(ne(attentionMask, 0), [B, 1, 1, S]); // (B, S) → (B, 1, 1, S)
  const visible = logicalAnd(causal, logicalOr(real, self)); // (B, 1, T, S)
  return where(visible, 0, -Infinity);
}

/**
 * Position ids for a (B, T) attention mask with left (or any) padding: each row counts its real
 * tokens from 0 (`cumsum(mask) − 1`, clamped at 0 on the padding before the first token), so a
 * left-padded row computes what it would unpadded. Pass it as `positionIds` with the same mask.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const model = new GPT(gptConfig('test'));
 * positionIdsFromMask(tensor([[0, 0, 1, 1], [1, 1, 1, 1]])); // int32 [[0, 0, 0, 1], [0, 1, 2, 3]]
 * const idx = tensor([[0, 0, 5, 6], [1, 2, 3, 4]], { dtype: 'int32' });
 * const mask = tensor([[0, 0, 1, 1], [1, 1, 1, 1]], { dtype: 'int32' });
 * const hidden = model.forwardHidden(idx, { attentionMask: mask, positionIds: positionIdsFromMask(mask) });
 * ```
 */
export function positionIdsFromMask(attentionMask: Tensor): Tensor {
  if (attentionMask.ndim !== 2) throw new RangeError(`positionIdsFromMask: attentionMask must be (B, T), got [${attentionMask.shape.join(', ')}]`);
  const counted = sub(cumsum(toDtype(ne(attentionMask, 0), 'int32'), 1), 1); // (B, T)
  return maximum(counted, 0);
}
