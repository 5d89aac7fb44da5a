// Config assembly and validation: errors name the field, the expected type and the value; unknown
// algorithms and envs list the known ones.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALGORITHMS, ConfigError, loadConfigFile, main, validateConfig, type CliIO } from '../src/index.js';
import { algorithm, checkEnv, parseSetFlags } from '../src/config.js';

async function run(argv: string[]): Promise<{ status: number; err: string }> {
  const err: string[] = [];
  const io: CliIO = { out: () => {}, err: (line) => err.push(line) };
  return { status: await main(argv, io), err: err.join('\n') };
}

describe('validateConfig', () => {
  const ppo = algorithm('ppo');
  const defaults = ppo.defaults('CartPole-v1');

  it('merges valid overrides over the defaults', () => {
    const config = validateConfig(ppo, defaults, { learningRate: 1e-3, hiddenSizes: [32, 32], targetKl: 0.02 });
    expect(config.learningRate).toBe(1e-3);
    expect(config.hiddenSizes).toEqual([32, 32]);
    expect(config.targetKl).toBe(0.02);
    expect(config.numEnvs).toBe(4);
  });

  it('names an unknown field and lists the valid ones', () => {
    expect(() => validateConfig(ppo, defaults, { lerningRate: 1e-3 })).toThrow(ConfigError);
    expect(() => validateConfig(ppo, defaults, { lerningRate: 1e-3 })).toThrow(/no field "lerningRate"; valid fields: envId, seed, totalTimesteps, learningRate/);
  });

  it('names a field of the wrong type with the expected type and the value given', () => {
    expect(() => validateConfig(ppo, defaults, { numEnvs: '8' })).toThrow('field "numEnvs" must be number, got string "8"');
    expect(() => validateConfig(ppo, defaults, { annealLearningRate: 1 })).toThrow('field "annealLearningRate" must be boolean, got number 1');
    expect(() => validateConfig(ppo, defaults, { hiddenSizes: [64, 'x'] })).toThrow('field "hiddenSizes" must be an array of numbers, got an element string "x"');
  });

  it("runs the package's range checks, which name the field", () => {
    expect(() => validateConfig(ppo, defaults, { gamma: 1.5 })).toThrow(/PPOConfig\.gamma must be a number in \[0, 1\], got 1\.5/);
    const q = algorithm('q-learning');
    expect(() => validateConfig(q, q.defaults('FrozenLake-v1'), { totalEpisodes: 0 })).toThrow(/QLearningConfig\.totalEpisodes must be an integer ≥ 1/);
  });

  it('accepts the extra types a field allows (ε-greedy step size: number or sample-average)', () => {
    const agent = algorithm('epsilon-greedy');
    expect(validateConfig(agent, agent.defaults('BernoulliBandit-v0'), { stepSize: 0.1 }).stepSize).toBe(0.1);
    expect(validateConfig(agent, agent.defaults('BernoulliBandit-v0'), { steps: 50 }).steps).toBe(50);
  });

  it('picks continuous PPO defaults for a Box action space', () => {
    expect(ppo.defaults('Pendulum-v1').numSteps).toBe(2048);
    expect(ppo.defaults('CartPole-v1').numSteps).toBe(128);
  });
});

describe('algorithm and env checks', () => {
  it('lists the known algorithms for an unknown one', () => {
    expect(() => algorithm('ppp')).toThrow(`unknown algorithm "ppp"; known: ${Object.keys(ALGORITHMS).join(', ')}`);
  });

  it('lists the registered envs for an unknown one', () => {
    expect(() => checkEnv(algorithm('ppo'), 'CartPoel-v1')).toThrow(/unknown env "CartPoel-v1"; registered envs: Acrobot-v1, .*CartPole-v1/);
  });

  it('explains an env the algorithm cannot train on', () => {
    expect(() => checkEnv(algorithm('q-learning'), 'CartPole-v1')).toThrow(/q-learning cannot train on CartPole-v1: it needs Discrete observation and action spaces/);
    expect(() => checkEnv(algorithm('dqn'), 'Pendulum-v1')).toThrow(/needs a Discrete action space/);
    expect(() => checkEnv(algorithm('ucb1'), 'LinearContextualBandit-v0')).toThrow(/needs a k-armed bandit env/);
    expect(() => checkEnv(algorithm('linucb'), 'BernoulliBandit-v0')).toThrow(/needs a contextual bandit env/);
    expect(() => checkEnv(algorithm('ppo'), 'GaussianBandit-v0')).toThrow(/is a bandit env/);
  });
});

