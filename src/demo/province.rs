//! The province the demo plays: its registry, its cells bound through their invites (private
//! chats and groups), and the few that are lost (the bot blocked, an account deleted, a group
//! become a supergroup).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sqlx::SqlitePool;

use super::{DISTRICTS, bar, count, until};
use crate::cells::invites::IssuedInvite;
use crate::sim::{ChatKind, Sim};

/// The registry: `n` cells spread over the districts, a dozen communes each.
pub fn registry(n: usize) -> String {
    let mut csv = String::from("code,name,district,commune,parent,tags\n");
    for i in 0..n {
        let (district, prefix, _, _) = DISTRICTS[i % DISTRICTS.len()];
        let commune = format!("Xã số {}", (i / DISTRICTS.len()) % 12 + 1);
        csv.push_str(&format!(
            "{prefix}-{:04},Chi bộ thôn số {},{district},{commune},Đảng bộ {commune},{}\n",
            i + 1,
            i + 1,
            if i % 3 == 0 { "xa;vung-cao" } else { "xa" }
        ));
    }
    csv
}

/// The cells as bound: each cell's chat and the member who speaks for it.
pub(super) struct Bound {
    /// Cell code -> (chat, member).
    pub members: HashMap<String, (i64, i64)>,
    pub private_chats: usize,
    pub groups: usize,
}

/// Binds every cell through its invite: two cells in five through a group, the others through a
/// secretary's private chat; waits until Loa has bound them all.
pub(super) async fn bind(
    sim: &Sim,
    pool: &SqlitePool,
    invites: &[IssuedInvite],
    progress: bool,
) -> anyhow::Result<Bound> {
    let n = invites.len();
    let binding = bar(progress, n as u64, "Chi bộ kết nối qua mã mời");
    let mut members: HashMap<String, (i64, i64)> = HashMap::new();
    let (mut private_chats, mut groups) = (0, 0);
    for (i, inv) in invites.iter().enumerate() {
        let secretary = sim.create_user(&format!("Bí thư {}", i + 1), Some(&inv.cell_name.replace("Chi bộ ", "")));
        if i % 5 < 2 {
            let g = sim.create_group(&inv.cell_name, ChatKind::Group);
            sim.add_bot_to_group(g, secretary, Some(inv.code.as_str())).map_err(anyhow::Error::msg)?;
            members.insert(inv.cell_code.clone(), (g, secretary));
            groups += 1;
        } else {
            sim.send_text(secretary, secretary, &format!("/start {}", inv.code.as_str()))
                .map_err(anyhow::Error::msg)?;
            members.insert(inv.cell_code.clone(), (secretary, secretary));
            private_chats += 1;
        }
    }
    until(&binding, Duration::from_secs(60), "the cells to bind", async || {
        let bound = count(pool, "SELECT count(*) FROM cells WHERE status = 'active' AND id > ?", 0).await.unwrap_or(0);
        Ok((bound as u64, bound as usize >= n))
    })
    .await?;
    Ok(Bound { members, private_chats, groups })
}

/// The cells lost before the pack goes out.
pub(super) struct Lost {
    pub blocked: Vec<String>,
    pub deactivated: Vec<String>,
    /// The group that became a supergroup: (old id, new id).
    pub migrated_group: Option<(i64, i64)>,
}

/// A few cells block the bot or delete their account; one group becomes a supergroup. Waits until
/// Loa has followed the group and marked the blocked cells unreachable.
pub(super) async fn lose_some(sim: &Sim, pool: &SqlitePool, bound: &mut Bound) -> anyhow::Result<Lost> {
    let n = bound.members.len();
    let members = &mut bound.members;
    let privates: Vec<String> = members.iter().filter(|(_, (c, u))| c == u).map(|(k, _)| k.clone()).collect();
    let mut sorted = privates.clone();
    sorted.sort();
    let blocked: Vec<String> = sorted.iter().step_by(37).take((n / 60).max(1)).cloned().collect();
    for code in &blocked {
        sim.block_bot(members[code].1, true).map_err(anyhow::Error::msg)?;
    }
    let deactivated: Vec<String> =
        sorted.iter().skip(5).step_by(53).filter(|c| !blocked.contains(c)).take((n / 100).max(1)).cloned().collect();
    for code in &deactivated {
        sim.deactivate_user(members[code].1);
    }
    let mut group_codes: Vec<&String> = members.iter().filter(|(_, (c, _))| *c < 0).map(|(k, _)| k).collect();
    group_codes.sort();
    let migrated_group = match group_codes.first() {
        Some(code) => {
            let code = (*code).clone();
            let (g, by) = members[&code];
            let new = sim.migrate_group(g, by).map_err(anyhow::Error::msg)?;
            members.insert(code.clone(), (new, by));
            let deadline = Instant::now() + Duration::from_secs(10);
            while count(pool, "SELECT count(*) FROM cells WHERE chat_id = ?", new).await? == 0
                && Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Some((g, new))
        }
        None => None,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while count(pool, "SELECT count(*) FROM cells WHERE status = 'unreachable' AND id > ?", 0).await?
        < blocked.len() as i64
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(Lost { blocked, deactivated, migrated_group })
}
