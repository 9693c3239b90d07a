import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { createActionRegistry } from '../../src/actions/action-registry.ts';
import { createBuiltinActions } from '../../src/actions/create-builtin-actions.ts';
import { defineAction, runStepKey } from '../../src/actions/define-action.ts';
import { parseEndpointsFile } from '../../src/actions/endpoints-file.ts';
import { evaluateProposal } from '../../src/actions/evaluate-proposal.ts';
import { type Authorization, executeAction } from '../../src/actions/execute-action.ts';
import type { Approval, VoteChoice } from '../../src/approvals/approval-types.ts';
import { authorizeVote } from '../../src/approvals/authorize-vote.ts';
import { canonicalJson, payloadHash } from '../../src/policy/canonical-json.ts';
import { decide } from '../../src/policy/decide.ts';
import { parseExplicitCommand } from '../../src/policy/parse-explicit-command.ts';
import { parsePolicy } from '../../src/policy/parse-policy.ts';
import type { Decision, PolicyContext } from '../../src/policy/policy-types.ts';
import type { Proposal } from '../../src/policy/proposal.ts';
import { createMemoryEffectLedger } from '../actions/support/memory-effect-ledger.ts';

/**
 * Property: feed 10,000 random and malformed proposals through parsing, the schema check, the
 * policy, approvals and execution against a recording world, with an adversary who forges
 * decisions, tampers with parameters after the decision, forges approval states, clicks as the
 * wrong people at the wrong times, and replays. Then: 0 executions the policy did not allow, and
 * every malformed proposal rejected with a reason. The oracle below re-derives "allowed" from the
 * policy and from its own reading of the votes, independently of what the pipeline was told.
 *
 * Seeded (SLUICE_PROPERTY_SEED to reproduce a failure); the seed is in every assertion message.
 */

const CASES = Number(process.env.SLUICE_PROPERTY_CASES ?? 10_000);
const SEED = Number(process.env.SLUICE_PROPERTY_SEED ?? 20_250_305);

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const random = mulberry32(SEED);
const chance = (p: number) => random() < p;
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const words = [
  'deploy',
  'payments',
  'restart',
  'urgent',
  'staging',
  'note',
  'cache',
  'hello world',
  'ünïcødé',
  'a=b',
  '"quoted"',
];
const text = () => Array.from({ length: int(1, 4) }, () => pick(words)).join(' ');

// --- the world ---------------------------------------------------------------------------------

const membership: Record<string, string[]> = {
  U_ALICE: ['devs'],
  U_BOB: ['devs', 'ops-leads'],
  U_LEAD1: ['ops-leads'],
  U_LEAD2: ['ops-leads', 'sre'],
  U_LEAD3: ['ops-leads'],
  U_BOSS: [],
  U_DEV: ['devs'],
  U_SRE: ['sre'],
};
const users = Object.keys(membership);
const channels = ['C_OPS', 'C_ALERTS', 'C_RANDOM'];

const policyText = `${fs.readFileSync('examples/policy.yaml', 'utf8')}
  - id: scale-small-in-office-hours
    match:
      action: ops.scale
      params:
        replicas: { min: 1, max: 3 }
        service: { one_of: [api, worker] }
      requester: { groups: [ops-leads] }
      time: { days: [mon, tue, wed, thu, fri], hours: "08:00-18:00", timezone: Europe/Berlin }
    decision: auto
  - id: scale-up-to-eight
    match:
      action: ops.scale
      params:
        replicas: { max: 8 }
      channel: [C_OPS, C_ALERTS]
    decision: escalate
    escalation:
      approvers: { users: [U_BOSS], groups: [sre] }
      quorum: 1
      expires_in: 15m
      requester_can_approve: true
  - id: scale-big-needs-three
    match:
      action: ops.scale
      risk: high
    decision: escalate
    escalation:
      approvers: { users: [U_BOSS, U_LEAD1, U_LEAD2, U_SRE] }
      quorum: 3
      expires_in: 10m
`;
const policy = parsePolicy(policyText, 'property-policy.yaml');

interface Execution {
  action: string;
  input: unknown;
  key: string;
}
const executions: Execution[] = [];

