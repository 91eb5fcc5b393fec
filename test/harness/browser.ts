/**
 * Debian's Chromium driven by playwright-core, for end-to-end tests of the console and the portal.
 * Never downloads a browser (`npx playwright install` cannot work here): it uses /usr/bin/chromium, or
 * SPOOL_CHROMIUM. Headless, no network services of its own (no QUIC, sync, component updates), so it only
 * ever talks to the loopback server under test. Screenshots land in test-results/screenshots (gitignored).
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = process.env.SPOOL_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../test-results/screenshots');

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Why the browser tests cannot run here, or undefined when they can. */
export function chromiumUnavailable(): string | undefined {
  return fs.existsSync(CHROMIUM) ? undefined : `Chromium not found at ${CHROMIUM} (install the Debian package "chromium", or set SPOOL_CHROMIUM)`;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

export interface ViewportOptions {
  width?: number;
  height?: number;
}

/** A fresh browser context (own cookies) whose pages fail fast instead of hanging on a broken step. */
export async function newContext(browser: Browser, opts: ViewportOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 }, locale: 'en-GB', acceptDownloads: true });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
  return context;
}

/** Collects console errors and CSP violations of a page, so a test can assert there were none. */
export function watchPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** Full-page screenshot test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Screenshot of one element (a report, a panel): test-results/screenshots/<name>.png. */
export async function screenshotOf(locator: Locator, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await locator.screenshot({ path: file });
  return file;
}

/**
 * Form controls a screen reader could not name: visible inputs, selects and textareas without a <label>,
 * aria-label or aria-labelledby. An accessibility guard for every page the tests visit.
 */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(`[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    .map((el) => el.name || el.id || el.outerHTML.slice(0, 80))`);
}
