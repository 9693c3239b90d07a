import { randomUUID } from 'node:crypto';
import type { ActionRegistry } from '../actions/action-registry.ts';
import { getApproval } from '../approvals/approval-rows.ts';
import { decodeApprovalButtonValue } from '../approvals/button-value.ts';
import { castVote, recordUnreadableVote } from '../approvals/cast-vote.ts';
import { listActivePauses } from '../control/active-pauses.ts';
import type { KillSwitch } from '../control/kill-switch.ts';
import type { PauseScope as ControlScope } from '../control/pause-scope.ts';
import type { Database } from '../db/database.ts';
import type { DigestService } from '../digest/digest-service.ts';
import type { Inbox } from '../inbox/create-inbox.ts';
import type { JobSpec } from '../jobs/job-queue.ts';
import type { Logger } from '../logger.ts';
import { enqueueOutbox } from '../outbox/outbox-message.ts';
import type { SlackWebApiClient } from '../slack/web-api-client.ts';
import { approvalCardView } from './approval-card-view.ts';
import { type ConsoleSnapshot, consoleDigest, HOME_VIEWER_DAYS } from './console-view.ts';
import type { AgentCommand, PauseScope } from './parse-agent-command.ts';
import type { ReplyRenderers } from './reply-renderers.ts';
import type { RunProcessor } from './run-processor.ts';
import { getRunStats, today } from './run-stats.ts';
import type { ReplyDraft } from './run-steps.ts';
import type { VoteJobPayload } from './vote-jobs.ts';

/**
 * The use cases the Slack transport calls (handlers/slack-use-cases.ts describes them): store
 * what arrived, act on the kill switch at once, count votes on the server, and read the console.
 * Every `accept…` has stored the request durably before it returns, so the handler may ack: in
 * the inbox journal or the database (src/inbox/create-inbox.ts, `admit`). Should the database
 * later refuse a journalled request, the person is told, as they would have been before the ack.
 */

export interface SlackActor {
  teamId: string;
  userId: string;
  channelId: string;
}

export interface SlackCoreDeps {
  db: Database;
  inbox: Inbox;
  killSwitch: KillSwitch;
  processor: RunProcessor;
  registry: ActionRegistry;
  render: ReplyRenderers;
  groupsOf: (userId: string) => Promise<string[]>;
  /** Who may pause and resume (user ids, group ids, group handles); empty means everyone. */
  operators: readonly string[];
  /** Where vote jobs go: enqueued with the click, in its inbox statement. */
  votes: { job: (vote: VoteJobPayload) => JobSpec; wake: () => void };
  /** For telling a voter why a vote did not count. */
  slack: Pick<
    SlackWebApiClient,
    'postToResponseUrl' | 'postEphemeral' | 'postMessage' | 'publishView' | 'getPermalink'
  >;
  /** On-demand digests; absent when this process does not post them. */
  digests?: Pick<DigestService, 'digestNow'>;
  /** For the console: retrieval and model modes, and the daily spend ceiling. */
  modes: () => {
    retrievalMode: 'hybrid' | 'keyword-only';
    modelMode: 'model' | 'no-model';
    dayCeilingUsd: number | undefined;
  };
  logger: Logger;
  now?: () => Date;
}

const NOT_STORED = 'Sluice could not store your request, so nothing was done.';
const TRY_AGAIN = 'Please try again; if it keeps failing, tell your Sluice operator.';