const endpoints = parseEndpointsFile(
  fs.readFileSync('examples/endpoints.yaml', 'utf8'),
  'examples/endpoints.yaml',
  {
    SLUICE_SECRET_DEPLOY_TOKEN: 'secret-token',
  },
);
const builtins = createBuiltinActions({
  slack: {
    allowedChannels: ['C_OPS', 'C_ALERTS'],
    poster: {
      async postMessage(m) {
        executions.push({
          action: 'slack.post_message',
          input: { channel: m.channel, text: m.text },
          key: m.idempotencyKey,
        });
        return { channel: m.channel, ts: '1.000001' };
      },
    },
  },
  http: {
    endpoints,
    fetch: async (url, init) => {
      executions.push({
        action: 'http.request',
        input: { url: String(url), body: init?.body ?? null },
        key: String((init?.headers as Record<string, string>)['Idempotency-Key']),
      });
      return new Response('{"queued":true}', { status: 202 });
    },
  },
  addNote: async (note) => {
    executions.push({
      action: 'kb.add_note',
      input: { title: note.title, text: note.text },
      key: note.source,
    });
    return { documentId: 1 };
  },
});
const scale = defineAction({
  name: 'ops.scale',
  description: 'Scale a service to a number of replicas.',
  input: z.strictObject({ service: z.string().regex(/^[a-z]+$/), replicas: z.int().min(0).max(10) }),
  risk: 'medium',
  riskOf: (input) => (input.replicas > 5 ? 'high' : 'medium'),
  idempotencyKey: runStepKey,
  async execute(input, ctx) {
    executions.push({ action: 'ops.scale', input, key: ctx.idempotencyKey });
    return { ok: true, summary: `scaled ${input.service} to ${input.replicas}` };
  },
});
const registry = createActionRegistry([...builtins, scale]);
const allowAll = parsePolicy(
  'version: 1\nrules:\n  - id: everything\n    decision: auto\n',
  'allow-all.yaml',
);

// --- generators --------------------------------------------------------------------------------

function validProposal(): Proposal {
  const source = pick(['explicit', 'model', 'fallback_model'] as const);
  switch (int(0, 4)) {
    case 0:
      return {
        action: 'slack.post_message',
        params: { channel: pick(['C_OPS', 'C_ALERTS']), text: text() },
        source,
      };
    case 1: {
      const params: Record<string, string> = {
        service: pick(['payments-worker', 'search-api', 'billing']),
        environment: pick(['staging', 'production']),
      };
      if (chance(0.3)) params.reason = text();
      return { action: 'http.request', params: { endpoint: 'restart-service', params }, source };
    }
    case 2:
      return {
        action: 'http.request',
        params: {
          endpoint: 'delete-cache-entries',
          params: { environment: pick(['staging', 'production']), prefix: pick(['sess', 'user-', 'tmp']) },
        },
        source,
      };
    case 3:
      return { action: 'kb.add_note', params: { title: text(), text: text() }, source };
    default:
      return {
        action: 'ops.scale',
        params: { service: pick(['api', 'worker', 'db']), replicas: int(0, 10) },
        source,
      };
  }
}

/** Each returns something that must be rejected; the label says why, for failure messages. */
const malformations: [string, (p: Proposal) => unknown][] = [
  ['unknown action', (p) => ({ ...p, action: pick(['acme.nuke', 'http.requests', 'kb.add_notes']) })],
  [
    'invalid action name',
    (p) => ({ ...p, action: pick(['Http.Request', '', 'a b', 'http.', '.x', 42, null]) }),
  ],
  ['params not an object', (p) => ({ ...p, params: pick([[], 'endpoint=x', null, 7, true]) })],
  ['unknown source', (p) => ({ ...p, source: pick(['admin', '', 'MODEL', undefined]) })],
  ['extra top-level key', (p) => ({ ...p, approved: true })],
  ['not an object', () => pick(['do it', null, 42, [], undefined])],
  [
    'required parameter missing',
    (p) => {
      const params = structuredClone(p.params) as Record<string, unknown>;
      const required: Record<string, string> = {
        'slack.post_message': 'text',
        'http.request': 'endpoint',
        'kb.add_note': 'title',
        'ops.scale': 'replicas',
      };
      delete params[required[p.action]!];
      return { ...p, params };
    },
  ],
  [
    'wrong parameter type',
    (p) => {
      const params = structuredClone(p.params) as Record<string, unknown>;
      if (p.action === 'ops.scale') params.replicas = pick(['three', 2.5, -1, 11, true]);
      else if (p.action === 'http.request') params.params = pick(['service=x', [], 5]);
      else if (p.action === 'slack.post_message') params.text = pick([42, '', false, 'x'.repeat(3001)]);
      else params.text = pick([null, 7, '']);
      return { ...p, params };
    },
  ],
  ['unknown parameter', (p) => ({ ...p, params: { ...p.params, sudo: true } })],
  [
    'unknown endpoint or endpoint parameter',
    (p) => ({
      ...p,
      action: 'http.request',
      params: chance(0.5)
        ? { endpoint: 'drop-database', params: {} }
        : {
            endpoint: 'restart-service',
            params: { service: 'api', environment: 'staging', url: 'https://evil.example' },
          },
    }),
  ],
  [
    'endpoint parameter out of its schema',
    (p) => ({
      ...p,
      action: 'http.request',
      params: { endpoint: 'restart-service', params: { service: 'Bad Service!', environment: 'qa' } },
    }),
  ],
  [
    'channel not allow-listed',
    (p) => ({ ...p, action: 'slack.post_message', params: { channel: 'C_RANDOM', text: 'hi' } }),
  ],
  ['prototype key', (p) => ({ ...p, params: JSON.parse('{"__proto__":{"admin":true},"text":"x"}') })],
  [
    'value JSON cannot carry',
    (p) => ({
      ...p,
      params: { ...p.params, n: pick([Number.NaN, Number.POSITIVE_INFINITY, () => 1, Symbol('s')]) },
    }),
  ],
];

