//! The report builder's chart, drawn on the server as SVG with plotters: bars (clustered by
//! the second grouping), lines (one per value of the second grouping) or a pie, of the first
//! aggregate per group. Text is left to the browser's fonts.

use clientele_core::domain::report_builder::{ChartType, ReportResult};
use plotters::prelude::*;
use serde_json::Value;

const PALETTE: [RGBColor; 8] = [
    RGBColor(37, 99, 235),
    RGBColor(22, 163, 74),
    RGBColor(234, 88, 12),
    RGBColor(147, 51, 234),
    RGBColor(220, 38, 38),
    RGBColor(8, 145, 178),
    RGBColor(202, 138, 4),
    RGBColor(100, 116, 139),
];
const MAX_CATEGORIES: usize = 40;
const MAX_SERIES: usize = 8;

fn label(v: &Value, empty: &str) -> String {
    match v {
        Value::Null => empty.to_owned(),
        Value::String(s) => s.chars().take(24).collect(),
        other => other.to_string(),
    }
}

/// Categories (first grouping), series (second grouping, or the aggregate's name) and values.
struct Data {
    categories: Vec<String>,
    series: Vec<(String, Vec<f64>)>,
}

fn data(r: &ReportResult, groups: usize, empty: &str) -> Option<Data> {
    if groups == 0 || r.columns.len() <= groups || r.rows.is_empty() {
        return None;
    }
    let value_at = groups;
    let mut categories: Vec<String> = Vec::new();
    let mut series: Vec<(String, Vec<f64>)> = Vec::new();
    for row in &r.rows {
        let cat = label(&row[0], empty);
        let ci = match categories.iter().position(|c| *c == cat) {
            Some(i) => i,
            None if categories.len() < MAX_CATEGORIES => {
                categories.push(cat);
                for s in &mut series {
                    s.1.push(0.0);
                }
                categories.len() - 1
            }
            None => continue,
        };
        let name = if groups > 1 { label(&row[1], empty) } else { r.columns[value_at].label.clone() };
        let si = match series.iter().position(|s| s.0 == name) {
            Some(i) => i,
            None if series.len() < MAX_SERIES => {
                series.push((name, vec![0.0; categories.len()]));
                series.len() - 1
            }
            None => continue,
        };
        series[si].1[ci] += row.get(value_at).and_then(Value::as_f64).unwrap_or(0.0);
    }
    Some(Data { categories, series })
}

/// The chart as an SVG document, or `None` when there is nothing to draw.
pub fn svg(r: &ReportResult, groups: usize, chart: ChartType, empty: &str) -> Option<String> {
    if chart == ChartType::None {
        return None;
    }
    let d = data(r, groups, empty)?;
    let mut out = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut out, (760, 340)).into_drawing_area();
        match chart {
            ChartType::Pie => pie(&root, &d),
            ChartType::Line => lines(&root, &d),
            _ => bars(&root, &d),
        }
        .and_then(|_| root.present().map_err(|e| e.to_string()))
    };
    match drawn {
        Ok(()) => Some(out),
        Err(e) => {
            tracing::warn!(error = %e, "report chart not drawn");
            None
        }
    }
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn y_range(d: &Data) -> (f64, f64) {
    let all = d.series.iter().flat_map(|s| s.1.iter().copied());
    let (lo, hi) = all.fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let hi = if hi <= lo { lo + 1.0 } else { hi };
    (lo, hi * 1.08)
}

