//! `kubesim report`: one self-contained HTML page (`report.html`) from the output files of a
//! run (`kubesim run --out DIR`) or of a comparison (`compare.csv`): utilisation and pending
//! pods over time with the faults marked, recovery timelines, time below desired, latency CDFs,
//! the packing picture at chosen instants, the comparison table and the checks.
//!
//! Pure: the caller reads the files into [`Inputs`]; [`render`] returns the page or an
//! [`InputError`] naming the file that is missing or malformed. The page has no external
//! resources (inline CSS and SVG, a few lines of inline script that only report errors), and
//! the same inputs give the same bytes. Everything that comes from a scenario is escaped.

pub mod svg;

use std::fmt::Write as _;

use crate::kernel::SimTime;
use crate::packing_view::{Placements, workload_of};
use crate::report::svg::{LineChart, Marker, PackColumn, Series, TimelineRow, escape};

/// The contents of the files of a results directory (`None`: absent).
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    pub summary: Option<String>,
    pub timeseries: Option<String>,
    pub pods: Option<String>,
    pub faults: Option<String>,
    pub availability: Option<String>,
    pub packing: Option<String>,
    pub compare: Option<String>,
}

/// The file names, as in the results directory.
pub const SUMMARY: &str = "summary.json";
pub const TIMESERIES: &str = "timeseries.csv";
pub const PODS: &str = "pods.csv";
pub const FAULTS: &str = "faults.csv";
pub const AVAILABILITY: &str = "availability.csv";
pub const PACKING: &str = "packing.csv";
pub const COMPARE: &str = "compare.csv";

/// A missing or malformed input, by file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub file: &'static str,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

fn err(file: &'static str, message: impl Into<String>) -> InputError {
    InputError { file, message: message.into() }
}

/// A CSV file with a header, read as text cells.
struct Table {
    file: &'static str,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn parse(file: &'static str, text: &str) -> Result<Table, InputError> {
        let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        let header: Vec<String> =
            r.headers().map_err(|e| err(file, format!("line 1: {e}")))?.iter().map(str::to_string).collect();
        if header.iter().all(|h| h.is_empty()) {
            return Err(err(file, "empty file (no header line)"));
        }
        let mut rows = Vec::new();
        for (i, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| err(file, format!("line {}: {e}", i + 2)))?;
            rows.push(rec.iter().map(str::to_string).collect());
        }
        Ok(Table { file, header, rows })
    }

    fn col(&self, name: &str) -> Result<usize, InputError> {
        self.header.iter().position(|h| h == name).ok_or_else(|| err(self.file, format!("no column {name:?}")))
    }

    /// The cell at (`row`, `col`) as a number; `None` when empty.
    fn num(&self, row: usize, col: usize) -> Result<Option<f64>, InputError> {
        let cell = self.rows[row].get(col).map_or("", String::as_str);
        if cell.is_empty() {
            return Ok(None);
        }
        match cell.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => {
                Err(err(self.file, format!("line {}: column {}: {cell:?} is not a number", row + 2, self.header[col])))
            }
        }
    }

    fn text(&self, row: usize, col: usize) -> &str {
        self.rows[row].get(col).map_or("", String::as_str)
    }
}

/// What the page header shows from `summary.json`.
struct Summary {
    scenario: String,
    file: String,
    version: String,
    seed: String,
    digest: String,
    sim_time_s: f64,
    checks: Vec<(String, String, String, String)>,
    stopped_early: Option<String>,
    mttr_s: Option<f64>,
}

