//! Charts as PNG images (plotters, drawn in memory, encoded with the png crate; a pack's also as
//! SVG for the web desk): a pack's
//! acknowledgement and report rates by district, the acknowledgement rate per district over
//! the last periods, and situation reports by topic and severity. Text is drawn with DejaVu Sans, embedded in the binary (the `dejavu` crate),
//! which has every Vietnamese letter: no font needs to be installed on the machine.

use std::sync::Once;

use anyhow::Context;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

use crate::stats::{PackStats, Trend};

const FONT: &str = "loa-sans";
const WIDTH: u32 = 960;
const HEIGHT: u32 = 600;

fn font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_err() {
            tracing::error!("the embedded chart font could not be read");
        }
        let _ = register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

fn encode(rgb: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().context("failed to encode the chart")?;
    w.write_image_data(rgb).context("failed to encode the chart")?;
    w.finish().context("failed to encode the chart")?;
    Ok(out)
}

/// Cuts a label to `n` characters (with an ellipsis).
fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}…", s.chars().take(n - 1).collect::<String>()) }
}

const ACK: RGBColor = RGBColor(0x1f, 0x6f, 0xb5);
const REPORT: RGBColor = RGBColor(0xe0, 0x8a, 0x1e);

/// A box in the picture's pixels: left, top, right, bottom.
pub type Rect = (i32, i32, i32, i32);

/// Where everything of a pack's chart goes: the legend in a strip of its own between the title
/// and the plot (never over a bar), two bars per unit with room above a full bar for its value,
/// and each unit's name wrapped onto up to three lines under its bars, then its `n`.
#[derive(Debug, Clone, PartialEq)]
pub struct PackLayout {
    pub legend: Rect,
    /// The plot: 0 % at its bottom, 100 % [`HEADROOM`] pixels under its top.
    pub plot: Rect,
    /// Per unit: the acknowledgement bar and the report bar.
    pub bars: Vec<(Rect, Rect)>,
    /// Per unit: its name's lines, then "n = delivered".
    pub labels: Vec<Vec<String>>,
    /// The room of one unit, in pixels across.
    pub slot: i32,
}

const MARGIN: i32 = 16;
const LEGEND_TOP: i32 = 52;
const LEGEND_HEIGHT: i32 = 26;
/// Room above a bar of 100 % for its value.
pub const HEADROOM: i32 = 22;
const LABEL_SIZE: u32 = 14;
const LABEL_LINE: i32 = 17;
const LABEL_LINES: usize = 3;
const VALUE_SIZE: u32 = 12;

/// How wide `text` is in the chart's font at `size`, in pixels.
fn text_width(text: &str, size: u32, bold: bool) -> i32 {
    font();
    let style = if bold { FontStyle::Bold } else { FontStyle::Normal };
    (FONT, size)
        .into_font()
        .style(style)
        .box_size(text)
        .map(|(w, _)| w as i32)
        .unwrap_or(text.chars().count() as i32 * size as i32)
}

/// `name` in lines no wider than `width` pixels, at most `lines` of them (the last cut with an
/// ellipsis when the name is longer still).
fn wrap(name: &str, width: i32, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in name.split_whitespace() {
        let tried = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if text_width(&tried, LABEL_SIZE, false) <= width || line.is_empty() {
            line = tried;
        } else {
            out.push(std::mem::replace(&mut line, word.to_string()));
        }
    }
    if !line.is_empty() {
        out.push(line);
    }
    // a word wider than the room is cut to fit
    for l in out.iter_mut() {
        while text_width(l, LABEL_SIZE, false) > width && l.chars().count() > 1 {
            let keep: String = l.chars().take(l.chars().count() - 2).collect();
            *l = format!("{keep}…");
        }
    }
    if out.len() > lines {
        let mut last = out[lines - 1].clone();
        out.truncate(lines);
        loop {
            let cut = format!("{last}…");
            if text_width(&cut, LABEL_SIZE, false) <= width || last.chars().count() <= 1 {
                out[lines - 1] = cut;
                break;
            }
            last = last.chars().take(last.chars().count() - 1).collect();
        }
    }
    out
}

