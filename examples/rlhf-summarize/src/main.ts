// rlhf-summarize: Stiennon et al. 2020, "Learning to summarize from human feedback", on their data
// formats. Point it at a Reddit TL;DR SFT file, a comparisons file and a Hugging Face GPT-2
// directory; it runs SFT → reward model → PPO into --out, each stage resumable (see pipeline.ts).
//
//   npm start --workspace @attune/example-rlhf-summarize -- \
//     --model gpt2 --sft data/tldr-sft.jsonl --comparisons data/comparisons.jsonl --out runs/tldr
//   npm start --workspace @attune/example-rlhf-summarize -- --help

import { parseArgs } from 'node:util';
import { summarizeDefaults, type SummarizeInput } from './options.js';
import { runSummarize } from './pipeline.js';

/** One command-line flag: the option field it sets and how its text is read. */
interface Flag {
  field: keyof SummarizeInput;
  kind: 'string' | 'number' | 'integer' | 'nullable-integer' | 'nullable-number' | 'boolean' | 'stages';
  help: string;
}

const FLAGS: Record<string, Flag> = {
  model: { field: 'model', kind: 'string', help: 'Hugging Face GPT-2 directory (config.json, model.safetensors, tokenizer.json or vocab.json + merges.txt)' },
  sft: { field: 'sft', kind: 'string', help: 'TL;DR SFT JSONL: {subreddit, title, post, summary} or {prompt, completion} rows' },
  comparisons: { field: 'comparisons', kind: 'string', help: 'comparisons JSONL: {info, summaries: [{text}, {text}], choice} or {prompt, chosen, rejected} rows' },
  'eval-comparisons': { field: 'evalComparisons', kind: 'string', help: 'held-out comparisons JSONL for the reward accuracy (default: hold out --held-out-fraction)' },
  prompts: { field: 'prompts', kind: 'string', help: 'RL prompts JSONL: {prompt} or TL;DR posts (default: the SFT file\'s prompts)' },
  out: { field: 'out', kind: 'string', help: 'run directory (re-running with it skips finished stages and resumes the unfinished one)' },
  stages: { field: 'stages', kind: 'stages', help: 'comma-separated subset of sft,rm,ppo (default all)' },
  backend: { field: 'backend', kind: 'string', help: 'cpu | webgpu | auto (default auto: WebGPU on a hardware adapter, else the CPU)' },
  seed: { field: 'seed', kind: 'integer', help: `seed of every draw (default ${summarizeDefaults.seed})` },
  'held-out-fraction': { field: 'heldOutFraction', kind: 'number', help: `fraction of SFT examples and comparisons held out (default ${summarizeDefaults.heldOutFraction})` },
  dropout: { field: 'dropout', kind: 'number', help: `dropout of every model (default ${summarizeDefaults.dropout}: off, Huang et al. 2022)` },
  'checkpoint-every': { field: 'checkpointEvery', kind: 'integer', help: `resume checkpoint every N optimizer steps (default ${summarizeDefaults.checkpointEvery})` },
  'keep-checkpoints': { field: 'keepCheckpoints', kind: 'boolean', help: 'keep a finished stage\'s checkpoint-* folders' },
  quiet: { field: 'quiet', kind: 'boolean', help: 'no progress lines' },
  quick: { field: 'quick', kind: 'boolean', help: 'smoke-test budget: a few steps per stage, 8-token summaries' },
  'sft-epochs': { field: 'sftEpochs', kind: 'integer', help: `SFT passes over the data (default ${summarizeDefaults.sftEpochs}, Llama 2 §3.1)` },
  'sft-max-steps': { field: 'sftMaxSteps', kind: 'nullable-integer', help: 'SFT optimizer steps (default: from --sft-epochs)' },
  'sft-batch-size': { field: 'sftBatchSize', kind: 'integer', help: `SFT packed rows per micro-batch (default ${summarizeDefaults.sftBatchSize})` },
  'sft-grad-accum': { field: 'sftGradientAccumulation', kind: 'integer', help: `SFT micro-batches per step (default ${summarizeDefaults.sftGradientAccumulation})` },
  'sft-lr': { field: 'sftLr', kind: 'number', help: `SFT peak learning rate (default ${summarizeDefaults.sftLr}, Llama 2 §3.1)` },
  'rm-epochs': { field: 'rmEpochs', kind: 'integer', help: `reward-model passes over the comparisons (default ${summarizeDefaults.rmEpochs}, InstructGPT App. C.2)` },
  'rm-batch-size': { field: 'rmBatchSize', kind: 'integer', help: `comparisons per reward-model step (default ${summarizeDefaults.rmBatchSize})` },
  'rm-lr': { field: 'rmLr', kind: 'number', help: `reward-model peak learning rate (default ${summarizeDefaults.rmLr}, InstructGPT App. C.2)` },
  'normalize-samples': { field: 'normalizeSamples', kind: 'integer', help: `SFT samples the reward is normalised on (default ${summarizeDefaults.normalizeSamples})` },
  'ppo-iterations': { field: 'ppoIterations', kind: 'integer', help: `PPO steps (default ${summarizeDefaults.ppoIterations})` },
  'ppo-batch-size': { field: 'ppoBatchSize', kind: 'integer', help: `prompts per PPO step (default ${summarizeDefaults.ppoBatchSize})` },
  'ppo-mini-batch-size': { field: 'ppoMiniBatchSize', kind: 'integer', help: `sequences per PPO optimizer step (default ${summarizeDefaults.ppoMiniBatchSize}, TRL)` },
  'ppo-epochs': { field: 'ppoEpochs', kind: 'integer', help: `passes over each rollout batch (default ${summarizeDefaults.ppoEpochs}, TRL)` },
  'ppo-lr': { field: 'ppoLr', kind: 'number', help: `policy learning rate (default ${summarizeDefaults.ppoLr}, TRL's TL;DR example)` },
  'init-kl-coef': { field: 'initKlCoef', kind: 'number', help: `initial β (default ${summarizeDefaults.initKlCoef}, Stiennon et al. 2020)` },
  'target-kl': { field: 'targetKl', kind: 'number', help: `KL per summary the adaptive β steers to (default ${summarizeDefaults.targetKl}, Ziegler et al. 2019)` },
  'max-new-tokens': { field: 'maxNewTokens', kind: 'integer', help: `longest summary in tokens (default ${summarizeDefaults.maxNewTokens}, Stiennon et al. 2020 §3.2)` },
  temperature: { field: 'temperature', kind: 'number', help: `rollout sampling temperature (default ${summarizeDefaults.temperature})` },
  'missing-eos-penalty': { field: 'missingEosPenalty', kind: 'nullable-number', help: `score of a summary without EOS, or "none" (default ${summarizeDefaults.missingEosPenalty}, Huang et al. 2024)` },
  'num-samples': { field: 'numSamples', kind: 'integer', help: `before/after summaries in the report (default ${summarizeDefaults.numSamples})` },
};

