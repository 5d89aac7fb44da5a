/** Spaces and the seeded generator: sampling, membership, seeding, flattening, batching. */
import { describe, expect, it } from 'vitest';
import {
  Box,
  Dict,
  Discrete,
  MultiBinary,
  MultiDiscrete,
  PredicateSpace,
  Rng,
  Tuple,
  batchSpace,
  flatdim,
  flatten,
  flattenSpace,
  unflatten,
} from '../src/index.js';

describe('Rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const draws = (rng: Rng) => Array.from({ length: 5 }, () => rng.random());
    const first = draws(a);
    expect(draws(b)).toEqual(first);
    expect(draws(c)).not.toEqual(first);
  });

  it('has sensible moments', () => {
    const rng = new Rng(1);
    const n = 100_000;
    let sum = 0;
    let sumSquares = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.normal(2, 3);
      sum += x;
      sumSquares += x * x;
    }
    const mean = sum / n;
    expect(mean).toBeCloseTo(2, 1);
    expect(Math.sqrt(sumSquares / n - mean * mean)).toBeCloseTo(3, 1);
    let betaSum = 0;
    for (let i = 0; i < 20_000; i++) betaSum += rng.beta(2, 6);
    expect(betaSum / 20_000).toBeCloseTo(0.25, 2);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[rng.integers(3)]++;
    for (const count of counts) expect(count / 30_000).toBeCloseTo(1 / 3, 1);
  });

  it('saves and restores its state', () => {
    const rng = new Rng(5);
    rng.normal();
    const state = rng.getState();
    const ahead = [rng.normal(), rng.random(), rng.normal()];
    rng.setState(JSON.parse(JSON.stringify(state)));
    expect([rng.normal(), rng.random(), rng.normal()]).toEqual(ahead);
  });

  it('rejects bad seeds', () => {
    expect(() => new Rng(-1)).toThrow(/non-negative integer, got -1/);
    expect(() => new Rng(1.5)).toThrow(/got 1.5/);
  });
});

describe('Discrete', () => {
  it('samples in range, honours start and masks', () => {
    const space = new Discrete(3, { start: -1, seed: 0 });
    for (let i = 0; i < 100; i++) expect(space.contains(space.sample())).toBe(true);
    expect(space.contains(-1)).toBe(true);
    expect(space.contains(2)).toBe(false);
    expect(space.contains(0.5)).toBe(false);
    expect(space.contains('0')).toBe(false);
    for (let i = 0; i < 50; i++) expect(space.sample(Int8Array.of(0, 1, 0))).toBe(0);
    expect(space.sample(Int8Array.of(0, 0, 0))).toBe(-1); // none allowed → start, as Gymnasium
    expect(() => space.sample(Int8Array.of(1, 0))).toThrow(/length n=3/);
    for (let i = 0; i < 50; i++) expect(space.sample(undefined, [0, 0, 1])).toBe(1);
    expect(String(space)).toBe('Discrete(3, start=-1)');
  });

  it('is reproducible after seed()', () => {
    const space = new Discrete(100);
    space.seed(7);
    const first = Array.from({ length: 10 }, () => space.sample());
    space.seed(7);
    expect(Array.from({ length: 10 }, () => space.sample())).toEqual(first);
  });
});

describe('Box', () => {
  it('stores float32 bounds and checks membership like numpy', () => {
    const box = new Box({ low: [-4.8, -Infinity], high: [4.8, Infinity] });
    expect(box.shape).toEqual([2]);
    expect(box.low[0]).toBe(Math.fround(-4.8));
    expect(box.contains(Float32Array.of(4.8, 1e30))).toBe(true);
    expect(box.contains(Float32Array.of(4.9, 0))).toBe(false);
    expect(box.contains(Float64Array.of(0, 0))).toBe(false); // float64 → float32 is not a safe cast
    expect(box.contains([4.8, 0])).toBe(true); // plain arrays are cast first
    expect(box.contains(Float32Array.of(0))).toBe(false);
    expect(box.contains(Float32Array.of(Number.NaN, 0))).toBe(false);
    expect(box.isBounded('both')).toBe(false);
    expect(String(new Box({ low: -1, high: 1, shape: [3] }))).toBe('Box(-1.0, 1.0, (3,), float32)');
  });

  it('samples each bound type inside the box', () => {
    const box = new Box({ low: [0, -Infinity, 2, -Infinity], high: [1, 0, Infinity, Infinity], seed: 3 });
    for (let i = 0; i < 200; i++) expect(box.contains(box.sample())).toBe(true);
    const ints = new Box({ low: -2, high: 2, shape: [2, 3], dtype: 'int32', seed: 1 });
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const x = ints.sample();
      expect(x).toBeInstanceOf(Int32Array);
      expect(ints.contains(x)).toBe(true);
      x.forEach((v) => seen.add(v));
    }
    expect([...seen].sort()).toEqual([-1, -2, 0, 1, 2].sort());
  });

  it('rejects bad bounds', () => {
    expect(() => new Box({ low: 1, high: 0, shape: [1] })).toThrow(/low must be <= high/);
    expect(() => new Box({ low: [0, 0], high: [1, 1, 1] })).toThrow(/has 3 values/);
    expect(() => new Box({ low: 0, high: 1 })).toThrow(/shape is not specified/);
    expect(() => new Box({ low: -Infinity, high: 1, shape: [1], dtype: 'uint8' })).toThrow(/unsigned/);
  });
});

