import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type SlackWebApiDouble, startSlackWebApiDouble } from '../../src/local/slack-web-api-double.ts';
import { shapeDifferences } from './json-shape.ts';
import { rawSlackCall } from './raw-slack-call.ts';

/**
 * The Slack double answers each method with the keys and JSON types of the example responses in
 * Slack's Web API reference (fixtures/slack-documented-examples.json), for successes and for the
 * documented errors. Calls go over HTTP with form bodies, as @slack/web-api sends them.
 */

const { examples } = JSON.parse(
  fs.readFileSync(new URL('./fixtures/slack-documented-examples.json', import.meta.url), 'utf8'),
) as { examples: Record<string, Record<string, unknown>> };

const GENERAL = 'C0GENERAL1';
const EGON = 'U061F7AUR';
const PETER = 'U222BBB222';

function assertMatchesExample(
  name: string,
  actual: Record<string, unknown>,
  optional: Record<string, string> = {},
) {
  const documented = examples[name];
  assert.ok(documented, `no documented example named ${name}`);
  assert.deepEqual(shapeDifferences(documented, actual, optional), [], `${name}: ${JSON.stringify(actual)}`);
  if (documented.ok === false) assert.equal(actual.error, documented.error);
}

describe('the Slack double against the documented example responses', () => {
  let slack: SlackWebApiDouble;
  const call = (method: string, args: Record<string, unknown> = {}) => rawSlackCall(slack, method, args);

  before(async () => {
    slack = await startSlackWebApiDouble({
      seed: {
        users: [
          {
            id: EGON,
            name: 'spengler',
            realName: 'Egon Spengler',
            email: 'spengler@ghostbusters.example.com',
            isAdmin: true,
          },
          { id: PETER, name: 'venkman' },
        ],
        channels: [{ id: 'C0PRIVATE1', name: 'ops-leads', members: [EGON] }],
        usergroups: [{ id: 'S0604QSJC', handle: 'ops-leads', users: [EGON, PETER] }],
      },
    });
  });
  after(() => slack.close());

  it('answers auth.test as the bot-token example, and refuses a missing or wrong token', async () => {
    assertMatchesExample('auth.test', (await call('auth.test')).body);
    assertMatchesExample(
      'auth.test#error_with_no_token',
      (await rawSlackCall(slack, 'auth.test', {}, { token: null })).body,
    );
    assertMatchesExample(
      'auth.test#error',
      (await rawSlackCall(slack, 'auth.test', {}, { token: 'xoxb-not-a-real-token' })).body,
    );
  });

  it('answers chat.postMessage with the posted message, as the example with attachments', async () => {
    const { body } = await call('chat.postMessage', {
      channel: GENERAL,
      text: "Here's a message for you",
      username: 'ecto1',
      attachments: [{ text: 'This is an attachment', fallback: "This is an attachment's fallback" }],
    });
    assertMatchesExample('chat.postMessage', body);
    assert.equal((body.message as { ts: string }).ts, body.ts);
  });

  it('answers chat.postEphemeral with message_ts, and user_not_in_channel for an outsider', async () => {
    assertMatchesExample(
      'chat.postEphemeral',
      (await call('chat.postEphemeral', { channel: GENERAL, user: EGON, text: 'psst' })).body,
    );
    const refused = await call('chat.postEphemeral', { channel: 'C0PRIVATE1', user: PETER, text: 'psst' });
    assertMatchesExample('chat.postEphemeral#error', refused.body);
  });

  it('answers chat.update as the example, and cant_update_message for a message that is not the bot’s', async () => {
    const posted = await call('chat.postMessage', { channel: GENERAL, text: 'draft' });
    const updated = await call('chat.update', {
      channel: GENERAL,
      ts: posted.body.ts,
      text: 'Updated text you carefully authored',
    });
    assertMatchesExample('chat.update', updated.body);
    const human = slack.messages.post(GENERAL, { user: EGON, text: 'mine' });
    assertMatchesExample(
      'chat.update#error',
      (await call('chat.update', { channel: GENERAL, ts: human.ts, text: 'x' })).body,
    );
  });

  it('answers chat.delete as the example, and message_not_found for an unknown ts', async () => {
    const posted = await call('chat.postMessage', { channel: GENERAL, text: 'to be deleted' });
    assertMatchesExample(
      'chat.delete',
      (await call('chat.delete', { channel: GENERAL, ts: posted.body.ts })).body,
    );
    assertMatchesExample(
      'chat.delete#error',
      (await call('chat.delete', { channel: GENERAL, ts: posted.body.ts })).body,
    );
  });

  it('answers views.publish with the published Home view, and invalid_arguments for an unknown user', async () => {
    const view = {
      type: 'home',
      callback_id: 'identify_your_home_tab',
      private_metadata: 'Shh it is a secret',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: 'A simple section with some sample sentence.' } },
      ],
    };
    assertMatchesExample('views.publish', (await call('views.publish', { user_id: EGON, view })).body);
    assertMatchesExample(
      'views.publish#error',
      (await call('views.publish', { user_id: 'U0NOBODY00', view })).body,
    );
  });

  it('answers views.open and views.update with the view, and not_found for an unknown view', async () => {
    const opened = await call('views.open', {
      trigger_id: slack.mintTriggerId(EGON),
      view: {
        type: 'modal',
        callback_id: 'identify_your_modals',
        private_metadata: 'Shh it is a secret',
        title: { type: 'plain_text', text: 'Quite a plain modal' },
        submit: { type: 'plain_text', text: 'Create' },
        blocks: [
          {
            type: 'input',
            block_id: 'a_block_id',
            label: { type: 'plain_text', text: 'A simple label' },
            optional: false,
            element: { type: 'plain_text_input', action_id: 'an_action_id' },
          },
        ],
      },
    });
    assertMatchesExample('views.open', opened.body);
    const viewId = (opened.body.view as { id: string }).id;
    const updated = await call('views.update', {
      view_id: viewId,
      view: {
        type: 'modal',
        callback_id: 'view_2',
        clear_on_close: true,
        title: { type: 'plain_text', text: 'Updated Modal' },
        close: { type: 'plain_text', text: 'Close' },
        blocks: [
          {
            type: 'section',
            block_id: 's_block',
            text: { type: 'plain_text', text: 'I am but an updated modal' },
            accessory: {
              type: 'button',
              action_id: 'button_4',
              text: { type: 'plain_text', text: 'Click me' },
            },
          },
        ],
      },
    });
    assertMatchesExample('views.update', updated.body);
    assert.equal((updated.body.view as { id: string }).id, viewId);
    assertMatchesExample(
      'views.update#error',
      (await call('views.update', { view_id: 'V0UNKNOWN00', view: { type: 'modal' } })).body,
    );
  });

  it('answers conversations.history with a page and a cursor, and channel_not_found for an unknown channel', async () => {
    slack.messages.post(GENERAL, {
      user: EGON,
      text: 'I find you punny and would like to smell your nose letter',
    });
    slack.messages.post(GENERAL, { user: PETER, text: 'What, you want to smell my shoes better?' });
    const page = await call('conversations.history', { channel: GENERAL, limit: 2 });
    assertMatchesExample('conversations.history', page.body);
    assert.equal(page.body.has_more, true);
    assertMatchesExample(
      'conversations.history#error',
      (await call('conversations.history', { channel: 'C0NOWHERE0' })).body,
    );
  });

  it('answers conversations.replies with the parent then its replies, and thread_not_found for an unknown ts', async () => {
    const parent = slack.messages.post(GENERAL, { user: EGON, text: 'island' });
    for (const text of ['one island', 'two island', 'three for the land']) {
      slack.messages.post(GENERAL, { user: EGON, text, thread_ts: parent.ts });
    }
    const thread = await call('conversations.replies', { channel: GENERAL, ts: parent.ts, limit: 2 });
    assertMatchesExample('conversations.replies', thread.body, {
      'messages[].last_read': 'read state belongs to a person; the double does not model it',
      'messages[].unread_count': 'read state belongs to a person; the double does not model it',
    });
    assert.equal(thread.body.has_more, true);
    const missing = await call('conversations.replies', { channel: GENERAL, ts: '1000000000.000100' });
    assertMatchesExample('conversations.replies#error', missing.body);
  });

  it('answers users.info with the full user object, and user_not_found for an unknown user', async () => {
    assertMatchesExample('users.info', (await call('users.info', { user: EGON })).body);
    assertMatchesExample('users.info#error', (await call('users.info', { user: 'U0NOBODY00' })).body);
  });

  it('answers usergroups.users.list with the member ids', async () => {
    const { body } = await call('usergroups.users.list', { usergroup: 'S0604QSJC' });
    assertMatchesExample('usergroups.users.list', body);
    assert.deepEqual(body.users, [EGON, PETER]);
  });

  it('answers the assistant thread methods, with the documented detail on their errors', async () => {
    const thread = slack.messages.post(GENERAL, { user: EGON, text: 'help me' });
    const status = await call('assistant.threads.setStatus', {
      channel_id: GENERAL,
      thread_ts: thread.ts,
      status: 'is thinking...',
    });
    assertMatchesExample('assistant.threads.setStatus', status.body);
    assert.equal(slack.assistantThreads.get(`${GENERAL}:${thread.ts}`)?.status, 'is thinking...');
    const prompts = [{ title: 'Rotate a password', message: 'How do I rotate the staging password?' }];
    const set = await call('assistant.threads.setSuggestedPrompts', {
      channel_id: GENERAL,
      thread_ts: thread.ts,
      prompts,
    });
    assertMatchesExample('assistant.threads.setSuggestedPrompts', set.body);
    const badChannel = await call('assistant.threads.setStatus', {
      channel_id: 'C0NOWHERE0',
      thread_ts: thread.ts,
      status: 'x',
    });
    assertMatchesExample('assistant.threads.setStatus#error', badChannel.body);
    const badThread = await call('assistant.threads.setSuggestedPrompts', {
      channel_id: GENERAL,
      thread_ts: '1000000000.000100',
      prompts,
    });
    assertMatchesExample('assistant.threads.setSuggestedPrompts#error', badThread.body);
  });
});
