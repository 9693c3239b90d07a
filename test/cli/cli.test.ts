import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CliContext } from '../../src/cli/context.ts';
import { EXIT_OK, EXIT_USAGE, runCli } from '../../src/cli.ts';

function context(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    env,
    cwd: process.cwd(),
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    isTTY: false,
  };
  return { ctx, out: () => out.join(''), err: () => err.join('') };
}

describe('sluice CLI', () => {
  it('prints help and exits 0', async () => {
    const c = context();
    assert.equal(await runCli(['--help'], c.ctx), EXIT_OK);
    assert.match(c.out(), /Usage: sluice/);
    for (const command of ['start', 'migrate', 'doctor'])
      assert.match(c.out(), new RegExp(`\\n  ${command}`));
  });

  it('has --help on every command', async () => {
    for (const command of ['start', 'migrate', 'doctor']) {
      const c = context();
      assert.equal(await runCli([command, '--help'], c.ctx), EXIT_OK, command);
      assert.match(c.out(), new RegExp(`Usage: sluice ${command}`));
    }
  });

  it('exits 2 on an unknown command or option', async () => {
    const c = context();
    assert.equal(await runCli(['bogus'], c.ctx), EXIT_USAGE);
    assert.match(c.err(), /unknown command 'bogus'/);
    assert.equal(await runCli(['doctor', '--nope'], context().ctx), EXIT_USAGE);
  });

  it('exits 2 listing every configuration problem', async () => {
    const c = context({ PORT: 'abc', DATABASE_URL: 'nonsense' });
    assert.equal(await runCli(['migrate'], c.ctx), EXIT_USAGE);
    assert.match(c.err(), /PORT: must be a whole number/);
    assert.match(c.err(), /DATABASE_URL: must be a postgres:\/\//);
  });
});
