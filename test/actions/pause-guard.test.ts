import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { createActionRegistry } from '../../src/actions/action-registry.ts';
import { defineAction, runStepKey } from '../../src/actions/define-action.ts';
import { executeAction } from '../../src/actions/execute-action.ts';
import { createPauseGuard } from '../../src/actions/pause-guard.ts';
import { createPostgresEffectLedger } from '../../src/actions/postgres-effect-ledger.ts';
import type { Database } from '../../src/db/database.ts';
import { isSluiceError } from '../../src/errors.ts';
import { parsePolicy } from '../../src/policy/parse-policy.ts';
import type { Proposal } from '../../src/policy/proposal.ts';
import { databaseTargets } from '../support/test-database.ts';

const allowAll = parsePolicy('version: 1\nrules:\n  - id: all\n    decision: auto\n', 'p.yaml');

for (const target of databaseTargets()) {
  describe(`pause guard before an effect (${target.name})`, () => {
    let db: Database;
    const ran: string[] = [];
    const registry = createActionRegistry([
      defineAction({
        name: 'demo.touch',
        description: 'Touch the world',
        input: z.strictObject({ n: z.int() }),
        risk: 'low',
        idempotencyKey: runStepKey,
        async execute(input) {
          ran.push(String(input.n));
          return { ok: true, summary: 'touched' };
        },
      }),
    ]);
    before(async () => {
      db = await target.create();
    });
    after(async () => {
      await db.close();
    });

    const run = (step: string, channel = 'C_OPS') => {
      const proposal: Proposal = { action: 'demo.touch', params: { n: 1 }, source: 'model' };
      return executeAction(
        {
          proposal,
          authorization: {
            kind: 'policy',
            policy: allowAll,
            context: { requester: 'U1', channel },
            decidedAt: new Date(),
          },
          context: { runId: 'run-p', step, requester: 'U1', channel },
        },
        { registry, ledger: createPostgresEffectLedger(db), beforeEffect: createPauseGuard(db) },
      );
    };

    for (const [scope, value] of [
      ['global', ''],
      ['channel', 'C_OPS'],
      ['action', 'demo.touch'],
    ] as const) {
      it(`stops the effect while a ${scope} pause is in force, and lets it run after resume`, async () => {
        await db.query(
          'INSERT INTO pauses (scope_kind, scope_value, reason, paused_by) VALUES ($1, $2, $3, $4)',
          [scope, value, 'incident', 'U_OPS'],
        );
        const before = ran.length;
        await assert.rejects(
          run(`s-${scope}`),
          (e: unknown) =>
            isSluiceError(e) && e.code === 'paused' && e.retryable && /incident/.test(e.message),
        );
        assert.equal(ran.length, before);
        await db.query("UPDATE pauses SET resumed_at = now(), resumed_by = 'U_OPS' WHERE resumed_at IS NULL");
        assert.equal((await run(`s-${scope}`)).status, 'executed');
        assert.equal(ran.length, before + 1);
      });
    }

    it('ignores pauses of another channel or action', async () => {
      await db.query(
        "INSERT INTO pauses (scope_kind, scope_value, reason, paused_by) VALUES ('channel', 'C_ELSEWHERE', 'x', 'U'), ('action', 'kb.add_note', 'x', 'U')",
      );
      assert.equal((await run('s-other')).status, 'executed');
      await db.query("UPDATE pauses SET resumed_at = now(), resumed_by = 'U' WHERE resumed_at IS NULL");
    });
  });
}
