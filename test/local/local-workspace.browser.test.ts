import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  type ApprovalCardView,
  buildApprovalCard,
  encodeButtonValue,
} from '../../handlers/blocks/approval-card.ts';
import type { ConsoleView } from '../../handlers/blocks/home-view.ts';
import { createSlackApp, SLACK_EVENTS_PATH } from '../../handlers/create-slack-app.ts';
import type { SlackUseCases } from '../../handlers/slack-use-cases.ts';
import { createMetrics } from '../../src/http/metrics.ts';
import { type RunningHttpServer, startHttpServer } from '../../src/http/server.ts';
import { createLocalWorkspace, type LocalWorkspace } from '../../src/local/local-workspace.ts';
import { type SlackWebApiDouble, startSlackWebApiDouble } from '../../src/local/slack-web-api-double.ts';
import { type LaunchedChromium, launchChromium } from '../support/launch-chromium.ts';
import { createTestLogger } from '../support/test-logger.ts';

/**
 * The local workspace page in headless Chromium, against the real Bolt transport (createSlackApp)
 * mounted beside the page on Sluice's HTTP server. Every click and message travels as a signed
 * request to /slack/events; what Sluice posts travels through the Slack double's Web API.
 *
 * The core is A RECORDING TEST DOUBLE (`recordingCore` below): it stores what the handlers hand
 * over and answers with fixed replies, so these tests pin the page and the transport while the
 * real core is wired elsewhere. Where the real core would post later (through the outbox), the
 * test posts through the Slack double's Web API itself.
 */

const signingSecret = 'local-workspace-browser-test-secret';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const CAROL = 'U0CAROL001';
const OPS = 'C0OPS00001';
const OPS_LEADS = 'S0OPSLEADS';
const shots = path.resolve(import.meta.dirname, '../../test-results/local-workspace');

type Calls = {
  acceptCommand: Parameters<SlackUseCases['acceptCommand']>[0];
  acceptMessage: Parameters<SlackUseCases['acceptMessage']>[0];
  acceptInteraction: Parameters<SlackUseCases['acceptInteraction']>[0];
  consoleView: Parameters<SlackUseCases['consoleView']>[0];
};
const received = {
  acceptCommand: [] as Calls['acceptCommand'][],
  acceptMessage: [] as Calls['acceptMessage'][],
  acceptInteraction: [] as Calls['acceptInteraction'][],
  consoleView: [] as Calls['consoleView'][],
};
const forget = () => {
  for (const list of Object.values(received)) list.length = 0;
};

const consoleView: ConsoleView = {
  pauses: [],
  retrievalMode: 'hybrid',
  modelMode: 'no-model',
  today: { runs: 12, succeeded: 11, failed: 1, p50Ms: 840, p95Ms: 2300, spendUsd: 0, ceilingUsd: 5 },
  pendingApprovals: [
    {
      approvalId: 'ap_7',
      action: 'http.request',
      requester: ALICE,
      expiresAt: new Date(Date.now() + 1.8e6),
      link: `https://sluice-local.slack.com/archives/${OPS}/p1800000000000100`,
    },
  ],
  deadLetterDepth: 0,
  lastErrors: [{ runId: 'run_3', at: new Date(), message: 'restart-service answered 503' }],
  generatedAt: new Date(),
};

/** A RECORDING TEST DOUBLE of the core: remembers each call, answers with fixed replies. */
const recordingCore: SlackUseCases = {
  async acceptCommand(input) {
    received.acceptCommand.push(input);
    return {
      reply: {
        text: `Working on \`${input.rawText}\` (recording test double)`,
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `⏳ Working on \`${input.rawText}\`…` } }],
      },
    };
  },
  async acceptMessage(input) {
    received.acceptMessage.push(input);
    return { firstInThread: Promise.resolve(false) };
  },
  async acceptInteraction(input) {
    received.acceptInteraction.push(input);
    return {};
  },
  async consoleView(actor) {
    received.consoleView.push(actor);
    return consoleView;
  },
};

