-- Loa's data model. Times are Unix seconds (UTC) unless the column says "local date".
-- Never edit this file once applied anywhere; add a new migration instead.

-- The province's registry of party cells, each bound to at most one Telegram chat.
CREATE TABLE cells (
    id                  INTEGER PRIMARY KEY,
    code                TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    district            TEXT NOT NULL,
    commune             TEXT,
    parent              TEXT,
    status              TEXT NOT NULL DEFAULT 'unbound'
                        CHECK (status IN ('unbound', 'active', 'unreachable', 'retired')),
    chat_id             INTEGER UNIQUE,
    chat_type           TEXT CHECK (chat_type IN ('private', 'group', 'supergroup')),
    bound_at            INTEGER,
    last_seen_at        INTEGER,
    unreachable_reason  TEXT,
    unreachable_at      INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX cells_by_district ON cells (district, status);

-- Tags of a cell (e.g. "xa", "phuong"), for audiences.
CREATE TABLE cell_tags (
    cell_id INTEGER NOT NULL REFERENCES cells (id) ON DELETE CASCADE,
    tag     TEXT NOT NULL,
    PRIMARY KEY (cell_id, tag)
);
CREATE INDEX cell_tags_by_tag ON cell_tags (tag);

-- Single-use invite codes; only a hash of each code is kept.
CREATE TABLE invites (
    id            INTEGER PRIMARY KEY,
    cell_id       INTEGER NOT NULL REFERENCES cells (id) ON DELETE CASCADE,
    code_hash     BLOB NOT NULL UNIQUE,
    created_by    INTEGER,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER,
    used_by_chat  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX invites_by_cell ON invites (cell_id);

-- Failed invite codes per chat, to slow down guessing.
CREATE TABLE invite_failures (
    chat_id INTEGER NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX invite_failures_by_chat ON invite_failures (chat_id, at);

-- Board staff, district officers and admins (bootstrap admins also come from config).
CREATE TABLE staff (
    user_id       INTEGER PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'board', 'district')),
    district      TEXT,
    display_name  TEXT,
    granted_by    INTEGER,
    granted_at    INTEGER NOT NULL,
    CHECK ((role = 'district') = (district IS NOT NULL))
);

-- Guidance packs.
CREATE TABLE packs (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('monthly', 'quarterly', 'thematic', 'urgent')),
    period         TEXT,
    title          TEXT NOT NULL,
    body_html      TEXT NOT NULL,
    body_source    TEXT,
    body_format    TEXT CHECK (body_format IN ('md', 'html', 'txt')),
    audience       TEXT NOT NULL DEFAULT '"all"',      -- JSON: "all" or {districts, tags, cells}
    deadline       TEXT,                               -- local date YYYY-MM-DD
    report_prompt  TEXT,                               -- set when a report is requested
    status         TEXT NOT NULL DEFAULT 'draft'
                   CHECK (status IN ('draft', 'scheduled', 'sending', 'sent', 'cancelled')),
    schedule_kind  TEXT CHECK (schedule_kind IN ('now', 'at', 'slot')),
    scheduled_for  INTEGER,
    created_by     INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX packs_due ON packs (status, scheduled_for);

-- A pack's documents: content-addressed local copy, and Telegram's file_id once uploaded.
CREATE TABLE attachments (
    id                INTEGER PRIMARY KEY,
    pack_id           INTEGER NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    file_name         TEXT NOT NULL,
    sha256            TEXT NOT NULL,
    size              INTEGER NOT NULL,
    mime              TEXT NOT NULL,
    local_path        TEXT,
    telegram_file_id  TEXT,
    UNIQUE (pack_id, position)
);
CREATE INDEX attachments_by_hash ON attachments (sha256);

-- One sending of a pack (or of reminders for it) to its audience.
CREATE TABLE broadcasts (
    id                   INTEGER PRIMARY KEY,
    pack_id              INTEGER NOT NULL REFERENCES packs (id),
    kind                 TEXT NOT NULL DEFAULT 'pack' CHECK (kind IN ('pack', 'reminder', 'resend')),
    state                TEXT NOT NULL DEFAULT 'running'
                         CHECK (state IN ('running', 'paused', 'done', 'cancelled', 'failed')),
    targeted             INTEGER NOT NULL DEFAULT 0,
    skipped              INTEGER NOT NULL DEFAULT 0,   -- unbound or unreachable at the start
    started_by           INTEGER,
    created_at           INTEGER NOT NULL,
    finished_at          INTEGER,
    progress_chat_id     INTEGER,
    progress_message_id  INTEGER
);
CREATE INDEX broadcasts_by_pack ON broadcasts (pack_id);

-- The outbox: one row per broadcast x cell; the delivery worker sends from these.
CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY,
    broadcast_id     INTEGER NOT NULL REFERENCES broadcasts (id),
    cell_id          INTEGER NOT NULL REFERENCES cells (id),
    chat_id          INTEGER NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
    step             INTEGER NOT NULL DEFAULT 0,       -- messages of this delivery already out
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    message_ids      TEXT,                             -- JSON array of Telegram message ids
    ack_message_id   INTEGER,                          -- the message with the buttons
    error            TEXT,
    sent_at          INTEGER,
    UNIQUE (broadcast_id, cell_id)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_by_cell ON deliveries (cell_id);

-- Acknowledgements: at most one per pack and cell; who pressed and when.
CREATE TABLE acks (
    id           INTEGER PRIMARY KEY,
    pack_id      INTEGER NOT NULL REFERENCES packs (id),
    cell_id      INTEGER NOT NULL REFERENCES cells (id),
    delivery_id  INTEGER REFERENCES deliveries (id),
    user_id      INTEGER NOT NULL,
    user_name    TEXT NOT NULL,
    at           INTEGER NOT NULL,
    late         INTEGER NOT NULL DEFAULT 0,
    via          TEXT NOT NULL DEFAULT 'button' CHECK (via IN ('button', 'report')),
    UNIQUE (pack_id, cell_id)
);

-- Reports; a correction adds a row and points the old one at it (history kept).
CREATE TABLE reports (
    id                  INTEGER PRIMARY KEY,
    pack_id             INTEGER NOT NULL REFERENCES packs (id),
    cell_id             INTEGER NOT NULL REFERENCES cells (id),
    delivery_id         INTEGER REFERENCES deliveries (id),
    user_id             INTEGER NOT NULL,
    user_name           TEXT NOT NULL,
    meeting_date        TEXT NOT NULL,                 -- local date YYYY-MM-DD
    attendance          INTEGER NOT NULL,
    body                TEXT NOT NULL,
    attachment_file_id  TEXT,
    attachment_kind     TEXT CHECK (attachment_kind IN ('photo', 'document')),
    at                  INTEGER NOT NULL,
    late                INTEGER NOT NULL DEFAULT 0,
    superseded_by       INTEGER REFERENCES reports (id)
);
CREATE INDEX reports_by_pack_cell ON reports (pack_id, cell_id);

-- Reminders sent: at most one per pack, cell and local day.
CREATE TABLE reminders (
    pack_id       INTEGER NOT NULL REFERENCES packs (id),
    cell_id       INTEGER NOT NULL REFERENCES cells (id),
    day           TEXT NOT NULL,                       -- local date YYYY-MM-DD
    broadcast_id  INTEGER REFERENCES broadcasts (id),
    PRIMARY KEY (pack_id, cell_id, day)
);

-- Cron slots that have fired, so a restart neither skips nor repeats one.
CREATE TABLE slot_runs (
    slot    TEXT NOT NULL,
    due_at  INTEGER NOT NULL,
    ran_at  INTEGER NOT NULL,
    PRIMARY KEY (slot, due_at)
);

-- Multi-step chat dialogues (composing a pack, writing a report), keyed by chat and user so
-- that two members of one group do not tangle their answers.
CREATE TABLE dialogues (
    chat_id     INTEGER NOT NULL,
    user_id     INTEGER NOT NULL DEFAULT 0,
    kind        TEXT NOT NULL,
    state       TEXT NOT NULL,                         -- JSON
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);

-- Per-chat preferences (the language chosen with /lang).
CREATE TABLE chat_prefs (
    chat_id     INTEGER PRIMARY KEY,
    locale      TEXT NOT NULL CHECK (locale IN ('vi', 'en')),
    updated_at  INTEGER NOT NULL
);

-- Who did what, when.
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY,
    at             INTEGER NOT NULL,
    actor_user_id  INTEGER,
    actor          TEXT NOT NULL,                      -- "cli", "telegram", "scheduler", ...
    action         TEXT NOT NULL,
    subject        TEXT,
    details        TEXT                                -- JSON
);
CREATE INDEX audit_log_by_time ON audit_log (at);
