import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { type SlackWebApiDouble, startSlackWebApiDouble } from '../../src/local/slack-web-api-double.ts';

const GENERAL = 'C0GENERAL1';
const ALICE = 'U0ALICE001';

async function post(url: string, body: unknown) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('response URLs on the Slack double', () => {
  let slack: SlackWebApiDouble;
  let clock = Date.now();

  before(async () => {
    slack = await startSlackWebApiDouble({
      now: () => clock,
      seed: { users: [{ id: ALICE, name: 'alice' }] },
    });
  });
  afterEach(() => {
    slack.reset();
    clock = Date.now();
  });
  after(() => slack.close());

  it('mints a URL per command, shaped like Slack’s, on the double’s origin', () => {
    const first = slack.responseUrl({ channel: GENERAL, user: ALICE });
    const second = slack.responseUrl({ channel: GENERAL, user: ALICE });
    assert.match(first, new RegExp(`^${slack.origin}/commands/T0LOCAL001/\\d+/[0-9a-f]{24}$`));
    assert.notEqual(first, second);
  });

  it('replies ephemerally by default and records the post', async () => {
    const url = slack.responseUrl({ channel: GENERAL, user: ALICE });
    const { status, body } = await post(url, { text: 'Only you can see this' });
    assert.equal(status, 200);
    assert.deepEqual(body, { ok: true });
    assert.deepEqual(
      slack.messages.ephemerals({ user: ALICE }).map((m) => m.text),
      ['Only you can see this'],
    );
    assert.equal(slack.messages.channel(GENERAL).length, 0);
    const [recorded] = slack.callsTo('response_url');
    assert.equal(recorded?.responseUrl?.url, url);
    assert.deepEqual(recorded?.args, { text: 'Only you can see this' });
    assert.equal(recorded?.responseUrl?.target?.user, ALICE);
  });

  it('posts in the channel for response_type in_channel, then replaces that reply', async () => {
    const url = slack.responseUrl({ channel: GENERAL, user: ALICE });
    await post(url, { response_type: 'in_channel', text: 'Working on it…' });
    await post(url, { replace_original: true, text: 'Done.' });
    assert.deepEqual(
      slack.messages.channel(GENERAL).map((m) => m.text),
      ['Done.'],
    );
  });

  it('replaces or deletes the message an action came from', async () => {
    const card = slack.messages.post(GENERAL, {
      bot_id: slack.identity.botId,
      user: slack.identity.botUserId,
      text: 'Approve?',
    });
    const url = slack.responseUrl({ kind: 'actions', channel: GENERAL, user: ALICE, messageTs: card.ts });
    assert.match(url, /\/actions\//);
    await post(url, { replace_original: true, text: 'Approved by <@U0ALICE001>' });
    assert.equal(slack.messages.find(GENERAL, card.ts)?.text, 'Approved by <@U0ALICE001>');
    await post(url, { delete_original: true });
    assert.equal(slack.messages.find(GENERAL, card.ts), undefined);
  });

  it('refuses a post with nothing to show', async () => {
    const url = slack.responseUrl({ channel: GENERAL, user: ALICE });
    const { status, body } = await post(url, {});
    assert.equal(status, 400);
    assert.equal(body.error, 'no_text');
  });

  it('allows five posts, then answers used_url', async () => {
    const url = slack.responseUrl({ channel: GENERAL, user: ALICE });
    for (let i = 0; i < 5; i++) assert.equal((await post(url, { text: `update ${i}` })).status, 200);
    assert.deepEqual(await post(url, { text: 'one too many' }), {
      status: 404,
      body: { ok: false, error: 'used_url' },
    });
  });

  it('expires a URL after thirty minutes, and answers an unknown one with 404', async () => {
    const url = slack.responseUrl({ channel: GENERAL, user: ALICE });
    clock += 30 * 60_000 + 1;
    assert.deepEqual(await post(url, { text: 'late' }), {
      status: 404,
      body: { ok: false, error: 'expired_url' },
    });
    assert.equal((await post(`${slack.origin}/commands/T0LOCAL001/1/abc`, { text: 'x' })).status, 404);
  });

  it('fails response URL posts on demand under the name response_url', async () => {
    slack.fail('response_url', { status: 500, times: 1 });
    const url = slack.responseUrl({ channel: GENERAL, user: ALICE });
    assert.equal((await post(url, { text: 'x' })).status, 500);
    assert.equal((await post(url, { text: 'x' })).status, 200);
  });
});
