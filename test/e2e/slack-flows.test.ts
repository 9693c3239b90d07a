import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FEEDBACK_HELPFUL, FEEDBACK_NOT_HELPFUL } from '../../handlers/blocks/answer-blocks.ts';
import { APPROVE_ACTION, REJECT_ACTION, REJECT_MODAL } from '../../handlers/blocks/approval-card.ts';
import type { Database } from '../../src/db/database.ts';
import type { SlackDoubleCall } from '../../src/local/slack-web-api-double.ts';
import { createEmbeddedTestDatabase } from '../support/test-database.ts';
import { eventually, type Harness, OPS_CHANNEL, startHarness, USERS } from './support/sluice-harness.ts';

/**
 * The Slack flows end to end: signed requests through the real Bolt transport, the real core on
 * an embedded database (no model: the declared no-model mode), the Slack double as Slack and a
 * local server as the deploy API. Each test asserts the Web API calls Sluice made.
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

const posts = (channel = OPS_CHANNEL) =>
  h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && c.status === 200);
const text = (call: SlackDoubleCall) => JSON.stringify(call.args);

async function replyAfter(count: number, pattern: RegExp): Promise<SlackDoubleCall> {
  return eventually(`a post matching ${pattern}`, () =>
    posts()
      .slice(count)
      .find((c) => pattern.test(text(c))),
  );
}

describe('/agent ask', () => {
  it('answers with numbered citations from the knowledge base, without a model', async () => {
    const before = posts().length;
    const ack = await h.driver.command({
      command: '/agent',
      text: 'ask how do I rotate the staging database password?',
      userId: USERS.alice,
      channelId: OPS_CHANNEL,
    });
    assert.equal(ack.status, 200);
    assert.match(JSON.stringify(ack.json()), /On it/);
    const answer = await replyAfter(before, /staging-database/);
    const blocks = JSON.stringify(answer.args.blocks);
    assert.match(blocks, /\[1\]/);
    assert.match(blocks, /vault write/);
    assert.match(blocks, /No model available/);
    assert.equal(String(answer.args.unfurl_links), 'false');
  });

  it('says plainly when nothing matches', async () => {
    const before = posts().length;
    await h.driver.command({
      command: '/agent',
      text: 'ask zebra xylophone quasar',
      userId: USERS.alice,
      channelId: OPS_CHANNEL,
    });
    await replyAfter(before, /will not guess/);
  });
});

describe('feedback on an answer', () => {
  it('stores a helpful and then a not-helpful vote (one per person), acks with an empty body and thanks only the clicker', async () => {
    const before = posts().length;
    await h.driver.command({
      command: '/agent',
      text: 'ask how do I rotate the staging database password? (feedback)',
      userId: USERS.alice,
      channelId: OPS_CHANNEL,
    });
    const answer = await replyAfter(before, /staging-database/);
    const buttons = (
      answer.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]
    )
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements ?? []);
    const helpful = buttons.find((e) => e.action_id === FEEDBACK_HELPFUL)!;
    const notHelpful = buttons.find((e) => e.action_id === FEEDBACK_NOT_HELPFUL)!;
    const message = { channel: OPS_CHANNEL, ts: (answer.response as { ts: string }).ts };
    const feedback = () =>
      db.query<{ helpful: boolean }>(
        'SELECT helpful FROM answer_feedback WHERE run_id = $1 AND user_id = $2',
        [helpful.value, USERS.bob],
      );
    const thanks = () =>
      h.slack.calls.filter(
        (c) => c.method === 'response_url' && /feedback is recorded/.test(JSON.stringify(c.args)),
      );
    const postsBefore = h.slack.callsTo('chat.postMessage').length;

    const click = await h.driver.blockAction({
      user: { id: USERS.bob },
      action: { action_id: FEEDBACK_HELPFUL, value: helpful.value },
      message,
    });
    assert.equal(click.status, 200);
    assert.equal(click.text, '', 'a bare ack');
    await eventually(
      'the helpful vote stored',
      async () => (await feedback()).rows[0]?.helpful === true || undefined,
    );
    const first = await eventually('the thanks', () => thanks()[0]);
    assert.equal((first.args as { response_type?: string }).response_type, 'ephemeral');
    assert.equal((first.args as { replace_original?: boolean }).replace_original, false);

    await h.driver.blockAction({
      user: { id: USERS.bob },
      action: { action_id: FEEDBACK_NOT_HELPFUL, value: notHelpful.value },
      message,
    });
    await eventually(
      'the vote changed to not helpful',
      async () => (await feedback()).rows[0]?.helpful === false || undefined,
    );
    assert.equal((await feedback()).rows.length, 1, 'one vote per person per answer');
    await eventually('thanked twice', () => (thanks().length === 2 ? true : undefined));
    assert.equal(h.slack.callsTo('chat.postMessage').length, postsBefore, 'nothing posted in the channel');
  });
});

describe('/agent do', () => {
  it('runs an allowed staging action once and replies in the channel', async () => {
    const before = posts().length;
    const calls = h.deployCalls.length;
    await h.driver.command({
      command: '/agent',
      text: 'do http.request endpoint=restart-service params.service=payments-worker params.environment=staging',
      userId: USERS.alice,
      channelId: OPS_CHANNEL,
    });
    await replyAfter(before, /Done/);
    assert.equal(h.deployCalls.length, calls + 1);
    const call = h.deployCalls.at(-1)!;
    assert.equal(call.method, 'POST');
    assert.match(call.url, /\/environments\/staging\/services\/payments-worker\/restart/);
    assert.ok(call.idempotencyKey, 'the endpoint receives an Idempotency-Key');
  });

  it('escalates production: the requester cannot approve, two ops leads can, and the effect runs once', async () => {
    const before = posts().length;
    const calls = h.deployCalls.length;
    await h.driver.command({
      command: '/agent',
      text: 'do http.request endpoint=restart-service params.service=payments-worker params.environment=production',
      userId: USERS.alice,
      channelId: OPS_CHANNEL,
    });
    const card = await replyAfter(before, /Approval needed/);
    const blocks = card.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[];
    const approve = blocks
      .find((b) => b.type === 'actions')!
      .elements!.find((e) => e.action_id === APPROVE_ACTION)!;
    const message = {
      channel: OPS_CHANNEL,
      ts: String(card.response && (card.response as { ts: string }).ts),
    };

    const own = await h.driver.blockAction({
      user: { id: USERS.alice },
      action: { action_id: APPROVE_ACTION, value: approve.value },
      message,
    });
    assert.equal(own.status, 200);
    await eventually('a refusal for the requester', () =>
      h.slack.calls.find((c) => c.method === 'response_url' && /not counted/.test(JSON.stringify(c.args))),
    );

    await h.driver.blockAction({
      user: { id: USERS.bob },
      action: { action_id: APPROVE_ACTION, value: approve.value },
      message,
    });
    await eventually('the card updated with one approval', () =>
      h.slack.callsTo('chat.update').find((c) => /1 of 2 approvals/.test(JSON.stringify(c.args))),
    );
    assert.equal(h.deployCalls.length, calls, 'one approval is not enough');

    await h.driver.blockAction({
      user: { id: USERS.carol },
      action: { action_id: APPROVE_ACTION, value: approve.value },
      message,
    });
    await replyAfter(before, /Done/);
    assert.equal(h.deployCalls.length, calls + 1);
    assert.match(h.deployCalls.at(-1)!.url, /environments\/production/);
    const decided = await eventually('the card updated as approved', () =>
      h.slack
        .callsTo('chat.update')
        .find((c) => c.args.ts === message.ts && /✅ Approved\*/.test(JSON.stringify(c.args))),
    );
    assert.ok(!JSON.stringify(decided.args.blocks).includes('"actions"'), 'a decided card has no buttons');
    // A late click changes nothing.
    await h.driver.blockAction({
      user: { id: USERS.dave },
      action: { action_id: APPROVE_ACTION, value: approve.value },
      message,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(h.deployCalls.length, calls + 1);
  });

  it('rejects with a reason from the modal, and nothing runs', async () => {
    const before = posts().length;
    const calls = h.deployCalls.length;
    await h.driver.command({
      command: '/agent',
      text: 'do http.request endpoint=restart-service params.service=ledger params.environment=production',
      userId: USERS.alice,
      channelId: OPS_CHANNEL,
    });
    const card = await replyAfter(before, /Approval needed/);
    const blocks = card.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[];
    const reject = blocks
      .find((b) => b.type === 'actions')!
      .elements!.find((e) => e.action_id === REJECT_ACTION)!;
    const message = { channel: OPS_CHANNEL, ts: (card.response as { ts: string }).ts };
    await h.driver.blockAction({
      user: { id: USERS.bob },
      action: { action_id: REJECT_ACTION, value: reject.value },
      message,
    });
    const opened = await eventually('the reason modal', () => h.slack.callsTo('views.open').at(-1));
    const view = opened.args.view as { callback_id: string; private_metadata: string };
    assert.equal(view.callback_id, REJECT_MODAL);
    await h.driver.viewSubmission({
      user: { id: USERS.bob },
      view: { id: 'V0E2EREJ01', callback_id: REJECT_MODAL, private_metadata: view.private_metadata },
      values: { reason: { reason_input: { type: 'plain_text_input', value: 'ledger is mid-migration' } } },
    });
    await replyAfter(before, /Rejected by .*ledger is mid-migration/);
    assert.equal(h.deployCalls.length, calls);
  });

  it('tells the clicker, after the ack, when the form for the reason cannot be opened', async () => {
    const before = posts().length;
    await h.driver.command({
      command: '/agent',
      text: 'do http.request endpoint=restart-service params.service=ledger-2 params.environment=production',
      userId: USERS.alice,
      channelId: OPS_CHANNEL,
    });
    const card = await replyAfter(before, /Approval needed/);
    const blocks = card.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[];
    const reject = blocks
      .find((b) => b.type === 'actions')!
      .elements!.find((e) => e.action_id === REJECT_ACTION)!;
    const tellsBefore = h.slack.calls.filter((c) => c.method === 'response_url').length;
    h.slack.fail('views.open', { error: 'expired_trigger_id', times: 1 });
    const click = await h.driver.blockAction({
      user: { id: USERS.bob },
      action: { action_id: REJECT_ACTION, value: reject.value },
      message: { channel: OPS_CHANNEL, ts: (card.response as { ts: string }).ts },
    });
    assert.equal(click.status, 200);
    const told = await eventually('the clicker told', () =>
      h.slack.calls
        .filter((c) => c.method === 'response_url')
        .slice(tellsBefore)
        .find((c) => /could not open the form for your reason/.test(JSON.stringify(c.args))),
    );
    assert.equal((told.args as { response_type?: string }).response_type, 'ephemeral');
    assert.match(JSON.stringify(told.args), /press Reject again/);
  });

  it('refuses a click from someone who is not an approver, and counts nothing', async () => {
    const before = posts().length;
    await h.driver.command({
      command: '/agent',
      text: 'do http.request endpoint=restart-service params.service=search params.environment=production',
      userId: USERS.bob,
      channelId: OPS_CHANNEL,
    });
    const card = await replyAfter(before, /Approval needed/);
    const blocks = card.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[];
    const approve = blocks
      .find((b) => b.type === 'actions')!
      .elements!.find((e) => e.action_id === APPROVE_ACTION)!;
    const message = { channel: OPS_CHANNEL, ts: (card.response as { ts: string }).ts };
    const updatesBefore = h.slack.callsTo('chat.update').length;
    const refusalsBefore = h.slack.calls.filter((c) => c.method === 'response_url').length;
    const click = await h.driver.blockAction({
      user: { id: USERS.alice },
      action: { action_id: APPROVE_ACTION, value: approve.value },
      message,
    });
    assert.equal(click.status, 200);
    const refusal = await eventually('a refusal for the non-approver', () =>
      h.slack.calls
        .filter((c) => c.method === 'response_url')
        .slice(refusalsBefore)
        .find((c) => /not counted/.test(JSON.stringify(c.args))),
    );
    assert.equal((refusal.args as { response_type?: string }).response_type ?? 'ephemeral', 'ephemeral');
    const votes = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM approval_votes v JOIN approvals a ON a.id = v.approval_id WHERE a.requester = $1 AND a.status = 'pending'",
      [USERS.bob],
    );
    assert.equal(votes.rows[0]?.n, 0);
    assert.equal(
      h.slack.callsTo('chat.update').length,
      updatesBefore,
      'the card is not changed by a refused click',
    );
  });

  it('denies what the policy forbids, naming the rule', async () => {
    const before = posts().length;
    await h.driver.command({
      command: '/agent',
      text: 'do http.request endpoint=delete-service params.service=x params.environment=staging',
      userId: USERS.alice,
      channelId: OPS_CHANNEL,
    });
    await replyAfter(before, /Not done/);
  });
});

