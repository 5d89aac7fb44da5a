// Q-learning, SARSA, expected SARSA and n-step SARSA learn the optimal values of a small stochastic MDP,
// and the variants that must coincide do so step for step.
import { describe, expect, it } from 'vitest';
import {
  trainExpectedSarsa,
  trainNStepSarsa,
  trainQLearning,
  trainSarsa,
  valueIteration,
  QTable,
  type MetricLogger,
  type TabularConfig,
  type TabularTrainingResult,
} from '../src/index.js';
import type { TransitionTable } from '@attune/envs';
import { slipperyCorridor, TableEnv } from './table-env.js';

const P = slipperyCorridor();
const everyState = [1, 2, 3, 4, 5]; // exploring starts (S&B §5.3), so every pair is visited often
const gamma = 0.95;
const epsilon = 0.2;
// Q-learning learns Q* whatever the behaviour policy (off-policy); the SARSA family, acting ε-greedily with a fixed ε,
// learns the action values of the best ε-greedy policy instead (S&B §5.4, §6.4). Both are computed exactly here.
const optimal = valueIteration(P, { gamma, theta: 1e-13 }).qTable;
const epsilonSoftOptimal = epsilonGreedyValueIteration(P, gamma, epsilon);
const config: Partial<TabularConfig> = {
  seed: 1,
  totalEpisodes: 20_000,
  gamma,
  learningRate: 1,
  learningRateExponent: 0.7,
  epsilonStart: epsilon,
  epsilonEnd: epsilon,
};

/** Q of the optimal ε-greedy policy: iterate Q(s, a) ← Σ p (r + γ [(1 − ε) max_b Q(s', b) + ε mean_b Q(s', b)]). */
function epsilonGreedyValueIteration(table: TransitionTable, discount: number, exploration: number): QTable {
  const q = new QTable(table.length, table[0].length);
  for (let sweep = 0; sweep < 2_000; sweep++) {
    for (let s = 0; s < table.length; s++) {
      for (let a = 0; a < table[s].length; a++) {
        let value = 0;
        for (const [p, next, r, terminated] of table[s][a]) {
          const policyValue = (1 - exploration) * q.maxValue(next) + exploration * q.meanValue(next);
          value += p * (r + (terminated ? 0 : discount * policyValue));
        }
        q.set(s, a, value);
      }
    }
  }
  return q;
}

const learners: [string, QTable, (env: TableEnv, overrides?: Partial<TabularConfig>) => TabularTrainingResult][] = [
  ['Q-learning', optimal, (env, overrides) => trainQLearning(env, { ...config, ...overrides })],
  ['SARSA', epsilonSoftOptimal, (env, overrides) => trainSarsa(env, { ...config, ...overrides })],
  ['expected SARSA', epsilonSoftOptimal, (env, overrides) => trainExpectedSarsa(env, { ...config, ...overrides })],
  ['4-step SARSA', epsilonSoftOptimal, (env, overrides) => trainNStepSarsa(env, { ...config, ...overrides, n: 4 })],
];

