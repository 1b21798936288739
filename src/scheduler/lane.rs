//! Scans over a memo slot's lane (`memo::Lane`: one `i32` per node-tree position, a known
//! node's total or a `LANE_*` code): the runs a filter pass takes, and the highest total, its
//! ties and the chosen one that `selectHost` reads.
//!
//! A lane keeps a [`Summary`] per block of [`BLOCK`] positions (least and greatest value, how
//! many hold the greatest, how many pass), so that a scan over thousands of positions reads
//! one summary per block and looks at values only in the blocks at its two ends, in a block
//! whose summary does not settle the question, and in a block written since its summary was
//! made (*stale*; its values are read instead, so a pass that records nodes one by one does not
//! remake a summary per node, and a stretch of stale blocks is read as one run of values).
//! [`Blocks::refresh`] remakes the stale ones in the ranges a cycle is about to scan several
//! times (`selectHost`'s four scans), not the others, which may change again before a pass
//! reads them. Lanes shorter than [`SUMMARIZED`] keep no summaries. Every scan answers what the
//! same scan over the values alone answers (the tests compare them).

use super::memo::{LANE_FAIL, LANE_UNSCORED, LANE_UNUSABLE};

/// Positions per block.
pub const BLOCK: usize = 32;

/// Lanes shorter than this keep no summaries (every scan reads the values, as one run): over
/// a few dozen blocks, marking and remaking summaries cost more than they save (the openb
/// replay's 1,523 nodes: 1.266 G instructions without them, 1.310 G with).
pub const SUMMARIZED: usize = 2048;

/// What a block of a lane holds, while `current`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    min: i32,
    max: i32,
    /// How many values equal `max`, and how many pass (at least [`LANE_UNSCORED`]).
    at_max: u16,
    passing: u16,
    current: bool,
}

impl Summary {
    fn of(values: &[i32]) -> Summary {
        let min = values.iter().fold(i32::MAX, |m, &v| m.min(v));
        let max = values.iter().fold(i32::MIN, |m, &v| m.max(v));
        Summary {
            min,
            max,
            at_max: count_equal(values, max) as u16,
            passing: values.iter().filter(|&&v| v >= LANE_UNSCORED).count() as u16,
            current: true,
        }
    }
}

/// The block summaries of a lane, and the blocks written since their summary was made.
#[derive(Default)]
pub struct Blocks {
    summaries: Vec<Summary>,
    stale: Vec<u32>,
}

impl Blocks {
    /// Makes every summary anew from `values` (the whole lane, just rebuilt); none when
    /// `summarize` is false (see [`SUMMARIZED`]).
    pub fn rebuild(&mut self, values: &[i32], summarize: bool) {
        self.summaries.clear();
        if summarize {
            self.summaries.extend(values.chunks(BLOCK).map(Summary::of));
        }
        self.stale.clear();
    }

    /// The value at `position` changed.
    #[inline]
    pub fn mark(&mut self, position: usize) {
        if let Some(s) = self.summaries.get_mut(position / BLOCK)
            && std::mem::take(&mut s.current)
        {
            self.stale.push((position / BLOCK) as u32);
        }
    }

    /// Remakes the summaries of the blocks written since that meet one of `ranges` of
    /// positions (from `values`, the lane); the others stay stale.
    pub fn refresh(&mut self, values: &[i32], ranges: &[(usize, usize)]) {
        let summaries = &mut self.summaries;
        self.stale.retain(|&b| {
            let b = b as usize;
            let (start, end) = (b * BLOCK, values.len().min((b + 1) * BLOCK));
            if !ranges.iter().any(|&(from, to)| start < to && from < end) {
                return true;
            }
            if let Some(s) = summaries.get_mut(b) {
                *s = Summary::of(&values[start..end]);
            }
            false
        });
    }

    /// Whether every summary not stale is the one `values` make (debug builds check it at
    /// every sync).
    pub fn agree(&self, values: &[i32]) -> bool {
        self.summaries.is_empty()
            || self.summaries.len() == values.len().div_ceil(BLOCK)
                && self
                    .summaries
                    .iter()
                    .zip(values.chunks(BLOCK))
                    .all(|(s, block)| !s.current || *s == Summary::of(block))
    }
}

/// A lane's values with its block summaries, for scans over ranges `[from, end)` of positions.
#[derive(Clone, Copy)]
pub struct LaneView<'a> {
    pub values: &'a [i32],
    summaries: &'a [Summary],
}

