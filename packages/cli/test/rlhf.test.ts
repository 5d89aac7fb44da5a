// attune rlhf: flag translation per recipe, recipe resolution (and the message when the private
// recipe package is missing), the stage lists matching the scripts, and a real --quick run of the
// sentiment recipe's first stages with resume and Ctrl-C forwarding.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, RECIPES } from '../src/index.js';
import { recipeArgs, resolveRecipe } from '../src/commands/rlhf.js';
import { runAttune, startAttune, waitFor } from './run-attune.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

describe('recipeArgs', () => {
  it('spells the sentiment flags --key=value and turns a stage prefix into --stopAfter', () => {
    expect(recipeArgs(RECIPES.sentiment, { backend: 'cpu', quick: true, seed: 2, stages: 'pretrain,sft' }, '/runs/a', ['--sftSteps=3'])).toEqual([
      '--out=/runs/a',
      '--backend=cpu',
      '--seed=2',
      '--quick',
      '--stopAfter=sft',
      '--sftSteps=3',
    ]);
    expect(recipeArgs(RECIPES.sentiment, { backend: 'auto', stopAfter: 'reward-model' }, '/runs/a', [])).toEqual(['--out=/runs/a', '--backend=auto', '--stopAfter=reward-model']);
  });

  it('spells the summarize flags --key value and passes stage subsets', () => {
    expect(recipeArgs(RECIPES.summarize, { backend: 'webgpu', stages: 'rm,ppo', quiet: true }, '/runs/b', ['--model', 'gpt2'])).toEqual([
      '--out',
      '/runs/b',
      '--backend',
      'webgpu',
      '--quiet',
      '--stages',
      'rm,ppo',
      '--model',
      'gpt2',
    ]);
    expect(recipeArgs(RECIPES.summarize, { backend: 'cpu', stopAfter: 'rm' }, '/runs/b', [])).toContain('sft,rm');
  });

  it('names unknown stages and sentiment subsets that are not a prefix', () => {
    expect(() => recipeArgs(RECIPES.sentiment, { backend: 'cpu', stopAfter: 'rlhf' }, '/r', [])).toThrow('--stop-after: unknown stage "rlhf"; stages of this recipe, in order: pretrain, sft');
    expect(() => recipeArgs(RECIPES.sentiment, { backend: 'cpu', stages: 'ppo,dpo' }, '/r', [])).toThrow(/give a prefix of pretrain,sft,.* got ppo,dpo/);
    expect(() => recipeArgs(RECIPES.summarize, { backend: 'cpu', stages: 'sft,dpo' }, '/r', [])).toThrow(ConfigError);
    expect(() => recipeArgs(RECIPES.summarize, { backend: 'cpu', stages: 'sft', stopAfter: 'rm' }, '/r', [])).toThrow('give one of them');
  });
});

describe('recipe packages', () => {
  it("lists the stages exactly as the recipes' own sources do", async () => {
    const sentimentMain = readFileSync(join(EXAMPLES, 'rlhf-sentiment/src/main.ts'), 'utf8');
    const declared = /const STAGES = \[([^\]]*)\] as const/.exec(sentimentMain)![1];
    expect(declared.split(',').map((s) => s.trim().replace(/'/g, ''))).toEqual([...RECIPES.sentiment.stages]);
    const sentiment = (await import(join(EXAMPLES, 'rlhf-sentiment/src/index.ts'))) as { STAGES: readonly string[] };
    expect([...sentiment.STAGES]).toEqual([...RECIPES.sentiment.stages]);
    const summarize = (await import(join(EXAMPLES, 'rlhf-summarize/src/index.ts'))) as { STAGES: readonly string[] };
    expect([...summarize.STAGES]).toEqual([...RECIPES.summarize.stages]);
  });

  it('resolves each recipe in the checkout (source form under tsx when the CLI runs from source)', () => {
    for (const name of ['sentiment', 'summarize'] as const) {
      const recipe = resolveRecipe(RECIPES[name]);
      expect(recipe.packageDir).toBe(join(EXAMPLES, `rlhf-${name}`));
      expect(recipe.form).toBe('source');
      expect(recipe.nodeArgs[0]).toBe('--import');
      expect(recipe.nodeArgs[1]).toMatch(/^file:.*tsx/);
      expect(recipe.nodeArgs.at(-1)).toBe(join(EXAMPLES, `rlhf-${name}`, 'src/main.ts'));
    }
  });

  it('says clearly why a recipe package that is not installed cannot run', () => {
    const missing = { ...RECIPES.sentiment, packageName: '@attune/example-rlhf-absent' };
    expect(() => resolveRecipe(missing, tmpdir())).toThrow(/the RLHF recipe package @attune\/example-rlhf-absent is not installed: the recipes are private example workspaces/);
  });
});

describe('attune rlhf sentiment (executable)', () => {
  it('runs --stop-after pretrain, resumes into sft without redoing pretrain, and writes report.html', async () => {
    const runDir = join(await mkdtemp(join(tmpdir(), 'attune-cli-rlhf-')), 'run');
    const first = await runAttune(['rlhf', 'sentiment', '--quick', '--quiet', '--backend', 'cpu', '--stop-after', 'pretrain', '--run-dir', runDir, '--', '--pretrainSteps=20']);
    expect(first.status, first.output).toBe(0);
    for (const file of ['config.json', 'attune.json', 'metrics.jsonl', 'report.html', 'pretrain/done.json']) expect(existsSync(join(runDir, file)), file).toBe(true);
    expect(existsSync(join(runDir, 'sft'))).toBe(false);
    const invocation = JSON.parse(readFileSync(join(runDir, 'attune.json'), 'utf8'));
    expect(invocation).toMatchObject({ command: 'rlhf', recipe: 'sentiment', backend: 'cpu', quick: true });
    expect(invocation.recipeArgs).toContain('--stopAfter=pretrain');
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ recipe: 'rlhf-sentiment', backend: 'cpu', quick: true, stopAfter: 'pretrain' });
    const pretrainDone = statSync(join(runDir, 'pretrain/done.json')).mtimeMs;

    const second = await runAttune(['rlhf', 'sentiment', '--quick', '--quiet', '--backend', 'cpu', '--stages', 'pretrain,sft', '--run-dir', runDir, '--', '--pretrainSteps=20', '--sftSteps=3']);
    expect(second.status, second.output).toBe(0);
    expect(second.output).toContain('resuming the sentiment recipe');
    expect(existsSync(join(runDir, 'sft/done.json'))).toBe(true);
    expect(statSync(join(runDir, 'pretrain/done.json')).mtimeMs).toBe(pretrainDone);
  });

  it('forwards Ctrl-C to the recipe and exits 130 with how to resume', async () => {
    const runDir = join(await mkdtemp(join(tmpdir(), 'attune-cli-rlhf-')), 'run');
    const run = startAttune(['rlhf', 'sentiment', '--quick', '--backend', 'cpu', '--run-dir', runDir]);
    await waitFor(() => run.output().includes('[pretrain]'), 60_000, 'the pretrain stage');
    run.child.kill('SIGINT');
    expect(await run.exited, run.output()).toBe(130);
    expect(run.output()).toContain(`resume with: attune rlhf sentiment --run-dir ${runDir} --quick`);
  });

  it('rejects an unknown recipe', async () => {
    const { status, output } = await runAttune(['rlhf', 'poetry']);
    expect(status).toBe(2);
    expect(output).toContain('unknown recipe "poetry"; known: sentiment, summarize');
  });
});
