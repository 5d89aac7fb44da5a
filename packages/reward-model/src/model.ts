// The reward model: GPT-2's trunk (`transformer.*`, the same modules and names as `GPT`) with the LM
// head replaced by a scalar head `score`, read at the last real token of prompt + response
// (Ziegler et al. 2019; Stiennon et al. 2020; Ouyang et al. 2022 §3.5). The trunk loads from an SFT
// `GPT` or checkpoint name for name; the head starts at N(0, 1/(C + 1)) as in OpenAI's
// lm-human-preferences and Huang et al. 2024 ("The N+ implementation details of RLHF with PPO").

import { full, type Backend, type Generator, type Tensor } from '@attune/tensor';
import { Module } from '@attune/nn';
import { GPT, GPT2Body, ScalarHead, lastTokenIndices, positionIdsFromMask, validateConfig, type GPTConfig } from '@attune/transformer';

/**
 * Options of the `RewardModel` constructor and `RewardModel.fromGPT`.
 *
 * @example
 * ```ts
 * import { Generator } from '@attune/tensor';
 * import { gptConfig } from '@attune/transformer';
 * const options: RewardModelOptions = { generator: new Generator(0), headStd: 0.02 };
 * new RewardModel(gptConfig('test'), options);
 * ```
 */
export interface RewardModelOptions {
  /** Generator for the initial weights (trunk and head); defaults to the global one. */
  generator?: Generator;
  /** Backend for the parameters; defaults to the active backend. */
  backend?: Backend;
  /** Std of the head's normal init; default 1/√(nEmbd + 1) (lm-human-preferences' `reward_head`; Huang et al. 2024). */
  headStd?: number;
}

/**
 * Options of `RewardModel.forward` and `RewardModel.forwardAll`.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * import { gptConfig } from '@attune/transformer';
 * const rm = new RewardModel(gptConfig('test'));
 * const mask = tensor([[1, 1, 1, 0]], { dtype: 'int32' });
 * const options: RewardForwardOptions = { attentionMask: mask }; // positions from the mask
 * rm.forward(tensor([[5, 6, 7, 0]], { dtype: 'int32' }), options);
 * ```
 */
export interface RewardForwardOptions {
  /** (B, T) 1 for real tokens, 0 for padding (left, right or both). */
  attentionMask?: Tensor | null;
  /** (B, T) int32 positions; default `positionIdsFromMask(attentionMask)` when a mask is given, else 0…T−1. */
  positionIds?: Tensor | null;
}

/**
 * A GPT-2 reward model: `transformer` (a `GPT2Body`, so a GPT's `transformer.*` state dict loads
 * into it) and `score` (a `ScalarHead`, keys `score.weight` (1, C) and `score.bias` (1)).
 * `forward()` returns the normalised reward `gain·raw + bias` at each row's last real token;
 * `forwardAll()` returns the raw score at every position (what a PPO value function reads).
 *
 * @example
 * ```ts
 * import { Generator, tensor } from '@attune/tensor';
 * import { GPT, gptConfig } from '@attune/transformer';
 * const sftModel = new GPT(gptConfig('test'), { generator: new Generator(0) });
 * const rm = RewardModel.fromGPT(sftModel, { generator: new Generator(0) });
 * const idx = tensor([[5, 6, 7, 0], [5, 6, 7, 8]], { dtype: 'int32' });
 * const mask = tensor([[1, 1, 1, 0], [1, 1, 1, 1]], { dtype: 'int32' });
 * const rewards = rm.forward(idx, { attentionMask: mask }); // (2): scores at positions 2 and 3
 * ```
 */
export class RewardModel extends Module<[Tensor, RewardForwardOptions?], Tensor> {
  readonly config: Readonly<GPTConfig>;
  readonly transformer: GPT2Body;
  readonly score: ScalarHead;
  /**
   * Gain of the reward normalisation r = gain·raw + bias, set so that the SFT policy's rewards have
   * mean 0 and std 1 (Stiennon et al. 2020, App. C; Ziegler et al. 2019 §2.2). Saved with the model.
   */
  gain = 1;
  /** Bias of the reward normalisation (see `gain`). */
  bias = 0;
  /**
   * A `GPT` sharing `transformer` (its LM head is tied to `wte`, so it holds no other parameter): its
   * `forwardHidden` is the trunk's forward, padding masks included. Not registered, so it adds no key.
   */
  readonly #trunk: GPT;

