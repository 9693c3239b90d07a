import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Command, CommanderError } from 'commander';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { registerAuditCommands } from '../../src/cli/audit-commands.ts';
import type { CliContext } from '../../src/cli/context.ts';
import { registerControlCommands } from '../../src/cli/control-commands.ts';
import { registerRunCommands } from '../../src/cli/run-commands.ts';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openEmbeddedDatabase } from '../../src/db/pglite-database.ts';
import { isSluiceError, UsageError } from '../../src/errors.ts';
import { createServerTestDatabase } from '../support/test-database.ts';

/** Runs one command line through the durable core's command families, the way src/cli.ts does. */
async function sluice(env: Record<string, string>, ...argv: string[]) {
  let out = '';
  let err = '';
  const context: CliContext = {
    env,
    cwd: process.cwd(),
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    isTTY: false,
  };
  const program = new Command('sluice')
    .exitOverride()
    .configureOutput({ writeOut: context.stdout, writeErr: context.stderr });
  for (const register of [registerControlCommands, registerAuditCommands, registerRunCommands])
    register(program, context);
  const override = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: context.stdout, writeErr: context.stderr });
    c.commands.forEach(override);
  };
  override(program);
  let code = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) code = error.exitCode === 0 ? 0 : 2;
    else if (error instanceof UsageError) code = 2;
    else if (isSluiceError(error) && error.details?.quiet) code = 1;
    else throw error;
    if (error instanceof Error && !(error instanceof CommanderError)) err += error.message;
  }
  return { code, out, err };
}

const serverUrl = process.env.TEST_DATABASE_URL;

describe(`sluice pause, resume, status, audit and runs (${serverUrl ? 'server' : 'embedded'})`, () => {
  it('pauses and resumes with a scope and a reason, shows status, verifies and exports the audit log', async () => {
    let env: Record<string, string>;
    let db: Database;
    let cleanup: () => Promise<void>;
    if (serverUrl) {
      db = await createServerTestDatabase(serverUrl);
      env = {
        DATABASE_URL: new URL(new URL(db.location).pathname, serverUrl).toString(),
        LOG_LEVEL: 'silent',
      };
      cleanup = () => db.close();
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cli-'));
      env = { SLUICE_DATA_DIR: dir, LOG_LEVEL: 'silent' };
      db = await openEmbeddedDatabase({ dataDir: dir });
      await migrate(db);
      await db.close();
      cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
    }
    try {
      let r = await sluice(
        env,
        'pause',
        '--scope',
        'channel:C0NOISY001',
        '--reason',
        'noisy channel',
        '--by',
        'U0OPS00001',
      );
      assert.equal(r.code, 0, r.err);
      assert.match(
        r.out,
        /Sluice is now paused \(channel:C0NOISY001\) by U0OPS00001 since .*: noisy channel/,
      );
      r = await sluice(
        env,
        'pause',
        '--scope',
        'channel:C0NOISY001',
        '--reason',
        'again',
        '--by',
        'U0OPS00001',
      );
      assert.match(r.out, /^Already paused/);
      r = await sluice(env, 'pause', '--scope', 'everything', '--reason', 'x');
      assert.equal(r.code, 2);
      assert.match(r.err, /unknown pause scope "everything"/);
      r = await sluice(env, 'pause');
      assert.equal(r.code, 2, 'a pause needs a reason');

      r = await sluice(env, 'status');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /PAUSED: paused \(channel:C0NOISY001\) by U0OPS00001/);
      assert.match(r.out, /Runs today: 0/);

      r = await sluice(env, 'resume', '--scope', 'channel:C0NOISY001', '--by', 'U0OPS00001');
      assert.match(r.out, /^Resumed channel:C0NOISY001 \(paused by U0OPS00001/);
      r = await sluice(env, 'resume', '--scope', 'channel:C0NOISY001');
      assert.match(r.out, /Nothing to resume/);
      r = await sluice(env, 'status', '--json');
      assert.deepEqual(JSON.parse(r.out).pauses, []);

      r = await sluice(env, 'audit', 'verify');
      assert.equal(r.code, 0);
      assert.match(r.out, /Audit chain OK: 2 entries, head #2 [0-9a-f]{64}/);

      const runId = randomUUID();
      const reopened = serverUrl ? db : await openEmbeddedDatabase({ dataDir: env.SLUICE_DATA_DIR! });
      await createAuditLog(reopened).record({
        actor: 'U0ASKER001',
        kind: 'run.started',
        runId,
        correlationId: 'c-1',
      });
      await createAuditLog(reopened).record({
        actor: 'policy',
        kind: 'decision',
        runId,
        decision: 'escalate',
        policyRule: 'prod-needs-two',
        policyVersion: 'abc123',
      });
      if (!serverUrl) await reopened.close();
      r = await sluice(env, 'audit', 'export', '--run', runId);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`Run ${runId}`));
      assert.match(r.out, /#3 .* run\.started {2}by U0ASKER001/);
      assert.match(r.out, /#4 .* decision {2}by policy {2}decision=escalate {2}rule=prod-needs-two@abc123/);
      r = await sluice(env, 'audit', 'export', '--run', 'not-a-run');
      assert.equal(r.code, 2);

      const tamperDb = serverUrl ? db : await openEmbeddedDatabase({ dataDir: env.SLUICE_DATA_DIR! });
      await tamperDb.exec(
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only; UPDATE audit_log SET actor = 'U0SOMEONE1' WHERE seq = 3;",
      );
      if (!serverUrl) await tamperDb.close();
      r = await sluice(env, 'audit', 'verify');
      assert.equal(r.code, 1);
      assert.match(r.out, /AUDIT CHAIN BROKEN at entry #3: entry 3 \(run\.started\) does not match its hash/);

      r = await sluice(env, 'runs', 'show', randomUUID());
      assert.equal(r.code, 2);
      assert.match(r.err, /no run/);
    } finally {
      await cleanup();
    }
  });
});