fn parse_summary(text: &str) -> Result<Summary, InputError> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| err(SUMMARY, format!("not JSON: {e}")))?;
    let obj = v.as_object().ok_or_else(|| err(SUMMARY, "not a JSON object"))?;
    let s = |k: &str| obj.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let sim_time_s = obj
        .get("sim_time_s")
        .and_then(serde_json::Value::as_f64)
        .ok_or_else(|| err(SUMMARY, "no number \"sim_time_s\""))?;
    let checks = obj
        .get("checks")
        .and_then(|c| c.as_array())
        .map(|a| {
            a.iter()
                .map(|c| {
                    let f = |k: &str| match c.get(k) {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(x) => x.to_string(),
                        None => String::new(),
                    };
                    (f("at_s"), f("expect"), f("result"), f("actual"))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Summary {
        scenario: s("scenario"),
        file: s("file"),
        version: s("version"),
        seed: obj.get("seed").map(|x| x.to_string()).unwrap_or_default(),
        digest: s("digest"),
        sim_time_s,
        checks,
        stopped_early: obj.get("stopped_early").and_then(|x| x.as_str()).map(str::to_string),
        mttr_s: obj.get("faults").and_then(|f| f.get("mttr_s")).and_then(serde_json::Value::as_f64),
    })
}

/// One fault of `faults.csv`.
struct Fault {
    start: f64,
    end: Option<f64>,
    recovered: Option<f64>,
    kind: String,
    target: String,
    source: String,
    pods_hit: String,
}

impl Fault {
    fn label(&self) -> String {
        format!("{} {}", self.kind, self.target)
    }
}

fn parse_faults(text: &str) -> Result<Vec<Fault>, InputError> {
    let t = Table::parse(FAULTS, text)?;
    let (start, end, rec, kind, target, source, hit) = (
        t.col("start_s")?,
        t.col("end_s")?,
        t.col("recovered_s")?,
        t.col("kind")?,
        t.col("target")?,
        t.col("source")?,
        t.col("pods_hit")?,
    );
    let mut out = Vec::new();
    for i in 0..t.rows.len() {
        out.push(Fault {
            start: t.num(i, start)?.ok_or_else(|| err(FAULTS, format!("line {}: empty start_s", i + 2)))?,
            end: t.num(i, end)?,
            recovered: t.num(i, rec)?,
            kind: t.text(i, kind).to_string(),
            target: t.text(i, target).to_string(),
            source: t.text(i, source).to_string(),
            pods_hit: t.text(i, hit).to_string(),
        });
    }
    Ok(out)
}

const CSS: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1100px}\
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccc}h3{font-size:14px}\
table{border-collapse:collapse;font-size:12px;margin:8px 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}\
td.l,th.l{text-align:left}.pass{color:#2a7f2a}.fail{color:#c62828;font-weight:bold}.note{color:#666;font-size:12px}\
.scroll{overflow-x:auto}code{font-size:12px}svg.chart{display:block;margin:6px 0}.pair{display:flex;flex-wrap:wrap;gap:12px}";

/// The inline script: errors are written into the page (`#js-errors`), and a finished load
/// marks `<body data-rendered>` with the number of charts, which the browser test reads.
const SCRIPT: &str = "var kubesimErrors=[];function kubesimShowErrors(){var p=document.getElementById('js-errors');\
if(p){p.textContent=kubesimErrors.join('\\n');}}\
window.addEventListener('error',function(e){kubesimErrors.push(String(e.message));kubesimShowErrors();});\
window.addEventListener('load',function(){kubesimShowErrors();document.body.setAttribute('data-rendered',String(document.querySelectorAll('svg.chart').length));});";

/// Renders `report.html`. `at` adds instants to the packing pictures (the end of the run and
/// three evenly spaced instants are always drawn).
pub fn render(inputs: &Inputs, at: &[SimTime]) -> Result<String, InputError> {
    if inputs.summary.is_none() && inputs.compare.is_none() {
        return Err(err(
            SUMMARY,
            "missing: the directory holds neither a run's outputs (kubesim run --out DIR) nor compare.csv (kubesim compare)",
        ));
    }
    let summary = inputs.summary.as_deref().map(parse_summary).transpose()?;
    // A run's set is complete when summary.json is there (it is written last).
    let need = |file: &'static str, v: &Option<String>| -> Result<(), InputError> {
        if summary.is_some() && v.is_none() {
            return Err(err(file, "missing (summary.json is there, so the run wrote it: was it deleted?)"));
        }
        Ok(())
    };
    need(TIMESERIES, &inputs.timeseries)?;
    need(PODS, &inputs.pods)?;
    let faults = inputs.faults.as_deref().map(parse_faults).transpose()?.unwrap_or_default();
    let end = summary.as_ref().map_or(0.0, |s| s.sim_time_s);

    let mut head = String::new();
    let title = summary.as_ref().map_or_else(|| "comparison".to_string(), |s| s.scenario.clone());
    let _ = write!(head, "<h1>kubesim report: {}</h1>", escape(&title));
    if let Some(s) = &summary {
        let passed = s.checks.iter().filter(|c| c.2 == "pass").count();
        let _ = write!(
            head,
            "<p>scenario file <code>{}</code>, seed {}, kubesim {}, digest <code>{}</code>; {} s simulated; checks: {} passed, {} failed{}</p>",
            escape(&s.file),
            escape(&s.seed),
            escape(&s.version),
            escape(&s.digest),
            plain(s.sim_time_s),
            passed,
            s.checks.len() - passed,
            s.stopped_early.as_ref().map(|m| format!("; <b>stopped early</b>: {}", escape(m))).unwrap_or_default()
        );
    }
    let mut body = String::new();
    let mut toc = Vec::new();
    if let Some(text) = &inputs.timeseries {
        toc.push(("utilisation", "Utilisation and pending pods"));
        body.push_str(&timeseries_section(text, &faults, end)?);
    }
    if inputs.faults.is_some() {
        toc.push(("recovery", "Faults and recovery"));
        body.push_str(&recovery_section(&faults, end, summary.as_ref().and_then(|s| s.mttr_s)));
    }
    if let Some(text) = &inputs.availability {
        toc.push(("availability", "Availability"));
        body.push_str(&availability_section(text)?);
    }
    if let Some(text) = &inputs.pods {
        toc.push(("latency", "Latency"));
        body.push_str(&latency_section(text)?);
    }
    if let Some(text) = &inputs.packing {
        toc.push(("packing", "Packing"));
        body.push_str(&packing_section(text, end, at, &faults)?);
    } else if summary.is_some() {
        body.push_str("<h2 id=\"packing\">Packing</h2><p class=\"note\">No packing.csv in this directory (runs of kubesim before it was added do not write it).</p>");
    }
    if let Some(text) = &inputs.compare {
        toc.push(("comparison", "Comparison"));
        body.push_str(&compare_section(text)?);
    }
    if let Some(s) = &summary
        && !s.checks.is_empty()
    {
        toc.push(("checks", "Checks"));
        body.push_str(&checks_section(s));
    }
    let mut nav = String::from("<p>");
    for (i, (id, name)) in toc.iter().enumerate() {
        let _ = write!(nav, "{}<a href=\"#{id}\">{name}</a>", if i > 0 { " · " } else { "" });
    }
    nav.push_str("</p>");
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>kubesim report: {}</title><style>{CSS}</style><script>{SCRIPT}</script></head><body>\n",
        escape(&title)
    );
    page.push_str(&head);
    page.push_str(&nav);
    // Script errors land here (the browser test expects it empty).
    page.push_str("<pre id=\"js-errors\" class=\"fail\"></pre>");
    page.push_str(&body);
    page.push_str("\n</body></html>\n");
    Ok(page)
}

