//! The inline buttons' callback data, read and written in one place: `a:<delivery>` acknowledges
//! a pack, `r:<delivery>` starts a report, `q:<delivery>` asks the board a question about it,
//! `d:<delivery>` has its documents sent again, `p:0` is a
//! preview's button (it does nothing), `my:<move>` / `mn:<move>` confirm or refuse moving a cell to
//! another chat, `su:<pack>.<unit>` opens a unit's row of a pack's figures (its children),
//! `sc:<pack>.<unit>` opens it down to the cells hanging from the unit. Every
//! one stays far under Telegram's 64 bytes; anything else is not Loa's.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

/// The callback data of the buttons under the composer's preview: they only say so.
pub const PREVIEW_BUTTON: &str = "p:0";

/// The acknowledge button's label (the same in every language, as cells know it).
pub const ACK_LABEL: &str = "✅ Đã nhận";
/// The report button's label.
pub const REPORT_LABEL: &str = "📝 Báo cáo";
/// The question button's label.
pub const ASK_LABEL: &str = "❓ Hỏi";

/// The buttons under a pack's message and its reminders: acknowledge (labelled with who
/// acknowledged and when, once someone has: `ack_label`), report when the pack asks for one, and
/// on a row of its own the question to the board.
pub fn pack_keyboard(delivery: i64, report: bool, ack_label: Option<String>) -> InlineKeyboardMarkup {
    let mut row = vec![Button::Ack(delivery).key(ack_label.unwrap_or_else(|| ACK_LABEL.to_string()))];
    if report {
        row.push(Button::Report(delivery).key(REPORT_LABEL));
    }
    InlineKeyboardMarkup::new([row, vec![Button::Ask(delivery).key(ASK_LABEL)]])
}

/// What a button asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    Ack(i64),
    Report(i64),
    /// A question to the board about the pack: the member is asked to type it.
    Ask(i64),
    Resend(i64),
    /// A button of a preview, which does nothing.
    Preview,
    /// A board member confirms moving a connected cell to the chat that asked (a `cell_moves` id).
    MoveYes(i64),
    /// ... or refuses it.
    MoveNo(i64),
    /// A row of a pack's figures opened: the units under it.
    Drill {
        pack: i64,
        unit: i64,
    },
    /// A row of a pack's figures opened down to its cells: each cell hanging from the unit.
    CellsOf {
        pack: i64,
        unit: i64,
    },
}

impl Button {
    /// Reads callback data; anything that is not one of Loa's buttons is `None`.
    pub fn parse(data: &str) -> Option<Button> {
        let (kind, id) = data.split_once(':')?;
        if kind == "su" || kind == "sc" {
            let (pack, unit) = id.split_once('.')?;
            let (pack, unit) = (number(pack)?, number(unit)?);
            return Some(if kind == "su" { Button::Drill { pack, unit } } else { Button::CellsOf { pack, unit } });
        }
        if id.is_empty() || id.len() > 19 || !id.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let id: i64 = id.parse().ok()?;
        match kind {
            "a" => Some(Button::Ack(id)),
            "r" => Some(Button::Report(id)),
            "q" => Some(Button::Ask(id)),
            "d" => Some(Button::Resend(id)),
            "p" if id == 0 => Some(Button::Preview),
            "my" => Some(Button::MoveYes(id)),
            "mn" => Some(Button::MoveNo(id)),
            _ => None,
        }
    }

    /// The callback data that [`Button::parse`] reads back.
    pub fn data(self) -> String {
        match self {
            Button::Ack(d) => format!("a:{d}"),
            Button::Report(d) => format!("r:{d}"),
            Button::Ask(d) => format!("q:{d}"),
            Button::Resend(d) => format!("d:{d}"),
            Button::Preview => PREVIEW_BUTTON.to_string(),
            Button::MoveYes(m) => format!("my:{m}"),
            Button::MoveNo(m) => format!("mn:{m}"),
            Button::Drill { pack, unit } => format!("su:{pack}.{unit}"),
            Button::CellsOf { pack, unit } => format!("sc:{pack}.{unit}"),
        }
    }

    /// An inline button with this callback data.
    pub fn key(self, label: impl Into<String>) -> InlineKeyboardButton {
        InlineKeyboardButton::callback(label, self.data())
    }

    /// The delivery a pack's button answers (none for the others).
    pub fn delivery(self) -> Option<i64> {
        match self {
            Button::Ack(d) | Button::Report(d) | Button::Ask(d) | Button::Resend(d) => Some(d),
            Button::Preview
            | Button::MoveYes(_)
            | Button::MoveNo(_)
            | Button::Drill { .. }
            | Button::CellsOf { .. } => None,
        }
    }
}

/// A non-negative number written in plain digits (what Loa writes), else `None`.
fn number(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 19 || !s.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn callback_data_is_read_only_when_it_is_loas(s in "\\PC{0,70}", id in 0i64..i64::MAX) {
            if let Some(b) = Button::parse(&s) {
                let again = b.data();
                proptest::prop_assert_eq!(Button::parse(&again), Some(b));
            }
            let data = format!("a:{id}");
            proptest::prop_assert_eq!(Button::parse(&data), Some(Button::Ack(id)));
            proptest::prop_assert!(data.len() <= 64, "callback data over 64 bytes");
        }
    }

    #[test]
    fn only_loas_buttons_are_read() {
        assert_eq!(Button::parse("a:12"), Some(Button::Ack(12)));
        assert_eq!(Button::parse("r:7"), Some(Button::Report(7)));
        assert_eq!(Button::parse("q:7"), Some(Button::Ask(7)));
        assert_eq!(Button::parse("d:7"), Some(Button::Resend(7)));
        assert_eq!(Button::parse("su:3.41"), Some(Button::Drill { pack: 3, unit: 41 }));
        assert_eq!(Button::parse("sc:3.41"), Some(Button::CellsOf { pack: 3, unit: 41 }));
        let widest = Button::Drill { pack: i64::MAX, unit: i64::MAX }.data();
        assert!(widest.len() <= 64, "{widest}");
        for bad in [
            "",
            "a",
            "a:",
            "a:-1",
            "a:1x",
            "x:1",
            "a:99999999999999999999",
            "a: 1",
            "a:1:2",
            "su:1",
            "su:1.",
            "su:.2",
            "su:1.-2",
            "su:1.2.3",
        ] {
            assert_eq!(Button::parse(bad), None, "{bad}");
        }
    }
}
