/**
 * The `attune` command tree (commander): one subcommand per job, each with its own `--help` that
 * lists its options and examples. `main(argv)` runs it and returns the exit status instead of
 * exiting, so it is usable (and tested) in-process.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ALGORITHMS, ConfigError } from './config.js';
import { bench, BENCH_SUITES } from './commands/bench.js';
import { printEnvs } from './commands/envs.js';
import { evaluateRun } from './commands/eval.js';
import { reportRun } from './commands/report.js';
import { RECIPES, rlhf } from './commands/rlhf.js';
import { train } from './commands/train.js';
import { processIO, type CliIO } from './io.js';
import { packageVersions } from './run-dir.js';

function integer(minimum: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed) || parsed < minimum) throw new InvalidArgumentError(`expected an integer ≥ ${minimum}, got "${value}"`);
    return parsed;
  };
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const backendOption = (fallback: string) =>
  new Option('--backend <backend>', 'tensor backend: cpu, webgpu (fails without an adapter) or auto (WebGPU on a hardware adapter, else the CPU)').choices(['cpu', 'webgpu', 'auto']).default(fallback);
const seedOption = () => new Option('--seed <n>', 'seed of every random draw').argParser(integer(0));

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

/**
 * What a run of the program reports back: the exit status of the command that ran, and the
 * command line (recorded in run directories).
 *
 * @example
 * ```ts
 * const status: ProgramStatus = { code: 0, argv: ['envs', 'list'] };
 * ```
 */
export interface ProgramStatus {
  /** Exit status set by the command's action. */
  code: number;
  /** The arguments after the program name. */
  argv: string[];
}

/**
 * Builds the `attune` program. `status.code` receives the exit status of the command that ran.
 *
 * @example
 * ```ts
 * const program = createProgram(processIO);
 * console.log(program.helpInformation()); // lists rlhf, train, eval, envs, bench, report
 * ```
 */
