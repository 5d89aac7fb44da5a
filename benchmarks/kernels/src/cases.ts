// The benchmark cases: what each computes, its useful FLOPs and bytes (for GFLOP/s and GB/s), and
// how each library enqueues one call. Inputs are made once per case; a call's outputs are
// disposed inside the call (tidy), so repeated calls reuse the libraries' buffer pools.

import {
  Generator,
  gelu,
  layerNorm,
  matmul,
  randn,
  scaledDotProductAttention,
  softmax,
  tidy,
  zeros,
  type Tensor,
} from '@attune/tensor';
import { attuneGptStep, gptStepFlops, SMALL_GPT, tfjsGptStep, type GptShape } from './gpt.js';
import type { AttuneLibrary, Tf } from './libraries.js';

/** One prepared case: enqueue a call, and free the inputs. */
export interface Prepared {
  call(): void;
  dispose(): void;
}

export type Group = 'matmul' | 'gpt2-matmul' | 'softmax' | 'layerNorm' | 'attention' | 'elementwise' | 'adam' | 'train';

export interface KernelCase {
  /** Stable id, e.g. 'matmul-1024'. */
  id: string;
  group: Group;
  /** What is computed, with shapes. */
  title: string;
  /** Useful floating-point operations per call (multiply-add = 2). */
  flops: number;
  /** Bytes a perfect kernel reads and writes per call. */
  bytes: number;
  /** Tokens processed per call (training steps). */
  tokens?: number;
  /** The largest single buffer the case needs, in bytes (skipped above the adapter's binding limit). */
  largestBuffer: number;
  attune(library: AttuneLibrary): Prepared;
  tfjs(tf: Tf): Prepared;
}

const F32 = 4;

/** Standard-normal inputs of these shapes on an @attune/tensor library's backend (seed 17), as every case makes them. */
export function attuneInputs(library: AttuneLibrary, shapes: number[][]): Tensor[] {
  const generator = new Generator(17);
  return shapes.map((shape) => randn(shape, { generator, backend: library.backend }));
}

function tfjsInputs(tf: Tf, shapes: number[][]) {
  return shapes.map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', 17 + i));
}

/** C = A·B (optionally Bᵀ stored (n, k), as a Linear layer's weight), batched when `batch` > 1. */
function matmulCase(id: string, group: Group, title: string, batch: number, m: number, k: number, n: number, transB: boolean): KernelCase {
  const aShape = batch > 1 ? [batch, m, k] : [m, k];
  const bShape = transB ? (batch > 1 ? [batch, n, k] : [n, k]) : batch > 1 ? [batch, k, n] : [k, n];
  return {
    id,
    group,
    title,
    flops: 2 * batch * m * k * n,
    bytes: F32 * batch * (m * k + k * n + m * n),
    largestBuffer: F32 * batch * Math.max(m * k, k * n, m * n),
    attune(library) {
      const [a, b] = attuneInputs(library, [aShape, bShape]);
      return { call: () => tidy(() => void matmul(a, transB ? b.mT : b)), dispose: () => [a, b].forEach((t) => t.dispose()) };
    },
    tfjs(tf) {
      const [a, b] = tfjsInputs(tf, [aShape, bShape]);
      return { call: () => tf.tidy(() => void tf.matMul(a, b, false, transB)), dispose: () => tf.dispose([a, b]) };
    },
  };
}

/** Square products, 256 … 4096 (larger sizes are skipped per library once a call would take too long). */
export const SQUARE_SIZES = [256, 512, 1024, 2048, 4096];

/** GPT-2 124M's matmuls for a batch of B·T = 1024 tokens (C = 768, 12 heads, vocab 50257). */
const GPT2 = { tokens: 1024, width: 768, heads: 12, vocab: 50257 };

function gptShapeTitle(shape: GptShape): string {
  return `GPT training step (${shape.layers} layers, ${shape.heads} heads, C=${shape.width}, T=${shape.blockSize}, B=${shape.batch}, vocab ${shape.vocab}): forward + backward + Adam`;
}

