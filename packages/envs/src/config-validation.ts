/**
 * Config validation for the algorithm packages (bandits, q-learning, policy-gradient, ppo), kept
 * here in the layer they all stand on: every check throws an error that names the config and the
 * field, so a typo or an out-of-range value fails before training starts (TRL's `__post_init__`,
 * CleanRL's typed `Args`).
 */

/**
 * Merges `overrides` over `defaults`, rejecting fields the config does not have; `undefined`
 * keeps the default.
 *
 * @example
 * ```ts
 * mergeConfig('A2CConfig', { gamma: 0.99 }, { gamma: 0.9 }); // { gamma: 0.9 }
 * try {
 *   mergeConfig('A2CConfig', { gamma: 0.99 }, { gama: 0.9 } as never);
 * } catch (error) {
 *   console.log((error as Error).message); // A2CConfig has no field "gama"; known fields: gamma
 * }
 * ```
 */
export function mergeConfig<T extends object>(configName: string, defaults: T, overrides: Partial<T>): T {
  if (overrides === null || typeof overrides !== 'object') throw new TypeError(`${configName} must be an object, got ${String(overrides)}`);
  for (const key of Object.keys(overrides)) {
    if (!(key in defaults)) throw new TypeError(`${configName} has no field "${key}"; known fields: ${Object.keys(defaults).join(', ')}`);
  }
  const merged = { ...defaults };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/**
 * Checks that `value` is a safe integer ≥ `min`.
 *
 * @example
 * ```ts
 * checkInteger('PPOConfig', 'numEnvs', 8, 1); // ok
 * try {
 *   checkInteger('PPOConfig', 'numEnvs', 0, 1);
 * } catch (error) {
 *   console.log((error as Error).message); // PPOConfig.numEnvs must be an integer ≥ 1, got 0
 * }
 * ```
 */
export function checkInteger(configName: string, field: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${configName}.${field} must be an integer ≥ ${min}, got ${String(value)}`);
  }
}

/**
 * Checks that `value` is a finite number in [min, max] (or (min, max] with `minExclusive`).
 *
 * @example
 * ```ts
 * checkRange('PPOConfig', 'gamma', 0.99, 0, 1); // ok
 * try {
 *   checkRange('PPOConfig', 'gamma', 1.5, 0, 1);
 * } catch (error) {
 *   console.log((error as Error).message); // PPOConfig.gamma must be a number in [0, 1], got 1.5
 * }
 * ```
 */
export function checkRange(configName: string, field: string, value: unknown, min: number, max: number, minExclusive = false): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && (minExclusive ? value > min : value >= min) && value <= max;
  if (!ok) throw new RangeError(`${configName}.${field} must be a number in ${minExclusive ? '(' : '['}${min}, ${max}], got ${String(value)}`);
}

/**
 * Checks that `value` is a boolean.
 *
 * @example
 * ```ts
 * checkBoolean('PPOConfig', 'annealLr', true); // ok
 * try {
 *   checkBoolean('PPOConfig', 'annealLr', 'yes');
 * } catch (error) {
 *   console.log((error as Error).message); // PPOConfig.annealLr must be true or false, got yes
 * }
 * ```
 */
export function checkBoolean(configName: string, field: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new TypeError(`${configName}.${field} must be true or false, got ${String(value)}`);
}

/**
 * Checks that `value` is one of `choices`.
 *
 * @example
 * ```ts
 * checkChoice('DQNConfig', 'loss', 'huber', ['mse', 'huber']); // ok
 * try {
 *   checkChoice('DQNConfig', 'loss', 'l1', ['mse', 'huber']);
 * } catch (error) {
 *   console.log((error as Error).message); // DQNConfig.loss must be one of 'mse', 'huber', got l1
 * }
 * ```
 */
export function checkChoice(configName: string, field: string, value: unknown, choices: readonly string[]): void {
  if (typeof value !== 'string' || !choices.includes(value)) {
    throw new RangeError(`${configName}.${field} must be one of ${choices.map((choice) => `'${choice}'`).join(', ')}, got ${String(value)}`);
  }
}

/**
 * Checks that `value` is a non-empty string.
 *
 * @example
 * ```ts
 * checkString('PPOConfig', 'envId', 'CartPole-v1'); // ok
 * try {
 *   checkString('PPOConfig', 'envId', '');
 * } catch (error) {
 *   console.log((error as Error).message); // PPOConfig.envId must be a non-empty string, got
 * }
 * ```
 */
export function checkString(configName: string, field: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`${configName}.${field} must be a non-empty string, got ${String(value)}`);
}
