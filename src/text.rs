//! Text from outside (the registry, Telegram users' names and group titles, reports) made safe to
//! show anywhere: in Unicode's composed form (NFC), so that «Na Rì» typed on one machine and
//! pasted from another is one district, not two; and without the invisible characters that could
//! hide or reorder what is around them: bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE
//! turns «✅ Name đã nhận lúc 08:15» around after the name), zero-width spaces, the byte-order
//! mark, soft hyphens. Joiners (U+200C, U+200D) stay: emoji sequences and some scripts need them,
//! and they move nothing. Right-to-left letters themselves stay as they are: Arabic and Hebrew
//! names are names. HTML and Markdown characters are a matter of escaping where text is shown
//! (`teloxide::utils::html::escape` in messages; exports write text as text).

use unicode_normalization::UnicodeNormalization;

/// A character that shows nothing but may hide or reorder text around it.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// `s` in NFC without invisible characters; line breaks and everything else kept.
pub fn visible(s: &str) -> String {
    // removed first: a mark after a removed character composes with the letter before it
    s.chars().filter(|c| !is_invisible(*c)).nfc().collect()
}

/// A name for one line: [`visible`], control characters and runs of white space as one space,
/// trimmed.
pub fn clean_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in visible(s).chars() {
        if c.is_whitespace() || c.is_control() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// Where each line of a text starts, as an editor or Excel numbers lines: a line ends at `\n`,
/// `\r\n` or a lone `\r` (the csv crate counts `\r\n` files' lines otherwise, and `str::lines` misses a break at the
/// very end).
pub struct LineStarts(Vec<usize>);

impl LineStarts {
    pub fn of(bytes: &[u8]) -> LineStarts {
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 2;
                    continue;
                }
                b'\r' | b'\n' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineStarts(starts)
    }

    /// The line (from 1) of byte `offset`.
    pub fn line_at(&self, offset: usize) -> usize {
        self.0.partition_point(|s| *s <= offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn invisible_characters_go_and_vietnamese_is_composed() {
        // «Rì» written as R + i + combining grave, with a zero-width space and a bidi override
        let decomposed = "Na\u{200B} Ri\u{200B}\u{0300}\u{202E}";
        assert_eq!(clean_name(decomposed), "Na Rì");
        assert_eq!(clean_name("  Chi bộ\t\tthôn\n1 \u{FEFF}"), "Chi bộ thôn 1");
        assert_eq!(clean_name("<b>Bí thư</b> *_x_*"), "<b>Bí thư</b> *_x_*", "escaping is the display's job");
        assert_eq!(clean_name("مريم \u{2067}x\u{2069}"), "مريم x", "right-to-left letters stay");
        assert_eq!(clean_name("👨\u{200D}👩\u{200D}👧"), "👨\u{200D}👩\u{200D}👧", "joiners stay");
        assert_eq!(clean_name("\u{200B}\u{202E}"), "");
        assert_eq!(visible("dòng 1\ndòng\u{200B} 2"), "dòng 1\ndòng 2");
    }

    proptest! {
        #[test]
        fn a_clean_name_has_nothing_hidden_and_cleaning_again_changes_nothing(s in "\\PC*|[\\u{200B}-\\u{206F}a-z <>*_\\n\\t]*") {
            let once = clean_name(&s);
            prop_assert!(!once.chars().any(|c| is_invisible(c) || c.is_control()), "{:?}", once);
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
            prop_assert_eq!(clean_name(&once), once.clone());
            prop_assert_eq!(visible(&visible(&s)), visible(&s));
        }
    }
}

#[cfg(test)]
mod line_tests {
    use super::LineStarts;

    #[test]
    fn lines_end_at_lf_crlf_and_a_lone_cr() {
        let l = LineStarts::of(b"ab\ncd\r\nef\rgh");
        assert_eq!([0, 2, 3, 5, 6, 7, 8, 9, 10].map(|o| l.line_at(o)), [1, 1, 2, 2, 2, 3, 3, 3, 4]);
    }
}
