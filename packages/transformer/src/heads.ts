// Scalar heads: one number per position from the final hidden state, for the reward model (the
// score at the last real token) and the PPO value function (a value per response token).

import { arange, argmax, gather, linear, mul, reshape, toDtype, zeros, type Backend, type Generator, type Tensor } from '@attune/tensor';
import { init, Module } from '@attune/nn';

/**
 * Options of `ScalarHead`.
 *
 * @example
 * ```ts
 * import { Generator } from '@attune/tensor';
 * const options: ScalarHeadOptions = { std: 0, generator: new Generator(0) };
 * new ScalarHead(16, options);
 * ```
 */
export interface ScalarHeadOptions {
  /** Learn a bias (default true, as TRL's value head); false matches Hugging Face's GPT2ForSequenceClassification `score`. */
  bias?: boolean;
  /** Std of the normal init of the weight (default 0.02, GPT-2's `initializer_range`); the bias starts at 0. */
  std?: number;
  /** Generator for the initial weight. */
  generator?: Generator;
  /** Backend for the parameters; defaults to the active backend. */
  backend?: Backend;
}

/**
 * A linear map from the hidden state (C) to one scalar: `weight` (1, C) and `bias` (1), the layout of
 * Hugging Face's `score` head with one label. Registered as `score` next to the model's
 * `transformer`, its keys are `score.weight` (and `score.bias`).
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const model = new GPT(gptConfig('test'));
 * const idx = tensor([[5, 6, 7, 0]], { dtype: 'int32' });
 * const attentionMask = tensor([[1, 1, 1, 0]], { dtype: 'int32' });
 * const head = new ScalarHead(model.config.nEmbd);
 * const hidden = model.forwardHidden(idx, { attentionMask }); // (B, T, C)
 * const values = head.forward(hidden); // (B, T): a value per position
 * const rewards = head.forward(hidden, lastTokenIndices(attentionMask)); // (B): at the last real token
 * ```
 */
export class ScalarHead extends Module<[Tensor, Tensor?], Tensor> {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(nEmbd: number, options: ScalarHeadOptions = {}) {
    super();
    if (!Number.isInteger(nEmbd) || nEmbd <= 0) throw new RangeError(`ScalarHead: nEmbd must be a positive integer, got ${nEmbd}`);
    const { bias = true, std = 0.02, generator, backend } = options;
    this.weight = this.registerParameter('weight', zeros([1, nEmbd], { backend }));
    this.bias = this.registerParameter('bias', bias ? zeros([1], { backend }) : null);
    init.normal_(this.weight, 0, std, generator);
  }

  /**
   * hidden (B, T, C) → scalars (B, T); with int32 `positions` (B), only the scalar at
   * `positions[b]` of each row: (B).
   */
  override forward(hidden: Tensor, positions?: Tensor): Tensor {
    if (hidden.ndim !== 3) throw new RangeError(`ScalarHead: hidden must be (B, T, C), got [${hidden.shape.join(', ')}]`);
    const [B, T] = hidden.shape;
    const all = reshape(linear(hidden, this.weight, this.bias), [B, T]); // (B, T, 1) → (B, T)
    if (!positions) return all;
    if (positions.dtype !== 'int32' || positions.ndim !== 1 || positions.shape[0] !== B) {
      throw new RangeError(`ScalarHead: positions must be (B) = (${B}) int32, got [${positions.shape.join(', ')}] ${positions.dtype}`);
    }
    return reshape(gather(all, 1, reshape(positions, [B, 1])), [B]); // (B, 1) → (B)
  }
}

/**
 * Index of the last real token of each row of a (B, T) attention mask (1 = token, 0 = padding), for
 * left or right padding: the position a reward model scores. Rows without a token give 0.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * lastTokenIndices(tensor([[0, 1, 1], [1, 1, 0]])); // int32 [2, 1]
 * ```
 */
export function lastTokenIndices(attentionMask: Tensor): Tensor {
  if (attentionMask.ndim !== 2) throw new RangeError(`lastTokenIndices: attentionMask must be (B, T), got [${attentionMask.shape.join(', ')}]`);
  const [, T] = attentionMask.shape;
  // argmax over mask·(position + 1) is the last position holding a 1 (0 for an empty row).
  const positions = arange(1, T + 1, 1, { dtype: 'float32', backend: attentionMask.backend }); // (T)
  return argmax(mul(toDtype(attentionMask, 'float32'), positions), -1); // (B)
}
