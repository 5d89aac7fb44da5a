// TensorFlow.js peer: tfjs-core with either the pure-JS `cpu` backend or the
// XNNPACK `wasm` backend (single-threaded SIMD build, or the threaded SIMD build
// made to run under Node). The PPO loss gathers log-probabilities with a one-hot
// mask, the idiomatic tfjs form: `tf.gather(..., batchDims=1)` has a gradient that
// splits the batch into 128 per-row ops, which would measure tfjs unfairly.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as TfCore from '@tensorflow/tfjs-core';
import {
  ADAM,
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

type Tf = typeof TfCore;
type Tensor = TfCore.Tensor;

export interface TfjsOptions {
  backend: 'cpu' | 'wasm';
  /** wasm only: run the threaded SIMD build with this many XNNPACK threads. */
  threads?: number;
}

const require = createRequire(import.meta.url);

/**
 * tfjs-backend-wasm refuses threads under Node (`WASM_HAS_MULTITHREAD_SUPPORT` is
 * hard-wired false when `IS_NODE`), and its threaded build hands Emscripten a
 * `blob:` URL for the pthread worker, which Node's `worker_threads` cannot load.
 * This writes the pthread worker source to a temporary `.cjs` file, points the
 * worker's `importScripts` of the main script at the package's own
 * `wasm-out/tfjs-backend-wasm-threaded-simd.js`, and makes the flag true. It also
 * reports 2× the CPUs to the backend while it initialises, because the backend
 * caps its thread count at `cores / 2` (it assumes hyper-threading); without that
 * a 2-core machine gets 1 thread whatever `setThreadsCount` says.
 */
function enableNodeThreads(tf: Tf, pkgDir: string, threads: number): () => void {
  const mainScript = path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = require(path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  const prelude =
    `URL.createObjectURL = () => ${JSON.stringify(mainScript)};\n` + `URL.revokeObjectURL = () => {};\n`;
  const workerFile = path.join(os.tmpdir(), `attune-bench-tfjs-pthread-${process.pid}.cjs`);
  // tfjs escapes newlines the same way before putting the source in a Blob.
  fs.writeFileSync(workerFile, prelude + wasmWorkerContents.replace(/\n/g, '\\n'));
  process.on('exit', () => fs.rmSync(workerFile, { force: true }));

  const createObjectURL = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (obj: Blob) => (obj.type === 'application/javascript' ? workerFile : createObjectURL(obj));
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);

  const cpus = os.cpus;
  const needed = Math.max(1, threads) * 2;
  os.cpus = () => {
    const real = cpus();
    const out = [...real];
    while (out.length < needed) out.push(...real);
    return out;
  };
  return () => {
    os.cpus = cpus;
  };
}

export function createTfjsPeer(opts: TfjsOptions): Peer {
  let tf!: Tf;
  const notes: string[] = [];

  const variablesFor = (layers: LayerInit[]) =>
    layers.map((l) => ({
      w: tf.variable(tf.tensor2d(l.weight, [l.inFeatures, l.outFeatures])),
      b: tf.variable(tf.tensor1d(l.bias)),
    }));
  type Layer = ReturnType<typeof variablesFor>[number];

  const mlp = (layers: Layer[], x: Tensor): Tensor => {
    let h = x;
    layers.forEach((l, i) => {
      h = tf.add(tf.matMul(h, l.w), l.b);
      if (i + 1 < layers.length) h = tf.tanh(h);
    });
    return h;
  };

  return {
    async init(): Promise<PeerInfo> {
      tf = (await import('@tensorflow/tfjs-core')) as Tf;
      // tfjs-core's Node bundle registers no gradients (the @tensorflow/tfjs union
      // package does that). Its ESM dist/register_all_gradients.js loads through
      // tsx's require hook; the copy of the ops it brings shares tfjs's global
      // engine and registries, so the gradients land where minimize() looks.
      require('@tensorflow/tfjs-core/dist/register_all_gradients.js');
      // Production mode, as a deployed app would run (also silences the "use tfjs-node" banner).
      tf.env().set('PROD', true);
      let threads = 1;
      let backendName: string = opts.backend;
      if (opts.backend === 'cpu') {
        await import('@tensorflow/tfjs-backend-cpu');
        await tf.setBackend('cpu');
        notes.push('pure JavaScript kernels');
      } else {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        const pkgDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
        let restore = () => {};
        if (opts.threads && opts.threads > 1) {
          restore = enableNodeThreads(tf, pkgDir, opts.threads);
          wasm.setThreadsCount(opts.threads);
        }
        // A file-system prefix works: under Node, Emscripten reads the .wasm with fs.
        wasm.setWasmPaths(path.join(pkgDir, 'dist') + path.sep);
        const ok = await tf.setBackend('wasm');
        restore();
        if (!ok || tf.getBackend() !== 'wasm') throw new Error('tfjs wasm backend failed to initialise');
        threads = wasm.getThreadsCount();
        const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
        const binary = simd && mt ? 'tfjs-backend-wasm-threaded-simd.wasm' : simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
        backendName = `wasm (${binary})`;
        notes.push(`setWasmPaths('<node_modules>/@tensorflow/tfjs-backend-wasm/dist/') (a file-system path)`);
        if (opts.threads && opts.threads > 1) {
          notes.push(
            'threads forced on under Node: WASM_HAS_MULTITHREAD_SUPPORT=true, pthread worker written to a temp .cjs, os.cpus() doubled during init (backend caps threads at cores/2)',
          );
        } else {
          notes.push('Node default: threads disabled by tfjs under Node, so the SIMD build on the main thread');
        }
      }
      await tf.ready();
      const version = (require('@tensorflow/tfjs-core/package.json') as { version: string }).version;
      const label =
        opts.backend === 'cpu' ? 'tfjs-cpu' : threads > 1 ? `tfjs-wasm (${threads} threads)` : 'tfjs-wasm (1 thread)';
      return {
        label,
        library: `@tensorflow/tfjs-backend-${opts.backend}@${version}`,
        backend: backendName,
        threads,
        notes,
      };
    },

    async matmul(n: number): Promise<BenchCase> {
      const [ad, bd] = matmulInputs(n);
      const a = tf.tensor2d(ad, [n, n]);
      const b = tf.tensor2d(bd, [n, n]);
      return {
        async: false,
        // cpu and wasm kernels run synchronously inside the op call.
        run: () => tf.matMul(a, b).dispose(),
        dispose: () => tf.dispose([a, b]),
      };
    },

    async ppoUpdate(): Promise<BenchCase> {
      const f = ppoFixture();
      const pi = variablesFor(f.policy);
      const vf = variablesFor(f.value);
      const varList = [...pi, ...vf].flatMap((l) => [l.w, l.b]);
      const obs = tf.tensor2d(f.obs, [MINIBATCH, OBS_DIM]);
      const actions = tf.tensor1d(f.actions, 'int32');
      const adv = tf.tensor1d(f.advantages);
      const ret = tf.tensor1d(f.returns);
      const opt = tf.train.adam(ADAM.lr, ADAM.beta1, ADAM.beta2, ADAM.eps);
      const lossFn = () => {
        const logp = tf.logSoftmax(mlp(pi, obs));
        const taken = tf.sum(tf.mul(logp, tf.oneHot(actions, N_ACTIONS)), 1);
        const pg = tf.neg(tf.mean(tf.mul(taken, adv)));
        const v = tf.reshape(mlp(vf, obs), [-1]);
        const vl = tf.mul(VALUE_COEF, tf.mean(tf.square(tf.sub(v, ret))));
        return tf.add(pg, vl) as TfCore.Scalar;
      };
      const c: BenchCase = {
        async: false,
        run: () => {
          const loss = opt.minimize(lossFn, true, varList)!;
          const value = loss.dataSync()[0]!;
          loss.dispose();
          if (c.firstValue === undefined) c.firstValue = value;
        },
        dispose: () => {
          opt.dispose();
          tf.dispose([obs, actions, adv, ret, ...varList]);
        },
      };
      return c;
    },

    async policyForward(): Promise<BenchCase> {
      const f = ppoFixture();
      const pi = variablesFor(f.policy);
      const obs = Float32Array.from(SINGLE_OBS);
      return {
        async: false,
        run: () => {
          tf.tidy(() => mlp(pi, tf.tensor2d(obs, [1, OBS_DIM])).dataSync());
        },
        dispose: () => tf.dispose(pi.flatMap((l) => [l.w, l.b])),
      };
    },
  };
}
