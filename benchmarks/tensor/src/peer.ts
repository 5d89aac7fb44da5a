// The contract every benchmarked library ("peer") implements, plus the shared
// workload definition: sizes, hyper-parameters and seeded fixtures, so that all
// peers compute exactly the same thing on exactly the same numbers.

/** One prepared benchmark case: `run` performs one iteration, including whatever
 * the library needs for the result to be complete (and, where stated, read back). */
export interface BenchCase {
  /** true when `run` returns a promise that must be awaited. */
  readonly async: boolean;
  run(): void | Promise<void>;
  /** Releases tensors held by the case. */
  dispose(): void;
  /** Optional value computed by the first call, used as a cross-library sanity check
   * (the PPO loss before the first Adam step). */
  firstValue?: number;
}

export interface PeerInfo {
  /** Row label in the table, e.g. `tfjs-wasm (2 threads)`. */
  label: string;
  /** Library package and version. */
  library: string;
  /** Backend / device name as the library calls it. */
  backend: string;
  /** Threads the library computes with (1 = main thread only). */
  threads: number;
  /** Anything a reader needs to reproduce or interpret this row. */
  notes: string[];
}

export interface Peer {
  /** Initialises the library (wasm loading, thread pools) and reports what it got. */
  init(): Promise<PeerInfo>;
  /** Square f32 matmul n×n · n×n. */
  matmul(n: number): Promise<BenchCase>;
  /** One PPO minibatch update (forward both nets, loss, backward, one Adam step). */
  ppoUpdate(): Promise<BenchCase>;
  /** One batch-1 policy forward: 1×4 observation in, 2 logits read back to JS. */
  policyForward(): Promise<BenchCase>;
}

// ---------------------------------------------------------------------------
// Workload definition
// ---------------------------------------------------------------------------

export const OBS_DIM = 4;
export const HIDDEN = [64, 64] as const;
export const N_ACTIONS = 2;
export const MINIBATCH = 128;
export const ADAM = { lr: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-5 } as const;
export const VALUE_COEF = 0.5;

/** Small deterministic PRNG (mulberry32) so fixtures do not depend on any library. */
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

export function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/** A dense layer's initial weights, row-major `[in, out]`, PyTorch's default
 * `nn.Linear` range U(-1/√in, 1/√in) for both weight and bias. */
export interface LayerInit {
  inFeatures: number;
  outFeatures: number;
  /** `[in, out]` row-major. */
  weight: Float32Array;
  bias: Float32Array;
}

export function mlpInit(outFeatures: number, seed: number): LayerInit[] {
  const sizes = [OBS_DIM, ...HIDDEN, outFeatures];
  const layers: LayerInit[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const fanIn = sizes[i]!;
    const fanOut = sizes[i + 1]!;
    const bound = 1 / Math.sqrt(fanIn);
    layers.push({
      inFeatures: fanIn,
      outFeatures: fanOut,
      weight: uniform(fanIn * fanOut, -bound, bound, seed * 100 + i * 2),
      bias: uniform(fanOut, -bound, bound, seed * 100 + i * 2 + 1),
    });
  }
  return layers;
}

export interface PpoFixture {
  policy: LayerInit[];
  value: LayerInit[];
  /** `[MINIBATCH, OBS_DIM]` */
  obs: Float32Array;
  actions: Int32Array;
  advantages: Float32Array;
  returns: Float32Array;
  /** `[MINIBATCH, N_ACTIONS]` one-hot of `actions`, for peers whose gather has no gradient. */
  actionsOneHot: Float32Array;
}

export function ppoFixture(): PpoFixture {
  const r = rng(7);
  const actions = Int32Array.from({ length: MINIBATCH }, () => Math.floor(r() * N_ACTIONS));
  const actionsOneHot = new Float32Array(MINIBATCH * N_ACTIONS);
  actions.forEach((a, i) => (actionsOneHot[i * N_ACTIONS + a] = 1));
  return {
    policy: mlpInit(N_ACTIONS, 1),
    value: mlpInit(1, 2),
    obs: uniform(MINIBATCH * OBS_DIM, -1, 1, 11),
    actions,
    advantages: uniform(MINIBATCH, -1, 1, 12),
    returns: uniform(MINIBATCH, -1, 1, 13),
    actionsOneHot,
  };
}

/** The observation fed to the batch-1 forward (a fresh tensor is built from it each call). */
export const SINGLE_OBS = uniform(OBS_DIM, -1, 1, 21);

export function matmulInputs(n: number): [Float32Array, Float32Array] {
  return [uniform(n * n, -1, 1, 1000 + n), uniform(n * n, -1, 1, 2000 + n)];
}

/** The float64 reference of the PPO loss on the fixture before any update, so the
 * report can flag a peer that computes something different. */
export function referencePpoLoss(f: PpoFixture): number {
  const forward = (layers: LayerInit[], x: Float64Array, rows: number): Float64Array => {
    let h = x;
    layers.forEach((l, li) => {
      const out = new Float64Array(rows * l.outFeatures);
      for (let r = 0; r < rows; r++) {
        for (let o = 0; o < l.outFeatures; o++) {
          let s = l.bias[o]!;
          for (let i = 0; i < l.inFeatures; i++) s += h[r * l.inFeatures + i]! * l.weight[i * l.outFeatures + o]!;
          out[r * l.outFeatures + o] = li + 1 < layers.length ? Math.tanh(s) : s;
        }
      }
      h = out;
    });
    return h;
  };
  const x = Float64Array.from(f.obs);
  const logits = forward(f.policy, x, MINIBATCH);
  const values = forward(f.value, x, MINIBATCH);
  let pg = 0;
  let vl = 0;
  for (let r = 0; r < MINIBATCH; r++) {
    let m = -Infinity;
    for (let a = 0; a < N_ACTIONS; a++) m = Math.max(m, logits[r * N_ACTIONS + a]!);
    let z = 0;
    for (let a = 0; a < N_ACTIONS; a++) z += Math.exp(logits[r * N_ACTIONS + a]! - m);
    const logp = logits[r * N_ACTIONS + f.actions[r]!]! - m - Math.log(z);
    pg += logp * f.advantages[r]!;
    vl += (values[r]! - f.returns[r]!) ** 2;
  }
  return -pg / MINIBATCH + VALUE_COEF * (vl / MINIBATCH);
}
