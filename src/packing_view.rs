//! The "Tetris picture": which pods sit on which node, by their requests, at a chosen instant.
//!
//! A run records its placements as intervals (`packing.csv`, see `docs/metrics.md`): every
//! node slot with the time it was added and removed and its allocatable, every bound pod with
//! its node, the time it was bound and the time it stopped holding its requests. A pod is
//! bound at most once in Kubernetes, so one interval per pod is the whole history, and the
//! file costs about as much as `pods.csv`. From it, [`Placements::at`] rebuilds the nodes'
//! columns at any instant, which `kubesim report` draws as SVG and `kubesim run
//! --show-packing` as text ([`ascii`]).
//!
//! Everything here is pure: strings in, strings out; times are integer microseconds.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::api::resources::{GpuRequest, gpu};
use crate::engine::Simulation;
use crate::kernel::SimTime;
use crate::output::{CsvRows, secs};

/// A node slot's life and allocatable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSpan {
    pub name: String,
    pub added: SimTime,
    pub removed: Option<SimTime>,
    pub cpu_millis: i64,
    pub memory_bytes: i64,
    /// GPU devices × 1000 (`nvidia.com/gpu`); 0 without GPUs.
    pub gpu_milli: i64,
}

/// A bound pod's stay on its node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodSpan {
    /// `NS/NAME`.
    pub name: String,
    /// The controlling owner (`replicaset/web-5d4f8c7b9`), empty for a bare pod.
    pub owner: String,
    pub node: String,
    pub bound: SimTime,
    /// When it stopped holding its requests (terminal phase or removed); `None` if never.
    pub released: Option<SimTime>,
    pub cpu_millis: i64,
    pub memory_bytes: i64,
    /// Whole GPUs × 1000, or the share of one (`kubesim.io/gpu-milli`).
    pub gpu_milli: i64,
}

/// Every placement of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Placements {
    pub nodes: Vec<NodeSpan>,
    pub pods: Vec<PodSpan>,
}

/// One node at an instant: its allocatable and the pods on it, in binding order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column<'a> {
    pub node: &'a NodeSpan,
    pub pods: Vec<&'a PodSpan>,
}

impl Column<'_> {
    pub fn cpu_requested_millis(&self) -> i64 {
        self.pods.iter().map(|p| p.cpu_millis).sum()
    }
    pub fn memory_requested_bytes(&self) -> i64 {
        self.pods.iter().map(|p| p.memory_bytes).sum()
    }
    pub fn gpu_requested_milli(&self) -> i64 {
        self.pods.iter().map(|p| p.gpu_milli).sum()
    }
}

/// The header of `packing.csv`.
pub const HEADER: &str = "kind,name,node,start_s,end_s,cpu_m,memory_bytes,gpu_milli,owner";

fn alive(start: SimTime, end: Option<SimTime>, t: SimTime) -> bool {
    start <= t && end.is_none_or(|e| e > t)
}

/// A `packing.csv` pod row, borrowed from a [`PodSpan`] or straight from the store: names as
/// `(first, Some(second))` for `first/second`, or whole.
struct PodRow<'a> {
    name: (&'a str, Option<&'a str>),
    owner: (&'a str, Option<&'a str>),
    node: &'a str,
    bound: SimTime,
    released: Option<SimTime>,
    cpu_millis: i64,
    memory_bytes: i64,
    gpu_milli: i64,
}

impl<'a> PodRow<'a> {
    fn of(p: &'a PodSpan) -> PodRow<'a> {
        PodRow {
            name: (&p.name, None),
            owner: (&p.owner, None),
            node: &p.node,
            bound: p.bound,
            released: p.released,
            cpu_millis: p.cpu_millis,
            memory_bytes: p.memory_bytes,
            gpu_milli: p.gpu_milli,
        }
    }

    fn span(&self) -> PodSpan {
        let joined = |(first, second): (&str, Option<&str>)| match second {
            Some(second) => format!("{first}/{second}"),
            None => first.to_string(),
        };
        PodSpan {
            name: joined(self.name),
            owner: joined(self.owner),
            node: self.node.to_string(),
            bound: self.bound,
            released: self.released,
            cpu_millis: self.cpu_millis,
            memory_bytes: self.memory_bytes,
            gpu_milli: self.gpu_milli,
        }
    }
}

/// The node rows of a run, in node-id order.
fn node_spans(sim: &Simulation) -> impl Iterator<Item = NodeSpan> + '_ {
    let store = sim.store();
    store.node_slots().map(move |id| {
        let n = store.node(id);
        NodeSpan {
            name: n.meta.name.clone(),
            added: n.meta.creation_timestamp,
            removed: store.node_removed_at(id),
            cpu_millis: n.allocatable_resources.milli_cpu,
            memory_bytes: n.allocatable_resources.memory,
            gpu_milli: (n.allocatable_resources.gpu_devices() as i64).saturating_mul(gpu::MILLI_PER_DEVICE),
        }
    })
}

