/**
 * Rejection-sampling fine-tuning, Llama 2's first RLHF method (Touvron et al. 2023, §3.2.3): for
 * each prompt, sample K responses from the current policy, score them with the reward model, keep
 * the best one, and fine-tune on the winners with the SFT objective; repeat for a few iterations
 * ("RLHF-V1 … V4"). Where PPO takes one sample per prompt and many small steps, rejection sampling
 * explores K samples per prompt and takes one supervised step on the best (§3.2.3 "breadth vs
 * depth"). The reward is a user function, so a reward model, a classifier or a rule all fit.
 *
 * Metrics per iteration (`onIteration`): meanBestScore (mean over prompts of the best of K),
 * meanScore (mean of all K·prompts samples, the policy's own expected reward), and the SFT round's
 * final loss; `onStep` receives the SFT round's per-step metrics with the iteration.
 */
import { checkpointName, latestCheckpoint, loadCheckpoint, saveCheckpoint } from '@attune/nn';
import { Generator } from '@attune/tensor';
import { generate, type GPT } from '@attune/transformer';
import type { SFTExample } from '../data/records.js';
import { checkBoolean, checkInteger, checkOptionalInteger, checkRange, checkTokenIds, mergeConfig } from '../sft/common.js';
import { trainSFT, type SFTConfig, type SFTStepMetrics } from '../sft/sft.js';

// ---- 1. Sampling and selection ----------------------------------------------------------------

/**
 * Scores responses: one number per (prompt, response) row, higher is better. Responses are the
 * generated tokens up to and including EOS. The recipe passes the reward model through this.
 *
 * @example
 * ```ts
 * import { RewardModel } from '@attune/reward-model';
 * import { gptConfig } from '@attune/transformer';
 * import { tensor } from '@attune/tensor';
 * const rewardModel = new RewardModel(gptConfig('test'));
 * const scoreWithRewardModel = (rm: RewardModel, prompts: number[][], responses: number[][]) =>
 *   Array.from(rm.forward(tensor(prompts.map((p, i) => [...p, ...responses[i]]), { dtype: 'int32' })).dataSync()); // equal lengths here
 * const score: ScoreFunction = async (prompts, responses) => scoreWithRewardModel(rewardModel, prompts, responses);
 * const countFives: ScoreFunction = (_prompts, responses) => responses.map((r) => r.filter((t) => t === 5).length);
 * await score([[1, 2]], [[3, 4]]);
 * ```
 */
export type ScoreFunction = (prompts: number[][], responses: number[][]) => Promise<Float32Array | number[]> | Float32Array | number[];

/**
 * Options of {@link rejectionSample}.
 *
 * @example
 * ```ts
 * const options: RejectionSampleOptions = { k: 8, maxNewTokens: 48, temperature: 0.9, eosTokenId: 50256, seed: 1 };
 * ```
 */
export interface RejectionSampleOptions {
  /** K, samples per prompt (Llama 2 §3.2.3 and Fig. 7: the best-of-K reward grows with K). */
  k: number;
  /** Tokens to generate per sample at most. */
  maxNewTokens: number;
  /** Sampling temperature (default 1; Llama 2 Fig. 8: the best temperature shifts as the model is trained). */
  temperature?: number;
  /** Top-k filtering (default 0, off). */
  topK?: number;
  /** Nucleus filtering (default 1, off). */
  topP?: number;
  /** Stop a sample at this token (kept in the response); null never stops early. */
  eosTokenId?: number | null;
  /** Seed of the sampling Generator (default 0), unless `generator` is given. */
  seed?: number;
  /** Draws for sampling; wins over `seed`. */
  generator?: Generator;
  /** Prompts per `generate()` call, each repeated K times (default 8: 8·K rows). */
  batchSize?: number;
}

/**
 * One prompt's K samples and the winner.
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * const result = await rejectionSample(new GPT(gptConfig('test')), [[1, 2]], (_p, responses) => responses.map((r) => r.length), { k: 2, maxNewTokens: 4 });
 * const { best, bestScore }: RejectionSample = result.samples[0];
 * ```
 */
export interface RejectionSample {
  prompt: number[];
  /** The K generated responses (up to and including EOS). */
  responses: number[][];
  /** Their K scores. */
  scores: number[];
  /** Index of the best response (the first of equal scores). */
  bestIndex: number;
  /** The best response. */
  best: number[];
  /** Its score. */
  bestScore: number;
}

