-- A cell that joins Loa after a pack went out, while the pack is still open (before its
-- deadline), is sent it too: its delivery joins the pack's broadcast, marked so, and the figures
-- say how many cells came in late.
ALTER TABLE deliveries ADD COLUMN late_join INTEGER NOT NULL DEFAULT 0;
CREATE INDEX deliveries_late_join ON deliveries (broadcast_id) WHERE late_join = 1;
