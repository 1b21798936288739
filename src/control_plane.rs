//! The control plane's availability: which components are down (`controlPlaneOutage`), and
//! the leader election of the scheduler and the controller manager when they come back.
//!
//! The API is down while kube-apiserver or etcd is down: nothing can be written by anyone.
//! The scheduler and kube-controller-manager work only while they hold their leader lease,
//! which needs both their own process and the API. An outage of either loses the lease: the
//! leader cannot renew it within its renew deadline (10 s) and exits, or its process is gone.
//! When both are back, a fresh instance finds the old holder's lease record, which it may take
//! over only once it has seen it unrenewed for the lease duration (15 s, counted from its own
//! first observation), trying every retry period (2 s): it leads again
//! `ceil(15 s / 2 s) · 2 s = 16 s` after coming back ([`ACQUIRE_DELAY`]; client-go's
//! `tryAcquireOrRenew` with `JitterUntil`, here without the jitter, so a lower bound).
//! An outage shorter than the renew deadline costs the lease too (a simplification: a real
//! leader whose API came back within 10 s would keep it).

use crate::kernel::{SimDuration, SimTime};

/// `leaseDuration` of kube-scheduler and kube-controller-manager.
pub const LEASE_DURATION: SimDuration = SimDuration::from_secs(15);
/// `renewDeadline`.
pub const RENEW_DEADLINE: SimDuration = SimDuration::from_secs(10);
/// `retryPeriod`.
pub const RETRY_PERIOD: SimDuration = SimDuration::from_secs(2);
/// From a candidate's first look at a stale lease to holding it: the first retry strictly
/// after the lease duration has passed.
pub const ACQUIRE_DELAY: SimDuration = SimDuration::from_secs(16);

/// A control-plane component a scenario can take down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    ApiServer,
    Etcd,
    Scheduler,
    ControllerManager,
}

impl Component {
    pub const ALL: [Component; 4] =
        [Component::ApiServer, Component::Etcd, Component::Scheduler, Component::ControllerManager];