const malformedCommands = [
  'do kb.add_note title="never closed',
  'do',
  'do Bad.Name a=1',
  'do kb.add_note title',
  'do kb.add_note =x',
  'do x.y a=1 a.b=2',
  'do kb.add_note title="a"b',
  'do kb.add_note 9=x',
  'do title=x',
  'do kb.add_note a.b.c.d.e=1',
  'do kb.add_note __proto__=1',
];

/** `/agent do` text for a valid proposal; values that would be retyped are quoted. */
function toCommand(p: Proposal): string {
  const parts: string[] = [];
  const walk = (value: unknown, key: string) => {
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, key ? `${key}.${k}` : k);
    } else if (typeof value === 'string')
      parts.push(`${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
    else parts.push(`${key}=${String(value)}`);
  };
  walk(p.params, '');
  return `do ${p.action} ${parts.join(' ')}`;
}

// --- the oracle --------------------------------------------------------------------------------

interface CaseState {
  context: PolicyContext;
  now: Date;
  paused: boolean;
  original: Proposal;
  originalDecision: Decision;
  approval?: Approval;
  /** Votes the oracle itself judged legitimate, by its own reading of the rules. */
  legitApprovers: Set<string>;
  legitRejected: boolean;
}

function oracleVoteIsLegit(
  a: Approval,
  voter: string,
  choice: VoteChoice,
  hash: string,
  reason: string | undefined,
  at: Date,
  paused: boolean,
) {
  if (a.status !== 'pending' || at.getTime() >= a.expiresAt.getTime() || hash !== a.payloadHash) return false;
  if (voter === a.requester && !a.requesterCanApprove) return false;
  const inGroup = (membership[voter] ?? []).some((g) => a.approvers.groups.includes(g));
  if (!a.approvers.users.includes(voter) && !inGroup) return false;
  if (a.votes.some((v) => v.voter === voter)) return false;
  if (choice === 'approve' && paused) return false;
  if (choice === 'reject' && !(reason?.trim() && reason.trim().length <= 500)) return false;
  return true;
}

/** Whether executing `proposal` was allowed: the policy says auto, or a legitimately reached quorum on exactly it. */
function oracleAllows(state: CaseState, proposal: Proposal, via: Authorization): boolean {
  if (state.paused) return false;
  const fresh = decide(proposal, { ...state.context, risk: registryRisk(proposal) }, policy, state.now);
  if (fresh.decision === 'auto') return true;
  if (via.kind !== 'approval' || state.originalDecision.decision !== 'escalate') return false;
  return (
    payloadHash(proposal.action, proposal.params) === state.originalDecision.payloadHash &&
    !state.legitRejected &&
    state.legitApprovers.size >= state.originalDecision.approval!.quorum
  );
}

function registryRisk(p: Proposal) {
  const v = registry.validate(p);
  return v.ok ? v.risk : undefined;
}

// --- the run -----------------------------------------------------------------------------------

describe('property: the model proposes, the policy disposes', () => {
  it(`${CASES} random and malformed proposals: no execution the policy did not allow, every malformed one rejected with a reason`, async () => {
    const ledger = createMemoryEffectLedger();
    const stats = {
      malformed: 0,
      rejected: 0,
      auto: 0,
      deny: 0,
      escalate: 0,
      executed: 0,
      refused: 0,
      approvedByVotes: 0,
      replayed: 0,
    };
    const violations: string[] = [];
    const baseTime = Date.parse('2025-03-03T00:00:00Z');

    for (let n = 0; n < CASES; n++) {
      const tag = `case ${n} (seed ${SEED})`;
      const requester = pick(users);
      const context: PolicyContext = {
        requester,
        requesterGroups: membership[requester]!,
        channel: pick(channels),
      };
      const now = new Date(baseTime + int(0, 7 * 24 * 60) * 60_000);
      const valid = validProposal();

      // 1. Parsing: a third of the cases come in as `/agent do` text.
      let raw: unknown;
      let malformed: string | undefined;
      if (chance(0.33)) {
        if (chance(0.25)) malformed = 'malformed command';
        const commandText = malformed ? pick(malformedCommands) : toCommand(valid);
        const parsed = parseExplicitCommand(commandText);
        if (!parsed.ok) {
          assert.ok(parsed.reason.length > 0, `${tag}: a parse failure must carry a reason`);
          if (!malformed)
            violations.push(`${tag}: a well-formed command was refused: ${commandText}: ${parsed.reason}`);
          stats.malformed++;
          continue;
        }
        if (malformed) violations.push(`${tag}: a malformed command parsed: ${commandText}`);
        raw = parsed.proposal;
      } else if (chance(0.3)) {
        const [label, make] = pick(malformations);
        malformed = label;
        raw = make(structuredClone(valid));
      } else raw = valid;

      // 2. Schema and policy.
      const evaluation = evaluateProposal(raw, context, { registry, policy, now });
      const before = executions.length;
      if (evaluation.kind === 'rejected') {
        stats.rejected++;
        assert.ok(evaluation.reason.length > 0, `${tag}: a rejection must carry a reason`);
        // The adversary tries to execute it anyway, under a policy that allows everything.
        const forged: Authorization = { kind: 'policy', policy: allowAll, context, decidedAt: now };
        await executeAction(
          {
            proposal: raw,
            authorization: forged,
            context: { runId: `r${n}`, step: 's', requester, channel: context.channel },
          },
          { registry, ledger },
        ).then(
          () => violations.push(`${tag}: a rejected proposal executed`),
          () => undefined,
        );
        if (executions.length !== before)
          violations.push(`${tag}: the world changed for a rejected proposal`);
        continue;
      }
      if (malformed) {
        violations.push(`${tag}: malformed (${malformed}) proposal was accepted: ${canonicalJsonSafe(raw)}`);
        continue;
      }
      const { proposal, decision } = evaluation;
      stats[decision.decision]++;

      const state: CaseState = {
        context,
        now,
        paused: chance(0.1),
        original: proposal,
        originalDecision: decision,
        legitApprovers: new Set(),
        legitRejected: false,
      };

      // 3. Approvals: random clicks, checked against the oracle's reading of the rules.
      if (decision.decision === 'escalate') {
        const a = decision.approval!;
        const approval: Approval = {
          id: `ap-${n}`,
          runId: `r${n}`,
          action: proposal.action,
          params: proposal.params,
          source: proposal.source,
          payloadHash: decision.payloadHash,
          requester,
          channel: context.channel,
          ruleId: decision.ruleId!,
          policyHash: decision.policyHash,
          reason: decision.reason,
          approvers: a.approvers,
          quorum: a.quorum,
          requesterCanApprove: a.requesterCanApprove,
          status: 'pending',
          createdAt: now,
          expiresAt: new Date(a.expiresAt),
          warnAt: new Date(a.warnAt),
          warnedAt: null,
          decidedAt: null,
          decidedBy: null,
          rejectionReason: null,
          supersedes: null,
          card: null,
          votes: [],
        };
        for (let k = int(0, 6); k > 0; k--) {
          const voter = chance(0.15) ? requester : pick(users);
          const choice: VoteChoice = chance(0.85) ? 'approve' : 'reject';
          const reason = choice === 'reject' && chance(0.7) ? 'not now' : undefined;
          const hash = chance(0.9)
            ? approval.payloadHash
            : payloadHash(proposal.action, { ...proposal.params, tampered: true });
          const at = new Date(now.getTime() + int(0, 40) * 60_000);
          const pauses = state.paused ? [{ scopeKind: 'global' as const, scopeValue: '' }] : [];
          const legit = oracleVoteIsLegit(approval, voter, choice, hash, reason, at, state.paused);
          const verdict = authorizeVote(
            approval,
            { approvalId: approval.id, voter, choice, payloadHash: hash, reason },
            { voterGroups: membership[voter]!, pauses },
            at,
          );
          if (verdict.ok !== legit)
            violations.push(`${tag}: authorizeVote said ${verdict.ok} for a vote the oracle judged ${legit}`);
          if (!verdict.ok) continue;
          approval.votes.push({ voter, choice, reason: reason ?? null, at });
          if (choice === 'approve') state.legitApprovers.add(voter);
          else state.legitRejected = true;
          if (verdict.outcome !== 'recorded')
            Object.assign(approval, {
              status: verdict.outcome,
              decidedAt: at,
              decidedBy: voter,
              rejectionReason: reason ?? null,
            });
        }
        if (approval.status === 'approved') stats.approvedByVotes++;
        state.approval = approval;
      }

      // 4. Execution attempts: honest, forged, tampered, replayed.
      const tamper = (p: Proposal): Proposal => {
        const params = structuredClone(p.params) as Record<string, unknown>;
        const inner = params.params as Record<string, unknown> | undefined;
        if (p.action === 'ops.scale') params.replicas = ((params.replicas as number) + 1) % 11;
        else if (p.action === 'http.request' && inner)
          inner.environment = inner.environment === 'staging' ? 'production' : 'staging';
        else if (p.action === 'slack.post_message')
          params.channel = params.channel === 'C_OPS' ? 'C_ALERTS' : 'C_OPS';
        else params.title = `${params.title}!`;
        return { ...p, params: params as Proposal['params'] };
      };
      const attempts: { proposal: Proposal; via: Authorization; label: string }[] = [];
      const byPolicy: Authorization = { kind: 'policy', policy, context, decidedAt: now };
      const honest: Authorization = state.approval
        ? { kind: 'approval', approval: state.approval }
        : byPolicy;
      attempts.push({ proposal, via: honest, label: 'honest' });
      // Claiming the policy allows it, whatever it decided (escalate and deny included).
      if (chance(0.5)) attempts.push({ proposal, via: byPolicy, label: 'policy claimed' });
      if (chance(0.5)) attempts.push({ proposal: tamper(proposal), via: honest, label: 'tampered params' });
      if (state.approval && chance(0.5)) {
        attempts.push({
          proposal,
          via: { kind: 'approval', approval: { ...state.approval, status: 'approved' } },
          label: 'forged approved status',
        });
      }
      if (chance(0.3)) attempts.push({ proposal, via: honest, label: 'replay' });

      for (const attempt of attempts) {
        const countBefore = executions.length;
        const step = attempt.label === 'tampered params' ? 'effect:tampered' : 'effect:1';
        let outcome: Awaited<ReturnType<typeof executeAction>> | undefined;
        try {
          outcome = await executeAction(
            {
              proposal: attempt.proposal,
              authorization: attempt.via,
              context: { runId: `r${n}`, step, requester, channel: context.channel },
            },
            {
              registry,
              ledger,
              beforeEffect: async () => {
                if (state.paused) throw new Error('paused');
              },
            },
          );
        } catch {
          stats.refused++;
        }
        const ran = executions.length - countBefore;
        if (ran > 1) violations.push(`${tag}: one execution call acted ${ran} times`);
        if (outcome?.status === 'replayed') stats.replayed++;
        if (ran === 1) {
          stats.executed++;
          if (!oracleAllows(state, attempt.proposal, attempt.via)) {
            violations.push(
              `${tag}: ${attempt.label} execution of ${canonicalJsonSafe(attempt.proposal)} was not allowed by the policy`,
            );
          }
        }
        if (outcome?.status === 'executed' && ran !== 1)
          violations.push(`${tag}: reported executed but the world saw ${ran} effects`);
      }
    }

    const keys = executions.map((e) => `${e.action} ${e.key}`);
    assert.equal(new Set(keys).size, keys.length, `duplicate effects under one key (seed ${SEED})`);
    assert.deepEqual(violations.slice(0, 10), [], `${violations.length} violation(s) (seed ${SEED})`);
    // The run must exercise every path, or it proves little.
    assert.ok(stats.malformed + stats.rejected > CASES * 0.2, JSON.stringify(stats));
    assert.ok(
      stats.auto > CASES * 0.05 && stats.deny > CASES * 0.05 && stats.escalate > CASES * 0.05,
      JSON.stringify(stats),
    );
    assert.ok(stats.executed > CASES * 0.05 && stats.refused > CASES * 0.1, JSON.stringify(stats));
    assert.ok(stats.approvedByVotes > 50, JSON.stringify(stats));
    console.log(`property run (seed ${SEED}): ${JSON.stringify(stats)}`);
  });
});

function canonicalJsonSafe(value: unknown): string {
  try {
    return canonicalJson(value).slice(0, 200);
  } catch {
    return String(value);
  }
}
