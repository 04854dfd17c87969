//! Figures against a hand-counted province: late and report acknowledgements, an unreachable cell,
//! a cell retired after delivery, one retired or unbound before it, a cell that moved district;
//! `loa stats` in every format, the trend, the pending list, the xlsx read back, the CSV, the
//! PNG decoded; and in chat, who may see what.

use chrono::TimeZone;
use loa::audit::Actor;
use loa::packs::folder::PackDraft;
use loa::packs::period::{PackKind, Period};
use loa::stats::{self, View};

use crate::harness::{TestApp, WAIT, loa_bin};

const PROVINCE: &str = "code,name,district,commune
NR-001,Chi bộ thôn Nà Pài,Na Rì,Xã Kim Lư
NR-002,=1+2 Chi bộ Khuổi Luông,Na Rì,Xã Kim Lư
NR-003,Chi bộ thôn Bản Đăm,Na Rì,Xã Côn Minh
BB-001,Chi bộ bản Cốc Lùng,Ba Bể,Xã Cao Thượng
BB-002,Chi bộ tiểu khu 2,Ba Bể,Thị trấn Chợ Rã
BB-003,Chi bộ bản Pác Ngòi,Ba Bể,Xã Nam Mẫu
CD-001,Chi bộ thôn Nà Chang,Chợ Đồn,Xã Bằng Lãng
";

struct Province {
    dir: tempfile::TempDir,
    config: loa::config::Config,
    pool: loa::db::DbPool,
    first: i64,
    second: i64,
}

