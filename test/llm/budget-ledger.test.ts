import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { openServerDatabase } from '../../src/db/pg-database.ts';
import { isSluiceError, type SluiceError } from '../../src/errors.ts';
import { type BudgetLimits, createBudgetLedger } from '../../src/llm/budget-ledger.ts';
import { usdToPico } from '../../src/llm/price-table.ts';
import { databaseTargets } from '../support/test-database.ts';

const roomy: BudgetLimits = { runUsd: 100, userDayUsd: 100, dayUsd: 100, maxTurnsPerRun: 100 };

async function rejection(promise: Promise<unknown>): Promise<SluiceError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isSluiceError(error));
    return error;
  }
  assert.fail('expected a rejection');
}

/** A second connection pool on the same server database, as another replica would have. */
async function secondPool(db: Database): Promise<Database> {
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = new URL(db.location).pathname;
  return openServerDatabase({ url: url.toString(), max: 5 });
}

for (const target of databaseTargets()) {
  describe(`the budget ledger (${target.name})`, () => {
    test('200 concurrent reservations against a $1 day fit exactly 100 of $0.01', async () => {
      const db = await target.create();
      const other = target.name === 'server' ? await secondPool(db) : undefined;
      try {
        const ledgers = [db, ...(other ? [other] : [])].map((d) =>
          createBudgetLedger({ db: d, limits: { ...roomy, dayUsd: 1 } }),
        );
        const results = await Promise.allSettled(
          Array.from({ length: 200 }, (_, i) =>
            ledgers[i % ledgers.length]!.reserve({
              runId: `run-${i}`,
              userId: `U${i % 7}`,
              amountPico: usdToPico(0.01),
            }),
          ),
        );
        const won = results.filter((r) => r.status === 'fulfilled').length;
        assert.equal(won, 100);
        for (const r of results) {
          if (r.status === 'rejected') {
            assert.equal((r.reason as SluiceError).code, 'budget_exceeded');
            assert.equal((r.reason as SluiceError).details?.scope, 'day');
          }
        }
        const [day] = await ledgers[0]!.ledgers({});
        assert.equal(day?.reservedUsd, 1);
      } finally {
        await other?.close();
        await db.close();
      }
    });

    test('settling replaces the hold with the real cost; releasing returns it all', async () => {
      const db = await target.create();
      try {
        const ledger = createBudgetLedger({ db, limits: roomy });
        const a = await ledger.reserve({ runId: 'r1', userId: 'U1', amountPico: usdToPico(0.1) });
        const b = await ledger.reserve({ runId: 'r1', userId: 'U1', amountPico: usdToPico(0.2) });
        await ledger.settle(a, usdToPico(0.03));
        await ledger.release(b);
        await ledger.settle(a, usdToPico(0.03));
        const rows = await ledger.ledgers({ runId: 'r1', userId: 'U1' });
        assert.equal(rows.length, 3);
        for (const row of rows) {
          assert.equal(row.reservedUsd, 0);
          assert.equal(row.spentUsd, 0.03, `${row.scope} spent once, however often settle is called`);
        }
        assert.equal(rows.find((r) => r.scope === 'run')?.turns, 2);
      } finally {
        await db.close();
      }
    });

    test('a full user budget rolls back the hold already taken on the day', async () => {
      const db = await target.create();
      try {
        const ledger = createBudgetLedger({ db, limits: { ...roomy, userDayUsd: 0.05 } });
        await ledger.reserve({ runId: 'r1', userId: 'U1', amountPico: usdToPico(0.05) });
        const error = await rejection(
          ledger.reserve({ runId: 'r2', userId: 'U1', amountPico: usdToPico(0.01) }),
        );
        assert.equal(error.details?.scope, 'user');
        assert.match(error.message, /this user's daily model budget of \$0\.05 would be exceeded/);
        const day = (await ledger.ledgers({})).find((r) => r.scope === 'day');
        assert.equal(day?.reservedUsd, 0.05);
        await ledger.reserve({ runId: 'r3', userId: 'U2', amountPico: usdToPico(0.01) });
      } finally {
        await db.close();
      }
    });

    test('a run has a cap on model turns as well as on money', async () => {
      const db = await target.create();
      try {
        const ledger = createBudgetLedger({ db, limits: { ...roomy, maxTurnsPerRun: 2 } });
        for (let i = 0; i < 2; i++) {
          const r = await ledger.reserve({ runId: 'r1', userId: 'U1', amountPico: 1n });
          await ledger.settle(r, 1n);
        }
        const error = await rejection(ledger.reserve({ runId: 'r1', userId: 'U1', amountPico: 1n }));
        assert.equal(error.code, 'budget_exceeded');
        assert.equal(error.details?.reason, 'turns');
        assert.match(error.message, /used its 2 model turns/);
      } finally {
        await db.close();
      }
    });

    test('holds of a holder that died are swept, and a late settle still counts the spend', async () => {
      const db = await target.create();
      try {
        let now = Date.parse('2030-05-01T12:00:00Z');
        const ledger = createBudgetLedger({
          db,
          limits: { ...roomy, dayUsd: 0.1 },
          now: () => new Date(now),
          holdMs: 1_000,
        });
        const stuck = await ledger.reserve({ runId: 'r1', userId: 'U1', amountPico: usdToPico(0.1) });
        await rejection(ledger.reserve({ runId: 'r2', userId: 'U1', amountPico: usdToPico(0.01) }));
        now += 2_000;
        // The next reservation finds the day full, sweeps the expired hold and gets through.
        const fresh = await ledger.reserve({ runId: 'r2', userId: 'U1', amountPico: usdToPico(0.01) });
        await ledger.settle(fresh, usdToPico(0.01));
        await ledger.settle(stuck, usdToPico(0.02));
        const day = (await ledger.ledgers({})).find((r) => r.scope === 'day');
        assert.equal(day?.reservedUsd, 0);
        assert.equal(day?.spentUsd, 0.03);
      } finally {
        await db.close();
      }
    });
  });
}
