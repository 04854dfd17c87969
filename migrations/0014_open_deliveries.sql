-- The deliveries still to be sent, by broadcast. Whether a broadcast has any left is asked
-- whenever a send ends at the tail of a broadcast (to close it) and by each progress update; with
-- only the (broadcast_id, cell_id) index SQLite answered by reading every delivery of the
-- broadcast (100,000 rows at 100,000 cells, each time). This index holds only the open ones, so
-- the answer is one probe, and it empties as the broadcast goes out.
CREATE INDEX deliveries_open ON deliveries (broadcast_id) WHERE state IN ('pending', 'sending');