describe.each(learners)('%s', (_name, target, train) => {
  it('learns its fixed point on the slippery corridor: the greedy policy, its action values within 0.05, the others within 0.1', () => {
    // Outcomes are noisy (the pit pays −1 with probability 0.2 next to it), so even 20,000 episodes leave errors of
    // about 0.02 on greedy actions; the looser bound is for exploratory actions, sampled only ε/2 of the time.
    const { qTable } = train(new TableEnv(P, everyState));
    for (let s = 1; s <= 5; s++) {
      const best = target.greedyAction(s);
      expect(qTable.greedyAction(s)).toBe(best);
      expect(Math.abs(qTable.get(s, best) - target.get(s, best))).toBeLessThan(0.05);
      expect(Math.abs(qTable.get(s, 1 - best) - target.get(s, 1 - best))).toBeLessThan(0.1);
    }
  });

  it('is deterministic given the seed', () => {
    const first = train(new TableEnv(P, everyState), { totalEpisodes: 200 });
    const second = train(new TableEnv(P, everyState), { totalEpisodes: 200 });
    expect(Array.from(second.qTable.values)).toEqual(Array.from(first.qTable.values));
    expect(Array.from(second.episodeReturns)).toEqual(Array.from(first.episodeReturns));
  });

  it('bootstraps across a time-limit truncation instead of treating it as terminal', () => {
    // One step per episode from state 5: RIGHT-ish outcomes reach the goal (+1, terminal), the rest land in 4 and are
    // truncated. Q(4, ·) keeps its initial value 1 (no episode acts in 4), so bootstrapping gives Q(5, LEFT) =
    // 0.8 · (−0.01 + γ · 1) + 0.2 · 1 = 0.952, while stopping at the truncation would give 0.8 · (−0.01) + 0.2 = 0.192.
    const { qTable } = train(new TableEnv(P, [5], 1), { totalEpisodes: 3_000, epsilonStart: 1, epsilonEnd: 1, initialValue: 1 });
    expect(qTable.get(5, 0)).toBeCloseTo(0.8 * (-0.01 + gamma) + 0.2, 1);
  });
});

describe('equivalences between the TD methods', () => {
  const shortConfig: Partial<TabularConfig> = { ...config, totalEpisodes: 300, epsilonStart: 1, explorationFraction: 0.5 };

  it('1-step SARSA is SARSA, update for update, including time-limit truncations', () => {
    const sarsa = trainSarsa(new TableEnv(P, [3], 5), shortConfig);
    const oneStep = trainNStepSarsa(new TableEnv(P, [3], 5), { ...shortConfig, n: 1 });
    expect(Array.from(oneStep.qTable.values)).toEqual(Array.from(sarsa.qTable.values));
    expect(Array.from(oneStep.episodeLengths)).toEqual(Array.from(sarsa.episodeLengths));
  });

  it('expected SARSA with a greedy policy (ε = 0) is Q-learning', () => {
    const greedy = { ...shortConfig, epsilonStart: 0, epsilonEnd: 0, initialValue: 0.5 };
    const qLearning = trainQLearning(new TableEnv(P, everyState), greedy);
    const expectedSarsa = trainExpectedSarsa(new TableEnv(P, everyState), greedy);
    expect(Array.from(expectedSarsa.qTable.values)).toEqual(Array.from(qLearning.qTable.values));
  });
});

describe('training loops', () => {
  it('write the fixed metric names once per episode, and the hyperparameters first', () => {
    const names = new Map<string, number>();
    let hyperparameters: Readonly<Record<string, unknown>> | undefined;
    const logger: MetricLogger = {
      scalar: (name) => names.set(name, (names.get(name) ?? 0) + 1),
      hyperparameters: (values) => (hyperparameters = values),
    };
    trainQLearning(new TableEnv(P, everyState), { totalEpisodes: 20 }, logger);
    expect(Object.fromEntries(names)).toEqual({
      'charts/episodic_return': 20,
      'charts/episodic_length': 20,
      'charts/epsilon': 20,
      'losses/td_error': 20,
    });
    expect(hyperparameters).toMatchObject({ algorithm: 'q-learning', gamma: 0.99, totalEpisodes: 20 });
  });

  it('reject bad configs with errors naming the field', () => {
    const env = new TableEnv(P, everyState);
    expect(() => trainQLearning(env, { gamma: -0.1 })).toThrow(/QLearningConfig\.gamma/);
    expect(() => trainSarsa(env, { learningRate: 0 })).toThrow(/SarsaConfig\.learningRate/);
    expect(() => trainExpectedSarsa(env, { totalEpisodes: 1.5 })).toThrow(/ExpectedSarsaConfig\.totalEpisodes/);
    expect(() => trainNStepSarsa(env, { n: 0 })).toThrow(/NStepSarsaConfig\.n/);
    expect(() => trainQLearning(env, { epsilonDecay: 'exponential', epsilonEnd: 0 })).toThrow(/QLearningConfig\.epsilonEnd/);
    expect(() => trainQLearning(env, { epsilon: 0.1 } as never)).toThrow(/no field "epsilon"/);
  });
});
