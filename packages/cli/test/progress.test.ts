// The progress display: plain lines with rate, ETA and the key metric when stdout is not a
// terminal; nothing with --quiet.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProgressDisplay } from '../src/progress.js';
import { defaultRunDir } from '../src/run-dir.js';

afterEach(() => vi.useRealTimers());

describe('ProgressDisplay', () => {
  it('prints a line every 15 s off a terminal: step/total, steps/s, ETA, metric', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const lines: string[] = [];
    const display = new ProgressDisplay('ppo', 10_000, 'steps', { quiet: false, tty: false, print: (line) => lines.push(line) });
    display.update(0, 'return', Number.NaN);
    vi.advanceTimersByTime(5_000);
    display.update(1_000, 'return', 20);
    expect(lines).toEqual([]); // not yet 15 s
    vi.advanceTimersByTime(15_000);
    display.update(4_000, 'return', 41.25);
    display.stop();
    expect(lines).toEqual(['ppo 4000/10000 steps | 200 steps/s | ETA 0:30 | return 41.3']);
  });

  it('prints nothing when quiet', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const lines: string[] = [];
    const display = new ProgressDisplay('dqn', 100, 'steps', { quiet: true, tty: false, print: (line) => lines.push(line) });
    display.update(0, 'return', 1);
    vi.advanceTimersByTime(60_000);
    display.update(50, 'return', 2);
    display.stop();
    expect(lines).toEqual([]);
  });
});

describe('defaultRunDir', () => {
  it('names runs/<name>-<yyyymmdd-hhmmss> in UTC', () => {
    expect(defaultRunDir('ppo-CartPole-v1', new Date('2026-01-02T03:04:05Z'))).toBe('runs/ppo-CartPole-v1-20260102-030405');
  });
});