/// Where a pack's chart puts everything (see [`PackLayout`]).
pub fn pack_layout(s: &PackStats, acked: &str, reported: &str) -> PackLayout {
    let n = s.groups.len().max(1) as i32;
    let (left, right) = (MARGIN + 52, WIDTH as i32 - MARGIN - 8);
    let top = LEGEND_TOP + LEGEND_HEIGHT + 14;
    let bottom = HEIGHT as i32 - MARGIN - LABEL_LINE * (LABEL_LINES as i32 + 1) - 10;
    let slot = (right - left) / n;
    let full = (bottom - top - HEADROOM) as f64;
    let y = |rate: f64| bottom - (rate.clamp(0.0, 1.0) * full).round() as i32;
    let bar_width = ((slot as f64) * 0.36).round() as i32;
    let bars = s
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let x = left + i as i32 * slot;
            let a = x + (slot as f64 * 0.12).round() as i32;
            let r = x + (slot as f64 * 0.52).round() as i32;
            ((a, y(g.counts.ack_rate()), a + bar_width, bottom), (r, y(g.counts.report_rate()), r + bar_width, bottom))
        })
        .collect();
    let labels = s
        .groups
        .iter()
        .map(|g| {
            let mut lines = wrap(&crate::text::visible(&g.unit.name), slot - 6, LABEL_LINES);
            lines.push(format!("n = {}", g.counts.delivered));
            lines
        })
        .collect();
    let entry = |t: &str| 14 + 6 + text_width(t, 15, false);
    let width = 10 + entry(acked) + 18 + entry(reported) + 10;
    PackLayout {
        legend: (right - width, LEGEND_TOP, right, LEGEND_TOP + LEGEND_HEIGHT),
        plot: (left, top, right, bottom),
        bars,
        labels,
        slot,
    }
}

fn percent(rate: f64) -> String {
    format!("{}%", (rate * 100.0).round() as i64)
}

/// Acknowledgement and report rates by unit, two bars each (worst first), each with its value,
/// each unit named in full under its bars with the number of cells the pack reached.
pub fn pack_png(s: &PackStats, title: &str, acked: &str, reported: &str) -> anyhow::Result<Vec<u8>> {
    font();
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        draw_pack(&root, s, title, acked, reported)?;
    }
    encode(&rgb)
}

/// [`pack_png`] as SVG, for a web page (the same picture; its text is drawn by the browser, in
/// the page's own fonts when DejaVu Sans is not installed).
pub fn pack_svg(s: &PackStats, title: &str, acked: &str, reported: &str) -> anyhow::Result<String> {
    font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw_pack(&root, s, title, acked, reported)?;
    }
    // the font's name as the browser knows it, with its fallbacks
    Ok(svg.replace(&format!("font-family=\"{FONT}\""), "font-family=\"DejaVu Sans, Noto Sans, Arial, sans-serif\""))
}

