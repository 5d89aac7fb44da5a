/**
 * Batching values of a space for vector environments, after Gymnasium's
 * gymnasium/vector/utils/space_utils.py (`batch_space`, `concatenate`,
 * `iterate`, `create_empty_array`). A batch of `n` values is stored in one
 * typed array, env-major (`numEnvs × size`):
 * - Box → the Box dtype's typed array; Discrete → Int32Array(n) (Gymnasium
 *   batches Discrete as MultiDiscrete); MultiDiscrete → Int32Array;
 *   MultiBinary → Int8Array;
 * - Tuple → an array of member batches; Dict → an object of member batches;
 * - any other space (e.g. prompts) → a plain array of n values.
 */
import { Box, Dict, Discrete, MultiBinary, MultiDiscrete, Space, Tuple, allocateArray, describeValue, type BoxDtype } from '../spaces.js';

function tupleMembers(space: Tuple<readonly Space<unknown>[]>): readonly Space<unknown>[] {
  return space.spaces;
}

/**
 * The space of a batch of `n` values (Gymnasium `batch_space`): Box gains a
 * leading dimension, Discrete becomes MultiDiscrete, …
 *
 * @example
 * ```ts
 * batchSpace(new Discrete(2), 4); // MultiDiscrete([2 2 2 2])
 * batchSpace(new Box({ low: -1, high: 1, shape: [3] }), 4).shape; // [4, 3]
 * ```
 */
export function batchSpace(space: Space<unknown>, n: number): Space<unknown> {
  if (space instanceof Box) {
    const low = new Float64Array(n * space.size);
    const high = new Float64Array(n * space.size);
    for (let i = 0; i < n; i++) {
      low.set(space.low, i * space.size);
      high.set(space.high, i * space.size);
    }
    return new Box({ low, high, shape: [n, ...space.shape], dtype: space.dtype });
  }
  if (space instanceof Discrete) return new MultiDiscrete(new Array(n).fill(space.n), { start: new Array(n).fill(space.start) });
  if (space instanceof MultiDiscrete) {
    const nvec: number[] = [];
    const start: number[] = [];
    for (let i = 0; i < n; i++) {
      nvec.push(...space.nvec);
      start.push(...space.start);
    }
    return new MultiDiscrete(nvec, { start });
  }
  if (space instanceof MultiBinary) return new MultiBinary([n, ...space.shape]);
  if (space instanceof Tuple) return new Tuple(tupleMembers(space).map((member) => batchSpace(member, n)));
  if (space instanceof Dict) {
    const members: Record<string, Space<unknown>> = {};
    for (const key of space.keys) members[key] = batchSpace(space.spaces[key], n);
    return new Dict(members);
  }
  return new Tuple(Array.from({ length: n }, () => space));
}

/** Number of scalars one value of an array-like space occupies in a batch. */
function valueSize(space: Space<unknown>): number {
  if (space instanceof Box) return space.size;
  if (space instanceof Discrete) return 1;
  if (space instanceof MultiDiscrete) return space.nvec.length;
  if (space instanceof MultiBinary) return space.size;
  return -1;
}

/**
 * Allocates an empty batch of `n` values (Gymnasium `create_empty_array`).
 *
 * @example
 * ```ts
 * createBatch(new Box({ low: 0, high: 1, shape: [4] }), 8); // Float32Array(32)
 * ```
 */
export function createBatch(space: Space<unknown>, n: number): unknown {
  if (space instanceof Box) return allocateArray(space.dtype as BoxDtype, n * space.size);
  if (space instanceof Discrete || space instanceof MultiDiscrete) return new Int32Array(n * valueSize(space));
  if (space instanceof MultiBinary) return new Int8Array(n * space.size);
  if (space instanceof Tuple) return tupleMembers(space).map((member) => createBatch(member, n));
  if (space instanceof Dict) {
    const out: Record<string, unknown> = {};
    for (const key of space.keys) out[key] = createBatch(space.spaces[key], n);
    return out;
  }
  return new Array<unknown>(n).fill(undefined);
}

