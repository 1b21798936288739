//! The archive of removed pods ([`Store::release_removed`](super::Store::release_removed)):
//! each pod's [`PodRecord`] encoded into append-only chunks of bytes, and decoded when read.
//!
//! A scale day archives a million pods; as a struct a record took 152 bytes plus its name's and
//! its controller's name's allocations (~220 bytes), encoded it takes about 50: variable-length
//! integers, the three later instants as differences from the creation time, and the namespace
//! and pod spec as indexes into tables the records share.

use std::sync::Arc;

use crate::api::batch::{Job, JobCondition, JobConditionType, JobStatus};
use crate::api::meta::{ConditionStatus, Kind};
use crate::api::pod::{Pod, PodPhase, PodSpec};
use crate::hash::HashMap;
use crate::kernel::SimTime;
use crate::store::NodeId;

/// What the run's outputs read of a removed pod once nothing else may read it: the rows of
/// `pods.csv` and `packing.csv`, the metrics, `explain`. Decoded from the archive, borrowing
/// its strings.
#[derive(Clone, Copy, Debug)]
pub struct PodRecord<'a> {
    pub(super) namespace: &'a str,
    pub(super) name: &'a str,
    /// The controller's kind and name.
    pub(super) controller: Option<(Kind, &'a str)>,
    pub(super) node: Option<NodeId>,
    pub(super) created: SimTime,
    pub(super) scheduled_at: Option<SimTime>,
    pub(super) first_ready_at: Option<SimTime>,
    pub(super) finished_at: Option<SimTime>,
    pub(super) phase: PodPhase,
    /// `deletionTimestamp` was set.
    pub(super) terminating: bool,
    pub(super) restart_count: i32,
    pub(super) reason: &'a str,
    pub(super) spec: &'a Arc<PodSpec>,
}

/// Append-only encoded records in chunks of [`CHUNK`] bytes: growing never copies what is
/// written. (One doubling vector copied up to its whole length on growth — ~67 MB for a
/// million pods — and an allocator that cannot remap a large block holds both copies for a
/// while.) A record lies within one chunk; its position is the chunk's index times [`SPAN`]
/// plus its offset there.
#[derive(Debug, Default)]
struct Chunks {
    chunks: Vec<Vec<u8>>,
}

const CHUNK: usize = 1 << 20;
/// The room left in a chunk below which a record starts a new one (a longer record grows its
/// chunk: correct, and rare — records are ~50 bytes).
const RECORD_ROOM: usize = 4096;
/// Positions per chunk (a chunk grown past this by a giant record would be unaddressable: a
/// record is names and a few numbers, far below it).
const SPAN: usize = 1 << 32;

impl Chunks {
    /// Starts a record: the position it will have.
    fn begin(&mut self) -> usize {
        if self.chunks.last().is_none_or(|c| c.capacity() - c.len() < RECORD_ROOM) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let last = self.chunks.len() - 1;
        last * SPAN + self.chunks[last].len()
    }

    /// Where the record [`begin`](Self::begin) started is written.
    fn out(&mut self) -> &mut Vec<u8> {
        self.chunks.last_mut().expect("a record was begun")
    }

    /// A reader at the record that starts at `at`.
    fn reader(&self, at: usize) -> Reader<'_> {
        debug_assert!(self.chunks[at / SPAN].len() < SPAN, "chunks stay addressable");
        Reader { bytes: &self.chunks[at / SPAN], at: at % SPAN }
    }
}

/// The encoded records, and the namespaces and specs they share.
#[derive(Debug, Default)]
pub(super) struct PodArchive {
    bytes: Chunks,
    namespaces: Vec<Arc<str>>,
    namespace_ids: HashMap<Arc<str>, u32>,
    /// Kept alive here, so an address in `spec_ids` cannot be reused meanwhile.
    specs: Vec<Arc<PodSpec>>,
    spec_ids: HashMap<usize, u32>,
}

const PHASES: [PodPhase; 5] =
    [PodPhase::Pending, PodPhase::Running, PodPhase::Succeeded, PodPhase::Failed, PodPhase::Unknown];
const TERMINATING: u8 = 1 << 3;
const CONTROLLED: u8 = 1 << 4;

