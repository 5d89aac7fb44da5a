// The flagship RLHF recipe, on a laptop CPU in about ten minutes: pre-train a small GPT on the Brown
// corpus, fine-tune it (SFT) to continue sentence prompts, sample K = 4 continuations per prompt and
// let a simulated labeller rank them by AFINN-165 word valence with Bradley–Terry noise, train a
// reward model on those rankings, then optimise the policy to write more positive continuations:
// PPO under an adaptive KL penalty (Ziegler et al. 2019; Stiennon et al. 2020; Ouyang et al. 2022),
// rejection sampling (best-of-K fine-tuning; Touvron et al. 2023 §3.2.3) and DPO (Rafailov et al.
// 2023). The labeller is a known "gold" reward, so the report can show gold vs. proxy (reward
// model) reward vs. KL over training (Gao et al. 2022) and win rates judged by the gold labeller.
//
// Every stage has its own folder under --out; a finished stage leaves `done.json` and is skipped
// when the run is started again, an unfinished one continues from its latest `checkpoint-<step>`.
// The file's order is the order of execution.
//
//   npm start --workspace @attune/example-rlhf-sentiment                 # ~10 min on 2 cores
//   npm start --workspace @attune/example-rlhf-sentiment -- --quick      # a ~60 s smoke run
//   npm start --workspace @attune/example-rlhf-sentiment -- --seed=2 --out=runs/seed2 --backend=cpu

import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AdamW, clipGradNormAsync, type Module } from '@attune/nn';
import { Generator, clamp, exp, getBackend, manualSeed, maximum, minimum, mul, narrow, noGrad, sub, tidy, useBackend, type Tensor } from '@attune/tensor';
import { GPT, gptConfig, loadPretrained, savePretrained, type GPTConfig } from '@attune/transformer';
import { RewardModel, buildComparisonBatch, comparisonLoss, rewardNormalization, scoreSequences, type RankedPreference } from '@attune/reward-model';
import { responseLogProbs } from '@attune/rlhf';
import { batchTensors, layoutBatch, sampleResponses, type ResponseBatch } from './batch.js';
import { promptExamples, readBrown, tokenStream, type PromptExample } from './data.js';
import { goldReward, noisyRanking, rankingAgreement } from './labeller.js';
import { Run, floats, formatTime, loadTrainingState, saveTrainingState, writeJsonAtomic, type TrainingState } from './run.js';
import { WordTokenizer, loadWordTokenizer } from './tokenizer.js';

// ---- 1. Arguments ---------------------------------------------------------------------------

interface Args {
  /** Seed of every weight init, batch, sample and label. */
  seed: number;
  /** Run directory: one folder per stage, metrics.jsonl, report.md and report.json. */
  out: string;
  /** 'cpu', 'webgpu' (fails without an adapter) or 'auto' (WebGPU on a hardware adapter, else the CPU). */
  backend: string;
  /** A ~60-second smoke run (tests, CI): every stage, tiny budgets. */
  quick: boolean;
  /** Accepted for clarity: a run always resumes what its --out folder holds. */
  resume: boolean;
  /** Stop after this stage (as if the process were killed there; tests use it). */
  stopAfter: string;
  /** Save a checkpoint inside a stage at least this often, seconds. */
  checkpointSeconds: number;
  /** No progress output (tests). */
  quiet: boolean;

  // Data and tokens
  /** Word vocabulary: the most frequent Brown tokens (≈86% of the corpus's tokens at 4,000; the rest are <unk>). */
  vocabWords: number;
  /** Every `heldOutEvery`-th Brown file is held out: evaluation prompts and validation loss. */
  heldOutEvery: number;
  /** Prompt length in words, uniform in [promptMin, promptMax]. */
  promptMin: number;
  promptMax: number;
  /** Words of a continuation: the SFT target length (then EOS), and responses hold at most this + 2 tokens. */
  continuationWords: number;

  // Model (a small GPT-2; word tokens make 32 positions a long sentence)
  nLayer: number;
  nHead: number;
  nEmbd: number;
  blockSize: number;

  // 1. Pre-training (nanoGPT's recipe: AdamW, warmup then cosine, β₂ 0.99, decay 0.1 on matrices, clip 1)
  /** Wall-clock budget of pre-training, minutes (a shared machine's speed varies; time, not steps, sizes it). */
  pretrainMinutes: number;
  pretrainMaxSteps: number;
  pretrainBatch: number;
  pretrainLr: number;
  pretrainWarmup: number;

  // 2. SFT on (prompt, continuation), loss on the continuation only
  sftSteps: number;
  sftBatch: number;
  sftLr: number;

  // 3. Preferences: K samples per prompt from the SFT policy, ranked by the simulated labeller
  /** Prompts whose K samples are ranked for reward-model training. */
  labelPrompts: number;
  /** Held-out prompts ranked the same way, for the reward model's accuracy. */
  labelHeldOutPrompts: number;
  /** K: samples ranked together (InstructGPT ranks K = 4…9; Ouyang et al. 2022 §3.5). */
  rankK: number;
  /** Bradley–Terry temperature of the labeller: P(i ≻ j) = σ((gold_i − gold_j)/τ); 0 is noiseless. */
  labellerTemperature: number;
  /** Sampling temperature of every policy sample (1: the policy's own distribution, as PPO assumes). */
  sampleTemperature: number;
  /** Rows per `generate` call. */
  generateBatch: number;

  // 4. Reward model: K-way Bradley–Terry loss (all K choose 2 pairs of a ranking, as one record; Ouyang et al. 2022 eq. 1)
  rmEpochs: number;
  /** Rankings per step (each K responses). */
  rmBatch: number;
  rmLr: number;

  // 5. PPO (Ziegler et al. 2019; Stiennon et al. 2020 App. B; TRL's PPOTrainer defaults where they apply)
  ppoIterations: number;
  /** Prompts per rollout. */
  ppoBatch: number;
  /** Optimisation epochs over each rollout and minibatches per epoch (CleanRL/TRL: 4 epochs). */
  ppoEpochs: number;
  ppoMinibatches: number;
  ppoLr: number;
  /** Policy-ratio clip ε and value clip (Schulman et al. 2017; TRL cliprange = cliprange_value = 0.2). */
  ppoClip: number;
  /** Value-loss weight (TRL vf_coef 0.1). */
  ppoValueCoef: number;
  /** GAE λ and discount γ (TRL: λ 0.95, γ 1: the episode is one response). */
  gaeLambda: number;
  gamma: number;
  /** Initial KL coefficient β (Ziegler et al. 2019 §2.2: 0.1 before adaptation; TRL init_kl_coef 0.2). */
  initKlCoef: number;
  /** Target KL(π ‖ π_SFT) per response, nats, and horizon of the adaptive controller (Ziegler et al. 2019 §2.2). */
  targetKl: number;
  klHorizon: number;

  // 6. Rejection sampling (best-of-K by the reward model, then SFT on the winners; Touvron et al. 2023 §3.2.3)
  rsRounds: number;
  rsPrompts: number;
  rsSamples: number;
  rsSteps: number;
  rsLr: number;

  // 7. DPO (Rafailov et al. 2023, eq. 7) on pairs from the rankings
  dpoBeta: number;
  dpoEpochs: number;
  dpoBatch: number;
  dpoLr: number;