impl<'a> LaneView<'a> {
    pub fn new(values: &'a [i32], blocks: &'a Blocks) -> LaneView<'a> {
        debug_assert!(
            blocks.summaries.is_empty() || blocks.summaries.len() == values.len().div_ceil(BLOCK),
            "a summary per block, or none"
        );
        LaneView { values, summaries: &blocks.summaries }
    }

    /// The current summary of the block starting at `q`, and the block's end, if the block
    /// lies whole before `end` (the last block of the lane may be short).
    #[inline]
    fn whole(&self, q: usize, end: usize) -> Option<(&Summary, usize)> {
        let block_end = (q + BLOCK).min(self.values.len());
        if !q.is_multiple_of(BLOCK) || block_end > end {
            return None;
        }
        self.summaries.get(q / BLOCK).filter(|s| s.current).map(|s| (s, block_end))
    }

    /// The end of the block holding `q`, within `end`.
    #[inline]
    fn block_end(q: usize, end: usize) -> usize {
        end.min((q / BLOCK + 1) * BLOCK)
    }

    /// [`lane_run`] over `values[from..end]`.
    pub fn run(&self, from: usize, end: usize, want: usize) -> (usize, usize) {
        if self.summaries.is_empty() {
            return lane_run(&self.values[from..end], want);
        }
        let (mut q, mut found) = (from, 0);
        while q < end && found < want {
            if let Some((s, next)) = self.whole(q, end)
                && s.min >= LANE_FAIL
                && found + usize::from(s.passing) < want
            {
                (q, found) = (next, found + usize::from(s.passing));
                continue;
            }
            // To the end of this block, and on over the following blocks without a current
            // summary: one scan of the values for a stretch of stale blocks.
            let mut stop = Self::block_end(q, end);
            while stop < end && !self.summaries.get(stop / BLOCK).is_some_and(|s| s.current) {
                stop = Self::block_end(stop, end);
            }
            let (taken, passing) = lane_run(&self.values[q..stop], want - found);
            (q, found) = (q + taken, found + passing);
            if q < stop {
                break;
            }
        }
        (q - from, found)
    }

    /// The least and the greatest value of `values[from..end]` (`i32::MAX` and `i32::MIN` when
    /// it is empty).
    pub fn extremes(&self, from: usize, end: usize) -> (i32, i32) {
        let (mut q, mut min, mut max) = (from, i32::MAX, i32::MIN);
        if self.summaries.is_empty() {
            let part = &self.values[from..end];
            return (part.iter().fold(min, |m, &v| m.min(v)), part.iter().fold(max, |m, &v| m.max(v)));
        }
        while q < end {
            if let Some((s, next)) = self.whole(q, end) {
                (min, max) = (min.min(s.min), max.max(s.max));
                q = next;
                continue;
            }
            let stop = Self::block_end(q, end);
            let part = &self.values[q..stop];
            min = part.iter().fold(min, |m, &v| m.min(v));
            max = part.iter().fold(max, |m, &v| m.max(v));
            q = stop;
        }
        (min, max)
    }

    /// How many of `values[from..end]` equal `x`, `x` being at least their greatest.
    pub fn count_equal(&self, from: usize, end: usize, x: i32) -> usize {
        if self.summaries.is_empty() {
            return count_equal(&self.values[from..end], x);
        }
        let (mut q, mut count) = (from, 0);
        while q < end {
            if let Some((s, next)) = self.whole(q, end) {
                debug_assert!(s.max <= x, "counts the greatest value only");
                count += if s.max == x { usize::from(s.at_max) } else { 0 };
                q = next;
                continue;
            }
            let stop = Self::block_end(q, end);
            count += count_equal(&self.values[q..stop], x);
            q = stop;
        }
        count
    }

    /// The position of the `r`-th (from 0) of `values[from..end]` equal to `x`, `x` being at
    /// least their greatest, if there are that many.
    pub fn nth_equal(&self, from: usize, end: usize, x: i32, mut r: usize) -> Option<usize> {
        if self.summaries.is_empty() {
            return nth_equal(&self.values[from..end], x, r).map(|k| from + k);
        }
        let mut q = from;
        while q < end {
            let stop = Self::block_end(q, end);
            let equal = match self.whole(q, end) {
                Some((s, _)) if s.max == x => usize::from(s.at_max),
                Some(_) => 0,
                None => count_equal(&self.values[q..stop], x),
            };
            if equal > r {
                return nth_equal(&self.values[q..stop], x, r).map(|k| q + k);
            }
            r -= equal;
            q = stop;
        }
        None
    }

    /// [`lane_codes`] over `values[from..end]` (pushing positions), blocks without a code
    /// (least value ≥ 0) passed over whole.
    pub fn codes(&self, from: usize, end: usize, unscored: &mut Vec<usize>) -> bool {
        if self.summaries.is_empty() {
            return lane_codes(&self.values[from..end], from, unscored);
        }
        let mut q = from;
        while q < end {
            if let Some((s, next)) = self.whole(q, end)
                && s.min >= 0
            {
                q = next;
                continue;
            }
            let stop = Self::block_end(q, end);
            if !lane_codes(&self.values[q..stop], q, unscored) {
                return false;
            }
            q = stop;
        }
        true
    }
}

