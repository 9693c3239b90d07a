import { createRetrieval } from '../../retrieval/create-retrieval.ts';
import { createActionRegistry } from '../actions/action-registry.ts';
import { createBuiltinActions } from '../actions/create-builtin-actions.ts';
import { loadCustomActions } from '../actions/load-custom-actions.ts';
import { createPauseGuard } from '../actions/pause-guard.ts';
import { createPostgresEffectLedger } from '../actions/postgres-effect-ledger.ts';
import { readEndpointsFile } from '../actions/read-config-files.ts';
import { approvalCardView } from '../agent/approval-card-view.ts';
import { loadThreadContext } from '../agent/load-thread-context.ts';
import { createPipelineSteps } from '../agent/pipeline-steps.ts';
import type { ReplyRenderers } from '../agent/reply-renderers.ts';
import { expireWaitingRun } from '../agent/resolve-approval.ts';
import { runDeliveryHooks } from '../agent/run-delivery-hooks.ts';
import { createRunProcessor } from '../agent/run-processor.ts';
import {
  defineRunJobs,
  runEnqueuer,
  runJobSpec,
  startRunWorker,
  startStalledRunSweeper,
} from '../agent/run-worker.ts';
import { createSlackCore } from '../agent/slack-core.ts';
import { defineVoteJobs, startVoteWorker, VOTE_JOB_KIND, voteJobSpec } from '../agent/vote-jobs.ts';
import { startApprovalSweeper } from '../approvals/start-approval-sweeper.ts';
import { createAuditLog } from '../audit/audit-log.ts';
import type { Config } from '../config.ts';
import { createKillSwitch } from '../control/kill-switch.ts';
import type { Capabilities } from '../db/capabilities.ts';
import type { Database } from '../db/database.ts';
import { createDigestService } from '../digest/digest-service.ts';
import { startDigestTicker } from '../digest/digest-ticker.ts';
import { createInbox } from '../inbox/create-inbox.ts';
import {
  type InboxJournal,
  inboxJournalDir,
  inspectInboxJournal,
  openInboxJournal,
} from '../inbox/inbox-journal.ts';
import {
  inspectServerInboxJournal,
  openServerInboxJournal,
  serverInboxJournalRoot,
} from '../inbox/server-inbox-journal.ts';
import { startCronTicker } from '../jobs/cron-ticker.ts';
import { createJobQueue } from '../jobs/job-queue.ts';
import { createModelGatewayFromConfig } from '../llm/create-model-gateway-from-config.ts';
import type { Logger } from '../logger.ts';
import { createOutboxSender } from '../outbox/outbox-sender.ts';
import { postMessageOnce } from '../outbox/post-message-once.ts';
import { createGroupResolver } from '../slack/user-groups.ts';
import type { SlackWebApiClient } from '../slack/web-api-client.ts';
import { loadPolicy } from './load-policy.ts';
import { slackWriterFrom } from './slack-writer.ts';

/**
 * Everything below the Slack transport, wired: audit, kill switch, queue and run workers,
 * retrieval, the model gateway, actions and policy, the outbox sender, and the use cases the
 * Slack handlers call. Returned with one `stop` that shuts it down in reverse order.
 */
export interface CoreDeps {
  config: Config;
  logger: Logger;
  db: Database;
  capabilities: Capabilities;
  slack: SlackWebApiClient;
  render: ReplyRenderers;
  /** Workers and the outbox sender; off for processes that only accept requests. */
  workers?: boolean;
}

