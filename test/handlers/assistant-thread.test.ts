import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createSlackApp, SLACK_EVENTS_PATH } from '../../handlers/create-slack-app.ts';
import {
  MAX_TITLE_CHARS,
  SUGGESTED_PROMPTS,
  SUGGESTED_PROMPTS_TITLE,
  THINKING_STATUS,
  threadTitle,
} from '../../handlers/events/assistant-thread.ts';
import type { SlackUseCases } from '../../handlers/slack-use-cases.ts';
import { createMetrics } from '../../src/http/metrics.ts';
import { type RunningHttpServer, startHttpServer } from '../../src/http/server.ts';
import {
  assistantThreadContextChangedEvent,
  assistantThreadMessageEvent,
  assistantThreadStartedEvent,
  directMessageEvent,
} from '../../src/local/slack-payloads.ts';
import { type SlackWebApiDouble, startSlackWebApiDouble } from '../../src/local/slack-web-api-double.ts';
import { createSlackDriver, type SlackDriver } from '../support/slack-driver.ts';
import { createTestLogger } from '../support/test-logger.ts';

/**
 * The assistant surface's transport alone: real Bolt (with and without the assistant registered)
 * behind Sluice's HTTP server, signed requests from the driver, the Slack double as Slack, and a
 * recording core. End-to-end with the real core: test/e2e/assistant.test.ts.
 */

const signingSecret = 'test-signing-secret';
const ALICE = 'U0ALICE01';
const received: { input: Record<string, unknown>; statusCallsBefore: number }[] = [];
let failAccept = false;
/** What the recording core answers: whether the message is its thread's first request. */
let firstInThread = false;

const recordingCore: SlackUseCases = {
  async acceptCommand() {
    throw new Error('not used here');
  },
  async acceptMessage(input) {
    if (failAccept) throw new Error('database unavailable');
    received.push({ input, statusCallsBefore: slack.callsTo('assistant.threads.setStatus').length });
    return { firstInThread: Promise.resolve(firstInThread) };
  },
  async acceptInteraction() {
    throw new Error('not used here');
  },
  async consoleView() {
    throw new Error('not used here');
  },
};

let slack: SlackWebApiDouble;
const servers: RunningHttpServer[] = [];
let driver: SlackDriver;
let plainDriver: SlackDriver;

async function startApp(assistant: boolean): Promise<SlackDriver> {
  const logger = createTestLogger();
  const app = createSlackApp({
    mode: 'http',
    botToken: slack.token,
    signingSecret,
    apiUrl: slack.url,
    botUserId: slack.identity.botUserId,
    botId: slack.identity.botId,
    assistant,
    useCases: recordingCore,
    logger,
  });
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    logger,
    metrics: createMetrics(),
    routes: { [SLACK_EVENTS_PATH]: app.requestListener! },
  });
  servers.push(server);
  return createSlackDriver({
    url: new URL(SLACK_EVENTS_PATH.slice(1), server.url).toString(),
    signingSecret,
    workspace: slack.identity,
  });
}

before(async () => {
  slack = await startSlackWebApiDouble({ seed: { users: [{ id: ALICE, name: 'alice' }] } });
  driver = await startApp(true);
  plainDriver = await startApp(false);
});

after(async () => {
  for (const server of servers) await server.close();
  await slack.close();
});

beforeEach(() => {
  received.length = 0;
  failAccept = false;
  firstInThread = false;
  slack.reset();
});

/** The Web API calls made, without the headers and timing of each. */
const webApiCalls = () => slack.calls.map((c) => ({ method: c.method, args: c.args, status: c.status }));

/** Opens an assistant thread in the double and writes `text` in it as Alice. */
function aliceWrites(text: string) {
  const thread = slack.openAssistantThread(ALICE);
  const message = slack.messages.post(thread.channel, { user: ALICE, text, thread_ts: thread.threadTs });
  const event = assistantThreadMessageEvent({
    user: ALICE,
    channel: thread.channel,
    text,
    ts: message.ts,
    threadTs: thread.threadTs,
  });
  return { thread, message, event };
}