async fn delivery(pool: &loa::db::DbPool, pack: i64, code: &str) -> (i64, i64) {
    sqlx::query_as(
        "SELECT d.id, d.chat_id FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id JOIN cells c ON c.id = d.cell_id
         WHERE b.pack_id = $1 AND c.code = $2",
    )
    .bind(pack)
    .bind(code)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn set_state(pool: &loa::db::DbPool, pack: i64, code: &str, state: &str) {
    let (id, _) = delivery(pool, pack, code).await;
    sqlx::query("UPDATE deliveries SET state = $1, sent_at = 1696300000, error = CASE WHEN $2 = 'failed' THEN 'blocked by the user' END WHERE id = $3")
        .bind(state)
        .bind(state)
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
}

async fn target(pool: &loa::db::DbPool, pack: i64, code: &str) -> loa::acks::Target {
    let (id, chat) = delivery(pool, pack, code).await;
    loa::acks::target_in_chat(pool, id, chat).await.unwrap().unwrap()
}

async fn pack(p: &(loa::db::DbPool, loa::config::Config), period: &str, title: &str) -> i64 {
    let draft = PackDraft {
        report_prompt: Some("Báo cáo kết quả".into()),
        ..PackDraft::plain(PackKind::Monthly, Period::parse(period).ok(), title, "Nội dung")
    };
    let id = loa::packs::store::create(&p.0, &p.1, &draft, Actor::Cli).await.unwrap();
    sqlx::query("UPDATE packs SET status = 'scheduled', scheduled_for = 0, deadline = '2023-10-15' WHERE id = $1")
        .bind(id)
        .execute(&p.0)
        .await
        .unwrap();
    loa::delivery::broadcast::start(&p.0, id, Actor::Cli, 1696300000).await.unwrap().unwrap();
    id
}

/// The hand-counted province. Pack 1 (October) goes to the five connected cells: NR-003 is
/// unreachable; NR-001 acknowledges on time, BB-001 late, BB-002 by reporting (then corrects its
/// report); NR-002 does nothing. Then BB-001 moves to Chợ Đồn and BB-002 is retired. Pack 2
/// (November) reaches NR-001, NR-002 and BB-001; NR-001 and BB-001 acknowledge.
async fn province() -> Province {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/loa.db", dir.path().display());
    let config = loa::config::Config::for_simulator(&db, None, None).unwrap();
    let pool = loa::db::open(&config.database_url).await.unwrap();
    let rows = loa::cells::import::parse_csv(PROVINCE.as_bytes()).unwrap();
    loa::cells::import::apply(&pool, &rows, Default::default(), Actor::Cli).await.unwrap();
    sqlx::query("UPDATE cells SET status = 'active', chat_id = 1000 + id, chat_type = 'private' WHERE code NOT IN ('BB-003', 'CD-001')")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE cells SET status = 'retired' WHERE code = 'CD-001'").execute(&pool).await.unwrap();
    let p = (pool.clone(), config.clone());
    let tz = config.timezone;

    let first = pack(&p, "2023-10", "Định hướng tháng 10").await;
    for code in ["NR-001", "NR-002", "BB-001", "BB-002"] {
        set_state(&pool, first, code, "sending").await;
        set_state(&pool, first, code, "sent").await;
    }
    set_state(&pool, first, "NR-003", "failed").await;
    sqlx::query("UPDATE cells SET status = 'unreachable' WHERE code = 'NR-003'").execute(&pool).await.unwrap();
    let on_time = tz.with_ymd_and_hms(2023, 10, 10, 9, 0, 0).unwrap().timestamp();
    let late = tz.with_ymd_and_hms(2023, 10, 16, 9, 0, 0).unwrap().timestamp();
    loa::acks::acknowledge(&pool, &target(&pool, first, "NR-001").await, 11, "Nguyễn Văn An", on_time, tz)
        .await
        .unwrap();
    loa::acks::acknowledge(&pool, &target(&pool, first, "BB-001").await, 12, "Hoàng Thị Bích", late, tz).await.unwrap();
    let report = |body: &str| loa::reports::NewReport {
        user_id: 13,
        user_name: "Triệu Văn Cường".into(),
        meeting_date: chrono::NaiveDate::from_ymd_opt(2023, 10, 5).unwrap(),
        attendance: 14,
        body: body.into(),
        attachment: None,
    };
    let t = target(&pool, first, "BB-002").await;
    loa::reports::store(&pool, &t, &report("Đã quán triệt"), on_time, tz, None).await.unwrap();
    loa::reports::store(&pool, &t, &report("@SUM(A1) bổ sung"), on_time + 60, tz, None).await.unwrap();

    sqlx::query(
        "UPDATE cells SET district = 'Chợ Đồn', commune = 'Xã Bằng Lãng',
             unit_id = (SELECT id FROM units WHERE code = 'Chợ Đồn / Xã Bằng Lãng') WHERE code = 'BB-001'",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("UPDATE cells SET status = 'retired' WHERE code = 'BB-002'").execute(&pool).await.unwrap();

    let second = pack(&p, "2023-11", "Định hướng tháng 11").await;
    for code in ["NR-001", "NR-002", "BB-001"] {
        set_state(&pool, second, code, "sent").await;
    }
    for code in ["NR-001", "BB-001"] {
        loa::acks::acknowledge(&pool, &target(&pool, second, code).await, 11, "An", on_time, tz).await.unwrap();
    }
    Province { dir, config, pool, first, second }
}

fn counts(t: i64, d: i64, u: i64, a: i64, l: i64, r: i64, n: i64) -> stats::Counts {
    stats::Counts { targeted: t, delivered: d, unreachable: u, acknowledged: a, late: l, reported: r, not_connected: n }
}

#[tokio::test]
async fn figures_match_the_hand_count() {
    let p = province().await;
    // BB-003 is not bound: it counts as not connected, in the rates' base (Ba Bể cannot show 100 %)
    let s = stats::pack(&p.pool, p.first, View::at(1)).await.unwrap().unwrap();
    assert_eq!(s.total, counts(5, 4, 1, 3, 1, 1, 1));
    assert_eq!((s.total.ack_rate(), s.within.code.as_str(), s.level), (0.6, "TINH", 1));
    let by: Vec<(&str, &stats::Counts)> = s.groups.iter().map(|g| (g.unit.name.as_str(), &g.counts)).collect();
    assert_eq!(
        by,
        [("Na Rì", &counts(3, 2, 1, 1, 0, 0, 0)), ("Ba Bể", &counts(2, 2, 0, 2, 1, 1, 1))],
        "worst first, as sent"
    );
    assert_eq!(s, stats::pack(&p.pool, p.first, View::PROVINCE).await.unwrap().unwrap(), "level 1 by default");

    let s = stats::pack(&p.pool, p.first, View::at(2)).await.unwrap().unwrap();
    let by: Vec<(String, i64, i64, i64)> = s
        .groups
        .iter()
        .map(|g| {
            let parent = g.unit.parent.clone().unwrap();
            (format!("{parent}/{}", g.unit.name), g.counts.delivered, g.counts.acknowledged, g.counts.not_connected)
        })
        .collect();
    assert_eq!(
        by,
        [
            ("Ba Bể/Xã Nam Mẫu".into(), 0, 0, 1),
            ("Na Rì/Xã Côn Minh".into(), 0, 0, 0),
            ("Na Rì/Xã Kim Lư".into(), 2, 1, 0),
            ("Ba Bể/Thị trấn Chợ Rã".into(), 1, 1, 0),
            ("Ba Bể/Xã Cao Thượng".into(), 1, 1, 0),
        ]
    );
    assert!(s.groups.iter().all(|g| g.unit.level == 2 && !g.unit.opens));

    // in November BB-001 hangs from Chợ Đồn; NR-003 was unreachable when the pack went out
    let s = stats::pack(&p.pool, p.second, View::PROVINCE).await.unwrap().unwrap();
    assert_eq!(s.total, counts(3, 3, 0, 2, 0, 0, 2));
    assert_eq!(
        s.groups.iter().map(|g| g.unit.name.as_str()).collect::<Vec<_>>(),
        ["Ba Bể", "Na Rì", "Chợ Đồn"],
        "BB-001 moved; Ba Bể has only a cell off Loa: 0 %"
    );

    // an officer's view: the subtree of their unit, by the level below it
    let mut conn = p.pool.acquire().await.unwrap();
    let ba_be = loa::units::by_code(&mut conn, "Ba Bể").await.unwrap().unwrap();
    drop(conn);
    let s = stats::pack(&p.pool, p.first, View::below(ba_be.id)).await.unwrap().unwrap();
    assert_eq!(s.total, counts(2, 2, 0, 2, 1, 1, 1));
    assert_eq!((s.within.name.as_str(), s.level, s.groups.len()), ("Ba Bể", 2, 3));
    // asking for a level above the unit gives the unit itself
    let s = stats::pack(&p.pool, p.first, View { level: Some(1), within: Some(ba_be.id) }).await.unwrap().unwrap();
    assert_eq!(s.groups.iter().map(|g| g.unit.name.as_str()).collect::<Vec<_>>(), ["Ba Bể"]);

    let t = stats::trend(&p.pool, None, 6, View::PROVINCE).await.unwrap();
    assert_eq!(t.kind, PackKind::Monthly);
    assert_eq!(t.packs, [(p.first, "2023-10".into()), (p.second, "2023-11".into())]);
    let acked: Vec<(&str, Vec<Option<f64>>)> = t.rows.iter().map(|r| (r.unit.as_str(), r.acked.clone())).collect();
    assert_eq!(
        acked,
        [
            ("Ba Bể", vec![Some(0.667), Some(0.0)]),
            ("Na Rì", vec![Some(0.5), Some(0.333)]),
            ("Chợ Đồn", vec![None, Some(1.0)]),
        ]
    );
    let ba_be_trend = t.rows.iter().find(|r| r.unit == "Ba Bể").unwrap();
    assert_eq!(ba_be_trend.reported, [Some(0.333), Some(0.0)], "the trend shows reports too");

    let pending = stats::pending(&p.pool, p.first, None).await.unwrap();
    let codes: Vec<(&str, bool)> = pending.iter().map(|c| (c.code.as_str(), c.unreachable.is_some())).collect();
    assert_eq!(codes, [("NR-003", true), ("NR-002", false)]);
    assert!(stats::pending(&p.pool, p.first, Some(ba_be.id)).await.unwrap().is_empty());
    let units: Vec<&str> = pending.iter().map(|c| c.unit.as_str()).collect();
    assert_eq!(units, ["Xã Côn Minh", "Xã Kim Lư"], "by the unit each cell hung from");

    // the running totals equal a count from scratch
    let recount: (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), CAST(sum(CASE WHEN d.state = 'sent' THEN 1 ELSE 0 END) AS BIGINT), (SELECT count(*) FROM acks WHERE pack_id = $1)
         FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id WHERE b.pack_id = $1 AND b.kind = 'pack'",
    )
    .bind(p.first)
    .fetch_one(&p.pool)
    .await
    .unwrap();
    assert_eq!(recount, (5, 4, 3));
    // a quarterly pack never joins the monthly series, and periods go in the order of time
    // (a pack for September sent after November's comes first; "2023-Q4" is not after "2023-12")
    let september = pack(&(p.pool.clone(), p.config.clone()), "2023-09", "Định hướng tháng 9").await;
    let quarterly = PackDraft::plain(PackKind::Quarterly, Period::parse("Quý IV/2023").ok(), "Quý IV", "Nội dung");
    let q4 = loa::packs::store::create(&p.pool, &p.config, &quarterly, Actor::Cli).await.unwrap();
    sqlx::query("UPDATE packs SET status = 'scheduled', scheduled_for = 0 WHERE id = $1")
        .bind(q4)
        .execute(&p.pool)
        .await
        .unwrap();
    loa::delivery::broadcast::start(&p.pool, q4, Actor::Cli, 1696300000).await.unwrap().unwrap();
    let t = stats::trend(&p.pool, Some(PackKind::Monthly), 6, View::PROVINCE).await.unwrap();
    let periods: Vec<&str> = t.packs.iter().map(|(_, code)| code.as_str()).collect();
    assert_eq!(periods, ["2023-09", "2023-10", "2023-11"]);
    assert_eq!(t.packs[0].0, september);
    let t = stats::trend(&p.pool, None, 6, View::PROVINCE).await.unwrap();
    assert_eq!((t.kind, t.packs.len()), (PackKind::Quarterly, 1), "the kind sent last, alone: {t:?}");
    assert_eq!(t.packs[0], (q4, "2023-Q4".to_string()));
}

#[tokio::test]
async fn loa_stats_prints_the_design_json_and_exports_xlsx_and_csv() {
    let p = province().await;
    std::fs::write(p.dir.path().join("loa.toml"), format!("[database]\nurl = \"{}\"\n", p.config.database_url))
        .unwrap();
    let run = |args: &[&str]| {
        let out = loa_bin(p.dir.path()).arg("--config").arg("loa.toml").args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, out, err) = run(&["stats", "--pack", &p.first.to_string(), "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        out.trim(),
        format!(
            "{{\"pack_id\":{},\"title\":\"Định hướng tháng 10\",\"period\":\"2023-10\",\"targeted\":5,\"delivered\":4,\"unreachable\":1,\
             \"acknowledged\":3,\"late\":1,\"ack_rate\":0.6,\"reported\":1,\"report_rate\":0.2,\"not_connected\":1,\"late_joined\":0,\
             \"within\":\"TINH\",\"level\":1,\"by_unit\":[\
             {{\"code\":\"Na Rì\",\"name\":\"Na Rì\",\"level\":1,\"parent\":\"TINH\",\"targeted\":3,\"delivered\":2,\"acknowledged\":1,\"ack_rate\":0.5,\"reported\":0,\"not_connected\":0}},\
             {{\"code\":\"Ba Bể\",\"name\":\"Ba Bể\",\"level\":1,\"parent\":\"TINH\",\"targeted\":2,\"delivered\":2,\"acknowledged\":2,\"ack_rate\":0.667,\"reported\":1,\"not_connected\":1}}]}}",
            p.first
        )
    );
    let (code, out, _) = run(&["stats", "--by", "commune", "--format", "csv"]);
    assert_eq!(code, Some(0));
    assert!(
        out.starts_with(
            "\"code\",\"name\",\"level\",\"parent\",\"targeted\",\"delivered\",\"unreachable\",\"acknowledged\",\"late\",\"ack_rate\",\"reported\",\"report_rate\",\"not_connected\"\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("\"Chợ Đồn / Xã Bằng Lãng\",\"Xã Bằng Lãng\",\"2\",\"Chợ Đồn\",\"1\",\"1\",\"0\",\"1\",\"0\",\"1\",\"0\",\"0\",\"0\""),
        "the latest pack by default (every field quoted): {out}"
    );
    // the old words keep their JSON key; a level by number or by its name from config; one unit's subtree
    let (code, out, _) = run(&["stats", "--pack", &p.first.to_string(), "--by", "district", "--format", "json"]);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["by_district"].as_array().unwrap().len(), 2, "{v}");
    let (code, out, _) = run(&["stats", "--pack", &p.first.to_string(), "--by", "Đảng ủy cơ sở", "--format", "json"]);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["level"].as_i64(), v["by_unit"].as_array().unwrap().len()), (Some(1), 2), "{v}");
    let (code, out, err) = run(&["stats", "--pack", &p.first.to_string(), "--unit", "Ba Bể", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows: Vec<&str> = v["by_unit"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        (v["within"].as_str(), v["level"].as_i64(), rows),
        (Some("Ba Bể"), Some(2), vec!["Xã Nam Mẫu", "Thị trấn Chợ Rã", "Xã Cao Thượng"])
    );
    let (code, _, err) = run(&["stats", "--by", "tổ", "--format", "json"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("\"tổ\" is not a level") && err.contains("Đảng ủy cơ sở"), "{err}");
    let (code, _, err) = run(&["stats", "--unit", "XA-KHONG-CO"]);
    assert_eq!((code, err.trim()), (Some(2), "error: there is no unit XA-KHONG-CO (see `loa units list`)"));
    let (code, out, _) = run(&["stats", "--pack", &p.first.to_string()]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with(&format!("pack {} «Định hướng tháng 10» 2023-10: targeted 5, delivered 4, unreachable 1, acknowledged 3 (60.0%; 1 late), reported 1 (20.0%), not connected 1", p.first)), "{out}");
    assert!(out.contains("Đảng bộ tỉnh (TINH) by level 1 (Đảng ủy cơ sở):"), "{out}");
    let (code, _, err) = run(&["stats", "--pack", "99"]);
    assert_eq!((code, err.trim()), (Some(2), "error: there is no pack 99 (see `loa pack list`)"));

    // the workbook, read back
    let xlsx = p.dir.path().join("thang-10.xlsx");
    let (code, _, err) = run(&["export", "--pack", &p.first.to_string(), "--out", "thang-10.xlsx"]);
    assert_eq!(code, Some(0), "{err}");
    use calamine::{Data, Reader, open_workbook_auto};
    let mut wb = open_workbook_auto(&xlsx).unwrap();
    assert_eq!(wb.sheet_names(), ["Summary", "Cells", "Reports", "Situations"]);
    let cells = wb.worksheet_range("Cells").unwrap();
    let rows: Vec<Vec<Data>> = cells.rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows[0].iter().map(|d| d.to_string()).collect::<Vec<_>>(), loa::export::CELL_HEADERS);
    assert_eq!(rows.len(), 6, "five cells and the header");
    let nr2 = rows.iter().find(|r| r[0] == "NR-002").unwrap();
    assert_eq!(nr2[1], Data::String("=1+2 Chi bộ Khuổi Luông".into()), "a formula-looking name stays text");
    let bb1 = rows.iter().find(|r| r[0] == "BB-001").unwrap();
    assert_eq!(
        (bb1[2].to_string(), bb1[3].to_string()),
        ("Xã Cao Thượng".into(), "Ba Bể / Xã Cao Thượng".into()),
        "the unit the cell hung from when the pack went out"
    );
    assert_eq!((bb1[7].to_string(), bb1[8].to_string()), ("Hoàng Thị Bích".into(), "có".into()));
    let bb2 = rows.iter().find(|r| r[0] == "BB-002").unwrap();
    assert_eq!(
        (bb2[9].to_string(), bb2[10].clone(), bb2[11].to_string()),
        ("2023-10-05".into(), Data::Float(14.0), "@SUM(A1) bổ sung".into())
    );
    let nr3 = rows.iter().find(|r| r[0] == "NR-003").unwrap();
    assert_eq!(nr3[5].to_string(), "không gửi được: blocked by the user");
    let reports = wb.worksheet_range("Reports").unwrap();
    assert_eq!(reports.rows().count(), 3, "both versions of the report, with the header");
    let summary = wb.worksheet_range("Summary").unwrap();
    let text: Vec<String> =
        summary.rows().map(|r| r.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("|")).collect();
    assert!(text.iter().any(|l| l.starts_with("Đã xác nhận|3|")), "{text:?}");
    assert!(text.iter().any(|l| l.starts_with("Na Rì|3|2|1|0.5|0|0")), "{text:?}");

    // CSV, with formula-looking text neutralised
    let (code, _, err) = run(&["export", "--pack", &p.first.to_string(), "--out", "thang-10.csv"]);
    assert_eq!(code, Some(0), "{err}");
    let csv = std::fs::read_to_string(p.dir.path().join("thang-10.csv")).unwrap();
    assert!(csv.starts_with("\u{feff}\"Mã chi bộ\",\"Tên chi bộ\",\"Đơn vị\""), "{csv}");
    assert!(csv.contains("'=1+2 Chi bộ Khuổi Luông") && csv.contains("'@SUM(A1) bổ sung"), "{csv}");
    let (code, _, err) = run(&["export", "--pack", "1", "--out", "thang-10.pdf"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("must end in .xlsx"), "{err}");
    assert!(!p.dir.path().join("thang-10.pdf").exists());
}

#[tokio::test]
async fn charts_are_pngs_of_the_right_size() {
    let p = province().await;
    let s = stats::pack(&p.pool, p.first, View::PROVINCE).await.unwrap().unwrap();
    let png = loa::chart::pack_png(&s, "Định hướng tháng 10 (Tháng 10/2023)", "Đã xác nhận", "Đã báo cáo").unwrap();
    if let Some(dir) = std::env::var_os("LOA_CHART_PREVIEW") {
        std::fs::write(std::path::Path::new(&dir).join("pack.png"), &png).unwrap();
    }
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let reader = decoder.read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), loa::chart::SIZE);
    let t = stats::trend(&p.pool, None, 6, View::PROVINCE).await.unwrap();
    let png = loa::chart::trend_png(&t, "Tỉ lệ xác nhận theo huyện", loa::i18n::Locale::Vi).unwrap();
    if let Some(dir) = std::env::var_os("LOA_CHART_PREVIEW") {
        std::fs::write(std::path::Path::new(&dir).join("trend.png"), &png).unwrap();
    }
    let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    reader.next_frame(&mut buf).unwrap();
    assert!(buf.iter().any(|b| *b < 128), "something was drawn");
}

