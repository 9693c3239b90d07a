import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { commitTransition, RunFencedError } from '../../src/agent/commit-transition.ts';
import { loadRun } from '../../src/agent/run-record.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { verifyAuditChain } from '../../src/audit/verify-audit-chain.ts';
import type { Database } from '../../src/db/database.ts';
import { recordRequest } from '../../src/inbox/record-request.ts';
import { databaseTargets } from '../support/test-database.ts';

/** A stored request and its new run, as the inbox leaves them. */
async function newRun(db: Database) {
  const recorded = await recordRequest(db, {
    key: `command:${randomUUID()}`,
    kind: 'command',
    payload: { text: 'ask how do I restart the payments worker?' },
    receivedAt: new Date(),
    run: { channelId: 'C0OPS0001', userId: 'U0ALICE01', text: 'how do I restart the payments worker?' },
  });
  return (await loadRun(db, recorded.runId!))!;
}

async function counts(db: Database, runId: string) {
  const { rows } = await db.query<{ transitions: number; messages: number; entries: number }>(
    `SELECT (SELECT count(*)::int FROM run_transitions WHERE run_id = $1) AS transitions,
            (SELECT count(*)::int FROM outbox_messages WHERE run_id = $1) AS messages,
            (SELECT count(*)::int FROM audit_log WHERE run_id = $1) AS entries`,
    [runId],
  );
  return rows[0]!;
}

for (const target of databaseTargets()) {
  describe(`commitTransition (${target.name})`, () => {
    it("writes the run's move, its transition, its messages in order and its chained audit entries at once", async () => {
      const db = await target.create();
      try {
        const audit = createAuditLog(db);
        const run = await newRun(db);
        const message = (step: string, text: string) => ({
          key: `${run.id}:${step}`,
          runId: run.id,
          step,
          channelId: 'C0OPS0001',
          operation: 'post' as const,
          threadTs: '1700000000.000100',
          text,
        });
        const moved = await commitTransition(db, audit, run, 'retrieving', {
          costUsd: 0.25,
          messages: [message('ack', 'Working on it'), message('status', 'Searching the runbooks')],
          audit: [
            { actor: 'U0ALICE01', kind: 'run.started' },
            { actor: 'system', kind: 'retrieval', detail: { hits: 3 } },
          ],
        });
        assert.equal(moved.state, 'retrieving');
        assert.equal(moved.version, run.version + 1);
        assert.equal(moved.costUsd, 0.25);
        const messages = await db.query<{ key: string; thread_ts: string; payload: { text: string } }>(
          'SELECT key, thread_ts, payload FROM outbox_messages WHERE run_id = $1 ORDER BY id',
          [run.id],
        );
        assert.deepEqual(
          messages.rows.map((m) => [m.key, m.thread_ts, m.payload.text]),
          [
            [`${run.id}:ack`, '1700000000.000100', 'Working on it'],
            [`${run.id}:status`, '1700000000.000100', 'Searching the runbooks'],
          ],
        );
        const channel = await db.query('SELECT 1 FROM outbox_channels WHERE channel_id = $1', ['C0OPS0001']);
        assert.equal(channel.rows.length, 1);
        const entries = await db.query<{ kind: string; correlation_id: string }>(
          'SELECT kind, correlation_id FROM audit_log WHERE run_id = $1 ORDER BY seq',
          [run.id],
        );
        assert.deepEqual(
          entries.rows.map((e) => [e.kind, e.correlation_id]),
          [
            ['run.started', run.correlationId],
            ['retrieval', run.correlationId],
          ],
        );
        // Without messages or entries: the move and the transition only.
        const thinking = await commitTransition(db, audit, moved, 'thinking');
        assert.equal(thinking.state, 'thinking');
        assert.deepEqual(await counts(db, run.id), { transitions: 3, messages: 2, entries: 2 });
        const chain = await verifyAuditChain(db);
        assert.equal(chain.ok, true);
      } finally {
        await db.close();
      }
    });

    it('writes nothing for a run that moved on since it was read, and says so', async () => {
      const db = await target.create();
      try {
        const audit = createAuditLog(db);
        const run = await newRun(db);
        await commitTransition(db, audit, run, 'retrieving', {
          audit: [{ actor: 'system', kind: 'run.started' }],
        });
        const before = await counts(db, run.id);
        // `run` is the version read before that move: another worker's view.
        await assert.rejects(
          commitTransition(db, audit, run, 'retrieving', {
            messages: [
              {
                key: `${run.id}:late`,
                runId: run.id,
                channelId: 'C0OPS0001',
                operation: 'post',
                text: 'late',
              },
            ],
            audit: [{ actor: 'system', kind: 'run.started' }],
          }),
          RunFencedError,
        );
        assert.deepEqual(await counts(db, run.id), before);
        assert.equal((await loadRun(db, run.id))!.version, run.version + 1);
        assert.equal((await verifyAuditChain(db)).ok, true);
      } finally {
        await db.close();
      }
    });
  });
}
