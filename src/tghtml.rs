//! Telegram's HTML parse mode: turns a message written in the subset Telegram accepts into plain
//! text plus entities, and refuses anything else with the descriptions Telegram uses ("can't parse
//! entities: ..."). Offsets are in UTF-16 code units. The simulator answers with it, and Loa
//! checks a pack's body with it before anything is scheduled: one parser for both sides.

use serde_json::{Value, json};

/// Text after entity parsing, and its entities in Bot API shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub text: String,
    pub entities: Vec<Value>,
}

struct Open {
    tag: String,
    kind: &'static str,
    start_utf16: usize,
    extra: Option<(&'static str, String)>,
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Parses `src` as Telegram HTML. The error is the part after "Bad Request: ".
pub fn parse(src: &str) -> Result<Parsed, String> {
    let mut text = String::new();
    let mut entities = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'&' => {
                let rest = &src[i..];
                let (decoded, used) = decode_entity(rest);
                text.push_str(&decoded);
                i += used;
            }
            b'<' => {
                let start = i;
                let end = src[i..]
                    .find('>')
                    .map(|p| i + p)
                    .ok_or_else(|| cant(format!("Can't find end of the tag starting at byte offset {start}")))?;
                let inner = &src[i + 1..end];
                i = end + 1;
                if let Some(name) = inner.strip_prefix('/') {
                    let name = name.trim().to_ascii_lowercase();
                    let open = stack.pop().ok_or_else(|| cant(format!("Unexpected end tag at byte offset {start}")))?;
                    if open.tag != name {
                        return Err(cant(format!(
                            "Unmatched end tag at byte offset {start}, expected \"</{}>\", found \"</{name}>\"",
                            open.tag
                        )));
                    }
                    let len = utf16_len(&text) - open.start_utf16;
                    if len > 0 {
                        let mut e = json!({"type": open.kind, "offset": open.start_utf16, "length": len});
                        if let Some((k, v)) = open.extra {
                            e[k] = Value::String(v);
                        }
                        entities.push(e);
                    }
                } else {
                    let (name, attrs) = split_tag(inner);
                    let name = name.to_ascii_lowercase();
                    if name.is_empty() {
                        return Err(cant(format!("Empty tag name at byte offset {start}")));
                    }
                    let attrs = parse_attrs(attrs)
                        .map_err(|_| cant(format!("Can't parse attributes of the tag at byte offset {start}")))?;
                    let attr = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                    let (kind, extra): (&'static str, Option<(&'static str, String)>) = match name.as_str() {
                        "b" | "strong" => ("bold", None),
                        "i" | "em" => ("italic", None),
                        "u" | "ins" => ("underline", None),
                        "s" | "strike" | "del" => ("strikethrough", None),
                        "tg-spoiler" => ("spoiler", None),
                        "span" if attr("class").as_deref() == Some("tg-spoiler") => ("spoiler", None),
                        "a" => match attr("href") {
                            Some(h) if !h.is_empty() => ("text_link", Some(("url", h))),
                            _ => ("text_link", None),
                        },
                        "code" => ("code", None),
                        "pre" => ("pre", None),
                        "blockquote" if attrs.iter().any(|(n, _)| n == "expandable") => ("expandable_blockquote", None),
                        "blockquote" => ("blockquote", None),
                        "tg-emoji" => match attr("emoji-id") {
                            Some(id) => ("custom_emoji", Some(("custom_emoji_id", id))),
                            None => {
                                return Err(cant(format!("Can't find custom emoji identifier at byte offset {start}")));
                            }
                        },
                        other => {
                            return Err(cant(format!("Unsupported start tag \"{other}\" at byte offset {start}")));
                        }
                    };
                    stack.push(Open { tag: name, kind, start_utf16: utf16_len(&text), extra });
                }
            }
            _ => {
                let next = src[i..].find(['<', '&']).map(|p| i + p).unwrap_or(src.len());
                text.push_str(&src[i..next]);
                i = next;
            }
        }
    }
    if let Some(open) = stack.pop() {
        return Err(cant(format!("Can't find end tag corresponding to start tag \"{}\"", open.tag)));
    }
    // Telegram returns entities ordered by offset.
    entities.sort_by_key(|e| e["offset"].as_u64());
    // Leading and trailing whitespace is trimmed from messages.
    Ok(Parsed { text, entities })
}

