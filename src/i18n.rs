//! Every sentence a user reads, in Vietnamese (the default) and English, from the Fluent catalogs
//! in `locales/` (built into the binary). Text that came from people goes in through
//! [`Args::user`], which HTML-escapes it: the catalogs are Telegram HTML.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

const VI_FTL: &str = include_str!("../locales/vi.ftl");
const EN_FTL: &str = include_str!("../locales/en.ftl");

/// A language Loa speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    Vi,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Vi, Locale::En];

    /// "vi" or "en" (case-insensitive, surrounding spaces ignored).
    pub fn parse(s: &str) -> Option<Locale> {
        match s.trim().to_ascii_lowercase().as_str() {
            "vi" => Some(Locale::Vi),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// A whole number with thousands grouped as this language writes them: "1.512" / "1,512".
    pub fn number(self, n: i64) -> String {
        let sep = match self {
            Locale::Vi => '.',
            Locale::En => ',',
        };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        if n < 0 { format!("-{out}") } else { out }
    }

    pub fn code(self) -> &'static str {
        match self {
            Locale::Vi => "vi",
            Locale::En => "en",
        }
    }
}

/// The language of a chat: its `/lang` choice (table `chat_prefs`), else `default`.
pub async fn chat_locale(pool: &crate::db::DbPool, chat_id: i64, default: Locale) -> Locale {
    let chosen: Option<String> = sqlx::query_scalar("SELECT locale FROM chat_prefs WHERE chat_id = $1")
        .bind(chat_id)
        .fetch_optional(pool)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "failed to read the chat's language");
            None
        });
    chosen.as_deref().and_then(Locale::parse).unwrap_or(default)
}

/// Escapes text that came from people (names, titles, reports) for Telegram HTML.
/// The one place Loa does this.
pub fn escape(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

/// Arguments for a catalog message.
#[derive(Default)]
pub struct Args<'a>(FluentArgs<'a>);

impl<'a> Args<'a> {
    pub fn new() -> Self {
        Args(FluentArgs::new())
    }

    /// Text that came from a person: escaped.
    pub fn user(mut self, name: &'a str, value: &str) -> Self {
        self.0.set(name, FluentValue::from(escape(value)));
        self
    }

    /// Text Loa made itself (already valid HTML) or a number.
    pub fn raw(mut self, name: &'a str, value: impl Into<FluentValue<'a>>) -> Self {
        self.0.set(name, value.into());
        self
    }
}

/// The two catalogs.
pub struct Catalog {
    vi: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
    /// The board's name (`organisation.board`), given to every message as `$board`.
    board: String,
}

/// The board's name when the configuration gives none (the tests' and tools' catalogs).
pub const DEFAULT_BOARD: &str = "Ban Tuyên giáo và Dân vận Tỉnh ủy";

fn bundle(lang: unic_langid::LanguageIdentifier, src: &'static str) -> FluentBundle<FluentResource> {
    let res = FluentResource::try_new(src.to_string())
        .unwrap_or_else(|(_, errs)| panic!("catalog {lang} does not parse: {errs:?}"));
    let mut b = FluentBundle::new_concurrent(vec![lang.clone()]);
    // Telegram shows the isolation marks Fluent would put around arguments; leave them out.
    b.set_use_isolating(false);
    b.add_resource(res).unwrap_or_else(|errs| panic!("catalog {lang} has duplicate keys: {errs:?}"));
    b
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog::new()
    }
}

impl Catalog {
    pub fn new() -> Self {
        Catalog::for_board(DEFAULT_BOARD)
    }

    /// The catalogs, naming the board `board` wherever a message speaks of it.
    pub fn for_board(board: &str) -> Self {
        Catalog {
            vi: bundle(unic_langid::langid!("vi"), VI_FTL),
            en: bundle(unic_langid::langid!("en"), EN_FTL),
            board: escape(board),
        }
    }

    fn bundle(&self, locale: Locale) -> &FluentBundle<FluentResource> {
        match locale {
            Locale::Vi => &self.vi,
            Locale::En => &self.en,
        }
    }

    /// The message `key` in `locale`; a missing key is logged and shown as the key itself.
    pub fn t(&self, locale: Locale, key: &str, args: Args<'_>) -> String {
        let bundle = self.bundle(locale);
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            tracing::error!(key, locale = locale.code(), "missing catalog message");
            return key.to_string();
        };
        let mut args = args.0;
        if args.get("board").is_none() {
            args.set("board", FluentValue::from(self.board.as_str()));
        }
        let mut errors = Vec::new();
        let out = bundle.format_pattern(pattern, Some(&args), &mut errors);
        if !errors.is_empty() {
            tracing::error!(key, locale = locale.code(), ?errors, "catalog message formatted with errors");
        }
        out.into_owned()
    }

    /// A message without arguments.
    pub fn s(&self, locale: Locale, key: &str) -> String {
        self.t(locale, key, Args::new())
    }

    /// The keys of a catalog, for checking that both languages say everything.
    pub fn keys(&self, locale: Locale) -> Vec<String> {
        let src = match locale {
            Locale::Vi => VI_FTL,
            Locale::En => EN_FTL,
        };
        let res = FluentResource::try_new(src.to_string()).expect("checked at load");
        let mut keys: Vec<String> = res
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect();
        keys.sort();
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_every_message() {
        let c = Catalog::new();
        assert_eq!(c.keys(Locale::Vi), c.keys(Locale::En));
        assert!(c.keys(Locale::Vi).len() >= 10);
    }

    #[test]
    fn every_message_is_valid_telegram_html() {
        let c = Catalog::new();
        for l in Locale::ALL {
            for k in c.keys(l) {
                let text = c.t(
                    l,
                    &k,
                    Args::new().user("name", "A").user("title", "T").user("given", "x").user("command", "/x"),
                );
                crate::tghtml::parse(&text).unwrap_or_else(|e| panic!("{k} ({}) is not valid HTML: {e}", l.code()));
            }
        }
    }

    #[test]
    fn names_from_people_are_escaped_and_not_isolated() {
        let c = Catalog::new();
        let s = c.t(Locale::Vi, "welcome-private", Args::new().user("name", "<Bác Ba & Co>"));
        assert!(s.starts_with("Xin chào &lt;Bác Ba &amp; Co&gt;!"), "{s}");
        assert!(!s.contains('\u{2068}'));
    }

    #[test]
    fn numbers_are_grouped_as_each_language_writes_them() {
        assert_eq!(Locale::Vi.number(1512), "1.512");
        assert_eq!(Locale::En.number(1_234_567), "1,234,567");
        assert_eq!(Locale::Vi.number(840), "840");
        assert_eq!(Locale::Vi.number(-1000), "-1.000");
    }

    #[test]
    fn locales_parse_loosely_and_reject_others() {
        assert_eq!(Locale::parse(" EN "), Some(Locale::En));
        assert_eq!(Locale::parse("vi"), Some(Locale::Vi));
        assert_eq!(Locale::parse("fr"), None);
    }
}
