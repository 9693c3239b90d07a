import type { SlackBlockLike } from '../outbox/slack-writer.ts';
import type { DigestFigures } from './digest-figures.ts';

/** A slot that produced no digest, reported by the next one. */
export interface UnpostedSlot {
  slotAt: Date;
  status: 'skipped_paused' | 'missed';
  reason: string | null;
}

/** What the renderer (handlers/blocks/digest-message.ts, passed in) turns into a Slack message. */
export interface DigestToRender {
  figures: DigestFigures;
  /** The zone the period is shown in. */
  timeZone: string;
  trigger: 'scheduled' | 'on_demand';
  /** Posted after its slot (catch_up_once after downtime). */
  late: boolean;
  /** Slots since the previous digest that were skipped (paused) or missed (no scheduler). */
  unposted: UnpostedSlot[];
  /** A pause in force when an on-demand digest is made. */
  pausedReason: string | null;
}

export interface DigestDraft {
  text: string;
  blocks: SlackBlockLike[];
}

export type DigestRenderer = (digest: DigestToRender) => DigestDraft;
