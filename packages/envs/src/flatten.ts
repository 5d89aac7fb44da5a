/**
 * Flattening spaces and their values into one vector, after Gymnasium's
 * gymnasium/spaces/utils.py (`flatdim`, `flatten_space`, `flatten`,
 * `unflatten`): Box values are raveled, Discrete and MultiDiscrete become
 * one-hot vectors, MultiBinary is raveled, Tuple and Dict concatenate their
 * members (Dict in sorted key order).
 */
import { Box, Dict, Discrete, MultiBinary, MultiDiscrete, PredicateSpace, Space, Tuple, allocateArray, describeValue, type BoxArray, type BoxDtype } from './spaces.js';

function members(space: Tuple<readonly Space<unknown>[]>): readonly Space<unknown>[] {
  return space.spaces;
}

function unsupported(space: Space<unknown>): never {
  throw new TypeError(`${String(space)} cannot be flattened (expected Box, Discrete, MultiDiscrete, MultiBinary, Tuple or Dict)`);
}

/**
 * Length of the flattened vector of a space.
 *
 * @example
 * ```ts
 * flatdim(new Discrete(16)); // 16 (one-hot)
 * flatdim(new Box({ low: 0, high: 1, shape: [2, 3] })); // 6
 * ```
 */
export function flatdim(space: Space<unknown>): number {
  if (space instanceof Box) return space.size;
  if (space instanceof Discrete) return space.n;
  if (space instanceof MultiDiscrete) return space.nvec.reduce((total, n) => total + n, 0);
  if (space instanceof MultiBinary) return space.size;
  if (space instanceof Tuple) return members(space).reduce((total, member) => total + flatdim(member), 0);
  if (space instanceof Dict) return space.keys.reduce((total, key) => total + flatdim(space.spaces[key]), 0);
  return unsupported(space);
}

/** numpy-like result dtype of concatenating the flattened members. */
function promote(dtypes: readonly BoxDtype[]): BoxDtype {
  if (dtypes.includes('float64')) return 'float64';
  if (dtypes.includes('float32')) return dtypes.includes('int32') ? 'float64' : 'float32';
  if (dtypes.length > 0 && dtypes.every((dtype) => dtype === 'uint8')) return 'uint8';
  return 'int32';
}

/**
 * The dtype of a space's flattened vector (integers for one-hots, the Box
 * dtype for boxes, numpy's promotion for Tuple/Dict).
 *
 * @example
 * ```ts
 * flatDtype(new Discrete(4)); // 'int32'
 * ```
 */
export function flatDtype(space: Space<unknown>): BoxDtype {
  if (space instanceof Box) return space.dtype;
  if (space instanceof Discrete || space instanceof MultiDiscrete || space instanceof MultiBinary) return 'int32';
  if (space instanceof Tuple) return promote(space.spaces.map(flatDtype));
  if (space instanceof Dict) return promote(space.keys.map((key) => flatDtype(space.spaces[key])));
  return unsupported(space);
}

/**
 * The Box a space's values flatten into (Gymnasium `flatten_space`).
 *
 * @example
 * ```ts
 * flattenSpace(new Discrete(3)); // Box(0, 1, (3,), int32)
 * ```
 */
export function flattenSpace(space: Space<unknown>): Box<BoxDtype> {
  if (space instanceof Box) return new Box({ low: space.low, high: space.high, shape: [space.size], dtype: space.dtype });
  const dtype = flatDtype(space);
  const low: number[] = [];
  const high: number[] = [];
  const collect = (member: Space<unknown>): void => {
    if (member instanceof Box) {
      low.push(...member.low);
      high.push(...member.high);
    } else if (member instanceof Tuple) member.spaces.forEach(collect);
    else if (member instanceof Dict) member.keys.forEach((key) => collect(member.spaces[key]));
    else {
      const n = flatdim(member);
      for (let i = 0; i < n; i++) {
        low.push(0);
        high.push(1);
      }
    }
  };
  collect(space);
  return new Box({ low, high, shape: [low.length], dtype });
}

