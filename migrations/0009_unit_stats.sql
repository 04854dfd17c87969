-- Running totals of each pack by unit: the unit each delivery's cell hung from when the pack went
-- out (deliveries.unit_id). A view at any level of the tree sums these rows up through unit_paths,
-- so a question reads at most one row per unit that received the pack, however many cells there
-- are. They replace the totals by district and commune of migration 0005 (the districts and
-- communes are units since migration 0008, so nothing is lost).
--
-- not_connected: cells of the pack's audience that could not be sent it when it went out (not
-- bound to a chat yet, or unreachable), counted so that a unit with half its cells off Loa cannot
-- show 100 %. A cell that joins later and is sent the pack leaves this count.

UPDATE deliveries SET unit_id = COALESCE(
    (SELECT unit_id FROM cells c WHERE c.id = deliveries.cell_id),
    (SELECT id FROM units WHERE parent_id IS NULL))
WHERE unit_id IS NULL;

CREATE TABLE pack_unit_stats (
    pack_id        INTEGER NOT NULL REFERENCES packs (id),
    unit_id        INTEGER NOT NULL REFERENCES units (id),
    targeted       INTEGER NOT NULL DEFAULT 0,   -- deliveries not cancelled
    delivered      INTEGER NOT NULL DEFAULT 0,   -- sent
    unreachable    INTEGER NOT NULL DEFAULT 0,   -- failed
    acknowledged   INTEGER NOT NULL DEFAULT 0,
    late           INTEGER NOT NULL DEFAULT 0,   -- acknowledged after the deadline
    reported       INTEGER NOT NULL DEFAULT 0,   -- cells with at least one report
    not_connected  INTEGER NOT NULL DEFAULT 0,   -- in the audience, not sent it: no chat
    PRIMARY KEY (pack_id, unit_id)
) WITHOUT ROWID;

INSERT INTO pack_unit_stats (pack_id, unit_id, targeted, delivered, unreachable)
SELECT b.pack_id, d.unit_id, sum(d.state <> 'cancelled'), sum(d.state = 'sent'), sum(d.state = 'failed')
FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
WHERE b.kind = 'pack'
GROUP BY 1, 2;

UPDATE pack_unit_stats SET
    acknowledged = (SELECT count(*) FROM acks a JOIN deliveries d ON d.id = a.delivery_id
                    WHERE a.pack_id = pack_unit_stats.pack_id AND d.unit_id = pack_unit_stats.unit_id),
    late = (SELECT count(*) FROM acks a JOIN deliveries d ON d.id = a.delivery_id
            WHERE a.late AND a.pack_id = pack_unit_stats.pack_id AND d.unit_id = pack_unit_stats.unit_id),
    reported = (SELECT count(DISTINCT r.cell_id) FROM reports r JOIN deliveries d ON d.id = r.delivery_id
                WHERE r.pack_id = pack_unit_stats.pack_id AND d.unit_id = pack_unit_stats.unit_id);

DROP TRIGGER pack_stats_delivery_written;
DROP TRIGGER pack_stats_delivery_changed;
DROP TRIGGER pack_stats_ack;
DROP TRIGGER pack_stats_first_report;
DROP TABLE pack_stats;

CREATE TRIGGER pack_unit_stats_delivery_written AFTER INSERT ON deliveries
WHEN (SELECT kind FROM broadcasts WHERE id = NEW.broadcast_id) = 'pack'
BEGIN
    INSERT INTO pack_unit_stats (pack_id, unit_id, targeted, delivered, unreachable)
    VALUES ((SELECT pack_id FROM broadcasts WHERE id = NEW.broadcast_id),
            COALESCE(NEW.unit_id, (SELECT id FROM units WHERE parent_id IS NULL)),
            NEW.state <> 'cancelled', NEW.state = 'sent', NEW.state = 'failed')
    ON CONFLICT (pack_id, unit_id) DO UPDATE SET
        targeted = targeted + excluded.targeted,
        delivered = delivered + excluded.delivered,
        unreachable = unreachable + excluded.unreachable;
    -- a cell of the audience that joined after the pack went out, sent it now: connected at last
    -- (only a cell that was in the registry then was counted as not connected)
    UPDATE pack_unit_stats SET not_connected = not_connected - 1
    WHERE NEW.late_join = 1 AND not_connected > 0
      AND pack_id = (SELECT pack_id FROM broadcasts WHERE id = NEW.broadcast_id)
      AND unit_id = COALESCE(NEW.unit_id, (SELECT id FROM units WHERE parent_id IS NULL))
      AND (SELECT created_at FROM cells WHERE id = NEW.cell_id)
          <= (SELECT created_at FROM broadcasts WHERE id = NEW.broadcast_id);
END;

CREATE TRIGGER pack_unit_stats_delivery_changed AFTER UPDATE OF state ON deliveries
WHEN ((NEW.state = 'sent') <> (OLD.state = 'sent') OR (NEW.state = 'failed') <> (OLD.state = 'failed')
      OR (NEW.state = 'cancelled') <> (OLD.state = 'cancelled'))
     AND (SELECT kind FROM broadcasts WHERE id = NEW.broadcast_id) = 'pack'
BEGIN
    UPDATE pack_unit_stats SET
        targeted = targeted + (NEW.state <> 'cancelled') - (OLD.state <> 'cancelled'),
        delivered = delivered + (NEW.state = 'sent') - (OLD.state = 'sent'),
        unreachable = unreachable + (NEW.state = 'failed') - (OLD.state = 'failed')
    WHERE pack_id = (SELECT pack_id FROM broadcasts WHERE id = NEW.broadcast_id)
      AND unit_id = COALESCE(NEW.unit_id, (SELECT id FROM units WHERE parent_id IS NULL));
END;

CREATE TRIGGER pack_unit_stats_ack AFTER INSERT ON acks
BEGIN
    UPDATE pack_unit_stats SET acknowledged = acknowledged + 1, late = late + (NEW.late <> 0)
    WHERE pack_id = NEW.pack_id
      AND unit_id = (SELECT COALESCE(d.unit_id, (SELECT id FROM units WHERE parent_id IS NULL))
                     FROM deliveries d WHERE d.id = NEW.delivery_id);
END;

CREATE TRIGGER pack_unit_stats_first_report AFTER INSERT ON reports
WHEN NOT EXISTS (SELECT 1 FROM reports r WHERE r.pack_id = NEW.pack_id AND r.cell_id = NEW.cell_id AND r.id <> NEW.id)
BEGIN
    UPDATE pack_unit_stats SET reported = reported + 1
    WHERE pack_id = NEW.pack_id
      AND unit_id = (SELECT COALESCE(d.unit_id, (SELECT id FROM units WHERE parent_id IS NULL))
                     FROM deliveries d WHERE d.id = NEW.delivery_id);
END;
