//! `loa demo` at a small size: it finishes, and what it reports is what the database holds.

use loa::stats::View;

#[tokio::test]
async fn the_demo_plays_a_province_and_reports_what_the_database_holds() {
    let out = tempfile::tempdir().unwrap();
    let keep = tempfile::tempdir().unwrap();
    let report = loa::demo::run(loa::demo::Options {
        cells: 24,
        out: out.path().to_path_buf(),
        progress: false,
        seed: 7,
        keep_database_in: Some(keep.path().to_path_buf()),
    })
    .await
    .unwrap();
    assert_eq!(report.cells, 24);
    assert_eq!(report.private_chats + report.groups, 24);
    assert!(report.migrated_group.is_some());

    let pool = loa::db::open(&format!("sqlite://{}/loa.db", keep.path().display())).await.unwrap();
    let one = async |sql: &str| -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&pool).await.unwrap()
    };
    // every cell was bound; the ones that blocked the bot were not sent to
    assert_eq!(one("SELECT count(*) FROM cells WHERE chat_id IS NOT NULL").await, 24);
    assert_eq!(one("SELECT skipped FROM broadcasts WHERE kind = 'pack'").await, report.blocked as i64);
    // the migrated group's cell follows its supergroup
    let (_, new) = report.migrated_group.unwrap();
    assert_eq!(one(&format!("SELECT count(*) FROM cells WHERE chat_id = {new}")).await, 1);
    // the figures, recounted from the rows
    let t = &report.stats.total;
    assert_eq!(
        t.targeted,
        one("SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id WHERE b.kind = 'pack'").await
    );
    assert_eq!(t.delivered, one("SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id WHERE b.kind = 'pack' AND d.state = 'sent'").await);
    assert_eq!(t.unreachable, report.deactivated as i64, "a deleted account is found out at delivery");
    assert_eq!(t.acknowledged, one("SELECT count(*) FROM acks").await);
    assert_eq!(t.reported, one("SELECT count(DISTINCT cell_id) FROM reports").await);
    assert_eq!(t.reported, report.reports_sent as i64);
    assert!(t.acknowledged >= report.pressed_ack as i64, "a report acknowledges too");
    assert_eq!(report.pending.len() as i64, t.targeted - t.acknowledged);
    // each cell got the two documents and the message once
    let bot_messages = one("SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id WHERE b.kind = 'pack' AND d.state = 'sent' AND json_array_length(d.message_ids) = 3").await;
    assert_eq!(bot_messages, t.delivered);
    // the reminders went to the cells that had not acknowledged by then, once each
    assert_eq!(report.reminded, one("SELECT count(*) FROM reminders").await);
    let again = loa::stats::pack(&pool, report.pack_id, View::PROVINCE).await.unwrap().unwrap();
    assert_eq!(&again, &report.stats);

    // the spreadsheet and the chart
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(&report.xlsx).unwrap();
    assert_eq!(wb.worksheet_range("Cells").unwrap().rows().count() as i64, t.targeted + 1);
    let png = std::fs::read(&report.chart).unwrap();
    let info = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap().info().clone();
    assert_eq!((info.width, info.height), loa::chart::SIZE);
    // the province in today's shape: committees straight under the province's, agencies among
    // them, a sub-committee with cells of its own; the figures by committee
    assert_eq!(report.committees, 8, "a committee for every three cells, the four agencies always");
    let level_1 = "SELECT count(*) FROM units WHERE parent_id = (SELECT id FROM units WHERE parent_id IS NULL)";
    assert_eq!(one(level_1).await, 8);
    assert_eq!(one("SELECT count(*) FROM units WHERE kind = 'dang-uy-co-quan'").await, 4);
    assert!(
        one("SELECT count(*) FROM cells c JOIN units u ON u.id = c.unit_id WHERE u.kind = 'dang-bo-bo-phan'").await
            >= 1
    );
    assert_eq!(one("SELECT count(*) FROM units WHERE kind = 'huyen'").await, 0, "no district level");
    assert!(report.stats.groups.iter().all(|g| g.unit.level == 1 && g.unit.parent.as_deref() == Some("TINH")));
    assert_eq!(report.stats.groups.len(), 8);
    let summary = report.summary();
    assert!(summary.contains("Ban Tuyên giáo và Dân vận Tỉnh ủy, Đảng bộ tỉnh Thái Nguyên: 8 committees"), "{summary}");
    assert!(summary.starts_with("Loa demo: 24 cells"), "{summary}");
    assert!(summary.contains("at Telegram's free 30 messages/s"), "{summary}");
}
