//! The message a cell receives for a pack (after its documents): title, period, body, deadline
//! and, when asked, the report request. The buttons go with it when it is sent.

use chrono::NaiveDate;

use super::period::Period;
use crate::i18n::{Args, Catalog, Locale, escape};

/// What the message is made of.
pub struct PackText<'a> {
    pub title: &'a str,
    pub period: Option<Period>,
    /// Already Telegram HTML.
    pub body_html: &'a str,
    pub deadline: NaiveDate,
    pub report_prompt: Option<&'a str>,
    pub attachments: usize,
}

/// The message in Telegram HTML.
pub fn render(catalog: &Catalog, locale: Locale, p: &PackText<'_>) -> String {
    let mut out = format!("<b>{}</b>", escape(p.title));
    if let Some(period) = p.period {
        out.push_str(&format!("\n<i>{}</i>", period.label(locale)));
    }
    out.push_str("\n\n");
    out.push_str(p.body_html);
    out.push_str("\n\n");
    if p.attachments > 0 {
        out.push_str(&catalog.t(locale, "pack-attachments", Args::new().raw("count", p.attachments as i64)));
        out.push('\n');
    }
    out.push_str(&catalog.t(
        locale,
        "pack-deadline",
        Args::new().raw("date", p.deadline.format("%d/%m/%Y").to_string()),
    ));
    if let Some(prompt) = p.report_prompt {
        out.push('\n');
        out.push_str(&catalog.t(locale, "pack-report", Args::new().user("prompt", prompt)));
    }
    out
}

/// "«Title» (Quý IV/2023)": how a pack is named in short messages.
pub fn name(title: &str, period: Option<Period>, locale: Locale) -> String {
    match period {
        Some(p) => format!("«{}» ({})", escape(title), p.label(locale)),
        None => format!("«{}»", escape(title)),
    }
}

/// A reminder of a pack the cell has not acknowledged (sent with the pack's buttons).
pub fn reminder(catalog: &Catalog, locale: Locale, title: &str, period: Option<Period>, deadline: NaiveDate) -> String {
    catalog.t(
        locale,
        "remind-cell",
        Args::new().raw("pack", name(title, period, locale)).raw("date", deadline.format("%d/%m/%Y").to_string()),
    )
}

/// A board's answer to a cell's question on a pack, sent to every cell that got it.
pub fn answer(
    catalog: &Catalog,
    locale: Locale,
    title: &str,
    period: Option<Period>,
    question: &str,
    answer: &str,
) -> String {
    catalog.t(
        locale,
        "faq-cell",
        Args::new().raw("pack", name(title, period, locale)).user("question", question).user("answer", answer),
    )
}

/// The note after a pack's documents sent again at the cell's request.
pub fn resent(catalog: &Catalog, locale: Locale, title: &str, period: Option<Period>) -> String {
    catalog.t(locale, "resent-note", Args::new().raw("pack", name(title, period, locale)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarterly_pack_reads_as_the_board_writes_it() {
        let c = Catalog::new();
        let text = render(
            &c,
            Locale::Vi,
            &PackText {
                title: "Định hướng tuyên truyền quý IV/2023",
                period: Period::parse("2023-Q4").ok(),
                body_html: "Nội dung <b>chính</b>",
                deadline: NaiveDate::from_ymd_opt(2023, 10, 15).unwrap(),
                report_prompt: Some("Báo cáo kết quả quán triệt <ngắn>"),
                attachments: 2,
            },
        );
        assert_eq!(
            text,
            "<b>Định hướng tuyên truyền quý IV/2023</b>\n<i>Quý IV/2023</i>\n\nNội dung <b>chính</b>\n\n📎 Tư liệu kèm theo: 2 tệp\n⏰ Hạn xác nhận: 15/10/2023\n📝 Ban đề nghị báo cáo: Báo cáo kết quả quán triệt &lt;ngắn&gt;"
        );
        crate::tghtml::parse(&text).unwrap();
    }
}
