// The recipe's options: one typed object with a documented default per field (CleanRL's `Args`),
// the `--quick` budget, and the one function that merges and validates them (errors name the field).
// Defaults follow the Stiennon et al. 2020 TL;DR set-up where the paper states a number, and the
// library defaults (each with its source) otherwise.

import { rewardTrainerDefaults } from '@attune/reward-model';
import { ppoLmDefaults, sftDefaults } from '@attune/rlhf';

/**
 * The three stages, in execution order: supervised fine-tuning, reward model, PPO.
 *
 * @example
 * ```ts
 * for (const stage of STAGES) console.log(stage); // 'sft', 'rm', 'ppo'
 * ```
 */
export const STAGES = ['sft', 'rm', 'ppo'] as const;

/**
 * A stage of the recipe: supervised fine-tuning, reward model, PPO.
 *
 * @example
 * ```ts
 * const stage: StageName = 'rm';
 * ```
 */
export type StageName = (typeof STAGES)[number];

/**
 * Everything `runSummarize` takes. Paths are required; every other field has a default.
 *
 * @example
 * ```ts
 * const options: SummarizeOptions = { ...summarizeDefaults, model: 'gpt2', sft: 'tldr.jsonl', comparisons: 'comparisons.jsonl', out: 'runs/tldr' };
 * ```
 */
export interface SummarizeOptions {
  // ---- inputs and outputs
  /** Hugging Face GPT-2 directory: config.json, model.safetensors and tokenizer.json or vocab.json + merges.txt. */
  model: string;
  /** SFT JSONL: Stiennon's `{subreddit, title, post, summary}` rows or `{prompt, completion}` rows (detected from the first line). */
  sft: string;
  /** Comparisons JSONL: Stiennon's `{info: {post, title, subreddit}, summaries: [{text}, {text}], choice}` or `{prompt, chosen, rejected}`. */
  comparisons: string;
  /** Held-out comparisons JSONL for the reward model's accuracy; null: hold out `heldOutFraction` of `comparisons`. */
  evalComparisons: string | null;
  /** RL prompts JSONL (`{prompt}` or TL;DR posts); null: the SFT file's prompts. */
  prompts: string | null;
  /** Run directory: `<out>/<stage>/`, metrics.jsonl, report.md. */
  out: string;
  /** Stages to run this time, in order; a stage needs the earlier ones finished (their `done.json`). */
  stages: StageName[];
  /** 'cpu', 'webgpu' (fails without an adapter) or 'auto' (WebGPU on a hardware adapter, else the CPU). */
  backend: 'cpu' | 'webgpu' | 'auto';
  /** Seed of every draw: data splits and shuffles, the reward head, sampling. */
  seed: number;
  /** Fraction of the SFT examples (validation loss) and comparisons (reward accuracy) held out. */
  heldOutFraction: number;
  /** Dropout of every model (0: "disable dropout", Huang et al. 2022; it also makes resumes exact). */
  dropout: number;
  /** Write a resume checkpoint every this many optimizer steps in each stage (and always after the last). */
  checkpointEvery: number;
  /** Keep a finished stage's `checkpoint-*` folders (default: removed once `final/` and `done.json` exist). */
  keepCheckpoints: boolean;
  /** No progress lines on stderr. */
  quiet: boolean;

  // ---- 1. SFT (@attune/rlhf trainSFT; defaults: Llama 2's SFT recipe, Touvron et al. 2023 §3.1)
  /** Passes over the SFT examples (Llama 2 §3.1: 2). */
  sftEpochs: number;
  /** Optimizer steps; null derives them from `sftEpochs`. */
  sftMaxSteps: number | null;
  /** Packed rows of `blockSize` tokens per micro-batch. */
  sftBatchSize: number;
  /** Micro-batches per optimizer step (Llama 2: 64 sequences per step = 8 × 8). */
  sftGradientAccumulation: number;
  /** Peak learning rate, cosine to 10% (Llama 2 §3.1: 2e-5). */
  sftLr: number;

  // ---- 2. Reward model (@attune/reward-model trainRewardModel; defaults: InstructGPT App. C.2)
  /** Passes over the comparisons (Ouyang et al. 2022 App. C.2: 1; more overfit). */
  rmEpochs: number;
  /** Comparisons per optimizer step (InstructGPT App. C.2: 64). */
  rmBatchSize: number;
  /** Peak learning rate, cosine to 10% (InstructGPT App. C.2: 9e-6). */
  rmLr: number;
  /** SFT samples the reward is normalised on: mean 0, std 1 over them (Ziegler et al. 2019 §2.2; Stiennon et al. 2020 §3.4 normalise before RL). */
  normalizeSamples: number;

