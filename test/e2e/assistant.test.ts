import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  SUGGESTED_PROMPTS,
  SUGGESTED_PROMPTS_TITLE,
  THINKING_STATUS,
  threadTitle,
} from '../../handlers/events/assistant-thread.ts';
import type { Database } from '../../src/db/database.ts';
import {
  assistantThreadMessageEvent,
  assistantThreadStartedEvent,
  directMessageEvent,
} from '../../src/local/slack-payloads.ts';
import { createEmbeddedTestDatabase } from '../support/test-database.ts';
import { eventually, type Harness, OPS_CHANNEL, startHarness, USERS } from './support/sluice-harness.ts';

/**
 * Slack's assistant surface end to end: signed requests through the real Bolt transport, the real
 * core on an embedded database (no model), the Slack double as Slack. Each test asserts the Web
 * API calls Sluice made from the moment Slack sent its request until Sluice fell quiet.
 */

let db: Database;
let h: Harness;

before(async () => {
  db = await createEmbeddedTestDatabase();
  h = await startHarness(db);
});

after(async () => {
  await h.stop();
  await db.close();
});

/** Waits until Sluice has made no Web API call for a while, then returns the calls since `from`. */
async function callsSince(from: number) {
  for (let seen = -1; seen !== h.slack.calls.length; ) {
    seen = h.slack.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
  return h.slack.calls.slice(from);
}

const okOf = (response: unknown) => (response as { ok?: boolean }).ok;

describe('the assistant surface', () => {
  it('sets the suggested prompts when someone opens an assistant thread', async () => {
    const context = { channel_id: OPS_CHANNEL, team_id: h.slack.identity.teamId };
    const thread = h.slack.openAssistantThread(USERS.alice, context);
    const from = h.slack.calls.length;
    const sent = await h.driver.event({ event: assistantThreadStartedEvent({ ...thread, context }) });
    assert.equal(sent.status, 200);
    const made = await callsSince(from);
    assert.deepEqual(
      made.map((c) => ({ method: c.method, args: c.args, ok: okOf(c.response) })),
      [
        {
          method: 'assistant.threads.setSuggestedPrompts',
          args: {
            channel_id: thread.channel,
            thread_ts: thread.threadTs,
            title: SUGGESTED_PROMPTS_TITLE,
            prompts: SUGGESTED_PROMPTS,
            team_id: h.slack.identity.teamId,
          },
          ok: true,
        },
      ],
    );
    assert.deepEqual(
      h.slack.assistantThreads.get(`${thread.channel}:${thread.threadTs}`)?.prompts,
      SUGGESTED_PROMPTS,
    );
  });

  it('shows "thinking" while the run works, then answers with citations in the same thread', async () => {
    const thread = h.slack.openAssistantThread(USERS.bob);
    const key = `${thread.channel}:${thread.threadTs}`;
    const text = SUGGESTED_PROMPTS[0]!.message;
    const message = h.slack.messages.post(thread.channel, {
      user: USERS.bob,
      text,
      thread_ts: thread.threadTs,
    });
    const from = h.slack.calls.length;
    const sent = await h.driver.event({
      event: assistantThreadMessageEvent({
        user: USERS.bob,
        channel: thread.channel,
        text,
        ts: message.ts,
        threadTs: thread.threadTs,
      }),
    });
    assert.equal(sent.status, 200);
    // The status was set before Slack got its ack.
    assert.equal(h.slack.assistantThreads.get(key)?.status, THINKING_STATUS);

    await eventually('the answer in the thread', () =>
      h.slack.callsTo('chat.postMessage').find((c) => c.args.channel === thread.channel),
    );
    const made = await callsSince(from);
    assert.deepEqual(
      made.map((c) => [c.method, okOf(c.response)]),
      [
        ['assistant.threads.setStatus', true],
        // The thread's first question, stored: it becomes the thread's title.
        ['assistant.threads.setTitle', true],
        // The thread's earlier messages, read as context for the model.
        ['conversations.replies', true],
        ['chat.postMessage', true],
      ],
    );
    assert.deepEqual(made[0]!.args, {
      channel_id: thread.channel,
      thread_ts: thread.threadTs,
      status: THINKING_STATUS,
      team_id: h.slack.identity.teamId,
    });
    assert.deepEqual(made[1]!.args, {
      channel_id: thread.channel,
      thread_ts: thread.threadTs,
      title: threadTitle(text),
      team_id: h.slack.identity.teamId,
    });
    assert.equal(h.slack.assistantThreads.get(key)?.title, 'How do I rotate the staging database password?');
    assert.deepEqual(made[2]!.args.ts, thread.threadTs);
    const answer = made[3]!;
    assert.equal(answer.args.channel, thread.channel);
    assert.equal(answer.args.thread_ts, thread.threadTs);
    assert.equal(String(answer.args.unfurl_links), 'false');
    const blocks = JSON.stringify(answer.args.blocks);
    assert.match(blocks, /\[1\]/);
    assert.match(blocks, /staging-database/);
    assert.match(blocks, /vault write/);
    assert.equal(h.slack.assistantThreads.get(key)?.status, undefined, 'the reply cleared the status');
    const replies = h.slack.messages.thread(thread.channel, thread.threadTs);
    assert.deepEqual(
      replies.map((m) => m.user),
      [USERS.bob, USERS.bob, h.slack.identity.botUserId],
      'root, question, answer',
    );
  });

  it('keeps the title of the thread when the person asks again in it', async () => {
    const thread = h.slack.openAssistantThread(USERS.dave);
    const key = `${thread.channel}:${thread.threadTs}`;
    const ask = async (text: string) => {
      const message = h.slack.messages.post(thread.channel, {
        user: USERS.dave,
        text,
        thread_ts: thread.threadTs,
      });
      const from = h.slack.calls.length;
      const answers = () =>
        h.slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === thread.threadTs).length;
      const answered = answers();
      const sent = await h.driver.event({
        event: assistantThreadMessageEvent({
          user: USERS.dave,
          channel: thread.channel,
          text,
          ts: message.ts,
          threadTs: thread.threadTs,
        }),
      });
      assert.equal(sent.status, 200);
      await eventually('the answer in the thread', () => (answers() > answered ? true : undefined));
      return (await callsSince(from)).map((c) => c.method);
    };
    assert.ok((await ask('How are staging backups kept?')).includes('assistant.threads.setTitle'));
    const again = await ask('And how long are they kept?');
    assert.deepEqual(again, ['assistant.threads.setStatus', 'conversations.replies', 'chat.postMessage']);
    assert.equal(h.slack.assistantThreads.get(key)?.title, 'How are staging backups kept?');
  });

  it('answers a plain DM as before when no assistant event comes, with no assistant calls', async () => {
    const im = h.slack.directory.channel(USERS.carol)!;
    const text = 'how are staging backups kept?';
    const message = h.slack.messages.post(im.id, { user: USERS.carol, text });
    const from = h.slack.calls.length;
    const sent = await h.driver.event({
      event: directMessageEvent({ user: USERS.carol, channel: im.id, text, ts: message.ts }),
    });
    assert.equal(sent.status, 200);
    await eventually('the answer under the DM', () =>
      h.slack.callsTo('chat.postMessage').find((c) => c.args.channel === im.id),
    );
    const made = await callsSince(from);
    assert.deepEqual(
      made.map((c) => [c.method, okOf(c.response)]),
      [['chat.postMessage', true]],
    );
    assert.equal(made[0]!.args.thread_ts, message.ts, 'a new thread under the person’s message');
    assert.match(JSON.stringify(made[0]!.args.blocks), /Backups|seven days/);
    assert.equal(h.slack.assistantThreads.size, 3, 'only the three threads opened above');
  });
});

