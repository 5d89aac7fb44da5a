/**
 * Snapshots of environment state for checkpoints that resume bit for bit: walks an env (a vector
 * env, its sub-envs and every wrapper around them) and records each object's own data fields —
 * physics state, step counters, the seeded `Rng`s (through `Rng.getState`), running normalisation
 * statistics, episode-statistics queues — as JSON, and writes them back into an env built the same
 * way. Functions and spaces are construction-time structure and are skipped. Used by every
 * algorithm package's checkpoints (PPO, A2C, REINFORCE, DQN).
 */
import { Rng } from './rng.js';
import { Space } from './spaces.js';

/**
 * A JSON-serialisable snapshot made by {@link snapshotEnv}.
 *
 * @example
 * ```ts
 * const envs = new SyncVectorEnv('CartPole-v1', { numEnvs: 2 });
 * envs.reset({ seed: 0 });
 * const saved: EnvSnapshot = JSON.parse(JSON.stringify(snapshotEnv(envs)));
 * ```
 */
export type EnvSnapshot =
  | number
  | string
  | boolean
  | null
  | EnvSnapshot[]
  | { $: 'undefined' }
  | { $: 'number'; value: 'NaN' | 'Infinity' | '-Infinity' }
  | { $: 'typed'; type: string; values: number[] }
  | { $: 'rng'; state: ReturnType<Rng['getState']> }
  | { $: 'object'; fields: Record<string, EnvSnapshot> };

/** Properties a `Wrapper` forwards to the env it wraps, or that are fixed at construction. */
const SKIPPED_KEYS = new Set(['metadata', 'spec', 'renderMode']);
const MAX_DEPTH = 32;

type TypedArrayLike = Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array;
const TYPED_ARRAYS: Record<string, new (values: number[]) => TypedArrayLike> = {
  Float32Array,
  Float64Array,
  Int32Array,
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
};

function snapshotValue(value: unknown, depth: number, path: string): EnvSnapshot | undefined {
  if (depth > MAX_DEPTH) throw new Error(`snapshotEnv: nesting deeper than ${MAX_DEPTH} at ${path}`);
  if (value === undefined) return { $: 'undefined' };
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    return { $: 'number', value: Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity' };
  }
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return undefined;
  if (value instanceof Space) return undefined;
  if (value instanceof Rng) return { $: 'rng', state: value.getState() };
  if (ArrayBuffer.isView(value)) {
    const type = value.constructor.name;
    if (!(type in TYPED_ARRAYS)) throw new TypeError(`snapshotEnv: cannot snapshot a ${type} at ${path}`);
    return { $: 'typed', type, values: Array.from(value as TypedArrayLike) };
  }
  if (Array.isArray(value)) return value.map((item, i) => snapshotValue(item, depth + 1, `${path}[${i}]`) ?? null);
  if (typeof value === 'object') {
    const fields: Record<string, EnvSnapshot> = {};
    for (const key of Object.keys(value)) {
      if (SKIPPED_KEYS.has(key)) continue;
      const snapshot = snapshotValue((value as Record<string, unknown>)[key], depth + 1, `${path}.${key}`);
      if (snapshot !== undefined) fields[key] = snapshot;
    }
    return { $: 'object', fields };
  }
  return undefined;
}

function isTagged(snapshot: EnvSnapshot): snapshot is Extract<EnvSnapshot, { $: string }> {
  return snapshot !== null && typeof snapshot === 'object' && !Array.isArray(snapshot) && '$' in snapshot;
}

function restoreValue(current: unknown, snapshot: EnvSnapshot, path: string): unknown {
  if (Array.isArray(snapshot)) {
    if (Array.isArray(current)) {
      // Restore in place: arrays of envs keep their objects, queues keep their identity.
      const restored = snapshot.map((item, i) => restoreValue(current[i], item, `${path}[${i}]`));
      current.length = 0;
      current.push(...restored);
      return current;
    }
    return snapshot.map((item, i) => restoreValue(undefined, item, `${path}[${i}]`));
  }
  if (!isTagged(snapshot)) return snapshot;
  switch (snapshot.$) {
    case 'undefined':
      return undefined;
    case 'number':
      return Number(snapshot.value);
    case 'rng': {
      const rng = current instanceof Rng ? current : new Rng(0);
      rng.setState(snapshot.state);
      return rng;
    }
    case 'typed': {
      if (ArrayBuffer.isView(current) && current.constructor.name === snapshot.type && (current as TypedArrayLike).length === snapshot.values.length) {
        (current as TypedArrayLike).set(snapshot.values);
        return current;
      }
      return new TYPED_ARRAYS[snapshot.type](snapshot.values);
    }
    case 'object': {
      if (current === null || typeof current !== 'object') throw new TypeError(`restoreEnv: ${path} is ${String(current)} here but an object in the snapshot; build the env the same way it was built when saved`);
      const target = current as Record<string, unknown>;
      for (const [key, value] of Object.entries(snapshot.fields)) target[key] = restoreValue(target[key], value, `${path}.${key}`);
      return current;
    }
  }
}

/**
 * Records the state of an env — a single `Env` with its wrappers, or a vector env with its
 * sub-envs — as JSON-serialisable data.
 *
 * @example
 * ```ts
 * const envs = new SyncVectorEnv('CartPole-v1', { numEnvs: 4 });
 * envs.reset({ seed: 1 });
 * const saved = snapshotEnv(envs);
 * envs.step(Int32Array.of(0, 1, 0, 1));
 * restoreEnv(envs, saved); // back to just after the reset
 * ```
 */
export function snapshotEnv(env: object): EnvSnapshot {
  return snapshotValue(env, 0, env.constructor.name) as EnvSnapshot;
}

/**
 * Writes a snapshot from {@link snapshotEnv} back into `env`, which must have been built the same
 * way (same ids, wrappers and number of sub-envs). Continues every random stream exactly.
 *
 * @example
 * ```ts
 * const envs = new SyncVectorEnv('CartPole-v1', { numEnvs: 2 });
 * envs.reset({ seed: 0 });
 * const checkpoint = { trainerState: { envs: snapshotEnv(envs) } };
 * const restored = new SyncVectorEnv('CartPole-v1', { numEnvs: 2 });
 * restoreEnv(restored, checkpoint.trainerState.envs); // continues exactly where `envs` was
 * ```
 */
export function restoreEnv(env: object, snapshot: EnvSnapshot): void {
  restoreValue(env, snapshot, env.constructor.name);
}
