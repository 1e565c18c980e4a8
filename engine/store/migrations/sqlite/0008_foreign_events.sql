-- Events from outside: what an event store client (over gRPC) sends besides
-- Kroonika's envelope, kept byte for byte. Kroonika's own events leave all three
-- NULL, so their rows and hashes are what they were.
--
-- content_type:    'application/json' or 'application/octet-stream', as the
--                  writer declared it; NULL for Kroonika's own events.
-- binary_data:     the data, when it is not JSON text kept in `data` (which is
--                  then 'null'): binary content, or bytes that claim to be JSON
--                  and do not parse.
-- custom_metadata: the writer's own metadata bytes (NULL when none were sent
--                  by a Kroonika event; empty bytes are kept as sent).
ALTER TABLE events ADD COLUMN content_type TEXT
    CHECK (content_type IS NULL OR content_type IN ('application/json', 'application/octet-stream'));
ALTER TABLE events ADD COLUMN binary_data BLOB CHECK (binary_data IS NULL OR content_type IS NOT NULL);
ALTER TABLE events ADD COLUMN custom_metadata BLOB
    CHECK ((custom_metadata IS NULL) = (content_type IS NULL));
