/**
 * The PPO-for-language-models config: TRL's `PPOConfig` (v0.11, `ppo_config.py`) as a typed object.
 * Every implementation detail of Ziegler et al. 2019, Stiennon et al. 2020, Ouyang et al. 2022 and
 * the "N implementation details of RLHF with PPO" (Huang et al. 2022 ICLR blog track; Huang et al.
 * 2024 "The N+ Implementation Details of RLHF with PPO", TL;DR case study) is a named field here,
 * with its source. `resolvePPOLMConfig` fills the defaults and validates every field by name.
 */
import type { KlEstimator } from '@attune/ppo';

/**
 * Hyperparameters of {@link PPOTrainer} and {@link trainPPOLM}.
 *
 * @example
 * ```ts
 * import { ByteTokenizer } from '@attune/transformer';
 * const tokenizer = new ByteTokenizer({ eos: true });
 * const config: Partial<PPOLMConfig> = { eosTokenId: tokenizer.eosTokenId, maxNewTokens: 24, initKlCoef: 0.15 };
 * ```
 */
export interface PPOLMConfig {
  /** Seed of the trainer's Generator: response sampling and minibatch shuffling. */
  seed: number;
  /** N, tokens generated per prompt at most (the response length). */
  maxNewTokens: number;
  /** Sampling temperature; the log-probs of the ratio and the KL use the same one (TRL; Huang et al. 2024 detail "temperature"). */
  temperature: number;
  /** A response ends after this token; null never stops early (then every response "misses EOS"). */
  eosTokenId: number | null;
  /** Rows per forward pass when computing the rollout's log-probs and values (TRL `local_rollout_forward_batch_size`); null: the whole batch at once. Bounds the (rows, N, vocab) logits. */
  rolloutForwardBatchSize: number | null;
  /** PPO epochs per rollout batch (TRL `ppo_epochs` 4; Stiennon et al. 2020 App. B). */
  ppoEpochs: number;
  /** Sequences per optimizer step; must divide the batch (TRL `mini_batch_size`). */
  miniBatchSize: number;
  /** Micro-batches a minibatch is split into, gradients summed before the step (TRL `gradient_accumulation_steps`). */
  gradientAccumulationSteps: number;
  /** γ of GAE: 1, the bandit episode is one response (TRL `gamma`; Ziegler et al. 2019). */
  gamma: number;
  /** λ of GAE (Schulman et al. 2016 eq. 16; TRL `lam` 0.95). */
  lam: number;
  /** ε of the clipped surrogate (Schulman et al. 2017 eq. 7; TRL `cliprange` 0.2). */
  cliprange: number;
  /** ε of the clipped value loss around the rollout values (TRL `cliprange_value` 0.2). */
  cliprangeValue: number;
  /** Weight of the value loss in the summed loss (TRL `vf_coef` 0.1). */
  vfCoef: number;
  /** Weight of the entropy bonus (0: off, as TRL). */
  entropyCoef: number;
  /** Global gradient-norm clip per model; null disables (1.0, as TRL's PPOv2 `max_grad_norm`). */
  maxGradNorm: number | null;
  /** AdamW learning rate of the policy (TRL 1.41e-5, tuned for GPT-2 124M; tiny models want ~1e-3). */
  lr: number;
  /** AdamW learning rate of the value model; null uses `lr`. */
  valueLr: number | null;
  /** Adam's ε: 1e-5 as OpenAI's lm-human-preferences (TensorFlow) rather than PyTorch's 1e-8 (Huang et al. 2022, "Adam epsilon"). */
  adamEps: number;
  /** AdamW's decoupled weight decay (0: TRL uses plain Adam). */
  weightDecay: number;
  /** Estimator of the per-token KL(π ‖ π_ref) in the reward: 'k1' log π − log π_ref (TRL `kl_penalty: "kl"`, the default) or 'k3' (low variance, ≥ 0; Schulman 2020). */
  klEstimator: KlEstimator;
  /** Adapt β towards `target` (Ziegler et al. 2019 §2.2 eq. 2; TRL `adap_kl_ctrl` true); false keeps β = `initKlCoef`. */
  adaptiveKl: boolean;
  /** Initial β (Ziegler et al. 2019 and TRL: 0.2; the InstructGPT-style recipe of the issue uses 0.15). */
  initKlCoef: number;
  /** KL per sequence the adaptive controller steers to (Ziegler et al. 2019 §2.2: 6 nats; TRL `target` 6). */
  target: number;
  /** Sequences over which the adaptive controller corrects a proportional error of 1 (Ziegler et al. 2019: K_β = 0.1 per batch; TRL `horizon` 10000). */
  horizon: number;
  /** Clip the score into [−scoreClip, scoreClip] before it is added; null disables (TRL `score_clip`). */
  scoreClip: number | null;
  /** Score of a response that ends without EOS (Huang et al. 2024, "EOS trick": −1); null disables. */
  missingEosPenalty: number | null;
  /** 'replace': the score becomes `missingEosPenalty` (Huang et al. 2024); 'add': it is added to the score (TRL PPOv2 subtracts a penalty). */
  missingEosMode: 'replace' | 'add';
  /** Scale the per-token rewards by their std over valid tokens, without shifting the mean (TRL `whiten_rewards`, default false). */
  whitenRewards: boolean;
  /** Whiten advantages over the valid tokens of the whole batch (TRL `masked_whiten` in `compute_advantages`; Huang et al. 2022). */
  whitenAdvantages: boolean;
  /** Stop the epochs of an update once an epoch's mean approx-KL (k3) between the new and rollout policy exceeds 1.5 · targetKl; null disables (TRL `early_stopping`/`target_kl`). */
  targetKl: number | null;
  /** Run policy and value model without dropout in rollouts and updates (Huang et al. 2022, "disable dropout"; TRL). */
  disableDropout: boolean;
}