describe('/agent pause and resume', () => {
  it('stops side effects while paused and allows them again after resume', async () => {
    const pause = await h.driver.command({
      command: '/agent',
      text: 'pause "incident in progress"',
      userId: USERS.bob,
      channelId: OPS_CHANNEL,
    });
    assert.match(JSON.stringify(pause.json()), /Paused/);
    const health = (await (await fetch(new URL('healthz', h.app.url))).json()) as {
      paused: { global: boolean };
    };
    assert.equal(health.paused.global, true);
    const before = posts().length;
    const calls = h.deployCalls.length;
    await h.driver.command({
      command: '/agent',
      text: 'do http.request endpoint=restart-service params.service=payments-worker params.environment=staging',
      userId: USERS.alice,
      channelId: OPS_CHANNEL,
    });
    await replyAfter(before, /paused/i);
    assert.equal(h.deployCalls.length, calls);
    const resume = await h.driver.command({
      command: '/agent',
      text: 'resume',
      userId: USERS.bob,
      channelId: OPS_CHANNEL,
    });
    assert.match(JSON.stringify(resume.json()), /Resumed/);
    const status = await h.driver.command({
      command: '/agent',
      text: 'status',
      userId: USERS.bob,
      channelId: OPS_CHANNEL,
    });
    assert.match(JSON.stringify(status.json()), /Runs today/);
  });
});

