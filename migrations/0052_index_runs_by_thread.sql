-- Runs by the Slack thread they were asked in: whether an assistant-thread message is the
-- thread's first request (its title is set from it) is answered before Slack's ack.
CREATE INDEX runs_by_thread ON runs (channel_id, thread_ts) WHERE thread_ts IS NOT NULL;
