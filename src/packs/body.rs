//! A pack's body in Telegram HTML: Markdown (`.md`) converted with pulldown-cmark, HTML (`.html`)
//! checked against Telegram's subset, plain text (`.txt`) escaped. Telegram HTML has no headings,
//! lists or paragraphs: headings become bold lines, list items bullets, paragraphs blank lines.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::i18n::escape;

/// How a body was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Markdown,
    Html,
    Text,
}

impl BodyFormat {
    /// From a file name's extension.
    pub fn of_file(name: &str) -> Option<BodyFormat> {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
        match ext.as_str() {
            "md" | "markdown" => Some(BodyFormat::Markdown),
            "html" | "htm" => Some(BodyFormat::Html),
            "txt" => Some(BodyFormat::Text),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BodyFormat::Markdown => "md",
            BodyFormat::Html => "html",
            BodyFormat::Text => "txt",
        }
    }
}

/// Turns a body into Telegram HTML; the error says what Telegram would refuse.
pub fn to_telegram_html(source: &str, format: BodyFormat) -> Result<String, String> {
    let html = match format {
        BodyFormat::Markdown => markdown(source),
        BodyFormat::Html => source.trim().to_string(),
        BodyFormat::Text => escape(source.trim()),
    };
    crate::tghtml::parse(&html).map_err(|e| e.replace("can't parse entities: ", "not valid Telegram HTML: "))?;
    Ok(html)
}

/// Characters of the text a cell will see (after entity parsing), which Telegram limits.
pub fn visible_len(html: &str) -> usize {
    crate::tghtml::parse(html).map(|p| p.text.chars().count()).unwrap_or(usize::MAX)
}

