//! The node lifecycle controller (`pkg/controller/nodelifecycle/node_lifecycle_controller.go`),
//! with lazy heartbeats.
//!
//! A healthy kubelet renews its lease every 10 s; the controller's monitor pass runs every 5 s
//! and stamps the newest renewal it sees with its own clock (`probeTimestamp`). Instead of
//! simulating every renewal and every pass, the controller computes, when a machine stops,
//! the one pass that will find the node silent for longer than the grace period:
//!
//! ```text
//! last renewal L   = the latest lease tick (node phase + k·10 s) at or before the failure
//! probeTimestamp P = the first monitor tick (k·5 s) at or after L
//! NotReady at        the first monitor tick strictly after P + 50 s   (nodeMonitorGracePeriod)
//! ```
//!
//! At that pass the node's Ready, MemoryPressure, DiskPressure and PIDPressure conditions
//! become Unknown, its pods are marked not Ready (they leave Service endpoints), the
//! `unreachable:NoSchedule` taint is added, and the node is queued for the
//! `unreachable:NoExecute` taint, which a per-zone token bucket (0.1 node/s, burst 1) releases
//! on the 100 ms tainting pass. Zone states (Normal / PartialDisruption / FullDisruption, and
//! the all-zones "master disruption" mode) change the bucket's rate as in `handleDisruption`.
//! When the kubelet is back it posts Ready at once (the NoSchedule taint goes immediately) and
//! the next monitor pass removes the NoExecute taint.

use std::collections::VecDeque;

use crate::api::meta::ConditionStatus;
use crate::api::taint::{Taint, TaintEffect, keys};
use crate::engine::{Ctx, Event};
use crate::kernel::{SimDuration, SimTime};
use crate::store::{NodeConditionType, NodeId};

/// `--node-monitor-period`.
pub const MONITOR_PERIOD: SimDuration = SimDuration::from_secs(5);
/// `--node-monitor-grace-period` (v1.32+).
pub const GRACE_PERIOD: SimDuration = SimDuration::from_secs(50);
/// The kubelet's lease renew interval (0.25 × 40 s).
pub const LEASE_RENEW_INTERVAL: SimDuration = SimDuration::from_secs(10);
/// `NodeEvictionPeriod`: the NoExecute tainting pass.
pub const EVICTION_PERIOD: SimDuration = SimDuration::from_millis(100);
/// `--node-eviction-rate` 0.1/s: one node per 10 s per zone.
pub const PRIMARY_TOKEN_INTERVAL: SimDuration = SimDuration::from_secs(10);
/// `--secondary-node-eviction-rate` 0.01/s.
pub const SECONDARY_TOKEN_INTERVAL: SimDuration = SimDuration::from_secs(100);
/// `--unhealthy-zone-threshold`.
pub const UNHEALTHY_ZONE_THRESHOLD: f64 = 0.55;
/// `--large-cluster-size-threshold`.
pub const LARGE_CLUSTER_THRESHOLD: usize = 50;

/// The NoSchedule taints that mirror node conditions.
const CONDITION_TAINTS: [&str; 5] =
    [keys::NOT_READY, keys::UNREACHABLE, keys::MEMORY_PRESSURE, keys::DISK_PRESSURE, keys::PID_PRESSURE];

/// `ZoneState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneState {
    Normal,
    PartialDisruption,
    FullDisruption,
}

#[derive(Clone, Copy, Debug)]
struct NodeHealth {
    /// Invalidates pending detection/recovery timers.
    epoch: u32,
    kubelet_alive: bool,
    /// The kubelet's lease renewals happen at `lease_phase + k · 10 s`.
    lease_phase: SimTime,
    zone: usize,
    queued: bool,
    /// The Ready status the last monitor pass saw was True (`MarkPodsNotReady` runs on the
    /// transition from True).
    observed_ready: bool,
    /// The Node object was deleted: the controller forgot it.
    removed: bool,
}

struct Zone {
    key: String,
    nodes: Vec<NodeId>,
    state: ZoneState,
    /// When the bucket next has a token.
    next_token: SimTime,
    queue: VecDeque<NodeId>,
}

/// The node lifecycle controller's state.
pub struct NodeLifecycle {
    nodes: Vec<NodeHealth>,
    zones: Vec<Zone>,
    master_disruption: bool,
    pass_scheduled: Option<SimTime>,
    /// The controller manager is away: no monitor pass, no tainting (see [`NodeLifecycle::resume`]).
    paused: bool,
}

