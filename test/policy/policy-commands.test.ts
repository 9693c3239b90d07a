import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Command, CommanderError } from 'commander';
import { decisionAuditEntry } from '../../src/actions/decision-audit-entry.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import type { CliContext } from '../../src/cli/context.ts';
import { registerPolicyCommands } from '../../src/cli/policy-commands.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openServerDatabase } from '../../src/db/pg-database.ts';
import { openEmbeddedDatabase } from '../../src/db/pglite-database.ts';
import { isSluiceError, UsageError } from '../../src/errors.ts';
import { sha256Hex } from '../../src/policy/canonical-json.ts';
import { decide } from '../../src/policy/decide.ts';
import { parsePolicy } from '../../src/policy/parse-policy.ts';
import type { Proposal } from '../../src/policy/proposal.ts';
import { createEmptyServerDatabase } from '../support/test-database.ts';

const fixtures = path.resolve(import.meta.dirname, 'fixtures');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-policy-cli-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Runs `sluice <argv>` with only the policy commands registered, mapping errors as src/cli.ts does. */
async function sluice(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const context: CliContext = {
    env: { LOG_LEVEL: 'silent', ...env },
    cwd: process.cwd(),
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    isTTY: false,
  };
  const program = new Command('sluice')
    .exitOverride()
    .configureOutput({ writeOut: context.stdout, writeErr: context.stderr });
  registerPolicyCommands(program, context);
  const route = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: context.stdout, writeErr: context.stderr });
    c.commands.forEach(route);
  };
  route(program);
  let code = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) code = error.exitCode === 0 ? 0 : 2;
    else if (error instanceof UsageError) {
      context.stderr(`${error.message}\n`);
      code = 2;
    } else if (isSluiceError(error) && error.details?.quiet) code = 1;
    else {
      context.stderr(`error: ${(error as Error).message}\n`);
      code = 1;
    }
  }
  return { code, out: out.join(''), err: err.join('') };
}

