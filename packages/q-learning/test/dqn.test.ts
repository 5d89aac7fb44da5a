import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { make } from '@attune/envs';
import { Generator, memory } from '@attune/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { QNetwork, ReplayBuffer, evaluateQNetwork, loadQNetwork, resolveDQNConfig, trainDQN, type MetricLogger } from '../src/index.js';

const directories: string[] = [];
async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'attune-dqn-'));
  directories.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of directories) await rm(dir, { recursive: true, force: true });
});

const mean = (values: number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;
const parameterValues = (q: QNetwork): number[][] => q.parameters().map((p) => Array.from(p.dataSync()));

/** A small budget that still learns: CleanRL's dqn.py with the schedule scaled down. */
const SMALL = { totalTimesteps: 12_000, learningStarts: 1000, explorationFraction: 0.3, trainFrequency: 4, learningRate: 1e-3, batchSize: 64, targetNetworkFrequency: 250 };

describe('ReplayBuffer', () => {
  it('overwrites the oldest transition when full and samples stored ones', () => {
    const buffer = new ReplayBuffer(3, 2);
    for (let i = 0; i < 5; i++) buffer.add([i, i], i % 2, i, [i + 1, i + 1], i === 4);
    expect(buffer.size).toBe(3);
    expect(buffer.position).toBe(2);
    const batch = buffer.sample(64, new Generator(1));
    const rewards = new Set(batch.rewards);
    expect([...rewards].every((r) => r >= 2 && r <= 4)).toBe(true); // transitions 0 and 1 were overwritten
    for (let k = 0; k < 64; k++) {
      const r = batch.rewards[k];
      expect(batch.observations[2 * k]).toBe(r);
      expect(batch.nextObservations[2 * k]).toBe(r + 1);
      expect(batch.actions[k]).toBe(r % 2);
      expect(batch.terminations[k]).toBe(r === 4 ? 1 : 0);
    }
  });
});

describe('trainDQN on CartPole-v1', () => {
  it('starts learning within 12k steps (seed 1), changes every parameter and logs CleanRL\'s metrics', async () => {
    const names = new Set<string>();
    const logger: MetricLogger = { scalar: (name) => names.add(name) };
    const initial = new QNetwork({ observationSize: 4, numActions: 2 }, new Generator(1));
    const { qNetwork, episodeReturns, globalStep } = await trainDQN({ ...SMALL, seed: 1 }, { logger });
    expect(globalStep).toBe(12_000);
    expect(mean(episodeReturns.slice(-10))).toBeGreaterThan(3 * mean(episodeReturns.slice(0, 20)));
    const before = parameterValues(initial);
    parameterValues(qNetwork).forEach((values, i) => expect(values.some((v, j) => v !== before[i][j]), `parameter ${i} did not change`).toBe(true));
    expect([...names].sort()).toEqual(['charts/SPS', 'charts/episodic_length', 'charts/episodic_return', 'charts/epsilon', 'losses/q_values', 'losses/td_loss']);
    initial.dispose();
    qNetwork.dispose();
  });

  it('runs Double DQN with the Huber loss and soft target updates', async () => {
    const before = memory().numTensors;
    const { qNetwork, episodeReturns } = await trainDQN({ seed: 2, totalTimesteps: 1500, learningStarts: 500, doubleDqn: true, loss: 'huber', tau: 0.5, targetNetworkFrequency: 50, maxGradNorm: 10 });
    expect(episodeReturns.length).toBeGreaterThan(0);
    expect(memory().numTensors - before).toBe(qNetwork.parameters().length);
    qNetwork.dispose();
  });

  it('resumes from a checkpoint bit for bit (replay memory and target network included) and evaluates the saved network', async () => {
    const config = { seed: 3, totalTimesteps: 2000, learningStarts: 500, targetNetworkFrequency: 200, trainFrequency: 4, batchSize: 64 };
    const straight = await trainDQN(config);
    const dir = await scratch();
    const first = await trainDQN(config, { checkpointDir: dir, stopAfterSteps: 1234 });
    expect(first.globalStep).toBe(1234);
    first.qNetwork.dispose();
    const resumed = await trainDQN(config, { checkpointDir: dir, resume: true });
    expect(resumed.globalStep).toBe(2000);
    expect(parameterValues(resumed.qNetwork)).toEqual(parameterValues(straight.qNetwork));
    expect(resumed.episodeReturns).toEqual(straight.episodeReturns);
    expect(resumed.episodeSteps).toEqual(straight.episodeSteps);

    const { qNetwork, envId } = await loadQNetwork(resumed.checkpoint!);
    expect(envId).toBe('CartPole-v1');
    expect(parameterValues(qNetwork)).toEqual(parameterValues(resumed.qNetwork));
    const evaluation = evaluateQNetwork(qNetwork, make(envId), { episodes: 3, epsilon: 0, seed: 5 });
    expect(evaluation.returns).toEqual(evaluateQNetwork(resumed.qNetwork, make('CartPole-v1'), { episodes: 3, epsilon: 0, seed: 5 }).returns);
    for (const q of [straight.qNetwork, resumed.qNetwork, qNetwork]) q.dispose();
  });

  it('defaults to CleanRL dqn.py and names a bad field', () => {
    expect(resolveDQNConfig()).toMatchObject({ totalTimesteps: 500_000, learningRate: 2.5e-4, bufferSize: 10_000, gamma: 0.99, tau: 1, targetNetworkFrequency: 500, batchSize: 128, startEpsilon: 1, endEpsilon: 0.05, explorationFraction: 0.5, learningStarts: 10_000, trainFrequency: 10, loss: 'mse', doubleDqn: false });
    expect(() => resolveDQNConfig({ tau: 2 })).toThrow('DQNConfig.tau must be a number in (0, 1], got 2');
    expect(() => resolveDQNConfig({ loss: 'l1' as never })).toThrow("DQNConfig.loss must be one of 'mse', 'huber', got l1");
  });
});
