//! The organisation as a tree of units of any depth: the province's committee at the root, the
//! committees directly under it (communes, wards, agency and enterprise committees), optionally
//! their sub-committees; party cells hang from a unit (`cells.unit_id`). Each unit has a code, a
//! name, a kind and its parent; `unit_paths` holds every (ancestor, descendant) pair with its
//! distance, so that a unit's subtree and a cell's ancestors are one indexed read.
//!
//! A registry in the old layout (`district,commune`) still builds the tree: its district becomes a
//! unit under the root (coded by its name) and its commune a unit under the district (coded
//! "district / commune", as commune names repeat across districts) — [`ensure_legacy`]. Migration
//! 0008 did the same for a database that had only districts.

use crate::db::DbConn;
use serde::Serialize;

/// The kind of the province's committee made by the migration.
pub const ROOT_KIND: &str = "tinh";
/// The kind of a unit made from an old-layout district.
pub const DISTRICT_KIND: &str = "huyen";
/// The kind of a unit made from an old-layout commune.
pub const COMMUNE_KIND: &str = "xa";

/// A unit, with its depth in the tree (the root is at 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Unit {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<i64>,
    pub depth: i64,
}

const UNIT: &str = "SELECT u.id, u.code, u.name, u.kind, u.parent_id,
        (SELECT max(p.depth) FROM unit_paths p WHERE p.descendant = u.id) AS depth
     FROM units u";

/// The province's committee.
pub async fn root(conn: &mut DbConn) -> sqlx::Result<Unit> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{UNIT} WHERE u.parent_id IS NULL"))).fetch_one(conn).await
}

/// The unit with this code (codes compare as written).
pub async fn by_code(conn: &mut DbConn, code: &str) -> sqlx::Result<Option<Unit>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{UNIT} WHERE u.code = $1"))).bind(code).fetch_optional(conn).await
}

/// The units a person means by `words`: the unit with that code, else those with that name
/// (compared without case; names repeat across the tree, codes do not).
pub async fn find(conn: &mut DbConn, words: &str) -> sqlx::Result<Vec<Unit>> {
    let words = words.trim();
    if let Some(u) = by_code(&mut *conn, words).await? {
        return Ok(vec![u]);
    }
    let all: Vec<Unit> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{UNIT} WHERE u.retired_at IS NULL ORDER BY u.code")))
            .fetch_all(conn)
            .await?;
    let wanted = words.to_lowercase();
    Ok(all.into_iter().filter(|u| u.name.to_lowercase() == wanted || u.code.to_lowercase() == wanted).collect())
}

/// Whether `unit` is `ancestor` or lies under it.
pub async fn within(conn: &mut DbConn, ancestor: i64, unit: i64) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM unit_paths WHERE ancestor = $1 AND descendant = $2")
        .bind(ancestor)
        .bind(unit)
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// The unit with this id.
pub async fn get(conn: &mut DbConn, id: i64) -> sqlx::Result<Option<Unit>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{UNIT} WHERE u.id = $1"))).bind(id).fetch_optional(conn).await
}

/// A unit's ancestors, nearest first, up to and including the root (not the unit itself).
pub async fn ancestors(conn: &mut DbConn, id: i64) -> sqlx::Result<Vec<Unit>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{UNIT} JOIN unit_paths a ON a.ancestor = u.id WHERE a.descendant = $1 AND a.depth > 0 ORDER BY a.depth"
    )))
    .bind(id)
    .fetch_all(conn)
    .await
}

/// The ids of a unit and every unit below it.
pub async fn subtree(conn: &mut DbConn, id: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT descendant FROM unit_paths WHERE ancestor = $1 ORDER BY depth, descendant")
        .bind(id)
        .fetch_all(conn)
        .await
}

/// A unit's children, by code.
pub async fn children(conn: &mut DbConn, id: i64) -> sqlx::Result<Vec<Unit>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{UNIT} WHERE u.parent_id = $1 ORDER BY u.code")))
        .bind(id)
        .fetch_all(conn)
        .await
}

