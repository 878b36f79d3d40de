/**
 * The newcomer's path through the dashboard, in Debian's Chromium: open the demo with the printed link, start
 * evacuate-east-approved after the pre-flight table, watch tasks progress and east's traffic fall, pause and resume,
 * approve each promotion from the link of the chat message that asks for it, reach the end, then restore east with
 * restore-east, without a console error. Then an alert proposes the emergency evacuation: it shows at the top with its pre-flight and the
 * alert, the chat sink gets the Slack message, its link opens the approval dialog, and approving starts it.
 * Screenshots go to test-results/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../src/cli/demo.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = join(ROOT, 'test-results', 'browser');
const available = existsSync(CHROMIUM);
if (!available && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing; the browser test must run in CI`);

/** Simulated seconds per wall second: evacuate-east (about 35 simulated minutes) in about forty seconds. */
const SPEED = 60;
/**
 * A Monday evening: the reference schedule's next test is due on Tuesday at 10:00, more than fourteen simulated hours
 * (wall minutes) away, so that no test starts by itself while this one drives the dashboard.
 */
const START_MS = Date.parse('2026-03-02T19:30:00Z');

let demo: Demo;
let context: BrowserContext;
let page: Page;
let profile: string;
const consoleErrors: string[] = [];
let chat: Server;
/** What the chat sink received: Slack incoming-webhook bodies. */
const messages: { text: string; blocks: { type: string; elements?: { url?: string }[] }[] }[] = [];

async function ensureDashboardBuilt(): Promise<void> {
  if (existsSync(join(ROOT, 'web', 'dist', 'index.html'))) return;
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'warn' });
}

async function eastShare(): Promise<number> {
  return Number(await page.getByTestId('dc-share-east').getAttribute('data-value'));
}

async function confirm(reason?: string): Promise<void> {
  const dialog = page.getByTestId('confirm');
  await dialog.waitFor();
  if (reason !== undefined) await page.getByTestId('reason').fill(reason);
  await page.getByTestId('confirm-ok').click();
  try {
    await dialog.waitFor({ state: 'detached', timeout: 60_000 });
  } catch (e) {
    await page.screenshot({ path: join(SHOTS, 'failed-confirm.png'), fullPage: true });
    const shown = await dialog
      .locator('.error')
      .textContent()
      .catch(() => null);
    throw new Error(`the confirmation did not complete${shown ? `: ${shown}` : ''}`, { cause: e });
  }
}

/** The tests' switches in the audit log, in order. */
async function auditActions(): Promise<string[]> {
  const res = await fetch(`${demo.url}/api/v1/audit`, { headers: { authorization: `Bearer ${demo.token}` } });
  const body = (await res.json()) as { entries: { action: string }[] };
  return body.entries.map((e) => e.action).filter((a) => a.startsWith('tests.'));
}

const runTasks = () => page.getByTestId('run').locator('[data-testid=task]');
const succeeded = () => page.getByTestId('run').locator('[data-testid=task][data-state=succeeded]').count();

/**
 * Waits for the shown run to succeed, acting as an operator would: a task waiting in its approval stage is approved
 * through the link of the chat message that asks for it (which selects the task); a task held by a post-condition is
 * selected and overridden, with a reason. Returns the approvals.
 */
async function runToEnd(name: string): Promise<string[]> {
  const deadline = Date.now() + 150_000;
  let overrides = 0;
  const approved: string[] = [];
  while ((await page.getByTestId('run-state').textContent()) !== 'succeeded') {
    if (Date.now() > deadline)
      throw new Error(`the ${name} did not finish: ${await page.getByTestId('run-state').textContent()}`);
    // An approval stage keeps its task running until someone says go.
    const gate = runTasks().and(page.locator('[data-state=running][data-task$="/approve"]')).first();
    const gateId = (await gate.count()) > 0 ? await gate.getAttribute('data-task') : null;
    if (gateId !== null && !approved.includes(gateId)) {
      // Chat was told the task waits for an approval; its link opens the run, selects the task and asks.
      const task = `task=${encodeURIComponent(gateId)}`;
      const link = async () =>
        messages
          .filter((m) => m.text.startsWith('Needs approval'))
          .map((m) => m.blocks.find((b) => b.type === 'actions')?.elements?.[0]?.url ?? '')
          .find((u) => u.includes(task));
      await expect.poll(link, { timeout: 15_000 }).toBeDefined();
      await page.goto((await link())!);
      expect(await page.getByTestId('confirm').locator('h3').textContent()).toBe(`Approve ${gateId}`);
      await confirm('replicas caught up, go');
      await expect.poll(() => page.getByTestId('task-detail').textContent()).toContain('approved');
      approved.push(gateId);
      await page.screenshot({ path: join(SHOTS, `${name}-approved-${approved.length}.png`), fullPage: true });
      continue;
    }
    const blocked = runTasks().and(page.locator('[data-state=blocked]')).first();
    if ((await blocked.count()) > 0 && overrides < 5) {
      await blocked.click();
      // A blocked task can be retried (the server says so, and the dashboard shows what it says).
      const detail = async () => (await page.getByTestId('task-detail').textContent()) ?? '';
      await expect
        .poll(async () => (await page.getByTestId('retry').count()) === 1 || !(await detail()).includes(' · blocked'))
        .toBe(true);
      const override = page.getByTestId('override');
      if ((await override.count()) > 0) {
        await override.click();
        await confirm('verified by hand');
        overrides++;
        await page.screenshot({ path: join(SHOTS, `${name}-override-${overrides}.png`), fullPage: true });
      }
    }
    await page.waitForTimeout(500);
  }
  return approved;
}

