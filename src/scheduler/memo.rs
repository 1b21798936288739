//! Verdicts and raw scores of the node-local plugins, shared by the scheduling cycles of pods
//! with equal specs while a node's view does not change.
//!
//! A plugin is *node-local* ([`Plugin::node_local`](super::framework::Plugin::node_local)) when
//! its Filter verdict and its raw Score for a node are functions of the pod's spec, the
//! plugin's arguments, that node's view, and the images and number of the nodes in the cache
//! (ImageLocality). The default profile's node filters and resource scores are: between two
//! changes of a node's view, every pod of one Deployment gets the same verdict and the same
//! raw scores there. The scheduler keeps a *generation* per node view, renewed whenever the
//! view changes (a pod placed, released or updated on it, the node refreshed), and clears the
//! memo whenever the node set or a node's images change. An entry is read only when it was
//! written for the same spec at the node's current generation, so a cycle sees exactly what
//! running the plugins would give; debug builds run them anyway and compare.
//!
//! Recording costs more than it saves when a spec rarely meets a node view twice (one-pod Jobs
//! of drawn sizes, each spec new; a shape that comes back only after the node rotation has
//! moved on to other nodes): a gate then uses the memo in one cycle out of eight only, until
//! the verdicts known there show it pays again.
//!
//! Only the per-node work is shared. Every cycle still runs PreFilter and PreScore, the
//! non-local plugins, NormalizeScore, the weighted sum and `selectHost` with its random draws,
//! so attempts, messages, traces and the seeded streams are those of the cycle without memo.
//! Two shortcuts give the same numbers: an entry keeps the weighted sum of its final raw
//! scores (those of plugins without NormalizeScore) and whether every other raw score was 0,
//! so that when each plugin to normalize says what it makes of all zeros
//! ([`Score::normalized_when_all_zero`]) a known node's total is one read plus a constant
//! (`MemoTotals` in the scheduler; debug builds run the general path too and compare); and a
//! run of nodes known to pass is read in a loop of its own ([`SlotHandle::take_passing`]).
//! Each slot also keeps a *lane* ([`SlotHandle::sync_lane`]): what it knows of each node in
//! node-tree order, one `i32` per position, which a cycle with node-local filters only scans
//! in order and selects from (`lane_pass` and `lane_select` in the scheduler).
//!
//! [`Score::normalized_when_all_zero`]: crate::scheduler::framework::Score::normalized_when_all_zero
//! One step further, when a spec's pass found no node with node-local filters only, the whole
//! pass is kept ([`FailedPass`]) and read back while no node view changes, and with it
//! PostFilter's answer when the plugins said it followed from the spec, the statuses and the
//! views alone (no draw: DefaultPreemption without a dry run).

use std::collections::BTreeSet;
use std::rc::Rc;
use std::sync::Arc;

use crate::api::pod::PodSpec;
use crate::scheduler::PostFilterOutcome;
use crate::scheduler::framework::{Code, NodeToStatus, Status};
use crate::scheduler::lane::{Blocks, LaneView, SUMMARIZED};
use crate::store::NodeId;

/// Specs remembered at once (least recently used first out): as many as keep
/// `ENTRY_BUDGET` node entries (64 bytes each with four scorers: at most 16 MB), within these
/// bounds. A workload cycling through a few dozen pod shapes keeps all of them on a cluster of
/// up to ~4,000 nodes.
const MIN_SLOTS: usize = 4;
const MAX_SLOTS: usize = 64;
const ENTRY_BUDGET: usize = 1 << 18;

fn slots_for(nodes: usize) -> usize {
    (ENTRY_BUDGET / nodes.max(1)).clamp(MIN_SLOTS, MAX_SLOTS)
}

/// Lines of [`VerdictMemo::recent`].
const RECENT: usize = 256;

/// The spec's hash, to find its slot without comparing whole specs.
fn spec_hash(spec: &PodSpec) -> u64 {
    use std::hash::{Hash, Hasher};
    // Fixed keys: the same spec hashes the same in every run (the hash only picks a slot).
    let mut h = std::collections::hash_map::DefaultHasher::new();
    spec.hash(&mut h);
    h.finish()
}

/// The memo of one profile.
#[derive(Default)]
pub struct VerdictMemo {
    slots: Vec<Slot>,
    /// The address of each slot's spec, beside them: a cycle finds its slot in one short
    /// contiguous scan (the slots are large; a scan of their specs read a line per slot).
    /// Only compared for equality; a slot's `Arc` keeps its address from being reused.
    spec_addresses: Vec<usize>,
    /// A direct-mapped cache of `spec_addresses`: by a few bits of a spec's address, where
    /// it was last found (checked against `spec_addresses` before use, so a stale line only
    /// costs the scan). A storm cycles through dozens of specs; the scan to find one of 64
    /// was 5 % of it.
    recent: Vec<(usize, u32)>,
    /// Stamps tell a slot's entries from those an earlier spec left in a reused slot; the
    /// first is 1.
    next_stamp: u32,
    clock: u64,
    /// Overrides [`slots_for`] when set (tests).
    max_slots: Option<usize>,
    gate: Gate,
    /// Cycles that read a [`FailedPass`] back instead of walking the nodes.
    pub failed_passes_reused: u64,
}

/// Cycles over which the hit rate is judged.
const WINDOW: u32 = 64;
/// While probing, one cycle in `PROBE_EVERY` uses the memo.
const PROBE_EVERY: u64 = 8;

