// Language-model training utilities: the next-token loss with a loss mask (SFT trains on answer
// tokens only), random batches from a token stream (nanoGPT's get_batch), sequence packing, and
// gradient accumulation over micro-batches.

import { crossEntropy, reshape, tensor, tidy, where, ne, type Backend, type Generator, type Tensor } from '@attune/tensor';

/**
 * Options of `lmLoss`.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const logits = new GPT(gptConfig('test')).forward(tensor([[1, 2, 3]], { dtype: 'int32' }));
 * const options: LmLossOptions = { ignoreIndex: -100 };
 * lmLoss(logits, tensor([[2, 3, -100]], { dtype: 'int32' }), options); // the last position does not count
 * ```
 */
export interface LmLossOptions {
  /** (B, T): 1/true where the target counts, 0/false where it does not (prompt tokens, padding). */
  lossMask?: Tensor | null;
  /** Target id that never counts (default −100, PyTorch's and Hugging Face's). */
  ignoreIndex?: number;
}

/**
 * Mean next-token cross-entropy of `logits` (B, T, V) against int32 `targets` (B, T), which are the
 * inputs shifted left by one (nanoGPT's convention: targets[t] is the token after inputs[t]). With a
 * `lossMask` the mean is over the masked-in targets only, so prompt tokens of SFT pairs and padding
 * contribute neither loss nor gradient.
 *
 * @example
 * ```ts
 * import { tensor } from '@attune/tensor';
 * const model = new GPT(gptConfig('test'));
 * const inputs = tensor([[1, 2, 3, 4]], { dtype: 'int32' });
 * const targets = tensor([[2, 3, 4, 5]], { dtype: 'int32' });
 * const lossMask = tensor([[0, 0, 1, 1]]); // train on the answer tokens only
 * const loss = lmLoss(model.forward(inputs), targets, { lossMask }); // scalar
 * loss.backward();
 * ```
 */
export function lmLoss(logits: Tensor, targets: Tensor, options: LmLossOptions = {}): Tensor {
  if (logits.ndim !== 3) throw new RangeError(`lmLoss: logits must be (B, T, V), got [${logits.shape.join(', ')}]`);
  const [B, T, V] = logits.shape;
  if (targets.ndim !== 2 || targets.shape[0] !== B || targets.shape[1] !== T) {
    throw new RangeError(`lmLoss: targets must be (B, T) = (${B}, ${T}), got [${targets.shape.join(', ')}]`);
  }
  const ignoreIndex = options.ignoreIndex ?? -100;
  let flatTargets = reshape(targets, [B * T]); // (B, T) → (B·T)
  const mask = options.lossMask;
  if (mask) {
    if (mask.ndim !== 2 || mask.shape[0] !== B || mask.shape[1] !== T) {
      throw new RangeError(`lmLoss: lossMask must be (B, T) = (${B}, ${T}), got [${mask.shape.join(', ')}]`);
    }
    const keep = reshape(mask.dtype === 'bool' ? mask : ne(mask, 0), [B * T]); // (B, T) → (B·T)
    flatTargets = where(keep, flatTargets, ignoreIndex);
  }
  return crossEntropy(reshape(logits, [B * T, V]), flatTargets, { ignoreIndex }); // (B, T, V) → (B·T, V)
}

/**
 * One batch of inputs and next-token targets.
 *
 * @example
 * ```ts
 * import { Generator } from '@attune/tensor';
 * const tokens = Int32Array.from({ length: 100 }, (_, i) => i % 37);
 * const { inputs, targets }: TokenBatch = sampleBatch(tokens, 4, 8, new Generator(0)); // (4, 8) each
 * ```
 */
export interface TokenBatch {
  /** (B, T) int32 token ids. */
  inputs: Tensor;
  /** (B, T) int32: inputs shifted by one. */
  targets: Tensor;
}

/**
 * B random windows of T + 1 consecutive tokens from `tokens` (nanoGPT's `get_batch`): inputs are the
 * first T, targets the last T. Offsets come from `generator`.
 *
 * @example
 * ```ts
 * import { Generator } from '@attune/tensor';
 * const trainTokens = Int32Array.from({ length: 1000 }, (_, i) => i % 256);
 * const { inputs, targets } = sampleBatch(trainTokens, 8, 128, new Generator(0));
 * ```
 */
export function sampleBatch(tokens: ArrayLike<number>, batchSize: number, blockSize: number, generator: Generator, options: { backend?: Backend } = {}): TokenBatch {
  const B = batchSize;
  const T = blockSize;
  if (tokens.length < T + 1) throw new RangeError(`sampleBatch: need at least blockSize + 1 = ${T + 1} tokens, got ${tokens.length}`);
  const inputs = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const start = generator.randint(0, tokens.length - T);
    for (let t = 0; t < T; t++) {
      inputs[b * T + t] = tokens[start + t];
      targets[b * T + t] = tokens[start + t + 1];
    }
  }
  return {
    inputs: tensor(inputs, { shape: [B, T], dtype: 'int32', backend: options.backend }),
    targets: tensor(targets, { shape: [B, T], dtype: 'int32', backend: options.backend }),
  };
}

/**
 * A sequence to pack, with an optional per-token loss mask (1 = train on this token).
 *
 * @example
 * ```ts
 * const sequence: PackableSequence = { tokens: [72, 105, 32, 111, 107], lossMask: [0, 0, 1, 1, 1] };
 * packSequences([sequence], 8);
 * ```
 */