#[tokio::test]
async fn in_chat_staff_see_figures_a_district_officer_only_their_district_and_others_nothing() {
    let app = TestApp::spawn().await;
    app.import(PROVINCE).await;
    // a small version of the province's first pack, in the app's database; the cells' chats are
    // real chats of the simulator, so that the running worker's sends agree with the states set here
    for code in ["NR-001", "NR-002", "BB-001"] {
        let secretary = app.user(&format!("Bí thư {code}"));
        app.bind(code, secretary).await;
    }
    let config = crate::harness::config_for(&app.sim, &app.dir);
    let p = (app.pool.clone(), config.clone());
    let id = pack(&p, "2023-10", "Định hướng tháng 10").await;
    for code in ["NR-001", "NR-002", "BB-001"] {
        set_state(&app.pool, id, code, "sent").await;
    }
    let t = target(&app.pool, id, "NR-001").await;
    let on_time = config.timezone.with_ymd_and_hms(2023, 10, 10, 9, 0, 0).unwrap().timestamp();
    loa::acks::acknowledge(&app.pool, &t, 11, "An", on_time, config.timezone).await.unwrap();

    let officer = crate::harness::started_user(&app.sim, "Cán bộ Na Rì");
    // (a stranger's chat is answered once a minute: this one first asks for figures)
    let stranger = app.user("Người lạ");
    app.sim.send_text(app.admin, app.admin, "/start").unwrap();
    for u in [officer, app.admin] {
        app.nth_reply(u, 1).await;
    }
    loa::staff::grant(&app.pool, &config.admins, officer, loa::staff::Role::District, Some("Na Rì".into()), Actor::Cli)
        .await
        .unwrap()
        .unwrap();

    // the admin's answers, found by how they begin (the worker's "sent" summary of the broadcast
    // may arrive in between)
    let answer = async |prefix: &str| -> String {
        let found = app
            .sim
            .wait_until(WAIT, |s| {
                s.bot_messages(app.admin).iter().any(|m| m.text().is_some_and(|t| t.starts_with(prefix)))
            })
            .await;
        let all = app.sim.bot_messages(app.admin);
        assert!(found, "no answer starting {prefix:?}: {:?}", all.iter().map(|m| m.text()).collect::<Vec<_>>());
        all.iter().rev().find_map(|m| m.text().filter(|t| t.starts_with(prefix)).map(str::to_string)).unwrap()
    };
    app.sim.send_text(app.admin, app.admin, "/stats").unwrap();
    // the pack's own figures (the board's escalation of the overdue pack, which may come after
    // them, begins with 📊 too: "📊 Đã quá hạn ...")
    let text = answer("📊 «").await;
    assert!(text.starts_with("📊 «Định hướng tháng 10» (Tháng 10/2023)"), "{text}");
    assert!(text.contains("Đã gửi tới 3/3 chi bộ · không gửi được 0"), "{text}");
    // four cells of the audience are not on Loa: they count in the rates' base
    assert!(text.contains("Đã xác nhận 1 (14,3%) · muộn 0"), "{text}");
    assert!(text.contains("Chưa kết nối: 4 chi bộ"), "{text}");
    assert!(
        text.contains("Đảng bộ tỉnh</b>, theo Đảng ủy cơ sở:") || text.contains("Đảng bộ tỉnh, theo Đảng ủy cơ sở:"),
        "{text}"
    );
    assert!(text.contains("Na Rì            2    1  33%     0"), "{text}");
    assert!(text.contains("Ba Bể            1    0   0%     0"), "{text}");
    // the figures' own message (an escalation or the broadcast's summary may come after it)
    let m = app
        .sim
        .bot_messages(app.admin)
        .into_iter()
        .rev()
        .find(|m| m.text().is_some_and(|t| t.starts_with("📊 «")))
        .unwrap();
    assert!(m.source.clone().unwrap().contains("<pre>"), "a monospace table");
    // a row opens its children: Na Rì's communes
    let keys = m.json.pointer("/reply_markup/inline_keyboard").unwrap().to_string();
    assert!(keys.contains("▸ Na Rì") && keys.contains("▸ Ba Bể"), "{keys}");
    let na_ri = m.json["reply_markup"]["inline_keyboard"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter())
        .find(|k| k["text"] == "▸ Na Rì")
        .unwrap()["callback_data"]
        .as_str()
        .unwrap()
        .to_string();
    app.sim.press_button(app.admin, app.admin, m.message_id, &na_ri).unwrap();
    // Na Rì's figures, whatever else the admin was sent meanwhile (text as shown, tags stripped)
    let heading = |t: &str| t.contains("Na Rì, theo Đảng bộ bộ phận:");
    let found =
        app.sim.wait_until(WAIT, |s| s.bot_messages(app.admin).iter().any(|m| m.text().is_some_and(heading))).await;
    assert!(found, "no figures for Na Rì after its row was pressed");
    let text =
        app.sim.bot_messages(app.admin).iter().rev().find_map(|m| m.text().filter(|t| heading(t)).map(str::to_string));
    let text = text.unwrap();
    assert!(text.contains("Na Rì, theo Đảng bộ bộ phận:"), "{text}");
    assert!(text.contains("Xã Kim Lư") && text.contains("Xã Côn Minh") && !text.contains("Ba Bể"), "{text}");
    assert!(text.contains("Đã gửi tới 2/2"), "{text}");
    // a commune has no units under it: its row opens to its cells
    let m = app.sim.bot_messages(app.admin).into_iter().rev().find(|m| m.reply_markup().is_some()).unwrap();
    let key = |m: &loa::sim::SimMessage, label: &str| -> String {
        m.json["reply_markup"]["inline_keyboard"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap().iter())
            .find(|k| k["text"] == label)
            .unwrap_or_else(|| panic!("no {label} in {}", m.json))["callback_data"]
            .as_str()
            .unwrap()
            .to_string()
    };
    app.sim.press_button(app.admin, app.admin, m.message_id, &key(&m, "▸ Xã Kim Lư")).unwrap();
    let text = answer("📋 Xã Kim Lư").await;
    assert!(text.starts_with("📋 Xã Kim Lư — «Định hướng tháng 10» (Tháng 10/2023): 1/2 chi bộ đã xác nhận"), "{text}");
    assert!(text.contains("✅ NR-001 Chi bộ thôn Nà Pài") && text.contains("⏳ NR-002"), "{text}");
    app.sim.press_button(app.admin, app.admin, m.message_id, &key(&m, "▸ Xã Côn Minh")).unwrap();
    let text = answer("📋 Xã Côn Minh").await;
    assert!(text.contains("0/1 chi bộ") && text.contains("⛔ NR-003 Chi bộ thôn Bản Đăm — chưa kết nối"), "{text}");

    app.sim.send_text(officer, officer, "/stats").unwrap();
    let text = app.nth_reply(officer, 2).await;
    assert!(text.contains("Đã gửi tới 2/2") && !text.contains("Ba Bể"), "{text}");
    assert!(text.contains("Xã Kim Lư"), "an officer sees the level below their unit: {text}");
    app.sim.send_text(officer, officer, "/pending Ba Bể").unwrap();
    let text = app.nth_reply(officer, 3).await;
    assert!(text.contains("không thuộc phạm vi"), "another unit is out of their scope: {text}");
    app.sim.send_text(officer, officer, "/pending").unwrap();
    let text = app.nth_reply(officer, 4).await;
    assert!(text.contains("NR-002") && !text.contains("BB-001"), "their own unit: {text}");

    app.sim.send_text(stranger, stranger, "/stats").unwrap();
    assert!(app.nth_reply(stranger, 1).await.starts_with("Xin lỗi, lệnh /stats chỉ dành cho cán bộ"));
    let group = app.group("Nhóm cán bộ", app.admin);
    app.sim.send_text(group, app.admin, "/stats").unwrap();
    let refused = app
        .sim
        .wait_until(WAIT, |s| {
            s.bot_messages(group)
                .iter()
                .any(|m| m.text().is_some_and(|t| t.starts_with("Lệnh /stats chỉ dùng trong cuộc trò chuyện riêng")))
        })
        .await;
    assert!(refused, "{:?}", app.sim.bot_messages(group));

    app.sim.send_text(app.admin, app.admin, "/pending").unwrap();
    let text = answer("⏳").await;
    assert!(text.starts_with("⏳ 2 chi bộ chưa xác nhận «Định hướng tháng 10»"), "{text}");
    assert!(text.find("Xã Cao Thượng (1)").unwrap() < text.find("Xã Kim Lư (1)").unwrap(), "by unit: {text}");

    app.sim.send_text(app.admin, app.admin, "/export").unwrap();
    // (the worker's "sent" summary may come in between: the file is found by its name)
    let name = format!("loa-dinh-huong-{id}.xlsx");
    let sent = app
        .sim
        .wait_until(WAIT, |s| s.bot_messages(app.admin).iter().any(|m| m.document_name() == Some(name.as_str())))
        .await;
    assert!(sent, "{:?}", app.sim.bot_messages(app.admin));
    let doc = app.sim.bot_messages(app.admin).into_iter().find(|m| m.document_name() == Some(name.as_str())).unwrap();
    let file = doc.json["document"]["file_id"].as_str().unwrap().to_string();
    let bytes = app.sim.file_bytes(&file).unwrap();
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    use calamine::Reader;
    assert_eq!(wb.worksheet_range("Cells").unwrap().rows().count(), 4);

    app.sim.send_text(officer, officer, "/export").unwrap();
    let got = app.sim.wait_for_bot_messages(officer, 5, WAIT).await;
    let bytes = app.sim.file_bytes(got[4].json["document"]["file_id"].as_str().unwrap()).unwrap();
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(wb.worksheet_range("Cells").unwrap().rows().count(), 3, "Na Rì's two cells only");

    app.sim.send_text(app.admin, app.admin, "/chart").unwrap();
    let drawn =
        app.sim.wait_until(WAIT, |s| s.bot_messages(app.admin).iter().any(|m| m.json.get("photo").is_some())).await;
    assert!(drawn, "{:?}", app.sim.bot_messages(app.admin));
}
