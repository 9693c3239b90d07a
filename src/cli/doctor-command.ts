import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../config.ts';
import { detectCapabilities } from '../db/capabilities.ts';
import type { Database } from '../db/database.ts';
import { migrationStatus } from '../db/migrate.ts';
import { openDatabase } from '../db/open-database.ts';
import { SluiceError } from '../errors.ts';
import { inboxJournalDir, inspectInboxJournal, REFUSED_FILE } from '../inbox/inbox-journal.ts';
import { inspectServerInboxJournal, serverInboxJournalRoot } from '../inbox/server-inbox-journal.ts';
import { createSlackWebApiClient } from '../slack/web-api-client.ts';
import { type CliContext, loadCliConfig } from './context.ts';

/**
 * `sluice doctor`: checks what Sluice needs without changing anything (it never migrates) and
 * says, for each problem, what to do. Exit 1 when any check fails; warnings alone exit 0.
 */

export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
}

export async function runDoctor(config: Config): Promise<Check[]> {
  const checks: Check[] = [{ name: 'config', status: 'ok', detail: 'environment parsed' }];
  let db: Database | undefined;
  try {
    db = await openDatabase(config);
    checks.push({ name: 'database', status: 'ok', detail: `${db.kind} at ${db.location}` });
  } catch (error) {
    checks.push({ name: 'database', status: 'fail', detail: (error as Error).message });
  }
  if (db) {
    try {
      checks.push(await checkVector(db));
      checks.push(await checkMigrations(db));
      const journal = checkInboxJournal(config, db);
      if (journal) checks.push(journal);
    } finally {
      await db.close();
    }
  }
  checks.push(await checkSlack(config));
  checks.push(
    config.anthropic.apiKey
      ? { name: 'anthropic', status: 'ok', detail: 'ANTHROPIC_API_KEY is set' }
      : {
          name: 'anthropic',
          status: 'warn',
          detail:
            'ANTHROPIC_API_KEY is not set: no-model mode (answers are cited passages; actions only via /agent do)',
        },
  );
  return checks;
}

async function checkVector(db: Database): Promise<Check> {
  const c = await detectCapabilities(db);
  if (c.vector)
    return { name: 'pgvector', status: 'ok', detail: `pgvector ${c.vectorVersion}: hybrid retrieval` };
  // Migration 0001 creates the extension where the server has it: before that, say so.
  const available = await db.query('SELECT 1 FROM pg_available_extensions WHERE name = $1', ['vector']);
  return available.rows.length > 0
    ? {
        name: 'pgvector',
        status: 'warn',
        detail:
          'pgvector is available but not created in this database yet: run `sluice migrate` (`sluice start` does too); until then KEYWORD-ONLY retrieval',
      }
    : {
        name: 'pgvector',
        status: 'warn',
        detail: 'pgvector is not installed: KEYWORD-ONLY retrieval; install pgvector 0.5+ for hybrid search',
      };
}

/** The inbox journal: requests waiting for the next start, and refused ones. */
function checkInboxJournal(config: Config, db: Database): Check | undefined {
  if (!config.durable.inboxJournal) {
    return {
      name: 'inbox',
      status: 'ok',
      detail:
        'journal off (SLUICE_INBOX_JOURNAL=off): Slack is acknowledged once a request is in the database',
    };
  }
  let found: { waiting: number; torn: number; refused: number; refusedFiles: string[]; running?: number };
  if (db.kind === 'embedded') {
    const dir = inboxJournalDir(db);
    if (!dir) return undefined;
    const inspected = inspectInboxJournal(dir);
    found = { ...inspected, refusedFiles: [path.join(dir, REFUSED_FILE)] };
  } else {
    found = inspectServerInboxJournal(serverInboxJournalRoot(config.database.dataDir, db.location));
  }
  const { waiting, torn, refused, refusedFiles, running } = found;
  const notes = [
    waiting > 0
      ? `${waiting} acknowledged request(s) not yet in the database: the next start stores them`
      : '',
    torn > 0 ? `${torn} line(s) cut short by a crash (never acknowledged; skipped)` : '',
    running ? `${running} running process(es) on this host keep a journal here` : '',
  ].filter(Boolean);
  if (refused > 0) {
    return {
      name: 'inbox',
      status: 'warn',
      detail: [
        `journal: ${refused} request(s) the database refused are kept in ${refusedFiles.join(', ')}; their senders were told nothing was done. Read the reasons there, then move the file away`,
        ...notes,
      ].join('; '),
    };
  }
  return { name: 'inbox', status: 'ok', detail: `journal: ${notes.length > 0 ? notes.join('; ') : 'empty'}` };
}

async function checkMigrations(db: Database): Promise<Check> {
  const states = await migrationStatus(db);
  const count = (s: string) => states.filter((m) => m.state === s);
  const changed = count('changed');
  const unknown = count('unknown');
  if (changed.length > 0 || unknown.length > 0) {
    const names = [...changed, ...unknown].map((m) => `${m.id} (${m.state})`).join(', ');
    return {
      name: 'migrations',
      status: 'fail',
      detail: `migrations ${names}: restore the original files or run the Sluice version that applied them`,
    };
  }
  const pending = count('pending');
  if (pending.length > 0) {
    return {
      name: 'migrations',
      status: 'warn',
      detail: `${pending.length} pending; run \`sluice migrate\` (\`sluice start\` applies them too)`,
    };
  }
  return { name: 'migrations', status: 'ok', detail: `${states.length} applied` };
}

async function checkSlack(config: Config): Promise<Check> {
  if (config.slack.mode === 'local') {
    return { name: 'slack', status: 'ok', detail: 'no Slack credentials: the local workspace will be used' };
  }
  const client = createSlackWebApiClient({
    token: config.slack.botToken ?? '',
    ...(config.slack.apiUrl ? { apiUrl: config.slack.apiUrl } : {}),
    retry: { maxAttempts: 1 },
  });
  try {
    const who = await client.authTest();
    return {
      name: 'slack',
      status: 'ok',
      detail: `${config.slack.mode} mode, bot ${who.user} in ${who.team}`,
    };
  } catch (error) {
    return {
      name: 'slack',
      status: 'fail',
      detail: `auth.test failed: ${(error as Error).message}; check SLACK_BOT_TOKEN`,
    };
  }
}

export function registerDoctorCommand(program: Command, context: CliContext): void {
  program
    .command('doctor')
    .description(
      'check configuration, database, pgvector, migrations, the inbox journal, Slack and the model key',
    )
    .option('--json', 'print the checks as JSON')
    .action(async (options: { json?: boolean }) => {
      const checks = await runDoctor(loadCliConfig(context));
      if (options.json) context.stdout(`${JSON.stringify({ checks }, null, 2)}\n`);
      else {
        for (const c of checks)
          context.stdout(`${c.status.toUpperCase().padEnd(4)}  ${c.name.padEnd(10)} ${c.detail}\n`);
      }
      if (checks.some((c) => c.status === 'fail')) {
        throw new SluiceError('internal', 'doctor found problems (see FAIL lines above)', {
          details: { quiet: true },
        });
      }
    });
}
