// The recipe end to end on tiny generated files: a random 1-layer GPT-2 in Hugging Face layout
// (vocab.json + merges.txt), 20 TL;DR posts with summaries and 20 comparisons in Stiennon et al.'s
// formats. SFT is stopped after 2 steps (as if the process were killed), then the whole recipe is
// re-run and must resume SFT from that checkpoint, run the reward model and PPO, and leave loadable
// Hugging Face checkpoints, metrics, and a report. Then the reward-model and PPO stages are stopped
// and resumed the same way, a finished run is skipped, bad JSONL lines are reported by file:line,
// and the command line is parsed and run, once killed with SIGKILL mid-SFT and resumed.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memory } from '@attune/tensor';
import { loadPretrained } from '@attune/transformer';
import { loadRewardModel } from '@attune/reward-model';
import { comparisonFormat, fitPreference, splitHeldOut, sftFormat } from '../src/data.js';
import { parseCommandLine } from '../src/main.js';
import { resolveOptions } from '../src/options.js';
import { runSummarize } from '../src/pipeline.js';
import type { MetricsRecord } from '../src/run-dir.js';
import { writeFixtures, type Fixtures } from './fixtures.js';

let dir: string;
let files: Fixtures;
let out: string;
const root = join(import.meta.dirname, '..');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rlhf-summarize-'));
  files = await writeFixtures(dir);
  out = join(dir, 'run');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const base = () => ({ ...files, out, quick: true, backend: 'cpu' as const, quiet: true });
const checkpoints = (stage: string) => (existsSync(join(out, stage)) ? readdirSync(join(out, stage)).filter((name) => /^checkpoint-\d+$/.test(name)) : []);
async function metrics(): Promise<MetricsRecord[]> {
  return (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as MetricsRecord);
}
const steps = (records: MetricsRecord[], stage: string, field: string) => records.filter((r) => r.stage === stage && field in r).map((r) => r.step);
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** The values of every parameter of a Hugging Face directory's model, by name. */
async function weights(path: string): Promise<Map<string, Float32Array>> {
  const { model } = await loadPretrained(path);
  const out = new Map<string, Float32Array>();
  for (const [name, t] of Object.entries(model.stateDict())) out.set(name, Float32Array.from(await t.data()));
  model.dispose();
  return out;
}

