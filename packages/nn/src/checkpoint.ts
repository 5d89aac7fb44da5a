/**
 * Checkpoints as directories (DESIGN "Data and checkpoints"): `model.safetensors` (the network's
 * state dict), `config.json` (the resolved algorithm config and architecture) and
 * `trainer_state.json` (step, RNG states, optimizer moments, env snapshots). A checkpoint is
 * written into a temporary sibling directory and renamed into place, so a crash never leaves a
 * half-written checkpoint; `checkpoint-<globalStep>` names sort by progress, as Hugging Face's.
 */
import { loadSafetensors, saveSafetensorsAsync } from './safetensors.js';
import type { Tensor } from '@attune/tensor';

/**
 * What a checkpoint holds.
 *
 * @example
 * ```ts
 * const agent = new Linear(4, 2);
 * const args = { envId: 'CartPole-v1', learningRate: 2.5e-4 };
 * const globalStep = 51_200;
 * const contents: CheckpointContents = { model: agent.stateDict(), config: { ...args }, trainerState: { globalStep } };
 * ```
 */
export interface CheckpointContents {
  /** Named tensors, written as `model.safetensors`. */
  model: Record<string, Tensor>;
  /** The run's resolved config, written as `config.json`. */
  config: Record<string, unknown>;
  /** Everything else needed to continue: written as `trainer_state.json`. */
  trainerState: Record<string, unknown>;
  /** Further tensor files, by name: `{ replay_buffer: {...} }` is written as `replay_buffer.safetensors`. */
  extraTensors?: Record<string, Record<string, Tensor>>;
}

/**
 * A checkpoint read back by {@link loadCheckpoint}.
 *
 * @example
 * ```ts
 * await saveCheckpoint('runs/ppo/checkpoint-51200', { model: new Linear(4, 2).stateDict(), config: { lr: 1e-3 }, trainerState: { globalStep: 51_200 } });
 * const { model, config, trainerState }: LoadedCheckpoint = await loadCheckpoint('runs/ppo/checkpoint-51200');
 * ```
 */
export interface LoadedCheckpoint {
  /** The tensors of `model.safetensors` (the caller owns and disposes them). */
  model: Record<string, Tensor>;
  /** Parsed `config.json`. */
  config: Record<string, unknown>;
  /** Parsed `trainer_state.json`. */
  trainerState: Record<string, unknown>;
  /** The tensor files named in `loadCheckpoint`'s `extraTensors` argument. */
  extraTensors: Record<string, Record<string, Tensor>>;
}

const CHECKPOINT_PREFIX = 'checkpoint-';

/**
 * The directory name of the checkpoint taken at `globalStep`, zero-padded so names sort.
 *
 * @example
 * ```ts
 * checkpointName(51200); // 'checkpoint-000000051200'
 * ```
 */
export function checkpointName(globalStep: number): string {
  return `${CHECKPOINT_PREFIX}${String(globalStep).padStart(12, '0')}`;
}

/**
 * Writes `contents` as the directory `path`, atomically: everything goes into
 * `.<name>.tmp-<pid>` next to it first, which is then renamed to `path` (an existing `path` is
 * moved aside and removed only after the rename).
 *
 * @example
 * ```ts
 * const agent = new Linear(4, 2);
 * const config = { envId: 'CartPole-v1' };
 * const globalStep = 2048;
 * const trainerState = { globalStep };
 * await saveCheckpoint(`runs/ppo/${checkpointName(globalStep)}`, { model: agent.stateDict(), config, trainerState });
 * ```
 */
export async function saveCheckpoint(path: string, contents: CheckpointContents): Promise<void> {
  const { mkdir, writeFile, rename, rm, stat } = await import('node:fs/promises');
  const { dirname, basename, join } = await import('node:path');
  const parent = dirname(path);
  await mkdir(parent, { recursive: true });
  const temporary = join(parent, `.${basename(path)}.tmp-${process.pid}`);
  await rm(temporary, { recursive: true, force: true });
  await mkdir(temporary);
  try {
    await writeFile(join(temporary, 'model.safetensors'), await saveSafetensorsAsync(contents.model));
    await writeFile(join(temporary, 'config.json'), JSON.stringify(contents.config, null, 2) + '\n');
    await writeFile(join(temporary, 'trainer_state.json'), JSON.stringify(contents.trainerState) + '\n');
    for (const [name, tensors] of Object.entries(contents.extraTensors ?? {})) await writeFile(join(temporary, `${name}.safetensors`), await saveSafetensorsAsync(tensors));
    let previous: string | null = null;
    if (await stat(path).then(() => true, () => false)) {
      previous = join(parent, `.${basename(path)}.old-${process.pid}`);
      await rename(path, previous);
    }
    await rename(temporary, path);
    if (previous !== null) await rm(previous, { recursive: true, force: true });
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Reads a checkpoint directory written by {@link saveCheckpoint}, plus the tensor files named in
 * `extraTensors` (without the `.safetensors` extension).
 *
 * @example
 * ```ts
 * const agent = new Linear(4, 2);
 * await saveCheckpoint('runs/ppo/checkpoint-000000051200', { model: agent.stateDict(), config: {}, trainerState: {} });
 * const checkpoint = await loadCheckpoint('runs/ppo/checkpoint-000000051200');
 * agent.loadStateDict(checkpoint.model);
 * ```
 */
export async function loadCheckpoint(path: string, extraTensors: readonly string[] = []): Promise<LoadedCheckpoint> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const read = async (file: string): Promise<Buffer> => {
    try {
      return await readFile(join(path, file));
    } catch (error) {
      throw new Error(`loadCheckpoint: cannot read ${join(path, file)}: ${(error as Error).message}`, { cause: error });
    }
  };
  const model = loadSafetensors(await read('model.safetensors')).tensors;
  const config = JSON.parse((await read('config.json')).toString('utf8')) as Record<string, unknown>;
  const trainerState = JSON.parse((await read('trainer_state.json')).toString('utf8')) as Record<string, unknown>;
  const extra: Record<string, Record<string, Tensor>> = {};
  for (const name of extraTensors) extra[name] = loadSafetensors(await read(`${name}.safetensors`)).tensors;
  return { model, config, trainerState, extraTensors: extra };
}

/**
 * The newest complete checkpoint under `root` (the `checkpoint-<step>` directory with the highest
 * step), or null when there is none. Temporary directories of interrupted writes are ignored.
 *
 * @example
 * ```ts
 * const path = await latestCheckpoint('runs/ppo'); // 'runs/ppo/checkpoint-000000102400' or null
 * ```
 */
export async function latestCheckpoint(root: string): Promise<string | null> {
  const { readdir } = await import('node:fs/promises');
  const { join } = await import('node:path');
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return null;
  }
  const steps = names
    .filter((name) => name.startsWith(CHECKPOINT_PREFIX) && /^\d+$/.test(name.slice(CHECKPOINT_PREFIX.length)))
    .sort();
  return steps.length === 0 ? null : join(root, steps[steps.length - 1]);
}