export async function startCore(deps: CoreDeps) {
  const { config, logger, db } = deps;
  const stops: (() => Promise<void> | void)[] = [];
  const audit = createAuditLog(db);
  const killSwitch = createKillSwitch(db, audit);
  const queue = await createJobQueue(db, logger, {
    schedule: deps.workers !== false,
    supervise: deps.workers !== false,
  });
  stops.push(() => queue.stop({ timeoutMs: 5_000 }));
  await defineRunJobs(queue);
  await defineVoteJobs(queue);
  const retrieval = await createRetrieval({
    db,
    config: config.retrieval,
    capabilities: deps.capabilities,
    logger,
  });
  if (retrieval.vectorNotice) logger.warn({ notice: retrieval.vectorNotice }, 'retrieval: vector leg off');
  const writer = slackWriterFrom(deps.slack);
  // Operators hear about dead letters and model-output failures here.
  const opsChannel = config.durable.alertChannelId ?? config.actions.postChannels[0];
  const gateway = createModelGatewayFromConfig(config, {
    db,
    logger,
    notifyOps: async (text) => {
      if (opsChannel) await deps.slack.postMessage({ channel: opsChannel, text }).catch(() => {});
      else logger.error({ text }, 'ops notice (set SLUICE_ALERT_CHANNEL to receive these in Slack)');
    },
  });
  const endpoints = config.actions.endpointsFile
    ? readEndpointsFile(config.actions.endpointsFile, config.actions.secrets)
    : [];
  const custom = config.actions.customDir
    ? await loadCustomActions(config.actions.customDir, { secrets: config.actions.secrets })
    : [];
  const registry = createActionRegistry([
    ...createBuiltinActions({
      slack: {
        allowedChannels: config.actions.postChannels,
        poster: {
          async postMessage(m) {
            const posted = await postMessageOnce(writer, {
              key: m.idempotencyKey,
              channelId: m.channel,
              threadTs: m.threadTs ?? null,
              text: m.text,
              since: new Date(Date.now() - 24 * 3600_000),
              firstAttempt: m.attempt === 1,
            });
            return { channel: m.channel, ts: posted.ts };
          },
        },
      },
      http: { endpoints },
    }),
    ...custom,
  ]);
  const policy = loadPolicy(config.policyFile, logger);
  const groupsOf = createGroupResolver(deps.slack);
  const enqueueRun = runEnqueuer(queue);
  const processor = createRunProcessor({
    db,
    audit,
    logger,
    enqueueRun,
    wakeRuns: () => queue.wake('run'),
    alertChannelId: opsChannel ?? null,
    steps: createPipelineSteps({
      db,
      search: retrieval,
      gateway,
      registry,
      policy: () => policy,
      ledger: createPostgresEffectLedger(db),
      beforeEffect: createPauseGuard(db),
      groupsOf,
      render: deps.render,
      threadOf: (run) => loadThreadContext({ db, slack: deps.slack, logger }, run),
    }),
  });
  // Slack is acked once a request is in the inbox journal (one file write), not once it is through
  // the database; what an earlier process left there is stored first.
  const inbox = createInbox({
    db,
    queue,
    runJob: runJobSpec,
    afterCommit: () => queue.wake('run'),
    logger,
    ...openJournal(config, db),
  });
  const recovered = await inbox.recover();
  if (recovered.stored + recovered.alreadyStored + recovered.refused > 0) {
    logger.info(recovered, 'stored the requests an earlier process left in the inbox journal');
  }
  stops.push(() => inbox.stop());
  const digests = createDigestService({
    db,
    render: deps.render.digest,
    clock: () => new Date(),
    config,
    audit,
  });
  const core = createSlackCore({
    db,
    inbox,
    killSwitch,
    processor,
    registry,
    render: deps.render,
    groupsOf,
    operators: config.durable.operators,
    digests,
    votes: { job: voteJobSpec, wake: () => queue.wake(VOTE_JOB_KIND) },
    slack: deps.slack,
    modes: () => ({
      retrievalMode: deps.capabilities.retrievalMode,
      modelMode: config.anthropic.apiKey || config.llm.openaiCompat.baseUrl ? 'model' : 'no-model',
      dayCeilingUsd: config.llm.budgets.dayUsd,
    }),
    logger,
  });
  if (deps.workers !== false) {
    await startVoteWorker({
      queue,
      countVote: (vote) => core.countVote(vote),
      gaveUp: (vote) => core.voteGaveUp(vote),
    });
    // Open App Home consoles follow changes (runs, approvals, pauses) within about 15 s.
    const homes = startCronTicker('*/15 * * * * *', 'sluice-home-refresh', async () => {
      await core
        .refreshHomes()
        .catch((error: unknown) => logger.error({ err: error }, 'App Home refresh failed'));
    });
    stops.push(() => homes.stop());
    if (config.digest.schedules.length > 0) {
      const ticker = startDigestTicker(digests, logger);
      stops.push(() => ticker.stop());
    }
    await startRunWorker({ queue, processor, concurrency: config.durable.runConcurrency });
    const sweeper = startStalledRunSweeper({ db, queue, logger });
    stops.push(() => sweeper.stop());
    const approvalSweeper = startApprovalSweeper({
      db,
      audit,
      logger,
      renderCard: (a) =>
        deps.render.approvalCard(approvalCardView(a, registry.get(a.action)?.risk ?? 'high')),
      endRun: (tx, a, threadTs) => expireWaitingRun(tx, audit, a.runId, { approvalId: a.id, threadTs }),
      listGroups: () => deps.slack.usergroupsList(),
    });
    stops.push(() => approvalSweeper.stop());
    const outbox = createOutboxSender({ db, slack: writer, logger, hooks: runDeliveryHooks(audit) });
    outbox.start();
    stops.push(() => outbox.stop());
  }
  if (config.durable.operators.length === 0) {
    logger.warn('SLUICE_OPERATORS is not set: anyone in the workspace may /agent pause and resume');
  }
  return {
    core,
    digests,
    retrieval,
    registry,
    async stop() {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

/**
 * The inbox journal (SLUICE_INBOX_JOURNAL, on by default): beside the embedded database's
 * `pgdata`, or a folder of this process's own under the data directory for a Postgres server.
 * When it is off Slack is acknowledged once each request is in the database, and a journal is
 * opened only to store what an earlier process left in one.
 */
function openJournal(config: Config, db: Database): { journal?: InboxJournal; ackFromJournal: boolean } {
  const on = config.durable.inboxJournal;
  if (db.kind === 'embedded') {
    const dir = inboxJournalDir(db);
    if (!on && (!dir || inspectInboxJournal(dir).waiting === 0)) return { ackFromJournal: false };
    return { journal: openInboxJournal(dir), ackFromJournal: on };
  }
  const root = serverInboxJournalRoot(config.database.dataDir, db.location);
  if (!on && inspectServerInboxJournal(root).waiting === 0) return { ackFromJournal: false };
  return { journal: openServerInboxJournal(root), ackFromJournal: on };
}