impl Default for NodeLifecycle {
    fn default() -> Self {
        Self::new()
    }
}

/// The timers of this controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifecycleTimer {
    /// The monitor pass that finds a silent node past its grace period.
    GraceExpired,
    /// The monitor pass that first sees the Ready condition a live kubelet posted (True after
    /// a recovery, or a kubelet-reported False).
    ReadyObserved,
}

impl NodeLifecycle {
    pub fn new() -> NodeLifecycle {
        NodeLifecycle {
            nodes: Vec::new(),
            zones: Vec::new(),
            master_disruption: false,
            pass_scheduled: None,
            paused: false,
        }
    }

    /// Registers a node whose kubelet renews its lease at `lease_phase + k · 10 s`.
    pub fn add_node(&mut self, id: NodeId, zone_key: &str, lease_phase: SimTime) {
        debug_assert_eq!(id.index(), self.nodes.len());
        let zone = match self.zones.iter().position(|z| z.key == zone_key) {
            Some(z) => z,
            None => {
                self.zones.push(Zone {
                    key: zone_key.to_string(),
                    nodes: Vec::new(),
                    state: ZoneState::Normal,
                    next_token: SimTime::ZERO,
                    queue: VecDeque::new(),
                });
                self.zones.len() - 1
            }
        };
        self.zones[zone].nodes.push(id);
        self.nodes.push(NodeHealth {
            epoch: 0,
            kubelet_alive: true,
            lease_phase,
            zone,
            queued: false,
            observed_ready: true,
            removed: false,
        });
    }

    pub fn zone_state(&self, zone_key: &str) -> Option<ZoneState> {
        self.zones.iter().find(|z| z.key == zone_key).map(|z| z.state)
    }

    /// When a machine stopping at `failed_at` is first seen NotReady.
    pub fn detection_time(&self, id: NodeId, failed_at: SimTime) -> SimTime {
        let h = &self.nodes[id.index()];
        let last_renewal = if failed_at < h.lease_phase {
            h.lease_phase.min(failed_at)
        } else {
            let k = (failed_at - h.lease_phase).as_micros() / LEASE_RENEW_INTERVAL.as_micros();
            h.lease_phase + LEASE_RENEW_INTERVAL.saturating_mul(k)
        };
        let probe = last_renewal.ceil_to_tick(MONITOR_PERIOD, SimDuration::ZERO);
        (probe + GRACE_PERIOD).next_tick_after(MONITOR_PERIOD, SimDuration::ZERO)
    }

    /// The kubelet stopped (machine crash, partition): plan the pass that notices.
    pub fn kubelet_stopped(&mut self, ctx: &mut Ctx<'_>, id: NodeId) {
        let at = self.detection_time(id, ctx.now);
        let h = &mut self.nodes[id.index()];
        h.kubelet_alive = false;
        h.epoch = h.epoch.wrapping_add(1);
        let epoch = h.epoch;
        ctx.at(at, Event::NodeLifecycle { node: id, epoch, timer: LifecycleTimer::GraceExpired });
    }

    /// The kubelet is back and has posted Ready: renewals restart from now; the NoSchedule
    /// taints go at once (the node worker reacts to the update), the NoExecute taint at the
    /// next monitor pass.
    pub fn kubelet_started(&mut self, ctx: &mut Ctx<'_>, id: NodeId) {
        let now = ctx.now;
        let h = &mut self.nodes[id.index()];
        h.kubelet_alive = true;
        h.lease_phase = now;
        h.epoch = h.epoch.wrapping_add(1);
        let epoch = h.epoch;
        let zone = h.zone;
        if h.queued {
            h.queued = false;
            self.zones[zone].queue.retain(|n| *n != id);
        }
        if self.paused {
            return;
        }
        ctx.store.remove_taint(now, id, keys::UNREACHABLE, TaintEffect::NoSchedule);
        if ctx.store.node(id).conditions.ready.status != ConditionStatus::False {
            ctx.store.remove_taint(now, id, keys::NOT_READY, TaintEffect::NoSchedule);
        }
        let at = now.ceil_to_tick(MONITOR_PERIOD, SimDuration::ZERO);
        ctx.at(at, Event::NodeLifecycle { node: id, epoch, timer: LifecycleTimer::ReadyObserved });
    }

