// jax-js peer (`@jax-js/jax`, device "wasm"). Two ways to drive the same backend:
//  - "workers": jax-js's wasm backend splits kernels over a Web Worker pool when
//    `SharedArrayBuffer` and `Worker` exist. Node has no global `Worker`, so this
//    file installs a small Web Worker shim over `worker_threads` before `init()`;
//    only the async paths (`await blockUntilReady()` / `await data()`) use the pool.
//  - "main thread": no shim, every kernel runs synchronously via `dataSync()`.
// The PPO update is `jit(valueAndGrad(loss) + Adam)` over a params pytree; the
// log-prob of the taken action uses a one-hot mask because jit cannot compile the
// scatter that is `takeAlongAxis`'s gradient ("routine primitive scatter input is
// not imm"), and un-jitted jax-js is ~25× slower here.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveObjectURL } from 'node:buffer';
import { Worker as NodeWorker } from 'node:worker_threads';
import type * as JaxNs from '@jax-js/jax';
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

type Jax = typeof JaxNs;
type JArray = JaxNs.Array;
type Layer = { w: JArray; b: JArray };

export interface JaxOptions {
  /** Use the Worker pool (async dispatch) with this many workers; 0 = main thread, sync. */
  workers: number;
}

const WORKER_PRELUDE = `
const { parentPort } = require('node:worker_threads');
globalThis.self = globalThis;
globalThis.postMessage = (msg) => parentPort.postMessage(msg);
parentPort.on('message', (data) => { if (typeof self.onmessage === 'function') self.onmessage({ data }); });
`;

/** The subset of the browser `Worker` that jax-js's WasmWorkerPool uses, over
 * `worker_threads`. jax-js builds the worker from a `blob:` URL (its source is a
 * plain script using `self.onmessage` / `postMessage`); reading a Blob is async,
 * so messages posted before the thread exists are queued. */
class NodeWebWorker {
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: ((e: { message: string }) => void) | null = null;
  #worker: NodeWorker | null = null;
  #queue: unknown[] = [];