/// The pod rows of a run: every pod ever bound, in creation order.
fn pod_rows(sim: &Simulation) -> impl Iterator<Item = PodRow<'_>> + '_ {
    let store = sim.store();
    store.pod_entries().filter_map(move |pod| {
        let node = pod.node()?;
        let spec = pod.spec();
        Some(PodRow {
            name: (pod.namespace(), Some(pod.name())),
            owner: pod.controller().map_or(("", None), |(kind, name)| (kind.resource(), Some(name))),
            node: &store.node(node).meta.name,
            bound: pod.scheduled_at().unwrap_or(pod.created()),
            released: pod.finished_at(),
            cpu_millis: spec.requests.milli_cpu,
            memory_bytes: spec.requests.memory,
            gpu_milli: {
                let (devices, milli) = GpuRequest::of(&spec.requests).per_device();
                i64::from(devices).saturating_mul(milli)
            },
        })
    })
}

/// Writes `packing.csv`: the header, node rows, then pod rows.
fn write_rows<'p, N: Borrow<NodeSpan>>(
    out: &mut dyn std::io::Write,
    nodes: impl IntoIterator<Item = N>,
    pods: impl IntoIterator<Item = PodRow<'p>>,
) -> std::io::Result<()> {
    let mut w = CsvRows::new(out, HEADER.split(','))?;
    for n in nodes {
        let n = n.borrow();
        w.str("node")?;
        w.str(&n.name)?;
        w.str(&n.name)?;
        w.secs(n.added)?;
        w.opt_secs(n.removed)?;
        w.int(n.cpu_millis)?;
        w.int(n.memory_bytes)?;
        w.int(n.gpu_milli)?;
        w.str("")?;
        w.end()?;
    }
    for p in pods {
        w.str("pod")?;
        w.joined(p.name.0, p.name.1)?;
        w.str(p.node)?;
        w.secs(p.bound)?;
        w.opt_secs(p.released)?;
        w.int(p.cpu_millis)?;
        w.int(p.memory_bytes)?;
        w.int(p.gpu_milli)?;
        w.joined(p.owner.0, p.owner.1)?;
        w.end()?;
    }
    w.flush()
}

impl Placements {
    /// The placements of a (finished) simulation: node slots in creation order, bound pods in
    /// creation order.
    pub fn from_sim(sim: &Simulation) -> Placements {
        Placements { nodes: node_spans(sim).collect(), pods: pod_rows(sim).map(|p| p.span()).collect() }
    }

    /// `packing.csv`: node rows, then pod rows.
    pub fn to_csv(&self) -> String {
        let mut out = Vec::new();
        write_rows(&mut out, &self.nodes, self.pods.iter().map(PodRow::of)).expect("in memory");
        String::from_utf8(out).expect("utf-8")
    }

    /// Writes the `packing.csv` of `sim` to `out` row by row, each placement made as it is
    /// written: a million-pod run's placements are never held beside the run.
    pub fn write_csv_of(sim: &Simulation, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        write_rows(out, node_spans(sim), pod_rows(sim))
    }

    /// Reads `packing.csv`; the error names the line and what is wrong with it.
    pub fn parse_csv(text: &str) -> Result<Placements, String> {
        let mut r = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
        let header = r.headers().map_err(|e| format!("line 1: {e}"))?.clone();
        if header.iter().collect::<Vec<_>>().join(",") != HEADER {
            return Err(format!("line 1: expected the header {HEADER}"));
        }
        let mut out = Placements::default();
        for (i, record) in r.records().enumerate() {
            let line = i + 2;
            let rec = record.map_err(|e| format!("line {line}: {e}"))?;
            let field = |k: usize| rec.get(k).unwrap_or("");
            let time = |k: usize, name: &str| {
                parse_secs(field(k))
                    .ok_or_else(|| format!("line {line}: {name} {:?} is not a time in seconds", field(k)))
            };
            let opt_time = |k: usize, name: &str| if field(k).is_empty() { Ok(None) } else { time(k, name).map(Some) };
            let int = |k: usize, name: &str| {
                field(k).parse::<i64>().map_err(|_| format!("line {line}: {name} {:?} is not an integer", field(k)))
            };
            match field(0) {
                "node" => out.nodes.push(NodeSpan {
                    name: field(1).to_string(),
                    added: time(3, "start_s")?,
                    removed: opt_time(4, "end_s")?,
                    cpu_millis: int(5, "cpu_m")?,
                    memory_bytes: int(6, "memory_bytes")?,
                    gpu_milli: int(7, "gpu_milli")?,
                }),
                "pod" => out.pods.push(PodSpan {
                    name: field(1).to_string(),
                    owner: field(8).to_string(),
                    node: field(2).to_string(),
                    bound: time(3, "start_s")?,
                    released: opt_time(4, "end_s")?,
                    cpu_millis: int(5, "cpu_m")?,
                    memory_bytes: int(6, "memory_bytes")?,
                    gpu_milli: int(7, "gpu_milli")?,
                }),
                other => return Err(format!("line {line}: kind {other:?} is neither node nor pod")),
            }
        }
        Ok(out)
    }

