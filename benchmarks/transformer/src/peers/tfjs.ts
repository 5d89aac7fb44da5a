// The TensorFlow.js peer: the same GPT-2 written with tfjs-core ops on the XNNPACK wasm backend as
// Node gets it by default (SIMD build, one thread), trained with `optimizer.minimize`.
// Idiomatic choices where tfjs lacks an op: token embedding as oneHot·wte (the gather gradient,
// UnsortedSegmentSum, has no wasm kernel), LayerNorm from moments, GELU (tanh) composed, AdamW as
// tf.train.adam plus the decoupled decay θ ← θ·(1 − lr·λ) applied after each step.

import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TfCore from '@tensorflow/tfjs-core';
import { ADAMW, BATCHES, BATCH_SIZE, CONFIG, fixture, type Peer, type PeerInfo } from '../workload.js';

type Tf = typeof TfCore;
type Tensor = TfCore.Tensor;
const require = createRequire(import.meta.url);

export function createTfjsPeer(): Peer {
  let step!: (index: number) => number;
  return {
    async init(): Promise<PeerInfo> {
      const tf = (await import('@tensorflow/tfjs-core')) as Tf;
      // tfjs-core's Node bundle registers no gradients; this is what the @tensorflow/tfjs union package loads.
      require('@tensorflow/tfjs-core/dist/register_all_gradients.js');
      tf.env().set('PROD', true);
      await import('@tensorflow/tfjs-backend-wasm');
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const pkgDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
      wasm.setWasmPaths(path.join(pkgDir, 'dist') + path.sep);
      if (!(await tf.setBackend('wasm')) || tf.getBackend() !== 'wasm') throw new Error('tfjs wasm backend failed to initialise');
      await tf.ready();
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');

      const f = fixture();
      const { nLayer, nHead, nEmbd: C, blockSize: T, vocabSize: V } = CONFIG;
      const B = BATCH_SIZE;
      const hs = C / nHead;
      const w: Record<string, TfCore.Variable> = {};
      for (const [name, t] of Object.entries(f.weights)) w[name] = tf.variable(tf.tensor(t.values, t.shape), true, name);
      const varList = Object.values(w);
      const maskValues = new Float32Array(T * T);
      for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) maskValues[i * T + j] = -1e9;
      const causal = tf.tensor2d(maskValues, [T, T]);
      const inputs = f.inputs.map((x) => tf.cast(tf.oneHot(tf.tensor1d(x, 'int32'), V), 'float32') as TfCore.Tensor2D);
      const targets = f.targets.map((y) => tf.cast(tf.oneHot(tf.tensor1d(y, 'int32'), V), 'float32') as TfCore.Tensor2D);
      const c = Math.sqrt(2 / Math.PI);

      const layerNorm = (x: Tensor, g: Tensor, b: Tensor) => {
        const { mean, variance } = tf.moments(x, -1, true);
        return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
      };
      const gelu = (x: Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), c))));
      const dense = (x: Tensor, name: string) => tf.add(tf.matMul(x as TfCore.Tensor2D, w[name + '.weight'] as unknown as TfCore.Tensor2D), w[name + '.bias']);
      const heads = (x: Tensor) => tf.transpose(tf.reshape(x, [B, T, nHead, hs]), [0, 2, 1, 3]); // (B·T, C) → (B, nh, T, hs)

      const loss = (index: number) => {
        const oneHotIdx = inputs[index % BATCHES];
        let x: Tensor = tf.add(tf.reshape(tf.matMul(oneHotIdx, w['wte.weight']), [B, T, C]), w['wpe.weight']); // (B, T, C)
        x = tf.reshape(x, [B * T, C]);
        for (let l = 0; l < nLayer; l++) {
          const p = `h.${l}.`;
          const qkv = dense(layerNorm(x, w[p + 'ln_1.weight'], w[p + 'ln_1.bias']), p + 'attn.c_attn'); // (B·T, 3C)
          const [q, k, v] = tf.split(qkv, 3, 1).map(heads);
          const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hs)), causal); // (B, nh, T, T)
          const y = tf.matMul(tf.softmax(scores), v); // (B, nh, T, hs)
          const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, C]);
          x = tf.add(x, dense(merged, p + 'attn.c_proj'));
          const h = gelu(dense(layerNorm(x, w[p + 'ln_2.weight'], w[p + 'ln_2.bias']), p + 'mlp.c_fc'));
          x = tf.add(x, dense(h, p + 'mlp.c_proj'));
        }
        const logits = tf.matMul(layerNorm(x, w['ln_f.weight'], w['ln_f.bias']), w['wte.weight'], false, true); // (B·T, V)
        const logProbs = tf.sub(logits, tf.logSumExp(logits, -1, true));
        return tf.neg(tf.mean(tf.sum(tf.mul(logProbs, targets[index % BATCHES]), -1))) as TfCore.Scalar;
      };

      const optimizer = tf.train.adam(ADAMW.lr, ADAMW.beta1, ADAMW.beta2, ADAMW.eps);
      const decay = 1 - ADAMW.lr * ADAMW.weightDecay;
      step = (index) => {
        const cost = optimizer.minimize(() => loss(index), true, varList)!;
        const value = cost.dataSync()[0]!;
        cost.dispose();
        tf.tidy(() => {
          for (const v of varList) if (v.rank === 2) v.assign(tf.mul(v, decay)); // AdamW's decay on matrices
        });
        return value;
      };
      const version = (require('@tensorflow/tfjs-core/package.json') as { version: string }).version;
      return {
        label: 'tfjs-wasm (1 thread)',
        library: `@tensorflow/tfjs-backend-wasm@${version}`,
        backend: simd ? 'wasm (tfjs-backend-wasm-simd.wasm)' : 'wasm (tfjs-backend-wasm.wasm)',
        threads: wasm.getThreadsCount(),
        notes: [
          'Node default: threads disabled by tfjs under Node, so the SIMD build on the main thread',
          'token embedding as oneHot·wte (no wasm kernel for the gather gradient); LayerNorm from tf.moments; GELU composed',
          'AdamW = tf.train.adam + θ·(1 − lr·λ) on 2-D weights after each step',
        ],
      };
    },
    step: (index) => step(index),
  };
}