/// Adds a unit under `parent` (which must exist) and its paths; returns its id.
pub async fn add(conn: &mut DbConn, code: &str, name: &str, kind: &str, parent: i64) -> sqlx::Result<i64> {
    let now = crate::dates::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO units (code, name, kind, parent_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(code)
    .bind(name)
    .bind(kind)
    .bind(parent)
    .bind(now)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO unit_paths (ancestor, descendant, depth)
         SELECT $1, $1, 0 UNION ALL SELECT ancestor, $1, depth + 1 FROM unit_paths WHERE descendant = $2",
    )
    .bind(id)
    .bind(parent)
    .execute(conn)
    .await?;
    Ok(id)
}

/// The unit an old-layout registry row stands for: its district under the root, its commune (if
/// any) under the district; made when missing. Returns the deepest.
pub async fn ensure_legacy(conn: &mut DbConn, district: &str, commune: Option<&str>) -> sqlx::Result<i64> {
    let district_id = match legacy(conn, district).await? {
        Some(id) => id,
        None => {
            let root = root(conn).await?.id;
            add(conn, district, district, DISTRICT_KIND, root).await?
        }
    };
    let Some(commune) = commune.filter(|c| !c.is_empty()) else { return Ok(district_id) };
    let code = format!("{district} / {commune}");
    match legacy(conn, &code).await? {
        Some(id) => Ok(id),
        None => add(conn, &code, commune, COMMUNE_KIND, district_id).await,
    }
}

/// The unit with this code, whatever its kind: a district's unit that a tree registry has since
/// given a kind of its own is still the district's.
async fn legacy(conn: &mut DbConn, code: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM units WHERE code = $1").bind(code).fetch_optional(conn).await
}

/// The unit a district officer's district stands for: the unit directly under the province's
/// committee with that code or, failing that, that name (the districts of an old-layout registry
/// are coded by their name; a tree registry's cells show their first-level unit's name as their
/// district); made under the root when there is none.
pub async fn for_district(conn: &mut DbConn, district: &str) -> sqlx::Result<i64> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT u.id FROM units u JOIN unit_paths p ON p.descendant = u.id
         JOIN units r ON r.id = p.ancestor AND r.parent_id IS NULL
         WHERE p.depth = 1 AND (u.code = $1 OR u.name = $1) ORDER BY u.code = $1 DESC, u.id LIMIT 1",
    )
    .bind(district)
    .fetch_optional(&mut *conn)
    .await?;
    match found {
        Some(id) => Ok(id),
        None => ensure_legacy(conn, district, None).await,
    }
}

