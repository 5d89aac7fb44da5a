import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMetrics, parseMetricsLog, readRun } from '../src/index.js';
import { kernelsFixture, writeKernelsRun, writePpoRun, writeRlhfRun } from './fixtures.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'attune-report-'));

describe('parseMetrics: long lines ({step, name, value}, JsonlLogger)', () => {
  const text = [
    '{"hyperparameters":{"env_id":"CartPole-v1","learning_rate":0.00025}}',
    '{"step":128,"name":"charts/episodic_return","value":12}',
    '{"step":128,"name":"losses/value_loss","value":3.5}',
    '{"step":256,"name":"charts/episodic_return","value":null}',
    '',
    '{"step":384,"name":"charts/episodic_return","value":30.5}',
  ].join('\n');

  it('makes one series per name, in order of first appearance, with null as NaN', () => {
    const series = parseMetrics(text);
    expect(series.map((s) => s.name)).toEqual(['charts/episodic_return', 'losses/value_loss']);
    expect(series[0]).toEqual({ name: 'charts/episodic_return', stage: null, steps: [128, 256, 384], values: [12, NaN, 30.5] });
    expect(series[1].values).toEqual([3.5]);
  });

  it('returns the hyperparameters line', () => {
    expect(parseMetricsLog(text).hyperparameters).toEqual({ env_id: 'CartPole-v1', learning_rate: 0.00025 });
    expect(parseMetricsLog('{"step":1,"name":"a","value":1}').hyperparameters).toBeNull();
  });

  it('honours an optional stage on long lines', () => {
    const series = parseMetrics('{"stage":"ucb1","step":1,"name":"charts/regret","value":0.1}\n{"stage":"greedy","step":1,"name":"charts/regret","value":0.3}');
    expect(series.map((s) => [s.stage, s.name, s.values[0]])).toEqual([['ucb1', 'charts/regret', 0.1], ['greedy', 'charts/regret', 0.3]]);
  });
});

describe('parseMetrics: wide lines ({stage, step, <metric>: value}, RLHF recipes)', () => {
  const text = [
    '{"stage":"pretrain","step":0,"losses/train":7.6,"charts/learning_rate":0.00004}',
    '{"stage":"pretrain","step":10,"losses/train":7.1,"charts/learning_rate":0.0004}',
    '{"stage":"ppo","step":0,"charts/gold_reward":0.3,"charts/kl":0.2,"losses/policy":null}',
    '{"stage":"ppo","step":1,"charts/gold_reward":0.5,"charts/kl":0.4,"losses/policy":-0.01}',
    '{"stage":"evaluate","eval/ppo/gold":2.4,"eval/ppo/kl":3.1}',
    '{"stage":"evaluate","eval/dpo/gold":3.0}',
  ].join('\r\n');

  it('makes one series per (stage, metric), skipping the stage and step keys', () => {
    const series = parseMetrics(text);
    expect(series.map((s) => `${s.stage}:${s.name}`)).toEqual([
      'pretrain:losses/train', 'pretrain:charts/learning_rate',
      'ppo:charts/gold_reward', 'ppo:charts/kl', 'ppo:losses/policy',
      'evaluate:eval/ppo/gold', 'evaluate:eval/ppo/kl', 'evaluate:eval/dpo/gold',
    ]);
    expect(series[0].steps).toEqual([0, 10]);
    expect(series[4].values).toEqual([NaN, -0.01]);
  });

  it('uses the index of a step-less record within its stage as x', () => {
    const series = parseMetrics(text);
    expect(series.find((s) => s.name === 'eval/ppo/gold')?.steps).toEqual([0]);
    expect(series.find((s) => s.name === 'eval/dpo/gold')?.steps).toEqual([1]);
  });

  it('keeps the same metric name in two stages apart', () => {
    const series = parseMetrics('{"stage":"sft","step":0,"losses/sft":4}\n{"stage":"rejection-sampling","step":0,"losses/sft":5}');
    expect(series.map((s) => [s.stage, s.values])).toEqual([['sft', [4]], ['rejection-sampling', [5]]]);
  });

  it('reads both formats in one file', () => {
    const series = parseMetrics('{"step":1,"name":"charts/a","value":1}\n{"step":2,"charts/a":2,"charts/b":3}');
    expect(series.map((s) => [s.name, s.values])).toEqual([['charts/a', [1, 2]], ['charts/b', [3]]]);
  });
});

