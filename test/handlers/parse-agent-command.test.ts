import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAgentCommand } from '../../src/agent/parse-agent-command.ts';

const ctx = { channelId: 'C0OPS' };

describe('parseAgentCommand', () => {
  it('routes each subcommand by its first word', () => {
    assert.deepEqual(parseAgentCommand('ask how do I rotate the staging password?', ctx), {
      kind: 'ask',
      question: 'how do I rotate the staging password?',
    });
    assert.deepEqual(parseAgentCommand('do http.request endpoint=restart-service', ctx), {
      kind: 'do',
      text: 'http.request endpoint=restart-service',
    });
    assert.deepEqual(parseAgentCommand('STATUS', ctx), { kind: 'status' });
    assert.deepEqual(parseAgentCommand('help', ctx), { kind: 'help' });
    assert.deepEqual(parseAgentCommand('digest now', ctx), { kind: 'digest', now: true, toChannel: false });
    assert.deepEqual(parseAgentCommand('digest now channel', ctx), {
      kind: 'digest',
      now: true,
      toChannel: true,
    });
  });

  it('parses pause scopes and quoted reasons', () => {
    assert.deepEqual(parseAgentCommand('pause "incident in progress"', ctx), {
      kind: 'pause',
      scope: { kind: 'global' },
      reason: 'incident in progress',
    });
    assert.deepEqual(parseAgentCommand('pause channel noisy deploy', ctx), {
      kind: 'pause',
      scope: { kind: 'channel', channelId: 'C0OPS' },
      reason: 'noisy deploy',
    });
    assert.deepEqual(parseAgentCommand('pause <#C0DEPLOY|deploys> freeze', ctx), {
      kind: 'pause',
      scope: { kind: 'channel', channelId: 'C0DEPLOY' },
      reason: 'freeze',
    });
    assert.deepEqual(parseAgentCommand('pause action:http.request', ctx), {
      kind: 'pause',
      scope: { kind: 'action', action: 'http.request' },
      reason: 'no reason given',
    });
    assert.deepEqual(parseAgentCommand('resume action:http.request', ctx), {
      kind: 'resume',
      scope: { kind: 'action', action: 'http.request' },
    });
    assert.deepEqual(parseAgentCommand('resume', ctx), { kind: 'resume', scope: { kind: 'global' } });
  });

  it('treats other text as a plain-words request and empty text as help', () => {
    assert.deepEqual(parseAgentCommand('restart the payments worker in staging', ctx), {
      kind: 'request',
      text: 'restart the payments worker in staging',
    });
    assert.deepEqual(parseAgentCommand('   ', ctx), { kind: 'help' });
    assert.equal(parseAgentCommand('ask', ctx).kind, 'help');
    assert.equal(parseAgentCommand('do', ctx).kind, 'help');
  });

  it('refuses oversized text with a note instead of passing it on', () => {
    const command = parseAgentCommand(`ask ${'x'.repeat(5000)}`, ctx);
    assert.equal(command.kind, 'help');
    assert.match((command as { note: string }).note, /under 4000/);
  });
});