function writePolicy(name: string, text: string): string {
  const file = path.join(scratch, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('sluice policy check', () => {
  it('exits 0 for the demo policy and names its rule count and hash', async () => {
    const r = await sluice(['policy', 'check', 'examples/policy.yaml']);
    assert.equal(r.code, 0, r.err);
    const hash = sha256Hex(fs.readFileSync('examples/policy.yaml', 'utf8')).slice(0, 12);
    assert.equal(r.out, `examples/policy.yaml: ok, 7 rule(s), sha256 ${hash}\n`);
  });

  it('prints warnings but still exits 0', async () => {
    const file = writePolicy(
      'shadow.yaml',
      'version: 1\nrules:\n  - id: all\n    decision: deny\n  - id: later\n    decision: auto\n',
    );
    const r = await sluice(['policy', 'check', file]);
    assert.equal(r.code, 0);
    assert.match(r.out, /warning: .*shadow.yaml:5:1: rule "all": matches every proposal/);
  });

  const broken: [string, string, RegExp][] = [
    ['a YAML syntax error', 'version: 1\nrules: [\n', /broken.yaml:\d+:\d+: YAML syntax: /],
    ['an empty file', '', /broken.yaml:1:1: the file is empty/],
    ['a wrong version', 'version: 3\nrules: []\n', /broken.yaml:1:1: version: version must be 1/],
    [
      'a misspelt key',
      'version: 1\nrules:\n  - id: r\n    decison: auto\n',
      /broken.yaml:4:5: rule "r": unknown key "decison" \(did you mean "decision"\?\)/,
    ],
    [
      'an unknown decision',
      'version: 1\nrules:\n  - id: r\n    decision: yes-please\n',
      /broken.yaml:4:5: rule "r": decision: decision must be auto, deny or escalate/,
    ],
    [
      'escalate without approvers',
      'version: 1\nrules:\n  - id: r\n    decision: escalate\n',
      /broken.yaml:4:5: rule "r": decision escalate needs an escalation: block/,
    ],
    [
      'an unreachable quorum',
      'version: 1\nrules:\n  - id: r\n    decision: escalate\n    escalation:\n      approvers: { users: [U1] }\n      quorum: 2\n',
      /broken.yaml:7:7: rule "r": quorum 2 can never be reached/,
    ],
    [
      'a broken pattern',
      'version: 1\nrules:\n  - id: r\n    match: { params: { a: { pattern: "(" } } }\n    decision: auto\n',
      /broken.yaml:4:29: rule "r": pattern "\(" is not a valid regular expression/,
    ],
    [
      'an unknown time zone',
      'version: 1\nrules:\n  - id: r\n    match: { time: { timezone: Nowhere/City } }\n    decision: auto\n',
      /broken.yaml:4:22: rule "r": unknown time zone "Nowhere\/City"/,
    ],
    [
      'duplicate rule ids',
      'version: 1\nrules:\n  - id: r\n    decision: auto\n  - id: r\n    decision: deny\n',
      /broken.yaml:5:5: rule "r": duplicate rule id; "r" is already used by the rule on line 3/,
    ],
    [
      'a bad duration',
      'version: 1\nrules:\n  - id: r\n    decision: escalate\n    escalation: { approvers: { groups: [g] }, expires_in: forever }\n',
      /broken.yaml:5:47: rule "r": escalation.expires_in: must be a duration/,
    ],
  ];
  for (const [kind, text, expected] of broken) {
    it(`exits 1 with a line-numbered error for ${kind}`, async () => {
      const file = writePolicy('broken.yaml', text);
      const r = await sluice(['policy', 'check', file]);
      assert.equal(r.code, 1);
      assert.equal(r.out, '');
      assert.match(r.err, expected);
      assert.match(r.err, /problem\(s\); the policy was not loaded\n$/);
    });
  }

  it('exits 1 when the file cannot be read', async () => {
    const r = await sluice(['policy', 'check', path.join(scratch, 'missing.yaml')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /cannot read policy file .*missing.yaml/);
  });
});

describe('sluice policy explain', () => {
  it('prints the decision, the rule, the reason, the approval and each rule tried', async () => {
    const proposal = JSON.stringify({
      action: 'http.request',
      params: {
        endpoint: 'restart-service',
        params: { service: 'payments-worker', environment: 'production' },
      },
    });
    const r = await sluice([
      'policy',
      'explain',
      'examples/policy.yaml',
      '--proposal',
      proposal,
      '--at',
      '2025-03-05T10:00:00Z',
    ]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    assert.deepEqual(lines.slice(0, 4), [
      'decision: escalate',
      'rule: production-two-ops-leads',
      'reason: Production changes need two ops leads to approve.',
      'approval: 2 of @ops-leads within 30m; requester may not approve',
    ]);
    assert.ok(lines.includes('rules tried:'));
    assert.ok(
      lines.some((l) =>
        /^ {2}skip {2}staging-auto \(line \d+\): params.params.environment is "production", not "staging"$/.test(
          l,
        ),
      ),
    );
    assert.ok(lines.some((l) => /^ {2}MATCH production-two-ops-leads \(line \d+\)$/.test(l)));
  });

  it('accepts an explicit command instead of JSON', async () => {
    const r = await sluice([
      'policy',
      'explain',
      'examples/policy.yaml',
      '--proposal',
      'do http.request endpoint=restart-service params.service=api params.environment=staging',
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^decision: auto\nrule: staging-auto\n/);
  });

  it('shows a deny with no rule when nothing matches', async () => {
    const r = await sluice([
      'policy',
      'explain',
      'examples/policy.yaml',
      '--proposal',
      '{"action":"acme.launch","params":{}}',
    ]);
    assert.equal(r.code, 0);
    assert.match(r.out, /^decision: deny\nrule: \(none\)\nreason: no rule matched acme.launch/);
    assert.match(r.out, /\(no rule matched\)\n$/);
  });

  it('exits 2 for a proposal that is neither JSON nor a command', async () => {
    const r = await sluice(['policy', 'explain', 'examples/policy.yaml', '--proposal', 'do ???']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--proposal: "\?\?\?" is not an action name/);
    const bad = await sluice(['policy', 'explain', 'examples/policy.yaml', '--proposal', '{nope']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--proposal must be a JSON object/);
  });
});

describe('sluice policy backtest', () => {
  const expectedReport = () => {
    const hash = sha256Hex(fs.readFileSync('examples/policy.yaml', 'utf8')).slice(0, 12);
    return [
      `Backtest of examples/policy.yaml (sha256 ${hash}) over 7 recorded decision(s)`,
      '  unchanged: 2',
      '  auto -> escalate: 3',
      '  escalate -> deny: 1',
      '  same outcome, another rule: 1',
      '',
      'Changes:',
      '  #3 2025-03-03T10:02:00.000Z run 22222222-2222-4222-8222-222222222222: http.request endpoint="restart-service" params.environment="production" params.service="payments-worker"',
      '      auto (restarts-auto) -> escalate (production-two-ops-leads): Production changes need two ops leads to approve.',
      '  #4 2025-03-04T16:40:00.000Z run 33333333-3333-4333-8333-333333333333: http.request endpoint="restart-service" params.environment="production" params.service="search-api"',
      '      auto (restarts-auto) -> escalate (production-two-ops-leads): Production changes need two ops leads to approve.',
      '  #5 2025-03-05T08:00:00.000Z run 44444444-4444-4444-8444-444444444444: http.request endpoint="delete-cache-entries" params.environment="staging" params.prefix="sess"',
      '      escalate (deletes-need-a-lead) -> deny (deny-delete-endpoints): Sluice never deletes; do it by hand, with a second person watching.',
      '  #6 2025-03-05T11:30:00.000Z run 55555555-5555-4555-8555-555555555555: kb.add_note text="Use the vault UI." title="Rotate staging DB password"',
      '      auto (everything-else) -> auto (notes-auto): Anyone may add a note to the knowledge base.',
      '  #7 2025-03-06T12:00:00.000Z run 66666666-6666-4666-8666-666666666666: slack.post_message channel="C_OPS" text="Deploy finished"',
      "      auto (everything-else) -> escalate (fallback-model-posts-escalate): The cheaper fallback model's posts are checked by a lead first.",
      '',
    ].join('\n');
  };

  it('prints the expected changes for the fixture audit log', async () => {
    const r = await sluice([
      'policy',
      'backtest',
      'examples/policy.yaml',
      '--audit-file',
      path.join(fixtures, 'audit-log.jsonl'),
    ]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, expectedReport());
  });

  it('reports no changes when replaying decisions through the policy that made them', async () => {
    const file = writePolicy('same.yaml', fs.readFileSync('examples/policy.yaml', 'utf8'));
    const policy = parsePolicy(fs.readFileSync(file, 'utf8'), file);
    const lines = fs
      .readFileSync(path.join(fixtures, 'audit-log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.kind === 'decision')
      .map((e) => {
        const d = decide(e.detail.proposal, e.detail.context, policy, new Date(e.at));
        return JSON.stringify({ ...e, decision: d.decision, policyRule: d.ruleId });
      });
    const audit = path.join(scratch, 'same.jsonl');
    fs.writeFileSync(audit, `${lines.join('\n')}\n`);
    const r = await sluice(['policy', 'backtest', file, '--audit-file', audit, '--fail-on-change']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /over 7 recorded decision\(s\)\n {2}unchanged: 7\n\nNo changes/);
  });

  it('exits 1 with --fail-on-change when outcomes would change', async () => {
    const r = await sluice([
      'policy',
      'backtest',
      'examples/policy.yaml',
      '--audit-file',
      path.join(fixtures, 'audit-log.jsonl'),
      '--fail-on-change',
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.out, expectedReport());
  });

  it('filters by --since and --limit', async () => {
    const audit = path.join(fixtures, 'audit-log.jsonl');
    const since = await sluice([
      'policy',
      'backtest',
      'examples/policy.yaml',
      '--audit-file',
      audit,
      '--since',
      '2025-03-05T00:00:00Z',
    ]);
    assert.match(since.out, /over 4 recorded decision\(s\)/);
    const limited = await sluice([
      'policy',
      'backtest',
      'examples/policy.yaml',
      '--audit-file',
      audit,
      '--limit',
      '2',
    ]);
    assert.match(limited.out, /over 2 recorded decision\(s\)/);
  });

  it('reads the decisions recorded in the audit log table of the configured database', async () => {
    // Every fixture line in order, so sequence numbers match the file's.
    const records = fs
      .readFileSync(path.join(fixtures, 'audit-log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const seed = async (db: Parameters<typeof createAuditLog>[0]) => {
      await migrate(db);
      for (const e of records) {
        const at = new Date(e.at);
        const log = createAuditLog(db, { now: () => at });
        if (e.kind !== 'decision') {
          await log.record({ actor: e.actor, runId: e.runId, kind: e.kind, detail: e.detail });
          continue;
        }
        const entry = decisionAuditEntry({
          runId: e.runId,
          proposal: e.detail.proposal as Proposal,
          context: e.detail.context,
          decision: {
            decision: e.decision,
            ruleId: e.policyRule,
            reason: 'recorded',
            policyHash: e.policyVersion,
            payloadHash: '',
          },
        });
        await log.record(entry);
      }
    };
    const envs: Record<string, string>[] = [];
    const dataDir = path.join(scratch, 'embedded');
    const embedded = await openEmbeddedDatabase({ dataDir });
    try {
      await seed(embedded);
    } finally {
      await embedded.close();
    }
    envs.push({ SLUICE_DATA_DIR: dataDir });
    const serverUrl = process.env.TEST_DATABASE_URL;
    let server: { url: string; drop(): Promise<void> } | undefined;
    if (serverUrl) {
      server = await createEmptyServerDatabase(serverUrl);
      const db = await openServerDatabase({ url: server.url, max: 2 });
      try {
        await seed(db);
      } finally {
        await db.close();
      }
      envs.push({ DATABASE_URL: server.url });
    }
    try {
      for (const env of envs) {
        const r = await sluice(['policy', 'backtest', 'examples/policy.yaml'], env);
        assert.equal(r.code, 0, r.err);
        assert.equal(r.out, expectedReport(), `from ${Object.keys(env)[0]}`);
      }
    } finally {
      await server?.drop();
    }
  });
});
