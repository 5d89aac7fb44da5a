/**
 * @attune/cli — the `attune` command: RLHF recipes, classic RL training on the Gymnasium-style
 * environments, evaluation, benchmarks and run reports. The command tree is also usable from
 * code: `main(argv)` runs it and returns the exit status. This file is the package's only public
 * entry; `bin.ts` is the executable.
 */
export { createProgram, main, type ProgramStatus } from './program.js';
export { processIO, type CliIO } from './io.js';
export { ALGORITHMS, ConfigError, loadConfigFile, validateConfig, type AlgorithmKind, type AlgorithmSpec, type ValueType } from './config.js';
export { train, type TrainOptions, type RunConfig } from './commands/train.js';
export { evaluateRun, type EvalOptions, type EvalRecord } from './commands/eval.js';
export { listEnvs, type EnvEntry } from './commands/envs.js';
export { reportRun } from './commands/report.js';
export { bench, type BenchOptions } from './commands/bench.js';
export { rlhf, RECIPES, type RecipeSpec, type RlhfOptions } from './commands/rlhf.js';
