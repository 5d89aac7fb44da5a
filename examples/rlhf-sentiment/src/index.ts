/**
 * The sentiment RLHF recipe as a package: its stage list, for tools that drive the script
 * (`attune rlhf sentiment`). The recipe itself is the script `./main` (src/main.ts; dist/main.js
 * once built), run as a process with its own flags (`--out=DIR --quick --stopAfter=STAGE …`).
 */

/**
 * The recipe's stages in execution order, as main.ts runs them (`--stopAfter` takes one of these;
 * a finished stage is skipped when the run directory is run again).
 *
 * @example
 * ```ts
 * STAGES.indexOf('reward-model'); // 3
 * ```
 */
export const STAGES = ['pretrain', 'sft', 'preferences', 'reward-model', 'ppo', 'rejection-sampling', 'dpo', 'evaluate'] as const;

/**
 * One stage of the recipe.
 *
 * @example
 * ```ts
 * const stage: StageName = 'ppo';
 * ```
 */
export type StageName = (typeof STAGES)[number];