fn timeseries_section(text: &str, faults: &[Fault], end: f64) -> Result<String, InputError> {
    let t = Table::parse(TIMESERIES, text)?;
    let time = t.col("time_s")?;
    let mut times = Vec::with_capacity(t.rows.len());
    for i in 0..t.rows.len() {
        times.push(t.num(i, time)?.ok_or_else(|| err(TIMESERIES, format!("line {}: empty time_s", i + 2)))?);
    }
    // Utilisation: each `<r>_requested` with its `<r>_allocatable` (cpu, memory, then the
    // extended resources such as nvidia.com/gpu in column order).
    let mut util = Vec::new();
    let pairs: Vec<(String, usize, usize)> = {
        let mut v = vec![
            ("cpu".to_string(), t.col("cpu_requested_m")?, t.col("cpu_allocatable_m")?),
            ("memory".to_string(), t.col("memory_requested_bytes")?, t.col("memory_allocatable_bytes")?),
        ];
        for (i, h) in t.header.iter().enumerate() {
            if let Some(name) = h.strip_suffix("_requested")
                && let Ok(a) = t.col(&format!("{name}_allocatable"))
            {
                v.push((name.to_string(), i, a));
            }
        }
        v
    };
    for (name, r, a) in &pairs {
        let mut points = Vec::new();
        for (i, x) in times.iter().enumerate() {
            let (req, alloc) = (t.num(i, *r)?.unwrap_or(0.0), t.num(i, *a)?.unwrap_or(0.0));
            points.push((*x, if alloc > 0.0 { req / alloc } else { 0.0 }));
        }
        util.push(Series { name: name.clone(), points, step: true });
    }
    let x_end = times.last().copied().unwrap_or(0.0).max(end);
    let (unit, unit_name) = time_unit(x_end);
    let x_range = Some((0.0, if x_end > 0.0 { x_end / unit } else { 1.0 }));
    for s in &mut util {
        s.points.iter_mut().for_each(|p| p.0 /= unit);
    }
    let markers = || -> Vec<Marker> {
        faults
            .iter()
            .map(|f| Marker { start: f.start / unit, end: f.end.map(|e| e / unit), label: f.label() })
            .collect()
    };
    let y_max = util.iter().flat_map(|s| s.points.iter().map(|p| p.1)).fold(1.0f64, f64::max);
    let chart = LineChart {
        title: "Requested ÷ allocatable".into(),
        x_label: format!("time ({unit_name})"),
        y_label: "utilisation".into(),
        series: util,
        markers: markers(),
        x_range,
        y_range: Some((0.0, y_max)),
        y_percent: true,
    };
    let mut pending = Vec::new();
    let mut ready = Vec::new();
    let (p, r) = (t.col("pods_pending")?, t.col("pods_ready")?);
    for (i, x) in times.iter().enumerate() {
        pending.push((*x / unit, t.num(i, p)?.unwrap_or(0.0)));
        ready.push((*x / unit, t.num(i, r)?.unwrap_or(0.0)));
    }
    let pods = LineChart {
        title: "Pending and ready pods".into(),
        x_label: format!("time ({unit_name})"),
        y_label: "pods".into(),
        series: vec![
            Series { name: "pending".into(), points: pending, step: true },
            Series { name: "ready".into(), points: ready, step: true },
        ],
        markers: markers(),
        x_range,
        y_range: None,
        y_percent: false,
    };
    // Nodes in use and stranded capacity (fragmentation), when the run wrote those columns.
    let mut nodes_chart = String::new();
    if let (Ok(nodes), Ok(used)) = (t.col("nodes"), t.col("nodes_used")) {
        let mut series = vec![
            Series { name: "nodes".into(), points: Vec::new(), step: true },
            Series { name: "nodes used".into(), points: Vec::new(), step: true },
        ];
        for (i, x) in times.iter().enumerate() {
            series[0].points.push((*x / unit, t.num(i, nodes)?.unwrap_or(0.0)));
            series[1].points.push((*x / unit, t.num(i, used)?.unwrap_or(0.0)));
        }
        nodes_chart.push_str(
            &LineChart {
                title: "Nodes and nodes used".into(),
                x_label: format!("time ({unit_name})"),
                y_label: "nodes".into(),
                series,
                markers: markers(),
                x_range,
                y_range: None,
                y_percent: false,
            }
            .render(240.0),
        );
        let stranded = [
            ("cpu", "cpu_stranded_m", "cpu_allocatable_m"),
            ("memory", "memory_stranded_bytes", "memory_allocatable_bytes"),
        ];
        let mut series = Vec::new();
        for (name, s_col, a_col) in stranded {
            if let (Ok(sc), Ok(ac)) = (t.col(s_col), t.col(a_col)) {
                let mut points = Vec::new();
                for (i, x) in times.iter().enumerate() {
                    let (v, a) = (t.num(i, sc)?.unwrap_or(0.0), t.num(i, ac)?.unwrap_or(0.0));
                    points.push((*x / unit, if a > 0.0 { v / a } else { 0.0 }));
                }
                series.push(Series { name: format!("{name} stranded"), points, step: true });
            }
        }
        // GPU fragmentation (the FGD paper's), when the cluster has GPU devices.
        if let (Ok(fc), Ok(free)) = (t.col("gpu_fragmented_milli"), t.col("gpu_free_milli")) {
            let mut points = Vec::new();
            for (i, x) in times.iter().enumerate() {
                let (v, a) = (t.num(i, fc)?.unwrap_or(0.0), t.num(i, free)?.unwrap_or(0.0));
                points.push((*x / unit, if a > 0.0 { v / a } else { 0.0 }));
            }
            series.push(Series { name: "gpu fragmented ÷ free".into(), points, step: true });
        }
        if !series.is_empty() {
            let y_max = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).fold(0.05f64, f64::max);
            nodes_chart.push_str(
                &LineChart {
                    title: "Stranded ÷ allocatable".into(),
                    x_label: format!("time ({unit_name})"),
                    y_label: "stranded".into(),
                    series,
                    markers: markers(),
                    x_range,
                    y_range: Some((0.0, y_max)),
                    y_percent: true,
                }
                .render(240.0),
            );
        }
    }
    Ok(format!(
        "<h2 id=\"utilisation\">Utilisation and pending pods</h2><p class=\"note\">From timeseries.csv ({} samples): requests of bound, non-terminal pods over the allocatable of the existing nodes. Red: faults from faults.csv, a dashed line at the start, shaded until the end. Then, when the run wrote them, nodes used, stranded capacity (free cpu or memory that no pending pod fits) and, with GPU devices, the share of free GPU that is fragmented.</p>{}{}",
        times.len(),
        chart.render(300.0),
        pods.render(260.0)
    ) + &nodes_chart)
}

