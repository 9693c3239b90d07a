import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { collectDigestFigures, type DigestFigures } from '../../src/digest/digest-figures.ts';
import { databaseTargets } from '../support/test-database.ts';
import {
  FIXTURE_BASELINES,
  FIXTURE_DAY_BUDGET_USD,
  FIXTURE_PERIOD,
  insertFixtureHistory,
} from './fixture-history.ts';

/**
 * Every figure's SQL in docs/digest.md, run against the fixture history, must give exactly what
 * the digest module computed: the documented method is the method.
 */

const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/digest.md'), 'utf8');
const documented = new Map(
  [...doc.matchAll(/```sql figure=([\w.]+)\n([\s\S]*?)```/g)].map((m) => [m[1]!, m[2]!.trim()]),
);

type Row = Record<string, unknown>;
const scalar = (rows: Row[]) => {
  assert.equal(rows.length, 1);
  return rows[0]!.value === null ? null : Number(rows[0]!.value);
};

/** What each documented query must return, read from the module's figures. */
const expectations: Record<string, (f: DigestFigures, rows: Row[]) => void> = {
  'runs.total': (f, rows) => assert.equal(scalar(rows), f.runs.total),
  'runs.succeeded': (f, rows) => assert.equal(scalar(rows), f.runs.succeeded),
  'runs.failed': (f, rows) => assert.equal(scalar(rows), f.runs.failed),
  'runs.success_rate': (f, rows) => near(scalar(rows), f.runs.successRate),
  'runs.failures': (f, rows) =>
    assert.deepEqual(
      rows.map((r) => r.run_id),
      f.runs.failures.map((x) => x.runId),
    ),
  decisions: (f, rows) =>
    assert.deepEqual(
      Object.fromEntries(rows.map((r) => [r.decision, Number(r.n)])),
      Object.fromEntries(Object.entries(f.decisions).filter(([, n]) => n > 0)),
    ),
  'approvals.requested': (f, rows) => assert.equal(scalar(rows), f.approvals.requested),
  'approvals.median_decision_seconds': (f, rows) => near(scalar(rows), f.approvals.medianDecisionSeconds),
  'approvals.expired': (f, rows) => assert.equal(scalar(rows), f.approvals.expired),
  'spend.usd': (f, rows) => near(scalar(rows), f.spend.spendUsd),
  'spend.cost_per_success_usd': (f, rows) => near(scalar(rows), f.spend.costPerSuccessUsd),
  'hours_saved.by_action': (f, rows) => {
    const byAction = [...f.hoursSaved.lines].sort((a, b) => a.action.localeCompare(b.action));
    assert.deepEqual(
      rows.map((r) => [
        r.action,
        Number(r.runs),
        r.minutes === null ? null : Number(r.minutes),
        round(Number(r.hours)),
      ]),
      byAction.map((l) => [l.action, l.successfulRuns, l.minutesPerRun, round(l.hours)]),
    );
  },
  'hours_saved.total': (f, rows) => near(scalar(rows), f.hoursSaved.totalHours),
  'gaps.count': (f, rows) => assert.equal(scalar(rows), f.gaps.count),
  'gaps.questions': (f, rows) =>
    assert.deepEqual(
      rows.map((r) => r.run_id),
      f.gaps.items.map((g) => g.runId),
    ),
};

function round(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

function near(actual: number | null, expected: number | null): void {
  if (expected === null) {
    assert.equal(actual, null);
    return;
  }
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-9, `${actual} != ${expected}`);
}

describe('docs/digest.md', () => {
  it('documents exactly one query for every figure the digest shows', () => {
    assert.deepEqual([...documented.keys()].sort(), Object.keys(expectations).sort());
  });
});

for (const target of databaseTargets()) {
  describe(`the documented SQL reproduces each digest figure (${target.name})`, () => {
    let db: Database;
    let figures: DigestFigures;

    before(async () => {
      db = await target.create();
      await insertFixtureHistory(db);
      figures = await collectDigestFigures(db, FIXTURE_PERIOD, {
        baselines: FIXTURE_BASELINES,
        dayBudgetUsd: FIXTURE_DAY_BUDGET_USD,
      });
    });
    after(() => db.close());

    for (const [figure, check] of Object.entries(expectations)) {
      it(`reproduces ${figure}`, async () => {
        const sql = documented.get(figure);
        assert.ok(sql, `docs/digest.md has no query for ${figure}`);
        const params: unknown[] = [FIXTURE_PERIOD.from, FIXTURE_PERIOD.to];
        if (sql.includes('$3')) params.push(JSON.stringify(FIXTURE_BASELINES));
        const result = await db.query<Row>(sql, params);
        check(figures, result.rows);
      });
    }
  });
}
