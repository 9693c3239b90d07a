import type { JobKindOptions, JobQueue, JobSpec } from '../jobs/job-queue.ts';

/**
 * Approve and Reject clicks, and the helpful / not-helpful buttons under an answer, are counted by
 * a job, not while Slack waits for the ack: the click
 * is stored in the inbox with its `vote` job in one statement, the handler acks at once, and a
 * worker counts the vote, updates the card and resumes the run. A crash after the ack loses
 * nothing (the job is in Postgres), and a retried job cannot count a vote twice (one vote per
 * voter per approval, enforced by the approval_votes primary key).
 */

export const VOTE_JOB_KIND = 'vote';

export interface VoteJobPayload {
  /** The inbox key of the click: also the job key, so a vote is queued once. */
  key: string;
  actor: { teamId: string; userId: string; channelId: string };
  /** An approval's vote, or feedback on an answer (its value is the run id). */
  choice: 'approve' | 'reject' | 'helpful' | 'not_helpful';
  value: string;
  reason?: string;
  message?: { channel: string; ts: string };
  /** Where the voter is told when the vote did not count (clicks carry one; modals do not). */
  responseUrl?: string;
}

export async function defineVoteJobs(queue: JobQueue, policy: Omit<JobKindOptions, 'uniqueByKey'> = {}) {
  await queue.define(VOTE_JOB_KIND, {
    uniqueByKey: true,
    maxAttempts: 5,
    baseDelaySeconds: 1,
    maxDelaySeconds: 30,
    leaseSeconds: 60,
    deadlineSeconds: 10 * 60,
    ...policy,
  });
}

/** A vote's job, inserted with the click's inbox row in one statement. */
export function voteJobSpec(vote: VoteJobPayload): JobSpec {
  return { kind: VOTE_JOB_KIND, payload: vote, key: vote.key };
}

export async function startVoteWorker(input: {
  queue: JobQueue;
  countVote: (vote: VoteJobPayload) => Promise<void>;
  /** A vote that could not be counted after every attempt: tell the voter to press again. */
  gaveUp: (vote: VoteJobPayload) => Promise<void>;
  concurrency?: number;
}): Promise<void> {
  await input.queue.work<VoteJobPayload>(VOTE_JOB_KIND, (job) => input.countVote(job.payload), {
    concurrency: input.concurrency ?? 2,
    onDeadLetter: (job) => input.gaveUp(job.payload),
  });
}
