//! The run digest: a stable 128-bit hash of the canonical event log.
//!
//! Components describe every observable state change to the journal, which feeds it here as
//! a canonical byte encoding (little-endian integers, length-prefixed strings). Equal digests
//! mean equal logs, so two runs of the same binary, scenario and seed can be compared with one
//! string. The hash (XXH3-128) and the encoding are fixed: they do not depend on the platform's
//! endianness, pointer width, thread count or hash-map seeds.

use xxhash_rust::xxh3::Xxh3Default;

/// Bytes gathered before they go to the hasher.
const BUFFER: usize = 512;

/// Streaming digest of the canonical event log.
///
/// A record is a few short writes (an 8-byte time, a tag, a name): each went to the hasher
/// on its own, a call and a copy into the hasher's buffer per write (~3 % of a scale day).
/// They are gathered here first and handed over in blocks; a streaming hash does not depend
/// on how its input is split, so the digest is the same.
#[derive(Clone)]
pub struct Digest {
    hasher: Xxh3Default,
    records: u64,
    pending: [u8; BUFFER],
    /// The first `len` bytes of `pending` are not hashed yet.
    len: usize,
}

impl Default for Digest {
    fn default() -> Self {
        Self::new()
    }
}

impl Digest {
    pub fn new() -> Digest {
        Digest { hasher: Xxh3Default::new(), records: 0, pending: [0; BUFFER], len: 0 }
    }

    /// Appends `bytes` to the log.
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        if bytes.len() > BUFFER - self.len {
            self.hasher.update(&self.pending[..self.len]);
            self.len = 0;
            if bytes.len() > BUFFER {
                self.hasher.update(bytes);
                return;
            }
        }
        self.pending[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
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
        self.put(&[v]);
    }

    #[inline]
    pub fn write_u64(&mut self, v: u64) {
        self.put(&v.to_le_bytes());
    }

    #[inline]
    pub fn write_i64(&mut self, v: i64) {
        self.put(&v.to_le_bytes());
    }

    /// Length-prefixed, so that ("ab","c") and ("a","bc") differ.
    #[inline]
    pub fn write_str(&mut self, s: &str) {
        self.write_u64(s.len() as u64);
        self.put(s.as_bytes());
    }

    /// [`write_str`](Self::write_str) of `first/second` (of `first` without a second), without
    /// building the string.
    #[inline]
    pub fn write_joined(&mut self, first: &str, second: Option<&str>) {
        match second {
            None => self.write_str(first),
            Some(second) => {
                self.write_u64((first.len() + 1 + second.len()) as u64);
                self.put(first.as_bytes());
                self.put(b"/");
                self.put(second.as_bytes());
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
        h.update(&self.pending[..self.len]);
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

    /// The digest is XXH3-128 of the log's bytes however the writes split them: strings
    /// shorter and longer than the buffer, writes that end exactly at its end and cross it.
    #[test]
    fn the_digest_is_the_hash_of_the_whole_log() {
        let (mut d, mut bytes) = (Digest::new(), Vec::new());
        for k in 0..300u64 {
            let len = (k * 37 % 1500) as usize;
            let text: String = (0..len).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            d.begin_record(k, (k % 7) as u8);
            d.write_str(&text);
            d.write_i64(-(k as i64));
            d.write_joined("ns", Some(&text[..len / 2]));
            bytes.extend_from_slice(&k.to_le_bytes());
            bytes.push((k % 7) as u8);
            bytes.extend_from_slice(&(len as u64).to_le_bytes());
            bytes.extend_from_slice(text.as_bytes());
            bytes.extend_from_slice(&(-(k as i64)).to_le_bytes());
            bytes.extend_from_slice(&((2 + 1 + len / 2) as u64).to_le_bytes());
            bytes.extend_from_slice(b"ns/");
            bytes.extend_from_slice(&text.as_bytes()[..len / 2]);
            // Read midway too: reading does not change what follows.
            if k % 50 == 0 {
                let _ = d.hex();
            }
        }
        bytes.extend_from_slice(&300u64.to_le_bytes());
        assert_eq!(d.hex(), format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&bytes)));
    }

    /// Pins the hash: a change here changes every published digest.
    #[test]
    fn empty_digest_is_pinned() {
        assert_eq!(Digest::new().hex(), format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&0u64.to_le_bytes())));
    }
}
