-- The hash chain: every event stores SHA-256(previous hash ‖ its own content),
-- computed by the writer under the append lock (engine/store/src/chain.rs), so
-- that changing, removing, inserting or moving any event is evident. One chain
-- for the whole log: appends already commit one at a time under the advisory
-- lock, so the previous hash is read under it at no extra cost.
--
-- hash: 32 bytes; NULL only for events written before this migration, which
--       predate the chain. 'chain_from' records where the chain begins.
ALTER TABLE events ADD COLUMN hash bytea CHECK (hash IS NULL OR length(hash) = 32);

INSERT INTO store_info (key, value)
SELECT 'chain_from', (COALESCE(MAX(position), 0) + 1)::text FROM events;

-- The first step of every append now also returns the head's hash, read under
-- the same lock (see 0001 for why the reads follow the lock).
DROP FUNCTION kroonika_begin_append(text);

CREATE FUNCTION kroonika_begin_append(p_stream text)
RETURNS TABLE (head bigint, head_hash bytea, stream_revision bigint, now timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('kroonika.append'), hashtext(current_schema()));
    PERFORM pg_notify('kroonika_events', current_schema());
    RETURN QUERY
    WITH last AS (SELECT e.position, e.recorded_at, e.hash FROM events e ORDER BY e.position DESC LIMIT 1)
    SELECT
        COALESCE((SELECT last.position FROM last), 0)::bigint,
        (SELECT last.hash FROM last),
        (SELECT max(e.revision) FROM events e WHERE e.stream = p_stream)::bigint,
        GREATEST(clock_timestamp(), (SELECT last.recorded_at FROM last));
END
$$;
