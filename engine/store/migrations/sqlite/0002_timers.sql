-- One pending wake-up per stream: when the engine next has something to do for
-- it without anyone asking (a deadline's warning, or its passing). Written in the
-- same transaction as the events that set it, so it never drifts from the log;
-- `kroonika timers run` reads only the rows that are due, through the index, so
-- its cost grows with the due deadlines and not with the number of cases.
-- due_at: microseconds since the Unix epoch, UTC.
CREATE TABLE timers (
    stream TEXT    PRIMARY KEY,
    due_at INTEGER NOT NULL
) STRICT;

CREATE INDEX timers_due ON timers (due_at, stream);
