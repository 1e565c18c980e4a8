-- The search index: how a coordinator finds "Kadri Kask's case" when names are
-- stored only sealed. For every searchable personal field of a case, one row
-- per kind of token: an HMAC of the value's normal form under the index key
-- (kept in store_info, wrapped by the master key, as the subject keys are).
-- Never a name, never a number. Derived data, like the projections: written in
-- the same transaction as the event that records the value, replaced when it
-- is corrected, deleted when its subject is erased, rebuilt by `kroonika case
-- reindex`; not exported.
--
-- stream, field: where the value is; subject: whose it is (erasure deletes by it);
-- kind: 'text' (names, addresses) or 'phone' (a phone number's digits).
CREATE TABLE search_index (
    stream  TEXT NOT NULL,
    field   TEXT NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('text', 'phone')),
    subject TEXT NOT NULL,
    token   BLOB NOT NULL CHECK (length(token) = 32),
    PRIMARY KEY (stream, field, kind)
) STRICT;

CREATE INDEX search_index_token ON search_index (token);
CREATE INDEX search_index_subject ON search_index (subject);
