//! Staff and their roles. Admins do everything (bootstrap admins come from `staff.admins` in the
//! configuration and cannot be revoked from chat); board staff compose, schedule and follow packs;
//! officers of a unit (the `district` role, named for the level it served before 1 July 2025) see
//! and chase the cells of their unit's subtree only. Every staff command asks
//! [`role_of`] on each call: a revoke takes effect at once.

use std::collections::BTreeSet;
use std::fmt;

use crate::db::DbPool;
use serde_json::json;

use crate::audit::{self, Actor};

/// Telegram's service accounts that stand in for someone else: the anonymous admin of any group
/// (1087968824, GroupAnonymousBot), Telegram's own notices (777000) and a channel posting in a
/// group (136817688, Channel_Bot). A role given to one would go to everyone behind it.
pub const SERVICE_ACCOUNTS: [i64; 3] = [1087968824, 777000, 136817688];

/// A staff role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Admin,
    Board,
    District,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Some(Role::Admin),
            "board" => Some(Role::Board),
            "district" => Some(Role::District),
            _ => None,
        }
    }

    /// Whether this role may do what `needed` may: an admin all a board member may, a board
    /// member all a district officer may.
    pub fn includes(self, needed: Role) -> bool {
        self <= needed
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Board => "board",
            Role::District => "district",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A member of staff.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffMember {
    pub user_id: i64,
    pub role: Role,
    /// The district of a district officer (the name of their unit).
    pub district: Option<String>,
    /// The unit an officer serves: they see and act on its subtree.
    pub unit_id: Option<i64>,
    pub display_name: Option<String>,
    pub granted_at: Option<i64>,
    /// A bootstrap admin from `staff.admins`.
    pub from_config: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    user_id: i64,
    role: String,
    district: Option<String>,
    unit_id: Option<i64>,
    display_name: Option<String>,
    granted_at: i64,
}

impl Row {
    fn member(self) -> Option<StaffMember> {
        Some(StaffMember {
            user_id: self.user_id,
            role: Role::parse(&self.role)?,
            district: self.district,
            unit_id: self.unit_id,
            display_name: self.display_name,
            granted_at: Some(self.granted_at),
            from_config: false,
        })
    }
}

fn bootstrap(user_id: i64) -> StaffMember {
    StaffMember {
        user_id,
        role: Role::Admin,
        district: None,
        unit_id: None,
        display_name: None,
        granted_at: None,
        from_config: true,
    }
}

/// The role of `user_id` now: a bootstrap admin, a granted role, or none.
pub async fn role_of(pool: &DbPool, admins: &BTreeSet<i64>, user_id: i64) -> sqlx::Result<Option<StaffMember>> {
    role_of_on(pool, admins, user_id).await
}

/// [`role_of`], read through `db` (a transaction's connection, say).
pub async fn role_of_on<'e>(
    db: impl sqlx::AnyExecutor<'e>,
    admins: &BTreeSet<i64>,
    user_id: i64,
) -> sqlx::Result<Option<StaffMember>> {
    if admins.contains(&user_id) {
        return Ok(Some(bootstrap(user_id)));
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT user_id, role, district, unit_id, display_name, granted_at FROM staff WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(Row::member))
}

/// Everyone with a role: bootstrap admins first, then by role and id.
pub async fn list(pool: &DbPool, admins: &BTreeSet<i64>) -> sqlx::Result<Vec<StaffMember>> {
    let rows: Vec<Row> = sqlx::query_as("SELECT user_id, role, district, unit_id, display_name, granted_at FROM staff")
        .fetch_all(pool)
        .await?;
    let mut out: Vec<StaffMember> = admins.iter().map(|id| bootstrap(*id)).collect();
    let mut granted: Vec<StaffMember> =
        rows.into_iter().filter_map(Row::member).filter(|m| !admins.contains(&m.user_id)).collect();
    granted.sort_by_key(|m| (m.role, m.user_id));
    out.extend(granted);
    Ok(out)
}