const card: ApprovalCardView = {
  approvalId: 'ap_7',
  runId: 'run_42',
  action: 'http.request',
  params: { endpoint: 'restart-service', params: { service: 'payments-worker', environment: 'production' } },
  payloadHash: 'f'.repeat(64),
  risk: 'high',
  ruleId: 'production-needs-two-leads',
  reason: 'production restarts need two ops leads',
  requester: ALICE,
  approvers: { users: [], groups: [OPS_LEADS] },
  quorum: 2,
  requesterMayApprove: false,
  expiresAt: new Date(Date.now() + 30 * 60_000),
  status: 'pending',
  votes: [],
};

let slack: SlackWebApiDouble;
let workspace: LocalWorkspace;
let server: RunningHttpServer;
let chromium: LaunchedChromium;
let page: Page;
/** Script errors and console errors (a refused Content-Security-Policy shows up here too). */
const browserErrors: string[] = [];

async function waitFor<T>(find: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const lastCall = <K extends keyof Calls>(method: K): Calls[K] | undefined =>
  (received[method] as Calls[K][]).at(-1);

/** Posts as the bot through the Slack double's Web API, as the core's outbox would. */
async function botApi(method: string, args: Record<string, unknown>): Promise<{ ok: boolean; ts: string }> {
  const response = await fetch(`${slack.url}${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${slack.token}`, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(args),
  });
  const body = (await response.json()) as { ok: boolean; ts: string };
  assert.equal(body.ok, true, `${method}: ${JSON.stringify(body)}`);
  return body;
}

async function type(text: string, where: 'main' | 'thread' = 'main') {
  const box = page.locator(`#${where}-composer textarea`);
  await box.fill(text);
  await box.press('Enter');
}

async function actAs(userId: string) {
  await page.selectOption('#user-switcher', userId);
  await page.waitForURL((url) => url.searchParams.get('as') === userId);
}

