-- The event log. One row per event; rows are never changed or removed.
--
-- position:  the global position, 1, 2, 3, ... in commit order, without gaps. It is
--            not a sequence: sequence values are taken before commit, so a
--            transaction holding position 10 could commit after one holding 11 and a
--            reader that had already passed 11 would skip 10 forever. Instead every
--            append takes one transaction-scoped advisory lock (kroonika_begin_append
--            below) and assigns head + 1, so appends commit one at a time in
--            position order. See ARCHITECTURE.md, "Ordering".
-- revision:  the event's place in its stream; UNIQUE (stream, revision) backs
--            optimistic concurrency even against a writer that skips the lock.
-- data, metadata: json (not jsonb), so the text is kept exactly as appended.
CREATE TABLE events (
    position    bigint      PRIMARY KEY CHECK (position > 0),
    stream      text        NOT NULL,
    category    text        NOT NULL,
    revision    bigint      NOT NULL CHECK (revision >= 0),
    event_id    uuid        NOT NULL UNIQUE,
    event_type  text        NOT NULL,
    data        json        NOT NULL,
    metadata    json        NOT NULL,
    recorded_at timestamptz NOT NULL,
    CONSTRAINT events_stream_revision UNIQUE (stream, revision)
);

CREATE INDEX events_category_position ON events (category, position);

-- Immutability is the database's rule, not only the application's.
CREATE FUNCTION kroonika_events_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable: % on the event log is not allowed', TG_OP;
END
$$;

CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION kroonika_events_immutable();

CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION kroonika_events_immutable();

-- The first step of every append, in one round trip: take the store's append lock,
-- then read the head position, the stream's last revision and the time (never
-- earlier than the last event's, so recorded_at never decreases along the log). The lock
-- is keyed by schema, so stores in different schemas of one database do not wait
-- for each other. The reads run after the lock is granted, each with a fresh
-- snapshot (a VOLATILE function's statements do), so they see the commit of the
-- writer that held the lock before; reading in the same statement as the lock would
-- use a snapshot taken before the wait and see a stale head.
-- pg_notify wakes subscribers when (and only if) this transaction commits.
CREATE FUNCTION kroonika_begin_append(p_stream text)
RETURNS TABLE (head bigint, stream_revision bigint, now timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('kroonika.append'), hashtext(current_schema()));
    PERFORM pg_notify('kroonika_events', current_schema());
    RETURN QUERY
    WITH last AS (SELECT e.position, e.recorded_at FROM events e ORDER BY e.position DESC LIMIT 1)
    SELECT
        COALESCE((SELECT last.position FROM last), 0)::bigint,
        (SELECT max(e.revision) FROM events e WHERE e.stream = p_stream)::bigint,
        GREATEST(clock_timestamp(), (SELECT last.recorded_at FROM last));
END
$$;

-- What this database is: the mark that tells a Kroonika store from any other.
CREATE TABLE store_info (
    key   text PRIMARY KEY,
    value text NOT NULL
);

INSERT INTO store_info (key, value) VALUES
    ('format', 'kroonika'),
    ('store_id', replace(gen_random_uuid()::text, '-', '')),
    ('created_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
