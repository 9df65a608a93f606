//! The download-activity chart: an inline SVG bar chart, rendered on the
//! server, readable by screen readers through its title.

use std::fmt::Write as _;

/// Bars for `values` (oldest first), scaled to the largest.
pub fn bars(values: &[i64], title: &str) -> String {
    let width = 300.0;
    let height = 60.0;
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let slot = width / values.len().max(1) as f64;
    let total: i64 = values.iter().sum();
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" preserveAspectRatio=\"none\" role=\"img\" \
         aria-label=\"{title}: {total} in all\"><title>{title}: {total} in all</title>"
    );
    for (i, v) in values.iter().enumerate() {
        let h = (*v as f64 / max * (height - 2.0)).max(if *v > 0 { 1.0 } else { 0.0 });
        let _ = write!(
            svg,
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{h:.2}\"><title>{v}</title></rect>",
            i as f64 * slot + 0.5,
            height - h,
            (slot - 1.0).max(0.5)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bar_per_day_scaled_to_the_busiest() {
        let svg = bars(&[0, 5, 10], "downloads");
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("height=\"58.00\""), "{svg}");
        assert!(svg.contains("15 in all"));
    }
}