  // 8. Evaluation on held-out prompts
  evalPrompts: number;
  /** Samples per prompt and policy (win rates compare sample s of a policy with sample s of SFT). */
  evalSamples: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    seed: 1,
    out: 'runs/rlhf-sentiment',
    backend: 'auto',
    quick: false,
    resume: true,
    stopAfter: '',
    checkpointSeconds: 20,
    quiet: false,
    vocabWords: 4000,
    heldOutEvery: 20,
    promptMin: 3,
    promptMax: 6,
    continuationWords: 10,
    nLayer: 2,
    nHead: 4,
    nEmbd: 128,
    blockSize: 32,
    pretrainMinutes: 2.5,
    pretrainMaxSteps: 3000,
    pretrainBatch: 32,
    pretrainLr: 2e-3,
    pretrainWarmup: 50,
    sftSteps: 150,
    sftBatch: 32,
    sftLr: 5e-4,
    labelPrompts: 768,
    labelHeldOutPrompts: 128,
    rankK: 4,
    labellerTemperature: 1,
    sampleTemperature: 1,
    generateBatch: 256,
    rmEpochs: 2,
    rmBatch: 16,
    rmLr: 3e-4,
    ppoIterations: 60,
    ppoBatch: 32,
    ppoEpochs: 4,
    ppoMinibatches: 2,
    ppoLr: 1e-4,
    ppoClip: 0.2,
    ppoValueCoef: 0.1,
    gaeLambda: 0.95,
    gamma: 1,
    initKlCoef: 0.1,
    targetKl: 4,
    klHorizon: 2000,
    rsRounds: 2,
    rsPrompts: 256,
    rsSamples: 8,
    rsSteps: 60,
    rsLr: 2e-4,
    dpoBeta: 0.1,
    dpoEpochs: 1,
    dpoBatch: 32,
    dpoLr: 1e-4,
    evalPrompts: 256,
    evalSamples: 2,
  };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=', 2) as [keyof Args, string | undefined];
    if (!(key in args)) throw new Error(`unknown argument --${key} (fields: ${Object.keys(args).join(', ')})`);
    const current = args[key];
    (args as unknown as Record<string, unknown>)[key] = typeof current === 'boolean' ? value !== 'false' : typeof current === 'number' ? Number(value) : (value ?? '');
    if (typeof current === 'number' && !Number.isFinite(args[key] as number)) throw new Error(`--${key} must be a number, got ${value}`);
  }
  if (args.quick) {
    const explicit = new Set(argv.map((arg) => arg.replace(/^--/, '').split('=', 1)[0]));
    const quick: Partial<Args> = {
      nLayer: 1, nEmbd: 64, nHead: 2, vocabWords: 1500, pretrainMinutes: 0.2, pretrainWarmup: 5, sftSteps: 15, labelPrompts: 64, labelHeldOutPrompts: 32,
      rmEpochs: 1, rmBatch: 8, ppoIterations: 4, ppoBatch: 16, rsRounds: 1, rsPrompts: 32, rsSamples: 4, rsSteps: 8, dpoEpochs: 1, dpoBatch: 16, evalPrompts: 32, evalSamples: 1, checkpointSeconds: 5,
    };
    for (const [key, value] of Object.entries(quick)) if (!explicit.has(key)) (args as unknown as Record<string, unknown>)[key] = value;
  }
  if (!['cpu', 'webgpu', 'auto'].includes(args.backend)) throw new Error(`--backend must be cpu, webgpu or auto, got ${args.backend}`);
  if (args.promptMax + args.continuationWords + 2 > args.blockSize) throw new Error(`--promptMax (${args.promptMax}) + --continuationWords (${args.continuationWords}) + 2 must fit --blockSize (${args.blockSize})`);
  if (args.rankK < 2) throw new Error(`--rankK must be ≥ 2, got ${args.rankK}`);
  return args;
}

const args = parseArgs(process.argv.slice(2));
/** Response tokens at most: a continuation's words, EOS, and one word of slack. */
const N = args.continuationWords + 2;
const STAGES = ['pretrain', 'sft', 'preferences', 'reward-model', 'ppo', 'rejection-sampling', 'dpo', 'evaluate'] as const;
if (args.stopAfter !== '' && !(STAGES as readonly string[]).includes(args.stopAfter)) throw new Error(`--stopAfter must be one of ${STAGES.join(', ')}, got ${args.stopAfter}`);

// ---- 2. Backend, seeds, run directory --------------------------------------------------------

const backendMessage = (await useBackend(args.backend as 'cpu' | 'webgpu' | 'auto')).message;
manualSeed(args.seed);
const run = new Run(args.out, { quiet: args.quiet });
await mkdir(args.out, { recursive: true });
run.print(backendMessage);
run.print(`hyper-parameters: ${JSON.stringify(args)}`);
const runStarted = performance.now();

/** A Generator for one purpose, seeded from --seed and a fixed label, so stages draw independently. */
function generatorFor(label: string): Generator {
  return new Generator(`${args.seed}:${label}`);
}

/** Stops here when --stopAfter names this stage (the kill test). */
function maybeStop(stage: string): void {
  if (args.stopAfter === stage) {
    run.print(`stopping after ${stage} (--stopAfter)`);
    process.exit(0);
  }
}

// ---- 3. Data: Brown sentences, a word tokenizer, prompts -------------------------------------

const brown = await readBrown(args.heldOutEvery);
const tokenizer = WordTokenizer.fromTexts(brown.train, args.vocabWords);
const pad = tokenizer.padTokenId;
const eos = tokenizer.eosTokenId;
const exampleOptions = { promptWords: [args.promptMin, args.promptMax] as [number, number], continuationWords: args.continuationWords, maxUnknownFraction: 0.1 };
const trainExamples = shuffle(promptExamples(brown.train, tokenizer, exampleOptions, generatorFor('prompts')), generatorFor('shuffle'));
const heldOutExamples = shuffle(promptExamples(brown.heldOut, tokenizer, exampleOptions, generatorFor('held-out prompts')), generatorFor('held-out shuffle'));
const words = (ids: readonly number[]) => tokenizer.tokens(ids, { skipSpecialTokens: true });
run.print(`Brown: ${brown.train.length.toLocaleString()} train / ${brown.heldOut.length.toLocaleString()} held-out sentences; ${tokenizer.vocabSize} word tokens; ${trainExamples.length.toLocaleString()} train / ${heldOutExamples.length.toLocaleString()} held-out prompts`);

