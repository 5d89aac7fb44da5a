// Number of cores this process may use, without importing node:os (so the module also loads where
// Node's built-ins do not exist).

/** os.availableParallelism() in Node, navigator.hardwareConcurrency in browsers, else 1. */
export function availableParallelism(): number {
  try {
    const os = globalThis.process?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
    if (os?.availableParallelism) return os.availableParallelism();
  } catch {
    // Fall through to the browser probe.
  }
  const navigatorLike = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return navigatorLike?.hardwareConcurrency ?? 1;
}
