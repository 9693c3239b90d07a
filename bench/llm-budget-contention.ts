/**
 * How fast budget reservations go when every call contends for the same daily ledger row, and what
 * the gateway adds around a model call. Prints figures; asserts nothing.
 *
 *   node --import tsx bench/llm-budget-contention.ts
 *   TEST_DATABASE_URL=postgres://... node --import tsx bench/llm-budget-contention.ts   # adds the server
 */
import type { Database } from '../src/db/database.ts';
import { openServerDatabase } from '../src/db/pg-database.ts';
import { createBudgetLedger } from '../src/llm/budget-ledger.ts';
import { usdToPico } from '../src/llm/price-table.ts';
import { createHarness, passages } from '../test/llm/gateway-harness.ts';
import { reply } from '../test/support/anthropic-double.ts';
import { createEmbeddedTestDatabase, createServerTestDatabase } from '../test/support/test-database.ts';

const CYCLES = Number(process.env.BENCH_CYCLES ?? 2_000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function contend(label: string, dbs: Database[], concurrency: number): Promise<void> {
  const ledgers = dbs.map((db) =>
    createBudgetLedger({ db, limits: { runUsd: 1e6, userDayUsd: 1e6, dayUsd: 1e6, maxTurnsPerRun: 1e6 } }),
  );
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      const ledger = ledgers[w % ledgers.length]!;
      while (next < CYCLES) {
        const i = next++;
        const t0 = performance.now();
        const r = await ledger.reserve({
          runId: `bench-${label}-${i}`,
          userId: `U${i % 20}`,
          amountPico: usdToPico(0.01),
        });
        await ledger.settle(r, usdToPico(0.004));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(28)} concurrency ${String(concurrency).padStart(2)}: ${(CYCLES / seconds).toFixed(0).padStart(5)} reserve+settle/s, ` +
      `p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms`,
  );
}

async function gatewayOverhead(): Promise<void> {
  const h = await createHarness({ settings: { cacheTtlSeconds: 0 } });
  try {
    h.double.setResponder(() =>
      reply.toolUse('submit_answer', { known: true, answer: 'Use vault [1].', citations: [1] }),
    );
    const latencies: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t0 = performance.now();
      await h.gateway.answer({ ...h.ctx(), question: `how do I rotate ${i}?`, hits: passages });
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `gateway.answer against the double (embedded db, model answers instantly): p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms`,
    );
  } finally {
    await h.close();
  }
}

const embedded = await createEmbeddedTestDatabase();
for (const c of [1, 8, 32]) await contend('embedded', [embedded], c);
await embedded.close();

const url = process.env.TEST_DATABASE_URL;
if (url) {
  const server = await createServerTestDatabase(url);
  const second = new URL(url);
  second.pathname = new URL(server.location).pathname;
  const replica = await openServerDatabase({ url: second.toString(), max: 10 });
  for (const c of [1, 8, 32]) await contend('server, 2 replicas', [server, replica], c);
  await replica.close();
  await server.close();
}

await gatewayOverhead();
