-- pgvector powers the vector leg of retrieval. Where it is not installed on the server, or the
-- role may not create extensions, Sluice runs in keyword-only mode instead of failing.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS vector;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'pgvector is available but this role cannot create it: keyword-only retrieval';
    END;
  END IF;
END
$$;
