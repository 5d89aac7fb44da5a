// Worker threads that run the kernels module over the main thread's shared memory, so that one
// large matmul can be split by output rows across cores.
//
// Protocol (all words in a control block of the shared memory, read with Atomics):
// - each worker owns a mailbox: a sequence word it waits on, a command word and the call arguments;
// - the main thread writes the arguments, sets `pending` to the number of workers it posted to,
//   bumps each mailbox's sequence word and notifies it, then works alongside them, and finally
//   waits on `pending` until the last worker to finish brings it to zero and notifies; the work
//   itself is shared out inside the module, by claiming row chunks from a counter in this block,
//   so a thread slowed by other processes simply takes fewer chunks;
// - a worker sets its ready word once its instance exists: until then the main thread never posts
//   to it (and so never waits for worker start-up);
// - every worker gets a unique token, written to its mailbox's owner word when it is started, so a
//   stopped worker that has not yet exited can never take (or count as ready for) a later job;
// - a worker that throws still counts down `pending` and raises the error word, so the main
//   thread never waits forever.
// Workers are created inline (`eval`) so the code survives bundling, and are unref'd so they
// never keep the process alive.

import type { Worker as NodeWorker } from 'node:worker_threads';
import type { WasmMemory, WasmModule } from './webassembly';

/** Most threads (main thread included) a matmul may use. */
export const MAX_THREADS = 16;

/** Unexpected worker exits after which the pool gives up on threads. */
const MAX_WORKER_FAILURES = 3;

/** Word indices inside the control block. */
const PENDING = 0;
const ERROR = 1;
const CLAIM = 2;
const READY_BASE = 16;
const MAILBOX_BASE = READY_BASE + MAX_THREADS;
const MAILBOX_WORDS = 24;
/** Offsets inside one mailbox. */
const SEQUENCE = 0;
const OWNER = 1;
const COMMAND = 2;
const ARGUMENTS = 3;
/** Mailbox commands. */
const COMMAND_MATMUL = 1;
const COMMAND_STOP = 2;

/** Bytes the control block occupies in the shared memory. */
export const CONTROL_BYTES = (MAILBOX_BASE + MAX_THREADS * MAILBOX_WORDS) * 4;

/** Byte offset, inside the control block, of the row counter threads claim matmul chunks from. */
export const CLAIM_COUNTER_OFFSET = CLAIM * 4;

/** Number of Int32 arguments of the module's `matmulClaimRows` export. */
export const MATMUL_ARGUMENT_COUNT = 17;

/** The worker's whole program: instantiate the module, mark ready, serve the mailbox until told to stop. */
const workerSource = `
const { workerData } = require('node:worker_threads');
const { module, memory, controlOffset, index, token } = workerData;
const control = new Int32Array(memory.buffer, controlOffset, ${CONTROL_BYTES / 4});
const mailbox = ${MAILBOX_BASE} + index * ${MAILBOX_WORDS};
const instance = new WebAssembly.Instance(module, { env: { memory } });
const matmulClaimRows = instance.exports.matmulClaimRows;
let seen = Atomics.load(control, mailbox + ${SEQUENCE});
if (Atomics.load(control, mailbox + ${OWNER}) === token) Atomics.store(control, ${READY_BASE} + index, token);
for (;;) {
  Atomics.wait(control, mailbox + ${SEQUENCE}, seen);
  const sequence = Atomics.load(control, mailbox + ${SEQUENCE});
  if (sequence === seen) continue;
  seen = sequence;
  if (Atomics.load(control, mailbox + ${OWNER}) !== token) break;
  const command = control[mailbox + ${COMMAND}];
  if (command === ${COMMAND_STOP}) break;
  try {
    const a = mailbox + ${ARGUMENTS};
    matmulClaimRows(control[a], control[a + 1], control[a + 2], control[a + 3], control[a + 4], control[a + 5],
      control[a + 6], control[a + 7], control[a + 8], control[a + 9], control[a + 10], control[a + 11], control[a + 12],
      control[a + 13], control[a + 14], control[a + 15], control[a + 16]);
  } catch (error) {
    Atomics.store(control, ${ERROR}, 1);
  }
  if (Atomics.sub(control, ${PENDING}, 1) === 1) Atomics.notify(control, ${PENDING});
}
`;

type WorkerConstructor = typeof NodeWorker;

/** The worker_threads Worker class, or null outside Node (where matmuls stay on one thread). */
function workerConstructor(): WorkerConstructor | null {
  try {
    const module = globalThis.process?.getBuiltinModule?.('node:worker_threads') as
      | { Worker: WorkerConstructor; isMainThread: boolean }
      | undefined;
    return module?.Worker ?? null;
  } catch {
    return null;
  }
}

