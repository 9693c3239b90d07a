import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { payloadHash, sha256Hex } from '../../src/policy/canonical-json.ts';
import { decide, explainDecision } from '../../src/policy/decide.ts';
import { parsePolicy } from '../../src/policy/parse-policy.ts';
import { ctx, WEDNESDAY_1030_UTC as NOW, policyOf, proposal, restart } from './support/policy-fixtures.ts';

const demo = parsePolicy(fs.readFileSync('examples/policy.yaml', 'utf8'), 'examples/policy.yaml');

describe('decide: the demo policy', () => {
  it('auto-approves a staging restart with the rule that allowed it', () => {
    const d = decide(restart('staging'), ctx(), demo, NOW);
    assert.equal(d.decision, 'auto');
    assert.equal(d.ruleId, 'staging-auto');
    assert.equal(d.approval, undefined);
  });

  it('escalates a production restart to two ops leads within 30 minutes, requester excluded', () => {
    const d = decide(restart('production'), ctx(), demo, NOW);
    assert.equal(d.decision, 'escalate');
    assert.equal(d.ruleId, 'production-two-ops-leads');
    assert.equal(d.reason, 'Production changes need two ops leads to approve.');
    assert.deepEqual(d.approval, {
      approvers: { users: [], groups: ['ops-leads'] },
      quorum: 2,
      requesterCanApprove: false,
      expiresInMs: 30 * 60_000,
      expiresAt: '2025-03-05T11:00:00.000Z',
      warnAt: '2025-03-05T10:55:00.000Z',
    });
  });

  it('denies deletions before any rule could allow them, even in staging', () => {
    const d = decide(
      proposal('http.request', {
        endpoint: 'delete-cache-entries',
        params: { environment: 'staging', prefix: 'abc' },
      }),
      ctx(),
      demo,
      NOW,
    );
    assert.equal(d.decision, 'deny');
    assert.equal(d.ruleId, 'deny-delete-endpoints');
    assert.match(d.reason, /never deletes/);
    assert.equal(
      decide(proposal('kb.delete_note', { id: 1 }), ctx(), demo, NOW).ruleId,
      'deny-delete-actions',
    );
  });

  it('denies what no rule matches, saying so', () => {
    const d = decide(proposal('acme.launch_rocket'), ctx(), demo, NOW);
    assert.equal(d.decision, 'deny');
    assert.equal(d.ruleId, null);
    assert.match(d.reason, /no rule matched acme.launch_rocket/);
  });

  it('returns the policy file hash and the payload hash with every decision', () => {
    const text = fs.readFileSync('examples/policy.yaml', 'utf8');
    const p = restart('staging');
    for (const candidate of [p, proposal('nothing.matches')]) {
      const d = decide(candidate, ctx(), demo, NOW);
      assert.equal(d.policyHash, sha256Hex(text));
      assert.equal(d.payloadHash, payloadHash(candidate.action, candidate.params));
    }
  });

  it('treats the proposal source as a condition', () => {
    const post = (source: 'model' | 'fallback_model' | 'explicit') =>
      decide(proposal('slack.post_message', { channel: 'C1', text: 'hi' }, source), ctx(), demo, NOW);
    assert.equal(post('model').decision, 'auto');
    assert.equal(post('explicit').decision, 'auto');
    assert.equal(post('fallback_model').decision, 'escalate');
  });
});

describe('decide: rule order and matching', () => {
  it('lets the first matching rule decide', () => {
    const policy = policyOf(`  - id: first
    match: { action: kb.add_note }
    decision: deny
  - id: second
    match: { action: kb.add_note }
    decision: auto
`);
    assert.equal(decide(proposal('kb.add_note'), ctx(), policy, NOW).ruleId, 'first');
  });

  it('requires every condition of a rule to hold', () => {
    const policy = policyOf(`  - id: both
    match: { action: kb.add_note, channel: C_OPS }
    decision: auto
`);
    assert.equal(decide(proposal('kb.add_note'), ctx(), policy, NOW).decision, 'auto');
    assert.equal(decide(proposal('kb.add_note'), ctx({ channel: 'C_OTHER' }), policy, NOW).decision, 'deny');
    assert.equal(decide(proposal('kb.other'), ctx(), policy, NOW).decision, 'deny');
  });

  it('matches action globs and lists', () => {
    const policy = policyOf(`  - id: kb
    match: { action: ["kb.*", slack.post_message] }
    decision: auto
`);
    assert.equal(decide(proposal('kb.add_note'), ctx(), policy, NOW).decision, 'auto');
    assert.equal(decide(proposal('slack.post_message'), ctx(), policy, NOW).decision, 'auto');
    assert.equal(decide(proposal('kbx.add'), ctx(), policy, NOW).decision, 'deny');
    assert.equal(decide(proposal('http.request'), ctx(), policy, NOW).decision, 'deny');
  });

  it('treats a dot in an action glob literally', () => {
    const policy = policyOf(`  - id: exact
    match: { action: kb.add_note }
    decision: auto
`);
    assert.equal(decide(proposal('kbxadd_note'), ctx(), policy, NOW).decision, 'deny');
  });

  it('matches a rule with no conditions for everything', () => {
    const policy = policyOf(`  - id: everything
    decision: auto
`);
    assert.equal(decide(proposal('any.thing', { a: 1 }), ctx(), policy, NOW).decision, 'auto');
  });
});

