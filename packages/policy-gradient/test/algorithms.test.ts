import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memory, type Tensor } from '@attune/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ActorCritic,
  MemoryLogger,
  evaluateAgent,
  loadPolicy,
  makeEvaluationEnv,
  resolveA2CConfig,
  resolveReinforceConfig,
  trainA2C,
  trainReinforce,
} from '../src/index.js';

const directories: string[] = [];
async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'attune-pg-'));
  directories.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of directories) await rm(dir, { recursive: true, force: true });
});

const mean = (values: number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;

function snapshotParameters(agent: ActorCritic): Map<string, Float32Array> {
  return new Map(agent.namedParameters().map(([name, p]) => [name, Float32Array.from(p.dataSync())]));
}

function expectAllChanged(before: Map<string, Float32Array>, agent: ActorCritic): void {
  for (const [name, p] of agent.namedParameters()) {
    const previous = before.get(name)!;
    const now = p.dataSync();
    let changed = false;
    for (let i = 0; i < now.length && !changed; i++) changed = now[i] !== previous[i];
    expect(changed, `parameter ${name} did not change`).toBe(true);
  }
}

function parameterValues(agent: ActorCritic): number[][] {
  return agent.parameters().map((p: Tensor) => Array.from(p.dataSync()));
}

describe('A2C', () => {
  it('starts learning CartPole-v1 within 40k steps (seed 1) and changes every parameter', async () => {
    const initial = snapshotParameters(new ActorCritic({ observationSize: 4, action: { kind: 'discrete', n: 2 } }));
    const logger = new MemoryLogger();
    const { agent, episodes, globalStep } = await trainA2C({ seed: 1, totalTimesteps: 40_000 }, { logger });
    expect(globalStep).toBe(40_000);
    expect(mean(episodes.returns.slice(-20))).toBeGreaterThan(2 * mean(episodes.returns.slice(0, 20)));
    expectAllChanged(initial, agent);
    const names = new Set(logger.records.map((record) => record.name));
    expect([...names].sort()).toEqual(['charts/SPS', 'charts/episodic_length', 'charts/episodic_return', 'charts/learning_rate', 'losses/entropy', 'losses/explained_variance', 'losses/policy_loss', 'losses/value_loss']);
    expect(logger.config).toMatchObject({ algorithm: 'a2c', numEnvs: 8, numSteps: 5, learningRate: 7e-4 });
    agent.dispose();
  });

  it('resumes from a checkpoint bit for bit', async () => {
    const config = { seed: 3, totalTimesteps: 4000 };
    const straight = await trainA2C(config);
    const dir = await scratch();
    const first = await trainA2C(config, { checkpointDir: dir, stopAfterIterations: 37 });
    expect(first.iterations).toBe(37);
    first.agent.dispose();
    const resumed = await trainA2C(config, { checkpointDir: dir, resume: true });
    expect(resumed.iterations).toBe(straight.iterations);
    expect(resumed.globalStep).toBe(straight.globalStep);
    expect(parameterValues(resumed.agent)).toEqual(parameterValues(straight.agent));
    expect(resumed.episodes).toEqual(straight.episodes);
    straight.agent.dispose();
    resumed.agent.dispose();
  });

  it('rejects a bad config naming the field', () => {
    expect(() => resolveA2CConfig({ numSteps: 0 })).toThrow('A2CConfig.numSteps must be an integer ≥ 1, got 0');
    expect(() => resolveA2CConfig({ learningrate: 1 } as never)).toThrow('A2CConfig has no field "learningrate"');
  });
});

describe('REINFORCE', () => {
  it('starts learning CartPole-v1 within 60k steps (seed 1) with a baseline, changing every parameter', async () => {
    const initial = snapshotParameters(new ActorCritic({ observationSize: 4, action: { kind: 'discrete', n: 2 } }));
    const logger = new MemoryLogger();
    const { agent, episodes } = await trainReinforce({ seed: 1, totalTimesteps: 60_000 }, { logger });
    expect(mean(episodes.returns.slice(-24))).toBeGreaterThan(2 * mean(episodes.returns.slice(0, 24)));
    expectAllChanged(initial, agent);
    expect(logger.values('losses/explained_variance').length).toBeGreaterThan(0);
    agent.dispose();
  });

  it('runs without a baseline (no critic)', async () => {
    const { agent, episodes } = await trainReinforce({ seed: 2, totalTimesteps: 3000, baseline: false });
    expect(agent.critic).toBeNull();
    expect(agent.namedParameters().every(([name]) => name.startsWith('actor.'))).toBe(true);
    expect(episodes.returns.length).toBeGreaterThan(0);
    agent.dispose();
  });

  it('resumes from a checkpoint bit for bit and evaluates the saved policy', async () => {
    const config = { seed: 4, totalTimesteps: 6000 };
    const straight = await trainReinforce(config);
    const dir = await scratch();
    (await trainReinforce(config, { checkpointDir: dir, stopAfterIterations: 5 })).agent.dispose();
    const resumed = await trainReinforce(config, { checkpointDir: dir, resume: true });
    expect(parameterValues(resumed.agent)).toEqual(parameterValues(straight.agent));
    expect(resumed.episodes).toEqual(straight.episodes);

    const policy = await loadPolicy(resumed.checkpoint!);
    expect(policy.envId).toBe('CartPole-v1');
    expect(parameterValues(policy.agent)).toEqual(parameterValues(resumed.agent));
    const evaluation = evaluateAgent(policy.agent, makeEvaluationEnv(policy.envId), { episodes: 3, seed: 10 });
    expect(evaluation.returns).toHaveLength(3);
    expect(evaluation.returns).toEqual(evaluateAgent(resumed.agent, makeEvaluationEnv('CartPole-v1'), { episodes: 3, seed: 10 }).returns);
    for (const agent of [straight.agent, resumed.agent, policy.agent]) agent.dispose();
    expect(() => resolveReinforceConfig({ gamma: 2 })).toThrow('ReinforceConfig.gamma must be a number in [0, 1], got 2');
  });

  it('leaves no tensors behind but the agent', async () => {
    const before = memory().numTensors;
    const { agent } = await trainReinforce({ seed: 5, totalTimesteps: 2000 });
    expect(memory().numTensors - before).toBe(agent.parameters().length);
    agent.dispose();
  });
});