/// Whether the memo pays: a miss costs more than asking the plugins (the entry is written),
/// a hit much less. When fewer than a quarter of the verdicts read over `WINDOW` memo cycles
/// were known (many specs, each meeting few nodes twice, as in the scale days' one-pod Jobs
/// of drawn sizes on a full cluster), only one cycle in `PROBE_EVERY` uses the memo,
/// until the rate measured in those is good again. Only speed depends on it.
#[derive(Default)]
struct Gate {
    /// Memo cycles, reads and known verdicts in the current window.
    cycles: u32,
    reads: u64,
    known: u64,
    probing: bool,
    /// Every cycle asked, for picking the probe cycles.
    asked: u64,
    /// Cycles whose totals were summed from the memo's rows (`MemoTotals` in the scheduler).
    totals_from_memo: u64,
}

#[derive(Default)]
struct Slot {
    spec: Arc<PodSpec>,
    hash: u64,
    stamp: u32,
    last_used: u64,
    /// The node-local Filter plugins (profile plugin indices, in order) the verdicts are of.
    filters: Vec<usize>,
    /// The node-local Score plugins the raw scores are of, in order (`scores` holds
    /// `scorers.len()` per node).
    scorers: Vec<usize>,
    /// Per scorer of `scorers`, its weight when its raw scores are final (no NormalizeScore):
    /// what an entry's `final_sum` is of.
    final_weights: Vec<Option<i64>>,
    entries: Vec<Entry>,
    /// Grown, never cleared: a node's row counts only while its entry says `scored`.
    scores: Vec<i64>,
    /// Some entry of the current stamp has `scored` set.
    any_scored: bool,
    /// The last filter pass of this spec that found no feasible node, when every active
    /// filter was node-local (see [`FailedPass`]).
    failed: Option<Rc<FailedPass>>,
    /// The last distinct statuses recorded in `entries`, most recent first (up to
    /// [`INTERNED`]): nodes that fail for the same reason share one status, so that a cycle
    /// reading thousands of them touches one reference count, not an allocation per node.
    statuses: Vec<Rc<Status>>,
    /// The last message kept with a failed pass: a pass brought up to date after a change
    /// usually ends with the same words, and then with the same allocation, which the pods
    /// that carry it recognise without comparing the bytes.
    last_text: Option<Arc<str>>,
    lane: Lane,
}

/// What a slot knows of the node at each position of the node tree, one number per position
/// ([`SlotHandle::sync_lane`]): a known node's total without the constant (`final_sum`, ≥ 0)
/// or one of the `LANE_*` codes. A cycle of a spec seen before scans it in node-tree order
/// instead of reading each node's entry where the node's id puts it. Kept up to date at each
/// sync over the nodes whose views changed since (the scheduler's touched list) and those
/// whose entries this slot recorded since; rebuilt whole when the node tree changed, when more
/// nodes changed than the touched list remembers, or when the entries' scorers changed.
#[derive(Default)]
struct Lane {
    valid: bool,
    order_version: u64,
    /// The generation clock of the last sync.
    clock: u64,
    /// `i32`: four to a 128-bit register when a cycle looks for the highest.
    values: Vec<i32>,
    /// The summaries of its blocks (see [`lane`](super::lane)): every write of a value marks
    /// its block.
    blocks: Blocks,
    /// Nodes whose entries were recorded since the last sync (node indices).
    recorded: Vec<u32>,
    /// The generation clock when a cycle last asked for the lane (plus one; 0: never).
    asked: u64,
}

/// Lane code: every node-local filter passes, but the total is not the memo's (a score to
/// normalize that is not 0, a sum beyond `i32`): the pass reads the lane, the totals come
/// from the general path.
pub const LANE_UNUSABLE: i32 = -1;
/// Lane code: every node-local filter passes; the raw scores are not known. (A value of the
/// lane passes when it is at least this.)
pub const LANE_UNSCORED: i32 = -2;
/// Lane code: a node-local filter rejects the node (not with an error). (A value the lane
/// knows as a pass can use it is at least this.)
pub const LANE_FAIL: i32 = -3;
/// Lane code: nothing known of the node at its current generation.
pub const LANE_UNKNOWN: i32 = -4;
/// Lane code: a node-local filter erred: the cycle takes the general path (which reports it).
pub const LANE_OTHER: i32 = -5;

/// Entries recorded between two syncs beyond which the lane is rebuilt whole.
const LANE_RECORDED: usize = 1024;

/// What [`SlotHandle::sync_lane`] reads: the node tree (node ids by position, and positions by
/// node index, `u32::MAX` for a node outside it) of version `order_version`, the nodes'
/// generations, the generation clock and the scheduler's ring of the latest touched nodes
/// (the node of generation g at `g % touched.len()`).
pub struct LaneSync<'a> {
    pub order: &'a [NodeId],
    pub positions: &'a [u32],
    pub generations: &'a [u64],
    pub clock: u64,
    pub touched: &'a [NodeId],
    pub order_version: u64,
}

/// Distinct failure statuses a slot shares at once.
const INTERNED: usize = 4;

/// A filter pass that found no node for a spec, every active filter node-local and no pod
/// nominated anywhere: until some node view changes (the scheduler's generation clock moves)
/// every pass of the spec over the same nodes ends the same way, node for node. A retry storm
/// (thousands of pending pods of a few shapes, each retried after every completion) reads its
/// diagnosis instead of walking the nodes again.
#[derive(Clone)]
pub struct FailedPass {
    /// The generation clock when the pass ran.
    pub clock: u64,
    /// The cache's size, and PreFilter's node-name restriction, of that pass.
    pub nodes: usize,
    /// The scheduler's node-tree version of that pass.
    pub order: u64,
    pub allowed: Option<BTreeSet<String>>,
    /// Every examined node's status, the FitError message and the rejecting plugins.
    pub diagnosis: NodeToStatus,
    pub fit_error: String,
    pub rejectors: Vec<&'static str>,
    /// PostFilter's answer and the cycle's message, once PostFilter said it followed from the
    /// spec, the statuses and the node views alone ([`PostFilter::last_was_pure`]).
    ///
    /// [`PostFilter::last_was_pure`]: crate::scheduler::framework::PostFilter::last_was_pure
    pub post: Option<(Option<PostFilterOutcome>, Arc<str>)>,
}

