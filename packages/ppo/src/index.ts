/**
 * @attune/ppo — Proximal Policy Optimization (Schulman et al. 2017) with CleanRL's implementation
 * details, and its loss pieces on their own for reuse by other trainers (the RLHF PPO trainer):
 * clipped surrogate, clipped value loss, entropy bonus, advantage normalisation, k1/k2/k3 KL
 * estimators and fixed/adaptive KL controllers (Ziegler et al. 2019). GAE lives in
 * `@attune/policy-gradient` (`computeGae`). This file is the package's only public entry.
 */
export {
  maskedMean,
  normalizeAdvantages,
  clippedSurrogateLoss,
  valueLoss,
  entropyBonus,
  clipFraction,
  type SurrogateLoss,
} from './losses.js';
/** Re-exported from `@attune/policy-gradient`, where the critic's regression targets are computed. */
export { computeGae, explainedVariance } from '@attune/policy-gradient';
export {
  klK1,
  klK2,
  klK3,
  klEstimate,
  approxKlDivergence,
  FixedKlController,
  AdaptiveKlController,
  type KlEstimator,
  type KlController,
} from './kl.js';
export { ppoDefaults, ppoContinuousDefaults, ppoPendulumPreset, resolvePPOConfig, type PPOConfig, type ResolvedPPOConfig } from './config.js';
export { trainPPO } from './ppo.js';
