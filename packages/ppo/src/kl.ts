/**
 * KL divergence estimators from samples, and the KL-penalty coefficient controllers of Ziegler
 * et al. 2019 ("Fine-Tuning Language Models from Human Preferences", §2.2).
 *
 * The estimators follow John Schulman's note "Approximating KL Divergence" (2020): to estimate
 * KL(q ‖ p) from x ~ q, let logRatio = log p(x) − log q(x) (so r = p/q). Then
 *   k1 = −logRatio                 (unbiased, high variance, can be negative),
 *   k2 = ½ · logRatio²             (biased, low variance),
 *   k3 = (r − 1) − logRatio        (unbiased, low variance, always ≥ 0).
 * In PPO the samples come from the old policy and logRatio = log π_θ − log π_old, so k1 is
 * CleanRL's `old_approx_kl` and k3 its `approx_kl`, both estimating KL(π_old ‖ π_θ). In RLHF the
 * samples come from the policy and logRatio = log π_ref − log π, estimating KL(π ‖ π_ref).
 */
import { noGrad, tidy, type Tensor } from '@attune/tensor';
import { maskedMean } from './losses.js';

/**
 * Which estimator: `'k1'`, `'k2'` or `'k3'` (see the module docs).
 *
 * @example
 * ```ts
 * const estimator: KlEstimator = 'k3';
 * ```
 */
export type KlEstimator = 'k1' | 'k2' | 'k3';

/**
 * k1 = −logRatio per element, with logRatio = log p(x) − log q(x) and x ~ q.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const oldLogProbs = tensor([-0.7, -0.6]);
 * const newLogProbs = tensor([-0.6, -0.65]);
 * klK1(newLogProbs.sub(oldLogProbs)).mean(); // CleanRL's old_approx_kl
 * ```
 */
export function klK1(logRatio: Tensor): Tensor {
  return logRatio.neg();
}

/**
 * k2 = ½ · logRatio² per element.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const logRatio = tensor([0.1, -0.05]);
 * klK2(logRatio).mean();
 * ```
 */
export function klK2(logRatio: Tensor): Tensor {
  return logRatio.square().mul(0.5);
}

/**
 * k3 = (exp(logRatio) − 1) − logRatio per element; never negative.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const oldLogProbs = tensor([-0.7, -0.6]);
 * const newLogProbs = tensor([-0.6, -0.65]);
 * klK3(newLogProbs.sub(oldLogProbs)).mean(); // CleanRL's approx_kl
 * ```
 */
export function klK3(logRatio: Tensor): Tensor {
  return logRatio.expm1().sub(logRatio);
}

/**
 * The per-element estimate of the chosen estimator.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const logProbs = tensor([[-1.2, -0.8]]);    // policy, [B, T]
 * const refLogProbs = tensor([[-1.0, -0.9]]); // reference (SFT) model
 * const perToken = klEstimate(refLogProbs.sub(logProbs), 'k1'); // RLHF's per-token KL penalty
 * ```
 */
export function klEstimate(logRatio: Tensor, estimator: KlEstimator = 'k3'): Tensor {
  switch (estimator) {
    case 'k1':
      return klK1(logRatio);
    case 'k2':
      return klK2(logRatio);
    case 'k3':
      return klK3(logRatio);
    default:
      throw new RangeError(`klEstimate: estimator must be 'k1', 'k2' or 'k3', got ${String(estimator)}`);
  }
}

/**
 * The mean estimate (over the masked elements) as a number, without recording gradients: the
 * `losses/approx_kl` diagnostic and the target-KL early-stopping test (detail 12 of the 37).
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const logRatio = tensor([0.1, -0.05, 0.02]); // new − old log-probs of the sampled actions
 * const approxKl = approxKlDivergence(logRatio);            // k3
 * const oldApproxKl = approxKlDivergence(logRatio, 'k1');
 * ```
 */
