// `report.md`: what each finished stage left in its `done.json`, as a short Markdown page — SFT
// losses, the reward model's held-out accuracy and normalisation, PPO reward and KL over the steps,
// and summaries before and after PPO.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SummarizeOptions } from './options.js';
import type { PPOSummary } from './ppo.js';
import type { RewardSummary } from './reward.js';
import type { RunDir } from './run-dir.js';
import type { SFTSummary } from './sft.js';

/** `value` with `digits` decimals, or '-' for null/NaN. */
function fixed(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

/** A Markdown table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ⏎ ').trim() || '(empty)';
}

/** At most `count` rows, evenly spread, always with the first and the last. */
function spread<T>(rows: readonly T[], count: number): T[] {
  if (rows.length <= count) return rows.slice();
  return Array.from({ length: count }, (_, i) => rows[Math.round((i * (rows.length - 1)) / (count - 1))]);
}

/**
 * The report of the run as Markdown (sections only for finished stages).
 *
 * @example
 * ```ts
 * const markdown = renderReport(options, { sft, rm, ppo });
 * ```
 */
export function renderReport(options: SummarizeOptions, done: { sft: SFTSummary | null; rm: RewardSummary | null; ppo: PPOSummary | null }): string {
  const lines: string[] = [
    '# rlhf-summarize report',
    '',
    `Stiennon et al. 2020 on \`${options.model}\`: SFT on \`${options.sft}\` → reward model on \`${options.comparisons}\` → PPO. Seed ${options.seed}.`,
    '',
  ];
  const { sft, rm, ppo } = done;
  if (sft) {
    lines.push('## 1. Supervised fine-tuning', '', `${sft.steps} steps on ${sft.trainExamples} examples: last training loss ${fixed(sft.loss)}, held-out loss ${fixed(sft.validationLoss)} (${sft.validationExamples} examples) nats per summary token.`, '');
  }
  if (rm) {
    lines.push(
      '## 2. Reward model',
      '',
      `${rm.steps} steps on ${rm.trainComparisons} comparisons${rm.droppedComparisons > 0 ? ` (${rm.droppedComparisons} dropped: too long for the context)` : ''}.`,
      '',
      `**Held-out accuracy: ${rm.heldOutAccuracy === null ? '- (no held-out comparisons)' : `${(rm.heldOutAccuracy * 100).toFixed(1)}%`}** on ${rm.heldOutComparisons} comparisons (loss ${fixed(rm.heldOutLoss)}).`,
      '',
      `Normalised on ${rm.normalizationSamples} SFT samples to mean 0, std 1: r = ${fixed(rm.gain, 4)}·raw + ${fixed(rm.bias, 4)}; the reference summaries score ${fixed(rm.referenceRewardMean)} on average.`,
      '',
    );
  }
  if (ppo) {
    const first = ppo.history[0];
    const last = ppo.history[ppo.history.length - 1];
    lines.push('## 3. PPO', '', `${ppo.steps} steps over ${ppo.prompts} prompts: reward ${fixed(first?.reward)} → ${fixed(last?.reward)}, KL ${fixed(first?.kl)} → ${fixed(last?.kl)} nats.`, '');
    lines.push('| step | reward | KL | β | summary length |', '|---:|---:|---:|---:|---:|');
    for (const row of spread(ppo.history, 20)) lines.push(`| ${row.step} | ${fixed(row.reward)} | ${fixed(row.kl)} | ${fixed(row.klCoef, 4)} | ${fixed(row.responseLength, 1)} |`);
    lines.push('', '## Summaries before / after PPO', '', 'Greedy summaries of the SFT policy (before) and the PPO policy (after), with the normalised reward.', '');
    lines.push('| prompt | before (SFT) | reward | after (PPO) | reward |', '|---|---|---:|---|---:|');
    for (const s of ppo.samples) lines.push(`| ${cell(s.prompt.slice(-160))} | ${cell(s.before)} | ${fixed(s.beforeReward)} | ${cell(s.after)} | ${fixed(s.afterReward)} |`);
    lines.push('');
  }
  return lines.join('\n');
}

/**
 * Writes `<out>/report.md` from the finished stages' `done.json`; returns its path.
 *
 * @example
 * ```ts
 * const path = await writeReport(run, options);
 * ```
 */
export async function writeReport(run: RunDir, options: SummarizeOptions): Promise<string> {
  const done = { sft: await run.readDone<SFTSummary>('sft'), rm: await run.readDone<RewardSummary>('rm'), ppo: await run.readDone<PPOSummary>('ppo') };
  const path = join(run.out, 'report.md');
  await writeFile(path, renderReport(options, done));
  return path;
}