    /// The nodes that exist at `t`, in slot order, each with the pods that hold requests on it
    /// at `t`. A pod whose node name matches several slots over time goes to the slot alive
    /// at `t`.
    pub fn at(&self, t: SimTime) -> Vec<Column<'_>> {
        let mut columns: Vec<Column<'_>> = self
            .nodes
            .iter()
            .filter(|n| alive(n.added, n.removed, t))
            .map(|node| Column { node, pods: Vec::new() })
            .collect();
        let index: BTreeMap<&str, usize> = columns.iter().enumerate().map(|(i, c)| (c.node.name.as_str(), i)).collect();
        for p in &self.pods {
            if alive(p.bound, p.released, t)
                && let Some(&i) = index.get(p.node.as_str())
            {
                columns[i].pods.push(p);
            }
        }
        for c in &mut columns {
            // Binding order, then file order (the sort is stable).
            c.pods.sort_by_key(|p| p.bound);
        }
        columns
    }

    /// The workloads (owners; a bare pod is its own) in order of first appearance, for
    /// colours and legends.
    pub fn workloads(&self) -> Vec<&str> {
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for p in &self.pods {
            let key = workload_of(p);
            if seen.insert(key) {
                out.push(key);
            }
        }
        out
    }
}

/// The workload a pod is drawn as: its owner, or the pod itself when bare.
pub fn workload_of(p: &PodSpan) -> &str {
    if p.owner.is_empty() { &p.name } else { &p.owner }
}

/// Seconds as printed in the outputs (`630`, `630.1`, up to six decimals) to a time, exactly;
/// `None` for anything else (negative, more decimals, not a number).
pub fn parse_secs(s: &str) -> Option<SimTime> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 6 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || (s.contains('.') && frac.is_empty()) {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    let frac_micros: u64 = if frac.is_empty() { 0 } else { format!("{frac:0<6}").parse().ok()? };
    whole.checked_mul(1_000_000)?.checked_add(frac_micros).map(SimTime::from_micros)
}

/// Symbols for workloads in the text picture: a letter each (a pod's segment alternates upper
/// and lower case so that neighbours of one workload stay apart), `#` once they run out.
fn symbol(workload_index: usize, alternate: bool) -> char {
    match u8::try_from(workload_index) {
        Ok(i) if i < 26 => {
            let c = (b'A' + i) as char;
            if alternate { c.to_ascii_lowercase() } else { c }
        }
        _ => {
            if alternate {
                '+'
            } else {
                '#'
            }
        }
    }
}

/// One bar of `width` cells: each pod a segment proportional to its request, rounded so that
/// the segments add up (a pod smaller than half a cell may vanish).
fn bar(
    pods: &[&PodSpan],
    capacity: i64,
    width: usize,
    amount: impl Fn(&PodSpan) -> i64,
    sym: &dyn Fn(&PodSpan, bool) -> char,
) -> String {
    let mut cells = vec!['.'; width];
    if capacity > 0 {
        let mut before: i128 = 0;
        let mut previous: Option<&str> = None;
        let mut alternate = false;
        for p in pods {
            let a = i128::from(amount(p).max(0));
            // Both ends rounded the same way, so that segments never overlap.
            let cell = |amount: i128| {
                ((amount * width as i128 + i128::from(capacity) / 2) / i128::from(capacity)).min(width as i128) as usize
            };
            let start = cell(before);
            before += a;
            let end = cell(before);
            let w = workload_of(p);
            alternate = previous == Some(w) && !alternate;
            previous = Some(w);
            for cell in cells.iter_mut().take(end).skip(start) {
                *cell = sym(p, alternate);
            }
        }
    }
    cells.into_iter().collect()
}