/** Fisher–Yates with the given generator (a new array). */
function shuffle<T>(items: readonly T[], generator: Generator): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(generator.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** AdamW with weight decay on matrices only (nanoGPT's grouping). */
function adamW(module: Module, lr: number, weightDecay = 0.1, beta2 = 0.99): AdamW {
  const params = module.parameters();
  return new AdamW(
    [
      { params: params.filter((p) => p.ndim >= 2), weightDecay },
      { params: params.filter((p) => p.ndim < 2), weightDecay: 0 },
    ],
    { lr, betas: [0.9, beta2] },
  );
}

/** A GPT loaded from a stage's `final` folder (dropout 0: RLHF needs the same π when sampling and scoring). */
async function loadPolicy(stage: string): Promise<GPT> {
  return (await loadPretrained(join(args.out, stage, 'final'), { dropout: 0 })).model;
}

async function readScalar(t: Tensor): Promise<number> {
  const value = await t.item();
  t.dispose();
  return value;
}

/**
 * A resumable training loop: restores the stage's latest checkpoint into `state`, runs `step(i)`
 * for i = resumed step … total − 1 with a progress bar, logs every step's metrics and saves a
 * checkpoint every --checkpointSeconds. `extra` is saved with the checkpoint and handed back on resume.
 */
async function resumableLoop(options: {
  stage: string;
  dir: string;
  total: number;
  state: TrainingState;
  metric: string;
  unit: string;
  itemsPerStep: number;
  step: (i: number) => Promise<Record<string, number>>;
  extra?: () => Record<string, unknown>;
  restore?: (extra: Record<string, unknown>) => void;
}): Promise<Record<string, number>> {
  const resumed = await loadTrainingState(options.dir, options.state);
  let first = 0;
  if (resumed) {
    first = resumed.step;
    options.restore?.(resumed.extra);
    run.print(`[${options.stage}] resumed from its checkpoint at step ${first}`);
  }
  const bar = run.progress(options.stage, options.total, options.metric, options.unit);
  let lastSave = performance.now();
  let last: Record<string, number> = {};
  for (let i = first; i < options.total; i++) {
    last = await options.step(i);
    await run.log(options.stage, { step: i, ...last });
    bar.update(i + 1, last[options.metric] ?? NaN, options.itemsPerStep);
    if (performance.now() - lastSave > args.checkpointSeconds * 1000 && i + 1 < options.total) {
      await saveTrainingState(options.dir, i + 1, options.state, options.extra?.() ?? {});
      lastSave = performance.now();
    }
  }
  bar.stop();
  return last;
}

/**
 * One supervised step on (prompt, response) pairs: mean negative log-likelihood of the response
 * tokens (the prompt is context only), AdamW, gradient clipping at 1.
 */
async function supervisedStep(model: GPT, optimizer: AdamW, prompts: number[][], responses: number[][]): Promise<number> {
  const loss = tidy(() => {
    const { sequences, attentionMask, responseMask } = batchTensors(layoutBatch(prompts, responses, pad));
    const { logProbs } = responseLogProbs(model, sequences, attentionMask, Math.max(...prompts.map((p) => p.length)));
    const nll = mul(logProbs, responseMask).sum().neg().div(responseMask.sum()); // mean over response tokens
    optimizer.zeroGrad();
    nll.backward();
    return nll;
  });
  await clipGradNormAsync(model.parameters(), 1);
  optimizer.step();
  return readScalar(loss);
}

/** Summed log-prob (B) of each row's response under `model`, no gradients. */
async function sequenceLogProbs(model: GPT, batch: ResponseBatch): Promise<Float32Array> {
  const sums = noGrad(() =>
    tidy(() => {
      const { sequences, attentionMask, responseMask } = batchTensors(batch);
      return mul(responseLogProbs(model, sequences, attentionMask, batch.P).logProbs, responseMask).sum(1); // (B)
    }),
  );
  const out = (await sums.data()) as Float32Array;
  sums.dispose();
  return Float32Array.from(out);
}

// ---- 4. Stage 1: pre-training -----------------------------------------------------------------
// nanoGPT's loop on word tokens: random windows of the sentence stream (sentences separated by
// EOS), AdamW, linear warmup then a cosine over the wall-clock budget, gradient clipping at 1.

const pretrain = await run.stage('pretrain', async (dir) => {
  const trainTokens = tokenStream(brown.train, tokenizer);
  const heldOutTokens = tokenStream(brown.heldOut, tokenizer);
  const config = gptConfig({ nLayer: args.nLayer, nHead: args.nHead, nEmbd: args.nEmbd, blockSize: args.blockSize, vocabSize: tokenizer.vocabSize, dropout: 0 });
  const model = new GPT(config, { generator: generatorFor('init') });
  const optimizer = adamW(model, args.pretrainLr);
  const batches = generatorFor('pretrain batches');
  run.print(`[pretrain] ${model.numParameters().toLocaleString()} parameters (${args.nLayer} layers, ${args.nHead} heads, ${args.nEmbd} wide, T = ${args.blockSize}), ${trainTokens.length.toLocaleString()} train tokens, budget ${args.pretrainMinutes} min`);
  const { sampleBatch, lmLoss } = await import('@attune/transformer');
  const budgetMs = args.pretrainMinutes * 60_000;
  let elapsedBefore = 0; // ms spent in earlier processes (resume)
  const started = performance.now();
  const elapsed = () => elapsedBefore + performance.now() - started;
  const progress = (step: number) => Math.min(1, Math.max(elapsed() / budgetMs, step / args.pretrainMaxSteps));
  // The step count is not known in advance (time decides); the loop runs to maxSteps and breaks.
  let steps = 0;
  let smoothed = NaN;
  const state = { modules: { model }, optimizers: { model: optimizer }, generators: { batches } };
  const resumed = await loadTrainingState(dir, state);
  if (resumed) {
    steps = resumed.step;
    elapsedBefore = resumed.extra.elapsedMs as number;
    run.print(`[pretrain] resumed from its checkpoint at step ${steps} (${formatTime(elapsedBefore / 1000)} done)`);
  }
  const bar = run.progress('pretrain', Math.round(budgetMs / 1000), 'loss', 'tok');
  let lastSave = performance.now();
  for (; progress(steps) < 1; steps++) {
    const p = progress(steps);
    // Warmup then cosine to 0.1·peak in p (nanoGPT's get_lr with time in place of iterations).
    optimizer.lr = steps < args.pretrainWarmup ? (args.pretrainLr * (steps + 1)) / (args.pretrainWarmup + 1) : args.pretrainLr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p)));
    const loss = tidy(() => {
      const { inputs, targets } = sampleBatch(trainTokens, args.pretrainBatch, args.blockSize, batches);
      const l = lmLoss(model.forward(inputs), targets);
      optimizer.zeroGrad();
      l.backward();
      return l;
    });
    await clipGradNormAsync(model.parameters(), 1);
    optimizer.step();
    const value = await readScalar(loss);
    smoothed = Number.isNaN(smoothed) ? value : 0.95 * smoothed + 0.05 * value;
    bar.update(Math.round(elapsed() / 1000), smoothed, args.pretrainBatch * args.blockSize);
    if (steps % 10 === 0) await run.log('pretrain', { step: steps, 'losses/train': value, 'charts/learning_rate': optimizer.lr });
    if (performance.now() - lastSave > args.checkpointSeconds * 1000) {
      await saveTrainingState(dir, steps + 1, state, { elapsedMs: elapsed() });
      lastSave = performance.now();
    }
  }
  bar.stop();
  // Held-out loss on fixed windows.
  model.eval();
  const evalBatches = generatorFor('pretrain eval');
  let heldOutLoss = 0;
  for (let i = 0; i < 8; i++) {
    heldOutLoss += (await readScalar(noGrad(() => tidy(() => {
      const { inputs, targets } = sampleBatch(heldOutTokens, args.pretrainBatch, args.blockSize, evalBatches);
      return lmLoss(model.forward(inputs), targets);
    })))) / 8;
  }
  const samplePrompts = ['the jury said', 'he was', 'it is a'].map((text) => tokenizer.encode(text));
  const samples = await sampleResponses(model, samplePrompts, { maxNewTokens: 16, temperature: 0.8, eosTokenId: eos, padTokenId: pad, generator: generatorFor('pretrain samples'), batchSize: 8 });
  const texts = samplePrompts.map((p, i) => `${tokenizer.decode(p)} | ${tokenizer.decode(samples[i], { skipSpecialTokens: true })}`);
  run.print(`[pretrain] ${steps} steps, train loss ${smoothed.toFixed(3)}, held-out loss ${heldOutLoss.toFixed(3)} nats/word (uniform: ${Math.log(tokenizer.vocabSize).toFixed(2)})`);
  for (const text of texts) run.print(`  ${text}`);
  await savePretrained(model, join(dir, 'final'), { tokenizer });
  model.dispose();
  return { steps, trainLoss: smoothed, heldOutLoss, parameters: 0, samples: texts };
});
maybeStop('pretrain');

