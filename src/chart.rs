//! Charts as PNG images (plotters, drawn in memory, encoded with the png crate): a pack's
//! acknowledgement and report rates by district, and the acknowledgement rate per district over
//! the last periods. Text is drawn with DejaVu Sans, embedded in the binary (the `dejavu` crate),
//! which has every Vietnamese letter: no font needs to be installed on the machine.

use std::sync::Once;

use anyhow::Context;
use plotters::prelude::*;
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

/// Acknowledgement and report rates by district, two bars each, worst first.
pub fn pack_png(s: &PackStats, title: &str, acked: &str, reported: &str) -> anyhow::Result<Vec<u8>> {
    font();
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
        let n = s.groups.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(short(title, 70), (FONT, 24).into_font().style(FontStyle::Bold))
            .margin(16)
            .x_label_area_size(70)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..n as f64, 0f64..100f64)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let labels: Vec<String> = s.groups.iter().map(|g| short(&g.district, 14)).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .x_labels(n * 2 + 1)
            .x_label_formatter(&|x| {
                let i = x.floor() as usize;
                if (x - x.floor() - 0.5).abs() < 1e-6 {
                    labels.get(i).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| format!("{y:.0}%"))
            .label_style((FONT, 15))
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let bars = |pick: fn(&crate::stats::Counts) -> f64, offset: f64, color: RGBColor| {
            s.groups.iter().enumerate().map(move |(i, g)| {
                let x = i as f64 + offset;
                Rectangle::new([(x, 0.0), (x + 0.36, pick(&g.counts) * 100.0)], color.filled())
            })
        };
        chart
            .draw_series(bars(|c| c.ack_rate(), 0.12, ACK))
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .label(acked.to_string())
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], ACK.filled()));
        chart
            .draw_series(bars(|c| c.report_rate(), 0.52, REPORT))
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .label(reported.to_string())
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], REPORT.filled()));
        chart
            .configure_series_labels()
            .label_font((FONT, 16))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
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
            let (district, rates) = (&row.district, &row.acked);
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
