/**
 * The progress display of long commands: a cli-progress bar (step/total, steps/s, ETA and the key
 * metric) on a terminal, a plain line every 15 s when stdout is not a terminal (logs, CI), nothing
 * with `--quiet`.
 */
import cliProgress from 'cli-progress';

/** Formats seconds as `m:ss` or `h:mm:ss`. */
function formatTime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/**
 * One progress display.
 *
 * @example
 * ```ts
 * const bar = new ProgressDisplay('ppo', 500_000, 'steps', { quiet: false });
 * bar.update(2048, 'return', 23.4);
 * bar.stop();
 * ```
 */
export class ProgressDisplay {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly lines: boolean;
  private firstStep = -1;
  private started = 0;
  private lastLine = 0;

  constructor(
    private readonly name: string,
    private readonly total: number,
    private readonly unit: string,
    options: { quiet: boolean; tty?: boolean; print?: (line: string) => void },
  ) {
    const tty = options.tty ?? process.stdout.isTTY === true;
    this.print = options.print ?? ((line) => console.log(line));
    this.lines = !options.quiet && !tty;
    this.bar =
      options.quiet || !tty
        ? null
        : new cliProgress.SingleBar(
            { format: `${name} [{bar}] {value}/{total} ${unit} | {speed} ${unit}/s | ETA {eta_formatted} | {metricName} {metric}`, barsize: 24, hideCursor: true, etaBuffer: 50 },
            cliProgress.Presets.shades_classic,
          );
    this.bar?.start(total, 0, { speed: '-', metricName: '', metric: '-' });
  }

  private readonly print: (line: string) => void;

  /**
   * Moves to `step` with the key metric's current value.
   *
   * @example
   * ```ts
   * bar.update(4096, 'return', 41.2);
   * ```
   */
  update(step: number, metricName: string, metric: number): void {
    const now = performance.now();
    if (this.firstStep < 0) {
      // Rates and the ETA count from the first report, so start-up (and a resumed part) does not skew them.
      this.firstStep = step;
      this.started = now;
      this.lastLine = now;
    }
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? (step - this.firstStep) / seconds : 0;
    const shown = Number.isFinite(metric) ? metric.toFixed(metric !== 0 && Math.abs(metric) < 10 ? 3 : 1) : '-';
    this.bar?.update(Math.min(step, this.total), { speed: rate > 0 ? rate.toFixed(0) : '-', metricName, metric: shown });
    if (this.lines && now - this.lastLine > 15_000) {
      this.lastLine = now;
      const eta = rate > 0 ? (this.total - step) / rate : Number.NaN;
      this.print(`${this.name} ${step}/${this.total} ${this.unit} | ${rate.toFixed(0)} ${this.unit}/s | ETA ${formatTime(eta)} | ${metricName} ${shown}`);
    }
  }

  /** Whether a terminal bar is drawn (other output would break its line). */
  get drawing(): boolean {
    return this.bar !== null;
  }

  /** Stops drawing (leaves the last frame on screen). */
  stop(): void {
    this.bar?.stop();
  }
}
