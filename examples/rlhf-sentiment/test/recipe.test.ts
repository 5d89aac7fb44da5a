// The recipe end to end at --quick size (every stage, tiny budgets), killed twice on the way: once
// cleanly after SFT (--stopAfter) and once with SIGKILL inside PPO, right after a checkpoint. The
// re-runs must skip the finished stages, continue PPO from its checkpoint and write every output.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'rlhf-sentiment-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Runs the recipe; `killWhen` is polled every 50 ms and SIGKILLs the process once it returns true. */
function recipe(extra: string[], killWhen?: () => boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@attune/source', 'src/main.ts', '--quick', '--backend=cpu', `--out=${out}`, ...extra], { cwd: root });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = killWhen ? setInterval(() => killWhen() && child.kill('SIGKILL'), 50) : null;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, signal, output });
    });
  });
}

const stages = ['pretrain', 'sft', 'preferences', 'reward-model', 'ppo', 'rejection-sampling', 'dpo', 'evaluate'];
const ppoCheckpoint = () => existsSync(join(out, 'ppo')) && readdirSync(join(out, 'ppo')).some((name) => /^checkpoint-\d+$/.test(name));

describe('examples/rlhf-sentiment --quick', () => {
  it('runs every stage, resumes after a stop and after a kill mid-stage, and writes the report', async () => {
    const first = await recipe(['--stopAfter=sft']);
    expect(first.code, first.output).toBe(0);
    expect(existsSync(join(out, 'sft', 'done.json'))).toBe(true);
    expect(existsSync(join(out, 'preferences'))).toBe(false);

    // Every PPO iteration checkpoints; the run is killed as soon as one exists.
    const second = await recipe(['--checkpointSeconds=0'], ppoCheckpoint);
    expect(second.signal, second.output).toBe('SIGKILL');
    expect(second.output).toMatch(/\[pretrain\] finished earlier/);
    expect(second.output).toMatch(/\[sft\] finished earlier/);
    expect(existsSync(join(out, 'ppo', 'done.json'))).toBe(false);

    const third = await recipe([]);
    expect(third.code, third.output).toBe(0);
    for (const stage of ['pretrain', 'sft', 'preferences', 'reward-model']) expect(third.output).toMatch(new RegExp(`\\[${stage}\\] finished earlier`));
    expect(third.output).toMatch(/\[ppo\] resumed from its checkpoint at step [1-9]/);

    for (const stage of stages) expect(existsSync(join(out, stage, 'done.json')), stage).toBe(true);
    for (const stage of ['pretrain', 'sft', 'ppo', 'rejection-sampling', 'dpo']) {
      expect(existsSync(join(out, stage, 'final', 'model.safetensors')), stage).toBe(true);
      expect(existsSync(join(out, stage, 'final', 'word_tokenizer.json')), stage).toBe(true);
    }
    const preferences = readFileSync(join(out, 'preferences', 'train.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(preferences.length).toBe(64);
    expect(preferences[0]).toMatchObject({ prompt: expect.any(String), responses: expect.any(Array), ranking: expect.any(Array), gold: expect.any(Array) });
    expect([...preferences[0].ranking].sort()).toEqual([0, 1, 2, 3]);

    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    for (const policy of ['sft', 'ppo', 'rejection-sampling', 'dpo']) {
      expect(Number.isFinite(report.evaluation.results[policy].gold), policy).toBe(true);
      expect(report.evaluation.results[policy].winRate).toBeGreaterThanOrEqual(0);
    }
    expect(report.evaluation.results.sft.winRate).toBe(0.5); // SFT against itself: every comparison a tie
    expect(report.ppo.history.map((row: { iteration: number }) => row.iteration)).toEqual([0, 1, 2, 3]); // resumed without gaps or repeats
    expect(report.bars).toHaveLength(7);
    const markdown = readFileSync(join(out, 'report.md'), 'utf8');
    expect(markdown).toMatch(/Gold vs\. proxy vs\. KL over PPO training/);
    expect(markdown).toMatch(/Samples before \/ after/);
    const metricStages = new Set(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line).stage));
    for (const stage of ['pretrain', 'sft', 'reward-model', 'ppo', 'rejection-sampling', 'dpo', 'evaluate']) expect(metricStages.has(stage), stage).toBe(true);
  });

  it('rejects bad arguments, naming them', async () => {
    const unknown = await recipe(['--learningRat=3']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.output).toMatch(/unknown argument --learningRat/);
    const backend = await recipe(['--backend=tpu']);
    expect(backend.output).toMatch(/--backend must be cpu, webgpu or auto, got tpu/);
    const number = await recipe(['--seed=abc']);
    expect(number.output).toMatch(/--seed must be a number, got abc/);
  });
});
