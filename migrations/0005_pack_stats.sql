-- Where each delivery's cell stood when the pack went out, so that figures by district and
-- commune stay true to that day when a cell later moves.
ALTER TABLE deliveries ADD COLUMN district TEXT;
ALTER TABLE deliveries ADD COLUMN commune TEXT;
UPDATE deliveries SET
    district = (SELECT c.district FROM cells c WHERE c.id = deliveries.cell_id),
    commune = (SELECT c.commune FROM cells c WHERE c.id = deliveries.cell_id);

-- Running totals of each pack's deliveries, acknowledgements and reports by district and commune,
-- kept by the triggers below in the same transaction as the rows they count, so that statistics
-- read a few hundred rows instead of every delivery.
CREATE TABLE pack_stats (
    pack_id       INTEGER NOT NULL REFERENCES packs (id),
    district      TEXT NOT NULL,
    commune       TEXT NOT NULL DEFAULT '',
    targeted      INTEGER NOT NULL DEFAULT 0,   -- deliveries not cancelled
    delivered     INTEGER NOT NULL DEFAULT 0,   -- sent
    unreachable   INTEGER NOT NULL DEFAULT 0,   -- failed
    acknowledged  INTEGER NOT NULL DEFAULT 0,
    late          INTEGER NOT NULL DEFAULT 0,   -- acknowledged after the deadline
    reported      INTEGER NOT NULL DEFAULT 0,   -- cells with at least one report
    PRIMARY KEY (pack_id, district, commune)
) WITHOUT ROWID;

INSERT INTO pack_stats (pack_id, district, commune, targeted, delivered, unreachable)
SELECT b.pack_id, COALESCE(d.district, ''), COALESCE(d.commune, ''),
       sum(d.state <> 'cancelled'), sum(d.state = 'sent'), sum(d.state = 'failed')
FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
WHERE b.kind = 'pack'
GROUP BY 1, 2, 3;

UPDATE pack_stats SET
    acknowledged = (SELECT count(*) FROM acks a JOIN deliveries d ON d.id = a.delivery_id
                    WHERE a.pack_id = pack_stats.pack_id AND COALESCE(d.district, '') = pack_stats.district
                      AND COALESCE(d.commune, '') = pack_stats.commune),
    late = (SELECT count(*) FROM acks a JOIN deliveries d ON d.id = a.delivery_id
            WHERE a.late AND a.pack_id = pack_stats.pack_id AND COALESCE(d.district, '') = pack_stats.district
              AND COALESCE(d.commune, '') = pack_stats.commune),
    reported = (SELECT count(DISTINCT r.cell_id) FROM reports r JOIN deliveries d ON d.id = r.delivery_id
                WHERE r.pack_id = pack_stats.pack_id AND COALESCE(d.district, '') = pack_stats.district
                  AND COALESCE(d.commune, '') = pack_stats.commune);

CREATE TRIGGER pack_stats_delivery_written AFTER INSERT ON deliveries
WHEN (SELECT kind FROM broadcasts WHERE id = NEW.broadcast_id) = 'pack'
BEGIN
    INSERT INTO pack_stats (pack_id, district, commune, targeted, delivered, unreachable)
    VALUES ((SELECT pack_id FROM broadcasts WHERE id = NEW.broadcast_id),
            COALESCE(NEW.district, ''), COALESCE(NEW.commune, ''),
            NEW.state <> 'cancelled', NEW.state = 'sent', NEW.state = 'failed')
    ON CONFLICT (pack_id, district, commune) DO UPDATE SET
        targeted = targeted + excluded.targeted,
        delivered = delivered + excluded.delivered,
        unreachable = unreachable + excluded.unreachable;
END;

CREATE TRIGGER pack_stats_delivery_changed AFTER UPDATE OF state ON deliveries
WHEN ((NEW.state = 'sent') <> (OLD.state = 'sent') OR (NEW.state = 'failed') <> (OLD.state = 'failed')
      OR (NEW.state = 'cancelled') <> (OLD.state = 'cancelled'))
     AND (SELECT kind FROM broadcasts WHERE id = NEW.broadcast_id) = 'pack'
BEGIN
    UPDATE pack_stats SET
        targeted = targeted + (NEW.state <> 'cancelled') - (OLD.state <> 'cancelled'),
        delivered = delivered + (NEW.state = 'sent') - (OLD.state = 'sent'),
        unreachable = unreachable + (NEW.state = 'failed') - (OLD.state = 'failed')
    WHERE pack_id = (SELECT pack_id FROM broadcasts WHERE id = NEW.broadcast_id)
      AND district = COALESCE(NEW.district, '') AND commune = COALESCE(NEW.commune, '');
END;

CREATE TRIGGER pack_stats_ack AFTER INSERT ON acks
BEGIN
    UPDATE pack_stats SET acknowledged = acknowledged + 1, late = late + (NEW.late <> 0)
    WHERE pack_id = NEW.pack_id
      AND (district, commune) = (SELECT COALESCE(d.district, ''), COALESCE(d.commune, '')
                                 FROM deliveries d WHERE d.id = NEW.delivery_id);
END;

CREATE TRIGGER pack_stats_first_report AFTER INSERT ON reports
WHEN NOT EXISTS (SELECT 1 FROM reports r WHERE r.pack_id = NEW.pack_id AND r.cell_id = NEW.cell_id AND r.id <> NEW.id)
BEGIN
    UPDATE pack_stats SET reported = reported + 1
    WHERE pack_id = NEW.pack_id
      AND (district, commune) = (SELECT COALESCE(d.district, ''), COALESCE(d.commune, '')
                                 FROM deliveries d WHERE d.id = NEW.delivery_id);
END;
