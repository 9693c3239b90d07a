import type { Database, Queryable } from '../db/database.ts';
import { type AuditEntry, type AuditEntryInput, hashEntry, normaliseEntry } from './audit-entry.ts';

export type { AuditEntry, AuditEntryInput } from './audit-entry.ts';

/**
 * Appending to the hash-chained audit log. An append locks the chain's head row, so appends from
 * any number of connections and replicas serialise; the lock is held until the caller's
 * transaction ends, which is why `append` takes a transaction and never opens its own. On PGlite
 * (one session) transactions already run one at a time.
 */
export interface AuditLog {
  /** Appends inside the caller's transaction, so the entry commits with the change it records. */
  append(tx: Queryable, entry: AuditEntryInput): Promise<AuditEntry>;
  /** Appends several entries, in order, with one lock of the head and one insert. */
  appendAll(tx: Queryable, entries: readonly AuditEntryInput[]): Promise<AuditEntry[]>;
  /** Appends in a transaction of its own, for events that change nothing else. */
  record(entry: AuditEntryInput): Promise<AuditEntry>;
}

export interface AuditLogOptions {
  /** The time written on entries; tests pass a fixed clock. */
  now?: () => Date;
}

const COLUMNS = 18;

export function createAuditLog(db: Database, options: AuditLogOptions = {}): AuditLog {
  const now = options.now ?? (() => new Date());
  const log: AuditLog = {
    async append(tx, input) {
      const [entry] = await log.appendAll(tx, [input]);
      return entry!;
    },
    async appendAll(tx, inputs) {
      if (inputs.length === 0) return [];
      // Held until the caller's transaction ends: callers append last, to hold it briefly.
      const head = await tx.query<{ seq: number; hash: string }>(
        'SELECT seq, hash FROM audit_chain_head WHERE id FOR UPDATE',
      );
      const last = head.rows[0];
      if (!last) throw new Error('audit_chain_head is missing its row; the audit migration did not complete');
      const at = now();
      let prevHash = last.hash;
      const entries = inputs.map((input, i) => {
        const entry = normaliseEntry(input, last.seq + 1 + i, at);
        const hash = hashEntry(prevHash, entry);
        const written: AuditEntry = { ...entry, prevHash, hash };
        prevHash = hash;
        return written;
      });
      const rows = entries.map(
        (_, r) =>
          `(${Array.from({ length: COLUMNS }, (_, c) => {
            const n = r * COLUMNS + c + 1;
            return [12, 14, 15].includes(c) ? `$${n}::jsonb` : `$${n}`;
          }).join(', ')})`,
      );
      await tx.query(
        `INSERT INTO audit_log (seq, at, actor, run_id, correlation_id, kind, input_digest, model, prompt_version,
            policy_version, policy_rule, decision, approvers, effect, result, detail, prev_hash, hash)
         VALUES ${rows.join(', ')}`,
        entries.flatMap((e) => [
          e.seq,
          e.at,
          e.actor,
          e.runId,
          e.correlationId,
          e.kind,
          e.inputDigest,
          e.model,
          e.promptVersion,
          e.policyVersion,
          e.policyRule,
          e.decision,
          jsonParam(e.approvers),
          e.effect,
          jsonParam(e.result),
          jsonParam(e.detail),
          e.prevHash,
          e.hash,
        ]),
      );
      const tail = entries.at(-1)!;
      await tx.query('UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id', [tail.seq, tail.hash]);
      return entries;
    },
    record(input) {
      return db.transaction((tx) => log.append(tx, input));
    },
  };
  return log;
}

function jsonParam(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

export interface AuditRow {
  seq: number;
  at: Date;
  actor: string;
  run_id: string | null;
  correlation_id: string | null;
  kind: string;
  input_digest: string | null;
  model: string | null;
  prompt_version: string | null;
  policy_version: string | null;
  policy_rule: string | null;
  decision: string | null;
  approvers: string[] | null;
  effect: string | null;
  result: unknown;
  detail: unknown;
  prev_hash: string;
  hash: string;
}

export function entryFromRow(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    runId: row.run_id,
    correlationId: row.correlation_id,
    kind: row.kind,
    inputDigest: row.input_digest,
    model: row.model,
    promptVersion: row.prompt_version,
    policyVersion: row.policy_version,
    policyRule: row.policy_rule,
    decision: row.decision,
    approvers: row.approvers,
    effect: row.effect,
    result: row.result,
    detail: row.detail,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** A run's entries, oldest first. */
export async function listRunAudit(db: Queryable, runId: string): Promise<AuditEntry[]> {
  const result = await db.query<AuditRow>('SELECT * FROM audit_log WHERE run_id = $1 ORDER BY seq', [runId]);
  return result.rows.map(entryFromRow);
}
