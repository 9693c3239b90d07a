import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { isSluiceError } from '../../src/errors.ts';
import { reply, type ScriptedReply } from '../support/anthropic-double.ts';
import { seededRandom } from './fuzz-support.ts';
import { createHarness, type Harness, passages } from './gateway-harness.ts';

/**
 * A model that misbehaves in every way we could think of. Each reply must end in a valid typed
 * result, a refusal (`model_output_invalid` after a dead letter), or no-model mode: never a crash,
 * an unbounded loop, an unbounded request, or an invented citation shown to a person.
 */

const actions = [
  {
    name: 'http.request',
    description: 'Call a configured endpoint.',
    input: z.object({
      endpoint: z.enum(['restart-service']),
      params: z.object({ service: z.string().max(100), environment: z.enum(['staging', 'production']) }),
    }),
  },
] as const;

const TEN_MB = 'A'.repeat(10 * 1024 * 1024);

let h: Harness;

before(async () => {
  h = await createHarness({ settings: { cacheTtlSeconds: 0 } });
});

after(async () => {
  await h.close();
});

async function proposeExpectingRefusal(script: ScriptedReply[]) {
  h.double.scriptModel('claude-sonnet-4-6', ...script);
  const before = h.double.requests.length;
  const ctx = h.ctx();
  await assert.rejects(
    h.gateway.propose({ ...ctx, request: 'restart payments in staging', actions }),
    (error: unknown) => isSluiceError(error) && error.code === 'model_output_invalid',
  );
  assert.equal(h.double.requests.length - before, 2, 'exactly two turns');
  return { ctx, sent: h.double.requests.slice(before) };
}

