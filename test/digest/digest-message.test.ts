import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestMessage } from '../../handlers/blocks/digest-message.ts';
import { createDigestService } from '../../src/digest/digest-service.ts';
import type { DigestToRender } from '../../src/digest/digest-to-render.ts';
import { checkBlocks } from '../../src/local/slack-block-rules.ts';
import { databaseTargets } from '../support/test-database.ts';

const NOW = new Date('2026-11-20T18:00:00Z');

for (const target of databaseTargets()) {
  describe(`a busy day's digest (${target.name})`, () => {
    it('renders 10,000 runs within Block Kit limits, counting everything and listing a few', async () => {
      const db = await target.create();
      try {
        // 10,000 runs in the last day: every 3rd failed with a long error, every 7th an executed
        // action of one of 40 types, every 11th an answer the knowledge base did not know.
        await db.query(
          `INSERT INTO runs (id, correlation_id, origin, text, state, decision, outcome, context, error_code,
                             error_message, cost_usd, created_at, updated_at)
           SELECT gen_random_uuid(), gen_random_uuid(), 'command',
                  'question ' || i || ' ' || repeat('<&> long words ', 40),
                  CASE WHEN i % 3 = 0 THEN 'failed' ELSE 'done' END,
                  CASE WHEN i % 7 = 0 THEN 'auto' END,
                  CASE WHEN i % 3 = 0 THEN 'effect_failed' WHEN i % 7 = 0 THEN 'executed' ELSE 'answered' END,
                  CASE WHEN i % 7 = 0 THEN jsonb_build_object('proposal', jsonb_build_object('action', 'custom.action_' || (i % 40)))
                       WHEN i % 11 = 0 THEN '{"answerDetail":{"known":false}}'::jsonb ELSE '{}'::jsonb END,
                  CASE WHEN i % 3 = 0 THEN 'http_500' END,
                  CASE WHEN i % 3 = 0 THEN repeat('upstream said <no> & more | ', 100) END,
                  0.0123, $1::timestamptz - make_interval(secs => i * 8), $1::timestamptz
             FROM generate_series(1, 10000) AS i`,
          [NOW],
        );
        const baselines = Object.fromEntries(
          Array.from({ length: 40 }, (_, i) => [`custom.action_${i}`, 5 + i]),
        );
        const service = createDigestService({
          db,
          render: (d) => digestMessage(d, { runLink: (id) => `https://sluice.example.com/runs/${id}` }),
          clock: () => NOW,
          config: {
            digest: { schedules: [], baselines, graceMinutes: 15 },
            llm: { budgets: { dayUsd: 50 } },
          },
        });
        await service.digestNow({ channelId: 'C0OPS', key: 'busy' });
        const posted = await db.query<{ payload: { text: string; blocks: unknown[] } }>(
          "SELECT payload FROM outbox_messages WHERE key = 'digest:now:busy'",
        );
        const { text, blocks } = posted.rows[0]!.payload;
        // checkBlocks throws Slack's own refusal (invalid_blocks, with the pointer) on any limit broken.
        assert.equal(checkBlocks(blocks, 'message').length, blocks.length);
        assert.ok(text.length <= 4000);
        const json = JSON.stringify(blocks);
        assert.match(json, /10000 \(6667 succeeded, 3333 failed\)/);
        assert.match(json, /…and 3323 more/);
        assert.match(json, /…and 25 more action\(s\)/);
      } finally {
        await db.close();
      }
    });
  });
}

describe('the digest message', () => {
  it('stays within limits with huge lists, long names and many skipped slots', () => {
    const many = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));
    const digest: DigestToRender = {
      timeZone: 'Europe/London',
      trigger: 'scheduled',
      late: true,
      pausedReason: 'x'.repeat(5000),
      unposted: many(500, (i) => ({
        slotAt: new Date(i * 3_600_000),
        status: 'skipped_paused',
        reason: 'r'.repeat(900),
      })),
      figures: {
        period: { from: new Date('2026-11-19T09:00:00Z'), to: new Date('2026-11-20T09:00:00Z') },
        runs: {
          total: 10_000,
          succeeded: 5_000,
          failed: 5_000,
          successRate: 0.5,
          failures: many(500, (i) => ({
            runId: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
            state: 'failed',
            errorCode: 'c'.repeat(300),
            errorMessage: 'm'.repeat(3000),
            createdAt: new Date(0),
          })),
        },
        decisions: { auto: 1, escalate: 2, deny: 3 },
        approvals: {
          requested: 9,
          approved: 3,
          rejected: 3,
          expired: 3,
          pending: 0,
          medianDecisionSeconds: 7200,
        },
        spend: { spendUsd: 123.456, budgetUsd: 100, budgetDays: 1, costPerSuccessUsd: 0.0247 },
        hoursSaved: {
          totalHours: 1234.5,
          lines: many(300, (i) => ({
            action: `a.${'n'.repeat(200)}${i}`,
            successfulRuns: i,
            minutesPerRun: i % 2 ? 5 : null,
            hours: i,
          })),
          baselines: Object.fromEntries(many(400, (i) => [`action.${'b'.repeat(60)}${i}`, i])),
        },
        gaps: {
          count: 4_000,
          items: many(500, (i) => ({ runId: `run-${i}`, question: 'q'.repeat(4000), why: 'unknown' })),
        },
      },
    };
    const { text, blocks } = digestMessage(digest);
    assert.equal(checkBlocks(blocks, 'message').length, blocks.length);
    assert.ok(text.length <= 4000);
    assert.match(JSON.stringify(blocks), /Baselines: `action\.b+0` 0 min/);
  });
});