fn markdown(source: &str) -> String {
    let mut out = String::new();
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut link_stack: Vec<bool> = Vec::new();
    let mut code_close = "</pre>";
    let block_gap = |out: &mut String| {
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        if !out.is_empty() && !out.ends_with("\n\n") && !out.ends_with("<blockquote>") {
            out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
        }
    };
    for event in Parser::new_ext(source, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(tag) => match tag {
                Tag::Paragraph if lists.is_empty() => block_gap(&mut out),
                Tag::Heading { level, .. } => {
                    block_gap(&mut out);
                    out.push_str(if level <= HeadingLevel::H2 { "<b>" } else { "<b><i>" });
                }
                Tag::BlockQuote(_) => {
                    block_gap(&mut out);
                    out.push_str("<blockquote>");
                }
                Tag::CodeBlock(kind) => {
                    block_gap(&mut out);
                    match kind {
                        CodeBlockKind::Fenced(lang) if !lang.is_empty() => {
                            let lang = escape(lang.split_whitespace().next().unwrap_or(""));
                            out.push_str(&format!("<pre><code class=\"language-{lang}\">"));
                            code_close = "</code></pre>\n";
                        }
                        _ => {
                            out.push_str("<pre>");
                            code_close = "</pre>\n";
                        }
                    }
                }
                Tag::List(start) => {
                    if lists.is_empty() {
                        block_gap(&mut out);
                    }
                    lists.push(start);
                }
                Tag::Item => {
                    if !out.is_empty() && !out.ends_with('\n') {
                        out.push('\n');
                    }
                    let depth = lists.len().saturating_sub(1);
                    out.push_str(&"    ".repeat(depth));
                    match lists.last_mut() {
                        Some(Some(n)) => {
                            out.push_str(&format!("{n}. "));
                            *n += 1;
                        }
                        _ => out.push_str("• "),
                    }
                }
                Tag::Emphasis => out.push_str("<i>"),
                Tag::Strong => out.push_str("<b>"),
                Tag::Strikethrough => out.push_str("<s>"),
                Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                    let safe = dest_url.starts_with("http://")
                        || dest_url.starts_with("https://")
                        || dest_url.starts_with("tg://");
                    if safe {
                        out.push_str(&format!("<a href=\"{}\">", escape(&dest_url).replace('"', "&quot;")));
                    }
                    link_stack.push(safe);
                }
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Heading(level) => out.push_str(if level <= HeadingLevel::H2 { "</b>\n" } else { "</i></b>\n" }),
                TagEnd::Paragraph if lists.is_empty() => out.push('\n'),
                TagEnd::BlockQuote(_) => {
                    let t = out.trim_end().len();
                    out.truncate(t);
                    out.push_str("</blockquote>\n");
                }
                TagEnd::CodeBlock => {
                    let t = out.trim_end_matches('\n').len();
                    out.truncate(t);
                    out.push_str(code_close);
                }
                TagEnd::List(_) => {
                    lists.pop();
                    if lists.is_empty() {
                        out.push('\n');
                    }
                }
                TagEnd::Emphasis => out.push_str("</i>"),
                TagEnd::Strong => out.push_str("</b>"),
                TagEnd::Strikethrough => out.push_str("</s>"),
                // the guard pops the link either way; only a kept link is closed
                TagEnd::Link | TagEnd::Image if link_stack.pop() == Some(true) => out.push_str("</a>"),
                _ => {}
            },
            Event::Text(t) => out.push_str(&escape(&t)),
            Event::Code(t) => out.push_str(&format!("<code>{}</code>", escape(&t))),
            // raw HTML inside Markdown is shown as written, never interpreted
            Event::Html(t) | Event::InlineHtml(t) => out.push_str(&escape(&t)),
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::Rule => {
                block_gap(&mut out);
                out.push_str("——————\n");
            }
            _ => {}
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_telegram_html() {
        let md = "# Định hướng quý IV\n\nNội dung **trọng tâm** và *lưu ý*:\n\n- Quán triệt Nghị quyết\n- Tuyên truyền [văn bản](https://example.vn/a?b=1&c=2)\n\n1. Một\n2. Hai\n\n> Trích dẫn\n\nMã `NR-001` & <không phải thẻ>";
        let html = to_telegram_html(md, BodyFormat::Markdown).unwrap();
        assert_eq!(
            html,
            "<b>Định hướng quý IV</b>\n\nNội dung <b>trọng tâm</b> và <i>lưu ý</i>:\n\n• Quán triệt Nghị quyết\n• Tuyên truyền <a href=\"https://example.vn/a?b=1&amp;c=2\">văn bản</a>\n\n1. Một\n2. Hai\n\n<blockquote>Trích dẫn</blockquote>\n\nMã <code>NR-001</code> &amp; &lt;không phải thẻ&gt;"
        );
        let parsed = crate::tghtml::parse(&html).unwrap();
        assert!(parsed.text.contains("• Quán triệt Nghị quyết"));
    }

    #[test]
    fn code_blocks_and_unsafe_links() {
        let html = to_telegram_html("```\na < b\n```\n\n[x](javascript:alert(1))", BodyFormat::Markdown).unwrap();
        assert_eq!(html, "<pre>a &lt; b</pre>\n\nx");
    }

    #[test]
    fn html_is_checked_and_text_is_escaped() {
        assert!(to_telegram_html("<b>ok</b>", BodyFormat::Html).is_ok());
        let e = to_telegram_html("<h1>Tiêu đề</h1>", BodyFormat::Html).unwrap_err();
        assert_eq!(e, "not valid Telegram HTML: Unsupported start tag \"h1\" at byte offset 0");
        assert_eq!(to_telegram_html("a < b & c", BodyFormat::Text).unwrap(), "a &lt; b &amp; c");
    }

    #[test]
    fn the_visible_length_is_what_telegram_counts() {
        assert_eq!(visible_len("<b>Quý</b> &amp; x"), 7);
    }

    #[test]
    fn formats_come_from_the_extension() {
        assert_eq!(BodyFormat::of_file("body.md"), Some(BodyFormat::Markdown));
        assert_eq!(BodyFormat::of_file("Body.HTML"), Some(BodyFormat::Html));
        assert_eq!(BodyFormat::of_file("body.txt"), Some(BodyFormat::Text));
        assert_eq!(BodyFormat::of_file("body.docx"), None);
    }
}
