//! Hand-written SVG for `report.html`: escaping, linear scales with "nice" ticks, and the
//! chart builders (time series with fault markers, step CDFs, timelines, horizontal bars, the
//! packing columns).
//!
//! Every builder is a pure function of its data and returns the `<svg>` element as text.
//! Numbers are printed with a fixed number of decimals, so the same data gives the same bytes.
//! Every text that comes from a scenario goes through [`escape`].

use std::fmt::Write as _;

/// Escapes text for HTML and SVG, in element content and in quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters have no business in a report (and some are invalid in XML).
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate: two decimals, no negative zero.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "0".to_string();
    }
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".to_string() } else { s.to_string() }
}

/// A tick label: at most three significant decimals, thousands as `k`, millions as `M`.
pub fn tick_label(x: f64) -> String {
    let a = x.abs();
    if a >= 1e6 {
        format!("{}M", num(x / 1e6))
    } else if a >= 1e4 {
        format!("{}k", num(x / 1e3))
    } else {
        let s = format!("{x:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".to_string() } else { s.to_string() }
    }
}

/// Ticks at 1, 2 or 5 × 10^k covering `[lo, hi]`, about `n` of them.
pub fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !lo.is_finite() || !hi.is_finite() || hi <= lo || n == 0 {
        return vec![if lo.is_finite() { lo } else { 0.0 }];
    }
    let raw = (hi - lo) / n as f64;
    let mag = 10f64.powi(raw.log10().floor() as i32);
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).take(1000).map(|i| i as f64 * step).collect()
}

/// A linear map from a domain to a pixel range (degenerate domains map to the range start).
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Scale {
    pub fn map(&self, x: f64) -> f64 {
        if self.d1 == self.d0 || !x.is_finite() {
            return self.r0;
        }
        let x = x.clamp(self.d0.min(self.d1), self.d0.max(self.d1));
        self.r0 + (x - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

/// A qualitative palette (Okabe–Ito and Tableau-like), by index.
pub fn color(i: usize) -> &'static str {
    const PALETTE: [&str; 12] = [
        "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
        "#1b9e77", "#7570b3",
    ];
    PALETTE[i % PALETTE.len()]
}

/// One line of a chart.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Drawn as a step function (the value holds until the next point).
    pub step: bool,
}

/// A fault drawn over a time chart: a line at its start, shading until its end.
pub struct Marker {
    pub start: f64,
    /// `None`: still on at the end of the chart.
    pub end: Option<f64>,
    pub label: String,
}

/// A chart of series over x, with optional fault markers.
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub markers: Vec<Marker>,
    /// The x domain; `None`: from the data.
    pub x_range: Option<(f64, f64)>,
    /// The y domain; `None`: from 0 to the data's maximum.
    pub y_range: Option<(f64, f64)>,
    /// Y tick labels as percentages of 1.
    pub y_percent: bool,
}

pub const WIDTH: f64 = 760.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 44.0;

/// With more faults than this on a chart, none is labelled (they would overlap): faults are
/// lines and shading only, their labels in the tooltips.
const MAX_MARKER_LABELS: usize = 8;

