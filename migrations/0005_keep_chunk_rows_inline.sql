-- A chunk row (about 1,000 characters of text plus its term array) is often just over the
-- default 2 kB TOAST threshold, and Postgres then tries to compress it on every insert. Keeping
-- rows up to a full page inline skips that work: about 3% of the ingest rate on PGlite.
ALTER TABLE kb_chunks SET (toast_tuple_target = 8160);
