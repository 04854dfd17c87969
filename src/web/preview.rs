//! A message in Telegram's HTML as a page shows it: parsed the way Telegram parses it
//! ([`crate::tghtml::parse`]: plain text and entities), then written back out as HTML with only
//! the tags the entities stand for, every character of the text escaped. What the page shows is
//! therefore what a cell sees, and nothing in a pack's body can run in a browser.

use crate::tghtml;

/// The web HTML of a Telegram HTML message; a message Telegram would refuse is shown as its
/// source text with Telegram's reason.
pub fn to_web_html(telegram_html: &str) -> Result<String, String> {
    let parsed = tghtml::parse(telegram_html)?;
    Ok(render(&parsed.text, &parsed.entities))
}

/// One entity's span, in UTF-16 code units, and the tags it opens and closes.
struct Span {
    start: usize,
    end: usize,
    open: String,
    close: &'static str,
}

fn span(e: &serde_json::Value) -> Option<Span> {
    let start = e.get("offset")?.as_u64()? as usize;
    let end = start + e.get("length")?.as_u64()? as usize;
    let (open, close) = match e.get("type")?.as_str()? {
        "bold" => ("<b>".to_string(), "</b>"),
        "italic" => ("<i>".to_string(), "</i>"),
        "underline" => ("<u>".to_string(), "</u>"),
        "strikethrough" => ("<s>".to_string(), "</s>"),
        "spoiler" => ("<span class=\"spoiler\">".to_string(), "</span>"),
        "code" => ("<code>".to_string(), "</code>"),
        "pre" => ("<pre>".to_string(), "</pre>"),
        "blockquote" | "expandable_blockquote" => ("<blockquote>".to_string(), "</blockquote>"),
        "text_link" => {
            let url = e.get("url")?.as_str()?;
            // only addresses a browser opens as a page: no javascript: or data:
            let safe =
                ["http://", "https://", "tg://", "mailto:"].iter().any(|p| url.to_ascii_lowercase().starts_with(p));
            if !safe {
                return None;
            }
            (
                format!(
                    "<a href=\"{}\" rel=\"noopener noreferrer\">",
                    html_escape::encode_double_quoted_attribute(url)
                ),
                "</a>",
            )
        }
        _ => return None,
    };
    Some(Span { start, end, open, close })
}

fn render(text: &str, entities: &[serde_json::Value]) -> String {
    let mut spans: Vec<Span> = entities.iter().filter_map(span).collect();
    // outer first: by start, the longer before the shorter
    spans.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out = String::with_capacity(text.len() + spans.len() * 8);
    let mut open: Vec<usize> = Vec::new();
    let mut next = 0;
    let mut at = 0usize; // UTF-16 position
    let close_to = |out: &mut String, open: &mut Vec<usize>, at: usize| {
        while let Some(&i) = open.last() {
            if spans[i].end > at {
                break;
            }
            out.push_str(spans[i].close);
            open.pop();
        }
    };
    for ch in text.chars() {
        close_to(&mut out, &mut open, at);
        while next < spans.len() && spans[next].start <= at {
            out.push_str(&spans[next].open);
            open.push(next);
            next += 1;
        }
        let mut buf = [0u8; 4];
        out.push_str(&html_escape::encode_text(ch.encode_utf8(&mut buf)));
        at += ch.len_utf16();
    }
    close_to(&mut out, &mut open, usize::MAX);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_become_tags_and_text_is_escaped() {
        let got = to_web_html(
            "<b>Định hướng</b> &lt;tháng&gt; <i>10 <u>năm</u></i> &amp; <a href=\"https://x.vn/a?b=1&amp;c=2\">đây</a>",
        )
        .unwrap();
        assert_eq!(
            got,
            "<b>Định hướng</b> &lt;tháng&gt; <i>10 <u>năm</u></i> &amp; <a href=\"https://x.vn/a?b=1&amp;c=2\" rel=\"noopener noreferrer\">đây</a>"
        );
    }

    #[test]
    fn nothing_can_run_and_what_telegram_refuses_is_refused() {
        // a link Telegram accepts but a browser would run is shown as text
        let got = to_web_html("<a href=\"javascript:alert(1)\">x</a>").unwrap_or_default();
        assert!(!got.contains("javascript"), "{got}");
        assert!(to_web_html("<script>alert(1)</script>").is_err());
        assert!(to_web_html("<b>open").is_err());
    }

    #[test]
    fn offsets_count_utf16_as_telegram_does() {
        // an emoji is two UTF-16 units: the bold after it must still cover "đậm"
        let got = to_web_html("📣 <b>đậm</b> thường").unwrap();
        assert_eq!(got, "📣 <b>đậm</b> thường");
        let got = to_web_html("<blockquote>trích <b>dẫn</b></blockquote>\nhết").unwrap();
        assert_eq!(got, "<blockquote>trích <b>dẫn</b></blockquote>\nhết");
    }
}