    pub fn as_str(self) -> &'static str {
        match self {
            Component::ApiServer => "apiserver",
            Component::Etcd => "etcd",
            Component::Scheduler => "scheduler",
            Component::ControllerManager => "controller-manager",
        }
    }

    /// The scenario's name for it, or the binary's (`kube-apiserver`, ...).
    pub fn parse(text: &str) -> Option<Component> {
        let name = text.strip_prefix("kube-").unwrap_or(text);
        Component::ALL.into_iter().find(|c| c.as_str() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A leader-elected component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Leader {
    Scheduler,
    ControllerManager,
}

impl Leader {
    pub fn as_str(self) -> &'static str {
        self.component().as_str()
    }

    fn component(self) -> Component {
        match self {
            Leader::Scheduler => Component::Scheduler,
            Leader::ControllerManager => Component::ControllerManager,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Where a leader-elected component stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leadership {
    /// It holds the lease and works.
    Leading,
    /// Its process or the API is down.
    Down,
    /// Back, waiting to take over the stale lease at this time.
    Acquiring(SimTime),
}

/// The timers of the control plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlPlaneTimer {
    /// Some component's outage ends now.
    Return,
    /// A leader may take over its lease now.
    Acquire(Leader),
}

/// A change of the control plane, for the engine to act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    Down(Component),
    Up(Component),
    /// The API went down (apiserver or etcd) or came back.
    ApiDown,
    ApiUp,
    /// A leader lost its lease (stops working now).
    LeaseLost(Leader),
    /// A leader is back and will take over its lease at this time.
    Acquiring(Leader, SimTime),
    /// A leader holds its lease again and works.
    Elected(Leader),
}

#[derive(Clone, Debug)]
pub struct ControlPlane {
    /// Per component, the end of its outage (`ZERO`: never down).
    down_until: [SimTime; 4],
    leaders: [Leadership; 2],
}

impl Default for ControlPlane {
    fn default() -> Self {
        ControlPlane { down_until: [SimTime::ZERO; 4], leaders: [Leadership::Leading; 2] }
    }
}

impl ControlPlane {
    pub fn is_down(&self, c: Component, now: SimTime) -> bool {
        self.down_until[c.index()] > now
    }

    /// The API can be read and written.
    pub fn api_up(&self, now: SimTime) -> bool {
        !self.is_down(Component::ApiServer, now) && !self.is_down(Component::Etcd, now)
    }

    pub fn leadership(&self, leader: Leader) -> Leadership {
        self.leaders[leader.index()]
    }

    /// The scheduler schedules.
    pub fn scheduler_works(&self) -> bool {
        self.leaders[Leader::Scheduler.index()] == Leadership::Leading
    }

    /// The controllers of kube-controller-manager reconcile.
    pub fn controllers_work(&self) -> bool {
        self.leaders[Leader::ControllerManager.index()] == Leadership::Leading
    }

    /// When the API is back, if it is down.
    pub fn api_back_at(&self, now: SimTime) -> Option<SimTime> {
        if self.api_up(now) {
            return None;
        }
        Some(self.down_until[Component::ApiServer.index()].max(self.down_until[Component::Etcd.index()]))
    }

    /// `components` go down at `now` for `duration` (an outage already under way is extended
    /// if this one ends later). Returns what changed, and when the outage ends.
    pub fn outage(
        &mut self,
        now: SimTime,
        components: &[Component],
        duration: SimDuration,
    ) -> (Vec<Transition>, SimTime) {
        let api_was_up = self.api_up(now);
        let until = now.saturating_add(duration);
        let mut out = Vec::new();
        for &c in components {
            if !self.is_down(c, now) {
                out.push(Transition::Down(c));
            }
            let slot = &mut self.down_until[c.index()];
            *slot = (*slot).max(until);
        }
        if api_was_up && !self.api_up(now) {
            out.push(Transition::ApiDown);
        }
        self.update_leaders(now, &mut out);
        (out, until)
    }

    /// A `Return` timer fired: components whose outage ends now are back.
    pub fn on_return(&mut self, now: SimTime) -> Vec<Transition> {
        let down_before =
            |c: Component| self.down_until[c.index()] >= now && self.down_until[c.index()] > SimTime::ZERO;
        let api_was_up = !down_before(Component::ApiServer) && !down_before(Component::Etcd);
        let mut out = Vec::new();
        for c in Component::ALL {
            if self.down_until[c.index()] == now && now > SimTime::ZERO {
                self.down_until[c.index()] = SimTime::ZERO;
                out.push(Transition::Up(c));
            }
        }
        if !api_was_up && self.api_up(now) {
            out.push(Transition::ApiUp);
        }
        self.update_leaders(now, &mut out);
        out
    }

    /// An `Acquire` timer fired: the leader takes over its lease if it still waits for now.
    pub fn on_acquire(&mut self, now: SimTime, leader: Leader) -> Option<Transition> {
        if self.leaders[leader.index()] == Leadership::Acquiring(now) {
            self.leaders[leader.index()] = Leadership::Leading;
            return Some(Transition::Elected(leader));
        }
        None
    }

    /// Leaders lose their lease when their process or the API is down, and start acquiring it
    /// when both are up again.
    fn update_leaders(&mut self, now: SimTime, out: &mut Vec<Transition>) {
        let api_up = self.api_up(now);
        for leader in [Leader::Scheduler, Leader::ControllerManager] {
            let can_run = api_up && !self.is_down(leader.component(), now);
            let state = &mut self.leaders[leader.index()];
            match (*state, can_run) {
                (Leadership::Leading | Leadership::Acquiring(_), false) => {
                    if *state == Leadership::Leading {
                        out.push(Transition::LeaseLost(leader));
                    }
                    *state = Leadership::Down;
                }
                (Leadership::Down, true) => {
                    let at = now.saturating_add(ACQUIRE_DELAY);
                    *state = Leadership::Acquiring(at);
                    out.push(Transition::Acquiring(leader, at));
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> SimTime {
        SimTime::from_secs(secs)
    }

    #[test]
    fn a_full_outage_stops_everything_and_leaders_return_sixteen_seconds_later() {
        let mut cp = ControlPlane::default();
        let (out, until) = cp.outage(s(100), &Component::ALL, SimDuration::from_secs(300));
        assert_eq!(until, s(400));
        assert!(out.contains(&Transition::ApiDown));
        assert!(out.contains(&Transition::LeaseLost(Leader::Scheduler)));
        assert!(!cp.api_up(s(399)) && cp.api_up(s(400)));
        let back = cp.on_return(s(400));
        assert!(back.contains(&Transition::ApiUp));
        assert!(cp.on_return(s(400)).is_empty(), "a second timer at the same instant changes nothing");
        assert!(back.contains(&Transition::Acquiring(Leader::ControllerManager, s(416))));
        assert!(!cp.controllers_work());
        assert_eq!(
            cp.on_acquire(s(416), Leader::ControllerManager),
            Some(Transition::Elected(Leader::ControllerManager))
        );
        assert!(cp.controllers_work());
    }

    #[test]
    fn the_api_alone_takes_the_leaders_down_and_overlaps_extend() {
        let mut cp = ControlPlane::default();
        cp.outage(s(0), &[Component::Etcd], SimDuration::from_secs(60));
        assert!(!cp.scheduler_works() && !cp.controllers_work());
        cp.outage(s(30), &[Component::Scheduler], SimDuration::from_secs(60));
        let back = cp.on_return(s(60));
        // The controller manager starts acquiring; the scheduler is still down until 90 s.
        assert_eq!(
            back,
            vec![
                Transition::Up(Component::Etcd),
                Transition::ApiUp,
                Transition::Acquiring(Leader::ControllerManager, s(76))
            ]
        );
        assert_eq!(Component::parse("kube-apiserver"), Some(Component::ApiServer));
    }
}
