/**
 * Debian's Chromium driven by playwright-core, headless on loopback, and axe-core run inside
 * the page. The flags keep Chromium off the network this machine does not have.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface Teardown { teardown(fn: () => unknown): void }

export async function launchBrowser(t: Teardown): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(() => browser.close());
  return browser;
}

export interface AxeViolation { id: string; impact: string | null; help: string; targets: string[] }

/** axe-core's violations on the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE_SOURCE });
  // a string, so this Node-side file needs no DOM typings
  const result = await page.evaluate('axe.run(document, { resultTypes: ["violations"] })') as { violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] };
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
}

/** Violations axe rates serious or critical: the ones a page must not have. */
export const serious = (violations: AxeViolation[]) => violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');

/** Where this run's screenshots go (kept after the run, under tap's own .tap folder). */
export async function screenshotDir(name: string): Promise<string> {
  const dir = path.resolve(process.env.TEST_OUTPUT_DIR ?? '.tap/output', name);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  return dir;
}
