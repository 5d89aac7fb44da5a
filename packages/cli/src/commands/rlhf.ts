/**
 * `attune rlhf <recipe>`: runs an RLHF recipe (the sentiment flagship or TL;DR summarisation) as a
 * child process, forwarding the CLI's flags in the recipe's own syntax and Ctrl-C. The recipes are
 * the private example workspaces of the repository (`@attune/example-rlhf-*`, export `./main`):
 * the built script `dist/main.js` when the CLI itself runs built, else `src/main.ts` under tsx's loader. A run
 * directory is resumed by running the same command with the same `--run-dir` (each stage leaves
 * done.json and checkpoints). See the README for why the recipes are not bundled into the CLI.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config.js';
import type { CliIO } from '../io.js';
import { defaultRunDir, findRepoRoot, writeJson, writeRunReport } from '../run-dir.js';

/**
 * A recipe `attune rlhf` knows: its package, its stages in order, and how its script spells flags.
 *
 * @example
 * ```ts
 * RECIPES.sentiment.stages[0]; // 'pretrain'
 * ```
 */
export interface RecipeSpec {
  /** The example workspace. */
  packageName: string;
  /** One line for `--help`. */
  summary: string;
  /** Stages in execution order. */
  stages: readonly string[];
  /** `--key=value` (sentiment) or `--key value` (summarize). */
  flagStyle: 'equals' | 'separate';
  /** Whether the script takes a stage subset (`--stages`), or only a last stage (`--stopAfter`). */
  stageSubsets: boolean;
}

/**
 * The recipes, by command-line name. Stage lists are the scripts' own (`STAGES` in each main.ts /
 * options.ts; a test keeps them in step).
 *
 * @example
 * ```ts
 * Object.keys(RECIPES); // ['sentiment', 'summarize']
 * ```
 */
export const RECIPES: Readonly<Record<string, RecipeSpec>> = Object.freeze({
  sentiment: {
    packageName: '@attune/example-rlhf-sentiment',
    summary: 'pre-train a small GPT, SFT, reward model from simulated rankings, then PPO, rejection sampling and DPO (~10 min on 2 cores; --quick ~1 min)',
    stages: ['pretrain', 'sft', 'preferences', 'reward-model', 'ppo', 'rejection-sampling', 'dpo', 'evaluate'],
    flagStyle: 'equals',
    stageSubsets: false,
  },
  summarize: {
    packageName: '@attune/example-rlhf-summarize',
    summary: 'Stiennon et al. 2020 on TL;DR data: SFT → reward model → PPO from JSONL files and a GPT-2 checkpoint (pass --model/--sft/--comparisons after --)',
    stages: ['sft', 'rm', 'ppo'],
    flagStyle: 'separate',
    stageSubsets: true,
  },
});

/**
 * Options of `attune rlhf`.
 *
 * @example
 * ```ts
 * const options: RlhfOptions = { quick: true, backend: 'cpu', stopAfter: 'sft' };
 * ```
 */
export interface RlhfOptions {
  /** Comma-separated stages to run. */
  stages?: string;
  /** Last stage to run. */
  stopAfter?: string;
  /** Run directory (default `runs/rlhf-<recipe>-<time>`); the same directory resumes. */
  runDir?: string;
  /** The recipe's smoke-test budget. */
  quick?: boolean;
  /** Seed of every draw. */
  seed?: number;
  /** Tensor backend. */
  backend: 'cpu' | 'webgpu' | 'auto';
  /** No progress output. */
  quiet?: boolean;
  /** Working directory to look for a checkout from, when the recipe package is not installed. */
  cwd?: string;
}

/**
 * Where a recipe's script is and how to start it.
 *
 * @example
 * ```ts
 * const { nodeArgs } = resolveRecipe(RECIPES.sentiment); // ['--import', 'file:///…/tsx/dist/loader.mjs', '--conditions=@attune/source', '/…/src/main.ts']
 * ```
 */
export interface ResolvedRecipe {
  /** The recipe package's directory. */
  packageDir: string;
  /** Arguments for `node` before the recipe's own flags. */
  nodeArgs: string[];
  /** `built` (dist/main.js) or `source` (src/main.ts under tsx). */
  form: 'built' | 'source';
}