    /// A live kubelet posted a new Ready condition (`nodeCondition`): the next monitor pass
    /// acts on it; the NoSchedule taints follow at once through [`node_updated`](Self::node_updated).
    pub fn ready_posted(&mut self, ctx: &mut Ctx<'_>, id: NodeId) {
        let h = &mut self.nodes[id.index()];
        if h.removed || !h.kubelet_alive {
            return;
        }
        h.epoch = h.epoch.wrapping_add(1);
        let epoch = h.epoch;
        let at = ctx.now.ceil_to_tick(MONITOR_PERIOD, SimDuration::ZERO);
        ctx.at(at, Event::NodeLifecycle { node: id, epoch, timer: LifecycleTimer::ReadyObserved });
    }

    /// The Node object was deleted: the controller forgets it (`nodeHealthMap`, its zone's
    /// tainting queue) and recomputes the zone states.
    pub fn remove_node(&mut self, ctx: &mut Ctx<'_>, id: NodeId) {
        let h = &mut self.nodes[id.index()];
        if h.removed {
            return;
        }
        h.removed = true;
        h.kubelet_alive = false;
        h.queued = false;
        h.epoch = h.epoch.wrapping_add(1);
        let zone = &mut self.zones[h.zone];
        zone.nodes.retain(|n| *n != id);
        zone.queue.retain(|n| *n != id);
        self.update_zones(ctx);
        self.schedule_pass(ctx);
    }

    /// The controller manager lost its lease: the controller stops.
    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// A fresh controller manager leads: it sees every node for the first time and stamps
    /// `probeTimestamp = now`, so a node gets a full grace period from now (a node whose
    /// machine stopped meanwhile is noticed only then); a node that came back meanwhile loses
    /// its taints as after a recovery; cordons get their taint.
    pub fn resume(&mut self, ctx: &mut Ctx<'_>) {
        self.paused = false;
        let now = ctx.now;
        for i in 0..self.nodes.len() {
            let id = NodeId(i as u32);
            let h = &mut self.nodes[i];
            if h.removed {
                continue;
            }
            h.epoch = h.epoch.wrapping_add(1);
            let epoch = h.epoch;
            if !h.kubelet_alive {
                if ctx.store.node(id).is_ready() {
                    let probe = now.ceil_to_tick(MONITOR_PERIOD, SimDuration::ZERO);
                    let at = (probe + GRACE_PERIOD).next_tick_after(MONITOR_PERIOD, SimDuration::ZERO);
                    ctx.at(at, Event::NodeLifecycle { node: id, epoch, timer: LifecycleTimer::GraceExpired });
                }
            } else if ctx.store.node(id).taints.iter().any(|t| t.key == keys::UNREACHABLE || t.key == keys::NOT_READY) {
                ctx.store.remove_taint(now, id, keys::UNREACHABLE, TaintEffect::NoSchedule);
                ctx.store.remove_taint(now, id, keys::NOT_READY, TaintEffect::NoSchedule);
                let at = now.ceil_to_tick(MONITOR_PERIOD, SimDuration::ZERO);
                ctx.at(at, Event::NodeLifecycle { node: id, epoch, timer: LifecycleTimer::ReadyObserved });
            }
            self.node_updated(ctx, id);
        }
        self.pass_scheduled = None;
        self.update_zones(ctx);
        self.schedule_pass(ctx);
    }

    /// Zones (by label value) and their current states, in first-seen order.
    pub fn zone_states(&self) -> Vec<(String, ZoneState)> {
        self.zones
            .iter()
            .map(|z| (z.key.rsplit_once(":\0:").map_or("", |(_, zone)| zone).to_string(), z.state))
            .collect()
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx<'_>, id: NodeId, epoch: u32, timer: LifecycleTimer) {
        if self.paused {
            return;
        }
        if self.nodes[id.index()].epoch != epoch {
            return;
        }
        match timer {
            LifecycleTimer::GraceExpired => self.mark_unknown(ctx, id),
            LifecycleTimer::ReadyObserved if ctx.store.node(id).is_ready() => {
                let now = ctx.now;
                self.nodes[id.index()].observed_ready = true;
                ctx.store.remove_taint(now, id, keys::UNREACHABLE, TaintEffect::NoExecute);
                ctx.store.remove_taint(now, id, keys::NOT_READY, TaintEffect::NoExecute);
                self.update_zones(ctx);
                self.schedule_pass(ctx);
            }
            LifecycleTimer::ReadyObserved => self.observe_not_ready(ctx, id),
        }
    }

