//! The future-event list: a binary heap ordered by `(time, lane, seq)` with lazy cancellation.
//!
//! Guarantees, which the rest of the simulator relies on:
//! - events come out in non-decreasing time;
//! - among events at the same time, every [`Lane::Normal`] event comes out before any
//!   [`Lane::Observer`] event, so observers (checks, samples) see the state at the end of an
//!   instant, including whatever same-time events were scheduled while handling it;
//! - within one time and lane, events come out in the order they were scheduled (FIFO by `seq`);
//! - scheduling into the past is an error, never a silent reorder.
//!
//! Cancellation is lazy: a cancelled key is remembered and the event is dropped when it reaches
//! the top. A plain heap with lazy cancellation measured faster than an indexed heap with
//! in-place removal for this workload, because almost every event is popped, not cancelled.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};

use super::time::SimTime;

/// Same-time ordering class of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lane {
    /// Ordinary events: state changes.
    Normal = 0,
    /// Runs after every normal event of the same instant: checks and samples.
    Observer = 1,
}

/// Identifies one scheduled event, for cancellation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventKey(u64);

impl EventKey {
    /// The insertion sequence number, unique for the queue's lifetime.
    pub fn seq(self) -> u64 {
        self.0
    }
}

/// Scheduling an event before the current time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PastEventError {
    pub now: SimTime,
    pub at: SimTime,
}

impl std::fmt::Display for PastEventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "event scheduled at {} but the clock is already at {}", self.at, self.now)
    }
}

impl std::error::Error for PastEventError {}

struct Entry<E> {
    time: SimTime,
    /// Lane in the top bit, sequence number below: one integer comparison orders both.
    order: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.order == other.order
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, because `BinaryHeap` is a max-heap and we want the earliest first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.time.cmp(&self.time).then_with(|| other.order.cmp(&self.order))
    }
}

const LANE_SHIFT: u32 = 63;
const SEQ_MASK: u64 = (1 << LANE_SHIFT) - 1;

/// The event queue and the virtual clock it drives.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    now: SimTime,
    /// Keys cancelled but not yet popped. Only looked up, never iterated.
    cancelled: HashSet<u64>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue { heap: BinaryHeap::new(), next_seq: 0, now: SimTime::ZERO, cancelled: HashSet::new() }
    }

    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(capacity),
            next_seq: 0,
            now: SimTime::ZERO,
            cancelled: HashSet::new(),
        }
    }

    /// The current virtual time: the time of the last popped event.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `at` in the normal lane.
    #[inline]
    pub fn schedule(&mut self, at: SimTime, event: E) -> Result<EventKey, PastEventError> {
        self.schedule_in(at, Lane::Normal, event)
    }

    /// Schedules `event` at `at` in `lane`.
    pub fn schedule_in(&mut self, at: SimTime, lane: Lane, event: E) -> Result<EventKey, PastEventError> {
        if at < self.now {
            return Err(PastEventError { now: self.now, at });
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        debug_assert!(seq <= SEQ_MASK);
        let order = ((lane as u64) << LANE_SHIFT) | seq;
        self.heap.push(Entry { time: at, order, event });
        Ok(EventKey(seq))
    }

    /// Cancels a pending event. Cancelling an event that already fired or was already
    /// cancelled is a caller bug (it would leak a tombstone) and is checked in debug builds.
    pub fn cancel(&mut self, key: EventKey) {
        debug_assert!(key.0 < self.next_seq, "cancelling a key this queue never issued");
        let fresh = self.cancelled.insert(key.0);
        debug_assert!(fresh, "event {key:?} cancelled twice");
    }

    /// Removes and returns the next live event, advancing the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, EventKey, E)> {
        loop {
            let entry = self.heap.pop()?;
            let seq = entry.order & SEQ_MASK;
            if !self.cancelled.is_empty() && self.cancelled.remove(&seq) {
                continue;
            }
            debug_assert!(entry.time >= self.now);
            self.now = entry.time;
            return Some((entry.time, EventKey(seq), entry.event));
        }
    }

    /// The time of the next live event, without removing it.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        loop {
            let top = self.heap.peek()?;
            let seq = top.order & SEQ_MASK;
            if !self.cancelled.is_empty() && self.cancelled.contains(&seq) {
                self.cancelled.remove(&seq);
                self.heap.pop();
                continue;
            }
            return Some(top.time);
        }
    }

    /// Advances the clock without an event (e.g. to `until` when the queue runs dry).
    pub fn advance_to(&mut self, t: SimTime) {
        debug_assert!(t >= self.now);
        self.now = self.now.max(t);
    }

    /// Number of scheduled events, including cancelled ones not yet dropped.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.len() == self.cancelled.len()
    }

    /// Number of events ever scheduled.
    pub fn scheduled_total(&self) -> u64 {
        self.next_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn orders_by_time_then_fifo() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_secs(5), "b1").unwrap();
        q.schedule(SimTime::from_secs(1), "a").unwrap();
        q.schedule(SimTime::from_secs(5), "b2").unwrap();
        q.schedule(SimTime::from_secs(5), "b3").unwrap();
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, _, e)| e)).collect();
        assert_eq!(order, ["a", "b1", "b2", "b3"]);
        assert_eq!(q.now(), SimTime::from_secs(5));
    }

    #[test]
    fn observers_run_after_same_time_events_scheduled_later() {
        let mut q = EventQueue::new();
        q.schedule_in(SimTime::from_secs(1), Lane::Observer, "check").unwrap();
        q.schedule(SimTime::from_secs(1), "change").unwrap();
        let (_, _, first) = q.pop().unwrap();
        assert_eq!(first, "change");
        // A same-time event scheduled while handling still precedes the observer.
        q.schedule(SimTime::from_secs(1), "follow-up").unwrap();
        assert_eq!(q.pop().unwrap().2, "follow-up");
        assert_eq!(q.pop().unwrap().2, "check");
        assert!(q.pop().is_none());
    }

    #[test]
    fn cancellation_drops_the_event() {
        let mut q = EventQueue::new();
        let a = q.schedule(SimTime::from_secs(1), 1).unwrap();
        q.schedule(SimTime::from_secs(2), 2).unwrap();
        q.cancel(a);
        assert_eq!(q.peek_time(), Some(SimTime::from_secs(2)));
        assert_eq!(q.pop().map(|(_, _, e)| e), Some(2));
        assert!(q.pop().is_none());
        assert!(q.is_empty());
    }

    #[test]
    fn past_events_are_rejected() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_secs(10), ()).unwrap();
        q.pop();
        let err = q.schedule(SimTime::from_secs(9), ()).unwrap_err();
        assert_eq!(err.now, SimTime::from_secs(10));
        assert!(q.schedule(SimTime::from_secs(10), ()).is_ok());
    }

    proptest! {
        /// Whatever the insertion order, events come out sorted by time, and events with equal
        /// times come out in insertion order, with cancelled ones missing.
        #[test]
        fn fifo_among_equal_times(times in proptest::collection::vec(0u64..20, 0..200),
                                  cancel_mask in proptest::collection::vec(any::<bool>(), 200)) {
            let mut q = EventQueue::new();
            let mut expected = Vec::new();
            for (i, &t) in times.iter().enumerate() {
                let key = q.schedule(SimTime::from_micros(t), i).unwrap();
                if cancel_mask[i] {
                    q.cancel(key);
                } else {
                    expected.push((t, i));
                }
            }
            expected.sort(); // by time, then by insertion index
            let got: Vec<_> = std::iter::from_fn(|| q.pop().map(|(t, _, i)| (t.as_micros(), i))).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
