-- Projections: documents folded from the log, and how far each projection has
-- read. A batch's documents and its new checkpoint are written in one
-- transaction, and the checkpoint only moves from the position the batch was
-- read from (compare-and-set), so after a crash a projection resumes exactly
-- where it stopped and two runners can never apply the same batch twice.
CREATE TABLE projection_checkpoints (
    name       TEXT    PRIMARY KEY,
    position   INTEGER NOT NULL CHECK (position >= 0),
    error      TEXT,
    updated_at INTEGER NOT NULL
) STRICT;

-- One JSON document per key per projection (a case's row in the case list…).
-- A rebuild writes under '<name>#rebuild' and is swapped in by one transaction.
CREATE TABLE projection_docs (
    projection TEXT NOT NULL,
    key        TEXT NOT NULL,
    doc        TEXT NOT NULL CHECK (json_valid(doc)),
    PRIMARY KEY (projection, key)
) STRICT;