describe('MultiDiscrete, MultiBinary, Tuple, Dict', () => {
  it('sample and contain', () => {
    const md = new MultiDiscrete([2, 3], { start: [1, -1], seed: 0 });
    for (let i = 0; i < 50; i++) expect(md.contains(md.sample())).toBe(true);
    expect(md.contains([2, 1])).toBe(true);
    expect(md.contains([3, 1])).toBe(false);
    for (let i = 0; i < 20; i++) expect(md.sample([undefined, Int8Array.of(0, 0, 1)])[1]).toBe(1);

    const mb = new MultiBinary([2, 2], { seed: 0 });
    expect(mb.sample()).toBeInstanceOf(Int8Array);
    expect(mb.contains([0, 1, 1, 0])).toBe(true);
    expect(mb.contains([0, 2, 1, 0])).toBe(false);
    expect(Array.from(mb.sample(Int8Array.of(1, 0, 1, 0)))).toEqual([1, 0, 1, 0]);

    const tuple = new Tuple([new Discrete(2), new Box({ low: 0, high: 1, shape: [2] })], { seed: 1 });
    expect(tuple.contains(tuple.sample())).toBe(true);
    expect(tuple.contains([1])).toBe(false);

    const dict = new Dict({ z: new Discrete(2), a: new MultiBinary(2) }, { seed: 2 });
    expect(dict.keys).toEqual(['a', 'z']); // sorted like Gymnasium
    const value = dict.sample();
    expect(Object.keys(value)).toEqual(['a', 'z']);
    expect(dict.contains(value)).toBe(true);
    expect(dict.contains({ a: Int8Array.of(0, 1) })).toBe(false);
  });

  it('composite seeding is deterministic', () => {
    const make = () => new Dict({ t: new Tuple([new Discrete(5), new Box({ low: -1, high: 1, shape: [3] })]), d: new Discrete(9) });
    const a = make();
    const b = make();
    expect(a.seed(11)).toEqual(b.seed(11));
    expect(a.sample()).toEqual(b.sample());
  });

  it('PredicateSpace uses its predicate and sampler', () => {
    const space = new PredicateSpace<string>({ name: 'Word', contains: (x) => typeof x === 'string', sample: (rng) => ['a', 'b'][rng.integers(2)] });
    expect(space.contains('zzz')).toBe(true);
    expect(space.contains(3)).toBe(false);
    expect(['a', 'b']).toContain(space.sample());
    expect(() => new PredicateSpace({ name: 'Opaque' }).sample()).toThrow(/no sampler/);
  });
});

describe('flatten and batch', () => {
  it('flattens like Gymnasium and round-trips', () => {
    const space = new Dict({ position: new Box({ low: -1, high: 1, shape: [2] }), gear: new Discrete(3), flags: new MultiBinary(2) });
    expect(flatdim(space)).toBe(2 + 2 + 3);
    const value = { flags: Int8Array.of(1, 0), gear: 2, position: Float32Array.of(0.5, -0.5) };
    const flat = flatten(space, value);
    expect(Array.from(flat)).toEqual([1, 0, 0, 0, 1, 0.5, -0.5]); // keys sorted: flags, gear, position
    expect(flattenSpace(space).contains(flat)).toBe(true);
    expect(unflatten(space, flat)).toEqual(value);
    expect(Array.from(flatten(new Discrete(4), 2))).toEqual([0, 0, 1, 0]);
    expect(() => flatten(new Discrete(4), 7)).toThrow(/7 is not in Discrete\(4\)/);
  });

  it('batches spaces', () => {
    expect(String(batchSpace(new Discrete(2), 3))).toBe('MultiDiscrete([2 2 2])');
    const box = batchSpace(new Box({ low: -1, high: 1, shape: [4] }), 8) as Box;
    expect(box.shape).toEqual([8, 4]);
    expect(box.size).toBe(32);
  });
});
