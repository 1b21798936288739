//! The future-event list: a radix heap over virtual time, with a deque for the events of the
//! current instant, ordered by `(time, lane, seq)`, with lazy cancellation.
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
//! is ever scheduled before the last one popped. A radix heap exploits that. Times are read as
//! 16 hexadecimal digits; an event goes into the bucket of the highest digit in which its time
//! differs from the last popped time (the *base*) and of its value of that digit. Buckets in
//! that order hold ever later events, so the earliest event is in the lowest non-empty
//! bucket. Pushing is O(1); popping empties the lowest non-empty bucket into lower ones, so an
//! event moves at most once per digit of its distance from the base — an hour ahead in
//! microseconds is 9 digits, a day 10; most events move far fewer times — through
//! vectors, in cache-friendly sweeps, instead of walking ~20 cache-missing heap levels per pop
//! as a binary heap of a million events does. (One bucket per *bit*, the textbook radix heap,
//! moves each event up to four times as often.) Events of the current instant wait in a short
//! deque kept sorted by `(lane, seq)`.
//!
//! A drained bucket keeps its allocation only when it is small (at most [`KEEP`] events): the
//! next event of that exact digit and value may be a whole window of the digit above away (a
//! bucket of hour-scale events waits a day), so keeping every bucket's largest allocation held
//! ~16 times the pending events — 1.16 M slots for 35 k events at the end of the 1M-pod day.
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
/// Bits per digit of the radix.
const DIGIT_BITS: u32 = 4;
const DIGIT_VALUES: usize = 1 << DIGIT_BITS;
/// 16 digits of 16 values: bucket `16·p + v` holds the events that differ from the base first
/// in digit `p`, where their digit is `v` (necessarily above the base's, so bucket `16·p` is
/// never used; events at the base itself wait in `current`).
const BUCKETS: usize = (u64::BITS / DIGIT_BITS) as usize * DIGIT_VALUES;
const OCCUPANCY_WORDS: usize = BUCKETS / 64;