describe.skipIf(!available)('dashboard in Chromium', () => {
  beforeAll(async () => {
    await ensureDashboardBuilt();
    mkdirSync(SHOTS, { recursive: true });
    chat = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        messages.push(JSON.parse(body) as (typeof messages)[number]);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => chat.listen(0, '127.0.0.1', r));
    const chatUrl = `http://127.0.0.1:${(chat.address() as AddressInfo).port}/services/T0/B0/demo`;
    demo = await startDemo({ port: 0, speed: SPEED, startMs: START_MS, env: { MAELSTROM_CHAT_WEBHOOK: chatUrl } });
    profile = mkdtempSync(join(tmpdir(), 'maelstrom-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
      viewport: { width: 1600, height: 1000 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => {
      consoleErrors.push(e.message);
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await demo?.close();
    await new Promise<void>((r) => (chat ? chat.close(() => r()) : r()));
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('shows the drain tests per datacenter with the next due, and halts and resumes them with confirmation', async () => {
    await page.goto(demo.dashboardUrl);
    const tests = page.getByTestId('tests');
    await tests.waitFor({ timeout: 30_000 });
    for (const dc of ['east', 'west', 'central']) await page.getByTestId(`tests-row-${dc}`).waitFor();
    // Least recently tested first, never tested in the schedule's order: east on Tuesday, west on Thursday.
    expect(await page.getByTestId('tests-next-east').textContent()).toBe('Tue 3 Mar 10:00');
    expect(await page.getByTestId('tests-next-west').textContent()).toBe('Thu 5 Mar 10:00');
    await page.screenshot({ path: join(SHOTS, '0-tests.png'), fullPage: true });

    await page.getByTestId('halt-tests').click();
    // The halt needs a reason: Confirm stays disabled without one.
    await page.getByTestId('confirm').waitFor();
    expect(await page.getByTestId('confirm-ok').isDisabled()).toBe(true);
    await page.getByTestId('reason').fill('incident in east');
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('tests-halted').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('tests-halted').textContent()).toContain('incident in east');
    expect(await page.getByTestId('tests-next-east').textContent()).toBe('halted');
    await page.screenshot({ path: join(SHOTS, '0-tests-halted.png'), fullPage: true });

    await page.getByTestId('resume-tests').click();
    await confirm('incident over');
    await page.getByTestId('tests-halted').waitFor({ state: 'detached', timeout: 15_000 });
    await page.getByTestId('halt-tests').waitFor();
    expect(await auditActions()).toEqual(['tests.halt', 'tests.resume']);
    // Chat heard of each throw of the switch once, with a link to the drain tests.
    const told = async () => messages.filter((m) => /^Tests (halted|resumed)/.test(m.text)).map((m) => m.text);
    await expect.poll(async () => (await told()).length, { timeout: 15_000 }).toBe(2);
    const [halt, resume] = await told();
    expect(halt).toMatch(
      /^Tests halted: Drain tests halted by .*: incident in east\. No test starts until they are resumed\./,
    );
    expect(halt).toContain('/#tests');
    expect(resume).toMatch(/^Tests resumed: Drain tests resumed by .* \(incident over\): they start again/);
    expect(consoleErrors).toEqual([]);
    // The next test opens the dashboard afresh, with the token in the link.
    await page.goto('about:blank');
  }, 120_000);

  it('drains east from the dashboard (start, progress, pause, resume, approve, end), then restores it', async () => {
    await page.goto(demo.dashboardUrl);
    await page.getByTestId('plan').selectOption('evacuate-east-approved');
    // The token moved from the fragment into sessionStorage; the address bar no longer shows it.
    expect(page.url()).not.toContain('token=');
    await page.getByTestId('preflight').waitFor();
    await expect.poll(() => page.getByTestId('fleet').locator('tbody tr').count()).toBeGreaterThan(5);
    await expect.poll(eastShare).toBeGreaterThan(0.2);
    const before = await eastShare();
    await page.screenshot({ path: join(SHOTS, '1-preflight.png'), fullPage: true });

    await page.getByTestId('start').click();
    await confirm();
    await page
      .getByTestId('run')
      .locator('[data-testid=task][data-state=running]')
      .first()
      .waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, '2-running.png'), fullPage: true });

    await page.getByTestId('pause').click();
    await confirm('checking the graphs');
    await expect.poll(() => page.getByTestId('run-state').textContent(), { timeout: 15_000 }).toBe('paused');
    // Running tasks of a paused run are shown as held.
    const running = page.getByTestId('run').locator('[data-testid=task][data-state=running]');
    await expect
      .poll(
        async () =>
          (await page.getByTestId('run').locator('[data-testid=task].held').count()) === (await running.count()),
      )
      .toBe(true);
    await page.screenshot({ path: join(SHOTS, '3-paused.png'), fullPage: true });
    await page.getByTestId('resume').click();
    await confirm();
    await expect.poll(() => page.getByTestId('run-state').textContent(), { timeout: 15_000 }).not.toBe('paused');

    // Tasks progress: more and more of them succeed until the run ends.
    await expect.poll(succeeded, { timeout: 60_000 }).toBeGreaterThan(3);
    // The plan waits for a person before each promotion; the dashboard offers Approve on the running task.
    expect((await runToEnd('drain')).sort()).toEqual(['message-store/approve', 'user-db/approve']);
    const total = await runTasks().count();
    expect(total).toBe(20);
    // The run's end can reach the page a moment before its last task's state does.
    await expect.poll(succeeded, { timeout: 15_000 }).toBe(total);
    await expect.poll(eastShare, { timeout: 15_000 }).toBeLessThan(before * 0.2);
    await page.getByTestId('history').getByText('evacuate-east-approved').first().waitFor();
    await page.screenshot({ path: join(SHOTS, '4-drained.png'), fullPage: true });

    // And back: the page offers the restore of the drained datacenter.
    await page.getByTestId('next').getByRole('button', { name: 'Prepare restore-east' }).click();
    expect(await page.getByTestId('plan').inputValue()).toBe('restore-east');
    await page.getByTestId('preflight').waitFor();
    await page.getByTestId('start').click();
    await confirm();
    await expect.poll(() => page.getByTestId('run').textContent(), { timeout: 15_000 }).toContain('restore-east');
    expect(await runToEnd('restore')).toEqual([]);
    await expect.poll(succeeded, { timeout: 15_000 }).toBe(await runTasks().count());
    await expect.poll(eastShare, { timeout: 15_000 }).toBeGreaterThan(before * 0.8);
    await page.getByTestId('history').getByText('restore-east').first().waitFor();
    await page.screenshot({ path: join(SHOTS, '5-restored.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  }, 400_000);

  it('an alert proposes the emergency evacuation; the Slack message’s link opens its approval; approved, it runs', async () => {
    const alert = {
      version: '4',
      groupKey: '{}:{alertname="DatacenterErrorRateHigh"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'maelstrom',
      groupLabels: { alertname: 'DatacenterErrorRateHigh' },
      commonLabels: { datacenter: 'east' },
      commonAnnotations: {},
      externalURL: 'http://alertmanager:9093',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'DatacenterErrorRateHigh', datacenter: 'east', severity: 'critical' },
          annotations: { summary: 'east answers 12% errors' },
          startsAt: new Date().toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://prometheus:9090/graph',
          fingerprint: 'b10cbeef',
        },
      ],
    };
    const res = await fetch(`${demo.url}/api/v1/alerts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demo.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(alert),
    });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: { outcome: string; run: string }[] };
    expect(results[0]!.outcome).toBe('proposed');
    const runId = results[0]!.run;

    // At the top of the page: the proposal, its alert and its pre-flight.
    const proposal = page.getByTestId('proposal');
    await proposal.waitFor({ timeout: 15_000 });
    expect(await proposal.textContent()).toContain('evacuate-east-now');
    expect(await proposal.getByTestId('proposal-alert').textContent()).toContain('DatacenterErrorRateHigh');
    await proposal.getByTestId('proposal-preflight').waitFor();
    await page.screenshot({ path: join(SHOTS, '6-proposed.png'), fullPage: true });

    // Chat hears of it, with the deep link first.
    await expect.poll(() => messages.filter((m) => m.text.startsWith('Proposed')).length, { timeout: 15_000 }).toBe(1);
    const message = messages.find((m) => m.text.startsWith('Proposed'))!;
    const link = message.blocks.find((b) => b.type === 'actions')!.elements![0]!.url!;
    expect(link).toBe(`${demo.url}/#run=${runId}`);

    // The link lands on the approval dialog, which needs a reason.
    await page.goto(link);
    const dialog = page.getByTestId('confirm');
    await dialog.waitFor({ timeout: 15_000 });
    expect(await dialog.locator('h3').textContent()).toBe('Approve evacuate-east-now: drain east');
    expect(await page.getByTestId('confirm-ok').isDisabled()).toBe(true);
    await page.screenshot({ path: join(SHOTS, '7-approve-from-link.png'), fullPage: true });
    await confirm('east error rate confirmed on the graphs');
    await page.getByTestId('proposals').waitFor({ state: 'detached', timeout: 15_000 });
    await expect.poll(() => page.getByTestId('run').textContent(), { timeout: 15_000 }).toContain('evacuate-east-now');
    const before = await eastShare();
    expect(await runToEnd('emergency')).toEqual([]);
    await expect.poll(eastShare, { timeout: 15_000 }).toBeLessThan(before * 0.2);

    // The deliveries panel shows what was sent.
    await expect
      .poll(async () => page.getByTestId('deliveries').locator('tr[data-state=delivered]').count(), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: join(SHOTS, '8-emergency-drained.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  }, 300_000);
});
