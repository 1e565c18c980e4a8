-- Credentials: how people and programs prove who they are to `kroonika serve`.
-- Secrets live here, never in the log (the log records that a password was
-- set, a token issued or revoked, a sign-in made or failed): these tables can
-- be emptied or a row deleted, which the append-only log cannot. They are not
-- exported; after an import, passwords are set and tokens issued anew.

-- A person's password, as an argon2id PHC string (salt and parameters in it).
CREATE TABLE passwords (
    actor  text        PRIMARY KEY,
    hash   text        NOT NULL,
    set_at timestamptz NOT NULL
);

-- A program's bearer tokens. The token is `kroonika_<id>_<secret>`; only the
-- SHA-256 of the 256-bit secret is kept, and not even that once revoked.
CREATE TABLE tokens (
    id         uuid        PRIMARY KEY,
    actor      text        NOT NULL,
    hash       bytea,
    note       text        NOT NULL,
    issued_by  text        NOT NULL,
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz,
    CHECK ((hash IS NULL) = (revoked_at IS NOT NULL))
);

CREATE INDEX tokens_actor ON tokens (actor);

-- Signed-in sessions: the SHA-256 of the cookie's secret, never the cookie.
-- csrf: the token cookie-authenticated writes must echo in a header.
CREATE TABLE sessions (
    secret_hash bytea       PRIMARY KEY,
    id          uuid        NOT NULL UNIQUE,
    actor       text        NOT NULL,
    csrf        text        NOT NULL,
    created_at  timestamptz NOT NULL,
    seen_at     timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);

CREATE INDEX sessions_actor ON sessions (actor);

-- Failed sign-ins in a row, by the SHA-256 of the name typed (so a name that is
-- no actor's locks the same way, and is not kept), and the lock they led to.
CREATE TABLE sign_in_failures (
    name_hash    bytea       PRIMARY KEY,
    failures     integer     NOT NULL,
    last_at      timestamptz NOT NULL,
    locked_until timestamptz
);
