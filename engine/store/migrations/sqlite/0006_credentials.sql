-- Credentials: how people and programs prove who they are to `kroonika serve`.
-- Secrets live here, never in the log (the log records that a password was
-- set, a token issued or revoked, a sign-in made or failed): these tables can
-- be emptied or a row deleted, which the append-only log cannot. They are not
-- exported; after an import, passwords are set and tokens issued anew.
-- Times: microseconds since the Unix epoch, UTC.

-- A person's password, as an argon2id PHC string (salt and parameters in it).
CREATE TABLE passwords (
    actor  TEXT    PRIMARY KEY,
    hash   TEXT    NOT NULL,
    set_at INTEGER NOT NULL
) STRICT;

-- A program's bearer tokens. The token is `kroonika_<id>_<secret>`; only the
-- SHA-256 of the 256-bit secret is kept, and not even that once revoked.
CREATE TABLE tokens (
    id         TEXT    PRIMARY KEY,
    actor      TEXT    NOT NULL,
    hash       BLOB,
    note       TEXT    NOT NULL,
    issued_by  TEXT    NOT NULL,
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER,
    CHECK ((hash IS NULL) = (revoked_at IS NOT NULL))
) STRICT;

CREATE INDEX tokens_actor ON tokens (actor);

-- Signed-in sessions: the SHA-256 of the cookie's secret, never the cookie.
-- csrf: the token cookie-authenticated writes must echo in a header.
CREATE TABLE sessions (
    secret_hash BLOB    PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    actor       TEXT    NOT NULL,
    csrf        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    seen_at     INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_actor ON sessions (actor);

-- Failed sign-ins in a row, by the SHA-256 of the name typed (so a name that is
-- no actor's locks the same way, and is not kept), and the lock they led to.
CREATE TABLE sign_in_failures (
    name_hash    BLOB    PRIMARY KEY,
    failures     INTEGER NOT NULL,
    last_at      INTEGER NOT NULL,
    locked_until INTEGER
) STRICT;
