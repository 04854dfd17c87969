//! Pack folders: the sample in examples/, one test per validation problem, storage of documents
//! by content, and scheduling with a controlled clock.

use std::path::Path;

use chrono::{NaiveDate, TimeZone, Utc};
use loa::audit::Actor;
use loa::packs::folder::{self, Problems};
use loa::packs::store::{self, ScheduleError, When};

use crate::harness::{Offline, REGISTRY, loa_bin};

const TODAY: (i32, u32, u32) = (2023, 9, 20);

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).unwrap()
}

struct Fixture {
    dir: tempfile::TempDir,
    pool: loa::db::DbPool,
    config: loa::config::Config,
}

async fn fixture() -> Fixture {
    let Offline { dir, pool, config } = Offline::new().await;
    Fixture { dir, pool, config }
}

/// A valid pack folder, with `pack.toml` changed by `edit`.
fn folder(root: &Path, name: &str, edit: impl Fn(&mut toml::Table)) -> std::path::PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("body.md"), "Nội dung **chính** của định hướng.").unwrap();
    std::fs::write(dir.join("ke-hoach.pdf"), b"%PDF-1.4 sample").unwrap();
    let mut t: toml::Table = toml::from_str(
        r#"kind = "quarterly"
period = "2023-Q4"
title = "Định hướng tuyên truyền quý IV/2023"
body = "body.md"
attachments = ["ke-hoach.pdf"]
audience = "all"
deadline = "2023-10-15"
report = "Báo cáo kết quả quán triệt"
"#,
    )
    .unwrap();
    edit(&mut t);
    std::fs::write(dir.join("pack.toml"), toml::to_string(&t).unwrap()).unwrap();
    dir
}

async fn problems(f: &Fixture, name: &str, edit: impl Fn(&mut toml::Table)) -> Vec<String> {
    let dir = folder(f.dir.path(), name, edit);
    match folder::read(&dir, &f.pool, today()).await.unwrap() {
        Ok(_) => Vec::new(),
        Err(Problems(p)) => p.iter().map(ToString::to_string).collect(),
    }
}

/// A change to a valid pack.toml.
type Edit = Box<dyn Fn(&mut toml::Table)>;

fn set(key: &'static str, v: toml::Value) -> impl Fn(&mut toml::Table) {
    move |t| {
        t.insert(key.into(), v.clone());
    }
}

#[tokio::test]
async fn a_valid_folder_has_no_problem() {
    let f = fixture().await;
    assert!(problems(&f, "ok", |_| {}).await.is_empty());
}

#[tokio::test]
async fn each_problem_of_a_folder_is_named() {
    let f = fixture().await;
    let s = |x: &str| toml::Value::String(x.into());
    let cases: Vec<(&str, Edit, &str)> = vec![
        ("unknown-key", Box::new(set("colour", s("red"))), "pack.toml: unknown field `colour`"),
        (
            "kind",
            Box::new(set("kind", s("weekly"))),
            "kind: \"weekly\": expected monthly, quarterly, thematic or urgent",
        ),
        ("period-kind", Box::new(set("period", s("2023-10"))), "period: a quarterly pack needs a quarter"),
        ("period-bad", Box::new(set("period", s("2023-Q5"))), "period: \"2023-Q5\": a quarter is Q1 to Q4"),
        ("title", Box::new(set("title", s("  "))), "title: is empty"),
        ("body-type", Box::new(set("body", s("body.docx"))), "body: \"body.docx\": expected a .md, .html or .txt file"),
        ("body-missing", Box::new(set("body", s("missing.md"))), "body: cannot read missing.md"),
        (
            "body-escape",
            Box::new(set("body", s("../body.md"))),
            "body: \"../body.md\": name a file inside the pack folder",
        ),
        (
            "attachment-type",
            Box::new(set("attachments", toml::Value::Array(vec![s("virus.exe")]))),
            "attachments[virus.exe]: file type .exe is not accepted",
        ),
        (
            "attachment-missing",
            Box::new(set("attachments", toml::Value::Array(vec![s("nope.pdf")]))),
            "attachments[nope.pdf]: cannot read it",
        ),
        (
            "audience-empty",
            Box::new(set("audience", toml::Value::Table(toml::Table::new()))),
            "audience: names no unit, district, tag or cell",
        ),
        ("audience-word", Box::new(set("audience", s("everyone"))), "audience: \"everyone\": expected \"all\""),
        ("deadline-past", Box::new(set("deadline", s("2023-09-01"))), "deadline: 2023-09-01 is in the past"),
        (
            "deadline-bad",
            Box::new(set("deadline", s("15/10/2023"))),
            "deadline: \"15/10/2023\": expected a date like \"2023-10-15\"",
        ),
        (
            "schedule-bad",
            Box::new(set("schedule", s("tomorrow"))),
            "schedule: \"tomorrow\": expected \"YYYY-MM-DD HH:MM\"",
        ),
        (
            "schedule-past",
            Box::new(set("schedule", s("2023-09-01 08:00"))),
            "schedule: 2023-09-01 08:00 is in the past",
        ),
        (
            "deadline-before-send",
            Box::new(set("schedule", s("2023-10-20 08:00"))),
            "deadline: 2023-10-15 comes before the send time 2023-10-20 08:00",
        ),
    ];
    for (name, edit, expected) in cases {
        let got = problems(&f, name, edit).await;
        assert!(got.iter().any(|p| p.starts_with(expected)), "{name}: expected {expected:?}, got {got:?}");
    }
}