/// A node's entry: meaningful only while `stamp` is its slot's and `generation` the node's
/// (a new entry has stamp 0, which no slot has). 32 bytes: two to a cache line, what a cycle
/// reads of a node it knows (the scores apart, read only to normalize them).
#[derive(Default)]
struct Entry {
    generation: u64,
    /// While `scored`: the weighted sum of the final raw scores (see `final_weights`).
    final_sum: i64,
    /// The node-local filters' combined verdict: `None` when all pass, else the status of
    /// the first of them (in profile order) that did not succeed, shared with the cycles'
    /// diagnoses, and that plugin's index in `fail_plugin`.
    fail: Option<Rc<Status>>,
    stamp: u32,
    fail_plugin: u16,
    /// `scores` holds this node's raw scores.
    scored: bool,
    /// Every scorer without a final weight scored this node 0.
    rest_zero: bool,
}

/// What a cycle knows of a node's memo entry.
pub enum Known<'a> {
    /// Nothing: run the node-local filters and [`SlotHandle::record`] their verdict.
    Unknown,
    /// Every node-local filter passes.
    Pass,
    /// The first node-local filter (profile plugin index) that does not succeed, and its status.
    Fail(usize, &'a Rc<Status>),
}

impl VerdictMemo {
    /// Forgets everything (the node set or some node's images changed).
    pub fn clear(&mut self) {
        self.slots.clear();
        self.spec_addresses.clear();
        self.recent.clear();
    }

    /// Cycles whose totals were summed from the memo's rows (`MemoTotals` in the scheduler).
    pub fn totals_from_memo(&self) -> u64 {
        self.gate.totals_from_memo
    }

    /// Whether this cycle uses the memo (see [`Gate`]); asked once per cycle.
    pub fn in_use(&mut self) -> bool {
        self.gate.asked += 1;
        !self.gate.probing || self.gate.asked.is_multiple_of(PROBE_EVERY)
    }

    /// The slot of `spec` for a cycle whose active node-local filters are `filters`, created
    /// (replacing the least recently used) when there is none. `nodes`: the cache's size.
    pub fn slot(&mut self, spec: &Arc<PodSpec>, filters: &[usize], nodes: usize) -> SlotHandle<'_> {
        self.clock += 1;
        let address = Arc::as_ptr(spec) as usize;
        let line = (address >> 4 ^ address >> 12) % RECENT;
        if self.recent.is_empty() {
            self.recent.resize(RECENT, (0, 0));
        }
        let found = match self.recent[line] {
            (a, i) if a == address && self.spec_addresses.get(i as usize) == Some(&address) => Some(i as usize),
            _ => self.spec_addresses.iter().position(|&a| a == address),
        };
        if let Some(i) = found {
            self.recent[line] = (address, i as u32);
        }
        debug_assert_eq!(found, self.slots.iter().position(|s| Arc::ptr_eq(&s.spec, spec)));
        let hash = if found.is_some() { 0 } else { spec_hash(spec) };
        let found = found.or_else(|| self.slots.iter().position(|s| s.hash == hash && *s.spec == **spec));
        let i = match found {
            Some(i) if self.slots[i].filters == filters => i,
            // Other node-local filters for the spec: pods of one spec for which GPUShare is
            // node-local and others for which it is not (some name GPU models); the slot starts
            // over (speed only: a workload mixing both in one shape would renew it often).
            Some(i) => {
                let hash = self.slots[i].hash;
                self.renew(i, spec, hash, filters);
                i
            }
            None => {
                let i = if self.slots.len() < self.max_slots.unwrap_or_else(|| slots_for(nodes)) {
                    self.slots.push(Slot::default());
                    self.spec_addresses.push(0);
                    self.slots.len() - 1
                } else {
                    (0..self.slots.len()).min_by_key(|&i| self.slots[i].last_used).unwrap_or(0)
                };
                self.renew(i, spec, hash, filters);
                i
            }
        };
        let slot = &mut self.slots[i];
        slot.last_used = self.clock;
        if slot.entries.len() < nodes {
            slot.entries.resize_with(nodes, Entry::default);
        }
        SlotHandle { slot, gate: &mut self.gate }
    }

    /// Points slot `i` at `spec` (of hash `hash`) with a fresh stamp: its old entries no
    /// longer count.
    fn renew(&mut self, i: usize, spec: &Arc<PodSpec>, hash: u64, filters: &[usize]) {
        self.next_stamp = self.next_stamp.wrapping_add(1);
        if self.next_stamp == 0 {
            // After 2³² renewals a stamp could come back: start over instead (0 is no slot's).
            self.next_stamp = 1;
            for s in &mut self.slots {
                s.entries.clear();
                s.lane.valid = false;
            }
        }
        self.spec_addresses[i] = Arc::as_ptr(spec) as usize;
        let slot = &mut self.slots[i];
        slot.spec = spec.clone();
        slot.hash = hash;
        slot.stamp = self.next_stamp;
        slot.filters = filters.to_vec();
        slot.scorers.clear();
        slot.any_scored = false;
        slot.failed = None;
        slot.statuses.clear();
        slot.last_text = None;
        slot.lane.valid = false;
    }
}

/// One cycle's access to its spec's slot.
pub struct SlotHandle<'a> {
    slot: &'a mut Slot,
    gate: &'a mut Gate,
}