// ---- 5. Stage 2: supervised fine-tuning ----------------------------------------------------------
// The pre-trained model learns the task's format: a prompt's continuation of about ten words, then
// EOS. Loss on the continuation only.

const sft = await run.stage('sft', async (dir) => {
  const model = await loadPolicy('pretrain');
  const optimizer = adamW(model, args.sftLr, 0);
  const batches = generatorFor('sft batches');
  const last = await resumableLoop({
    stage: 'sft', dir, total: args.sftSteps, state: { modules: { model }, optimizers: { model: optimizer }, generators: { batches } },
    metric: 'losses/sft', unit: 'seq', itemsPerStep: args.sftBatch,
    step: async () => {
      const batch = Array.from({ length: args.sftBatch }, () => trainExamples[Math.floor(batches.random() * trainExamples.length)]);
      return { 'losses/sft': await supervisedStep(model, optimizer, batch.map((e) => e.prompt), batch.map((e) => e.continuation)) };
    },
  });
  await savePretrained(model, join(dir, 'final'), { tokenizer });
  model.dispose();
  return { loss: last['losses/sft'] };
});
run.print(`[sft] final loss ${sft.loss.toFixed(3)}`);
maybeStop('sft');

// ---- 6. Stage 3: preferences from the simulated labeller ---------------------------------------
// K samples per prompt from the SFT policy, ranked by gold valence with Bradley–Terry noise; written
// as DESIGN's K-way records {prompt, responses, ranking} (best first), plus each response's gold
// score. Batches are seeded by their index, so a killed stage continues at the last whole batch.

interface LabelledRecord {
  prompt: string;
  responses: string[];
  ranking: number[];
  gold: number[];
}

async function labelPrompts(path: string, examples: readonly PromptExample[], label: string): Promise<LabelledRecord[]> {
  const sft = await loadPolicy('sft');
  const perBatch = Math.max(1, Math.floor(args.generateBatch / args.rankK));
  let lines: string[] = [];
  try {
    lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
  } catch {
    // a fresh file
  }
  const whole = Math.floor(lines.length / perBatch) * perBatch; // drop a batch a kill cut short
  lines = lines.slice(0, whole);
  await writeFile(path, lines.map((line) => line + '\n').join(''));
  const records = lines.map((line) => JSON.parse(line) as LabelledRecord);
  const bar = run.progress(label, examples.length, 'gold', 'seq');
  for (let start = whole; start < examples.length; start += perBatch) {
    const chunk = examples.slice(start, start + perBatch);
    const generator = generatorFor(`${label} batch ${start}`);
    const prompts = chunk.flatMap((e) => Array.from({ length: args.rankK }, () => e.prompt));
    const responses = await sampleResponses(sft, prompts, { maxNewTokens: N, temperature: args.sampleTemperature, eosTokenId: eos, padTokenId: pad, generator, batchSize: args.generateBatch });
    const batch: LabelledRecord[] = chunk.map((e, i) => {
      const group = responses.slice(i * args.rankK, (i + 1) * args.rankK);
      const gold = group.map((r) => goldReward(words(r)));
      return { prompt: tokenizer.decode(e.prompt), responses: group.map((r) => tokenizer.decode(r, { skipSpecialTokens: true })), ranking: noisyRanking(gold, args.labellerTemperature, generator), gold };
    });
    await appendFile(path, batch.map((r) => JSON.stringify(r) + '\n').join(''));
    records.push(...batch);
    bar.update(Math.min(examples.length, start + perBatch), batch.reduce((s, r) => s + r.gold.reduce((a, b) => a + b, 0), 0) / (batch.length * args.rankK), chunk.length * args.rankK);
  }
  bar.stop();
  sft.dispose();
  return records;
}

const preferences = await run.stage('preferences', async (dir) => {
  const train = await labelPrompts(join(dir, 'train.jsonl'), trainExamples.slice(0, args.labelPrompts), 'label');
  const heldOut = await labelPrompts(join(dir, 'held-out.jsonl'), heldOutExamples.slice(args.evalPrompts, args.evalPrompts + args.labelHeldOutPrompts), 'label-eval');
  const noiseless = (records: LabelledRecord[]) => rankingAgreement(records.map((r) => r.ranking), records.map((r) => r.gold));
  const all = [...train, ...heldOut].flatMap((r) => r.gold);
  const result = {
    rankings: train.length,
    heldOutRankings: heldOut.length,
    /** Labeller agreement with its own noiseless ranking, over pairs whose gold scores differ. */
    labellerAgreement: noiseless(train).rate,
    labellerAgreementHeldOut: noiseless(heldOut).rate,
    sftGoldMean: all.reduce((a, b) => a + b, 0) / all.length,
    sftGoldNonZero: all.filter((g) => g !== 0).length / all.length,
  };
  run.print(`[preferences] ${train.length} + ${heldOut.length} rankings of K = ${args.rankK}; labeller agreement with its noiseless ranking ${(result.labellerAgreement * 100).toFixed(1)}% (held-out ${(result.labellerAgreementHeldOut * 100).toFixed(1)}%); SFT gold mean ${result.sftGoldMean.toFixed(3)}`);
  return result;
});
maybeStop('preferences');

async function readRecords(path: string): Promise<Array<RankedPreference & { gold: number[] }>> {
  const text = await readFile(path, 'utf8');
  return text.split('\n').filter(Boolean).map((line, i) => {
    let record: LabelledRecord;
    try {
      record = JSON.parse(line) as LabelledRecord;
    } catch (error) {
      throw new Error(`${path}:${i + 1}: malformed JSON (${(error as Error).message})`);
    }
    return { prompt: tokenizer.encode(record.prompt), responses: record.responses.map((r) => [...tokenizer.encode(r), eos].slice(0, N)), ranking: record.ranking, gold: record.gold };
  });
}

// ---- 7. Stage 4: the reward model ---------------------------------------------------------------
// The SFT trunk with a fresh scalar head (Ouyang et al. 2022 §3.5), trained on the K-way rankings
// (each ranking's K choose 2 pairs weighted as one record), then normalised so SFT samples score
// mean 0, std 1 (Stiennon et al. 2020 App. C). Accuracy on held-out rankings is measured against
// the labeller's noisy labels, as a held-out human label set would be.

async function saveRewardModelTo(dir: string, model: RewardModel): Promise<void> {
  await saveTrainingState(dir, 0, { modules: { model }, optimizers: {}, generators: {} }, { config: model.config, gain: model.gain, bias: model.bias });
}

async function loadRewardModelFrom(dir: string): Promise<RewardModel> {
  const { readFile: read } = await import('node:fs/promises');
  const state = JSON.parse(await read(join(dir, 'checkpoint-000000000000', 'trainer_state.json'), 'utf8')) as { extra: { config: GPTConfig; gain: number; bias: number } };
  const model = new RewardModel(state.extra.config);
  await loadTrainingState(dir, { modules: { model }, optimizers: {}, generators: {} });
  model.gain = state.extra.gain;
  model.bias = state.extra.bias;
  return model;
}

