//! Trace files: the Alibaba GPU trace "openb" (`openb_node_list_*.csv`,
//! `openb_pod_list_*.csv`) and kubesim's generic pod CSV (`arrival_s, cpu_m, memory_mib, ...`),
//! read into plain rows. See `docs/traces.md` for both formats.
//!
//! The reader is a small comma splitter: no quoting (a `"` is an error), blank lines and lines
//! starting with `#` skipped, a header row first. Every malformed row is a [`TraceError`] with
//! its 1-based line and column and a hint; nothing here panics on input.

use std::collections::HashSet;

use crate::kernel::{SimDuration, SimTime};

/// A located error in a trace file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub hint: Option<String>,
}

/// At most this many rows per file.
pub const MAX_ROWS: usize = 10_000_000;
/// A trace time or duration may not exceed 100 years.
const MAX_SECONDS: u64 = 100 * 365 * 86_400;

/// The GPUs a pod asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GpuAsk {
    None,
    /// `nvidia.com/gpu: k` whole devices.
    Whole(u32),
    /// `kubesim.io/gpu-milli: m`, a share of one device (1..=999).
    Milli(u32),
}

/// Who owns a trace pod: nobody (a bare Pod) or a one-pod Job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerKind {
    Pod,
    Job,
}

/// One pod of a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct TracePod {
    /// The object name (a DNS-1123 subdomain), or empty: the workload names it.
    pub name: String,
    /// Arrival, from the start of the run.
    pub arrival: SimTime,
    pub cpu_milli: u64,
    pub memory_bytes: u64,
    pub gpu: GpuAsk,
    /// Allowed GPU models, `|`-separated (empty: any).
    pub gpu_spec: String,
    /// Run time of its container; `None`: it runs until the end.
    pub duration: Option<SimDuration>,
    /// openb's `qos` (empty for the generic format).
    pub qos: String,
    /// The generic format's `priority` column.
    pub priority: Option<i32>,
    /// The generic format's `owner_kind` column (`None`: the workload's default).
    pub owner: Option<OwnerKind>,
    /// The 1-based line of the row, for messages.
    pub line: usize,
}

/// One node of the openb node list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceNode {
    pub name: String,
    pub cpu_milli: u64,
    pub memory_mib: u64,
    pub gpus: u32,
    /// The GPU model (`nvidia.com/gpu.product`), empty for CPU-only nodes.
    pub model: String,
    pub line: usize,
}

/// One row split into (1-based column, trimmed text) cells.
struct Row<'t> {
    line: usize,
    cells: Vec<(usize, &'t str)>,
    end_col: usize,
}

impl<'t> Row<'t> {
    fn err(&self, col: usize, message: impl Into<String>, hint: impl Into<String>) -> TraceError {
        TraceError { line: self.line, col, message: message.into(), hint: Some(hint.into()) }
    }
}

/// Splits `text` into rows (skipping blank and `#` lines); the first row is the header.
fn rows(text: &str) -> Result<Vec<Row<'_>>, TraceError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let row = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = row.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(at) = row.find('"') {
            return Err(TraceError {
                line,
                col: row[..at].chars().count() + 1,
                message: "quoted fields are not supported".into(),
                hint: Some("trace cells are plain numbers and names separated by commas".into()),
            });
        }
        // Columns count characters; in an ASCII line (every trace seen) a byte offset is one.
        let ascii = row.is_ascii();
        let col = |bytes: usize| if ascii { bytes + 1 } else { row[..bytes].chars().count() + 1 };
        let mut cells = Vec::new();
        let mut start = 0;
        for part in row.split(',') {
            let lead = part.len() - part.trim_start().len();
            cells.push((col(start + lead), part.trim()));
            start += part.len() + 1;
        }
        out.push(Row { line, cells, end_col: col(row.len()) });
        if out.len() > MAX_ROWS + 1 {
            return Err(TraceError {
                line,
                col: 1,
                message: format!("more than {MAX_ROWS} rows"),
                hint: Some("use limit to read the first rows only".into()),
            });
        }
    }
    Ok(out)
}

/// The header: column name → index, with the known names checked.
struct Header {
    names: Vec<String>,
}

