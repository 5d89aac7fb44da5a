/**
 * `AsyncVectorEnv`: sub-environments in worker threads (Gymnasium's
 * `AsyncVectorEnv` runs them in processes). Each worker builds its env with
 * `make(id, kwargs)` from the registry, so only an id and JSON-like kwargs
 * cross threads. Commands go out by `postMessage`; the main thread then
 * blocks on a shared `Int32Array` with `Atomics.wait` and reads the replies
 * with `receiveMessageOnPort`, so `reset`/`step` are synchronous and the
 * class has exactly SyncVectorEnv's API. `stepAsync` + `stepWait` split a
 * step to overlap the workers with main-thread work, as in Gymnasium.
 *
 * Worker code: from the tsup build it is dist/async-worker.js; when this
 * module runs from TypeScript sources (vitest, tsx) the worker loads
 * src/vector/async-worker.ts through tsx's loader.
 */
import type * as NodeModule from 'node:module';
import type * as NodeUrl from 'node:url';
import type * as WorkerThreads from 'node:worker_threads';
import type { MessagePort, Worker } from 'node:worker_threads';
import type { EnvMetadata, EnvSpec, Info, RenderOutput, ResetResult, StepResult } from '../core.js';
import { InvalidActionError } from '../errors.js';
import { make, type MakeOptions } from '../registry.js';
import { describeValue, type Space } from '../spaces.js';
import { actionAt, batchSpace, batchWriter, checkActionBatch, copyBatch, createBatch, hasKeys, writeBatch } from './batch.js';
import {
  AutoresetMode,
  VectorEnv,
  addInfo,
  checkAutoresetMode,
  expandSeeds,
  splitResetMask,
  type VectorEnvOptions,
  type VectorInfo,
  type VectorResetArgs,
  type VectorResetResult,
  type VectorStepResult,
} from './vector-env.js';
import type { WorkerCommand, WorkerReply, WorkerStartData } from './async-worker.js';

/**
 * Options of {@link AsyncVectorEnv}.
 *
 * @example
 * ```ts
 * const options: AsyncVectorEnvOptions = { numEnvs: 4, timeoutMs: 30_000 };
 * ```
 */
export interface AsyncVectorEnvOptions extends VectorEnvOptions {
  /**
   * A module (URL or absolute path) each worker imports before `make`, e.g.
   * one that `register`s custom envs. Register them in the main thread too:
   * it builds one env locally to read the spaces.
   */
  workerModule?: string | URL;
  /** How long to wait for a worker's answer before throwing (default 60 s). */
  timeoutMs?: number;
}

interface WorkerHandle {
  worker: Worker;
  port: MessagePort;
}

/**
 * Node built-ins, loaded on first use through `process.getBuiltinModule`
 * (Node ≥ 20.16) rather than static imports, so that bundling the package
 * for a browser (classic control, toy text, bandits) never meets `node:` imports.
 */
let builtins: { workerThreads: typeof WorkerThreads; url: typeof NodeUrl; module: typeof NodeModule } | undefined;
function node(): { workerThreads: typeof WorkerThreads; url: typeof NodeUrl; module: typeof NodeModule } {
  if (builtins !== undefined) return builtins;
  const getBuiltinModule = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  if (typeof getBuiltinModule !== 'function') throw new Error('AsyncVectorEnv needs Node.js ≥ 20.16 (worker_threads via process.getBuiltinModule)');
  builtins = {
    workerThreads: getBuiltinModule('node:worker_threads') as typeof WorkerThreads,
    url: getBuiltinModule('node:url') as typeof NodeUrl,
    module: getBuiltinModule('node:module') as typeof NodeModule,
  };
  return builtins;
}

