/**
 * One "app process" for the inbox race test: opens the server database and the inbox, waits for
 * "go" on stdin, then records the same Slack event N times at once and prints the results.
 */

import { defineRunJobs, runJobSpec } from '../../../src/agent/run-worker.ts';
import { openServerDatabase } from '../../../src/db/pg-database.ts';
import { createInbox } from '../../../src/inbox/create-inbox.ts';
import { requestKey } from '../../../src/inbox/request-key.ts';
import { createJobQueue } from '../../../src/jobs/job-queue.ts';
import { createTestLogger } from '../../support/test-logger.ts';

const db = await openServerDatabase({ url: process.env.INBOX_DATABASE_URL!, max: 10 });
const queue = await createJobQueue(db, createTestLogger(), { schedule: false, supervise: false });
await defineRunJobs(queue, { keepExisting: true });
const inbox = createInbox({ db, queue, runJob: runJobSpec });
const eventId = process.env.INBOX_EVENT_ID!;
const times = Number(process.env.INBOX_TIMES ?? 10);
process.stdout.write('ready\n');
process.stdin.once('data', async () => {
  const results = await Promise.all(
    Array.from({ length: times }, (_, i) =>
      inbox.accept({
        key: requestKey({ kind: 'event', eventId }),
        kind: 'event',
        // Slack's retries carry X-Slack-Retry-Num; they are stored like any delivery, never dropped.
        payload: { event_id: eventId, retry_num: i },
        receivedAt: new Date(),
        run: {
          channelId: process.env.INBOX_CHANNEL!,
          userId: 'U0RACE0001',
          text: 'restart the payments worker',
        },
      }),
    ),
  );
  process.stdout.write(`${JSON.stringify(results)}\n`);
  await queue.stop();
  await db.close();
  process.exit(0);
});