/**
 * The defaults: TRL v0.11's `PPOConfig` where it has the field, the cited paper otherwise.
 *
 * @example
 * ```ts
 * const config = { ...ppoLmDefaults, lr: 1e-3, eosTokenId: 0 };
 * ```
 */
export const ppoLmDefaults: Readonly<PPOLMConfig> = Object.freeze({
  seed: 0,
  maxNewTokens: 32,
  temperature: 1,
  eosTokenId: null,
  rolloutForwardBatchSize: 64,
  ppoEpochs: 4,
  miniBatchSize: 16,
  gradientAccumulationSteps: 1,
  gamma: 1,
  lam: 0.95,
  cliprange: 0.2,
  cliprangeValue: 0.2,
  vfCoef: 0.1,
  entropyCoef: 0,
  maxGradNorm: 1,
  lr: 1.41e-5,
  valueLr: null,
  adamEps: 1e-5,
  weightDecay: 0,
  klEstimator: 'k1',
  adaptiveKl: true,
  initKlCoef: 0.2,
  target: 6,
  horizon: 10_000,
  scoreClip: null,
  missingEosPenalty: null,
  missingEosMode: 'replace',
  whitenRewards: false,
  whitenAdvantages: true,
  targetKl: null,
  disableDropout: true,
} satisfies PPOLMConfig);

const NAME = 'PPOLMConfig';

function checkNumber(field: string, value: unknown, min: number, max: number, minExclusive = false): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && (minExclusive ? value > min : value >= min) && value <= max;
  if (!ok) throw new RangeError(`${NAME}.${field} must be a number in ${minExclusive ? '(' : '['}${min}, ${max}], got ${describe(value)}`);
}

function checkInteger(field: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new RangeError(`${NAME}.${field} must be an integer ≥ ${min}, got ${describe(value)}`);
}

function checkBoolean(field: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new TypeError(`${NAME}.${field} must be true or false, got ${describe(value)}`);
}