impl Header {
    fn read(row: &Row<'_>, known: &[&str], required: &[&[&str]], format: &str) -> Result<Header, TraceError> {
        let mut names = Vec::new();
        for &(col, name) in &row.cells {
            if !known.contains(&name) {
                return Err(row.err(
                    col,
                    format!(
                        "unknown column {name:?}{} in the header of a {format} trace",
                        crate::suggest::did_you_mean(name, known.iter().copied())
                    ),
                    format!("columns: {}", known.join(", ")),
                ));
            }
            if names.iter().any(|n| n == name) {
                return Err(row.err(col, format!("column {name:?} appears twice"), "name each column once"));
            }
            names.push(name.to_string());
        }
        for alternatives in required {
            if !alternatives.iter().any(|a| names.iter().any(|n| n == a)) {
                return Err(row.err(
                    1,
                    format!("the header has no column {}", alternatives.join(" or ")),
                    format!("the first row names the columns; a {format} trace needs {}", alternatives.join(" or ")),
                ));
            }
        }
        Ok(Header { names })
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

/// The cells of a data row by column, checked for the header's width.
fn cells<'r, 't>(row: &'r Row<'t>, header: &Header) -> Result<&'r [(usize, &'t str)], TraceError> {
    if row.cells.len() != header.names.len() {
        let col = row.cells.get(header.names.len()).map_or(row.end_col, |c| c.0);
        return Err(row.err(
            col,
            format!("expected {} columns, found {}", header.names.len(), row.cells.len()),
            format!("columns: {}", header.names.join(",")),
        ));
    }
    Ok(&row.cells)
}

/// A non-negative integer cell.
fn integer(row: &Row<'_>, (col, text): (usize, &str), column: &str, max: u64) -> Result<u64, TraceError> {
    let value: u64 = text
        .parse()
        .map_err(|_| row.err(col, format!("{column} {text:?} is not a whole number"), "write 0, 1, 2, ..."))?;
    if value > max {
        return Err(row.err(col, format!("{column} {value} is above {max}"), "is the column in the right unit?"));
    }
    Ok(value)
}