impl SlotHandle<'_> {
    /// Counts a cycle whose totals were summed from the memo's rows.
    pub fn note_totals_from_memo(&mut self) {
        self.gate.totals_from_memo += 1;
    }

    /// Reports how many node verdicts this cycle read and how many were known.
    pub fn note(&mut self, reads: u64, known: u64) {
        let g = &mut *self.gate;
        g.cycles += 1;
        g.reads += reads;
        g.known += known;
        if g.cycles == WINDOW {
            g.probing = g.known * 4 < g.reads;
            (g.cycles, g.reads, g.known) = (0, 0, 0);
        }
    }

    fn current(&self, node: usize, generation: u64) -> Option<&Entry> {
        self.slot.entries.get(node).filter(|e| e.stamp == self.slot.stamp && e.generation == generation)
    }

    /// The spec's last failed pass, if it was over `nodes` nodes in the node tree of version
    /// `order`, with the PreFilter restriction `allowed`: read back as it is while its clock is
    /// the current one (no node view changed since, so this pass would end the same), else
    /// brought up to date over the changed nodes.
    pub fn last_failed_pass(
        &self,
        nodes: usize,
        allowed: &Option<BTreeSet<String>>,
        order: u64,
    ) -> Option<Rc<FailedPass>> {
        self.slot.failed.as_ref().filter(|f| f.nodes == nodes && f.order == order && f.allowed == *allowed).cloned()
    }

    /// Takes the spec's last failed pass out of the slot (to bring it up to date in place: the
    /// cycle's handle is then the only one).
    pub fn take_failed_pass(&mut self) -> Option<Rc<FailedPass>> {
        self.slot.failed.take()
    }

    /// Keeps `pass` as the spec's last failed pass; returns the one it replaces.
    pub fn record_failed_pass(&mut self, pass: Rc<FailedPass>) -> Option<Rc<FailedPass>> {
        self.slot.failed.replace(pass)
    }

    /// Keeps PostFilter's answer with the failed pass of generation clock `clock`, if that is
    /// still the slot's.
    /// Returns the message to report: `text`, or the slot's last one when the words are the
    /// same (see `last_text`).
    pub fn keep_post_filter_answer(&mut self, clock: u64, post: Option<PostFilterOutcome>, text: Arc<str>) -> Arc<str> {
        let text = match &self.slot.last_text {
            Some(last) if **last == *text => last.clone(),
            _ => text,
        };
        self.slot.last_text = Some(text.clone());
        if let Some(pass) = self.slot.failed.as_mut().filter(|f| f.clock == clock && f.post.is_none()) {
            Rc::make_mut(pass).post = Some((post, text.clone()));
        }
        text
    }

    /// Takes nodes of `order` from `at` on (wrapping around) into `feasible` while the memo
    /// knows that every node-local filter passes them at their current generation, at most
    /// `limit` nodes and until `feasible` holds `want`: the run a cycle of a known spec reads
    /// in a tight loop. Returns the nodes taken and the position after them.
    pub fn take_passing(
        &self,
        order: &[NodeId],
        mut at: usize,
        limit: usize,
        want: usize,
        generations: &[u64],
        feasible: &mut Vec<NodeId>,
    ) -> (usize, usize) {
        let (entries, stamp, n) = (&self.slot.entries[..], self.slot.stamp, order.len());
        let mut taken = 0;
        while taken < limit && feasible.len() < want {
            let id = order[at];
            let i = id.index();
            match (entries.get(i), generations.get(i)) {
                (Some(e), Some(&g)) if e.stamp == stamp && e.generation == g && e.fail.is_none() => {}
                _ => break,
            }
            feasible.push(id);
            taken += 1;
            at = if at + 1 == n { 0 } else { at + 1 };
        }
        (taken, at)
    }

    /// The node-local filters' verdict on `node` at `generation`, if known.
    pub fn verdict(&self, node: usize, generation: u64) -> Known<'_> {
        match self.current(node, generation) {
            None => Known::Unknown,
            Some(Entry { fail: None, .. }) => Known::Pass,
            Some(Entry { fail: Some(status), fail_plugin, .. }) => Known::Fail(usize::from(*fail_plugin), status),
        }
    }

    /// `status`, shared with an equal one recorded lately in this slot, if any.
    pub fn intern(&mut self, status: Status) -> Rc<Status> {
        let statuses = &mut self.slot.statuses;
        match statuses.iter().position(|s| **s == status) {
            Some(0) => statuses[0].clone(),
            Some(i) => {
                statuses[..=i].rotate_right(1);
                statuses[0].clone()
            }
            None => {
                let status = Rc::new(status);
                if statuses.len() == INTERNED {
                    statuses.pop();
                }
                statuses.insert(0, status.clone());
                status
            }
        }
    }

    /// Records the node-local filters' verdict on `node` at `generation` (`None`: all pass;
    /// else the failing plugin's index and status). A plugin index beyond `u16` is not recorded.
    pub fn record(&mut self, node: usize, generation: u64, fail: Option<(usize, Rc<Status>)>) {
        if self.write(node, generation, fail) {
            self.recorded(node);
        }
    }

    /// [`record`](Self::record) for a node the lane has at `position` (a lane cycle's): the
    /// lane's value there is renewed at once and returned.
    pub fn record_in_lane(
        &mut self,
        position: usize,
        node: usize,
        generation: u64,
        fail: Option<(usize, Rc<Status>)>,
    ) -> i32 {
        self.write(node, generation, fail);
        self.renew_at(position, node, generation)
    }

    /// Renews the lane's value at `position` from `node`'s entry, and returns it.
    fn renew_at(&mut self, position: usize, node: usize, generation: u64) -> i32 {
        let v = self.lane_value(node, generation);
        let lane = &mut self.slot.lane;
        if let Some(slot) = lane.values.get_mut(position) {
            *slot = v;
            lane.blocks.mark(position);
        }
        v
    }

    /// Writes `node`'s entry; false when it cannot (a plugin index beyond `u16`).
    fn write(&mut self, node: usize, generation: u64, fail: Option<(usize, Rc<Status>)>) -> bool {
        let stamp = self.slot.stamp;
        let Some(e) = self.slot.entries.get_mut(node) else { return false };
        let (fail, fail_plugin) = match fail {
            None => (None, 0),
            Some((plugin, status)) => match u16::try_from(plugin) {
                Ok(p) => (Some(status), p),
                Err(_) => return false,
            },
        };
        *e = Entry { generation, final_sum: 0, fail, stamp, fail_plugin, scored: false, rest_zero: false };
        true
    }

    /// Notes that `node`'s entry changed, for the lane's next sync.
    fn recorded(&mut self, node: usize) {
        let lane = &mut self.slot.lane;
        if lane.valid {
            if lane.recorded.len() == LANE_RECORDED {
                lane.valid = false;
                lane.recorded.clear();
            } else {
                lane.recorded.push(node as u32);
            }
        }
    }

    /// What the lane says of `node` at `generation` (see [`Lane`]).
    fn lane_value(&self, node: usize, generation: u64) -> i32 {
        match self.current(node, generation) {
            None => LANE_UNKNOWN,
            Some(Entry { fail: Some(status), .. }) if status.code == Code::Error => LANE_OTHER,
            Some(Entry { fail: Some(_), .. }) => LANE_FAIL,
            Some(Entry { scored: false, .. }) => LANE_UNSCORED,
            Some(e) if e.rest_zero => i32::try_from(e.final_sum).ok().filter(|&v| v >= 0).unwrap_or(LANE_UNUSABLE),
            Some(_) => LANE_UNUSABLE,
        }
    }

    /// Brings the lane up to date (see [`Lane`]) and returns it: one value per position of
    /// `sync.order`, or `None` when that would cost more than the pass saves. A pass that
    /// reads about `reads` positions uses the lane when it reads a quarter of them or more;
    /// else only when the lane is rebuilt whole for a spec met again after at most `reads / 16`
    /// view changes (pods of one shape placed one after another), or brought up to date over
    /// at most `reads / 4` changed nodes. A spec met once, or now and then while the cluster
    /// changes, would pay a read of every node, or of every changed one, for a pass over few
    /// (the 5,000-node peer workload: 3.5 % of its time in syncs with `reads` and `reads / 4`).
    pub fn sync_lane(&mut self, sync: &LaneSync<'_>, reads: usize) -> Option<LaneView<'_>> {
        let n = sync.order.len();
        let lane = &self.slot.lane;
        let ring = sync.touched.len() as u64;
        let since = sync.clock.wrapping_sub(lane.clock);
        let whole = !lane.valid
            || lane.order_version != sync.order_version
            || lane.values.len() != n
            || sync.clock < lane.clock
            || since > ring;
        let wide = reads.saturating_mul(4) >= n;
        let hot = lane.asked > 0
            && sync.clock.checked_sub(lane.asked - 1).is_some_and(|gap| gap.saturating_mul(16) <= reads as u64);
        let stale = since.saturating_add(lane.recorded.len() as u64).saturating_mul(4) > reads as u64;
        self.slot.lane.asked = sync.clock + 1;
        if whole && !wide && !hot {
            self.slot.lane.valid = false;
            return None;
        }
        if !whole && !wide && stale {
            return None;
        }
        let mut lane = std::mem::take(&mut self.slot.lane);
        if whole {
            lane.values.clear();
            lane.values.extend(sync.order.iter().map(|id| self.lane_value(id.index(), sync.generations[id.index()])));
            lane.blocks.rebuild(&lane.values, n >= SUMMARIZED);
        } else {
            let touched = (lane.clock + 1..=sync.clock).map(|g| sync.touched[(g % ring) as usize].index());
            for i in touched.chain(lane.recorded.iter().map(|&i| i as usize)) {
                if let Some(&p) = sync.positions.get(i).filter(|&&p| (p as usize) < n) {
                    lane.values[p as usize] = self.lane_value(i, sync.generations[i]);
                    lane.blocks.mark(p as usize);
                }
            }
        }
        debug_assert!(lane.blocks.agree(&lane.values), "the lane's block summaries are its values'");
        lane.recorded.clear();
        (lane.valid, lane.order_version, lane.clock) = (true, sync.order_version, sync.clock);
        self.slot.lane = lane;
        Some(LaneView::new(&self.slot.lane.values, &self.slot.lane.blocks))
    }

    /// The lane as last synced and renewed since, even if a scorer change has made its totals
    /// stale: its verdicts (which positions pass) hold for the cycle that synced it.
    pub fn lane_values(&self) -> LaneView<'_> {
        LaneView::new(&self.slot.lane.values, &self.slot.lane.blocks)
    }

    /// The lane as last synced, if no scorer change has made it stale since.
    pub fn lane(&self) -> Option<LaneView<'_>> {
        self.slot.lane.valid.then(|| self.lane_values())
    }

    /// Remakes the summaries of the lane's blocks written since theirs were made that lie in
    /// `ranges` of positions (those a cycle is about to scan several times; see
    /// [`lane`](super::lane)).
    pub fn refresh_lane(&mut self, ranges: &[(usize, usize)]) {
        let lane = &mut self.slot.lane;
        lane.blocks.refresh(&lane.values, ranges);
    }

    /// Prepares the raw scores of the node-local `scorers` (in order), of which those with a
    /// final weight in `final_weights` (as long) are summed per node: forgets the recorded
    /// ones if they were of other scorers or weights.
    pub fn set_scorers(&mut self, scorers: &[usize], final_weights: &[Option<i64>]) {
        debug_assert_eq!(scorers.len(), final_weights.len());
        if self.slot.scorers != scorers || self.slot.final_weights != final_weights {
            self.slot.scorers = scorers.to_vec();
            self.slot.final_weights = final_weights.to_vec();
            if std::mem::take(&mut self.slot.any_scored) {
                for e in &mut self.slot.entries {
                    e.scored = false;
                }
                // (Without scores, the lane held no totals: it stands.)
                self.slot.lane.valid = false;
            }
        }
        let want = self.slot.entries.len() * scorers.len();
        if self.slot.scores.len() < want {
            self.slot.scores.resize(want, 0);
        }
    }

    /// The recorded raw scores of `node` at `generation` (one per scorer of
    /// [`set_scorers`](Self::set_scorers)), if any.
    pub fn scores(&self, node: usize, generation: u64) -> Option<&[i64]> {
        let k = self.slot.scorers.len();
        self.current(node, generation).filter(|e| e.scored).map(|_| &self.slot.scores[node * k..(node + 1) * k])
    }

    /// What the recorded scores of `node` at `generation` add to its total, if every scorer
    /// without a final weight scored it 0: the sum of the final ones' weighted scores.
    #[inline]
    pub fn final_sum(&self, node: usize, generation: u64) -> Option<i64> {
        self.current(node, generation).filter(|e| e.scored && e.rest_zero).map(|e| e.final_sum)
    }

    /// Whether `node`'s entry is at `generation` (its verdict was recorded this cycle or
    /// before), so that its scores may be recorded.
    pub fn is_current(&self, node: usize, generation: u64) -> bool {
        self.current(node, generation).is_some()
    }

    /// Records the raw scores of `node` (one per scorer of [`set_scorers`](Self::set_scorers)),
    /// for its current entry (see [`is_current`](Self::is_current)).
    pub fn record_scores(&mut self, node: usize, scores: impl ExactSizeIterator<Item = i64>) {
        if self.write_scores(node, scores) {
            self.recorded(node);
        }
    }

    /// [`record_scores`](Self::record_scores) for a node the lane has at `position` (a lane
    /// cycle's), at `generation`: the lane's value there is renewed at once and returned.
    pub fn record_scores_in_lane(
        &mut self,
        position: usize,
        node: usize,
        generation: u64,
        scores: impl ExactSizeIterator<Item = i64>,
    ) -> i32 {
        self.write_scores(node, scores);
        self.renew_at(position, node, generation)
    }

    fn write_scores(&mut self, node: usize, scores: impl ExactSizeIterator<Item = i64>) -> bool {
        let k = self.slot.scorers.len();
        debug_assert_eq!(scores.len(), k);
        let (mut sum, mut rest_zero) = (0i64, true);
        // Element by element: a few scores, not worth a `memcpy` call.
        let row = &mut self.slot.scores[node * k..(node + 1) * k];
        for ((kept, score), weight) in row.iter_mut().zip(scores).zip(&self.slot.final_weights) {
            *kept = score;
            match weight {
                Some(w) => sum += score * w,
                None => rest_zero &= score == 0,
            }
        }
        let Some(e) = self.slot.entries.get_mut(node) else { return false };
        e.final_sum = sum;
        e.scored = true;
        e.rest_zero = rest_zero;
        self.slot.any_scored = true;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(image: &str) -> Arc<PodSpec> {
        let mut spec = PodSpec::default();
        spec.containers.push(crate::api::pod::Container { image: image.into(), ..Default::default() });
        Arc::new(spec)
    }

    #[test]
    fn equal_statuses_share_one_allocation_while_recent() {
        let mut memo = VerdictMemo::default();
        let mut slot = memo.slot(&spec("a"), &[0], 2);
        let cpu = slot.intern(Status::unschedulable("Insufficient cpu"));
        assert!(Rc::ptr_eq(&cpu, &slot.intern(Status::unschedulable("Insufficient cpu"))));
        // Another reason, or the same reason with another code, is another status.
        let memory = slot.intern(Status::unschedulable("Insufficient memory"));
        let unresolvable = slot.intern(Status::unresolvable("Insufficient cpu"));
        assert!(!Rc::ptr_eq(&cpu, &memory) && !Rc::ptr_eq(&cpu, &unresolvable));
        assert_eq!(*unresolvable, Status::unresolvable("Insufficient cpu"));
        // Found again further back, and moved to the front.
        assert!(Rc::ptr_eq(&cpu, &slot.intern(Status::unschedulable("Insufficient cpu"))));
        // The least recent goes when more than INTERNED are in use: equal, no longer shared.
        for k in 0..INTERNED {
            slot.intern(Status::unschedulable(format!("reason {k}")));
        }
        let again = slot.intern(Status::unschedulable("Insufficient cpu"));
        assert!(*again == *cpu && !Rc::ptr_eq(&cpu, &again));
        // Another spec's slot keeps its own.
        let mut slot = memo.slot(&spec("b"), &[0], 2);
        assert!(!Rc::ptr_eq(&again, &slot.intern(Status::unschedulable("Insufficient cpu"))));
    }

    #[test]
    fn an_entry_counts_only_for_its_spec_and_generation() {
        let mut memo = VerdictMemo::default();
        let a = spec("a");
        let mut slot = memo.slot(&a, &[0, 1], 3);
        assert!(matches!(slot.verdict(1, 7), Known::Unknown));
        slot.record(1, 7, Some((1, Rc::new(Status::unschedulable("no")))));
        slot.record(2, 7, None);
        assert!(matches!(slot.verdict(1, 7), Known::Fail(1, s) if s.reasons[0] == "no"));
        assert!(matches!(slot.verdict(2, 7), Known::Pass));
        // The node's view changed: a new generation.
        assert!(matches!(slot.verdict(2, 8), Known::Unknown));
        // An equal spec in another Arc shares the slot; a different one does not.
        let same = spec("a");
        assert!(matches!(memo.slot(&same, &[0, 1], 3).verdict(2, 7), Known::Pass));
        assert!(matches!(memo.slot(&spec("b"), &[0, 1], 3).verdict(2, 7), Known::Unknown));
        // Other active filters for the same spec: nothing is known.
        assert!(matches!(memo.slot(&a, &[0], 3).verdict(2, 7), Known::Unknown));
    }

    #[test]
    fn scores_are_known_once_marked_and_until_the_generation_moves() {
        let mut memo = VerdictMemo::default();
        let a = spec("a");
        let mut slot = memo.slot(&a, &[0], 2);
        slot.record(0, 3, None);
        slot.record(1, 3, None);
        slot.set_scorers(&[4, 5, 6], &[Some(2), None, Some(3)]);
        assert!(slot.is_current(0, 3));
        assert!(!slot.is_current(1, 2));
        assert_eq!(slot.scores(0, 3), None, "not recorded yet");
        assert_eq!(slot.final_sum(0, 3), None, "not recorded yet");
        slot.record_scores(0, [40, 0, 50].into_iter());
        slot.record_scores(1, [40, 1, 50].into_iter());
        assert_eq!(slot.scores(0, 3), Some(&[40, 0, 50][..]));
        assert_eq!(slot.scores(1, 3), Some(&[40, 1, 50][..]));
        // The final scores weighted, while the other scored 0.
        assert_eq!(slot.final_sum(0, 3), Some(40 * 2 + 50 * 3));
        assert_eq!(slot.final_sum(1, 3), None, "a scorer to normalize scored 1");
        assert_eq!(slot.scores(0, 4), None);
        assert_eq!(slot.final_sum(0, 4), None);
        // Other weights: the recorded scores are dropped.
        slot.set_scorers(&[4, 5, 6], &[Some(2), None, Some(4)]);
        assert_eq!(slot.scores(0, 3), None);
        slot.record_scores(0, [40, 0, 50].into_iter());
        assert_eq!(slot.final_sum(0, 3), Some(40 * 2 + 50 * 4));
        // Other scorers: the recorded scores are dropped.
        slot.set_scorers(&[4], &[Some(2)]);
        assert_eq!(slot.scores(0, 3), None);
        assert_eq!(slot.final_sum(0, 3), None);
    }

    #[test]
    fn a_run_of_passing_nodes_is_taken_until_one_is_not_known_to_pass() {
        let mut memo = VerdictMemo::default();
        let a = spec("a");
        let mut slot = memo.slot(&a, &[0], 6);
        let generations = [1, 1, 1, 1, 2, 1];
        // Nodes 0, 1, 5 pass at their generation; 2 fails; 3 is unknown; 4 passed at an
        // older generation.
        for node in [0, 1, 5] {
            slot.record(node, 1, None);
        }
        slot.record(2, 1, Some((0, Rc::new(Status::unschedulable("no")))));
        slot.record(4, 1, None);
        let order: Vec<NodeId> = [5, 0, 1, 2, 3, 4].map(NodeId).to_vec();
        let take = |slot: &SlotHandle<'_>, at, limit, want| {
            let mut feasible = vec![];
            let (taken, next) = slot.take_passing(&order, at, limit, want, &generations, &mut feasible);
            assert_eq!(taken, feasible.len());
            (feasible.iter().map(|id| id.index()).collect::<Vec<_>>(), next)
        };
        assert_eq!(take(&slot, 0, 6, 10), (vec![5, 0, 1], 3), "stops at the failing node");
        assert_eq!(take(&slot, 3, 6, 10), (vec![], 3), "an unknown node stops it at once");
        assert_eq!(take(&slot, 0, 2, 10), (vec![5, 0], 2), "at most `limit` nodes");
        assert_eq!(take(&slot, 0, 6, 1), (vec![5], 1), "until `want` are feasible");
        // From the last position it wraps around: node 4 is stale, so nothing is taken there.
        assert_eq!(take(&slot, 5, 6, 10), (vec![], 5));
        slot.record(4, 2, None);
        assert_eq!(take(&slot, 5, 6, 10), (vec![4, 5, 0, 1], 3), "wraps around");
    }

    #[test]
    fn the_lane_follows_the_entries_over_changed_nodes() {
        let mut memo = VerdictMemo::default();
        let a = spec("a");
        let mut slot = memo.slot(&a, &[0], 5);
        slot.set_scorers(&[7, 8], &[Some(2), None]);
        let mut generations = vec![1u64, 1, 1, 1, 1];
        // Node tree: 3, 1, 4, 0, 2 (node 2 outside it at first).
        let order: Vec<NodeId> = [3, 1, 4, 0].map(NodeId).to_vec();
        let mut positions = vec![3, 1, u32::MAX, 0, 2];
        let mut touched = vec![NodeId(0); 4];
        slot.record(0, 1, None);
        slot.record_scores(0, [30, 0].into_iter());
        slot.record(1, 1, Some((0, Rc::new(Status::unschedulable("no")))));
        slot.record(3, 1, None);
        slot.record(4, 1, None);
        slot.record_scores(4, [10, 5].into_iter());
        fn sync(
            slot: &mut SlotHandle<'_>,
            (order, positions, generations, touched): (&[NodeId], &[u32], &[u64], &[NodeId]),
            clock: u64,
            order_version: u64,
        ) -> Vec<i32> {
            let sync = LaneSync { order, positions, generations, clock, touched, order_version };
            slot.sync_lane(&sync, order.len()).map(|l| l.values.to_vec()).unwrap_or_default()
        }
        let (c, v) = (1, 1);
        // 3 passes unscored, 1 fails, 4's other score is not 0 (no total), 0 sums 2 × 30.
        assert_eq!(
            sync(&mut slot, (&order, &positions, &generations, &touched), c, v),
            &[LANE_UNSCORED, LANE_FAIL, LANE_UNUSABLE, 60]
        );
        // Node 0 changes (clock 2): only its position is read again.
        generations[0] = 2;
        touched[2] = NodeId(0);
        let (c, v) = (2, 1);
        assert_eq!(
            sync(&mut slot, (&order, &positions, &generations, &touched), c, v),
            &[LANE_UNSCORED, LANE_FAIL, LANE_UNUSABLE, LANE_UNKNOWN]
        );
        // Recorded between syncs: read at the next one.
        slot.record(0, 2, None);
        slot.record_scores(0, [40, 0].into_iter());
        assert_eq!(
            sync(&mut slot, (&order, &positions, &generations, &touched), c, v),
            &[LANE_UNSCORED, LANE_FAIL, LANE_UNUSABLE, 80]
        );
        // More changes than the ring holds: rebuilt whole (node 3's change is not in the ring).
        generations[3] = 7;
        let (c, v) = (7, 1);
        assert_eq!(
            sync(&mut slot, (&order, &positions, &generations, &touched), c, v),
            &[LANE_UNKNOWN, LANE_FAIL, LANE_UNUSABLE, 80]
        );
        // A new node tree: rebuilt by the new positions.
        let order: Vec<NodeId> = [0, 1, 2, 3, 4].map(NodeId).to_vec();
        positions = vec![0, 1, 2, 3, 4];
        let (c, v) = (7, 2);
        assert_eq!(
            sync(&mut slot, (&order, &positions, &generations, &touched), c, v),
            &[80, LANE_FAIL, LANE_UNKNOWN, LANE_UNKNOWN, LANE_UNUSABLE]
        );
        assert!(slot.lane().is_some());
        // Other scorers: the totals no longer hold.
        slot.set_scorers(&[7], &[Some(1)]);
        assert!(slot.lane().is_none());
        assert_eq!(
            sync(&mut slot, (&order, &positions, &generations, &touched), c, v),
            &[LANE_UNSCORED, LANE_FAIL, LANE_UNKNOWN, LANE_UNKNOWN, LANE_UNSCORED]
        );
        // A lane cycle's own records renew its position at once.
        assert_eq!(slot.record_in_lane(2, 2, 1, None), LANE_UNSCORED);
        assert_eq!(slot.record_scores_in_lane(2, 2, 1, [9].into_iter()), 9);
        assert_eq!(
            slot.lane().map(|l| l.values),
            Some(&[LANE_UNSCORED, LANE_FAIL, 9, LANE_UNKNOWN, LANE_UNSCORED][..])
        );
    }

    #[test]
    fn a_lane_is_built_whole_only_for_a_spec_met_again_soon_or_a_wide_pass() {
        let mut memo = VerdictMemo::default();
        let a = spec("a");
        let mut slot = memo.slot(&a, &[0], 200);
        let order: Vec<NodeId> = (0..200).map(NodeId).collect();
        let positions: Vec<u32> = (0..200).collect();
        let (generations, touched) = (vec![1u64; 200], [NodeId(0); 16]);
        let sync = |clock| LaneSync {
            order: &order,
            positions: &positions,
            generations: &generations,
            clock,
            touched: &touched,
            order_version: 1,
        };
        // First met, for a pass over 40 of 200 nodes: not built.
        assert!(slot.sync_lane(&sync(10), 40).is_none());
        // Met again after more than 40 / 16 changes: still not.
        assert!(slot.sync_lane(&sync(13), 40).is_none());
        // Met again after 2: built; brought up to date over up to 40 / 4 changes after that.
        assert_eq!(slot.sync_lane(&sync(15), 40).map(|l| l.values.len()), Some(200));
        assert!(slot.sync_lane(&sync(25), 40).is_some());
        // Over more, not (the lane is kept for later).
        assert!(slot.sync_lane(&sync(36), 40).is_none());
        assert!(slot.lane().is_some());
        // A pass over a quarter of the nodes or more uses it whatever the history.
        assert!(slot.sync_lane(&sync(40), 50).is_some());
        let b = spec("b");
        let mut slot = memo.slot(&b, &[0], 200);
        assert!(slot.sync_lane(&sync(100), 50).is_some());
    }

    #[test]
    fn the_least_recently_used_spec_leaves_first() {
        const SLOTS: usize = 3;
        let mut memo = VerdictMemo { max_slots: Some(SLOTS), ..VerdictMemo::default() };
        let specs: Vec<_> = (0..=SLOTS).map(|i| spec(&i.to_string())).collect();
        for s in &specs[..SLOTS] {
            memo.slot(s, &[], 1).record(0, 1, None);
        }
        // Touch the first again: the second is now the oldest, and the new spec replaces it.
        assert!(matches!(memo.slot(&specs[0], &[], 1).verdict(0, 1), Known::Pass));
        memo.slot(&specs[SLOTS], &[], 1);
        assert!(matches!(memo.slot(&specs[0], &[], 1).verdict(0, 1), Known::Pass));
        assert!(matches!(memo.slot(&specs[1], &[], 1).verdict(0, 1), Known::Unknown));
        memo.clear();
        assert!(matches!(memo.slot(&specs[0], &[], 1).verdict(0, 1), Known::Unknown));
    }

    #[test]
    fn a_memo_that_rarely_knows_is_only_probed() {
        let mut memo = VerdictMemo::default();
        let a = spec("a");
        assert!((0..100).all(|_| memo.in_use()));
        // A window of cycles that knew 1 verdict in 5: probing.
        for _ in 0..WINDOW {
            memo.slot(&a, &[], 1).note(5, 1);
        }
        let used = (0..PROBE_EVERY * 10).filter(|_| memo.in_use()).count();
        assert_eq!(used, 10);
        // The probes find 1 in 4 known: in use again.
        for _ in 0..WINDOW {
            memo.slot(&a, &[], 1).note(4, 1);
        }
        assert!((0..100).all(|_| memo.in_use()));
    }

    #[test]
    fn an_entry_is_32_bytes() {
        assert_eq!(std::mem::size_of::<Entry>(), 32);
    }

    #[test]
    fn slots_shrink_with_the_cluster() {
        assert_eq!(slots_for(100), MAX_SLOTS);
        assert_eq!(slots_for(10_000), ENTRY_BUDGET / 10_000);
        assert_eq!(slots_for(1_000_000), MIN_SLOTS);
    }
}