impl PodArchive {
    /// Appends the record of `pod`; returns where it starts.
    pub(super) fn push(&mut self, pod: &Pod) -> usize {
        let start = self.bytes.begin();
        let (meta, status) = (&pod.meta, &pod.status);
        let namespace = intern(&mut self.namespaces, &mut self.namespace_ids, &meta.namespace);
        let spec = *self.spec_ids.entry(Arc::as_ptr(&pod.spec) as usize).or_insert_with(|| {
            self.specs.push(pod.spec.clone());
            (self.specs.len() - 1) as u32
        });
        let controller = meta.controller_ref();
        let phase = PHASES.iter().position(|&p| p == status.phase).expect("every phase is listed") as u8;
        let flags = phase
            | if meta.deletion_timestamp.is_some() { TERMINATING } else { 0 }
            | if controller.is_some() { CONTROLLED } else { 0 };
        let out = self.bytes.out();
        out.push(flags);
        put(out, namespace);
        put_str(out, &meta.name);
        if let Some(c) = controller {
            out.push(Kind::ALL.iter().position(|&k| k == c.kind).expect("every kind is listed") as u8);
            // Usually a prefix of the pod's name (`<job>-<suffix>`): its length + 1, else 0
            // and the name.
            if meta.name.starts_with(c.name.as_str()) {
                put(out, c.name.len() as u64 + 1);
            } else {
                put(out, 0u8);
                put_str(out, &c.name);
            }
        }
        put(out, status.node.map_or(0, |n| u64::from(n.0) + 1));
        let created = meta.creation_timestamp;
        put(out, created.as_micros());
        for t in [status.scheduled_at, status.first_ready_at, status.finished_at] {
            put_later(out, created, t);
        }
        put(out, zigzag(i128::from(status.restart_count)));
        put_str(out, &status.reason);
        put(out, spec);
        start
    }

    /// The record that starts at `at` (as [`push`](Self::push) returned).
    pub(super) fn get(&self, at: usize) -> PodRecord<'_> {
        let mut r = self.bytes.reader(at);
        let flags = r.byte();
        let namespace = &self.namespaces[r.int() as usize];
        let name = r.str();
        let controller = (flags & CONTROLLED != 0).then(|| {
            let kind = Kind::ALL[r.byte() as usize];
            match r.int() {
                0 => (kind, r.str()),
                prefix => (kind, &name[..prefix as usize - 1]),
            }
        });
        let node = r.int().checked_sub(1).map(|n| NodeId(n as u32));
        let created = SimTime::from_micros(r.int() as u64);
        let (scheduled_at, first_ready_at, finished_at) = (r.later(created), r.later(created), r.later(created));
        let restart_count = r.small();
        let reason = r.str();
        let spec = &self.specs[r.int() as usize];
        PodRecord {
            namespace,
            name,
            controller,
            node,
            created,
            scheduled_at,
            first_ready_at,
            finished_at,
            phase: PHASES[usize::from(flags & 0b111)],
            terminating: flags & TERMINATING != 0,
            restart_count,
            reason,
            spec,
        }
    }
}

/// The encoded records of archived Jobs ([`Store::release_removed`](super::Store::release_removed)):
/// a finished workload Job's names, creation time and final status, what the checks, `compare`
/// and availability read. As a struct with its conditions this took ~280 bytes; encoded, ~40.
#[derive(Debug, Default)]
pub(super) struct JobArchive {
    bytes: Chunks,
    namespaces: Vec<Arc<str>>,
    namespace_ids: HashMap<Arc<str>, u32>,
    /// The constant reasons and messages of the conditions (the Job controller's).
    words: Vec<&'static str>,
    word_ids: HashMap<&'static str, u32>,
}

/// An archived Job's creation time and status, decoded (its names: [`JobArchive::names`]).
#[derive(Clone, Debug)]
pub(super) struct JobRecord {
    pub(super) created: SimTime,
    pub(super) status: JobStatus,
}

const CONDITION_KINDS: [JobConditionType; 5] = [
    JobConditionType::Suspended,
    JobConditionType::FailureTarget,
    JobConditionType::SuccessCriteriaMet,
    JobConditionType::Complete,
    JobConditionType::Failed,
];
const CONDITION_STATUSES: [ConditionStatus; 3] =
    [ConditionStatus::True, ConditionStatus::False, ConditionStatus::Unknown];

