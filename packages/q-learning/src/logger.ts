/**
 * The metrics sink a training loop writes to. It is passed in, never global
 * (CleanRL's `SummaryWriter`, TRL's per-mode metric lists); the metric names
 * each algorithm writes are fixed and listed in the package README.
 */

/**
 * Receives scalars under fixed names (`charts/episodic_return`, `losses/td_error`, …).
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('FrozenLake-v1') as DiscreteEnv;
 * const rows: string[] = [];
 * const logger: MetricLogger = {
 *   scalar: (name, value, step) => { rows.push(`${step}\t${name}\t${value}`); },
 *   hyperparameters: (config) => { rows.push(JSON.stringify(config)); },
 * };
 * trainQLearning(env, { totalEpisodes: 100 }, logger);
 * ```
 */
export interface MetricLogger {
  /** Records one scalar `value` of metric `name` at environment step `step`. */
  scalar(name: string, value: number, step: number): void;
  /** Records the resolved config once, before the first step. */
  hyperparameters?(config: Readonly<Record<string, unknown>>): void;
}