/// Rewrites `unit_paths` from the parents (after a unit moves under another parent).
pub async fn rebuild_paths(conn: &mut DbConn) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM unit_paths").execute(&mut *conn).await?;
    sqlx::query(
        "INSERT INTO unit_paths (ancestor, descendant, depth)
         WITH RECURSIVE up (descendant, ancestor, depth) AS (
             SELECT id, id, 0 FROM units
             UNION ALL
             SELECT up.descendant, u.parent_id, up.depth + 1 FROM up JOIN units u ON u.id = up.ancestor
             WHERE u.parent_id IS NOT NULL
         )
         SELECT ancestor, descendant, depth FROM up",
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The district and commune columns of a cell under `unit` (what the old layout's audiences by
/// district, the invite sheets and `/whoami` still read): its units at the first and second level
/// below the root (the unit itself where it is one of them). Read once a unit (`known` keeps what
/// was read).
pub(crate) async fn legacy_place(
    conn: &mut crate::db::DbConn,
    known: &mut std::collections::HashMap<i64, (String, Option<String>)>,
    unit: i64,
) -> sqlx::Result<(String, Option<String>)> {
    if let Some(place) = known.get(&unit) {
        return Ok(place.clone());
    }
    let levels: Vec<(i64, String)> = sqlx::query_as(
        "SELECT (SELECT max(x.depth) FROM unit_paths x WHERE x.descendant = u.id) AS level, u.name
         FROM unit_paths p JOIN units u ON u.id = p.ancestor WHERE p.descendant = $1 ORDER BY level",
    )
    .bind(unit)
    .fetch_all(conn)
    .await?;
    let at = |n: i64| levels.iter().find(|(l, _)| *l == n).map(|(_, name)| name.clone());
    let place = (at(1).or_else(|| at(0)).unwrap_or_default(), at(2));
    known.insert(unit, place.clone());
    Ok(place)
}

/// The unit whose officers hear of the cells of `unit`: the nearest unit at or above it that has
/// one of `officered` (`None` when no unit on the way up has officers: the board hears alone).
pub async fn nearest_officered(
    pool: &crate::db::DbPool,
    unit: i64,
    officered: &std::collections::BTreeSet<i64>,
) -> sqlx::Result<Option<i64>> {
    let up: Vec<i64> = sqlx::query_scalar("SELECT ancestor FROM unit_paths WHERE descendant = $1 ORDER BY depth")
        .bind(unit)
        .fetch_all(pool)
        .await?;
    Ok(up.into_iter().find(|u| officered.contains(u)))
}

/// What a merger did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// Cells moved to the unit merged into.
    pub cells: u64,
    /// Units that hung from the merged unit, now under the unit merged into.
    pub units: u64,
    /// Officers of the merged unit, now officers of the unit merged into.
    pub officers: u64,
}

/// Merges unit `from` into unit `into` (two communes become one, say): `from`'s cells, the units
/// under it and its officers move to `into`, and `from` is retired. What was recorded stays as it
/// was: the deliveries of past packs keep `from` as their cell's unit, so old figures still show
/// it (its retired row keeps its place in the tree), and nothing is counted twice. `Err` with the
/// reason (the same unit, the root, `into` under `from`, a unit already retired) writes nothing.
pub async fn merge(
    pool: &crate::db::DbPool,
    from: &Unit,
    into: &Unit,
    actor: crate::audit::Actor,
) -> anyhow::Result<Result<Merged, String>> {
    if from.id == into.id {
        return Ok(Err(format!("{} cannot be merged into itself", from.code)));
    }
    if from.parent_id.is_none() {
        return Ok(Err(format!("{} is the province's committee: it cannot be merged", from.code)));
    }
    let mut tx = crate::db::begin_write(pool).await?;
    if within(&mut tx, from.id, into.id).await? {
        return Ok(Err(format!("{} is under {}: a unit cannot be merged into its own subtree", into.code, from.code)));
    }
    let retired: Vec<String> =
        sqlx::query_scalar("SELECT code FROM units WHERE id IN ($1, $2) AND retired_at IS NOT NULL")
            .bind(from.id)
            .bind(into.id)
            .fetch_all(&mut *tx)
            .await?;
    if let Some(code) = retired.first() {
        return Ok(Err(format!("{code} was retired by an earlier merger")));
    }
    let now = crate::dates::now();
    let units = sqlx::query("UPDATE units SET parent_id = $1, updated_at = $2 WHERE parent_id = $3")
        .bind(into.id)
        .bind(now)
        .bind(from.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    rebuild_paths(&mut tx).await?;
    // the cells of `from`, and those of the units that moved with it, get their new place's names
    let moved: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT c.id, c.unit_id FROM cells c
         WHERE c.unit_id = $1 OR c.unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $2)",
    )
    .bind(from.id)
    .bind(into.id)
    .fetch_all(&mut *tx)
    .await?;
    let mut places = std::collections::HashMap::new();
    let mut cells = 0;
    for (cell, was) in moved {
        let unit = if was == from.id { into.id } else { was };
        cells += u64::from(was == from.id);
        let (district, commune) = legacy_place(&mut tx, &mut places, unit).await?;
        sqlx::query(
            "UPDATE cells SET unit_id = $1, district = $2, commune = $3, updated_at = $4
             WHERE id = $5 AND (unit_id IS NOT $6 OR district IS NOT $7 OR commune IS NOT $8)",
        )
        .bind(unit)
        .bind(&district)
        .bind(&commune)
        .bind(now)
        .bind(cell)
        .bind(unit)
        .bind(&district)
        .bind(&commune)
        .execute(&mut *tx)
        .await?;
    }
    let officers = sqlx::query("UPDATE staff SET unit_id = $1, district = $2 WHERE unit_id = $3")
        .bind(into.id)
        .bind(&into.name)
        .bind(from.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query("UPDATE units SET retired_at = $1, updated_at = $2 WHERE id = $3")
        .bind(now)
        .bind(now)
        .bind(from.id)
        .execute(&mut *tx)
        .await?;
    let merged = Merged { cells, units, officers };
    crate::audit::record(
        &mut tx,
        actor,
        "units.merge",
        Some(&from.code),
        "ok",
        serde_json::json!({ "into": into.code, "cells": cells, "units": units, "officers": officers }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(merged))
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    async fn fresh() -> (tempfile::TempDir, crate::db::DbPool) {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&format!("sqlite://{}/loa.db", dir.path().display())).await.unwrap();
        (dir, pool)
    }

    #[tokio::test]
    async fn a_tree_of_any_depth_answers_its_subtree_and_ancestors() {
        let (_dir, pool) = fresh().await;
        let mut conn = pool.acquire().await.unwrap();
        let root = root(&mut conn).await.unwrap();
        assert_eq!((root.code.as_str(), root.depth, root.parent_id), ("TINH", 0, None));
        let xa = add(&mut conn, "X01", "Đảng ủy xã Bằng Vân", "dang-uy-xa", root.id).await.unwrap();
        let bo_phan = add(&mut conn, "X01-BP1", "Đảng bộ bộ phận thôn", "dang-bo-bo-phan", xa).await.unwrap();
        let other = add(&mut conn, "CQ01", "Đảng ủy cơ quan", "dang-uy-co-quan", root.id).await.unwrap();
        let got = get(&mut conn, bo_phan).await.unwrap().unwrap();
        assert_eq!((got.depth, got.parent_id), (2, Some(xa)));
        let up: Vec<String> = ancestors(&mut conn, bo_phan).await.unwrap().into_iter().map(|u| u.code).collect();
        assert_eq!(up, ["X01", "TINH"], "nearest first, the root last");
        assert_eq!(subtree(&mut conn, xa).await.unwrap(), [xa, bo_phan]);
        assert_eq!(subtree(&mut conn, root.id).await.unwrap().len(), 4);
        let kids: Vec<i64> = children(&mut conn, root.id).await.unwrap().into_iter().map(|u| u.id).collect();
        assert_eq!(kids, [other, xa], "by code");
        // a second root is refused by the schema
        let second = sqlx::query(
            "INSERT INTO units (code, name, parent_id, created_at, updated_at) VALUES ('T2', 'T2', NULL, 0, 0)",
        )
        .execute(&mut *conn)
        .await;
        assert!(second.is_err(), "one root");
        // a move, and the paths rebuilt from the parents
        sqlx::query("UPDATE units SET parent_id = $1 WHERE id = $2")
            .bind(other)
            .bind(bo_phan)
            .execute(&mut *conn)
            .await
            .unwrap();
        rebuild_paths(&mut conn).await.unwrap();
        assert_eq!(subtree(&mut conn, xa).await.unwrap(), [xa]);
        assert_eq!(subtree(&mut conn, other).await.unwrap(), [other, bo_phan]);
    }

    #[tokio::test]
    async fn an_old_layout_row_finds_or_makes_its_district_and_commune() {
        let (_dir, pool) = fresh().await;
        let mut conn = pool.acquire().await.unwrap();
        let a = ensure_legacy(&mut conn, "Na Rì", Some("Xã số 1")).await.unwrap();
        let b = ensure_legacy(&mut conn, "Ba Bể", Some("Xã số 1")).await.unwrap();
        assert_ne!(a, b, "commune names repeat across districts");
        assert_eq!(ensure_legacy(&mut conn, "Na Rì", Some("Xã số 1")).await.unwrap(), a, "found, not made again");
        // a tree registry gave the district a kind of its own: it is still the district's unit
        sqlx::query("UPDATE units SET kind = 'dang-uy-xa' WHERE code = 'Na Rì'").execute(&mut *conn).await.unwrap();
        assert_eq!(ensure_legacy(&mut conn, "Na Rì", Some("Xã số 1")).await.unwrap(), a);
        let district = ensure_legacy(&mut conn, "Na Rì", None).await.unwrap();
        assert_eq!(get(&mut conn, a).await.unwrap().unwrap().parent_id, Some(district));
        let commune = get(&mut conn, a).await.unwrap().unwrap();
        assert_eq!((commune.code.as_str(), commune.name.as_str(), commune.depth), ("Na Rì / Xã số 1", "Xã số 1", 2));
    }

    /// An old-layout registry places its cells in the tree; a cell that moves district moves unit,
    /// and a district officer serves the district's unit.
    #[tokio::test]
    async fn an_old_layout_import_and_a_grant_keep_the_tree() {
        use crate::audit::Actor;
        use crate::cells::import::{apply, parse_csv};
        let (_dir, pool) = fresh().await;
        let csv = "code,name,district,commune\nNR-1,Chi bộ 1,Na Rì,Xã số 1\nNR-2,Chi bộ 2,Na Rì,\n";
        apply(&pool, &parse_csv(csv.as_bytes()).unwrap(), Default::default(), Actor::Cli).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let unit_of = async |conn: &mut DbConn, code: &str| -> String {
            let id: i64 = sqlx::query_scalar("SELECT unit_id FROM cells WHERE code = $1")
                .bind(code)
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            get(conn, id).await.unwrap().unwrap().code
        };
        assert_eq!(unit_of(&mut conn, "NR-1").await, "Na Rì / Xã số 1");
        assert_eq!(unit_of(&mut conn, "NR-2").await, "Na Rì");
        drop(conn);
        let moved = "code,name,district,commune\nNR-1,Chi bộ 1,Ba Bể,Xã số 1\nNR-2,Chi bộ 2,Na Rì,\n";
        apply(&pool, &parse_csv(moved.as_bytes()).unwrap(), Default::default(), Actor::Cli).await.unwrap();
        let admins = Default::default();
        let role = crate::staff::Role::District;
        crate::staff::grant(&pool, &admins, 42, role, Some("Na Rì".into()), Actor::Cli).await.unwrap().unwrap();
        let mut conn = pool.acquire().await.unwrap();
        assert_eq!(unit_of(&mut conn, "NR-1").await, "Ba Bể / Xã số 1");
        let officer: i64 =
            sqlx::query_scalar("SELECT unit_id FROM staff WHERE user_id = 42").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(get(&mut conn, officer).await.unwrap().unwrap().code, "Na Rì");
    }

    /// A database made before the tree (migrations up to 0007) with districts, communes, an
    /// officer, deliveries and an acknowledgement: migration 0008 gives each its unit, and the
    /// paths; 0009 turns the running totals by district into totals by unit, equal at level 1.
    #[tokio::test]
    async fn an_existing_province_migrates_into_the_tree_without_loss() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::connect(&format!("sqlite://{}/loa.db", dir.path().display())).await.unwrap();
        let all = &crate::db::MIGRATOR;
        let before = sqlx::migrate::Migrator {
            migrations: Cow::Owned(all.migrations.iter().filter(|m| m.version < 8).cloned().collect()),
            ignore_missing: all.ignore_missing,
            locking: all.locking,
            no_tx: all.no_tx,
            table_name: all.table_name.clone(),
            create_schemas: all.create_schemas.clone(),
        };
        before.run(&pool).await.unwrap();
        for (id, code, district, commune) in
            [(1, "NR-1", "Na Rì", Some("Xã số 1")), (2, "NR-2", "Na Rì", None), (3, "BB-1", "Ba Bể", Some("Xã số 1"))]
        {
            sqlx::query("INSERT INTO cells (id, code, name, district, commune, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, 0)")
                .bind(id)
                .bind(code)
                .bind(code)
                .bind(district)
                .bind(commune)
                .execute(&pool)
                .await
                .unwrap();
        }
        sqlx::query("INSERT INTO staff (user_id, role, district, granted_at) VALUES (42, 'district', 'Chợ Đồn', 0)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO packs (id, kind, title, body_html, status, created_at, updated_at) VALUES (1, 'urgent', 'T', 'b', 'sent', 0, 0)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO broadcasts (id, pack_id, created_at) VALUES (1, 1, 0)").execute(&pool).await.unwrap();
        // the deliveries went out when NR-2 was in Pác Nặm; NR-2 acknowledged
        sqlx::query(
            "INSERT INTO deliveries (id, broadcast_id, cell_id, chat_id, next_attempt_at, district, commune, state)
             VALUES (1, 1, 2, 5, 0, 'Pác Nặm', NULL, 'sent'), (2, 1, 1, 6, 0, 'Na Rì', 'Xã số 1', 'sent'),
                    (3, 1, 3, 7, 0, 'Ba Bể', 'Xã số 1', 'failed')",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO acks (pack_id, cell_id, delivery_id, user_id, user_name, at, late) VALUES (1, 2, 1, 9, 'An', 0, 0)")
            .execute(&pool)
            .await
            .unwrap();
        // the running totals by district of migration 0005, before
        let by_district = "SELECT district, CAST(sum(targeted) AS BIGINT), CAST(sum(delivered) AS BIGINT), CAST(sum(unreachable) AS BIGINT), CAST(sum(acknowledged) AS BIGINT)
                           FROM pack_stats GROUP BY district ORDER BY district";
        let before_totals: Vec<(String, i64, i64, i64, i64)> =
            sqlx::query_as(by_district).fetch_all(&pool).await.unwrap();
        assert_eq!(before_totals.len(), 3);
        crate::db::migrate(&pool).await.unwrap();
        // ... equal the totals by unit at level 1, after: nothing lost or counted twice
        let s = crate::stats::pack(&pool, 1, crate::stats::View::at(1)).await.unwrap().unwrap();
        let mut after: Vec<(String, i64, i64, i64, i64)> = s
            .groups
            .iter()
            .map(|g| {
                let c = &g.counts;
                (g.unit.name.clone(), c.targeted, c.delivered, c.unreachable, c.acknowledged)
            })
            .collect();
        after.sort();
        assert_eq!(after, before_totals);

        let mut conn = pool.acquire().await.unwrap();
        let unit_of = async |conn: &mut DbConn, sql: &str| -> String {
            let id: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&mut *conn).await.unwrap();
            get(conn, id).await.unwrap().unwrap().code
        };
        assert_eq!(unit_of(&mut conn, "SELECT unit_id FROM cells WHERE id = 1").await, "Na Rì / Xã số 1");
        assert_eq!(unit_of(&mut conn, "SELECT unit_id FROM cells WHERE id = 2").await, "Na Rì");
        assert_eq!(unit_of(&mut conn, "SELECT unit_id FROM cells WHERE id = 3").await, "Ba Bể / Xã số 1");
        assert_eq!(unit_of(&mut conn, "SELECT unit_id FROM staff WHERE user_id = 42").await, "Chợ Đồn");
        assert_eq!(
            unit_of(&mut conn, "SELECT unit_id FROM deliveries").await,
            "Pác Nặm",
            "history keeps that day's tree"
        );
        let root = root(&mut conn).await.unwrap();
        let districts: Vec<String> = children(&mut conn, root.id).await.unwrap().into_iter().map(|u| u.name).collect();
        assert_eq!(districts, ["Ba Bể", "Chợ Đồn", "Na Rì", "Pác Nặm"]);
        let na_ri = by_code(&mut conn, "Na Rì").await.unwrap().unwrap();
        assert_eq!(subtree(&mut conn, na_ri.id).await.unwrap().len(), 2, "Na Rì and its commune");
        let unplaced: i64 =
            sqlx::query_scalar("SELECT count(*) FROM cells WHERE unit_id IS NULL").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(unplaced, 0);
    }
}
