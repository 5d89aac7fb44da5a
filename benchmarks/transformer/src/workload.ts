// The benchmarked workload, shared by every peer: the tiny GPT-2 (4 layers, 4 heads, 128 wide, byte
// vocabulary 256, T = 128), batches of B = 8, AdamW, and seeded initial weights and token batches
// built here, independently of any library, so all peers train the same model on the same numbers.

export const CONFIG = { nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 128, vocabSize: 256 } as const;
export const BATCH_SIZE = 8;
export const TOKENS_PER_STEP = BATCH_SIZE * CONFIG.blockSize;
/** nanoGPT's AdamW settings. */
export const ADAMW = { lr: 6e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 } as const;

/** One training step's time per peer, and how one peer reports itself. */
export interface PeerInfo {
  label: string;
  library: string;
  backend: string;
  threads: number;
  notes: string[];
}

/** A peer: builds the model from `fixture()` and runs training steps. */
export interface Peer {
  init(): Promise<PeerInfo>;
  /** One optimizer step on batch `index % BATCHES`, with the loss read back to JavaScript; returns the loss. */
  step(index: number): number | Promise<number>;
}

/** mulberry32. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(n: number, std: number, r: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = std * Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
  return out;
}

/** A weight in Hugging Face's layout (Conv1D projections are (in, out)). */
export interface FixtureTensor {
  shape: number[];
  values: Float32Array;
}

export const BATCHES = 4;

export interface Fixture {
  /** Hugging Face GPT-2 names without the `transformer.` prefix → tensor. */
  weights: Record<string, FixtureTensor>;
  /** BATCHES batches of (B, T) inputs and targets. */
  inputs: Int32Array[];
  targets: Int32Array[];
}

/** GPT-2's init (N(0, 0.02²), residual projections 0.02/√(2·nLayer), LayerNorm 1/0, biases 0) and random byte batches. */
export function fixture(): Fixture {
  const r = rng(1234);
  const { nLayer, nEmbd: C, blockSize: T, vocabSize: V } = CONFIG;
  const weights: Record<string, FixtureTensor> = {};
  const put = (name: string, shape: number[], values: Float32Array) => (weights[name] = { shape, values });
  const randn = (name: string, shape: number[], std: number) => put(name, shape, normal(shape.reduce((a, b) => a * b, 1), std, r));
  const fill = (name: string, n: number, value: number) => put(name, [n], new Float32Array(n).fill(value));
  const residual = 0.02 / Math.sqrt(2 * nLayer);
  randn('wte.weight', [V, C], 0.02);
  randn('wpe.weight', [T, C], 0.02);
  for (let i = 0; i < nLayer; i++) {
    const h = `h.${i}.`;
    fill(h + 'ln_1.weight', C, 1);
    fill(h + 'ln_1.bias', C, 0);
    randn(h + 'attn.c_attn.weight', [C, 3 * C], 0.02);
    fill(h + 'attn.c_attn.bias', 3 * C, 0);
    randn(h + 'attn.c_proj.weight', [C, C], residual);
    fill(h + 'attn.c_proj.bias', C, 0);
    fill(h + 'ln_2.weight', C, 1);
    fill(h + 'ln_2.bias', C, 0);
    randn(h + 'mlp.c_fc.weight', [C, 4 * C], 0.02);
    fill(h + 'mlp.c_fc.bias', 4 * C, 0);
    randn(h + 'mlp.c_proj.weight', [4 * C, C], residual);
    fill(h + 'mlp.c_proj.bias', C, 0);
  }
  fill('ln_f.weight', C, 1);
  fill('ln_f.bias', C, 0);
  const inputs: Int32Array[] = [];
  const targets: Int32Array[] = [];
  for (let b = 0; b < BATCHES; b++) {
    // A repeating byte pattern with noise, so the loss visibly falls and both peers can be compared.
    const stream = Int32Array.from({ length: BATCH_SIZE * T + 1 }, (_, i) => (r() < 0.8 ? 97 + (i % 26) : Math.floor(r() * V)));
    inputs.push(stream.slice(0, BATCH_SIZE * T));
    targets.push(stream.slice(1));
  }
  return { weights, inputs, targets };
}