fn percent(requested: i64, allocatable: i64) -> String {
    if allocatable <= 0 {
        return "  -".to_string();
    }
    let (r, a) = (i128::from(requested.max(0)), i128::from(allocatable));
    format!("{:>3}", ((r * 200 + a) / (2 * a)).min(999))
}

/// Most nodes the text picture shows.
pub const MAX_ROWS: usize = 40;

/// The text picture at `t`: one row per node with a cpu bar and a memory bar (requests over
/// allocatable), each pod a run of its workload's letter; at most [`MAX_ROWS`] nodes, at most
/// 100 columns wide, then a legend.
pub fn ascii(placements: &Placements, t: SimTime) -> String {
    let columns = placements.at(t);
    // A third bar for GPUs when a shown node has some; the bars narrow to keep 100 columns.
    let gpus = columns.iter().take(MAX_ROWS).any(|c| c.node.gpu_milli > 0);
    let (name_width, bar_width) = if gpus { (14, 20) } else { (16, 32) };
    let workloads = placements.workloads();
    let index: BTreeMap<&str, usize> = workloads.iter().enumerate().map(|(i, w)| (*w, i)).collect();
    let sym = |p: &PodSpan, alt: bool| symbol(index.get(workload_of(p)).copied().unwrap_or(usize::MAX), alt);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "packing at {}s: {} node(s), requests / allocatable, one letter per workload",
        secs(t),
        columns.len()
    );
    let mut header = format!("{:<name_width$} {:<w$}  memory", "node", "cpu", w = bar_width + 6);
    if gpus {
        let _ = write!(header, "{:<w$}gpu", "", w = bar_width);
    }
    let _ = writeln!(out, "{header}");
    for c in columns.iter().take(MAX_ROWS) {
        let mut name: String = c.node.name.chars().take(name_width).collect();
        if c.node.name.chars().count() > name_width {
            name.pop();
            name.push('~');
        }
        let cpu = bar(&c.pods, c.node.cpu_millis, bar_width, |p| p.cpu_millis, &sym);
        let mem = bar(&c.pods, c.node.memory_bytes, bar_width, |p| p.memory_bytes, &sym);
        let _ = write!(
            out,
            "{name:<name_width$} [{cpu}]{}%  [{mem}]{}%",
            percent(c.cpu_requested_millis(), c.node.cpu_millis),
            percent(c.memory_requested_bytes(), c.node.memory_bytes)
        );
        if gpus {
            let gpu = bar(&c.pods, c.node.gpu_milli, bar_width, |p| p.gpu_milli, &sym);
            let _ = write!(out, "  [{gpu}]{}%", percent(c.gpu_requested_milli(), c.node.gpu_milli));
        }
        out.push('\n');
    }
    if columns.len() > MAX_ROWS {
        let _ = writeln!(out, "... and {} more node(s) not shown", columns.len() - MAX_ROWS);
    }
    // The legend: only workloads with a pod on a shown node.
    let mut shown: Vec<usize> = columns
        .iter()
        .take(MAX_ROWS)
        .flat_map(|c| c.pods.iter().filter_map(|p| index.get(workload_of(p)).copied()))
        .collect();
    shown.sort_unstable();
    shown.dedup();
    let mut line = String::new();
    for (n, i) in shown.iter().enumerate() {
        if *i >= 26 {
            let _ = write!(line, "  #=other ({})", shown.len() - n);
            break;
        }
        let entry = format!("  {}={}", symbol(*i, false), truncate(workloads[*i], 40));
        if line.len() + entry.len() > 98 {
            let _ = writeln!(out, "{line}");
            line.clear();
        }
        line.push_str(&entry);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{line}");
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut t: String = s.chars().take(n - 1).collect();
    t.push('~');
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Placements {
        Placements {
            nodes: vec![
                NodeSpan {
                    name: "n1".into(),
                    added: SimTime::ZERO,
                    removed: None,
                    cpu_millis: 4000,
                    memory_bytes: 8 << 30,
                    gpu_milli: 0,
                },
                NodeSpan {
                    name: "n2".into(),
                    added: SimTime::ZERO,
                    removed: Some(SimTime::from_secs(100)),
                    cpu_millis: 2000,
                    memory_bytes: 4 << 30,
                    gpu_milli: 0,
                },
            ],
            pods: vec![
                PodSpan {
                    name: "default/web-a".into(),
                    owner: "replicaset/web-1".into(),
                    node: "n1".into(),
                    bound: SimTime::from_secs(1),
                    released: None,
                    cpu_millis: 1000,
                    memory_bytes: 1 << 30,
                    gpu_milli: 0,
                },
                PodSpan {
                    name: "default/web-b".into(),
                    owner: "replicaset/web-1".into(),
                    node: "n1".into(),
                    bound: SimTime::from_secs(2),
                    released: Some(SimTime::from_secs(50)),
                    cpu_millis: 1000,
                    memory_bytes: 1 << 30,
                    gpu_milli: 0,
                },
                PodSpan {
                    name: "default/solo".into(),
                    owner: String::new(),
                    node: "n2".into(),
                    bound: SimTime::from_secs(3),
                    released: None,
                    cpu_millis: 500,
                    memory_bytes: 1 << 30,
                    gpu_milli: 0,
                },
            ],
        }
    }

    #[test]
    fn seconds_round_trip_exactly() {
        assert_eq!(parse_secs("630.1"), Some(SimTime::from_micros(630_100_000)));
        assert_eq!(parse_secs("0.000001"), Some(SimTime::from_micros(1)));
        assert_eq!(parse_secs("12"), Some(SimTime::from_secs(12)));
        for bad in ["", "-1", "1.", ".5", "1.0000001", "1e3", "x", "99999999999999999999"] {
            assert_eq!(parse_secs(bad), None, "{bad}");
        }
    }

    #[test]
    fn csv_round_trips() {
        let p = sample();
        let text = p.to_csv();
        assert!(text.starts_with(HEADER));
        assert_eq!(Placements::parse_csv(&text).unwrap(), p);
    }

    #[test]
    fn bad_csv_names_the_line() {
        let e = Placements::parse_csv("kind,name\n").unwrap_err();
        assert!(e.starts_with("line 1"), "{e}");
        let text = format!("{HEADER}\nnode,n1,n1,zero,,1,1,0,\n");
        let e = Placements::parse_csv(&text).unwrap_err();
        assert!(e.contains("line 2") && e.contains("start_s"), "{e}");
        let text = format!("{HEADER}\nvm,n1,n1,0,,1,1,0,\n");
        assert!(Placements::parse_csv(&text).unwrap_err().contains("line 2"));
    }

    #[test]
    fn columns_follow_time() {
        let p = sample();
        let at10 = p.at(SimTime::from_secs(10));
        assert_eq!(at10.len(), 2);
        assert_eq!(at10[0].pods.len(), 2);
        assert_eq!(at10[0].cpu_requested_millis(), 2000);
        let at60 = p.at(SimTime::from_secs(60));
        assert_eq!(at60[0].pods.len(), 1);
        // n2 is gone at 100 s.
        assert_eq!(p.at(SimTime::from_secs(100)).len(), 1);
        assert!(p.at(SimTime::ZERO)[0].pods.is_empty());
    }

    #[test]
    fn text_picture_is_narrow_and_proportional() {
        let text = ascii(&sample(), SimTime::from_secs(10));
        for line in text.lines() {
            assert!(line.chars().count() <= 100, "{line}");
        }
        // Two 1-cpu pods of one workload on a 4-cpu node: a quarter each, alternating case.
        let n1 = text.lines().find(|l| l.starts_with("n1 ")).unwrap();
        assert!(n1.contains(&format!("[{}{}{}]", "A".repeat(8), "a".repeat(8), ".".repeat(16))), "{n1}");
        assert!(n1.contains(" 50%"), "{n1}");
        assert!(text.contains("A=replicaset/web-1") && text.contains("B=default/solo"), "{text}");
    }

    #[test]
    fn text_picture_has_a_gpu_bar_when_nodes_have_gpus() {
        let mut p = sample();
        p.nodes[0].gpu_milli = 2000;
        p.pods[0].gpu_milli = 500;
        let text = ascii(&p, SimTime::from_secs(10));
        assert!(text.lines().nth(1).unwrap().ends_with("gpu"), "{text}");
        let n1 = text.lines().find(|l| l.starts_with("n1 ")).unwrap();
        assert!(n1.ends_with(&format!("[{}{}] 25%", "A".repeat(5), ".".repeat(15))), "{n1}");
        assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    }

    #[test]
    fn text_picture_truncates_large_clusters() {
        let mut p = Placements::default();
        for i in 0..(MAX_ROWS + 5) {
            p.nodes.push(NodeSpan {
                name: format!("node-with-a-very-long-name-{i}"),
                added: SimTime::ZERO,
                removed: None,
                cpu_millis: 1000,
                memory_bytes: 1000,
                gpu_milli: 0,
            });
        }
        let text = ascii(&p, SimTime::ZERO);
        assert!(text.contains("and 5 more node(s) not shown"), "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 100));
    }
}
