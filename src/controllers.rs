//! The controller manager: one module per controller, each a function of the store (and the
//! time) that returns the actions it wants, plus the work queues that feed them.
//!
//! Controllers are level-triggered, as in Kubernetes: a change to an object they watch puts
//! the object's key on their work queue; the engine pops one key per `Reconcile` event, at the
//! same virtual instant (zero informer latency), in FIFO order with duplicates collapsed.

pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod disruption;
pub mod endpoints;
pub mod hpa;
pub mod job;
pub mod node_lifecycle;
pub mod persistent_volume;
pub mod pod_gc;
pub mod replicaset;
pub mod statefulset;
pub mod taint_eviction;

use crate::hash::HashSet;
use std::collections::VecDeque;
use std::hash::Hash;

/// The controllers fed by work queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Controller {
    ReplicaSet,
    Deployment,
    Endpoints,
    Disruption,
    Job,
    CronJob,
    StatefulSet,
    DaemonSet,
    /// The PV controller: claims and volumes.
    PersistentVolume,
}

/// The pending `AddAfter` of each key of a delaying work queue: client-go keeps only the
/// earliest time when a key is added again before it is due.
#[derive(Default)]
pub struct PendingAdds {
    at: Vec<Option<crate::kernel::SimTime>>,
}

impl PendingAdds {
    /// Asks for `key` to be added at `at` (not before `now`); returns the time an event must be
    /// scheduled for, or `None` when an add at or before `at` is already pending.
    pub fn add_after(
        &mut self,
        key: usize,
        now: crate::kernel::SimTime,
        at: crate::kernel::SimTime,
    ) -> Option<crate::kernel::SimTime> {
        let at = at.max(now);
        if self.at.len() <= key {
            self.at.resize(key + 1, None);
        }
        match self.at[key] {
            Some(t) if t >= now && t <= at => None,
            _ => {
                self.at[key] = Some(at);
                Some(at)
            }
        }
    }

    /// The add of `key` scheduled for `now` fired; returns whether it was the pending one
    /// (not an older, superseded event).
    pub fn fire(&mut self, key: usize, now: crate::kernel::SimTime) -> bool {
        match self.at.get_mut(key) {
            Some(slot) if *slot == Some(now) => {
                *slot = None;
                true
            }
            _ => false,
        }
    }
}

/// A FIFO of keys with duplicates collapsed (client-go's workqueue without rate limiting).
pub struct WorkQueue<K> {
    queue: VecDeque<K>,
    queued: HashSet<K>,
}

impl<K: Copy + Eq + Hash> Default for WorkQueue<K> {
    fn default() -> Self {
        WorkQueue { queue: VecDeque::new(), queued: HashSet::default() }
    }
}

impl<K: Copy + Eq + Hash> WorkQueue<K> {
    /// Adds a key unless it is already waiting.
    pub fn add(&mut self, key: K) {
        if self.queued.insert(key) {
            self.queue.push_back(key);
        }
    }

    pub fn pop(&mut self) -> Option<K> {
        let key = self.queue.pop_front()?;
        self.queued.remove(&key);
        Some(key)
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_queue_is_fifo_without_duplicates() {
        let mut q = WorkQueue::default();
        for k in [3, 1, 3, 2, 1] {
            q.add(k);
        }
        assert_eq!(std::iter::from_fn(|| q.pop()).collect::<Vec<_>>(), [3, 1, 2]);
        q.add(1);
        assert_eq!(q.len(), 1);
    }
}
