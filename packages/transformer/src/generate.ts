// Autoregressive generation: batched prompts left-padded to one length with an attention mask, a KV
// cache (or a full forward per step, for checking), greedy decoding or sampling with temperature,
// top-k and top-p, stopping at EOS. Returns what RLHF needs: the sequences, the per-token log-probs
// of the generated tokens and the masks that say which tokens are real.
//
// Token choice runs on the host over one row of logits per sequence and step (B·V floats read
// back), with draws from a seeded Generator, so results are reproducible and the same on every
// backend.

import { getDefaultGenerator, Generator, narrow, noGrad, tensor, tidy, type Tensor } from '@attune/tensor';
import { KVCache } from './kv-cache.js';
import type { GPT } from './model.js';

/**
 * Options of `generate`.
 *
 * @example
 * ```ts
 * const model = new GPT(gptConfig('test'));
 * const options: GenerateOptions = { maxNewTokens: 4, temperature: 1, topK: 10 };
 * await generate(model, [[1, 2, 3]], options);
 * ```
 */
export interface GenerateOptions {
  /** Tokens to generate per sequence at most (N). */
  maxNewTokens: number;
  /** Sample from the distribution (default true); false takes the most likely token (greedy). */
  doSample?: boolean;
  /** Divides the logits before softmax (default 1); lower is more conservative. Must be > 0 when sampling. */
  temperature?: number;
  /** Sample only among the k most likely tokens (0, the default, keeps all; ties at the k-th value are kept). */
  topK?: number;
  /** Nucleus sampling (Holtzman et al. 2019): the smallest set of most likely tokens whose probability reaches p (default 1, off). */
  topP?: number;
  /** Stop a sequence after this token (it is kept, and counted in the masks); null never stops early. */
  eosTokenId?: number | null;
  /** Token written into left padding and after EOS (default `eosTokenId`, else 0). */
  padTokenId?: number;
  /** Draws for sampling; defaults to a Generator seeded with `seed`, else the global one. */
  generator?: Generator;
  /** Seed of a fresh Generator when `generator` is not given. */
  seed?: number;
  /** Use the KV cache (default true); false recomputes the whole sequence each step (for tests). */
  useCache?: boolean;
}

/**
 * What `generate` returns; tensors are on the model's backend and owned by the caller.
 *
 * @example
 * ```ts
 * const model = new GPT(gptConfig('test'));
 * const { tokens, responses, logProbs }: GenerateOutput = await generate(model, [[1, 2], [3]], { maxNewTokens: 3 });
 * tokens.length; // 2: one list of new token ids per prompt
 * ```
 */
export interface GenerateOutput {
  /** (B, P + N) int32: prompts left-padded to P, then the generated tokens (padding after EOS). */
  sequences: Tensor;
  /** (B, P + N) float32: 1 for real tokens (prompt and response up to and including EOS), 0 for padding. */
  attentionMask: Tensor;
  /** (B, N) int32: the generated tokens (padding after EOS). */
  responses: Tensor;
  /** (B, N) float32: 1 for generated tokens up to and including EOS. */
  responseMask: Tensor;
  /** (B, N) float32: log π(token | prefix) under softmax(logits / temperature) before top-k/top-p filtering (TRL's convention; temperature 1 when greedy); 0 where masked. */
  logProbs: Tensor;
  /** P, the padded prompt length: response token i sits at position P + i of `sequences`. */
  promptLength: number;
  /** The generated tokens of each sequence up to and including EOS, as numbers. */
  tokens: number[][];
}

/**
 * Generates up to `maxNewTokens` tokens after each prompt. Prompts of different lengths are
 * left-padded with an attention mask and position ids that start at 0 at each prompt's first real
 * token, so every row computes what it would alone. Runs without gradients in eval mode (the
 * model's mode is restored).
 *
 * @example
 * ```ts
 * const tokenizer = new ByteTokenizer({ eos: true });
 * const model = new GPT(gptConfig('tiny', { vocabSize: tokenizer.vocabSize }));
 * const out = await generate(model, [tokenizer.encode('The'), tokenizer.encode('It was')], {
 *   maxNewTokens: 20, temperature: 0.8, topK: 40, eosTokenId: tokenizer.eosTokenId,
 * });
 * out.tokens.map((t) => tokenizer.decode(t));
 * out.logProbs; // (2, 20), for PPO
 * ```
 */