/** File URL of tsx's ESM register API (`tsx/esm/api`, its `import` condition). */
function resolveTsxEsmApi(): string {
  const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (typeof resolve === 'function') {
    try {
      return resolve('tsx/esm/api');
    } catch {
      // fall through to require.resolve
    }
  }
  // require.resolve gives the `require` build (index.cjs); its ESM sibling is index.mjs.
  const { url, module } = node();
  return url.pathToFileURL(module.createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
}

/**
 * How to start a worker: from the tsup build, dist/async-worker.js; from
 * TypeScript sources (vitest, tsx), a small eval'd bootstrap that registers
 * tsx's loader and then imports src/vector/async-worker.ts (on Node 20 an
 * `--import` flag does not yet apply to a worker's entry module).
 */
function workerEntry(): { script: URL | string; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { script: new URL('./async-worker.js', import.meta.url), eval: false };
  const tsxApi = resolveTsxEsmApi();
  const workerUrl = new URL('./async-worker.ts', import.meta.url).href;
  const bootstrap = `(async () => { const tsx = await import(${JSON.stringify(tsxApi)}); tsx.register(); await import(${JSON.stringify(workerUrl)}); })().catch((error) => { setTimeout(() => { throw error; }); });`;
  return { script: bootstrap, eval: true };
}

/**
 * Sub-envs in worker threads, with Gymnasium's autoreset modes and
 * SyncVectorEnv's batched typed-array results.
 *
 * @example
 * ```ts
 * const envs = new AsyncVectorEnv('CartPole-v1', { numEnvs: 4 });
 * envs.reset({ seed: 0 });
 * const { rewards } = envs.step(Int32Array.of(0, 1, 0, 1));
 * envs.close(); // stops the workers
 * ```
 */
export class AsyncVectorEnv<ObsBatch = any, ActBatch = any> extends VectorEnv<ObsBatch, ActBatch> {
  readonly numEnvs: number;
  readonly singleObservationSpace: Space<unknown>;
  readonly singleActionSpace: Space<unknown>;
  readonly observationSpace: Space<unknown>;
  readonly actionSpace: Space<unknown>;
  readonly metadata: EnvMetadata & { autoresetMode: AutoresetMode };
  readonly spec: EnvSpec | undefined;
  /** The autoreset mode. */
  readonly autoresetMode: AutoresetMode;
  /** Whether results are copied. */
  readonly copy: boolean;
  /** Milliseconds to wait for a worker. */
  readonly timeoutMs: number;
  private readonly workers: WorkerHandle[];
  private readonly flags: Int32Array;
  private readonly observations: unknown;
  private readonly terminations: Uint8Array;
  private readonly truncations: Uint8Array;
  private readonly autoresetEnvs: Uint8Array;
  private pendingStep = false;
  private closed = false;

  constructor(id: string, options: AsyncVectorEnvOptions = {}) {
    super();
    if (typeof id !== 'string') throw new TypeError(`AsyncVectorEnv needs a registered env id (workers build envs with make), got ${describeValue(id)}`);
    const numEnvs = options.numEnvs ?? 1;
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new RangeError(`numEnvs must be a positive integer, got ${describeValue(numEnvs)}`);
    this.numEnvs = numEnvs;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    const kwargs = options.kwargs ?? {};
    const makeOptions: MakeOptions = options.makeOptions ?? {};
    // A local instance tells us the spaces and metadata (as Gymnasium's dummy env does).
    const probe = make(id, kwargs, makeOptions);
    this.singleObservationSpace = probe.observationSpace;
    this.singleActionSpace = probe.actionSpace;
    this.autoresetMode = checkAutoresetMode(options.autoresetMode);
    this.metadata = { ...probe.metadata, autoresetMode: this.autoresetMode };
    this.spec = probe.spec;
    probe.close();
    this.observationSpace = batchSpace(this.singleObservationSpace, numEnvs);
    this.actionSpace = batchSpace(this.singleActionSpace, numEnvs);
    this.copy = options.copy ?? true;
    this.observations = createBatch(this.singleObservationSpace, numEnvs);
    this.terminations = new Uint8Array(numEnvs);
    this.truncations = new Uint8Array(numEnvs);
    this.autoresetEnvs = new Uint8Array(numEnvs);
    this.flags = new Int32Array(new SharedArrayBuffer(4 * numEnvs));

    const { workerThreads, url } = node();
    const entry = workerEntry();
    const workerModule = options.workerModule === undefined ? undefined : String(options.workerModule instanceof URL ? options.workerModule.href : url.pathToFileURL(options.workerModule).href);
    this.workers = [];
    for (let index = 0; index < numEnvs; index++) {
      const channel = new workerThreads.MessageChannel();
      const data: WorkerStartData = { index, id, kwargs, makeOptions, workerModule, port: channel.port2, flags: this.flags };
      // Workers inherit the parent's Node flags; --input-type (valid only for -e/stdin) would break the worker's entry.
      const execArgv = process.execArgv.filter((flag) => !flag.startsWith('--input-type'));
      const worker = new workerThreads.Worker(entry.script, { eval: entry.eval, workerData: data, transferList: [channel.port2], execArgv });
      worker.unref();
      this.workers.push({ worker, port: channel.port1 });
    }
    try {
      this.collect(Array.from({ length: numEnvs }, (_, i) => i), 'start');
    } catch (error) {
      this.terminate();
      throw error;
    }
  }

  private send(index: number, command: WorkerCommand): void {
    Atomics.store(this.flags, index, 0);
    this.workers[index].worker.postMessage(command);
  }

  /** Waits for the replies of the given workers, in order; throws the first failure. */
  private collect(indices: readonly number[], what: string): unknown[] {
    const results: unknown[] = [];
    let failure: Error | undefined;
    for (const index of indices) {
      const deadline = Date.now() + this.timeoutMs;
      while (Atomics.load(this.flags, index) === 0) {
        if (Date.now() > deadline) throw new Error(`AsyncVectorEnv: sub-env ${index} did not answer '${what}' within ${this.timeoutMs} ms (did the worker crash?)`);
        Atomics.wait(this.flags, index, 0, 50);
      }
      const received = node().workerThreads.receiveMessageOnPort(this.workers[index].port);
      if (received === undefined) throw new Error(`AsyncVectorEnv: sub-env ${index} signalled but sent no reply to '${what}'`);
      const reply = received.message as WorkerReply;
      if (reply.ok) results.push(reply.result);
      else {
        results.push(undefined);
        if (failure === undefined) {
          failure = new Error(`AsyncVectorEnv sub-env ${index} (${what}): ${reply.error.name}: ${reply.error.message}`);
          failure.name = reply.error.name;
          if (reply.error.stack !== undefined) failure.stack = `${failure.name}: ${failure.message}\n--- in the worker ---\n${reply.error.stack}`;
        }
      }
    }
    if (failure !== undefined) throw failure;
    return results;
  }

  private checkOpen(what: string): void {
    if (this.closed) throw new Error(`AsyncVectorEnv.${what}: the env is closed`);
    if (this.pendingStep && what !== 'stepWait') throw new Error(`AsyncVectorEnv.${what}: a step is pending; call stepWait() first`);
  }

  reset(args: VectorResetArgs = {}): VectorResetResult<ObsBatch> {
    this.checkOpen('reset');
    const seeds = expandSeeds(args.seed, this.numEnvs);
    const [mask, options] = splitResetMask(args.options, this.numEnvs);
    const indices: number[] = [];
    for (let i = 0; i < this.numEnvs; i++) {
      if (mask !== undefined && mask[i] === 0) continue;
      indices.push(i);
      this.terminations[i] = 0;
      this.truncations[i] = 0;
      this.autoresetEnvs[i] = 0;
      this.send(i, { type: 'reset', seed: seeds[i], options });
    }
    const results = this.collect(indices, 'reset') as ResetResult<unknown>[];
    let infos: VectorInfo = {};
    indices.forEach((i, k) => {
      writeBatch(this.singleObservationSpace, this.observations, i, results[k].observation);
      infos = addInfo(infos, results[k].info, i, this.numEnvs);
    });
    return { observations: (this.copy ? copyBatch(this.observations) : this.observations) as ObsBatch, infos };
  }

  /** Sends the actions to the workers without waiting (Gymnasium `step_async`). */
  stepAsync(actions: ActBatch): void {
    this.checkOpen('stepAsync');
    checkActionBatch(this.singleActionSpace, actions, this.numEnvs);
    for (let i = 0; i < this.numEnvs; i++) {
      if (this.autoresetMode === AutoresetMode.DISABLED && this.autoresetEnvs[i] === 1) {
        throw new InvalidActionError('AsyncVectorEnv.step', actions, this.actionSpace, `sub-env ${i} ended its episode and autoresetMode is Disabled: reset it with reset({ options: { resetMask } }) first`);
      }
    }
    for (let i = 0; i < this.numEnvs; i++) {
      const autoreset = this.autoresetMode === AutoresetMode.NEXT_STEP && this.autoresetEnvs[i] === 1;
      const action = actionAt(this.singleActionSpace, actions, i, this.numEnvs);
      this.send(i, { type: 'step', action, autoresetMode: this.autoresetMode, autoreset });
    }
    this.pendingStep = true;
  }

  /** Waits for the step sent by `stepAsync` (Gymnasium `step_wait`). */
  stepWait(): VectorStepResult<ObsBatch> {
    this.checkOpen('stepWait');
    if (!this.pendingStep) throw new Error('AsyncVectorEnv.stepWait: no step is pending; call stepAsync(actions) first');
    this.pendingStep = false;
    const results = this.collect(
      Array.from({ length: this.numEnvs }, (_, i) => i),
      'step',
    ) as (StepResult<unknown> & { finalObs?: unknown; finalInfo?: Info })[];
    const rewards = new Float64Array(this.numEnvs);
    let infos: VectorInfo = {};
    results.forEach((result, i) => {
      writeBatch(this.singleObservationSpace, this.observations, i, result.observation);
      rewards[i] = result.reward;
      this.terminations[i] = result.terminated ? 1 : 0;
      this.truncations[i] = result.truncated ? 1 : 0;
      this.autoresetEnvs[i] = this.terminations[i] | this.truncations[i];
      if (result.finalObs !== undefined) infos = addInfo(infos, { finalObs: result.finalObs, finalInfo: result.finalInfo ?? {} }, i, this.numEnvs);
      if (hasKeys(result.info)) infos = addInfo(infos, result.info, i, this.numEnvs);
    });
    return {
      observations: (this.copy ? copyBatch(this.observations) : this.observations) as ObsBatch,
      rewards,
      terminations: this.terminations.slice(),
      truncations: this.truncations.slice(),
      infos,
    };
  }

  step(actions: ActBatch): VectorStepResult<ObsBatch> {
    this.stepAsync(actions);
    return this.stepWait();
  }

  render(): RenderOutput[] {
    this.checkOpen('render');
    for (let i = 0; i < this.numEnvs; i++) this.send(i, { type: 'render' });
    return this.collect(
      Array.from({ length: this.numEnvs }, (_, i) => i),
      'render',
    ) as RenderOutput[];
  }

  /** Calls a method (or reads a property) of every sub-env; results must be structured-cloneable (Gymnasium `call`). */
  call(name: string, ...args: unknown[]): unknown[] {
    this.checkOpen('call');
    for (let i = 0; i < this.numEnvs; i++) this.send(i, { type: 'call', name, args });
    return this.collect(
      Array.from({ length: this.numEnvs }, (_, i) => i),
      `call ${name}`,
    );
  }

  /** Closes the sub-envs and stops the workers; safe to call twice. */
  close(): void {
    if (this.closed) return;
    if (this.pendingStep) {
      this.pendingStep = false;
      try {
        this.collect(
          Array.from({ length: this.numEnvs }, (_, i) => i),
          'step',
        );
      } catch {
        // closing anyway
      }
    }
    try {
      for (let i = 0; i < this.numEnvs; i++) this.send(i, { type: 'close' });
      this.collect(
        Array.from({ length: this.numEnvs }, (_, i) => i),
        'close',
      );
    } finally {
      this.closed = true;
      this.terminate();
    }
  }

  private terminate(): void {
    for (const { worker, port } of this.workers) {
      port.close();
      void worker.terminate();
    }
  }
}