/** Held-out pairwise accuracy: against the labeller's (noisy) order and against the gold order, over pairs whose gold scores differ. */
async function rewardAccuracy(model: RewardModel, records: Array<RankedPreference & { gold: number[] }>): Promise<{ labels: number; gold: number; pairs: number }> {
  const sequences = records.flatMap((r) => r.responses.map((response) => [...r.prompt, ...response]));
  const scores = await scoreSequences(model, sequences, { batchSize: 128, padTokenId: pad });
  let pairs = 0;
  let agreeLabels = 0;
  let agreeGold = 0;
  records.forEach((r, k) => {
    const s = (i: number) => scores[k * args.rankK + i];
    for (let a = 0; a < r.ranking.length; a++) {
      for (let b = a + 1; b < r.ranking.length; b++) {
        const [better, worse] = [r.ranking[a], r.ranking[b]]; // the labeller's order
        if (r.gold[better] === r.gold[worse]) continue;
        pairs++;
        if (s(better) > s(worse)) agreeLabels++;
        if ((s(better) > s(worse)) === (r.gold[better] > r.gold[worse])) agreeGold++;
      }
    }
  });
  return { labels: agreeLabels / pairs, gold: agreeGold / pairs, pairs };
}

const rewardModelResult = await run.stage('reward-model', async (dir) => {
  const train = await readRecords(join(args.out, 'preferences', 'train.jsonl'));
  const heldOut = await readRecords(join(args.out, 'preferences', 'held-out.jsonl'));
  const sft = await loadPolicy('sft');
  const model = RewardModel.fromGPT(sft, { generator: generatorFor('reward head') });
  sft.dispose();
  const optimizer = adamW(model, args.rmLr, 0);
  const batches = generatorFor('reward batches');
  const stepsPerEpoch = Math.ceil(train.length / args.rmBatch);
  let order: number[] = [];
  const checkpointDir = join(dir, 'training');
  await resumableLoop({
    stage: 'reward-model', dir: checkpointDir, total: args.rmEpochs * stepsPerEpoch, state: { modules: { model }, optimizers: { model: optimizer }, generators: { batches } },
    metric: 'losses/reward', unit: 'rank', itemsPerStep: args.rmBatch,
    step: async (i) => {
      if (i % stepsPerEpoch === 0 || order.length === 0) order = shuffle(train.map((_, k) => k), new Generator(`${args.seed}:reward epoch ${Math.floor(i / stepsPerEpoch)}`));
      const start = (i % stepsPerEpoch) * args.rmBatch;
      const records = order.slice(start, start + args.rmBatch).map((k) => train[k]);
      optimizer.lr = args.rmLr * (1 - i / (args.rmEpochs * stepsPerEpoch)); // linear decay (InstructGPT's RM schedule is cosine; either works at this size)
      const output = tidy(() => {
        const { loss } = comparisonLoss(model, buildComparisonBatch(records, { padTokenId: pad, maxLength: args.blockSize }));
        optimizer.zeroGrad();
        loss.backward();
        return loss;
      });
      await clipGradNormAsync(model.parameters(), 1);
      optimizer.step();
      return { 'losses/reward': await readScalar(output) };
    },
  });
  const accuracy = await rewardAccuracy(model, heldOut);
  const trainAccuracy = await rewardAccuracy(model, train.slice(0, heldOut.length));
  // Normalisation on SFT samples: the first response of every training ranking.
  const raw = await scoreSequences(model, train.map((r) => [...r.prompt, ...r.responses[0]]), { batchSize: 128, padTokenId: pad });
  const { gain, bias } = rewardNormalization(raw);
  model.gain = gain;
  model.bias = bias;
  await saveRewardModelTo(join(dir, 'final'), model);
  model.dispose();
  const ratio = accuracy.labels / preferences.labellerAgreementHeldOut;
  run.print(`[reward-model] held-out accuracy ${(accuracy.labels * 100).toFixed(1)}% vs labels (${(accuracy.gold * 100).toFixed(1)}% vs gold) on ${accuracy.pairs} pairs; labeller agreement ${(preferences.labellerAgreementHeldOut * 100).toFixed(1)}% → ratio ${(ratio * 100).toFixed(1)}% (bar ≥ 90%); train accuracy ${(trainAccuracy.labels * 100).toFixed(1)}%`);
  return { heldOutAccuracy: accuracy.labels, heldOutAccuracyGold: accuracy.gold, heldOutPairs: accuracy.pairs, trainAccuracy: trainAccuracy.labels, ratioToLabeller: ratio, gain, bias };
});
maybeStop('reward-model');

// ---- 8. Stage 5: PPO ---------------------------------------------------------------------------
// Ziegler et al. 2019 / Stiennon et al. 2020: reward = RM score at the end of the response minus
// β·(log π − log π_SFT) at every token, β adapted towards a target KL; GAE advantages from a value
// model initialised from the reward model; clipped surrogate and clipped value loss.

interface PPORow {
  iteration: number;
  gold: number;
  proxy: number;
  kl: number;
  klCoef: number;
}