const screenshot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`) });

before(async () => {
  fs.mkdirSync(shots, { recursive: true });
  slack = await startSlackWebApiDouble();
  const logger = createTestLogger();
  const app = createSlackApp({
    mode: 'http',
    botToken: slack.token,
    signingSecret,
    apiUrl: slack.url,
    botUserId: slack.identity.botUserId,
    botId: slack.identity.botId,
    useCases: recordingCore,
    logger,
  });
  let eventsUrl = '';
  workspace = createLocalWorkspace({
    slack,
    appEventsUrl: () => eventsUrl,
    signingSecret,
    mode: 'no-model',
    modeNotice: 'No ANTHROPIC_API_KEY: answers quote the most relevant passages; actions use /agent do.',
    users: [
      { id: ALICE, name: 'alice', realName: 'Alice Archer', title: 'requester' },
      { id: BOB, name: 'bob', realName: 'Bob Baker', title: 'ops lead' },
      { id: CAROL, name: 'carol', realName: 'Carol Chen', title: 'ops lead' },
    ],
    channels: [{ id: OPS, name: 'ops' }],
    usergroups: [{ id: OPS_LEADS, handle: 'ops-leads', name: 'Ops leads', users: [BOB, CAROL] }],
  });
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    logger,
    metrics: createMetrics(),
    routes: { ...workspace.routes, [SLACK_EVENTS_PATH]: app.requestListener! },
  });
  eventsUrl = new URL(SLACK_EVENTS_PATH, server.url).toString();
  chromium = await launchChromium();
  page = await chromium.context.newPage();
  page.setDefaultTimeout(5000);
  page.on('pageerror', (error) => browserErrors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') browserErrors.push(`console: ${message.text()}`);
  });
  await page.goto(`${server.url}?as=${ALICE}&c=${OPS}`);
});

after(async () => {
  await chromium?.close();
  workspace?.close();
  await server?.close();
  await slack?.close();
});

describe('the local workspace page', () => {
  it('says it is a local workspace, not Slack, and which mode Sluice runs in', async () => {
    const banner = page.locator('.local-banner');
    await banner.getByText('Local workspace — not Slack').waitFor();
    assert.match(await banner.innerText(), /Mode: no-model/);
    assert.match(await banner.innerText(), /No ANTHROPIC_API_KEY/);
    assert.match(await page.locator('#main-header .pane-title').innerText(), /#\s*ops/);
  });

  it('suggests the slash command with its usage, and shows the help reply only to who typed it', async () => {
    await page.locator('#main-composer textarea').fill('/ag');
    const hint = page.locator('#main-composer .composer-hint');
    assert.match(await hint.innerText(), /\/agent ask <question> \| do <action> key=value/);
    await screenshot('00-command-hint');
    await type('/agent help');
    await hint.waitFor({ state: 'hidden' });
    const reply = page.locator('.message-ephemeral', { hasText: 'answers from your team' });
    await reply.waitFor();
    assert.match(await reply.innerText(), /Only visible to you/);
    assert.equal(await reply.locator('code', { hasText: '/agent ask <question>' }).count(), 1);
    assert.equal(lastCall('acceptCommand'), undefined, 'help is answered by the handler alone');
    await screenshot('01-agent-help');
  });

  it('delivers `/agent status` to the core and shows its acknowledgement, then a later response_url post', async () => {
    await type('/agent status');
    const call = await waitFor(() => lastCall('acceptCommand'), 'the status command');
    assert.equal(call.command.kind, 'status');
    assert.deepEqual(call.actor, { teamId: slack.identity.teamId, userId: ALICE, channelId: OPS });
    await page.locator('.message-ephemeral', { hasText: 'Working on status' }).waitFor();
    const later = await fetch(call.responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: '*Sluice is running.* 12 runs today, 1 pending approval.' }),
    });
    assert.equal(later.status, 200);
    const followUp = page.locator('.message-ephemeral', { hasText: 'Sluice is running.' });
    await followUp.waitFor();
    assert.equal(await followUp.locator('strong').innerText(), 'Sluice is running.');
  });

  it('keeps ephemeral replies from everyone else', async () => {
    await actAs(BOB);
    await page.locator('.pane-title', { hasText: 'ops' }).waitFor();
    assert.equal(await page.locator('.message-ephemeral').count(), 0);
    await actAs(ALICE);
    await page.locator('.message-ephemeral').first().waitFor();
  });

  it('delivers a message in the DM with the app as a DM event, and a reply in its thread with the thread ts', async () => {
    await page.locator('.sidebar-item[data-conversation=app]').click();
    await page.getByRole('tab', { name: 'Messages' }).click();
    await page.locator('#main-composer textarea[placeholder="Message sluice"]').waitFor();
    await type('how do I rotate the staging database password?');
    const call = await waitFor(() => lastCall('acceptMessage'), 'the DM');
    assert.equal(call.surface, 'dm');
    assert.equal(call.actor.userId, ALICE);
    assert.match(call.actor.channelId, /^D/);
    assert.equal(call.text, 'how do I rotate the staging database password?');
    await botApi('chat.postMessage', {
      channel: call.actor.channelId,
      thread_ts: call.ts,
      text: 'Rotate it with `vault rotate staging-db` [1].',
    });
    await page.getByRole('button', { name: /1 reply/ }).click();
    await page.locator('#thread-body .message', { hasText: 'vault rotate staging-db' }).waitFor();
    forget();
    await type('and in production?', 'thread');
    const reply = await waitFor(() => lastCall('acceptMessage'), 'the thread reply');
    assert.equal(reply.threadTs, call.ts);
    assert.equal(reply.text, 'and in production?');
    await page.locator('#thread-body .message', { hasText: 'and in production?' }).waitFor();
    await screenshot('02-dm-thread');
  });

  it('delivers an @sluice mention in a channel as app_mention, without the mention', async () => {
    await page.locator(`.sidebar-item[data-conversation=${OPS}]`).click();
    // Typed before the pane has switched, the text would be kept as the DM's draft instead.
    await page.locator('#main-composer textarea[placeholder="Message #ops"]').waitFor();
    forget();
    await type('@sluice restart the payments worker in production');
    const call = await waitFor(() => lastCall('acceptMessage'), 'the mention');
    assert.equal(call.surface, 'mention');
    assert.equal(call.text, 'restart the payments worker in production');
    assert.equal(call.actor.channelId, OPS);
    const mine = page.locator('.message', { hasText: 'restart the payments worker' });
    assert.equal(await mine.locator('.mention').innerText(), '@sluice');
  });

  it('keeps the person chosen in the switcher when an update that was in flight for the previous one lands', async () => {
    // Hold the next read of the page's state (the one an incoming message starts), switch the
    // person while it is held, then let it through: its answer is for Alice and must not win.
    let release: (() => void) | undefined;
    let held = false;
    await page.route('**/local/state?*', async (route) => {
      if (!held) {
        held = true;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      }
      await route.continue();
    });
    try {
      await botApi('chat.postMessage', { channel: OPS, text: 'deploy window opens at 14:00' });
      const letThrough = await waitFor(() => release, 'the held state read');
      await page.selectOption('#user-switcher', CAROL);
      letThrough();
      await page.waitForURL((url) => url.searchParams.get('as') === CAROL);
      await page.locator('.message', { hasText: 'deploy window opens at 14:00' }).waitFor();
      assert.equal(await page.locator('#user-switcher').inputValue(), CAROL);
      assert.equal(new URL(page.url()).searchParams.get('as'), CAROL);
    } finally {
      await page.unroute('**/local/state?*');
    }
  });

  it('renders an approval card, and Approve as Bob reaches the core as Bob; the card updates in place', async () => {
    const posted = await botApi('chat.postMessage', { channel: OPS, ...buildApprovalCard(card) });
    await actAs(BOB);
    const cardEl = page.locator(`.message[data-ts="${posted.ts}"]`);
    await cardEl.locator('.bk-header', { hasText: 'Approval needed: http.request' }).waitFor();
    const fields = await cardEl.locator('.bk-field').allInnerTexts();
    assert.equal(fields.length, 6);
    assert.match(fields[0]!, /Requested by\n@Alice Archer/);
    assert.match(fields[3]!, /2 of @ops-leads/);
    assert.equal(
      await cardEl.locator('.bk-field .mention-me').innerText(),
      '@ops-leads',
      'Bob is in the group',
    );
    // The expiry is 30 minutes away: "tomorrow" when the test runs in the last half hour of a day.
    const day = card.expiresAt.toDateString() === new Date().toDateString() ? 'today' : 'tomorrow';
    assert.match(fields[4]!, new RegExp(`Expires\n${day} \\d{1,2}:\\d\\d [AP]M`));
    assert.match(await cardEl.locator('pre').innerText(), /"service": "payments-worker"/);
    assert.equal(await cardEl.locator('.bk-button-primary').innerText(), 'Approve');
    assert.equal(await cardEl.locator('.bk-button-danger').innerText(), 'Reject');
    await screenshot('03-approval-card');

    forget();
    await cardEl.getByRole('button', { name: 'Approve' }).click();
    const vote = await waitFor(() => lastCall('acceptInteraction'), 'the approve click');
    assert.equal(vote.kind, 'approve');
    assert.equal(vote.actor.userId, BOB);
    assert.equal(
      vote.value,
      encodeButtonValue({ approvalId: card.approvalId, payloadHash: card.payloadHash }),
    );
    assert.deepEqual(vote.message, { channel: OPS, ts: posted.ts });

    await botApi('chat.update', {
      channel: OPS,
      ts: posted.ts,
      ...buildApprovalCard({ ...card, votes: [{ userId: BOB, vote: 'approve', at: new Date() }] }),
    });
    await cardEl.locator('.bk-context', { hasText: '@Bob Baker ✅ approved' }).waitFor();
    assert.match(await cardEl.locator('.bk-field').nth(5).innerText(), /1 of 2 approvals/);
    await screenshot('04-approval-card-updated');
  });

  it('opens the reject modal as Carol; Slack refuses a too-short reason, and the reason is sent', async () => {
    await actAs(CAROL);
    const cardEl = page.locator('.message', { hasText: 'Approval needed: http.request' });
    forget();
    await cardEl.getByRole('button', { name: 'Reject' }).click();
    const modal = page.locator('.modal');
    await modal.locator('h2', { hasText: 'Reject request' }).waitFor();
    const reason = modal.getByLabel('Why are you rejecting this?');
    await reason.fill('no');
    await modal.getByRole('button', { name: 'Reject' }).click();
    await modal.locator('.bk-error', { hasText: 'at least 3 characters' }).waitFor();
    assert.equal(lastCall('acceptInteraction'), undefined);
    await screenshot('05-reject-modal-too-short');
    await reason.fill('Too risky while the incident is open');
    assert.equal(await modal.locator('.bk-error').count(), 0, 'editing the field clears its error');
    await modal.getByRole('button', { name: 'Reject' }).click();
    const vote = await waitFor(() => lastCall('acceptInteraction'), 'the rejection');
    assert.equal(vote.kind, 'reject');
    assert.equal(vote.actor.userId, CAROL);
    assert.equal(vote.reason, 'Too risky while the incident is open');
    await modal.waitFor({ state: 'detached' });
  });

  it('renders mrkdwn: emphasis, code, links, mentions, groups and dates, and never markup from text', async () => {
    const at = Math.floor(Date.UTC(2026, 0, 15, 9, 30) / 1000);
    await botApi('chat.postMessage', {
      channel: OPS,
      text: [
        '*bold* _italic_ ~struck~ `inline` <https://example.com/runbook|the runbook> <@U0BOB00001> <!subteam^S0OPSLEADS>',
        `<!date^${at}^{date_short} at {time}|Jan 15, 2026 09:30 UTC> &lt;script&gt;alert(1)&lt;/script&gt;`,
        '```line one\nline <two>```',
        '&gt; quoted',
      ].join('\n'),
    });
    const message = page.locator('.message', { hasText: 'the runbook' });
    await message.waitFor();
    assert.equal(await message.locator('strong').innerText(), 'bold');
    assert.equal(await message.locator('em').innerText(), 'italic');
    assert.equal(await message.locator('s').innerText(), 'struck');
    assert.equal(await message.locator('code').innerText(), 'inline');
    assert.equal(await message.locator('a').getAttribute('href'), 'https://example.com/runbook');
    assert.deepEqual(await message.locator('.mention').allInnerTexts(), ['@Bob Baker', '@ops-leads']);
    assert.equal(await message.locator('time').innerText(), 'Jan 15, 2026 at 9:30 AM');
    assert.match(await message.innerText(), /<script>alert\(1\)<\/script>/);
    assert.equal(await page.locator('script:not([src])').count(), 0);
    assert.equal(await message.locator('pre').innerText(), 'line one\nline <two>');
    assert.equal(await message.locator('blockquote').innerText(), 'quoted');
  });

  it('shows the App Home view published when the Home tab is opened', async () => {
    await actAs(ALICE);
    forget();
    await page.locator('.sidebar-item[data-conversation=app]').click();
    await page.getByRole('tab', { name: 'Home' }).click();
    const home = page.locator('.home-view');
    await home.locator('.bk-header', { hasText: 'Sluice operator console' }).waitFor();
    assert.deepEqual(lastCall('consoleView'), { teamId: slack.identity.teamId, userId: ALICE });
    assert.equal(slack.callsTo('views.publish').at(-1)?.args.user_id, ALICE);
    assert.match(await home.innerText(), /Runs today\n12/);
    assert.match(await home.innerText(), /restart-service answered 503/);
    await screenshot('06-app-home');
    // The pending approval's permalink opens its channel on this page, not a tab to slack.com.
    await home.locator('a.permalink', { hasText: 'http.request' }).click();
    await page.locator(`.sidebar-item.is-active[data-conversation=${OPS}]`).waitFor();
  });

  it('raised no script errors and logged no errors in the browser console', () => {
    assert.deepEqual(browserErrors, []);
  });
});