#[tokio::test]
async fn audiences_must_name_known_districts_tags_and_cells() {
    let f = fixture().await;
    let table = |k: &str, v: &str| {
        let mut t = toml::Table::new();
        t.insert(k.into(), toml::Value::Array(vec![toml::Value::String(v.into())]));
        toml::Value::Table(t)
    };
    let got = problems(&f, "d", set("audience", table("districts", "Na Ri"))).await;
    assert_eq!(got, ["audience.districts: unknown district \"Na Ri\"; the registry has: Ba Bể, Na Rì"]);
    let got = problems(&f, "t", set("audience", table("tags", "phuong"))).await;
    assert_eq!(got, ["audience.tags: no cell has the tag \"phuong\""]);
    let got = problems(&f, "c", set("audience", table("cells", "XX-1"))).await;
    assert_eq!(got, ["audience.cells: no cell has the code \"XX-1\""]);
    assert!(problems(&f, "ok", set("audience", table("districts", "Na Rì"))).await.is_empty());
    // a unit of the tree by its code: its whole subtree
    let got = problems(&f, "u", set("audience", table("units", "X-KHONG"))).await;
    assert_eq!(got, ["audience.units: no unit has the code \"X-KHONG\" (see loa units list)"]);
    assert!(problems(&f, "u-ok", set("audience", table("units", "Na Rì / Xã Kim Lư"))).await.is_empty());
    let commune = loa::packs::Audience::Some {
        districts: Default::default(),
        units: ["Na Rì / Xã Kim Lư".to_string()].into(),
        tags: Default::default(),
        cells: Default::default(),
    };
    assert_eq!(loa::packs::audience_size(&f.pool, &commune).await.unwrap(), 2, "NR-001 and NR-002");
    let district = loa::packs::Audience::Some {
        districts: Default::default(),
        units: ["Na Rì".to_string()].into(),
        tags: Default::default(),
        cells: Default::default(),
    };
    assert_eq!(loa::packs::audience_size(&f.pool, &district).await.unwrap(), 2, "the district's subtree");
    // every cell retired: nobody to send to
    sqlx::query("UPDATE cells SET status = 'retired'").execute(&f.pool).await.unwrap();
    assert_eq!(problems(&f, "none", |_| {}).await, ["audience: no cell that is not retired matches it"]);
}