describe('decide: parameter conditions', () => {
  const policy = policyOf(`  - id: conditions
    match:
      action: ops.scale
      params:
        service: { one_of: [api, worker] }
        replicas: { min: 1, max: 5 }
        region: { pattern: "eu-[a-z]+-[0-9]" }
        dry_run: false
        nested.level: { equals: 2 }
    decision: auto
`);
  const base = { service: 'api', replicas: 3, region: 'eu-west-1', dry_run: false, nested: { level: 2 } };
  const verdict = (params: Record<string, unknown>) =>
    decide(proposal('ops.scale', params), ctx(), policy, NOW);

  it('allows parameters that meet every condition', () => {
    assert.equal(verdict(base).decision, 'auto');
  });

  it('checks one_of', () => {
    assert.equal(verdict({ ...base, service: 'db' }).decision, 'deny');
  });

  it('reads a bare value as equals and a bare list as one_of', () => {
    const short = policyOf(`  - id: short
    match: { params: { env: [staging, qa], n: 3 } }
    decision: auto
`);
    assert.equal(decide(proposal('a.b', { env: 'qa', n: 3 }), ctx(), short, NOW).decision, 'auto');
    assert.equal(decide(proposal('a.b', { env: 'prod', n: 3 }), ctx(), short, NOW).decision, 'deny');
    assert.equal(decide(proposal('a.b', { env: 'qa', n: 4 }), ctx(), short, NOW).decision, 'deny');
  });

  it('checks numeric min and max inclusively and refuses non-numbers', () => {
    assert.equal(verdict({ ...base, replicas: 1 }).decision, 'auto');
    assert.equal(verdict({ ...base, replicas: 5 }).decision, 'auto');
    assert.equal(verdict({ ...base, replicas: 0 }).decision, 'deny');
    assert.equal(verdict({ ...base, replicas: 6 }).decision, 'deny');
    assert.equal(verdict({ ...base, replicas: '3' }).decision, 'deny');
  });

  it('anchors patterns to the whole value', () => {
    assert.equal(verdict({ ...base, region: 'xeu-west-1' }).decision, 'deny');
    assert.equal(verdict({ ...base, region: 'eu-west-1-evil' }).decision, 'deny');
    assert.equal(verdict({ ...base, region: 7 }).decision, 'deny');
  });

  it('compares equals strictly, without type coercion', () => {
    assert.equal(verdict({ ...base, dry_run: 'false' }).decision, 'deny');
    assert.equal(verdict({ ...base, nested: { level: '2' } }).decision, 'deny');
  });

  it('treats a missing parameter as not matching', () => {
    const { region: _r, ...withoutRegion } = base;
    assert.equal(verdict(withoutRegion).decision, 'deny');
  });

  it('never reads parameters through the prototype chain', () => {
    const policy2 = policyOf(`  - id: proto
    match: { params: { toString: { exists: true } } }
    decision: auto
`);
    assert.equal(decide(proposal('a.b', {}), ctx(), policy2, NOW).decision, 'deny');
  });

  it('supports exists: false for parameters that must be absent', () => {
    const policy2 = policyOf(`  - id: no-force
    match: { action: ops.scale, params: { force: { exists: false } } }
    decision: auto
`);
    assert.equal(decide(proposal('ops.scale', {}), ctx(), policy2, NOW).decision, 'auto');
    assert.equal(decide(proposal('ops.scale', { force: true }), ctx(), policy2, NOW).decision, 'deny');
  });

  it('explains which condition failed', () => {
    const { trace } = explainDecision(proposal('ops.scale', { ...base, replicas: 9 }), ctx(), policy, NOW);
    assert.deepEqual(trace, [
      { ruleId: 'conditions', line: 3, missedBecause: 'params.replicas is 9, above 5' },
    ]);
  });
});