/// How many of `values` equal `x` (a loop the compiler turns into vector compares).
#[inline]
pub fn count_equal(values: &[i32], x: i32) -> usize {
    values.iter().filter(|&&v| v == x).count()
}

/// The codes among a lane pass's values (`offset` is the first one's position): pushes the
/// position of each [`LANE_UNSCORED`] into `unscored`, in order, and answers false at the
/// first [`LANE_UNUSABLE`]. Chunks without a code (no negative value) are passed over whole.
pub fn lane_codes(values: &[i32], offset: usize, unscored: &mut Vec<usize>) -> bool {
    const CHUNK: usize = 64;
    for (c, chunk) in values.chunks(CHUNK).enumerate() {
        if chunk.iter().fold(i32::MAX, |m, &v| m.min(v)) >= 0 {
            continue;
        }
        for (q, &v) in chunk.iter().enumerate() {
            if v == LANE_UNSCORED {
                unscored.push(offset + c * CHUNK + q);
            } else if v == LANE_UNUSABLE {
                return false;
            }
        }
    }
    true
}

/// The position in `values` of the `r`-th value (from 0) equal to `x`, if there are that many:
/// whole chunks counted at once, then the last one value by value.
pub fn nth_equal(values: &[i32], x: i32, mut r: usize) -> Option<usize> {
    const CHUNK: usize = 32;
    let mut at = 0;
    for chunk in values.chunks_exact(CHUNK) {
        let equal = count_equal(chunk, x);
        if equal > r {
            break;
        }
        (at, r) = (at + CHUNK, r - equal);
    }
    values[at..].iter().enumerate().filter(|&(_, &v)| v == x).nth(r).map(|(q, _)| at + q)
}

/// The first values of `run` a lane pass takes at once: while each is known as a pass can use
/// it (a total, [`LANE_UNUSABLE`] or [`LANE_UNSCORED`]: passes; [`LANE_FAIL`]) and fewer than
/// `want` pass. Returns how many it took and how many of them pass.
pub fn lane_run(run: &[i32], want: usize) -> (usize, usize) {
    const CHUNK: usize = 16;
    let (mut taken, mut found) = (0, 0);
    // Whole chunks while they are known and leave `found` below `want`, without a branch per
    // value; the rest one by one.
    for chunk in run.chunks_exact(CHUNK) {
        let known = chunk.iter().fold(i32::MAX, |m, &v| m.min(v)) >= LANE_FAIL;
        let passing = chunk.iter().filter(|&&v| v >= LANE_UNSCORED).count();
        if !known || found + passing >= want {
            break;
        }
        (taken, found) = (taken + CHUNK, found + passing);
    }
    for &v in &run[taken..] {
        if found == want || v < LANE_FAIL {
            break;
        }
        taken += 1;
        found += usize::from(v >= LANE_UNSCORED);
    }
    (taken, found)
}

#[cfg(test)]
mod tests {
    use super::super::memo::{LANE_OTHER, LANE_UNKNOWN};
    use super::*;
    use proptest::strategy::{Just, Strategy};

    /// Lanes of up to `len` values: mostly totals, every code now and then.
    fn lanes(len: usize) -> impl Strategy<Value = Vec<i32>> {
        let value = proptest::prop_oneof![
            12 => 0i32..300,
            2 => Just(LANE_FAIL),
            2 => Just(LANE_UNSCORED),
            1 => Just(LANE_UNUSABLE),
            1 => Just(LANE_UNKNOWN),
            1 => Just(LANE_OTHER),
        ];
        proptest::collection::vec(value, 0..len)
    }

    /// Lanes of a few values, many equal: long runs of ties, and blocks without codes.
    fn flat_lanes(len: usize) -> impl Strategy<Value = Vec<i32>> {
        let value = proptest::prop_oneof![
            40 => Just(7),
            8 => Just(6),
            1 => Just(LANE_FAIL),
            1 => Just(LANE_UNSCORED),
            1 => Just(LANE_UNKNOWN),
        ];
        proptest::collection::vec(value, 0..len)
    }