/// The event queue and the virtual clock it drives.
pub struct EventQueue<E> {
    /// Events at `base` (the current instant), sorted by (lane, seq): popped from the front;
    /// a new event of the same lane is usually the largest, so it is pushed at the back.
    current: VecDeque<Entry<E>>,
    /// `buckets[16·p + v]` holds events whose time differs from `base` first in hexadecimal
    /// digit `p`, where it is `v`.
    buckets: Box<[Vec<Entry<E>>; BUCKETS]>,
    /// The radix base: every queued event's time is `>= base`.
    base: u64,
    /// Bit `b % 64` of word `b / 64` set when `buckets[b]` is non-empty.
    occupied: [u64; OCCUPANCY_WORDS],
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

/// The most events a drained bucket (or the deque it swaps with) keeps room for; a larger
/// allocation is freed and regrown when next needed (the low digits, drained and refilled all
/// the time, stay below it).
const KEEP: usize = 1024;

/// A drained bucket's allocation, kept for its next use when small: see [`KEEP`].
#[inline]
fn reuse<T>(drained: Vec<T>) -> Vec<T> {
    debug_assert!(drained.is_empty());
    if drained.capacity() > KEEP { Vec::new() } else { drained }
}

/// The bucket of an event at `time` when the base is `base` (`time >= base`); 0 when equal.
#[inline]
fn bucket_of(time: u64, base: u64) -> usize {
    if time == base {
        return 0;
    }
    let digit = (u64::BITS - 1 - (time ^ base).leading_zeros()) / DIGIT_BITS;
    let value = (time >> (digit * DIGIT_BITS)) as usize & (DIGIT_VALUES - 1);
    digit as usize * DIGIT_VALUES + value
}

/// The events of bucket `b` all share one time when it is a bucket of the lowest digit.
#[inline]
fn single_time(b: usize) -> bool {
    b < DIGIT_VALUES
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
            occupied: [0; OCCUPANCY_WORDS],
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
                self.occupied[b / 64] |= 1 << (b % 64);
            }
        }
    }

    fn rebase(&mut self, time: u64) {
        let mut all: Vec<Entry<E>> = self.current.drain(..).collect();
        for b in self.buckets.iter_mut() {
            all.append(b);
        }
        self.occupied = [0; OCCUPANCY_WORDS];
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
            let Some(b) = self.lowest_occupied() else { return false };
            self.occupied[b / 64] &= !(1 << (b % 64));
            // `current` is empty here.
            debug_assert!(self.current.is_empty());
            let mut bucket = std::mem::take(&mut self.buckets[b]);
            if single_time(b) {
                // Every event here is at the minimum: the bucket becomes `current` (its
                // allocation and `current`'s swap places, nothing moves).
                self.base = bucket[0].time;
                if !bucket.is_sorted_by_key(|e| e.order) {
                    bucket.sort_unstable_by_key(|e| e.order);
                }
                let empty = std::mem::replace(&mut self.current, VecDeque::from(bucket));
                self.buckets[b] = reuse(Vec::from(empty));
                continue;
            }
            let base = bucket.iter().map(|e| e.time).min().expect("occupied buckets are non-empty");
            self.base = base;
            for e in bucket.drain(..) {
                let to = bucket_of(e.time, base);
                if to == 0 {
                    self.current.push_back(e);
                } else {
                    self.buckets[to].push(e);
                    self.occupied[to / 64] |= 1 << (to % 64);
                }
            }
            if self.current.len() > 1 && !self.current.iter().is_sorted_by_key(|e| e.order) {
                self.current.make_contiguous().sort_unstable_by_key(|e| e.order);
            }
            // Keep a small allocation for reuse: the low buckets are refilled again and again.
            self.buckets[b] = reuse(bucket);
        }
    }

    /// The lowest non-empty bucket.
    #[inline]
    fn lowest_occupied(&self) -> Option<usize> {
        let w = self.occupied.iter().position(|&w| w != 0)?;
        Some(w * 64 + self.occupied[w].trailing_zeros() as usize)
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

    #[test]
    fn drained_buckets_do_not_hold_large_allocations() {
        // 200 k events 400 ms apart (a day): the hour-scale buckets each fill with thousands.
        let mut q = EventQueue::new();
        for i in 0..200_000u64 {
            q.schedule(SimTime::from_micros(i * 400_000), i).unwrap();
        }
        let mut popped = 0u64;
        while let Some((_, _, i)) = q.pop() {
            assert_eq!(i, popped);
            popped += 1;
            // Every empty bucket keeps at most KEEP slots, however many it once held.
            for b in q.buckets.iter().filter(|b| b.is_empty()) {
                assert!(b.capacity() <= KEEP, "an empty bucket keeps {} slots", b.capacity());
            }
        }
        assert_eq!(popped, 200_000);
        // Without the limit the empty buckets would hold over 100 k slots.
        let kept: usize = q.buckets.iter().map(Vec::capacity).sum();
        assert!(kept < 100_000, "{kept} slots kept");
    }

    proptest! {
        /// Interleaved scheduling and popping (the way a simulation uses the queue) agrees with
        /// a sorted reference, lanes and cancellations included.
        #[test]
        fn interleaved_operations_match_a_sorted_reference(
            ops in proptest::collection::vec((0u8..6, 0u64..1_000_000, any::<bool>()), 1..400)
        ) {
            use std::collections::BTreeMap;
            let mut q = EventQueue::new();
            let mut reference: BTreeMap<(u64, u64), u64> = BTreeMap::new();
            let mut keys: Vec<(EventKey, (u64, u64))> = Vec::new();
            for (op, delta, observer) in ops {
                match op {
                    0 | 1 | 4 => {
                        let now = q.now().as_micros();
                        // Many events land at small offsets, so that ties are common; some
                        // far ahead (up to 2^50 µs), so that every digit of the radix is used.
                        let at = now + match op {
                            0 => delta % 4,
                            1 => delta,
                            _ => delta << (delta % 31),
                        };
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
                    5 => {
                        // Peek (the radix base moves to the next event), then set the clock
                        // only part of the way: later schedules may land before the base.
                        let expected = reference.first_key_value().map(|((t, _), _)| *t);
                        let peeked = q.peek_time().map(SimTime::as_micros);
                        prop_assert_eq!(peeked, expected);
                        if let Some(t) = peeked {
                            let now = q.now().as_micros();
                            q.advance_to(SimTime::from_micros(now + (t - now) / 2));
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
