import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type SlackWebApiDouble, startSlackWebApiDouble } from '../../src/local/slack-web-api-double.ts';
import { shapeDifferences } from './json-shape.ts';
import { rawSlackCall } from './raw-slack-call.ts';

/**
 * The Slack double's assistant surface: opening a thread as Slack does, and the three
 * `assistant.threads.*` methods with their argument checks, scope, channel and thread refusals,
 * over HTTP with form and JSON bodies, each call recorded.
 */

const { examples } = JSON.parse(
  fs.readFileSync(new URL('./fixtures/slack-documented-examples.json', import.meta.url), 'utf8'),
) as { examples: Record<string, Record<string, unknown>> };

const ALICE = 'U0ALICE01';
const PROMPTS = [
  { title: 'Rotate', message: 'How do I rotate the staging database password?' },
  { title: 'Restart', message: 'Restart payments-worker in staging' },
];

describe('the Slack double: assistant threads', () => {
  let slack: SlackWebApiDouble;
  const call = (method: string, args: Record<string, unknown>, options?: { body?: 'form' | 'json' }) =>
    rawSlackCall(slack, method, args, options);
  const state = (channel: string, ts: string) => slack.assistantThreads.get(`${channel}:${ts}`);

  before(async () => {
    slack = await startSlackWebApiDouble({ seed: { users: [{ id: ALICE, name: 'alice' }] } });
  });
  after(() => slack.close());
  beforeEach(() => slack.reset());

  it('opens a thread in the person’s DM with the app, rooted in an assistant_app_thread message', () => {
    const thread = slack.openAssistantThread(ALICE, {
      channel_id: 'C0GENERAL1',
      team_id: slack.identity.teamId,
    });
    assert.equal(thread.channel, 'D0ALICE01');
    const root = slack.messages.find(thread.channel, thread.threadTs)!;
    assert.equal(root.subtype, 'assistant_app_thread');
    assert.equal(root.user, ALICE);
    assert.match(root.text, /^Chats from \d{4}-\d\d-\d\dT/);
    assert.deepEqual(root.assistant_app_thread, { title: root.text, title_blocks: [], artifacts: [] });
    assert.deepEqual(state(thread.channel, thread.threadTs), {
      user: ALICE,
      context: { channel_id: 'C0GENERAL1', team_id: slack.identity.teamId },
    });
  });

  it('sets and clears the status; the app’s reply in the thread clears it as Slack does', async () => {
    const { channel, threadTs } = slack.openAssistantThread(ALICE);
    const set = await call('assistant.threads.setStatus', {
      channel_id: channel,
      thread_ts: threadTs,
      status: 'is thinking…',
      loading_messages: ['Reading runbooks…', 'Checking the policy…'],
    });
    assert.deepEqual(set.body, { ok: true });
    assert.equal(state(channel, threadTs)?.status, 'is thinking…');
    assert.deepEqual(state(channel, threadTs)?.loadingMessages, [
      'Reading runbooks…',
      'Checking the policy…',
    ]);

    await call('chat.postMessage', { channel, thread_ts: threadTs, text: 'Here is how.' });
    assert.equal(state(channel, threadTs)?.status, undefined);

    await call('assistant.threads.setStatus', {
      channel_id: channel,
      thread_ts: threadTs,
      status: 'is busy',
    });
    await call('assistant.threads.setStatus', { channel_id: channel, thread_ts: threadTs, status: '' });
    assert.equal(state(channel, threadTs)?.status, undefined, 'an empty status clears it');
    assert.deepEqual(
      slack.calls.map((c) => c.method),
      [
        'assistant.threads.setStatus',
        'chat.postMessage',
        'assistant.threads.setStatus',
        'assistant.threads.setStatus',
      ],
    );
  });

  it('refuses setStatus without its arguments, with too many loading messages, or outside a known thread', async () => {
    const { channel, threadTs } = slack.openAssistantThread(ALICE);
    const missing = await call('assistant.threads.setStatus', { channel_id: channel, thread_ts: threadTs });
    assert.deepEqual(missing.body, {
      ok: false,
      error: 'invalid_arguments',
      response_metadata: { messages: ['[ERROR] missing required field: status'] },
    });
    const noThread = await call('assistant.threads.setStatus', { channel_id: channel, status: 'x' });
    assert.equal(noThread.body.error, 'invalid_arguments');
    const tooMany = await call(
      'assistant.threads.setStatus',
      { channel_id: channel, thread_ts: threadTs, status: 'x', loading_messages: Array(11).fill('…') },
      { body: 'json' },
    );
    assert.equal(tooMany.body.error, 'invalid_arguments');
    const badChannel = await call('assistant.threads.setStatus', {
      channel_id: 'D0NOBODY01',
      thread_ts: threadTs,
      status: 'x',
    });
    assert.deepEqual(shapeDifferences(examples['assistant.threads.setStatus#error'], badChannel.body), []);
    assert.deepEqual(badChannel.body, {
      ok: false,
      error: 'channel_not_found',
      detail: 'Invalid channel_id',
    });
    const badThread = await call('assistant.threads.setStatus', {
      channel_id: channel,
      thread_ts: '1000000000.000100',
      status: 'x',
    });
    assert.deepEqual(badThread.body, { ok: false, error: 'invalid_thread_ts', detail: 'Thread not found' });
    assert.equal(state(channel, threadTs)?.status, undefined);
  });

  it('sets suggested prompts (JSON or form body), and refuses more than four or malformed ones', async () => {
    const { channel, threadTs } = slack.openAssistantThread(ALICE);
    const set = await call(
      'assistant.threads.setSuggestedPrompts',
      { channel_id: channel, thread_ts: threadTs, title: 'Try asking', prompts: PROMPTS },
      { body: 'json' },
    );
    assert.deepEqual(set.body, { ok: true });
    assert.deepEqual(state(channel, threadTs)?.prompts, PROMPTS);
    assert.equal(state(channel, threadTs)?.promptsTitle, 'Try asking');

    const five = await call('assistant.threads.setSuggestedPrompts', {
      channel_id: channel,
      thread_ts: threadTs,
      prompts: Array(5).fill(PROMPTS[0]),
    });
    assert.equal(five.body.error, 'invalid_arguments');
    const noMessage = await call('assistant.threads.setSuggestedPrompts', {
      channel_id: channel,
      thread_ts: threadTs,
      prompts: [{ title: 'Rotate' }],
    });
    assert.equal(noMessage.body.error, 'invalid_arguments');
    const notJson = await call('assistant.threads.setSuggestedPrompts', {
      channel_id: channel,
      thread_ts: threadTs,
      prompts: '[{"title":',
    });
    assert.equal(notJson.body.error, 'invalid_arguments');
    const none = await call('assistant.threads.setSuggestedPrompts', {
      channel_id: channel,
      thread_ts: threadTs,
    });
    assert.deepEqual(none.body.response_metadata, { messages: ['[ERROR] missing required field: prompts'] });
    assert.deepEqual(state(channel, threadTs)?.prompts, PROMPTS, 'refusals change nothing');
  });

  it('puts prompts sent without thread_ts on the channel’s latest message, as documented', async () => {
    slack.openAssistantThread(ALICE);
    const latest = slack.openAssistantThread(ALICE);
    const set = await call('assistant.threads.setSuggestedPrompts', {
      channel_id: latest.channel,
      prompts: PROMPTS,
    });
    assert.deepEqual(set.body, { ok: true });
    assert.deepEqual(state(latest.channel, latest.threadTs)?.prompts, PROMPTS);
  });

  it('sets the title on the thread’s root, also when named by one of its replies', async () => {
    const { channel, threadTs } = slack.openAssistantThread(ALICE);
    const reply = slack.messages.post(channel, { user: ALICE, text: 'hello', thread_ts: threadTs });
    const set = await call('assistant.threads.setTitle', {
      channel_id: channel,
      thread_ts: reply.ts,
      title: 'Rotating the staging password',
    });
    assert.deepEqual(shapeDifferences(examples['assistant.threads.setTitle'], set.body), []);
    assert.equal(state(channel, threadTs)?.title, 'Rotating the staging password');
    assert.equal(
      slack.messages.find(channel, threadTs)?.assistant_app_thread?.title,
      'Rotating the staging password',
    );

    const missing = await call('assistant.threads.setTitle', { channel_id: channel, thread_ts: threadTs });
    assert.deepEqual(missing.body.response_metadata, { messages: ['[ERROR] missing required field: title'] });
    const badChannel = await call('assistant.threads.setTitle', {
      channel_id: 'C0NOWHERE0',
      thread_ts: threadTs,
      title: 'x',
    });
    assert.deepEqual(shapeDifferences(examples['assistant.threads.setTitle#error'], badChannel.body), []);
    assert.equal(badChannel.body.error, 'channel_not_found');
    const badThread = await call('assistant.threads.setTitle', {
      channel_id: channel,
      thread_ts: '1000000000.000100',
      title: 'x',
    });
    assert.equal(badThread.body.error, 'invalid_thread_ts');
  });
});

