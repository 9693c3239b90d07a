import { createHash } from 'node:crypto';

/** The operator console (App Home) as the core reads it; handlers/blocks/home-view.ts renders it. */
export interface ConsoleSnapshot {
  pauses: { scope: string; reason: string; by: string; since: Date }[];
  retrievalMode: 'hybrid' | 'keyword-only';
  modelMode: 'model' | 'no-model';
  today: {
    runs: number;
    succeeded: number;
    failed: number;
    p50Ms: number | undefined;
    p95Ms: number | undefined;
    spendUsd: number;
    ceilingUsd: number | undefined;
  };
  pendingApprovals: {
    approvalId: string;
    action: string;
    requester: string;
    expiresAt: Date;
    /** The approval card in Slack, once it has been posted. */
    link?: string;
  }[];
  deadLetterDepth: number;
  lastErrors: { runId: string; at: Date; message: string }[];
  generatedAt: Date;
}

/** What changed on the console, ignoring when it was read: equal digests mean nothing to publish. */
export function consoleDigest(view: ConsoleSnapshot): string {
  const { generatedAt: _, ...content } = view;
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

/** Viewers who opened the console within this long get it refreshed when it changes. */
export const HOME_VIEWER_DAYS = 7;