fn bars(root: &Area<'_>, d: &Data) -> Result<(), String> {
    let n = d.categories.len();
    let (lo, hi) = y_range(d);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..n as f64, lo..hi)
        .map_err(|e| e.to_string())?;
    let cats = d.categories.clone();
    chart
        .configure_mesh()
        .disable_x_mesh()
        // Ticks every half unit: the categories' names go on the middles.
        .x_labels(2 * n + 1)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (*x - i as f64 - 0.5).abs() < 1e-9 { cats.get(i).cloned().unwrap_or_default() } else { String::new() }
        })
        .y_label_formatter(&|y| short(*y))
        .draw()
        .map_err(|e| e.to_string())?;
    let k = d.series.len().max(1) as f64;
    for (si, (name, values)) in d.series.iter().enumerate() {
        let color = PALETTE[si % PALETTE.len()];
        let w = 0.8 / k;
        chart
            .draw_series(values.iter().enumerate().map(|(ci, v)| {
                let x0 = ci as f64 + 0.1 + w * si as f64;
                Rectangle::new([(x0, 0.0), (x0 + w * 0.92, *v)], color.filled())
            }))
            .map_err(|e| e.to_string())?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    if d.series.len() > 1 {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.2))
            .draw()
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn lines(root: &Area<'_>, d: &Data) -> Result<(), String> {
    let n = d.categories.len();
    let (lo, hi) = y_range(d);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.5..(n as f64 - 0.5).max(0.5), lo..hi)
        .map_err(|e| e.to_string())?;
    let cats = d.categories.clone();
    chart
        .configure_mesh()
        .x_labels(n.min(20))
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-9 && i >= 0.0 {
                cats.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| short(*y))
        .draw()
        .map_err(|e| e.to_string())?;
    for (si, (name, values)) in d.series.iter().enumerate() {
        let color = PALETTE[si % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(values.iter().enumerate().map(|(i, v)| (i as f64, *v)), color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], color.stroke_width(2)));
        chart
            .draw_series(values.iter().enumerate().map(|(i, v)| Circle::new((i as f64, *v), 3, color.filled())))
            .map_err(|e| e.to_string())?;
    }
    if d.series.len() > 1 {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.2))
            .draw()
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn pie(root: &Area<'_>, d: &Data) -> Result<(), String> {
    let totals: Vec<f64> =
        (0..d.categories.len()).map(|i| d.series.iter().map(|s| s.1[i]).sum::<f64>().max(0.0)).collect();
    if totals.iter().sum::<f64>() <= 0.0 {
        return Err("nothing positive to show in a pie".into());
    }
    let colors: Vec<RGBColor> = (0..totals.len()).map(|i| PALETTE[i % PALETTE.len()]).collect();
    let center = (380, 170);
    let radius = 130.0;
    let mut p = Pie::new(&center, &radius, &totals, &colors, &d.categories);
    p.start_angle(-90.0);
    p.label_style(("sans-serif", 14).into_font().color(&BLACK));
    p.percentages(("sans-serif", 12).into_font().color(&WHITE));
    root.draw(&p).map_err(|e| e.to_string())
}

/// 1234567 → 1.2M, for axis labels.
fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}B", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use clientele_core::domain::report_builder::ResultColumn;
    use serde_json::json;

    fn result() -> ReportResult {
        let col = |k: &str, kind: &str| ResultColumn { key: k.into(), label: k.into(), kind: kind.into() };
        ReportResult {
            columns: vec![col("month", "text"), col("owner", "text"), col("sum(amount)", "number")],
            rows: vec![
                vec![json!("2026-01"), json!("Ann"), json!(100.0)],
                vec![json!("2026-01"), json!("Bob"), json!(50.0)],
                vec![json!("2026-02"), json!("Ann"), json!(70.5)],
                vec![json!("2026-02"), Value::Null, json!(5.0)],
            ],
            truncated: false,
            time_zone: "UTC".into(),
        }
    }

    #[test]
    fn two_groupings_become_series() {
        let d = data(&result(), 2, "(empty)").unwrap();
        assert_eq!(d.categories, ["2026-01", "2026-02"]);
        let names: Vec<&str> = d.series.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(names, ["Ann", "Bob", "(empty)"]);
        assert_eq!(d.series[0].1, [100.0, 70.5]);
        assert_eq!(d.series[1].1, [50.0, 0.0]);
    }

    #[test]
    fn every_chart_type_draws_svg() {
        for t in [ChartType::Bar, ChartType::Line, ChartType::Pie] {
            let s = svg(&result(), 2, t, "(empty)").unwrap();
            assert!(s.starts_with("<svg") && s.contains("</svg>"), "{t:?}");
            assert!(s.contains("2026-01"), "{t:?} labels its categories");
        }
        assert!(svg(&result(), 2, ChartType::None, "-").is_none());
        assert!(svg(&result(), 0, ChartType::Bar, "-").is_none(), "records are not charted");
    }
}
