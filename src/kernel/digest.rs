//! The run digest: a stable 128-bit hash of the canonical event log.
//!
//! Components describe every observable state change to the journal, which feeds it here as
//! a canonical byte encoding (little-endian integers, length-prefixed strings). Equal digests
//! mean equal logs, so two runs of the same binary, scenario and seed can be compared with one
//! string. The hash (XXH3-128) and the encoding are fixed: they do not depend on the platform's
//! endianness, pointer width, thread count or hash-map seeds.

use xxhash_rust::xxh3::Xxh3Default;

/// Streaming digest of the canonical event log.
#[derive(Clone)]
pub struct Digest {
    hasher: Xxh3Default,
    records: u64,
}

impl Default for Digest {
    fn default() -> Self {
        Self::new()
    }
}

impl Digest {
    pub fn new() -> Digest {
        Digest { hasher: Xxh3Default::new(), records: 0 }
    }

    /// Marks the start of one log record; the count is part of the digest.
    #[inline]
    pub fn begin_record(&mut self, time_micros: u64, kind: u8) {
        self.records += 1;
        self.write_u64(time_micros);
        self.write_u8(kind);
    }

    #[inline]
    pub fn write_u8(&mut self, v: u8) {
        self.hasher.update(&[v]);
    }

    #[inline]
    pub fn write_u64(&mut self, v: u64) {
        self.hasher.update(&v.to_le_bytes());
    }

    #[inline]
    pub fn write_i64(&mut self, v: i64) {
        self.hasher.update(&v.to_le_bytes());
    }

    /// Length-prefixed, so that ("ab","c") and ("a","bc") differ.
    #[inline]
    pub fn write_str(&mut self, s: &str) {
        self.write_u64(s.len() as u64);
        self.hasher.update(s.as_bytes());
    }

    /// [`write_str`](Self::write_str) of `first/second` (of `first` without a second), without
    /// building the string.
    #[inline]
    pub fn write_joined(&mut self, first: &str, second: Option<&str>) {
        match second {
            None => self.write_str(first),
            Some(second) => {
                self.write_u64((first.len() + 1 + second.len()) as u64);
                self.hasher.update(first.as_bytes());
                self.hasher.update(b"/");
                self.hasher.update(second.as_bytes());
            }
        }
    }

    /// Number of records hashed so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The digest as 32 lower-case hex digits.
    pub fn hex(&self) -> String {
        let mut h = self.hasher.clone();
        h.update(&self.records.to_le_bytes());
        format!("{:032x}", h.digest128())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_logs_equal_digests() {
        let log = |d: &mut Digest| {
            d.begin_record(5, 1);
            d.write_str("pod/default/a");
            d.begin_record(7, 2);
            d.write_i64(-3);
        };
        let (mut a, mut b) = (Digest::new(), Digest::new());
        log(&mut a);
        log(&mut b);
        assert_eq!(a.hex(), b.hex());
        assert_eq!(a.hex().len(), 32);
    }

    #[test]
    fn strings_are_length_prefixed() {
        let mut a = Digest::new();
        a.write_str("ab");
        a.write_str("c");
        let mut b = Digest::new();
        b.write_str("a");
        b.write_str("bc");
        assert_ne!(a.hex(), b.hex());
    }

    /// Pins the hash: a change here changes every published digest.
    #[test]
    fn empty_digest_is_pinned() {
        assert_eq!(Digest::new().hex(), format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&0u64.to_le_bytes())));
    }
}
