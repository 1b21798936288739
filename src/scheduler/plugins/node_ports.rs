//! NodePorts (`nodeports/node_ports.go`): a pod's host ports must be free on the node. A port
//! is taken by `(hostIP, protocol, hostPort)`; the wildcard address `0.0.0.0` (and an empty
//! `hostIP`, which means it) conflicts with every address for the same protocol and port
//! (`HostPortInfo.CheckConflict`, `pkg/scheduler/framework/types.go`).
//!
//! Ports come from the regular containers and, since v1.34 (kubernetes#132040), from the
//! restartable init containers (sidecars), which run beside them; ordinary init containers run
//! before and are not counted. A pod with no host port skips the filter.

use crate::api::pod::{ContainerPort, Pod, PodSpec};
use crate::scheduler::framework::{CycleContext, Filter, NodeInfo, Plugin, PreFilter, PreFilterResult, Status};

pub const NAME: &str = "NodePorts";

const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

/// `DefaultBindAllHostIP`.
const BIND_ALL: &str = "0.0.0.0";

#[derive(Default)]
pub struct NodePorts {
    /// The incoming pod's host ports (PreFilter state).
    wanted: Vec<HostPort>,
}

/// One used or wanted host port, with the empty address and protocol defaulted
/// (`HostPortInfo.sanitize`, `NewProtocolPort`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct HostPort {
    ip: String,
    protocol: String,
    port: i32,
}

impl HostPort {
    fn of(p: &ContainerPort) -> HostPort {
        HostPort {
            ip: if p.host_ip.is_empty() { BIND_ALL.to_string() } else { p.host_ip.clone() },
            protocol: if p.protocol.is_empty() { "TCP".to_string() } else { p.protocol.clone() },
            port: p.host_port,
        }
    }

    /// `CheckConflict`: the wildcard address conflicts with any address; another address with
    /// itself and the wildcard.
    fn conflicts(&self, used: &HostPort) -> bool {
        self.protocol == used.protocol
            && self.port == used.port
            && (self.ip == BIND_ALL || used.ip == BIND_ALL || self.ip == used.ip)
    }
}

/// The host ports a pod holds: every port with `hostPort > 0` of its containers and sidecars.
fn host_ports(spec: &PodSpec) -> impl Iterator<Item = HostPort> + '_ {
    let sidecars = spec.init_containers.iter().filter(|c| c.restart_policy_always);
    spec.containers.iter().chain(sidecars).flat_map(|c| c.ports.iter()).filter(|p| p.host_port > 0).map(HostPort::of)
}

impl Plugin for NodePorts {
    fn name(&self) -> &'static str {
        NAME
    }
    fn node_local(&self) -> bool {
        true
    }
    fn as_pre_filter(&mut self) -> Option<&mut dyn PreFilter> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn Filter> {
        Some(self)
    }
}

impl PreFilter for NodePorts {
    fn pre_filter(&mut self, _cx: &CycleContext<'_>, pod: &Pod) -> (PreFilterResult, Status) {
        self.wanted = host_ports(&pod.spec).collect();
        if self.wanted.is_empty() {
            return (PreFilterResult::default(), Status::skip());
        }
        (PreFilterResult::default(), Status::success())
    }
}

impl Filter for NodePorts {
    fn filter(&self, _pod: &Pod, node: &NodeInfo) -> Status {
        // `NodeInfo.UsedPorts`: the ports of every pod on the node, terminating ones included.
        let used: Vec<HostPort> = node.pods.iter().flat_map(|p| host_ports(&p.spec)).collect();
        if self.wanted.iter().any(|w| used.iter().any(|u| w.conflicts(u))) {
            return Status::unschedulable(ERR_REASON);
        }
        Status::success()
    }
}

#[cfg(test)]
mod tests {
    //! `TestNodePorts` (`node_ports_test.go`): every case of the upstream table, ports written
    //! as upstream's `newPod("m1", "PROTOCOL/IP/PORT", ...)`; expected codes as upstream. The
    //! last cases are hand-derived from §14: the empty hostIP, protocols, sidecars.

    use super::*;
    use crate::api::pod::Container;
    use crate::scheduler::framework::Code;
    use crate::scheduler::plugins::testutil::{NodeInfoExt, PodBuilder, node};

    /// A container port from upstream's `"UDP/127.0.0.1/8080"` notation.
    fn port(spec: &str) -> ContainerPort {
        let mut parts = spec.split('/');
        let protocol = parts.next().unwrap().to_string();
        let host_ip = parts.next().unwrap().to_string();
        let host_port = parts.next().unwrap().parse().unwrap();
        ContainerPort { container_port: 80, host_port, host_ip, protocol }
    }

    /// A pod with one container holding these ports.
    fn pod_with_ports(ports: &[&str]) -> Pod {
        let mut pod = PodBuilder::new().container(&[]).build();
        let spec = std::sync::Arc::make_mut(&mut pod.spec);
        spec.containers[0].ports = ports.iter().map(|p| port(p)).collect();
        pod
    }