/**
 * What {@link rejectionSample} resolves with.
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * const policy = new GPT(gptConfig('test'));
 * const prompts = [[1, 2], [3]];
 * const score: ScoreFunction = (_prompts, responses) => responses.map((r) => r.length);
 * const { samples, meanBestScore, meanScore }: RejectionSampleResult = await rejectionSample(policy, prompts, score, { k: 4, maxNewTokens: 4 });
 * ```
 */
export interface RejectionSampleResult {
  /** One entry per prompt, in order. */
  samples: RejectionSample[];
  /** Mean over prompts of the best score. */
  meanBestScore: number;
  /** Mean of all K·prompts scores. */
  meanScore: number;
}

/**
 * Samples K responses per prompt from `policy` with `generate()`, scores them with `score`, and
 * keeps the best (Touvron et al. 2023, §3.2.3). Prompts are processed `batchSize` at a time, each
 * repeated K times in one batch; all draws come from one seeded Generator, so the result is a
 * function of the weights, the seed and `batchSize` (which decides the order of the draws).
 *
 * @example
 * ```ts
 * import { ByteTokenizer, GPT, gptConfig } from '@attune/transformer';
 * const tokenizer = new ByteTokenizer({ eos: true });
 * const policy = new GPT(gptConfig('test', { vocabSize: tokenizer.vocabSize }));
 * const prompts = [tokenizer.encode('Hi'), tokenizer.encode('Yo')];
 * const score: ScoreFunction = (_prompts, responses) => responses.map((r) => r.length); // e.g. a reward model
 * const result = await rejectionSample(policy, prompts, score, { k: 8, maxNewTokens: 6, temperature: 1, eosTokenId: tokenizer.eosTokenId, seed: 1 });
 * const winners = result.samples.map((s) => ({ prompt: s.prompt, completion: s.best }));
 * ```
 */
export async function rejectionSample(policy: GPT, prompts: readonly (readonly number[])[], score: ScoreFunction, options: RejectionSampleOptions): Promise<RejectionSampleResult> {
  const { k, maxNewTokens, temperature = 1, topK = 0, topP = 1, eosTokenId = null, batchSize = 8 } = options;
  const name = 'rejectionSample options';
  checkInteger(name, 'k', k, 1);
  checkInteger(name, 'maxNewTokens', maxNewTokens, 1);
  checkInteger(name, 'batchSize', batchSize, 1);
  if (typeof score !== 'function') throw new TypeError(`rejectionSample: score must be a function (prompts, responses) => scores, got ${typeof score}`);
  if (!Array.isArray(prompts) || prompts.length === 0) throw new RangeError('rejectionSample: prompts must hold at least one prompt, got none');
  prompts.forEach((prompt, i) => checkTokenIds(`rejectionSample: prompts[${i}]`, prompt, policy.config.vocabSize));
  const generator = options.generator ?? new Generator(options.seed ?? 0);

  const samples: RejectionSample[] = [];
  let total = 0;
  let totalBest = 0;
  for (let from = 0; from < prompts.length; from += batchSize) {
    // K copies of each prompt of the batch, adjacent: rows [p·K, (p+1)·K) belong to prompt p.
    const batch: number[][] = prompts.slice(from, from + batchSize).map((p) => Array.from(p as readonly number[]));
    const rows = batch.flatMap((prompt) => Array.from({ length: k }, () => prompt));
    const out = await generate(policy, rows, { maxNewTokens, temperature, topK, topP, eosTokenId, generator });
    for (const t of [out.sequences, out.attentionMask, out.responses, out.responseMask, out.logProbs]) t.dispose();
    const scores = Array.from(await score(rows, out.tokens), Number);
    if (scores.length !== rows.length) throw new RangeError(`rejectionSample: score returned ${scores.length} values for ${rows.length} (prompt, response) rows`);
    scores.forEach((value, i) => {
      if (!Number.isFinite(value)) throw new RangeError(`rejectionSample: score returned ${value} for row ${i} (prompt ${from + Math.floor(i / k)}, sample ${i % k}); scores must be finite`);
    });
    batch.forEach((prompt, p) => {
      const own = scores.slice(p * k, (p + 1) * k);
      let bestIndex = 0;
      for (let j = 1; j < k; j++) if (own[j] > own[bestIndex]) bestIndex = j;
      const responses = out.tokens.slice(p * k, (p + 1) * k);
      samples.push({ prompt, responses, scores: own, bestIndex, best: responses[bestIndex], bestScore: own[bestIndex] });
      totalBest += own[bestIndex];
      for (const value of own) total += value;
    });
  }
  return { samples, meanBestScore: totalBest / prompts.length, meanScore: total / (prompts.length * k) };
}

// ---- 2. Config --------------------------------------------------------------------------------