impl JobArchive {
    /// Appends the record of `job`; returns where it starts.
    pub(super) fn push(&mut self, job: &Job) -> usize {
        let start = self.bytes.begin();
        let namespace = intern(&mut self.namespaces, &mut self.namespace_ids, &job.meta.namespace);
        let created = job.meta.creation_timestamp;
        put(self.bytes.out(), namespace);
        put_str(self.bytes.out(), &job.meta.name);
        put(self.bytes.out(), created.as_micros());
        let status = &job.status;
        for t in [status.start_time, status.completion_time] {
            put_later(self.bytes.out(), created, t);
        }
        for n in [status.active, status.ready, status.terminating, status.succeeded, status.failed] {
            put(self.bytes.out(), zigzag(i128::from(n)));
        }
        for set in [&status.completed_indexes, &status.failed_indexes] {
            put(self.bytes.out(), set.len() as u64);
            for &i in set.iter() {
                put(self.bytes.out(), zigzag(i128::from(i)));
            }
        }
        // A condition's time is usually the completion time: the difference from it is 0.
        let base = status.completion_time.unwrap_or(created);
        put(self.bytes.out(), status.conditions.len() as u64);
        for c in &status.conditions {
            let kind = CONDITION_KINDS.iter().position(|&k| k == c.kind).expect("every type is listed");
            let state = CONDITION_STATUSES.iter().position(|&k| k == c.status).expect("every status is listed");
            self.bytes.out().push((kind * 4 + state) as u8);
            let reason = self.word(c.reason);
            put(self.bytes.out(), reason);
            match &c.message {
                std::borrow::Cow::Borrowed(m) => {
                    let m = self.word(m);
                    put(self.bytes.out(), u64::from(m) * 2);
                }
                std::borrow::Cow::Owned(m) => {
                    put(self.bytes.out(), 1u8);
                    put_str(self.bytes.out(), m);
                }
            }
            put_later(self.bytes.out(), base, Some(c.last_transition_time));
        }
        start
    }

    fn word(&mut self, word: &'static str) -> u32 {
        *self.word_ids.entry(word).or_insert_with(|| {
            self.words.push(word);
            (self.words.len() - 1) as u32
        })
    }

    /// The record that starts at `at` (as [`push`](Self::push) returned).
    pub(super) fn get(&self, at: usize) -> JobRecord {
        let mut r = self.bytes.reader(at);
        let (_namespace, _name) = (r.int(), r.str());
        let created = SimTime::from_micros(r.int() as u64);
        let mut status =
            JobStatus { start_time: r.later(created), completion_time: r.later(created), ..JobStatus::default() };
        status.active = r.small();
        status.ready = r.small();
        status.terminating = r.small();
        status.succeeded = r.small();
        status.failed = r.small();
        for n in 0..2 {
            for _ in 0..r.int() {
                let i = r.small();
                if n == 0 {
                    status.completed_indexes.insert(i)
                } else {
                    status.failed_indexes.insert(i)
                };
            }
        }
        let base = status.completion_time.unwrap_or(created);
        for _ in 0..r.int() {
            let code = usize::from(r.byte());
            let reason = self.words[r.int() as usize];
            let message = match r.int() {
                1 => std::borrow::Cow::Owned(r.str().to_string()),
                m => std::borrow::Cow::Borrowed(self.words[(m / 2) as usize]),
            };
            status.conditions.push(JobCondition {
                kind: CONDITION_KINDS[code / 4],
                status: CONDITION_STATUSES[code % 4],
                reason,
                message,
                last_transition_time: r.later(base).expect("written as Some"),
            });
        }
        JobRecord { created, status }
    }

    /// The (namespace, name) of the record at `at`, without decoding the rest.
    pub(super) fn names(&self, at: usize) -> (&str, &str) {
        let mut r = self.bytes.reader(at);
        let namespace = &self.namespaces[r.int() as usize];
        (namespace, r.str())
    }
}

/// The index of `name` in a table of shared names, added if new.
fn intern(names: &mut Vec<Arc<str>>, ids: &mut HashMap<Arc<str>, u32>, name: &str) -> u32 {
    match ids.get(name) {
        Some(&i) => i,
        None => {
            let shared: Arc<str> = Arc::from(name);
            names.push(shared.clone());
            ids.insert(shared, (names.len() - 1) as u32);
            (names.len() - 1) as u32
        }
    }
}

/// An instant after (or before) `created`: 0 for none, else 1 + the zigzagged difference.
fn put_later(out: &mut Vec<u8>, created: SimTime, t: Option<SimTime>) {
    put(out, t.map_or(0, |t| zigzag(i128::from(t.as_micros()) - i128::from(created.as_micros())) + 1));
}

