/**
 * Config validation shared by every algorithm in this package: each check
 * throws an error that names the config and the offending field, so a typo
 * or an out-of-range value fails at construction rather than mid-training.
 */

/**
 * Merges `overrides` over `defaults`, rejecting fields the config does not have.
 *
 * @example
 * ```ts
 * const args = mergeConfig('UCB1Config', { numArms: 10 }, { numArms: 5 }); // { numArms: 5 }
 * mergeConfig('UCB1Config', { numArms: 10 }, { arms: 5 } as never); // throws: has no field "arms"
 * ```
 */
export function mergeConfig<T extends object>(configName: string, defaults: T, overrides: Partial<T>): T {
  for (const key of Object.keys(overrides)) {
    if (!(key in defaults)) {
      throw new TypeError(`${configName} has no field "${key}"; known fields: ${Object.keys(defaults).join(', ')}`);
    }
  }
  const merged = { ...defaults };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/**
 * Checks that `value` is an integer no smaller than `min`.
 *
 * @example
 * ```ts
 * checkInteger('UCB1Config', 'numArms', 0, 1); // throws: UCB1Config.numArms must be an integer ≥ 1, got 0
 * ```
 */
export function checkInteger(configName: string, field: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${configName}.${field} must be an integer ≥ ${min}, got ${String(value)}`);
  }
}

/**
 * Checks that `value` is a finite number in `[min, max]` (or `(min, max]` when `minExclusive`).
 *
 * @example
 * ```ts
 * checkRange('UCB1Config', 'explorationCoefficient', -1, 0, Infinity); // throws
 * ```
 */
export function checkRange(configName: string, field: string, value: unknown, min: number, max: number, minExclusive = false): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && (minExclusive ? value > min : value >= min) && value <= max;
  if (!ok) {
    const interval = `${minExclusive ? '(' : '['}${min}, ${max}]`;
    throw new RangeError(`${configName}.${field} must be a number in ${interval}, got ${String(value)}`);
  }
}

/**
 * Checks that `value` is one of `choices`.
 *
 * @example
 * ```ts
 * checkChoice('UCB1Config', 'stepSize', 'harmonic', ['sample-average']); // throws
 * ```
 */
export function checkChoice(configName: string, field: string, value: unknown, choices: readonly string[]): void {
  if (typeof value !== 'string' || !choices.includes(value)) {
    throw new RangeError(`${configName}.${field} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${String(value)}`);
  }
}
