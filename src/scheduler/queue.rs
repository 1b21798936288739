//! The scheduling queue (`pkg/scheduler/backend/queue/scheduling_queue.go`): activeQ ordered
//! by PrioritySort (priority, then the time the pod entered the queue), backoffQ with
//! exponential backoff (1 s doubling to 10 s by default), and the unschedulable pods that wait
//! for a cluster event or for the five-minute leftover flush.
//!
//! backoffQ is two queues, as `backoff_queue.go` (v1.33+) keeps two heaps: pods that plugins
//! rejected, and pods whose attempt failed with no rejecting plugin (an error). Only the first
//! is popped early when activeQ is empty; an errored pod waits out its backoff.
//!
//! A loaded cluster retries every waiting pod after each completion (a retry storm: millions
//! of attempts, each moving a pod between these sub-queues), so the sub-queues are cheap to
//! change: unschedulablePods is a bitmap of pod ids, the backoff queues and the leftover
//! flush's list (by time) drop an entry lazily (an entry counts while its pod's
//! [`Entry::seq`] is the entry's; the first entry is always current), and the rejecting
//! plugins of an unschedulable pod are an index into a table of the distinct lists seen.

use crate::hash::HashMap;
use std::cmp::Reverse;
use std::collections::{BTreeMap, VecDeque};

use priority_queue::PriorityQueue;

use crate::kernel::{SimDuration, SimTime};
use crate::store::PodId;

/// `DefaultPodMaxInUnschedulablePodsDuration`.
pub const MAX_IN_UNSCHEDULABLE: SimDuration = SimDuration::from_secs(300);
/// `flushUnschedulablePodsLeftover` period.
pub const UNSCHEDULABLE_FLUSH_PERIOD: SimDuration = SimDuration::from_secs(30);
/// `flushBackoffQCompleted` period.
pub const BACKOFF_FLUSH_PERIOD: SimDuration = SimDuration::from_secs(1);

/// Per-pod queue bookkeeping (`QueuedPodInfo`).
#[derive(Clone, Copy, Debug)]
struct Queued {
    priority: i32,
    /// When the pod was last added to a queue (PrioritySort's tie-break).
    timestamp: SimTime,
    attempts: u32,
}

/// Where a pod currently waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Active,
    /// backoffQ, after a rejection (`podBackoffQ`).
    Backoff,
    /// backoffQ, after an error (`podErrorBackoffQ`): never popped before its backoff ends.
    ErrorBackoff,
    Unschedulable,
}

/// A known pod: its bookkeeping, where it waits, and the sequence number of its entry there
/// (every entry a pod gets has a new one: entries of earlier places are stale).
#[derive(Clone, Copy, Debug)]
struct Entry {
    q: Queued,
    place: Place,
    seq: u64,
    /// While unschedulable: the plugins that rejected it (an index into
    /// [`SchedulingQueue::rejector_lists`]).
    rejectors: u32,
}

/// A backoff queue (`podBackoffQ`, `podErrorBackoffQ`): pods by (expiry, sequence number),
/// least first, as one FIFO per expiry: sequence numbers only grow, so a pod pushed joins the
/// back of its expiry's line in order. A retry storm moves a thousand pods that failed at the
/// same instant, so with the same expiry: pushing and popping them is a look-up among a few
/// expiries and a deque operation (a binary heap's sift down per pop cost 7 % of the storm).
/// An entry whose pod left for another place stays until it reaches the front (`dead`
/// counts them), so that leaving costs no search; the first entry is always current.
#[derive(Default)]
struct BackoffQueue {
    lines: BTreeMap<SimTime, VecDeque<(u64, PodId)>>,
    /// Emptied lines, kept for the next expiries (no allocation per distinct expiry).
    spare: Vec<VecDeque<(u64, PodId)>>,
    dead: usize,
}

impl BackoffQueue {
    fn push(&mut self, expiry: SimTime, seq: u64, pod: PodId) {
        let line = self.lines.entry(expiry).or_insert_with(|| self.spare.pop().unwrap_or_default());
        debug_assert!(line.back().is_none_or(|&(last, _)| last < seq), "sequence numbers grow");
        line.push_back((seq, pod));
    }

    /// The first entry: (expiry, sequence number, pod).
    fn peek(&self) -> Option<(SimTime, u64, PodId)> {
        let (&expiry, line) = self.lines.first_key_value()?;
        line.front().map(|&(seq, pod)| (expiry, seq, pod))
    }

    fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Takes the first entry off (no line is ever left empty).
    fn pop_first(&mut self) -> Option<PodId> {
        let mut first = self.lines.first_entry()?;
        let (_, pod) = first.get_mut().pop_front()?;
        if first.get().is_empty() {
            let line = first.remove();
            if self.spare.len() < 64 {
                self.spare.push(line);
            }
        }
        Some(pod)
    }

    /// Takes the first entry off (current: the first always is), then the stale ones that
    /// surface (`info` tells, for a queue of pods at `place`; the pod taken has no other
    /// current entry, its sequence number being this one's).
    fn pop(&mut self, info: &HashMap<PodId, Entry>, place: Place) -> Option<PodId> {
        let pod = self.pop_first()?;
        self.trim(info, place);
        Some(pod)
    }

    /// An entry went stale (its pod left): dropped now if it is the first.
    fn kill(&mut self, info: &HashMap<PodId, Entry>, place: Place) {
        self.dead += 1;
        self.trim(info, place);
    }