/** A lazily started set of workers sharing one WebAssembly memory with the main thread. */
export class ThreadPool {
  private readonly control: Int32Array;
  private readonly workers: (NodeWorker | null)[] = [];
  private readonly tokens: number[] = [];
  private nextToken = 1;
  private readonly Worker: WorkerConstructor | null = workerConstructor();
  /** Set when a worker could not be created, or kept dying; the pool then stays single-threaded. */
  private broken = false;
  /** Workers that exited without being stopped. */
  private failures = 0;

  constructor(
    private readonly module: WasmModule,
    private readonly memory: WasmMemory,
    private readonly controlOffset: number,
  ) {
    this.control = new Int32Array(memory.buffer, controlOffset, CONTROL_BYTES / 4);
  }

  /** Whether this environment can start workers at all. */
  get available(): boolean {
    return this.Worker !== null && !this.broken;
  }

  /**
   * Starts (without waiting) the missing ones of the first `workerCount` workers; any beyond stay
   * parked. Returns how many of the first `workerCount` are ready to take work now.
   */
  ensureWorkers(workerCount: number): number {
    if (!this.available) return 0;
    for (let index = 0; index < workerCount; index++) {
      if (!this.workers[index]) this.start(index);
    }
    return this.readyCount(workerCount);
  }

  /** Number of consecutive ready workers from index 0 (jobs go to indices below it). */
  readyCount(workerCount: number): number {
    let ready = 0;
    while (ready < workerCount && ready < this.workers.length) {
      if (!this.workers[ready] || Atomics.load(this.control, READY_BASE + ready) !== this.tokens[ready]) break;
      ready++;
    }
    return ready;
  }

  /** Declares how many workers the next posts go to; call before posting. */
  begin(workerCount: number): void {
    Atomics.store(this.control, ERROR, 0);
    Atomics.store(this.control, PENDING, workerCount);
  }

  /** Posts one `matmulClaimRows` call (the module export's arguments) to a ready worker. */
  postMatmul(index: number, args: ArrayLike<number>): void {
    const mailbox = MAILBOX_BASE + index * MAILBOX_WORDS;
    for (let i = 0; i < MATMUL_ARGUMENT_COUNT; i++) this.control[mailbox + ARGUMENTS + i] = args[i];
    this.control[mailbox + COMMAND] = COMMAND_MATMUL;
    Atomics.add(this.control, mailbox + SEQUENCE, 1);
    Atomics.notify(this.control, mailbox + SEQUENCE);
  }

  /** Blocks until every worker posted to since `begin` has finished; throws if one of them failed. */
  wait(): void {
    for (;;) {
      const pending = Atomics.load(this.control, PENDING);
      if (pending === 0) break;
      Atomics.wait(this.control, PENDING, pending);
    }
    if (Atomics.load(this.control, ERROR) !== 0) throw new Error('wasm matmul failed in a worker thread');
  }

  /** Stops every worker. */
  terminate(): void {
    for (let index = 0; index < this.workers.length; index++) this.stop(index);
    this.workers.length = 0;
  }

  private start(index: number): void {
    const token = this.nextToken++;
    const mailbox = MAILBOX_BASE + index * MAILBOX_WORDS;
    Atomics.store(this.control, READY_BASE + index, 0);
    Atomics.store(this.control, mailbox + OWNER, token);
    this.tokens[index] = token;
    try {
      const worker = new this.Worker!(workerSource, {
        eval: true,
        workerData: { module: this.module, memory: this.memory, controlOffset: this.controlOffset, index, token },
      });
      worker.unref();
      // A worker that dies (it should not) just stops being used, and is replaced on demand up to a point.
      worker.on('error', () => this.forget(index, worker));
      worker.on('exit', () => this.forget(index, worker));
      this.workers[index] = worker;
    } catch {
      this.broken = true;
      this.workers[index] = null;
    }
  }

  private forget(index: number, worker: NodeWorker): void {
    if (this.workers[index] !== worker) return;
    this.workers[index] = null;
    if (++this.failures >= MAX_WORKER_FAILURES) this.broken = true;
  }

  private stop(index: number): void {
    const worker = this.workers[index];
    if (!worker) return;
    const mailbox = MAILBOX_BASE + index * MAILBOX_WORDS;
    Atomics.store(this.control, READY_BASE + index, 0);
    Atomics.store(this.control, mailbox + OWNER, 0);
    this.control[mailbox + COMMAND] = COMMAND_STOP;
    Atomics.add(this.control, mailbox + SEQUENCE, 1);
    Atomics.notify(this.control, mailbox + SEQUENCE);
    this.workers[index] = null;
    void worker.terminate();
  }
}
