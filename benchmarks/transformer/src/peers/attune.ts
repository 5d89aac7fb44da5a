// The Attune peer: @attune/transformer's GPT on the CPU backend (WebAssembly SIMD kernels, worker
// threads for large matmuls) or on WebGPU, AdamW from @attune/nn, one `tidy` per step.

import os from 'node:os';
import { cpuBackend, tensor, tidy, useBackend, wasmKernelVariant, type Backend } from '@attune/tensor';
import { AdamW } from '@attune/nn';
import { GPT, gptConfig, lmLoss, loadHuggingFaceStateDict } from '@attune/transformer';
import { ADAMW, BATCHES, BATCH_SIZE, CONFIG, fixture, type Peer, type PeerInfo } from '../workload.js';

export function createAttunePeer(options: { webgpu?: boolean } = {}): Peer {
  let step!: (index: number) => Promise<number>;
  return {
    async init(): Promise<PeerInfo> {
      let backend: Backend = cpuBackend();
      let adapter = '';
      if (options.webgpu) {
        const choice = await useBackend('webgpu');
        backend = choice.backend;
        adapter = choice.message;
      }
      const f = fixture();
      const model = new GPT(gptConfig({ ...CONFIG, dropout: 0 }), { backend });
      const weights = Object.fromEntries(Object.entries(f.weights).map(([name, t]) => [name, tensor(t.values, { shape: t.shape, backend })]));
      loadHuggingFaceStateDict(model, weights);
      for (const t of Object.values(weights)) t.dispose();
      // nanoGPT's groups: decay the matrices, not biases and LayerNorm gains.
      const params = model.parameters();
      const optimizer = new AdamW(
        [
          { params: params.filter((p) => p.ndim >= 2), weightDecay: ADAMW.weightDecay },
          { params: params.filter((p) => p.ndim < 2), weightDecay: 0 },
        ],
        { lr: ADAMW.lr, betas: [ADAMW.beta1, ADAMW.beta2], eps: ADAMW.eps },
      );
      const T = CONFIG.blockSize;
      const inputs = f.inputs.map((x) => tensor(x, { shape: [BATCH_SIZE, T], dtype: 'int32', backend }));
      const targets = f.targets.map((y) => tensor(y, { shape: [BATCH_SIZE, T], dtype: 'int32', backend }));
      step = async (index) => {
        const loss = tidy(() => {
          const l = lmLoss(model.forward(inputs[index % BATCHES]), targets[index % BATCHES]);
          optimizer.zeroGrad();
          l.backward();
          optimizer.step();
          return l;
        });
        const value = await loss.item(); // waits for the step to finish on an asynchronous backend
        loss.dispose();
        return value;
      };
      if (options.webgpu) {
        return {
          label: '@attune/transformer webgpu',
          library: '@attune/transformer + @attune/nn + @attune/tensor (workspace source)',
          backend: adapter,
          threads: 1,
          notes: ['the same GPT and AdamW on the WebGPU backend; the loss is read back with await every step'],
        };
      }
      return {
        label: '@attune/transformer',
        library: '@attune/transformer + @attune/nn + @attune/tensor (workspace source)',
        backend: `cpu (WebAssembly ${wasmKernelVariant() === 'relaxed-simd' ? 'relaxed SIMD (fused multiply-add)' : 'SIMD'} kernels)`,
        threads: Math.min(8, os.availableParallelism()),
        notes: ['GPT from @attune/transformer, AdamW (decoupled decay) from @attune/nn', 'matmuls, fused attention and activations split across worker threads (one per core, up to 8: the tensor core default) for job shapes where that has recently been faster than one thread'],
      };
    },
    step: (index) => step(index),
  };
}
