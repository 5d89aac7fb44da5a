/**
 * `attune envs list`: every registered environment with its observation and action spaces.
 */
import { envIds, make, registry } from '@attune/envs';
import type { CliIO } from '../io.js';

/**
 * One registered environment as `envs list --json` prints it.
 *
 * @example
 * ```ts
 * const entry: EnvEntry = { id: 'CartPole-v1', observationSpace: 'Box(…)', actionSpace: 'Discrete(2)', maxEpisodeSteps: 500, rewardThreshold: 475 };
 * ```
 */
export interface EnvEntry {
  /** Registry id. */
  id: string;
  /** The observation space, as its `toString()`. */
  observationSpace: string;
  /** The action space, as its `toString()`. */
  actionSpace: string;
  /** The TimeLimit `make` adds, if any. */
  maxEpisodeSteps: number | null;
  /** Return at which the task counts as solved, if any. */
  rewardThreshold: number | null;
}

/**
 * Describes every registered environment (each is built once to read its spaces).
 *
 * @example
 * ```ts
 * listEnvs().find((entry) => entry.id === 'FrozenLake-v1')?.actionSpace; // 'Discrete(4)'
 * ```
 */
export function listEnvs(): EnvEntry[] {
  return envIds().map((id) => {
    const envSpec = registry.get(id)!;
    const env = make(id);
    const entry: EnvEntry = {
      id,
      observationSpace: String(env.observationSpace),
      actionSpace: String(env.actionSpace),
      maxEpisodeSteps: envSpec.maxEpisodeSteps ?? null,
      rewardThreshold: envSpec.rewardThreshold ?? null,
    };
    env.close();
    return entry;
  });
}

/**
 * Prints {@link listEnvs} as a table, or as JSON with `json`.
 *
 * @example
 * ```ts
 * printEnvs({ json: false }, processIO);
 * ```
 */
export function printEnvs(options: { json?: boolean }, io: CliIO): void {
  const entries = listEnvs();
  if (options.json) {
    io.out(JSON.stringify(entries, null, 2));
    return;
  }
  const idWidth = Math.max(...entries.map((entry) => entry.id.length), 2);
  const observationWidth = Math.max(...entries.map((entry) => entry.observationSpace.length), 17);
  io.out(`${'id'.padEnd(idWidth)}  ${'observation space'.padEnd(observationWidth)}  action space`);
  for (const entry of entries) io.out(`${entry.id.padEnd(idWidth)}  ${entry.observationSpace.padEnd(observationWidth)}  ${entry.actionSpace}`);
}