/** The --help text. */
function usage(): string {
  const rows = Object.entries(FLAGS).map(([name, flag]) => `  --${name.padEnd(22)} ${flag.help}`);
  return [
    'rlhf-summarize: SFT → reward model → PPO (Stiennon et al. 2020) from a TL;DR SFT JSONL, a comparisons JSONL and a GPT-2 checkpoint.',
    '',
    'usage: npm start --workspace @attune/example-rlhf-summarize -- --model <dir> --sft <file> --comparisons <file> --out <dir> [flags]',
    '',
    ...rows,
    '  --help                   this text',
    '',
    'Outputs: <out>/sft/final and <out>/ppo/final (Hugging Face GPT-2), <out>/rm/final (GPT2ForSequenceClassification),',
    '<out>/metrics.jsonl and <out>/report.md. Re-run with the same --out to resume after a kill.',
  ].join('\n');
}

/**
 * `argv` (without `node` and the script) as {@link SummarizeInput}, or `'help'`; errors name the
 * flag and the value.
 *
 * @example
 * ```ts
 * parseCommandLine(['--model', 'gpt2', '--sft', 's.jsonl', '--comparisons', 'c.jsonl', '--out', 'runs/x', '--ppo-lr', '1e-5']);
 * // { model: 'gpt2', sft: 's.jsonl', comparisons: 'c.jsonl', out: 'runs/x', ppoLr: 1e-5 }
 * ```
 */
export function parseCommandLine(argv: string[]): SummarizeInput | 'help' {
  const options = Object.fromEntries(Object.entries(FLAGS).map(([name, flag]) => [name, { type: flag.kind === 'boolean' ? ('boolean' as const) : ('string' as const) }]));
  const { values } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' } }, strict: true, allowPositionals: false });
  if (values.help) return 'help';
  const input: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(FLAGS)) {
    const raw = (values as Record<string, string | boolean | undefined>)[name];
    if (raw === undefined) continue;
    if (flag.kind === 'boolean') {
      input[flag.field] = raw;
      continue;
    }
    const text = String(raw);
    const number = (): number => {
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value)) throw new RangeError(`--${name} must be a number, got '${text}'`);
      if (flag.kind.endsWith('integer') && !Number.isInteger(value)) throw new RangeError(`--${name} must be an integer, got '${text}'`);
      return value;
    };
    if (flag.kind === 'string') input[flag.field] = text;
    else if (flag.kind === 'stages') input[flag.field] = text.split(',').map((s) => s.trim()).filter(Boolean);
    else if (flag.kind.startsWith('nullable') && (text === 'none' || text === 'null')) input[flag.field] = null;
    else input[flag.field] = number();
  }
  for (const required of ['model', 'sft', 'comparisons', 'out']) {
    if (input[required] === undefined) throw new TypeError(`--${required} is required (see --help)`);
  }
  return input as SummarizeInput;
}

// Run only as a program (the test imports parseCommandLine).
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('src/main.ts')) {
  try {
    const input = parseCommandLine(process.argv.slice(2));
    if (input === 'help') {
      console.log(usage());
    } else {
      const result = await runSummarize(input);
      console.log(`report: ${result.reportPath}`);
    }
  } catch (error) {
    console.error(`rlhf-summarize: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
