//! The download-activity chart: an inline SVG bar chart, rendered on the
//! server, with its scale and dates written on it, each bar titled with its
//! day and figure, and the whole described for screen readers.

use std::fmt::Write as _;

use chrono::NaiveDate;

/// A side column's width in units, so that its text reads at about the
/// page's small size.
const WIDTH: f64 = 220.0;
const HEIGHT: f64 = 96.0;
/// Room on the left for the scale, and below for the dates.
const LEFT: f64 = 32.0;
const BOTTOM: f64 = 16.0;
const TOP: f64 = 6.0;

/// Bars for `values` (oldest first, the last on `last_day`), scaled to the
/// largest; `None` when there is nothing to draw.
pub fn bars(values: &[i64], last_day: NaiveDate, what: &str) -> Option<String> {
    let total: i64 = values.iter().sum();
    if total == 0 || values.is_empty() {
        return None;
    }
    let max = values.iter().copied().max().unwrap_or(1).max(1);
    let days = i64::try_from(values.len()).unwrap_or(i64::MAX);
    let first_day = last_day - chrono::TimeDelta::days(days - 1);
    let plot_w = WIDTH - LEFT;
    let plot_h = HEIGHT - BOTTOM - TOP;
    let slot = plot_w / values.len() as f64;
    let label =
        format!("{what} from {first_day} to {last_day}: {total} in all, at most {max} a day");
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{label}\">\
         <title>{label}</title>"
    );
    // The scale: its top and zero, with a rule at each.
    let base = TOP + plot_h;
    let _ = write!(
        svg,
        "<g class=\"axis\"><line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{WIDTH}\" y2=\"{TOP}\"/>\
         <line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{WIDTH}\" y2=\"{base}\"/>\
         <text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{max}</text>\
         <text x=\"{lx}\" y=\"{base}\" text-anchor=\"end\">0</text>\
         <text x=\"{LEFT}\" y=\"{HEIGHT}\">{first}</text>\
         <text x=\"{WIDTH}\" y=\"{HEIGHT}\" text-anchor=\"end\">{last}</text></g>",
        lx = LEFT - 4.0,
        ty = TOP + 10.0,
        first = first_day.format("%b %-d"),
        last = last_day.format("%b %-d"),
    );
    for (i, v) in values.iter().enumerate() {
        let h = (*v as f64 / max as f64 * plot_h).max(if *v > 0 { 1.0 } else { 0.0 });
        let day = first_day + chrono::TimeDelta::days(i64::try_from(i).unwrap_or(0));
        let _ = write!(
            svg,
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{h:.2}\">\
             <title>{day}: {v}</title></rect>",
            LEFT + i as f64 * slot + 0.5,
            base - h,
            (slot - 1.0).max(0.5)
        );
    }
    svg.push_str("</svg>");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bar_per_day_scaled_to_the_busiest_with_its_scale_and_dates() {
        let last = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let svg = bars(&[0, 5, 10], last, "downloads").unwrap();
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("height=\"74.00\""), "{svg}");
        assert!(svg.contains("15 in all, at most 10 a day"), "{svg}");
        assert!(svg.contains(">Dec 1<") && svg.contains(">Dec 3<"), "{svg}");
        assert!(svg.contains("<title>2026-12-02: 5</title>"), "{svg}");
    }

    #[test]
    fn nothing_is_drawn_without_downloads() {
        let last = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert_eq!(bars(&[0; 30], last, "downloads"), None);
    }
}
