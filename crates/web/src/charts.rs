//! Charts drawn on the server as SVG (no chart library, no script): horizontal bars and
//! stacked columns, mirrored for right-to-left pages, each followed by its numbers as a
//! table for screen readers.

use maud::{Markup, html};

use super::i18n::Lang;

/// Fill colours of stacked series (distinguishable, dark enough on white).
const SERIES: &[&str] = &[
    "#2b6cb0", "#b7410e", "#2f855a", "#6b46c1", "#8a6d00", "#4a5360",
];

/// Horizontal bars: one per (label, value).
pub fn bars(l: Lang, title: &str, rows: &[(String, i64)]) -> Markup {
    let rtl = l.dir() == "rtl";
    let w = 560.0;
    let label_w = 190.0;
    let bar_h = 20.0;
    let gap = 6.0;
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    #[allow(clippy::cast_precision_loss)]
    let h = (rows.len() as f64) * (bar_h + gap) + gap;
    let span = w - label_w - 70.0;
    let placed: Vec<(f64, f64, f64, f64, f64, &String, i64)> = rows
        .iter()
        .enumerate()
        .map(|(i, (label, v))| {
            #[allow(clippy::cast_precision_loss)]
            let y = gap + (i as f64) * (bar_h + gap);
            #[allow(clippy::cast_precision_loss)]
            let len = (span * (*v as f64) / (max as f64)).max(1.0);
            let (bx, lx, vx) = if rtl {
                (
                    w - label_w - len,
                    w - label_w + 6.0,
                    w - label_w - len - 6.0,
                )
            } else {
                (label_w, label_w - 6.0, label_w + len + 6.0)
            };
            (y, len, bx, lx, vx, label, *v)
        })
        .collect();
    html! {
        figure {
            svg.chart viewBox={ "0 0 " (w) " " (h) } role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
                @for (y, len, bx, lx, vx, label, v) in &placed {
                    text x=(lx) y=(y + 14.0) text-anchor=(if rtl { "start" } else { "end" }) { (shorten(label, 28)) }
                    rect.bar x=(format!("{bx:.1}")) y=(y) width=(format!("{len:.1}")) height=(bar_h) {}
                    text x=(format!("{vx:.1}")) y=(y + 14.0) text-anchor=(if rtl { "end" } else { "start" }) { (l.number(*v)) }
                }
            }
            details {
                summary { (l.t("chart-table")) }
                table {
                    tbody {
                        @for (label, v) in rows {
                            tr { th scope="row" { bdi { (label) } } td.num { (l.number(*v)) } }
                        }
                    }
                }
            }
        }
    }
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        s.chars().take(n - 1).collect::<String>() + "…"
    } else {
        s.to_owned()
    }
}

/// Stacked columns: one column per x label (days), one colour per series.
pub fn columns(l: Lang, title: &str, xs: &[String], series: &[(String, Vec<i64>)]) -> Markup {
    let rtl = l.dir() == "rtl";
    let (w, h, top, bottom, side) = (640.0, 240.0, 10.0, 40.0, 50.0);
    let totals: Vec<i64> = (0..xs.len())
        .map(|i| {
            series
                .iter()
                .map(|(_, v)| v.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    #[allow(clippy::cast_precision_loss)]
    let col_w = (w - 2.0 * side) / (xs.len().max(1) as f64);
    let plot_h = h - top - bottom;
    #[allow(clippy::cast_precision_loss)]
    let scale = |v: i64| plot_h * (v as f64) / (max as f64);
    let x_of = |i: usize| {
        #[allow(clippy::cast_precision_loss)]
        let x = side + (i as f64) * col_w;
        if rtl { w - x - col_w } else { x }
    };
    let mut rects = Vec::new();
    for i in 0..xs.len() {
        let mut base = top + plot_h;
        for (s, (_, values)) in series.iter().enumerate() {
            let v = values.get(i).copied().unwrap_or(0);
            if v > 0 {
                let hgt = scale(v).max(1.0);
                base -= hgt;
                rects.push((
                    x_of(i) + 1.0,
                    base,
                    (col_w - 2.0).max(1.0),
                    hgt,
                    SERIES[s % SERIES.len()],
                ));
            }
        }
    }
    html! {
        figure {
            svg.chart viewBox={ "0 0 " (w) " " (h) } role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
                line x1=(side) x2=(w - side) y1=(top + plot_h) y2=(top + plot_h) stroke="#4a5360" {}
                text x=(if rtl { w - side + 4.0 } else { side - 4.0 }) y=(top + 10.0) text-anchor=(if rtl { "start" } else { "end" }) { (l.number(max)) }
                @for (x, y, cw, hgt, fill) in &rects {
                    rect x=(format!("{x:.1}")) y=(format!("{y:.1}")) width=(format!("{cw:.1}")) height=(format!("{hgt:.1}")) fill=(fill) {}
                }
                @for i in 0..xs.len() {
                    @if (xs.len() - 1 - i).is_multiple_of(7) {
                        text x=(format!("{:.1}", x_of(i) + col_w / 2.0)) y=(top + plot_h + 16.0) text-anchor="middle" { (l.date(&xs[i])) }
                    }
                }
            }
            figcaption {
                ul.legend {
                    @for (s, (name, _)) in series.iter().enumerate() {
                        li {
                            svg width="12" height="12" aria-hidden="true" { rect width="12" height="12" fill=(SERIES[s % SERIES.len()]) {} }
                            " " bdi { (name) }
                        }
                    }
                }
            }
            details {
                summary { (l.t("chart-table")) }
                table {
                    thead {
                        tr {
                            th scope="col" { (l.t("chart-day")) }
                            @for (name, _) in series { th scope="col" { bdi { (name) } } }
                        }
                    }
                    tbody {
                        @for (i, x) in xs.iter().enumerate() {
                            @if totals[i] > 0 {
                                tr {
                                    th scope="row" { (l.date(x)) }
                                    @for (_, values) in series { td.num { (l.number(values.get(i).copied().unwrap_or(0))) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