describe('decide: requester, channel, environment and risk', () => {
  it('matches requesters by user id or by user group, with or without @', () => {
    const policy = policyOf(`  - id: leads
    match: { requester: { users: [U_BOSS], groups: ["@ops-leads", S0123] } }
    decision: auto
`);
    assert.equal(decide(proposal('a.b'), ctx({ requester: 'U_BOSS' }), policy, NOW).decision, 'auto');
    assert.equal(
      decide(proposal('a.b'), ctx({ requesterGroups: ['ops-leads'] }), policy, NOW).decision,
      'auto',
    );
    assert.equal(decide(proposal('a.b'), ctx({ requesterGroups: ['S0123'] }), policy, NOW).decision, 'auto');
    assert.equal(decide(proposal('a.b'), ctx({ requesterGroups: ['devs'] }), policy, NOW).decision, 'deny');
  });

  it('matches channels by id or by #name', () => {
    const policy = policyOf(`  - id: ops
    match: { channel: [C_OPS, "#incidents"] }
    decision: auto
`);
    assert.equal(decide(proposal('a.b'), ctx({ channel: 'C_OPS' }), policy, NOW).decision, 'auto');
    assert.equal(
      decide(proposal('a.b'), ctx({ channel: 'C9', channelName: 'incidents' }), policy, NOW).decision,
      'auto',
    );
    assert.equal(
      decide(proposal('a.b'), ctx({ channel: 'C9', channelName: 'random' }), policy, NOW).decision,
      'deny',
    );
  });

  it('matches the environment tag and never matches when the context has none', () => {
    const policy = policyOf(`  - id: staging
    match: { environment: staging }
    decision: auto
`);
    assert.equal(decide(proposal('a.b'), ctx({ environment: 'staging' }), policy, NOW).decision, 'auto');
    assert.equal(decide(proposal('a.b'), ctx({ environment: 'production' }), policy, NOW).decision, 'deny');
    const none = explainDecision(proposal('a.b'), ctx(), policy, NOW);
    assert.equal(none.decision.decision, 'deny');
    assert.equal(none.trace[0]?.missedBecause, 'the request has no environment tag');
  });

  it('matches the risk the caller looked up for the action', () => {
    const policy = policyOf(`  - id: low-risk
    match: { risk: [low] }
    decision: auto
`);
    assert.equal(decide(proposal('a.b'), ctx({ risk: 'low' }), policy, NOW).decision, 'auto');
    assert.equal(decide(proposal('a.b'), ctx({ risk: 'high' }), policy, NOW).decision, 'deny');
    assert.equal(decide(proposal('a.b'), ctx(), policy, NOW).decision, 'deny');
  });
});

describe('decide: time windows', () => {
  const policy = policyOf(`  - id: office-hours
    match:
      time: { days: [mon, tue, wed, thu, fri], hours: "09:00-17:00", timezone: Europe/Berlin }
    decision: auto
  - id: night
    match:
      time: { hours: "22:00-06:00", timezone: UTC }
    decision: escalate
    escalation: { approvers: { users: [U_ON_CALL] } }
`);
  const at = (iso: string) => decide(proposal('a.b'), ctx(), policy, new Date(iso));

  it('evaluates hours in the named time zone', () => {
    // 07:30 UTC in March is 08:30 in Berlin (CET, UTC+1): before the window opens.
    assert.equal(at('2025-03-05T07:30:00Z').ruleId, null);
    assert.equal(at('2025-03-05T08:00:00Z').ruleId, 'office-hours');
    assert.equal(at('2025-03-05T15:59:59Z').ruleId, 'office-hours');
    assert.equal(at('2025-03-05T16:00:00Z').ruleId, null);
  });

  it('follows daylight saving time', () => {
    // In July Berlin is UTC+2: 07:30 UTC is 09:30 local, inside the window.
    assert.equal(at('2025-07-02T07:30:00Z').ruleId, 'office-hours');
  });

  it('checks the local weekday', () => {
    // Saturday 10:00 in Berlin.
    assert.equal(at('2025-03-08T09:00:00Z').ruleId, null);
    // Sunday 23:30 UTC is Monday 00:30 in Berlin: a Monday, but outside the hours.
    assert.equal(at('2025-03-09T23:30:00Z').ruleId, 'night');
  });

  it('handles windows that span midnight', () => {
    assert.equal(at('2025-03-05T23:00:00Z').ruleId, 'night');
    assert.equal(at('2025-03-06T05:59:00Z').ruleId, 'night');
    assert.equal(at('2025-03-06T06:00:00Z').ruleId, null);
  });

  it('matches when any of several windows holds', () => {
    const two = policyOf(`  - id: either
    match:
      time:
        - { days: [sat], timezone: UTC }
        - { days: [sun], timezone: UTC }
    decision: auto
`);
    assert.equal(decide(proposal('a.b'), ctx(), two, new Date('2025-03-08T12:00:00Z')).decision, 'auto');
    assert.equal(decide(proposal('a.b'), ctx(), two, new Date('2025-03-09T12:00:00Z')).decision, 'auto');
    assert.equal(decide(proposal('a.b'), ctx(), two, new Date('2025-03-10T12:00:00Z')).decision, 'deny');
  });
});

