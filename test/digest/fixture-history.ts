import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../src/db/database.ts';

/**
 * A known day of history (2026-11-20 UTC) plus rows just outside it, with the figures a digest of
 * that day must show. Every expected number below is worked out by hand from these rows.
 */

export const FIXTURE_PERIOD = {
  from: new Date('2026-11-20T00:00:00Z'),
  to: new Date('2026-11-21T00:00:00Z'),
};
export const FIXTURE_BASELINES = { 'http.request': 15, 'kb.add_note': 5 };
export const FIXTURE_DAY_BUDGET_USD = 5;

interface RunRow {
  key: string;
  at: string;
  state: string;
  outcome?: string;
  decision?: 'auto' | 'deny' | 'escalate';
  action?: string;
  cost: number;
  text?: string;
  context?: Record<string, unknown>;
  errorCode?: string;
}

const runs: RunRow[] = [
  {
    key: 'r1',
    at: '2026-11-20T08:00:00Z',
    state: 'done',
    outcome: 'executed',
    decision: 'auto',
    action: 'http.request',
    cost: 0.1,
  },
  {
    key: 'r2',
    at: '2026-11-20T08:10:00Z',
    state: 'done',
    outcome: 'executed',
    decision: 'auto',
    action: 'http.request',
    cost: 0.2,
  },
  {
    key: 'r3',
    at: '2026-11-20T08:20:00Z',
    state: 'done',
    outcome: 'executed',
    decision: 'escalate',
    action: 'kb.add_note',
    cost: 0.05,
  },
  {
    key: 'r4',
    at: '2026-11-20T08:30:00Z',
    state: 'done',
    outcome: 'executed',
    decision: 'auto',
    action: 'custom.thing',
    cost: 0.01,
  },
  {
    key: 'r5',
    at: '2026-11-20T09:00:00Z',
    state: 'done',
    outcome: 'answered',
    cost: 0.02,
    text: 'how do I deploy?',
  },
  {
    key: 'r6',
    at: '2026-11-20T09:10:00Z',
    state: 'done',
    outcome: 'answered',
    cost: 0.01,
    text: 'how do I rotate the staging password?',
    context: { answerDetail: { known: false } },
  },
  {
    key: 'r7',
    at: '2026-11-20T09:20:00Z',
    state: 'done',
    outcome: 'answered',
    cost: 0.03,
    text: 'where is the DNS runbook?',
  },
  {
    key: 'r8',
    at: '2026-11-20T10:00:00Z',
    state: 'failed',
    outcome: 'effect_failed',
    decision: 'auto',
    action: 'http.request',
    cost: 0.04,
    errorCode: 'http_500',
  },
  { key: 'r9', at: '2026-11-20T11:00:00Z', state: 'dead_lettered', cost: 0, errorCode: 'model_invalid' },
  {
    key: 'r10',
    at: '2026-11-20T12:00:00Z',
    state: 'done',
    outcome: 'denied',
    decision: 'deny',
    action: 'http.request',
    cost: 0.02,
  },
  {
    key: 'r11',
    at: '2026-11-20T13:00:00Z',
    state: 'awaiting_approval',
    decision: 'escalate',
    action: 'http.request',
    cost: 0.01,
  },
  {
    key: 'r12',
    at: '2026-11-20T14:00:00Z',
    state: 'cancelled',
    outcome: 'expired',
    decision: 'escalate',
    action: 'http.request',
    cost: 0,
  },
  // Outside the period on both sides (the end is exclusive).
  {
    key: 'r13',
    at: '2026-11-19T23:59:59Z',
    state: 'done',
    outcome: 'executed',
    decision: 'auto',
    action: 'http.request',
    cost: 5,
  },
  {
    key: 'r14',
    at: '2026-11-21T00:00:00Z',
    state: 'failed',
    decision: 'auto',
    action: 'http.request',
    cost: 5,
    errorCode: 'x',
  },
];

const approvals = [
  { key: 'a1', at: '2026-11-20T10:00:00Z', status: 'approved', decided: '2026-11-20T10:02:00Z' },
  { key: 'a2', at: '2026-11-20T11:00:00Z', status: 'rejected', decided: '2026-11-20T11:10:00Z' },
  { key: 'a3', at: '2026-11-20T12:00:00Z', status: 'approved', decided: '2026-11-20T12:04:00Z' },
  { key: 'a4', at: '2026-11-20T13:00:00Z', status: 'expired', decided: '2026-11-20T13:30:00Z' },
  { key: 'a5', at: '2026-11-20T23:00:00Z', status: 'pending', decided: null },
  { key: 'a6', at: '2026-11-19T10:00:00Z', status: 'approved', decided: '2026-11-19T12:00:00Z' },
];

export interface FixtureIds {
  run: Record<string, string>;
}

export async function insertFixtureHistory(q: Queryable): Promise<FixtureIds> {
  const ids: Record<string, string> = {};
  for (const r of runs) {
    const id = randomUUID();
    ids[r.key] = id;
    const context = {
      ...(r.action ? { proposal: { action: r.action, input: {} } } : {}),
      ...(r.context ?? {}),
    };
    await q.query(
      `INSERT INTO runs (id, correlation_id, origin, channel_id, user_id, text, state, decision, outcome, context,
                         error_code, cost_usd, created_at, updated_at, finished_at)
       VALUES ($1, $2, 'command', 'C0OPS', 'U1', $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $10, $10)`,
      [
        id,
        randomUUID(),
        r.text ?? `run ${r.key}`,
        r.state,
        r.decision ?? null,
        r.outcome ?? null,
        JSON.stringify(context),
        r.errorCode ?? null,
        r.cost,
        new Date(r.at),
      ],
    );
  }
  for (const a of approvals) {
    const created = new Date(a.at);
    await q.query(
      `INSERT INTO approvals (id, run_id, action, params, source, payload_hash, requester, channel, rule_id, policy_hash,
                              reason, approver_users, approver_groups, quorum, requester_can_approve, status,
                              created_at, expires_at, warn_at, decided_at, rejection_reason)
       VALUES ($1, NULL, 'http.request', '{}'::jsonb, 'explicit', $2, 'U1', 'C0OPS', 'rule', 'hash', 'why',
               ARRAY['U2'], ARRAY[]::text[], 1, false, $3, $4, $5, $6, $7, $8)`,
      [
        a.key,
        'a'.repeat(64),
        a.status,
        created,
        new Date(created.getTime() + 30 * 60_000),
        new Date(created.getTime() + 20 * 60_000),
        a.decided ? new Date(a.decided) : null,
        a.status === 'rejected' ? 'not now' : null,
      ],
    );
  }
  // r7 was marked not helpful; r5 helpful (not a gap).
  await q.query(
    `INSERT INTO answer_feedback (run_id, user_id, helpful, at) VALUES ($1, 'U1', false, $3), ($2, 'U1', true, $3)`,
    [ids.r7, ids.r5, new Date('2026-11-20T09:30:00Z')],
  );
  return { run: ids };
}