/**
 * Hyperparameters of {@link trainRejectionSampling}.
 *
 * @example
 * ```ts
 * const config: Partial<RejectionSamplingConfig> = { iterations: 4, k: 8, maxNewTokens: 48, eosTokenId: 50256, sft: { learningRate: 1e-5 } };
 * ```
 */
export interface RejectionSamplingConfig {
  /** Rounds of sample → select → fine-tune (Llama 2 ran four: RLHF-V1…V4). */
  iterations: number;
  /** K, samples per prompt. */
  k: number;
  /** Tokens per sample at most. */
  maxNewTokens: number;
  /** Sampling temperature. */
  temperature: number;
  /** Top-k filtering (0: off). */
  topK: number;
  /** Nucleus filtering (1: off). */
  topP: number;
  /** EOS: ends a sample (and is kept, so the fine-tuned model learns to stop); null never stops early. */
  eosTokenId: number | null;
  /** Seed of the run: iteration i samples with seed `${seed}:${i}` and fine-tunes with seed + i. */
  seed: number;
  /** Prompts per `generate()` call (each K times). */
  sampleBatchSize: number;
  /** Fine-tune on the winners of every iteration so far, not only the latest (Llama 2 §3.2.3: from RLHF-V3 on, "the top-performing samples from all prior iterations"). */
  keepPreviousWinners: boolean;
  /** The SFT round's config (its `seed` is replaced per iteration); see `SFTConfig`. */
  sft: Partial<SFTConfig>;
}

/**
 * The defaults of {@link RejectionSamplingConfig}.
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * const policy = new GPT(gptConfig('test'));
 * const prompts = [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15], [16, 17, 18]];
 * const score: ScoreFunction = (_prompts, responses) => responses.map((r) => r.length);
 * await trainRejectionSampling(policy, prompts, score, { ...rejectionSamplingDefaults, iterations: 1, k: 2, maxNewTokens: 6, sft: { batchSize: 2 } });
 * ```
 */
export const rejectionSamplingDefaults: Readonly<RejectionSamplingConfig> = Object.freeze({
  iterations: 4,
  k: 8,
  maxNewTokens: 32,
  temperature: 1,
  topK: 0,
  topP: 1,
  eosTokenId: null,
  seed: 1,
  sampleBatchSize: 8,
  keepPreviousWinners: false,
  sft: {},
});

/**
 * `config` over {@link rejectionSamplingDefaults}, validated (errors name the field).
 *
 * @example
 * ```ts
 * resolveRejectionSamplingConfig({ k: 4 }).k; // 4
 * try {
 *   resolveRejectionSamplingConfig({ k: 0 });
 * } catch (error) {
 *   console.log((error as Error).message); // RejectionSamplingConfig.k must be an integer ≥ 1, got 0
 * }
 * ```
 */
export function resolveRejectionSamplingConfig(config: Partial<RejectionSamplingConfig> = {}): RejectionSamplingConfig {
  const args = mergeConfig('RejectionSamplingConfig', rejectionSamplingDefaults, config);
  const name = 'RejectionSamplingConfig';
  checkInteger(name, 'iterations', args.iterations, 1);
  checkInteger(name, 'k', args.k, 1);
  checkInteger(name, 'maxNewTokens', args.maxNewTokens, 1);
  checkRange(name, 'temperature', args.temperature, 0, Infinity, true);
  checkInteger(name, 'topK', args.topK, 0);
  checkRange(name, 'topP', args.topP, 0, 1, true);
  checkOptionalInteger(name, 'eosTokenId', args.eosTokenId, 0);
  checkInteger(name, 'seed', args.seed, 0);
  checkInteger(name, 'sampleBatchSize', args.sampleBatchSize, 1);
  checkBoolean(name, 'keepPreviousWinners', args.keepPreviousWinners);
  if (typeof args.sft !== 'object' || args.sft === null) throw new TypeError(`${name}.sft must be an object (a partial SFTConfig), got ${String(args.sft)}`);
  return args;
}

// ---- 3. The loop --------------------------------------------------------------------------------

/**
 * What `onIteration` receives after each round.
 *
 * @example
 * ```ts
 * const onIteration = (m: RejectionSamplingIterationMetrics) => console.log(`round ${m.iteration}: best-of-K ${m.meanBestScore.toFixed(3)}, mean ${m.meanScore.toFixed(3)}`);
 * ```
 */
export interface RejectionSamplingIterationMetrics {
  /** 1-based round. */
  iteration: number;
  /** Mean over prompts of the best of K scores, under the policy before this round's fine-tuning. */
  meanBestScore: number;
  /** Mean of all K·prompts scores: the policy's expected score before this round's fine-tuning. */
  meanScore: number;
  /** Winners the round fine-tuned on. */
  examples: number;
  /** The SFT round's last training loss. */
  sftLoss: number;
}