describe('rlhf-summarize end to end', () => {
  it('stops SFT mid-stage, resumes it on the next run, and runs the reward model and PPO to loadable checkpoints and a report', async () => {
    // 1. "Killed" after 2 SFT steps: a checkpoint, no final model, no done.json.
    const first = await runSummarize({ ...base(), stages: ['sft'] }, { stopAfterSteps: { sft: 2 } });
    expect(first.stages.sft).toMatchObject({ status: 'stopped', stepsThisRun: 2, resumedFromStep: null });
    expect(first.stages.rm).toBeUndefined();
    expect(checkpoints('sft')).toEqual(['checkpoint-000000000002']);
    expect(existsSync(join(out, 'sft', 'done.json'))).toBe(false);
    expect(existsSync(join(out, 'sft', 'final'))).toBe(false);

    // 2. The whole recipe: SFT continues from step 2 (not redone), then RM and PPO.
    const second = await runSummarize(base());
    const sft = second.stages.sft!;
    expect(sft.status).toBe('finished');
    expect(sft.resumedFromStep).toBe(2);
    expect(sft.stepsThisRun).toBe(sft.totalSteps - 2);
    expect(second.stages.rm).toMatchObject({ status: 'finished', resumedFromStep: null });
    expect(second.stages.ppo).toMatchObject({ status: 'finished', resumedFromStep: null, stepsThisRun: 4, totalSteps: 4 });

    // Each stage: done.json, its final model, resume checkpoints removed.
    for (const stage of ['sft', 'rm', 'ppo']) {
      expect(existsSync(join(out, stage, 'done.json')), stage).toBe(true);
      expect(existsSync(join(out, stage, 'final', 'model.safetensors')), stage).toBe(true);
      expect(checkpoints(stage), stage).toEqual([]);
    }
    // SFT and PPO policies load as Hugging Face GPT-2 directories, with the tokenizer.
    for (const stage of ['sft', 'ppo']) {
      const { model, tokenizer, huggingFaceConfig } = await loadPretrained(join(out, stage, 'final'));
      expect(huggingFaceConfig.n_embd).toBe(16);
      expect(tokenizer!.encode(' cats')).toEqual((await loadPretrained(files.model)).tokenizer!.encode(' cats'));
      model.dispose();
    }
    // SFT moved every weight away from the checkpoint it started from; PPO moved them again.
    const [initial, afterSft, afterPpo] = await Promise.all([weights(files.model), weights(join(out, 'sft', 'final')), weights(join(out, 'ppo', 'final'))]);
    for (const [name, values] of afterSft) {
      expect(values, `sft ${name}`).not.toEqual(initial.get(name));
      expect(afterPpo.get(name), `ppo ${name}`).not.toEqual(values);
    }
    // The reward model: normalised on SFT samples (gain/bias saved), held-out accuracy measured.
    const rewardModel = await loadRewardModel(join(out, 'rm', 'final'));
    const rmDone = JSON.parse(await readFile(join(out, 'rm', 'done.json'), 'utf8'));
    expect(rewardModel.gain).toBeCloseTo(rmDone.gain, 6);
    expect(rewardModel.bias).toBeCloseTo(rmDone.bias, 6);
    expect(rewardModel.gain).not.toBe(1);
    rewardModel.dispose();
    expect(rmDone).toMatchObject({ trainComparisons: 15, heldOutComparisons: 5, droppedComparisons: 0, normalizationSamples: 8 });
    expect(rmDone.heldOutAccuracy).toBeGreaterThanOrEqual(0.8); // chosen summaries name the post's topic: learnable from 15 pairs

    // metrics.jsonl: one record per step of every stage, the resumed SFT steps not duplicated.
    const records = await metrics();
    const sftDone = JSON.parse(await readFile(join(out, 'sft', 'done.json'), 'utf8'));
    expect(sftDone.validationLoss).toBeLessThan(Number(records[0]['losses/sft']) - 0.5); // SFT learned: held-out loss well below the first step's (≈ ln V)
    expect(steps(records, 'sft', 'losses/sft')).toEqual(range(sft.totalSteps));
    expect(steps(records, 'rm', 'losses/reward')).toEqual(range(second.stages.rm!.totalSteps));
    expect(steps(records, 'rm', 'charts/held_out_accuracy')).toEqual([second.stages.rm!.totalSteps]);
    expect(steps(records, 'ppo', 'charts/kl')).toEqual(range(4));
    for (const r of records.filter((r) => r.stage === 'ppo')) for (const field of ['charts/reward', 'charts/kl', 'charts/kl_coef', 'losses/policy']) expect(Number.isFinite(r[field]), field).toBe(true);

    // report.md: accuracy, the PPO table with every step, before/after samples.
    const report = await readFile(second.reportPath, 'utf8');
    expect(report).toContain(`**Held-out accuracy: ${(rmDone.heldOutAccuracy * 100).toFixed(1)}%** on 5 comparisons`);
    expect(report.match(/^\| [1-4] \| /gm)).toHaveLength(4);
    expect(report).toContain('## Summaries before / after PPO');
    expect(report.match(/^\| SUBREDDIT: r\/\w+ ⏎ TITLE: .* ⏎ TL;DR: \|/gm)).toHaveLength(2);

    // 3. Run again: every stage finished earlier, nothing redone.
    const third = await runSummarize(base());
    for (const stage of ['sft', 'rm', 'ppo'] as const) expect(third.stages[stage]!.status, stage).toBe('skipped');
    expect((await metrics()).length).toBe(records.length);
  });

  it('stops the reward model and PPO mid-stage and resumes each from its checkpoint', async () => {
    await rm(join(out, 'rm'), { recursive: true });
    await rm(join(out, 'ppo'), { recursive: true });
    const stopped = await runSummarize(base(), { stopAfterSteps: { rm: 1 } });
    expect(stopped.stages).toMatchObject({ sft: { status: 'skipped' }, rm: { status: 'stopped', stepsThisRun: 1 }, ppo: { status: 'not-run' } });
    expect(checkpoints('rm')).toEqual(['checkpoint-000000000001']);

    const stoppedPpo = await runSummarize(base(), { stopAfterSteps: { ppo: 1 } });
    expect(stoppedPpo.stages.rm).toMatchObject({ status: 'finished', resumedFromStep: 1, stepsThisRun: stoppedPpo.stages.rm!.totalSteps - 1 });
    expect(stoppedPpo.stages.ppo).toMatchObject({ status: 'stopped', stepsThisRun: 1 });
    expect(checkpoints('ppo')).toEqual(['checkpoint-000000000001']);
    expect(existsSync(join(out, 'ppo', 'done.json'))).toBe(false);

    const resumed = await runSummarize(base());
    expect(resumed.stages.ppo).toMatchObject({ status: 'finished', resumedFromStep: 1, stepsThisRun: 3 });
    const records = await metrics();
    expect(steps(records, 'rm', 'losses/reward')).toEqual(range(resumed.stages.rm!.totalSteps));
    expect(steps(records, 'ppo', 'charts/kl')).toEqual(range(4));
    const ppoDone = JSON.parse(await readFile(join(out, 'ppo', 'done.json'), 'utf8'));
    expect(ppoDone.history.map((row: { step: number }) => row.step)).toEqual(range(4));
  });

  it('refuses a stage whose predecessor has not finished', async () => {
    await expect(runSummarize({ ...base(), out: join(dir, 'empty'), stages: ['rm'] })).rejects.toThrow(/stage rm needs stage sft finished first/);
  });

  it('names the file and line of a malformed JSONL record', async () => {
    const good = (await readFile(files.sft, 'utf8')).trim().split('\n');
    const badSft = join(dir, 'bad-sft.jsonl');
    await writeFile(badSft, [good[0], good[1], '{"subreddit": "cats", "title": "x", "post": "y", "summary": ', good[3]].join('\n'));
    await expect(runSummarize({ ...base(), sft: badSft, out: join(dir, 'bad1'), stages: ['sft'] })).rejects.toThrow(`${badSft}:3: malformed JSON`);

    await writeFile(badSft, [good[0], '{"subreddit": "cats", "title": "x", "post": "y"}'].join('\n'));
    await expect(runSummarize({ ...base(), sft: badSft, out: join(dir, 'bad2'), stages: ['sft'] })).rejects.toThrow(new RegExp(`${badSft}:2: field "summary"`));

    const badComparisons = join(dir, 'bad-comparisons.jsonl');
    const comparisons = (await readFile(files.comparisons, 'utf8')).trim().split('\n');
    const broken = JSON.parse(comparisons[1]);
    broken.choice = 2;
    await writeFile(badComparisons, [comparisons[0], JSON.stringify(broken)].join('\n'));
    await cp(join(out, 'sft'), join(dir, 'bad3', 'sft'), { recursive: true }); // the reward model starts from a finished SFT stage
    await expect(runSummarize({ ...base(), comparisons: badComparisons, stages: ['rm'], out: join(dir, 'bad3') })).rejects.toThrow(new RegExp(`${badComparisons}:2: field "choice" must be 0 or 1`));
  });
});

