import { createHash } from 'node:crypto';
import { canonicalJson, toJsonValue } from './canonical-json.ts';

/**
 * One audit entry: who did what to which run, on what inputs, under which model, prompt and
 * policy, with which decision, approvers, effect and result. Entries form a chain: each hash
 * covers the previous hash and the entry's own fields.
 */
export interface AuditEntryInput {
  /** A Slack user id, `system`, `cli:<user>`, or `worker`. */
  actor: string;
  runId?: string | null;
  correlationId?: string | null;
  /** What happened, e.g. `run.received`, `decision`, `effect.succeeded`, `pause`. */
  kind: string;
  /** A digest of the inputs (use `digestOf`), not the inputs themselves. */
  inputDigest?: string | null;
  model?: string | null;
  promptVersion?: string | null;
  policyVersion?: string | null;
  policyRule?: string | null;
  decision?: string | null;
  approvers?: string[] | null;
  effect?: string | null;
  result?: unknown;
  detail?: unknown;
}

export interface AuditEntry extends Required<Omit<AuditEntryInput, 'result' | 'detail'>> {
  seq: number;
  at: Date;
  result: unknown;
  detail: unknown;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** sha256 of a value's canonical JSON: how inputs are recorded without being copied. */
export function digestOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** The fields the hash covers, normalised the way they read back from the database. */
export function hashedFields(entry: Omit<AuditEntry, 'prevHash' | 'hash'>): Record<string, unknown> {
  return {
    seq: entry.seq,
    at: entry.at.toISOString(),
    actor: entry.actor,
    runId: entry.runId,
    correlationId: entry.correlationId,
    kind: entry.kind,
    inputDigest: entry.inputDigest,
    model: entry.model,
    promptVersion: entry.promptVersion,
    policyVersion: entry.policyVersion,
    policyRule: entry.policyRule,
    decision: entry.decision,
    approvers: entry.approvers,
    effect: entry.effect,
    result: toJsonValue(entry.result),
    detail: toJsonValue(entry.detail),
  };
}

export function hashEntry(prevHash: string, entry: Omit<AuditEntry, 'prevHash' | 'hash'>): string {
  return createHash('sha256')
    .update(`${prevHash}\n${canonicalJson(hashedFields(entry))}`)
    .digest('hex');
}

/**
 * What an entry's hash covers, up to its sequence number: `seq` sorts last of the hashed keys, so
 * the hashed text is `${prevHash}\n${text}${seq}}`. It lets the database number and hash entries
 * in the statement that appends them (src/audit/audit-log.ts) with the same result as hashEntry.
 */
export function hashedTextBeforeSeq(entry: Omit<AuditEntry, 'prevHash' | 'hash' | 'seq'>): string {
  const text = canonicalJson(hashedFields({ ...entry, seq: 0 }));
  const end = ',"seq":0}';
  if (!text.endsWith(end)) throw new Error('the audit hash no longer ends with the sequence number');
  return text.slice(0, -end.length + ',"seq":'.length);
}

/** Fills absent optional fields with null, so a written entry and a read one compare equal. */
export function normaliseEntry(
  input: AuditEntryInput,
  seq: number,
  at: Date,
): Omit<AuditEntry, 'prevHash' | 'hash'> {
  return {
    seq,
    at: new Date(at.getTime()),
    actor: input.actor,
    runId: input.runId ?? null,
    correlationId: input.correlationId ?? null,
    kind: input.kind,
    inputDigest: input.inputDigest ?? null,
    model: input.model ?? null,
    promptVersion: input.promptVersion ?? null,
    policyVersion: input.policyVersion ?? null,
    policyRule: input.policyRule ?? null,
    decision: input.decision ?? null,
    approvers: input.approvers ?? null,
    effect: input.effect ?? null,
    result: toJsonValue(input.result),
    detail: toJsonValue(input.detail),
  };
}
