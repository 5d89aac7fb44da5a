/**
 * The worker-thread side of `AsyncVectorEnv`: builds one sub-env with
 * `make(id, kwargs)` from the registry (so no function has to cross the
 * thread boundary), then answers reset/step/render/call/close commands.
 * Replies go through a MessagePort and a shared flag the main thread waits
 * on with `Atomics.wait`, which lets the vector env's API stay synchronous.
 *
 * Built as its own tsup entry (dist/async-worker.js); not a public import.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Env, Info } from '../core.js';
import { make, type MakeOptions } from '../registry.js';

/** What the main thread hands the worker at start. */
export interface WorkerStartData {
  /** Sub-env index. */
  index: number;
  /** Registry id. */
  id: string;
  /** kwargs for make. */
  kwargs: Record<string, unknown>;
  /** Options for make. */
  makeOptions: MakeOptions;
  /** Module to import first (it may call `register`), as a URL string. */
  workerModule: string | undefined;
  /** Reply channel. */
  port: MessagePort;
  /** Shared Int32Array of reply flags, one per sub-env. */
  flags: Int32Array;
}

/** A command from the main thread. */
export type WorkerCommand =
  | { type: 'reset'; seed: number | undefined; options: Record<string, unknown> | undefined }
  | { type: 'step'; action: unknown; autoresetMode: string; autoreset: boolean }
  | { type: 'render' }
  | { type: 'call'; name: string; args: unknown[] }
  | { type: 'close' };

/** A reply to the main thread. */
export type WorkerReply = { ok: true; result: unknown } | { ok: false; error: { name: string; message: string; stack: string | undefined } };

const data = workerData as WorkerStartData;
let env: Env<unknown, unknown, any> | undefined;

function reply(message: WorkerReply): void {
  data.port.postMessage(message);
  Atomics.store(data.flags, data.index, 1);
  Atomics.notify(data.flags, data.index);
}

function fail(error: unknown): void {
  const failure = error instanceof Error ? error : new Error(String(error));
  reply({ ok: false, error: { name: failure.name, message: failure.message, stack: failure.stack } });
}

function handle(command: WorkerCommand): unknown {
  if (env === undefined) throw new Error(`sub-env ${data.index} was not created`);
  switch (command.type) {
    case 'reset':
      return env.reset({ seed: command.seed, options: command.options });
    case 'step': {
      if (command.autoreset) {
        const { observation, info } = env.reset();
        return { observation, reward: 0, terminated: false, truncated: false, info };
      }
      const result = env.step(command.action);
      if (command.autoresetMode === 'SameStep' && (result.terminated || result.truncated)) {
        const { observation, info } = env.reset();
        return { ...result, observation, info, finalObs: result.observation, finalInfo: result.info as Info };
      }
      return result;
    }
    case 'render':
      return env.render();
    case 'call': {
      // Like Gymnasium's get_wrapper_attr: the outermost wrapper (or the env) that has the member.
      let holder: unknown = env;
      while (holder !== undefined && !(command.name in (holder as object))) holder = (holder as { env?: unknown }).env;
      if (holder === undefined) throw new Error(`sub-env ${data.index} has no attribute '${command.name}'`);
      const member = (holder as Record<string, unknown>)[command.name];
      return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).apply(holder, command.args) : member;
    }
    case 'close':
      env.close();
      return null;
    default:
      throw new Error(`unknown command ${JSON.stringify(command)}`);
  }
}

parentPort?.on('message', (command: WorkerCommand) => {
  try {
    reply({ ok: true, result: handle(command) });
  } catch (error) {
    fail(error);
  }
});

async function start(): Promise<void> {
  try {
    if (data.workerModule !== undefined) await import(data.workerModule);
    env = make(data.id, data.kwargs, data.makeOptions);
    reply({ ok: true, result: null });
  } catch (error) {
    fail(error);
  }
}

void start();