/// Why a grant or revoke was not carried out.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StaffError {
    #[error("user id {0} is not a Telegram user id (a positive number)")]
    BadUserId(i64),
    #[error("the district role needs a district (--district)")]
    DistrictMissing,
    #[error("only the district role takes a district")]
    DistrictNotAllowed,
    #[error("{0} is a bootstrap admin from the configuration (staff.admins); remove it there")]
    BootstrapAdmin(i64),
    #[error("{0} has no staff role")]
    NotStaff(i64),
    #[error(
        "{0} is one of Telegram's service accounts (an anonymous group admin, a channel, Telegram's notices), not a person"
    )]
    ServiceAccount(i64),
}

/// Gives `user_id` a role (replacing any role it had). `district` must already be checked
/// against the registry; a district officer serves the district's unit ([`crate::units::for_district`]).
pub async fn grant(
    pool: &DbPool,
    admins: &BTreeSet<i64>,
    user_id: i64,
    role: Role,
    district: Option<String>,
    actor: Actor,
) -> anyhow::Result<Result<StaffMember, StaffError>> {
    grant_in(pool, admins, user_id, role, district.map(|d| (d, None)), actor).await
}

/// Makes `user_id` an officer of `unit` (any unit below the province's committee): they see and
/// act on its subtree, and hear of the cells for which it is the nearest unit with officers.
pub async fn grant_unit(
    pool: &DbPool,
    admins: &BTreeSet<i64>,
    user_id: i64,
    unit: &crate::units::Unit,
    actor: Actor,
) -> anyhow::Result<Result<StaffMember, StaffError>> {
    grant_in(pool, admins, user_id, Role::District, Some((unit.name.clone(), Some(unit.id))), actor).await
}

async fn grant_in(
    pool: &DbPool,
    admins: &BTreeSet<i64>,
    user_id: i64,
    role: Role,
    scope: Option<(String, Option<i64>)>,
    actor: Actor,
) -> anyhow::Result<Result<StaffMember, StaffError>> {
    let (district, unit) = match scope {
        Some((d, unit)) => (Some(d), unit),
        None => (None, None),
    };
    if user_id <= 0 {
        return Ok(Err(StaffError::BadUserId(user_id)));
    }
    if SERVICE_ACCOUNTS.contains(&user_id) {
        return Ok(Err(StaffError::ServiceAccount(user_id)));
    }
    match (role, &district) {
        (Role::District, None) => return Ok(Err(StaffError::DistrictMissing)),
        (Role::Admin | Role::Board, Some(_)) => return Ok(Err(StaffError::DistrictNotAllowed)),
        _ => {}
    }
    if admins.contains(&user_id) {
        return Ok(Err(StaffError::BootstrapAdmin(user_id)));
    }
    let granted_by = actor.user_id();
    let now = crate::dates::now();
    let mut tx = crate::db::begin_write(pool).await?;
    // a district officer is an officer of the district's unit in the organisation's tree
    let unit = match (&district, unit) {
        (_, Some(unit)) => Some(unit),
        (Some(d), None) => Some(crate::units::for_district(&mut tx, d).await?),
        (None, None) => None,
    };
    sqlx::query(
        "INSERT INTO staff (user_id, role, district, unit_id, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id) DO UPDATE SET role = excluded.role, district = excluded.district,
             unit_id = excluded.unit_id, granted_by = excluded.granted_by, granted_at = excluded.granted_at",
    )
    .bind(user_id)
    .bind(role.as_str())
    .bind(&district)
    .bind(unit)
    .bind(granted_by)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        "staff.grant",
        Some(&user_id.to_string()),
        "ok",
        json!({ "role": role.as_str(), "district": district }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(StaffMember {
        user_id,
        role,
        district,
        unit_id: unit,
        display_name: None,
        granted_at: Some(now),
        from_config: false,
    }))
}

/// Who hears at once of something filed under `unit` (an urgent situation report, a question on a
/// pack): every admin and board member, and the officers of the nearest unit at or above `unit`
/// that has officers (none when no unit on the way up has any).
pub async fn who_hears(pool: &DbPool, admins: &BTreeSet<i64>, unit: Option<i64>) -> sqlx::Result<Vec<StaffMember>> {
    let members = list(pool, admins).await?;
    let officered: BTreeSet<i64> =
        members.iter().filter(|m| m.role == Role::District).filter_map(|m| m.unit_id).collect();
    let heard_by = match unit {
        Some(u) => crate::units::nearest_officered(pool, u, &officered).await?,
        None => None,
    };
    Ok(members
        .into_iter()
        .filter(|m| match m.role {
            Role::Admin | Role::Board => true,
            Role::District => m.unit_id.is_some() && m.unit_id == heard_by,
        })
        .collect())
}