#[tokio::test]
async fn a_broken_pack_toml_names_the_line_an_editor_shows() {
    let f = fixture().await;
    for (toml, line) in [
        ("kind = \"monthly\"\nperiod = \"2023-10\"\ntitle = \n", 3),
        ("kind = \"monthly\"\r\nperiod = \"2023-10\"\r\ntitle = \"x\"\r\nbody = body.md\r\n", 4),
        ("\n\nkind = monthly\n", 3),
    ] {
        let dir = f.dir.path().join(format!("broken-{line}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("pack.toml"), toml).unwrap();
        let got = match folder::read(&dir, &f.pool, today()).await.unwrap() {
            Err(Problems(p)) => p.iter().map(ToString::to_string).collect::<Vec<_>>(),
            Ok(_) => vec![],
        };
        assert!(got[0].ends_with(&format!("(line {line})")), "{toml:?}: {got:?}");
    }
}

#[tokio::test]
async fn a_pack_folder_that_links_to_a_file_elsewhere_is_refused() {
    let f = fixture().await;
    // the database itself, linked in as a document; the body linked to a file outside
    let dir = folder(f.dir.path(), "links", set("body", toml::Value::String("noi-dung.md".into())));
    std::fs::remove_file(dir.join("ke-hoach.pdf")).unwrap();
    let db = f.dir.path().join("data/loa.db");
    std::os::unix::fs::symlink(&db, dir.join("ke-hoach.pdf")).unwrap();
    let outside = f.dir.path().join("secret.md");
    std::fs::write(&outside, "mật").unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("noi-dung.md")).unwrap();
    let got = match folder::read(&dir, &f.pool, today()).await.unwrap() {
        Err(Problems(p)) => p.iter().map(ToString::to_string).collect::<Vec<_>>(),
        Ok(_) => vec![],
    };
    assert_eq!(
        got,
        [
            "body: noi-dung.md: is a symbolic link; copy the file itself into the pack folder",
            "attachments[ke-hoach.pdf]: is a symbolic link; copy the file itself into the pack folder"
        ]
    );
}

#[tokio::test]
async fn telegram_limits_are_checked_before_anything_is_scheduled() {
    let f = fixture().await;
    // a body that makes the message longer than 4096 characters
    let dir = folder(f.dir.path(), "long", |_| {});
    std::fs::write(dir.join("body.md"), "chữ ".repeat(1100)).unwrap();
    let got = match folder::read(&dir, &f.pool, today()).await.unwrap() {
        Err(Problems(p)) => p.iter().map(ToString::to_string).collect::<Vec<_>>(),
        Ok(_) => vec![],
    };
    assert!(got[0].starts_with("body: the message would be 4"), "{got:?}");
    assert!(got[0].contains("Telegram allows 4096"), "{got:?}");
    // HTML outside Telegram's subset
    let dir = folder(f.dir.path(), "html", set("body", toml::Value::String("body.html".into())));
    std::fs::write(dir.join("body.html"), "<h1>Tiêu đề</h1>").unwrap();
    let got = match folder::read(&dir, &f.pool, today()).await.unwrap() {
        Err(Problems(p)) => p.iter().map(ToString::to_string).collect::<Vec<_>>(),
        Ok(_) => vec![],
    };
    assert_eq!(got, ["body: not valid Telegram HTML: Unsupported start tag \"h1\" at byte offset 0"]);
    // eleven attachments, and one over 50 MB (a sparse file: no disk spent)
    let names: Vec<String> = (0..11).map(|i| format!("{i}.pdf")).collect();
    let dir = folder(
        f.dir.path(),
        "many",
        set("attachments", toml::Value::Array(names.iter().map(|n| toml::Value::String(n.clone())).collect())),
    );
    for n in &names {
        std::fs::write(dir.join(n), b"%PDF").unwrap();
    }
    let big = std::fs::File::create(dir.join("0.pdf")).unwrap();
    big.set_len(50 * 1024 * 1024 + 1).unwrap();
    let got = match folder::read(&dir, &f.pool, today()).await.unwrap() {
        Err(Problems(p)) => p.iter().map(ToString::to_string).collect::<Vec<_>>(),
        Ok(_) => vec![],
    };
    assert!(got.contains(&"attachments: 11 files; a pack carries at most 10".to_string()), "{got:?}");
    assert!(got.contains(&"attachments[0.pdf]: 50.0 MB; Telegram takes at most 50 MB a file".to_string()), "{got:?}");
}

#[tokio::test]
async fn documents_are_stored_once_by_content() {
    let f = fixture().await;
    let a = folder(f.dir.path(), "a", |_| {});
    let b = folder(f.dir.path(), "b", |_| {});
    for dir in [&a, &b] {
        let draft = folder::read(dir, &f.pool, today()).await.unwrap().unwrap();
        store::create(&f.pool, &f.config, &draft, Actor::Cli).await.unwrap();
    }
    let files: Vec<_> =
        std::fs::read_dir(f.dir.path().join("data/files")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files.len(), 1, "the same PDF twice is stored once: {files:?}");
    let hash = files[0].to_string_lossy().to_string();
    assert_eq!(hash.len(), 64);
    assert_eq!(std::fs::read(f.dir.path().join("data/files").join(&hash)).unwrap(), b"%PDF-1.4 sample");
    // a file_id Telegram gave for this content serves the next pack too
    sqlx::query("UPDATE attachments SET telegram_file_id = 'BQACfile' WHERE pack_id = 1")
        .execute(&f.pool)
        .await
        .unwrap();
    let c = folder(f.dir.path(), "c", |_| {});
    let draft = folder::read(&c, &f.pool, today()).await.unwrap().unwrap();
    let id = store::create(&f.pool, &f.config, &draft, Actor::Cli).await.unwrap();
    let fid: Option<String> = sqlx::query_scalar("SELECT telegram_file_id FROM attachments WHERE pack_id = $1")
        .bind(id)
        .fetch_one(&f.pool)
        .await
        .unwrap();
    assert_eq!(fid.as_deref(), Some("BQACfile"));
}

#[tokio::test]
async fn schedules_now_at_a_time_and_in_the_slot_with_a_controlled_clock() {
    let f = fixture().await;
    let tz = f.config.timezone;
    let now = tz.with_ymd_and_hms(2023, 9, 20, 10, 0, 0).unwrap().with_timezone(&Utc);
    let new_pack = |name: &'static str, edit: fn(&mut toml::Table)| {
        let f = &f;
        async move {
            let dir = folder(f.dir.path(), name, edit);
            let draft = folder::read(&dir, &f.pool, today()).await.unwrap().unwrap();
            store::create(&f.pool, &f.config, &draft, Actor::Cli).await.unwrap()
        }
    };
    let id = new_pack("now", |_| {}).await;
    let due = store::schedule(&f.pool, &f.config, id, When::Now, now, Actor::Cli).await.unwrap().unwrap();
    assert_eq!(due, now);

    let id = new_pack("at", |_| {}).await;
    let at = chrono::NaiveDate::from_ymd_opt(2023, 10, 2).unwrap().and_hms_opt(7, 30, 0).unwrap();
    let due = store::schedule(&f.pool, &f.config, id, When::At(at), now, Actor::Cli).await.unwrap().unwrap();
    assert_eq!(due, tz.with_ymd_and_hms(2023, 10, 2, 7, 30, 0).unwrap().with_timezone(&Utc));
    let past = chrono::NaiveDate::from_ymd_opt(2023, 9, 1).unwrap().and_hms_opt(8, 0, 0).unwrap();
    assert_eq!(
        store::schedule(&f.pool, &f.config, id, When::At(past), now, Actor::Cli).await.unwrap(),
        Err(ScheduleError::InThePast("2023-09-01 08:00".into()))
    );

    // the quarterly slot of Q4 2023: 08:00 on 1 October, Vietnam time
    let id = new_pack("slot", |_| {}).await;
    let due = store::schedule(&f.pool, &f.config, id, When::Slot, now, Actor::Cli).await.unwrap().unwrap();
    assert_eq!(due, tz.with_ymd_and_hms(2023, 10, 1, 8, 0, 0).unwrap().with_timezone(&Utc));
    let pack = store::get(&f.pool, id).await.unwrap().unwrap();
    assert_eq!((pack.status.as_str(), pack.schedule_kind.as_deref()), ("scheduled", Some("slot")));
    // a slot already past for its period
    let later = tz.with_ymd_and_hms(2023, 10, 5, 0, 0, 0).unwrap().with_timezone(&Utc);
    assert_eq!(
        store::schedule(&f.pool, &f.config, id, When::Slot, later, Actor::Cli).await.unwrap(),
        Err(ScheduleError::SlotPassed("Q4 2023".into()))
    );
    // a thematic pack has no slot; without a deadline it gets send + 10 days
    let id = new_pack("thematic", |t| {
        t.insert("kind".into(), toml::Value::String("thematic".into()));
        t.remove("period");
        t.remove("deadline");
    })
    .await;
    assert_eq!(
        store::schedule(&f.pool, &f.config, id, When::Slot, now, Actor::Cli).await.unwrap(),
        Err(ScheduleError::NoSlotForKind)
    );
    store::schedule(&f.pool, &f.config, id, When::Now, now, Actor::Cli).await.unwrap().unwrap();
    assert_eq!(store::get(&f.pool, id).await.unwrap().unwrap().deadline.as_deref(), Some("2023-09-30"));
    // cancelled packs cannot be scheduled again
    loa::delivery::broadcast::cancel_pack(&f.pool, id, Actor::Cli).await.unwrap().unwrap();
    assert!(matches!(
        store::schedule(&f.pool, &f.config, id, When::Now, now, Actor::Cli).await.unwrap(),
        Err(ScheduleError::WrongStatus { .. })
    ));
}

