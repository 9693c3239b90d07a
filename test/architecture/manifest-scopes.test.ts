import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { methodScopes } from '../../src/slack/method-scopes.ts';

const root = path.resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'manifest.json'), 'utf8')) as {
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] } };
};
const granted = new Set(manifest.oauth_config.scopes.bot);

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    // The Slack double (local) answers these calls; the model gateway (llm) has a client of its own.
    if (e.isDirectory()) return e.name === 'local' || e.name === 'llm' ? [] : files(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Web API methods called by product code: through the client wrapper, and Bolt's client in handlers. */
function calledMethods(): Set<string> {
  const methods = new Set<string>();
  for (const file of [...files(path.join(root, 'src')), ...files(path.join(root, 'handlers'))]) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bcall\('([a-z]+(?:\.[a-zA-Z]+)+)'/g)) methods.add(m[1]!);
    for (const m of text.matchAll(/\bclient\.([a-z]+)\.([a-zA-Z]+(?:\.[a-zA-Z]+)?)\(/g))
      methods.add(`${m[1]}.${m[2]}`);
  }
  return methods;
}

describe('manifest scopes', () => {
  const called = calledMethods();

  it('finds the methods the code calls', () => {
    assert.ok(called.has('chat.postMessage') && called.has('views.publish'), [...called].join(', '));
  });

  it('knows the scopes of every Web API method the code calls', () => {
    assert.deepEqual(
      [...called].filter((m) => !(m in methodScopes)),
      [],
    );
  });

  it('grants, in manifest.json, a scope each called method accepts', () => {
    const missing = [...called].filter((m) => {
      const needs = methodScopes[m] ?? [];
      return needs.length > 0 && !needs.some((s) => granted.has(s));
    });
    assert.deepEqual(missing, []);
  });

  it('asks for no scope that no called method or subscribed event needs', () => {
    const needed = new Set([...called].flatMap((m) => methodScopes[m] ?? []));
    // Scopes for the slash command and the events Sluice subscribes to.
    needed.add('commands');
    needed.add('app_mentions:read');
    needed.add('im:history');
    assert.deepEqual(
      [...granted].filter((s) => !needed.has(s)),
      [],
    );
  });
});