fn draw_pack<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    s: &PackStats,
    title: &str,
    acked: &str,
    reported: &str,
) -> anyhow::Result<()> {
    let layout = pack_layout(s, acked, reported);
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow::anyhow!("{e}");
    root.fill(&WHITE).map_err(err)?;
    let centered = |size: u32, bold: bool| {
        let style = if bold { FontStyle::Bold } else { FontStyle::Normal };
        (FONT, size).into_font().style(style).color(&BLACK).pos(Pos::new(HPos::Center, VPos::Top))
    };
    root.draw_text(&short(title, 70), &centered(24, true), (WIDTH as i32 / 2, MARGIN)).map_err(err)?;
    // the legend, in its own strip
    let (lx0, ly0, lx1, ly1) = layout.legend;
    root.draw(&Rectangle::new([(lx0, ly0), (lx1, ly1)], BLACK)).map_err(err)?;
    let mut x = lx0 + 10;
    let mid = (ly0 + ly1) / 2;
    for (label, color) in [(acked, ACK), (reported, REPORT)] {
        root.draw(&Rectangle::new([(x, mid - 7), (x + 14, mid + 7)], color.filled())).map_err(err)?;
        let style = (FONT, 15).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
        root.draw_text(label, &style, (x + 20, mid)).map_err(err)?;
        x += 14 + 6 + text_width(label, 15, false) + 18;
    }
    // the scale: 0 to 100 %
    let (px0, py0, px1, py1) = layout.plot;
    let full = (py1 - py0 - HEADROOM) as f64;
    for step in 0..=4 {
        let y = py1 - (full * f64::from(step) / 4.0).round() as i32;
        let grid = if step == 0 { BLACK } else { RGBColor(0xdd, 0xdd, 0xdd) };
        root.draw(&PathElement::new(vec![(px0, y), (px1, y)], grid)).map_err(err)?;
        let style = (FONT, 14).into_font().color(&BLACK).pos(Pos::new(HPos::Right, VPos::Center));
        root.draw_text(&format!("{}%", step * 25), &style, (px0 - 6, y)).map_err(err)?;
    }
    // the bars, their values, the units' names and n
    for (i, ((a, r), g)) in layout.bars.iter().zip(&s.groups).enumerate() {
        for (bar, rate, color) in [(a, g.counts.ack_rate(), ACK), (r, g.counts.report_rate(), REPORT)] {
            root.draw(&Rectangle::new([(bar.0, bar.1), (bar.2, bar.3)], color.filled())).map_err(err)?;
            let value = centered(VALUE_SIZE, false);
            root.draw_text(&percent(rate), &value, ((bar.0 + bar.2) / 2, bar.1 - VALUE_SIZE as i32 - 4))
                .map_err(err)?;
        }
        let center = px0 + i as i32 * layout.slot + layout.slot / 2;
        for (k, line) in layout.labels[i].iter().enumerate() {
            let last = k + 1 == layout.labels[i].len();
            let style = centered(LABEL_SIZE, false).color(if last { &RGBColor(0x55, 0x55, 0x55) } else { &BLACK });
            root.draw_text(line, &style, (center, py1 + 6 + k as i32 * LABEL_LINE)).map_err(err)?;
        }
    }
    root.present().map_err(err)?;
    Ok(())
}

const NORMAL: RGBColor = RGBColor(0x7a, 0x9c, 0xc6);
const ATTENTION: RGBColor = RGBColor(0xe0, 0x8a, 0x1e);
const URGENT: RGBColor = RGBColor(0xc6, 0x28, 0x28);

/// Situation reports by topic, one horizontal bar each (the most first, as given), split by
/// severity (normal, needing attention, urgent: `severities` names them), each with its total;
/// the topic's name on its left. At most 20 topics (the most `situations.topics` has).
pub fn topics_png(
    rows: &[crate::situations::TopicCount],
    title: &str,
    severities: [&str; 3],
) -> anyhow::Result<Vec<u8>> {
    font();
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        let err = |e: DrawingAreaErrorKind<_>| anyhow::anyhow!("{e}");
        root.fill(&WHITE).map_err(err)?;
        let centered =
            (FONT, 24).into_font().style(FontStyle::Bold).color(&BLACK).pos(Pos::new(HPos::Center, VPos::Top));
        root.draw_text(&short(title, 70), &centered, (WIDTH as i32 / 2, MARGIN)).map_err(err)?;
        // the legend, in its own strip
        let mut x = MARGIN + 10;
        let mid = LEGEND_TOP + LEGEND_HEIGHT / 2;
        for (label, color) in severities.iter().zip([NORMAL, ATTENTION, URGENT]) {
            root.draw(&Rectangle::new([(x, mid - 7), (x + 14, mid + 7)], color.filled())).map_err(err)?;
            let style = (FONT, 15).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
            root.draw_text(label, &style, (x + 20, mid)).map_err(err)?;
            x += 14 + 6 + text_width(label, 15, false) + 18;
        }
        let rows = &rows[..rows.len().min(20)];
        let top = LEGEND_TOP + LEGEND_HEIGHT + 16;
        let bottom = HEIGHT as i32 - MARGIN;
        let label_right = 300;
        let (bar_left, bar_right) = (label_right + 12, WIDTH as i32 - MARGIN - 60);
        let slot = if rows.is_empty() { 0 } else { ((bottom - top) / rows.len() as i32).min(44) };
        let most = rows.iter().map(|r| r.total).max().unwrap_or(0).max(1);
        let width = |n: i64| ((bar_right - bar_left) as f64 * n as f64 / most as f64).round() as i32;
        for (i, r) in rows.iter().enumerate() {
            let y0 = top + i as i32 * slot + slot / 6;
            let y1 = top + (i as i32 + 1) * slot - slot / 6;
            let label = (FONT, LABEL_SIZE).into_font().color(&BLACK).pos(Pos::new(HPos::Right, VPos::Center));
            root.draw_text(&short(&r.topic, 38), &label, (label_right, (y0 + y1) / 2)).map_err(err)?;
            let normal = r.normal();
            let mut x = bar_left;
            for (n, color) in [(normal, NORMAL), (r.attention, ATTENTION), (r.urgent, URGENT)] {
                if n > 0 {
                    let w = width(n).max(2);
                    root.draw(&Rectangle::new([(x, y0), (x + w, y1)], color.filled())).map_err(err)?;
                    x += w;
                }
            }
            let value = (FONT, LABEL_SIZE).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
            root.draw_text(&r.total.to_string(), &value, (x + 6, (y0 + y1) / 2)).map_err(err)?;
        }
        let last = top + rows.len() as i32 * slot;
        root.draw(&PathElement::new(vec![(bar_left, top), (bar_left, last.max(top + 20))], BLACK)).map_err(err)?;
        root.present().map_err(err)?;
    }
    encode(&rgb)
}

