import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { createActionRegistry } from '../../src/actions/action-registry.ts';
import { createBuiltinActions } from '../../src/actions/create-builtin-actions.ts';
import { defineAction, runStepKey } from '../../src/actions/define-action.ts';
import { evaluateProposal } from '../../src/actions/evaluate-proposal.ts';
import { type Authorization, executeAction } from '../../src/actions/execute-action.ts';
import { createKbAddNoteAction, type NoteInput } from '../../src/actions/kb-add-note.ts';
import { loadCustomActions } from '../../src/actions/load-custom-actions.ts';
import { createSlackPostMessageAction, type MessagePoster } from '../../src/actions/slack-post-message.ts';
import type { Approval } from '../../src/approvals/approval-types.ts';
import { isSluiceError, SluiceError } from '../../src/errors.ts';
import { payloadHash } from '../../src/policy/canonical-json.ts';
import type { Proposal } from '../../src/policy/proposal.ts';
import { ctx, policyOf, WEDNESDAY_1030_UTC } from '../policy/support/policy-fixtures.ts';
import { createMemoryEffectLedger } from './support/memory-effect-ledger.ts';

const fixtures = path.resolve(import.meta.dirname, 'fixtures');

function recordingPoster() {
  const posts: Parameters<MessagePoster['postMessage']>[0][] = [];
  const poster: MessagePoster = {
    async postMessage(m) {
      posts.push(m);
      return { channel: m.channel, ts: `1700000000.00000${posts.length}` };
    },
  };
  return { posts, poster };
}

const allowAll = policyOf(`  - id: everything
    decision: auto
`);
const auto = (_p?: Proposal): Authorization => ({
  kind: 'policy',
  policy: allowAll,
  context: { requester: 'U_ALICE', channel: 'C_OPS' },
  decidedAt: WEDNESDAY_1030_UTC,
});

const context = { runId: 'run-9', step: 'effect:1', requester: 'U_ALICE', channel: 'C_OPS' };

describe('action registry', () => {
  const { poster } = recordingPoster();
  const registry = createActionRegistry(
    createBuiltinActions({
      slack: { poster, allowedChannels: ['C_OPS'] },
      http: { endpoints: [] },
      addNote: async () => ({ documentId: 1 }),
    }),
  );

  it('lists the built-in actions as tools with a schema each', () => {
    assert.deepEqual(registry.names(), ['slack.post_message', 'http.request', 'kb.add_note']);
    for (const tool of registry.tools()) {
      assert.ok(tool.description.length > 10);
      const schema = z.toJSONSchema(tool.input) as { type?: string };
      assert.equal(schema.type, 'object', `${tool.name} must have an object schema for the model`);
    }
  });

  it('rejects unknown actions, naming the known ones', () => {
    const v = registry.validate({ action: 'acme.launch', params: {}, source: 'model' });
    assert.deepEqual(v, {
      ok: false,
      reason: 'unknown action "acme.launch"; known actions: slack.post_message, http.request, kb.add_note',
    });
  });

  it('rejects parameters the action schema refuses, naming each problem', () => {
    const v = registry.validate({
      action: 'slack.post_message',
      params: { channel: 'C_RANDOM', text: '' },
      source: 'model',
    });
    assert.equal(v.ok, false);
    if (!v.ok) {
      assert.match(v.reason, /^invalid parameters for slack.post_message: /);
      assert.match(v.reason, /channel: channel must be one of C_OPS/);
      assert.match(v.reason, /text: Too small/);
    }
  });

  it('rejects malformed proposals before looking at actions', () => {
    const v = registry.validate({ action: 'kb.add_note', params: 'title=x', source: 'model' });
    assert.equal(v.ok, false);
    if (!v.ok) assert.match(v.reason, /^malformed proposal: params: params must be an object/);
  });

  it('says when http.request has no endpoints configured', () => {
    const v = registry.validate({ action: 'http.request', params: { endpoint: 'x' }, source: 'model' });
    assert.equal(v.ok, false);
    if (!v.ok) assert.match(v.reason, /no HTTP endpoints are configured \(set SLUICE_ENDPOINTS_FILE\)/);
  });

  it('refuses two actions with one name and badly named actions', () => {
    const a = createKbAddNoteAction({ addNote: async () => ({ documentId: 1 }) });
    assert.throws(() => createActionRegistry([a, a]), /registered twice/);
    assert.throws(() => createActionRegistry([{ ...a, name: 'Bad Name' }]), /dotted lower-case/);
  });

  it('evaluates a proposal: schema first, then the policy with the action risk', () => {
    const policy = policyOf(`  - id: low-risk-auto
    match: { risk: low }
    decision: auto
`);
    const deps = { registry, policy, now: WEDNESDAY_1030_UTC };
    const ok = evaluateProposal(
      { action: 'kb.add_note', params: { title: 't', text: 'x' }, source: 'explicit' },
      ctx(),
      deps,
    );
    assert.equal(ok.kind, 'decided');
    if (ok.kind === 'decided') assert.equal(ok.decision.decision, 'auto');
    const bad = evaluateProposal(
      { action: 'kb.add_note', params: { title: 't' }, source: 'explicit' },
      ctx(),
      deps,
    );
    assert.equal(bad.kind, 'rejected');
  });
});