/**
 * Writes env `index`'s value into a batch (one step of Gymnasium `concatenate`).
 *
 * @example
 * ```ts
 * const space = new Box({ low: -1, high: 1, shape: [3] });
 * const observation = Float32Array.of(0.1, 0.2, 0.3);
 * const batch = createBatch(space, 2);
 * writeBatch(space, batch, 1, observation);
 * ```
 */
export function writeBatch(space: Space<unknown>, batch: unknown, index: number, value: unknown): void {
  if (space instanceof Discrete) {
    (batch as Int32Array)[index] = value as number;
    return;
  }
  const size = valueSize(space);
  if (size >= 0) {
    const array = value as ArrayLike<number>;
    if (array === null || typeof array !== 'object' || array.length !== size) {
      throw new RangeError(`writeBatch: expected a value of length ${size} for ${String(space)}, got ${describeValue(value)}`);
    }
    const target = batch as Float64Array;
    if (ArrayBuffer.isView(array)) target.set(array as Float64Array, index * size);
    else for (let i = 0; i < size; i++) target[index * size + i] = array[i];
    return;
  }
  if (space instanceof Tuple) {
    tupleMembers(space).forEach((member, i) => writeBatch(member, (batch as unknown[])[i], index, (value as unknown[])[i]));
    return;
  }
  if (space instanceof Dict) {
    for (const key of space.keys) writeBatch(space.spaces[key], (batch as Record<string, unknown>)[key], index, (value as Record<string, unknown>)[key]);
    return;
  }
  (batch as unknown[])[index] = value;
}

/**
 * Reads env `index`'s value out of a batch, as a copy (one step of Gymnasium `iterate`).
 *
 * @example
 * ```ts
 * const actionSpace = new Discrete(2);
 * const actions = Int32Array.of(0, 1, 1, 0);
 * const action = readBatch(actionSpace, actions, 2); // 1
 * ```
 */
export function readBatch(space: Space<unknown>, batch: unknown, index: number): unknown {
  if (space instanceof Discrete) return (batch as ArrayLike<number>)[index];
  const size = valueSize(space);
  if (size >= 0) {
    const array = batch as ArrayLike<number>;
    if (ArrayBuffer.isView(array)) return (array as unknown as Float64Array).slice(index * size, (index + 1) * size);
    return Array.prototype.slice.call(array, index * size, (index + 1) * size);
  }
  if (space instanceof Tuple) return tupleMembers(space).map((member, i) => readBatch(member, (batch as unknown[])[i], index));
  if (space instanceof Dict) {
    const out: Record<string, unknown> = {};
    for (const key of space.keys) out[key] = readBatch(space.spaces[key], (batch as Record<string, unknown>)[key], index);
    return out;
  }
  return (batch as unknown[])[index];
}

/**
 * Copies a batch (what Gymnasium's `copy=True` returns each step).
 *
 * @example
 * ```ts
 * const envs = new SyncVectorEnv('CartPole-v1', { numEnvs: 2, copy: false });
 * const { observations } = envs.reset({ seed: 0 });
 * const snapshot = copyBatch(observations); // survives the next step, which reuses the buffer
 * envs.step(Int32Array.of(0, 1));
 * ```
 */
export function copyBatch<T>(batch: T): T {
  if (ArrayBuffer.isView(batch)) {
    // A fresh array plus a loop is much cheaper in V8 than TypedArray#slice for small batches.
    const source = batch as unknown as Float64Array;
    const copy = new (source.constructor as Float64ArrayConstructor)(source.length);
    for (let i = 0; i < source.length; i++) copy[i] = source[i];
    return copy as unknown as T;
  }
  if (Array.isArray(batch)) return batch.map((item) => (ArrayBuffer.isView(item) || Array.isArray(item) || (typeof item === 'object' && item !== null) ? copyBatch(item) : item)) as T;
  if (typeof batch === 'object' && batch !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(batch)) out[key] = copyBatch(value);
    return out as T;
  }
  return batch;
}