const ppo = await run.stage('ppo', async (dir) => {
  const policy = await loadPolicy('sft');
  const reference = await loadPolicy('sft');
  reference.eval();
  const rewardModel = await loadRewardModelFrom(join(args.out, 'reward-model', 'final'));
  rewardModel.eval();
  const valueModel = await loadRewardModelFrom(join(args.out, 'reward-model', 'final'));
  const policyOptimizer = adamW(policy, args.ppoLr, 0);
  const valueOptimizer = adamW(valueModel, args.ppoLr, 0);
  const prompts = generatorFor('ppo prompts');
  const samples = generatorFor('ppo samples');
  const minibatch = Math.floor(args.ppoBatch / args.ppoMinibatches);
  let klCoef = args.initKlCoef;
  let history: PPORow[] = [];

  const last = await resumableLoop({
    stage: 'ppo', dir, total: args.ppoIterations, metric: 'charts/gold_reward', unit: 'seq', itemsPerStep: args.ppoBatch,
    state: { modules: { policy, value: valueModel }, optimizers: { policy: policyOptimizer, value: valueOptimizer }, generators: { prompts, samples } },
    extra: () => ({ klCoef, history }),
    restore: (extra) => {
      klCoef = extra.klCoef as number;
      history = extra.history as PPORow[];
    },
    step: async (iteration) => {
      // 1. Rollout: one response per prompt from the current policy.
      const batchPrompts = Array.from({ length: args.ppoBatch }, () => trainExamples[Math.floor(prompts.random() * trainExamples.length)].prompt);
      const responses = await sampleResponses(policy, batchPrompts, { maxNewTokens: N, temperature: args.sampleTemperature, eosTokenId: eos, padTokenId: pad, generator: samples, batchSize: args.ppoBatch });
      const batch = layoutBatch(batchPrompts, responses, pad, N);
      const { B, P } = batch;
      // 2. Scores, log-probs under the policy and the reference, values — no gradients.
      const [scoreT, oldT, refT, valueT] = noGrad(() => tidy(() => {
        const { sequences, attentionMask } = batchTensors(batch);
        const score = rewardModel.forward(sequences, { attentionMask }); // (B) normalised
        const old = responseLogProbs(policy, sequences, attentionMask, P, { temperature: args.sampleTemperature }).logProbs; // (B, N)
        const ref = responseLogProbs(reference, sequences, attentionMask, P, { temperature: args.sampleTemperature }).logProbs; // (B, N)
        const values = narrow(valueModel.forwardAll(sequences, { attentionMask }), 1, P - 1, N); // (B, N): V of the state before token i
        return [score, old, ref, values];
      }));
      const score = Float32Array.from(await scoreT.data());
      const oldLogProbs = Float32Array.from(await oldT.data());
      const refLogProbs = Float32Array.from(await refT.data());
      const values = Float32Array.from(await valueT.data());
      for (const t of [scoreT, refT, valueT]) t.dispose();
      // 3. Per-token rewards: −β·(log π − log π_ref) everywhere, + the score at the last token (Ziegler et al. 2019 eq. 2).
      const mask = batch.responseMask;
      const rewards = new Float32Array(B * N);
      let klSum = 0;
      for (let b = 0; b < B; b++) {
        let lastToken = 0;
        for (let i = 0; i < N; i++) {
          if (mask[b * N + i] === 0) continue;
          const kl = oldLogProbs[b * N + i] - refLogProbs[b * N + i];
          klSum += kl;
          rewards[b * N + i] = -klCoef * kl;
          lastToken = i;
        }
        rewards[b * N + lastToken] += score[b];
      }
      const kl = klSum / B; // mean KL(π ‖ π_ref) per response, nats (k1 estimate)
      // 4. GAE (Schulman et al. 2016) backwards over each response; returns = advantages + values.
      const advantages = new Float32Array(B * N);
      const returns = new Float32Array(B * N);
      for (let b = 0; b < B; b++) {
        let next = 0;
        let nextValue = 0;
        for (let i = N - 1; i >= 0; i--) {
          const at = b * N + i;
          if (mask[at] === 0) continue;
          const delta = rewards[at] + args.gamma * nextValue - values[at];
          next = delta + args.gamma * args.gaeLambda * next;
          advantages[at] = next;
          returns[at] = next + values[at];
          nextValue = values[at];
        }
      }
      whitenMasked(advantages, mask);
      // 5. PPO epochs over minibatches.
      let policyLoss = 0;
      let valueLoss = 0;
      let clipFraction = 0;
      let updates = 0;
      const order = generatorFor(`ppo minibatches ${iteration}`);
      for (let epoch = 0; epoch < args.ppoEpochs; epoch++) {
        const rows = shuffle(Array.from({ length: B }, (_, b) => b), order);
        for (let m = 0; m < args.ppoMinibatches; m++) {
          const index = rows.slice(m * minibatch, (m + 1) * minibatch);
          const pick = (values: Float32Array, width: number) => {
            const out = new Float32Array(index.length * width);
            index.forEach((b, k) => out.set(values.subarray(b * width, (b + 1) * width), k * width));
            return out;
          };
          const L = P + N;
          const sub: ResponseBatch = { sequences: Int32Array.from(pick(Float32Array.from(batch.sequences), L)), attentionMask: pick(batch.attentionMask, L), responseMask: pick(mask, N), B: index.length, P, N };
          const [pl, vl, cf] = tidy(() => {
            const { sequences, attentionMask, responseMask } = batchTensors(sub);
            const shape = [index.length, N];
            const count = responseMask.sum();
            const masked = (t: Tensor) => mul(t, responseMask).sum().div(count);
            const logProbs = responseLogProbs(policy, sequences, attentionMask, P, { temperature: args.sampleTemperature }).logProbs;
            const ratio = exp(sub2(logProbs, floats(pick(oldLogProbs, N), shape)));
            const adv = floats(pick(advantages, N), shape);
            // Clipped surrogate (Schulman et al. 2017 eq. 7), as a loss.
            const surrogate = maximum(mul(ratio, adv).neg(), mul(clamp(ratio, 1 - args.ppoClip, 1 + args.ppoClip), adv).neg());
            const policyLoss = masked(surrogate);
            // Clipped value loss (TRL, OpenAI baselines): ½·max((V − R)², (clip(V, V_old ± ε) − R)²).
            const oldValues = floats(pick(values, N), shape);
            const newValues = narrow(valueModel.forwardAll(sequences, { attentionMask }), 1, P - 1, N);
            const ret = floats(pick(returns, N), shape);
            const clippedValues = minimum(maximum(newValues, oldValues.sub(args.ppoClip)), oldValues.add(args.ppoClip));
            const valueLoss = masked(maximum(sub2(newValues, ret).square(), sub2(clippedValues, ret).square())).mul(0.5);
            const clipped = masked(ratio.sub(1).abs().gt(args.ppoClip).toDtype('float32'));
            policyOptimizer.zeroGrad();
            valueOptimizer.zeroGrad();
            policyLoss.add(valueLoss.mul(args.ppoValueCoef)).backward();
            return [policyLoss.detach(), valueLoss.detach(), clipped];
          });
          await clipGradNormAsync(policy.parameters(), 1);
          await clipGradNormAsync(valueModel.parameters(), 1);
          policyOptimizer.step();
          valueOptimizer.step();
          policyLoss += await readScalar(pl);
          valueLoss += await readScalar(vl);
          clipFraction += await readScalar(cf);
          updates++;
        }
      }
      oldT.dispose();
      // 6. Adaptive KL controller (Ziegler et al. 2019 §2.2): e = clip(KL/target − 1, ±0.2), β ← β·(1 + e·B/horizon).
      const error = Math.min(0.2, Math.max(-0.2, kl / args.targetKl - 1));
      klCoef *= 1 + (error * B) / args.klHorizon;
      const gold = responses.reduce((s, r) => s + goldReward(words(r)), 0) / B;
      const proxy = score.reduce((a, b) => a + b, 0) / B;
      history.push({ iteration, gold, proxy, kl, klCoef });
      return { 'charts/gold_reward': gold, 'charts/proxy_reward': proxy, 'charts/kl': kl, 'charts/kl_coef': klCoef, 'losses/policy': policyLoss / updates, 'losses/value': valueLoss / updates, 'charts/clip_fraction': clipFraction / updates };
    },
  });
  await savePretrained(policy, join(dir, 'final'), { tokenizer });
  for (const m of [policy, reference, rewardModel, valueModel]) m.dispose();
  return { gold: last['charts/gold_reward'], proxy: last['charts/proxy_reward'], kl: last['charts/kl'], klCoef, history };
});
maybeStop('ppo');

function sub2(a: Tensor, b: Tensor): Tensor {
  return sub(a, b);
}

/** Advantages to mean 0, std 1 over the masked positions, in place (masked positions stay 0). */
function whitenMasked(values: Float32Array, mask: Float32Array): void {
  let count = 0;
  let mean = 0;
  for (let i = 0; i < values.length; i++) if (mask[i] !== 0) { count++; mean += values[i]; }
  mean /= count;
  let variance = 0;
  for (let i = 0; i < values.length; i++) if (mask[i] !== 0) variance += (values[i] - mean) ** 2;
  const std = Math.sqrt(variance / Math.max(1, count - 1)) + 1e-8;
  for (let i = 0; i < values.length; i++) values[i] = mask[i] !== 0 ? (values[i] - mean) / std : 0;
}

// ---- 9. Stage 6: rejection sampling -------------------------------------------------------------
// Each round: K samples per prompt from the current policy, keep the one the reward model scores
// best, and fine-tune on those (Touvron et al. 2023 §3.2.3; Dong et al. 2023 "RAFT").