export function approxKlDivergence(logRatio: Tensor, estimator: KlEstimator = 'k3', mask?: Tensor): number {
  return tidy(() => noGrad(() => maskedMean(klEstimate(logRatio, estimator), mask).itemSync()));
}

/**
 * A KL-penalty coefficient β that a trainer reads before each rollout and updates after it.
 *
 * @example
 * ```ts
 * const controller: KlController = new AdaptiveKlController({ initKlCoef: 0.2, target: 6, horizon: 10_000 });
 * const score = 1.5;    // reward-model score of a response
 * const kl = 2.0;       // its KL to the reference policy
 * const reward = score - controller.value * kl;
 * const meanKl = 4.0;   // mean KL of the batch
 * const batchSize = 64;
 * controller.update(meanKl, batchSize);
 * ```
 */
export interface KlController {
  /** The current coefficient β. */
  readonly value: number;
  /** Updates β from the KL measured over the last `numSteps` samples. */
  update(currentKl: number, numSteps: number): void;
  /** The state to checkpoint. */
  stateDict(): { value: number };
  /** Restores a checkpointed state. */
  loadStateDict(state: { value: number }): void;
}

/**
 * A constant β (Ziegler et al. 2019 use a fixed β for most of their experiments).
 *
 * @example
 * ```ts
 * const controller = new FixedKlController(0.2);
 * controller.update(10, 512);
 * controller.value; // 0.2
 * ```
 */
export class FixedKlController implements KlController {
  value: number;

  constructor(klCoef: number) {
    if (!(Number.isFinite(klCoef) && klCoef >= 0)) throw new RangeError(`FixedKlController: klCoef must be a finite number ≥ 0, got ${klCoef}`);
    this.value = klCoef;
  }

  update(_currentKl: number, _numSteps: number): void {}

  stateDict(): { value: number } {
    return { value: this.value };
  }

  loadStateDict(state: { value: number }): void {
    this.value = state.value;
  }
}

/**
 * Ziegler et al. 2019's adaptive β (§2.2, eq. 2), steering the measured KL towards `target`:
 *   e_t = clip(KL_t / target − 1, −0.2, 0.2),   β ← β · (1 + K_β · e_t),
 * with K_β = numSteps / horizon (the paper's K_β = 0.1 per batch; TRL's `AdaptiveKLController`).
 *
 * @example
 * ```ts
 * const controller = new AdaptiveKlController({ initKlCoef: 0.2, target: 6, horizon: 10_000 });
 * controller.update(12, 512); // KL twice the target → β grows by 1 + 0.2 · 512 / 10000
 * ```
 */
export class AdaptiveKlController implements KlController {
  value: number;
  /** The KL the controller steers towards. */
  readonly target: number;
  /** Steps over which a proportional error of 1 would be corrected. */
  readonly horizon: number;

  constructor(options: { initKlCoef: number; target: number; horizon: number }) {
    const { initKlCoef, target, horizon } = options;
    if (!(Number.isFinite(initKlCoef) && initKlCoef > 0)) throw new RangeError(`AdaptiveKlController: initKlCoef must be a finite number > 0, got ${initKlCoef}`);
    if (!(Number.isFinite(target) && target > 0)) throw new RangeError(`AdaptiveKlController: target must be a finite number > 0, got ${target}`);
    if (!(Number.isFinite(horizon) && horizon > 0)) throw new RangeError(`AdaptiveKlController: horizon must be a finite number > 0, got ${horizon}`);
    this.value = initKlCoef;
    this.target = target;
    this.horizon = horizon;
  }

  update(currentKl: number, numSteps: number): void {
    const proportionalError = Math.min(Math.max(currentKl / this.target - 1, -0.2), 0.2);
    const multiplier = 1 + (proportionalError * numSteps) / this.horizon;
    this.value *= multiplier;
  }

  stateDict(): { value: number } {
    return { value: this.value };
  }

  loadStateDict(state: { value: number }): void {
    this.value = state.value;
  }
}