describe('assistant_thread_started', () => {
  it('sets the suggested prompts in the new thread, and stores nothing', async () => {
    const thread = slack.openAssistantThread(ALICE, { channel_id: 'C0OPS0001' });
    const sent = await driver.event({
      event: assistantThreadStartedEvent({ ...thread, context: thread.context }),
    });
    assert.equal(sent.status, 200);
    // Set after the ack.
    for (let i = 0; i < 100 && slack.calls.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(webApiCalls(), [
      {
        method: 'assistant.threads.setSuggestedPrompts',
        args: {
          channel_id: thread.channel,
          thread_ts: thread.threadTs,
          title: SUGGESTED_PROMPTS_TITLE,
          prompts: SUGGESTED_PROMPTS,
          // Bolt's client names the workspace on every call.
          team_id: slack.identity.teamId,
        },
        status: 200,
      },
    ]);
    assert.equal((slack.calls[0]!.response as { ok: boolean }).ok, true);
    assert.deepEqual(
      slack.assistantThreads.get(`${thread.channel}:${thread.threadTs}`)?.prompts,
      SUGGESTED_PROMPTS,
    );
    assert.equal(received.length, 0);
  });

  it('acks a malformed event without calling Slack', async () => {
    const sent = await driver.event({
      event: {
        type: 'assistant_thread_started',
        assistant_thread: { user_id: ALICE, channel_id: 'D0ALICE01' },
      },
    });
    assert.equal(sent.status, 200);
    assert.deepEqual(webApiCalls(), []);
  });
});

describe('assistant_thread_context_changed', () => {
  it('is acked and changes nothing (Sluice does not use the viewed channel)', async () => {
    const thread = slack.openAssistantThread(ALICE);
    const sent = await driver.event({
      event: assistantThreadContextChangedEvent({ ...thread, context: { channel_id: 'C0OTHER01' } }),
    });
    assert.equal(sent.status, 200);
    assert.deepEqual(webApiCalls(), []);
    assert.equal(received.length, 0);
  });
});

describe('a message in an assistant thread', () => {
  it('sets the thinking status, then hands the text to the core as an assistant request in that thread', async () => {
    const { thread, message, event } = aliceWrites('How do I rotate the staging database password?');
    const sent = await driver.event({ event });
    assert.equal(sent.status, 200);
    assert.deepEqual(webApiCalls(), [
      {
        method: 'assistant.threads.setStatus',
        args: {
          channel_id: thread.channel,
          thread_ts: thread.threadTs,
          status: THINKING_STATUS,
          team_id: slack.identity.teamId,
        },
        status: 200,
      },
    ]);
    assert.equal(received.length, 1);
    assert.equal(received[0]!.statusCallsBefore, 1, 'the status is set before the request is stored');
    const { payload, ...input } = received[0]!.input;
    assert.deepEqual(input, {
      key: `event:${sent.eventId}`,
      actor: { teamId: slack.identity.teamId, userId: ALICE, channelId: thread.channel },
      surface: 'assistant',
      text: 'How do I rotate the staging database password?',
      ts: message.ts,
      threadTs: thread.threadTs,
    });
    assert.deepEqual(payload, sent.sent.payload);
    assert.equal(slack.assistantThreads.get(`${thread.channel}:${thread.threadTs}`)?.status, THINKING_STATUS);
  });

  it('stores a Slack retry under the same key without setting the status again', async () => {
    const { event } = aliceWrites('Restart payments-worker in staging');
    await driver.event({ event, eventId: 'Ev0ASSIST01' });
    await driver.event({ event, eventId: 'Ev0ASSIST01' }, { retryNum: 1 });
    assert.deepEqual(
      received.map((r) => r.input.key),
      ['event:Ev0ASSIST01', 'event:Ev0ASSIST01'],
    );
    assert.deepEqual(
      webApiCalls().map((c) => c.method),
      ['assistant.threads.setStatus'],
    );
  });

  it('ignores messages from bots, Sluice included, and empty ones', async () => {
    const { event } = aliceWrites('placeholder');
    await driver.event({ event: { ...event, bot_id: slack.identity.botId, user: slack.identity.botUserId } });
    await driver.event({ event: { ...event, text: `<@${slack.identity.botUserId}>` } });
    assert.equal(received.length, 0);
    assert.deepEqual(webApiCalls(), []);
  });

  it('still hands the request over when Slack refuses the status', async () => {
    slack.fail('assistant.threads.setStatus', { error: 'missing_scope' });
    const { event } = aliceWrites('What is Sluice allowed to do?');
    const sent = await driver.event({ event });
    assert.equal(sent.status, 200);
    assert.equal(received.length, 1);
    assert.equal(received[0]!.input.surface, 'assistant');
    assert.deepEqual(
      slack.calls.map((c) => [c.method, (c.response as { error?: string }).error]),
      [['assistant.threads.setStatus', 'missing_scope']],
    );
  });

  it('titles the thread after its first question, once the request is stored', async () => {
    firstInThread = true;
    const { thread, event } = aliceWrites('  How do I rotate\nthe staging database password?  ');
    const sent = await driver.event({ event });
    assert.equal(sent.status, 200);
    for (let i = 0; i < 100 && slack.calls.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(webApiCalls().slice(1), [
      {
        method: 'assistant.threads.setTitle',
        args: {
          channel_id: thread.channel,
          thread_ts: thread.threadTs,
          title: 'How do I rotate the staging database password?',
          team_id: slack.identity.teamId,
        },
        status: 200,
      },
    ]);
    assert.equal(
      slack.assistantThreads.get(`${thread.channel}:${thread.threadTs}`)?.title,
      'How do I rotate the staging database password?',
    );
  });

  it('leaves the title alone for later questions in the thread', async () => {
    const { event } = aliceWrites('And in production?');
    await driver.event({ event });
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      webApiCalls().map((c) => c.method),
      ['assistant.threads.setStatus'],
    );
  });

  it('tells the person in the thread when the request could not be stored', async () => {
    failAccept = true;
    const { thread, event } = aliceWrites('Restart payments-worker in staging');
    const sent = await driver.event({ event });
    assert.equal(sent.status, 200);
    assert.deepEqual(
      webApiCalls().map((c) => c.method),
      ['assistant.threads.setStatus', 'chat.postMessage'],
    );
    const post = slack.calls[1]!;
    assert.equal(post.args.channel, thread.channel);
    assert.equal(post.args.thread_ts, thread.threadTs);
    assert.match(String(post.args.text), /could not store your request, so nothing was done/);
    assert.equal(post.status, 200);
    assert.equal((post.response as { ok: boolean }).ok, true);
    assert.equal(
      slack.assistantThreads.get(`${thread.channel}:${thread.threadTs}`)?.status,
      undefined,
      'the reply cleared the status',
    );
  });

  it('leaves top-level DMs to the DM handler', async () => {
    const sent = await driver.event({
      event: directMessageEvent({
        user: ALICE,
        channel: 'D0ALICE01',
        text: 'status please',
        ts: '1700000000.000100',
      }),
    });
    assert.equal(sent.status, 200);
    assert.equal(received[0]!.input.surface, 'dm');
    assert.equal(received[0]!.input.threadTs, undefined);
    assert.deepEqual(webApiCalls(), []);
  });
});

describe('an app not set up for the assistant', () => {
  it('hands DMs over as before, threaded replies included, with no assistant calls', async () => {
    const top = directMessageEvent({
      user: ALICE,
      channel: 'D0ALICE01',
      text: 'status please',
      ts: '1700000000.000200',
    });
    const reply = directMessageEvent({
      user: ALICE,
      channel: 'D0ALICE01',
      text: 'and yesterday?',
      ts: '1700000000.000400',
      threadTs: '1700000000.000200',
    });
    assert.equal((await plainDriver.event({ event: top })).status, 200);
    assert.equal((await plainDriver.event({ event: reply })).status, 200);
    assert.deepEqual(
      received.map((r) => [r.input.surface, r.input.ts, r.input.threadTs]),
      [
        ['dm', '1700000000.000200', undefined],
        ['dm', '1700000000.000400', '1700000000.000200'],
      ],
    );
    assert.deepEqual(webApiCalls(), []);
  });
});

describe('a DM that could not be stored', () => {
  it('is answered under the person’s message, as in an assistant thread', async () => {
    failAccept = true;
    const im = slack.directory.channel(ALICE)!;
    const message = slack.messages.post(im.id, { user: ALICE, text: 'status please' });
    const sent = await plainDriver.event({
      event: directMessageEvent({ user: ALICE, channel: im.id, text: 'status please', ts: message.ts }),
    });
    assert.equal(sent.status, 200);
    assert.deepEqual(
      slack.calls.map((c) => [
        c.method,
        c.args.channel,
        c.args.thread_ts,
        (c.response as { ok: boolean }).ok,
      ]),
      [['chat.postMessage', im.id, message.ts, true]],
    );
    assert.match(String(slack.calls[0]!.args.text), /could not store your request, so nothing was done/);
  });
});

describe('manifest.json', () => {
  const manifest = JSON.parse(fs.readFileSync(new URL('../../manifest.json', import.meta.url), 'utf8')) as {
    features: { assistant_view: { assistant_description: string; suggested_prompts: unknown } };
    settings: { event_subscriptions: { bot_events: string[] } };
  };

  it('sets the app up for the assistant with the same prompts the handler sets', () => {
    assert.ok(manifest.features.assistant_view.assistant_description.length > 0);
    assert.deepEqual(manifest.features.assistant_view.suggested_prompts, SUGGESTED_PROMPTS);
    for (const event of ['assistant_thread_started', 'assistant_thread_context_changed', 'message.im']) {
      assert.ok(manifest.settings.event_subscriptions.bot_events.includes(event), event);
    }
  });
});

describe('threadTitle', () => {
  it('keeps a short question as it is, on one line', () => {
    assert.equal(threadTitle('What is Sluice\n  allowed to do? '), 'What is Sluice allowed to do?');
  });

  it('shows links and channels by their labels', () => {
    assert.equal(
      threadTitle('Is <https://status.example.com|the status page> wrong about <#C0OPS0001|ops>?'),
      'Is the status page wrong about ops?',
    );
    assert.equal(threadTitle('see <https://x.example>'), 'see https://x.example');
  });

  it('cuts a long question at a word, within the limit, and says so', () => {
    const title = threadTitle(
      'Why did the nightly backup of the staging database fail three times this week and who was paged?',
    );
    assert.equal(title, 'Why did the nightly backup of the staging database fail…');
    assert.ok(title.length <= MAX_TITLE_CHARS);
  });

  it('cuts a long word anywhere', () => {
    const title = threadTitle('x'.repeat(200));
    assert.equal(title, `${'x'.repeat(MAX_TITLE_CHARS - 1)}…`);
  });
});
