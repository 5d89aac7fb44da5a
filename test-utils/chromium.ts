// Headless Chromium for the browser tests (run reports, docs site): Debian's `chromium` driven by
// playwright-core with `executablePath`, so no test tool downloads a browser of its own.
// Without a browser the tests skip, unless REQUIRE_BROWSER=1 (set by .ci/run) makes that a failure.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';

/** Where browser tests save screenshots (CI keeps this folder as an artifact). */
export const artifactsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

/** The Chromium binary: `$CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`, else null. */
export function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p): p is string => typeof p === 'string' && p !== '' && existsSync(p)) ?? null;
}

/** True when the browser tests should run; throws when REQUIRE_BROWSER=1 and no browser exists. */
export function browserAvailable(): boolean {
  if (chromiumPath() !== null) return true;
  if (process.env.REQUIRE_BROWSER === '1') {
    throw new Error('REQUIRE_BROWSER=1 but no Chromium was found (set CHROMIUM_PATH or install Debian\'s chromium)');
  }
  return false;
}

/**
 * Launches headless Chromium with the flags a closed network needs (no background networking,
 * no component updates, no sync), a fresh profile, and no GPU.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (executablePath === null) throw new Error('no Chromium found (set CHROMIUM_PATH or install Debian\'s chromium)');
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** Path for a screenshot named `name` under {@link artifactsDir} (folder created). */
export function screenshotPath(name: string): string {
  mkdirSync(join(artifactsDir, 'screenshots'), { recursive: true });
  return join(artifactsDir, 'screenshots', name);
}
