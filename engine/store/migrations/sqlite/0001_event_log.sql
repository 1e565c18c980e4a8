-- The event log. One row per event; rows are never changed or removed.
--
-- position:  the global position, 1, 2, 3, ... in commit order, without gaps. The
--            store assigns it inside the write transaction (SQLite allows one writer
--            at a time), so commit order and position order are the same.
-- revision:  the event's place in its stream, 0, 1, 2, ...; UNIQUE (stream, revision)
--            is what makes optimistic concurrency hold even against a buggy writer.
-- event_id:  chosen by the caller (UUIDv7), unique, so a retried append is spotted.
-- data, metadata: JSON text exactly as appended.
-- recorded_at: microseconds since the Unix epoch, UTC, from the store's clock.
CREATE TABLE events (
    position    INTEGER PRIMARY KEY CHECK (position > 0),
    stream      TEXT    NOT NULL,
    category    TEXT    NOT NULL,
    revision    INTEGER NOT NULL CHECK (revision >= 0),
    event_id    BLOB    NOT NULL UNIQUE CHECK (length(event_id) = 16),
    event_type  TEXT    NOT NULL,
    data        TEXT    NOT NULL CHECK (json_valid(data)),
    metadata    TEXT    NOT NULL CHECK (json_valid(metadata)),
    recorded_at INTEGER NOT NULL,
    UNIQUE (stream, revision)
) STRICT;

CREATE INDEX events_category_position ON events (category, position);

-- Immutability is the database's rule, not only the application's: any UPDATE or
-- DELETE on the log fails, whoever issues it.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are immutable: UPDATE on the event log is not allowed');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are immutable: DELETE on the event log is not allowed');
END;

-- What this database is: the mark that tells a Kroonika store from any other file.
CREATE TABLE store_info (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

INSERT INTO store_info (key, value) VALUES
    ('format', 'kroonika'),
    ('store_id', lower(hex(randomblob(16)))),
    ('created_at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