/// Line colours that read well on white (eight, one per district of a small province), then
/// plotters' palette.
const LINES: [RGBColor; 8] = [
    RGBColor(0x1f, 0x6f, 0xb5),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xe0, 0x8a, 0x1e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0x44, 0x44, 0x44),
];

/// The acknowledgement rate per district over the last periods, one line each; periods labelled
/// as people read them in `locale`.
pub fn trend_png(t: &Trend, title: &str, locale: crate::i18n::Locale) -> anyhow::Result<Vec<u8>> {
    font();
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
        let n = t.packs.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(short(title, 70), (FONT, 24).into_font().style(FontStyle::Bold))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..100f64)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let labels: Vec<String> = t
            .packs
            .iter()
            .map(|(_, p)| crate::packs::period::Period::parse(p).map(|p| p.label(locale)).unwrap_or_else(|_| p.clone()))
            .collect();
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_labels(n)
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| format!("{y:.0}%"))
            .label_style((FONT, 15))
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        for (k, row) in t.rows.iter().enumerate() {
            let (district, rates) = (&row.unit, &row.acked);
            let color = LINES.get(k).map(|c| c.to_rgba()).unwrap_or_else(|| Palette99::pick(k).to_rgba());
            let points: Vec<(f64, f64)> =
                rates.iter().enumerate().filter_map(|(i, r)| r.map(|r| (i as f64, r * 100.0))).collect();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(3)))
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .label(short(district, 18))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(3)));
            chart
                .draw_series(points.into_iter().map(|p| Circle::new(p, 4, color.filled())))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        chart
            .configure_series_labels()
            .label_font((FONT, 15))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    encode(&rgb)
}