const rejectionSampling = await run.stage('rejection-sampling', async (dir) => {
  const policy = await loadPolicy('sft');
  const rewardModel = await loadRewardModelFrom(join(args.out, 'reward-model', 'final'));
  const optimizer = adamW(policy, args.rsLr, 0);
  const batches = generatorFor('rs batches');
  const perRound = args.rsSteps;
  let best: PromptExample[] = [];
  let bestScore = 0;
  const last = await resumableLoop({
    stage: 'rejection-sampling', dir, total: args.rsRounds * perRound, metric: 'losses/sft', unit: 'seq', itemsPerStep: args.sftBatch,
    state: { modules: { policy }, optimizers: { policy: optimizer }, generators: { batches } },
    extra: () => ({ best, bestScore }),
    restore: (extra) => {
      best = extra.best as PromptExample[];
      bestScore = extra.bestScore as number;
    },
    step: async (i) => {
      if (i % perRound === 0 || best.length === 0) {
        const round = Math.floor(i / perRound);
        const examples = trainExamples.slice(args.labelPrompts + round * args.rsPrompts, args.labelPrompts + (round + 1) * args.rsPrompts);
        const prompts = examples.flatMap((e) => Array.from({ length: args.rsSamples }, () => e.prompt));
        const responses = await sampleResponses(policy, prompts, { maxNewTokens: N, temperature: args.sampleTemperature, eosTokenId: eos, padTokenId: pad, generator: generatorFor(`rs round ${round}`), batchSize: args.generateBatch });
        const scores = await scoreSequences(rewardModel, prompts.map((p, k) => [...p, ...responses[k]]), { batchSize: 128, padTokenId: pad, normalized: true });
        best = examples.map((e, k) => {
          let top = k * args.rsSamples;
          for (let j = top + 1; j < (k + 1) * args.rsSamples; j++) if (scores[j] > scores[top]) top = j;
          return { prompt: e.prompt, continuation: responses[top] };
        });
        bestScore = examples.reduce((s, _, k) => s + Math.max(...scores.subarray(k * args.rsSamples, (k + 1) * args.rsSamples)), 0) / examples.length;
      }
      const batch = Array.from({ length: args.sftBatch }, () => best[Math.floor(batches.random() * best.length)]);
      return { 'losses/sft': await supervisedStep(policy, optimizer, batch.map((e) => e.prompt), batch.map((e) => e.continuation)), 'charts/best_of_k_proxy': bestScore };
    },
  });
  await savePretrained(policy, join(dir, 'final'), { tokenizer });
  policy.dispose();
  rewardModel.dispose();
  return { loss: last['losses/sft'], bestOfKProxy: bestScore };
});
maybeStop('rejection-sampling');

// ---- 10. Stage 7: DPO -----------------------------------------------------------------------------
// Rafailov et al. 2023 eq. 7: −log σ(β·[(log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))])
// on every pair of every ranking (the labeller's order, noise and all), π_ref = SFT.

const dpo = await run.stage('dpo', async (dir) => {
  const records = await readRecords(join(args.out, 'preferences', 'train.jsonl'));
  const pairs = records.flatMap((r) => {
    const out: Array<{ prompt: number[]; chosen: number[]; rejected: number[] }> = [];
    for (let a = 0; a < r.ranking.length; a++) for (let b = a + 1; b < r.ranking.length; b++) out.push({ prompt: r.prompt, chosen: r.responses[r.ranking[a]], rejected: r.responses[r.ranking[b]] });
    return out;
  });
  const policy = await loadPolicy('sft');
  const reference = await loadPolicy('sft');
  const optimizer = adamW(policy, args.dpoLr, 0);
  const batches = generatorFor('dpo batches');
  const stepsPerEpoch = Math.ceil(pairs.length / args.dpoBatch);
  let order: number[] = [];
  const last = await resumableLoop({
    stage: 'dpo', dir, total: args.dpoEpochs * stepsPerEpoch, metric: 'losses/dpo', unit: 'pair', itemsPerStep: args.dpoBatch,
    state: { modules: { policy }, optimizers: { policy: optimizer }, generators: { batches } },
    step: async (i) => {
      if (i % stepsPerEpoch === 0 || order.length === 0) order = shuffle(pairs.map((_, k) => k), new Generator(`${args.seed}:dpo epoch ${Math.floor(i / stepsPerEpoch)}`));
      const chunk = order.slice((i % stepsPerEpoch) * args.dpoBatch, (i % stepsPerEpoch + 1) * args.dpoBatch).map((k) => pairs[k]);
      const M = chunk.length;
      // Chosen rows first, then rejected: one (2M, P + N) batch.
      const batch = layoutBatch([...chunk.map((p) => p.prompt), ...chunk.map((p) => p.prompt)], [...chunk.map((p) => p.chosen), ...chunk.map((p) => p.rejected)], pad, N);
      const referenceLogProbs = await sequenceLogProbs(reference, batch); // (2M)
      const [lossT, accuracyT] = tidy(() => {
        const { sequences, attentionMask, responseMask } = batchTensors(batch);
        const logProbs = mul(responseLogProbs(policy, sequences, attentionMask, batch.P).logProbs, responseMask).sum(1); // (2M)
        const logRatios = sub(logProbs, floats(referenceLogProbs, [2 * M])); // (2M): log π − log π_ref
        const margin = sub(narrow(logRatios, 0, 0, M), narrow(logRatios, 0, M, M)).mul(args.dpoBeta); // (M)
        const loss = margin.neg().softplus().mean(); // −log σ(margin)
        optimizer.zeroGrad();
        loss.backward();
        return [loss, margin.detach().gt(0).toDtype('float32').mean()];
      });
      await clipGradNormAsync(policy.parameters(), 1);
      optimizer.step();
      return { 'losses/dpo': await readScalar(lossT), 'charts/preference_accuracy': await readScalar(accuracyT) };
    },
  });
  await savePretrained(policy, join(dir, 'final'), { tokenizer });
  policy.dispose();
  reference.dispose();
  return { loss: last['losses/dpo'], accuracy: last['charts/preference_accuracy'], pairs: pairs.length };
});
maybeStop('dpo');

// ---- 11. Stage 8: evaluation on held-out prompts ---------------------------------------------------
// Every policy samples `evalSamples` responses per held-out prompt with the same seed; the gold
// labeller scores them, the reward model gives the proxy score, KL(π ‖ π_SFT) is the summed log-ratio
// of the policy's own samples; win rate vs SFT = P(gold(policy) > gold(SFT)), ties count half.

interface PolicyEvaluation {
  gold: number;
  proxy: number;
  kl: number;
  winRate: number;
  meanLength: number;
}

const evaluation = await run.stage('evaluate', async () => {
  const examples = heldOutExamples.slice(0, args.evalPrompts);
  const prompts = examples.flatMap((e) => Array.from({ length: args.evalSamples }, () => e.prompt));
  const sftModel = await loadPolicy('sft');
  const rewardModel = await loadRewardModelFrom(join(args.out, 'reward-model', 'final'));
  const policies = ['sft', 'ppo', 'rejection-sampling', 'dpo'] as const;
  const results: Record<string, PolicyEvaluation> = {};
  const texts: Record<string, string[]> = {};
  let sftGold: number[] = [];
  const bar = run.progress('evaluate', policies.length, 'gold', 'policy');
  for (const [p, name] of policies.entries()) {
    const model = name === 'sft' ? sftModel : await loadPolicy(name);
    const responses = await sampleResponses(model, prompts, { maxNewTokens: N, temperature: args.sampleTemperature, eosTokenId: eos, padTokenId: pad, generator: generatorFor('evaluation samples'), batchSize: args.generateBatch });
    const gold = responses.map((r) => goldReward(words(r)));
    const proxy = await scoreSequences(rewardModel, prompts.map((prompt, k) => [...prompt, ...responses[k]]), { batchSize: 128, padTokenId: pad, normalized: true });
    let klSum = 0;
    for (let start = 0; start < prompts.length; start += 128) {
      const batch = layoutBatch(prompts.slice(start, start + 128), responses.slice(start, start + 128), pad);
      const own = await sequenceLogProbs(model, batch);
      const ref = await sequenceLogProbs(sftModel, batch);
      for (let k = 0; k < own.length; k++) klSum += own[k] - ref[k];
    }
    if (name === 'sft') sftGold = gold;
    const wins = gold.reduce((s, g, k) => s + (g > sftGold[k] ? 1 : g === sftGold[k] ? 0.5 : 0), 0);
    results[name] = {
      gold: mean(gold),
      proxy: mean(Array.from(proxy)),
      kl: klSum / prompts.length,
      winRate: wins / gold.length,
      meanLength: mean(responses.map((r) => words(r).length)),
    };
    texts[name] = responses.map((r) => tokenizer.decode(r, { skipSpecialTokens: true }));
    if (model !== sftModel) model.dispose();
    bar.update(p + 1, results[name].gold, 1);
    await run.log('evaluate', { [`eval/${name}/gold`]: results[name].gold, [`eval/${name}/proxy`]: results[name].proxy, [`eval/${name}/kl`]: results[name].kl, [`eval/${name}/win_rate`]: results[name].winRate });
  }
  bar.stop();
  sftModel.dispose();
  rewardModel.dispose();
  const samples = examples.slice(0, 8).map((e, i) => ({ prompt: tokenizer.decode(e.prompt), ...Object.fromEntries(policies.map((name) => [name, texts[name][i * args.evalSamples]])) }));
  return { results, samples, prompts: examples.length, samplesPerPrompt: args.evalSamples };
});

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

