import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';

describe('digest configuration', () => {
  it('reads schedules and baselines, filling in the defaults and the schedule key', () => {
    const config = loadConfig({
      SLUICE_DIGESTS:
        '[{"cron":"0 9 * * 1-5","tz":"Europe/London","channel":"C0OPS","missed":"catch_up_once"},{"cron":"0 17 * * *","channel":"C0TEAM"}]',
      SLUICE_DIGEST_BASELINES: '{"http.request":15,"kb.add_note":5}',
    });
    assert.deepEqual(config.digest, {
      schedules: [
        {
          cron: '0 9 * * 1-5',
          tz: 'Europe/London',
          channel: 'C0OPS',
          missed: 'catch_up_once',
          key: 'C0OPS:0 9 * * 1-5:Europe/London',
        },
        { cron: '0 17 * * *', tz: 'UTC', channel: 'C0TEAM', missed: 'skip', key: 'C0TEAM:0 17 * * *:UTC' },
      ],
      baselines: { 'http.request': 15, 'kb.add_note': 5 },
      graceMinutes: 15,
    });
  });

  it('has no schedules and no baselines when unset', () => {
    const config = loadConfig({});
    assert.deepEqual(config.digest.schedules, []);
    assert.deepEqual(config.digest.baselines, {});
  });

  for (const [name, env, pattern] of [
    ['bad JSON', { SLUICE_DIGESTS: '[{cron:' }, /SLUICE_DIGESTS: must be JSON/],
    [
      'a bad cron',
      { SLUICE_DIGESTS: '[{"cron":"61 9 * * *","channel":"C0OPS"}]' },
      /SLUICE_DIGESTS: \[0\.cron\] cron must be/,
    ],
    [
      'a six-field cron',
      { SLUICE_DIGESTS: '[{"cron":"0 0 9 * * *","channel":"C0OPS"}]' },
      /SLUICE_DIGESTS: \[0\.cron\]/,
    ],
    [
      'an unknown zone',
      { SLUICE_DIGESTS: '[{"cron":"0 9 * * *","tz":"Mars/Olympus","channel":"C0OPS"}]' },
      /SLUICE_DIGESTS: \[0\.tz\] tz must be an IANA/,
    ],
    [
      'a bad missed policy',
      { SLUICE_DIGESTS: '[{"cron":"0 9 * * *","channel":"C0OPS","missed":"always"}]' },
      /SLUICE_DIGESTS: \[0\.missed\]/,
    ],
    [
      'a negative baseline',
      { SLUICE_DIGEST_BASELINES: '{"http.request":-1}' },
      /SLUICE_DIGEST_BASELINES: \[http\.request\]/,
    ],
  ] as const) {
    it(`refuses ${name}, naming the variable`, () => {
      assert.throws(() => loadConfig(env), pattern);
    });
  }
});