describe('slack.post_message', () => {
  it('posts once to an allow-listed channel, passing the idempotency key and attempt to the poster', async () => {
    const { posts, poster } = recordingPoster();
    const registry = createActionRegistry([
      createSlackPostMessageAction({ poster, allowedChannels: ['C_OPS'] }),
    ]);
    const ledger = createMemoryEffectLedger();
    const p: Proposal = {
      action: 'slack.post_message',
      params: { channel: 'C_OPS', text: 'Deploy done' },
      source: 'model',
    };
    const first = await executeAction({ proposal: p, authorization: auto(p), context }, { registry, ledger });
    const second = await executeAction(
      { proposal: p, authorization: auto(p), context },
      { registry, ledger },
    );
    assert.equal(posts.length, 1);
    assert.deepEqual(posts[0], {
      channel: 'C_OPS',
      text: 'Deploy done',
      threadTs: undefined,
      idempotencyKey: 'run-9:effect:1',
      attempt: 1,
    });
    assert.equal(first.result?.summary, 'posted to C_OPS');
    assert.equal(second.status, 'replayed');
  });

  it('cannot post anywhere when no channel is allow-listed', () => {
    const { poster } = recordingPoster();
    const action = createSlackPostMessageAction({ poster, allowedChannels: [] });
    const parsed = action.input.safeParse({ channel: 'C_OPS', text: 'hi' });
    assert.equal(parsed.success, false);
    assert.match(
      parsed.error?.issues[0]?.message ?? '',
      /no channels are allow-listed \(set SLUICE_POST_CHANNELS\)/,
    );
  });

  it('checks the allow-list again in the executor', async () => {
    const { posts, poster } = recordingPoster();
    const action = createSlackPostMessageAction({ poster, allowedChannels: ['C_OPS'] });
    await assert.rejects(
      action.execute(
        { channel: 'C_ELSEWHERE', text: 'x' },
        { ...context, idempotencyKey: 'k', attempt: 1, signal: AbortSignal.timeout(1000) },
      ),
      /not on the allow-list/,
    );
    assert.equal(posts.length, 0);
  });

  it('retries an interrupted post under the same key, telling the poster it is a later attempt', async () => {
    const { posts, poster } = recordingPoster();
    let clock = 0;
    const ledger = createMemoryEffectLedger(() => clock);
    const registry = createActionRegistry([
      createSlackPostMessageAction({ poster, allowedChannels: ['C_OPS'] }),
    ]);
    const p: Proposal = {
      action: 'slack.post_message',
      params: { channel: 'C_OPS', text: 'x' },
      source: 'model',
    };
    // An attempt claimed the key and died without recording anything.
    await ledger.claim({
      key: 'run-9:effect:1',
      action: p.action,
      payloadHash: payloadHash(p.action, p.params),
      runId: 'run-9',
      leaseMs: 1000,
      retryUnknownOutcome: true,
    });
    clock = 5000;
    await executeAction({ proposal: p, authorization: auto(p), context }, { registry, ledger });
    assert.deepEqual(
      posts.map((m) => [m.idempotencyKey, m.attempt]),
      [['run-9:effect:1', 2]],
    );
  });
});