  // ---- 3. PPO (@attune/rlhf trainPPOLM)
  /** PPO steps (a budget to set per run: iterations × batch = episodes; Stiennon et al. ran ~1M episodes at scale). */
  ppoIterations: number;
  /** Prompts per PPO step (TRL's `batch_size` 64 at `ppo_epochs` 4). */
  ppoBatchSize: number;
  /** Sequences per optimizer step; divides `ppoBatchSize` (TRL `mini_batch_size` 16). */
  ppoMiniBatchSize: number;
  /** Passes over each rollout batch (TRL `ppo_epochs` 4). */
  ppoEpochs: number;
  /** Policy learning rate (TRL's PPO TL;DR example: 3e-6). */
  ppoLr: number;
  /** Initial KL coefficient β (Stiennon et al. 2020 use β = 0.05; here it starts the adaptive controller). */
  initKlCoef: number;
  /** KL per response the adaptive controller steers β towards (Ziegler et al. 2019 §2.2: 6 nats). */
  targetKl: number;
  /** Longest generated summary in tokens (Stiennon et al. 2020 §3.2: reference TL;DRs filtered to 24–48 tokens). */
  maxNewTokens: number;
  /** Sampling temperature of rollouts (1: the policy's own distribution, TRL). */
  temperature: number;
  /** Score of a summary that never emits EOS (Huang et al. 2024, "EOS trick": −1); null disables. */
  missingEosPenalty: number | null;
  /** Before/after summaries in the report (greedy decoding on the first prompts). */
  numSamples: number;
}

/**
 * The defaults of every field except the paths.
 *
 * @example
 * ```ts
 * const options = { ...summarizeDefaults, model: 'gpt2', sft: 'tldr.jsonl', comparisons: 'c.jsonl', out: 'runs/x', ppoLr: 1e-5 };
 * ```
 */
export const summarizeDefaults: Readonly<Omit<SummarizeOptions, 'model' | 'sft' | 'comparisons' | 'out'>> = Object.freeze({
  evalComparisons: null,
  prompts: null,
  stages: [...STAGES],
  backend: 'auto',
  seed: 1,
  heldOutFraction: 0.1,
  dropout: 0,
  checkpointEvery: 100,
  keepCheckpoints: false,
  quiet: false,

  sftEpochs: sftDefaults.numEpochs,
  sftMaxSteps: null,
  sftBatchSize: sftDefaults.batchSize,
  sftGradientAccumulation: sftDefaults.gradientAccumulationSteps,
  sftLr: sftDefaults.learningRate,

  rmEpochs: rewardTrainerDefaults.numEpochs,
  rmBatchSize: rewardTrainerDefaults.batchSize,
  rmLr: rewardTrainerDefaults.learningRate,
  normalizeSamples: 256,

  ppoIterations: 1000,
  ppoBatchSize: 64,
  ppoMiniBatchSize: ppoLmDefaults.miniBatchSize,
  ppoEpochs: ppoLmDefaults.ppoEpochs,
  ppoLr: 3e-6,
  initKlCoef: 0.05,
  targetKl: ppoLmDefaults.target,
  maxNewTokens: 48,
  temperature: ppoLmDefaults.temperature,
  missingEosPenalty: -1,
  numSamples: 4,
});

/**
 * `--quick`: a smoke-test budget (a few steps per stage, short summaries, tiny batches) and learning
 * rates a tiny model notices. Fields the caller sets explicitly still win.
 *
 * @example
 * ```ts
 * const options = resolveOptions({ ...paths, quick: true });
 * ```
 */
export const quickOverrides: Readonly<Partial<SummarizeOptions>> = Object.freeze({
  heldOutFraction: 0.25,
  checkpointEvery: 2,
  sftEpochs: 6,
  sftBatchSize: 2,
  sftGradientAccumulation: 1,
  sftLr: 3e-3,
  rmBatchSize: 4,
  rmLr: 1e-3,
  normalizeSamples: 8,
  ppoIterations: 4,
  ppoBatchSize: 4,
  ppoMiniBatchSize: 2,
  ppoEpochs: 2,
  ppoLr: 1e-3,
  maxNewTokens: 8,
  numSamples: 2,
});

/**
 * What the caller passes: the paths, `quick`, and any field to override.
 *
 * @example
 * ```ts
 * const input: SummarizeInput = { model: 'gpt2', sft: 'tldr.jsonl', comparisons: 'c.jsonl', out: 'runs/x', quick: true };
 * ```
 */