export function createProgram(io: CliIO = processIO, status: ProgramStatus = { code: 0, argv: [] }): Command {
  const version = packageVersions(['@attune/cli'])['@attune/cli'] ?? '0.0.0';
  const program = new Command('attune')
    .description('Reinforcement learning and RLHF in TypeScript: train agents, run RLHF recipes, evaluate, benchmark and report.')
    .version(version, '-V, --version', 'print the version')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (text) => io.out(text.replace(/\n$/, '')), writeErr: (text) => io.err(text.replace(/\n$/, '')) })
    .exitOverride()
    .addHelpText(
      'after',
      examples([
        'attune rlhf sentiment --quick',
        'attune train ppo --env CartPole-v1 --total-timesteps 100000',
        'attune eval runs/ppo-CartPole-v1-20260102-030405',
        'attune envs list',
        'attune bench kernels -- --quick',
        'attune report runs/ppo-CartPole-v1-20260102-030405 --open',
      ]) + '\nEvery run directory holds config.json, metrics.jsonl and a self-contained report.html.\n',
    );

  // rlhf
  program
    .command('rlhf')
    .description('run an RLHF recipe (stages resumable from the run directory)')
    .argument('<recipe>', `recipe: ${Object.keys(RECIPES).join(', ')}`)
    .argument('[recipeArgs...]', 'extra flags passed to the recipe script unchanged (after --)')
    .option('--stages <list>', 'comma-separated stages to run (sentiment: a prefix of its stages; summarize: any of sft,rm,ppo)')
    .option('--stop-after <stage>', 'run the stages up to and including this one')
    .option('--run-dir <dir>', 'run directory (default runs/rlhf-<recipe>-<time>); running again with the same directory resumes')
    .option('--quick', 'smoke-test budget (sentiment: about a minute on a laptop)')
    .option('--quiet', 'no progress output')
    .addOption(seedOption())
    .addOption(backendOption('auto'))
    .addHelpText(
      'after',
      `\nRecipes:\n${Object.entries(RECIPES).map(([name, recipe]) => `  ${name.padEnd(10)} ${recipe.summary}\n  ${''.padEnd(10)} stages: ${recipe.stages.join(', ')}`).join('\n')}\n` +
        examples([
          'attune rlhf sentiment --quick',
          'attune rlhf sentiment --stop-after reward-model --run-dir runs/rm-only',
          'attune rlhf sentiment --run-dir runs/rm-only          # resume: finished stages are skipped',
          'attune rlhf summarize --stages sft,rm -- --model gpt2 --sft data/tldr.jsonl --comparisons data/comparisons.jsonl',
        ]),
    )
    .action(async (recipe: string, recipeArgs: string[], options) => {
      status.code = await rlhf(recipe, recipeArgs, options, io);
    });

  // train
  program
    .command('train')
    .description('train an RL agent on a registered environment')
    .argument('<algo>', `algorithm: ${Object.keys(ALGORITHMS).join(', ')}`)
    .requiredOption('--env <id>', 'registered environment id (see attune envs list)')
    .option('--config <file>', 'config file, JSON (.json) or YAML (.yaml/.yml): a mapping of the algorithm\'s config fields')
    .option('--set <key=value>', 'set one config field (repeatable); values are read as YAML: 3e-4, true, [64,64], null', collect, [])
    .option('--total-timesteps <n>', 'env steps to train for (deep methods), or pulls (bandits)', integer(1))
    .option('--total-episodes <n>', 'episodes to train for (q-learning, sarsa, expected-sarsa)', integer(1))
    .addOption(seedOption())
    .addOption(backendOption('cpu'))
    .option('--run-dir <dir>', 'run directory (default runs/<algo>-<env>-<yyyymmdd-hhmmss>)')
    .option('--resume', 'continue the run in --run-dir from its newest checkpoint (ppo, dqn, a2c, reinforce)')
    .option('--checkpoint-every <n>', 'also checkpoint every n iterations (ppo, a2c, reinforce) or env steps (dqn); by default only at the end and on Ctrl-C', integer(0))
    .option('--quiet', 'no progress output')
    .addHelpText(
      'after',
      `\nAlgorithms:\n${Object.values(ALGORITHMS).map((spec) => `  ${spec.name.padEnd(15)} ${spec.summary}`).join('\n')}\n` +
        '\nConfig: the algorithm\'s defaults, then --config, then --set, then --seed/--total-timesteps/--total-episodes.\n' +
        'Unknown fields and wrong types are errors naming the field. Ctrl-C writes a checkpoint and exits with status 130.\n' +
        examples([
          'attune train ppo --env CartPole-v1 --total-timesteps 100000 --seed 1',
          'attune train dqn --env CartPole-v1 --config dqn.yaml --set learningRate=1e-4',
          'attune train ppo --env CartPole-v1 --run-dir runs/cp --resume',
          'attune train q-learning --env FrozenLake-v1 --total-episodes 20000',
          'attune train ucb1 --env BernoulliBandit-v0 --total-timesteps 5000',
        ]),
    )
    .action(async (algo: string, options) => {
      status.code = await train(algo, options, ['attune', ...status.argv], io);
    });

  // eval
  program
    .command('eval')
    .description("evaluate a training run's final checkpoint greedily")
    .argument('<run-dir>', 'a run directory written by attune train')
    .option('--episodes <n>', 'episodes to play', integer(1), 10)
    .addOption(seedOption().default(0))
    .addOption(backendOption('cpu'))
    .addHelpText('after', '\nPrints mean ± std of the return and appends the result to <run-dir>/eval.json.\n' + examples(['attune eval runs/ppo-CartPole-v1-20260102-030405 --episodes 20']))
    .action(async (runDir: string, options) => {
      await evaluateRun(runDir, options, io);
    });

  // envs
  const envs = program.command('envs').description('registered environments');
  envs
    .command('list')
    .description('list every registered environment id with its observation and action spaces')
    .option('--json', 'print JSON instead of a table')
    .addOption(seedOption())
    .addOption(backendOption('cpu'))
    .addHelpText('after', examples(['attune envs list', 'attune envs list --json']))
    .action((options) => printEnvs(options, io));

  // bench
  program
    .command('bench')
    .description('run a benchmark suite of the repository checkout (kernels: WebGPU kernels vs TensorFlow.js; rl: returns over seeds)')
    .argument('<suite>', `suite: ${Object.keys(BENCH_SUITES).join(', ')}`)
    .argument('[benchArgs...]', 'extra flags passed to the benchmark unchanged (after --)')
    .option('--run-dir <dir>', 'run directory (default runs/bench-<suite>-<time>)')
    .addOption(seedOption())
    .addOption(backendOption('auto'))
    .addHelpText(
      'after',
      '\nRuns `npm run bench --workspace @attune/benchmark-<suite>` inside a checkout of the Attune repository (the benchmarks\n' +
        'compare against TensorFlow.js and are not published). kernels writes kernels.json into the run directory, rl writes rl.json.\n' +
        examples(['attune bench kernels -- --quick', 'attune bench rl -- --only ppo-cartpole --seed 1']),
    )
    .action(async (suite: string, benchArgs: string[], options) => {
      status.code = await bench(suite, benchArgs, options, io);
    });

  // report
  program
    .command('report')
    .description("(re)write a run directory's self-contained report.html")
    .argument('<run-dir>', 'a run directory (train, rlhf or bench)')
    .option('--open', 'open the report in the default browser')
    .addOption(seedOption())
    .addOption(backendOption('cpu'))
    .addHelpText('after', examples(['attune report runs/ppo-CartPole-v1-20260102-030405 --open']))
    .action(async (runDir: string, options) => {
      await reportRun(runDir, options, io);
    });

  for (const command of [program, ...program.commands, ...envs.commands]) {
    command.exitOverride();
    command.configureOutput({ writeOut: (text) => io.out(text.replace(/\n$/, '')), writeErr: (text) => io.err(text.replace(/\n$/, '')) });
  }
  return program;
}

/**
 * Runs `attune` with `argv` (the arguments after the program name) and resolves with the exit
 * status: 0 success, 1 failure, 2 usage or config error, 130 stopped by Ctrl-C.
 *
 * @example
 * ```ts
 * const status = await main(['envs', 'list']);
 * ```
 */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const status: ProgramStatus = { code: 0, argv: [...argv] };
  const program = createProgram(io, status);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return status.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof ConfigError) {
      io.err(`error: ${error.message}`);
      return 2;
    }
    io.err(`error: ${(error as Error).message}`);
    if (process.env.ATTUNE_DEBUG) io.err((error as Error).stack ?? '');
    return 1;
  }
}
