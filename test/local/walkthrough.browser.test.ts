import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { type SluiceApp, startSluice } from '../../src/main.ts';
import { type LaunchedChromium, launchChromium } from '../support/launch-chromium.ts';
import { createEmbeddedTestDatabase } from '../support/test-database.ts';
import { createTestLogger } from '../support/test-logger.ts';

/**
 * MISSION.md's first hour in the local workspace, in headless Chromium, against the whole of
 * Sluice as `npm start` runs it with no Slack and no model: the demo's people, runbooks, policy
 * and restart endpoint. Every click is a signed request to /slack/events.
 */

const ALICE = 'U0DEMOALIC';
const BOB = 'U0DEMOBOB1';
const CAROL = 'U0DEMOCARL';
const OPS = 'C0DEMOOPS1';
const shots = path.resolve(import.meta.dirname, '../../test-results/local-workspace');

let db: Database;
let app: SluiceApp;
let chromium: LaunchedChromium;
let page: Page;

const screenshot = (name: string) =>
  page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: false });

async function type(text: string) {
  const box = page.locator('#main-composer textarea');
  await box.fill(text);
  await box.press('Enter');
}

async function actAs(userId: string) {
  await page.selectOption('#user-switcher', userId);
  await page.waitForURL((url) => url.searchParams.get('as') === userId);
}

async function demoCalls(): Promise<{ body: { environment?: string; service?: string } }[]> {
  const response = await fetch(new URL('demo/restart-service/calls', app.url));
  return ((await response.json()) as { calls: { body: { environment?: string } }[] }).calls;
}

before(async () => {
  fs.mkdirSync(shots, { recursive: true });
  db = await createEmbeddedTestDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-walkthrough-'));
  app = await startSluice(loadConfig({ PORT: '0', SLUICE_DATA_DIR: dataDir }), createTestLogger(), { db });
  chromium = await launchChromium();
  page = await chromium.context.newPage();
  await page.goto(`${app.url}?as=${ALICE}&c=${OPS}`);
});

after(async () => {
  await chromium?.close();
  await app?.stop();
  await db?.close();
});

describe('the first hour in the local workspace', () => {
  it('answers /agent ask with numbered citations from the demo runbooks', async () => {
    await page.locator('.local-banner').getByText('Local workspace — not Slack').waitFor();
    await type('/agent ask how do I rotate the staging database password?');
    const answer = page.locator('.message', { hasText: 'Sources' }).last();
    await answer.waitFor({ timeout: 20_000 });
    const text = await answer.innerText();
    assert.match(text, /\[1\]/);
    assert.match(text, /vault write/);
    assert.match(text, /Staging database/i);
    await screenshot('10-walkthrough-cited-answer');
  });

  it('escalates a production restart; two ops leads approve; the card updates and the endpoint is called once', async () => {
    await type(
      '/agent do http.request endpoint=restart-service params.service=payments-worker params.environment=production',
    );
    const card = page.locator('.message', { hasText: 'Approval needed: http.request' }).last();
    await card.waitFor({ timeout: 20_000 });
    assert.match(await card.innerText(), /Production changes need two ops leads/);
    await screenshot('11-walkthrough-approval-card');
    assert.equal((await demoCalls()).length, 0);

    await actAs(BOB);
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.getByText('1 of 2 approvals').waitFor({ timeout: 20_000 });
    await screenshot('12-walkthrough-one-approval');
    assert.equal((await demoCalls()).length, 0, 'one approval is not enough');

    await actAs(CAROL);
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.getByText('✅ Approved', { exact: true }).waitFor({ timeout: 20_000 });
    await card.getByRole('button', { name: 'Approve' }).waitFor({ state: 'detached', timeout: 20_000 });
    await page.locator('.message', { hasText: '✅ Done: http.request' }).waitFor({ timeout: 20_000 });
    await screenshot('13-walkthrough-approved-and-done');
    const calls = await demoCalls();
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.body.environment, 'production');
    assert.equal(calls[0]!.body.service, 'payments-worker');
  });
});
