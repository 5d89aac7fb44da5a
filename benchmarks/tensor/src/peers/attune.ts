// @attune/tensor + @attune/nn peer: the library under test, driven the way a
// user would (MLP modules, Adam, tidy, loss.backward()), with the fixture's
// initial weights copied into the modules so its PPO loss can be cross-checked
// against the other peers and the float64 reference.

import os from 'node:os';
import type * as TensorNs from '@attune/tensor';
import type * as NnNs from '@attune/nn';
import {
  ADAM,
  HIDDEN,
  MINIBATCH,
  N_ACTIONS,
  OBS_DIM,
  SINGLE_OBS,
  VALUE_COEF,
  matmulInputs,
  ppoFixture,
  type BenchCase,
  type LayerInit,
  type Peer,
  type PeerInfo,
} from '../peer.js';

type At = typeof TensorNs;
type Nn = typeof NnNs;
type Tensor = TensorNs.Tensor;

export function createAttunePeer(): Peer {
  let at!: At;
  let nn!: Nn;
  const notes: string[] = [];

  /** Row-major `[in, out]` → `[out, in]`. */
  const transpose = (w: Float32Array, rows: number, cols: number): Float32Array => {
    const out = new Float32Array(w.length);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c]!;
    return out;
  };

  /** Copies the fixture's weights into the module's parameters (weight, bias per layer, in
   * order), accepting PyTorch's `[out, in]` weight layout or `[in, out]`. */
  const loadWeights = (params: Tensor[], init: LayerInit[]): boolean => {
    if (params.length !== init.length * 2) return false;
    const values: Tensor[] = [];
    for (let i = 0; i < init.length; i++) {
      const l = init[i]!;
      const w = params[2 * i]!;
      const b = params[2 * i + 1]!;
      const [d0, d1] = w.shape;
      let wData: Float32Array;
      if (w.ndim === 2 && d0 === l.outFeatures && d1 === l.inFeatures) wData = transpose(l.weight, l.inFeatures, l.outFeatures);
      else if (w.ndim === 2 && d0 === l.inFeatures && d1 === l.outFeatures) wData = l.weight;
      else return false;
      if (b.ndim !== 1 || b.shape[0] !== l.outFeatures) return false;
      values.push(at.tensor(wData, { shape: w.shape }), at.tensor(l.bias, { shape: b.shape }));
    }
    at.noGrad(() => params.forEach((p, i) => p.assign_(values[i]!)));
    at.dispose(values);
    return true;
  };

  const makeMlp = (outFeatures: number, init: LayerInit[]) => {
    const mlp = new nn.MLP({ inFeatures: OBS_DIM, hiddenSizes: [...HIDDEN], outFeatures, activation: 'tanh' });
    if (!loadWeights(mlp.parameters(), init) && !notes.some((n) => n.startsWith('weights'))) {
      notes.push("weights not loaded from the fixture (parameter layout not recognised), so its PPO loss won't match");
    }
    return mlp;
  };

  return {
    async init(): Promise<PeerInfo> {
      at = await import('@attune/tensor');
      nn = await import('@attune/nn');
      const backend = at.getBackend();
      const cpu = at.cpuBackend();
      if (backend === cpu) notes.push(cpu.fast ? 'CPU backend with the WebAssembly SIMD fast kernels' : 'CPU backend, JavaScript kernels (no fast kernels installed)');
      // Thread count and kernel build are not (yet) part of the public API; use them if exported.
      const extra = at as unknown as { getNumThreads?: () => number; wasmKernelVariant?: () => string | null };
      let threads: number;
      if (typeof extra.getNumThreads === 'function') threads = extra.getNumThreads();
      else {
        threads = Math.max(1, Math.min(8, os.availableParallelism()));
        notes.push(`thread count not exported by @attune/tensor; ${threads} assumed (its default: availableParallelism() capped at 8, used by large matmuls only)`);
      }
      if (typeof extra.wasmKernelVariant === 'function') notes.push(`kernel build: ${extra.wasmKernelVariant() ?? 'none'}`);
      return {
        label: '@attune/tensor',
        library: '@attune/tensor + @attune/nn (workspace source)',
        backend: backend.name,
        threads,
        notes,
      };
    },

    async matmul(n: number): Promise<BenchCase> {
      const [ad, bd] = matmulInputs(n);
      const a = at.tensor(ad, { shape: [n, n] });
      const b = at.tensor(bd, { shape: [n, n] });
      return {
        async: false,
        // The CPU backend computes synchronously inside the op.
        run: () => a.matmul(b).dispose(),
        dispose: () => at.dispose([a, b]),
      };
    },

    async ppoUpdate(): Promise<BenchCase> {
      const f = ppoFixture();
      const policy = makeMlp(N_ACTIONS, f.policy);
      const value = makeMlp(1, f.value);
      const opt = new nn.Adam([...policy.parameters(), ...value.parameters()], {
        lr: ADAM.lr,
        betas: [ADAM.beta1, ADAM.beta2],
        eps: ADAM.eps,
      });
      const obs = at.tensor(f.obs, { shape: [MINIBATCH, OBS_DIM] });
      const actions = at.tensor(f.actions, { shape: [MINIBATCH], dtype: 'int32' });
      const adv = at.tensor(f.advantages, { shape: [MINIBATCH] });
      const ret = at.tensor(f.returns, { shape: [MINIBATCH] });
      const c: BenchCase = {
        async: false,
        run: () => {
          const lossValue = at.tidy(() => {
            const logp = policy.forward(obs).logSoftmax(-1);
            const taken = logp.gather(-1, actions.unsqueeze(-1)).squeeze(-1);
            const pg = taken.mul(adv).mean().neg();
            const vl = value.forward(obs).squeeze(-1).sub(ret).pow(2).mean().mul(VALUE_COEF);
            const loss = pg.add(vl);
            opt.zeroGrad();
            loss.backward();
            opt.step();
            return loss.dataSync()[0]!;
          });
          c.firstValue ??= lossValue;
        },
        dispose: () => at.dispose([obs, actions, adv, ret, ...policy.parameters(), ...value.parameters()]),
      };
      return c;
    },

    async policyForward(): Promise<BenchCase> {
      const f = ppoFixture();
      const policy = makeMlp(N_ACTIONS, f.policy);
      const obs = Float32Array.from(SINGLE_OBS);
      return {
        async: false,
        run: () => {
          at.tidy(() => void at.noGrad(() => policy.forward(at.tensor(obs, { shape: [1, OBS_DIM] })).dataSync()));
        },
        dispose: () => at.dispose(policy.parameters()),
      };
    },
  };
}
