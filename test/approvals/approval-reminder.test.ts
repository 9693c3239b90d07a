import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { approvalReminderText, waitingOn } from '../../src/approvals/approval-reminder.ts';
import type { Approval } from '../../src/approvals/approval-types.ts';

const approval = (over: Partial<Approval> = {}): Approval => ({
  id: 'ap-1',
  runId: 'run-1',
  action: 'http.request',
  params: {},
  source: 'explicit',
  payloadHash: 'a'.repeat(64),
  requester: 'U_ALICE',
  channel: 'C_OPS',
  ruleId: 'prod',
  policyHash: 'b'.repeat(64),
  reason: 'Production changes need two ops leads.',
  approvers: { users: ['U_BOSS'], groups: ['ops-leads', 'S0SRE'] },
  quorum: 2,
  requesterCanApprove: false,
  status: 'pending',
  createdAt: new Date('2025-03-05T10:00:00Z'),
  expiresAt: new Date('2025-03-05T10:30:00Z'),
  warnAt: new Date('2025-03-05T10:25:00Z'),
  warnedAt: null,
  decidedAt: null,
  decidedBy: null,
  rejectionReason: null,
  supersedes: null,
  card: null,
  votes: [{ voter: 'U_LEAD1', choice: 'approve', reason: null, at: new Date('2025-03-05T10:01:00Z') }],
  ...over,
});

describe('approval reminder', () => {
  it('names the approvers who have not voted: listed users and known group members, not the requester', () => {
    const w = waitingOn(approval(), [
      { id: 'S0OPS', handle: 'ops-leads', users: ['U_ALICE', 'U_LEAD1', 'U_LEAD2'] },
    ]);
    assert.deepEqual(w, { users: ['U_BOSS', 'U_LEAD2'], groups: ['S0SRE'] });
  });

  it('keeps the requester when the policy lets them approve', () => {
    const w = waitingOn(
      approval({ requesterCanApprove: true, approvers: { users: ['U_ALICE'], groups: [] } }),
      [],
    );
    assert.deepEqual(w.users, ['U_ALICE']);
  });

  it('mentions whole groups it cannot expand, and says how many approvals are missing and when it expires', () => {
    const a = approval();
    const text = approvalReminderText(a, waitingOn(a, undefined));
    assert.match(text, /needs 1 more approval \(1 of 2 so far\)/);
    assert.match(text, /<@U_BOSS>, @ops-leads, <!subteam\^S0SRE>/);
    assert.match(text, /<!date\^1741170600\^/);
    assert.match(text, /2025-03-05 10:30 UTC/);
  });

  it('stays short with many approvers', () => {
    const users = Array.from({ length: 80 }, (_, i) => `U${String(i).padStart(8, '0')}`);
    const text = approvalReminderText(approval(), { users, groups: [] });
    assert.match(text, /and 50 more\.$/);
    assert.ok(text.length < 3000);
  });
});
