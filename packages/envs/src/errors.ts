/**
 * Error types the environments throw, named after Gymnasium's
 * `gymnasium/error.py`, with messages that name the offending value and what
 * was expected.
 */
import { describeValue, type Space } from './spaces.js';

/**
 * `step()` was called before `reset()`, or after the episode ended without a
 * new `reset()` (Gymnasium's `ResetNeeded`).
 *
 * @example
 * ```ts
 * try { make('CartPole-v1').step(0); } catch (error) { error instanceof ResetNeededError; } // true
 * ```
 */
export class ResetNeededError extends Error {
  override name = 'ResetNeededError';
}

/**
 * An action outside the env's action space.
 *
 * @example
 * ```ts
 * const env = make('CartPole-v1');
 * env.reset({ seed: 0 });
 * env.step(2); // InvalidActionError: CartPoleEnv.step: action 2 is not in the action space Discrete(2) …
 * ```
 */
export class InvalidActionError extends RangeError {
  override name = 'InvalidActionError';
  /** The rejected action. */
  readonly action: unknown;

  constructor(where: string, action: unknown, space: Space<unknown>, hint?: string) {
    super(`${where}: action ${describeValue(action)} is not in the action space ${String(space)}${hint === undefined ? '' : ` (${hint})`}`);
    this.action = action;
  }
}

/**
 * `make`/`spec` got an id the registry doesn't know (Gymnasium's
 * `NameNotFound`/`VersionNotFound`); the message lists close matches.
 *
 * @example
 * ```ts
 * make('CartPole-v9'); // UnknownEnvError: Environment id 'CartPole-v9' is not registered. Did you mean: 'CartPole-v1', 'CartPole-v0'?
 * ```
 */
export class UnknownEnvError extends Error {
  override name = 'UnknownEnvError';
  /** The requested id. */
  readonly id: string;
  /** Registered ids close to it, best first. */
  readonly suggestions: readonly string[];

  constructor(id: string, suggestions: readonly string[]) {
    const hint = suggestions.length > 0 ? ` Did you mean: ${suggestions.map((s) => `'${s}'`).join(', ')}?` : '';
    super(`Environment id '${id}' is not registered.${hint} (envIds() lists every id)`);
    this.id = id;
    this.suggestions = suggestions;
  }
}
