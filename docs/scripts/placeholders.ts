// Guides quote measured numbers through placeholders that the build fills in from the committed
// data, so no number in the prose can drift from its source:
//
//   {{rl-results ppo-cartpole dqn-cartpole}}   benchmarks/results/rl-*.json: those suites' table and curves
//   {{recipe-stages}}                         the RLHF recipe's stages with this run's time per stage
//   {{recipe-ppo-history}}                    gold/proxy reward, KL and β over PPO iterations
//   {{recipe-policies}}                       the held-out evaluation of every policy
//   {{recipe-bars}}                           the recipe's bars and whether this run met them
//   {{recipe-samples}}                        a few held-out prompts with each policy's continuation
//
// An unknown placeholder, or a recipe field the report does not have, fails the build.
import { formatNumber, renderRlSuites, type RenderOptions, type ResultFile } from './benchmarks.ts';

/** What the placeholders are filled from. */
export interface PlaceholderData {
  /** Benchmark result files (only `@attune/benchmark-rl` ones are used). */
  results: ResultFile[];
  /** Learning-curve images next to the results, and the path to them from the generated guide. */
  images: RenderOptions;
  /** The recipe run's report.json, parsed. */
  recipe: Record<string, unknown>;
}

type Obj = Record<string, unknown>;

function field(o: unknown, path: string): unknown {
  let v: unknown = o;
  for (const key of path.split('.')) {
    if (typeof v !== 'object' || v === null || !(key in v)) throw new Error(`the recipe's report.json has no field ${path}`);
    v = (v as Obj)[key];
  }
  return v;
}

function percent(v: unknown): string {
  return typeof v === 'number' ? `${(100 * v).toFixed(1)}%` : '—';
}

function minutes(seconds: unknown): string {
  if (typeof seconds !== 'number') return '—';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function cell(v: unknown): string {
  return String(v).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(header: string[], rows: unknown[][]): string {
  return [header, header.map(() => '---'), ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}

const STAGES: [string, string, string][] = [
  ['pretrain', 'a 2-layer, 128-wide GPT-2 learns Brown-corpus English (word tokens)', '@attune/transformer'],
  ['sft', "the task's format: a 3–6 word prompt, a ~10 word continuation, EOS", '@attune/rlhf'],
  ['preferences', 'K = 4 SFT samples per prompt ranked by the simulated labeller', 'the example'],
  ['reward-model', 'SFT trunk + scalar head, K-way Bradley–Terry loss', '@attune/reward-model'],
  ['ppo', 'PPO against the reward model under an adaptive KL penalty to SFT', '@attune/rlhf'],
  ['rejection-sampling', 'best of K by the reward model, fine-tuned on the winners', '@attune/rlhf'],
  ['dpo', "DPO on each ranking's best-versus-worst pair", '@attune/rlhf'],
  ['evaluate', 'held-out prompts: gold and proxy reward, KL to SFT, win rate against SFT', 'the example'],
];

const HANDLERS: Record<string, (args: string[], data: PlaceholderData) => string> = {
  'rl-results': (args, data) => {
    if (args.length === 0) throw new Error('{{rl-results}} needs at least one suite id');
    const rl = data.results.filter((f) => !f.name.endsWith('.partial.json') && (f.data as Obj | null)?.benchmark === '@attune/benchmark-rl');
    const names = rl.map((f) => `\`${f.name}\``).join(', ');
    return `Measured (${names || 'no RL result file committed'}):\n\n${renderRlSuites(rl, args, data.images)}`;
  },
  'recipe-stages': (_args, data) => {
    const seconds = field(data.recipe, 'stageSeconds') as Obj;
    const rows = STAGES.map(([stage, what, pkg]) => [`\`${stage}\``, what, pkg, minutes(seconds[stage])]);
    rows.push(['', '**whole recipe**', '', `**${minutes(field(data.recipe, 'totalSeconds'))}**`]);
    return table(['stage', 'what happens', 'package', 'time (m:ss)'], rows);
  },
  'recipe-ppo-history': (_args, data) => {
    const history = field(data.recipe, 'ppo.history') as Obj[];
    const every = Math.max(1, Math.ceil(history.length / 10));
    const picked = history.filter((_, i) => i % every === 0 || i === history.length - 1);
    return table(['iteration', 'gold reward', 'proxy reward', 'KL to SFT (nats)', 'β'], picked.map((h) => [
      h.iteration, formatNumber(h.gold), formatNumber(h.proxy), formatNumber(h.kl), formatNumber(h.klCoef),
    ]));
  },
  'recipe-policies': (_args, data) => {
    const results = field(data.recipe, 'evaluation.results') as Obj;
    return table(['policy', 'gold reward', 'proxy reward', 'KL to SFT (nats)', 'win rate vs SFT', 'words'], Object.entries(results).map(([name, r]) => {
      const o = r as Obj;
      return [name, formatNumber(o.gold), formatNumber(o.proxy), formatNumber(o.kl), percent(o.winRate), formatNumber(o.meanLength)];
    }));
  },
  'recipe-bars': (_args, data) => {
    const bars = field(data.recipe, 'bars') as Obj[];
    return table(['bar', 'this run', 'met'], bars.map((b) => [b.bar, b.value, b.pass === true ? 'yes' : b.pass === false ? '**no**' : '—']));
  },
  'recipe-samples': (args, data) => {
    const samples = field(data.recipe, 'evaluation.samples') as Obj[];
    const count = args.length > 0 ? Number(args[0]) : 3;
    return samples.slice(0, count).map((s) => {
      const lines = Object.entries(s).filter(([k]) => k !== 'prompt').map(([k, v]) => `- ${k}: ${cell(v)}`);
      return [`**${cell(s.prompt)} …**`, '', ...lines].join('\n');
    }).join('\n\n');
  },
};

/**
 * Replaces every `{{name args…}}` in `markdown` (outside code blocks) with the generated text.
 *
 * @param markdown - a guide's text.
 * @param data - the committed results and the recipe run.
 * @returns the guide with every placeholder filled in.
 * @throws Error naming the placeholder when it is unknown or its data is missing.
 *
 * @example
 * ```ts
 * expandPlaceholders('Took {{recipe-stages}}', { results: [], images: {}, recipe: { stageSeconds: {}, totalSeconds: 60 } });
 * ```
 */
export function expandPlaceholders(markdown: string, data: PlaceholderData): string {
  const parts = markdown.split(/(^```[\s\S]*?^```)/m);
  return parts.map((part, i) => (i % 2 === 1 ? part : part.replace(/\{\{([a-z-]+)((?: [^\s}]+)*)\}\}/g, (_m, name: string, rest: string) => {
    const handler = HANDLERS[name];
    if (handler === undefined) throw new Error(`unknown placeholder {{${name}}} (known: ${Object.keys(HANDLERS).join(', ')})`);
    try {
      return handler(rest.trim() === '' ? [] : rest.trim().split(/\s+/), data);
    } catch (error) {
      throw new Error(`{{${name}${rest}}}: ${(error as Error).message}`);
    }
  }))).join('');
}
