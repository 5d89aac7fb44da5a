// How busy the machine is with other work, from /proc/stat (Linux only): benchmarks print it so
// their numbers can be read in context, and can wait for a quiet moment before measuring.

import { readFileSync } from 'node:fs';
import os from 'node:os';

function cpuTicks(): { busy: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3] + (fields[4] ?? 0);
    const total = fields.reduce((sum, value) => sum + value, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Cores' worth of CPU time used by everything on the machine over the next `milliseconds` (null off Linux). */
export function busyCores(milliseconds = 500): number | null {
  const before = cpuTicks();
  if (!before) return null;
  const until = Date.now() + milliseconds;
  while (Date.now() < until) {
    // Sleep without yielding to a JS event loop: a synchronous wait on a private buffer.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  const after = cpuTicks()!;
  return ((after.busy - before.busy) / (after.total - before.total)) * os.availableParallelism();
}

/** Waits (up to `timeoutMs`) until other work uses less than `threshold` cores; returns the last reading. */
export function waitForQuiet(threshold = 0.2, timeoutMs = 60_000): number | null {
  const deadline = Date.now() + timeoutMs;
  let busy = busyCores();
  while (busy !== null && busy > threshold && Date.now() < deadline) busy = busyCores();
  return busy;
}
