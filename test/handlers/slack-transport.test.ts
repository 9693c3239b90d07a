import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  APPROVE_ACTION,
  encodeButtonValue,
  REJECT_ACTION,
  REJECT_MODAL,
} from '../../handlers/blocks/approval-card.ts';
import { createSlackApp, SLACK_EVENTS_PATH } from '../../handlers/create-slack-app.ts';
import type { SlackUseCases } from '../../handlers/slack-use-cases.ts';
import { createMetrics } from '../../src/http/metrics.ts';
import { type RunningHttpServer, startHttpServer } from '../../src/http/server.ts';
import { appMentionEvent, directMessageEvent } from '../../src/local/slack-payloads.ts';
import { type SlackWebApiDouble, startSlackWebApiDouble } from '../../src/local/slack-web-api-double.ts';
import { createSlackDriver, type SlackDriver } from '../support/slack-driver.ts';
import { createTestLogger } from '../support/test-logger.ts';

/**
 * The Slack transport alone: real Bolt behind Sluice's HTTP server, requests signed by the driver,
 * Web API calls answered by the Slack double. The core is a recording test double here, so these
 * tests pin what the handlers hand over; end-to-end tests with the real core live elsewhere.
 */

const signingSecret = 'test-signing-secret';
const buttonValue = encodeButtonValue({ approvalId: 'ap_1', payloadHash: 'a'.repeat(64) });
const received: { method: string; input: Record<string, unknown> }[] = [];

const recordingCore: SlackUseCases = {
  async acceptCommand(input) {
    received.push({ method: 'acceptCommand', input });
    return { reply: { text: 'On it.', blocks: [] } };
  },
  async acceptMessage(input) {
    received.push({ method: 'acceptMessage', input });
    return { firstInThread: Promise.resolve(false) };
  },
  async acceptInteraction(input) {
    received.push({ method: 'acceptInteraction', input });
    return {};
  },
  async consoleView() {
    return {
      pauses: [],
      retrievalMode: 'hybrid',
      modelMode: 'no-model',
      today: {
        runs: 0,
        succeeded: 0,
        failed: 0,
        p50Ms: undefined,
        p95Ms: undefined,
        spendUsd: 0,
        ceilingUsd: undefined,
      },
      pendingApprovals: [],
      deadLetterDepth: 0,
      lastErrors: [],
      generatedAt: new Date(),
    };
  },
};

let slack: SlackWebApiDouble;
let server: RunningHttpServer;
let driver: SlackDriver;

before(async () => {
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
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    logger,
    metrics: createMetrics(),
    routes: { [SLACK_EVENTS_PATH]: app.requestListener! },
  });
  driver = createSlackDriver({
    url: new URL(SLACK_EVENTS_PATH.slice(1), server.url).toString(),
    signingSecret,
    workspace: slack.identity,
    responseUrl: (target) => slack.responseUrl(target),
    triggerId: (user) => slack.mintTriggerId(user),
  });
});

after(async () => {
  await server.close();
  await slack.close();
});

beforeEach(() => {
  received.length = 0;
  slack.reset();
});

describe('request signatures', () => {
  for (const [name, opts] of [
    ['a bad signature', { signature: 'bad' }],
    ['a stale timestamp', { timestamp: 'stale' }],
    ['a timestamp six minutes in the future', { timestamp: 'future' }],
    ['a missing signature header', { signature: 'missing' }],
    ['a missing timestamp header', { timestamp: 'missing' }],
  ] as const) {
    it(`refuses ${name} with 401 and stores nothing`, async () => {
      const response = await driver.command(
        { command: '/agent', text: 'status', userId: 'U0ALICE', channelId: 'C0OPS' },
        opts,
      );
      assert.equal(response.status, 401);
      assert.equal(received.length, 0);
    });
  }

  it('accepts a correctly signed request', async () => {
    const response = await driver.command({
      command: '/agent',
      text: 'status',
      userId: 'U0ALICE',
      channelId: 'C0OPS',
    });
    assert.equal(response.status, 200);
    assert.equal(received.length, 1);
  });
});