export function allCases(): KernelCase[] {
  const { tokens: BT, width: C, heads: H, vocab: V } = GPT2;
  const cases: KernelCase[] = SQUARE_SIZES.map((n) => matmulCase(`matmul-${n}`, 'matmul', `matmul ${n}×${n} · ${n}×${n}`, 1, n, n, n, false));
  cases.push(
    matmulCase('gpt2-c_attn', 'gpt2-matmul', `GPT-2 c_attn: x (${BT}×${C}) · Wᵀ (${C}→${3 * C})`, 1, BT, C, 3 * C, true),
    matmulCase('gpt2-attn.c_proj', 'gpt2-matmul', `GPT-2 attn.c_proj: (${BT}×${C}) · Wᵀ (${C}→${C})`, 1, BT, C, C, true),
    matmulCase('gpt2-mlp.c_fc', 'gpt2-matmul', `GPT-2 mlp.c_fc: (${BT}×${C}) · Wᵀ (${C}→${4 * C})`, 1, BT, C, 4 * C, true),
    matmulCase('gpt2-mlp.c_proj', 'gpt2-matmul', `GPT-2 mlp.c_proj: (${BT}×${4 * C}) · Wᵀ (${4 * C}→${C})`, 1, BT, 4 * C, C, true),
    matmulCase('gpt2-scores', 'gpt2-matmul', `GPT-2 attention scores: ${H} heads × (${BT}×64) · (64×${BT})`, H, BT, C / H, BT, true),
    matmulCase('gpt2-lm_head', 'gpt2-matmul', `GPT-2 lm_head: (${BT}×${C}) · wteᵀ (${C}→${V})`, 1, BT, C, V, true),
  );
  // The 65,536-row cases move ≥ 400 MB per call, long enough to show a GPU's memory bandwidth rather than launch latency.
  for (const [rows, cols, what] of [[4096, 1024, 'attention rows'], [64, 50257, 'vocabulary rows'], [65536, 1024, 'rows']] as const) {
    cases.push({
      id: `softmax-${rows}x${cols}`,
      group: 'softmax',
      title: `softmax of ${rows} ${what} of ${cols}`,
      flops: 0,
      bytes: 2 * F32 * rows * cols,
      largestBuffer: F32 * rows * cols,
      attune(library) {
        const [x] = attuneInputs(library, [[rows, cols]]);
        return { call: () => tidy(() => void softmax(x, -1)), dispose: () => x.dispose() };
      },
      tfjs(tf) {
        const [x] = tfjsInputs(tf, [[rows, cols]]);
        return { call: () => tf.tidy(() => void tf.softmax(x)), dispose: () => x.dispose() };
      },
    });
  }
  for (const lnRows of [8192, 65536]) cases.push({
    id: `layerNorm-${lnRows}x${C}`,
    group: 'layerNorm',
    title: `layerNorm of ${lnRows}×${C} with weight and bias (forward)`,
    flops: 0,
    bytes: F32 * (2 * lnRows * C + 2 * C),
    largestBuffer: F32 * lnRows * C,
    attune(library) {
      const [x, w, b] = attuneInputs(library, [[lnRows, C], [C], [C]]);
      return { call: () => tidy(() => void layerNorm(x, [C], w, b)), dispose: () => [x, w, b].forEach((t) => t.dispose()) };
    },
    tfjs(tf) {
      const [x, w, b] = tfjsInputs(tf, [[lnRows, C], [C], [C]]);
      return {
        call: () =>
          tf.tidy(() => {
            const { mean, variance } = tf.moments(x, -1, true);
            void tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), w), b);
          }),
        dispose: () => tf.dispose([x, w, b]),
      };
    },
  });
  const T = 1024;
  const D = C / H;
  cases.push({
    id: `attention-${H}x${T}x${D}`,
    group: 'attention',
    title: `causal attention forward, ${H} heads, T=${T}, D=${D}: softmax(q·kᵀ/√D + mask)·v`,
    flops: 4 * H * T * T * D,
    bytes: F32 * (4 * H * T * D),
    largestBuffer: F32 * H * T * T,
    attune(library) {
      const [q, k, v] = attuneInputs(library, [[1, H, T, D], [1, H, T, D], [1, H, T, D]]);
      return { call: () => tidy(() => void scaledDotProductAttention(q, k, v, { isCausal: true })), dispose: () => [q, k, v].forEach((t) => t.dispose()) };
    },
    tfjs(tf) {
      const [q, k, v] = tfjsInputs(tf, [[1, H, T, D], [1, H, T, D], [1, H, T, D]]);
      const maskBias = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9));
      return {
        call: () => tf.tidy(() => void tf.matMul(tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D)), maskBias)), v)),
        dispose: () => tf.dispose([q, k, v, maskBias]),
      };
    },
  });
  const n = 1 << 22;
  // The 64M-element add moves 768 MB per call: the bandwidth a plain streaming kernel reaches on
  // this adapter, the yardstick for softmax and layerNorm.
  for (const size of [n, 1 << 26]) {
    cases.push({
      id: `add-${size}`,
      group: 'elementwise',
      title: `add of two ${size}-element tensors`,
      flops: 0,
      bytes: 3 * F32 * size,
      largestBuffer: F32 * size,
      attune(library) {
        const [a, b] = attuneInputs(library, [[size], [size]]);
        return { call: () => tidy(() => void a.add(b)), dispose: () => [a, b].forEach((t) => t.dispose()) };
      },
      tfjs(tf) {
        const [a, b] = tfjsInputs(tf, [[size], [size]]);
        return { call: () => tf.tidy(() => void tf.add(a, b)), dispose: () => tf.dispose([a, b]) };
      },
    });
  }
  cases.push(
    {
      id: `gelu-${n}`,
      group: 'elementwise',
      title: `GELU (tanh form) of ${n} elements`,
      flops: 0,
      bytes: 2 * F32 * n,
      largestBuffer: F32 * n,
      attune(library) {
        const [x] = attuneInputs(library, [[n]]);
        return { call: () => tidy(() => void gelu(x, 'tanh')), dispose: () => x.dispose() };
      },
      tfjs(tf) {
        const [x] = tfjsInputs(tf, [[n]]);
        // tfjs has no tanh-form GELU kernel: the formula from ops, as a tfjs GPT-2 would write it.
        return {
          call: () => tf.tidy(() => void tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI)))))),
          dispose: () => x.dispose(),
        };
      },
    },
    {
      id: `adam-${n}`,
      group: 'adam',
      title: `Adam step on ${n} parameters (read p, g, m, v; write p, m, v)`,
      flops: 0,
      bytes: 7 * F32 * n,
      largestBuffer: F32 * n,
      attune(library) {
        const [p, g] = attuneInputs(library, [[n], [n]]);
        const m = zeros([n], { backend: library.backend });
        const v = zeros([n], { backend: library.backend });
        let step = 0;
        const backend = library.backend;
        return {
          call: () => backend.adamStep(p.storage, g.storage, m.storage, v.storage, n, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: ++step }),
          dispose: () => [p, g, m, v].forEach((t) => t.dispose()),
        };
      },
      tfjs(tf) {
        const p = tf.variable(tf.randomNormal([n], 0, 1, 'float32', 1), true, 'adam-p');
        const g = tf.randomNormal([n], 0, 1, 'float32', 2);
        const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
        return { call: () => tf.tidy(() => optimizer.applyGradients([{ name: 'adam-p', tensor: g }])), dispose: () => (tf.dispose([p, g]), optimizer.dispose()) };
      },
    },
  );
  cases.push({
    id: 'gpt-train-step',
    group: 'train',
    title: gptShapeTitle(SMALL_GPT),
    flops: gptStepFlops(SMALL_GPT),
    bytes: 0,
    tokens: SMALL_GPT.batch * SMALL_GPT.blockSize,
    largestBuffer: F32 * SMALL_GPT.batch * SMALL_GPT.heads * SMALL_GPT.blockSize * SMALL_GPT.blockSize,
    attune(library) {
      const { step, dispose } = attuneGptStep(library.backend, SMALL_GPT);
      return { call: step, dispose };
    },
    tfjs(tf) {
      const { step, dispose } = tfjsGptStep(tf, SMALL_GPT);
      return { call: step, dispose };
    },
  });
  return cases;
}
