-- The board's web desk: the one-time sign-in links `/web` gives in chat, and the sessions they
-- open. Only the SHA-256 of a link's token and of a session's cookie is kept: a copy of the
-- database signs nobody in.
CREATE TABLE web_links (
    token_hash BLOB PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

CREATE TABLE web_sessions (
    id_hash    BLOB PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    -- the token every form of the session carries back (cross-site request forgery)
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    -- signed out, or ended because the user's role was taken away
    ended_at   INTEGER
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_id);
