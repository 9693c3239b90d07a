import type { AgentCommand } from '../src/agent/parse-agent-command.ts';
import type { ConsoleView } from './blocks/home-view.ts';

/**
 * What the Slack transport asks of the core. Handlers ack, validate, call exactly one of these,
 * and reply; the composition root (src/main.ts) implements them with the inbox, the kill switch,
 * approvals and the run read model. Each `accept…` stores the request durably before it returns.
 */

export interface SlackActor {
  teamId: string;
  userId: string;
  channelId: string;
}

export interface AcceptedCommand {
  /** Shown to the person at once (ephemeral); the run's real reply follows through the outbox. */
  reply: { text: string; blocks?: readonly object[] };
}

export interface SlackUseCases {
  /** `/agent …`: key is unique per invocation (Slack's trigger_id). */
  acceptCommand(input: {
    key: string;
    actor: SlackActor;
    command: AgentCommand;
    rawText: string;
    responseUrl: string;
    payload: unknown;
  }): Promise<AcceptedCommand>;

  /**
   * A mention, a DM or an assistant-thread message: key is Slack's event_id. `firstInThread`
   * settles once the request is stored: true if this assistant-thread message is the first
   * request stored from its thread (not a retry).
   */
  acceptMessage(input: {
    key: string;
    actor: SlackActor;
    surface: 'mention' | 'dm' | 'assistant';
    text: string;
    ts: string;
    threadTs: string | undefined;
    payload: unknown;
  }): Promise<{ firstInThread: Promise<boolean> }>;

  /** Approve, reject-with-reason and feedback clicks; the core authorises them, never the handler. */
  acceptInteraction(input: {
    key: string;
    actor: SlackActor;
    kind: 'approve' | 'reject' | 'helpful' | 'not_helpful';
    value: string;
    reason?: string;
    message: { channel: string; ts: string } | undefined;
    /** The click's response_url: where the core tells the voter later if the vote did not count. */
    responseUrl?: string;
    payload: unknown;
  }): Promise<{ notice?: { text: string } }>;

  /** The operator console for the App Home tab. */
  consoleView(actor: { teamId: string; userId: string }): Promise<ConsoleView>;
}