    fn run(pod: &Pod, existing: &[Pod]) -> (Status, Option<Status>) {
        let mut plugin = NodePorts::default();
        let (_, pre) = plugin.pre_filter(&CycleContext::default(), pod);
        if pre.is_skip() {
            return (pre, None);
        }
        let info = node("m1", &[("cpu", "1"), ("pods", "10")]).with_pods(existing);
        (pre, Some(plugin.filter(pod, &info)))
    }

    #[test]
    fn upstream_node_ports_table() {
        use Code::{Success, Unschedulable};
        let cases: Vec<(&str, &[&str], &[&str], Code)> = vec![
            ("other port", &["UDP/127.0.0.1/8080"], &["UDP/127.0.0.1/9090"], Success),
            ("same udp port", &["UDP/127.0.0.1/8080"], &["UDP/127.0.0.1/8080"], Unschedulable),
            ("same tcp port", &["TCP/127.0.0.1/8080"], &["TCP/127.0.0.1/8080"], Unschedulable),
            ("different host ip", &["TCP/127.0.0.1/8080"], &["TCP/127.0.0.2/8080"], Success),
            ("different protocol", &["UDP/127.0.0.1/8080"], &["TCP/127.0.0.1/8080"], Success),
            (
                "second udp port conflict",
                &["UDP/127.0.0.1/8000", "UDP/127.0.0.1/8080"],
                &["UDP/127.0.0.1/8080"],
                Unschedulable,
            ),
            (
                "first tcp port conflict",
                &["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8080"],
                &["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8081"],
                Unschedulable,
            ),
            (
                "first tcp port conflict due to 0.0.0.0 hostIP",
                &["TCP/0.0.0.0/8001"],
                &["TCP/127.0.0.1/8001"],
                Unschedulable,
            ),
            (
                "TCP hostPort conflict due to 0.0.0.0 hostIP",
                &["TCP/10.0.10.10/8001", "TCP/0.0.0.0/8001"],
                &["TCP/127.0.0.1/8001"],
                Unschedulable,
            ),
            (
                "second tcp port conflict to 0.0.0.0 hostIP",
                &["TCP/127.0.0.1/8001"],
                &["TCP/0.0.0.0/8001"],
                Unschedulable,
            ),
            ("second different protocol", &["UDP/127.0.0.1/8001"], &["TCP/0.0.0.0/8001"], Success),
            (
                "UDP hostPort conflict due to 0.0.0.0 hostIP",
                &["UDP/127.0.0.1/8001"],
                &["TCP/0.0.0.0/8001", "UDP/0.0.0.0/8001"],
                Unschedulable,
            ),
            // Hand-derived (§14): the empty hostIP is the wildcard.
            ("empty hostIP conflicts with any address", &["TCP//8001"], &["TCP/10.1.2.3/8001"], Unschedulable),
            ("any address conflicts with an empty hostIP", &["TCP/10.1.2.3/8001"], &["TCP//8001"], Unschedulable),
            ("empty hostIP, other protocol", &["SCTP//8001"], &["TCP//8001", "UDP//8001"], Success),
            ("two addresses, same port", &["TCP/10.0.0.1/53", "UDP/10.0.0.1/53"], &["TCP/10.0.0.2/53"], Success),
        ];
        for (name, wanted, existing, want) in cases {
            let (pre, status) = run(&pod_with_ports(wanted), &[pod_with_ports(existing)]);
            assert!(pre.is_success(), "{name}: PreFilter {pre}");
            let status = status.unwrap();
            assert_eq!(status.code, want, "{name}: {status}");
            if want == Unschedulable {
                assert_eq!(status.message(), ERR_REASON, "{name}");
            }
        }
    }

    #[test]
    fn pod_without_host_ports_skips() {
        // Upstream "skip filter"; a container port without hostPort is not a host port.
        let (pre, _) = run(&pod_with_ports(&[]), &[]);
        assert!(pre.is_skip());
        let mut pod = pod_with_ports(&[]);
        std::sync::Arc::make_mut(&mut pod.spec).containers[0].ports =
            vec![ContainerPort { container_port: 8080, host_port: 0, host_ip: String::new(), protocol: "TCP".into() }];
        assert!(run(&pod, &[]).0.is_skip());
    }

    #[test]
    fn sidecar_ports_count_init_container_ports_do_not() {
        // Hand-derived: v1.34 counts restartable init containers (kubernetes#132040).
        let with_init = |sidecar: bool| {
            let mut pod = PodBuilder::new().container(&[]).build();
            let spec = std::sync::Arc::make_mut(&mut pod.spec);
            spec.init_containers.push(Container {
                ports: vec![port("TCP//9000")],
                restart_policy_always: sidecar,
                ..Container::default()
            });
            pod
        };
        let incoming = pod_with_ports(&["TCP//9000"]);
        assert_eq!(run(&incoming, &[with_init(true)]).1.unwrap().code, Code::Unschedulable);
        assert_eq!(run(&incoming, &[with_init(false)]).1.unwrap().code, Code::Success);
        // And the incoming pod's own sidecar ports are wanted.
        assert_eq!(
            run(&with_init(true), &[pod_with_ports(&["TCP/1.2.3.4/9000"])]).1.unwrap().code,
            Code::Unschedulable
        );
        assert!(run(&with_init(false), &[]).0.is_skip());
    }
}
