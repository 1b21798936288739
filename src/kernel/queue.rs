//! The future-event list: a radix heap over virtual time, with a small heap for the events
//! of the current instant, ordered by `(time, lane, seq)`, with lazy cancellation.
//!
//! Guarantees, which the rest of the simulator relies on:
//! - events come out in non-decreasing time;
//! - among events at the same time, every [`Lane::Normal`] event comes out before any
//!   [`Lane::Observer`] event, so observers (checks, samples) see the state at the end of an
//!   instant, including whatever same-time events were scheduled while handling it;
//! - within one time and lane, events come out in the order they were scheduled (FIFO by `seq`);
//! - scheduling into the past is an error, never a silent reorder.
//!
//! Why a radix heap: virtual time never runs backwards, so the queue is *monotone* — no event
//! is ever scheduled before the last one popped. A radix heap exploits that: an event goes
//! into bucket `b` = the position of the highest bit in which its time differs from the last
//! popped time (bucket 0: the same time). Pushing is O(1); popping empties the lowest
//! non-empty bucket into lower ones, so each event moves a few times, through vectors, in
//! cache-friendly sweeps, instead of walking ~20 cache-missing heap levels per pop as a binary
//! heap of a million events does. Events of the current instant wait in a short deque kept
//! sorted by `(lane, seq)`.
//!
//! Cancellation is lazy: a cancelled key is remembered and the event is dropped when it would
//! come out, because almost every event is popped, not cancelled.

use crate::hash::HashSet;
use std::collections::VecDeque;

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
    time: u64,
    /// Lane in the top bit, sequence number below: one integer comparison orders both.
    order: u64,
    event: E,
}

const LANE_SHIFT: u32 = 63;
const SEQ_MASK: u64 = (1 << LANE_SHIFT) - 1;
const BUCKETS: usize = 65;

/// The event queue and the virtual clock it drives.
pub struct EventQueue<E> {
    /// Events at `base` (the current instant), sorted by (lane, seq): popped from the front;
    /// a new event of the same lane is usually the largest, so it is pushed at the back.
    current: VecDeque<Entry<E>>,
    /// `buckets[b]` holds events whose time differs from `base` first at bit `b - 1`.
    buckets: Box<[Vec<Entry<E>>; BUCKETS]>,
    /// The radix base: every queued event's time is `>= base`.
    base: u64,
    /// Bit `b` set when `buckets[b]` is non-empty.
    occupied: u128,
    len: usize,
    next_seq: u64,
    now: SimTime,
    /// Keys cancelled but not yet dropped. Only looked up, never iterated.
    cancelled: HashSet<u64>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

#[inline]
fn bucket_of(time: u64, base: u64) -> usize {
    if time == base { 0 } else { (u64::BITS - (time ^ base).leading_zeros()) as usize }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            current: VecDeque::with_capacity(capacity.min(1024)),
            buckets: Box::new(std::array::from_fn(|_| Vec::new())),
            base: 0,
            occupied: 0,
            len: 0,
            next_seq: 0,
            now: SimTime::ZERO,
            cancelled: HashSet::default(),
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
        let time = at.as_micros();
        if time < self.base {
            // Only possible after `peek_time` moved the base to a later event and the clock
            // was then set back with `advance_to`: rebuild around the earlier time.
            self.rebase(time);
        }
        self.insert(Entry { time, order, event });
        self.len += 1;
        Ok(EventKey(seq))
    }

    #[inline]
    fn insert(&mut self, entry: Entry<E>) {
        match bucket_of(entry.time, self.base) {
            0 => {
                if self.current.back().is_none_or(|last| last.order < entry.order) {
                    self.current.push_back(entry);
                } else {
                    let at = self.current.partition_point(|e| e.order < entry.order);
                    self.current.insert(at, entry);
                }
            }
            b => {
                self.buckets[b].push(entry);
                self.occupied |= 1 << b;
            }
        }
    }

    fn rebase(&mut self, time: u64) {
        let mut all: Vec<Entry<E>> = self.current.drain(..).collect();
        for b in self.buckets.iter_mut() {
            all.append(b);
        }
        self.occupied = 0;
        self.base = time;
        for e in all {
            self.insert(e);
        }
    }

    /// Cancels a pending event. Cancelling an event that already fired or was already
    /// cancelled is a caller bug (it would leak a tombstone) and is checked in debug builds.
    pub fn cancel(&mut self, key: EventKey) {
        debug_assert!(key.0 < self.next_seq, "cancelling a key this queue never issued");
        let fresh = self.cancelled.insert(key.0);
        debug_assert!(fresh, "event {key:?} cancelled twice");
    }

