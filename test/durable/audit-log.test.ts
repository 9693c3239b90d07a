import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { digestOf, hashEntry } from '../../src/audit/audit-entry.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { exportRunStory } from '../../src/audit/export-run-story.ts';
import { verifyAuditChain } from '../../src/audit/verify-audit-chain.ts';
import type { Database } from '../../src/db/database.ts';
import { openServerDatabase } from '../../src/db/pg-database.ts';
import { createServerTestDatabase, databaseTargets } from '../support/test-database.ts';

/** Writes `n` entries, the first three for one run. */
async function seed(db: Database, n: number, runId = randomUUID()): Promise<string> {
  const audit = createAuditLog(db);
  for (let i = 1; i <= n; i++) {
    await audit.record({
      actor: i % 2 ? 'U0ASKER001' : 'system',
      kind: i === 1 ? 'run.started' : `step.${i}`,
      runId: i <= 3 ? runId : null,
      correlationId: 'corr-1',
      inputDigest: digestOf({ i }),
      decision: i === 2 ? 'escalate' : null,
      approvers: i === 3 ? ['U0LEAD0001', 'U0LEAD0002'] : null,
      result: { n: i, nested: { b: 2, a: [1, 'x'] } },
    });
  }
  return runId;
}

/** The attacker: someone allowed to run DDL, who switches the append-only trigger off. */
async function tamper(db: Database, sql: string): Promise<void> {
  await db.exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
    ${sql};
    ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;`);
}

for (const target of databaseTargets()) {
  describe(`the audit log (${target.name})`, () => {
    async function withLog(n: number, fn: (db: Database, runId: string) => Promise<void>) {
      const db = await target.create();
      try {
        await fn(db, await seed(db, n));
      } finally {
        await db.close();
      }
    }

    it('verifies an untouched chain and exports one run as a story', async () => {
      await withLog(12, async (db, runId) => {
        const result = await verifyAuditChain(db);
        assert.equal(result.ok, true);
        assert.equal(result.checked, 12);
        assert.match(result.headHash!, /^[0-9a-f]{64}$/);
        const story = await exportRunStory(db, runId);
        assert.deepEqual(
          story.entries.map((e) => e.seq),
          [1, 2, 3],
        );
        assert.match(story.text, /decision=escalate/);
        assert.match(story.text, /approvers=U0LEAD0001,U0LEAD0002/);
      });
    });

    it('numbers and hashes entries in the database exactly as hashEntry does, several at once', async () => {
      await withLog(2, async (db, runId) => {
        const audit = createAuditLog(db, { now: () => new Date('2026-12-07T03:04:05.678Z') });
        const written = await db.transaction((tx) =>
          audit.appendAll(tx, [
            { actor: 'U0ASKER001', kind: 'decision', runId, approvers: ['U0LEAD0002', 'U0LEAD0001'] },
            {
              actor: 'system',
              kind: 'note',
              result: { z: 'é \u2028 "quoted"\n', a: [null, 1.5, { y: 1, b: 0 }] },
            },
            { actor: 'worker', kind: 'empty', result: null, detail: undefined },
          ]),
        );
        assert.deepEqual(
          written.map((e) => e.seq),
          [3, 4, 5],
        );
        let prev = written[0]!.prevHash;
        for (const entry of written) {
          assert.equal(entry.prevHash, prev);
          assert.equal(entry.hash, hashEntry(entry.prevHash, entry));
          prev = entry.hash;
        }
        const stored = await db.query<{ result: unknown; detail: unknown; approvers: unknown }>(
          'SELECT result, detail, approvers FROM audit_log WHERE seq >= 3 ORDER BY seq',
        );
        assert.deepEqual(stored.rows, [
          { result: null, detail: null, approvers: ['U0LEAD0002', 'U0LEAD0001'] },
          {
            result: { z: 'é \u2028 "quoted"\n', a: [null, 1.5, { y: 1, b: 0 }] },
            detail: null,
            approvers: null,
          },
          { result: null, detail: null, approvers: null },
        ]);
        const head = await db.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_chain_head');
        assert.deepEqual(head.rows, [{ seq: head.rows[0]!.seq, hash: written[2]!.hash }]);
        assert.equal(Number(head.rows[0]!.seq), 5);
        const result = await verifyAuditChain(db);
        assert.equal(result.ok, true);
        assert.equal(result.checked, 5);
      });
    });

    it('detects an edited entry and names it', async () => {
      await withLog(12, async (db) => {
        await tamper(db, `UPDATE audit_log SET actor = 'someone else' WHERE seq = 5`);
        const result = await verifyAuditChain(db);
        assert.equal(result.ok, false);
        assert.equal(result.problem!.seq, 5);
        assert.match(result.problem!.reason, /contents were changed/);
        assert.equal(result.checked, 4);
      });
    });

    it('detects an edit inside a JSON field', async () => {
      await withLog(6, async (db) => {
        await tamper(db, `UPDATE audit_log SET result = jsonb_set(result, '{n}', '99') WHERE seq = 2`);
        const result = await verifyAuditChain(db);
        assert.deepEqual([result.ok, result.problem!.seq], [false, 2]);
      });
    });

    it('detects a deleted entry and names it', async () => {
      await withLog(12, async (db) => {
        await tamper(db, 'DELETE FROM audit_log WHERE seq = 7');
        const result = await verifyAuditChain(db);
        assert.equal(result.ok, false);
        assert.equal(result.problem!.seq, 7);
        assert.match(result.problem!.reason, /missing/);
      });
    });

    it('detects a deleted entry even when the later ones are renumbered to hide the gap', async () => {
      await withLog(8, async (db) => {
        await tamper(
          db,
          'DELETE FROM audit_log WHERE seq = 4; UPDATE audit_log SET seq = seq - 1 WHERE seq > 4',
        );
        const result = await verifyAuditChain(db);
        assert.deepEqual([result.ok, result.problem!.seq], [false, 4]);
        assert.match(result.problem!.reason, /does not follow|changed/);
      });
    });

    it('detects reordered entries and names the first one out of place', async () => {
      await withLog(12, async (db) => {
        await tamper(
          db,
          'UPDATE audit_log SET seq = -1 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = -1',
        );
        const result = await verifyAuditChain(db);
        assert.equal(result.ok, false);
        assert.equal(result.problem!.seq, 3);
        assert.match(result.problem!.reason, /does not follow entry 2/);
      });
    });

    it('detects entries deleted from the end of the chain', async () => {
      await withLog(10, async (db) => {
        await tamper(db, 'DELETE FROM audit_log WHERE seq > 8');
        const result = await verifyAuditChain(db);
        assert.equal(result.ok, false);
        assert.equal(result.problem!.seq, 9);
        assert.match(result.problem!.reason, /missing from the end/);
      });
    });

    it('refuses UPDATE, DELETE and TRUNCATE of audit rows, even for the owner', async () => {
      await withLog(3, async (db) => {
        await assert.rejects(db.query("UPDATE audit_log SET actor = 'x' WHERE seq = 1"), /append-only/);
        await assert.rejects(db.query('DELETE FROM audit_log WHERE seq = 1'), /append-only/);
        await assert.rejects(db.query('TRUNCATE audit_log'), /append-only/);
        assert.equal((await verifyAuditChain(db)).ok, true);
      });
    });

    it('keeps one unbroken chain when many appends race', async () => {
      await withLog(0, async (db) => {
        const audit = createAuditLog(db);
        await Promise.all(
          Array.from({ length: 8 }, (_, w) =>
            (async () => {
              for (let i = 0; i < 15; i++)
                await audit.record({ actor: `worker-${w}`, kind: 'race', detail: { i } });
            })(),
          ),
        );
        const result = await verifyAuditChain(db);
        assert.equal(result.ok, true, JSON.stringify(result.problem));
        assert.equal(result.checked, 120);
      });
    });
  });
}

const serverUrl = process.env.TEST_DATABASE_URL;
if (serverUrl) {
  describe('the audit log on a Postgres server with the documented grants', () => {
    it('the application role cannot update or delete audit rows, but can append and verify', async () => {
      const grants = /```sql\n-- sluice-app-grants[^\n]*\n([\s\S]*?)```/.exec(
        fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/audit-grants.md'), 'utf8'),
      )?.[1];
      assert.ok(grants, 'docs/audit-grants.md has the sluice-app-grants block');
      const role = `sluice_app_test_${randomBytes(4).toString('hex')}`;
      const password = randomBytes(8).toString('hex');
      const superuser = (sql: string) =>
        execFileSync('su', ['postgres', '-c', `psql -v ON_ERROR_STOP=1 -Atqc "${sql}"`]);
      const owner = await createServerTestDatabase(serverUrl);
      superuser(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
      let app: Database | undefined;
      try {
        await seed(owner, 3);
        await owner.exec(grants.replaceAll('sluice_app', role));
        const url = new URL(serverUrl);
        url.pathname = new URL(owner.location).pathname;
        url.username = role;
        url.password = password;
        app = await openServerDatabase({ url: url.toString(), max: 2 });
        await createAuditLog(app).record({ actor: 'system', kind: 'appended.by.app' });
        for (const sql of [
          "UPDATE audit_log SET actor = 'someone else' WHERE seq = 1",
          'DELETE FROM audit_log WHERE seq = 1',
          'TRUNCATE audit_log',
          'DELETE FROM audit_chain_head',
          'ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only',
        ]) {
          await assert.rejects(app.query(sql), /permission denied|must be owner/, sql);
        }
        const result = await verifyAuditChain(app);
        assert.equal(result.ok, true);
        assert.equal(result.checked, 4);
      } finally {
        await app?.close();
        await owner.close();
        superuser(`DROP ROLE IF EXISTS ${role}`);
      }
    });
  });
}
