-- Events from outside: what an event store client (over gRPC) sends besides
-- Kroonika's envelope, kept byte for byte. Kroonika's own events leave all three
-- NULL, so their rows and hashes are what they were (see the SQLite migration
-- of the same number for each column).
ALTER TABLE events ADD COLUMN content_type text
    CHECK (content_type IS NULL OR content_type IN ('application/json', 'application/octet-stream'));
ALTER TABLE events ADD COLUMN binary_data bytea CHECK (binary_data IS NULL OR content_type IS NOT NULL);
ALTER TABLE events ADD COLUMN custom_metadata bytea
    CHECK ((custom_metadata IS NULL) = (content_type IS NULL));
