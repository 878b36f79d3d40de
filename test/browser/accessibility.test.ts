/**
 * A dashboard anyone can operate, in Debian's Chromium: axe-core finds no violation of the WCAG 2.1 A and AA rules
 * (nor of its best practices) with the dashboard idle, mid-drain and with a dialog open; and the keyboard alone —
 * Tab, Shift+Tab, Enter, typing — starts a run, pauses it, resumes it and aborts it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../src/cli/demo.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '..', '..');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const available = existsSync(CHROMIUM);
if (!available && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing; the browser test must run in CI`);

let demo: Demo;
let context: BrowserContext;
let page: Page;
let profile: string;

/** The little of the page's DOM the checks read (the test is compiled without the DOM's types). */
interface PageGlobals {
  readonly axe?: { run(options: unknown): Promise<{ violations: unknown[] }> };
  readonly document: { readonly activeElement: { getAttribute(name: string): string | null } | null };
}

/** The test id of the element that has the focus. */
const focused = (): Promise<string | null | undefined> =>
  page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.getAttribute('data-testid'));

interface Violation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: ReadonlyArray<{ readonly target: readonly unknown[] }>;
}

/** axe-core's violations of WCAG 2.0/2.1 A and AA and its best practices, one line each (rule, impact, where). */
async function violations(): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const r = await (globalThis as unknown as PageGlobals).axe!.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return r.violations;
  });
  return (found as Violation[]).map(
    (v) => `${v.id} (${v.impact ?? '?'}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

/** Presses Tab until the element with this test id has the focus (Shift+Tab with `back`). */
async function tabTo(testId: string, back = false): Promise<void> {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    if ((await focused()) === testId) return;
  }
  throw new Error(`Tab never reached ${testId}`);
}

/** In the open dialog: type a reason (the reason box has the focus), then Tab to Confirm and press Enter. */
async function confirmByKeyboard(reason: string): Promise<void> {
  const dialog = page.getByTestId('confirm');
  await dialog.waitFor();
  expect(await focused()).toBe('reason');
  await page.keyboard.type(reason);
  await tabTo('confirm-ok');
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'detached', timeout: 30_000 });
}

describe.skipIf(!available)('the dashboard, for everyone', () => {
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'web', 'dist', 'index.html'))) {
      const { build } = await import('vite');
      await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'warn' });
    }
    // Slow enough that the drain is still under way while the page is checked.
    demo = await startDemo({ port: 0, speed: 5 });
    profile = mkdtempSync(join(tmpdir(), 'maelstrom-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
      viewport: { width: 1600, height: 1000 },
      // The dashboard's Content-Security-Policy allows only its own scripts; axe-core is injected beside them.
      bypassCSP: true,
    });
    page = context.pages()[0] ?? (await context.newPage());
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await demo?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('has no WCAG 2.1 A or AA violation idle, mid-drain or with a dialog open; the keyboard runs it', async () => {
    await page.goto(demo.dashboardUrl);
    await page.getByTestId('preflight').waitFor();
    await expect.poll(() => page.getByTestId('fleet').locator('tbody tr').count()).toBeGreaterThan(5);
    expect(await violations(), 'idle').toEqual([]);

    // Start by keyboard: the plan picker, then Start, then the dialog.
    // Choose evacuate-east in the plan picker with the arrow keys.
    await tabTo('plan');
    const picked = () => page.getByTestId('plan').inputValue();
    for (let i = 0; i < 10 && (await picked()) !== 'evacuate-east'; i++) await page.keyboard.press('ArrowDown');
    expect(await picked()).toBe('evacuate-east');
    await expect.poll(() => page.getByTestId('preflight').textContent()).toContain('east');
    await tabTo('start');
    await page.keyboard.press('Enter');
    await page.getByTestId('confirm').waitFor();
    expect(await violations(), 'the start dialog open').toEqual([]);
    await confirmByKeyboard('weekly drain test');
    await page.getByTestId('run').locator('[data-testid=task][data-state=running]').first().waitFor();
    expect(await violations(), 'mid-drain').toEqual([]);

    // Pause and resume by keyboard.
    await tabTo('pause');
    await page.keyboard.press('Enter');
    await confirmByKeyboard('looking at the graphs');
    await expect.poll(() => page.getByTestId('run-state').textContent(), { timeout: 15_000 }).toBe('paused');
    await tabTo('resume');
    await page.keyboard.press('Enter');
    await confirmByKeyboard('carry on');
    await expect.poll(() => page.getByTestId('run-state').textContent(), { timeout: 15_000 }).toBe('running');

    // Escape closes a dialog without acting.
    await tabTo('abort');
    await page.keyboard.press('Enter');
    await page.getByTestId('confirm').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('confirm').waitFor({ state: 'detached' });
    expect(await page.getByTestId('run-state').textContent()).toBe('running');

    // Abort by keyboard (a reason is required).
    await tabTo('abort');
    await page.keyboard.press('Enter');
    await confirmByKeyboard('end of the exercise');
    await expect.poll(() => page.getByTestId('run-state').textContent(), { timeout: 30_000 }).toMatch(/abort/);
    expect(await violations(), 'after the abort').toEqual([]);
  }, 300_000);
});
