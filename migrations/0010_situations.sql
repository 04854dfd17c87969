-- Situation reports (báo cáo tình hình): what a cell (or a unit's officer) tells the board at any
-- time, apart from any pack: a topic from the configured list, a severity, the place, the text, and
-- photos or files kept in Loa's store by content. They wait in the inbox of the board and of the
-- officers above the cell's unit (new, seen, handled); an urgent one is also sent to them at once.
CREATE TABLE situation_reports (
    id            INTEGER PRIMARY KEY,
    cell_id       INTEGER REFERENCES cells (id),      -- NULL when an officer filed it
    unit_id       INTEGER REFERENCES units (id),      -- the cell's unit (or the officer's) when filed
    chat_id       INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    user_name     TEXT NOT NULL,
    topic         TEXT NOT NULL,
    severity      TEXT NOT NULL CHECK (severity IN ('normal', 'attention', 'urgent')),
    place         TEXT NOT NULL,
    body          TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'seen', 'handled')),
    -- an urgent report: 'sent' once its alert is queued to someone, 'unsent' when nobody could
    -- be told (it waits in the inbox, marked so); others: 'inbox'
    routed        TEXT NOT NULL DEFAULT 'inbox' CHECK (routed IN ('inbox', 'sent', 'unsent')),
    handled_by    INTEGER,
    handled_at    INTEGER,
    handled_note  TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX situation_reports_by_status ON situation_reports (status, id);
CREATE INDEX situation_reports_by_unit ON situation_reports (unit_id);

CREATE TABLE situation_files (
    id                INTEGER PRIMARY KEY,
    report_id         INTEGER NOT NULL REFERENCES situation_reports (id) ON DELETE CASCADE,
    kind              TEXT NOT NULL CHECK (kind IN ('photo', 'document')),
    name              TEXT NOT NULL,
    size              INTEGER NOT NULL,
    sha256            TEXT NOT NULL,
    local_path        TEXT NOT NULL,
    telegram_file_id  TEXT NOT NULL
);
CREATE INDEX situation_files_by_report ON situation_files (report_id);