/**
 * Env `index`'s action from a batch of actions. Accepts the flat batch
 * layout (a typed array or number[] of `numEnvs × size`) or, for array-like
 * action spaces, an array of per-env actions.
 *
 * @example
 * ```ts
 * actionAt(new Discrete(2), Int32Array.of(0, 1, 1), 2); // 1
 * ```
 */
export function actionAt(space: Space<unknown>, actions: unknown, index: number, numEnvs: number): unknown {
  const size = valueSize(space);
  if (space instanceof Discrete) return (actions as ArrayLike<number>)[index];
  if (size > 0) {
    const array = actions as ArrayLike<unknown>;
    if (array.length === numEnvs && typeof array[0] === 'object' && array[0] !== null) return array[index];
    if (ArrayBuffer.isView(array)) return (array as unknown as Float32Array).subarray(index * size, (index + 1) * size);
    return Array.prototype.slice.call(array, index * size, (index + 1) * size);
  }
  return readBatch(space, actions, index);
}

/** Checks the length of a batch of actions for array-like action spaces. */
export function checkActionBatch(space: Space<unknown>, actions: unknown, numEnvs: number): void {
  const size = valueSize(space);
  if (size < 0) {
    if (space instanceof Tuple || space instanceof Dict) return;
    if (!Array.isArray(actions) || actions.length !== numEnvs) throw new RangeError(`Expected an array of ${numEnvs} actions, got ${describeValue(actions)}`);
    return;
  }
  const array = actions as ArrayLike<unknown>;
  if (array === null || typeof array !== 'object' || typeof array.length !== 'number') {
    throw new TypeError(`Expected a batch of ${numEnvs} actions for ${String(space)}, got ${describeValue(actions)}`);
  }
  const perEnv = array.length === numEnvs && typeof array[0] === 'object' && array[0] !== null;
  if (!perEnv && array.length !== numEnvs * size) {
    throw new RangeError(`Expected ${numEnvs * size} action values (numEnvs=${numEnvs} × ${size} for ${String(space)}), got ${array.length}: ${describeValue(actions)}`);
  }
}

/**
 * A specialised writer for one space: `(batch, index, value)` copies env
 * `index`'s value into the batch without re-inspecting the space (the vector
 * envs' per-step hot path).
 *
 * @example
 * ```ts
 * const write = batchWriter(new Box({ low: -1, high: 1, shape: [4] }));
 * write(batch, 2, observation);
 * ```
 */
export function batchWriter(space: Space<unknown>): (batch: unknown, index: number, value: unknown) => void {
  if (space instanceof Discrete) {
    return (batch, index, value) => {
      (batch as Int32Array)[index] = value as number;
    };
  }
  const size = valueSize(space);
  if (size >= 0) {
    return (batch, index, value) => {
      const array = value as ArrayLike<number>;
      if (array === null || typeof array !== 'object' || array.length !== size) {
        throw new RangeError(`writeBatch: expected a value of length ${size} for ${String(space)}, got ${describeValue(value)}`);
      }
      const target = batch as Float64Array;
      const offset = index * size;
      for (let i = 0; i < size; i++) target[offset + i] = array[i];
    };
  }
  return (batch, index, value) => writeBatch(space, batch, index, value);
}

/** Whether an object has any own enumerable key, without allocating a key array. */
export function hasKeys(object: object): boolean {
  for (const key in object) if (Object.prototype.hasOwnProperty.call(object, key)) return true;
  return false;
}

/**
 * A specialised reader of env `index`'s action from a batch of actions
 * (see {@link actionAt}), resolved once per space.
 *
 * @example
 * ```ts
 * const read = actionReader(new Discrete(2), 8);
 * read(Int32Array.of(0, 1, 1, 0, 0, 1, 1, 0), 1); // 1
 * ```
 */
export function actionReader(space: Space<unknown>, numEnvs: number): (actions: unknown, index: number) => unknown {
  if (space instanceof Discrete) return (actions, index) => (actions as ArrayLike<number>)[index];
  return (actions, index) => actionAt(space, actions, index, numEnvs);
}
