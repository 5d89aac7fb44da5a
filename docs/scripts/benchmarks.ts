// Renders benchmarks/results/*.json into the site's "Benchmarks" page at build time, so the tables
// in the docs are always the committed measurements. Each result file says which benchmark wrote
// it (`benchmark`); the renderer knows four kinds (WebGPU kernels, tensor core, GPT training, RL)
// and lists any other file by name. Every field is read defensively: a missing or renamed field
// prints as "—" instead of failing the build, so an older or newer result file still renders.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** One parsed result file: its file name and its JSON content (anything). */
export interface ResultFile {
  /** File name inside the results folder, e.g. `webgpu-nvidia-h100-80gb-hbm3.json`. */
  name: string;
  /** The parsed JSON. */
  data: unknown;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function obj(v: unknown): Obj {
  return isObj(v) ? v : {};
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The placeholder for a value a result file does not have. */
export const MISSING = '—';

/**
 * Formats a number with about three significant figures (integers ≥ 1000 keep every digit, with
 * thousands separators), or {@link MISSING} when `value` is not a finite number.
 *
 * @example
 * ```ts
 * formatNumber(11710);   // '11,710'
 * formatNumber(0.7719);  // '0.772'
 * formatNumber(undefined); // '—'
 * ```
 */
export function formatNumber(value: unknown): string {
  const v = num(value);
  if (v === undefined) return MISSING;
  const a = Math.abs(v);
  if (Number.isInteger(v) || a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a === 0) return '0';
  return v.toPrecision(3);
}

/** Escapes a value for a markdown table cell (pipes, newlines). */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(header: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const sep = header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}

function date(data: Obj): string {
  return str(data.date)?.slice(0, 10) ?? MISSING;
}

function passText(pass: unknown): string {
  return pass === true ? 'pass' : pass === false ? '**missed**' : 'not judged here';
}

/** A short adapter name: "NVIDIA nvidia-h100-80gb-hbm3", "llvmpipe (software)", … */
function adapterName(data: Obj): string {
  const a = obj(data.adapter);
  const vendor = str(a.vendor);
  const device = str(a.device)?.replace(/-+$/, '');
  const description = str(a.description);
  const name = (device !== undefined && vendor !== undefined && !device.includes(vendor) ? `${vendor} ${device}` : device)
    ?? description ?? MISSING;
  return a.isFallbackAdapter === true ? `${name} (software)` : name;
}

function machineText(m: Obj): string {
  const cpu = str(m.cpuModel) ?? str(m.cpu);
  const cores = num(m.cores);
  const parts = [cpu && cores !== undefined ? `${cpu} × ${cores}` : cpu, str(m.node) && `Node ${str(m.node)}`];
  return parts.filter(Boolean).join(', ') || MISSING;
}

function kernelFigure(row: Obj | undefined): { text: string; value?: number; unit?: string; note?: string } {
  if (row === undefined) return { text: '' };
  const status = str(row.status);
  if (status !== undefined && status !== 'measured') {
    // A skipped or failed case: the cell says which, the reason goes under the table.
    const [word, ...reason] = status.split(':');
    return { text: word.trim(), note: reason.join(':').trim() || str(row.error) || str(row.reason) };
  }
  for (const [key, unit] of [['tokensPerSecond', 'tok/s'], ['gflops', 'GFLOP/s'], ['gbps', 'GB/s']] as const) {
    const v = num(row[key]);
    if (v !== undefined) return { text: `${formatNumber(v)} ${unit}`, value: v, unit };
  }
  return { text: MISSING };
}

function kernelCases(data: Obj[]): { id: string; title: string }[] {
  const cases: { id: string; title: string }[] = [];
  for (const d of data) {
    for (const r of arr(d.results).map(obj)) {
      const id = str(r.case);
      if (id !== undefined && !cases.some((c) => c.id === id)) cases.push({ id, title: str(r.title) ?? id });
    }
  }
  return cases;
}

function kernelRow(d: Obj, id: string, library: string): Obj | undefined {
  return arr(d.results).map(obj).find((r) => r.case === id && r.library === library);
}

/** The WebGPU kernel section: Attune on every adapter side by side, then each adapter in detail. */
function kernelSection(files: ResultFile[], tunes: ResultFile[], sweeps: ResultFile[]): string {
  const out: string[] = ['## WebGPU kernels across GPUs', ''];
  if (files.length === 0) return [...out, 'No kernel results are committed yet.', ''].join('\n');
  const data = files.map((f) => obj(f.data));
  const cases = kernelCases(data);
  out.push(
    'Written by `npm run bench --workspace @attune/benchmark-kernels`, one file per adapter. Each cell is the',
    "throughput of Attune's WebGPU backend on that adapter and, in brackets, how it compares with",
    '`@tensorflow/tfjs-backend-webgpu` measured in the same process (above 1×: Attune is faster). A blank cell',
    'means the case was not run on that adapter.',
    '',
  );
  const summary = cases.map(({ id, title }) => [title, ...data.map((d) => {
    const ours = kernelFigure(kernelRow(d, id, 'attune-webgpu'));
    const theirs = kernelFigure(kernelRow(d, id, 'tfjs-webgpu'));
    const ratio = ours.value !== undefined && theirs.value !== undefined && theirs.value > 0 ? ` (${formatNumber(ours.value / theirs.value)}×)` : '';
    return `${ours.text}${ratio}`;
  })]);
  out.push(table(['case', ...data.map(adapterName)], summary, ['l', ...data.map(() => 'r' as const)]), '');
  for (const d of data) {
    const a = obj(d.adapter);
    out.push(`### ${adapterName(d)}`, '');
    out.push(`${str(a.description) ?? MISSING}; ${date(d)}, ${machineText(obj(d.machine))}${d.quick === true ? ', quick run' : ''}.`, '');
    const notes: string[] = [];
    const noteMark = (note: string | undefined): string => {
      if (note === undefined || note === '') return '';
      let i = notes.indexOf(note);
      if (i < 0) i = notes.push(note) - 1;
      return ` (${i + 1})`;
    };
    const rows = cases.filter(({ id }) => arr(d.results).some((r) => obj(r).case === id)).map(({ id, title }) => {
      const figures = ['attune-webgpu', 'tfjs-webgpu', 'attune-cpu'].map((lib) => kernelFigure(kernelRow(d, id, lib)));
      const [ours, theirs] = figures;
      const ratio = ours.value !== undefined && theirs.value !== undefined && theirs.value > 0 ? `${formatNumber(ours.value / theirs.value)}×` : '';
      return [title, ...figures.map((f) => `${f.text}${noteMark(f.note)}`), ratio];
    });
    out.push(table(['case', 'Attune WebGPU', 'tfjs-webgpu', 'Attune CPU', 'Attune / tfjs'], rows, ['l', 'r', 'r', 'r', 'r']), '');
    for (const [i, n] of notes.entries()) out.push(`${i + 1}. ${n}`);
    if (notes.length > 0) out.push('');
    const bars = arr(d.bars).map(obj);
    if (bars.length > 0) {
      out.push('Bars:', '');
      for (const b of bars) {
        const note = str(b.note) ? ` (${str(b.note)})` : '';
        out.push(`- ${str(b.name) ?? MISSING}: ${formatNumber(b.value)}, target ${formatNumber(b.target)}: ${passText(b.pass)}${note}`);
      }
      out.push('');
    }
  }
  const method = data.map((d) => str(d.method)).find(Boolean);
  if (method !== undefined) out.push(`Method: ${method}`, '');
  if (tunes.length > 0) {
    out.push('### Matmul tilings (scalar kernel)', '', 'Written by `tune-matmul`, the tuner before `npm run tune` (GFLOP/s per tiling and size).', '');
    for (const t of tunes) {
      const d = obj(t.data);
      const sizes = arr(d.sizes).map(num).filter((x): x is number => x !== undefined);
      const tilings = [...new Set(arr(d.rows).map((r) => str(obj(r).tiling)).filter((x): x is string => x !== undefined))];
      const rows = tilings.map((tiling) => [
        tiling === d.best ? `**${tiling}** (chosen)` : tiling,
        ...sizes.map((size) => {
          const r = arr(d.rows).map(obj).find((x) => x.tiling === tiling && x.size === size);
          return r === undefined ? '' : kernelFigure(r).text;
        }),
      ]);
      out.push(`**${adapterName(d)}**, ${date(d)}:`, '', table(['tiling', ...sizes.map((x) => `${x}²`)], rows, ['l', ...sizes.map(() => 'r' as const)]), '');
    }
  }
  if (sweeps.length > 0) {
    out.push('### Kernel variants', '', 'Written by `npm run tune --workspace @attune/benchmark-kernels`: each kernel variant on one adapter (GPU time); the fastest at the largest size in bold. Matmul tilings are tileM×tileN×tileK×blockM×blockN, an `s` marking the scalar kernel.', '');
    for (const t of sweeps) {
      const d = obj(t.data);
      const rows = arr(d.rows).map(obj);
      const best = obj(d.best);
      out.push(`**${adapterName(d)}**, ${date(d)}:`, '');
      for (const group of [...new Set(rows.map((r) => str(r.group)).filter((x): x is string => x !== undefined))]) {
        const mine = rows.filter((r) => r.group === group);
        const shapes = [...new Set(mine.map((r) => str(r.shape)).filter((x): x is string => x !== undefined && x !== ''))];
        const winner = Object.entries(best).find(([key]) => key.startsWith(`${group} `))?.[1];
        const variants = [...new Set(mine.map((r) => str(r.variant)).filter((x): x is string => x !== undefined))];
        const cells = variants.map((variant) => [
          variant === winner ? `**${variant}**` : variant,
          ...shapes.map((shape) => kernelFigure(mine.find((r) => r.variant === variant && r.shape === shape)).text),
        ]);
        out.push(table([group, ...shapes], cells, ['l', ...shapes.map(() => 'r' as const)]), '');
      }
    }
  }
  return out.join('\n');
}

function peerLabel(p: Obj): string {
  const label = str(p.label) ?? str(p.id) ?? MISSING;
  const threads = num(p.threads);
  return threads === undefined || /thread|worker/.test(label) ? label : `${label} (${threads} thread${threads === 1 ? '' : 's'})`;
}

/** The tensor-core CPU section: peers × cases, with the units the file declares. */
function tensorSection(files: ResultFile[]): string {
  const out: string[] = ['## Tensor core on the CPU', ''];
  out.push('Written by `npm run bench` (`@attune/benchmark-tensor`): every library in its own process on the same machine.', '');
  for (const f of files) {
    const d = obj(f.data);
    const units = obj(d.units);
    const caseIds = Object.keys(units);
    const peers = arr(d.peers).map(obj);
    for (const p of peers) for (const k of Object.keys(obj(p.results))) if (!caseIds.includes(k)) caseIds.push(k);
    out.push(`**${f.name}** — ${date(d)}, ${machineText(obj(d.machine))}.`, '');
    const rows = peers.map((p) => [
      peerLabel(p),
      ...caseIds.map((c) => {
        const r = obj(obj(p.results)[c]);
        const v = num(r.value) ?? num(r.medianMs);
        const ratio = num(obj(p.ratioVsAttune)[c]);
        return v === undefined ? MISSING : `${formatNumber(v)}${ratio !== undefined && ratio !== 1 ? ` (${formatNumber(ratio)}×)` : ''}`;
      }),
    ]);
    out.push(table(['library', ...caseIds.map((c) => `${c}${str(units[c]) ? ` (${str(units[c])})` : ''}`)], rows, ['l', ...caseIds.map(() => 'r' as const)]), '');
    out.push('In brackets: how many times faster Attune is than that library on the case.', '');
    for (const t of arr(d.targets).map(obj)) {
      out.push(`- ${str(t.target) ?? MISSING}: ${formatNumber(t.ratio)}× (bar ≥ ${formatNumber(t.min)}×): ${passText(t.pass)}`);
    }
    if (str(d.methodology)) out.push('', `Method: ${str(d.methodology)}`);
    out.push('');
  }
  return out.join('\n');
}

/** The GPT training section: tokens/s per peer and the ratio. */
function transformerSection(files: ResultFile[]): string {
  const out: string[] = ['## GPT training step', ''];
  out.push('Written by `npm run bench --workspace @attune/benchmark-transformer`.', '');
  const rows = files.flatMap((f) => {
    const d = obj(f.data);
    const flags = arr(obj(d.machine).nodeFlags).map(str).filter(Boolean).join(' ');
    return arr(d.peers).map(obj).map((p) => [
      f.name,
      `${str(p.label) ?? str(p.id) ?? MISSING}${str(obj(p.info).backend) ? ` — ${str(obj(p.info).backend)}` : ''}`,
      formatNumber(p.tokensPerSecond),
      formatNumber(p.ms),
      p.id === 'attune' ? `${formatNumber(d.ratio)}× (bar ≥ ${formatNumber(obj(d.target).min)}×: ${passText(obj(d.target).pass)})` : '',
      [date(d), machineText(obj(d.machine)), flags].filter((s) => s !== '' && s !== MISSING).join(', '),
    ]);
  });
  const workload = files.map((f) => obj(obj(f.data).workload)).find((w) => str(w.model));
  if (workload !== undefined) out.push(`Workload: ${str(workload.model)}, batch ${formatNumber(workload.batchSize)}, ${formatNumber(workload.tokensPerStep)} tokens per step, ${str(workload.optimizer) ?? ''}.`, '');
  out.push(table(['file', 'library', 'tokens/s', 'ms/step', 'Attune vs tfjs-wasm', 'run'], rows, ['l', 'l', 'r', 'r', 'l', 'l']), '');
  return out.join('\n');
}

/** The RL section: each suite's bar and how many seeds met it, plus throughput. */
function rlSection(files: ResultFile[], images: RenderOptions): string {
  const out: string[] = ['## Reinforcement learning', ''];
  out.push('Written by `npm run bench --workspace @attune/benchmark-rl`: returns over several seeds, judged against a bar.', '');
  for (const f of files) {
    const d = obj(f.data);
    out.push(`**${f.name}** — ${date(d)}, ${machineText(obj(d.machine))}.${str(d.note) ? ` ${str(d.note)}` : ''}`, '');
    out.push(renderRlSuites([f], Object.keys(obj(d.suites)), images), '');
    const t = obj(obj(d.suites).throughput);
    if (num(t.endToEndStepsPerSecond) !== undefined) {
      out.push(`Throughput: ${str(t.description) ?? 'end-to-end PPO'}: ${formatNumber(t.endToEndStepsPerSecond)} steps/s (bar ≥ ${formatNumber(obj(t.bar).stepsPerSecond)}: ${passText(t.passed)}).`, '');
    }
  }
  return out.join('\n');
}

/**
 * The RL table for the named suites (in that order) across `files`, with each suite's
 * learning-curve image when {@link RenderOptions.images} lists `rl-<suite>.svg`. A suite no file
 * has is reported as missing rather than dropped.
 *
 * @param files - RL result files (`benchmark: '@attune/benchmark-rl'`).
 * @param ids - suite ids, e.g. `ppo-cartpole`.
 * @param options - which images exist and where.
 *
 * @example
 * ```ts
 * const md = renderRlSuites([{ name: 'rl.json', data: { suites: {} } }], ['ppo-cartpole']);
 * md.includes('no committed result'); // true
 * ```
 */
export function renderRlSuites(files: ResultFile[], ids: readonly string[], options: RenderOptions = {}): string {
  const rows: string[][] = [];
  const plots: string[] = [];
  for (const id of ids) {
    const file = files.find((f) => isObj(obj(obj(f.data).suites)[id]));
    if (file === undefined) {
      rows.push([id, 'no committed result', MISSING, MISSING, MISSING, MISSING, MISSING, MISSING]);
      continue;
    }
    const suite = obj(obj(obj(file.data).suites)[id]);
    const bar = obj(suite.bar);
    if (num(bar.threshold) === undefined) continue;
    const runs = arr(suite.runs).map(obj);
    const crossed = runs.map((r) => num(r.crossedAtStep)).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
    const medianCross = crossed.length > 0 ? crossed[Math.floor((crossed.length - 1) / 2)] : undefined;
    const finals = runs.map((r) => num(r.finalMeanReturn)).filter((x): x is number => x !== undefined);
    const meanFinal = finals.length > 0 ? finals.reduce((a, b) => a + b, 0) / finals.length : undefined;
    const sps = runs.map((r) => num(r.stepsPerSecond)).filter((x): x is number => x !== undefined);
    const barText = `mean return ≥ ${formatNumber(bar.threshold)} ${bar.kind === 'at' ? 'at' : 'by'} step ${formatNumber(bar.steps)}`;
    rows.push([
      id, str(suite.description) ?? MISSING, barText,
      `${formatNumber(suite.seedsPassed)} / ${formatNumber(suite.seedsRun)} (need ${formatNumber(bar.seedsRequired)})`,
      formatNumber(medianCross), formatNumber(meanFinal),
      sps.length > 0 ? formatNumber(sps.reduce((a, b) => a + b, 0) / sps.length) : MISSING,
      passText(suite.passed),
    ]);
    if (options.images?.includes(`rl-${id}.svg`)) plots.push(id);
  }
  const out = [table(['suite', 'what', 'bar', 'seeds passed', 'median step the bar was crossed', 'mean final return', 'env steps/s', 'result'], rows, ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'l'])];
  if (plots.length > 0) {
    out.push('', 'Learning curves (mean return against environment steps, one line per seed):');
    for (const id of plots) out.push('', `![${id} learning curves](${options.imageBase ?? ''}rl-${id}.svg)`);
  }
  return out.join('\n');
}

/** Where the RL learning-curve images live, for {@link renderBenchmarks}. */
export interface RenderOptions {
  /** File names present next to the results (e.g. `rl-ppo-cartpole.svg`); a suite's plot is shown when listed. */
  images?: readonly string[];
  /** Path prefix, relative to the generated page, of those images (ends in `/`). */
  imageBase?: string;
}

/**
 * Renders the Benchmarks page (markdown) from parsed result files. Files whose name ends in
 * `.partial.json` are interrupted runs and are listed, not tabulated; files of an unknown
 * benchmark are listed by name.
 *
 * @param files - the result files, in any order (they are sorted by name).
 * @param options - which learning-curve images exist and where.
 * @returns the page's markdown, with a YAML front matter title.
 *
 * @example
 * ```ts
 * const md = renderBenchmarks([{ name: 'x.json', data: { benchmark: 'something-new' } }]);
 * md.includes('x.json'); // true
 * ```
 */
export function renderBenchmarks(files: ResultFile[], options: RenderOptions = {}): string {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const complete = sorted.filter((f) => !f.name.endsWith('.partial.json'));
  const partial = sorted.filter((f) => f.name.endsWith('.partial.json'));
  const kind = (f: ResultFile) => str(obj(f.data).benchmark);
  const kernels = complete.filter((f) => kind(f) === '@attune/benchmark-kernels');
  const tunes = complete.filter((f) => kind(f) === undefined && str(obj(f.data).best) !== undefined && Array.isArray(obj(f.data).rows));
  const sweeps = complete.filter((f) => kind(f) === '@attune/benchmark-kernels/tune');
  const tensor = complete.filter((f) => kind(f) === '@attune/benchmark-tensor');
  const transformer = complete.filter((f) => kind(f) === '@attune/benchmark-transformer');
  const rl = complete.filter((f) => kind(f) === '@attune/benchmark-rl');
  const known = new Set([...kernels, ...tunes, ...sweeps, ...tensor, ...transformer, ...rl]);
  const other = complete.filter((f) => !known.has(f));
  const out = [
    '---',
    'title: Benchmarks',
    'group: Guides',
    '---',
    '',
    '# Benchmarks',
    '',
    'This page is generated by the docs build from `benchmarks/results/*.json` (the measurements committed',
    'with the code); rerun a benchmark and rebuild the docs to update it. Speed bars are ratios against a peer',
    'library measured in the same run, never absolute times, because most runs happen on shared machines.',
    '',
    kernelSection(kernels, tunes, sweeps),
    tensorSection(tensor),
    transformerSection(transformer),
    rlSection(rl, options),
  ];
  if (partial.length > 0 || other.length > 0) {
    out.push('## Files not tabulated', '');
    for (const f of partial) out.push(`- \`${f.name}\`: an interrupted or partial run (${date(obj(f.data))}).`);
    for (const f of other) out.push(`- \`${f.name}\`: benchmark \`${kind(f) ?? 'unknown'}\`, which this page does not know how to render.`);
    out.push('');
  }
  return out.join('\n');
}

/**
 * Reads every `*.json` file in `dir` (sorted by name) and the names of the `.svg` images next to
 * them. A file that is not valid JSON throws an error naming it.
 *
 * @param dir - the results folder, e.g. `benchmarks/results`.
 *
 * @example
 * ```ts
 * const { files, images } = readResults('benchmarks/results');
 * ```
 */
export function readResults(dir: string): { files: ResultFile[]; images: string[] } {
  const names = readdirSync(dir).sort();
  const files = names.filter((n) => n.endsWith('.json')).map((name) => {
    const text = readFileSync(join(dir, name), 'utf8');
    try {
      return { name, data: JSON.parse(text) as unknown };
    } catch (error) {
      throw new Error(`${join(dir, name)} is not valid JSON: ${(error as Error).message}`);
    }
  });
  return { files, images: names.filter((n) => n.endsWith('.svg')) };
}

/**
 * Reads the result files in `dir` and renders the Benchmarks page.
 *
 * @param dir - the results folder.
 * @param imageBase - the path from the generated page to `dir`, ending in `/`.
 *
 * @example
 * ```ts
 * const md = renderBenchmarksFromDir('benchmarks/results', '../../../benchmarks/results/');
 * ```
 */
export function renderBenchmarksFromDir(dir: string, imageBase = ''): string {
  const { files, images } = readResults(dir);
  return renderBenchmarks(files, { images, imageBase });
}