describe('/agent', () => {
  it('stores the command under its trigger id and acks with the core reply, ephemeral', async () => {
    const response = await driver.command({
      command: '/agent',
      text: 'ask how do I rotate the password?',
      userId: 'U0ALICE',
      channelId: 'C0OPS',
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.json(), { response_type: 'ephemeral', text: 'On it.', blocks: [] });
    assert.equal(received.length, 1);
    const input = received[0]!.input as { key: string; command: unknown; actor: unknown };
    assert.equal(input.key, `command:${response.triggerId}`);
    assert.deepEqual(input.command, { kind: 'ask', question: 'how do I rotate the password?' });
    assert.deepEqual(input.actor, { teamId: slack.identity.teamId, userId: 'U0ALICE', channelId: 'C0OPS' });
  });

  it('answers help at once without storing anything', async () => {
    const response = await driver.command({
      command: '/agent',
      text: 'help',
      userId: 'U0ALICE',
      channelId: 'C0OPS',
    });
    assert.equal(response.status, 200);
    assert.match(JSON.stringify(response.json()), /\/agent ask <question>/);
    assert.equal(received.length, 0);
  });

  it('tells the person when the core could not store the request', async () => {
    const original = recordingCore.acceptCommand;
    recordingCore.acceptCommand = async () => {
      throw new Error('database unavailable');
    };
    try {
      const response = await driver.command({
        command: '/agent',
        text: 'status',
        userId: 'U0ALICE',
        channelId: 'C0OPS',
      });
      assert.equal(response.status, 200);
      assert.match(JSON.stringify(response.json()), /could not store your request, so nothing was done/);
    } finally {
      recordingCore.acceptCommand = original;
    }
  });
});

describe('mentions and direct messages', () => {
  it('hands a mention over under its event id, without the bot mention', async () => {
    const sent = await driver.event({
      event: appMentionEvent({
        user: 'U0ALICE',
        channel: 'C0OPS',
        text: `<@${slack.identity.botUserId}> restart payments`,
        ts: '1700000000.000100',
      }),
    });
    assert.equal(sent.status, 200);
    const input = received[0]!.input as { key: string; surface: string; text: string };
    assert.equal(input.key, `event:${sent.eventId}`);
    assert.equal(input.surface, 'mention');
    assert.equal(input.text, 'restart payments');
  });

  it('hands a DM over, hands a Slack retry over under the same key, and ignores bot messages', async () => {
    const event = directMessageEvent({
      user: 'U0ALICE',
      channel: 'D0ALICE',
      text: 'status please',
      ts: '1700000000.000200',
    });
    const first = await driver.event({ event, eventId: 'Ev0RETRY01' });
    const retry = await driver.event({ event, eventId: 'Ev0RETRY01' }, { retryNum: 1 });
    assert.equal(first.status, 200);
    assert.equal(retry.status, 200);
    assert.deepEqual(
      received.map((r) => (r.input as { key: string }).key),
      ['event:Ev0RETRY01', 'event:Ev0RETRY01'],
    );
    await driver.event({ event: { ...event, bot_id: 'B0OTHER', ts: '1700000000.000300' } });
    assert.equal(received.length, 2);
  });
});

describe('interactions', () => {
  it('carries an Approve click to the core with its value, message and trigger-derived key', async () => {
    const sent = await driver.blockAction({
      user: { id: 'U0BOB' },
      action: { action_id: APPROVE_ACTION, value: buttonValue },
      message: { channel: 'C0OPS', ts: '1700000000.000400' },
    });
    assert.equal(sent.status, 200);
    const input = received[0]!.input as { key: string; kind: string; value: string; message: unknown };
    assert.equal(input.key, `interaction:${sent.triggerId}`);
    assert.equal(input.kind, 'approve');
    assert.equal(input.value, buttonValue);
    assert.deepEqual(input.message, { channel: 'C0OPS', ts: '1700000000.000400' });
  });

  it('opens the reason modal on Reject, then stores the reason on submit', async () => {
    const click = await driver.blockAction({
      user: { id: 'U0BOB' },
      action: { action_id: REJECT_ACTION, value: buttonValue },
      message: { channel: 'C0OPS', ts: '1700000000.000500' },
    });
    assert.equal(click.status, 200);
    // Opened after the ack, so Slack is not kept waiting for views.open.
    const opened = await callsSoon(() => slack.callsTo('views.open'));
    assert.equal(opened.length, 1);
    const view = opened[0]!.args.view as { callback_id: string; private_metadata: string };
    assert.equal(view.callback_id, REJECT_MODAL);
    assert.equal(received.length, 0, 'a Reject click alone decides nothing');

    const submit = await driver.viewSubmission({
      user: { id: 'U0BOB' },
      view: { id: 'V0REJECT01', callback_id: REJECT_MODAL, private_metadata: view.private_metadata },
      values: { reason: { reason_input: { type: 'plain_text_input', value: 'wrong environment' } } },
    });
    assert.equal(submit.status, 200);
    const input = received[0]!.input as { kind: string; reason: string; value: string; message: unknown };
    assert.equal(input.kind, 'reject');
    assert.equal(input.reason, 'wrong environment');
    assert.equal(input.value, buttonValue);
    assert.deepEqual(input.message, { channel: 'C0OPS', ts: '1700000000.000500' });
  });

  it('keeps the modal open with an error when the reason is too short', async () => {
    const submit = await driver.viewSubmission({
      user: { id: 'U0BOB' },
      view: { id: 'V0REJECT02', callback_id: REJECT_MODAL, private_metadata: '{}' },
      values: { reason: { reason_input: { type: 'plain_text_input', value: 'no' } } },
    });
    assert.equal(submit.status, 200);
    assert.equal((submit.json() as { response_action: string }).response_action, 'errors');
    assert.equal(received.length, 0);
  });
});

describe('App Home', () => {
  it('publishes the console when the Home tab opens', async () => {
    const sent = await driver.event({
      event: { type: 'app_home_opened', user: 'U0ALICE', channel: 'D0ALICE', tab: 'home' },
    });
    assert.equal(sent.status, 200);
    // Published after the ack: nothing is stored for this event.
    const published = await callsSoon(() => slack.callsTo('views.publish'));
    assert.equal(published.length, 1);
    assert.equal(published[0]!.args.user_id, 'U0ALICE');
    assert.match(JSON.stringify(published[0]!.args.view), /Sluice operator console/);
  });
});

/** The calls `read` returns once there are any (a call made after the ack), or none after 5 s. */
async function callsSoon<T>(read: () => T[]): Promise<T[]> {
  const deadline = Date.now() + 5_000;
  while (read().length === 0 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 10));
  return read();
}
