//! Operations: `loa backup` while a broadcast runs.

use loa::audit::Actor;
use loa::packs::folder::PackDraft;
use loa::packs::period::PackKind;

use crate::harness::{TestApp, loa_bin};

#[tokio::test]
async fn a_backup_taken_during_a_broadcast_is_consistent_and_checked() {
    let app = TestApp::spawn_with(|c| c.delivery.messages_per_second = 20).await;
    let mut csv = String::from("code,name,district\n");
    for i in 0..80 {
        csv.push_str(&format!("C-{i:03},Chi bộ {i},Na Rì\n"));
    }
    app.import(&csv).await;
    for i in 0..80 {
        let u = app.sim.create_user(&format!("Bí thư {i}"), None);
        app.sim.open_private_chat(u);
        sqlx::query("UPDATE cells SET chat_id = ?, chat_type = 'private', status = 'active' WHERE code = ?")
            .bind(u)
            .bind(format!("C-{i:03}"))
            .execute(&app.pool)
            .await
            .unwrap();
    }
    let config = crate::harness::config_for(&app.sim, &app.dir);
    let draft = PackDraft::plain(PackKind::Urgent, None, "Thông báo khẩn", "Nội dung");
    let pack = loa::packs::store::create(&app.pool, &config, &draft, Actor::Cli).await.unwrap();
    loa::packs::store::schedule(&app.pool, &config, pack, loa::packs::store::When::Now, chrono::Utc::now(), Actor::Cli)
        .await
        .unwrap()
        .unwrap();
    // wait until the broadcast is under way
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let sent: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE state = 'sent'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        if sent >= 10 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the broadcast did not start");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    std::fs::write(app.dir.path().join("loa.toml"), format!("[database]\nurl = \"{}\"\n", config.database_url))
        .unwrap();
    let out = loa_bin(app.dir.path()).args(["--config", "loa.toml", "backup", "copy.db"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("backup written to copy.db ("), "{stdout}");
    assert!(stdout.contains("integrity ok") && stdout.contains("80 cells, 1 packs, 80 deliveries"), "{stdout}");
    let live_sent: i64 =
        sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE state = 'sent'").fetch_one(&app.pool).await.unwrap();
    assert!(live_sent < 80, "the backup was taken while the broadcast ran");

    // the copy opens on its own, whole
    let copy = loa::db::open(&format!("sqlite://{}/copy.db", app.dir.path().display())).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&copy).await.unwrap();
    assert_eq!(check, "ok");
    let (deliveries, sent): (i64, i64) =
        sqlx::query_as("SELECT count(*), sum(state = 'sent') FROM deliveries").fetch_one(&copy).await.unwrap();
    assert_eq!(deliveries, 80);
    assert!((10..80).contains(&sent), "{sent}");
    // and its running totals agree with its rows: one snapshot
    let totals: i64 = sqlx::query_scalar("SELECT sum(delivered) FROM pack_stats").fetch_one(&copy).await.unwrap();
    assert_eq!(totals, sent);

    // a backup never overwrites
    let out = loa_bin(app.dir.path()).args(["--config", "loa.toml", "backup", "copy.db"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("copy.db exists already"));
    assert!(!app.dir.path().join("copy.db.part").exists());
}
