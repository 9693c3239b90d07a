import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { commitTransition } from '../../src/agent/commit-transition.ts';
import { resolveApproval } from '../../src/agent/resolve-approval.ts';
import { loadRun, type Run } from '../../src/agent/run-record.ts';
import type { RunState } from '../../src/agent/run-state.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import type { Database, Queryable } from '../../src/db/database.ts';
import { recordRequest } from '../../src/inbox/record-request.ts';
import { createEmbeddedTestDatabase } from '../support/test-database.ts';

/** A run parked for approval, as the run worker leaves it. */
async function waitingRun(db: Database): Promise<Run> {
  const audit = createAuditLog(db);
  const recorded = await recordRequest(db, {
    key: `command:${randomUUID()}`,
    kind: 'command',
    payload: {},
    receivedAt: new Date(),
    run: { channelId: 'C0OPS0001', userId: 'U0ALICE01', text: 'restart payments in production' },
  });
  let run = (await loadRun(db, recorded.runId!))!;
  for (const to of ['retrieving', 'thinking', 'decided', 'awaiting_approval'] as RunState[]) {
    run = await commitTransition(db, audit, run, to, {
      ...(to === 'decided' ? { context: { proposal: { action: 'http.request', input: {} } } } : {}),
    });
  }
  return run;
}

describe('an approval that lands while the job that parked the run still holds its key', () => {
  it("enqueues the run's job again once that job lets go of the key", async () => {
    const db = await createEmbeddedTestDatabase();
    try {
      const run = await waitingRun(db);
      // A stand-in for the job queue's exclusive key: held (null, nothing enqueued) for two tries.
      const calls: { inTransaction: boolean; state: string | undefined }[] = [];
      const enqueueRun = async (q: Queryable, runId: string) => {
        calls.push({ inTransaction: q !== db, state: (await loadRun(q, runId))?.state });
        return calls.length <= 2 ? null : 'job-2';
      };
      const resolved = await resolveApproval({ db, audit: createAuditLog(db), enqueueRun }, run.id, {
        outcome: 'approved',
        by: ['U0LEAD0001', 'U0LEAD0002'],
      });
      assert.equal(resolved.state, 'executing');
      assert.deepEqual(calls, [
        { inTransaction: true, state: 'executing' },
        { inTransaction: false, state: 'executing' },
        { inTransaction: false, state: 'executing' },
      ]);
    } finally {
      await db.close();
    }
  });

  it('stops trying once the run has moved on (the finishing job took it after all)', async () => {
    const db = await createEmbeddedTestDatabase();
    try {
      const audit = createAuditLog(db);
      const run = await waitingRun(db);
      let calls = 0;
      const enqueueRun = async (_q: Queryable, runId: string) => {
        calls++;
        // The job that held the key read the run as executing and moved it on.
        if (calls === 2) await commitTransition(db, audit, (await loadRun(db, runId))!, 'replied');
        return null;
      };
      await resolveApproval({ db, audit, enqueueRun }, run.id, { outcome: 'approved', by: ['U0LEAD0001'] });
      assert.equal(calls, 2);
      assert.equal((await loadRun(db, run.id))!.state, 'replied');
    } finally {
      await db.close();
    }
  });
});