export type SummarizeInput = Pick<SummarizeOptions, 'model' | 'sft' | 'comparisons' | 'out'> & Partial<SummarizeOptions> & { quick?: boolean };

/**
 * Defaults, then the quick budget (with `quick`), then the caller's defined fields; validated, with
 * errors naming the field, the expected and the actual value.
 *
 * @example
 * ```ts
 * resolveOptions({ model: 'gpt2', sft: 's.jsonl', comparisons: 'c.jsonl', out: 'runs/x', ppoBatchSize: 30, ppoMiniBatchSize: 16 });
 * // throws: SummarizeOptions.ppoBatchSize must be a multiple of ppoMiniBatchSize (16), got 30
 * ```
 */
export function resolveOptions(input: SummarizeInput): SummarizeOptions {
  if (typeof input !== 'object' || input === null) throw new TypeError(`resolveOptions: options must be an object, got ${String(input)}`);
  const { quick, ...rest } = input;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<SummarizeOptions>;
  const known = new Set([...Object.keys(summarizeDefaults), 'model', 'sft', 'comparisons', 'out']);
  for (const key of Object.keys(defined)) if (!known.has(key)) throw new TypeError(`SummarizeOptions has no field '${key}' (fields: ${[...known].join(', ')})`);
  const options = { ...summarizeDefaults, ...(quick ? quickOverrides : {}), ...defined } as SummarizeOptions;

  const fail = (field: string, expected: string, value: unknown): never => {
    throw new RangeError(`SummarizeOptions.${field} must be ${expected}, got ${JSON.stringify(value)}`);
  };
  for (const field of ['model', 'sft', 'comparisons', 'out'] as const) if (typeof options[field] !== 'string' || options[field] === '') fail(field, 'a non-empty path', options[field]);
  for (const field of ['evalComparisons', 'prompts'] as const) if (options[field] !== null && (typeof options[field] !== 'string' || options[field] === '')) fail(field, 'null or a non-empty path', options[field]);
  if (!Array.isArray(options.stages) || options.stages.length === 0 || options.stages.some((s) => !STAGES.includes(s))) fail('stages', `a non-empty list of ${STAGES.join(', ')}`, options.stages);
  options.stages = STAGES.filter((s) => options.stages.includes(s)); // execution order, no duplicates
  if (!['cpu', 'webgpu', 'auto'].includes(options.backend)) fail('backend', "'cpu', 'webgpu' or 'auto'", options.backend);
  const integer = (field: keyof SummarizeOptions, min: number): void => {
    const value = options[field];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) fail(field, `an integer ≥ ${min}`, value);
  };
  const positive = (field: keyof SummarizeOptions): void => {
    const value = options[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(field, 'a finite number > 0', value);
  };
  integer('seed', 0);
  integer('checkpointEvery', 1);
  integer('sftEpochs', 1);
  if (options.sftMaxSteps !== null) integer('sftMaxSteps', 1);
  integer('sftBatchSize', 1);
  integer('sftGradientAccumulation', 1);
  integer('rmEpochs', 1);
  integer('rmBatchSize', 1);
  integer('normalizeSamples', 2);
  integer('ppoIterations', 1);
  integer('ppoBatchSize', 1);
  integer('ppoMiniBatchSize', 1);
  integer('ppoEpochs', 1);
  integer('maxNewTokens', 1);
  integer('numSamples', 0);
  for (const field of ['sftLr', 'rmLr', 'ppoLr', 'initKlCoef', 'targetKl', 'temperature'] as const) positive(field);
  if (!(options.heldOutFraction >= 0 && options.heldOutFraction < 1)) fail('heldOutFraction', 'a number in [0, 1)', options.heldOutFraction);
  if (!(options.dropout >= 0 && options.dropout < 1)) fail('dropout', 'a number in [0, 1)', options.dropout);
  if (options.ppoBatchSize % options.ppoMiniBatchSize !== 0) fail('ppoBatchSize', `a multiple of ppoMiniBatchSize (${options.ppoMiniBatchSize})`, options.ppoBatchSize);
  if (options.missingEosPenalty !== null && !Number.isFinite(options.missingEosPenalty)) fail('missingEosPenalty', 'null or a finite number', options.missingEosPenalty);
  for (const field of ['keepCheckpoints', 'quiet'] as const) if (typeof options[field] !== 'boolean') fail(field, 'true or false', options[field]);
  return options;
}
