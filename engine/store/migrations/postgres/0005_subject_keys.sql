-- Subject keys: one data key per data subject of a case (the victim, the
-- offender, …). Personal fields are stored in the log encrypted under their
-- subject's key; the key itself is stored here wrapped (encrypted) by the master
-- key, which never enters the database. Erasing a subject destroys its key
-- (wrapped becomes NULL): the ciphertext stays in the log, under the hash chain,
-- and nothing can decrypt it any more.
--
-- subject:    the subject's id (a UUID derived from the case and the subject's name).
-- stream:     the case's stream; name: the subject's name in the definition.
-- wrapped:    nonce ‖ ciphertext of the key under the master key; NULL once erased.
CREATE TABLE subject_keys (
    subject    uuid        PRIMARY KEY,
    stream     text        NOT NULL,
    name       text        NOT NULL,
    wrapped    bytea,
    created_at timestamptz NOT NULL,
    erased_at  timestamptz,
    CHECK ((wrapped IS NULL) = (erased_at IS NOT NULL))
);

CREATE INDEX subject_keys_stream ON subject_keys (stream);
