//! The scheduling queue (`pkg/scheduler/backend/queue/scheduling_queue.go`): activeQ ordered
//! by PrioritySort (priority, then the time the pod entered the queue), backoffQ with
//! exponential backoff (1 s doubling to 10 s by default), and the unschedulable pods that wait
//! for a cluster event or for the five-minute leftover flush.

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
    Backoff,
    Unschedulable,
}

/// The three sub-queues.
pub struct SchedulingQueue {
    /// Max-heap on (priority, earlier timestamp, earlier insertion).
    active: PriorityQueue<PodId, (i32, Reverse<SimTime>, Reverse<u64>)>,
    backoff: BTreeSet<(SimTime, u64, PodId)>,
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

    fn remove_unschedulable(&mut self, pod: PodId) {
        if let Some((since, _)) = self.unschedulable.remove(&pod) {
            self.unschedulable_since.remove(&(since, pod));
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
        self.info.insert(pod, (q, Place::Active, seq));
    }

    /// Pops the next pod to schedule: from activeQ, or, when activeQ is empty, the pod whose
    /// backoff ends first (SchedulerPopFromBackoffQ, on by default since v1.33). The pod stays
    /// known to the queue (as "in flight") until it is bound ([`forget`](Self::forget)) or
    /// returned ([`requeue_unschedulable`](Self::requeue_unschedulable)).
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
        if let Some((_, place, seq)) = self.info.remove(&pod) {
            match place {
                Place::Active => {
                    self.active.remove(&pod);
                }
                Place::Backoff => {
                    self.backoff.retain(|&(_, s, p)| !(p == pod && s == seq));
                }
                Place::Unschedulable => self.remove_unschedulable(pod),
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
    /// of the plugins that rejected it (`rejectors`) says may help.
    pub fn requeue_unschedulable(&mut self, pod: PodId, now: SimTime) {
        self.requeue_rejected(pod, now, Vec::new());
    }

    /// [`requeue_unschedulable`](Self::requeue_unschedulable) recording the rejecting plugins.
    pub fn requeue_rejected(&mut self, pod: PodId, now: SimTime, rejectors: Vec<&'static str>) {
        let Some(entry) = self.info.get_mut(&pod) else { return };
        entry.0.timestamp = now;
        entry.1 = Place::Unschedulable;
        self.insert_unschedulable(pod, now, rejectors);
    }

    /// After an attempt that failed with an error: straight to backoffQ (no cluster event is
    /// needed for a retry).
    pub fn requeue_after_error(&mut self, pod: PodId, now: SimTime) {
        self.requeue_rejected(pod, now, Vec::new());
        self.move_one(pod, now);
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

    fn move_one(&mut self, pod: PodId, now: SimTime) {
        self.remove_unschedulable(pod);
        let Some(&(q, _, _)) = self.info.get(&pod) else { return };
        let expiry = self.backoff_expiry(&q);
        if expiry > now {
            let seq = self.next_seq();
            self.backoff.insert((expiry, seq, pod));
            self.info.insert(pod, (q, Place::Backoff, seq));
        } else {
            self.push_active(pod, q);
        }
    }

    /// `flushBackoffQCompleted`: pods whose backoff expired move to activeQ. A pod keeps the
    /// timestamp of its failed attempt, which orders it among equal priorities.
    pub fn flush_backoff(&mut self, now: SimTime) {
        while let Some(&(expiry, seq, pod)) = self.backoff.first() {
            if expiry > now {
                break;
            }
            self.backoff.remove(&(expiry, seq, pod));
            if let Some(&(q, _, _)) = self.info.get(&pod) {
                self.push_active(pod, q);
            }
        }
    }

    /// The earliest backoff expiry, if any pod is backing off.
    pub fn next_backoff_expiry(&self) -> Option<SimTime> {
        self.backoff.first().map(|&(t, _, _)| t)
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
        q.requeue_unschedulable(p, SimTime::from_secs(5));
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
        q.requeue_unschedulable(PodId(1), SimTime::from_secs(3));
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
        q.requeue_unschedulable(p, SimTime::from_secs(10));
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
            q.requeue_unschedulable(PodId(pod), SimTime::from_secs(at));
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
        q.requeue_unschedulable(PodId(9), SimTime::from_secs(70));
        q.requeue_unschedulable(PodId(5), SimTime::from_secs(70));
        assert_eq!(q.next_leftover_deadline(), Some(SimTime::from_secs(370)));
        q.flush_unschedulable_leftover(SimTime::from_secs(371));
        assert_eq!(q.next_leftover_deadline(), None);
        assert_eq!((q.place(PodId(5)), q.place(PodId(9))), (Some(Place::Active), Some(Place::Active)));
        let popped: Vec<u32> = std::iter::from_fn(|| q.pop()).map(|p| p.0).collect();
        assert_eq!(popped, [5, 9], "the leftover flush moves them in pod id order (equal times)");
    }
}
