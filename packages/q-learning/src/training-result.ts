/**
 * What every tabular training loop returns: the learned table and the
 * per-episode statistics of the run.
 */
import type { QTable } from './q-table.js';

/**
 * The outcome of a tabular training run.
 *
 * @example
 * ```ts
 * import { make } from '@attune/envs';
 * const env = make('FrozenLake-v1') as DiscreteEnv;
 * const { qTable, episodeReturns }: TabularTrainingResult = trainQLearning(env, { totalEpisodes: 1000 });
 * const policy = qTable.greedyPolicy();
 * ```
 */
export interface TabularTrainingResult {
  /** The learned action values. */
  qTable: QTable;
  /** Undiscounted return of each training episode (under the exploring policy); shape [totalEpisodes]. */
  episodeReturns: Float64Array;
  /** Length in steps of each training episode; shape [totalEpisodes]. */
  episodeLengths: Int32Array;
  /** Environment steps taken in total. */
  globalStep: number;
}
