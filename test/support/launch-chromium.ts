import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/**
 * Headless Chromium for the browser tests: Debian's `chromium` package, driven by playwright-core
 * (which never downloads a browser). Each launch gets a fresh profile directory, removed on close,
 * and the flags keep Chromium from reaching the network on its own (no sync, no component or
 * background updates, no QUIC).
 */

export const CHROMIUM_PATH = '/usr/bin/chromium';

const flags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchedChromium {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(options: { viewport?: { width: number; height: number } } = {}) {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} is missing: install Debian's chromium package (apt-get install -y chromium); .ci/run does this in CI`,
    );
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-chromium-'));
  // launchPersistentContext is how playwright takes a --user-data-dir of our choosing.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: flags,
    viewport: options.viewport ?? { width: 1360, height: 860 },
    deviceScaleFactor: 1,
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  } satisfies LaunchedChromium;
}
