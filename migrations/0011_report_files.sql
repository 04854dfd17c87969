-- The photo or file a cell attaches to a pack report, kept in Loa's store by content (as packs'
-- documents and situation reports' files are), not only as a Telegram file_id: its name, its
-- sha256 and where it is (`files/<sha256>` beside the database). Reports written before keep
-- only their file_id (these columns stay NULL).
ALTER TABLE reports ADD COLUMN attachment_name TEXT;
ALTER TABLE reports ADD COLUMN attachment_sha256 TEXT;
ALTER TABLE reports ADD COLUMN attachment_path TEXT;
