//! `loa report quarter`: the quarter's packs and their uptake by unit, situation reports by topic
//! and unit, the urgent ones with their handling, and the questions, as a workbook and an HTML
//! page; what falls outside the quarter (or the unit asked) is not counted; bad input is named.

use chrono::{DateTime, TimeZone, Utc};
use loa::audit::Actor;
use loa::situations::{NewSituation, Severity};

use crate::harness::Offline;

fn at(config: &loa::config::Config, y: i32, m: u32, d: u32) -> i64 {
    let t: DateTime<Utc> = config.timezone.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap().with_timezone(&Utc);
    t.timestamp()
}

/// A pack sent at `when` to every connected cell, every delivery marked sent.
async fn sent_pack(o: &Offline, title: &str, when: i64) -> i64 {
    let draft = loa::packs::folder::PackDraft::plain(loa::packs::period::PackKind::Urgent, None, title, "Nội dung");
    let id = loa::packs::store::create(&o.pool, &o.config, &draft, Actor::Cli).await.unwrap();
    sqlx::query("UPDATE packs SET status = 'scheduled', report_prompt = 'Báo cáo' WHERE id = $1")
        .bind(id)
        .execute(&o.pool)
        .await
        .unwrap();
    loa::delivery::broadcast::start(&o.pool, id, Actor::Cli, when).await.unwrap().unwrap();
    sqlx::query(
        "UPDATE deliveries SET state = 'sent', sent_at = $1, ack_message_id = 1
         WHERE broadcast_id IN (SELECT id FROM broadcasts WHERE pack_id = $2)",
    )
    .bind(when)
    .bind(id)
    .execute(&o.pool)
    .await
    .unwrap();
    id
}

async fn acknowledge(o: &Offline, pack: i64, code: &str, when: i64) {
    let (delivery, chat): (i64, i64) = sqlx::query_as(
        "SELECT d.id, d.chat_id FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id JOIN cells c ON c.id = d.cell_id
         WHERE b.pack_id = $1 AND c.code = $2",
    )
    .bind(pack)
    .bind(code)
    .fetch_one(&o.pool)
    .await
    .unwrap();
    let t = loa::acks::target_in_chat(&o.pool, delivery, chat).await.unwrap().unwrap();
    loa::acks::acknowledge(&o.pool, &t, 7, "Bí thư", when, o.config.timezone).await.unwrap();
}

async fn situation(o: &Offline, code: &str, topic: &str, severity: Severity, body: &str, when: i64) -> i64 {
    let (cell, unit, chat): (i64, i64, i64) = sqlx::query_as("SELECT id, unit_id, chat_id FROM cells WHERE code = $1")
        .bind(code)
        .fetch_one(&o.pool)
        .await
        .unwrap();
    let r = NewSituation {
        cell_id: Some(cell),
        unit_id: Some(unit),
        chat_id: chat,
        user_id: 7,
        user_name: "Bí thư".into(),
        topic: topic.into(),
        severity,
        place: "Thôn".into(),
        body: body.into(),
        files: vec![],
    };
    loa::situations::store(&o.pool, &r, when, None).await.unwrap().id
}