    /// A lane's values after `writes` (position, value) written since its summaries were made,
    /// each marked; `refresh`: the range, if any, whose stale summaries are then remade.
    fn summarized(
        mut values: Vec<i32>,
        writes: &[(usize, i32)],
        refresh: Option<(usize, usize)>,
        summarize: bool,
    ) -> (Vec<i32>, Blocks) {
        let mut blocks = Blocks::default();
        blocks.rebuild(&values, summarize);
        for &(p, v) in writes {
            if !values.is_empty() {
                let p = p % values.len();
                values[p] = v;
                blocks.mark(p);
            }
        }
        if let Some((a, b)) = refresh {
            let (from, end) = range(values.len(), a, b);
            blocks.refresh(&values, &[(from, end)]);
            assert!(blocks.agree(&values), "current summaries are remade ones");
            let mut fresh = Blocks::default();
            fresh.rebuild(&values, summarize);
            for (b, (s, remade)) in blocks.summaries.iter().zip(&fresh.summaries).enumerate() {
                let (start, stop) = (b * BLOCK, values.len().min((b + 1) * BLOCK));
                if start < end && from < stop {
                    assert_eq!(s, remade, "a block the range meets is remade");
                }
            }
        }
        (values, blocks)
    }

    fn range(len: usize, a: usize, b: usize) -> (usize, usize) {
        let (a, b) = (a % (len + 1), b % (len + 1));
        (a.min(b), a.max(b))
    }

    proptest::proptest! {
        /// `lane_codes` lists the unscored positions a walk over the values finds, and says
        /// whether one is unusable.
        #[test]
        fn lane_codes_are_the_walks(values in lanes(300)) {
            let mut out = vec![7];
            let usable = lane_codes(&values, 1000, &mut out);
            proptest::prop_assert_eq!(usable, !values.contains(&LANE_UNUSABLE));
            if usable {
                let unscored = values.iter().enumerate().filter(|&(_, &v)| v == LANE_UNSCORED);
                let expected: Vec<usize> = std::iter::once(7).chain(unscored.map(|(q, _)| 1000 + q)).collect();
                proptest::prop_assert_eq!(out, expected);
            }
        }

        /// `nth_equal` finds what a filter over the values finds.
        #[test]
        fn nth_equal_is_the_filters_nth(values in proptest::collection::vec(0i32..4, 0..200), x in 0i32..4, r in 0usize..120) {
            let expected = values.iter().enumerate().filter(|&(_, &v)| v == x).nth(r).map(|(q, _)| q);
            proptest::prop_assert_eq!(nth_equal(&values, x, r), expected);
        }

        /// `lane_run` takes what a walk value by value takes: known values while fewer than
        /// `want` pass, stopping at the first value it cannot use.
        #[test]
        fn a_lane_run_takes_what_the_walk_takes(values in lanes(120), want in 1usize..100) {
            let (mut taken, mut found) = (0, 0);
            for &v in &values {
                let passes = v >= 0 || v == LANE_UNSCORED || v == LANE_UNUSABLE;
                if found == want || !(passes || v == LANE_FAIL) {
                    break;
                }
                taken += 1;
                if v != LANE_FAIL {
                    found += 1;
                }
            }
            proptest::prop_assert_eq!(lane_run(&values, want), (taken, found));
        }

        /// Every scan of a view answers what the same scan over the values alone answers, over
        /// any range, with summaries current or stale.
        #[test]
        fn a_view_scans_as_the_values_do(
            values in proptest::prop_oneof![lanes(400), flat_lanes(400)],
            writes in proptest::collection::vec((0usize..400, proptest::prop_oneof![0i32..9, Just(LANE_FAIL), Just(LANE_UNSCORED), Just(LANE_UNKNOWN)]), 0..12),
            refresh in proptest::option::of((0usize..401, 0usize..401)),
            summarize in proptest::bool::weighted(0.8),
            (a, b) in (0usize..401, 0usize..401),
            want in 1usize..300,
            r in 0usize..300,
        ) {
            let (values, blocks) = summarized(values, &writes, refresh, summarize);
            let view = LaneView::new(&values, &blocks);
            let (from, end) = range(values.len(), a, b);
            let part = &values[from..end];
            proptest::prop_assert_eq!(view.run(from, end, want), lane_run(part, want));
            let min = part.iter().copied().min().unwrap_or(i32::MAX);
            let max = part.iter().copied().max().unwrap_or(i32::MIN);
            proptest::prop_assert_eq!(view.extremes(from, end), (min, max));
            proptest::prop_assert_eq!(view.count_equal(from, end, max), count_equal(part, max));
            proptest::prop_assert_eq!(view.nth_equal(from, end, max, r), nth_equal(part, max, r).map(|k| from + k));
            let (mut by_view, mut by_values) = (vec![1], vec![1]);
            proptest::prop_assert_eq!(view.codes(from, end, &mut by_view), lane_codes(part, from, &mut by_values));
            proptest::prop_assert_eq!(by_view, by_values);
        }
    }
}
