-- For the web desk's pages at 100,000 cells (each page under 50 ms, `cargo bench --bench web`):
-- a unit's deliveries (an officer's view of a pack, the cells of one unit, the cells behind in
-- one unit) found by unit instead of by reading the whole broadcast; and the few deliveries that
-- failed, with their reasons, found without reading the ones that did not. Neither is touched
-- when a delivery's state moves between pending, sending and sent.
CREATE INDEX deliveries_by_unit ON deliveries (unit_id, broadcast_id);
CREATE INDEX deliveries_failed ON deliveries (broadcast_id, unit_id) WHERE state = 'failed';
