import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExplicitCommand } from '../../src/policy/parse-explicit-command.ts';

function ok(text: string) {
  const result = parseExplicitCommand(text);
  assert.ok(result.ok, `expected ${JSON.stringify(text)} to parse, got: ${result.ok ? '' : result.reason}`);
  return result.proposal;
}

function fails(text: string, pattern: RegExp) {
  const result = parseExplicitCommand(text);
  assert.equal(result.ok, false, `expected ${JSON.stringify(text)} to be rejected`);
  if (!result.ok) assert.match(result.reason, pattern);
}

describe('parseExplicitCommand', () => {
  it('parses an action and key=value pairs into an explicit proposal', () => {
    assert.deepEqual(ok('do kb.add_note title=Runbook text=hello'), {
      action: 'kb.add_note',
      params: { title: 'Runbook', text: 'hello' },
      source: 'explicit',
    });
  });

  it('accepts the text with or without the leading "do"', () => {
    assert.deepEqual(ok('kb.add_note title=x'), ok('do kb.add_note title=x'));
  });

  it('keeps quoted values as text, with spaces, escapes and curly quotes', () => {
    const p = ok(
      `do kb.add_note title="two words" text='it is' note="say \\"hi\\"" curly=\u201cnice one\u201d n="42"`,
    );
    assert.equal(p.params.title, 'two words');
    assert.equal(p.params.text, 'it is');
    assert.equal(p.params.note, 'say "hi"');
    assert.equal(p.params.curly, 'nice one');
    assert.equal(p.params.n, '42');
  });

  it('types bare numbers and booleans but leaves look-alikes as text', () => {
    const p = ok('do x.y a=3 b=-2.5 c=true d=false e=007 f=1e3 g=True h=0 i=-0 j=99999999999999999999');
    assert.deepEqual(p.params, {
      a: 3,
      b: -2.5,
      c: true,
      d: false,
      e: '007',
      f: '1e3',
      g: 'True',
      h: 0,
      i: 0,
      j: '99999999999999999999',
    });
    assert.ok(Object.is(p.params.i, 0));
  });

  it('nests dotted keys, as http.request expects', () => {
    const p = ok(
      'do http.request endpoint=restart-service params.service=payments params.environment=staging',
    );
    assert.deepEqual(p.params, {
      endpoint: 'restart-service',
      params: { service: 'payments', environment: 'staging' },
    });
  });

  it('collects repeated keys into a list in order', () => {
    assert.deepEqual(ok('do x.y tag=a tag=b tag=3').params, { tag: ['a', 'b', 3] });
  });

  it("undoes Slack's markup for channels, users, groups, links and entities", () => {
    const p = ok(
      'do slack.post_message channel=<#C0123ABCD|ops> who=<@U042|bob> team=<!subteam^S9|@leads> url=<https://x.io/a?b=1&amp;c=2|x.io> text="a &lt;b&gt; &amp;amp;"',
    );
    assert.deepEqual(p.params, {
      channel: 'C0123ABCD',
      who: 'U042',
      team: 'S9',
      url: 'https://x.io/a?b=1&c=2',
      text: 'a <b> &amp;',
    });
  });

  it('allows an explicitly empty quoted value', () => {
    assert.equal(ok('do x.y note=""').params.note, '');
  });

  it('rejects an empty command, naming the expected form', () => {
    fails('', /no action given; write: do <action> key=value/);
    fails('   do  ', /no action given/);
  });

  it('rejects parameters given before the action', () => {
    fails('do title=x kb.add_note', /looks like a parameter; name the action first/);
  });

  it('rejects an action name that is not dotted lower-case words', () => {
    fails('do Kb.Add', /"Kb.Add" is not an action name/);
    fails('do "kb.add_note" a=1', /not an action name/);
    fails('do kb..note', /not an action name/);
  });

  it('rejects a token without "=" and suggests quoting', () => {
    fails('do kb.add_note title=two words', /"words" is not key=value; quote values that contain spaces/);
  });

  it('rejects an unclosed quote and says where it opened', () => {
    fails('do kb.add_note title="never closed', /at character 22: the quote opened here is never closed/);
  });

  it('rejects text glued to a closing quote', () => {
    fails('do kb.add_note title="a"b', /text right after a closing quote/);
  });

  it('rejects a quote in the middle of a value', () => {
    fails('do kb.add_note title=ab"c"', /unexpected quote/);
  });

  it('rejects a key with no value, an empty key and a bad key', () => {
    fails('do kb.add_note title=', /"title=" has no value; write title="" for empty text/);
    fails('do kb.add_note =x', /has no parameter name/);
    fails('do kb.add_note 9lives=x', /"9lives" is not a parameter name/);
    fails('do kb.add_note a-b=x', /"a-b" is not a parameter name/);
  });

  it('refuses keys that would reach an object prototype', () => {
    fails('do x.y __proto__=1', /not a parameter name/);
    fails('do x.y a.constructor=1', /not a parameter name/);
  });

  it('rejects a key that is both a value and a parent of nested keys', () => {
    fails('do x.y a=1 a.b=2', /"a.b" nests under "a", which already has a value/);
    fails('do x.y a.b=2 a=1', /"a" is given a value but also has nested parameters/);
  });

  it('bounds nesting depth, parameter count and length', () => {
    fails('do x.y a.b.c.d.e=1', /nests deeper than 4 levels/);
    fails(
      `do x.y ${Array.from({ length: 51 }, (_, i) => `k${i}=1`).join(' ')}`,
      /too many parameters \(51\)/,
    );
    fails(`do x.y a="${'x'.repeat(4000)}"`, /longer than 4000 characters/);
  });

  it('is deterministic: the same text always gives the same proposal', () => {
    const text = 'do http.request endpoint=restart-service params.service="payments worker" n=2 tag=a tag=b';
    assert.deepEqual(ok(text), ok(text));
  });
});
