import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPolicy, parsePolicy } from '../../src/policy/parse-policy.ts';
import { ConfigFileError, formatProblem } from '../../src/policy/source-problems.ts';

/** The formatted problems of a policy text that must not load. */
function problems(text: string): string[] {
  const checked = checkPolicy(text, 'policy.yaml');
  assert.equal(checked.ok, false, 'expected the policy to be rejected');
  return checked.ok ? [] : checked.problems.map(formatProblem);
}

function onlyProblem(text: string): string {
  const all = problems(text);
  assert.equal(all.length, 1, `expected one problem, got:\n${all.join('\n')}`);
  return all[0]!;
}

const rule = (body: string) => `version: 1\nrules:\n  - id: r1\n${body}`;

describe('policy file: a valid file', () => {
  it('loads with its rules in order, its hash and no warnings', () => {
    const text = `version: 1
rules:
  - id: a
    match: { action: kb.add_note }
    decision: auto
  - id: b
    decision: deny
`;
    const policy = parsePolicy(text, 'p.yaml');
    assert.deepEqual(
      policy.rules.map((r) => [r.id, r.line, r.decision]),
      [
        ['a', 3, 'auto'],
        ['b', 6, 'deny'],
      ],
    );
    assert.match(policy.hash, /^[0-9a-f]{64}$/);
    assert.deepEqual(policy.warnings, []);
    assert.notEqual(parsePolicy(`${text}\n# a comment\n`, 'p.yaml').hash, policy.hash);
  });
});

