-- The organisation as it is now: a tree of units of any depth. The province's committee is the
-- root; under it the committees directly subordinate to it (communes, wards, agency and enterprise
-- committees), optionally their sub-committees; party cells (the `cells` table) hang from a unit.
-- Until 1 July 2025 the tree had a district level: an existing database keeps its districts and
-- communes as units (below), so that nothing already recorded changes meaning.
CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL DEFAULT '',           -- free text from the registry, e.g. "dang-uy-xa"
    parent_id   INTEGER REFERENCES units (id),      -- NULL for the root only
    retired_at  INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE UNIQUE INDEX units_one_root ON units ((parent_id IS NULL)) WHERE parent_id IS NULL;
CREATE INDEX units_by_parent ON units (parent_id);

-- Every (ancestor, descendant) pair of the tree with the distance between them, a unit being its
-- own ancestor at 0: a unit's subtree and a cell's ancestors are one indexed read.
CREATE TABLE unit_paths (
    ancestor    INTEGER NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    descendant  INTEGER NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    depth       INTEGER NOT NULL,
    PRIMARY KEY (ancestor, descendant)
) WITHOUT ROWID;
CREATE INDEX unit_paths_up ON unit_paths (descendant, depth);

-- The unit a cell hangs from; the unit a unit officer (today's `district` role) serves; the unit
-- each delivery's cell hung from when the pack went out (history stays with that day's tree).
ALTER TABLE cells ADD COLUMN unit_id INTEGER REFERENCES units (id);
ALTER TABLE staff ADD COLUMN unit_id INTEGER REFERENCES units (id);
ALTER TABLE deliveries ADD COLUMN unit_id INTEGER;
CREATE INDEX cells_by_unit ON cells (unit_id, status);

-- Party members in a cell, when the registry gives them (the denominator of attendance).
ALTER TABLE cells ADD COLUMN members INTEGER CHECK (members IS NULL OR members >= 0);

-- The province's committee (renamed by importing a registry whose root row says otherwise).
INSERT INTO units (code, name, kind, parent_id, created_at, updated_at)
VALUES ('TINH', 'Đảng bộ tỉnh', 'tinh', NULL, CAST(strftime('%s', 'now') AS INTEGER), CAST(strftime('%s', 'now') AS INTEGER));

-- Every district named anywhere (cells, officers, deliveries) becomes a unit under the root, its
-- code its name; every commune a unit under its district, coded "district / commune" (commune
-- names repeat across districts).
INSERT INTO units (code, name, kind, parent_id, created_at, updated_at)
SELECT d, d, 'huyen', (SELECT id FROM units WHERE parent_id IS NULL),
       CAST(strftime('%s', 'now') AS INTEGER), CAST(strftime('%s', 'now') AS INTEGER)
FROM (SELECT district AS d FROM cells
      UNION SELECT district FROM staff WHERE district IS NOT NULL
      UNION SELECT district FROM deliveries WHERE district IS NOT NULL)
WHERE d <> '' AND d NOT IN (SELECT code FROM units);

INSERT INTO units (code, name, kind, parent_id, created_at, updated_at)
SELECT x.district || ' / ' || x.commune, x.commune, 'xa',
       (SELECT id FROM units u WHERE u.code = x.district AND u.kind = 'huyen'),
       CAST(strftime('%s', 'now') AS INTEGER), CAST(strftime('%s', 'now') AS INTEGER)
FROM (SELECT district, commune FROM cells WHERE commune IS NOT NULL AND commune <> ''
      UNION SELECT district, commune FROM deliveries WHERE commune IS NOT NULL AND commune <> '') x
WHERE x.district IS NOT NULL AND x.district <> ''
  AND (x.district || ' / ' || x.commune) NOT IN (SELECT code FROM units);

UPDATE cells SET unit_id = COALESCE(
    (SELECT id FROM units u WHERE u.kind = 'xa' AND u.code = cells.district || ' / ' || cells.commune),
    (SELECT id FROM units u WHERE u.kind = 'huyen' AND u.code = cells.district),
    (SELECT id FROM units u WHERE u.parent_id IS NULL));
UPDATE staff SET unit_id = (SELECT id FROM units u WHERE u.kind = 'huyen' AND u.code = staff.district)
WHERE district IS NOT NULL;
UPDATE deliveries SET unit_id = COALESCE(
    (SELECT id FROM units u WHERE u.kind = 'xa' AND u.code = deliveries.district || ' / ' || deliveries.commune),
    (SELECT id FROM units u WHERE u.kind = 'huyen' AND u.code = deliveries.district),
    (SELECT unit_id FROM cells c WHERE c.id = deliveries.cell_id));

INSERT INTO unit_paths (ancestor, descendant, depth)
WITH RECURSIVE up (descendant, ancestor, depth) AS (
    SELECT id, id, 0 FROM units
    UNION ALL
    SELECT up.descendant, u.parent_id, up.depth + 1 FROM up JOIN units u ON u.id = up.ancestor
    WHERE u.parent_id IS NOT NULL
)
SELECT ancestor, descendant, depth FROM up;
