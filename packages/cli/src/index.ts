/**
 * @attune/cli — the `attune` command: RLHF recipes, classic RL training on the Gymnasium-style
 * environments, evaluation, benchmarks and run reports. The command tree is also usable from
 * code: `main(argv)` runs it and returns the exit status. This file is the package's only public
 * entry; `bin.ts` is the executable.
 */
export { createProgram, main, type ProgramStatus } from './program.js';
export type { CliIO } from './io.js';
export { processIO } from './io.js';
export {
  ALGORITHMS,
  ConfigError,
  algorithm,
  checkEnv,
  loadConfigFile,
  parseSetFlags,
  validateConfig,
  valueType,
  type AlgorithmKind,
  type AlgorithmSpec,
  type ValueType,
} from './config.js';
export { runTrainJob, StopRequested, CHECKPOINT_DIR, type TrainJob, type TrainHooks, type TrainOutcome, type TrainProgress } from './trainers.js';
export { train, type TrainOptions, type RunConfig } from './commands/train.js';
export { evaluateRun, type EvalOptions, type EvalRecord } from './commands/eval.js';
export { listEnvs, printEnvs, type EnvEntry } from './commands/envs.js';
export { reportRun } from './commands/report.js';
export { bench, benchCommand, BENCH_SUITES, type BenchOptions } from './commands/bench.js';
export { rlhf, recipeArgs, resolveRecipe, RECIPES, type RecipeSpec, type RlhfOptions, type ResolvedRecipe } from './commands/rlhf.js';
export { defaultRunDir, findRepoRoot, packageVersions, readJson, writeJson, writeRunReport } from './run-dir.js';
export { ProgressDisplay } from './progress.js';
