// Seeded random number generation. Every random draw in Attune flows from a Generator,
// either one the caller passes or the global default reseeded by `manualSeed`.

import seedrandom from 'seedrandom';

/**
 * Serializable state of a Generator, for checkpoints (`trainer_state.json`).
 *
 * @example
 * ```ts
 * const generator = new Generator(0);
 * const saved: GeneratorState = generator.getState();
 * const a = rand([2], { generator });
 * generator.setState(saved);
 * const b = rand([2], { generator }); // the same values as `a`
 * ```
 */
export interface GeneratorState {
  /** Opaque state of the underlying Alea generator. */
  alea: object;
  /** A cached second normal deviate from Box–Muller, if any. */
  spareNormal: number | null;
}

/**
 * A seeded pseudo-random generator (Alea, from `seedrandom`), the analogue of `torch.Generator`.
 * Sequences are reproducible for a given seed, but differ from PyTorch's.
 *
 * @example
 * ```ts
 * const g = new Generator(42);
 * const x = randn([2, 3], { generator: g });
 * ```
 */
export class Generator {
  private prng: seedrandom.StatefulPRNG<seedrandom.State.Alea>;
  private spareNormal: number | null = null;

  /** Creates a generator seeded with `seed` (any integer or string). */
  constructor(seed: number | string = 0) {
    this.prng = seedrandom.alea(String(seed), { state: true });
  }

  /** Re-seeds the generator in place. */
  manualSeed(seed: number | string): this {
    this.prng = seedrandom.alea(String(seed), { state: true });
    this.spareNormal = null;
    return this;
  }

  /** A uniform float in [0, 1) with 53 bits of randomness. */
  random(): number {
    return this.prng.double();
  }

  /** A uniform integer in [low, high). */
  randint(low: number, high: number): number {
    return low + Math.floor(this.prng.double() * (high - low));
  }

  /** A standard normal deviate (Box–Muller, caching the second deviate). */
  normal(): number {
    if (this.spareNormal !== null) {
      const value = this.spareNormal;
      this.spareNormal = null;
      return value;
    }
    let u = 0;
    while (u === 0) u = this.prng.double();
    const v = this.prng.double();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** Snapshot of the generator's state; `setState` restores it exactly. */
  getState(): GeneratorState {
    return { alea: this.prng.state(), spareNormal: this.spareNormal };
  }

  /** Restores a state captured by `getState`. */
  setState(state: GeneratorState): this {
    if (!state || typeof state !== 'object' || !('alea' in state)) {
      throw new TypeError(`Generator.setState: expected an object from getState(), got ${JSON.stringify(state)}`);
    }
    this.prng = seedrandom.alea('', { state: state.alea as seedrandom.State.Alea });
    this.spareNormal = state.spareNormal ?? null;
    return this;
  }
}

let defaultGenerator = new Generator(0);

/**
 * The global generator used when an op is not given one explicitly.
 *
 * @example
 * ```ts
 * manualSeed(42);
 * const generator = getDefaultGenerator(); // the one rand/randn use without a generator
 * ```
 */
export function getDefaultGenerator(): Generator {
  return defaultGenerator;
}

/**
 * Seeds the global generator, as `torch.manual_seed`.
 *
 * @example
 * ```ts
 * manualSeed(1);
 * const a = rand([3]);
 * manualSeed(1);
 * const b = rand([3]); // same values as a
 * ```
 */
export function manualSeed(seed: number | string): Generator {
  defaultGenerator = new Generator(seed);
  return defaultGenerator;
}