/// Takes `user_id`'s role away; returns the role it had.
pub async fn revoke(
    pool: &DbPool,
    admins: &BTreeSet<i64>,
    user_id: i64,
    actor: Actor,
) -> anyhow::Result<Result<Role, StaffError>> {
    if admins.contains(&user_id) {
        return Ok(Err(StaffError::BootstrapAdmin(user_id)));
    }
    let mut tx = crate::db::begin_write(pool).await?;
    let role: Option<String> = sqlx::query_scalar("DELETE FROM staff WHERE user_id = $1 RETURNING role")
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(role) = role.as_deref().and_then(Role::parse) else {
        return Ok(Err(StaffError::NotStaff(user_id)));
    };
    audit::record(&mut tx, actor, "staff.revoke", Some(&user_id.to_string()), "ok", json!({ "role": role.as_str() }))
        .await?;
    tx.commit().await?;
    Ok(Ok(role))
}

/// Audits a refused staff command.
pub async fn record_denial(pool: &DbPool, user_id: i64, command: &str) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    audit::record(&mut conn, Actor::User(user_id), "staff.denied", Some(command), "denied", json!({})).await?;
    Ok(())
}

/// Remembers the name Telegram shows for a staff member (for lists and audit reading).
pub async fn note_name(pool: &DbPool, user_id: i64, name: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE staff SET display_name = $1 WHERE user_id = $2 AND display_name IS NOT $3")
        .bind(name)
        .bind(user_id)
        .bind(name)
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn grants_revokes_and_bootstrap_admins() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&format!("sqlite://{}/t.db", dir.path().display())).await.unwrap();
        let admins: BTreeSet<i64> = [7].into();
        assert_eq!(role_of(&pool, &admins, 7).await.unwrap().unwrap().role, Role::Admin);
        assert_eq!(role_of(&pool, &admins, 8).await.unwrap(), None);
        let m = grant(&pool, &admins, 8, Role::District, Some("Na Rì".into()), Actor::Cli).await.unwrap().unwrap();
        assert_eq!(m.district.as_deref(), Some("Na Rì"));
        assert_eq!(role_of(&pool, &admins, 8).await.unwrap().unwrap().role, Role::District);
        assert_eq!(
            grant(&pool, &admins, 9, Role::District, None, Actor::Cli).await.unwrap(),
            Err(StaffError::DistrictMissing)
        );
        assert_eq!(
            grant(&pool, &admins, 9, Role::Board, Some("x".into()), Actor::Cli).await.unwrap(),
            Err(StaffError::DistrictNotAllowed)
        );
        assert_eq!(
            grant(&pool, &admins, 7, Role::Board, None, Actor::Cli).await.unwrap(),
            Err(StaffError::BootstrapAdmin(7))
        );
        // a new grant replaces the old role
        grant(&pool, &admins, 8, Role::Board, None, Actor::Cli).await.unwrap().unwrap();
        let all = list(&pool, &admins).await.unwrap();
        assert_eq!(all.iter().map(|m| (m.user_id, m.role)).collect::<Vec<_>>(), [(7, Role::Admin), (8, Role::Board)]);
        assert_eq!(revoke(&pool, &admins, 8, Actor::Cli).await.unwrap(), Ok(Role::Board));
        assert_eq!(revoke(&pool, &admins, 8, Actor::Cli).await.unwrap(), Err(StaffError::NotStaff(8)));
        assert_eq!(revoke(&pool, &admins, 7, Actor::Cli).await.unwrap(), Err(StaffError::BootstrapAdmin(7)));
        for id in SERVICE_ACCOUNTS {
            assert_eq!(
                grant(&pool, &admins, id, Role::Admin, None, Actor::Cli).await.unwrap(),
                Err(StaffError::ServiceAccount(id))
            );
        }
        let audited: i64 =
            sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action IN ('staff.grant', 'staff.revoke')")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(audited, 3);
    }
}
