//! Bar charts as inline SVG, drawn on the server (no JavaScript; the staff dashboard's
//! figures). A chart never lies: the value axis starts at zero, its ticks are labelled, both
//! axes carry a label, every bar carries its value (`data-value` and a `<title>` tooltip),
//! and a chart without data says so instead of drawing empty axes. Every text is escaped.
//!
//! A chart has groups (one per category on the horizontal axis) of one bar per series (one
//! series for counts; two for the bureau's approval and return rates, with a legend).

use std::fmt::Write;

/// What the value axis counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Whole numbers from zero up to a round maximum.
    Count,
    /// Fractions from 0 to 1, shown as percentages.
    Rate,
    /// Seconds from zero, shown in hours.
    Hours,
}

/// One series: its name (in the legend) and CSS class (its colour).
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub class: &'static str,
}

/// A bar chart.
#[derive(Debug, Clone)]
pub struct BarChart {
    /// The chart's accessible title.
    pub title: String,
    /// The horizontal axis' label.
    pub x_label: String,
    /// The value axis' label.
    pub y_label: String,
    pub scale: Scale,
    pub series: Vec<Series>,
    /// Category label and one value per series.
    pub groups: Vec<(String, Vec<f64>)>,
    /// Shown instead of the bars when there is no data.
    pub empty_text: String,
    /// Label every n-th category only (1: all), for long daily series.
    pub label_every: usize,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 72.0;
const PLOT_H: f64 = HEIGHT - TOP - BOTTOM;
const PLOT_W: f64 = WIDTH - LEFT - RIGHT;

/// Escapes a text for SVG (XML) content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The top of the value axis: 1 for rates, else a round number at or above `max` (1, 2, 5
/// times a power of ten), at least 1.
pub fn axis_max(scale: Scale, max: f64) -> f64 {
    if scale == Scale::Rate {
        return 1.0;
    }
    let max = if scale == Scale::Hours {
        max / 3600.0
    } else {
        max
    };
    if max <= 1.0 || !max.is_finite() {
        return 1.0;
    }
    let power = 10f64.powf(max.log10().floor());
    let top = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|t| *t >= max)
        .unwrap_or(10.0 * power);
    if scale == Scale::Hours {
        top * 3600.0
    } else {
        top
    }
}

/// How many steps the value axis has up to `top` (from [`axis_max`]): counts step by whole
/// numbers (top 1, 2 or 5: one by one; 10, 20, 50, …: five steps), hours by fifths, rates by
/// quarters.
pub fn tick_count(scale: Scale, top: f64) -> u32 {
    match scale {
        Scale::Count if top <= 5.0 => top.round().max(1.0) as u32,
        Scale::Count | Scale::Hours => 5,
        Scale::Rate => 4,
    }
}

/// A value as the axis and the tooltips write it.
pub fn format_value(scale: Scale, v: f64) -> String {
    match scale {
        Scale::Count => format!("{}", v.round() as i64),
        Scale::Rate => format!("{:.0}%", v * 100.0),
        Scale::Hours => {
            let h = v / 3600.0;
            if h >= 10.0 {
                format!("{h:.0} h")
            } else {
                format!("{h:.1} h")
            }
        }
    }
}

