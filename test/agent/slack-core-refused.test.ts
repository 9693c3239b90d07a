import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSlackCore, type SlackCoreDeps } from '../../src/agent/slack-core.ts';
import { SluiceError } from '../../src/errors.ts';
import type { Admission, Inbox } from '../../src/inbox/create-inbox.ts';
import { createTestLogger } from '../support/test-logger.ts';

/**
 * A request acknowledged from the inbox journal that the database then refuses: the person is
 * told, where Slack lets Sluice reach them, that nothing was done and what to do. The inbox and
 * Slack's Web API are TEST DOUBLES here (the journal's refusal itself is tested against the real
 * database in test/durable/inbox-journal.test.ts); the parts of the core these requests do not
 * touch are left out.
 */

const actor = { teamId: 'T0REFUSE01', userId: 'U0REFUSE01', channelId: 'C0REFUSE01' };

function harness() {
  const told: { method: string; args: unknown }[] = [];
  const refusedInbox: Inbox = {
    accept: () => Promise.reject(new Error('not used')),
    async admit(request) {
      const recorded = Promise.reject(new SluiceError('invalid_input', 'the database refused it'));
      recorded.catch(() => {});
      return { runId: request.run ? 'run-refused' : null, duplicate: false, recorded } satisfies Admission;
    },
    recover: () => Promise.reject(new Error('not used')),
    settled: async () => {},
    stop: async () => {},
  };
  const slack = {
    async postToResponseUrl(url: string, message: unknown) {
      told.push({ method: 'response_url', args: { url, message } });
    },
    async postEphemeral(args: unknown) {
      told.push({ method: 'chat.postEphemeral', args });
      return { ok: true as const, message_ts: '1.1' };
    },
    async postMessage(args: unknown) {
      told.push({ method: 'chat.postMessage', args });
      return { ok: true as const, channel: actor.channelId, ts: '1.2' };
    },
    publishView: () => Promise.reject(new Error('not used')),
    getPermalink: () => Promise.reject(new Error('not used')),
  };
  const core = createSlackCore({
    inbox: refusedInbox,
    slack: slack as unknown as SlackCoreDeps['slack'],
    votes: { job: (vote) => ({ kind: 'vote', payload: vote, key: vote.key }), wake: () => {} },
    logger: createTestLogger(),
    operators: [],
    // Not reached by these requests.
    db: undefined as never,
    killSwitch: undefined as never,
    processor: undefined as never,
    registry: undefined as never,
    render: undefined as never,
    groupsOf: async () => [],
    modes: () => ({ retrievalMode: 'hybrid', modelMode: 'no-model', dayCeilingUsd: undefined }),
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
  return { core, told, settle };
}

describe('a journalled request the database refuses', () => {
  it('tells the person who typed the command, through its response_url', async () => {
    const { core, told, settle } = harness();
    const { reply } = await core.acceptCommand({
      key: 'command:refused',
      actor,
      command: { kind: 'ask', question: 'how do I restart payments?' },
      rawText: 'ask how do I restart payments?',
      responseUrl: 'https://hooks.slack.com/commands/T0REFUSE01/1/abc',
      payload: {},
    });
    assert.match(reply.text, /On it/);
    await settle();
    assert.deepEqual(told, [
      {
        method: 'response_url',
        args: {
          url: 'https://hooks.slack.com/commands/T0REFUSE01/1/abc',
          message: {
            response_type: 'ephemeral',
            replace_original: false,
            text: 'Sluice could not store your request, so nothing was done. Please try again; if it keeps failing, tell your Sluice operator.',
          },
        },
      },
    ]);
  });

  it('tells the person who mentioned Sluice, in the thread, visible to them only', async () => {
    const { core, told, settle } = harness();
    await core.acceptMessage({
      key: 'event:Ev0REFUSED',
      actor,
      surface: 'mention',
      text: 'restart payments',
      ts: '1700000000.000100',
      threadTs: undefined,
      payload: {},
    });
    await settle();
    assert.deepEqual(told, [
      {
        method: 'chat.postEphemeral',
        args: {
          channel: actor.channelId,
          user: actor.userId,
          thread_ts: '1700000000.000100',
          text: 'Sluice could not store your request, so nothing was done. Please try again; if it keeps failing, tell your Sluice operator.',
        },
      },
    ]);
  });

  it('tells the person in an assistant thread with a message there, which also ends the thinking status, and titles nothing', async () => {
    const { core, told, settle } = harness();
    const { firstInThread } = await core.acceptMessage({
      key: 'event:Ev0REFUSED2',
      actor,
      surface: 'assistant',
      text: 'restart payments',
      ts: '1700000000.000300',
      threadTs: '1700000000.000200',
      payload: {},
    });
    assert.equal(await firstInThread, false, 'a request not stored does not title the thread');
    await settle();
    assert.deepEqual(told, [
      {
        method: 'chat.postMessage',
        args: {
          channel: actor.channelId,
          thread_ts: '1700000000.000200',
          text: 'Sluice could not store your request, so nothing was done. Please try again; if it keeps failing, tell your Sluice operator.',
        },
      },
    ]);
  });

  it('tells the voter to press the button again', async () => {
    const { core, told, settle } = harness();
    await core.acceptInteraction({
      key: 'interaction:refused',
      actor,
      kind: 'approve',
      value: 'approval-value',
      message: { channel: actor.channelId, ts: '1700000000.000200' },
      responseUrl: 'https://hooks.slack.com/actions/T0REFUSE01/2/def',
      payload: {},
    });
    await settle();
    assert.equal(told.length, 1);
    assert.equal(told[0]!.method, 'response_url');
    assert.match(
      (told[0]!.args as { message: { text: string } }).message.text,
      /^Sluice could not store your request, so nothing was done\. Please press the button again\.$/,
    );
  });
});
