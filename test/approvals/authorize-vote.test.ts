import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Approval, VoteRequest } from '../../src/approvals/approval-types.ts';
import { authorizeVote } from '../../src/approvals/authorize-vote.ts';
import { decodeApprovalButtonValue, encodeApprovalButtonValue } from '../../src/approvals/button-value.ts';
import { payloadHash } from '../../src/policy/canonical-json.ts';

const params = { endpoint: 'restart-service', params: { service: 'api', environment: 'production' } };
const HASH = payloadHash('http.request', params);
const CREATED = new Date('2025-03-05T10:00:00Z');
const NOW = new Date('2025-03-05T10:10:00Z');

const approval = (overrides: Partial<Approval> = {}): Approval => ({
  id: 'ap-1',
  runId: null,
  action: 'http.request',
  params,
  source: 'model',
  payloadHash: HASH,
  requester: 'U_ALICE',
  channel: 'C_OPS',
  ruleId: 'prod',
  policyHash: 'h',
  reason: 'two leads',
  approvers: { users: ['U_BOSS'], groups: ['ops-leads'] },
  quorum: 2,
  requesterCanApprove: false,
  status: 'pending',
  createdAt: CREATED,
  expiresAt: new Date('2025-03-05T10:30:00Z'),
  warnAt: new Date('2025-03-05T10:25:00Z'),
  warnedAt: null,
  decidedAt: null,
  decidedBy: null,
  rejectionReason: null,
  supersedes: null,
  card: null,
  votes: [],
  ...overrides,
});

const vote = (overrides: Partial<VoteRequest> = {}): VoteRequest => ({
  approvalId: 'ap-1',
  voter: 'U_LEAD1',
  choice: 'approve',
  payloadHash: HASH,
  ...overrides,
});

const leads = { voterGroups: ['ops-leads'], pauses: [] };
const nobody = { voterGroups: [], pauses: [] };