/// A non-negative decimal cell, as an integer number of `1 / 10^scale` units, exactly (no
/// floating point): `12.5` with scale 6 is 12,500,000.
fn decimal(row: &Row<'_>, (col, text): (usize, &str), column: &str, scale: u32, max: u64) -> Result<u64, TraceError> {
    let bad = || row.err(col, format!("{column} {text:?} is not a non-negative number"), "write e.g. 12 or 12.5");
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && frac.is_empty() {
        return Err(bad());
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
    let unit = 10u64.pow(scale);
    let too_big = || row.err(col, format!("{column} {text} is above {max}"), "is the column in the right unit?");
    if whole > max {
        return Err(too_big());
    }
    let mut value = whole * unit;
    // Digits beyond the scale round up: a request is never made smaller.
    let mut place = unit;
    let mut rest = false;
    for b in frac.bytes() {
        let d = u64::from(b - b'0');
        if place > 1 {
            place /= 10;
            value += d * place;
        } else if d > 0 {
            rest = true;
        }
    }
    if rest {
        value += 1;
    }
    if value > max * unit {
        return Err(too_big());
    }
    Ok(value)
}

/// A name cell: a DNS-1123 subdomain, unique in the file.
fn name_cell(row: &Row<'_>, (col, text): (usize, &str), seen: &mut HashSet<String>) -> Result<String, TraceError> {
    crate::api::validation::is_dns1123_subdomain(text)
        .map_err(|e| row.err(col, format!("invalid name {text:?}: {e}"), "names are lower-case DNS subdomains"))?;
    if !seen.insert(text.to_string()) {
        return Err(row.err(col, format!("duplicate name {text:?}"), "every row needs its own name"));
    }
    Ok(text.to_string())
}

/// The GPU request of a row: `num_gpu` devices, or a share when `num_gpu == 1` and
/// `gpu_milli < 1000` (openb's convention).
fn gpu_ask(row: &Row<'_>, num: Option<(usize, &str)>, milli: Option<(usize, &str)>) -> Result<GpuAsk, TraceError> {
    let count = match num {
        Some(c) if !c.1.is_empty() => integer(row, c, "num_gpu", 1024)? as u32,
        _ => 0,
    };
    let share = match milli {
        Some(c) if !c.1.is_empty() => Some((c.0, integer(row, c, "gpu_milli", 1000)? as u32)),
        _ => None,
    };
    match (count, share) {
        (0, None) | (0, Some((_, 0))) => Ok(GpuAsk::None),
        (0, Some((col, m))) => Err(row.err(
            col,
            format!("gpu_milli {m} without num_gpu"),
            "a GPU share needs num_gpu 1 (gpu_milli is the share of that one GPU)",
        )),
        (k, None) | (k, Some((_, 1000))) => Ok(GpuAsk::Whole(k)),
        (1, Some((col, 0))) => {
            Err(row.err(col, "gpu_milli 0 with num_gpu 1", "write gpu_milli 1000 (a whole GPU) or a share 1..999"))
        }
        (1, Some((_, m))) => Ok(GpuAsk::Milli(m)),
        (k, Some((col, m))) => Err(row.err(
            col,
            format!("gpu_milli {m} with num_gpu {k}"),
            "a share (gpu_milli below 1000) is of one GPU: num_gpu must be 1; whole GPUs have gpu_milli 1000",
        )),
    }
}

/// `gpu_spec`: `|`-separated GPU models (label values), empty for any.
fn gpu_spec(row: &Row<'_>, cell: Option<(usize, &str)>) -> Result<String, TraceError> {
    let Some((col, text)) = cell else { return Ok(String::new()) };
    if text.is_empty() || text == "nan" {
        return Ok(String::new());
    }
    for model in text.split('|') {
        crate::api::validation::is_valid_label_value(model).map_err(|e| {
            row.err(
                col,
                format!("invalid GPU model {model:?} in gpu_spec: {e}"),
                "models are label values, e.g. V100M16|V100M32",
            )
        })?;
    }
    Ok(text.to_string())
}

fn no_rows(format: &str) -> TraceError {
    TraceError {
        line: 1,
        col: 1,
        message: format!("the file has no rows: a {format} trace starts with a header row"),
        hint: None,
    }
}

const OPENB_NODE_COLUMNS: &[&str] = &["sn", "cpu_milli", "memory_mib", "gpu", "model"];

/// The openb node list (`sn,cpu_milli,memory_mib,gpu,model`): the first `limit` rows.
pub fn parse_openb_nodes(text: &str, limit: Option<usize>) -> Result<Vec<TraceNode>, TraceError> {
    let rows = rows(text)?;
    let Some((head, data)) = rows.split_first() else { return Err(no_rows("openb node")) };
    let header = Header::read(head, OPENB_NODE_COLUMNS, &[&["sn"], &["cpu_milli"], &["memory_mib"]], "openb node")?;
    let idx = |n: &str| header.index(n);
    let mut seen = HashSet::new();
    let mut nodes = Vec::with_capacity(data.len());
    for row in data.iter().take(limit.unwrap_or(usize::MAX)) {
        let c = cells(row, &header)?;
        let get = |n: &str| idx(n).map(|i| c[i]);
        let name = name_cell(row, get("sn").expect("required"), &mut seen)?;
        let cpu_milli = integer(row, get("cpu_milli").expect("required"), "cpu_milli", 1 << 40)?;
        let memory_mib = integer(row, get("memory_mib").expect("required"), "memory_mib", 1 << 40)?;
        let gpus = match get("gpu") {
            Some(cell) if !cell.1.is_empty() => integer(row, cell, "gpu", 1024)? as u32,
            _ => 0,
        };
        let model = match get("model") {
            Some((col, text)) if !text.is_empty() && text != "nan" => {
                crate::api::validation::is_valid_label_value(text).map_err(|e| {
                    row.err(col, format!("invalid GPU model {text:?}: {e}"), "a model is a label value, e.g. V100M32")
                })?;
                text.to_string()
            }
            _ => String::new(),
        };
        nodes.push(TraceNode { name, cpu_milli, memory_mib, gpus, model, line: row.line });
    }
    if nodes.is_empty() {
        return Err(no_rows("openb node"));
    }
    Ok(nodes)
}

const OPENB_POD_COLUMNS: &[&str] = &[
    "name",
    "cpu_milli",
    "memory_mib",
    "num_gpu",
    "gpu_milli",
    "gpu_spec",
    "qos",
    "pod_phase",
    "creation_time",
    "deletion_time",
    "scheduled_time",
];

/// The openb pod list: the first `limit` rows. Arrivals are `creation_time` minus the
/// earliest `creation_time` of the rows read; the run time is `deletion_time −
/// creation_time` (an empty `deletion_time`: runs until the end). `pod_phase` and
/// `scheduled_time` are the production cluster's outcome and are not read.
pub fn parse_openb_pods(text: &str, limit: Option<usize>) -> Result<Vec<TracePod>, TraceError> {
    let rows = rows(text)?;
    let Some((head, data)) = rows.split_first() else { return Err(no_rows("openb pod")) };
    let header = Header::read(
        head,
        OPENB_POD_COLUMNS,
        &[&["name"], &["cpu_milli"], &["memory_mib"], &["creation_time"]],
        "openb pod",
    )?;
    let idx = |n: &str| header.index(n);
    let mut seen = HashSet::new();
    let mut pods = Vec::with_capacity(data.len().min(limit.unwrap_or(usize::MAX)));
    let mut created = Vec::with_capacity(pods.capacity());
    for row in data.iter().take(limit.unwrap_or(usize::MAX)) {
        let c = cells(row, &header)?;
        let get = |n: &str| idx(n).map(|i| c[i]);
        let name = name_cell(row, get("name").expect("required"), &mut seen)?;
        let cpu_milli = integer(row, get("cpu_milli").expect("required"), "cpu_milli", 1 << 40)?;
        let memory_mib = integer(row, get("memory_mib").expect("required"), "memory_mib", 1 << 40)?;
        let gpu = gpu_ask(row, get("num_gpu"), get("gpu_milli"))?;
        let gpu_spec = gpu_spec(row, get("gpu_spec"))?;
        let qos = match get("qos") {
            Some((col, q)) if !q.is_empty() => {
                crate::api::validation::is_valid_label_value(q).map_err(|e| {
                    row.err(col, format!("invalid qos {q:?}: {e}"), "e.g. LS, BE, Burstable, Guaranteed")
                })?;
                q.to_string()
            }
            _ => String::new(),
        };
        let creation_cell = get("creation_time").expect("required");
        let creation = integer(row, creation_cell, "creation_time", MAX_SECONDS)?;
        let duration = match get("deletion_time") {
            Some(cell) if !cell.1.is_empty() => {
                let deletion = integer(row, cell, "deletion_time", MAX_SECONDS)?;
                if deletion < creation {
                    return Err(row.err(
                        cell.0,
                        format!("deletion_time {deletion} is before creation_time {creation}"),
                        "a pod is deleted after it is created",
                    ));
                }
                Some(SimDuration::from_secs(deletion - creation))
            }
            _ => None,
        };
        created.push(creation);
        pods.push(TracePod {
            name,
            arrival: SimTime::ZERO,
            cpu_milli,
            memory_bytes: memory_mib << 20,
            gpu,
            gpu_spec,
            duration,
            qos,
            priority: None,
            owner: None,
            line: row.line,
        });
    }
    if pods.is_empty() {
        return Err(no_rows("openb pod"));
    }
    let first = created.iter().copied().min().unwrap_or(0);
    for (pod, at) in pods.iter_mut().zip(created) {
        pod.arrival = SimTime::ZERO + SimDuration::from_secs(at - first);
    }
    Ok(pods)
}

const CSV_POD_COLUMNS: &[&str] = &[
    "name",
    "arrival_s",
    "cpu_m",
    "cpu_milli",
    "memory_mib",
    "mem_gib",
    "memory_gib",
    "duration_s",
    "priority",
    "owner_kind",
    "num_gpu",
    "gpu_milli",
    "gpu_spec",
];

/// The generic pod CSV (`docs/traces.md`): `arrival_s` (seconds from the start, decimals
/// allowed), `cpu_m` (or `cpu_milli`), `memory_mib` (or `mem_gib` / `memory_gib`, decimals
/// allowed), and optionally `name` (lower-cased, `_` becomes `-`), `duration_s` (empty: runs
/// until the end), `priority` (an integer), `owner_kind` (`Pod` or `Job`), `num_gpu`,
/// `gpu_milli`, `gpu_spec`. The first `limit` rows are read.
pub fn parse_csv_pods(text: &str, limit: Option<usize>) -> Result<Vec<TracePod>, TraceError> {
    let rows = rows(text)?;
    let Some((head, data)) = rows.split_first() else { return Err(no_rows("csv pod")) };
    let header = Header::read(
        head,
        CSV_POD_COLUMNS,
        &[&["arrival_s"], &["cpu_m", "cpu_milli"], &["memory_mib", "mem_gib", "memory_gib"]],
        "csv pod",
    )?;
    for pair in
        [["cpu_m", "cpu_milli"], ["memory_mib", "mem_gib"], ["memory_mib", "memory_gib"], ["mem_gib", "memory_gib"]]
    {
        if let (Some(_), Some(i)) = (header.index(pair[0]), header.index(pair[1])) {
            return Err(head.err(
                head.cells[i].0,
                format!("both {} and {} are given", pair[0], pair[1]),
                "give each resource once",
            ));
        }
    }
    let idx = |n: &str| header.index(n);
    let mut seen = HashSet::new();
    let mut pods = Vec::with_capacity(data.len().min(limit.unwrap_or(usize::MAX)));
    for row in data.iter().take(limit.unwrap_or(usize::MAX)) {
        let c = cells(row, &header)?;
        let get = |n: &str| idx(n).map(|i| c[i]);
        let name = match get("name") {
            Some((col, text)) if !text.is_empty() => {
                let cleaned: String = text
                    .chars()
                    .map(|ch| match ch.to_ascii_lowercase() {
                        ch @ ('a'..='z' | '0'..='9' | '.' | '-') => ch,
                        _ => '-',
                    })
                    .collect();
                name_cell(row, (col, &cleaned), &mut seen)?
            }
            _ => String::new(),
        };
        let arrival = decimal(row, get("arrival_s").expect("required"), "arrival_s", 6, MAX_SECONDS)?;
        let cpu_milli = match get("cpu_m").or_else(|| get("cpu_milli")) {
            Some(cell) => integer(row, cell, "cpu_m", 1 << 40)?,
            None => 0,
        };
        let memory_bytes = if let Some(cell) = get("memory_mib") {
            (u128::from(decimal(row, cell, "memory_mib", 6, 1 << 30)?) * (1 << 20)).div_ceil(1_000_000) as u64
        } else {
            let cell = get("mem_gib").or_else(|| get("memory_gib")).expect("required");
            (u128::from(decimal(row, cell, "mem_gib", 6, 1 << 20)?) * (1 << 30)).div_ceil(1_000_000) as u64
        };
        let duration = match get("duration_s") {
            Some(cell) if !cell.1.is_empty() => {
                Some(SimDuration::from_micros(decimal(row, cell, "duration_s", 6, MAX_SECONDS)?))
            }
            _ => None,
        };
        let priority = match get("priority") {
            Some((col, text)) if !text.is_empty() => {
                let p: i64 = text
                    .parse()
                    .map_err(|_| row.err(col, format!("priority {text:?} is not an integer"), "e.g. 0, 1000, -10"))?;
                if !(-2_147_483_648..=1_000_000_000).contains(&p) {
                    return Err(row.err(
                        col,
                        format!("priority {p} is above 1000000000"),
                        "user priorities are at most one billion",
                    ));
                }
                Some(p as i32)
            }
            _ => None,
        };
        let owner = match get("owner_kind") {
            Some((col, text)) if !text.is_empty() => Some(match text {
                "Pod" | "pod" => OwnerKind::Pod,
                "Job" | "job" => OwnerKind::Job,
                other => {
                    return Err(row.err(
                        col,
                        format!("unknown owner_kind {other:?}"),
                        "write Pod (a bare pod) or Job (a one-pod Job)",
                    ));
                }
            }),
            _ => None,
        };
        let gpu = gpu_ask(row, get("num_gpu"), get("gpu_milli"))?;
        let gpu_spec = gpu_spec(row, get("gpu_spec"))?;
        pods.push(TracePod {
            name,
            arrival: SimTime::ZERO + SimDuration::from_micros(arrival),
            cpu_milli,
            memory_bytes,
            gpu,
            gpu_spec,
            duration,
            qos: String::new(),
            priority,
            owner,
            line: row.line,
        });
    }
    if pods.is_empty() {
        return Err(no_rows("csv pod"));
    }
    Ok(pods)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openb_rows_become_pods_with_relative_arrivals() {
        let text = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n\
                    a,1000,1024,1,250,,LS,Running,100,160,100\n\
                    b,2000,2048,2,1000,V100M16|V100M32,BE,Failed,130,,\n\
                    c,500,512,0,0,,BE,Pending,110,111,\n";
        let pods = parse_openb_pods(text, None).unwrap();
        assert_eq!(pods.len(), 3);
        assert_eq!(pods[0].arrival, SimTime::ZERO);
        assert_eq!(pods[0].gpu, GpuAsk::Milli(250));
        assert_eq!(pods[0].duration, Some(SimDuration::from_secs(60)));
        assert_eq!(pods[1].arrival, SimTime::ZERO + SimDuration::from_secs(30));
        assert_eq!(
            (pods[1].gpu, pods[1].gpu_spec.as_str(), pods[1].duration),
            (GpuAsk::Whole(2), "V100M16|V100M32", None)
        );
        assert_eq!((pods[2].gpu, pods[2].memory_bytes), (GpuAsk::None, 512 << 20));
        assert_eq!(parse_openb_pods(text, Some(1)).unwrap().len(), 1);
    }

    #[test]
    fn malformed_rows_are_located() {
        let head = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,creation_time,deletion_time\n";
        let err = |row: &str| parse_openb_pods(&format!("{head}{row}\n"), None).unwrap_err();
        let e = err("a,1x,1,0,0,1,2");
        assert_eq!((e.line, e.col), (2, 3), "{e:?}");
        let e = err("a,1,1,2,500,1,2");
        assert_eq!((e.line, e.col), (2, 9), "{e:?}");
        assert!(e.message.contains("gpu_milli 500 with num_gpu 2"), "{e:?}");
        let e = err("a,1,1,0,0,5,2");
        assert!(e.message.contains("before creation_time"), "{e:?}");
        let e = err("a,1,1,0,0,5");
        assert!(e.message.contains("expected 7 columns, found 6"), "{e:?}");
        let e = err("Bad_Name,1,1,0,0,5,6");
        assert_eq!(e.col, 1);
        let e = parse_openb_pods("name,cpu_mili,memory_mib,creation_time\n", None).unwrap_err();
        assert!(e.message.contains("did you mean \"cpu_milli\""), "{e:?}");
        assert!(parse_openb_pods("", None).is_err());
        let e = parse_csv_pods("arrival_s,cpu_m,mem_gib\n\"1\",2,3\n", None).unwrap_err();
        assert_eq!((e.line, e.col), (2, 1));
        // Columns count characters, not bytes, after a non-ASCII cell (a no-break space,
        // trimmed as whitespace), and with spaces.
        let e = err("a\u{a0},1x,1,0,0,1,2");
        assert_eq!((e.line, e.col), (2, 4), "{e:?}");
        let e = err("a, 1x,1,0,0,1,2");
        assert_eq!((e.line, e.col), (2, 4), "{e:?}");
    }

    #[test]
    fn csv_rows_accept_the_peer_workload_as_is() {
        let text =
            "name,arrival_s,cpu_m,mem_gib,duration_s\npod_000000,1.461,1000,6,1175\npod_000001,2.0595,3000,1.5,\n";
        let pods = parse_csv_pods(text, None).unwrap();
        assert_eq!(pods[0].name, "pod-000000");
        assert_eq!(pods[0].arrival, SimTime::ZERO + SimDuration::from_micros(1_461_000));
        assert_eq!(pods[0].memory_bytes, 6 << 30);
        assert_eq!(pods[0].duration, Some(SimDuration::from_secs(1175)));
        assert_eq!(pods[1].arrival.as_micros(), 2_059_500);
        assert_eq!((pods[1].memory_bytes, pods[1].duration), (3 << 29, None));
        let e = parse_csv_pods("arrival_s,cpu_m\n", None).unwrap_err();
        assert!(e.message.contains("memory_mib or mem_gib"), "{e:?}");
        let e = parse_csv_pods("arrival_s,cpu_m,memory_mib,owner_kind\n1,1,1,Deployment\n", None).unwrap_err();
        assert_eq!((e.line, e.col), (2, 7));
        let e = parse_csv_pods("arrival_s,cpu_m,memory_mib\n-1,1,1\n", None).unwrap_err();
        assert!(e.message.contains("not a non-negative number"), "{e:?}");
    }

    #[test]
    fn openb_nodes_parse() {
        let nodes = parse_openb_nodes(
            "sn,cpu_milli,memory_mib,gpu,model\nn-0,32000,262144,0,\nn-1,96000,786432,8,V100M32\n",
            None,
        )
        .unwrap();
        assert_eq!(
            nodes[1],
            TraceNode {
                name: "n-1".into(),
                cpu_milli: 96000,
                memory_mib: 786432,
                gpus: 8,
                model: "V100M32".into(),
                line: 3
            }
        );
        assert_eq!(nodes[0].model, "");
        let e = parse_openb_nodes("sn,cpu_milli,memory_mib,gpu,model\nn-0,32000,262144,9999,\n", None).unwrap_err();
        assert_eq!((e.line, e.col), (2, 18));
    }
}
