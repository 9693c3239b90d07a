import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { App, LogLevel } from '@slack/bolt';
import { appMentionEvent } from '../../src/local/slack-payloads.ts';
import { type SlackWebApiDouble, startSlackWebApiDouble } from '../../src/local/slack-web-api-double.ts';
import { verifySlackRequest } from '../../src/slack/request-signature.ts';
import { createSlackDriver, type SlackDriver } from '../support/slack-driver.ts';

/**
 * The driver plays Slack towards a real Bolt app on loopback, whose Web API client points at
 * the Slack double: Bolt verifies the driver's signatures, routes its commands, events and
 * interactions, and its replies land in the double.
 */

const SIGNING_SECRET = 'driver-test-signing-secret';
const GENERAL = 'C0GENERAL1';
const ALICE = 'U0ALICE001';

async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the signed-request driver against a Bolt app', () => {
  let slack: SlackWebApiDouble;
  let server: Server;
  let app: App;
  let driver: SlackDriver;
  const seen: Array<{
    kind: string;
    body: Record<string, unknown>;
    retryNum?: number;
    retryReason?: string;
  }> = [];

  before(async () => {
    slack = await startSlackWebApiDouble({ seed: { users: [{ id: ALICE, name: 'alice' }] } });
    app = new App({
      signingSecret: SIGNING_SECRET,
      token: slack.token,
      botId: slack.identity.botId,
      botUserId: slack.identity.botUserId,
      clientOptions: { slackApiUrl: slack.url },
      logLevel: LogLevel.ERROR,
    });
    app.command('/agent', async ({ ack, command, respond }) => {
      await ack();
      seen.push({ kind: 'command', body: command as unknown as Record<string, unknown> });
      await respond({ text: `Queued: ${command.text}` });
    });
    app.event('app_mention', async ({ event, say, context }) => {
      seen.push({
        kind: 'event',
        body: event as unknown as Record<string, unknown>,
        retryNum: context.retryNum,
        retryReason: context.retryReason,
      });
      await say({ text: 'On it.', thread_ts: event.ts });
    });
    app.action('approve', async ({ ack, body, respond }) => {
      await ack();
      seen.push({ kind: 'action', body: body as unknown as Record<string, unknown> });
      await respond({ replace_original: true, text: 'Approved.' });
    });
    app.view('reject_reason', async ({ ack, view }) => {
      await ack();
      seen.push({ kind: 'view', body: view as unknown as Record<string, unknown> });
    });
    server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
    const { port } = server.address() as AddressInfo;
    driver = createSlackDriver({
      url: `http://127.0.0.1:${port}/slack/events`,
      signingSecret: SIGNING_SECRET,
      workspace: slack.identity,
      responseUrl: (target) => slack.responseUrl(target),
      triggerId: (user) => slack.mintTriggerId(user),
    });
  });
  afterEach(() => {
    seen.length = 0;
    slack.reset();
  });
  after(async () => {
    await app.stop();
    await slack.close();
  });

  it('answers url_verification with the challenge', async () => {
    const response = await driver.urlVerification('3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P');
    assert.equal(response.status, 200);
    assert.deepEqual(response.json(), { challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
  });

  it('delivers a signed slash command, whose reply reaches the double through its response_url', async () => {
    const response = await driver.command({
      command: '/agent',
      text: 'ask how do I rotate?',
      userId: ALICE,
      channelId: GENERAL,
    });
    assert.equal(response.status, 200);
    assert.equal(response.sent.headers['content-type'], 'application/x-www-form-urlencoded');
    await eventually(() => slack.messages.ephemerals({ user: ALICE }).length === 1, 'the ephemeral reply');
    const command = seen.find((s) => s.kind === 'command')!.body;
    assert.equal(command.text, 'ask how do I rotate?');
    assert.equal(command.response_url, response.responseUrl);
    assert.equal(command.trigger_id, response.triggerId);
    assert.equal(command.team_id, slack.identity.teamId);
    assert.equal(slack.messages.ephemerals({ user: ALICE })[0]?.text, 'Queued: ask how do I rotate?');
  });

  it('delivers a signed event, and Bolt’s say() posts in the thread on the double', async () => {
    const mention = slack.messages.post(GENERAL, { user: ALICE, text: '<@U0SLUICE01> restart payments' });
    const response = await driver.event({
      event: appMentionEvent({ user: ALICE, channel: GENERAL, text: mention.text, ts: mention.ts }),
    });
    assert.equal(response.status, 200);
    assert.match(response.eventId, /^Ev[A-Z0-9]{10}$/);
    await eventually(() => slack.callsTo('chat.postMessage').length === 1, 'say()');
    assert.deepEqual(
      slack.messages.thread(GENERAL, mention.ts).map((m) => m.text),
      [mention.text, 'On it.'],
    );
  });

  it('marks an event as Slack’s retry with the retry headers', async () => {
    const response = await driver.event(
      { event: appMentionEvent({ user: ALICE, channel: GENERAL, text: 'hi', ts: '1700000000.000100' }) },
      { retryNum: 2, retryReason: 'http_timeout' },
    );
    assert.equal(response.status, 200);
    assert.equal(response.sent.headers['x-slack-retry-num'], '2');
    await eventually(() => seen.some((s) => s.kind === 'event'), 'the event');
    const event = seen.find((s) => s.kind === 'event')!;
    assert.equal(event.retryNum, 2);
    assert.equal(event.retryReason, 'http_timeout');
  });

  it('delivers a signed button click, whose response_url replaces the card', async () => {
    const card = slack.messages.post(GENERAL, {
      user: slack.identity.botUserId,
      bot_id: slack.identity.botId,
      text: 'Approve?',
    });
    const response = await driver.blockAction({
      user: { id: ALICE },
      action: { action_id: 'approve', value: 'approval-7' },
      message: { channel: GENERAL, ts: card.ts, text: card.text },
    });
    assert.equal(response.status, 200);
    await eventually(() => slack.messages.find(GENERAL, card.ts)?.text === 'Approved.', 'the replaced card');
    const body = seen.find((s) => s.kind === 'action')!.body as {
      actions: Array<{ value: string }>;
      user: { id: string };
    };
    assert.equal(body.actions[0]?.value, 'approval-7');
    assert.equal(body.user.id, ALICE);
  });

  it('delivers a signed view submission with its values', async () => {
    const response = await driver.viewSubmission({
      user: { id: ALICE },
      view: {
        id: 'V0REJECT01',
        type: 'modal',
        callback_id: 'reject_reason',
        private_metadata: 'approval-7',
        blocks: [],
      },
      values: { reason: { reason_input: { type: 'plain_text_input', value: 'Not during the freeze' } } },
    });
    assert.equal(response.status, 200);
    await eventually(() => seen.some((s) => s.kind === 'view'), 'the submission');
    const view = seen.find((s) => s.kind === 'view')!.body as { private_metadata: string; state: unknown };
    assert.equal(view.private_metadata, 'approval-7');
    assert.deepEqual(view.state, {
      values: { reason: { reason_input: { type: 'plain_text_input', value: 'Not during the freeze' } } },
    });
  });

  it('is refused with 401 for a bad signature, a stale timestamp or missing headers, and nothing runs', async () => {
    const command = { command: '/agent', text: 'status', userId: ALICE, channelId: GENERAL };
    for (const options of [
      { signature: 'bad' },
      { timestamp: 'stale' },
      { signature: 'missing' },
      { timestamp: 'missing' },
    ] as const) {
      const response = await driver.command(command, options);
      assert.equal(response.status, 401, JSON.stringify(options));
    }
    const event = await driver.event(
      { event: appMentionEvent({ user: ALICE, channel: GENERAL, text: 'hi', ts: '1700000000.000100' }) },
      { signature: 'bad' },
    );
    assert.equal(event.status, 401);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(seen, []);
  });

  it('shows why Sluice checks future timestamps itself: Bolt accepts one, our verifier does not', async () => {
    const response = await driver.command(
      { command: '/agent', text: 'status', userId: ALICE, channelId: GENERAL },
      { timestamp: 'future' },
    );
    assert.equal(response.status, 200, 'Bolt only refuses timestamps in the past');
    const check = verifySlackRequest({
      signingSecret: SIGNING_SECRET,
      body: response.sent.body,
      headers: response.sent.headers,
    });
    assert.deepEqual(check, { valid: false, problem: 'future_timestamp' });
  });
});
