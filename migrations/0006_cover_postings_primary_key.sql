-- BM25 reads whole posting lists. With tf and chunk_length stored in the primary key's leaf pages
-- those reads are index-only scans: no heap page per posting (postings of one term are scattered
-- over the heap in ingest order, so each posting cost a page visit). Index-only scans need the
-- visibility map, which autovacuum keeps on a server; embedded PGlite has no autovacuum, so ingest
-- vacuums kb_postings itself (retrieval/ingest/store-document.ts). Measured at 100k chunks on
-- PGlite (docs/benchmarks.md): BM25 top 10 p50 and p95 both about 2.5x faster.
ALTER TABLE kb_postings DROP CONSTRAINT kb_postings_pkey;
ALTER TABLE kb_postings ADD PRIMARY KEY (term, chunk_id) INCLUDE (tf, chunk_length);