impl LineChart {
    pub fn render(&self, height: f64) -> String {
        let pts = self.series.iter().flat_map(|s| s.points.iter());
        let (mut x0, mut x1, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, 0f64);
        for &(x, y) in pts {
            if x.is_finite() && y.is_finite() {
                x0 = x0.min(x);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
        }
        let (x0, x1) = self.x_range.unwrap_or(if x0.is_finite() { (x0, x1) } else { (0.0, 1.0) });
        let (y0, y1) = self.y_range.unwrap_or((0.0, if y1 > 0.0 { y1 } else { 1.0 }));
        let xs = Scale { d0: x0, d1: x1, r0: LEFT, r1: WIDTH - RIGHT };
        let ys = Scale { d0: y0, d1: y1, r0: height - BOTTOM, r1: TOP };
        let mut out = open_svg(WIDTH, height, &self.title);
        axes(&mut out, &xs, &ys, height, &self.x_label, &self.y_label, self.y_percent);
        for (i, m) in self.markers.iter().enumerate() {
            let a = xs.map(m.start);
            let b = xs.map(m.end.unwrap_or(x1));
            let _ = write!(
                out,
                r##"<g class="fault"><title>{}</title><rect x="{}" y="{}" width="{}" height="{}" fill="#d62728" fill-opacity="0.10"/><line x1="{a}" y1="{}" x2="{a}" y2="{}" stroke="#d62728" stroke-dasharray="4 3" stroke-opacity="{}"/>"##,
                escape(&m.label),
                num(a),
                num(TOP),
                num((b - a).max(1.0)),
                num(height - BOTTOM - TOP),
                num(TOP),
                num(height - BOTTOM),
                // Many faults: fainter lines, so the series stay visible.
                if self.markers.len() > 20 { "0.35" } else { "1" },
                a = num(a),
            );
            if self.markers.len() <= MAX_MARKER_LABELS {
                let _ = write!(
                    out,
                    r##"<text x="{}" y="{}" font-size="10" fill="#d62728">{}</text>"##,
                    num(a + 3.0),
                    num(TOP + 10.0 + 11.0 * (i % 4) as f64),
                    escape(&shorten(&m.label, 40))
                );
            }
            out.push_str("</g>");
        }
        for (i, s) in self.series.iter().enumerate() {
            let mut d = String::new();
            let mut first = true;
            let points: Vec<(f64, f64)> =
                s.points.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite()).collect();
            for (i, &(x, y)) in points.iter().enumerate() {
                // A step that does not change the value draws nothing (the last point ends the line).
                if s.step && i > 0 && i + 1 < points.len() && points[i - 1].1 == y {
                    continue;
                }
                let (px, py) = (num(xs.map(x)), num(ys.map(y)));
                let _ = match (first, s.step) {
                    (true, _) => write!(d, "M{px} {py}"),
                    // A step holds the previous value until x, then jumps.
                    (false, true) => write!(d, "H{px}V{py}"),
                    (false, false) => write!(d, "L{px} {py}"),
                };
                first = false;
            }
            if d.is_empty() {
                continue;
            }
            let _ = write!(
                out,
                r#"<path class="series" d="{d}" fill="none" stroke="{}" stroke-width="1.6"{}><title>{}</title></path>"#,
                color(i),
                // Every other series dashed, so that equal series stay apart.
                if i % 2 == 1 { r#" stroke-dasharray="6 3""# } else { "" },
                escape(&s.name)
            );
        }
        legend(&mut out, self.series.iter().map(|s| s.name.as_str()));
        out.push_str("</svg>");
        out
    }
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
    t.push('…');
    t
}

fn open_svg(width: f64, height: f64, title: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"><title>{t}</title>"#,
        w = num(width),
        h = num(height),
        t = escape(title)
    )
}

fn axes(out: &mut String, xs: &Scale, ys: &Scale, height: f64, x_label: &str, y_label: &str, y_percent: bool) {
    let bottom = height - BOTTOM;
    let _ = write!(
        out,
        r##"<g class="axis"><line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="#333"/><line x1="{l}" y1="{t}" x2="{l}" y2="{b}" stroke="#333"/>"##,
        l = num(LEFT),
        r = num(WIDTH - RIGHT),
        t = num(TOP),
        b = num(bottom)
    );
    for x in nice_ticks(xs.d0.min(xs.d1), xs.d0.max(xs.d1), 8) {
        let px = num(xs.map(x));
        let _ = write!(
            out,
            r##"<line x1="{px}" y1="{b}" x2="{px}" y2="{b2}" stroke="#333"/><text x="{px}" y="{ty}" font-size="10" text-anchor="middle">{}</text>"##,
            tick_label(x),
            b = num(bottom),
            b2 = num(bottom + 4.0),
            ty = num(bottom + 15.0)
        );
    }
    for y in nice_ticks(ys.d0.min(ys.d1), ys.d0.max(ys.d1), 5) {
        let py = num(ys.map(y));
        let label = if y_percent { format!("{}%", tick_label(y * 100.0)) } else { tick_label(y) };
        let _ = write!(
            out,
            r##"<line x1="{l}" y1="{py}" x2="{r}" y2="{py}" stroke="#ddd"/><text x="{tx}" y="{ty}" font-size="10" text-anchor="end">{label}</text>"##,
            l = num(LEFT),
            r = num(WIDTH - RIGHT),
            tx = num(LEFT - 4.0),
            ty = num(ys.map(y) + 3.0)
        );
    }
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text><text x="12" y="{}" font-size="11" text-anchor="middle" transform="rotate(-90 12 {})">{}</text></g>"#,
        num((LEFT + WIDTH - RIGHT) / 2.0),
        num(height - 8.0),
        escape(x_label),
        num((TOP + bottom) / 2.0),
        num((TOP + bottom) / 2.0),
        escape(y_label)
    );
}

