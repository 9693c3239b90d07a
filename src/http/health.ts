import type { SlackMode } from '../config.ts';
import { listActivePauses } from '../control/active-pauses.ts';
import { detectCapabilities } from '../db/capabilities.ts';
import type { Database } from '../db/database.ts';
import { migrationStatus } from '../db/migrate.ts';

export interface HealthReport {
  status: 'ok' | 'unavailable';
  database: { ok: boolean; kind: Database['kind']; location: string; error?: string };
  migrations: { applied: number; pending: number; changed: number; unknown: number };
  retrieval: { mode: 'hybrid' | 'keyword-only' | 'unknown'; note?: string };
  paused: {
    global: boolean;
    scopes: { kind: string; value: string; reason: string; by: string; since: string }[];
  };
  slack: { mode: SlackMode };
}

/** What `/healthz` answers: 200 when the database is reachable and fully migrated, else 503. */
export async function checkHealth(db: Database, slackMode: SlackMode): Promise<HealthReport> {
  const report: HealthReport = {
    status: 'ok',
    database: { ok: true, kind: db.kind, location: db.location },
    migrations: { applied: 0, pending: 0, changed: 0, unknown: 0 },
    retrieval: { mode: 'unknown' },
    paused: { global: false, scopes: [] },
    slack: { mode: slackMode },
  };
  try {
    for (const m of await migrationStatus(db)) report.migrations[m.state]++;
    const capabilities = await detectCapabilities(db);
    report.retrieval.mode = capabilities.retrievalMode;
    if (!capabilities.vector) report.retrieval.note = 'pgvector is not installed: vector search is off';
    // Before the pauses table exists (pending migrations) there is nothing to report.
    const pauses = report.migrations.pending === 0 ? await listActivePauses(db) : [];
    report.paused.global = pauses.some((p) => p.scopeKind === 'global');
    report.paused.scopes = pauses.map((p) => ({
      kind: p.scopeKind,
      value: p.scopeValue,
      reason: p.reason,
      by: p.pausedBy,
      since: p.pausedAt.toISOString(),
    }));
  } catch (error) {
    report.database.ok = false;
    report.database.error = (error as Error).message;
  }
  const m = report.migrations;
  if (!report.database.ok || m.pending > 0 || m.changed > 0 || m.unknown > 0) report.status = 'unavailable';
  return report;
}
