-- When the final summary of a broadcast was sent to its author (NULL: not yet).
ALTER TABLE broadcasts ADD COLUMN reported_at INTEGER;