  constructor(url: string | URL) {
    const blob = resolveObjectURL(String(url));
    if (!blob) throw new Error(`NodeWebWorker: only blob: URLs are supported, got ${String(url)}`);
    void blob.text().then((src) => {
      const w = new NodeWorker(WORKER_PRELUDE + src, { eval: true, execArgv: [] });
      w.unref();
      w.on('message', (data: unknown) => this.onmessage?.({ data }));
      w.on('error', (e: Error) => this.onerror?.({ message: e.message }));
      this.#worker = w;
      for (const m of this.#queue) w.postMessage(m);
      this.#queue = [];
    });
  }

  postMessage(msg: unknown): void {
    if (this.#worker) this.#worker.postMessage(msg);
    else this.#queue.push(msg);
  }

  terminate(): void {
    void this.#worker?.terminate();
  }
}

export function createJaxPeer(opts: JaxOptions): Peer {
  let jax!: Jax;
  const useWorkers = opts.workers > 0;

  const layersFor = (layers: LayerInit[]): Layer[] => {
    const np = jax.numpy;
    return layers.map((l) => ({
      w: np.array(l.weight).reshape([l.inFeatures, l.outFeatures]),
      b: np.array(l.bias),
    }));
  };

  /** Consumes `layers` and `x` (jax-js ownership rules). */
  const mlp = (layers: Layer[], x: JArray): JArray => {
    const np = jax.numpy;
    let h = x;
    layers.forEach((l, i) => {
      h = np.matmul(h, l.w).add(l.b);
      if (i + 1 < layers.length) h = np.tanh(h);
    });
    return h;
  };

  /** Forces every leaf to be computed on the main thread (copies it out; keeps the leaf). */
  const realizeSync = (leaves: JArray[]): void => {
    for (const l of leaves) l.ref.dataSync();
  };

  return {
    async init(): Promise<PeerInfo> {
      if (useWorkers) {
        (globalThis as { Worker?: unknown }).Worker = NodeWebWorker;
        // Node 20 has no `navigator`; jax-js sizes the pool from hardwareConcurrency (default 4).
        (globalThis as { navigator?: unknown }).navigator ??= { hardwareConcurrency: opts.workers };
      }
      jax = await import('@jax-js/jax');
      const devices = await jax.init('wasm');
      if (!devices.includes('wasm')) throw new Error(`jax-js: wasm device unavailable (got ${devices.join(', ')})`);
      jax.defaultDevice('wasm');
      // package.json is not in the package's "exports"; find it next to the resolved entry.
      const entry = createRequire(import.meta.url).resolve('@jax-js/jax');
      const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
      const version = pkg.version;
      const notes = useWorkers
        ? [
            `Web Worker shim over worker_threads installed before init('wasm'); pool of ${opts.workers} workers (navigator.hardwareConcurrency), cores here: ${os.availableParallelism()}`,
            'results awaited with blockUntilReady()/data() (the pool only runs async dispatches)',
          ]
        : ['no Worker global, so no pool: every kernel runs synchronously on the main thread via dataSync()'];
      notes.push('PPO update and forward are jit-compiled; log-prob gathered with a one-hot mask (jit cannot compile the scatter in takeAlongAxis\'s gradient)');
      return {
        label: useWorkers ? `jax-js wasm (${opts.workers} workers)` : 'jax-js wasm (main thread)',
        library: `@jax-js/jax@${version}`,
        backend: 'wasm',
        threads: useWorkers ? opts.workers : 1,
        notes,
      };
    },

    async matmul(n: number): Promise<BenchCase> {
      const np = jax.numpy;
      const [ad, bd] = matmulInputs(n);
      const a = np.array(ad).reshape([n, n]);
      const b = np.array(bd).reshape([n, n]);
      if (useWorkers) await jax.blockUntilReady([a, b]);
      else realizeSync([a, b]);
      if (useWorkers) {
        return {
          async: true,
          run: async () => {
            const c = np.matmul(a.ref, b.ref);
            await c.blockUntilReady();
            c.dispose();
          },
          dispose: () => jax.tree.dispose([a, b]),
        };
      }
      return {
        async: false,
        // jax-js is lazy; dataSync() (which also copies the result out) is its only synchronous realisation.
        run: () => void np.matmul(a.ref, b.ref).dataSync(),
        dispose: () => jax.tree.dispose([a, b]),
      };
    },

    async ppoUpdate(): Promise<BenchCase> {
      const { numpy: np, nn, tree } = jax;
      const f = ppoFixture();
      type Params = { pi: Layer[]; v: Layer[] };

      const lossFn = (params: Params, obs: JArray, actions: JArray, adv: JArray, ret: JArray): JArray => {
        const logp = nn.logSoftmax(mlp(params.pi, obs.ref), -1);
        const taken = logp.mul(nn.oneHot(actions, N_ACTIONS)).sum(-1);
        const pg = taken.mul(adv).mean().neg();
        const d = mlp(params.v, obs).reshape([-1]).sub(ret);
        const vl = d.ref.mul(d).mean().mul(VALUE_COEF);
        return pg.add(vl);
      };

      const { beta1: b1, beta2: b2, eps, lr } = ADAM;
      const update = jax.jit(
        (params: Params, m: Params, v: Params, c1: JArray, c2: JArray, obs: JArray, actions: JArray, adv: JArray, ret: JArray) => {
          const [loss, grads] = jax.valueAndGrad(lossFn)(tree.ref(params), obs, actions, adv, ret);
          const [pl, def] = tree.flatten(params);
          const gl = tree.leaves(grads);
          const ml = tree.leaves(m);
          const vl = tree.leaves(v);
          const np2: JArray[] = [];
          const nm: JArray[] = [];
          const nv: JArray[] = [];
          for (let i = 0; i < pl.length; i++) {
            const g = gl[i]!;
            const mi = ml[i]!.mul(b1).add(g.ref.mul(1 - b1));
            const vi = vl[i]!.mul(b2).add(g.ref.mul(g).mul(1 - b2));
            const step = mi.ref.div(c1.ref).div(np.sqrt(vi.ref.div(c2.ref)).add(eps)).mul(lr);
            np2.push(pl[i]!.sub(step));
            nm.push(mi);
            nv.push(vi);
          }
          c1.dispose();
          c2.dispose();
          return [loss, tree.unflatten(def, np2), tree.unflatten(def, nm), tree.unflatten(def, nv)] as [
            JArray,
            Params,
            Params,
            Params,
          ];
        },
      );

      let params: Params = { pi: layersFor(f.policy), v: layersFor(f.value) };
      let m: Params = tree.map((x: JArray) => np.zerosLike(x.ref), params) as Params;
      let v: Params = tree.map((x: JArray) => np.zerosLike(x.ref), params) as Params;
      const obs = np.array(f.obs).reshape([MINIBATCH, OBS_DIM]);
      const actions = np.array(f.actions, { dtype: np.int32 });
      const adv = np.array(f.advantages);
      const ret = np.array(f.returns);
      let t = 0;

      const step = () => {
        t++;
        // Bias corrections enter as arrays so the jitted function is traced once.
        const c1 = np.array([1 - b1 ** t]).reshape([]);
        const c2 = np.array([1 - b2 ** t]).reshape([]);
        const [loss, p2, m2, v2] = update(params, m, v, c1, c2, obs.ref, actions.ref, adv.ref, ret.ref);
        params = p2;
        m = m2;
        v = v2;
        return loss;
      };
      const leaves = () => tree.leaves([params, m, v]) as JArray[];
      const c: BenchCase = {
        async: useWorkers,
        run: useWorkers
          ? async () => {
              const value = (await step().data())[0]!;
              await jax.blockUntilReady(leaves());
              c.firstValue ??= value;
            }
          : () => {
              const value = step().dataSync()[0]!;
              realizeSync(leaves());
              c.firstValue ??= value;
            },
        dispose: () => {
          update.dispose();
          tree.dispose([params, m, v, obs, actions, adv, ret]);
        },
      };
      return c;
    },

    async policyForward(): Promise<BenchCase> {
      const { numpy: np, tree } = jax;
      const f = ppoFixture();
      const pi = layersFor(f.policy);
      const forward = jax.jit((layers: Layer[], x: JArray) => mlp(layers, x));
      const obs = Float32Array.from(SINGLE_OBS);
      const call = () => forward(tree.ref(pi), np.array(obs).reshape([1, OBS_DIM]));
      return {
        async: useWorkers,
        run: useWorkers
          ? async () => {
              await call().data();
            }
          : () => void call().dataSync(),
        dispose: () => {
          forward.dispose();
          tree.dispose(pi);
        },
      };
    },
  };
}
