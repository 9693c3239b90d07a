import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/app');
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error.problems;
  }
  assert.fail('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('runs on embedded defaults with an empty environment', () => {
    const config = loadConfig({}, '/srv/app');
    assert.equal(config.database.url, undefined);
    assert.equal(config.database.dataDir, path.resolve('/srv/app', '.sluice'));
    assert.equal(config.http.port, 3000);
    assert.equal(config.http.host, '127.0.0.1');
    assert.equal(config.slack.mode, 'local');
    assert.equal(config.logLevel, 'info');
  });

  it('lists every bad variable at once, naming each and what to do', () => {
    const problems = problemsOf({ PORT: 'abc', DATABASE_URL: 'nonsense', LOG_LEVEL: 'loud' });
    assert.equal(problems.length, 3);
    assert.match(problems.find((p) => p.startsWith('PORT'))!, /whole number .*got "abc".*unset PORT/);
    assert.match(
      problems.find((p) => p.startsWith('DATABASE_URL'))!,
      /postgres:\/\/.*unset it to use the embedded/,
    );
    assert.match(problems.find((p) => p.startsWith('LOG_LEVEL'))!, /one of fatal, error/);
  });

  it('rejects ports out of range and fractional ports', () => {
    assert.equal(problemsOf({ PORT: '70000' }).length, 1);
    assert.equal(problemsOf({ PORT: '30.5' }).length, 1);
    assert.equal(loadConfig({ PORT: '0' }).http.port, 0);
  });

  it('checks Slack token prefixes and says where to find the right token', () => {
    const problems = problemsOf({ SLACK_BOT_TOKEN: 'xapp-1-nope', SLACK_APP_TOKEN: 'xoxb-nope' });
    assert.match(problems.find((p) => p.startsWith('SLACK_BOT_TOKEN'))!, /must start with "xoxb-"/);
    assert.match(problems.find((p) => p.startsWith('SLACK_APP_TOKEN'))!, /must start with "xapp-"/);
  });

  it('derives the Slack mode from which credentials are present', () => {
    assert.equal(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).slack.mode, 'http');
    assert.equal(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }).slack.mode, 'socket');
  });

  it('requires a signing secret in HTTP mode and a bot token with any other Slack credential', () => {
    assert.match(
      problemsOf({ SLACK_BOT_TOKEN: 'xoxb-1' })[0]!,
      /SLACK_SIGNING_SECRET: required in HTTP mode/,
    );
    assert.match(problemsOf({ SLACK_SIGNING_SECRET: 's' })[0]!, /SLACK_BOT_TOKEN: required/);
  });

  it('treats empty and blank variables as unset', () => {
    const config = loadConfig({ DATABASE_URL: '', PORT: '  ', SLACK_BOT_TOKEN: '' });
    assert.equal(config.database.url, undefined);
    assert.equal(config.http.port, 3000);
    assert.equal(config.slack.mode, 'local');
  });

  it('resolves file paths against the working directory', () => {
    const config = loadConfig({ SLUICE_DATA_DIR: 'data', SLUICE_POLICY_FILE: 'policy.yaml' }, '/srv/app');
    assert.equal(config.database.dataDir, '/srv/app/data');
    assert.equal(config.policyFile, '/srv/app/policy.yaml');
  });

  it('turns the Slack assistant surface on by default, off with SLUICE_SLACK_ASSISTANT=off', () => {
    assert.equal(loadConfig({}).slack.assistant, true);
    assert.equal(loadConfig({ SLUICE_SLACK_ASSISTANT: 'off' }).slack.assistant, false);
    assert.equal(loadConfig({ SLUICE_SLACK_ASSISTANT: ' ON ' }).slack.assistant, true);
    assert.deepEqual(problemsOf({ SLUICE_SLACK_ASSISTANT: 'no' }), [
      'SLUICE_SLACK_ASSISTANT: must be "on" or "off" (got "no"); unset SLUICE_SLACK_ASSISTANT to use on',
    ]);
  });

  it('acknowledges Slack from the inbox journal by default, after the database with SLUICE_INBOX_JOURNAL=off', () => {
    assert.equal(loadConfig({}).durable.inboxJournal, true);
    assert.equal(loadConfig({ SLUICE_INBOX_JOURNAL: 'off' }).durable.inboxJournal, false);
    assert.deepEqual(problemsOf({ SLUICE_INBOX_JOURNAL: 'false' }), [
      'SLUICE_INBOX_JOURNAL: must be "on" or "off" (got "false"); unset SLUICE_INBOX_JOURNAL to use on',
    ]);
  });

  it('accepts http(s) URLs only for API base URLs', () => {
    assert.match(problemsOf({ SLACK_API_URL: 'ftp://x' })[0]!, /SLACK_API_URL: must be an http\(s\) URL/);
    assert.equal(
      loadConfig({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:9999' }).anthropic.baseUrl,
      'http://127.0.0.1:9999',
    );
  });
});