fn legend<'a>(out: &mut String, names: impl Iterator<Item = &'a str>) {
    let mut x = LEFT;
    for (i, name) in names.enumerate() {
        let label = shorten(name, 32);
        let _ = write!(
            out,
            r#"<g class="legend"><rect x="{}" y="8" width="10" height="10" fill="{}"/><text x="{}" y="17" font-size="11">{}</text></g>"#,
            num(x),
            color(i),
            num(x + 14.0),
            escape(&label)
        );
        x += 24.0 + 6.5 * label.chars().count() as f64;
    }
}

/// The empirical CDF of each sample set, as step series (x sorted, y from 1/n to 1).
pub fn cdf_series(name: &str, values: &[f64]) -> Series {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let mut points = Vec::with_capacity(v.len() + 1);
    if let Some(first) = v.first() {
        points.push((*first, 0.0));
    }
    for (i, x) in v.iter().enumerate() {
        points.push((*x, (i + 1) as f64 / n));
    }
    Series { name: format!("{name} (n={})", v.len()), points, step: true }
}

/// One row of a timeline: a bar from `start` to `end`, then a second bar to `recovered`.
pub struct TimelineRow {
    pub label: String,
    pub start: f64,
    pub end: Option<f64>,
    pub recovered: Option<f64>,
    pub tooltip: String,
}

/// Fault timelines: one row per fault, red while it lasts, amber until its workloads were
/// whole again, a tick at recovery.
pub fn timeline(title: &str, rows: &[TimelineRow], x_range: (f64, f64), x_label: &str) -> String {
    const ROW: f64 = 18.0;
    const LABEL: f64 = 200.0;
    let height = TOP + BOTTOM + ROW * rows.len().max(1) as f64;
    let xs = Scale { d0: x_range.0, d1: x_range.1, r0: LABEL, r1: WIDTH - RIGHT };
    let mut out = open_svg(WIDTH, height, title);
    let bottom = height - BOTTOM;
    let _ = write!(
        out,
        r##"<g class="axis"><line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="#333"/>"##,
        l = num(LABEL),
        r = num(WIDTH - RIGHT),
        b = num(bottom)
    );
    for x in nice_ticks(x_range.0, x_range.1, 8) {
        let px = num(xs.map(x));
        let _ = write!(
            out,
            r##"<line x1="{px}" y1="{t}" x2="{px}" y2="{b}" stroke="#eee"/><text x="{px}" y="{ty}" font-size="10" text-anchor="middle">{}</text>"##,
            tick_label(x),
            t = num(TOP),
            b = num(bottom),
            ty = num(bottom + 15.0)
        );
    }
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text></g>"#,
        num((LABEL + WIDTH - RIGHT) / 2.0),
        num(height - 8.0),
        escape(x_label)
    );
    let _ = write!(
        out,
        r##"<g class="legend"><rect x="{l}" y="8" width="10" height="10" fill="#d62728"/><text x="{l2}" y="17" font-size="11">fault</text><rect x="{l3}" y="8" width="10" height="10" fill="#f2a900"/><text x="{l4}" y="17" font-size="11">recovering</text></g>"##,
        l = num(LABEL),
        l2 = num(LABEL + 14.0),
        l3 = num(LABEL + 60.0),
        l4 = num(LABEL + 74.0)
    );
    for (i, r) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let a = xs.map(r.start);
        let end = r.end.unwrap_or(x_range.1);
        let b = xs.map(end);
        let _ = write!(
            out,
            r##"<g class="timeline-row"><title>{}</title><text x="{}" y="{}" font-size="10" text-anchor="end">{}</text><rect x="{}" y="{}" width="{}" height="{}" fill="#d62728"/>"##,
            escape(&r.tooltip),
            num(LABEL - 4.0),
            num(y + 12.0),
            escape(&shorten(&r.label, 34)),
            num(a),
            num(y + 3.0),
            num((b - a).max(1.0)),
            num(ROW - 6.0)
        );
        if let Some(rec) = r.recovered {
            let c = xs.map(rec);
            if c > b {
                let _ = write!(
                    out,
                    r##"<rect x="{}" y="{}" width="{}" height="{}" fill="#f2a900"/>"##,
                    num(b),
                    num(y + 3.0),
                    num(c - b),
                    num(ROW - 6.0)
                );
            }
            let _ = write!(
                out,
                r##"<line x1="{c}" y1="{}" x2="{c}" y2="{}" stroke="#2ca02c" stroke-width="2"/>"##,
                num(y + 1.0),
                num(y + ROW - 1.0),
                c = num(c)
            );
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars: one row per label, value in `unit`.
pub fn bars(title: &str, rows: &[(String, f64)], unit: &str) -> String {
    const ROW: f64 = 18.0;
    const LABEL: f64 = 260.0;
    let height = TOP + BOTTOM + ROW * rows.len().max(1) as f64;
    let max = rows.iter().map(|(_, v)| *v).filter(|v| v.is_finite()).fold(0f64, f64::max);
    let xs = Scale { d0: 0.0, d1: if max > 0.0 { max } else { 1.0 }, r0: LABEL, r1: WIDTH - RIGHT - 60.0 };
    let mut out = open_svg(WIDTH, height, title);
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let w = xs.map(*v) - LABEL;
        let _ = write!(
            out,
            r##"<g class="bar"><title>{} {} {}</title><text x="{}" y="{}" font-size="10" text-anchor="end">{}</text><rect x="{}" y="{}" width="{}" height="{}" fill="#4e79a7"/><text x="{}" y="{}" font-size="10">{} {}</text></g>"##,
            escape(label),
            tick_label(*v),
            escape(unit),
            num(LABEL - 4.0),
            num(y + 12.0),
            escape(&shorten(label, 42)),
            num(LABEL),
            num(y + 3.0),
            num(w.max(0.0)),
            num(ROW - 6.0),
            num(LABEL + w.max(0.0) + 4.0),
            num(y + 12.0),
            tick_label(*v),
            escape(unit)
        );
    }
    out.push_str("</svg>");
    out
}

