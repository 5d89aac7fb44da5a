/**
 * Experience replay (Lin 1992; Mnih et al. 2015, "Human-level control through deep reinforcement
 * learning", Methods): a fixed-capacity ring of transitions (s, a, r, s′, terminated) in typed
 * arrays allocated once, sampled uniformly with replacement — Stable-Baselines3's `ReplayBuffer`
 * that CleanRL's `dqn.py` uses (with `handle_timeout_termination=False`: the loop stores the real
 * final observation of a truncated episode and `terminated` alone stops bootstrapping).
 */
import { tensor, type Generator, type Tensor } from '@attune/tensor';

/**
 * A sampled minibatch, as arrays the caller turns into tensors.
 *
 * @example
 * ```ts
 * import { Generator } from '@attune/tensor';
 * const buffer = new ReplayBuffer(1000, 4);
 * for (let i = 0; i < 200; i++) buffer.add([i, 0, 0, 0], i % 2, 1, [i + 1, 0, 0, 0], false);
 * const batch: ReplayBatch = buffer.sample(128, new Generator(0));
 * batch.observations; // Float32Array(128 × 4)
 * ```
 */
export interface ReplayBatch {
  /** s, [B, observationSize]. */
  observations: Float32Array;
  /** a, [B]. */
  actions: Int32Array;
  /** r, [B]. */
  rewards: Float32Array;
  /** s′, [B, observationSize]. */
  nextObservations: Float32Array;
  /** 1 where s′ is terminal, [B]. */
  terminations: Float32Array;
}

/**
 * A ring buffer of discrete-action transitions.
 *
 * @example
 * ```ts
 * import { Generator } from '@attune/tensor';
 * const buffer = new ReplayBuffer(10_000, 4);
 * const observation = [0.01, 0, 0.02, 0];
 * const nextObservation = [0.02, 0.1, 0.02, -0.1];
 * buffer.add(observation, 1, 1, nextObservation, false);
 * const batch = buffer.sample(128, new Generator(0));
 * ```
 */
export class ReplayBuffer {
  /** Maximum number of transitions kept; the oldest is overwritten first. */
  readonly capacity: number;
  /** Flat size of one observation. */
  readonly observationSize: number;
  /** Transitions stored so far, up to `capacity`. */
  size = 0;
  /** Where the next transition goes. */
  position = 0;
  private readonly observations: Float32Array;
  private readonly nextObservations: Float32Array;
  private readonly actions: Int32Array;
  private readonly rewards: Float32Array;
  private readonly terminations: Float32Array;
  private batch: ReplayBatch | null = null;

  constructor(capacity: number, observationSize: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ReplayBuffer: capacity must be a positive integer, got ${capacity}`);
    if (!Number.isInteger(observationSize) || observationSize < 1) throw new RangeError(`ReplayBuffer: observationSize must be a positive integer, got ${observationSize}`);
    this.capacity = capacity;
    this.observationSize = observationSize;
    this.observations = new Float32Array(capacity * observationSize);
    this.nextObservations = new Float32Array(capacity * observationSize);
    this.actions = new Int32Array(capacity);
    this.rewards = new Float32Array(capacity);
    this.terminations = new Float32Array(capacity);
  }

  /** Stores one transition, overwriting the oldest when full. */
  add(observation: ArrayLike<number>, action: number, reward: number, nextObservation: ArrayLike<number>, terminated: boolean): void {
    const i = this.position;
    this.observations.set(observation, i * this.observationSize);
    this.nextObservations.set(nextObservation, i * this.observationSize);
    this.actions[i] = action;
    this.rewards[i] = reward;
    this.terminations[i] = terminated ? 1 : 0;
    this.position = (this.position + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /**
   * `batchSize` transitions drawn uniformly with replacement. The returned arrays are reused by
   * the next call.
   */
  sample(batchSize: number, generator: Generator): ReplayBatch {
    if (this.size === 0) throw new Error('ReplayBuffer.sample: the buffer is empty');
    const n = this.observationSize;
    if (this.batch === null || this.batch.actions.length !== batchSize) {
      this.batch = {
        observations: new Float32Array(batchSize * n),
        actions: new Int32Array(batchSize),
        rewards: new Float32Array(batchSize),
        nextObservations: new Float32Array(batchSize * n),
        terminations: new Float32Array(batchSize),
      };
    }
    const batch = this.batch;
    for (let k = 0; k < batchSize; k++) {
      const i = generator.randint(0, this.size);
      batch.observations.set(this.observations.subarray(i * n, (i + 1) * n), k * n);
      batch.nextObservations.set(this.nextObservations.subarray(i * n, (i + 1) * n), k * n);
      batch.actions[k] = this.actions[i];
      batch.rewards[k] = this.rewards[i];
      batch.terminations[k] = this.terminations[i];
    }
    return batch;
  }

  /** The stored arrays as tensors, for a checkpoint (`replay_buffer.safetensors`). */
  tensors(): Record<string, Tensor> {
    return {
      observations: tensor(this.observations, { shape: [this.capacity, this.observationSize] }),
      next_observations: tensor(this.nextObservations, { shape: [this.capacity, this.observationSize] }),
      actions: tensor(this.actions, { dtype: 'int32' }),
      rewards: tensor(this.rewards),
      terminations: tensor(this.terminations),
    };
  }

  /** Restores arrays saved by `tensors()` and the ring's `size` and `position`. */
  load(tensors: Record<string, Tensor>, state: { size: number; position: number }): void {
    const read = (name: string): ArrayLike<number> => {
      const t = tensors[name];
      if (t === undefined) throw new Error(`ReplayBuffer.load: the checkpoint has no '${name}' tensor`);
      return t.dataSync();
    };
    this.observations.set(read('observations'));
    this.nextObservations.set(read('next_observations'));
    this.actions.set(read('actions'));
    this.rewards.set(read('rewards'));
    this.terminations.set(read('terminations'));
    this.size = state.size;
    this.position = state.position;
  }
}