describe('policy file: each kind of broken file gets a helpful error', () => {
  it('YAML syntax errors name the line', () => {
    const all = problems('version: 1\nrules:\n  - id: a\n   decision: auto\n  bad');
    assert.match(all[0]!, /^policy.yaml:4:1: YAML syntax: /);
    assert.match(onlyProblem('version: 1\nrules: [\n'), /^policy.yaml:\d+:\d+: YAML syntax/);
  });

  it('duplicate keys are a syntax error on the second one', () => {
    assert.match(
      onlyProblem('version: 1\nrules:\n  - id: a\n    decision: auto\n    decision: deny\n'),
      /^policy.yaml:5:\d+: YAML syntax: Map keys must be unique/,
    );
  });

  it('an empty file says what it needs', () => {
    assert.equal(
      onlyProblem(''),
      'policy.yaml:1:1: the file is empty; it needs version: 1 and a rules: list',
    );
    assert.match(onlyProblem('# only a comment\n'), /the file is empty/);
  });

  it('a file that is not a mapping says so', () => {
    assert.match(
      onlyProblem('- id: a\n  decision: auto\n'),
      /policy.yaml:1:1: the file must be a mapping with version: 1 and rules:/,
    );
  });

  it('a missing or wrong version is named', () => {
    assert.match(onlyProblem('rules: []\n'), /policy.yaml:1:1: "version" is missing \(version must be 1\)/);
    assert.match(onlyProblem('version: 2\nrules: []\n'), /^policy.yaml:1:1: version: version must be 1$/);
  });

  it('a missing rules list is named', () => {
    assert.match(onlyProblem('version: 1\n'), /"rules" is missing/);
  });

  it('a misspelt key names the rule, the line and the likely key', () => {
    const p = onlyProblem('version: 1\nrules:\n  - id: prod\n    decison: auto\n    decision: deny\n');
    assert.equal(p, 'policy.yaml:4:5: rule "prod": unknown key "decison" (did you mean "decision"?)');
  });

  it('a misspelt key deep inside a rule gets the full path', () => {
    const p = problems(rule('    match:\n      params:\n        n: { mni: 3 }\n    decision: auto\n'))[0];
    assert.equal(p, 'policy.yaml:6:14: rule "r1": unknown key "match.params.n.mni" (did you mean "min"?)');
  });

  it('an unknown top-level key is named', () => {
    assert.match(
      onlyProblem('version: 1\nrules: []\ndefaults: {}\n'),
      /policy.yaml:3:1: unknown key "defaults"/,
    );
  });

  it('a rule without a decision, or with an unknown one, is named by its id', () => {
    assert.match(
      onlyProblem(rule('    match: { action: a.b }\n')),
      /policy.yaml:3:5: rule "r1": "decision" is missing/,
    );
    assert.equal(
      onlyProblem(rule('    decision: allow\n')),
      'policy.yaml:4:5: rule "r1": decision: decision must be auto, deny or escalate',
    );
  });

  it('a rule without an id is named by its position', () => {
    assert.match(
      onlyProblem('version: 1\nrules:\n  - decision: auto\n'),
      /policy.yaml:3:5: rule #1: "id" is missing/,
    );
  });

  it('a bad rule id is explained', () => {
    assert.match(
      onlyProblem('version: 1\nrules:\n  - id: "has space"\n    decision: auto\n'),
      /rule ids are letters, digits/,
    );
  });

  it('duplicate rule ids name both lines', () => {
    const p = onlyProblem(
      'version: 1\nrules:\n  - id: same\n    decision: auto\n  - id: same\n    decision: deny\n',
    );
    assert.equal(
      p,
      'policy.yaml:5:5: rule "same": duplicate rule id; "same" is already used by the rule on line 3',
    );
  });

  it('escalate without an escalation block says what to add', () => {
    assert.equal(
      onlyProblem(rule('    decision: escalate\n')),
      'policy.yaml:4:5: rule "r1": decision escalate needs an escalation: block (approvers, quorum)',
    );
  });

  it('an escalation block on an auto rule is refused', () => {
    assert.match(
      onlyProblem(rule('    decision: auto\n    escalation: { approvers: { users: [U1] } }\n')),
      /policy.yaml:5:5: rule "r1": an escalation: block only applies to decision escalate, not auto/,
    );
  });

  it('a quorum larger than the listed approvers is refused', () => {
    assert.equal(
      onlyProblem(
        rule(
          '    decision: escalate\n    escalation:\n      approvers: { users: [U1, U2] }\n      quorum: 3\n',
        ),
      ),
      'policy.yaml:7:7: rule "r1": quorum 3 can never be reached: only 2 approver(s) listed and no groups',
    );
  });

  it('a quorum below 1 is refused', () => {
    assert.match(
      onlyProblem(
        rule('    decision: escalate\n    escalation:\n      approvers: { groups: [g] }\n      quorum: 0\n'),
      ),
      /policy.yaml:7:7: rule "r1": escalation.quorum: Too small/,
    );
  });

  it('approvers with nobody in them are refused', () => {
    assert.match(
      onlyProblem(rule('    decision: escalate\n    escalation:\n      approvers: { users: [] }\n')),
      /rule "r1": escalation.approvers: list at least one user or group/,
    );
  });

  it('bad durations and a warning after expiry are refused', () => {
    assert.match(
      onlyProblem(
        rule(
          '    decision: escalate\n    escalation:\n      approvers: { groups: [g] }\n      expires_in: soon\n',
        ),
      ),
      /policy.yaml:7:7: rule "r1": escalation.expires_in: must be a duration such as 30m/,
    );
    assert.match(
      onlyProblem(
        rule(
          '    decision: escalate\n    escalation:\n      approvers: { groups: [g] }\n      expires_in: 10m\n      warn_before: 10m\n',
        ),
      ),
      /policy.yaml:8:7: rule "r1": warn_before \(10m\) must be shorter than expires_in \(10m\)/,
    );
  });

  it('a pattern that is not a regular expression is refused with the engine error', () => {
    assert.match(
      onlyProblem(
        rule('    match:\n      params:\n        name: { pattern: "([a-z" }\n    decision: auto\n'),
      ),
      /policy.yaml:6:17: rule "r1": pattern "\(\[a-z" is not a valid regular expression: /,
    );
  });

  it('min above max is refused', () => {
    assert.match(
      onlyProblem(rule('    match:\n      params:\n        n: { min: 5, max: 1 }\n    decision: auto\n')),
      /rule "r1": min 5 is greater than max 1; no value can match/,
    );
  });

  it('an empty condition is refused', () => {
    assert.match(
      onlyProblem(rule('    match:\n      params:\n        n: {}\n    decision: auto\n')),
      /rule "r1": match.params.n: a condition needs equals, one_of, min, max, pattern or exists/,
    );
  });

  it('a parameter path that is not dotted names is refused', () => {
    assert.match(
      onlyProblem(rule('    match:\n      params:\n        "a b": 1\n    decision: auto\n')),
      /parameter paths are names joined by dots/,
    );
  });

  it('an unknown time zone, malformed hours and an unknown weekday are refused', () => {
    assert.match(
      onlyProblem(rule('    match:\n      time: { timezone: Mars/Olympus }\n    decision: auto\n')),
      /policy.yaml:5:15: rule "r1": unknown time zone "Mars\/Olympus"; use an IANA name/,
    );
    assert.match(
      onlyProblem(rule('    match:\n      time: { hours: "9-17" }\n    decision: auto\n')),
      /rule "r1": hours "9-17" must look like 09:00-17:30/,
    );
    assert.match(
      onlyProblem(rule('    match:\n      time: { days: [funday] }\n    decision: auto\n')),
      /rule "r1": match.time.0.days.0: must be one of mon, tue, wed, thu, fri, sat, sun/,
    );
  });

  it('an unknown source or risk lists the allowed values', () => {
    assert.match(
      onlyProblem(rule('    match: { source: robot }\n    decision: auto\n')),
      /match.source.0: .*explicit.*model.*fallback_model/,
    );
    assert.match(
      onlyProblem(rule('    match: { risk: extreme }\n    decision: auto\n')),
      /match.risk.0: .*low.*medium.*high/,
    );
  });

  it('a requester condition with nobody in it is refused', () => {
    assert.match(
      onlyProblem(rule('    match: { requester: {} }\n    decision: auto\n')),
      /list at least one user or group/,
    );
  });

  it('reports every problem of a file at once, each with its rule', () => {
    const all = problems(`version: 1
rules:
  - id: a
    decision: maybe
  - id: b
    decison: auto
`);
    assert.equal(all.length, 3, all.join('\n'));
    assert.ok(
      all.some((p) =>
        p.startsWith('policy.yaml:4:5: rule "a": decision: decision must be auto, deny or escalate'),
      ),
    );
    assert.ok(all.some((p) => p.startsWith('policy.yaml:5:5: rule "b": "decision" is missing')));
    assert.ok(all.some((p) => p.startsWith('policy.yaml:6:5: rule "b": unknown key "decison"')));
  });

  it('parsePolicy throws a ConfigFileError carrying the problems', () => {
    assert.throws(
      () => parsePolicy('version: 1\nrules:\n  - id: a\n    decision: nope\n', 'x.yaml'),
      (error: unknown) =>
        error instanceof ConfigFileError &&
        error.problems.length === 1 &&
        /Policy file x.yaml is invalid:\n {2}x.yaml:4:5: rule "a"/.test(error.message),
    );
  });
});

describe('policy file: warnings', () => {
  it('warns when a catch-all rule hides the rules after it', () => {
    const checked = checkPolicy(
      'version: 1\nrules:\n  - id: all\n    decision: deny\n  - id: later\n    decision: auto\n',
      'p.yaml',
    );
    assert.ok(checked.ok);
    assert.deepEqual(checked.warnings.map(formatProblem), [
      'p.yaml:5:1: rule "all": matches every proposal, so the rules after it ("later") can never match',
    ]);
  });

  it('warns that a policy without rules denies everything', () => {
    const checked = checkPolicy('version: 1\nrules: []\n', 'p.yaml');
    assert.ok(checked.ok);
    assert.match(formatProblem(checked.warnings[0]!), /no rules: every proposal will be denied/);
  });
});
