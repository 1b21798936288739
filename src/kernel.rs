//! The simulation kernel: virtual time, the event queue, seeded random streams and the run
//! digest. Nothing in here knows about Kubernetes; the engine (`crate::engine`) builds on it.
//!
//! Invariant: the kernel never reads the wall clock or the OS entropy source, and never
//! iterates a hash map.

pub mod digest;
pub mod dist;
pub mod queue;
pub mod rng;
pub mod time;

pub use digest::Digest;
pub use queue::{EventKey, EventQueue, Lane, PastEventError};
pub use rng::{SimRng, Streams};
pub use time::{SimDuration, SimTime, WallClock, parse_duration};