    fn trim(&mut self, info: &HashMap<PodId, Entry>, place: Place) {
        while self.dead > 0
            && let Some((_, seq, pod)) = self.peek()
            && !current(info, pod, seq, place)
        {
            self.pop_first();
            self.dead -= 1;
        }
    }
}

/// A set of pod ids as a two-level bitmap: insertion and removal set or clear a bit, and the
/// pods come out in id order (what a B-tree gave, at a fraction of the cost per change: a
/// retry storm changes the set twice per attempt). A summary bit per word of 64 ids says
/// which words are non-empty, so that a pass over a few pods among a million ids reads ~250
/// summary words, not the whole bitmap.
#[derive(Default)]
struct IdSet {
    words: Vec<u64>,
    summary: Vec<u64>,
    len: usize,
}

impl IdSet {
    /// Adds `pod`; returns whether it was absent.
    fn insert(&mut self, pod: PodId) -> bool {
        let (w, bit) = (pod.index() / 64, 1u64 << (pod.index() % 64));
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
            self.summary.resize(self.words.len().div_ceil(64), 0);
        }
        if self.words[w] & bit != 0 {
            return false;
        }
        if self.words[w] == 0 {
            self.summary[w / 64] |= 1 << (w % 64);
        }
        self.words[w] |= bit;
        self.len += 1;
        true
    }

    /// Drops `pod`; returns whether it was there.
    fn remove(&mut self, pod: PodId) -> bool {
        let (w, bit) = (pod.index() / 64, 1u64 << (pod.index() % 64));
        if self.words.get(w).is_none_or(|&word| word & bit == 0) {
            return false;
        }
        self.words[w] &= !bit;
        if self.words[w] == 0 {
            self.summary[w / 64] &= !(1 << (w % 64));
        }
        self.len -= 1;
        true
    }

    fn len(&self) -> usize {
        self.len
    }

    /// The pods, in id order.
    fn iter(&self) -> impl Iterator<Item = PodId> + '_ {
        let set_bits = |mut word: u64| {
            std::iter::from_fn(move || {
                (word != 0).then(|| {
                    let bit = word.trailing_zeros() as usize;
                    word &= word - 1;
                    bit
                })
            })
        };
        let words = (self.len > 0).then_some(&self.summary).into_iter().flatten();
        words
            .enumerate()
            .flat_map(move |(s, &summary)| set_bits(summary).map(move |b| s * 64 + b))
            .flat_map(move |w| set_bits(self.words[w]).map(move |b| PodId((w * 64 + b) as u32)))
    }
}

