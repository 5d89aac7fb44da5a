/**
 * The pieces of PPO's loss, each on its own so that other trainers (the RLHF PPO trainer, which
 * works per token with a mask) reuse them unchanged: the clipped surrogate objective, the
 * clipped value loss, the entropy bonus, advantage normalisation, and the diagnostics CleanRL logs
 * (clip fraction, explained variance). Every function takes an optional `mask` (1 = counts) and
 * then averages over the masked elements only; without one it averages over all elements.
 *
 * Reference: Schulman et al. 2017, "Proximal Policy Optimization Algorithms", eq. 7 (L^CLIP)
 * and eq. 9 (L^CLIP+VF+S); Huang et al. 2022, "The 37 Implementation Details of PPO".
 */
import { noGrad, tidy, type Tensor } from '@attune/tensor';

/**
 * Mean of `values`, or of the elements where `mask` is 1 (Σ mask · x / Σ mask).
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * maskedMean(tensor([1, 2, 3, 4]), tensor([1, 1, 0, 0])); // 1.5
 * ```
 */
export function maskedMean(values: Tensor, mask?: Tensor): Tensor {
  if (mask === undefined) return values.mean();
  return values.mul(mask).sum().div(mask.sum());
}

/**
 * Normalises advantages to zero mean and unit standard deviation (over the masked elements),
 * `(A − mean) / (std + eps)` with Bessel's correction as `torch.std` — CleanRL's `norm_adv`,
 * applied per minibatch (detail 7 of the 37).
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const minibatchAdvantages = tensor([0.5, 2, -1, 0.1]);
 * const normalized = normalizeAdvantages(minibatchAdvantages); // mean 0, std ≈ 1
 * ```
 */
export function normalizeAdvantages(advantages: Tensor, options: { eps?: number; mask?: Tensor } = {}): Tensor {
  const eps = options.eps ?? 1e-8;
  const { mask } = options;
  if (mask === undefined) return advantages.sub(advantages.mean()).div(advantages.std().add(eps));
  const count = mask.sum();
  const mean = advantages.mul(mask).sum().div(count);
  const centered = advantages.sub(mean);
  const variance = centered.square().mul(mask).sum().div(count.sub(1)); // Bessel's correction
  return centered.div(variance.sqrt().add(eps)).mul(mask);
}

/**
 * What {@link clippedSurrogateLoss} returns.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const logRatio = tensor([0.1, -0.3]);
 * const advantages = tensor([1, 1]);
 * const { loss, ratio }: SurrogateLoss = clippedSurrogateLoss({ logRatio, advantages, clipCoef: 0.2 });
 * ```
 */
export interface SurrogateLoss {
  /** The policy loss to minimise (negated clipped objective), a scalar. */
  loss: Tensor;
  /** r_t(θ) = π_θ(a|s) / π_old(a|s), elementwise. */
  ratio: Tensor;
}

/**
 * PPO's clipped surrogate objective (eq. 7), as a loss to minimise:
 * L = mean(max(−Â·r, −Â·clip(r, 1 − ε, 1 + ε))), with r = exp(logRatio) and
 * logRatio = log π_θ(a|s) − log π_old(a|s) (detail 8 of the 37).
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const oldLogProbs = tensor([-0.7, -0.6, -0.9]);
 * const newLogProbs = tensor([-0.6, -0.65, -0.9]);
 * const advantages = tensor([1, -0.5, 0.2]);
 * const logRatio = newLogProbs.sub(oldLogProbs);
 * const { loss, ratio } = clippedSurrogateLoss({ logRatio, advantages, clipCoef: 0.2 });
 * ```
 */
export function clippedSurrogateLoss(args: { logRatio: Tensor; advantages: Tensor; clipCoef: number; mask?: Tensor }): SurrogateLoss {
  const { logRatio, advantages, clipCoef, mask } = args;
  const ratio = logRatio.exp();
  const unclipped = advantages.neg().mul(ratio);
  const clipped = advantages.neg().mul(ratio.clamp(1 - clipCoef, 1 + clipCoef));
  return { loss: maskedMean(unclipped.maximum(clipped), mask), ratio };
}

/**
 * The value loss ½ · mean((V − R)²), or with value clipping (detail 9 of the 37; PPO2's
 * `cliprange_vf`) ½ · mean(max((V − R)², (V_old + clip(V − V_old, −ε, ε) − R)²)).
 * Pass `clipCoef: null` (or omit `oldValues`) for the unclipped loss.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const newValues = tensor([1.2, 0.4]);
 * const oldValues = tensor([1.0, 0.5]);
 * const returns = tensor([1.5, 0.0]);
 * const vLoss = valueLoss({ values: newValues, returns, oldValues, clipCoef: 0.2 });
 * ```
 */
export function valueLoss(args: { values: Tensor; returns: Tensor; oldValues?: Tensor; clipCoef?: number | null; mask?: Tensor }): Tensor {
  const { values, returns, oldValues, mask } = args;
  const clipCoef = args.clipCoef ?? null;
  const unclipped = values.sub(returns).square();
  if (clipCoef === null || oldValues === undefined) return maskedMean(unclipped, mask).mul(0.5);
  const clippedValues = oldValues.add(values.sub(oldValues).clamp(-clipCoef, clipCoef));
  const clipped = clippedValues.sub(returns).square();
  return maskedMean(unclipped.maximum(clipped), mask).mul(0.5);
}

/**
 * The entropy bonus: the mean entropy of the policy (detail 10 of the 37); the total loss
 * subtracts `entropyCoef` times it.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const policyLoss = tensor(0.1);
 * const vLoss = tensor(0.4);
 * const entropy = tensor([0.69, 0.5]); // per-sample entropy of the policy
 * const loss = policyLoss.sub(entropyBonus(entropy).mul(0.01)).add(vLoss.mul(0.5));
 * ```
 */
export function entropyBonus(entropy: Tensor, mask?: Tensor): Tensor {
  return maskedMean(entropy, mask);
}

/**
 * The fraction of elements whose ratio left [1 − ε, 1 + ε] (CleanRL's `clipfrac`), a number.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const ratio = tensor([0.7, 1.0, 1.1, 1.3]);
 * clipFraction(ratio, 0.2); // 0.5
 * ```
 */
export function clipFraction(ratio: Tensor, clipCoef: number, mask?: Tensor): number {
  return tidy(() => noGrad(() => maskedMean(ratio.sub(1).abs().gt(clipCoef).float(), mask).itemSync()));
}