/// Most faults drawn as timeline rows.
const MAX_TIMELINE_ROWS: usize = 60;

/// A number as in the CSV outputs: integers bare, others with up to six decimals.
fn plain(x: f64) -> String {
    crate::compare::cell(Some(x))
}

/// The unit of a time axis reaching `end_s` seconds: seconds up to two hours, hours up to two
/// days, then days.
pub fn time_unit(end_s: f64) -> (f64, &'static str) {
    if end_s > 2.0 * 86400.0 {
        (86400.0, "days")
    } else if end_s > 7200.0 {
        (3600.0, "hours")
    } else {
        (1.0, "s")
    }
}

fn recovery_section(faults: &[Fault], end: f64, mttr: Option<f64>) -> String {
    let mut out = String::from("<h2 id=\"recovery\">Faults and recovery</h2>");
    if faults.is_empty() {
        out.push_str("<p class=\"note\">No faults were injected (faults.csv has no rows).</p>");
        return out;
    }
    let x_end = faults.iter().flat_map(|f| [Some(f.start), f.end, f.recovered]).flatten().fold(end, f64::max);
    let (unit, unit_name) = time_unit(x_end);
    let rows: Vec<TimelineRow> = faults
        .iter()
        .take(MAX_TIMELINE_ROWS)
        .map(|f| TimelineRow {
            label: f.label(),
            start: f.start / unit,
            end: f.end.map(|e| e / unit),
            recovered: f.recovered.map(|r| r / unit),
            tooltip: format!(
                "{} ({}): {} → {}, recovered {}",
                f.label(),
                f.source,
                plain(f.start),
                f.end.map_or("(not within the run)".into(), plain),
                f.recovered.map_or("never / nothing hit".into(), plain)
            ),
        })
        .collect();
    let _ = write!(
        out,
        "<p class=\"note\">One row per fault of faults.csv{}: red from its start to its end, amber until every workload it hit had its desired ready replicas again (green tick). Mean time to recover: {}.</p><div class=\"scroll\">{}</div>",
        if faults.len() > MAX_TIMELINE_ROWS {
            format!(" (the first {MAX_TIMELINE_ROWS} of {}; all are in the table)", faults.len())
        } else {
            String::new()
        },
        mttr.map_or("none recovered".to_string(), |m| format!("{} s", plain(m))),
        svg::timeline(
            "Fault timelines",
            &rows,
            (0.0, if x_end > 0.0 { x_end / unit } else { 1.0 }),
            &format!("time ({unit_name})")
        )
    );
    out.push_str("<table><tr><th>start (s)</th><th class=\"l\">source</th><th class=\"l\">kind</th><th class=\"l\">target</th><th>pods hit</th><th>end (s)</th><th>recovered (s)</th><th>time to recover (s)</th></tr>");
    for f in faults {
        let opt = |v: Option<f64>| v.map(plain).unwrap_or_default();
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            plain(f.start),
            escape(&f.source),
            escape(&f.kind),
            escape(&f.target),
            escape(&f.pods_hit),
            opt(f.end),
            opt(f.recovered),
            opt(f.recovered.map(|r| r - f.start))
        );
    }
    out.push_str("</table>");
    out
}