// ---- 12. Report ---------------------------------------------------------------------------------

const totalSeconds = (performance.now() - runStarted) / 1000;
const r = evaluation.results;
const bars = [
  { bar: 'RM held-out accuracy ≥ 90% of labeller agreement', value: `${(rewardModelResult.heldOutAccuracy * 100).toFixed(1)}% / ${(preferences.labellerAgreementHeldOut * 100).toFixed(1)}% = ${(rewardModelResult.ratioToLabeller * 100).toFixed(1)}%`, pass: rewardModelResult.ratioToLabeller >= 0.9 },
  { bar: 'PPO gold reward well above SFT', value: `${r.sft.gold.toFixed(2)} → ${r.ppo.gold.toFixed(2)}`, pass: r.ppo.gold > r.sft.gold + 1 },
  { bar: 'PPO win rate vs SFT ≥ 75% (gold labeller)', value: `${(r.ppo.winRate * 100).toFixed(1)}%`, pass: r.ppo.winRate >= 0.75 },
  { bar: `PPO KL to SFT ≤ target ${args.targetKl} nats`, value: `${r.ppo.kl.toFixed(2)} nats`, pass: r.ppo.kl <= args.targetKl * 1.25 },
  { bar: 'Rejection sampling win rate vs SFT ≥ 60%', value: `${(r['rejection-sampling'].winRate * 100).toFixed(1)}%`, pass: r['rejection-sampling'].winRate >= 0.6 },
  { bar: 'DPO win rate vs SFT ≥ 60%', value: `${(r.dpo.winRate * 100).toFixed(1)}%`, pass: r.dpo.winRate >= 0.6 },
  { bar: 'Whole recipe ≤ 10 minutes', value: formatTime(totalSeconds), pass: totalSeconds <= 600 },
];
const stageSeconds = Object.fromEntries(STAGES.map((s) => [s, run.seconds[s] ?? 0]));
const history = ppo.history;
const every = Math.max(1, Math.round(history.length / 10));
const windows: PPORow[] = [];
for (let start = 0; start < history.length; start += every) {
  const rows = history.slice(start, start + every);
  windows.push({ iteration: rows[rows.length - 1].iteration, gold: mean(rows.map((x) => x.gold)), proxy: mean(rows.map((x) => x.proxy)), kl: mean(rows.map((x) => x.kl)), klCoef: rows[rows.length - 1].klCoef });
}
const report = {
  args,
  backend: getBackend().name,
  totalSeconds,
  stageSeconds,
  pretrain: { steps: pretrain.steps, trainLoss: pretrain.trainLoss, heldOutLoss: pretrain.heldOutLoss, samples: pretrain.samples },
  preferences,
  rewardModel: rewardModelResult,
  ppo: { klCoef: ppo.klCoef, history: ppo.history },
  rejectionSampling,
  dpo,
  evaluation,
  bars,
};
await writeJsonAtomic(join(args.out, 'report.json'), report);
const md = [
  '# RLHF sentiment recipe: report',
  '',
  `Seed ${args.seed}, backend ${getBackend().name}, ${evaluation.prompts} held-out prompts × ${evaluation.samplesPerPrompt} samples. This process ran ${formatTime(totalSeconds)} (stages finished by an earlier process count 0).`,
  '',
  '## Results against the bars',
  '',
  '| bar | measured | pass |',
  '| --- | --- | --- |',
  ...bars.map((b) => `| ${b.bar} | ${b.value} | ${b.pass ? 'yes' : 'NO'} |`),
  '',
  '## Policies on held-out prompts (gold = AFINN-165 labeller, proxy = normalised reward model)',
  '',
  '| policy | gold reward | proxy reward | KL to SFT (nats) | win rate vs SFT | words |',
  '| --- | --- | --- | --- | --- | --- |',
  ...Object.entries(r).map(([name, e]) => `| ${name} | ${e.gold.toFixed(2)} | ${e.proxy.toFixed(2)} | ${e.kl.toFixed(2)} | ${(e.winRate * 100).toFixed(1)}% | ${e.meanLength.toFixed(1)} |`),
  '',
  `Reward model: held-out pairwise accuracy ${(rewardModelResult.heldOutAccuracy * 100).toFixed(1)}% against the labeller's labels (${(rewardModelResult.heldOutAccuracyGold * 100).toFixed(1)}% against the gold order) on ${rewardModelResult.heldOutPairs} pairs; the labeller agrees with its own noiseless ranking on ${(preferences.labellerAgreementHeldOut * 100).toFixed(1)}% of them.`,
  '',
  '## Gold vs. proxy vs. KL over PPO training (Gao et al. 2022)',
  '',
  '| iteration | gold reward | proxy reward | KL (nats) | β |',
  '| --- | --- | --- | --- | --- |',
  ...windows.map((w) => `| ${w.iteration + 1} | ${w.gold.toFixed(2)} | ${w.proxy.toFixed(2)} | ${w.kl.toFixed(2)} | ${w.klCoef.toFixed(3)} |`),
  '',
  '## Samples before / after',
  '',
  ...evaluation.samples.flatMap((s) => [`**${s.prompt} …**`, '', ...(['sft', 'ppo', 'rejection-sampling', 'dpo'] as const).map((name) => `- ${name}: ${(s as Record<string, string>)[name]}`), '']),
  '## Time per stage',
  '',
  '| stage | time |',
  '| --- | --- |',
  ...STAGES.map((s) => `| ${s} | ${formatTime(stageSeconds[s])} |`),
  `| total | ${formatTime(totalSeconds)} |`,
  '',
];
await writeFile(join(args.out, 'report.md'), md.join('\n'));
await rm(join(args.out, 'report.md.tmp'), { force: true });
if (!args.quiet) {
  console.log('\n' + md.slice(4, md.indexOf('## Gold vs. proxy vs. KL over PPO training (Gao et al. 2022)')).join('\n'));
  console.log(`\nreport: ${join(args.out, 'report.md')} (and report.json, metrics.jsonl)`);
  console.table(Object.fromEntries(STAGES.map((s) => [s, formatTime(stageSeconds[s])])));
}