describe('parseMetrics: malformed lines', () => {
  it('names the file and line of invalid JSON', () => {
    const text = '{"step":1,"name":"a","value":1}\n\n{"step":2,"name":"a","value":';
    expect(() => parseMetrics(text, 'runs/x/metrics.jsonl')).toThrow(/^runs\/x\/metrics\.jsonl line 3: not valid JSON/);
  });

  it('rejects lines that are not objects, bad steps, bad values and bad hyperparameters', () => {
    expect(() => parseMetrics('[1,2]')).toThrow('metrics.jsonl line 1: expected a JSON object, got an array');
    expect(() => parseMetrics('{"step":1,"name":"a","value":1}\n{"step":"2","name":"a","value":1}')).toThrow('metrics.jsonl line 2: "step" must be a finite number, got the string "2"');
    expect(() => parseMetrics('{"step":1,"name":"a","value":"high"}')).toThrow('metrics.jsonl line 1: "value" must be a number or null, got the string "high"');
    expect(() => parseMetrics('{"step":1,"charts/kl":true}')).toThrow('metrics.jsonl line 1: "charts/kl" must be a number or null, got boolean true');
    expect(() => parseMetrics('{"step":1,"name":"","value":1}')).toThrow('"name" must be a non-empty string');
    expect(() => parseMetrics('{"stage":3,"step":1,"a":1}')).toThrow('"stage" must be a string, got number 3');
    expect(() => parseMetrics('{"hyperparameters":[1]}', 'm.jsonl')).toThrow('m.jsonl line 1: "hyperparameters" must be an object, got an array');
  });
});

describe('readRun', () => {
  it('reads config.json, the hyperparameters line and every series of a PPO run', async () => {
    const dir = tempDir();
    writePpoRun(dir);
    const run = await readRun(dir);
    expect(run.dir).toBe(dir);
    expect(run.config).toMatchObject({ algorithm: 'ppo', env_id: 'CartPole-v1', network: { hidden: [64, 64] } });
    expect(run.hyperparameters).toMatchObject({ env_id: 'CartPole-v1', num_envs: 4 });
    expect(run.series.find((s) => s.name === 'charts/episodic_return')?.values).toHaveLength(291);
    expect(run.kernels).toBeNull();
  });

  it('reads the stages of an RLHF run', async () => {
    const dir = tempDir();
    writeRlhfRun(dir);
    const run = await readRun(dir);
    expect([...new Set(run.series.map((s) => s.stage))]).toEqual(['pretrain', 'sft', 'reward-model', 'ppo', 'dpo', 'evaluate']);
    expect(run.hyperparameters).toBeNull();
  });

  it('reads kernels.json in the format benchmarks/kernels writes', async () => {
    const dir = tempDir();
    writeKernelsRun(dir);
    const run = await readRun(dir);
    expect(run.series).toEqual([]);
    expect(run.kernels?.benchmark).toBe('@attune/benchmark-kernels');
    expect(run.kernels?.results).toHaveLength(18);
    expect(run.kernels?.results.filter((r) => r.status.startsWith('skipped'))).toHaveLength(3);
  });

  it('needs metrics.jsonl and names it when missing', async () => {
    const dir = tempDir();
    await expect(readRun(dir)).rejects.toThrow(`readRun: ${join(dir, 'metrics.jsonl')} not found`);
  });

  it('names the file and line of a malformed metrics line', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1,"name":"a","value":1}\nnot json\n');
    await expect(readRun(dir)).rejects.toThrow(`${join(dir, 'metrics.jsonl')} line 2: not valid JSON`);
  });

  it('rejects a config.json that is not a JSON object', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'metrics.jsonl'), '');
    writeFileSync(join(dir, 'config.json'), '[1, 2]');
    await expect(readRun(dir)).rejects.toThrow(`readRun: ${join(dir, 'config.json')} must hold a JSON object, got an array`);
    writeFileSync(join(dir, 'config.json'), '{"seed": ');
    await expect(readRun(dir)).rejects.toThrow(`readRun: ${join(dir, 'config.json')} is not valid JSON`);
  });

  it('rejects a kernels.json without results or with malformed rows, naming the field', async () => {
    const dir = join(tempDir(), 'bench');
    mkdirSync(dir);
    writeFileSync(join(dir, 'metrics.jsonl'), '');
    writeFileSync(join(dir, 'kernels.json'), '{"benchmark":"@attune/benchmark-kernels"}');
    await expect(readRun(dir)).rejects.toThrow('"results" must be an array of benchmark rows, got undefined');
    writeFileSync(join(dir, 'kernels.json'), JSON.stringify({ results: [{ case: 'm', group: 'matmul', title: 't', library: 'l', status: 'measured', gflops: '12' }] }));
    await expect(readRun(dir)).rejects.toThrow('results[0].gflops must be a number, got string');
    writeFileSync(join(dir, 'kernels.json'), JSON.stringify({ results: [{ case: 'm', group: 'matmul', library: 'l', status: 'measured' }] }));
    await expect(readRun(dir)).rejects.toThrow('results[0].title must be a string, got undefined');
  });

  it('the kernels fixture is a real benchmarks/kernels document', async () => {
    const { readFileSync } = await import('node:fs');
    const document = JSON.parse(readFileSync(kernelsFixture, 'utf8'));
    expect(document).toMatchObject({ benchmark: '@attune/benchmark-kernels', schema: 1 });
    expect(Object.keys(document)).toEqual(['benchmark', 'schema', 'date', 'quick', 'adapter', 'machine', 'libraries', 'method', 'results', 'bars']);
  });
});
