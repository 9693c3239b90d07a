-- The knowledge base: ingested documents split into chunks. A chunk is the unit of retrieval and
-- the "document" of BM25. Re-ingesting a file replaces its rows in one transaction.
CREATE TABLE kb_documents (
  id           bigserial PRIMARY KEY,
  -- Absolute path (or URI) the document was read from; one row per source.
  source       text NOT NULL UNIQUE,
  title        text NOT NULL,
  link         text,
  format       text NOT NULL CHECK (format IN ('markdown', 'text', 'html', 'pdf', 'other')),
  -- sha256 of the file's bytes plus the chunking settings: equal hash, nothing to redo.
  content_hash text NOT NULL,
  byte_size    bigint NOT NULL,
  chunk_count  integer NOT NULL,
  ingested_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE kb_chunks (
  id             bigserial PRIMARY KEY,
  document_id    bigint NOT NULL REFERENCES kb_documents (id) ON DELETE CASCADE,
  ordinal        integer NOT NULL,
  heading_path   text[] NOT NULL DEFAULT '{}',
  content        text NOT NULL,
  -- Character offsets of `content` in the document's extracted text (end exclusive).
  start_offset   integer NOT NULL,
  end_offset     integer NOT NULL,
  start_line     integer NOT NULL,
  -- Number of indexed tokens (after stemming and stop words): BM25's document length.
  lexical_length integer NOT NULL,
  -- The chunk's distinct terms, so that deleting it finds its postings through the primary key.
  terms          text[] NOT NULL,
  UNIQUE (document_id, ordinal),
  CHECK (end_offset >= start_offset)
);

-- Inverted index for BM25: one row per (term, chunk). The chunk's length is copied here so that
-- scoring a posting list never joins back to kb_chunks. Ingest speed is dominated by these rows,
-- so the table has no foreign key and no second index (each cost about a third of the ingest
-- rate): the kb_chunks delete trigger below removes a chunk's postings through the primary key.
-- tf and chunk_length are whole numbers stored as float4 so that scoring, which runs once per
-- posting, mixes them with float8 without a cast call per value (float4 holds integers exactly
-- up to 16,777,216).
CREATE TABLE kb_postings (
  term         text NOT NULL,
  chunk_id     bigint NOT NULL,
  tf           real NOT NULL CHECK (tf > 0),
  chunk_length real NOT NULL,
  PRIMARY KEY (term, chunk_id)
);

-- Document frequency per term. Keeping it with one UPDATE per term per ingested chunk made the
-- upsert the largest cost of ingest, so it is folded in batches instead, like a small LSM tree:
-- kb_terms.df counts the postings of chunks up to kb_corpus.folded_chunk_id (minus deletions
-- since), and readers add the postings of newer chunks, which the primary key finds as one
-- short range per term. The exact df at any commit is therefore
--   kb_terms.df + count(kb_postings where term = t and chunk_id > folded_chunk_id).
-- kb_fold_term_stats() moves the newer chunks into kb_terms; ingest calls it as it goes.
CREATE TABLE kb_terms (
  term text PRIMARY KEY,
  df   integer NOT NULL
) WITH (fillfactor = 70);

-- Corpus size and total length (for the average chunk length), one row.
CREATE TABLE kb_corpus (
  id              integer PRIMARY KEY CHECK (id = 1),
  chunk_count     bigint NOT NULL,
  total_length    bigint NOT NULL,
  folded_chunk_id bigint NOT NULL
);
INSERT INTO kb_corpus (id, chunk_count, total_length, folded_chunk_id) VALUES (1, 0, 0, 0);

-- Writers of kb_chunks take this advisory lock shared and the fold takes it exclusively, so the
-- fold never races a transaction that holds chunk ids it cannot see yet. 7406215903 is an
-- arbitrary constant naming the lock.
CREATE FUNCTION kb_fold_term_stats() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  watermark bigint;
  newest bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(7406215903);
  SELECT folded_chunk_id INTO watermark FROM kb_corpus WHERE id = 1 FOR UPDATE;
  SELECT coalesce(max(id), watermark) INTO newest FROM kb_chunks;
  IF newest <= watermark THEN
    RETURN 0;
  END IF;
  INSERT INTO kb_terms AS t (term, df)
  SELECT x.term, count(*) FROM kb_chunks c CROSS JOIN LATERAL unnest(c.terms) AS x(term)
   WHERE c.id > watermark AND c.id <= newest
   GROUP BY x.term ORDER BY x.term
  ON CONFLICT (term) DO UPDATE SET df = t.df + excluded.df;
  UPDATE kb_corpus SET folded_chunk_id = newest WHERE id = 1;
  RETURN newest - watermark;
END
$$;

-- Statement-level triggers with transition tables: one aggregate update per statement.
CREATE FUNCTION kb_chunks_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE kb_corpus SET chunk_count = chunk_count + s.n, total_length = total_length + s.len
  FROM (SELECT count(*) AS n, coalesce(sum(lexical_length), 0) AS len FROM added) AS s
  WHERE id = 1;
  RETURN NULL;
END
$$;

-- A removed chunk takes its postings with it; if it was already folded into kb_terms, its terms'
-- df go down there too (newer chunks were never counted in kb_terms).
CREATE FUNCTION kb_chunks_removed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  watermark bigint;
BEGIN
  SELECT folded_chunk_id INTO watermark FROM kb_corpus WHERE id = 1;
  DELETE FROM kb_postings AS p
   USING (SELECT r.id, unnest(r.terms) AS term FROM removed r) AS x
   WHERE p.term = x.term AND p.chunk_id = x.id;
  UPDATE kb_terms AS t SET df = t.df - d.n
    FROM (SELECT x.term, count(*) AS n FROM removed r CROSS JOIN LATERAL unnest(r.terms) AS x(term)
           WHERE r.id <= watermark GROUP BY x.term ORDER BY x.term) AS d
   WHERE t.term = d.term;
  DELETE FROM kb_terms AS t USING (SELECT DISTINCT unnest(r.terms) AS term FROM removed r) AS d
   WHERE t.term = d.term AND t.df <= 0;
  UPDATE kb_corpus SET chunk_count = chunk_count - s.n, total_length = total_length - s.len
  FROM (SELECT count(*) AS n, coalesce(sum(lexical_length), 0) AS len FROM removed) AS s
  WHERE id = 1;
  RETURN NULL;
END
$$;

CREATE TRIGGER kb_chunks_added AFTER INSERT ON kb_chunks
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION kb_chunks_added();
CREATE TRIGGER kb_chunks_removed AFTER DELETE ON kb_chunks
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION kb_chunks_removed();