/**
 * Callbacks and checkpoints of {@link trainRejectionSampling}.
 *
 * @example
 * ```ts
 * const hooks: RejectionSamplingHooks = { onIteration: console.log, checkpointDir: 'runs/rs', resume: true };
 * ```
 */
export interface RejectionSamplingHooks {
  /** After each round. */
  onIteration?: (metrics: RejectionSamplingIterationMetrics) => void | Promise<void>;
  /** After each SFT step of a round. */
  onStep?: (metrics: SFTStepMetrics & { iteration: number }) => void | Promise<void>;
  /** Where `checkpoint-<iteration>/` (the policy after each round) and each round's SFT checkpoints (`iteration-<i>/`) go. */
  checkpointDir?: string;
  /** SFT checkpoints every this many steps within a round (default 0: at its end only). */
  checkpointEvery?: number;
  /** Continue from the newest round checkpoint under `checkpointDir` (and the next round's SFT checkpoint): samples are redrawn from the same weights and seed, so they are the same. */
  resume?: boolean;
  /** Stop after this many SFT steps in this call, across rounds (for tests and pre-emptible jobs). */
  stopAfterSteps?: number;
}

/**
 * What {@link trainRejectionSampling} resolves with (the policy is trained in place).
 *
 * @example
 * ```ts
 * import { GPT, gptConfig } from '@attune/transformer';
 * const policy = new GPT(gptConfig('test'));
 * const prompts = [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15], [16, 17, 18]];
 * const score: ScoreFunction = (_prompts, responses) => responses.map((r) => r.length);
 * const config: Partial<RejectionSamplingConfig> = { iterations: 2, k: 2, maxNewTokens: 6, sft: { batchSize: 2 } };
 * const { history }: RejectionSamplingResult = await trainRejectionSampling(policy, prompts, score, config);
 * history.map((h) => h.meanScore); // rising
 * ```
 */
export interface RejectionSamplingResult {
  /** One entry per completed round, resumed ones included. */
  history: RejectionSamplingIterationMetrics[];
  /** Whether every round completed (false when `stopAfterSteps` cut the run). */
  finished: boolean;
}

interface RejectionSamplingTrainerState {
  iteration: number;
  history: RejectionSamplingIterationMetrics[];
  winners: SFTExample[];
}

/**
 * Rejection-sampling fine-tuning (Touvron et al. 2023, §3.2.3): for `iterations` rounds, sample K
 * responses per prompt from the current policy, keep the best by `score`, and fine-tune the policy
 * on the winners with {@link trainSFT} (prompt-masked loss). Reports the mean best and mean-of-K
 * score per round. With `hooks.checkpointDir` the policy is saved after every round and a killed
 * run resumes (mid-round too, through the round's SFT checkpoints).
 *
 * @example
 * ```ts
 * import { ByteTokenizer, GPT, gptConfig } from '@attune/transformer';
 * const tokenizer = new ByteTokenizer({ eos: true });
 * const policy = new GPT(gptConfig('test', { vocabSize: tokenizer.vocabSize }));
 * const prompts = ['Hi', 'Yo', 'Hey', 'Sup', 'Ho', 'Ok'].map((p) => tokenizer.encode(p));
 * const rewardsOf = (ps: number[][], rs: number[][]) => rs.map((r) => r.length); // e.g. a reward model's scores
 * const score: ScoreFunction = async (ps, rs) => rewardsOf(ps, rs);
 * const { history } = await trainRejectionSampling(policy, prompts, score,
 *   { iterations: 2, k: 4, maxNewTokens: 6, eosTokenId: tokenizer.eosTokenId, sft: { learningRate: 1e-5, batchSize: 2, numEpochs: 1 } },
 *   { onIteration: (m) => console.log(m.iteration, m.meanBestScore, m.meanScore) });
 * ```
 */