export async function generate(model: GPT, prompts: readonly (readonly number[])[], options: GenerateOptions): Promise<GenerateOutput> {
  const { maxNewTokens: N, doSample = true, temperature = 1, topK = 0, topP = 1, useCache = true } = options;
  const eos = options.eosTokenId ?? null;
  const pad = options.padTokenId ?? eos ?? 0;
  const V = model.config.vocabSize;
  checkOptions(model, prompts, options, N, doSample, temperature, topK, topP, pad);
  const generator = options.generator ?? (options.seed !== undefined ? new Generator(options.seed) : getDefaultGenerator());
  const backend = model.lmHeadWeight.backend;

  const B = prompts.length;
  const P = Math.max(...prompts.map((p) => p.length));
  const L = P + N;
  // Host state: sequences, attention mask and position ids (B, P + N), row-major.
  const sequences = new Int32Array(B * L).fill(pad);
  const mask = new Float32Array(B * L);
  const positions = new Int32Array(B * L);
  prompts.forEach((prompt, b) => {
    const offset = P - prompt.length;
    prompt.forEach((token, i) => {
      sequences[b * L + offset + i] = token;
      mask[b * L + offset + i] = 1;
      positions[b * L + offset + i] = i;
    });
  });
  const nextPosition = prompts.map((p) => p.length);
  const responses = new Int32Array(B * N).fill(pad);
  const responseMask = new Float32Array(B * N);
  const logProbs = new Float32Array(B * N);
  const finished = new Array<boolean>(B).fill(false);
  const tokens: number[][] = prompts.map(() => []);

  /** Columns [from, to) of a (B, L) host array as a (B, to − from) tensor. */
  const columns = (values: Int32Array | Float32Array, from: number, to: number, dtype: 'int32' | 'float32'): Tensor => {
    const width = to - from;
    const out = dtype === 'int32' ? new Int32Array(B * width) : new Float32Array(B * width);
    for (let b = 0; b < B; b++) out.set(values.subarray(b * L + from, b * L + to), b * width);
    return tensor(out, { shape: [B, width], dtype, backend });
  };

  const wasTraining = model.training;
  model.eval();
  const cache = useCache ? new KVCache(model.config.nLayer) : null;
  const scaled = new Float64Array(V);
  try {
    for (let step = 0; step < N; step++) {
      const length = P + step; // tokens so far
      const from = cache && step > 0 ? length - 1 : 0; // with a cache, only the newest token is fed
      const logits = noGrad(() =>
        tidy(() => {
          const idx = columns(sequences, from, length, 'int32'); // (B, T)
          const hidden = model.forwardHidden(idx, {
            attentionMask: columns(mask, 0, length, 'float32'), // (B, S)
            positionIds: columns(positions, from, length, 'int32'), // (B, T)
            cache,
          }); // (B, T, C)
          const T = length - from;
          return model.logits(narrow(hidden, 1, T - 1, 1)); // (B, 1, V): the last position only
        }),
      );
      const values = (await logits.data()) as Float32Array;
      logits.dispose();
      for (let b = 0; b < B; b++) {
        const at = b * L + length;
        if (finished[b]) continue; // padding: sequences already holds pad, masks 0
        const row = values.subarray(b * V, (b + 1) * V);
        const tau = doSample ? temperature : 1;
        for (let v = 0; v < V; v++) scaled[v] = row[v] / tau;
        const token = doSample ? sample(scaled, topK, topP, generator) : argmax(scaled);
        sequences[at] = token;
        mask[at] = 1;
        positions[at] = nextPosition[b]++;
        responses[b * N + step] = token;
        responseMask[b * N + step] = 1;
        logProbs[b * N + step] = logSoftmaxAt(scaled, token);
        tokens[b].push(token);
        if (token === eos) finished[b] = true;
      }
      if (finished.every(Boolean)) break;
    }
  } finally {
    cache?.dispose();
    model.train(wasTraining);
  }
  return {
    sequences: tensor(sequences, { shape: [B, L], dtype: 'int32', backend }),
    attentionMask: tensor(mask, { shape: [B, L], backend }),
    responses: tensor(responses, { shape: [B, N], dtype: 'int32', backend }),
    responseMask: tensor(responseMask, { shape: [B, N], backend }),
    logProbs: tensor(logProbs, { shape: [B, N], backend }),
    promptLength: P,
    tokens,
  };
}

