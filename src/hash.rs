//! The hash maps of the simulation's indexes: std's maps with foldhash instead of SipHash.
//!
//! Every such map is only looked up, never iterated where an order could reach a result
//! (ARCHITECTURE.md, "Determinism"), so the hasher's per-process seed cannot change a run. The
//! keys are short names and ids hashed on every pod event (label indexes, name maps, the
//! kernel's cancellations), where SipHash was 2.5 % of a 10,000-node day; foldhash's seeded
//! fast variant keeps some resistance to crafted collisions in hostile scenarios.

/// A `HashMap` with the crate's hasher; build it with `HashMap::default()`.
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A `HashSet` with the crate's hasher; build it with `HashSet::default()`.
pub type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