export async function trainRejectionSampling(policy: GPT, prompts: readonly (readonly number[])[], score: ScoreFunction, config: Partial<RejectionSamplingConfig> = {}, hooks: RejectionSamplingHooks = {}): Promise<RejectionSamplingResult> {
  // 1. Config; prompts and lengths checked once.
  const args = resolveRejectionSamplingConfig(config);
  const { blockSize, vocabSize } = policy.config;
  if (args.eosTokenId !== null && args.eosTokenId >= vocabSize) throw new RangeError(`RejectionSamplingConfig.eosTokenId must be a token id in [0, ${vocabSize}), got ${args.eosTokenId}`);
  if (!Array.isArray(prompts) || prompts.length === 0) throw new RangeError('trainRejectionSampling: prompts must hold at least one prompt, got none');
  prompts.forEach((prompt, i) => {
    checkTokenIds(`trainRejectionSampling: prompts[${i}]`, prompt, vocabSize);
    if (prompt.length + args.maxNewTokens > blockSize) {
      throw new RangeError(`trainRejectionSampling: prompts[${i}] has ${prompt.length} tokens; with maxNewTokens ${args.maxNewTokens} that exceeds the model's blockSize ${blockSize}`);
    }
  });
  if (hooks.resume && hooks.checkpointDir === undefined) throw new TypeError('trainRejectionSampling hooks.resume needs hooks.checkpointDir to look for checkpoints in');
  if (hooks.stopAfterSteps !== undefined) checkInteger('trainRejectionSampling hooks', 'stopAfterSteps', hooks.stopAfterSteps, 1);

  // 2. Resume: the policy after the last completed round, the history and the kept winners.
  let history: RejectionSamplingIterationMetrics[] = [];
  let winners: SFTExample[] = [];
  let startIteration = 1;
  const roundCheckpoint = hooks.resume ? await latestCheckpoint(hooks.checkpointDir as string) : null;
  if (roundCheckpoint !== null) {
    const checkpoint = await loadCheckpoint(roundCheckpoint);
    const state = checkpoint.trainerState as unknown as RejectionSamplingTrainerState;
    policy.loadStateDict(checkpoint.model);
    for (const t of Object.values(checkpoint.model)) t.dispose();
    history = state.history;
    winners = state.winners;
    startIteration = state.iteration + 1;
  }

  // 3. The rounds: sample K per prompt → keep the best → fine-tune on the winners.
  let stepsThisCall = 0;
  for (let iteration = startIteration; iteration <= args.iterations; iteration++) {
    // 3a. Best of K under the current policy, from a seed that depends only on the run's seed and the round.
    const sampled = await rejectionSample(policy, prompts, score, {
      k: args.k,
      maxNewTokens: args.maxNewTokens,
      temperature: args.temperature,
      topK: args.topK,
      topP: args.topP,
      eosTokenId: args.eosTokenId,
      generator: new Generator(`${args.seed}:${iteration}`),
      batchSize: args.sampleBatchSize,
    });
    const roundWinners = sampled.samples.map((s) => ({ prompt: s.prompt, completion: s.best }));
    const examples = args.keepPreviousWinners ? winners.concat(roundWinners) : roundWinners;

    // 3b. Supervised fine-tuning on the winners (loss on the response tokens only).
    const stopAfterSteps = hooks.stopAfterSteps === undefined ? undefined : hooks.stopAfterSteps - stepsThisCall;
    const roundDir = hooks.checkpointDir === undefined ? undefined : `${hooks.checkpointDir}/iteration-${String(iteration).padStart(4, '0')}`;
    const sft = await trainSFT(policy, examples, { ...args.sft, seed: args.seed + iteration }, {
      onStep: hooks.onStep === undefined ? undefined : (m) => hooks.onStep!({ ...m, iteration }),
      checkpointDir: roundDir,
      checkpointEvery: hooks.checkpointEvery,
      resume: roundDir !== undefined && hooks.resume === true,
      stopAfterSteps,
    });
    stepsThisCall += sft.stepsThisCall;
    if (sft.step < sft.totalSteps) return { history, finished: false }; // stopped mid-round; its SFT checkpoint resumes it

    // 3c. Report and checkpoint the round.
    const metrics: RejectionSamplingIterationMetrics = { iteration, meanBestScore: sampled.meanBestScore, meanScore: sampled.meanScore, examples: examples.length, sftLoss: sft.loss };
    history.push(metrics);
    winners = args.keepPreviousWinners ? examples : [];
    await hooks.onIteration?.(metrics);
    if (hooks.checkpointDir !== undefined) {
      const trainerState: RejectionSamplingTrainerState = { iteration, history, winners };
      await saveCheckpoint(`${hooks.checkpointDir}/${checkpointName(iteration)}`, {
        model: policy.stateDict(),
        config: { trainer: 'rejection-sampling', ...args, model: { ...policy.config } },
        trainerState: trainerState as unknown as Record<string, unknown>,
      });
    }
    if (hooks.stopAfterSteps !== undefined && stepsThisCall >= hooks.stopAfterSteps) return { history, finished: iteration === args.iterations };
  }
  return { history, finished: true };
}
