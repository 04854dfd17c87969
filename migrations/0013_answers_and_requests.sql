-- no-transaction
-- Two ways more for what Loa sends, and the links they need.
--
-- 1. An answer to a question on a pack sent to every cell that got the pack (a "hỏi đáp" kept
--    with the pack): a broadcast of the new kind 'answer', naming its question. SQLite cannot
--    widen a CHECK in place, so `broadcasts` is rebuilt the documented way (a new table, the rows
--    copied with their ids, the old dropped, the new renamed) with foreign keys off for the swap.
--    The triggers on `deliveries` name `broadcasts` in their bodies and are
--    left as they are (legacy renaming leaves trigger text alone; they find the new table by its
--    name).
-- 2. A periodic situation report asked of every cell by a slot: a pack whose purpose is
--    'situation'; its answers are situation reports that also stand as the pack's reports, so
--    that they are counted and reminded like any pack's.
PRAGMA foreign_keys = OFF;
PRAGMA legacy_alter_table = ON;
BEGIN;

CREATE TABLE broadcasts_new (
    id                   INTEGER PRIMARY KEY,
    pack_id              INTEGER NOT NULL REFERENCES packs (id),
    kind                 TEXT NOT NULL DEFAULT 'pack' CHECK (kind IN ('pack', 'reminder', 'resend', 'answer')),
    state                TEXT NOT NULL DEFAULT 'running'
                         CHECK (state IN ('running', 'paused', 'done', 'cancelled', 'failed')),
    targeted             INTEGER NOT NULL DEFAULT 0,
    skipped              INTEGER NOT NULL DEFAULT 0,   -- unbound or unreachable at the start
    started_by           INTEGER,
    created_at           INTEGER NOT NULL,
    finished_at          INTEGER,
    progress_chat_id     INTEGER,
    progress_message_id  INTEGER,
    reported_at          INTEGER,
    question_id          INTEGER REFERENCES pack_questions (id)   -- the answer an 'answer' sends
);
INSERT INTO broadcasts_new (id, pack_id, kind, state, targeted, skipped, started_by, created_at, finished_at,
                            progress_chat_id, progress_message_id, reported_at)
SELECT id, pack_id, kind, state, targeted, skipped, started_by, created_at, finished_at,
       progress_chat_id, progress_message_id, reported_at
FROM broadcasts;
DROP TABLE broadcasts;
ALTER TABLE broadcasts_new RENAME TO broadcasts;
CREATE INDEX broadcasts_by_pack ON broadcasts (pack_id);

-- a question whose answer went to every cell of its pack
ALTER TABLE pack_questions ADD COLUMN faq INTEGER NOT NULL DEFAULT 0;

ALTER TABLE packs ADD COLUMN purpose TEXT NOT NULL DEFAULT 'guidance' CHECK (purpose IN ('guidance', 'situation'));
-- one situation request a period
CREATE UNIQUE INDEX packs_one_situation_request ON packs (period) WHERE purpose = 'situation';
-- the request a situation report answers (NULL: filed of the cell's own accord)
ALTER TABLE situation_reports ADD COLUMN pack_id INTEGER REFERENCES packs (id);
-- the situation report a pack's report stands for
ALTER TABLE reports ADD COLUMN situation_id INTEGER REFERENCES situation_reports (id);

COMMIT;
PRAGMA legacy_alter_table = OFF;
PRAGMA foreign_keys = ON;
