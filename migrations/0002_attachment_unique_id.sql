-- Documents composed in chat are known to Telegram before Loa has their bytes: keep Telegram's
-- file_unique_id (the same for the same file, whatever the bot). Such a document larger than the
-- 20 MB a bot may download has no local copy and an empty sha256.
ALTER TABLE attachments ADD COLUMN telegram_file_unique_id TEXT;
