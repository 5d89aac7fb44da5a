/**
 * The worker thread of `attune train`: runs one {@link TrainJob} and reports progress to the main
 * thread, which draws the bar and handles Ctrl-C. The stop request is a flag in shared memory
 * (`Atomics`), so the trainer's synchronous loop sees it between iterations without waiting for
 * the event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runTrainJob, type TrainJob, type TrainProgress } from './trainers.js';

/** What the main thread sends: the job and the shared stop flag (index 0 becomes 1 on Ctrl-C). */
interface WorkerInput {
  job: TrainJob;
  stop: Int32Array;
}

const { job, stop } = workerData as WorkerInput;
const port = parentPort;
if (port === null) throw new Error('train-worker.ts runs on a worker thread started by attune train');

let lastPost = 0;
let latest: TrainProgress | null = null;
const post = (progress: TrainProgress) => {
  latest = progress;
  const now = performance.now();
  if (now - lastPost < 100) return; // at most 10 messages a second
  lastPost = now;
  port.postMessage({ type: 'progress', progress });
};

try {
  const outcome = await runTrainJob(job, { stopRequested: () => Atomics.load(stop, 0) === 1, progress: post });
  if (latest !== null) port.postMessage({ type: 'progress', progress: latest });
  port.postMessage({ type: 'done', outcome });
} catch (error) {
  port.postMessage({ type: 'error', message: (error as Error).message, stack: (error as Error).stack ?? '' });
}
