-- Where the pg_textsearch extension is installed (embedded PGlite always has it), a bm25 index on
-- each chunk's search text proposes BM25 candidates in a couple of milliseconds; the exact scores
-- still come from kb_postings and kb_terms, and the ranking is used only when it is provably the
-- exact one (retrieval/lexical/search-bm25-indexed.ts). Everywhere else the portable SQL ranks.

-- search_text: the text a chunk is indexed under (retrieval/lexical/bm25-sql.ts chunkSearchText),
-- its document's title and heading path, then its content: the text its postings were made of.
-- term_counts: how often each of `terms` occurs in it (the postings' tf, in the same order), so
-- that a proposed chunk's exact score is read from its own row instead of one probe per term.
ALTER TABLE kb_chunks ADD COLUMN search_text text, ADD COLUMN term_counts real[];
UPDATE kb_chunks c
   SET search_text = array_to_string(array(
         SELECT part FROM unnest(
           CASE WHEN c.heading_path[1] = d.title THEN c.heading_path ELSE d.title || c.heading_path END
           || c.content) AS part
          WHERE part <> ''), E'\n'),
       term_counts = array(SELECT p.tf FROM unnest(c.terms) WITH ORDINALITY AS t(term, n)
                             JOIN kb_postings p ON p.term = t.term AND p.chunk_id = c.id ORDER BY t.n)
  FROM kb_documents d
 WHERE d.id = c.document_id;
ALTER TABLE kb_chunks ALTER COLUMN search_text SET NOT NULL,
                      ALTER COLUMN term_counts SET NOT NULL,
                      ADD CHECK (cardinality(term_counts) = cardinality(terms));

-- A chunk row is written once and deleted, never updated: the candidate bound counts the bm25
-- index's entries by the chunk ids ever issued, and an updated row would add an entry without one.
CREATE FUNCTION kb_chunks_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'kb_chunks rows are never updated: delete the document and store it again';
END
$$;
CREATE TRIGGER kb_chunks_are_immutable BEFORE UPDATE ON kb_chunks
  FOR EACH STATEMENT EXECUTE FUNCTION kb_chunks_are_immutable();

-- k1 and b are the defaults (DEFAULT_BM25_PARAMS); other settings rank with the portable SQL.
-- restoreBm25Index (retrieval/lexical/search-bm25-indexed.ts) builds this same index after bulk loads.
-- A server that lists the extension but cannot load it (not in shared_preload_libraries, say)
-- keeps the portable SQL: the block's own savepoint undoes the attempt.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_textsearch') THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS pg_textsearch;
      CREATE INDEX kb_chunks_bm25 ON kb_chunks USING bm25 (search_text)
        WITH (text_config = 'english', k1 = 0.9, b = 0.4);
    EXCEPTION WHEN OTHERS THEN
      RAISE NOTICE 'pg_textsearch is listed but could not be used (%): BM25 ranks with the portable SQL', SQLERRM;
    END;
  END IF;
END
$$;
