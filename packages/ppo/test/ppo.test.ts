import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActorCritic, JsonlLogger, MemoryLogger, evaluateAgent, loadPolicy, makeEvaluationEnv } from '@attune/policy-gradient';
import { memory } from '@attune/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { ppoContinuousDefaults, ppoDefaults, ppoPendulumPreset, resolvePPOConfig, trainPPO } from '../src/index.js';

const directories: string[] = [];
async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'attune-ppo-'));
  directories.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of directories) await rm(dir, { recursive: true, force: true });
});

const mean = (values: number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;
const parameterValues = (agent: ActorCritic): number[][] => agent.parameters().map((p) => Array.from(p.dataSync()));

function expectAllChanged(agent: ActorCritic, initial: ActorCritic): void {
  const before = new Map(initial.namedParameters().map(([name, p]) => [name, p.dataSync()]));
  for (const [name, p] of agent.namedParameters()) {
    const now = p.dataSync();
    const previous = before.get(name)!;
    expect(now.some((value, i) => value !== previous[i]), `parameter ${name} did not change`).toBe(true);
  }
}

const CLEANRL_METRICS = [
  'charts/SPS',
  'charts/episodic_length',
  'charts/episodic_return',
  'charts/learning_rate',
  'losses/approx_kl',
  'losses/clipfrac',
  'losses/entropy',
  'losses/explained_variance',
  'losses/old_approx_kl',
  'losses/policy_loss',
  'losses/value_loss',
];

describe('trainPPO on CartPole-v1 (CleanRL ppo.py defaults)', () => {
  it('starts learning within 25k steps (seed 1), changes every parameter and logs CleanRL\'s metrics', async () => {
    const logger = new MemoryLogger();
    const { agent, episodes, globalStep, iterations } = await trainPPO({ seed: 1, totalTimesteps: 25_600 }, { logger });
    expect(iterations).toBe(50);
    expect(globalStep).toBe(25_600);
    expect(mean(episodes.returns.slice(-20))).toBeGreaterThan(3 * mean(episodes.returns.slice(0, 20)));
    // Same seed, same init: every trainable tensor moved.
    const initial = new ActorCritic({ observationSize: 4, action: { kind: 'discrete', n: 2 } });
    expectAllChanged(agent, initial);
    expect([...new Set(logger.records.map((record) => record.name))].sort()).toEqual(CLEANRL_METRICS);
    const learningRates = logger.values('charts/learning_rate');
    expect(learningRates[0]).toBeCloseTo(2.5e-4, 12); // annealed from lr at iteration 1 …
    expect(learningRates.at(-1)).toBeCloseTo(2.5e-4 / 50, 12); // … to lr / numIterations at the last
    expect(logger.values('losses/approx_kl').every((kl) => kl >= 0)).toBe(true);
    expect(logger.config).toMatchObject({ algorithm: 'ppo', batchSize: 512, minibatchSize: 128, numIterations: 50, adamEpsilon: 1e-5 });
    initial.dispose();
    agent.dispose();
  });

  it('resumes from a checkpoint bit for bit: parameters, episodes and losses', async () => {
    const config = { seed: 7, totalTimesteps: 3072, targetKl: 0.01 };
    const straightLogger = new MemoryLogger();
    const straight = await trainPPO(config, { logger: straightLogger });
    const dir = await scratch();
    const firstLogger = new MemoryLogger();
    const first = await trainPPO(config, { checkpointDir: dir, stopAfterIterations: 3, logger: firstLogger });
    expect(first.iterations).toBe(3);
    first.agent.dispose();
    const secondLogger = new MemoryLogger();
    const resumed = await trainPPO(config, { checkpointDir: dir, resume: true, logger: secondLogger });
    expect(resumed.iterations).toBe(6);
    expect(parameterValues(resumed.agent)).toEqual(parameterValues(straight.agent));
    expect(resumed.episodes).toEqual(straight.episodes);
    const deterministic = (records: MemoryLogger['records']) => records.filter((record) => record.name !== 'charts/SPS');
    expect(deterministic([...firstLogger.records, ...secondLogger.records])).toEqual(deterministic(straightLogger.records));

    // The final checkpoint loads as a policy that acts as the trained agent does.
    const policy = await loadPolicy(resumed.checkpoint!);
    expect(parameterValues(policy.agent)).toEqual(parameterValues(resumed.agent));
    const fromCheckpoint = evaluateAgent(policy.agent, makeEvaluationEnv(policy.envId, policy.wrappers, policy.observationStatistics), { episodes: 2, seed: 3 });
    const fromMemory = evaluateAgent(resumed.agent, makeEvaluationEnv('CartPole-v1'), { episodes: 2, seed: 3 });
    expect(fromCheckpoint.returns).toEqual(fromMemory.returns);
    for (const agent of [straight.agent, resumed.agent, policy.agent]) agent.dispose();
  });

  it('writes metrics.jsonl through JsonlLogger and leaves only the agent\'s tensors alive', async () => {
    const before = memory().numTensors;
    const path = join(await scratch(), 'metrics.jsonl');
    const logger = new JsonlLogger(path);
    const { agent } = await trainPPO({ seed: 2, totalTimesteps: 1024 }, { logger });
    logger.close();
    expect(memory().numTensors - before).toBe(agent.parameters().length);
    const lines = (await readFile(path, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(lines[0].hyperparameters).toMatchObject({ algorithm: 'ppo', envId: 'CartPole-v1', clipCoef: 0.2 });
    expect(lines.filter((line) => line.name === 'losses/clipfrac')).toHaveLength(2);
    agent.dispose();
  });
});

describe('trainPPO with continuous actions (Pendulum-v1)', () => {
  it('trains the Gaussian policy, its log-std included, through the normalisation wrappers', async () => {
    const config = { ...ppoContinuousDefaults, seed: 1, numSteps: 256, numMinibatches: 8, updateEpochs: 2, totalTimesteps: 512 };
    const { agent, episodes, checkpoint } = await trainPPO(config, { checkpointDir: await scratch() });
    const initial = new ActorCritic({ observationSize: 3, action: { kind: 'continuous', size: 1 } });
    expect(agent.namedParameters().map(([name]) => name)).toContain('actor_logstd');
    expectAllChanged(agent, initial);
    expect(episodes.returns).toHaveLength(2); // Pendulum episodes are 200 steps
    const policy = await loadPolicy(checkpoint!);
    expect(policy.wrappers).toMatchObject({ clipAction: true, normalizeObservation: true, clipObservation: 10 });
    expect(policy.observationStatistics?.mean).toHaveLength(3);
    const evaluation = evaluateAgent(policy.agent, makeEvaluationEnv(policy.envId, policy.wrappers, policy.observationStatistics), { episodes: 1 });
    expect(evaluation.lengths).toEqual([200]);
    for (const a of [agent, initial, policy.agent]) a.dispose();
  });
});

describe('PPOConfig', () => {
  it('defaults to CleanRL ppo.py and derives batch sizes once', () => {
    const args = resolvePPOConfig();
    expect(args).toMatchObject({ envId: 'CartPole-v1', learningRate: 2.5e-4, numEnvs: 4, numSteps: 128, numMinibatches: 4, updateEpochs: 4, clipCoef: 0.2, entropyCoef: 0.01, valueCoef: 0.5, maxGradNorm: 0.5, gaeLambda: 0.95, gamma: 0.99, targetKl: null });
    expect(args.batchSize).toBe(512);
    expect(args.minibatchSize).toBe(128);
    expect(args.numIterations).toBe(976);
    expect(resolvePPOConfig(ppoPendulumPreset).minibatchSize).toBe(64);
    expect(ppoDefaults.adamEpsilon).toBe(1e-5);
  });

  it('names the offending field', () => {
    expect(() => resolvePPOConfig({ clipCoef: -1 })).toThrow('PPOConfig.clipCoef must be a number in (0, 10], got -1');
    expect(() => resolvePPOConfig({ numMinibatches: 3 })).toThrow('PPOConfig.numMinibatches (3) must divide the batch size numEnvs × numSteps = 512');
    expect(() => resolvePPOConfig({ clipcoef: 0.1 } as never)).toThrow('PPOConfig has no field "clipcoef"');
    expect(() => resolvePPOConfig({ totalTimesteps: 100 })).toThrow(/totalTimesteps/);
  });
});
