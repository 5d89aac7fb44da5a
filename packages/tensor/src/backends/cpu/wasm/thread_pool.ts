// Worker threads that run the kernels module over a shared memory with the main thread, so that one
// large matmul can be split by output rows across cores.
//
// Protocol (words of a control block in the shared memory, accessed with Atomics):
// - the main thread publishes a job like a seqlock: it makes the job word odd, writes the
//   arguments, opens the claim word for the job's tag, makes the job word even (the tag) and
//   wakes every worker; then it works on the job itself;
// - a worker that wakes reads the arguments, re-reads the job word to be sure they are whole, and
//   claims row chunks inside the module with compare-and-swap on a (tag, next row) word; a worker
//   that wakes late, or holds arguments of an older job, finds nothing to claim and sleeps again;
// - finished rows are counted in a done word; the main thread waits only until every row is done,
//   never for a worker that has claimed nothing, so a worker that is slow to start or wake (on a
//   machine busy with other processes) costs nothing; the main thread just claims more chunks;
// - waking a sleeping thread takes ~50 us here (more on a busy machine), so the main thread sends
//   a wake-up call as soon as it knows a matmul will be split, before copying the operands in:
//   invited workers wake and poll the job word until the job appears (or for at most SPIN_MS);
// - each worker has an owner word holding its token; a worker whose token is gone exits, so one
//   that was stopped cannot take part in later jobs even if it has not exited yet;
// - a worker that throws raises the error word and wakes the main thread, which then throws.
// Workers are created inline (`eval`) so the code survives bundling, and are unref'd so they
// never keep the process alive.

import type { Worker as NodeWorker } from 'node:worker_threads';
import type { WasmMemory, WasmModule } from './webassembly';

/** Most threads (main thread included) a matmul may use. */
export const MAX_THREADS = 16;

/** Unexpected worker exits after which the pool gives up on threads. */
const MAX_WORKER_FAILURES = 3;

/** Word indices inside the control block. */
const JOB = 0;
const ERROR = 1;
/** A 64-bit word (two i32 words, 8-byte aligned): the job's tag and the next unclaimed row. */
const CLAIMS = 2;
/** Rows finished, then threads that claimed at least one chunk (the module writes both). */
const DONE = 4;
const PARTICIPANTS = 5;
/** Wake-up calls: a sequence number, and how many workers the coming job invites. */
const WAKE = 6;
const WAKE_LIMIT = 7;
const ARGUMENT_BASE = 8;
/** Argument words: the module's matmulClaimRows arguments except the scratch, then these three. */
export const CLAIM_ARGUMENT_COUNT = 18;
const SCRATCH_BASE = ARGUMENT_BASE + CLAIM_ARGUMENT_COUNT;
const SCRATCH_STRIDE = SCRATCH_BASE + 1;
const WORKER_LIMIT = SCRATCH_BASE + 2;
const OWNER_BASE = 32;
/** Each worker's token once its instance exists (it is running, not just starting). */
const RUNNING_BASE = OWNER_BASE + MAX_THREADS;
const CONTROL_WORDS = RUNNING_BASE + MAX_THREADS;

/** Longest a woken worker polls for the announced job before sleeping again, ms. */
const SPIN_MS = 2;

/** Bytes the control block occupies in the shared memory. */
export const CONTROL_BYTES = CONTROL_WORDS * 4;
/** Byte offsets, inside the control block, of the claim word and of the done counter. */
export const CLAIMS_OFFSET = CLAIMS * 4;
export const DONE_OFFSET = DONE * 4;

/** The worker's whole program: instantiate the module, then take part in every job until its token is revoked. */
const workerSource = `
const { workerData } = require('node:worker_threads');
const { module, memory, controlOffset, index, token } = workerData;
const control = new Int32Array(memory.buffer, controlOffset, ${CONTROL_WORDS});
const claimRows = new WebAssembly.Instance(module, { env: { memory } }).exports.matmulClaimRows;
const args = new Int32Array(${CLAIM_ARGUMENT_COUNT + 3});
let seen = -1;
let wakeSeen = Atomics.load(control, ${WAKE});
Atomics.store(control, ${RUNNING_BASE} + index, token);
while (Atomics.load(control, ${OWNER_BASE} + index) === token) {
  const job = Atomics.load(control, ${JOB});
  if (job === seen || (job & 1) !== 0) {
    const wake = Atomics.load(control, ${WAKE});
    if (wake !== wakeSeen) {
      // A job is coming: poll for it rather than sleep through another wake-up.
      wakeSeen = wake;
      if (index < Atomics.load(control, ${WAKE_LIMIT})) {
        // Poll past the odd value too: the arguments take only a moment to write.
        const until = performance.now() + ${SPIN_MS};
        let current = job;
        while ((current === job || (current & 1) !== 0) && performance.now() < until) {
          current = Atomics.load(control, ${JOB});
        }
        continue;
      }
    }
    Atomics.wait(control, ${JOB}, job);
    continue;
  }
  for (let i = 0; i < args.length; i++) args[i] = Atomics.load(control, ${ARGUMENT_BASE} + i);
  if (Atomics.load(control, ${JOB}) !== job) continue;
  seen = job;
  if (index >= args[${WORKER_LIMIT - ARGUMENT_BASE}]) continue;
  try {
    claimRows(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8], args[9],
      args[10], args[11], args[12], args[13], args[14], args[15], args[16], args[17],
      args[${SCRATCH_BASE - ARGUMENT_BASE}] + (index + 1) * args[${SCRATCH_STRIDE - ARGUMENT_BASE}]);
  } catch (error) {
    Atomics.store(control, ${ERROR}, 1);
    Atomics.notify(control, ${DONE});
  }
}
`;

