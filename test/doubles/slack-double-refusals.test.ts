import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { type SlackWebApiDouble, startSlackWebApiDouble } from '../../src/local/slack-web-api-double.ts';
import { rawSlackCall } from './raw-slack-call.ts';

const GENERAL = 'C0GENERAL1';
const ALICE = 'U0ALICE001';

function section(text: string) {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

describe('the Slack Web API double refusing what Slack refuses', () => {
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

  it('refuses what Slack refuses, with Slack’s error names', async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['chat.postMessage', { channel: 'C0NOWHERE0', text: 'x' }, 'channel_not_found'],
      ['chat.postMessage', { text: 'x' }, 'channel_not_found'],
      ['chat.postMessage', { channel: GENERAL }, 'no_text'],
      ['chat.postMessage', { channel: 'C0NOBOT001', text: 'x' }, 'not_in_channel'],
      ['chat.postMessage', { channel: GENERAL, blocks: 'not json' }, 'invalid_blocks_format'],
      [
        'chat.postMessage',
        { channel: GENERAL, text: 'x', metadata: { event_type: 3 } },
        'invalid_metadata_schema',
      ],
      ['chat.update', { channel: GENERAL, ts: '1000000000.000100', text: 'x' }, 'message_not_found'],
      ['users.info', { user: 'U0NOBODY00' }, 'user_not_found'],
      ['usergroups.users.list', { usergroup: 'S0NOTHING0' }, 'no_such_subteam'],
      ['conversations.history', { channel: 'C0NOBOT001' }, 'not_in_channel'],
    ];
    for (const [method, args, error] of cases) {
      const { status, body } = await call(method, args);
      assert.equal(status, 200, method);
      assert.equal(body.ok, false, `${method} ${JSON.stringify(args)}`);
      assert.equal(body.error, error, `${method} ${JSON.stringify(args)}`);
    }
  });

  it('refuses more than 50 blocks in a message, pointing at /blocks', async () => {
    const blocks = Array.from({ length: 51 }, (_, i) => section(`block ${i}`));
    const { body } = await call('chat.postMessage', { channel: GENERAL, text: 'too many', blocks });
    assert.equal(body.error, 'invalid_blocks');
    assert.deepEqual(body.response_metadata, {
      messages: ['[ERROR] no more than 50 items allowed [json-pointer:/blocks]'],
    });
    const fifty = await call('chat.postMessage', {
      channel: GENERAL,
      text: 'fits',
      blocks: blocks.slice(0, 50),
    });
    assert.equal(fifty.body.ok, true);
  });

  it('refuses a section text over 3,000 characters and a button value over 2,000', async () => {
    const longSection = await call('chat.postMessage', {
      channel: GENERAL,
      text: 'x',
      blocks: [section('a'.repeat(3001))],
    });
    assert.deepEqual(longSection.body.errors, [
      'must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
    ]);
    const button = {
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: 'approve',
          text: { type: 'plain_text', text: 'Approve' },
          value: 'v'.repeat(2001),
        },
      ],
    };
    const longValue = await call('chat.postMessage', { channel: GENERAL, text: 'x', blocks: [button] });
    assert.deepEqual(longValue.body.errors, [
      'must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]',
    ]);
  });

  it('truncates a posted text past 40,000 characters with a warning, and refuses an update past 4,000', async () => {
    const posted = await call('chat.postMessage', { channel: GENERAL, text: 'a'.repeat(40_001) });
    assert.equal(posted.body.ok, true);
    assert.deepEqual(posted.body.response_metadata, { warnings: ['message_truncated'] });
    assert.equal(slack.messages.find(GENERAL, posted.body.ts as string)!.text.length, 40_000);
    const updated = await call('chat.update', {
      channel: GENERAL,
      ts: posted.body.ts,
      text: 'b'.repeat(4001),
    });
    assert.equal(updated.body.error, 'msg_too_long');
  });

  it('lets a trigger id open one modal within three seconds of being minted', async () => {
    const view = { type: 'modal', title: { type: 'plain_text', text: 'Reject' }, blocks: [] };
    const trigger = slack.mintTriggerId(ALICE);
    assert.equal((await call('views.open', { trigger_id: trigger, view })).body.ok, true);
    assert.equal(slack.views.all().at(-1)?.userId, ALICE);
    assert.equal(
      (await call('views.open', { trigger_id: trigger, view })).body.error,
      'exchanged_trigger_id',
    );
    const late = slack.mintTriggerId(ALICE);
    clock += 3001;
    assert.equal((await call('views.open', { trigger_id: late, view })).body.error, 'expired_trigger_id');
    assert.equal(
      (await call('views.open', { trigger_id: 'nonsense', view })).body.error,
      'invalid_trigger_id',
    );
  });

  it('answers missing_scope, naming the scope, when the token lacks it', async () => {
    const scoped = await startSlackWebApiDouble({ scopes: ['chat:write'] });
    try {
      const { body, headers } = await rawSlackCall(scoped, 'users.info', {
        user: scoped.identity.botUserId,
      });
      assert.deepEqual(body, {
        ok: false,
        error: 'missing_scope',
        needed: 'users:read',
        provided: 'chat:write',
      });
      assert.equal(headers.get('x-oauth-scopes'), 'chat:write');
    } finally {
      await scoped.close();
    }
  });
});
