// `attune --help` and every subcommand's --help, run through the program object in-process:
// each must name its options and show examples.
import { describe, expect, it } from 'vitest';
import { main, type CliIO } from '../src/index.js';

async function run(argv: string[]): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (line) => out.push(line), err: (line) => err.push(line) };
  const status = await main(argv, io);
  return { status, out: out.join('\n'), err: err.join('\n') };
}

describe('attune --help', () => {
  it('lists every subcommand with examples', async () => {
    const { status, out } = await run(['--help']);
    expect(status).toBe(0);
    for (const command of ['rlhf', 'train', 'eval', 'envs', 'bench', 'report']) expect(out).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(out).toContain('Examples:');
    expect(out).toContain('config.json, metrics.jsonl and a self-contained report.html');
  });

  it('prints the version', async () => {
    const { status, out } = await run(['--version']);
    expect(status).toBe(0);
    expect(out).toMatch(/^\d+\.\d+\.\d+/);
  });

  const cases: [string[], string[]][] = [
    [['train'], ['--env <id>', '--config <file>', '--set <key=value>', '--total-timesteps <n>', '--total-episodes <n>', '--seed <n>', '--backend <backend>', '--run-dir <dir>', '--resume', '--checkpoint-every <n>', '--quiet', 'ppo', 'dqn', 'a2c', 'reinforce', 'q-learning', 'sarsa', 'expected-sarsa', 'epsilon-greedy', 'ucb1', 'thompson', 'gradient-bandit', 'linucb']],
    [['rlhf'], ['<recipe>', '--stages <list>', '--stop-after <stage>', '--run-dir <dir>', '--quick', '--seed <n>', '--backend <backend>', 'sentiment', 'summarize', 'pretrain, sft, preferences']],
    [['eval'], ['<run-dir>', '--episodes <n>', '--seed <n>', '--backend <backend>', 'eval.json']],
    [['envs'], ['list']],
    [['envs', 'list'], ['--json', '--seed <n>', '--backend <backend>']],
    [['bench'], ['<suite>', 'kernels', 'rl', '--run-dir <dir>', '--seed <n>', '--backend <backend>', 'kernels.json']],
    [['report'], ['<run-dir>', '--open', '--seed <n>', '--backend <backend>']],
  ];
  for (const [command, expected] of cases) {
    it(`attune ${command.join(' ')} --help names its options`, async () => {
      const { status, out } = await run([...command, '--help']);
      expect(status).toBe(0);
      expect(out).toContain(`Usage: attune ${command.join(' ')}`);
      for (const text of expected) expect(out).toContain(text);
      if (command.join(' ') !== 'envs') expect(out).toContain('Examples:');
    });
  }

  it('rejects an unknown subcommand and an invalid --backend with status 2', async () => {
    expect((await run(['trian'])).status).toBe(2);
    const bad = await run(['train', 'ppo', '--env', 'CartPole-v1', '--backend', 'tpu']);
    expect(bad.status).toBe(2);
    expect(bad.err).toContain("'tpu' is invalid");
  });
});