describe('with SLUICE_SLACK_ASSISTANT=off', () => {
  let offDb: Database;
  let off: Harness;

  before(async () => {
    offDb = await createEmbeddedTestDatabase();
    off = await startHarness(offDb, { env: { SLUICE_SLACK_ASSISTANT: 'off' } });
  });

  after(async () => {
    await off.stop();
    await offDb.close();
  });

  it('answers a reply in a DM thread as an ordinary DM, with no assistant calls', async () => {
    const im = off.slack.directory.channel(USERS.alice)!;
    const root = off.slack.messages.post(im.id, { user: USERS.alice, text: 'about staging' });
    const text = 'how are staging backups kept?';
    const reply = off.slack.messages.post(im.id, { user: USERS.alice, text, thread_ts: root.ts });
    const from = off.slack.calls.length;
    const sent = await off.driver.event({
      event: directMessageEvent({ user: USERS.alice, channel: im.id, text, ts: reply.ts, threadTs: root.ts }),
    });
    assert.equal(sent.status, 200);
    await eventually('the answer in the thread', () =>
      off.slack.callsTo('chat.postMessage').find((c) => c.args.channel === im.id),
    );
    for (let seen = -1; seen !== off.slack.calls.length; ) {
      seen = off.slack.calls.length;
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    const made = off.slack.calls.slice(from);
    assert.deepEqual(
      made.map((c) => [c.method, okOf(c.response)]),
      [
        ['conversations.replies', true],
        ['chat.postMessage', true],
      ],
    );
    assert.equal(made[1]!.args.thread_ts, root.ts, 'in the thread the person wrote in');
    const runs = await offDb.query<{ origin: string }>('SELECT origin FROM runs WHERE thread_ts = $1', [
      root.ts,
    ]);
    assert.deepEqual(
      runs.rows.map((r) => r.origin),
      ['dm:request'],
    );
  });
});
