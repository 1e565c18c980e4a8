-- The hash chain: every event stores SHA-256(previous hash ‖ its own content),
-- computed by the writer under the write lock (engine/store/src/chain.rs), so
-- that changing, removing, inserting or moving any event is evident.
--
-- hash: 32 bytes; NULL only for events written before this migration, which
--       predate the chain. 'chain_from' records where the chain begins: every
--       event from that position on must carry a hash.
ALTER TABLE events ADD COLUMN hash BLOB CHECK (hash IS NULL OR length(hash) = 32);

INSERT INTO store_info (key, value)
SELECT 'chain_from', CAST(COALESCE(MAX(position), 0) + 1 AS TEXT) FROM events;