describe('a hostile model', () => {
  test('calling an action that does not exist is refused after one repair', async () => {
    const { sent } = await proposeExpectingRefusal([
      reply.toolUse('delete_everything', { confirm: true }),
      reply.toolUse('delete_everything', { confirm: true }),
    ]);
    const repair = sent[1]!.body.messages.at(-1).content[0];
    assert.match(repair.content, /there is no tool named "delete_everything"/);
  });

  test('wrong types are refused', async () => {
    await proposeExpectingRefusal([
      reply.toolUse('http_request', { rationale: 42, params: 'restart-service' }),
      reply.toolUse('http_request', {
        rationale: 'ok',
        params: { endpoint: 'restart-service', params: { service: 7 } },
      }),
    ]);
  });

  test('a 10 MB string is refused, and neither the repair request nor the record carries it', async () => {
    const huge = {
      rationale: TEN_MB,
      params: { endpoint: 'restart-service', params: { service: 'a', environment: 'staging' } },
    };
    const { ctx, sent } = await proposeExpectingRefusal([
      reply.toolUse('http_request', huge),
      reply.toolUse('http_request', huge),
    ]);
    assert.ok(JSON.stringify(sent[1]!.body).length < 50_000, 'the repair turn replays a bounded copy');
    const stored = await h.db.query<{ size: number }>(
      'SELECT max(octet_length(response::text)) AS size FROM llm_calls WHERE run_id = $1',
      [ctx.runId],
    );
    assert.ok(stored.rows[0]!.size < 200_000, `stored response is ${stored.rows[0]!.size} bytes`);
  });

  test('endless tool calls in one reply are refused and only a few are replayed', async () => {
    const many = reply.message(
      Array.from({ length: 500 }, (_, i) => ({
        type: 'tool_use' as const,
        name: 'http_request',
        input: { i },
      })),
    );
    const { sent } = await proposeExpectingRefusal([many, many]);
    const replayed = sent[1]!.body.messages
      .at(-2)
      .content.filter((b: { type: string }) => b.type === 'tool_use');
    assert.ok(replayed.length <= 5);
    assert.equal(
      sent[1]!.body.messages.at(-1).content.length,
      replayed.length,
      'one tool_result per replayed tool_use',
    );
  });

  test('a model that keeps calling tools forever is bounded by the turn cap of the run', async () => {
    h.double.setResponder(() => reply.toolUse('http_request', { nonsense: true }));
    const ctx = h.ctx();
    const before = h.double.requests.length;
    const errors: string[] = [];
    for (let i = 0; i < 10; i++) {
      try {
        await h.gateway.propose({ ...ctx, request: 'restart payments', actions });
      } catch (error) {
        assert.ok(isSluiceError(error));
        errors.push(error.code);
      }
    }
    assert.equal(h.double.requests.length - before, h.settings.budgets.maxTurnsPerRun);
    assert.ok(errors.includes('budget_exceeded'));
    h.double.setResponder(() => reply.text('This is the Anthropic double.'));
  });

  test('an answer citing only passages that were not retrieved is never shown', async () => {
    const invented = reply.toolUse('submit_answer', {
      known: true,
      answer: 'Use the secret tool [7][42].',
      citations: [7, 42],
    });
    h.double.scriptModel('claude-sonnet-4-6', invented, invented);
    await assert.rejects(
      h.gateway.answer({ ...h.ctx(), question: 'how do I rotate?', hits: passages }),
      (error: unknown) => isSluiceError(error) && error.code === 'model_output_invalid',
    );
  });

  test('invented citations next to real ones are removed from text and list', async () => {
    h.double.scriptModel(
      'claude-sonnet-4-6',
      reply.toolUse('submit_answer', {
        known: true,
        answer: 'Run vault rotate [1][9] and restart the pods [1, 12].',
        citations: [1, 9, 12],
      }),
    );
    const result = await h.gateway.answer({
      ...h.ctx(),
      question: 'rotate the staging password?',
      hits: passages,
    });
    assert.equal(result.answer.text, 'Run vault rotate [1] and restart the pods [1].');
    assert.deepEqual(
      result.answer.citations.map((c) => c.chunkId),
      [passages[0]!.chunkId],
    );
    assert.equal(result.answer.citationsCorrected, true);
  });

  test('impossible usage is billed at the bounds the request allows, never above its reservation', async () => {
    h.double.scriptModel(
      'claude-sonnet-4-6',
      reply.toolUse(
        'submit_answer',
        { known: true, answer: 'Use vault [1].', citations: [1] },
        { usage: { input_tokens: 5e12, cache_read_input_tokens: 1e15, output_tokens: 1e9 } },
      ),
    );
    const ctx = h.ctx();
    const result = await h.gateway.answer({ ...ctx, question: 'rotate, cheaply?', hits: passages });
    assert.equal(result.mode, 'model');
    const row = await h.db.query<{ output_tokens: number; held: number; cost: number }>(
      `SELECT c.output_tokens, r.amount_usd AS held, c.cost_usd AS cost
         FROM llm_calls c JOIN llm_budget_reservations r ON r.run_key = c.run_id
        WHERE c.run_id = $1`,
      [ctx.runId],
    );
    assert.equal(row.rows[0]!.output_tokens, h.settings.maxTokens.answer);
    assert.ok(row.rows[0]!.cost <= row.rows[0]!.held);
  });

  test('a reply that is not JSON at all moves to the fallback model', async () => {
    h.double.scriptModel(
      'claude-sonnet-4-6',
      reply.raw(200, '<html>502 Bad Gateway</html>', { 'content-type': 'text/html' }),
    );
    h.double.scriptModel(
      'claude-haiku-4-5',
      reply.toolUse('submit_answer', { known: true, answer: 'Use vault [1].', citations: [1] }),
    );
    const result = await h.gateway.answer({
      ...h.ctx(),
      question: 'rotate the password, please',
      hits: passages,
    });
    assert.equal(result.mode, 'fallback');
  });

  test('200 random hostile replies never crash the gateway', async (t) => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000_007);
    const random = seededRandom(seed);
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
    const hostile = (): ScriptedReply =>
      pick([
        reply.toolUse(pick(['http_request', 'no_action', 'http.request', 'x'.repeat(5000), '']), pick(junk)),
        reply.text(pick(['', 'I refuse.', '\u0000\u0001', 'a'.repeat(100_000)])),
        reply.message([]),
        reply.toolUse('http_request', pick(junk), { stopReason: 'max_tokens' }),
        reply.raw(
          200,
          pick(['{', 'null', '[]', '{"content": 5}', '{"type":"message","content":[{"type":"tool_use"}]}']),
        ),
        reply.raw(pick([418, 502, 599]), 'teapot'),
        reply.overloaded(),
      ]);
    const junk: unknown[] = [
      null,
      'string',
      [1, 2, 3],
      {
        rationale: 'r',
        params: { endpoint: 'restart-service', params: { service: 's', environment: 'staging' } },
      },
      { rationale: '', params: {} },
      { reason: 'no' },
      {
        rationale: 'r',
        params: { endpoint: 'restart-service', params: { service: '\u0000', environment: 'prod' } },
      },
      JSON.parse('{"__proto__": {"polluted": true}, "rationale": "r"}'),
    ];
    h.double.setResponder(() => hostile());
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      let outcome: string;
      try {
        const result = await h.gateway.propose({ ...h.ctx(), request: `restart payments ${i}`, actions });
        outcome = result.proposal ? `proposal:${result.mode}` : `none:${result.mode}`;
        if (result.proposal) assert.equal(actions[0].input.safeParse(result.proposal.params).success, true);
      } catch (error) {
        assert.ok(isSluiceError(error), `unexpected ${String(error)} (seed ${seed})`);
        assert.ok(
          ['model_output_invalid', 'budget_exceeded'].includes(error.code),
          `${error.code} (seed ${seed})`,
        );
        outcome = error.code;
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    t.diagnostic(`seed ${seed}: ${JSON.stringify(Object.fromEntries(outcomes))}`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.ok(outcomes.size >= 2, JSON.stringify([...outcomes]));
  });
});
