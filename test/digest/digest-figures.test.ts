import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { collectDigestFigures, type DigestFigures } from '../../src/digest/digest-figures.ts';
import { databaseTargets } from '../support/test-database.ts';
import {
  FIXTURE_BASELINES,
  FIXTURE_DAY_BUDGET_USD,
  FIXTURE_PERIOD,
  type FixtureIds,
  insertFixtureHistory,
} from './fixture-history.ts';

const close = (a: number | null, b: number) =>
  assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${a} != ${b}`);

for (const target of databaseTargets()) {
  describe(`digest figures of the fixture day (${target.name})`, () => {
    let db: Database;
    let ids: FixtureIds;
    let f: DigestFigures;

    before(async () => {
      db = await target.create();
      ids = await insertFixtureHistory(db);
      f = await collectDigestFigures(db, FIXTURE_PERIOD, {
        baselines: FIXTURE_BASELINES,
        dayBudgetUsd: FIXTURE_DAY_BUDGET_USD,
      });
    });
    after(() => db.close());

    it('counts the runs created in the period, excluding both neighbours', () => {
      assert.equal(f.runs.total, 12);
    });

    it('counts succeeded and failed runs and the success rate over runs that ended', () => {
      assert.equal(f.runs.succeeded, 8);
      assert.equal(f.runs.failed, 2);
      close(f.runs.successRate, 0.8);
    });

    it('lists the failures with their run ids, newest first', () => {
      assert.deepEqual(
        f.runs.failures.map((x) => [x.runId, x.state, x.errorCode]),
        [
          [ids.run.r9, 'dead_lettered', 'model_invalid'],
          [ids.run.r8, 'failed', 'http_500'],
        ],
      );
    });

    it('splits the decisions into auto, escalated and denied', () => {
      assert.deepEqual(f.decisions, { auto: 4, escalate: 3, deny: 1 });
    });

    it('counts approvals, their median time to decision and the expired ones', () => {
      assert.equal(f.approvals.requested, 5);
      assert.equal(f.approvals.approved, 2);
      assert.equal(f.approvals.rejected, 1);
      assert.equal(f.approvals.expired, 1);
      assert.equal(f.approvals.pending, 1);
      // Decisions took 120 s, 600 s and 240 s; the expired one is not a decision.
      close(f.approvals.medianDecisionSeconds, 240);
    });

    it('reports spend against the day budget and the cost per successful outcome', () => {
      close(f.spend.spendUsd, 0.49);
      assert.equal(f.spend.budgetDays, 1);
      close(f.spend.budgetUsd, 5);
      close(f.spend.costPerSuccessUsd, 0.49 / 8);
    });

    it('computes hours saved from the declared minutes per successful run', () => {
      assert.deepEqual(
        f.hoursSaved.lines.map((l) => [l.action, l.successfulRuns, l.minutesPerRun]),
        [
          ['http.request', 2, 15],
          ['kb.add_note', 1, 5],
          ['custom.thing', 1, null],
        ],
      );
      close(f.hoursSaved.totalHours, (2 * 15 + 5) / 60);
      assert.deepEqual(f.hoursSaved.baselines, FIXTURE_BASELINES);
    });

    it('finds the questions the knowledge base could not answer', () => {
      assert.equal(f.gaps.count, 2);
      assert.deepEqual(
        f.gaps.items.map((g) => [g.runId, g.why]),
        [
          [ids.run.r7, 'not_helpful'],
          [ids.run.r6, 'unknown'],
        ],
      );
    });
  });
}