describe('kb.add_note', () => {
  it('adds the note as the requester, under a source derived from the idempotency key', async () => {
    const notes: NoteInput[] = [];
    const registry = createActionRegistry([
      createKbAddNoteAction({
        addNote: async (n) => {
          notes.push(n);
          return { documentId: 42 };
        },
      }),
    ]);
    const p: Proposal = {
      action: 'kb.add_note',
      params: { title: 'Rotating keys', text: 'Use the vault.' },
      source: 'explicit',
    };
    const outcome = await executeAction(
      { proposal: p, authorization: auto(p), context },
      { registry, ledger: createMemoryEffectLedger() },
    );
    assert.deepEqual(notes, [
      {
        title: 'Rotating keys',
        text: 'Use the vault.',
        author: 'U_ALICE',
        source: 'sluice-note:run-9:effect:1',
      },
    ]);
    assert.deepEqual(outcome.result?.data, { documentId: '42', title: 'Rotating keys' });
  });
});

describe('executeAction guards', () => {
  const echo = defineAction({
    name: 'demo.echo',
    description: 'Echo',
    input: z.strictObject({ message: z.string() }),
    risk: 'low',
    idempotencyKey: runStepKey,
    async execute(input) {
      calls.push(input.message);
      return { ok: true, summary: input.message };
    },
  });
  const calls: string[] = [];
  const registry = createActionRegistry([echo]);
  const p: Proposal = { action: 'demo.echo', params: { message: 'hi' }, source: 'model' };

  const approval = (overrides: Partial<Approval> = {}): Approval => ({
    id: 'a1',
    runId: 'run-9',
    action: 'demo.echo',
    params: { message: 'hi' },
    source: 'model',
    payloadHash: payloadHash('demo.echo', { message: 'hi' }),
    requester: 'U_ALICE',
    channel: 'C_OPS',
    ruleId: 'r',
    policyHash: 'h',
    reason: '',
    approvers: { users: ['U_BOB', 'U_CAROL'], groups: [] },
    quorum: 2,
    requesterCanApprove: false,
    status: 'approved',
    createdAt: new Date(0),
    expiresAt: new Date(1e13),
    warnAt: new Date(1e13),
    warnedAt: null,
    decidedAt: new Date(1),
    decidedBy: 'U_CAROL',
    rejectionReason: null,
    supersedes: null,
    card: null,
    votes: [
      { voter: 'U_BOB', choice: 'approve', reason: null, at: new Date(1) },
      { voter: 'U_CAROL', choice: 'approve', reason: null, at: new Date(1) },
    ],
    ...overrides,
  });

  it('runs with an approval that reached its quorum on the same payload', async () => {
    const outcome = await executeAction(
      {
        proposal: p,
        authorization: { kind: 'approval', approval: approval() },
        context: { ...context, step: 'g1' },
      },
      { registry, ledger: createMemoryEffectLedger() },
    );
    assert.equal(outcome.status, 'executed');
  });

  const refused: [string, Partial<Approval>, RegExp][] = [
    ['a pending approval', { status: 'pending' }, /is pending, not approved/],
    ['an expired approval', { status: 'expired' }, /is expired, not approved/],
    ['another action', { action: 'demo.other' }, /is for demo.other/],
    [
      'changed parameters',
      { payloadHash: payloadHash('demo.echo', { message: 'other' }) },
      /parameters differ/,
    ],
    [
      'too few approvals',
      { votes: [{ voter: 'U_BOB', choice: 'approve', reason: null, at: new Date(1) }] },
      /has 1 of the 2 approvals/,
    ],
    [
      'the requester counting towards the quorum',
      {
        votes: [
          { voter: 'U_ALICE', choice: 'approve', reason: null, at: new Date(1) },
          { voter: 'U_BOB', choice: 'approve', reason: null, at: new Date(1) },
        ],
      },
      /has 1 of the 2 approvals/,
    ],
  ];
  for (const [name, overrides, reason] of refused) {
    it(`refuses ${name}`, async () => {
      const before = calls.length;
      await assert.rejects(
        executeAction(
          {
            proposal: p,
            authorization: { kind: 'approval', approval: approval(overrides) },
            context: { ...context, step: name },
          },
          { registry, ledger: createMemoryEffectLedger() },
        ),
        (e: unknown) => isSluiceError(e) && e.code === 'forbidden' && reason.test(e.message),
      );
      assert.equal(calls.length, before);
    });
  }

  it('asks the pause and budget check right before the effect, and keeps the key open when it refuses', async () => {
    const ledger = createMemoryEffectLedger();
    const before = calls.length;
    let paused = true;
    const beforeEffect = async (target: { action: string; channelId: string }) => {
      assert.deepEqual(target, { action: 'demo.echo', channelId: 'C_OPS', runId: 'run-9' });
      if (paused) throw new SluiceError('paused', 'paused (global): incident');
    };
    const req = { proposal: p, authorization: auto(p), context: { ...context, step: 'pause' } };
    await assert.rejects(executeAction(req, { registry, ledger, beforeEffect }), /paused \(global\)/);
    assert.equal(calls.length, before);
    paused = false;
    const outcome = await executeAction(req, { registry, ledger, beforeEffect });
    assert.equal(outcome.status, 'executed');
    assert.equal(calls.length, before + 1);
  });

  it('marks an interrupted effect uncertain, instead of acting again, when the action cannot retry blindly', async () => {
    let clock = 0;
    const ledger = createMemoryEffectLedger(() => clock);
    const before = calls.length;
    await ledger.claim({
      key: 'run-9:lost',
      action: 'demo.echo',
      payloadHash: payloadHash(p.action, p.params),
      runId: 'run-9',
      leaseMs: 1000,
      retryUnknownOutcome: false,
    });
    clock = 5000;
    await assert.rejects(
      executeAction(
        { proposal: p, authorization: auto(p), context: { ...context, step: 'lost' } },
        { registry, ledger },
      ),
      (e: unknown) =>
        isSluiceError(e) && e.code === 'conflict' && /may or may not have happened/.test(e.message),
    );
    assert.equal(calls.length, before);
  });

  it('refuses a malformed proposal before anything else', async () => {
    await assert.rejects(
      executeAction(
        {
          proposal: { action: 'demo.echo', params: { message: 1 }, source: 'model' },
          authorization: auto(p),
          context,
        },
        {
          registry,
          ledger: createMemoryEffectLedger(),
        },
      ),
      (e: unknown) => isSluiceError(e) && e.code === 'invalid_input',
    );
  });
});

