import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { openServerDatabase } from '../../src/db/pg-database.ts';
import { isSluiceError } from '../../src/errors.ts';
import { defaultPriceTable } from '../../src/llm/price-table.ts';
import { databaseTargets } from '../support/test-database.ts';
import { fuzzActions, fuzzResponder, seededRandom } from './fuzz-support.ts';
import { createHarness, passages } from './gateway-harness.ts';

/**
 * Issue 3's budget promise: 1,000 runs with random inputs, random usage and random failures,
 * sharing per-run, per-user and daily ceilings, spend nothing beyond any ceiling; and every call's
 * recorded cost is exactly its four token counters times the price table. On the server target
 * the runs are split between two gateways with their own connection pools, as two replicas would be.
 */

const RUNS = 1_000;
const CONCURRENCY = 16;
const budgets = { runUsd: 0.15, userDayUsd: 0.8, dayUsd: 5, maxTurnsPerRun: 4 };

async function pool(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: concurrency }, async () => {
    while (next < count) await work(next++);
  });
  await Promise.all(workers);
}

/** What the price table says a call costs, in pico-dollars, computed independently of src. */
function expectedPico(
  model: string,
  t: { input: number; cacheRead: number; cacheWrite: number; output: number },
) {
  const price = defaultPriceTable[`anthropic:${model}`]!;
  const rate = (usd: number) => BigInt(Math.round(usd * 1e6));
  return (
    BigInt(t.input) * rate(price.input) +
    BigInt(t.cacheWrite) * rate(price.input * price.cacheWrite) +
    BigInt(t.cacheRead) * rate(price.input * price.cacheRead) +
    BigInt(t.output) * rate(price.output)
  );
}

function picoText(pico: bigint): string {
  return `${pico / 1_000_000_000_000n}.${(pico % 1_000_000_000_000n).toString().padStart(12, '0')}`;
}

for (const target of databaseTargets()) {
  test(`${RUNS} fuzzed runs never overspend a budget and cost every call exactly (${target.name})`, async (t) => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000_007);
    t.diagnostic(`seed ${seed} (rerun with FUZZ_SEED=${seed})`);
    const random = seededRandom(seed);
    const h = await createHarness({
      target,
      settings: {
        cacheTtlSeconds: 0,
        budgets,
        retry: { attempts: 2, deadlineMs: 5_000, retryAfterCapMs: 50, baseDelayMs: 1, maxDelayMs: 5 },
        // Random 529s must not open breakers here; this test is about money.
        breaker: { failureRate: 1, minCalls: 1_000_000, windowMs: 60_000, cooldownMs: 60_000 },
      },
    });
    let second: Database | undefined;
    try {
      h.double.setResponder(fuzzResponder(random));
      const gateways = [h.gateway];
      if (target.name === 'server') {
        const url = new URL(process.env.TEST_DATABASE_URL!);
        url.pathname = new URL(h.db.location).pathname;
        second = await openServerDatabase({ url: url.toString(), max: 5 });
        gateways.push(h.replica(second));
      }
      const outcomes = { exceeded: 0, tasks: 0, degraded: 0 };
      const started = Date.now();
      await pool(RUNS, CONCURRENCY, async (i) => {
        const gateway = gateways[i % gateways.length]!;
        const ctx = h.ctx({ runId: `fuzz-${seed}-${i}`, userId: `U${i % 8}` });
        const text = 'how do I rotate the password? '.repeat(1 + Math.floor(random() * 100));
        const steps = 1 + Math.floor(random() * 3);
        try {
          for (let s = 0; s < steps; s++) {
            const pick = random();
            const result =
              pick < 0.33
                ? await gateway.triage({ ...ctx, text })
                : pick < 0.66
                  ? await gateway.answer({ ...ctx, question: text, hits: passages })
                  : await gateway.propose({ ...ctx, request: text, actions: fuzzActions });
            outcomes.tasks++;
            if (result.mode === 'no-model') outcomes.degraded++;
          }
        } catch (error) {
          if (!(isSluiceError(error) && error.code === 'budget_exceeded')) throw error;
          outcomes.exceeded++;
        }
      });
      t.diagnostic(
        `${RUNS} runs, ${outcomes.tasks} tasks, ${outcomes.exceeded} stopped by a budget, ${outcomes.degraded} degraded, ${Date.now() - started} ms`,
      );

      const over = await h.db.query<{ scope: string; scope_key: string; overspend: string }>(
        `SELECT scope, scope_key, (spent_usd - limit_usd)::text AS overspend
           FROM llm_budget_ledgers WHERE spent_usd > limit_usd`,
      );
      assert.deepEqual(over.rows, [], 'overspend must be 0 on every ledger');
      const held = await h.db.query(`SELECT 1 FROM llm_budget_ledgers WHERE reserved_usd <> 0`);
      assert.equal(held.rows.length, 0, 'every reservation was settled or released');
      const open = await h.db.query(`SELECT 1 FROM llm_budget_reservations WHERE status = 'held'`);
      assert.equal(open.rows.length, 0);

      // The ledgers agree with the call records, scope by scope.
      const mismatched = await h.db.query(
        `WITH sums AS (
           SELECT 'run' AS scope, run_id AS scope_key, sum(cost_usd) AS total FROM llm_calls GROUP BY run_id
           UNION ALL
           SELECT 'user', user_id || '@' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), sum(cost_usd)
             FROM llm_calls GROUP BY 2
           UNION ALL
           SELECT 'day', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), sum(cost_usd) FROM llm_calls GROUP BY 2)
         SELECT l.scope, l.scope_key FROM llm_budget_ledgers l
           LEFT JOIN sums s ON s.scope = l.scope AND s.scope_key = l.scope_key
          WHERE l.spent_usd <> coalesce(s.total, 0)`,
      );
      assert.deepEqual(mismatched.rows, []);

      const calls = await h.db.query<{
        model: string;
        input_tokens: number;
        cache_read_tokens: number;
        cache_write_tokens: number;
        output_tokens: number;
        cost: string;
        response: { usage: Record<string, number> };
      }>(
        `SELECT model, input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, cost_usd::text AS cost, response
           FROM llm_calls WHERE outcome IN ('ok', 'invalid_output')`,
      );
      assert.ok(calls.rows.length > 200, `only ${calls.rows.length} billed calls`);
      for (const call of calls.rows) {
        const usage = call.response.usage;
        assert.equal(call.input_tokens, usage.input_tokens);
        assert.equal(call.cache_read_tokens, usage.cache_read_input_tokens);
        assert.equal(call.cache_write_tokens, usage.cache_creation_input_tokens);
        assert.equal(call.output_tokens, usage.output_tokens);
        const expected = expectedPico(call.model, {
          input: call.input_tokens,
          cacheRead: call.cache_read_tokens,
          cacheWrite: call.cache_write_tokens,
          output: call.output_tokens,
        });
        assert.equal(call.cost, picoText(expected));
      }

      // The ceilings were actually reached, or the test would prove nothing.
      assert.ok(outcomes.exceeded > 0);
      const day = await h.db.query<{ spent: number }>(
        `SELECT spent_usd AS spent FROM llm_budget_ledgers WHERE scope = 'day'`,
      );
      assert.ok(day.rows[0]!.spent > budgets.dayUsd * 0.5, `the day spent only $${day.rows[0]!.spent}`);
    } finally {
      await second?.close();
      await h.close();
    }
  });
}