fn availability_section(text: &str) -> Result<String, InputError> {
    let t = Table::parse(AVAILABILITY, text)?;
    let (kind, name, below, episodes, longest, zero) = (
        t.col("kind")?,
        t.col("name")?,
        t.col("time_below_desired_s")?,
        t.col("episodes")?,
        t.col("longest_episode_s")?,
        t.col("zero_endpoints_s")?,
    );
    let mut rows = Vec::new();
    let mut table = String::from(
        "<table><tr><th class=\"l\">kind</th><th class=\"l\">name</th><th>time below desired (s)</th><th>zero endpoints (s)</th><th>episodes</th><th>longest (s)</th></tr>",
    );
    for i in 0..t.rows.len() {
        let label = format!("{}/{}", t.text(i, kind), t.text(i, name));
        let b = t.num(i, below)?;
        let z = t.num(i, zero)?;
        if let Some(v) = b.or(z) {
            rows.push((label, v));
        }
        let opt = |v: Option<f64>| v.map(plain).unwrap_or_default();
        let _ = write!(
            table,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(t.text(i, kind)),
            escape(t.text(i, name)),
            opt(b),
            opt(z),
            opt(t.num(i, episodes)?),
            opt(t.num(i, longest)?)
        );
    }
    table.push_str("</table>");
    let mut out = String::from("<h2 id=\"availability\">Availability</h2>");
    if rows.is_empty() {
        out.push_str("<p class=\"note\">No workload or Service in availability.csv.</p>");
        return Ok(out);
    }
    let _ = write!(
        out,
        "<p class=\"note\">From availability.csv: per workload the time with fewer ready replicas than desired (after its first full rollout), per Service the time without a ready endpoint.</p>{}{}",
        svg::bars("Time below desired / without endpoints", &rows, "s"),
        table
    );
    Ok(out)
}

