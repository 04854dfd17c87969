//! Property tests over the parsers that take outside input: none may panic, and what they accept
//! keeps its promises. Strings are drawn both at random and from the characters that break
//! parsers (markup, entities, multibyte letters, emoji, zero-width and right-to-left marks).

use proptest::prelude::*;

/// Text made of the characters that trouble parsers.
fn tricky() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[<>&;#/=\"' a-zA-Z0-9đầủ😀\u{200b}\u{200f}\u{202e}\n*_`\\[\\]()-]{0,80}",
        "(<(b|i|u|s|a href=\"x\"|code|pre|tg-spoiler|blockquote)>|</(b|i|a|code)>|&(lt|gt|amp|quot|#[0-9]{1,8}|#x[0-9a-f]{1,6}|đđ);|[a-zđ ]){0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn telegram_html_parsing_never_panics_and_entities_stay_inside_the_text(s in tricky()) {
        if let Ok(p) = crate::tghtml::parse(&s) {
            let units = p.text.encode_utf16().count() as i64;
            for e in &p.entities {
                let offset = e["offset"].as_i64().unwrap();
                let length = e["length"].as_i64().unwrap();
                prop_assert!(offset >= 0 && length >= 0 && offset + length <= units, "{e} in {units} units");
            }
        }
    }

    #[test]
    fn bodies_become_telegram_html_that_parses(s in tricky()) {
        use crate::packs::body::{BodyFormat, to_telegram_html};
        for format in [BodyFormat::Markdown, BodyFormat::Html, BodyFormat::Text] {
            if let Ok(html) = to_telegram_html(&s, format) {
                prop_assert!(crate::tghtml::parse(&html).is_ok(), "{format:?} gave invalid HTML: {html:?}");
            }
        }
    }

    #[test]
    fn escaped_people_text_is_always_valid_telegram_html(s in tricky()) {
        let html = format!("<b>{}</b>", crate::i18n::escape(&s));
        let parsed = crate::tghtml::parse(&html);
        prop_assert!(parsed.is_ok(), "{html:?}");
        prop_assert_eq!(parsed.unwrap().text, s);
    }

    #[test]
    fn registry_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = crate::cells::import::parse_csv(&bytes);
    }

    #[test]
    fn registry_lines_with_odd_text_are_read_or_refused(name in tricky(), district in tricky()) {
        let csv = format!("code,name,district\nNR-001,\"{}\",\"{}\"\n", name.replace('"', "\"\""), district.replace('"', "\"\""));
        if let Ok(rows) = crate::cells::import::parse_csv(csv.as_bytes()) {
            prop_assert_eq!(rows.len(), 1);
        }
    }

    /// Any shape of tree (codes from a small alphabet so that parents, cycles and duplicates are
    /// common): read or refused line by line, never a panic; what is read is a tree with one root
    /// at most, no cell with rows under it, and no row its own ancestor.
    #[test]
    fn tree_registries_of_any_shape_are_read_or_refused(
        rows in proptest::collection::vec(("[A-E]", "[A-E]?", prop_oneof![Just(""), Just("chi-bo"), Just("xa")]), 1..8)
    ) {
        let mut csv = String::from("code,name,parent_code,kind\n");
        for (code, parent, kind) in &rows {
            csv.push_str(&format!("{code},Tên {code},{parent},{kind}\n"));
        }
        match crate::cells::import::parse_csv(csv.as_bytes()) {
            Ok(read) => {
                prop_assert!(read.iter().filter(|r| r.unit && r.parent_code.is_none()).count() <= 1);
                let parent_of = |code: &str| read.iter().find(|r| r.code.as_str() == code).and_then(|r| r.parent_code.clone());
                for r in &read {
                    if let Some(p) = &r.parent_code {
                        prop_assert!(read.iter().filter(|x| x.code.as_str() == p).all(|x| x.unit), "{csv}");
                    }
                    let mut at = r.parent_code.clone();
                    for _ in 0..read.len() {
                        let Some(p) = at else { break };
                        prop_assert_ne!(p.as_str(), r.code.as_str(), "{}", csv);
                        at = parent_of(&p);
                    }
                }
            }
            Err(crate::cells::import::ImportError::Rows(errors)) => prop_assert!(!errors.is_empty()),
            Err(e) => prop_assert!(false, "{e}"),
        }
    }

    #[test]
    fn report_answers_never_panic(s in tricky()) {
        let today = chrono::NaiveDate::from_ymd_opt(2023, 10, 20).unwrap();
        if let Ok(d) = crate::reports::parse_meeting_date(&s, today) {
            prop_assert!(d <= today);
        }
        if let Ok(n) = crate::reports::parse_attendance(&s) {
            prop_assert!((1..=crate::reports::MAX_ATTENDANCE).contains(&n));
        }
        if let Ok(t) = crate::reports::check_text(&s) {
            prop_assert!(t.chars().count() <= crate::reports::MAX_TEXT && !t.is_empty());
        }
    }

    #[test]
    fn periods_and_local_times_never_panic(s in tricky()) {
        let _ = crate::packs::period::Period::parse(&s);
        let _ = crate::packs::folder::parse_local(&s);
    }

    #[test]
    fn updates_of_any_shape_are_read_or_refused(s in tricky(), text in tricky(), id in any::<i64>()) {
        let _ = serde_json::from_str::<teloxide::types::Update>(&s);
        let update = serde_json::json!({"update_id": id, "message": {"message_id": id, "date": id,
            "chat": {"id": id, "type": "private", "first_name": text}, "from": {"id": id, "is_bot": false,
            "first_name": text}, "text": text, "unknown_field": {"x": [1, 2]}}});
        let _ = serde_json::from_value::<teloxide::types::Update>(update);
        let callback = serde_json::json!({"update_id": 1, "callback_query": {"id": "q", "from": {"id": 1,
            "is_bot": false, "first_name": text}, "chat_instance": "1", "data": text}});
        let _ = serde_json::from_value::<teloxide::types::Update>(callback);
    }

    #[test]
    fn configuration_values_of_any_kind_are_checked_not_trusted(key in prop::sample::select(vec![
        "telegram.mode", "telegram.api_url", "timezone", "delivery.messages_per_second", "delivery.max_attempts",
        "schedule.monthly_slot", "schedule.reminders", "schedule.remind_after_days", "http.listen",
        "telegram.webhook.listen", "telegram.webhook.public_url", "i18n.default_locale", "staff.admins",
    ]), value in tricky()) {
        let fig = figment::Figment::from(<figment::providers::Toml as figment::providers::Format>::string(crate::config::DEFAULT_TOML))
            .merge(figment::providers::Serialized::default(key, value));
        if let Err(e) = crate::config::Config::from_figment(fig) {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

/// A runtime and a database for the property tests that read pack folders.
fn pack_env() -> &'static (tokio::runtime::Runtime, crate::db::DbPool, tempfile::TempDir) {
    static ENV: std::sync::OnceLock<(tokio::runtime::Runtime, crate::db::DbPool, tempfile::TempDir)> =
        std::sync::OnceLock::new();
    ENV.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/loa.db", dir.path().display());
        let pool = rt.block_on(crate::db::open(&url)).unwrap();
        (rt, pool, dir)
    })
}