describe('authorizeVote', () => {
  it('records an approval from a group member and reports progress towards the quorum', () => {
    assert.deepEqual(authorizeVote(approval(), vote(), leads, NOW), {
      ok: true,
      outcome: 'recorded',
      approvals: 1,
      quorum: 2,
    });
  });

  it('accepts a listed user without any group', () => {
    assert.equal(authorizeVote(approval({ quorum: 1 }), vote({ voter: 'U_BOSS' }), nobody, NOW).ok, true);
  });

  it('matches group handles with or without @', () => {
    assert.equal(
      authorizeVote(approval(), vote(), { voterGroups: ['@ops-leads'], pauses: [] }, NOW).ok,
      true,
    );
    assert.equal(
      authorizeVote(approval({ approvers: { users: [], groups: ['@ops-leads'] } }), vote(), leads, NOW).ok,
      true,
    );
  });

  it('approves when the vote reaches the quorum', () => {
    const a = approval({ votes: [{ voter: 'U_LEAD2', choice: 'approve', reason: null, at: CREATED }] });
    assert.deepEqual(authorizeVote(a, vote(), leads, NOW), {
      ok: true,
      outcome: 'approved',
      approvals: 2,
      quorum: 2,
    });
  });

  it('refuses a non-approver', () => {
    const v = authorizeVote(approval(), vote({ voter: 'U_DEV' }), { voterGroups: ['devs'], pauses: [] }, NOW);
    assert.deepEqual(v, {
      ok: false,
      refusal: 'not_approver',
      reason: 'you are not one of the approvers for this request',
    });
  });

  it('refuses the requester where the rule forbids it, even as a group member', () => {
    const v = authorizeVote(approval(), vote({ voter: 'U_ALICE' }), leads, NOW);
    assert.equal(v.ok ? '' : v.refusal, 'requester_forbidden');
  });

  it('lets the requester vote where the rule allows it', () => {
    assert.equal(
      authorizeVote(approval({ requesterCanApprove: true }), vote({ voter: 'U_ALICE' }), leads, NOW).ok,
      true,
    );
  });

  it('refuses a button whose payload hash differs from the approval', () => {
    const forged = payloadHash('http.request', {
      ...params,
      params: { service: 'api', environment: 'staging' },
    });
    const v = authorizeVote(approval(), vote({ payloadHash: forged }), leads, NOW);
    assert.equal(v.ok ? '' : v.refusal, 'payload_mismatch');
  });

  it('refuses a vote for another approval', () => {
    assert.equal(authorizeVote(approval(), vote({ approvalId: 'ap-2' }), leads, NOW).ok, false);
  });

  it('refuses a second vote by the same approver', () => {
    const a = approval({ votes: [{ voter: 'U_LEAD1', choice: 'approve', reason: null, at: CREATED }] });
    const v = authorizeVote(a, vote(), leads, NOW);
    assert.equal(v.ok ? '' : v.refusal, 'already_voted');
  });

  it('refuses a click at or after expiry', () => {
    const v = authorizeVote(approval(), vote(), leads, new Date('2025-03-05T10:30:00Z'));
    assert.equal(v.ok ? '' : v.refusal, 'expired');
    assert.match(v.ok ? '' : v.reason, /expired at 2025-03-05T10:30:00.000Z; ask for it again/);
  });

  it('refuses a click on an approval that is no longer pending, saying who decided', () => {
    const v = authorizeVote(approval({ status: 'approved', decidedBy: 'U_LEAD2' }), vote(), leads, NOW);
    assert.deepEqual(v, {
      ok: false,
      refusal: 'not_pending',
      reason: 'this request is already approved by U_LEAD2',
    });
  });

  it('freezes approving while a pause covers everything, the channel or the action', () => {
    for (const pause of [
      { scopeKind: 'global' as const, scopeValue: '' },
      { scopeKind: 'channel' as const, scopeValue: 'C_OPS' },
      { scopeKind: 'action' as const, scopeValue: 'http.request' },
    ]) {
      const v = authorizeVote(
        approval(),
        vote(),
        { voterGroups: ['ops-leads'], pauses: [{ ...pause, reason: 'incident' }] },
        NOW,
      );
      assert.equal(v.ok ? '' : v.refusal, 'paused', pause.scopeKind);
      assert.match(v.ok ? '' : v.reason, /Sluice is paused \(.*incident\)/);
    }
  });

  it('ignores pauses of other channels and actions', () => {
    const pauses = [
      { scopeKind: 'channel' as const, scopeValue: 'C_OTHER' },
      { scopeKind: 'action' as const, scopeValue: 'kb.add_note' },
    ];
    assert.equal(authorizeVote(approval(), vote(), { voterGroups: ['ops-leads'], pauses }, NOW).ok, true);
  });

  it('still accepts a reject while paused, since it can only stop work', () => {
    const v = authorizeVote(
      approval(),
      vote({ choice: 'reject', reason: 'not now' }),
      { voterGroups: ['ops-leads'], pauses: [{ scopeKind: 'global', scopeValue: '' }] },
      NOW,
    );
    assert.deepEqual(v, { ok: true, outcome: 'rejected', approvals: 0, quorum: 2 });
  });

  it('requires a reason to reject, of bounded length', () => {
    assert.equal(authorizeVote(approval(), vote({ choice: 'reject' }), leads, NOW).ok, false);
    assert.equal(authorizeVote(approval(), vote({ choice: 'reject', reason: '   ' }), leads, NOW).ok, false);
    assert.equal(
      authorizeVote(approval(), vote({ choice: 'reject', reason: 'x'.repeat(501) }), leads, NOW).ok,
      false,
    );
  });

  it('lets a single approver reject even when the quorum is higher', () => {
    const v = authorizeVote(
      approval({ quorum: 3 }),
      vote({ choice: 'reject', reason: 'wrong service' }),
      leads,
      NOW,
    );
    assert.equal(v.ok && v.outcome, 'rejected');
  });
});

describe('approval button value', () => {
  it('round-trips the approval id and payload hash', () => {
    const value = encodeApprovalButtonValue({
      approvalId: '7b0c2a8e-1111-4111-8111-111111111111',
      payloadHash: HASH,
    });
    assert.deepEqual(decodeApprovalButtonValue(value), {
      approvalId: '7b0c2a8e-1111-4111-8111-111111111111',
      payloadHash: HASH,
    });
    assert.ok(value.length < 2000, 'Slack button values are at most 2000 characters');
  });

  it('rejects anything that is not a well-formed value', () => {
    for (const bad of [
      '',
      'v1:x',
      `v2:a:${HASH}`,
      `v1:a:${HASH.slice(1)}`,
      `v1:a b:${HASH}`,
      `v1:a:${HASH.toUpperCase()}`,
    ]) {
      assert.equal(decodeApprovalButtonValue(bad), undefined, bad);
    }
  });
});