fn latency_section(text: &str) -> Result<String, InputError> {
    let t = Table::parse(PODS, text)?;
    let (created, scheduled, ready) = (t.col("created_s")?, t.col("scheduled_s")?, t.col("ready_s")?);
    let (mut sched, mut start) = (Vec::new(), Vec::new());
    for i in 0..t.rows.len() {
        let c = t.num(i, created)?;
        if let (Some(c), Some(s)) = (c, t.num(i, scheduled)?) {
            sched.push(s - c);
        }
        if let (Some(c), Some(r)) = (c, t.num(i, ready)?) {
            start.push(r - c);
        }
    }
    let mut out = String::from("<h2 id=\"latency\">Latency</h2>");
    let _ = write!(
        out,
        "<p class=\"note\">From pods.csv ({} pods): scheduling latency = scheduled_s − created_s ({} pods scheduled), startup latency = ready_s − created_s ({} pods became Ready).</p>",
        t.rows.len(),
        sched.len(),
        start.len()
    );
    let mut table = String::from(
        "<table><tr><th class=\"l\">latency (s)</th><th>n</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>",
    );
    for (name, v) in [("scheduling", &sched), ("startup", &start)] {
        let mut s = v.clone();
        s.sort_by(f64::total_cmp);
        let q = |p: f64| -> String {
            if s.is_empty() {
                return String::new();
            }
            // Nearest rank.
            let k = ((p * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1;
            plain(s[k])
        };
        let _ = write!(
            table,
            "<tr><td class=\"l\">{name}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            s.len(),
            q(0.5),
            q(0.9),
            q(0.99),
            q(1.0)
        );
    }
    table.push_str("</table>");
    let max = sched.iter().chain(&start).copied().fold(0f64, f64::max);
    let chart = LineChart {
        title: "Latency CDFs".into(),
        x_label: "seconds after creation".into(),
        y_label: "fraction of pods".into(),
        series: vec![svg::cdf_series("scheduling", &sched), svg::cdf_series("startup", &start)],
        markers: Vec::new(),
        // A margin on the right, so that a jump at the largest value is not drawn on the edge.
        x_range: Some((0.0, if max > 0.0 { max * 1.05 } else { 1.0 })),
        y_range: Some((0.0, 1.0)),
        y_percent: true,
    };
    out.push_str(&chart.render(280.0));
    out.push_str(&table);
    Ok(out)
}

/// The instants of the packing pictures: three evenly spaced ones, the end, and `at`; sorted,
/// without repeats.
pub fn packing_times(end: SimTime, at: &[SimTime]) -> Vec<SimTime> {
    let e = end.as_micros();
    let mut times: Vec<SimTime> = [e / 4, e / 2, e / 4 * 3, e].into_iter().map(SimTime::from_micros).collect();
    times.extend_from_slice(at);
    times.sort();
    times.dedup();
    times
}

/// The fault holding node `node` at `t` seconds, if any: a fault whose target is the node
/// (a node failure, partition, NotReady condition or removal notice), from its start to its end.
fn node_fault(faults: &[Fault], node: &str, t: f64) -> Option<String> {
    faults
        .iter()
        .filter(|f| f.target == node && f.start <= t && f.end.is_none_or(|e| e > t))
        .find(|f| matches!(f.kind.as_str(), "node-failure" | "partition" | "node-not-ready" | "node-removal"))
        .map(Fault::label)
}

fn packing_section(text: &str, end: f64, at: &[SimTime], faults: &[Fault]) -> Result<String, InputError> {
    let placements = Placements::parse_csv(text).map_err(|m| err(PACKING, m))?;
    let end =
        if end.is_finite() && end > 0.0 { SimTime::from_micros((end * 1e6).round() as u64) } else { SimTime::ZERO };
    // Without a summary, the last instant in the file.
    let end = if end == SimTime::ZERO {
        placements.pods.iter().flat_map(|p| [Some(p.bound), p.released]).flatten().max().unwrap_or(SimTime::ZERO)
    } else {
        end
    };
    let workloads = placements.workloads();
    let colour_index: std::collections::BTreeMap<&str, usize> =
        workloads.iter().enumerate().map(|(i, w)| (*w, i)).collect();
    let colour_of = |w: &str| colour_index.get(w).copied().unwrap_or(0);
    let gpus = placements.nodes.iter().any(|n| n.gpu_milli > 0);
    let mut out = String::from(
        "<h2 id=\"packing\">Packing</h2><p class=\"note\">From packing.csv: one column per node, its height the node's allocatable; each pod a block of its request, coloured by workload (hover for names); a node a fault holds at that instant is red. Columns past ",
    );
    let _ = write!(out, "{} nodes are not drawn.</p>", svg::MAX_PACK_COLUMNS);
    for t in at.iter().filter(|t| **t > end) {
        let _ = write!(
            out,
            "<p class=\"note\">--at {} s is after the end of the run ({} s): not drawn.</p>",
            crate::output::secs(*t),
            crate::output::secs(end)
        );
    }
    let within: Vec<SimTime> = at.iter().copied().filter(|t| *t <= end).collect();
    for t in packing_times(end, &within) {
        let columns = placements.at(t);
        // Resource 0 is cpu, 1 memory, 2 GPUs.
        let build = |resource: usize| -> Vec<PackColumn> {
            columns
                .iter()
                .map(|c| PackColumn {
                    fault: node_fault(faults, &c.node.name, t.as_secs_f64()),
                    node: c.node.name.clone(),
                    capacity: [c.node.cpu_millis, c.node.memory_bytes, c.node.gpu_milli][resource] as f64,
                    blocks: c
                        .pods
                        .iter()
                        .map(|p| {
                            let amount = [p.cpu_millis, p.memory_bytes, p.gpu_milli][resource] as f64;
                            let what = match resource {
                                0 => format!("{}m cpu", p.cpu_millis),
                                1 => format!("{} MiB", p.memory_bytes >> 20),
                                _ => format!("{} GPU", plain(p.gpu_milli as f64 / 1000.0)),
                            };
                            let tip = format!("{} ({}) on {}: {what}", p.name, workload_of(p), p.node);
                            (tip, amount, colour_of(workload_of(p)))
                        })
                        .collect(),
                })
                .collect()
        };
        let pods: usize = columns.iter().map(|c| c.pods.len()).sum();
        let at = crate::output::secs(t);
        let _ = write!(
            out,
            "<h3>at {at} s: {} node(s), {} pod(s){}</h3><div class=\"pair scroll\"><div>cpu{}</div><div>memory{}</div>",
            columns.len(),
            pods,
            if columns.len() > svg::MAX_PACK_COLUMNS { " (truncated)" } else { "" },
            svg::packing(&format!("cpu at {at} s"), &build(0)),
            svg::packing(&format!("memory at {at} s"), &build(1))
        );
        if gpus {
            let _ = write!(out, "<div>GPUs{}</div>", svg::packing(&format!("GPUs at {at} s"), &build(2)));
        }
        out.push_str("</div>");
    }
    out.push_str("<p class=\"note\">Workloads: ");
    for (i, w) in workloads.iter().enumerate().take(60) {
        let _ = write!(
            out,
            "<span style=\"color:{}\">■</span> {}{}",
            svg::color(i),
            escape(w),
            if i + 1 < workloads.len().min(60) { ", " } else { "" }
        );
    }
    if workloads.len() > 60 {
        let _ = write!(out, " and {} more", workloads.len() - 60);
    }
    out.push_str("</p>");
    Ok(out)
}

fn compare_section(text: &str) -> Result<String, InputError> {
    let t = Table::parse(COMPARE, text)?;
    let cols: Vec<usize> = crate::compare::COMPARE_COLUMNS.iter().map(|n| t.col(n)).collect::<Result<_, _>>()?;
    // A sweep's compare.csv has `scenario` and one column per parameter before `policy`.
    let groups: Vec<usize> = (0..cols[0]).collect();
    let mut out = String::from(
        "<h2 id=\"comparison\">Comparison</h2><p class=\"note\">From compare.csv: per policy and metric the mean over seeds with its 95 % confidence interval, and the paired difference against the baseline (the first policy); a difference whose interval excludes 0 is in bold. The pictures show each mean (dot) and interval (whisker) on one scale per metric; the grey line is 0.</p><table><tr><th class=\"l\">metric</th><th class=\"l\">policy</th><th>n</th><th>mean</th><th>sd</th><th>95 % CI</th><th></th><th>diff n</th><th>diff mean</th><th>diff 95 % CI</th><th></th></tr>",
    );
    // Grouped by metric (in first-appearance order), policies in file order.
    let mut metrics: Vec<&str> = Vec::new();
    for i in 0..t.rows.len() {
        let m = t.text(i, cols[1]);
        if !metrics.contains(&m) {
            metrics.push(m);
        }
    }
    for m in metrics {
        let rows: Vec<usize> = (0..t.rows.len()).filter(|&i| t.text(i, cols[1]) == m).collect();
        // One scale per metric for the pictures: every mean and interval of its rows.
        let (mut lo, mut hi, mut dlo, mut dhi) = (f64::INFINITY, f64::NEG_INFINITY, 0f64, 0f64);
        for &i in &rows {
            for k in [3, 5, 6] {
                if let Some(x) = t.num(i, cols[k])? {
                    lo = lo.min(x);
                    hi = hi.max(x);
                }
            }
            for k in [8, 10, 11] {
                if let Some(x) = t.num(i, cols[k])? {
                    dlo = dlo.min(x);
                    dhi = dhi.max(x);
                }
            }
        }
        for i in rows {
            let mut v = Vec::new();
            for &c in &cols[2..] {
                v.push(t.num(i, c)?);
            }
            let f = |x: Option<f64>| x.map(|x| crate::compare::cell(Some(x))).unwrap_or_default();
            let ci = |lo: Option<f64>, hi: Option<f64>| match (lo, hi) {
                (Some(lo), Some(hi)) => format!("[{}, {}]", f(Some(lo)), f(Some(hi))),
                _ => String::new(),
            };
            let significant = matches!((v[8], v[9]), (Some(lo), Some(hi)) if lo > 0.0 || hi < 0.0);
            let diff_ci = ci(v[8], v[9]);
            let picture = |mean: Option<f64>, l: Option<f64>, h: Option<f64>, domain: (f64, f64)| match mean {
                Some(mean) => svg::whisker(mean, l.zip(h), domain),
                None => String::new(),
            };
            let mean_picture = picture(v[1], v[3], v[4], (lo, hi));
            let diff_picture = picture(v[6], v[8], v[9], (dlo, dhi));
            let mut who = t.text(i, cols[0]).to_string();
            for &g in &groups {
                let _ = write!(who, " {}={}", t.header[g], t.text(i, g));
            }
            let _ = write!(
                out,
                "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{mean_picture}</td><td>{}</td><td>{}</td><td>{}</td><td>{diff_picture}</td></tr>",
                escape(m),
                escape(&who),
                f(v[0]),
                f(v[1]),
                f(v[2]),
                ci(v[3], v[4]),
                f(v[5]),
                f(v[6]),
                if significant { format!("<b>{diff_ci}</b>") } else { diff_ci }
            );
        }
    }
    out.push_str("</table>");
    Ok(out)
}

fn checks_section(s: &Summary) -> String {
    let mut out = String::from(
        "<h2 id=\"checks\">Checks</h2><table><tr><th>at (s)</th><th class=\"l\">expect</th><th class=\"l\">result</th><th class=\"l\">actual</th></tr>",
    );
    for (at, expect, result, actual) in &s.checks {
        let class = if result == "pass" { "pass" } else { "fail" };
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"l\"><code>{}</code></td><td class=\"l {class}\">{}</td><td class=\"l\">{}</td></tr>",
            escape(at),
            escape(expect),
            escape(result),
            escape(actual)
        );
    }
    out.push_str("</table>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUMMARY_JSON: &str = r#"{"scenario": "<script>alert(1)</script>", "file": "x.yaml", "version": "0.1.0", "seed": 7,
        "digest": "abc", "sim_time_s": 100.0, "checks": [{"index": 0, "expect": "a < b", "at_s": 10.0, "result": "pass", "actual": "1"}],
        "stopped_early": null, "faults": {"mttr_s": 5.0}}"#;

    fn inputs() -> Inputs {
        Inputs {
            summary: Some(SUMMARY_JSON.into()),
            timeseries: Some("time_s,nodes,nodes_ready,pods_pending,pods_running,pods_ready,pods_terminating,pods_succeeded,pods_failed,cpu_requested_m,cpu_allocatable_m,memory_requested_bytes,memory_allocatable_bytes,api_writes,nodes_used,cpu_stranded_m,memory_stranded_bytes,nvidia.com/gpu_requested,nvidia.com/gpu_allocatable,gpu_free_milli,gpu_fragmented_milli\n0,1,1,2,0,0,0,0,0,0,4000,0,100,5,0,4000,100,0,2,2000,0\n50,1,1,0,2,2,0,0,0,2000,4000,50,100,3,1,0,0,1,2,1000,500\n100,1,1,0,2,2,0,0,0,2000,4000,50,100,0,1,0,0,1,2,1000,500\n".into()),
            pods: Some("namespace,name,owner,node,created_s,scheduled_s,ready_s,finished_s,phase,restarts,reason\ndefault,<img src=x onerror=alert(1)>,,n1,0,1,3,,Running,0,\ndefault,b,,,0,,,,Pending,0,\n".into()),
            faults: Some("start_s,source,kind,target,nodes,pods_hit,pod,repair_s,end_s,recovered_s,time_to_recover_s\n40,scripted,node-failure,<b>n1</b>,1,2,,20,60,65,25\n".into()),
            availability: Some("kind,name,desired,min_ready,time_below_desired_s,episodes,longest_episode_s,zero_endpoints_s,dropped_requests,retries,time_lost_s\ndeployment,default/web,2,0,25,1,25,,,,\n".into()),
            packing: Some(format!("{}\nnode,n1,n1,0,,4000,100,2000,\npod,default/<i>p</i>,n1,1,,1000,25,1000,replicaset/web-1\n", crate::packing_view::HEADER)),
            compare: None,
        }
    }

    #[test]
    fn renders_every_section_and_escapes_names() {
        let html = render(&inputs(), &[SimTime::from_secs(10), SimTime::from_secs(500)]).unwrap();
        assert!(html.contains("--at 500 s is after the end of the run (100 s)"));
        for id in ["utilisation", "recovery", "availability", "latency", "packing", "checks"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(
            !html.contains("<script>alert")
                && !html.contains("<img")
                && !html.contains("<b>n1")
                && !html.contains("<i>p")
        );
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("nvidia.com/gpu"));
        assert!(html.contains("Nodes and nodes used") && html.contains("cpu stranded"));
        assert!(html.contains("gpu fragmented ÷ free"));
        assert!(html.contains("at 10 s") && html.contains("at 100 s"));
        assert!(html.contains("GPUs at 100 s") && html.contains("1 GPU"));
        // No external resources.
        for bad in ["http://", "https://", "src=", "<link"] {
            let without_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
            assert!(!without_ns.contains(bad), "{bad}");
        }
    }

    #[test]
    fn same_inputs_same_bytes() {
        assert_eq!(render(&inputs(), &[]).unwrap(), render(&inputs(), &[]).unwrap());
    }

    #[test]
    fn missing_and_malformed_files_are_named() {
        let mut i = inputs();
        i.timeseries = None;
        assert_eq!(render(&i, &[]).unwrap_err().file, TIMESERIES);
        let mut i = inputs();
        i.summary = Some("{".into());
        assert_eq!(render(&i, &[]).unwrap_err().file, SUMMARY);
        let mut i = inputs();
        i.faults = Some("start_s,source\nx,y\n".into());
        assert_eq!(render(&i, &[]).unwrap_err().file, FAULTS);
        let mut i = inputs();
        i.pods = Some("namespace,name,owner,node,created_s,scheduled_s,ready_s\na,b,,,zero,,\n".into());
        let e = render(&i, &[]).unwrap_err();
        assert!(e.file == PODS && e.message.contains("line 2"), "{e}");
        let mut i = inputs();
        i.packing = Some("nonsense".into());
        assert_eq!(render(&i, &[]).unwrap_err().file, PACKING);
        assert_eq!(render(&Inputs::default(), &[]).unwrap_err().file, SUMMARY);
        // Optional files just drop their section.
        let mut i = inputs();
        i.faults = None;
        i.availability = None;
        i.packing = None;
        let html = render(&i, &[]).unwrap();
        assert!(!html.contains("id=\"recovery\"") && !html.contains("id=\"availability\""));
    }

    #[test]
    fn comparison_alone_is_a_report() {
        let compare = "policy,metric,n,mean,sd,ci95_low,ci95_high,diff_n,diff_mean,diff_sd,diff_ci95_low,diff_ci95_high\n\
            default,pods_created,3,10,1,8,12,,,,,\n<b>x</b>,pods_created,3,12,1,10,14,3,2,0.5,1.5,2.5\n\
            y,pods_created,3,12,1,10,14,3,2,3,-0.5,4.5\n";
        let html = render(&Inputs { compare: Some(compare.into()), ..Inputs::default() }, &[]).unwrap();
        assert!(html.contains("id=\"comparison\"") && html.contains("<b>[1.5, 2.5]</b>"));
        // An interval that holds 0 is not significant.
        assert!(html.contains("<td>[-0.5, 4.5]</td>"), "{html}");
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"));
        let sweep = "scenario,nodes,policy,metric,n,mean,sd,ci95_low,ci95_high,diff_n,diff_mean,diff_sd,diff_ci95_low,diff_ci95_high\n\
            a.yaml,4,default,pods_created,3,10,1,8,12,,,,,\n";
        let html = render(&Inputs { compare: Some(sweep.into()), ..Inputs::default() }, &[]).unwrap();
        assert!(html.contains("default scenario=a.yaml nodes=4"), "{html}");
    }

    proptest::proptest! {
        /// Whatever the files hold, the page is rendered or an error names a file: no panic.
        #[test]
        fn any_input_renders_or_names_a_file(
            which in 0usize..6,
            cells in proptest::collection::vec("[-0-9a-z.,\"<>&e\n]{0,12}", 0..40),
        ) {
            let mut i = inputs();
            let garbage: String = cells.concat();
            // Keep each file's header, so that the rows (not only the header) are exercised.
            let with_header = |text: &Option<String>| {
                let header = text.as_deref().unwrap_or("").lines().next().unwrap_or("").to_string();
                Some(format!("{header}\n{garbage}"))
            };
            match which {
                0 => i.timeseries = with_header(&i.timeseries),
                1 => i.pods = with_header(&i.pods),
                2 => i.faults = with_header(&i.faults),
                3 => i.availability = with_header(&i.availability),
                4 => i.packing = with_header(&i.packing),
                _ => i.summary = Some(garbage.clone()),
            }
            let _ = render(&i, &[SimTime::from_secs(1)]);
        }
    }

    #[test]
    fn long_runs_are_drawn_in_hours_or_days() {
        assert_eq!(time_unit(1800.0), (1.0, "s"));
        assert_eq!(time_unit(86400.0), (3600.0, "hours"));
        assert_eq!(time_unit(30.0 * 86400.0), (86400.0, "days"));
    }

    #[test]
    fn packing_times_include_the_end_and_requested_instants() {
        let t = packing_times(SimTime::from_secs(100), &[SimTime::from_secs(50), SimTime::from_secs(7)]);
        let secs: Vec<u64> = t.iter().map(|t| t.as_secs()).collect();
        assert_eq!(secs, vec![7, 25, 50, 75, 100]);
    }
}