function recipeManifest(spec: RecipeSpec, cwd: string): string | null {
  try {
    return createRequire(import.meta.url).resolve(`${spec.packageName}/package.json`);
  } catch {
    const root = findRepoRoot(cwd);
    const candidate = root === null ? null : join(root, 'examples', spec.packageName.replace('@attune/example-', ''), 'package.json');
    return candidate !== null && existsSync(candidate) ? candidate : null;
  }
}

/**
 * Finds the recipe's script: `dist/main.js` of the installed or checked-out package when the CLI
 * runs built (and the recipe is built), else `src/main.ts` run with tsx's loader and the
 * `@attune/source` condition. Throws a
 * {@link ConfigError} that explains the situation when the package is not there.
 *
 * @example
 * ```ts
 * resolveRecipe(RECIPES.summarize, process.cwd()).form; // 'source' in a fresh checkout
 * ```
 */
export function resolveRecipe(spec: RecipeSpec, cwd: string = process.cwd()): ResolvedRecipe {
  const manifest = recipeManifest(spec, cwd);
  if (manifest === null) {
    throw new ConfigError(
      `the RLHF recipe package ${spec.packageName} is not installed: the recipes are private example workspaces of the Attune repository ` +
        '(they download corpora and train GPTs, so they are not published with @attune/cli). ' +
        'Clone the repository, run `npm ci`, and run `attune rlhf` (or `npm start`) inside the checkout.',
    );
  }
  const packageDir = dirname(manifest);
  const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, Record<string, string> | string> }).exports?.['./main'];
  const built = join(packageDir, typeof exports === 'object' ? (exports.default ?? 'dist/main.js') : 'dist/main.js');
  const source = join(packageDir, typeof exports === 'object' ? (exports['@attune/source'] ?? 'src/main.ts') : 'src/main.ts');
  // The recipe runs in the form the CLI runs in: a built CLI runs the built recipe (whose imports
  // resolve to the packages' dist/), a CLI run from source runs the recipe's source. Either falls
  // back to the other form when its own is missing.
  const preferSource = import.meta.url.endsWith('.ts') && existsSync(source);
  if (existsSync(built) && !preferSource) return { packageDir, nodeArgs: [built], form: 'built' };
  if (!existsSync(source)) throw new ConfigError(`${spec.packageName} has neither ${built} nor ${source}`);
  let loader: string;
  try {
    const tsxManifest = createRequire(manifest).resolve('tsx/package.json');
    const tsxExports = (JSON.parse(readFileSync(tsxManifest, 'utf8')) as { exports: Record<string, unknown> }).exports['.'];
    const entry = typeof tsxExports === 'string' ? tsxExports : (tsxExports as { import?: string; default?: string }).import ?? './dist/loader.mjs';
    loader = pathToFileURL(join(dirname(tsxManifest), typeof entry === 'string' ? entry : './dist/loader.mjs')).href;
  } catch {
    throw new ConfigError(`${spec.packageName} is not built (no ${built}) and tsx, needed to run its TypeScript source, is not installed: run \`npm ci\` (or \`npx turbo run build --filter=${spec.packageName}\`) in the checkout`);
  }
  return { packageDir, nodeArgs: ['--import', loader, '--conditions=@attune/source', source], form: 'source' };
}

/**
 * The recipe flags for `options` (stages checked against the recipe's list), followed by `extra`.
 *
 * @example
 * ```ts
 * recipeArgs(RECIPES.sentiment, { quick: true, backend: 'cpu', stopAfter: 'sft' }, '/tmp/run', []);
 * // ['--out=/tmp/run', '--backend=cpu', '--quick', '--stopAfter=sft']
 * ```
 */