describe('pieces', () => {
  it('detects the layout of each file from its first record', async () => {
    expect(await sftFormat(files.sft)).toBe('tldr');
    expect(await comparisonFormat(files.comparisons)).toBe('tldr');
    const generic = join(dir, 'generic.jsonl');
    await writeFile(generic, '\n{"prompt": "a", "completion": "b", "chosen": "c", "rejected": "d"}\n');
    expect(await sftFormat(generic)).toBe('sft');
    expect(await comparisonFormat(generic)).toBe('preference');
  });

  it('runs on the generic {prompt, completion} and {prompt, chosen, rejected} layouts and frees every tensor', async () => {
    const sft = (await readFile(files.sft, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    const comparisons = (await readFile(files.comparisons, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    const prompt = (p: { subreddit: string; title: string; post: string }) => `SUBREDDIT: r/${p.subreddit}\n\nTITLE: ${p.title}\n\nPOST: ${p.post}\n\nTL;DR:`;
    const sftPath = join(dir, 'generic-sft.jsonl');
    const comparisonPath = join(dir, 'generic-comparisons.jsonl');
    await writeFile(sftPath, sft.map((r) => JSON.stringify({ prompt: prompt(r), completion: ` ${r.summary}` })).join('\n'));
    await writeFile(comparisonPath, comparisons.map((c) => JSON.stringify({ prompt: prompt(c.info), chosen: ` ${c.summaries[c.choice].text}`, rejected: ` ${c.summaries[1 - c.choice].text}` })).join('\n'));
    // A separate held-out comparisons file and a separate RL prompt file ({prompt} rows).
    const evalPath = join(dir, 'generic-eval.jsonl');
    await writeFile(evalPath, comparisons.slice(0, 3).map((c) => JSON.stringify({ prompt: prompt(c.info), chosen: ` ${c.summaries[c.choice].text}`, rejected: ` ${c.summaries[1 - c.choice].text}` })).join('\n'));
    const promptPath = join(dir, 'generic-prompts.jsonl');
    await writeFile(promptPath, sft.slice(0, 6).map((r) => JSON.stringify({ prompt: prompt(r) })).join('\n'));
    const before = memory().numTensors;
    const genericOut = join(dir, 'generic-run');
    const result = await runSummarize({ ...base(), sft: sftPath, comparisons: comparisonPath, evalComparisons: evalPath, prompts: promptPath, out: genericOut, ppoIterations: 1 });
    for (const stage of ['sft', 'rm', 'ppo'] as const) expect(result.stages[stage]!.status, stage).toBe('finished');
    expect(memory().numTensors).toBe(before); // every model, optimizer and batch of the three stages freed
    expect(JSON.parse(await readFile(join(genericOut, 'rm', 'done.json'), 'utf8'))).toMatchObject({ trainComparisons: 20, heldOutComparisons: 3 });
    expect(JSON.parse(await readFile(join(genericOut, 'ppo', 'done.json'), 'utf8'))).toMatchObject({ prompts: 6 });
  });

  it('splits held-out items by seed and fits long records into the context', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const a = splitHeldOut(items, 0.25, 's');
    expect(a.heldOut).toHaveLength(5);
    expect([...a.train, ...a.heldOut].sort((x, y) => x - y)).toEqual(items);
    expect(splitHeldOut(items, 0.25, 's')).toEqual(a);
    expect(splitHeldOut(items, 0.25, 't').heldOut).not.toEqual(a.heldOut);
    expect(fitPreference({ prompt: [1, 2, 3, 4], chosen: [5], rejected: [6, 7] }, 4)).toEqual({ prompt: [3, 4], chosen: [5], rejected: [6, 7] });
    expect(fitPreference({ prompt: [1], chosen: [5, 6, 7, 8], rejected: [6] }, 4)).toBeNull();
  });

  it('validates options by field name', () => {
    const paths = { model: 'm', sft: 's', comparisons: 'c', out: 'o' };
    expect(resolveOptions(paths)).toMatchObject({ maxNewTokens: 48, initKlCoef: 0.05, stages: ['sft', 'rm', 'ppo'] });
    expect(resolveOptions({ ...paths, quick: true, ppoIterations: 7 })).toMatchObject({ maxNewTokens: 8, ppoIterations: 7 });
    expect(resolveOptions({ ...paths, stages: ['ppo', 'sft'] }).stages).toEqual(['sft', 'ppo']);
    expect(() => resolveOptions({ ...paths, ppoBatchSize: 30 })).toThrow('SummarizeOptions.ppoBatchSize must be a multiple of ppoMiniBatchSize (16), got 30');
    expect(() => resolveOptions({ ...paths, stages: ['dpo' as 'sft'] })).toThrow(/SummarizeOptions.stages must be a non-empty list of sft, rm, ppo, got \["dpo"\]/);
    expect(() => resolveOptions({ ...paths, sftLr: 0 })).toThrow('SummarizeOptions.sftLr must be a finite number > 0, got 0');
    expect(() => resolveOptions({ ...paths, ppoLR: 1 } as never)).toThrow(/has no field 'ppoLR'/);
  });

  it('parses the command line', () => {
    const input = parseCommandLine(['--model', 'm', '--sft', 's', '--comparisons', 'c', '--out', 'o', '--stages', 'sft,rm', '--ppo-lr', '1e-5', '--missing-eos-penalty', 'none', '--quick']);
    expect(input).toEqual({ model: 'm', sft: 's', comparisons: 'c', out: 'o', stages: ['sft', 'rm'], ppoLr: 1e-5, missingEosPenalty: null, quick: true });
    expect(parseCommandLine(['--help'])).toBe('help');
    expect(() => parseCommandLine(['--model', 'm', '--sft', 's', '--comparisons', 'c', '--out', 'o', '--seed', '1.5'])).toThrow("--seed must be an integer, got '1.5'");
    expect(() => parseCommandLine(['--model', 'm'])).toThrow('--sft is required');
  });

  it('runs as a program: --help, and an SFT stage killed (SIGKILL) after a checkpoint resumes on the next run', async () => {
    /** Runs the CLI; `killWhen` is polled every 20 ms and SIGKILLs the process once it returns true. */
    const cli = (args: string[], killWhen?: () => boolean) =>
      new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@attune/source', 'src/main.ts', ...args], { cwd: root });
        let output = '';
        child.stdout.on('data', (chunk) => (output += chunk));
        child.stderr.on('data', (chunk) => (output += chunk));
        const timer = killWhen ? setInterval(() => killWhen() && child.kill('SIGKILL'), 20) : null;
        child.on('error', reject);
        child.on('close', (code, signal) => {
          if (timer) clearInterval(timer);
          resolve({ code, signal, output });
        });
      });
    const help = await cli(['--help']);
    expect(help.code, help.output).toBe(0);
    expect(help.output).toContain('--max-new-tokens');

    const cliOut = join(dir, 'cli-run');
    const sftCheckpoints = () => (existsSync(join(cliOut, 'sft')) ? readdirSync(join(cliOut, 'sft')).filter((name) => /^checkpoint-\d+$/.test(name)) : []);
    const args = ['--model', files.model, '--sft', files.sft, '--comparisons', files.comparisons, '--out', cliOut, '--stages', 'sft', '--quick', '--backend', 'cpu', '--sft-max-steps', '300', '--checkpoint-every', '20'];
    const killed = await cli(args, () => sftCheckpoints().length > 0);
    expect(killed.signal, killed.output).toBe('SIGKILL');
    expect(existsSync(join(cliOut, 'sft', 'done.json'))).toBe(false);
    const kept = sftCheckpoints().sort().pop()!;
    const step = Number(kept.slice('checkpoint-'.length));
    expect(step).toBeGreaterThan(0);
    expect(step).toBeLessThan(300);

    const resumed = await cli(args);
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toContain(`[sft] resuming from ${join(cliOut, 'sft', kept)}`);
    expect(resumed.output).toContain(`[sft] finished after ${300 - step} steps this run`);
    expect(resumed.output).toMatch(/\[sft\] \d+\/300 \|/); // the progress line
    const records = (await readFile(join(cliOut, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as MetricsRecord);
    expect(steps(records, 'sft', 'losses/sft')).toEqual(range(300)); // the killed run's steps after its checkpoint were dropped and redone
    expect(readdirSync(join(cliOut, 'sft')).sort()).toEqual(['done.json', 'final']);

    const bad = await cli(['--model', files.model, '--sft', files.sft, '--comparisons', files.comparisons, '--out', cliOut, '--sft-lr', 'fast']);
    expect(bad.code).toBe(1);
    expect(bad.output).toContain("--sft-lr must be a number, got 'fast'");
  });
});
