import type { Database, Queryable } from '../db/database.ts';
import { type AuditEntry, type AuditEntryInput, hashedTextBeforeSeq, normaliseEntry } from './audit-entry.ts';

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
  /**
   * The same append as `appendAll`, made part of a statement of the caller's (one round trip for a
   * state change and its entries: src/agent/commit-transition.ts).
   */
  prepareAppend(entries: readonly AuditEntryInput[]): AuditAppend;
}

/**
 * An append to embed in another statement. `ctes(param, gate)` are CTEs for a `WITH RECURSIVE`
 * clause: they read the entries from parameter `$param` (whose value is `value`) and, when `gate`
 * names a CTE of the statement, append them only if that CTE has a row. They leave `audit_entry`
 * (seq, prev_hash, hash) for the statement to read; the head's lock is held until the statement's
 * transaction ends.
 */
export interface AuditAppend {
  /** The entries as they will be stored, but for their place in the chain (seq, hashes). */
  entries: Omit<AuditEntry, 'prevHash' | 'hash'>[];
  value: string;
  ctes(param: number, gate?: string): string;
}

export interface AuditLogOptions {
  /** The time written on entries; tests pass a fixed clock. */
  now?: () => Date;
}

export function createAuditLog(db: Database, options: AuditLogOptions = {}): AuditLog {
  const now = options.now ?? (() => new Date());
  const log: AuditLog = {
    async append(tx, input) {
      const [entry] = await log.appendAll(tx, [input]);
      return entry!;
    },
    async appendAll(tx, inputs) {
      if (inputs.length === 0) return [];
      const append = log.prepareAppend(inputs);
      // One statement, one round trip: lock the head, number and hash the entries in order, insert
      // them and move the head. The lock is held until the caller's transaction ends: callers
      // append last, to hold it briefly.
      const { rows: chained } = await tx.query<{ seq: string | number; prev_hash: string; hash: string }>(
        `WITH RECURSIVE ${append.ctes(1)} SELECT seq, prev_hash, hash FROM audit_entry ORDER BY seq`,
        [append.value],
      );
      if (chained.length !== append.entries.length) throw missingHead();
      return append.entries.map((e, i) => ({
        ...e,
        seq: Number(chained[i]!.seq),
        prevHash: chained[i]!.prev_hash,
        hash: chained[i]!.hash,
      }));
    },
    prepareAppend(inputs) {
      const at = now();
      const entries = inputs.map((input) => normaliseEntry(input, 0, at));
      const rows = entries.map((e) => ({
        text: hashedTextBeforeSeq(e),
        at: e.at.toISOString(),
        actor: e.actor,
        run_id: e.runId,
        correlation_id: e.correlationId,
        kind: e.kind,
        input_digest: e.inputDigest,
        model: e.model,
        prompt_version: e.promptVersion,
        policy_version: e.policyVersion,
        policy_rule: e.policyRule,
        decision: e.decision,
        approvers: e.approvers,
        effect: e.effect,
        result: e.result,
        detail: e.detail,
      }));
      return { value: JSON.stringify(rows), entries, ctes: appendCtes };
    },
    record(input) {
      return db.transaction((tx) => log.append(tx, input));
    },
  };
  return log;
}

/** The chain's hash of each entry is computed as hashEntry computes it (audit-entry.ts). */
function appendCtes(param: number, gate?: string): string {
  return `audit_head AS MATERIALIZED (
      SELECT seq, hash FROM audit_chain_head WHERE id FOR UPDATE
    ), audit_input AS (
      SELECT x.n, x.e FROM jsonb_array_elements($${param}::jsonb) WITH ORDINALITY AS x(e, n)
       ${gate ? `WHERE EXISTS (SELECT 1 FROM ${gate})` : ''}
    ), audit_chain (n, seq, prev_hash, hash) AS (
      SELECT 0::int8, h.seq, NULL::text, h.hash FROM audit_head h
      UNION ALL
      SELECT c.n + 1, c.seq + 1, c.hash,
             encode(sha256(convert_to(c.hash || E'\\n' || (i.e ->> 'text') || (c.seq + 1)::text || '}', 'UTF8')), 'hex')
        FROM audit_chain c JOIN audit_input i ON i.n = c.n + 1
    ), audit_entry AS MATERIALIZED (
      SELECT c.seq, c.prev_hash, c.hash, i.e FROM audit_chain c JOIN audit_input i ON i.n = c.n
    ), audit_written AS (
      INSERT INTO audit_log (seq, at, actor, run_id, correlation_id, kind, input_digest, model, prompt_version,
          policy_version, policy_rule, decision, approvers, effect, result, detail, prev_hash, hash)
      SELECT seq, (e ->> 'at')::timestamptz, e ->> 'actor', (e ->> 'run_id')::uuid, e ->> 'correlation_id',
             e ->> 'kind', e ->> 'input_digest', e ->> 'model', e ->> 'prompt_version', e ->> 'policy_version',
             e ->> 'policy_rule', e ->> 'decision', nullif(e -> 'approvers', 'null'), e ->> 'effect',
             nullif(e -> 'result', 'null'), nullif(e -> 'detail', 'null'), prev_hash, hash
        FROM audit_entry ORDER BY seq
    ), audit_head_moved AS (
      UPDATE audit_chain_head SET seq = t.seq, hash = t.hash
        FROM (SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1) AS t
       WHERE id
    )`;
}

/** What an append finds when the audit migration left no head row. */
export function missingHead(): Error {
  return new Error('audit_chain_head is missing its row; the audit migration did not complete');
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