/// One node column of the packing picture.
pub struct PackColumn {
    pub node: String,
    pub capacity: f64,
    /// Pods bottom-up: (tooltip, amount, colour index).
    pub blocks: Vec<(String, f64, usize)>,
    /// A fault holds the node at this instant (faults.csv): drawn red, with the fault's name.
    pub fault: Option<String>,
}

/// Most node columns drawn in one packing picture.
pub const MAX_PACK_COLUMNS: usize = 120;

/// The packing picture: one column per node, its full height the node's allocatable, each
/// pod a block of its request coloured by workload.
pub fn packing(title: &str, columns: &[PackColumn]) -> String {
    const COL: f64 = 22.0;
    const GAP: f64 = 6.0;
    const HEIGHT: f64 = 180.0;
    const LABEL: f64 = 70.0;
    let shown = &columns[..columns.len().min(MAX_PACK_COLUMNS)];
    let width = (LEFT + (COL + GAP) * shown.len() as f64 + RIGHT).max(240.0);
    let height = TOP + HEIGHT + LABEL;
    let mut out = open_svg(width, height, title);
    let base = TOP + HEIGHT;
    for (i, c) in shown.iter().enumerate() {
        let x = LEFT + (COL + GAP) * i as f64;
        let _ = write!(
            out,
            r##"<g class="node"><title>{}{}</title><rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}"/>"##,
            escape(&c.node),
            c.fault.as_ref().map(|f| format!(": {}", escape(f))).unwrap_or_default(),
            num(x),
            num(TOP),
            num(COL),
            num(HEIGHT),
            if c.fault.is_some() { "#f8d7d7" } else { "#f4f4f4" },
            if c.fault.is_some() { "#d62728" } else { "#999" }
        );
        let mut used = 0.0;
        for (tooltip, amount, colour) in &c.blocks {
            if c.capacity <= 0.0 || *amount <= 0.0 {
                continue;
            }
            let top = (used + amount).min(c.capacity);
            let y0 = base - used.min(c.capacity) / c.capacity * HEIGHT;
            let y1 = base - top / c.capacity * HEIGHT;
            used += amount;
            let _ = write!(
                out,
                r##"<rect class="pod" x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#fff" stroke-width="0.5"><title>{}</title></rect>"##,
                num(x + 1.0),
                num(y1),
                num(COL - 2.0),
                num((y0 - y1).max(0.0)),
                color(*colour),
                escape(tooltip)
            );
        }
        let pct = if c.capacity > 0.0 { used / c.capacity * 100.0 } else { 0.0 };
        let _ = write!(
            out,
            r#"<text x="{cx}" y="{py}" font-size="9" text-anchor="middle">{}%</text><text x="{cx}" y="{ly}" font-size="10" text-anchor="end" transform="rotate(-60 {cx} {ly})">{}</text></g>"#,
            pct.round(),
            escape(&shorten(&c.node, 12)),
            cx = num(x + COL / 2.0),
            py = num(TOP - 4.0),
            ly = num(base + 12.0)
        );
    }
    let _ = write!(
        out,
        r#"<text x="4" y="{}" font-size="10">100%</text><text x="4" y="{}" font-size="10">0%</text></svg>"#,
        num(TOP + 8.0),
        num(base)
    );
    out
}

