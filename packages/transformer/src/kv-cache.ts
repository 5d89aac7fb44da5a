// The key/value cache of incremental decoding: each layer's keys and values of every position seen
// so far, so a generation step runs the model on the new token only (O(T) per step instead of
// O(T²) for a full forward).

import { cat, keep, type Tensor } from '@attune/tensor';

/**
 * Past keys and values of every layer, (B, nHead, S, headSize) each. The model appends to it during
 * `forward(idx, { cache })`; tensors it holds are kept out of `tidy` scopes and freed by `dispose()`
 * (or when replaced by a longer one).
 *
 * @example
 * ```ts
 * import { noGrad, tensor, tidy } from '@attune/tensor';
 * const model = new GPT(gptConfig('test'));
 * const prompt = tensor([[1, 2, 3]], { dtype: 'int32' });
 * const nextToken = tensor([[4]], { dtype: 'int32' });
 * const cache = new KVCache(model.config.nLayer);
 * noGrad(() => tidy(() => model.forward(prompt, { cache })));   // prefill: cache.length = T
 * noGrad(() => tidy(() => model.forward(nextToken, { cache }))); // one step: cache.length = T + 1
 * cache.dispose();
 * ```
 */
export class KVCache {
  /** Number of positions cached (S). */
  length = 0;
  private readonly keys: (Tensor | null)[];
  private readonly values: (Tensor | null)[];

  constructor(readonly nLayer: number) {
    this.keys = new Array<Tensor | null>(nLayer).fill(null);
    this.values = new Array<Tensor | null>(nLayer).fill(null);
  }

  /**
   * Appends one layer's new keys and values (B, nHead, T, headSize) and returns the full ones
   * (B, nHead, S + T, headSize). Called by the attention layer.
   *
   * @example
   * ```ts
   * const [k, v] = cache.append(layer, kNew, vNew);
   * ```
   */
  append(layer: number, k: Tensor, v: Tensor): [Tensor, Tensor] {
    if (!(layer >= 0 && layer < this.nLayer)) throw new RangeError(`KVCache.append: layer ${layer} out of range [0, ${this.nLayer})`);
    const pastK = this.keys[layer];
    const pastV = this.values[layer];
    const fullK = keep(pastK ? cat([pastK, k], 2) : k); // (B, nh, S + T, hs)
    const fullV = keep(pastV ? cat([pastV, v], 2) : v); // (B, nh, S + T, hs)
    pastK?.dispose();
    pastV?.dispose();
    this.keys[layer] = fullK;
    this.values[layer] = fullV;
    return [fullK, fullV];
  }

  /**
   * Records that `count` positions were appended to every layer (called once per forward).
   *
   * @example
   * ```ts
   * cache.advance(T);
   * ```
   */
  advance(count: number): void {
    this.length += count;
  }

  /**
   * Frees every cached tensor and empties the cache.
   *
   * @example
   * ```ts
   * cache.dispose();
   * ```
   */
  dispose(): void {
    for (let i = 0; i < this.nLayer; i++) {
      this.keys[i]?.dispose();
      this.values[i]?.dispose();
      this.keys[i] = null;
      this.values[i] = null;
    }
    this.length = 0;
  }
}
