// Sutton & Barto 2nd ed. example 6.6 on CliffWalking-v1: with ε = 0.1 kept constant, Q-learning learns the
// optimal path along the cliff edge but falls off while exploring, so SARSA, which learns the safer path it
// actually follows, collects more reward online.
import { beforeAll, describe, expect, it } from 'vitest';
import { make } from '@attune/envs';
import { trainQLearning, trainSarsa, type DiscreteEnv, type QTable, type SarsaConfig } from '../src/index.js';

const COLUMNS = 12;
// S&B figure 6.4's settings: α = 0.5, ε = 0.1 throughout, undiscounted, 500 episodes.
const config: Partial<SarsaConfig> = { totalEpisodes: 500, gamma: 1, learningRate: 0.5, epsilonStart: 0.1, epsilonEnd: 0.1 };

/** The states the greedy policy visits from the start (a deterministic env), stopping at the goal or after 100 moves. */
function greedyPath(env: DiscreteEnv, qTable: QTable): number[] {
  let state = env.reset({ seed: 0 }).observation;
  const path = [state];
  for (let step = 0; step < 100; step++) {
    const { observation, terminated } = env.step(qTable.greedyAction(state));
    state = observation;
    path.push(state);
    if (terminated) break;
  }
  return path;
}

describe('CliffWalking-v1: SARSA vs Q-learning (S&B example 6.6)', () => {
  const env = make('CliffWalking-v1') as DiscreteEnv;
  const runs = 20;
  let sarsaPaths: number[][];
  let qLearningPaths: number[][];
  let sarsaOnline = 0;
  let qLearningOnline = 0;

  beforeAll(() => {
    sarsaPaths = [];
    qLearningPaths = [];
    for (let seed = 0; seed < runs; seed++) {
      const sarsa = trainSarsa(env, { ...config, seed });
      const qLearning = trainQLearning(env, { ...config, seed });
      sarsaPaths.push(greedyPath(env, sarsa.qTable));
      qLearningPaths.push(greedyPath(env, qLearning.qTable));
      // Mean return over the last 100 training episodes, while still exploring (figure 6.4's y-axis).
      sarsaOnline += sarsa.episodeReturns.slice(400).reduce((sum, value) => sum + value, 0) / 100 / runs;
      qLearningOnline += qLearning.episodeReturns.slice(400).reduce((sum, value) => sum + value, 0) / 100 / runs;
    }
  });

  it('Q-learning learns the optimal path: 13 moves along the cliff edge', () => {
    for (const path of qLearningPaths) {
      expect(path.length - 1).toBe(13);
      expect(path.slice(1, -1).every((state) => Math.floor(state / COLUMNS) === 2)).toBe(true); // row 2, next to the cliff
    }
  });

  it('SARSA learns a safer, longer path that keeps (almost) off the row next to the cliff', () => {
    // α = 0.5 leaves Q noisy, so in a few runs the greedy policy ends up bumping into the top wall instead of
    // finishing; every path that does finish is the safe kind, and most runs finish.
    const finished = sarsaPaths.filter((path) => path[path.length - 1] === 47);
    expect(finished.length).toBeGreaterThanOrEqual(15);
    for (const path of finished) {
      expect(path.length - 1).toBeGreaterThan(13);
      const inner = path.filter((state) => state % COLUMNS !== 0 && state % COLUMNS !== COLUMNS - 1); // leave out the end columns
      expect(inner.filter((state) => Math.floor(state / COLUMNS) === 2).length).toBeLessThanOrEqual(1); // Q-learning's has 10
    }
  });

  it('online, SARSA does better (S&B figure 6.4: about −25 against −50)', () => {
    expect(sarsaOnline).toBeGreaterThan(-35);
    expect(qLearningOnline).toBeLessThan(-40);
    expect(sarsaOnline - qLearningOnline).toBeGreaterThan(10);
  });
});
