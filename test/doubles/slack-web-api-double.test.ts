import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { type SlackWebApiDouble, startSlackWebApiDouble } from '../../src/local/slack-web-api-double.ts';
import { rawSlackCall } from './raw-slack-call.ts';

const GENERAL = 'C0GENERAL1';
const ALICE = 'U0ALICE001';

function section(text: string) {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

describe('the Slack Web API double', () => {
  let slack: SlackWebApiDouble;
  let clock = Date.now();
  const call = (method: string, args: Record<string, unknown> = {}, options = {}) =>
    rawSlackCall(slack, method, args, options);

  before(async () => {
    slack = await startSlackWebApiDouble({
      now: () => clock,
      seed: {
        users: [{ id: ALICE, name: 'alice' }],
        channels: [{ id: 'C0NOBOT001', name: 'no-bot', botIsMember: false }],
      },
    });
  });
  afterEach(() => {
    slack.reset();
    clock = Date.now();
  });
  after(() => slack.close());

  describe('wire format', () => {
    it('serves the Web API under a base URL ending in /api/', () => {
      assert.match(slack.url, /^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
    });

    it('accepts form and JSON bodies with a bearer token and answers HTTP 200 with an ok envelope', async () => {
      const form = await call('chat.postMessage', { channel: GENERAL, text: 'from a form' });
      const json = await call('chat.postMessage', { channel: GENERAL, text: 'from JSON' }, { body: 'json' });
      assert.equal(form.status, 200);
      assert.equal(json.status, 200);
      assert.equal(form.body.ok, true);
      assert.equal(json.body.ok, true);
      assert.match(form.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(
        slack.messages.channel(GENERAL).map((m) => m.text),
        ['from a form', 'from JSON'],
      );
    });

    it('takes a token from a form field but not from a JSON body, as Slack does', async () => {
      const form = await call('auth.test', { token: slack.token }, { token: null });
      const json = await call('auth.test', { token: slack.token }, { token: null, body: 'json' });
      assert.equal(form.body.ok, true);
      assert.deepEqual(json.body, { ok: false, error: 'not_authed' });
    });

    it('warns about a JSON body sent without a charset', async () => {
      const { body } = await call(
        'auth.test',
        {},
        { body: 'json', headers: { 'content-type': 'application/json' } },
      );
      assert.equal(body.ok, true);
      assert.deepEqual(body.response_metadata, { warnings: ['missing_charset'] });
    });

    it('answers an unknown method with unknown_method and the method name', async () => {
      const { status, body } = await call('chat.teleport', { channel: GENERAL });
      assert.equal(status, 200);
      assert.deepEqual(body, { ok: false, error: 'unknown_method', req_method: 'chat.teleport' });
    });

    it('records every call with its method, decoded arguments, headers and time', async () => {
      await call('chat.postMessage', { channel: GENERAL, text: 'hi', blocks: [section('hi')] });
      const [recorded] = slack.callsTo('chat.postMessage');
      assert.ok(recorded);
      assert.equal(recorded.args.channel, GENERAL);
      assert.deepEqual(recorded.args.blocks, [section('hi')]);
      assert.equal(recorded.headers['content-type'], 'application/x-www-form-urlencoded');
      assert.equal(recorded.token, slack.token);
      assert.equal(recorded.status, 200);
      assert.equal(recorded.time, clock);
      assert.equal(recorded.args.token, undefined, 'the token is kept out of the recorded arguments');
    });
  });

  describe('messages and threads', () => {
    it('hands out Slack-shaped, strictly increasing ts values even within one millisecond', async () => {
      const stamps: string[] = [];
      for (let i = 0; i < 5; i++)
        stamps.push((await call('chat.postMessage', { channel: GENERAL, text: `m${i}` })).body.ts as string);
      for (const ts of stamps) assert.match(ts, /^\d{10}\.\d{6}$/);
      assert.deepEqual([...stamps].sort(), stamps);
      assert.equal(new Set(stamps).size, stamps.length);
    });

    it('keeps thread replies out of history and counts them on the parent', async () => {
      const parent = await call('chat.postMessage', { channel: GENERAL, text: 'parent' });
      const reply = await call('chat.postMessage', {
        channel: GENERAL,
        text: 'reply',
        thread_ts: parent.body.ts,
      });
      const history = await call('conversations.history', { channel: GENERAL });
      const messages = history.body.messages as Array<Record<string, unknown>>;
      assert.deepEqual(
        messages.map((m) => m.text),
        ['parent'],
      );
      assert.equal(messages[0]!.reply_count, 1);
      assert.equal(messages[0]!.latest_reply, reply.body.ts);
      const thread = await call('conversations.replies', { channel: GENERAL, ts: reply.body.ts });
      assert.deepEqual(
        (thread.body.messages as Array<{ text: string }>).map((m) => m.text),
        ['parent', 'reply'],
      );
    });

    it('returns message metadata only when include_all_metadata is set', async () => {
      const metadata = { event_type: 'sluice_effect', event_payload: { key: 'effect-1' } };
      await call('chat.postMessage', { channel: GENERAL, text: 'marked', metadata });
      const without = await call('conversations.history', { channel: GENERAL });
      const withAll = await call('conversations.history', { channel: GENERAL, include_all_metadata: true });
      assert.equal((without.body.messages as Array<Record<string, unknown>>)[0]!.metadata, undefined);
      assert.deepEqual((withAll.body.messages as Array<Record<string, unknown>>)[0]!.metadata, metadata);
    });

    it('pages history newest first through cursors without losing or repeating a message', async () => {
      for (let i = 0; i < 7; i++) slack.messages.post(GENERAL, { user: ALICE, text: `m${i}` });
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await call('conversations.history', {
          channel: GENERAL,
          limit: 3,
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...(page.body.messages as Array<{ text: string }>).map((m) => m.text));
        cursor = (page.body.response_metadata as { next_cursor?: string } | undefined)?.next_cursor;
      } while (cursor);
      assert.deepEqual(seen, ['m6', 'm5', 'm4', 'm3', 'm2', 'm1', 'm0']);
      const bad = await call('conversations.history', { channel: GENERAL, cursor: 'not-a-cursor' });
      assert.equal(bad.body.error, 'invalid_cursor');
    });

    it('filters history by oldest and latest, inclusive only when asked', async () => {
      const [a, b, c] = ['a', 'b', 'c'].map((text) => slack.messages.post(GENERAL, { user: ALICE, text }));
      const exclusive = await call('conversations.history', {
        channel: GENERAL,
        oldest: a!.ts,
        latest: c!.ts,
      });
      const inclusive = await call('conversations.history', {
        channel: GENERAL,
        oldest: a!.ts,
        latest: c!.ts,
        inclusive: true,
      });
      assert.deepEqual(
        (exclusive.body.messages as Array<{ ts: string }>).map((m) => m.ts),
        [b!.ts],
      );
      assert.deepEqual(
        (inclusive.body.messages as Array<{ ts: string }>).map((m) => m.ts),
        [c!.ts, b!.ts, a!.ts],
      );
    });

    it('applies chat.update as documented: blocks replaced, metadata kept unless sent', async () => {
      const metadata = { event_type: 'sluice_card', event_payload: { approval: 'a1' } };
      const posted = await call('chat.postMessage', {
        channel: GENERAL,
        text: 'card',
        blocks: [section('v1')],
        metadata,
      });
      await call('chat.update', {
        channel: GENERAL,
        ts: posted.body.ts,
        text: 'card',
        blocks: [section('v2')],
      });
      const stored = slack.messages.find(GENERAL, posted.body.ts as string)!;
      assert.equal((stored.blocks![0] as { text: { text: string } }).text.text, 'v2');
      assert.deepEqual(stored.metadata, metadata);
      await call('chat.update', { channel: GENERAL, ts: posted.body.ts, text: 'plain now' });
      assert.equal(slack.messages.find(GENERAL, posted.body.ts as string)!.blocks, undefined);
    });
  });

  describe('injected failures', () => {
    it('answers 429 with Retry-After and Slack’s ratelimited body, then recovers after `times`', async () => {
      slack.fail('chat.postMessage', { status: 429, retryAfter: 7, times: 1 });
      const limited = await call('chat.postMessage', { channel: GENERAL, text: 'x' });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '7');
      assert.deepEqual(limited.body, { ok: false, error: 'ratelimited' });
      const next = await call('chat.postMessage', { channel: GENERAL, text: 'x' });
      assert.equal(next.status, 200);
      assert.deepEqual(
        slack.callsTo('chat.postMessage').map((c) => c.status),
        [429, 200],
      );
    });

    it('fails every method with `*` until cleared, and a method rule wins over `*`', async () => {
      const outage = slack.fail('*', { status: 503 });
      slack.fail('auth.test', { error: 'account_inactive', times: 1 });
      assert.equal((await call('auth.test')).body.error, 'account_inactive');
      assert.equal((await call('auth.test')).status, 503);
      assert.equal((await call('users.info', { user: ALICE })).status, 503);
      outage.clear();
      assert.equal((await call('auth.test')).status, 200);
    });

    it('slows a reply by delayMs and still answers it normally', async () => {
      slack.fail('auth.test', { delayMs: 150, times: 1 });
      const started = performance.now();
      const { body } = await call('auth.test');
      assert.ok(performance.now() - started >= 140);
      assert.equal(body.ok, true);
    });

    it('drops the connection when asked', async () => {
      slack.fail('auth.test', { dropConnection: true, times: 1 });
      await assert.rejects(call('auth.test'));
      assert.equal(slack.callsTo('auth.test')[0]?.status, 0);
    });

    it('closes promptly while a slow reply is pending', async () => {
      const slow = await startSlackWebApiDouble();
      slow.fail('*', { delayMs: 60_000 });
      const pending = rawSlackCall(slow, 'auth.test').catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = performance.now();
      await slow.close();
      assert.ok(performance.now() - started < 1000);
      assert.ok((await pending) instanceof Error);
    });
  });

  it('tells listeners about posted messages, and reset forgets calls, messages and failures', async () => {
    const changes: string[] = [];
    const stop = slack.onChange((change) => changes.push(change.kind));
    slack.fail('users.info', { status: 500 });
    await call('chat.postMessage', { channel: GENERAL, text: 'hello' });
    stop();
    assert.deepEqual(changes, ['message_posted', 'api_call']);
    slack.reset();
    assert.equal(slack.calls.length, 0);
    assert.equal(slack.messages.channel(GENERAL).length, 0);
    assert.equal((await call('users.info', { user: slack.identity.botUserId })).status, 200);
  });
});