#[tokio::test]
async fn the_quarter_summary_counts_the_quarter_and_names_bad_input() {
    let o = Offline::with_registry(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/to-chuc.csv")).unwrap(),
    )
    .await;
    o.connect(&["CB-001", "CB-002", "CB-004"]).await;
    let c = o.config.clone();
    // two packs in Q4 2025, one in Q3 (not counted)
    let oct = sent_pack(&o, "Định hướng tháng 10", at(&c, 2025, 10, 1)).await;
    let nov = sent_pack(&o, "Định hướng tháng 11", at(&c, 2025, 11, 1)).await;
    let sep = sent_pack(&o, "Định hướng tháng 9", at(&c, 2025, 9, 1)).await;
    for (pack, code) in [(oct, "CB-001"), (oct, "CB-002"), (oct, "CB-004"), (nov, "CB-001"), (sep, "CB-004")] {
        acknowledge(&o, pack, code, at(&c, 2025, 11, 2)).await;
    }
    // situation reports: two in the quarter (one urgent, handled), one in January (not counted)
    situation(&o, "CB-002", "Đất đai", Severity::Normal, "Tranh chấp nhỏ", at(&c, 2025, 10, 5)).await;
    let urgent = situation(
        &o,
        "CB-004",
        "Tôn giáo, dân tộc",
        Severity::Urgent,
        "=HYPERLINK(\"x\") tụ tập đông người",
        at(&c, 2025, 12, 1),
    )
    .await;
    loa::situations::mark_handled(&o.pool, urgent, 42, "Đã phối hợp chính quyền giải quyết", at(&c, 2025, 12, 2))
        .await
        .unwrap();
    situation(&o, "CB-001", "Đất đai", Severity::Urgent, "Sau quý", at(&c, 2026, 1, 3)).await;
    let cell: i64 = sqlx::query_scalar("SELECT id FROM cells WHERE code = 'CB-001'").fetch_one(&o.pool).await.unwrap();
    loa::questions::ask(&o.pool, oct, cell, None, 1, 7, "Bí thư", "Hỏi?", at(&c, 2025, 10, 3)).await.unwrap();

    let report = loa::quarter::gather(
        &o.pool,
        &c.organisation.board,
        &c.organisation,
        c.timezone,
        loa::packs::period::Period::parse("2025-Q4").unwrap(),
        None,
        at(&c, 2026, 1, 5),
    )
    .await
    .unwrap();
    assert_eq!(
        report.packs.iter().map(|p| p.title.as_str()).collect::<Vec<_>>(),
        ["Định hướng tháng 10", "Định hướng tháng 11"]
    );
    // 3 + 3 delivered, 4 acknowledged; the Q3 pack's ack is not counted
    assert_eq!((report.guidance.delivered, report.guidance.acknowledged), (6, 4));
    let units: Vec<(&str, i64, i64, i64)> = report
        .units
        .iter()
        .map(|u| (u.code.as_str(), u.counts.delivered, u.counts.acknowledged, u.situations))
        .collect();
    // the worst uptake first; the agencies' committee has a cell, never connected
    assert_eq!(units, [("CQ-1", 0, 0, 0), ("P-DT", 2, 1, 1), ("X-BV", 4, 3, 1)]);
    assert_eq!(report.situations_total, 2);
    assert_eq!(
        report.topics.iter().map(|t| (t.topic.as_str(), t.total, t.urgent)).collect::<Vec<_>>(),
        [("Tôn giáo, dân tộc", 1, 1), ("Đất đai", 1, 0)]
    );
    assert_eq!(report.urgent.len(), 1);
    assert_eq!(report.urgent[0].handled_note.as_deref(), Some("Đã phối hợp chính quyền giải quyết"));
    assert_eq!((report.questions.asked, report.questions.answered), (1, 0));

    // at the terminal: both files, the words Vietnamese
    let run = |args: &[&str]| {
        let out = crate::harness::loa_bin(o.dir.path()).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, out, err) = run(&["report", "quarter", "Quý IV/2025", "--out", "hop"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.starts_with("Q4 2025 (Đảng bộ tỉnh Thái Nguyên): 2 packs sent (2 guidance), acknowledged 50.0%"),
        "{out}"
    );
    let html = std::fs::read_to_string(o.dir.path().join("hop/bao-cao-quy-2025-Q4.html")).unwrap();
    assert!(html.contains("<h1>Báo cáo tổng hợp Quý IV/2025</h1>"), "{html}");
    assert!(html.contains("Đã xử lý: Đã phối hợp chính quyền giải quyết"), "{html}");
    assert!(html.contains("@page { size: A4"), "print-ready");
    assert!(!html.contains("Sau quý"), "January's report is not in Q4");
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(o.dir.path().join("hop/bao-cao-quy-2025-Q4.xlsx")).unwrap();
    use calamine::Reader;
    assert_eq!(
        wb.sheet_names(),
        ["Tổng hợp", "Định hướng đã gửi", "Tiếp nhận theo đơn vị", "Tình hình theo chủ đề", "Vụ việc khẩn"]
    );
    let urgent_sheet = wb.worksheet_range("Vụ việc khẩn").unwrap();
    let body = urgent_sheet.get_value((1, 6)).unwrap();
    assert_eq!(
        body,
        &calamine::Data::String("=HYPERLINK(\"x\") tụ tập đông người".into()),
        "people's text is a string cell, never a formula"
    );
    let units_sheet = wb.worksheet_range("Tiếp nhận theo đơn vị").unwrap();
    assert_eq!(units_sheet.get_value((0, 0)).unwrap().to_string(), "Đảng ủy cơ sở", "the level's name heads the units");
    // one unit's subtree, in English
    let (code, _, err) = run(&["report", "quarter", "2025-Q4", "--unit", "X-BV", "--lang", "en", "--out", "hop"]);
    assert_eq!(code, Some(0), "{err}");
    let html = std::fs::read_to_string(o.dir.path().join("hop/bao-cao-quy-2025-Q4-X-BV.html")).unwrap();
    assert!(html.contains("<h1>Quarterly summary, Q4 2025</h1>") && !html.contains("Tôn giáo"), "{html}");
    // bad input, named
    for (args, want) in [
        (
            vec!["report", "quarter", "2025-11"],
            "error: \"2025-11\" is a month: give a quarter, such as 2025-Q4 or \"Quý IV/2025\"",
        ),
        (
            vec!["report", "quarter", "2025-Q4", "--unit", "NOPE"],
            "error: --unit \"NOPE\": no unit with that code (see loa units list)",
        ),
        (vec!["report", "quarter", "2025-Q4", "--lang", "fr"], "error: --lang \"fr\": expected vi or en"),
    ] {
        let (code, _, err) = run(&args);
        assert_eq!((code, err.trim()), (Some(2), want));
    }
    let (code, _, err) = run(&["report", "quarter", "Q5"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("is not a period"), "{err}");
}
