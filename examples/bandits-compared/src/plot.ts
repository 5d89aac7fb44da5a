// A dependency-free SVG line chart: one polyline per series over a shared x range, with axes, ticks and a legend.

export interface Series {
  label: string;
  values: ArrayLike<number>; // y at x = 1, 2, …, values.length
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

/** An SVG document plotting `series` against x = 1…n. */
export function lineChart(series: Series[], options: { title: string; xLabel: string; yLabel: string }): string {
  const width = 760;
  const height = 460;
  const margin = { left: 70, right: 210, top: 40, bottom: 55 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const n = Math.max(...series.map((s) => s.values.length));
  const yMax = niceCeiling(Math.max(...series.flatMap((s) => Array.from(s.values))));
  const x = (i: number) => margin.left + (i / (n - 1)) * plotWidth;
  const y = (v: number) => margin.top + plotHeight - (v / yMax) * plotHeight;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${margin.left + plotWidth / 2}" y="22" text-anchor="middle" font-size="15">${escape(options.title)}</text>`,
  ];
  for (let k = 0; k <= 5; k++) {
    const value = (yMax * k) / 5;
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${y(value)}" y2="${y(value)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${margin.left - 8}" y="${y(value) + 4}" text-anchor="end">${round(value)}</text>`);
    const step = Math.round(((n - 1) * k) / 5);
    parts.push(`<text x="${x(step)}" y="${margin.top + plotHeight + 18}" text-anchor="middle">${step + 1}</text>`);
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${margin.left + plotWidth / 2}" y="${height - 12}" text-anchor="middle">${escape(options.xLabel)}</text>`);
  parts.push(`<text transform="translate(18 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escape(options.yLabel)}</text>`);
  series.forEach((s, index) => {
    const color = COLORS[index % COLORS.length];
    const points = Array.from(s.values, (v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>`);
    const legendY = margin.top + 10 + index * 20;
    parts.push(`<line x1="${width - margin.right + 15}" x2="${width - margin.right + 40}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="3"/>`);
    parts.push(`<text x="${width - margin.right + 46}" y="${legendY + 4}">${escape(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= value) ?? 10 * magnitude;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
