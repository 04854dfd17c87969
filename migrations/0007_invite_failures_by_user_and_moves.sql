-- Failed invite codes are counted per user as well as per chat (a new account in a private chat,
-- or a hostile member of a group, no longer starts afresh or locks the group for everyone).
ALTER TABLE invite_failures ADD COLUMN user_id INTEGER;
CREATE INDEX invite_failures_by_user ON invite_failures (user_id, at);
CREATE INDEX invite_failures_by_time ON invite_failures (at);

-- A cell already connected to a chat moves to another only when a board member confirms it in
-- chat: the invite code used in the new chat asks, and waits here.
CREATE TABLE cell_moves (
    id            INTEGER PRIMARY KEY,
    cell_id       INTEGER NOT NULL REFERENCES cells (id),
    chat_id       INTEGER NOT NULL,
    chat_type     TEXT NOT NULL,
    requested_by  INTEGER NOT NULL,
    requested_at  INTEGER NOT NULL,
    decided_by    INTEGER,
    decided_at    INTEGER,
    outcome       TEXT CHECK (outcome IN ('moved', 'refused', 'superseded'))
);
CREATE INDEX cell_moves_open ON cell_moves (cell_id) WHERE outcome IS NULL;
