//! The scheduling queue (`pkg/scheduler/backend/queue/scheduling_queue.go`): activeQ ordered
//! by PrioritySort (priority, then the time the pod entered the queue), backoffQ with
//! exponential backoff (1 s doubling to 10 s by default), and the unschedulable pods that wait
//! for a cluster event or for the five-minute leftover flush.
//!
//! backoffQ is two sets, as `backoff_queue.go` (v1.33+) keeps two heaps: pods that plugins
//! rejected, and pods whose attempt failed with no rejecting plugin (an error). Only the first
//! is popped early when activeQ is empty; an errored pod waits out its backoff.

use crate::hash::HashMap;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

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

/// The three sub-queues.
pub struct SchedulingQueue {
    /// Max-heap on (priority, earlier timestamp, earlier insertion).
    active: PriorityQueue<PodId, (i32, Reverse<SimTime>, Reverse<u64>)>,
    /// `podBackoffQ`: by (expiry, insertion).
    backoff: BTreeSet<(SimTime, u64, PodId)>,
    /// `podErrorBackoffQ`: by (expiry, insertion).
    error_backoff: BTreeSet<(SimTime, u64, PodId)>,
    /// Unschedulable pods: since when, and the plugins that rejected them (`UnschedulablePlugins`).
    unschedulable: BTreeMap<PodId, (SimTime, Vec<&'static str>)>,
    /// The same pods by (since, pod): the leftover flush's deadline and its stale pods without
    /// a scan of thousands of waiting pods after every step.
    unschedulable_since: BTreeSet<(SimTime, PodId)>,
    info: HashMap<PodId, (Queued, Place, u64)>,
    seq: u64,
    initial_backoff: SimDuration,
    max_backoff: SimDuration,
}

impl SchedulingQueue {
    pub fn new(initial_backoff: SimDuration, max_backoff: SimDuration) -> SchedulingQueue {
        SchedulingQueue {
            active: PriorityQueue::new(),
            backoff: BTreeSet::new(),
            error_backoff: BTreeSet::new(),
            unschedulable: BTreeMap::new(),
            unschedulable_since: BTreeSet::new(),
            info: HashMap::default(),
            seq: 0,
            initial_backoff,
            max_backoff,
        }
    }

    fn insert_unschedulable(&mut self, pod: PodId, since: SimTime, rejectors: Vec<&'static str>) {
        if let Some((old, _)) = self.unschedulable.insert(pod, (since, rejectors)) {
            self.unschedulable_since.remove(&(old, pod));
        }
        self.unschedulable_since.insert((since, pod));
    }

    /// Drops `pod` from unschedulablePods; returns the plugins that had rejected it.
    fn remove_unschedulable(&mut self, pod: PodId) -> Option<Vec<&'static str>> {
        let (since, rejectors) = self.unschedulable.remove(&pod)?;
        self.unschedulable_since.remove(&(since, pod));
        Some(rejectors)
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
        self.info.insert(pod, (q, Place::Active, seq));
    }

    /// Pops the next pod to schedule: from activeQ, or, when activeQ is empty, the rejected pod
    /// whose backoff ends first (SchedulerPopFromBackoffQ, on by default since v1.33; `popBackoff`
    /// does not take from the error backoff). The pod stays
    /// known to the queue (as "in flight") until it is bound ([`forget`](Self::forget)) or
    /// returned ([`requeue_rejected`](Self::requeue_rejected)).
    pub fn pop(&mut self) -> Option<PodId> {
        let pod = match self.active.pop() {
            Some((pod, _)) => pod,
            None => {
                let (_, _, pod) = self.backoff.pop_first()?;
                pod
            }
        };
        if let Some(entry) = self.info.get_mut(&pod) {
            entry.0.attempts += 1;
            entry.1 = Place::Active;
        }
        Some(pod)
    }

    /// Whether [`pop`](Self::pop) would return a pod.
    pub fn has_poppable(&self) -> bool {
        !self.active.is_empty() || !self.backoff.is_empty()
    }

