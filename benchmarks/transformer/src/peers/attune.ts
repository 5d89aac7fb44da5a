// The Attune peer: @attune/transformer's GPT on the CPU backend (WebAssembly SIMD kernels, worker
// threads for large matmuls), AdamW from @attune/nn, one `tidy` per step.

import os from 'node:os';
import { tensor, tidy } from '@attune/tensor';
import { AdamW } from '@attune/nn';
import { GPT, gptConfig, lmLoss, loadHuggingFaceStateDict } from '@attune/transformer';
import { ADAMW, BATCHES, BATCH_SIZE, CONFIG, fixture, type Peer, type PeerInfo } from '../workload.js';

export function createAttunePeer(): Peer {
  let step!: (index: number) => number;
  return {
    async init(): Promise<PeerInfo> {
      const f = fixture();
      const model = new GPT(gptConfig({ ...CONFIG, dropout: 0 }));
      const weights = Object.fromEntries(Object.entries(f.weights).map(([name, t]) => [name, tensor(t.values, { shape: t.shape })]));
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
      const inputs = f.inputs.map((x) => tensor(x, { shape: [BATCH_SIZE, T], dtype: 'int32' }));
      const targets = f.targets.map((y) => tensor(y, { shape: [BATCH_SIZE, T], dtype: 'int32' }));
      step = (index) =>
        tidy(() => {
          const loss = lmLoss(model.forward(inputs[index % BATCHES]), targets[index % BATCHES]);
          optimizer.zeroGrad();
          loss.backward();
          optimizer.step();
          return loss.itemSync();
        });
      return {
        label: '@attune/transformer',
        library: '@attune/transformer + @attune/nn + @attune/tensor (workspace source)',
        backend: 'cpu (WebAssembly SIMD kernels)',
        threads: Math.min(8, os.availableParallelism()),
        notes: ['GPT from @attune/transformer, AdamW (decoupled decay) from @attune/nn', 'matmuls split across worker threads, one per core up to 8 (the tensor core default)'],
      };
    },
    step: (index) => step(index),
  };
}