describe('the Slack double: assistant scopes', () => {
  let slack: SlackWebApiDouble;
  after(() => slack.close());

  it('asks for assistant:write; setStatus takes chat:write too', async () => {
    slack = await startSlackWebApiDouble({
      seed: { users: [{ id: ALICE, name: 'alice' }] },
      scopes: ['chat:write', 'im:history'],
    });
    const { channel, threadTs } = slack.openAssistantThread(ALICE);
    const status = await rawSlackCall(slack, 'assistant.threads.setStatus', {
      channel_id: channel,
      thread_ts: threadTs,
      status: 'is thinking…',
    });
    assert.deepEqual(status.body, { ok: true });
    for (const [method, args] of [
      ['assistant.threads.setSuggestedPrompts', { prompts: PROMPTS }],
      ['assistant.threads.setTitle', { title: 'x' }],
    ] as const) {
      const refused = await rawSlackCall(slack, method, {
        channel_id: channel,
        thread_ts: threadTs,
        ...args,
      });
      assert.deepEqual(refused.body, {
        ok: false,
        error: 'missing_scope',
        needed: 'assistant:write',
        provided: 'chat:write,im:history',
      });
    }
    assert.deepEqual(
      slack.calls.map((c) => [c.method, (c.response as { ok: boolean }).ok]),
      [
        ['assistant.threads.setStatus', true],
        ['assistant.threads.setSuggestedPrompts', false],
        ['assistant.threads.setTitle', false],
      ],
    );
  });
});
