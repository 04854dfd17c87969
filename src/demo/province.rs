//! The province the demo plays: its registry, its cells bound through their invites (private
//! chats and groups), and the few that are lost (the bot blocked, an account deleted, a group
//! become a supergroup).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::db::DbPool;

use super::{bar, count, until};
use crate::cells::invites::IssuedInvite;
use crate::sim::{ChatKind, Sim};

/// Wards (phường) of the demo's province, each with its own party committee directly under the
/// province's since 1 July 2025.
const WARDS: [&str; 12] = [
    "Phan Đình Phùng",
    "Quyết Thắng",
    "Gia Sàng",
    "Tích Lương",
    "Linh Sơn",
    "Quan Triều",
    "Phổ Yên",
    "Vạn Xuân",
    "Trung Thành",
    "Sông Công",
    "Bá Xuyên",
    "Đức Xuân",
];

/// Its communes (xã).
const COMMUNES: [&str; 84] = [
    "Bằng Vân",
    "Ba Bể",
    "Chợ Rã",
    "Nà Phặc",
    "Thượng Minh",
    "Đồng Phúc",
    "Phúc Lộc",
    "Cao Minh",
    "Bằng Thành",
    "Nghiên Loan",
    "Cốc Đán",
    "Na Rì",
    "Văn Lang",
    "Côn Minh",
    "Xuân Dương",
    "Trần Phú",
    "Sơn Lộ",
    "Cường Lợi",
    "Chợ Mới",
    "Thanh Thịnh",
    "Yên Phong",
    "Thanh Mai",
    "Tân Kỳ",
    "Yên Bình",
    "Chợ Đồn",
    "Nam Cường",
    "Quảng Bạch",
    "Yên Thịnh",
    "Thượng Quan",
    "Nghĩa Tá",
    "Phủ Thông",
    "Cẩm Giàng",
    "Vĩnh Thông",
    "Bạch Thông",
    "Phong Quang",
    "Đại Từ",
    "Đức Lương",
    "Phú Thịnh",
    "La Bằng",
    "Phú Lạc",
    "An Khánh",
    "Quân Chu",
    "Vạn Phú",
    "Phú Xuyên",
    "Định Hóa",
    "Bình Yên",
    "Trung Hội",
    "Phượng Tiến",
    "Phú Đình",
    "Bình Thành",
    "Phú Lương",
    "Vô Tranh",
    "Yên Trạch",
    "Hợp Thành",
    "Đồng Hỷ",
    "Quang Sơn",
    "Trại Cau",
    "Nam Hòa",
    "Văn Hán",
    "Văn Lăng",
    "Võ Nhai",
    "Dân Tiến",
    "Nghinh Tường",
    "Thần Sa",
    "La Hiên",
    "Tràng Xá",
    "Phú Bình",
    "Tân Khánh",
    "Tân Thành",
    "Điềm Thụy",
    "Kha Sơn",
    "Ngân Sơn",
    "Thượng Quan Hạ",
    "Bằng Vân Thượng",
    "Hiệp Lực",
    "Thuần Mang",
    "Bộc Bố",
    "Nhạn Môn",
    "Cao Sơn",
    "Công Bằng",
    "Ba Bể Hồ",
    "Sảng Mộc",
    "Thần Xa",
    "Nghinh Tường Hạ",
];

/// Committees of the province's agencies and enterprises (đảng ủy trực thuộc), never districts.
const AGENCIES: [(&str, &str); 4] = [
    ("CQ-DANG", "Đảng ủy các cơ quan Đảng tỉnh"),
    ("CQ-UBND", "Đảng ủy Ủy ban nhân dân tỉnh"),
    ("CQ-MTTQ", "Đảng ủy Mặt trận Tổ quốc, các đoàn thể tỉnh"),
    ("DN-01", "Đảng ủy Công ty Gang thép"),
];