    /// Makes `current` hold the earliest instant's events, dropping cancelled ones at its top.
    /// Returns false when the queue is empty.
    fn settle_top(&mut self) -> bool {
        loop {
            if let Some(top) = self.current.front() {
                let seq = top.order & SEQ_MASK;
                if !self.cancelled.is_empty() && self.cancelled.remove(&seq) {
                    self.current.pop_front();
                    self.len -= 1;
                    continue;
                }
                return true;
            }
            // Refill from the lowest non-empty bucket: its minimum becomes the new base and
            // its events move to lower buckets (those at the minimum to `current`).
            if self.occupied == 0 {
                return false;
            }
            let b = self.occupied.trailing_zeros() as usize;
            self.occupied &= !(1 << b);
            let mut bucket = std::mem::take(&mut self.buckets[b]);
            let base = bucket.iter().map(|e| e.time).min().expect("occupied buckets are non-empty");
            self.base = base;
            // `current` is empty here: the events at the new base go there (sorted by order
            // below), the others to buckets below `b`.
            debug_assert!(self.current.is_empty());
            let mut occupied = self.occupied;
            for e in bucket.drain(..) {
                let to = bucket_of(e.time, base);
                if to == 0 {
                    self.current.push_back(e);
                } else {
                    self.buckets[to].push(e);
                    occupied |= 1 << to;
                }
            }
            self.occupied = occupied;
            if !self.current.iter().is_sorted_by_key(|e| e.order) {
                self.current.make_contiguous().sort_unstable_by_key(|e| e.order);
            }
            // Keep the allocation for reuse: the bucket is refilled again and again.
            self.buckets[b] = bucket;
        }
    }

    /// Removes and returns the next live event, advancing the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, EventKey, E)> {
        if !self.settle_top() {
            return None;
        }
        let entry = self.current.pop_front()?;
        self.len -= 1;
        let time = SimTime::from_micros(entry.time);
        debug_assert!(time >= self.now);
        self.now = time;
        Some((time, EventKey(entry.order & SEQ_MASK), entry.event))
    }

    /// The time of the next live event, without removing it.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        if self.settle_top() { Some(SimTime::from_micros(self.base)) } else { None }
    }

    /// Advances the clock without an event (e.g. to `until` when the queue runs dry).
    pub fn advance_to(&mut self, t: SimTime) {
        debug_assert!(t >= self.now);
        self.now = self.now.max(t);
    }

    /// Number of scheduled events, including cancelled ones not yet dropped.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == self.cancelled.len()
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

    fn key_seq<E>(q: &EventQueue<E>) -> u64 {
        q.scheduled_total()
    }

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

    #[test]
    fn scheduling_before_a_peeked_event_after_advancing_the_clock() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_secs(100), "late").unwrap();
        assert_eq!(q.peek_time(), Some(SimTime::from_secs(100)));
        q.advance_to(SimTime::from_secs(10));
        q.schedule(SimTime::from_secs(20), "early").unwrap();
        assert_eq!(q.pop().map(|(t, _, e)| (t, e)), Some((SimTime::from_secs(20), "early")));
        assert_eq!(q.pop().map(|(t, _, e)| (t, e)), Some((SimTime::from_secs(100), "late")));
    }

    proptest! {
        /// Interleaved scheduling and popping (the way a simulation uses the queue) agrees with
        /// a sorted reference, lanes and cancellations included.
        #[test]
        fn interleaved_operations_match_a_sorted_reference(
            ops in proptest::collection::vec((0u8..4, 0u64..1_000_000, any::<bool>()), 1..400)
        ) {
            use std::collections::BTreeMap;
            let mut q = EventQueue::new();
            let mut reference: BTreeMap<(u64, u64), u64> = BTreeMap::new();
            let mut keys: Vec<(EventKey, (u64, u64))> = Vec::new();
            for (op, delta, observer) in ops {
                match op {
                    0 | 1 => {
                        let now = q.now().as_micros();
                        // Half the events land at small offsets, so that ties are common.
                        let at = now + if op == 0 { delta % 4 } else { delta };
                        let lane = if observer { Lane::Observer } else { Lane::Normal };
                        let key = q.schedule_in(SimTime::from_micros(at), lane, key_seq(&q)).unwrap();
                        let order = ((lane as u64) << LANE_SHIFT) | key.seq();
                        reference.insert((at, order), key.seq());
                        keys.push((key, (at, order)));
                    }
                    2 => {
                        if let Some((key, slot)) = keys.pop()
                            && reference.remove(&slot).is_some()
                        {
                            q.cancel(key);
                        }
                    }
                    _ => {
                        let expected = reference.pop_first();
                        let got = q.pop();
                        prop_assert_eq!(got.map(|(t, k, _)| (t.as_micros(), k.seq())), expected.map(|((t, _), s)| (t, s)));
                    }
                }
            }
            while let Some(((t, _), s)) = reference.pop_first() {
                let got = q.pop().map(|(t, k, _)| (t.as_micros(), k.seq()));
                prop_assert_eq!(got, Some((t, s)));
            }
            prop_assert!(q.pop().is_none());
        }

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