describe('config sources', () => {
  it('parses --set values as YAML scalars and flow collections', () => {
    expect(parseSetFlags(['learningRate=3e-4', 'annealLearningRate=false', 'hiddenSizes=[32, 32]', 'targetKl=null', 'envId=CartPole-v1'])).toEqual({
      learningRate: 3e-4,
      annealLearningRate: false,
      hiddenSizes: [32, 32],
      targetKl: null,
      envId: 'CartPole-v1',
    });
    expect(() => parseSetFlags(['learningRate'])).toThrow('--set learningRate: expected key=value');
  });

  it('reads JSON and YAML config files and names bad ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attune-cli-config-'));
    await writeFile(join(dir, 'a.json'), '{"learningRate": 0.001}');
    await writeFile(join(dir, 'b.yaml'), 'learningRate: 0.002\nhiddenSizes: [16, 16]\n');
    await writeFile(join(dir, 'c.yaml'), '- 1\n- 2\n');
    await writeFile(join(dir, 'd.json'), '{learningRate: }');
    await writeFile(join(dir, 'e.toml'), 'x = 1');
    expect(await loadConfigFile(join(dir, 'a.json'))).toEqual({ learningRate: 0.001 });
    expect(await loadConfigFile(join(dir, 'b.yaml'))).toEqual({ learningRate: 0.002, hiddenSizes: [16, 16] });
    await expect(loadConfigFile(join(dir, 'c.yaml'))).rejects.toThrow('the top level must be a mapping of config fields, got array');
    await expect(loadConfigFile(join(dir, 'd.json'))).rejects.toThrow(/not valid JSON/);
    await expect(loadConfigFile(join(dir, 'e.toml'))).rejects.toThrow('expected a .json, .yaml or .yml file, got ".toml"');
    await expect(loadConfigFile(join(dir, 'missing.json'))).rejects.toThrow(/cannot read it \(ENOENT\)/);
  });
});

describe('attune train config errors (before any training)', () => {
  it('exits 2 naming a bad field from a YAML file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attune-cli-train-'));
    await writeFile(join(dir, 'ppo.yaml'), 'learningRate: fast\n');
    const { status, err } = await run(['train', 'ppo', '--env', 'CartPole-v1', '--config', join(dir, 'ppo.yaml'), '--run-dir', join(dir, 'run')]);
    expect(status).toBe(2);
    expect(err).toContain('ppo config field "learningRate" must be number, got string "fast"');
  });

  it('exits 2 for an unknown --set field, an unknown algorithm and an unknown env', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attune-cli-train-'));
    const field = await run(['train', 'dqn', '--env', 'CartPole-v1', '--set', 'bufferSzie=10', '--run-dir', join(dir, 'a')]);
    expect(field.status).toBe(2);
    expect(field.err).toMatch(/dqn config has no field "bufferSzie"; valid fields: .*bufferSize/);
    const algo = await run(['train', 'ppp', '--env', 'CartPole-v1']);
    expect(algo.status).toBe(2);
    expect(algo.err).toContain('unknown algorithm "ppp"; known: ppo, dqn, a2c, reinforce, q-learning, sarsa');
    const env = await run(['train', 'ppo', '--env', 'Nope-v0']);
    expect(env.status).toBe(2);
    expect(env.err).toContain('unknown env "Nope-v0"; registered envs: Acrobot-v1');
  });

  it('exits 2 for counters that do not fit the algorithm and for --resume without --run-dir', async () => {
    expect((await run(['train', 'q-learning', '--env', 'FrozenLake-v1', '--total-timesteps', '10'])).err).toContain('use --total-episodes');
    expect((await run(['train', 'ppo', '--env', 'CartPole-v1', '--total-episodes', '10'])).err).toContain('use --total-timesteps');
    expect((await run(['train', 'ppo', '--env', 'CartPole-v1', '--resume'])).err).toContain('--resume needs --run-dir');
    expect((await run(['train', 'ppo', '--env', 'CartPole-v1', '--seed', '-1'])).status).toBe(2);
  });
});
