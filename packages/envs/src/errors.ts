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
 * try {
 *   env.step(2);
 * } catch (error) {
 *   if (error instanceof InvalidActionError) console.log(error.message); // CartPoleEnv.step: action 2 is not in the action space Discrete(2) …
 * }
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
 * try {
 *   make('CartPole-v9');
 * } catch (error) {
 *   if (error instanceof UnknownEnvError) console.log(error.message); // Environment id 'CartPole-v9' is not registered. Did you mean: 'CartPole-v1', …
 * }
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

/**
 * Throws for option keys an env does not know (Gymnasium raises `TypeError`
 * for an unexpected keyword argument), so a typo such as `is_slippery`
 * is not silently ignored.
 *
 * @example
 * ```ts
 * rejectUnknownOptions('FrozenLakeEnv', { is_slippery: false }, ['isSlippery']);
 * // TypeError: FrozenLakeEnv: unknown option 'is_slippery' (did you mean 'isSlippery'?); expected one of: isSlippery
 * ```
 */
export function rejectUnknownOptions(where: string, options: object | undefined, known: readonly string[]): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object') throw new TypeError(`${where}: options must be an object, got ${typeof options}`);
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const camel = key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
    const hint = known.find((candidate) => candidate.toLowerCase() === camel.toLowerCase());
    throw new TypeError(`${where}: unknown option '${key}'${hint === undefined ? '' : ` (did you mean '${hint}'?)`}; expected one of: ${known.join(', ')}`);
  }
}
