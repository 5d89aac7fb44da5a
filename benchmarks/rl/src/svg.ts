// A learning-curve plot as a self-contained SVG: one line per seed (mean return over the last 100 episodes against
// environment steps), the bar's return threshold dashed, the bar's step budget dotted.

export interface Curve {
  label: string;
  /** [step, mean return of the last 100 episodes] pairs, increasing in step. */
  points: [number, number][];
}

export interface PlotOptions {
  title: string;
  curves: Curve[];
  /** The return the bar asks for. */
  threshold: number;
  /** The step budget of the bar. */
  barStep: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceStep(range: number, ticks: number): number {
  const raw = range / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function formatSteps(value: number): string {
  if (value >= 1e6) return `${+(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${+(value / 1e3).toFixed(0)}k`;
  return String(value);
}

export function learningCurveSvg(options: PlotOptions): string {
  const width = 720;
  const height = 420;
  const margin = { left: 64, right: 130, top: 40, bottom: 48 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const x = (step: number): number => +(margin.left + (step / options.xMax) * plotWidth).toFixed(1);
  const y = (value: number): number => +(margin.top + (1 - (value - options.yMin) / (options.yMax - options.yMin)) * plotHeight).toFixed(1);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${margin.left}" y="22" font-size="14" font-weight="bold">${escape(options.title)}</text>`);
  // Grid and axes.
  const xStep = niceStep(options.xMax, 5);
  for (let v = 0; v <= options.xMax + 1e-9; v += xStep) {
    parts.push(`<line x1="${x(v)}" y1="${margin.top}" x2="${x(v)}" y2="${margin.top + plotHeight}" stroke="#eee"/>`);
    parts.push(`<text x="${x(v)}" y="${margin.top + plotHeight + 16}" text-anchor="middle">${formatSteps(v)}</text>`);
  }
  const yStep = niceStep(options.yMax - options.yMin, 6);
  for (let v = Math.ceil(options.yMin / yStep) * yStep; v <= options.yMax + 1e-9; v += yStep) {
    parts.push(`<line x1="${margin.left}" y1="${y(v)}" x2="${margin.left + plotWidth}" y2="${y(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${y(v) + 4}" text-anchor="end">${+v.toFixed(2)}</text>`);
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${margin.left + plotWidth / 2}" y="${height - 10}" text-anchor="middle">environment steps</text>`);
  parts.push(`<text transform="translate(16 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">mean return, last 100 episodes</text>`);
  // The bar.
  parts.push(`<line x1="${margin.left}" y1="${y(options.threshold)}" x2="${margin.left + plotWidth}" y2="${y(options.threshold)}" stroke="#000" stroke-dasharray="6 4"/>`);
  parts.push(`<text x="${margin.left + plotWidth + 6}" y="${y(options.threshold) + 4}">bar ${options.threshold}</text>`);
  if (options.barStep < options.xMax) {
    parts.push(`<line x1="${x(options.barStep)}" y1="${margin.top}" x2="${x(options.barStep)}" y2="${margin.top + plotHeight}" stroke="#000" stroke-dasharray="2 3"/>`);
  }
  // Curves and legend.
  options.curves.forEach((curve, i) => {
    const color = COLORS[i % COLORS.length];
    const path = curve.points.map(([step, value]) => `${x(step)},${y(Math.min(Math.max(value, options.yMin), options.yMax))}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${path}"/>`);
    const ly = margin.top + 30 + i * 18;
    parts.push(`<line x1="${margin.left + plotWidth + 8}" y1="${ly}" x2="${margin.left + plotWidth + 28}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${margin.left + plotWidth + 32}" y="${ly + 4}">${escape(curve.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