describe('operators', () => {
  it('refuses a pause from someone who is not an operator, and audits the refusal', async () => {
    const pause = await h.driver.command({
      command: '/agent',
      text: 'pause "just because"',
      userId: USERS.alice,
      channelId: OPS_CHANNEL,
    });
    assert.match(JSON.stringify(pause.json()), /Only Sluice operators may pause/);
    const health = (await (await fetch(new URL('healthz', h.app.url))).json()) as {
      paused: { global: boolean };
    };
    assert.equal(health.paused.global, false);
    const refused = await db.query<{ actor: string; decision: string }>(
      "SELECT actor, decision FROM audit_log WHERE kind = 'pause' AND decision = 'refused'",
    );
    assert.deepEqual(
      refused.rows.map((r) => r.actor),
      [USERS.alice],
    );
  });
});

describe('/agent digest now', () => {
  it('posts a digest to the requester, and to the channel when asked', async () => {
    const reply = await h.driver.command({
      command: '/agent',
      text: 'digest now',
      userId: USERS.alice,
      channelId: OPS_CHANNEL,
    });
    assert.match(JSON.stringify(reply.json()), /direct message/);
    const dm = await eventually('a digest in a DM', () =>
      h.slack
        .callsTo('chat.postMessage')
        .find((c) => c.args.channel === USERS.alice && c.status === 200 && /digest/i.test(text(c))),
    );
    assert.match(text(dm), /Runs/);
    const before = posts().length;
    await h.driver.command({
      command: '/agent',
      text: 'digest now channel',
      userId: USERS.alice,
      channelId: OPS_CHANNEL,
    });
    const inChannel = await replyAfter(before, /digest/i);
    assert.ok(Array.isArray(inChannel.args.blocks) && inChannel.args.blocks.length > 0);
  });
});