type WorkerConstructor = typeof NodeWorker;

/** The worker_threads Worker class, or null outside Node (where matmuls stay on one thread). */
function workerConstructor(): WorkerConstructor | null {
  try {
    const module = globalThis.process?.getBuiltinModule?.('node:worker_threads') as
      | { Worker: WorkerConstructor }
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
  private nextToken = 1;
  /** The last published job tag (even). */
  private job = 0;
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
    this.control = new Int32Array(memory.buffer, controlOffset, CONTROL_WORDS);
  }

  /** Whether this environment can start workers at all. */
  get available(): boolean {
    return this.Worker !== null && !this.broken;
  }

  /**
   * Starts (without waiting for them) the missing ones of the first `workerCount` workers; any
   * beyond stay parked. Returns how many of the first `workerCount` exist (started or starting).
   */
  ensureWorkers(workerCount: number): number {
    if (!this.available) return 0;
    let alive = 0;
    for (let index = 0; index < workerCount; index++) {
      if (!this.workers[index]) this.start(index);
      if (this.workers[index]) alive++;
    }
    return alive;
  }

  /** How many of the first `workerCount` workers have finished starting up. */
  runningCount(workerCount: number): number {
    let running = 0;
    for (let index = 0; index < workerCount && index < this.workers.length; index++) {
      const worker = this.workers[index];
      if (worker && Atomics.load(this.control, RUNNING_BASE + index) === Atomics.load(this.control, OWNER_BASE + index)) running++;
    }
    return running;
  }

  /** Tells the first `workerLimit` workers a job is coming, so that they are awake when it is published. */
  wake(workerLimit: number): void {
    Atomics.store(this.control, WAKE_LIMIT, workerLimit);
    Atomics.add(this.control, WAKE, 1);
    Atomics.notify(this.control, JOB);
  }

  /** The tag the next published job gets (it goes into the claim arguments). */
  nextTag(): number {
    return (this.job + 2) | 0;
  }

  /**
   * Publishes the job tagged nextTag(): `claimArguments` are matmulClaimRows' arguments without the
   * scratch; worker i gets scratch at scratchBase + (i + 1) * scratchStride; workers from index
   * `workerLimit` on sit it out. `openClaims` must store the claim word for the tag (the module does
   * that, as one 64-bit store). The caller then works on the job itself and calls `waitDone`.
   */
  publish(
    claimArguments: ArrayLike<number>, scratchBase: number, scratchStride: number, workerLimit: number,
    openClaims: () => void,
  ): void {
    const tag = this.nextTag();
    Atomics.store(this.control, JOB, this.job + 1); // odd: arguments being written
    for (let i = 0; i < CLAIM_ARGUMENT_COUNT; i++) Atomics.store(this.control, ARGUMENT_BASE + i, claimArguments[i]);
    Atomics.store(this.control, SCRATCH_BASE, scratchBase);
    Atomics.store(this.control, SCRATCH_STRIDE, scratchStride);
    Atomics.store(this.control, WORKER_LIMIT, workerLimit);
    Atomics.store(this.control, ERROR, 0);
    openClaims();
    this.job = tag;
    Atomics.store(this.control, JOB, tag);
    Atomics.notify(this.control, JOB);
  }

  /** Blocks until `rows` rows of the current job are done; returns how many threads took part. */
  waitDone(rows: number): number {
    for (;;) {
      if (Atomics.load(this.control, ERROR) !== 0) throw new Error('wasm matmul failed in a worker thread');
      const done = Atomics.load(this.control, DONE);
      if (done >= rows) return Atomics.load(this.control, PARTICIPANTS);
      Atomics.wait(this.control, DONE, done);
    }
  }

  /** Stops every worker. */
  terminate(): void {
    for (let index = 0; index < this.workers.length; index++) {
      const worker = this.workers[index];
      if (!worker) continue;
      this.workers[index] = null;
      Atomics.store(this.control, OWNER_BASE + index, 0);
      void worker.terminate();
    }
    this.workers.length = 0;
    Atomics.notify(this.control, JOB);
  }

  private start(index: number): void {
    const token = this.nextToken++;
    Atomics.store(this.control, OWNER_BASE + index, token);
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
}