/// A confidence interval as a small inline picture for a table cell: a whisker from `lo` to
/// `hi` and a dot at `mean`, on a scale shared by the rows of one metric (`domain`), with a
/// grey line at 0 when the domain holds it.
pub fn whisker(mean: f64, interval: Option<(f64, f64)>, domain: (f64, f64)) -> String {
    const W: f64 = 140.0;
    const H: f64 = 14.0;
    let (d0, d1) = if domain.1 > domain.0 { domain } else { (domain.0 - 1.0, domain.0 + 1.0) };
    let xs = Scale { d0, d1, r0: 4.0, r1: W - 4.0 };
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="ci" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#,
        w = num(W),
        h = num(H)
    );
    if d0 <= 0.0 && d1 >= 0.0 {
        let z = num(xs.map(0.0));
        let _ = write!(out, r##"<line x1="{z}" y1="0" x2="{z}" y2="{}" stroke="#bbb"/>"##, num(H));
    }
    if let Some((lo, hi)) = interval {
        let _ = write!(
            out,
            r##"<line x1="{}" y1="{m}" x2="{}" y2="{m}" stroke="#333"/>"##,
            num(xs.map(lo)),
            num(xs.map(hi)),
            m = num(H / 2.0)
        );
    }
    let _ = write!(out, r##"<circle cx="{}" cy="{}" r="3" fill="#4e79a7"/></svg>"##, num(xs.map(mean)), num(H / 2.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x&y")</script>'"#),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39;"
        );
        assert_eq!(escape("a\u{0}b"), "a\u{fffd}b");
    }

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(1.256), "1.26");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(tick_label(25000.0), "25k");
        assert_eq!(tick_label(0.125), "0.125");
        assert_eq!(tick_label(3_000_000.0), "3M");
    }

    #[test]
    fn ticks_are_nice_and_cover_the_range() {
        assert_eq!(nice_ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(nice_ticks(0.0, 1.0, 4), vec![0.0, 0.5, 1.0]);
        let t = nice_ticks(0.0, 3600.0, 8);
        assert_eq!(t.first(), Some(&0.0));
        assert!(t.len() >= 4 && t.len() <= 12, "{t:?}");
        assert_eq!(nice_ticks(5.0, 5.0, 5), vec![5.0]);
        assert_eq!(nice_ticks(f64::NAN, 1.0, 5), vec![0.0]);
    }

    #[test]
    fn scale_maps_and_clamps() {
        let s = Scale { d0: 0.0, d1: 100.0, r0: 300.0, r1: 100.0 };
        assert_eq!(s.map(0.0), 300.0);
        assert_eq!(s.map(50.0), 200.0);
        assert_eq!(s.map(200.0), 100.0);
        assert_eq!(Scale { d0: 1.0, d1: 1.0, r0: 7.0, r1: 9.0 }.map(1.0), 7.0);
    }

    #[test]
    fn line_chart_scales_points_and_escapes_names() {
        let chart = LineChart {
            title: "<t>".into(),
            x_label: "time (s)".into(),
            y_label: "pods".into(),
            series: vec![Series {
                name: "<script>alert(1)</script>".into(),
                points: vec![(0.0, 0.0), (100.0, 10.0)],
                step: false,
            }],
            markers: vec![Marker { start: 50.0, end: None, label: "node-failure <b>".into() }],
            x_range: None,
            y_range: None,
            y_percent: false,
        };
        let svg = chart.render(240.0);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("<script>") && !svg.contains("<b>") && !svg.contains("<t>"));
        assert!(svg.contains("&lt;script&gt;"));
        // (0, 0) is the bottom-left corner of the plot, (100, 10) the top-right.
        assert!(
            svg.contains(&format!("M{} {}L{} {}", num(LEFT), num(240.0 - BOTTOM), num(WIDTH - RIGHT), num(TOP))),
            "{svg}"
        );
        // The fault is shaded from 50 to the end.
        assert!(svg.contains(r#"class="fault""#));
        assert!(svg.contains(&format!(r#"<rect x="{}""#, num((LEFT + WIDTH - RIGHT) / 2.0))));
    }

    #[test]
    fn timeline_draws_fault_then_recovery() {
        let rows = [
            TimelineRow {
                label: "node-failure <n1>".into(),
                start: 10.0,
                end: Some(20.0),
                recovered: Some(30.0),
                tooltip: "t".into(),
            },
            TimelineRow { label: "pod-crash".into(), start: 40.0, end: None, recovered: None, tooltip: "u".into() },
        ];
        let svg = timeline("f", &rows, (0.0, 100.0), "time (hours)");
        assert_eq!(svg.matches(r#"class="timeline-row""#).count(), 2);
        // The recovery bar (amber) only where the workloads came back after the fault ended.
        assert_eq!(svg.matches("#f2a900").count(), 2, "legend and one bar");
        assert!(svg.contains("node-failure &lt;n1&gt;") && svg.contains("time (hours)"));
    }

    #[test]
    fn flat_steps_are_not_drawn() {
        let chart = LineChart {
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series: vec![Series {
                name: "s".into(),
                points: vec![(0.0, 1.0), (1.0, 1.0), (2.0, 1.0), (3.0, 2.0), (4.0, 2.0)],
                step: true,
            }],
            markers: Vec::new(),
            x_range: Some((0.0, 4.0)),
            y_range: Some((0.0, 2.0)),
            y_percent: false,
        };
        let svg = chart.render(200.0);
        let d = svg.split(r#"class="series" d=""#).nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(d.matches('H').count(), 2, "{d}");
    }

    #[test]
    fn whisker_places_mean_and_interval_on_the_shared_scale() {
        let svg = whisker(5.0, Some((0.0, 10.0)), (-10.0, 10.0));
        // 0 maps to the middle of 4..136, 10 to the right end.
        assert!(svg.contains(r#"<line x1="70" y1="0""#), "{svg}");
        assert!(svg.contains(r#"x1="70" y1="7" x2="136""#), "{svg}");
        assert!(svg.contains(r#"cx="103""#), "{svg}");
        // A degenerate domain still draws.
        assert!(whisker(3.0, None, (3.0, 3.0)).contains(r#"cx="70""#));
    }

    #[test]
    fn cdf_is_a_sorted_step_to_one() {
        let s = cdf_series("x", &[3.0, 1.0, 2.0, f64::NAN]);
        assert_eq!(s.points, vec![(1.0, 0.0), (1.0, 1.0 / 3.0), (2.0, 2.0 / 3.0), (3.0, 1.0)]);
        assert_eq!(s.name, "x (n=3)");
        assert!(cdf_series("e", &[]).points.is_empty());
    }

    #[test]
    fn packing_blocks_stack_to_their_share() {
        let svg = packing(
            "p",
            &[
                PackColumn {
                    node: "n<1>".into(),
                    capacity: 4.0,
                    blocks: vec![("a".into(), 1.0, 0), ("b".into(), 1.0, 1)],
                    fault: None,
                },
                PackColumn {
                    node: "n2".into(),
                    capacity: 4.0,
                    blocks: Vec::new(),
                    fault: Some("node-failure n2".into()),
                },
            ],
        );
        assert_eq!(svg.matches(r#"class="pod""#).count(), 2);
        assert!(svg.contains("<title>n2: node-failure n2</title>") && svg.contains("#f8d7d7"));
        assert!(svg.contains("50%") && svg.contains("n&lt;1&gt;"));
        // A quarter of the 180-pixel column each.
        assert!(svg.contains(r#"height="45""#));
    }
}