function checkOptions(
  model: GPT,
  prompts: readonly (readonly number[])[],
  options: GenerateOptions,
  N: number,
  doSample: boolean,
  temperature: number,
  topK: number,
  topP: number,
  pad: number,
): void {
  const V = model.config.vocabSize;
  if (!Array.isArray(prompts as unknown) || prompts.length === 0) throw new RangeError('generate: prompts must be a non-empty array of token arrays');
  prompts.forEach((prompt, b) => {
    if (prompt.length === 0) throw new RangeError(`generate: prompt ${b} is empty (start it with a token, e.g. EOS)`);
    prompt.forEach((t, i) => {
      if (!Number.isInteger(t) || t < 0 || t >= V) throw new RangeError(`generate: prompt ${b} token ${i} is ${t}, outside the vocabulary [0, ${V})`);
    });
  });
  if (!Number.isInteger(N) || N < 1) throw new RangeError(`generate: maxNewTokens must be a positive integer, got ${N}`);
  const P = Math.max(...prompts.map((p) => p.length));
  if (P + N > model.config.blockSize) throw new RangeError(`generate: prompt length ${P} + maxNewTokens ${N} exceeds blockSize ${model.config.blockSize}`);
  if (doSample && !(temperature > 0)) throw new RangeError(`generate: temperature must be > 0 when sampling, got ${temperature} (use doSample: false for greedy)`);
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`generate: topK must be a non-negative integer, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`generate: topP must be in (0, 1], got ${topP}`);
  if (!Number.isInteger(pad) || pad < 0 || pad >= V) throw new RangeError(`generate: padTokenId ${pad} is outside the vocabulary [0, ${V})`);
  if (options.eosTokenId != null && (!Number.isInteger(options.eosTokenId) || options.eosTokenId < 0 || options.eosTokenId >= V)) {
    throw new RangeError(`generate: eosTokenId ${options.eosTokenId} is outside the vocabulary [0, ${V})`);
  }
}

/** Index of the largest value (the first on ties, as torch.argmax). */
function argmax(values: Float64Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** log softmax(values)[index], computed stably in float64. */
function logSoftmaxAt(values: Float64Array, index: number): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i] - max);
  return values[index] - max - Math.log(sum);
}

/**
 * One draw from softmax(logits) restricted by top-k then top-p, with one uniform from `generator`.
 * Candidates are visited in decreasing probability (ties by index), so a draw is reproducible.
 */
function sample(logits: Float64Array, topK: number, topP: number, generator: Generator): number {
  const V = logits.length;
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  let keep = V;
  if (topK > 0 && topK < V) {
    const kth = logits[order[topK - 1]];
    keep = topK;
    while (keep < V && logits[order[keep]] === kth) keep++; // ties with the k-th value stay (HF's TopKLogitsWarper)
  }
  const max = logits[order[0]];
  const weights = new Float64Array(keep);
  let total = 0;
  for (let r = 0; r < keep; r++) total += weights[r] = Math.exp(logits[order[r]] - max);
  if (topP < 1) {
    // Keep the shortest prefix whose probability reaches topP (at least one token).
    let cumulative = 0;
    let cut = 0;
    while (cut < keep) {
      cumulative += weights[cut] / total;
      cut++;
      if (cumulative >= topP) break;
    }
    keep = cut;
    total = 0;
    for (let r = 0; r < keep; r++) total += weights[r];
  }
  let u = generator.random() * total;
  for (let r = 0; r < keep; r++) {
    u -= weights[r];
    if (u < 0) return order[r];
  }
  return order[keep - 1];
}