function checkChoice(field: string, value: unknown, choices: readonly string[]): void {
  if (typeof value !== 'string' || !choices.includes(value)) throw new RangeError(`${NAME}.${field} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describe(value)}`);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

/**
 * Fills the defaults of `config` and validates every field; errors name the field, the expected
 * and the actual value. Unknown fields are errors too (a typo would otherwise be ignored).
 *
 * @example
 * ```ts
 * resolvePPOLMConfig({ lam: 0.95, cliprange: 0.1 });
 * try {
 *   resolvePPOLMConfig({ cliprange: -1 });
 * } catch (error) {
 *   console.log((error as Error).message); // PPOLMConfig.cliprange must be a number in (0, 10], got -1
 * }
 * ```
 */
export function resolvePPOLMConfig(config: Partial<PPOLMConfig> = {}): PPOLMConfig {
  if (config === null || typeof config !== 'object') throw new TypeError(`${NAME} must be an object, got ${describe(config)}`);
  for (const key of Object.keys(config)) {
    if (!(key in ppoLmDefaults)) throw new TypeError(`${NAME} has no field '${key}'; known fields: ${Object.keys(ppoLmDefaults).join(', ')}`);
  }
  const c: PPOLMConfig = { ...ppoLmDefaults };
  for (const [key, value] of Object.entries(config)) if (value !== undefined) (c as unknown as Record<string, unknown>)[key] = value;

  checkInteger('seed', c.seed, 0);
  checkInteger('maxNewTokens', c.maxNewTokens, 1);
  checkNumber('temperature', c.temperature, 0, 100, true);
  if (c.eosTokenId !== null) checkInteger('eosTokenId', c.eosTokenId, 0);
  if (c.rolloutForwardBatchSize !== null) checkInteger('rolloutForwardBatchSize', c.rolloutForwardBatchSize, 1);
  checkInteger('ppoEpochs', c.ppoEpochs, 1);
  checkInteger('miniBatchSize', c.miniBatchSize, 1);
  checkInteger('gradientAccumulationSteps', c.gradientAccumulationSteps, 1);
  if (c.miniBatchSize % c.gradientAccumulationSteps !== 0) {
    throw new RangeError(`${NAME}.gradientAccumulationSteps (${c.gradientAccumulationSteps}) must divide miniBatchSize (${c.miniBatchSize})`);
  }
  checkNumber('gamma', c.gamma, 0, 1);
  checkNumber('lam', c.lam, 0, 1);
  checkNumber('cliprange', c.cliprange, 0, 10, true);
  checkNumber('cliprangeValue', c.cliprangeValue, 0, Number.MAX_VALUE, true);
  checkNumber('vfCoef', c.vfCoef, 0, 1e6);
  checkNumber('entropyCoef', c.entropyCoef, 0, 1e6);
  if (c.maxGradNorm !== null) checkNumber('maxGradNorm', c.maxGradNorm, 0, Number.MAX_VALUE, true);
  checkNumber('lr', c.lr, 0, 1);
  if (c.valueLr !== null) checkNumber('valueLr', c.valueLr, 0, 1);
  checkNumber('adamEps', c.adamEps, 0, 1, true);
  checkNumber('weightDecay', c.weightDecay, 0, 1);
  checkChoice('klEstimator', c.klEstimator, ['k1', 'k2', 'k3']);
  checkBoolean('adaptiveKl', c.adaptiveKl);
  checkNumber('initKlCoef', c.initKlCoef, 0, 1e6);
  if (c.adaptiveKl && c.initKlCoef === 0) throw new RangeError(`${NAME}.initKlCoef must be > 0 when adaptiveKl is true (β = 0 would never grow), got 0`);
  checkNumber('target', c.target, 0, Number.MAX_VALUE, true);
  checkNumber('horizon', c.horizon, 0, Number.MAX_VALUE, true);
  if (c.scoreClip !== null) checkNumber('scoreClip', c.scoreClip, 0, Number.MAX_VALUE, true);
  if (c.missingEosPenalty !== null) {
    checkNumber('missingEosPenalty', c.missingEosPenalty, -Number.MAX_VALUE, Number.MAX_VALUE);
    if (c.eosTokenId === null) throw new RangeError(`${NAME}.missingEosPenalty needs eosTokenId (every response would miss EOS), got eosTokenId null`);
  }
  checkChoice('missingEosMode', c.missingEosMode, ['replace', 'add']);
  checkBoolean('whitenRewards', c.whitenRewards);
  checkBoolean('whitenAdvantages', c.whitenAdvantages);
  if (c.targetKl !== null) checkNumber('targetKl', c.targetKl, 0, Number.MAX_VALUE, true);
  checkBoolean('disableDropout', c.disableDropout);
  return c;
}