  constructor(config: GPTConfig, options: RewardModelOptions = {}) {
    super();
    validateConfig(config);
    const { generator, backend } = options;
    const headStd = options.headStd ?? 1 / Math.sqrt(config.nEmbd + 1);
    if (!(typeof headStd === 'number' && Number.isFinite(headStd) && headStd >= 0)) {
      throw new RangeError(`RewardModel: options.headStd must be a finite number ≥ 0, got ${String(headStd)}`);
    }
    this.#trunk = new GPT(config, { generator, backend });
    this.config = this.#trunk.config;
    this.transformer = this.registerModule('transformer', this.#trunk.transformer);
    this.score = this.registerModule('score', new ScalarHead(config.nEmbd, { std: headStd, generator, backend }));
  }

  /**
   * A reward model whose trunk is a copy of `gpt`'s trunk (no tensor is shared) and whose head is
   * fresh: the usual start from the SFT model (Ouyang et al. 2022 §3.5; Stiennon et al. 2020 §3.4).
   *
   * @example
   * ```ts
   * const { model: sft } = await loadPretrained('runs/sft');
   * const rm = RewardModel.fromGPT(sft, { generator: new Generator(1) });
   * sft.dispose(); // the reward model owns copies
   * ```
   */
  static fromGPT(gpt: GPT, options: RewardModelOptions = {}): RewardModel {
    if (!(gpt instanceof GPT)) throw new TypeError(`RewardModel.fromGPT: gpt must be a GPT, got ${describe(gpt)}`);
    const backend = options.backend ?? gpt.lmHeadWeight.backend;
    const model = new RewardModel(gpt.config, { ...options, backend });
    model.transformer.loadStateDict(gpt.transformer.stateDict()); // copies every tensor
    return model;
  }

  /** The trunk run as a `GPT` (shares `transformer`); `toHuggingFaceStateDict(model.gpt)` gives HF names. @example `toHuggingFaceStateDict(rm.gpt)` */
  get gpt(): GPT {
    return this.#trunk;
  }

  /**
   * Final hidden states (B, T, C) of int32 `idx` (B, T). With an attention mask the positions
   * default to `positionIdsFromMask(mask)`, so left-padded rows compute what they would unpadded.
   *
   * @example
   * ```ts
   * const hidden = rm.forwardHidden(idx, { attentionMask }); // (B, T, C)
   * ```
   */
  forwardHidden(idx: Tensor, options: RewardForwardOptions = {}): Tensor {
    const attentionMask = options.attentionMask ?? null;
    const positionIds = options.positionIds ?? (attentionMask ? positionIdsFromMask(attentionMask) : null);
    this.#trunk.training = this.training; // the embedding dropout reads the GPT's own flag
    return this.#trunk.forwardHidden(idx, { attentionMask, positionIds });
  }

  /**
   * The raw (unnormalised) scalar at every position, (B, T): what a PPO value function initialised
   * from the reward model reads per token.
   *
   * @example
   * ```ts
   * const values = rm.forwardAll(sequences, { attentionMask }); // (B, P+N)
   * ```
   */
  forwardAll(idx: Tensor, options: RewardForwardOptions = {}): Tensor {
    return this.score.forward(this.forwardHidden(idx, options));
  }

  /**
   * The raw score (B) at each row's last real token (`lastTokenIndices(mask)`; T−1 without a mask),
   * before the gain/bias normalisation.
   *
   * @example
   * ```ts
   * const raw = rm.forwardRaw(idx, { attentionMask }); // (B)
   * ```
   */
  forwardRaw(idx: Tensor, options: RewardForwardOptions = {}): Tensor {
    const hidden = this.forwardHidden(idx, options); // (B, T, C)
    const [B, T] = idx.shape;
    const mask = options.attentionMask ?? null;
    const last = mask ? lastTokenIndices(mask) : full([B], T - 1, { dtype: 'int32', backend: idx.backend }); // (B) int32
    return this.score.forward(hidden, last); // (B)
  }

  /**
   * The normalised reward (B) at each row's last real token: gain·raw + bias.
   *
   * @example
   * ```ts
   * const rewards = rm.forward(sequences, { attentionMask }); // (B)
   * ```
   */
  override forward(idx: Tensor, options: RewardForwardOptions = {}): Tensor {
    const raw = this.forwardRaw(idx, options);
    if (this.gain === 1 && this.bias === 0) return raw;
    return raw.mul(this.gain).add(this.bias);
  }

  override extraRepr(): string {
    const c = this.config;
    return `nLayer=${c.nLayer}, nHead=${c.nHead}, nEmbd=${c.nEmbd}, blockSize=${c.blockSize}, vocabSize=${c.vocabSize}, gain=${this.gain}, bias=${this.bias}`;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  return `${typeof value} ${String(value)}`;
}