/// The chart as an `<svg>` element (or, without data, an SVG saying so).
pub fn render(c: &BarChart) -> String {
    let values = c.groups.iter().flat_map(|(_, v)| v.iter().copied());
    let max = values.clone().fold(0.0f64, f64::max);
    let has_data = !c.groups.is_empty() && values.clone().any(|v| v > 0.0);
    let mut s = String::new();
    let title = escape(&c.title);
    let _ = write!(
        s,
        r#"<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" xmlns="http://www.w3.org/2000/svg" aria-label="{title}"><title>{title}</title>"#
    );
    if !has_data {
        let _ = write!(
            s,
            r#"<text class="empty" x="{}" y="{}" text-anchor="middle">{}</text></svg>"#,
            WIDTH / 2.0,
            HEIGHT / 2.0,
            escape(&c.empty_text)
        );
        return s;
    }
    let top = axis_max(c.scale, max);
    let base = TOP + PLOT_H;
    // Value axis: evenly spaced ticks from 0 to the top, whole numbers for counts.
    let ticks = tick_count(c.scale, top);
    for i in 0..=ticks {
        let v = top * f64::from(i) / f64::from(ticks);
        let y = base - PLOT_H * f64::from(i) / f64::from(ticks);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT + PLOT_W,
            LEFT - 6.0,
            y + 4.0,
            escape(&format_value(c.scale, v))
        );
    }
    let _ = write!(
        s,
        r#"<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{base}"/><line class="axis baseline" x1="{LEFT}" x2="{}" y1="{base}" y2="{base}"/>"#,
        LEFT + PLOT_W
    );
    let groups = c.groups.len() as f64;
    let slot = PLOT_W / groups;
    let per = c.series.len().max(1) as f64;
    // At most 64 units a bar, centred in its slot (one province must not fill the chart).
    let bar_w = (slot * 0.8 / per).clamp(1.0, 64.0);
    let every = c.label_every.max(1);
    for (gi, (label, vals)) in c.groups.iter().enumerate() {
        let x0 = LEFT + slot * gi as f64 + (slot - bar_w * per) / 2.0;
        for (si, v) in vals.iter().enumerate() {
            let v = v.max(0.0);
            let h = PLOT_H * v / top;
            let class = c.series.get(si).map_or("s0", |s| s.class);
            let name = c.series.get(si).map_or(String::new(), |s| s.name.clone());
            let tip = if name.is_empty() {
                format!("{label}: {}", format_value(c.scale, v))
            } else {
                format!("{label} · {name}: {}", format_value(c.scale, v))
            };
            let _ = write!(
                s,
                r#"<rect class="bar {class}" data-label="{}" data-value="{v}" x="{:.1}" y="{:.1}" width="{bar_w:.1}" height="{h:.1}"><title>{}</title></rect>"#,
                escape(label),
                x0 + bar_w * si as f64,
                base - h,
                escape(&tip)
            );
        }
        if gi % every == 0 {
            let cx = LEFT + slot * (gi as f64 + 0.5);
            let _ = write!(
                s,
                r#"<text class="cat" x="{cx:.1}" y="{:.1}" text-anchor="end" transform="rotate(-35 {cx:.1} {:.1})">{}</text>"#,
                base + 14.0,
                base + 14.0,
                escape(label)
            );
        }
    }
    let _ = write!(
        s,
        r#"<text class="axislabel" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text class="axislabel" x="14" y="{:.1}" text-anchor="middle" transform="rotate(-90 14 {:.1})">{}</text>"#,
        LEFT + PLOT_W / 2.0,
        HEIGHT - 6.0,
        escape(&c.x_label),
        TOP + PLOT_H / 2.0,
        TOP + PLOT_H / 2.0,
        escape(&c.y_label)
    );
    if c.series.len() > 1 {
        for (i, se) in c.series.iter().enumerate() {
            let x = LEFT + 8.0 + 140.0 * i as f64;
            let _ = write!(
                s,
                r#"<rect class="legend {}" x="{x:.1}" y="8" width="12" height="12"/><text class="legendlabel" x="{:.1}" y="18">{}</text>"#,
                se.class,
                x + 16.0,
                escape(&se.name)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(groups: Vec<(&str, f64)>, scale: Scale) -> BarChart {
        BarChart {
            title: "Orders <by> state".into(),
            x_label: "state".into(),
            y_label: "orders".into(),
            scale,
            series: vec![Series {
                name: String::new(),
                class: "s0",
            }],
            groups: groups
                .into_iter()
                .map(|(l, v)| (l.to_owned(), vec![v]))
                .collect(),
            empty_text: "No data".into(),
            label_every: 1,
        }
    }

    /// (data-value, height, y) of every bar.
    fn bars(svg: &str) -> Vec<(f64, f64, f64)> {
        svg.split("<rect class=\"bar ")
            .skip(1)
            .map(|r| {
                let attr = |name: &str| -> f64 {
                    let from = r.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
                    let rest = &r[from..];
                    rest[..rest.find('"').unwrap()].parse().unwrap()
                };
                (attr("data-value"), attr("height"), attr("y"))
            })
            .collect()
    }

    #[test]
    fn bar_heights_are_proportional_from_a_zero_baseline() {
        let svg = render(&chart(
            vec![("a", 2.0), ("b", 4.0), ("c", 0.0)],
            Scale::Count,
        ));
        let b = bars(&svg);
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].0, 2.0);
        assert!((b[1].1 - 2.0 * b[0].1).abs() < 0.2, "{b:?}");
        assert_eq!(b[2].1, 0.0);
        // Every bar stands on the same baseline: y + height.
        let base = TOP + PLOT_H;
        for (_, h, y) in &b {
            assert!((y + h - base).abs() < 0.2, "{b:?}");
        }
        // The axis starts at 0 and ends at a round number at or above the largest value.
        assert!(svg.contains(">0</text>"), "{svg}");
        assert!(svg.contains(">5</text>"), "{svg}");
    }

    #[test]
    fn count_ticks_are_whole_numbers() {
        for max in [1.0, 2.0, 3.0, 7.0, 17.0, 42.0, 420.0] {
            let top = axis_max(Scale::Count, max);
            let n = tick_count(Scale::Count, top);
            for i in 0..=n {
                let v = top * f64::from(i) / f64::from(n);
                assert_eq!(v, v.round(), "max {max}: tick {i} of {n} is {v}");
            }
        }
        let svg = render(&chart(vec![("a", 2.0)], Scale::Count));
        assert!(
            svg.contains(">1</text>") && svg.contains(">2</text>"),
            "{svg}"
        );
        assert!(!svg.contains(">1.5"), "{svg}");
    }

    #[test]
    fn the_axis_top_is_round_and_rates_end_at_100_percent() {
        assert_eq!(axis_max(Scale::Count, 0.0), 1.0);
        assert_eq!(axis_max(Scale::Count, 3.0), 5.0);
        assert_eq!(axis_max(Scale::Count, 17.0), 20.0);
        assert_eq!(axis_max(Scale::Count, 100.0), 100.0);
        assert_eq!(axis_max(Scale::Count, 101.0), 200.0);
        assert_eq!(axis_max(Scale::Rate, 0.3), 1.0);
        assert_eq!(axis_max(Scale::Hours, 3.0 * 3600.0), 5.0 * 3600.0);
        assert_eq!(format_value(Scale::Rate, 0.5), "50%");
        assert_eq!(format_value(Scale::Hours, 5400.0), "1.5 h");
    }

    #[test]
    fn no_data_draws_an_empty_state_not_empty_axes() {
        for groups in [vec![], vec![("a", 0.0), ("b", 0.0)]] {
            let svg = render(&chart(groups, Scale::Count));
            assert!(svg.contains("No data"), "{svg}");
            assert!(!svg.contains("<rect"), "{svg}");
            assert!(!svg.contains("class=\"axis"), "{svg}");
        }
    }

    #[test]
    fn labels_and_titles_are_escaped() {
        let svg = render(&chart(vec![("<script>&\"x\"", 1.0)], Scale::Count));
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;&amp;&quot;x&quot;"), "{svg}");
        assert!(svg.contains("Orders &lt;by&gt; state"), "{svg}");
        let empty = BarChart {
            empty_text: "<b>none</b>".into(),
            ..chart(vec![], Scale::Count)
        };
        assert!(render(&empty).contains("&lt;b&gt;none&lt;/b&gt;"));
    }

    #[test]
    fn two_series_get_a_legend_and_side_by_side_bars() {
        let mut c = chart(vec![], Scale::Rate);
        c.series = vec![
            Series {
                name: "approved".into(),
                class: "s0",
            },
            Series {
                name: "returned".into(),
                class: "s1",
            },
        ];
        c.groups = vec![("浙江".into(), vec![0.75, 0.25])];
        let svg = render(&c);
        let b = bars(&svg);
        assert_eq!(b.len(), 2);
        assert!((b[0].1 - 3.0 * b[1].1).abs() < 0.2, "{b:?}");
        assert!(svg.contains(">100%</text>"), "{svg}");
        assert!(svg.contains("class=\"legend s1\""), "{svg}");
        assert!(svg.contains("浙江 · returned: 25%"), "{svg}");
    }
}
