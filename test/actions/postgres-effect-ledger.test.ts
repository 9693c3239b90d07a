import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPostgresEffectLedger } from '../../src/actions/postgres-effect-ledger.ts';
import type { Database } from '../../src/db/database.ts';
import { databaseTargets } from '../support/test-database.ts';

const request = (
  key: string,
  overrides: Partial<Parameters<ReturnType<typeof createPostgresEffectLedger>['claim']>[0]> = {},
) => ({
  key,
  action: 'http.request',
  payloadHash: 'a'.repeat(64),
  runId: 'run-1',
  leaseMs: 60_000,
  retryUnknownOutcome: false,
  ...overrides,
});

for (const target of databaseTargets()) {
  describe(`effects ledger in Postgres (${target.name})`, () => {
    let db: Database;
    before(async () => {
      db = await target.create();
    });
    after(async () => {
      await db.close();
    });

    it('gives a key to one claimant and replays its outcome to everyone after', async () => {
      const ledger = createPostgresEffectLedger(db);
      const claim = await ledger.claim(request('k1'));
      assert.deepEqual(claim, { kind: 'claimed', attempt: 1 });
      assert.deepEqual(await ledger.claim(request('k1')), { kind: 'in_progress' });
      await ledger.complete('k1', 1, { ok: true, summary: 'done', data: { n: 1 } });
      assert.deepEqual(await ledger.claim(request('k1')), {
        kind: 'settled',
        status: 'succeeded',
        result: { ok: true, summary: 'done', data: { n: 1 } },
        error: null,
      });
    });

    it('refuses the same key for another payload', async () => {
      const ledger = createPostgresEffectLedger(db);
      await ledger.claim(request('k2'));
      const other = await ledger.claim(request('k2', { payloadHash: 'b'.repeat(64) }));
      assert.deepEqual(other, { kind: 'payload_mismatch', recordedPayloadHash: 'a'.repeat(64) });
    });

    it('reopens a key after a retryable failure, and keeps a final one closed', async () => {
      const ledger = createPostgresEffectLedger(db);
      await ledger.claim(request('k3'));
      await ledger.fail('k3', 1, 'timed out', true);
      assert.deepEqual(await ledger.claim(request('k3')), { kind: 'claimed', attempt: 2 });
      await ledger.complete('k3', 2, { ok: false, summary: 'POST x -> 400', retryable: false });
      const settled = await ledger.claim(request('k3'));
      assert.equal(settled.kind, 'settled');
      assert.equal(settled.kind === 'settled' && settled.error, 'POST x -> 400');
    });

    it('lets a lapsed claim be taken over only by an action that may retry, and fences the old attempt', async () => {
      const ledger = createPostgresEffectLedger(db);
      await ledger.claim(request('k4', { leaseMs: 30 }));
      await sleep(80);
      assert.deepEqual(await ledger.claim(request('k4', { leaseMs: 60_000, retryUnknownOutcome: true })), {
        kind: 'claimed',
        attempt: 2,
      });
      await assert.rejects(
        ledger.complete('k4', 1, { ok: true, summary: 'late' }),
        /was taken over before it finished/,
      );
      await ledger.complete('k4', 2, { ok: true, summary: 'second' });
    });

    it('marks a lapsed claim uncertain for an action that cannot retry blindly', async () => {
      const ledger = createPostgresEffectLedger(db);
      await ledger.claim(request('k5', { leaseMs: 30 }));
      await sleep(80);
      assert.deepEqual(await ledger.claim(request('k5')), { kind: 'uncertain' });
      assert.deepEqual(await ledger.claim(request('k5', { retryUnknownOutcome: true })), {
        kind: 'uncertain',
      });
      const row = await db.query<{ status: string }>(
        'SELECT status FROM action_effects WHERE idempotency_key = $1',
        ['k5'],
      );
      assert.equal(row.rows[0]?.status, 'uncertain');
    });
  });
}