    /// The node worker's NoSchedule tainting pass (`doNoScheduleTaintingPass`): a cordoned
    /// node carries `node.kubernetes.io/unschedulable:NoSchedule`, an uncordoned one does not;
    /// the condition taints mirror the conditions (Ready False → `not-ready`, Unknown →
    /// `unreachable`, MemoryPressure / DiskPressure / PIDPressure True → `memory-pressure` /
    /// `disk-pressure` / `pid-pressure`), added before the stale ones are removed.
    pub fn node_updated(&mut self, ctx: &mut Ctx<'_>, id: NodeId) {
        if self.paused || ctx.store.is_node_removed(id) {
            return;
        }
        let node = ctx.store.node(id);
        let tainted = node.taints.iter().any(|t| t.key == keys::UNSCHEDULABLE && t.effect == TaintEffect::NoSchedule);
        let now = ctx.now;
        if node.unschedulable && !tainted {
            ctx.store.add_taint(now, id, Taint::new(keys::UNSCHEDULABLE, TaintEffect::NoSchedule));
        } else if !node.unschedulable && tainted {
            ctx.store.remove_taint(now, id, keys::UNSCHEDULABLE, TaintEffect::NoSchedule);
        }
        let node = ctx.store.node(id);
        let c = &node.conditions;
        let wanted: Vec<&'static str> = [
            (c.ready.status == ConditionStatus::False, keys::NOT_READY),
            (c.ready.status == ConditionStatus::Unknown, keys::UNREACHABLE),
            (c.memory_pressure.status == ConditionStatus::True, keys::MEMORY_PRESSURE),
            (c.disk_pressure.status == ConditionStatus::True, keys::DISK_PRESSURE),
            (c.pid_pressure.status == ConditionStatus::True, keys::PID_PRESSURE),
        ]
        .into_iter()
        .filter_map(|(on, key)| on.then_some(key))
        .collect();
        let stale: Vec<&'static str> = CONDITION_TAINTS
            .into_iter()
            .filter(|k| !wanted.contains(k))
            .filter(|k| node.taints.iter().any(|t| t.key == *k && t.effect == TaintEffect::NoSchedule))
            .collect();
        for key in wanted {
            ctx.store.add_taint(now, id, Taint::new(key, TaintEffect::NoSchedule));
        }
        for key in stale {
            ctx.store.remove_taint(now, id, key, TaintEffect::NoSchedule);
        }
    }

    /// The monitor pass sees a live kubelet's Ready=False (or Unknown): as for a silent node,
    /// its pods are marked not Ready on the transition from True, and the node is queued for
    /// the matching NoExecute taint (`not-ready`, which pods tolerate for 300 s by default).
    fn observe_not_ready(&mut self, ctx: &mut Ctx<'_>, id: NodeId) {
        let now = ctx.now;
        if std::mem::replace(&mut self.nodes[id.index()].observed_ready, false) {
            let name = ctx.store.node(id).meta.name.clone();
            let pods: Vec<_> = ctx.store.pods_on_node(id).to_vec();
            let mut marked = 0;
            for pod in pods {
                if ctx.store.set_pod_ready(now, pod, false, "NodeNotReady") {
                    marked += 1;
                }
            }
            let status = ctx.store.node(id).conditions.ready.status;
            ctx.store.journal.narrate(now, || {
                format!("node {name} is NotReady (kubelet reports Ready={status}); {marked} pod(s) marked not ready")
            });
        }
        let zone = self.nodes[id.index()].zone;
        if !self.nodes[id.index()].queued {
            self.nodes[id.index()].queued = true;
            self.zones[zone].queue.push_back(id);
        }
        self.update_zones(ctx);
        self.schedule_pass(ctx);
    }

    /// `tryUpdateNodeHealth` past the grace period, then `MarkPodsNotReady` and the taints.
    fn mark_unknown(&mut self, ctx: &mut Ctx<'_>, id: NodeId) {
        let now = ctx.now;
        let was_ready = ctx.store.node(id).is_ready();
        self.nodes[id.index()].observed_ready = false;
        for which in [
            NodeConditionType::Ready,
            NodeConditionType::MemoryPressure,
            NodeConditionType::DiskPressure,
            NodeConditionType::PidPressure,
        ] {
            ctx.store.set_node_condition(now, id, which, ConditionStatus::Unknown, "NodeStatusUnknown");
        }
        if was_ready {
            let name = ctx.store.node(id).meta.name.clone();
            let pods: Vec<_> = ctx.store.pods_on_node(id).to_vec();
            let mut marked = 0;
            for pod in pods {
                if ctx.store.set_pod_ready(now, pod, false, "NodeNotReady") {
                    marked += 1;
                }
            }
            ctx.store.journal.narrate(now, || {
                format!("node {name} is NotReady (no heartbeat for 50s); {marked} pod(s) marked not ready")
            });
        }
        ctx.store.add_taint(now, id, Taint::new(keys::UNREACHABLE, TaintEffect::NoSchedule));
        let zone = self.nodes[id.index()].zone;
        if !self.nodes[id.index()].queued {
            self.nodes[id.index()].queued = true;
            self.zones[zone].queue.push_back(id);
        }
        self.update_zones(ctx);
        self.schedule_pass(ctx);
    }

    /// `ComputeZoneState` for every zone, and the master-disruption transitions.
    fn update_zones(&mut self, ctx: &mut Ctx<'_>) {
        for z in &mut self.zones {
            let not_ready = z.nodes.iter().filter(|&&n| !ctx.store.node(n).is_ready()).count();
            let ready = z.nodes.len() - not_ready;
            let state = if ready == 0 && not_ready > 0 {
                ZoneState::FullDisruption
            } else if not_ready > 2 && not_ready as f64 / (ready + not_ready) as f64 >= UNHEALTHY_ZONE_THRESHOLD {
                ZoneState::PartialDisruption
            } else {
                ZoneState::Normal
            };
            let previous = std::mem::replace(&mut z.state, state);
            // "Controller detected that zone ... is now in state ...", for zones with a name.
            if let Some((_, name)) = z.key.rsplit_once(":\0:")
                && previous != state
                && !name.is_empty()
            {
                let name = name.to_string();
                ctx.store.journal.narrate(ctx.now, || {
                    format!(
                        "zone {name} is now in state {state:?} ({not_ready} of {} node(s) not ready)",
                        ready + not_ready
                    )
                });
            }
        }
        // Zones left without nodes (all removed) are gone from the controller's view.
        let mut live = self.zones.iter().filter(|z| !z.nodes.is_empty()).peekable();
        let all_full = live.peek().is_some() && live.all(|z| z.state == ZoneState::FullDisruption);
        let now = ctx.now;
        if all_full && !self.master_disruption {
            // Every zone is down: assume the control plane is the one cut off; evict nothing.
            self.master_disruption = true;
            ctx.store.journal.narrate(now, || {
                "all zones are fully disrupted: taint-based eviction stops (master disruption mode)".into()
            });
            for id in ctx.store.node_ids().collect::<Vec<_>>() {
                ctx.store.remove_taint(now, id, keys::UNREACHABLE, TaintEffect::NoExecute);
                ctx.store.remove_taint(now, id, keys::NOT_READY, TaintEffect::NoExecute);
            }
        } else if !all_full && self.master_disruption {
            // Leaving: every node gets a fresh grace period; nodes still down are re-queued.
            self.master_disruption = false;
            for i in 0..self.nodes.len() {
                let id = NodeId(i as u32);
                if self.nodes[i].kubelet_alive || self.nodes[i].removed {
                    continue;
                }
                if ctx.store.node(id).is_ready() {
                    let at = (now + GRACE_PERIOD).next_tick_after(MONITOR_PERIOD, SimDuration::ZERO);
                    let h = &mut self.nodes[i];
                    h.epoch = h.epoch.wrapping_add(1);
                    let epoch = h.epoch;
                    ctx.at(at, Event::NodeLifecycle { node: id, epoch, timer: LifecycleTimer::GraceExpired });
                } else if !self.nodes[i].queued {
                    self.nodes[i].queued = true;
                    let zone = self.nodes[i].zone;
                    self.zones[zone].queue.push_back(id);
                }
            }
            self.schedule_pass(ctx);
        }
    }

    /// The token interval of a zone in its current state, or `None` when tainting stops.
    fn token_interval(&self, zone: &Zone) -> Option<SimDuration> {
        if self.master_disruption {
            return None;
        }
        match zone.state {
            ZoneState::Normal | ZoneState::FullDisruption => Some(PRIMARY_TOKEN_INTERVAL),
            ZoneState::PartialDisruption if zone.nodes.len() > LARGE_CLUSTER_THRESHOLD => {
                Some(SECONDARY_TOKEN_INTERVAL)
            }
            ZoneState::PartialDisruption => None,
        }
    }

    fn schedule_pass(&mut self, ctx: &mut Ctx<'_>) {
        let mut next: Option<SimTime> = None;
        for z in &self.zones {
            if z.queue.is_empty() || self.token_interval(z).is_none() {
                continue;
            }
            let earliest = ctx
                .now
                .next_tick_after(EVICTION_PERIOD, SimDuration::ZERO)
                .max(z.next_token.ceil_to_tick(EVICTION_PERIOD, SimDuration::ZERO));
            next = Some(next.map_or(earliest, |n: SimTime| n.min(earliest)));
        }
        if let Some(at) = next
            && self.pass_scheduled.is_none_or(|s| s > at || s < ctx.now)
        {
            self.pass_scheduled = Some(at);
            ctx.at(at, Event::TaintPass);
        }
    }

    /// `doNoExecuteTaintingPass`: each zone's bucket releases queued nodes.
    pub fn taint_pass(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        if self.pass_scheduled == Some(now) {
            self.pass_scheduled = None;
        }
        if self.paused {
            return;
        }
        for zi in 0..self.zones.len() {
            let Some(interval) = self.token_interval(&self.zones[zi]) else { continue };
            while self.zones[zi].next_token <= now {
                let Some(id) = self.zones[zi].queue.pop_front() else { break };
                self.nodes[id.index()].queued = false;
                let status = ctx.store.node(id).conditions.ready.status;
                if status == ConditionStatus::True {
                    continue;
                }
                let (key, other) = if status == ConditionStatus::False {
                    (keys::NOT_READY, keys::UNREACHABLE)
                } else {
                    (keys::UNREACHABLE, keys::NOT_READY)
                };
                ctx.store.remove_taint(now, id, other, TaintEffect::NoExecute);
                if ctx.store.add_taint(now, id, Taint::new(key, TaintEffect::NoExecute)) {
                    let name = ctx.store.node(id).meta.name.clone();
                    ctx.store.journal.narrate(now, || format!("node {name} tainted {key}:NoExecute; its pods will be evicted when their toleration expires"));
                }
                self.zones[zi].next_token = now + interval;
            }
        }
        self.schedule_pass(ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The timeline of the controllers reference, §9.2: detection 45–60 s after the failure
    /// with the v1.32+ grace period, depending on the lease phase.
    #[test]
    fn detection_window() {
        let mut nl = NodeLifecycle::new();
        for phase_ms in (0..10_000).step_by(250) {
            let id = NodeId(nl.nodes.len() as u32);
            nl.add_node(id, "z", SimTime::from_micros(phase_ms * 1000));
            for fail_s in [600u64, 601, 603, 605, 607, 609] {
                let failed = SimTime::from_secs(fail_s);
                let d = nl.detection_time(id, failed);
                let after = (d - failed).as_micros() as f64 / 1e6;
                assert!((45.0..=60.0).contains(&after), "phase {phase_ms}ms fail {fail_s}s: detected after {after}s");
                assert_eq!(d.as_micros() % MONITOR_PERIOD.as_micros(), 0, "detection happens on a monitor pass");
            }
        }
    }

    #[test]
    fn detection_exact_case() {
        let mut nl = NodeLifecycle::new();
        nl.add_node(NodeId(0), "z", SimTime::from_secs(3));
        // Renewals at 603, 613, ...; a failure at 610 leaves 603 as the last one; the pass at
        // 605 stamps it; 605 + 50 = 655 is not "after", so the pass at 660 notices.
        assert_eq!(nl.detection_time(NodeId(0), SimTime::from_secs(610)), SimTime::from_secs(660));
        assert_eq!(nl.detection_time(NodeId(0), SimTime::from_secs(623)), SimTime::from_secs(680));
        // A renewal exactly on a pass is stamped by that pass: 620 -> 670 -> 675.
        nl.add_node(NodeId(1), "z", SimTime::ZERO);
        assert_eq!(nl.detection_time(NodeId(1), SimTime::from_secs(622)), SimTime::from_secs(675));
    }
}