export interface PackableSequence {
  tokens: readonly number[];
  /** Same length as `tokens`; default all ones. */
  lossMask?: readonly number[];
}

/**
 * Sequences packed into rows of exactly `blockSize` tokens.
 *
 * @example
 * ```ts
 * const { rows, inputs, targets, lossMask }: PackedSequences = packSequences([[1, 2, 3], [4, 5]], 4, { separatorTokenId: 0 });
 * rows; // 2
 * ```
 */
export interface PackedSequences {
  /** Number of rows N. */
  rows: number;
  blockSize: number;
  /** (N, T) input ids, row-major. */
  inputs: Int32Array;
  /** (N, T) next-token targets. */
  targets: Int32Array;
  /** (N, T): 1 where the target counts (its token's mask), 0 elsewhere. */
  lossMask: Float32Array;
}

/**
 * Packs sequences into full rows with no padding (Raffel et al. 2020, §3.1.2's packing; nanoGPT
 * trains on one concatenated stream): each sequence followed by `separatorTokenId` (EOS) is appended
 * to one stream, which is cut into rows of T + 1 tokens overlapping by one (inputs = first T,
 * targets = last T). A target's loss mask is its own token's mask (separators count); the tail that
 * does not fill a row is dropped. As in nanoGPT, attention is not blocked between packed documents:
 * the separator tells the model where one ends.
 *
 * @example
 * ```ts
 * const eos = 256;
 * const prompt = [72, 105, 58];  // 'Hi:'
 * const answer = [32, 111, 107]; // ' ok'
 * const packed = packSequences([{ tokens: prompt.concat(answer), lossMask: prompt.map(() => 0).concat(answer.map(() => 1)) }], 16, { separatorTokenId: eos });
 * ```
 */
export function packSequences(sequences: readonly (PackableSequence | readonly number[])[], blockSize: number, options: { separatorTokenId?: number | null } = {}): PackedSequences {
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new RangeError(`packSequences: blockSize must be a positive integer, got ${blockSize}`);
  const separator = options.separatorTokenId ?? null;
  const stream: number[] = [];
  const streamMask: number[] = [];
  sequences.forEach((entry, i) => {
    const seq: PackableSequence = isTokenArray(entry) ? { tokens: entry } : entry;
    if (seq.lossMask && seq.lossMask.length !== seq.tokens.length) {
      throw new RangeError(`packSequences: sequence ${i} has ${seq.tokens.length} tokens but a lossMask of ${seq.lossMask.length}`);
    }
    for (let t = 0; t < seq.tokens.length; t++) {
      stream.push(seq.tokens[t]);
      streamMask.push(seq.lossMask ? (seq.lossMask[t] ? 1 : 0) : 1);
    }
    if (separator !== null) {
      stream.push(separator);
      streamMask.push(1);
    }
  });
  const T = blockSize;
  const rows = stream.length > T ? Math.floor((stream.length - 1) / T) : 0;
  const inputs = new Int32Array(rows * T);
  const targets = new Int32Array(rows * T);
  const lossMask = new Float32Array(rows * T);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < T; t++) {
      const at = r * T + t;
      inputs[at] = stream[at];
      targets[at] = stream[at + 1];
      lossMask[at] = streamMask[at + 1];
    }
  }
  return { rows, blockSize: T, inputs, targets, lossMask };
}

function isTokenArray(entry: PackableSequence | readonly number[]): entry is readonly number[] {
  return Array.isArray(entry);
}

/**
 * Runs `microSteps` forward/backward passes, each in its own `tidy`, scaling every loss by
 * 1/microSteps so the accumulated `.grad`s are those of the mean loss over the whole batch
 * (nanoGPT's gradient accumulation). Call `optimizer.zeroGrad()` before and `optimizer.step()`
 * after. Resolves with the mean of the unscaled losses.
 *
 * @example
 * ```ts
 * import { Generator } from '@attune/tensor';
 * import { AdamW, clipGradNorm } from '@attune/nn';
 * const model = new GPT(gptConfig('test'));
 * const optimizer = new AdamW(model.parameters(), { lr: 1e-3 });
 * const tokens = Int32Array.from({ length: 200 }, (_, i) => i % 37);
 * const batches = Array.from({ length: 4 }, () => sampleBatch(tokens, 2, 8, new Generator(0)));
 * const inputs = batches.map((b) => b.inputs);
 * const targets = batches.map((b) => b.targets);
 * optimizer.zeroGrad();
 * const loss = await accumulateGradients(4, (i) => lmLoss(model.forward(inputs[i]), targets[i]));
 * clipGradNorm(model.parameters(), 1);
 * optimizer.step();
 * ```
 */
export async function accumulateGradients(microSteps: number, lossFn: (microStep: number) => Tensor): Promise<number> {
  if (!Number.isInteger(microSteps) || microSteps < 1) throw new RangeError(`accumulateGradients: microSteps must be a positive integer, got ${microSteps}`);
  let total = 0;
  for (let i = 0; i < microSteps; i++) {
    const loss = tidy(() => {
      const value = lossFn(i);
      if (value.size !== 1) throw new RangeError(`accumulateGradients: lossFn must return a scalar, got shape [${value.shape.join(', ')}]`);
      value.div(microSteps).backward();
      return value.detach();
    });
    total += await loss.item();
    loss.dispose();
  }
  return total / microSteps;
}