describe('decide: escalation details', () => {
  it('uses defaults: quorum 1, 30 minutes, warning 5 minutes before, requester excluded', () => {
    const policy = policyOf(`  - id: ask
    decision: escalate
    escalation: { approvers: { users: [U_BOB] } }
`);
    const d = decide(proposal('a.b'), ctx(), policy, NOW);
    assert.equal(d.approval?.quorum, 1);
    assert.equal(d.approval?.expiresInMs, 1_800_000);
    assert.equal(d.approval?.warnAt, '2025-03-05T10:55:00.000Z');
    assert.equal(d.approval?.requesterCanApprove, false);
    assert.match(d.reason, /needs 1 approval\(s\) from U_BOB within 30m, not from the requester/);
  });

  it('carries users, groups and the requester rule into the approval', () => {
    const policy = policyOf(`  - id: ask
    decision: escalate
    escalation:
      approvers: { users: [U_A, U_B], groups: [sre] }
      quorum: 2
      expires_in: 1h30m
      warn_before: 10m
      requester_can_approve: true
`);
    const d = decide(proposal('a.b'), ctx(), policy, NOW);
    assert.deepEqual(d.approval?.approvers, { users: ['U_A', 'U_B'], groups: ['sre'] });
    assert.equal(d.approval?.expiresAt, '2025-03-05T12:00:00.000Z');
    assert.equal(d.approval?.warnAt, '2025-03-05T11:50:00.000Z');
    assert.equal(d.approval?.requesterCanApprove, true);
  });
});

describe('decide: malformed input is denied, never thrown', () => {
  const policy = policyOf(`  - id: everything
    decision: auto
`);
  const cases: [string, unknown, unknown][] = [
    ['null proposal', null, ctx()],
    ['a string', 'do it', ctx()],
    ['missing params', { action: 'a.b', source: 'model' }, ctx()],
    ['array params', { action: 'a.b', params: [], source: 'model' }, ctx()],
    ['unknown source', { action: 'a.b', params: {}, source: 'telepathy' }, ctx()],
    ['bad action name', { action: 'A B', params: {}, source: 'model' }, ctx()],
    ['extra key', { action: 'a.b', params: {}, source: 'model', sudo: true }, ctx()],
    ['NaN param', { action: 'a.b', params: { n: Number.NaN }, source: 'model' }, ctx()],
    ['function param', { action: 'a.b', params: { f: () => 1 }, source: 'model' }, ctx()],
    [
      'prototype key',
      { action: 'a.b', params: JSON.parse('{"__proto__":{"admin":true}}'), source: 'model' },
      ctx(),
    ],
    ['no context', { action: 'a.b', params: {}, source: 'model' }, undefined],
    ['context without requester', { action: 'a.b', params: {}, source: 'model' }, { channel: 'C1' }],
  ];
  for (const [name, p, c] of cases) {
    it(`denies ${name} with a reason`, () => {
      const d = decide(p, c, policy, NOW);
      assert.equal(d.decision, 'deny');
      assert.equal(d.ruleId, null);
      assert.match(d.reason, /^malformed (proposal|context): ./);
    });
  }

  it('denies when the time is invalid', () => {
    const d = decide(proposal('a.b'), ctx(), policy, new Date('nope'));
    assert.equal(d.decision, 'deny');
    assert.match(d.reason, /no valid time/);
  });
});
