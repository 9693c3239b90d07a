import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { childLogger, createLogger, redactSecrets } from '../src/logger.ts';

// Fake credentials shaped like the real ones (never real).
const botToken = 'xoxb-1111111111-2222222222-abcdefABCDEF';
const appToken = 'xapp-1-A0000000-3333333333-abcdef0123456789';
const apiKey = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level: 'trace', destination }), lines };
}

function assertClean(text: string) {
  for (const secret of ['xoxb-', 'xapp-', 'sk-ant-', 'hunter2', 'signing-secret-value']) {
    assert.ok(!text.includes(secret), `log output contains ${secret}: ${text}`);
  }
}

describe('logger redaction', () => {
  it('censors secret fields by name', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        token: 'hunter2',
        signingSecret: 'signing-secret-value',
        slack: { botToken: 'hunter2', appToken: 'hunter2' },
        headers: { authorization: 'hunter2' },
        req: { headers: { authorization: 'hunter2', 'x-slack-signature': 'hunter2' } },
      },
      'configured',
    );
    assertClean(lines.join(''));
    assert.match(lines.join(''), /\[redacted\]/);
  });

  it('scrubs token-shaped strings from messages, nested values and errors', () => {
    const { logger, lines } = capture();
    logger.warn(`slack said no to ${botToken}`);
    logger.info({ deep: { list: [appToken, { note: `key ${apiKey}` }] } }, 'nested');
    logger.error({ err: new Error(`request with Bearer ${apiKey} failed`) }, 'boom');
    logger.info({ url: 'postgres://sluice:hunter2@db:5432/sluice' }, 'database');
    const text = lines.join('');
    assertClean(text);
    assert.match(text, /postgres:\/\/sluice:\[redacted\]@db:5432/);
  });

  it('child loggers carry the correlation id and stay redacted', () => {
    const { logger, lines } = capture();
    childLogger(logger, { correlationId: 'corr-1', runId: 'run-9' }).info({ apiKey }, 'step');
    const line = JSON.parse(lines[0]!);
    assert.equal(line.correlationId, 'corr-1');
    assert.equal(line.runId, 'run-9');
    assertClean(lines.join(''));
  });

  it('redactSecrets leaves ordinary text alone', () => {
    assert.equal(
      redactSecrets('restart the payments worker in staging'),
      'restart the payments worker in staging',
    );
    assert.equal(redactSecrets(`token ${botToken} end`), 'token [redacted] end');
  });
});