    /// The pod was bound or deleted: drop it from every sub-queue.
    pub fn forget(&mut self, pod: PodId) {
        if let Some((q, place, seq)) = self.info.remove(&pod) {
            // A backing-off pod's entry: its expiry follows from what `move_one` computed it from.
            let entry = (self.backoff_expiry(&q), seq, pod);
            match place {
                Place::Active => {
                    self.active.remove(&pod);
                }
                Place::Backoff => {
                    self.backoff.remove(&entry);
                }
                Place::ErrorBackoff => {
                    self.error_backoff.remove(&entry);
                }
                Place::Unschedulable => {
                    self.remove_unschedulable(pod);
                }
            }
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
    pub fn requeue_rejected(&mut self, pod: PodId, now: SimTime, rejectors: Vec<&'static str>) {
        if rejectors.is_empty() {
            self.requeue_after_error(pod, now);
            return;
        }
        let Some(entry) = self.info.get_mut(&pod) else { return };
        entry.0.timestamp = now;
        entry.1 = Place::Unschedulable;
        self.insert_unschedulable(pod, now, rejectors);
    }

    /// After an attempt that failed with no rejecting plugin (an error): straight to the error
    /// backoff (`determineSchedulingHintForInFlightPod` answers queueAfterBackoff), where no
    /// cluster event moves it and an idle scheduler does not pop it early.
    pub fn requeue_after_error(&mut self, pod: PodId, now: SimTime) {
        let Some(entry) = self.info.get_mut(&pod) else { return };
        entry.0.timestamp = now;
        let q = entry.0;
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
            .filter(|(p, (_, rejectors))| worth_retrying(**p, rejectors))
            .map(|(p, _)| *p)
            .collect();
        for &pod in &pods {
            self.move_one(pod, now);
        }
        pods.len()
    }

    /// An unschedulable pod moves to backoffQ, or to activeQ once its backoff is over.
    fn move_one(&mut self, pod: PodId, now: SimTime) {
        let errored = self.remove_unschedulable(pod).is_none_or(|rejectors| rejectors.is_empty());
        let Some(&(q, _, _)) = self.info.get(&pod) else { return };
        self.requeue_after_backoff(pod, q, errored, now);
    }

    /// `requeuePodWithQueueingStrategy` for queueAfterBackoff: backoffQ (`errored` picks the
    /// error heap, as `backoffQueue.add` does for a pod with no rejecting plugin) while the
    /// backoff runs, else activeQ.
    fn requeue_after_backoff(&mut self, pod: PodId, q: Queued, errored: bool, now: SimTime) {
        let expiry = self.backoff_expiry(&q);
        if expiry > now {
            let seq = self.next_seq();
            let (set, place) = if errored {
                (&mut self.error_backoff, Place::ErrorBackoff)
            } else {
                (&mut self.backoff, Place::Backoff)
            };
            set.insert((expiry, seq, pod));
            self.info.insert(pod, (q, place, seq));
        } else {
            self.push_active(pod, q);
        }
    }

    /// `flushBackoffQCompleted`: pods whose backoff expired move to activeQ, the rejected ones
    /// first, then the errored ones (`popAllBackoffCompleted`). A pod keeps the timestamp of
    /// its failed attempt, which orders it among equal priorities.
    pub fn flush_backoff(&mut self, now: SimTime) {
        for errored in [false, true] {
            loop {
                let set = if errored { &mut self.error_backoff } else { &mut self.backoff };
                let Some(&(expiry, _, pod)) = set.first() else { break };
                if expiry > now {
                    break;
                }
                set.pop_first();
                if let Some(&(q, _, _)) = self.info.get(&pod) {
                    self.push_active(pod, q);
                }
            }
        }
    }

    /// The earliest backoff expiry, if any pod is backing off (after a rejection or an error).
    pub fn next_backoff_expiry(&self) -> Option<SimTime> {
        let first = |set: &BTreeSet<(SimTime, u64, PodId)>| set.first().map(|&(t, _, _)| t);
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
            .take_while(|&&(since, _)| now.saturating_since(since) > MAX_IN_UNSCHEDULABLE)
            .map(|&(_, p)| p)
            .collect();
        // In pod id order, as the scan of the map by pod went.
        stale.sort_unstable();
        for pod in stale {
            self.move_one(pod, now);
        }
    }

    /// The earliest time an unschedulable pod becomes eligible for the leftover flush.
    pub fn next_leftover_deadline(&self) -> Option<SimTime> {
        self.unschedulable_since.first().map(|&(since, _)| since.saturating_add(MAX_IN_UNSCHEDULABLE))
    }

    pub fn place(&self, pod: PodId) -> Option<Place> {
        self.info.get(&pod).map(|(_, p, _)| *p)
    }

    pub fn attempts(&self, pod: PodId) -> u32 {
        self.info.get(&pod).map_or(0, |(q, _, _)| q.attempts)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn q() -> SchedulingQueue {
        SchedulingQueue::new(SimDuration::from_secs(1), SimDuration::from_secs(10))
    }

    /// An attempt that a filter rejected.
    fn reject(q: &mut SchedulingQueue, pod: PodId, now: SimTime) {
        q.requeue_rejected(pod, now, vec!["NodeResourcesFit"]);
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
        q.requeue_rejected(PodId(1), SimTime::from_secs(1), Vec::new());
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
}
