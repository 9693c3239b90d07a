-- Which embedding model made the stored vectors. The vectors themselves live in kb_embeddings,
-- created at run time (only where pgvector is installed) with this row's dimension, because a
-- vector column and its HNSW index need a fixed dimension that depends on the configured model.
CREATE TABLE kb_embedding_space (
  id         integer PRIMARY KEY CHECK (id = 1),
  provider   text NOT NULL,
  model      text NOT NULL,
  dimension  integer NOT NULL CHECK (dimension > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