export function recipeArgs(spec: RecipeSpec, options: RlhfOptions, runDir: string, extra: readonly string[]): string[] {
  const flag = (name: string, value?: string | number): string[] =>
    value === undefined ? [`--${name}`] : spec.flagStyle === 'equals' ? [`--${name}=${value}`] : [`--${name}`, String(value)];
  const args = [...flag('out', runDir), ...flag('backend', options.backend)];
  if (options.seed !== undefined) args.push(...flag('seed', options.seed));
  if (options.quick) args.push(...flag('quick'));
  if (options.quiet) args.push(...flag('quiet'));
  if (options.stages !== undefined && options.stopAfter !== undefined) throw new ConfigError('--stages and --stop-after: give one of them');
  const check = (stage: string, option: string) => {
    if (!spec.stages.includes(stage)) throw new ConfigError(`${option}: unknown stage "${stage}"; stages of this recipe, in order: ${spec.stages.join(', ')}`);
  };
  if (options.stopAfter !== undefined) {
    check(options.stopAfter, '--stop-after');
    if (spec.stageSubsets) args.push(...flag('stages', spec.stages.slice(0, spec.stages.indexOf(options.stopAfter) + 1).join(',')));
    else args.push(...flag('stopAfter', options.stopAfter));
  }
  if (options.stages !== undefined) {
    const stages = options.stages.split(',').map((stage) => stage.trim()).filter((stage) => stage !== '');
    if (stages.length === 0) throw new ConfigError('--stages: expected a comma-separated list of stages');
    for (const stage of stages) check(stage, '--stages');
    if (spec.stageSubsets) {
      args.push(...flag('stages', stages.join(',')));
    } else {
      // The sentiment script runs every unfinished stage in order (finished ones are skipped), so a
      // subset must be a prefix of its stage list: it becomes --stopAfter=<last>.
      const prefix = spec.stages.slice(0, stages.length);
      if (stages.some((stage, i) => stage !== prefix[i])) {
        throw new ConfigError(`--stages: this recipe runs its stages in order and skips finished ones, so give a prefix of ${spec.stages.join(',')} (or --stop-after <stage>); got ${stages.join(',')}`);
      }
      args.push(...flag('stopAfter', stages.at(-1)!));
    }
  }
  return [...args, ...extra];
}

/**
 * Runs `attune rlhf <recipe>`; resolves with the recipe's exit status (130 after Ctrl-C).
 *
 * @example
 * ```ts
 * // not run: runs the whole recipe (about a minute with quick: true, ten without)
 * const status = await rlhf('sentiment', [], { quick: true, backend: 'cpu' }, processIO);
 * ```
 */
export async function rlhf(recipe: string, extra: readonly string[], options: RlhfOptions, io: CliIO): Promise<number> {
  const spec = Object.hasOwn(RECIPES, recipe) ? RECIPES[recipe] : undefined;
  if (spec === undefined) throw new ConfigError(`unknown recipe "${recipe}"; known: ${Object.keys(RECIPES).join(', ')}`);
  const runDir = resolve(options.runDir ?? defaultRunDir(`rlhf-${recipe}`));
  const args = recipeArgs(spec, options, runDir, extra);
  const resolved = resolveRecipe(spec, options.cwd);
  // The recipe writes the run's config.json itself (its own settings, the same from `npm start`);
  // how attune invoked it goes beside it.
  const resuming = existsSync(join(runDir, 'config.json'));
  await writeJson(join(runDir, 'attune.json'), {
    command: 'rlhf',
    recipe,
    package: spec.packageName,
    script: resolved.nodeArgs.at(-1),
    recipeArgs: args,
    seed: options.seed ?? null,
    backend: options.backend,
    quick: options.quick === true,
    updatedAt: new Date().toISOString(),
  });
  io.out(`${resuming ? 'resuming' : 'running'} the ${recipe} recipe in ${runDir} (${resolved.form === 'built' ? 'built script' : 'TypeScript source under tsx'})`);
  const status = await new Promise<number>((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...resolved.nodeArgs, ...args], { stdio: 'inherit' });
    let interrupted = false;
    const forward = () => {
      interrupted = true;
      child.kill('SIGINT');
    };
    process.on('SIGINT', forward);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      resolvePromise(interrupted || signal === 'SIGINT' ? 130 : (code ?? 1));
    });
  });
  if (existsSync(join(runDir, 'metrics.jsonl'))) {
    const report = await writeRunReport(runDir, `RLHF recipe: ${recipe}`);
    io.out(`report: ${report}`);
  }
  if (status === 130) io.out(`stopped; resume with: attune rlhf ${recipe} --run-dir ${runDir}${options.quick ? ' --quick' : ''}`);
  return status;
}