/// Reads a pack folder holding `toml` as its pack.toml, a body and two documents.
fn read_pack(toml: &str) -> Result<crate::packs::folder::PackDraft, crate::packs::folder::Problems> {
    let (rt, pool, _) = pack_env();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pack.toml"), toml).unwrap();
    std::fs::write(dir.path().join("body.md"), "Nội dung **chính**").unwrap();
    std::fs::write(dir.path().join("ke-hoach.pdf"), b"%PDF-1.4 x").unwrap();
    std::fs::write(dir.path().join("de-cuong.txt"), "Đề cương").unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2023, 9, 20).unwrap();
    rt.block_on(crate::packs::folder::read(dir.path(), pool, today)).expect("reading a folder does not fail")
}

/// A TOML string literal of `s`, whatever it holds.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn pack_files_of_any_text_are_read_or_refused_with_reasons(s in tricky()) {
        if let Err(problems) = read_pack(&s) {
            prop_assert!(!problems.0.is_empty() && problems.0.iter().all(|p| !p.field.is_empty() && !p.message.is_empty()));
        }
    }

    #[test]
    fn pack_fields_of_any_value_are_read_or_refused_with_reasons(
        kind in prop_oneof![Just("monthly".to_string()), Just("quarterly".to_string()), Just("urgent".to_string()), tricky()],
        period in prop_oneof![Just("2023-10".to_string()), Just("2023-Q4".to_string()), tricky()],
        title in tricky(),
        body in prop_oneof![Just("body.md".to_string()), Just("../etc/passwd".to_string()), tricky()],
        attachments in proptest::collection::vec(prop_oneof![Just("ke-hoach.pdf".to_string()), Just("de-cuong.txt".to_string()), tricky()], 0..4),
        audience in prop_oneof![Just("\"all\"".to_string()), tricky().prop_map(|t| format!("{{ districts = [{}] }}", toml_str(&t))), tricky().prop_map(|t| toml_str(&t))],
        deadline in prop_oneof![Just("2023-10-31".to_string()), tricky()],
        schedule in prop_oneof![Just("draft".to_string()), Just("slot".to_string()), Just("2023-10-01 08:00".to_string()), tricky()],
    ) {
        let list: Vec<String> = attachments.iter().map(|a| toml_str(a)).collect();
        let toml = format!(
            "kind = {}\nperiod = {}\ntitle = {}\nbody = {}\nattachments = [{}]\naudience = {audience}\ndeadline = {}\nreport = {}\nschedule = {}\n",
            toml_str(&kind), toml_str(&period), toml_str(&title), toml_str(&body), list.join(", "),
            toml_str(&deadline), toml_str(&title), toml_str(&schedule),
        );
        match read_pack(&toml) {
            Ok(draft) => {
                prop_assert!(!draft.title.trim().is_empty());
                prop_assert!(crate::tghtml::parse(&draft.body_html).is_ok());
                prop_assert!(draft.attachments.len() <= attachments.len());
            }
            Err(problems) => prop_assert!(problems.0.iter().all(|p| !p.field.is_empty() && !p.message.is_empty())),
        }
    }

    #[test]
    fn registry_workbooks_of_any_content_are_read_or_refused(
        cells in proptest::collection::vec((0u16..8, 0u16..6, prop_oneof![
            tricky().prop_map(|s| s),
            any::<f64>().prop_map(|f| format!("#num:{f}")),
            any::<bool>().prop_map(|b| format!("#bool:{b}")),
        ]), 0..40),
        header in any::<bool>(),
    ) {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        if header {
            for (i, h) in ["code", "name", "district", "commune", "parent", "tags"].iter().enumerate() {
                sheet.write_string(0, i as u16, *h).unwrap();
            }
        }
        for (row, col, v) in &cells {
            let row = u32::from(*row) + u32::from(header);
            if let Some(f) = v.strip_prefix("#num:") {
                let _ = sheet.write_number(row, *col, f.parse::<f64>().unwrap());
            } else if let Some(b) = v.strip_prefix("#bool:") {
                sheet.write_boolean(row, *col, b == "true").unwrap();
            } else if sheet.write_string(row, *col, v).is_err() {
                // longer than a cell may hold: the writer refuses it, and that is all
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("so-dang-ky.xlsx");
        book.save(&path).unwrap();
        if let Ok(rows) = crate::cells::import::parse_xlsx(&path) {
            prop_assert!(rows.iter().all(|r| !r.name.is_empty() && !r.district.is_empty()));
        }
    }

    #[test]
    fn registry_workbooks_that_are_not_workbooks_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..600), zip in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("so-dang-ky.xlsx");
        let mut content = if zip { b"PK\x03\x04".to_vec() } else { Vec::new() };
        content.extend(bytes);
        std::fs::write(&path, content).unwrap();
        prop_assert!(crate::cells::import::parse_xlsx(&path).is_err());
    }
}