fn cant(msg: String) -> String {
    format!("can't parse entities: {msg}")
}

fn split_tag(inner: &str) -> (&str, &str) {
    match inner.find(|c: char| c.is_whitespace()) {
        Some(p) => (&inner[..p], &inner[p..]),
        None => (inner.trim_end_matches('/'), ""),
    }
}

fn parse_attrs(s: &str) -> Result<Vec<(String, String)>, ()> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let name_end = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start();
        if let Some(r) = rest.strip_prefix('=') {
            let r = r.trim_start();
            let (value, after) = match r.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let close = r[1..].find(q).ok_or(())?;
                    (&r[1..1 + close], &r[close + 2..])
                }
                Some(_) => {
                    let e = r.find(char::is_whitespace).unwrap_or(r.len());
                    (&r[..e], &r[e..])
                }
                None => return Err(()),
            };
            out.push((name, decode_all(value)));
            rest = after.trim_start();
        } else {
            out.push((name, String::new()));
        }
    }
    Ok(out)
}

fn decode_all(s: &str) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < s.len() {
        if s.as_bytes()[i] == b'&' {
            let (d, used) = decode_entity(&s[i..]);
            out.push_str(&d);
            i += used;
        } else {
            let next = s[i..].find('&').map(|p| i + p).unwrap_or(s.len());
            out.push_str(&s[i..next]);
            i = next;
        }
    }
    out
}

/// Decodes one `&...;` at the start of `s`; an unknown one is kept as written.
fn decode_entity(s: &str) -> (String, usize) {
    // an entity is ASCII: look for its ';' among the first few bytes, never cutting a character
    let Some(semi) = s.bytes().take(12).position(|b| b == b';') else {
        return ("&".into(), 1);
    };
    let name = &s[1..semi];
    let decoded = match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => {
            if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
            } else if let Some(dec) = name.strip_prefix('#') {
                dec.parse::<u32>().ok().and_then(char::from_u32)
            } else {
                None
            }
        }
    };
    match decoded {
        Some(c) => (c.to_string(), semi + 1),
        None => ("&".into(), 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bold_and_link_become_entities_with_utf16_offsets() {
        let p = parse("Quý <b>IV</b> <a href=\"https://x.vn/a?b=1&amp;c=2\">xem</a> 😀<i>ok</i>").unwrap();
        assert_eq!(p.text, "Quý IV xem 😀ok");
        assert_eq!(p.entities[0], json!({"type":"bold","offset":4,"length":2}));
        assert_eq!(p.entities[1]["url"], "https://x.vn/a?b=1&c=2");
        // the emoji is two UTF-16 units
        assert_eq!(p.entities[2], json!({"type":"italic","offset":13,"length":2}));
    }

    #[test]
    fn escaped_characters_are_decoded() {
        assert_eq!(parse("a &lt; b &amp;&amp; c &gt; d &#39;x&#x41;").unwrap().text, "a < b && c > d 'xA");
        // an ampersand followed by letters of several bytes (found by a report in Vietnamese)
        assert_eq!(parse("&lt;đầy đủ&gt; & đồng tình").unwrap().text, "<đầy đủ> & đồng tình");
        assert_eq!(parse("&đđđđđđđđ;").unwrap().text, "&đđđđđđđđ;");
    }

    #[test]
    fn unsupported_and_unclosed_tags_are_refused_like_telegram() {
        assert_eq!(
            parse("x <br> y").unwrap_err(),
            "can't parse entities: Unsupported start tag \"br\" at byte offset 2"
        );
        assert_eq!(
            parse("<b>x").unwrap_err(),
            "can't parse entities: Can't find end tag corresponding to start tag \"b\""
        );
        assert!(parse("<b>x</i>").unwrap_err().contains("Unmatched end tag"));
        assert!(parse("a < b").unwrap_err().starts_with("can't parse entities"));
    }
}
