//! The report page's trend chart: total and high-risk clients over the stored audits, as an
//! inline SVG with both axes labelled and a legend (no script, no external asset).

use std::fmt::Write;

use chrono::{DateTime, Utc};

/// One stored audit: when it finished, its clients, its HIGH + CRITICAL clients.
pub(super) type Point = (DateTime<Utc>, i64, i64);

const WIDTH: f64 = 680.0;
const HEIGHT: f64 = 200.0;
/// Room for the y-axis labels on the left, the x-axis labels below, the legend above.
const LEFT: f64 = 48.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 36.0;
const TOTAL_COLOUR: &str = "#7d8590";
const HIGH_COLOUR: &str = "#d1242f";

/// A round step for about four gridlines up to `max`.
fn step_for(max: i64) -> i64 {
    let rough = (max as f64 / 4.0).max(1.0);
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * magnitude);
    step as i64
}

/// The chart, or a line saying it comes after two stored audits.
pub(super) fn trend_chart(points: &[Point]) -> String {
    if points.len() < 2 {
        return "<p class=\"muted\" id=\"trend\">The chart of clients over time appears after two stored audits.</p>".into();
    }
    let highest = points.iter().map(|p| p.1.max(p.2)).max().unwrap_or(0);
    let step = step_for(highest);
    let top = (highest.max(1) + step - 1) / step * step;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |i: usize| LEFT + plot_w * i as f64 / (points.len() - 1) as f64;
    let y = |v: i64| TOP + plot_h - plot_h * v as f64 / top as f64;
    let line = |pick: fn(&Point) -> i64| {
        points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(pick(p))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let n = points.len();
    let mut svg = format!(
        "<figure><svg id=\"trend\" role=\"img\" aria-label=\"Clients and high-risk clients over the last {n} audits\" \
viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" font-size=\"11\" fill=\"#57606a\">\
<title>Clients (grey) and high-risk clients, HIGH + CRITICAL (red), over the last {n} audits</title>"
    );
    // The y axis: gridlines and their counts.
    let mut v = 0;
    while v <= top {
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{yv:.1}\" x2=\"{x2:.1}\" y2=\"{yv:.1}\" stroke=\"#eaeef2\"/>\
<text class=\"y-label\" x=\"{lx:.1}\" y=\"{ty:.1}\" text-anchor=\"end\">{v}</text>",
            yv = y(v),
            x2 = WIDTH - RIGHT,
            lx = LEFT - 6.0,
            ty = y(v) + 4.0,
        );
        v += step;
    }
    let base = TOP + plot_h;
    let first = points[0].0.format("%Y-%m-%d %H:%M");
    let last = points[n - 1].0.format("%Y-%m-%d %H:%M");
    let _ = write!(
        svg,
        "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{base:.1}\" stroke=\"#57606a\"/>\
<line x1=\"{LEFT}\" y1=\"{base:.1}\" x2=\"{right:.1}\" y2=\"{base:.1}\" stroke=\"#57606a\"/>\
<text x=\"12\" y=\"{mid:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {mid:.1})\">clients</text>\
<text class=\"x-label\" x=\"{LEFT}\" y=\"{date_y:.1}\">{first}</text>\
<text class=\"x-label\" x=\"{right:.1}\" y=\"{date_y:.1}\" text-anchor=\"end\">{last}</text>\
<text x=\"{centre:.1}\" y=\"{axis_y:.1}\" text-anchor=\"middle\">audit (finished, UTC)</text>\
<polyline fill=\"none\" stroke=\"{TOTAL_COLOUR}\" stroke-width=\"2\" points=\"{total}\"/>\
<polyline fill=\"none\" stroke=\"{HIGH_COLOUR}\" stroke-width=\"2\" points=\"{high}\"/>\
<g class=\"legend\"><rect x=\"{LEFT}\" y=\"8\" width=\"14\" height=\"4\" fill=\"{TOTAL_COLOUR}\"/>\
<text x=\"{lt:.1}\" y=\"14\">all clients</text>\
<rect x=\"{lh:.1}\" y=\"8\" width=\"14\" height=\"4\" fill=\"{HIGH_COLOUR}\"/>\
<text x=\"{lht:.1}\" y=\"14\">high risk (HIGH + CRITICAL)</text></g></svg></figure>",
        right = WIDTH - RIGHT,
        mid = TOP + plot_h / 2.0,
        date_y = base + 14.0,
        axis_y = base + 30.0,
        centre = LEFT + plot_w / 2.0,
        total = line(|p| p.1),
        high = line(|p| p.2),
        lt = LEFT + 18.0,
        lh = LEFT + 110.0,
        lht = LEFT + 128.0,
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, hour, 0, 0).unwrap()
    }

    #[test]
    fn gridline_steps_are_round_and_cover_the_highest_count() {
        assert_eq!(step_for(0), 1);
        assert_eq!(step_for(4), 1);
        assert_eq!(step_for(9), 5);
        assert_eq!(step_for(301), 100);
        assert_eq!(step_for(12_000), 5_000);
    }

    #[test]
    fn the_chart_labels_both_axes_and_has_a_legend_for_each_line() {
        let svg = trend_chart(&[(at(1), 301, 125), (at(2), 300, 120), (at(3), 298, 90)]);
        assert_eq!(svg.matches("<polyline").count(), 2);
        let y_labels: Vec<&str> = svg
            .split("class=\"y-label\"")
            .skip(1)
            .map(|s| s.split('>').nth(1).unwrap().split('<').next().unwrap())
            .collect();
        assert_eq!(y_labels, ["0", "100", "200", "300", "400"]);
        assert_eq!(svg.matches("class=\"x-label\"").count(), 2);
        assert!(svg.contains(">2026-11-01 01:00<") && svg.contains(">2026-11-01 03:00<"));
        assert!(svg.contains(">clients</text>") && svg.contains(">audit (finished, UTC)</text>"));
        assert!(svg.contains(">all clients</text>"));
        assert!(svg.contains(">high risk (HIGH + CRITICAL)</text>"));
    }

    #[test]
    fn one_audit_gives_a_line_of_text_not_a_chart() {
        assert!(!trend_chart(&[(at(1), 3, 1)]).contains("<svg"));
    }
}
