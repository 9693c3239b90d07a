import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, afterEach, before, describe, it } from 'node:test';
import { isSluiceError, type SluiceError } from '../../src/errors.ts';
import { type SlackWebApiDouble, startSlackWebApiDouble } from '../../src/local/slack-web-api-double.ts';
import { createLogger } from '../../src/logger.ts';
import { createSlackWebApiClient, type SlackWebApiClientOptions } from '../../src/slack/web-api-client.ts';

const GENERAL = 'C0GENERAL1';
const ALICE = 'U0ALICE001';

async function failure(promise: Promise<unknown>): Promise<SluiceError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isSluiceError(error), `expected a SluiceError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

describe('the Slack Web API client', () => {
  let slack: SlackWebApiDouble;
  let sleeps: number[] = [];
  const logLines: string[] = [];
  const logger = createLogger({
    level: 'trace',
    destination: new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
  });
  const client = (options: Partial<SlackWebApiClientOptions> = {}) =>
    createSlackWebApiClient({
      token: slack.token,
      apiUrl: slack.url,
      logger,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...options,
    });

  before(async () => {
    slack = await startSlackWebApiDouble({
      seed: {
        users: [{ id: ALICE, name: 'alice', realName: 'Alice Ops', email: 'alice@example.com' }],
        usergroups: [{ id: 'S0OPSLEADS', handle: 'ops-leads', users: [ALICE] }],
      },
    });
  });
  afterEach(() => {
    slack.reset();
    sleeps = [];
  });
  after(() => slack.close());

  describe('typed methods against the double', () => {
    it('posts, threads, updates and deletes messages and reads them back with their metadata', async () => {
      const slackApi = client();
      const metadata = { event_type: 'sluice_effect', event_payload: { idempotency_key: 'run-1:reply' } };
      const posted = await slackApi.postMessage({ channel: GENERAL, text: 'Answer', metadata });
      assert.equal(posted.channel, GENERAL);
      const reply = await slackApi.postMessage({ channel: GENERAL, text: 'In thread', thread_ts: posted.ts });
      await slackApi.update({ channel: GENERAL, ts: reply.ts, text: 'Edited in thread' });

      const history = await slackApi.history({ channel: GENERAL, include_all_metadata: true });
      assert.deepEqual(history.messages[0]?.metadata, metadata);
      assert.equal(history.has_more, false);
      assert.equal(history.next_cursor, undefined);
      const thread = await slackApi.replies({ channel: GENERAL, ts: posted.ts });
      assert.deepEqual(
        thread.messages.map((m) => m.text),
        ['Answer', 'Edited in thread'],
      );
      const deleted = await slackApi.delete({ channel: GENERAL, ts: reply.ts });
      assert.equal(deleted.ts, reply.ts);
      assert.equal(slack.messages.find(GENERAL, reply.ts), undefined);
    });

    it('posts ephemeral messages, publishes, opens and updates views', async () => {
      const slackApi = client();
      const ephemeral = await slackApi.postEphemeral({ channel: GENERAL, user: ALICE, text: 'Just you' });
      assert.match(ephemeral.message_ts, /^\d+\.\d{6}$/);
      const home = await slackApi.publishView({
        user_id: ALICE,
        view: {
          type: 'home',
          blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Paused: no' } } as never],
        },
      });
      assert.equal(slack.views.home(ALICE)?.view.id, home.view.id);
      const modal = await slackApi.openView({
        trigger_id: slack.mintTriggerId(ALICE),
        view: { type: 'modal', title: { type: 'plain_text', text: 'Reject' }, blocks: [] },
      });
      const updated = await slackApi.updateView({
        view_id: modal.view.id,
        hash: modal.view.hash,
        view: { type: 'modal', title: { type: 'plain_text', text: 'Rejected' }, blocks: [] },
      });
      assert.notEqual(updated.view.hash, modal.view.hash);
    });

    it('reads people, groups and its own identity, and sets assistant status and prompts', async () => {
      const slackApi = client();
      const user = await slackApi.userInfo(ALICE);
      assert.equal(user.real_name, 'Alice Ops');
      assert.equal(user.profile?.email, 'alice@example.com');
      assert.deepEqual(await slackApi.usergroupUsers('S0OPSLEADS'), [ALICE]);
      const me = await slackApi.authTest();
      assert.equal(me.user_id, slack.identity.botUserId);
      assert.equal(me.bot_id, slack.identity.botId);
      const thread = slack.messages.post(GENERAL, { user: ALICE, text: 'help' });
      await slackApi.setAssistantStatus({
        channel_id: GENERAL,
        thread_ts: thread.ts,
        status: 'is thinking…',
      });
      await slackApi.setSuggestedPrompts({
        channel_id: GENERAL,
        thread_ts: thread.ts,
        prompts: [{ title: 'Status', message: '/agent status' }],
      });
      assert.equal(slack.assistantThreads.get(`${GENERAL}:${thread.ts}`)?.status, 'is thinking…');
    });

    it('posts to a response URL on the double as JSON without a token', async () => {
      const url = slack.responseUrl({ channel: GENERAL, user: ALICE });
      await client().postToResponseUrl(url, { text: 'Queued as run 42', response_type: 'ephemeral' });
      const [recorded] = slack.callsTo('response_url');
      assert.deepEqual(recorded?.args, { text: 'Queued as run 42', response_type: 'ephemeral' });
      assert.equal(recorded?.headers.authorization, undefined);
      assert.equal(slack.messages.ephemerals({ user: ALICE })[0]?.text, 'Queued as run 42');
    });
  });

  describe('failures, mapped once to SluiceError', () => {
    it('surfaces a 429 whose Retry-After is longer than it waits in-process as rate_limited with retryAfterMs', async () => {
      slack.fail('chat.postMessage', { status: 429, retryAfter: 30 });
      const error = await failure(client().postMessage({ channel: GENERAL, text: 'x' }));
      assert.equal(error.code, 'rate_limited');
      assert.equal(error.retryable, true);
      assert.equal(error.retryAfterMs, 30_000);
      assert.equal(error.details?.outcome, 'not_applied');
      assert.equal(slack.callsTo('chat.postMessage').length, 1);
      assert.deepEqual(sleeps, []);
    });

    it('waits out a short Retry-After and retries, even for a post, since Slack did not act', async () => {
      slack.fail('chat.postMessage', { status: 429, retryAfter: 1, times: 1 });
      const posted = await client().postMessage({ channel: GENERAL, text: 'x' });
      assert.ok(posted.ts);
      assert.deepEqual(sleeps, [1000]);
      assert.deepEqual(
        slack.callsTo('chat.postMessage').map((c) => c.status),
        [429, 200],
      );
    });

    it('retries a 5xx on a read up to the attempt limit, then fails as retryable upstream_failed', async () => {
      slack.fail('conversations.history', { status: 503 });
      const error = await failure(client().history({ channel: GENERAL }));
      assert.equal(error.code, 'upstream_failed');
      assert.equal(error.retryable, true);
      assert.equal(error.details?.status, 503);
      assert.equal(error.details?.attempt, 3);
      assert.equal(slack.callsTo('conversations.history').length, 3);
      assert.equal(sleeps.length, 2);
    });

    it('does not repeat a post after a 5xx, whose outcome is unknown, and leaves the retry to its caller', async () => {
      slack.fail('chat.postMessage', { status: 500 });
      const error = await failure(client().postMessage({ channel: GENERAL, text: 'x' }));
      assert.equal(error.code, 'upstream_failed');
      assert.equal(error.retryable, true);
      assert.equal(error.details?.outcome, 'unknown');
      assert.equal(slack.callsTo('chat.postMessage').length, 1);
    });

    it('gives up on a slow reply after its timeout as a retryable upstream_failed', async () => {
      slack.fail('chat.postMessage', { delayMs: 2_000, times: 1 });
      const started = performance.now();
      const error = await failure(client({ timeoutMs: 200 }).postMessage({ channel: GENERAL, text: 'x' }));
      assert.ok(performance.now() - started < 1_500);
      assert.equal(error.code, 'upstream_failed');
      assert.equal(error.retryable, true);
      assert.equal(error.details?.reason, 'timeout');
    });

    it('maps a dropped connection to a retryable network failure', async () => {
      slack.fail('auth.test', { dropConnection: true });
      const error = await failure(client({ retry: { maxAttempts: 1 } }).authTest());
      assert.equal(error.code, 'upstream_failed');
      assert.equal(error.details?.reason, 'network');
    });

    it('maps a platform refusal to a non-retryable slack_platform_error carrying Slack’s error', async () => {
      const error = await failure(client().postMessage({ channel: 'C0NOWHERE0', text: 'x' }));
      assert.equal(error.code, 'slack_platform_error');
      assert.equal(error.retryable, false);
      assert.equal(error.details?.slackError, 'channel_not_found');
      assert.equal(slack.callsTo('chat.postMessage').length, 1);
    });

    it('treats Slack’s transient internal_error as retryable', async () => {
      slack.fail('users.info', { error: 'internal_error', times: 1 });
      const user = await client().userInfo(ALICE);
      assert.equal(user.id, ALICE);
      assert.equal(slack.callsTo('users.info').length, 2);
    });

    it('refuses to follow a response URL to a host it does not trust, without sending anything', async () => {
      const error = await failure(client().postToResponseUrl('https://attacker.example/hook', { text: 'x' }));
      assert.equal(error.code, 'invalid_input');
      assert.equal(slack.calls.length, 0);
    });

    it('maps a used-up response URL to slack_platform_error used_url', async () => {
      const url = slack.responseUrl({ channel: GENERAL, user: ALICE });
      const slackApi = client();
      for (let i = 0; i < 5; i++) await slackApi.postToResponseUrl(url, { text: `${i}` });
      const error = await failure(slackApi.postToResponseUrl(url, { text: 'sixth' }));
      assert.equal(error.code, 'slack_platform_error');
      assert.equal(error.details?.slackError, 'used_url');
    });

    it('never writes the token to its logs', async () => {
      slack.fail('*', { status: 503, times: 2 });
      await client().authTest();
      await failure(client().postMessage({ channel: 'C0NOWHERE0', text: 'x' }));
      const text = logLines.join('');
      assert.ok(text.includes('slack call'), 'the client logged its calls');
      assert.ok(!text.includes(slack.token), 'the token appears in the logs');
      assert.ok(!text.includes('xoxb-'));
      // Redaction is the last line of defence; the client should not even hand it a secret.
      assert.ok(!text.includes('[redacted]'), 'something secret-shaped reached the logger');
    });
  });
});
