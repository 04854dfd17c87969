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
