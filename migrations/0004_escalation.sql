-- When the cells behind on a pack were reported to their districts and the board (after the
-- deadline); NULL until then.
ALTER TABLE packs ADD COLUMN escalated_at INTEGER;

-- Reports are looked up by pack and cell, current first.
CREATE INDEX acks_by_cell ON acks (cell_id);