function writeFlat(space: Space<unknown>, value: unknown, out: BoxArray<BoxDtype>, offset: number): number {
  if (space instanceof Box) {
    const array = value as ArrayLike<number>;
    for (let i = 0; i < space.size; i++) out[offset + i] = array[i];
    return offset + space.size;
  }
  if (space instanceof Discrete) {
    out[offset + (value as number) - space.start] = 1;
    return offset + space.n;
  }
  if (space instanceof MultiDiscrete) {
    const array = value as ArrayLike<number>;
    for (let i = 0; i < space.nvec.length; i++) {
      out[offset + array[i] - space.start[i]] = 1;
      offset += space.nvec[i];
    }
    return offset;
  }
  if (space instanceof MultiBinary) {
    const array = value as ArrayLike<number>;
    for (let i = 0; i < space.size; i++) out[offset + i] = array[i];
    return offset + space.size;
  }
  if (space instanceof Tuple) {
    const values = value as readonly unknown[];
    members(space).forEach((member, i) => {
      offset = writeFlat(member, values[i], out, offset);
    });
    return offset;
  }
  if (space instanceof Dict) {
    const record = value as Record<string, unknown>;
    for (const key of space.keys) offset = writeFlat(space.spaces[key], record[key], out, offset);
    return offset;
  }
  return unsupported(space);
}

/**
 * Flattens a value of `space` into a fresh typed array (Gymnasium `flatten`).
 *
 * @example
 * ```ts
 * flatten(new Discrete(4), 2); // Int32Array [0, 0, 1, 0]
 * ```
 */
export function flatten(space: Space<unknown>, value: unknown): BoxArray<BoxDtype> {
  if (space instanceof PredicateSpace) return unsupported(space);
  if (!space.contains(value)) throw new RangeError(`flatten: ${describeValue(value)} is not in ${String(space)}`);
  const out = allocateArray(flatDtype(space), flatdim(space));
  writeFlat(space, value, out, 0);
  return out;
}

function readFlat(space: Space<unknown>, flat: ArrayLike<number>, offset: number): [unknown, number] {
  if (space instanceof Box) {
    const out = allocateArray(space.dtype, space.size);
    for (let i = 0; i < space.size; i++) out[i] = flat[offset + i];
    return [out, offset + space.size];
  }
  if (space instanceof Discrete) {
    let index = 0;
    while (index < space.n && flat[offset + index] === 0) index++;
    if (index === space.n) throw new RangeError(`unflatten: no 1 in the one-hot of ${String(space)}`);
    return [space.start + index, offset + space.n];
  }
  if (space instanceof MultiDiscrete) {
    const out = new Int32Array(space.nvec.length);
    for (let i = 0; i < space.nvec.length; i++) {
      let index = 0;
      while (index < space.nvec[i] && flat[offset + index] === 0) index++;
      if (index === space.nvec[i]) throw new RangeError(`unflatten: no 1 in the one-hot of coordinate ${i} of ${String(space)}`);
      out[i] = space.start[i] + index;
      offset += space.nvec[i];
    }
    return [out, offset];
  }
  if (space instanceof MultiBinary) {
    const out = new Int8Array(space.size);
    for (let i = 0; i < space.size; i++) out[i] = flat[offset + i];
    return [out, offset + space.size];
  }
  if (space instanceof Tuple) {
    const values: unknown[] = [];
    for (const member of space.spaces) {
      const [value, next] = readFlat(member, flat, offset);
      values.push(value);
      offset = next;
    }
    return [values, offset];
  }
  if (space instanceof Dict) {
    const record: Record<string, unknown> = {};
    for (const key of space.keys) {
      const [value, next] = readFlat(space.spaces[key], flat, offset);
      record[key] = value;
      offset = next;
    }
    return [record, offset];
  }
  return unsupported(space);
}

/**
 * Inverse of {@link flatten} (Gymnasium `unflatten`).
 *
 * @example
 * ```ts
 * unflatten(new Discrete(4), Int32Array.of(0, 0, 1, 0)); // 2
 * ```
 */
export function unflatten<T>(space: Space<T>, flat: ArrayLike<number>): T {
  if (flat.length !== flatdim(space)) throw new RangeError(`unflatten: expected ${flatdim(space)} values for ${String(space)}, got ${flat.length}`);
  return readFlat(space, flat, 0)[0] as T;
}