describe('/agent help', () => {
  it('answers at once, ephemeral, naming every subcommand, and stores no request', async () => {
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM requests');
    const help = await h.driver.command({
      command: '/agent',
      text: 'help',
      userId: USERS.alice,
      channelId: OPS_CHANNEL,
    });
    const body = JSON.stringify(help.json());
    for (const sub of ['ask', 'do', 'pause', 'resume', 'status', 'digest'])
      assert.match(body, new RegExp(`/agent ${sub}`));
    assert.equal((help.json() as { response_type?: string }).response_type, 'ephemeral');
    const after = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM requests');
    assert.equal(after.rows[0]?.n, rows[0]?.n);
  });
});

describe('mentions, DMs and App Home', () => {
  it('answers a DM in a thread under the message', async () => {
    const dm = h.slack.directory.channel(USERS.alice)!;
    const ts = '1800000000.000300';
    await h.driver.event({
      event: {
        type: 'message',
        channel_type: 'im',
        user: USERS.alice,
        channel: dm.id,
        text: 'where do staging backups go?',
        ts,
      },
    });
    const reply = await eventually('a reply in the DM', () =>
      h.slack
        .callsTo('chat.postMessage')
        .find((c) => c.args.channel === dm.id && c.status === 200 && c.args.thread_ts === ts),
    );
    assert.match(text(reply), /\[1\]/);
  });

  it('starts one run for an event and its Slack retries', async () => {
    const ts = '1800000000.000400';
    const event = {
      type: 'app_mention',
      user: USERS.carol,
      channel: OPS_CHANNEL,
      text: `<@${h.slack.identity.botUserId}> how are staging backups kept?`,
      ts,
    };
    const first = await h.driver.event({ event });
    const again = await h.driver.event({ event, eventId: first.eventId }, { retryNum: 1 });
    const third = await h.driver.event(
      { event, eventId: first.eventId },
      { retryNum: 2, retryReason: 'http_error' },
    );
    assert.deepEqual([first.status, again.status, third.status], [200, 200, 200]);
    await eventually('the reply', () =>
      h.slack.callsTo('chat.postMessage').find((c) => c.args.thread_ts === ts && c.status === 200),
    );
    const runs = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM runs WHERE thread_ts = $1', [
      ts,
    ]);
    assert.equal(runs.rows[0]?.n, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const replies = h.slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.thread_ts === ts && c.status === 200);
    assert.equal(replies.length, 1);
  });

  it('answers a mention in its thread', async () => {
    const before = posts().length;
    const ts = '1800000000.000100';
    await h.driver.event({
      event: {
        type: 'app_mention',
        user: USERS.alice,
        channel: OPS_CHANNEL,
        text: `<@${h.slack.identity.botUserId}> how are staging backups kept?`,
        ts,
      },
    });
    const reply = await replyAfter(before, /Backups|seven days/);
    assert.equal(reply.args.thread_ts, ts);
  });

  it('publishes the operator console on App Home', async () => {
    await h.driver.event({
      event: { type: 'app_home_opened', user: USERS.bob, channel: 'D0BOB0001', tab: 'home' },
    });
    const published = await eventually('views.publish', () =>
      h.slack.callsTo('views.publish').find((c) => c.args.user_id === USERS.bob),
    );
    assert.match(JSON.stringify(published.args.view), /Runs today/);
  });
});