/// The three sub-queues.
pub struct SchedulingQueue {
    /// Max-heap on (priority, earlier timestamp, earlier insertion).
    active: PriorityQueue<PodId, (i32, Reverse<SimTime>, Reverse<u64>)>,
    /// `podBackoffQ`: by (expiry, insertion).
    backoff: BackoffQueue,
    /// `podErrorBackoffQ`: by (expiry, insertion).
    error_backoff: BackoffQueue,
    /// Unschedulable pods, by id (the order a cluster event moves them in).
    unschedulable: IdSet,
    /// The same pods as (since, sequence number, pod), by `since` (in the order they became
    /// unschedulable: time does not go back in a run): the leftover flush's deadline and its stale pods
    /// without a scan of thousands of waiting pods after every step. The front entry is
    /// current; stale ones further back go when they reach the front, or all at once when
    /// they outnumber the current ones.
    unschedulable_since: VecDeque<(SimTime, u64, PodId)>,
    /// The distinct lists of rejecting plugins (`UnschedulablePlugins`) seen, and their indices.
    rejector_lists: Vec<Box<[&'static str]>>,
    rejector_index: HashMap<Box<[&'static str]>, u32>,
    info: HashMap<PodId, Entry>,
    seq: u64,
    initial_backoff: SimDuration,
    max_backoff: SimDuration,
}

impl SchedulingQueue {
    pub fn new(initial_backoff: SimDuration, max_backoff: SimDuration) -> SchedulingQueue {
        SchedulingQueue {
            active: PriorityQueue::new(),
            backoff: BackoffQueue::default(),
            error_backoff: BackoffQueue::default(),
            unschedulable: IdSet::default(),
            unschedulable_since: VecDeque::new(),
            rejector_lists: Vec::new(),
            rejector_index: HashMap::default(),
            info: HashMap::default(),
            seq: 0,
            initial_backoff,
            max_backoff,
        }
    }

    /// The index of the list `rejectors` in [`rejector_lists`](Self::rejector_lists).
    fn rejectors_index(&mut self, rejectors: &[&'static str]) -> u32 {
        if let Some(&i) = self.rejector_index.get(rejectors) {
            return i;
        }
        let i = u32::try_from(self.rejector_lists.len()).expect("fewer than 2^32 distinct plugin lists");
        self.rejector_lists.push(rejectors.into());
        self.rejector_index.insert(rejectors.into(), i);
        i
    }

    fn insert_unschedulable(&mut self, pod: PodId, since: SimTime, rejectors: &[&'static str]) {
        let rejectors = self.rejectors_index(rejectors);
        let seq = self.next_seq();
        let Some(entry) = self.info.get_mut(&pod) else { return };
        (entry.place, entry.seq, entry.rejectors) = (Place::Unschedulable, seq, rejectors);
        self.unschedulable.insert(pod);
        // At the back, as time goes forward in a run (kept in order for any caller).
        let at = match self.unschedulable_since.back() {
            Some(&(last, _, _)) if last > since => self.unschedulable_since.partition_point(|&(t, _, _)| t <= since),
            _ => self.unschedulable_since.len(),
        };
        self.unschedulable_since.insert(at, (since, seq, pod));
        // Stale entries (pods that moved on) are dropped once they outnumber the current ones.
        if self.unschedulable_since.len() > 2 * self.unschedulable.len() + 1024 {
            let info = &self.info;
            self.unschedulable_since.retain(|&(_, seq, pod)| current(info, pod, seq, Place::Unschedulable));
        }
    }

    /// Drops `pod` from unschedulablePods; returns whether it was there.
    fn remove_unschedulable(&mut self, pod: PodId) -> bool {
        if !self.unschedulable.remove(pod) {
            return false;
        }
        // Its entry in the leftover flush's list is stale from now on (the caller gives it a
        // new place, or forgets it): the front must stay current, and only this entry changed.
        let Some(entry) = self.info.get_mut(&pod) else { return true };
        let seq = std::mem::take(&mut entry.seq);
        if self.unschedulable_since.front().is_some_and(|&(_, s, p)| (s, p) == (seq, pod)) {
            self.trim_since();
        }
        true
    }

    /// Drops stale entries at the front of the leftover flush's list.
    fn trim_since(&mut self) {
        while let Some(&(_, seq, pod)) = self.unschedulable_since.front() {
            if current(&self.info, pod, seq, Place::Unschedulable) {
                break;
            }
            self.unschedulable_since.pop_front();
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A new pod enters activeQ.
    pub fn add(&mut self, pod: PodId, priority: i32, now: SimTime) {
        if self.info.contains_key(&pod) {
            return;
        }
        let q = Queued { priority, timestamp: now, attempts: 0 };
        self.push_active(pod, q);
    }

    fn push_active(&mut self, pod: PodId, q: Queued) {
        let seq = self.next_seq();
        self.active.push(pod, (q.priority, Reverse(q.timestamp), Reverse(seq)));
        self.info.insert(pod, Entry { q, place: Place::Active, seq, rejectors: 0 });
    }

    /// Pops the next pod to schedule: from activeQ, or, when activeQ is empty, the rejected pod
    /// whose backoff ends first (SchedulerPopFromBackoffQ, on by default since v1.33; `popBackoff`
    /// does not take from the error backoff). The pod stays
    /// known to the queue (as "in flight") until it is bound ([`forget`](Self::forget)) or
    /// returned ([`requeue_rejected`](Self::requeue_rejected)).
    pub fn pop(&mut self) -> Option<PodId> {
        let pod = match self.active.pop() {
            Some((pod, _)) => pod,
            None => self.backoff.pop(&self.info, Place::Backoff)?,
        };
        if let Some(entry) = self.info.get_mut(&pod) {
            entry.q.attempts += 1;
            entry.place = Place::Active;
        }
        Some(pod)
    }

    /// Whether [`pop`](Self::pop) would return a pod.
    pub fn has_poppable(&self) -> bool {
        !self.active.is_empty() || !self.backoff.is_empty()
    }

    /// The pod was bound or deleted: drop it from every sub-queue.
    pub fn forget(&mut self, pod: PodId) {
        if self.info.contains_key(&pod) {
            self.leave(pod);
            self.info.remove(&pod);
        }
    }

    /// `calculateBackoffDuration`: initial × 2^(attempts−1), capped.
    pub fn backoff_duration(&self, attempts: u32) -> SimDuration {
        if attempts == 0 {
            return SimDuration::ZERO;
        }
        let mut d = self.initial_backoff;
        for _ in 1..attempts {
            d = d.saturating_mul(2);
            if d >= self.max_backoff {
                return self.max_backoff;
            }
        }
        d.min(self.max_backoff)
    }

    fn backoff_expiry(&self, q: &Queued) -> SimTime {
        q.timestamp.saturating_add(self.backoff_duration(q.attempts))
    }

    /// After a failed attempt: the pod waits in unschedulablePods for a cluster event that one
    /// of the plugins that rejected it (`rejectors`) says may help. With no rejecting plugin
    /// (no nodes at all) it is an error to kube-scheduler: see
    /// [`requeue_after_error`](Self::requeue_after_error).
    pub fn requeue_rejected(&mut self, pod: PodId, now: SimTime, rejectors: &[&'static str]) {
        if rejectors.is_empty() {
            self.requeue_after_error(pod, now);
            return;
        }
        if !self.info.contains_key(&pod) {
            return;
        }
        debug_assert!(self.in_flight(pod), "only a pod in flight comes back from an attempt");
        self.leave(pod);
        if let Some(entry) = self.info.get_mut(&pod) {
            entry.q.timestamp = now;
        }
        self.insert_unschedulable(pod, now, rejectors);
    }

    /// Whether `pod` was popped and has not come back: known, placed Active, not in activeQ.
    /// (The old queue left a pod requeued from elsewhere in two sub-queues at once; this one
    /// moves it, but the scheduler only ever requeues the pod of its attempt.)
    fn in_flight(&self, pod: PodId) -> bool {
        self.info.get(&pod).is_some_and(|e| e.place == Place::Active) && self.active.get(&pod).is_none()
    }

    /// Takes `pod` out of the sub-queue it waits in, before it gets a new place (after an
    /// attempt it waits in none: it is in flight).
    fn leave(&mut self, pod: PodId) {
        let Some(&Entry { place, .. }) = self.info.get(&pod) else { return };
        match place {
            Place::Active => {
                self.active.remove(&pod);
            }
            Place::Backoff | Place::ErrorBackoff => {
                // Its entry is stale from now on.
                if let Some(entry) = self.info.get_mut(&pod) {
                    entry.seq = 0;
                }
                let queue = if place == Place::Backoff { &mut self.backoff } else { &mut self.error_backoff };
                queue.kill(&self.info, place);
            }
            Place::Unschedulable => {
                self.remove_unschedulable(pod);
            }
        }
    }

    /// After an attempt that failed with no rejecting plugin (an error): straight to the error
    /// backoff (`determineSchedulingHintForInFlightPod` answers queueAfterBackoff), where no
    /// cluster event moves it and an idle scheduler does not pop it early.
    pub fn requeue_after_error(&mut self, pod: PodId, now: SimTime) {
        if !self.info.contains_key(&pod) {
            return;
        }
        debug_assert!(self.in_flight(pod), "only a pod in flight comes back from an attempt");
        self.leave(pod);
        let Some(entry) = self.info.get_mut(&pod) else { return };
        entry.q.timestamp = now;
        let q = entry.q;
        self.requeue_after_backoff(pod, q, true, now);
    }

    /// A cluster event that may make any pod schedulable: every unschedulable pod moves to
    /// activeQ, or to backoffQ while its backoff has not expired. Returns how many moved.
    pub fn move_all_unschedulable(&mut self, now: SimTime) -> usize {
        self.move_unschedulable(now, |_, _| true)
    }

    /// `MoveAllToActiveOrBackoffQueue` with queueing hints: each unschedulable pod for which
    /// `worth_retrying(pod, its rejecting plugins)` holds moves, in pod id order. Returns how
    /// many moved.
    pub fn move_unschedulable(
        &mut self,
        now: SimTime,
        mut worth_retrying: impl FnMut(PodId, &[&'static str]) -> bool,
    ) -> usize {
        let pods: Vec<PodId> = self
            .unschedulable
            .iter()
            .filter(|&p| {
                let rejectors = self.info.get(&p).map_or(0, |e| e.rejectors);
                worth_retrying(p, &self.rejector_lists[rejectors as usize])
            })
            .collect();
        for &pod in &pods {
            self.move_one(pod, now);
        }
        pods.len()
    }

    /// An unschedulable pod moves to backoffQ, or to activeQ once its backoff is over.
    fn move_one(&mut self, pod: PodId, now: SimTime) {
        let errored = !self.remove_unschedulable(pod);
        let Some(entry) = self.info.get(&pod) else { return };
        let q = entry.q;
        self.requeue_after_backoff(pod, q, errored, now);
    }

    /// `requeuePodWithQueueingStrategy` for queueAfterBackoff: backoffQ (`errored` picks the
    /// error queue, as `backoffQueue.add` does for a pod with no rejecting plugin) while the
    /// backoff runs, else activeQ.
    fn requeue_after_backoff(&mut self, pod: PodId, q: Queued, errored: bool, now: SimTime) {
        let expiry = self.backoff_expiry(&q);
        if expiry > now {
            let seq = self.next_seq();
            let (queue, place) = if errored {
                (&mut self.error_backoff, Place::ErrorBackoff)
            } else {
                (&mut self.backoff, Place::Backoff)
            };
            queue.push(expiry, seq, pod);
            self.info.insert(pod, Entry { q, place, seq, rejectors: 0 });
        } else {
            self.push_active(pod, q);
        }
    }

    /// `flushBackoffQCompleted`: pods whose backoff expired move to activeQ, the rejected ones
    /// first, then the errored ones (`popAllBackoffCompleted`). A pod keeps the timestamp of
    /// its failed attempt, which orders it among equal priorities.
    pub fn flush_backoff(&mut self, now: SimTime) {
        for place in [Place::Backoff, Place::ErrorBackoff] {
            loop {
                let queue = if place == Place::ErrorBackoff { &mut self.error_backoff } else { &mut self.backoff };
                if queue.peek().is_none_or(|(expiry, _, _)| expiry > now) {
                    break;
                }
                let Some(pod) = queue.pop(&self.info, place) else { break };
                if let Some(entry) = self.info.get(&pod) {
                    let q = entry.q;
                    self.push_active(pod, q);
                }
            }
        }
    }

    /// The earliest backoff expiry, if any pod is backing off (after a rejection or an error).
    pub fn next_backoff_expiry(&self) -> Option<SimTime> {
        let first = |queue: &BackoffQueue| queue.peek().map(|(t, _, _)| t);
        match (first(&self.backoff), first(&self.error_backoff)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// `flushUnschedulablePodsLeftover`: pods unschedulable for longer than five minutes move.
    pub fn flush_unschedulable_leftover(&mut self, now: SimTime) {
        let mut stale: Vec<PodId> = self
            .unschedulable_since
            .iter()
            .take_while(|&&(since, _, _)| now.saturating_since(since) > MAX_IN_UNSCHEDULABLE)
            .filter(|&&(_, seq, pod)| current(&self.info, pod, seq, Place::Unschedulable))
            .map(|&(_, _, p)| p)
            .collect();
        // In pod id order, as the scan of the map by pod went.
        stale.sort_unstable();
        for pod in stale {
            self.move_one(pod, now);
        }
    }

    /// The earliest time an unschedulable pod becomes eligible for the leftover flush.
    pub fn next_leftover_deadline(&self) -> Option<SimTime> {
        self.unschedulable_since.front().map(|&(since, _, _)| since.saturating_add(MAX_IN_UNSCHEDULABLE))
    }

    pub fn place(&self, pod: PodId) -> Option<Place> {
        self.info.get(&pod).map(|e| e.place)
    }

    pub fn attempts(&self, pod: PodId) -> u32 {
        self.info.get(&pod).map_or(0, |e| e.q.attempts)
    }

    /// Pods waiting in any sub-queue.
    pub fn len(&self) -> usize {
        self.info.len()
    }

    pub fn is_empty(&self) -> bool {
        self.info.is_empty()
    }

    pub fn unschedulable_count(&self) -> usize {
        self.unschedulable.len()
    }
}

/// Whether the entry of sequence number `seq` for `pod` in the sub-queue of `place` is current.
fn current(info: &HashMap<PodId, Entry>, pod: PodId, seq: u64, place: Place) -> bool {
    info.get(&pod).is_some_and(|e| e.place == place && e.seq == seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q() -> SchedulingQueue {
        SchedulingQueue::new(SimDuration::from_secs(1), SimDuration::from_secs(10))
    }

    /// An attempt that a filter rejected.
    fn reject(q: &mut SchedulingQueue, pod: PodId, now: SimTime) {
        q.requeue_rejected(pod, now, &["NodeResourcesFit"]);
    }

    #[test]
    fn priority_then_fifo() {
        let mut q = q();
        q.add(PodId(1), 0, SimTime::from_secs(1));
        q.add(PodId(2), 10, SimTime::from_secs(2));
        q.add(PodId(3), 0, SimTime::from_secs(1));
        q.add(PodId(4), 0, SimTime::from_secs(0));
        let order: Vec<u32> = std::iter::from_fn(|| q.pop()).map(|p| p.0).collect();
        assert_eq!(order, [2, 4, 1, 3]);
    }

    #[test]
    fn backoff_doubles_to_the_cap() {
        let q = q();
        let secs: Vec<u64> = (0..7).map(|a| q.backoff_duration(a).as_micros() / 1_000_000).collect();
        assert_eq!(secs, [0, 1, 2, 4, 8, 10, 10]);
    }

    #[test]
    fn unschedulable_pods_move_to_backoff_then_active() {
        let mut q = q();
        let p = PodId(7);
        q.add(p, 0, SimTime::ZERO);
        assert_eq!(q.pop(), Some(p));
        reject(&mut q, p, SimTime::from_secs(5));
        assert_eq!(q.place(p), Some(Place::Unschedulable));
        // A cluster event half a second later: the 1 s backoff has not expired.
        q.move_all_unschedulable(SimTime::from_micros(5_500_000));
        assert_eq!(q.place(p), Some(Place::Backoff));
        assert_eq!(q.next_backoff_expiry(), Some(SimTime::from_secs(6)));
        // A busy activeQ goes first; the backing-off pod waits for its flush.
        q.add(PodId(8), 0, SimTime::from_micros(5_600_000));
        assert_eq!(q.pop(), Some(PodId(8)));
        q.forget(PodId(8));
        q.flush_backoff(SimTime::from_secs(6));
        assert_eq!(q.place(p), Some(Place::Active));
        assert_eq!(q.pop(), Some(p));
        assert_eq!(q.attempts(p), 2);
        q.forget(p);
        assert!(q.is_empty());
    }

    #[test]
    fn an_idle_scheduler_pops_from_backoff_early() {
        let mut q = q();
        q.add(PodId(1), 0, SimTime::ZERO);
        q.pop();
        reject(&mut q, PodId(1), SimTime::from_secs(3));
        q.move_all_unschedulable(SimTime::from_micros(3_500_000));
        assert_eq!(q.place(PodId(1)), Some(Place::Backoff));
        assert!(q.has_poppable(), "activeQ is empty: the backoffQ pod may be popped");
        assert_eq!(q.pop(), Some(PodId(1)));
        assert_eq!(q.attempts(PodId(1)), 2);
        assert!(!q.has_poppable());
    }

    #[test]
    fn leftover_flush_after_five_minutes() {
        let mut q = q();
        let p = PodId(1);
        q.add(p, 0, SimTime::ZERO);
        q.pop();
        reject(&mut q, p, SimTime::from_secs(10));
        q.flush_unschedulable_leftover(SimTime::from_secs(310));
        assert_eq!(q.place(p), Some(Place::Unschedulable), "exactly five minutes is not longer than five");
        q.flush_unschedulable_leftover(SimTime::from_secs(311));
        assert_eq!(q.place(p), Some(Place::Active));
    }

    #[test]
    fn leftover_deadline_and_flush_follow_the_earliest_waiting_pods() {
        let mut q = q();
        // Pods 5, 3, 9, 1 become unschedulable at 40 s, 10 s, 20 s and 10 s.
        for (pod, at) in [(5, 40), (3, 10), (9, 20), (1, 10)] {
            q.add(PodId(pod), 0, SimTime::ZERO);
            q.pop();
            reject(&mut q, PodId(pod), SimTime::from_secs(at));
        }
        assert_eq!(q.next_leftover_deadline(), Some(SimTime::from_secs(310)));
        q.forget(PodId(3));
        q.forget(PodId(1));
        assert_eq!(q.next_leftover_deadline(), Some(SimTime::from_secs(320)), "pod 9 is now the earliest");
        // Pod 9 fails again later: its old time no longer counts.
        q.move_all_unschedulable(SimTime::from_secs(50));
        assert_eq!(q.next_leftover_deadline(), None);
        let popped: Vec<u32> = std::iter::from_fn(|| q.pop()).map(|p| p.0).collect();
        assert_eq!(popped, [9, 5], "backoffs over: activeQ by the time of the failed attempt");
        reject(&mut q, PodId(9), SimTime::from_secs(70));
        reject(&mut q, PodId(5), SimTime::from_secs(70));
        assert_eq!(q.next_leftover_deadline(), Some(SimTime::from_secs(370)));
        q.flush_unschedulable_leftover(SimTime::from_secs(371));
        assert_eq!(q.next_leftover_deadline(), None);
        assert_eq!((q.place(PodId(5)), q.place(PodId(9))), (Some(Place::Active), Some(Place::Active)));
        let popped: Vec<u32> = std::iter::from_fn(|| q.pop()).map(|p| p.0).collect();
        assert_eq!(popped, [5, 9], "the leftover flush moves them in pod id order (equal times)");
    }

    #[test]
    fn an_errored_pod_waits_out_its_backoff_even_when_the_scheduler_is_idle() {
        let mut q = q();
        let p = PodId(1);
        q.add(p, 0, SimTime::ZERO);
        assert_eq!(q.pop(), Some(p));
        q.requeue_after_error(p, SimTime::from_secs(2));
        assert_eq!(q.place(p), Some(Place::ErrorBackoff));
        assert!(!q.has_poppable(), "popBackoff does not take from the error backoff");
        assert_eq!(q.pop(), None);
        assert_eq!(q.next_backoff_expiry(), Some(SimTime::from_secs(3)));
        // A cluster event moves unschedulable pods only.
        assert_eq!(q.move_all_unschedulable(SimTime::from_micros(2_500_000)), 0);
        assert_eq!(q.place(p), Some(Place::ErrorBackoff));
        q.flush_backoff(SimTime::from_micros(2_999_999));
        assert_eq!(q.place(p), Some(Place::ErrorBackoff));
        q.flush_backoff(SimTime::from_secs(3));
        assert_eq!(q.place(p), Some(Place::Active));
        assert_eq!(q.pop(), Some(p));
        // The second error doubles the backoff; a rejected pod behind it may still be popped early.
        q.requeue_after_error(p, SimTime::from_secs(3));
        assert_eq!(q.next_backoff_expiry(), Some(SimTime::from_secs(5)));
        q.add(PodId(2), 0, SimTime::from_secs(3));
        assert_eq!(q.pop(), Some(PodId(2)));
        reject(&mut q, PodId(2), SimTime::from_secs(3));
        q.move_all_unschedulable(SimTime::from_secs(3));
        assert_eq!(q.place(PodId(2)), Some(Place::Backoff));
        assert_eq!(q.next_backoff_expiry(), Some(SimTime::from_secs(4)), "the earlier of the two heaps");
        assert_eq!(q.pop(), Some(PodId(2)));
        assert_eq!(q.pop(), None);
        q.forget(PodId(2));
        q.forget(p);
        assert!(q.is_empty());
        assert_eq!(q.next_backoff_expiry(), None, "forget drops the error backoff entry");
    }

    #[test]
    fn a_rejection_without_rejecting_plugins_is_an_error() {
        // `0/0 nodes are available`: kube-scheduler's ErrNoNodesAvailable carries no plugin.
        let mut q = q();
        q.add(PodId(1), 0, SimTime::ZERO);
        q.pop();
        q.requeue_rejected(PodId(1), SimTime::from_secs(1), &[]);
        assert_eq!(q.place(PodId(1)), Some(Place::ErrorBackoff));
        assert_eq!(q.unschedulable_count(), 0);
        assert_eq!(q.next_leftover_deadline(), None);
    }

    #[test]
    fn a_flush_moves_rejected_pods_before_errored_ones() {
        let mut q = q();
        for pod in [1, 2] {
            q.add(PodId(pod), 0, SimTime::ZERO);
            q.pop();
        }
        // Pod 1 errors, pod 2 is rejected, both at the same instant with the same priority.
        q.requeue_after_error(PodId(1), SimTime::from_secs(1));
        reject(&mut q, PodId(2), SimTime::from_secs(1));
        q.move_all_unschedulable(SimTime::from_secs(1));
        q.flush_backoff(SimTime::from_secs(2));
        let order: Vec<u32> = std::iter::from_fn(|| q.pop()).map(|p| p.0).collect();
        assert_eq!(order, [2, 1], "equal priority and timestamp: the order they reached activeQ");
    }

    /// A reference for the queue: every pod's state in one map, each question answered by a
    /// scan (what the sub-queues must agree with, whatever their layout).
    mod model {
        use super::super::*;
        use std::collections::BTreeMap;

        #[derive(Clone, Debug)]
        struct Pod {
            priority: i32,
            timestamp: SimTime,
            attempts: u32,
            place: Place,
            in_flight: bool,
            seq: u64,
            expiry: SimTime,
            rejectors: Vec<&'static str>,
        }

        pub struct Model {
            pods: BTreeMap<PodId, Pod>,
            seq: u64,
            backoff: SchedulingQueue,
        }

        impl Model {
            pub fn new() -> Model {
                Model { pods: BTreeMap::new(), seq: 0, backoff: super::q() }
            }

            fn next_seq(&mut self) -> u64 {
                self.seq += 1;
                self.seq
            }

            fn activate(&mut self, pod: PodId) {
                let seq = self.next_seq();
                let p = self.pods.get_mut(&pod).expect("known");
                (p.place, p.in_flight, p.seq) = (Place::Active, false, seq);
            }

            fn after_backoff(&mut self, pod: PodId, errored: bool, now: SimTime) {
                let p = &self.pods[&pod];
                let expiry = p.timestamp.saturating_add(self.backoff.backoff_duration(p.attempts));
                if expiry > now {
                    let seq = self.next_seq();
                    let p = self.pods.get_mut(&pod).expect("known");
                    p.place = if errored { Place::ErrorBackoff } else { Place::Backoff };
                    (p.in_flight, p.seq, p.expiry) = (false, seq, expiry);
                } else {
                    self.activate(pod);
                }
            }

            pub fn add(&mut self, pod: PodId, priority: i32, now: SimTime) {
                if self.pods.contains_key(&pod) {
                    return;
                }
                let p = Pod {
                    priority,
                    timestamp: now,
                    attempts: 0,
                    place: Place::Active,
                    in_flight: false,
                    seq: 0,
                    expiry: SimTime::ZERO,
                    rejectors: vec![],
                };
                self.pods.insert(pod, p);
                self.activate(pod);
            }

            pub fn pop(&mut self) -> Option<PodId> {
                let active = self
                    .pods
                    .iter()
                    .filter(|(_, p)| p.place == Place::Active && !p.in_flight)
                    .max_by_key(|(_, p)| (p.priority, Reverse(p.timestamp), Reverse(p.seq)))
                    .map(|(&id, _)| id);
                let pod = active.or_else(|| {
                    self.pods
                        .iter()
                        .filter(|(_, p)| p.place == Place::Backoff)
                        .min_by_key(|(_, p)| (p.expiry, p.seq))
                        .map(|(&id, _)| id)
                })?;
                let p = self.pods.get_mut(&pod).expect("known");
                (p.place, p.in_flight) = (Place::Active, true);
                p.attempts += 1;
                Some(pod)
            }

            pub fn in_flight(&self) -> Vec<PodId> {
                self.pods.iter().filter(|(_, p)| p.in_flight).map(|(&id, _)| id).collect()
            }

            pub fn forget(&mut self, pod: PodId) {
                self.pods.remove(&pod);
            }

            pub fn requeue_rejected(&mut self, pod: PodId, now: SimTime, rejectors: &[&'static str]) {
                if rejectors.is_empty() {
                    return self.requeue_after_error(pod, now);
                }
                let Some(p) = self.pods.get_mut(&pod) else { return };
                p.timestamp = now;
                (p.place, p.in_flight, p.rejectors) = (Place::Unschedulable, false, rejectors.to_vec());
            }

            pub fn requeue_after_error(&mut self, pod: PodId, now: SimTime) {
                let Some(p) = self.pods.get_mut(&pod) else { return };
                p.timestamp = now;
                self.after_backoff(pod, true, now);
            }

            pub fn move_unschedulable(
                &mut self,
                now: SimTime,
                worth: impl Fn(PodId, &[&'static str]) -> bool,
            ) -> usize {
                let pods: Vec<PodId> = self
                    .pods
                    .iter()
                    .filter(|(id, p)| p.place == Place::Unschedulable && worth(**id, &p.rejectors))
                    .map(|(&id, _)| id)
                    .collect();
                for &pod in &pods {
                    self.after_backoff(pod, false, now);
                }
                pods.len()
            }

            pub fn flush_backoff(&mut self, now: SimTime) {
                for place in [Place::Backoff, Place::ErrorBackoff] {
                    let mut due: Vec<(SimTime, u64, PodId)> = self
                        .pods
                        .iter()
                        .filter(|(_, p)| p.place == place && p.expiry <= now)
                        .map(|(&id, p)| (p.expiry, p.seq, id))
                        .collect();
                    due.sort_unstable();
                    for (_, _, pod) in due {
                        self.activate(pod);
                    }
                }
            }

            pub fn flush_unschedulable_leftover(&mut self, now: SimTime) {
                let stale: Vec<PodId> = self
                    .pods
                    .iter()
                    .filter(|(_, p)| {
                        p.place == Place::Unschedulable && now.saturating_since(p.timestamp) > MAX_IN_UNSCHEDULABLE
                    })
                    .map(|(&id, _)| id)
                    .collect();
                for pod in stale {
                    self.after_backoff(pod, false, now);
                }
            }

            pub fn next_backoff_expiry(&self) -> Option<SimTime> {
                let backing_off = |p: &&Pod| matches!(p.place, Place::Backoff | Place::ErrorBackoff);
                self.pods.values().filter(backing_off).map(|p| p.expiry).min()
            }

            pub fn next_leftover_deadline(&self) -> Option<SimTime> {
                let waiting = |p: &&Pod| p.place == Place::Unschedulable;
                self.pods.values().filter(waiting).map(|p| p.timestamp.saturating_add(MAX_IN_UNSCHEDULABLE)).min()
            }

            pub fn has_poppable(&self) -> bool {
                self.pods.values().any(|p| (p.place == Place::Active && !p.in_flight) || p.place == Place::Backoff)
            }

            /// Every pod's (place, attempts), and the counts.
            pub fn state(&self) -> (Vec<(PodId, Place, u32)>, usize, usize) {
                let pods = self.pods.iter().map(|(&id, p)| (id, p.place, p.attempts)).collect();
                let unschedulable = self.pods.values().filter(|p| p.place == Place::Unschedulable).count();
                (pods, self.pods.len(), unschedulable)
            }
        }
    }

    proptest::proptest! {
        /// Inserts and removals in any order: the bitmap holds what a B-tree set holds, and
        /// gives it in the same order.
        #[test]
        fn the_id_set_is_an_ordered_set(ops in proptest::collection::vec((proptest::bool::ANY, 0u32..300), 0..400)) {
            let (mut set, mut reference) = (IdSet::default(), std::collections::BTreeSet::new());
            for (insert, k) in ops {
                // Ids up to ~29,000: words under several summary words.
                let pod = PodId(k * 97);
                if insert {
                    proptest::prop_assert_eq!(set.insert(pod), reference.insert(pod));
                } else {
                    proptest::prop_assert_eq!(set.remove(pod), reference.remove(&pod));
                }
                proptest::prop_assert_eq!(set.len(), reference.len());
            }
            proptest::prop_assert_eq!(set.iter().collect::<Vec<_>>(), reference.into_iter().collect::<Vec<_>>());
        }
    }

    proptest::proptest! {
        /// Any sequence of what the scheduler and the cluster do to the queue: the sub-queues
        /// answer as the reference's scans do (pops, places, attempts, deadlines, counts).
        #[test]
        fn the_queue_answers_as_a_scan_of_every_pod_would(
            ops in proptest::collection::vec((0u8..10, 0u32..10, 0u64..8, 0u8..4), 1..300),
        ) {
            let mut queue = q();
            let mut model = model::Model::new();
            let mut now = SimTime::ZERO;
            let lists: [&[&'static str]; 4] =
                [&["NodeResourcesFit"], &["NodeResourcesFit", "TaintToleration"], &["TaintToleration"], &[]];
            for (op, pod, step, pick) in ops {
                now = now.saturating_add(SimDuration::from_millis(step * 500));
                let id = PodId(pod);
                match op {
                    0 | 1 => {
                        let priority = i32::from(pick % 2) * 10;
                        queue.add(id, priority, now);
                        model.add(id, priority, now);
                    }
                    2 | 3 => proptest::prop_assert_eq!(queue.pop(), model.pop()),
                    4 | 5 => {
                        // Only a pod in flight comes back from an attempt.
                        let flying = model.in_flight();
                        if let Some(&p) = flying.get(pod as usize % flying.len().max(1)) {
                            if op == 4 {
                                queue.requeue_rejected(p, now, lists[pick as usize]);
                                model.requeue_rejected(p, now, lists[pick as usize]);
                            } else {
                                queue.requeue_after_error(p, now);
                                model.requeue_after_error(p, now);
                            }
                        }
                    }
                    6 => {
                        queue.forget(id);
                        model.forget(id);
                    }
                    7 => {
                        // A hint that retries some pods: by parity of the id, or by plugin.
                        let worth = |p: PodId, r: &[&'static str]| match pick {
                            0 => true,
                            1 => p.0.is_multiple_of(2),
                            _ => r.contains(&"TaintToleration"),
                        };
                        proptest::prop_assert_eq!(
                            queue.move_unschedulable(now, worth),
                            model.move_unschedulable(now, worth)
                        );
                    }
                    8 => {
                        queue.flush_backoff(now);
                        model.flush_backoff(now);
                    }
                    _ => {
                        now = now.saturating_add(SimDuration::from_secs(u64::from(pick) * 100));
                        queue.flush_unschedulable_leftover(now);
                        model.flush_unschedulable_leftover(now);
                    }
                }
                let (pods, len, unschedulable) = model.state();
                for (p, place, attempts) in pods {
                    proptest::prop_assert_eq!(queue.place(p), Some(place), "place of {:?}", p);
                    proptest::prop_assert_eq!(queue.attempts(p), attempts, "attempts of {:?}", p);
                }
                proptest::prop_assert_eq!(queue.len(), len);
                proptest::prop_assert_eq!(queue.unschedulable_count(), unschedulable);
                proptest::prop_assert_eq!(queue.has_poppable(), model.has_poppable());
                proptest::prop_assert_eq!(queue.next_backoff_expiry(), model.next_backoff_expiry());
                proptest::prop_assert_eq!(queue.next_leftover_deadline(), model.next_leftover_deadline());
            }
            // Drained, both give the same pods in the same order.
            let (a, b): (Vec<PodId>, Vec<PodId>) =
                (std::iter::from_fn(|| queue.pop()).collect(), std::iter::from_fn(|| model.pop()).collect());
            proptest::prop_assert_eq!(a, b);
        }
    }
}