/// The chart's size in pixels.
pub const SIZE: (u32, u32) = (WIDTH, HEIGHT);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Counts, Group};

    fn stats(units: &[(&str, i64, i64, i64)]) -> PackStats {
        let counts = |d, a, r| Counts { targeted: d, delivered: d, acknowledged: a, reported: r, ..Counts::default() };
        PackStats {
            pack_id: 1,
            title: "Định hướng".into(),
            period: None,
            within: crate::stats::UnitRef {
                id: 1,
                code: "TINH".into(),
                name: "Đảng bộ tỉnh".into(),
                level: 0,
                parent: None,
                opens: true,
            },
            level: 1,
            total: counts(0, 0, 0),
            groups: units
                .iter()
                .map(|(name, d, a, r)| Group {
                    unit: crate::stats::UnitRef {
                        id: 2,
                        code: name.to_string(),
                        name: name.to_string(),
                        level: 1,
                        parent: Some("TINH".into()),
                        opens: false,
                    },
                    counts: counts(*d, *a, *r),
                })
                .collect(),
            late_joined: 0,
        }
    }

    fn overlap(a: Rect, b: Rect) -> bool {
        a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
    }

    #[test]
    fn the_legend_is_clear_of_full_bars_and_long_names_are_shown_whole() {
        let forty = "Đảng bộ phường Đức Xuân, thị xã Bắc Kạn."; // 40 characters
        assert_eq!(forty.chars().count(), 40);
        let mut units: Vec<(&str, i64, i64, i64)> = vec![
            ("Ngân Sơn", 37, 30, 18),
            ("Chợ Đồn", 36, 31, 17),
            ("Pác Nặm", 36, 31, 20),
            ("Na Rì", 36, 32, 16),
            ("Ba Bể", 36, 34, 16),
            ("Bạch Thông", 37, 36, 22),
            ("Chợ Mới", 37, 37, 37),
        ];
        units.push((forty, 37, 37, 37));
        let s = stats(&units);
        let layout = pack_layout(&s, "Đã xác nhận", "Đã báo cáo");
        for (i, (a, r)) in layout.bars.iter().enumerate() {
            // each bar and the value printed above it
            for bar in [a, r] {
                let with_value = (bar.0 - 8, bar.1 - HEADROOM, bar.2 + 8, bar.3);
                assert!(!overlap(layout.legend, with_value), "unit {i}: the legend covers a bar or its value");
                assert!(with_value.1 >= layout.plot.1, "unit {i}: a full bar's value stays in the plot");
            }
        }
        // 100 % reaches the top of the scale
        let last = layout.bars.last().unwrap().0;
        assert_eq!(last.1, layout.plot.1 + HEADROOM);
        // the long name whole, over lines that fit the unit's room, then n
        let lines = layout.labels.last().unwrap();
        assert_eq!(lines.last().unwrap(), "n = 37");
        let name = &lines[..lines.len() - 1];
        assert!(name.len() <= 3, "{name:?}");
        assert_eq!(name.join(" "), forty, "nothing cut");
        for line in name {
            assert!(text_width(line, LABEL_SIZE, false) <= layout.slot - 6, "{line} is wider than its room");
        }
        let png = pack_png(&s, "Định hướng quý IV/2023", "Đã xác nhận", "Đã báo cáo").unwrap();
        if let Some(dir) = std::env::var_os("LOA_CHART_PREVIEW") {
            std::fs::write(std::path::Path::new(&dir).join("pack-long-names.png"), &png).unwrap();
        }
        // the legend strip holds no bar colour outside the legend's own swatches
        let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        reader.next_frame(&mut buf).unwrap();
        let (lx0, ly0, _, ly1) = layout.legend;
        for y in ly0..ly1 {
            for x in 0..lx0 {
                let i = ((y as u32 * WIDTH + x as u32) * 3) as usize;
                assert_ne!(
                    (buf[i], buf[i + 1], buf[i + 2]),
                    (ACK.0, ACK.1, ACK.2),
                    "a bar in the legend's strip at {x},{y}"
                );
            }
        }
    }

    #[test]
    fn a_name_too_long_for_three_lines_ends_with_an_ellipsis() {
        let lines = wrap(&"Chi bộ thôn ".repeat(12), 80, 3);
        assert_eq!(lines.len(), 3);
        assert!(lines[2].ends_with('…'));
        assert!(lines.iter().all(|l| text_width(l, LABEL_SIZE, false) <= 80));
    }

    #[test]
    fn topics_are_bars_split_by_severity_in_proportion() {
        use crate::situations::TopicCount;
        let rows = vec![
            TopicCount { topic: "Đất đai".into(), total: 10, urgent: 1, attention: 3, handled: 4 },
            TopicCount {
                topic: "Thông tin xấu, độc trên mạng".into(), total: 4, urgent: 0, attention: 0, handled: 0
            },
        ];
        let png = topics_png(&rows, "Báo cáo tình hình Quý IV/2025", ["Thường", "Cần chú ý", "Khẩn"]).unwrap();
        let _ = std::fs::create_dir_all("target");
        let _ = std::fs::write("target/chart-topics.png", &png);
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
        let count = |c: RGBColor| buf.chunks(3).filter(|p| p == &[c.0, c.1, c.2]).count();
        let (normal, attention, urgent) = (count(NORMAL), count(ATTENTION), count(URGENT));
        // 6 + 4 normal, 3 attention, 1 urgent bar-widths, plus one legend swatch each
        assert!(normal > attention && attention > urgent && urgent > 0, "{normal} {attention} {urgent}");
        let ratio = (attention as f64) / (urgent as f64);
        assert!((2.0..4.0).contains(&ratio), "three times as wide: {ratio}");
    }
}
