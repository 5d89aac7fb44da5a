/**
 * Seeded random-number generator for environments and spaces: the
 * TypeScript counterpart of Gymnasium's `np_random` (a numpy `Generator`
 * made by `gymnasium.utils.seeding.np_random`). Every draw an environment
 * makes comes from one of these, so a user seed fixes the whole episode.
 *
 * The bit stream is seedrandom's Alea, not numpy's PCG64: the *same seed*
 * gives the same numbers every time here, but not the numbers numpy would
 * give. Trajectory parity with Gymnasium is therefore stated "given the same
 * start state and actions" (see the README).
 */
import seedrandom from 'seedrandom';

/**
 * Serialisable generator state, for checkpoints (`Rng.getState` / `Rng.setState`).
 *
 * @example
 * ```ts
 * const rng = new Rng(0);
 * const saved: RngState = rng.getState();
 * rng.setState(saved);
 * ```
 */
export interface RngState {
  /** Algorithm tag, so a state can't be fed to a different generator. */
  readonly algorithm: 'alea';
  /** The seed this generator was created from. */
  readonly seed: number;
  /** Alea's internal registers. */
  readonly registers: { c: number; s0: number; s1: number; s2: number };
  /** The cached second normal of the polar method, or null. */
  readonly spareNormal: number | null;
}

/** Largest seed `seeding.np_random` draws for an unseeded generator (numpy int32 max). */
const MAX_SEED = 2 ** 31 - 1;

/**
 * A fresh random seed from the operating system's entropy pool, used when a
 * user passes no seed (Gymnasium does the same with `SeedSequence()` entropy).
 *
 * @example
 * ```ts
 * const seed = entropySeed(); // e.g. 1804289383
 * ```
 */
export function entropySeed(): number {
  const word = new Uint32Array(1);
  globalThis.crypto.getRandomValues(word);
  return word[0] % MAX_SEED;
}

/**
 * Checks that a seed is a non-negative safe integer, as Gymnasium's
 * `seeding.np_random` does (it raises `Error` for negative or non-int seeds).
 *
 * @example
 * ```ts
 * validateSeed(42); // ok
 * try {
 *   validateSeed(-1);
 * } catch (error) {
 *   console.log((error as Error).message); // Seed must be a non-negative integer, got -1
 * }
 * ```
 */
export function validateSeed(seed: unknown): asserts seed is number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new TypeError(`Seed must be a non-negative integer, got ${String(seed)}`);
  }
}

/**
 * A seeded pseudo-random generator with numpy-`Generator`-like draws.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * rng.uniform(-0.05, 0.05); // same value for every run with seed 42
 * rng.integers(0, 4);       // 0, 1, 2 or 3
 * rng.normal(0, 1);
 * ```
 */
export class Rng {
  /** The seed the generator was built from (after entropy, if none was given). */
  readonly seed: number;
  private prng: seedrandom.StatefulPRNG<seedrandom.State.Alea>;
  private spareNormal = Number.NaN;

  /** @param seed non-negative integer; omitted → fresh OS entropy. */
  constructor(seed?: number) {
    if (seed === undefined) seed = entropySeed();
    validateSeed(seed);
    this.seed = seed;
    this.prng = seedrandom.alea(String(seed), { state: true });
  }

  /** A float in [0, 1) with 53 random bits (numpy `random()`). */
  random(): number {
    return this.prng.double();
  }

  /** A float in [low, high) (numpy `uniform(low, high)`). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.prng.double();
  }

  /**
   * An integer in [low, high) (numpy `integers(low, high)`); with one
   * argument, in [0, low).
   */
  integers(low: number, high?: number): number {
    if (high === undefined) {
      high = low;
      low = 0;
    }
    if (!(high > low)) throw new RangeError(`integers(low, high) needs high > low, got low=${low}, high=${high}`);
    return low + Math.floor(this.prng.double() * (high - low));
  }

  /** A normal draw with mean `loc` and standard deviation `scale` (Marsaglia polar method). */
  normal(loc = 0, scale = 1): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = Number.NaN;
      return loc + scale * z;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.prng.double() - 1;
      v = 2 * this.prng.double() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * factor;
    return loc + scale * u * factor;
  }

  /** An exponential draw with the given scale (mean). */
  exponential(scale = 1): number {
    return -scale * Math.log(1 - this.prng.double());
  }

  /** A Gamma(shape, scale) draw (Marsaglia & Tsang 2000). */
  gamma(shape: number, scale = 1): number {
    if (!(shape > 0)) throw new RangeError(`gamma shape must be > 0, got ${shape}`);
    if (shape < 1) {
      // Boost: Gamma(a) = Gamma(a + 1) · U^(1/a).
      return this.gamma(shape + 1, scale) * Math.pow(this.prng.double(), 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.prng.double();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  }

  /** A Beta(a, b) draw, via two Gamma draws. */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x / (x + y);
  }

  /** A uniformly chosen element of a non-empty array. */
  choice<T>(items: ArrayLike<T>): T {
    if (items.length === 0) throw new RangeError('choice() needs a non-empty array');
    return items[Math.floor(this.prng.double() * items.length)];
  }

  /** An index drawn with the given (non-negative, summing to 1) probabilities. */
  categorical(probabilities: ArrayLike<number>): number {
    const u = this.prng.double();
    let cumulative = 0;
    for (let i = 0; i < probabilities.length; i++) {
      cumulative += probabilities[i];
      if (u < cumulative) return i;
    }
    return probabilities.length - 1;
  }

  /** Shuffles an array in place (Fisher–Yates) and returns it. */
  shuffle<T, A extends { length: number; [index: number]: T }>(items: A): A {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.prng.double() * (i + 1));
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** Snapshot of the generator, restorable with {@link Rng.setState}. */
  getState(): RngState {
    const { c, s0, s1, s2 } = this.prng.state();
    const spareNormal = Number.isNaN(this.spareNormal) ? null : this.spareNormal;
    return { algorithm: 'alea', seed: this.seed, registers: { c, s0, s1, s2 }, spareNormal };
  }

  /** Restores a snapshot taken with {@link Rng.getState}. */
  setState(state: RngState): void {
    if (state.algorithm !== 'alea') throw new TypeError(`Unknown RNG algorithm ${String(state.algorithm)}, expected 'alea'`);
    (this as { seed: number }).seed = state.seed;
    this.prng = seedrandom.alea('', { state: { ...state.registers } });
    this.spareNormal = state.spareNormal ?? Number.NaN;
  }
}