/// The code and name of the demo's committee `i` (wards, communes, then agencies).
fn committee(i: usize) -> (String, String, &'static str) {
    if i < WARDS.len() {
        (format!("P-{:02}", i + 1), format!("Đảng ủy phường {}", WARDS[i]), "dang-uy-phuong")
    } else if i < WARDS.len() + COMMUNES.len() {
        let k = i - WARDS.len();
        (format!("X-{:02}", k + 1), format!("Đảng ủy xã {}", COMMUNES[k]), "dang-uy-xa")
    } else {
        let (code, name) = AGENCIES[(i - WARDS.len() - COMMUNES.len()) % AGENCIES.len()];
        (code.to_string(), name.to_string(), "dang-uy-co-quan")
    }
}

/// How many committees the demo's province has (a hundred: twelve wards, eighty-four communes,
/// four agencies and enterprises).
pub const COMMITTEES: usize = WARDS.len() + COMMUNES.len() + AGENCIES.len();

/// The registry, in the tree layout: the province's committee, its committees (as many as there
/// are three cells each, up to [`COMMITTEES`]; the agencies always among them), a sub-committee
/// under the first commune, and `n` cells under them.
pub fn registry(n: usize, root: &str) -> String {
    let used = (n / 3).clamp(AGENCIES.len() + 1, COMMITTEES);
    // the first committees, and the agencies at the end
    let chosen: Vec<usize> = (0..used - AGENCIES.len()).chain(COMMITTEES - AGENCIES.len()..COMMITTEES).collect();
    let mut csv = String::from("code,name,parent_code,kind,tags,members\n");
    // names in quotes: a name may hold a comma
    csv.push_str(&format!("TINH,\"{root}\",,tinh,,\n"));
    for &i in &chosen {
        let (code, name, kind) = committee(i);
        csv.push_str(&format!("{code},\"{name}\",TINH,{kind},,\n"));
    }
    let (first, _, _) = committee(chosen[0]);
    csv.push_str(&format!("{first}-BP,Đảng bộ bộ phận khu dân cư số 1,{first},dang-bo-bo-phan,,\n"));
    for i in 0..n {
        let (code, _, kind) = committee(chosen[i % chosen.len()]);
        // every other cell of the first committee hangs from its sub-committee
        let parent =
            if i % chosen.len() == 0 && (i / chosen.len()) % 2 == 1 { format!("{code}-BP") } else { code.clone() };
        let tags = match kind {
            "dang-uy-phuong" => "phuong",
            "dang-uy-co-quan" => "co-quan",
            _ if i % 3 == 0 => "xa;vung-cao",
            _ => "xa",
        };
        let place = if kind == "dang-uy-co-quan" { "Chi bộ phòng số" } else { "Chi bộ thôn số" };
        csv.push_str(&format!("{code}-{:03},{place} {},{parent},chi-bo,{tags},{}\n", i + 1, i + 1, 8 + (i * 7) % 40));
    }
    csv
}

/// How readily a committee's cells acknowledge and report in the demo: a spread from about 62 %
/// to 97 % by the committee's name, so that the figures have a worst and a best.
pub fn pace(committee: &str) -> (f64, f64) {
    let h = committee.bytes().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) % 100;
    let ack = 0.62 + 0.35 * f64::from(h) / 100.0;
    (ack, (ack - 0.3).max(0.2))
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
pub(super) async fn bind(sim: &Sim, pool: &DbPool, invites: &[IssuedInvite], progress: bool) -> anyhow::Result<Bound> {
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
        let bound = count(pool, "SELECT count(*) FROM cells WHERE status = 'active' AND id > $1", 0).await.unwrap_or(0);
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
pub(super) async fn lose_some(sim: &Sim, pool: &DbPool, bound: &mut Bound) -> anyhow::Result<Lost> {
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
            while count(pool, "SELECT count(*) FROM cells WHERE chat_id = $1", new).await? == 0
                && Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Some((g, new))
        }
        None => None,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while count(pool, "SELECT count(*) FROM cells WHERE status = 'unreachable' AND id > $1", 0).await?
        < blocked.len() as i64
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(Lost { blocked, deactivated, migrated_group })
}