describe('custom actions', () => {
  it('loads every module in the folder, calling factories with the secrets, skipping test files', async () => {
    const actions = await loadCustomActions(path.join(fixtures, 'custom-actions'), {
      secrets: { SLUICE_SECRET_ACME: 's' },
    });
    assert.deepEqual(
      actions.map((a) => a.name),
      ['demo.echo', 'acme.rotate_key'],
    );
    const registry = createActionRegistry(actions);
    const p: Proposal = { action: 'acme.rotate_key', params: { account: 'billing-bot' }, source: 'explicit' };
    const outcome = await executeAction(
      { proposal: p, authorization: auto(p), context },
      { registry, ledger: createMemoryEffectLedger() },
    );
    assert.equal(outcome.idempotencyKey, 'run-9:effect:1:rotate:billing-bot');
    assert.deepEqual(outcome.result?.data, { usedSecret: true });
  });

  it('refuses invalid modules, naming each file and problem', async () => {
    const dir = path.join(fixtures, 'broken-actions');
    await assert.rejects(loadCustomActions(dir, { secrets: {} }), (e: unknown) => {
      assert.ok(isSluiceError(e) && e.code === 'config_invalid');
      assert.match(e.message, /no-default.ts: has no default export/);
      assert.match(e.message, /no-risk.ts: input: input must be a zod schema/);
      assert.match(e.message, /no-risk.ts: risk: risk must be low, medium or high/);
      assert.match(e.message, /no-risk.ts: idempotencyKey: must be a function/);
      return true;
    });
  });

  it('says when the folder does not exist', async () => {
    await assert.rejects(loadCustomActions(path.join(fixtures, 'nope'), { secrets: {} }), /is not a folder/);
  });
});