export function createSlackCore(deps: SlackCoreDeps) {
  const now = deps.now ?? (() => new Date());
  /** Permalinks of approval cards, asked of Slack once per card (a card does not move). */
  const cardLinks = new Map<string, string>();

  const toControlScope = (scope: PauseScope): ControlScope =>
    scope.kind === 'global'
      ? { kind: 'global' }
      : scope.kind === 'channel'
        ? { kind: 'channel', value: scope.channelId }
        : { kind: 'action', value: scope.action };

  async function mayOperate(userId: string): Promise<boolean> {
    if (deps.operators.length === 0 || deps.operators.includes(userId)) return true;
    const groups = await deps.groupsOf(userId);
    return groups.some((g) => deps.operators.includes(g));
  }

  const operatorsText = () =>
    deps.operators
      .map((o) => (/^[UW]/.test(o) ? `<@${o}>` : /^S/.test(o) ? `<!subteam^${o}>` : `@${o}`))
      .join(', ');

  async function startRun(input: {
    key: string;
    kind: 'command' | 'event';
    actor: SlackActor;
    origin: string;
    text: string;
    threadTs?: string | null;
    payload: unknown;
  }) {
    return deps.inbox.admit({
      key: input.key,
      kind: input.kind,
      payload: input.payload,
      receivedAt: now(),
      run: {
        origin: input.origin,
        teamId: input.actor.teamId,
        channelId: input.actor.channelId,
        userId: input.actor.userId,
        threadTs: input.threadTs ?? null,
        text: input.text,
      },
    });
  }

  async function statusText(): Promise<string> {
    const pauses = await listActivePauses(deps.db);
    const stats = await getRunStats(deps.db, today(now()));
    const lines = [
      pauses.length > 0
        ? pauses
            .map(
              (p) =>
                `⏸️ Paused (${p.scopeKind}${p.scopeValue ? ` ${p.scopeValue}` : ''}) by <@${p.pausedBy}>: ${p.reason}`,
            )
            .join('\n')
        : '▶️ Running: side effects are allowed.',
      `Runs today: ${stats.total} (${stats.succeeded} succeeded, ${stats.failed} failed, ${stats.inProgress} in progress).`,
      `Latency p50 / p95: ${stats.latencyMs.p50 ?? '—'} / ${stats.latencyMs.p95 ?? '—'} ms. Spend today: $${stats.costUsd.toFixed(4)}.`,
      `Dead letters: ${stats.deadLetteredRuns}.`,
    ];
    return lines.join('\n');
  }

  const api = {
    async acceptCommand(input: {
      key: string;
      actor: SlackActor;
      command: AgentCommand;
      rawText: string;
      responseUrl: string;
      payload: unknown;
    }): Promise<{ reply: ReplyDraft }> {
      const { command, actor } = input;
      switch (command.kind) {
        case 'ask':
        case 'do':
        case 'request': {
          const text = command.kind === 'ask' ? command.question : command.text;
          const admitted = await startRun({
            key: input.key,
            kind: 'command',
            actor,
            origin: `command:${command.kind}`,
            text,
            payload: input.payload,
          });
          whenRefused(admitted.recorded, input.key, (text) =>
            deps.slack.postToResponseUrl(input.responseUrl, {
              response_type: 'ephemeral',
              replace_original: false,
              text: `${text} ${TRY_AGAIN}`,
            }),
          );
          const verb = admitted.duplicate ? 'Already on it' : 'On it';
          return { reply: { text: `${verb}: I will reply in this channel (run \`${admitted.runId}\`).` } };
        }
        case 'pause': {
          if (!(await mayOperate(actor.userId))) {
            await deps.killSwitch.refuse({ action: 'pause', by: actor.userId, reason: 'not an operator' });
            return {
              reply: { text: `Only Sluice operators may pause (${operatorsText()}); ask one of them.` },
            };
          }
          const { pause, alreadyPaused } = await deps.killSwitch.pause({
            scope: toControlScope(command.scope),
            reason: command.reason,
            by: actor.userId,
          });
          if (!alreadyPaused) afterPauseChange();
          return {
            reply: {
              text: alreadyPaused
                ? `Already paused (${pause.scopeKind}) by <@${pause.pausedBy}>: ${pause.reason}.`
                : `⏸️ Paused (${pause.scopeKind}${pause.scopeValue ? ` ${pause.scopeValue}` : ''}): ${pause.reason}. No side effect in this scope will start until \`/agent resume\`.`,
            },
          };
        }
        case 'resume': {
          if (!(await mayOperate(actor.userId))) {
            await deps.killSwitch.refuse({ action: 'resume', by: actor.userId, reason: 'not an operator' });
            return {
              reply: { text: `Only Sluice operators may resume (${operatorsText()}); ask one of them.` },
            };
          }
          const { resumed } = await deps.killSwitch.resume({
            scope: toControlScope(command.scope),
            by: actor.userId,
          });
          if (resumed) afterPauseChange();
          return {
            reply: {
              text: resumed
                ? `▶️ Resumed (${resumed.scopeKind}). Requests made while paused were cancelled; ask again if still needed.`
                : 'Nothing to resume: that scope was not paused.',
            },
          };
        }
        case 'status':
          return { reply: { text: await statusText() } };
        case 'digest': {
          if (!deps.digests) {
            return {
              reply: {
                text: 'This Sluice process does not post digests; `/agent status` shows today so far.',
              },
            };
          }
          const target = command.toChannel ? actor.channelId : actor.userId;
          const { posted } = await deps.digests.digestNow({
            channelId: target,
            key: input.key,
            requestedBy: actor.userId,
          });
          return {
            reply: {
              text: posted
                ? `Digest of the last 24 hours on its way to ${command.toChannel ? 'this channel' : 'you in a direct message'}.`
                : 'That digest was already requested; it is on its way.',
            },
          };
        }
        case 'help':
          return { reply: { text: 'Try `/agent help`.' } };
      }
    },

    async acceptMessage(input: {
      key: string;
      actor: SlackActor;
      surface: 'mention' | 'dm' | 'assistant';
      text: string;
      ts: string;
      threadTs: string | undefined;
      payload: unknown;
    }): Promise<{ firstInThread: Promise<boolean> }> {
      const threadTs = input.threadTs ?? input.ts;
      const admitted = await startRun({
        key: input.key,
        kind: 'event',
        actor: input.actor,
        origin: `${input.surface}:request`,
        text: input.text,
        // Replies go in the thread the person wrote in (a new thread under their message).
        threadTs,
        payload: input.payload,
      });
      whenRefused(admitted.recorded, input.key, (text) => {
        const where = { channel: input.actor.channelId, thread_ts: threadTs, text: `${text} ${TRY_AGAIN}` };
        // In an assistant thread a message of the app's own also clears the "thinking" status.
        const told =
          input.surface === 'assistant'
            ? deps.slack.postMessage(where)
            : deps.slack.postEphemeral({ ...where, user: input.actor.userId });
        return told.then(() => undefined);
      });
      // The handler titles an assistant thread after its first question, once the database knows
      // (after the ack: a title is only cosmetic).
      const firstInThread =
        input.surface === 'assistant' && input.threadTs
          ? admitted.recorded.then(
              (recorded) => !recorded.duplicate && !recorded.threadHadRuns,
              () => false,
            )
          : Promise.resolve(false);
      return { firstInThread };
    },

    async acceptInteraction(input: {
      key: string;
      actor: SlackActor;
      kind: 'approve' | 'reject' | 'helpful' | 'not_helpful';
      value: string;
      reason?: string;
      message: { channel: string; ts: string } | undefined;
      responseUrl?: string;
      payload: unknown;
    }): Promise<{ notice?: ReplyDraft }> {
      const request = {
        key: input.key,
        kind: 'interaction' as const,
        payload: input.payload,
        receivedAt: now(),
      };
      // The vote (or the answer's feedback) is counted by a job: the click is acked as soon as it is stored.
      const vote: VoteJobPayload = {
        key: input.key,
        actor: input.actor,
        choice: input.kind,
        value: input.value,
        ...(input.reason ? { reason: input.reason } : {}),
        ...(input.message ? { message: input.message } : {}),
        ...(input.responseUrl ? { responseUrl: input.responseUrl } : {}),
      };
      const admitted = await deps.inbox.admit(request, { jobs: [deps.votes.job(vote)] });
      // Once the click is in the database (after the ack has gone out), like the inbox's run wake-up.
      admitted.recorded.then(
        (recorded) => {
          if (!recorded.duplicate) setImmediate(() => deps.votes.wake());
        },
        () => {},
      );
      whenRefused(admitted.recorded, input.key, (text) =>
        tellVoter(vote, `${text} Please press the button again.`),
      );
      return {};
    },

    /** The vote job: count it, update the card, resume the run; tell the voter when it did not count. */
    async countVote(vote: VoteJobPayload): Promise<void> {
      if (vote.choice === 'helpful' || vote.choice === 'not_helpful') {
        await deps.db.query(
          `INSERT INTO answer_feedback (run_id, user_id, helpful, at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (run_id, user_id) DO UPDATE SET helpful = EXCLUDED.helpful, at = EXCLUDED.at`,
          [vote.value.slice(0, 64), vote.actor.userId, vote.choice === 'helpful', now()],
        );
        await tellVoter(vote, 'Thanks: your feedback is recorded.');
        return;
      }
      const notice = await count(vote, vote.choice);
      if (notice) await tellVoter(vote, notice);
    },

    /** A vote job given up after every attempt. */
    async voteGaveUp(vote: VoteJobPayload): Promise<void> {
      await tellVoter(
        vote,
        'Your vote could not be counted because of an internal error; please press the button again.',
      );
    },

    /** The console for App Home; the viewer is remembered so later changes are published to them. */
    async consoleView(actor: { teamId: string; userId: string }): Promise<ConsoleSnapshot> {
      const view = await readConsole();
      await deps.db.query(
        `INSERT INTO home_viewers (user_id, team_id, opened_at, view_digest) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id) DO UPDATE
           SET team_id = EXCLUDED.team_id, opened_at = EXCLUDED.opened_at, view_digest = EXCLUDED.view_digest`,
        [actor.userId, actor.teamId, now(), consoleDigest(view)],
      );
      return view;
    },

    /**
     * Publishes the console again to everyone who opened it lately, if it changed since they last
     * got it. The digest claim makes one replica publish each change; a failed publish is retried
     * at the next refresh. Returns the users it published to.
     */
    async refreshHomes(): Promise<string[]> {
      const view = await readConsole();
      const digest = consoleDigest(view);
      const claimed = await deps.db.query<{ user_id: string }>(
        `UPDATE home_viewers SET view_digest = $1
          WHERE opened_at > $2 AND view_digest IS DISTINCT FROM $1
          RETURNING user_id`,
        [digest, new Date(now().getTime() - HOME_VIEWER_DAYS * 86_400_000)],
      );
      const published: string[] = [];
      for (const { user_id: userId } of claimed.rows) {
        try {
          await deps.slack.publishView({ user_id: userId, view: deps.render.home(view) });
          published.push(userId);
        } catch (error) {
          deps.logger.warn({ err: error, userId }, 'could not refresh the App Home console; retrying later');
          await deps.db.query('UPDATE home_viewers SET view_digest = NULL WHERE user_id = $1', [userId]);
        }
      }
      return published;
    },
  };
  return api;

  /**
   * After a pause or resume: pending approval cards say whether they are paused, and open App
   * Home consoles show it. Not awaited by the command (its reply must not wait on Slack).
   */
  function afterPauseChange(): void {
    void (async () => {
      const pending = await deps.db.query<{ id: string }>(
        "SELECT id FROM approvals WHERE status = 'pending' ORDER BY created_at LIMIT 200",
      );
      for (const { id } of pending.rows) await refreshCard(id);
      await api.refreshHomes();
    })().catch((error: unknown) =>
      deps.logger.error({ err: error }, 'could not refresh approval cards and consoles after a pause change'),
    );
  }

  async function cardLink(approvalId: string, channel: string, ts: string): Promise<string | undefined> {
    const known = cardLinks.get(approvalId);
    if (known) return known;
    try {
      const link = await deps.slack.getPermalink({ channel, message_ts: ts });
      if (cardLinks.size > 1_000) cardLinks.clear();
      cardLinks.set(approvalId, link);
      return link;
    } catch (error) {
      deps.logger.warn({ err: error, approvalId }, 'no permalink for an approval card');
      return undefined;
    }
  }

  async function readConsole(): Promise<ConsoleSnapshot> {
    const [pauses, stats, pending] = await Promise.all([
      listActivePauses(deps.db),
      getRunStats(deps.db, { ...today(now()), errorLimit: 10 }),
      deps.db.query<{
        id: string;
        action: string;
        requester: string;
        expires_at: Date;
        channel_id: string | null;
        slack_ts: string | null;
      }>(
        `SELECT a.id, a.action, a.requester, a.expires_at, o.channel_id, o.slack_ts
           FROM approvals a
           LEFT JOIN outbox_messages o ON o.key = a.run_id || ':approval-card' AND o.state = 'sent'
          WHERE a.status = 'pending'
          ORDER BY a.expires_at LIMIT 20`,
      ),
    ]);
    const modes = deps.modes();
    return {
      pauses: pauses.map((p) => ({
        scope: p.scopeKind === 'global' ? 'everything' : `${p.scopeKind} ${p.scopeValue}`,
        reason: p.reason,
        by: p.pausedBy,
        since: p.pausedAt,
      })),
      retrievalMode: modes.retrievalMode,
      modelMode: modes.modelMode,
      today: {
        runs: stats.total,
        succeeded: stats.succeeded,
        failed: stats.failed,
        p50Ms: stats.latencyMs.p50 ?? undefined,
        p95Ms: stats.latencyMs.p95 ?? undefined,
        spendUsd: stats.costUsd,
        ceilingUsd: modes.dayCeilingUsd,
      },
      pendingApprovals: await Promise.all(
        pending.rows.map(async (r) => {
          const link =
            r.channel_id && r.slack_ts ? await cardLink(r.id, r.channel_id, r.slack_ts) : undefined;
          return {
            approvalId: r.id,
            action: r.action,
            requester: r.requester,
            expiresAt: r.expires_at,
            ...(link ? { link } : {}),
          };
        }),
      ),
      deadLetterDepth: stats.deadLetteredRuns,
      lastErrors: stats.lastErrors.map((e) => ({
        runId: e.runId,
        at: e.at,
        message: e.message ?? e.code ?? e.state,
      })),
      generatedAt: now(),
    };
  }

  async function count(vote: VoteJobPayload, choice: 'approve' | 'reject'): Promise<string | undefined> {
    const button = decodeApprovalButtonValue(vote.value);
    if (!button) {
      await recordUnreadableVote(deps.db, {
        voter: vote.actor.userId,
        choice,
        value: vote.value,
      });
      return 'That button was not one Sluice made; nothing was done.';
    }
    const result = await castVote(
      deps.db,
      {
        approvalId: button.approvalId,
        voter: vote.actor.userId,
        choice,
        payloadHash: button.payloadHash,
        ...(vote.reason ? { reason: vote.reason } : {}),
      },
      { resolveGroups: deps.groupsOf, now: now() },
    );
    let approval = result.approval;
    let outcome: string | undefined = result.verdict.ok ? result.verdict.outcome : undefined;
    if (!result.verdict.ok || !approval) {
      // A retried job finds its own vote already stored: it counted, so finish what follows it.
      if (!(await sameVoteStored(vote, button.approvalId))) {
        return `Your vote was not counted: ${result.verdict.ok ? 'unknown approval' : result.verdict.reason}.`;
      }
      approval = await getApproval(deps.db, button.approvalId);
      if (!approval) return undefined;
      outcome = approval.status;
    }
    await refreshCard(approval.id);
    if (approval.runId && (outcome === 'approved' || outcome === 'rejected')) {
      const choice = outcome === 'approved' ? 'approve' : 'reject';
      const by = approval.votes.filter((v) => v.choice === choice).map((v) => v.voter);
      await deps.processor.resolveApproval(
        approval.runId,
        outcome === 'approved'
          ? { outcome: 'approved', by, approvalId: approval.id }
          : {
              outcome: 'rejected',
              by,
              approvalId: approval.id,
              ...(vote.reason ? { reason: vote.reason } : {}),
            },
      );
    }
    return undefined;
  }

  async function sameVoteStored(vote: VoteJobPayload, approvalId: string): Promise<boolean> {
    const stored = await deps.db.query<{ choice: string }>(
      'SELECT choice FROM approval_votes WHERE approval_id = $1 AND voter = $2',
      [approvalId, vote.actor.userId],
    );
    return stored.rows[0]?.choice === vote.choice;
  }

  /** Tells the person when the database refuses a request that was acknowledged from the journal. */
  function whenRefused(recorded: Promise<unknown>, key: string, tell: (text: string) => Promise<void>): void {
    recorded.catch(async (error: unknown) => {
      deps.logger.error(
        { err: error, key },
        'a request acknowledged from the inbox journal could not be stored',
      );
      await tell(NOT_STORED).catch((tellError: unknown) =>
        deps.logger.warn({ err: tellError, key }, 'could not tell the person their request was not stored'),
      );
    });
  }

  /** Only the voter sees why a vote did not count: through the click's response_url, else ephemeral. */
  async function tellVoter(vote: VoteJobPayload, text: string): Promise<void> {
    try {
      if (vote.responseUrl) {
        await deps.slack.postToResponseUrl(vote.responseUrl, {
          response_type: 'ephemeral',
          replace_original: false,
          text,
        });
      } else if (vote.actor.channelId) {
        await deps.slack.postEphemeral({ channel: vote.actor.channelId, user: vote.actor.userId, text });
      }
    } catch (error) {
      deps.logger.warn(
        { err: error, voter: vote.actor.userId },
        'could not tell the voter why the vote did not count',
      );
    }
  }

  /** Updates the approval card in place through the outbox, from the stored approval. */
  async function refreshCard(approvalId: string): Promise<void> {
    const approval = await getApproval(deps.db, approvalId);
    if (!approval?.runId) return;
    const pauses = await listActivePauses(deps.db);
    const blocking = pauses.find(
      (p) =>
        p.scopeKind === 'global' ||
        (p.scopeKind === 'channel' && p.scopeValue === approval.channel) ||
        (p.scopeKind === 'action' && p.scopeValue === approval.action),
    );
    const risk = deps.registry.get(approval.action)?.risk ?? 'high';
    const card = deps.render.approvalCard(approvalCardView(approval, risk, blocking?.reason));
    // One statement, atomic on its own: no transaction to hold the embedded session across.
    await enqueueOutbox(deps.db, {
      operation: 'update',
      key: `${approval.runId}:approval-card:update:${randomUUID()}`,
      targetKey: `${approval.runId}:approval-card`,
      runId: approval.runId,
      channelId: approval.channel,
      text: card.text,
      ...(card.blocks ? { blocks: card.blocks } : {}),
    });
  }
}

export type SlackCore = ReturnType<typeof createSlackCore>;
