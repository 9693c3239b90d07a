-- The exact scores of the candidates pg_textsearch proposes (retrieval/lexical/search-bm25-indexed.ts),
-- computed by two functions instead of common table expressions in the proposal statement: that
-- statement is planned for every query (pg_textsearch needs the query text at planning to stop
-- its scan at the LIMIT), and planning the CTEs and their subqueries cost about 0.5 ms of a 4 ms
-- query at 100,000 chunks. PL/pgSQL plans the statements inside once per session. Both exist on
-- every database; only the proposal calls them, and it runs where the extension is installed.

-- The query's terms with their IDF from the exact statistics, the length terms of BM25's
-- denominator, and the proof's facts: [R, ids issued, 1 if the statistics are folded, 1 if the
-- proposal query kept every term]. STABLE: it reads the calling statement's snapshot, the one the
-- index's candidates come from.
CREATE FUNCTION kb_bm25_query_terms(
  query text, proposal_query text, check_covered boolean, k1 float8, b float8,
  index_documents float8, index_issued float8,
  OUT terms text[], OUT idf float8[], OUT len_fixed float8, OUT len_per_word float8, OUT stats float8[]
) LANGUAGE plpgsql STABLE AS $$
DECLARE
  n float8;
  avg_length float8;
  issued float8;
  gone float8;
  folded boolean;
  idf_ratio float8;
BEGIN
  SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END::float8 INTO issued FROM kb_chunks_id_seq;
  SELECT k.chunk_count::float8, k.total_length::float8 / greatest(k.chunk_count, 1),
         coalesce((SELECT max(x.id) FROM kb_chunks x), 0) <= k.folded_chunk_id
    INTO n, avg_length, folded
    FROM kb_corpus k WHERE k.id = 1;
  -- D: index entries that may belong to deleted chunks (the module comment of search-bm25-indexed.ts).
  gone := greatest(index_documents + issued - index_issued - n, 0::float8);
  SELECT array_agg(t.term ORDER BY u.ord),
         array_agg(ln(1::float8 + (n - t.df + 0.5::float8) / (t.df + 0.5::float8)) ORDER BY u.ord),
         max(ln(1::float8 + (n - t.df + 0.5::float8) / (t.df + 0.5::float8))
             / ln(1::float8 + (n - t.df + 0.5::float8) / (t.df + gone + 0.5::float8)))
    INTO terms, idf, idf_ratio
    FROM unnest(tsvector_to_array(to_tsvector('english', query))) WITH ORDINALITY AS u(term, ord)
    JOIN kb_terms t ON t.term = u.term;
  len_fixed := k1 * (1::float8 - b);
  len_per_word := k1 * b / avg_length;
  stats := ARRAY[
    (n + gone) / n * idf_ratio,
    issued,
    CASE WHEN folded THEN 1 ELSE 0 END,
    CASE WHEN NOT check_covered
           OR tsvector_to_array(to_tsvector('english', proposal_query)) @> terms THEN 1 ELSE 0 END
  ];
END
$$;

-- One chunk's BM25 sum before the (k1 + 1) factor: per query term, its count tf in the chunk's own
-- arrays (the numbers its postings hold) and idf * tf / (tf + len), written 1 - len / (tf + len).
CREATE FUNCTION kb_bm25_chunk_score(chunk_terms text[], chunk_counts real[], len float8, terms text[], idf float8[])
RETURNS float8 LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  total float8 := 0;
  tf real;
BEGIN
  FOR i IN 1 .. coalesce(cardinality(terms), 0) LOOP
    tf := chunk_counts[array_position(chunk_terms, terms[i])];
    IF tf IS NOT NULL THEN
      total := total + idf[i] * (1::float8 - len / (tf + len));
    END IF;
  END LOOP;
  RETURN total;
END
$$;
