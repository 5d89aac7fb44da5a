// Run directories for the tests, in the formats the repository's loggers write: a PPO run
// (long lines, @attune/policy-gradient's JsonlLogger), an RLHF run (wide lines with stages, like
// examples/rlhf-sentiment), a bandit comparison (long lines with a stage per agent) and a kernel
// benchmark (kernels.json: a trimmed copy of a real benchmarks/kernels result).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A small deterministic generator (LCG), so fixtures are the same every run. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function writeLines(dir: string, records: object[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'metrics.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** (a) CartPole PPO: hyperparameters line, episodic return/length per episode, losses per iteration. */
export function writePpoRun(dir: string): void {
  const random = generator(1);
  const hyperparameters = { env_id: 'CartPole-v1', total_timesteps: 50_000, learning_rate: 2.5e-4, num_envs: 4, num_steps: 128, gamma: 0.99, gae_lambda: 0.95, clip_coef: 0.2, seed: 1 };
  const records: object[] = [{ hyperparameters }];
  let step = 0;
  for (let iteration = 1; iteration <= 97; iteration++) {
    // Episodes finishing during this iteration: return rises towards 500 with noise.
    for (let e = 0; e < 3; e++) {
      step += 170;
      const mean = 20 + 480 * (1 - Math.exp(-step / 20_000));
      const value = Math.min(500, Math.round(mean * (0.7 + 0.6 * random())));
      records.push({ step, name: 'charts/episodic_return', value });
      records.push({ step, name: 'charts/episodic_length', value });
    }
    const losses: [string, number | null][] = [
      ['charts/learning_rate', 2.5e-4 * (1 - iteration / 98)],
      ['losses/value_loss', 50 * Math.exp(-iteration / 30) + 5 * random()],
      ['losses/policy_loss', -0.01 * random()],
      ['losses/entropy', 0.69 - 0.003 * iteration],
      ['losses/approx_kl', iteration === 50 ? null : 0.01 * random()], // a logger's NaN → null → a gap
      ['losses/clipfrac', 0.1 * random()],
      ['losses/explained_variance', Math.min(0.95, iteration / 60)],
      ['charts/SPS', 1800 + Math.round(100 * random())],
    ];
    for (const [name, value] of losses) records.push({ step: iteration * 512, name, value });
  }
  writeLines(dir, records);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ algorithm: 'ppo', ...hyperparameters, network: { hidden: [64, 64], activation: 'tanh' } }, null, 2));
}

/** (b) The RLHF recipe: wide lines per stage (pretrain, sft, reward-model, ppo, dpo, evaluate). */
export function writeRlhfRun(dir: string): void {
  const random = generator(2);
  const records: object[] = [];
  for (let step = 0; step < 300; step += 10) {
    records.push({ stage: 'pretrain', step, 'losses/train': 7.6 * Math.exp(-step / 200) + 4 + 0.1 * random(), 'charts/learning_rate': 0.002 * Math.min(1, (step + 1) / 50) });
  }
  for (let step = 0; step < 40; step++) records.push({ stage: 'sft', step, 'losses/sft': 4.5 - step * 0.01 + 0.2 * random() });
  for (let step = 0; step < 120; step++) records.push({ stage: 'reward-model', step, 'losses/reward': 0.69 - step * 0.0015 + 0.1 * random() });
  let klCoef = 0.35;
  for (let step = 0; step < 60; step++) {
    const kl = 0.05 * step + 0.3 * random();
    klCoef *= 0.99;
    records.push({
      stage: 'ppo', step,
      'charts/gold_reward': 2.5 * (1 - Math.exp(-kl / 1.5)) - 0.15 * kl + 0.2 * random(), // rises, then falls: over-optimisation
      'charts/proxy_reward': 0.4 * kl + 0.1 * random(),
      'charts/kl': kl, 'charts/kl_coef': klCoef,
      'losses/policy': -0.02 * random(), 'losses/value': 0.25 + 0.5 * Math.exp(-step / 5),
      'charts/clip_fraction': 0.05 * random(), 'charts/entropy': 4 - step * 0.005, 'charts/response_length': 9 + random(),
    });
  }
  for (let step = 0; step < 50; step++) records.push({ stage: 'dpo', step, 'losses/dpo': 0.69 - step * 0.002, 'charts/preference_accuracy': 0.5 + step * 0.005, 'charts/reward_margin': step * 0.01 });
  for (const name of ['sft', 'ppo', 'dpo']) {
    records.push({ stage: 'evaluate', [`eval/${name}/gold`]: random(), [`eval/${name}/kl`]: name === 'sft' ? 0 : 3 * random(), [`eval/${name}/win_rate`]: name === 'sft' ? 0.5 : null });
  }
  writeLines(dir, records);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ seed: 1, backend: 'cpu', ppo: { iterations: 60, lr: 1e-4, initKlCoef: 0.35, targetKl: 4 }, dpo: { beta: 0.1 } }, null, 2));
}

/** (c) Two bandit agents on one testbed: long lines (bandits' logger names) with a stage per agent. */
export function writeBanditRun(dir: string): void {
  const random = generator(3);
  const records: object[] = [{ hyperparameters: { env: 'BernoulliBandit-v0', steps: 500, seed: 0 } }];
  for (const [agent, explore] of [['epsilon-greedy', 0.1], ['ucb1', 0.02]] as const) {
    let cumulative = 0;
    for (let step = 1; step <= 500; step++) {
      const optimal = random() > explore + 2 / Math.sqrt(step) ? 1 : 0;
      const regret = optimal === 1 ? 0 : 0.3 * random();
      cumulative += regret;
      records.push({ stage: agent, step, name: 'charts/reward', value: random() < 0.7 - regret ? 1 : 0 });
      records.push({ stage: agent, step, name: 'charts/regret', value: regret });
      records.push({ stage: agent, step, name: 'charts/cumulative_regret', value: cumulative });
      records.push({ stage: agent, step, name: 'charts/optimal_action', value: optimal });
    }
  }
  writeLines(dir, records);
}

/** The trimmed copy of benchmarks/results/webgpu-mesa-llvmpipe-*.json (with skipped rows). */
export const kernelsFixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'kernels.json');

/** (d) A kernel benchmark run: kernels.json, config.json, and a metrics.jsonl with no metrics. */
export function writeKernelsRun(dir: string): void {
  writeLines(dir, []);
  writeFileSync(join(dir, 'metrics.jsonl'), '');
  copyFileSync(kernelsFixture, join(dir, 'kernels.json'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ benchmark: 'kernels', only: ['matmul', 'softmax', 'adam', 'train'] }));
}