/// LEB128: seven bits a byte, low first (128 bits wide, so a difference of instants fits).
fn put(out: &mut Vec<u8>, v: impl Into<u128>) {
    let mut v: u128 = v.into();
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// A signed difference as an unsigned integer, small for small magnitudes (instants are below
/// 2⁶⁴ micros, so a difference and this fit easily in 128 bits).
fn zigzag(v: i128) -> u128 {
    (if v < 0 { (-v) * 2 - 1 } else { v * 2 }) as u128
}

fn unzigzag(v: u128) -> i128 {
    let v = v as i128;
    if v % 2 == 1 { -(v + 1) / 2 } else { v / 2 }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> u8 {
        self.at += 1;
        self.bytes[self.at - 1]
    }

    fn int(&mut self) -> u128 {
        let (mut v, mut shift) = (0u128, 0);
        loop {
            let b = self.byte();
            v |= u128::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    }

    /// A zigzagged `i32`.
    fn small(&mut self) -> i32 {
        unzigzag(self.int()) as i32
    }

    /// What [`put_later`] wrote.
    fn later(&mut self, created: SimTime) -> Option<SimTime> {
        self.int().checked_sub(1).map(|d| SimTime::from_micros((i128::from(created.as_micros()) + unzigzag(d)) as u64))
    }

    fn str(&mut self) -> &'a str {
        let len = self.int() as usize;
        self.at += len;
        std::str::from_utf8(&self.bytes[self.at - len..self.at]).expect("written from a str")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::OwnerReference;

    /// A Job's record reads back as written: names, instants before and after its creation,
    /// counts, index sets, conditions with constant and built messages.
    #[test]
    fn job_records_read_back_as_written() {
        use crate::api::batch::{JobCondition, JobConditionType as C};
        use std::borrow::Cow;
        let mut job = crate::scheduler::plugins::testutil::job("ml", "train", "");
        job.meta.creation_timestamp = SimTime::from_secs(50);
        let status = &mut job.status;
        (status.start_time, status.completion_time) = (Some(SimTime::from_secs(49)), Some(SimTime::MAX));
        (status.active, status.ready, status.terminating, status.succeeded, status.failed) = (0, -1, 2, 300, 7);
        status.completed_indexes.extend([0, 1, 5, 1_000_000]);
        status.failed_indexes.extend([-2]);
        let condition = |kind, status, reason, message: Cow<'static, str>, secs| JobCondition {
            kind,
            status,
            reason,
            message,
            last_transition_time: SimTime::from_secs(secs),
        };
        status.conditions = vec![
            condition(C::Suspended, ConditionStatus::False, "Resumed", Cow::Borrowed("Job resumed"), 10),
            condition(
                C::FailureTarget,
                ConditionStatus::True,
                "PodFailurePolicy",
                Cow::Owned("Container c for pod ml/x failed with exit code 42 matching FailJob rule at index 0".into()),
                70,
            ),
            condition(C::Failed, ConditionStatus::True, "PodFailurePolicy", Cow::Owned("built".into()), 71),
        ];
        let mut archive = JobArchive::default();
        let first = archive.push(&job);
        let mut other = job.clone();
        (other.meta.namespace, other.meta.name) = ("default".into(), "x".into());
        other.status = JobStatus::default();
        let second = archive.push(&other);
        let record = archive.get(first);
        assert_eq!((record.created, &record.status), (SimTime::from_secs(50), &job.status));
        assert!(matches!(record.status.conditions[0].message, Cow::Borrowed(_)));
        assert_eq!(archive.names(first), ("ml", "train"));
        assert_eq!(archive.names(second), ("default", "x"));
        assert_eq!(archive.get(second).status, JobStatus::default());
    }

    /// Every field reads back as written, at the edges too: no controller or node, instants
    /// before the creation or at the end of time, a negative count, a non-ASCII reason, the
    /// empty (cluster) namespace; records of one spec share it, and records follow each other.
    #[test]
    fn records_read_back_as_written() {
        let mut archive = PodArchive::default();
        let mut a = crate::scheduler::plugins::testutil::pod(&[("cpu", "1")]);
        (a.meta.namespace, a.meta.name) = ("team-a".into(), "train-x7k2q".into());
        a.meta.creation_timestamp = SimTime::from_secs(100);
        a.meta.owner_references = vec![
            OwnerReference {
                kind: Kind::ReplicaSet,
                name: "not-the-controller".into(),
                uid: Default::default(),
                controller: false,
            },
            OwnerReference { kind: Kind::Job, name: "train".into(), uid: Default::default(), controller: true },
        ];
        a.meta.deletion_timestamp = Some(SimTime::from_secs(200));
        a.status.node = Some(NodeId(70_000));
        a.status.scheduled_at = Some(SimTime::from_secs(99)); // before its creation
        a.status.first_ready_at = None;
        a.status.finished_at = Some(SimTime::MAX);
        a.status.phase = PodPhase::Failed;
        a.status.restart_count = -3;
        a.status.reason = "Évicted".into();
        let mut other = a.clone();
        other.meta.owner_references[1].name = "elsewhere".into();
        let at_other = archive.push(&other);
        assert_eq!(archive.get(at_other).controller, Some((Kind::Job, "elsewhere")));
        let mut b = a.clone();
        (b.meta.namespace, b.meta.name) = (String::new(), "b".into());
        b.meta.owner_references.clear();
        b.meta.deletion_timestamp = None;
        b.meta.creation_timestamp = SimTime::MAX;
        b.status = Default::default();
        let (at_a, at_b) = (archive.push(&a), archive.push(&b));
        let mut c = a.clone();
        c.spec = Arc::new((*a.spec).clone());
        let at_c = archive.push(&c);

        let r = archive.get(at_a);
        assert_eq!((r.namespace, r.name, r.controller), ("team-a", "train-x7k2q", Some((Kind::Job, "train"))));
        assert_eq!(
            (r.node, r.created, r.scheduled_at),
            (Some(NodeId(70_000)), SimTime::from_secs(100), Some(SimTime::from_secs(99)))
        );
        assert_eq!((r.first_ready_at, r.finished_at), (None, Some(SimTime::MAX)));
        assert_eq!((r.phase, r.terminating, r.restart_count, r.reason), (PodPhase::Failed, true, -3, "Évicted"));
        assert!(Arc::ptr_eq(r.spec, &a.spec));

        let r = archive.get(at_b);
        assert_eq!((r.namespace, r.name, r.controller, r.node), ("", "b", None, None));
        assert_eq!((r.created, r.scheduled_at, r.finished_at), (SimTime::MAX, None, None));
        assert_eq!((r.phase, r.terminating, r.restart_count, r.reason), (PodPhase::Pending, false, 0, ""));
        assert!(Arc::ptr_eq(r.spec, &a.spec), "one spec, shared");
        assert!(Arc::ptr_eq(archive.get(at_c).spec, &c.spec), "another spec");
        assert_eq!(archive.specs.len(), 2);
        assert_eq!(archive.namespaces.len(), 2);
        assert!(at_b - at_a < 64, "a record is small even at the edges: {} bytes", at_b - at_a);
    }

    /// Records fill chunk after chunk without moving: each reads back as written, those
    /// written before a chunk is full as well as after, and a record longer than the room a
    /// chunk keeps free (a long reason) grows its chunk and is read back whole.
    #[test]
    fn records_read_back_across_chunks() {
        let mut archive = PodArchive::default();
        let mut p = crate::scheduler::plugins::testutil::pod(&[("cpu", "1")]);
        p.meta.namespace = "default".into();
        let (mut written, mut grown) = (Vec::new(), false);
        for k in 0..150_000u32 {
            p.meta.name = format!("pod-{k}");
            p.status.restart_count = k as i32;
            // Once, a long record where the chunk has room for the usual ones only.
            let room = archive.bytes.chunks.last().map_or(0, |c| c.capacity() - c.len());
            let long = !grown && (RECORD_ROOM..3 * RECORD_ROOM).contains(&room);
            grown |= long;
            p.status.reason = if long { "x".repeat(3 * RECORD_ROOM).into() } else { "".into() };
            written.push((archive.push(&p), p.meta.name.clone(), p.status.reason.to_string()));
        }
        assert!(grown && archive.bytes.chunks.len() >= 2, "{} chunk(s)", archive.bytes.chunks.len());
        assert!(archive.bytes.chunks[0].len() > CHUNK, "the first chunk grew for the long record");
        for (k, (at, name, reason)) in written.iter().enumerate() {
            let r = archive.get(*at);
            assert_eq!((r.name, r.restart_count, r.reason), (name.as_str(), k as i32, reason.as_str()));
        }
    }
}
