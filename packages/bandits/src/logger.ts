/**
 * The metrics sink a training loop writes to. It is passed in, never global
 * (CleanRL's `SummaryWriter`, TRL's per-mode metric lists); the metric names
 * each algorithm writes are fixed and listed in the package README.
 */

/**
 * Receives scalars under fixed names (`charts/reward`, `charts/cumulative_regret`, …).
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('BernoulliBandit-v0');
 * const rows: string[] = [];
 * const logger: MetricLogger = {
 *   scalar: (name, value, step) => rows.push(`${step}\t${name}\t${value}`),
 *   hyperparameters: (config) => { rows.push(JSON.stringify(config)); },
 * };
 * runBandit(env, new UCB1({ numArms: 10 }), { steps: 1000, seed: 1 }, logger);
 * ```
 */
export interface MetricLogger {
  /** Records one scalar `value` of metric `name` at pull `step`. */
  scalar(name: string, value: number, step: number): void;
  /** Records the agent's resolved config once, before the first pull. */
  hyperparameters?(config: Readonly<Record<string, unknown>>): void;
}
