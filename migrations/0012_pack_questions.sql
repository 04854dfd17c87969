-- Questions on a pack: a member of a cell replies to the pack's message (or its reminder) with a
-- question; the board (or the officers above the cell) answer it in chat, and the answer goes back
-- to that cell's chat.
CREATE TABLE pack_questions (
    id           INTEGER PRIMARY KEY,
    pack_id      INTEGER NOT NULL REFERENCES packs (id),
    cell_id      INTEGER NOT NULL REFERENCES cells (id),
    unit_id      INTEGER REFERENCES units (id),     -- the cell's unit when it asked
    chat_id      INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    user_name    TEXT NOT NULL,
    body         TEXT NOT NULL,
    answer       TEXT,
    answered_by  INTEGER,
    answered_at  INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX pack_questions_open ON pack_questions (answered_at, id);
