// Shared by the fused-attention tests: runs scaledDotProductAttention and its gradients on one
// backend, on the fused kernel or (with an all-allowed / causal bool mask) on the composed path.

import { full, ne, randn, scaledDotProductAttention, tril, type Backend, Generator } from '../src/index.js';

export interface AttentionCase {
  batch: readonly number[];
  lengthQ: number;
  lengthK: number;
  headSize: number;
  valueSize: number;
  causal: boolean;
}

export interface AttentionResult {
  out: Float32Array;
  dq: Float32Array;
  dk: Float32Array;
  dv: Float32Array;
}

/** Forward output and q/k/v gradients of Σ out·w (w random) for one case, on `backend`. */
export async function runAttention(backend: Backend, c: AttentionCase, path: 'fused' | 'composed', seed = 1): Promise<AttentionResult> {
  const generator = new Generator(seed);
  const q = randn([...c.batch, c.lengthQ, c.headSize], { generator, backend, requiresGrad: true });
  const k = randn([...c.batch, c.lengthK, c.headSize], { generator, backend, requiresGrad: true });
  const v = randn([...c.batch, c.lengthK, c.valueSize], { generator, backend, requiresGrad: true });
  const w = randn([...c.batch, c.lengthQ, c.valueSize], { generator, backend });
  let attnMask = null;
  if (path === 'composed') {
    const ones = full([c.lengthQ, c.lengthK], 1, { backend });
    attnMask = ne(c.causal ? tril(ones) : ones, 0);
  }
  const out = scaledDotProductAttention(q, k, v, path === 'fused' ? { isCausal: c.causal } : { attnMask });
  out.mul(w).sum().backward();
  const result = {
    out: (await out.data()) as Float32Array,
    dq: (await q.grad!.data()) as Float32Array,
    dk: (await k.grad!.data()) as Float32Array,
    dv: (await v.grad!.data()) as Float32Array,
  };
  for (const t of [q, k, v, w, out, attnMask]) t?.dispose();
  return result;
}

/** Largest |a − b| / (atol + rtol·|b|); ≤ 1 means within tolerance. */
export function worstError(a: Float32Array, b: Float32Array, rtol: number, atol: number): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  return worst;
}
