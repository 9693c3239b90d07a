-- Who has looked at the App Home console lately, and a digest of the console last published to
-- them. The refresher republishes when the console changes; the conditional UPDATE on the digest
-- makes one replica publish each change.
CREATE TABLE home_viewers (
  user_id     text PRIMARY KEY,
  team_id     text NOT NULL,
  opened_at   timestamptz NOT NULL,
  view_digest text
);