#[test]
fn the_sample_pack_in_examples_is_created_shown_and_scheduled_at_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.csv"), REGISTRY).unwrap();
    let run = |args: &[&str]| {
        let out = loa_bin(dir.path()).args(args).output().unwrap();
        (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
    };
    run(&["cells", "import", "a.csv"]);
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quy-iv-2023");
    let (code, out, err) = run(&["pack", "create", example.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().last(), Some("1"), "the id alone on the last line: {out}");
    let (code, out, _) = run(&["pack", "show", "1"]);
    assert_eq!(code, 0);
    assert!(out.contains("audience: all cells — 4 cell(s), 0 connected"), "{out}");
    assert!(out.contains("documents: ke-hoach.pdf"), "{out}");
    assert!(out.contains("checks: ok"), "{out}");
    assert!(out.contains("Quý IV/2023"), "{out}");
    assert!(out.contains("📝 Ban đề nghị báo cáo: Báo cáo kết quả quán triệt và tình hình dư luận"), "{out}");
    let (code, _, err) = run(&["pack", "schedule", "1"]);
    assert_eq!(code, 2, "one of --now, --at, --slot is required: {err}");
    let (code, _, err) = run(&["pack", "schedule", "1", "--at", "tomorrow"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected a local time like \"2023-10-01 08:00\""), "{err}");
    let (code, out, _) = run(&["pack", "schedule", "1", "--now"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("pack 1 is scheduled for"), "{out}");
    assert!(
        out.contains("delivery: 0 cell(s) x 3 message(s) at 30/s: khoảng 0 giây (about 0 s)"),
        "the estimate is stated: {out}"
    );
    let (_, out, _) = run(&["pack", "list", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list[0]["status"], "scheduled");
    assert_eq!(list[0]["attachments"], 2);
    let (code, out, _) = run(&["pack", "cancel", "1"]);
    assert_eq!((code, out.trim()), (0, "pack 1 is cancelled"));
    let (code, _, err) = run(&["pack", "show", "9"]);
    assert_eq!(code, 2);
    assert!(err.contains("there is no pack 9"));
    // a broken folder: every problem listed, nothing created
    let broken = dir.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(
        broken.join("pack.toml"),
        "kind = \"monthly\"\nperiod = \"2023-Q4\"\ntitle = \"\"\nbody = \"x.md\"\n",
    )
    .unwrap();
    let (code, _, err) = run(&["pack", "create", broken.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("3 problem(s), nothing was created"), "{err}");
    let (_, out, _) = run(&["pack", "list", "--format", "json"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap().as_array().unwrap().len(), 1);
}
