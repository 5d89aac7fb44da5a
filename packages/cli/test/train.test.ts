// Real runs of the `attune` executable: PPO on CartPole, Q-learning on FrozenLake, a bandit, eval,
// envs list, and Ctrl-C (SIGINT) writing a checkpoint that --resume continues from.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAttune, startAttune, waitFor } from './run-attune.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'attune-cli-runs-'));
});

function metrics(runDir: string): { step: number; name: string; value: number | null }[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .filter((record) => !('hyperparameters' in record));
}

function expectRunDirectory(runDir: string): void {
  for (const file of ['config.json', 'metrics.jsonl', 'report.html']) expect(existsSync(join(runDir, file)), file).toBe(true);
  const html = readFileSync(join(runDir, 'report.html'), 'utf8');
  expect(html).toMatch(/^<!doctype html>/i);
}

describe('attune train', () => {
  it('trains PPO on CartPole-v1 for 2048 steps, then eval evaluates the checkpoint', async () => {
    const runDir = join(root, 'ppo');
    const { status, output } = await runAttune(['train', 'ppo', '--env', 'CartPole-v1', '--total-timesteps', '2048', '--seed', '3', '--run-dir', runDir]);
    expect(status, output).toBe(0);
    expectRunDirectory(runDir);
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ command: 'train', algo: 'ppo', env: 'CartPole-v1', seed: 3, backend: 'cpu', config: { envId: 'CartPole-v1', seed: 3, totalTimesteps: 2048 } });
    expect(config.versions['@attune/cli']).toMatch(/^\d+\.\d+\.\d+/);
    expect(config.versions['@attune/ppo']).toMatch(/^\d+\.\d+\.\d+/);
    const records = metrics(runDir);
    expect(records.some((r) => r.name === 'charts/episodic_return')).toBe(true);
    expect(records.some((r) => r.name === 'losses/policy_loss')).toBe(true);
    expect(Math.max(...records.map((r) => r.step))).toBe(2048);
    expect(readdirSync(join(runDir, 'checkpoints'))).toEqual(['checkpoint-000000002048']);
    expect(output).toContain('finished at 2048 steps');

    const evaluation = await runAttune(['eval', runDir, '--episodes', '3', '--seed', '5']);
    expect(evaluation.status, evaluation.output).toBe(0);
    expect(evaluation.output).toMatch(/ppo on CartPole-v1: mean return \d+\.\d+ ± \d+\.\d+ over 3 greedy episodes \(seed 5\)/);
    const saved = JSON.parse(readFileSync(join(runDir, 'eval.json'), 'utf8'));
    expect(saved.evaluations).toHaveLength(1);
    expect(saved.evaluations[0]).toMatchObject({ episodes: 3, seed: 5 });
    expect(saved.evaluations[0].returns).toHaveLength(3);
    expect(saved.evaluations[0].returns.every((r: number) => r >= 8)).toBe(true); // CartPole pays 1 a step; no episode ends sooner than ~8 steps
  });

  it('trains A2C with --checkpoint-every and DQN from a YAML config, each evaluable', async () => {
    const a2cDir = join(root, 'a2c');
    const a2c = await runAttune(['train', 'a2c', '--env', 'CartPole-v1', '--total-timesteps', '1200', '--checkpoint-every', '10', '--run-dir', a2cDir, '--quiet']);
    expect(a2c.status, a2c.output).toBe(0);
    expectRunDirectory(a2cDir);
    // A2C's defaults: 8 envs × 5 steps = 40 steps an iteration; 30 iterations, a checkpoint every 10.
    expect(readdirSync(join(a2cDir, 'checkpoints'))).toEqual(['checkpoint-000000000400', 'checkpoint-000000000800', 'checkpoint-000000001200']);

    const dqnDir = join(root, 'dqn');
    const yaml = join(root, 'dqn.yaml');
    writeFileSync(yaml, 'learningStarts: 200\ntrainFrequency: 4\nhiddenSizes: [32, 32]\n');
    const dqn = await runAttune(['train', 'dqn', '--env', 'CartPole-v1', '--config', yaml, '--total-timesteps', '800', '--run-dir', dqnDir, '--quiet']);
    expect(dqn.status, dqn.output).toBe(0);
    expect(JSON.parse(readFileSync(join(dqnDir, 'config.json'), 'utf8')).config).toMatchObject({ learningStarts: 200, hiddenSizes: [32, 32], totalTimesteps: 800 });
    expect(metrics(dqnDir).some((r) => r.name === 'losses/td_loss')).toBe(true);
    const evaluation = await runAttune(['eval', dqnDir, '--episodes', '2']);
    expect(evaluation.status, evaluation.output).toBe(0);
    expect(evaluation.output).toContain('dqn on CartPole-v1: mean return');
  });

  it('refuses to overwrite a run directory without --resume', async () => {
    const runDir = join(root, 'ppo');
    const { status, output } = await runAttune(['train', 'ppo', '--env', 'CartPole-v1', '--total-timesteps', '2048', '--run-dir', runDir]);
    expect(status).toBe(2);
    expect(output).toContain('already holds a run');
  });

  it('trains Q-learning on FrozenLake-v1 (a Q-table that eval plays greedily)', async () => {
    const runDir = join(root, 'q');
    const { status, output } = await runAttune(['train', 'q-learning', '--env', 'FrozenLake-v1', '--total-episodes', '4000', '--set', 'learningRate=0.2', '--run-dir', runDir, '--quiet']);
    expect(status, output).toBe(0);
    expectRunDirectory(runDir);
    const table = JSON.parse(readFileSync(join(runDir, 'qtable.json'), 'utf8'));
    expect(table).toMatchObject({ numStates: 16, numActions: 4 });
    expect(metrics(runDir).filter((r) => r.name === 'charts/episodic_return')).toHaveLength(4000);
    const evaluation = await runAttune(['eval', runDir, '--episodes', '2000']);
    expect(evaluation.status, evaluation.output).toBe(0);
    const mean = Number(/mean return (\d+\.\d+)/.exec(evaluation.output)![1]);
    expect(mean).toBeGreaterThan(0.3); // a random policy succeeds ~1.5% of the time on slippery 4x4
  });

  it('runs a bandit agent and logs regret per pull', async () => {
    const runDir = join(root, 'bandit');
    const { status, output } = await runAttune(['train', 'thompson', '--env', 'BernoulliBandit-v0', '--total-timesteps', '1500', '--seed', '2', '--run-dir', runDir]);
    expect(status, output).toBe(0);
    expectRunDirectory(runDir);
    const records = metrics(runDir);
    const regret = records.filter((r) => r.name === 'charts/regret');
    const cumulative = records.filter((r) => r.name === 'charts/cumulative_regret');
    expect(regret).toHaveLength(1500); // past the registry's 1000-pull time limit
    expect(cumulative.at(-1)!.value).toBeCloseTo(regret.reduce((sum, r) => sum + r.value!, 0), 6);
    expect(JSON.parse(readFileSync(join(runDir, 'bandit.json'), 'utf8'))).toMatchObject({ algo: 'thompson', steps: 1500 });
    expect(output).toMatch(/finished at 1500 pulls; cumulative regret \d+\.\d+/);
    const evaluation = await runAttune(['eval', runDir]);
    expect(evaluation.status).toBe(2);
    expect(evaluation.output).toContain('a bandit run has no policy to replay');
  });

  it('Ctrl-C writes a checkpoint, metrics and the report, exits 130; --resume continues from it', async () => {
    const runDir = join(root, 'sigint');
    const run = startAttune(['train', 'ppo', '--env', 'CartPole-v1', '--total-timesteps', '1000000', '--run-dir', runDir]);
    await waitFor(() => run.output().includes('started:'), 60_000, 'the first metrics');
    run.child.kill('SIGINT');
    const status = await run.exited;
    const output = run.output();
    expect(status, output).toBe(130);
    expect(output).toContain('Ctrl-C: stopping after the current iteration');
    expect(output).toContain(`resume with: attune train ppo --env CartPole-v1 --run-dir ${runDir} --resume`);
    expectRunDirectory(runDir);
    const checkpoints = readdirSync(join(runDir, 'checkpoints'));
    expect(checkpoints).toHaveLength(1);
    const stoppedAt = Number(checkpoints[0].replace('checkpoint-', ''));
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(1_000_000);
    expect(Math.max(...metrics(runDir).map((r) => r.step))).toBe(stoppedAt);

    // Resume for two more iterations (4 envs × 128 steps each).
    const total = stoppedAt + 1024;
    const resumed = await runAttune(['train', 'ppo', '--env', 'CartPole-v1', '--total-timesteps', String(total), '--run-dir', runDir, '--resume']);
    expect(resumed.status, resumed.output).toBe(0);
    expect(resumed.output).toContain(`finished at ${total} steps`);
    const steps = metrics(runDir).map((r) => r.step);
    expect(Math.max(...steps)).toBe(total);
    expect(steps.filter((step) => step > stoppedAt).length).toBeGreaterThan(0);
    expect(steps.filter((step) => step <= stoppedAt).length).toBeGreaterThan(0); // appended, not rewritten
    expect(readdirSync(join(runDir, 'checkpoints')).sort()).toEqual([checkpoints[0], `checkpoint-${String(total).padStart(12, '0')}`]);
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    expect(config.resumedAt).toHaveLength(1);
    expect(config.config.totalTimesteps).toBe(total);
  });
});

describe('attune envs list (executable)', () => {
  it('prints every registered env with its spaces, as a table and as JSON', async () => {
    const table = await runAttune(['envs', 'list']);
    expect(table.status).toBe(0);
    expect(table.output).toMatch(/^CartPole-v1\s+Box\(.*\(4,\), float32\)\s+Discrete\(2\)$/m);
    expect(table.output).toMatch(/^FrozenLake-v1\s+Discrete\(16\)\s+Discrete\(4\)$/m);
    const json = await runAttune(['envs', 'list', '--json']);
    const entries = JSON.parse(json.output);
    expect(entries.map((entry: { id: string }) => entry.id)).toContain('LinearContextualBandit-v0');
    expect(entries.find((entry: { id: string }) => entry.id === 'Taxi-v4')).toMatchObject({ observationSpace: 'Discrete(500)', actionSpace: 'Discrete(6)', maxEpisodeSteps: 200, rewardThreshold: 8 });
  });

  it('attune --help from the executable lists every subcommand', async () => {
    const { status, output } = await runAttune(['--help']);
    expect(status).toBe(0);
    for (const command of ['rlhf', 'train', 'eval', 'envs', 'bench', 'report']) expect(output).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });
});