describe('cards and consoles follow a pause', () => {
  it('freezes pending approval cards while paused and restores their buttons on resume', async () => {
    const before = posts().length;
    await h.driver.command({
      command: '/agent',
      text: 'do http.request endpoint=restart-service params.service=billing params.environment=production',
      userId: USERS.alice,
      channelId: OPS_CHANNEL,
    });
    const card = await replyAfter(before, /Approval needed/);
    const ts = (card.response as { ts: string }).ts;
    const updatesOf = () =>
      h.slack.callsTo('chat.update').filter((c) => c.args.ts === ts && c.status === 200);
    await h.driver.command({
      command: '/agent',
      text: 'pause "database failover"',
      userId: USERS.carol,
      channelId: OPS_CHANNEL,
    });
    const frozen = await eventually('the card frozen by the pause', () =>
      updatesOf().find((c) => /Frozen: Sluice is paused \(database failover\)/.test(text(c))),
    );
    assert.ok(!JSON.stringify(frozen.args.blocks).includes('"actions"'), 'a frozen card has no buttons');
    const seen = updatesOf().length;
    await h.driver.command({
      command: '/agent',
      text: 'resume',
      userId: USERS.carol,
      channelId: OPS_CHANNEL,
    });
    const restored = await eventually('the card restored on resume', () =>
      updatesOf()
        .slice(seen)
        .find((c) => JSON.stringify(c.args.blocks).includes('"actions"')),
    );
    assert.doesNotMatch(text(restored), /Frozen/);
  });

  it('republishes an open App Home console when it changes, once per change', async () => {
    await h.driver.event({
      event: { type: 'app_home_opened', user: USERS.dave, channel: 'D0DAVE001', tab: 'home' },
    });
    const homesOf = () => h.slack.callsTo('views.publish').filter((c) => c.args.user_id === USERS.dave);
    await eventually('the first publish', () => homesOf()[0]);
    await h.driver.command({
      command: '/agent',
      text: 'pause "noisy alerts"',
      userId: USERS.dave,
      channelId: OPS_CHANNEL,
    });
    const paused = await eventually('the console showing the pause', () =>
      homesOf().find((c) => /noisy alerts/.test(JSON.stringify(c.args.view))),
    );
    assert.match(JSON.stringify(paused.args.view), /Paused/);
    // The pending approval from the test above links to its card.
    assert.match(
      JSON.stringify(paused.args.view),
      new RegExp(`slack\\.com/archives/${OPS_CHANNEL}/p\\d{16}`),
    );
    await h.driver.command({ command: '/agent', text: 'resume', userId: USERS.dave, channelId: OPS_CHANNEL });
    await eventually('the console without the pause', () =>
      homesOf()
        .slice(homesOf().indexOf(paused) + 1)
        .find((c) => !/noisy alerts/.test(JSON.stringify(c.args.view))),
    );
    const count = homesOf().length;
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(homesOf().length, count, 'nothing changed, nothing published');
  });
});
