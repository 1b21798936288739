//! Services.

use crate::api::meta::ObjectMeta;
use crate::api::selector::LabelSelector;
use crate::api::service::{EndpointCounts, Service, ServicePort, ServiceType};
use crate::decode::{Ctx, DResult};
use crate::yaml::{Node as YamlNode, Pos};

const SERVICE_SPEC_IGNORED: &[&str] = &[
    "allocateLoadBalancerNodePorts",
    "clusterIP",
    "clusterIPs",
    "externalIPs",
    "externalName",
    "externalTrafficPolicy",
    "healthCheckNodePort",
    "internalTrafficPolicy",
    "ipFamilies",
    "ipFamilyPolicy",
    "loadBalancerClass",
    "loadBalancerIP",
    "loadBalancerSourceRanges",
    "sessionAffinity",
    "sessionAffinityConfig",
    "trafficDistribution",
];

pub(super) fn decode_service(
    ctx: &mut Ctx<'_>,
    meta: ObjectMeta,
    spec: Option<&YamlNode>,
    at: Pos,
) -> DResult<Service> {
    let mut service = Service {
        meta,
        service_type: ServiceType::ClusterIP,
        selector_labels: None,
        selector: LabelSelector::nothing(),
        ports: Vec::new(),
        publish_not_ready_addresses: false,
        endpoints: EndpointCounts::default(),
    };
    let Some(spec_node) = spec else {
        return Err(ctx.error(at, "spec", "missing required field \"spec\""));
    };
    let mut f = ctx.fields(spec_node, "spec")?;
    if let Some(n) = f.get("type") {
        let text = ctx.string(n, "spec.type")?;
        service.service_type = match text.as_str() {
            "ClusterIP" => ServiceType::ClusterIP,
            "NodePort" => ServiceType::NodePort,
            "LoadBalancer" => ServiceType::LoadBalancer,
            "ExternalName" => ServiceType::ExternalName,
            _ => {
                return Err(ctx.error(
                    n.pos,
                    "spec.type",
                    format!(
                        "unsupported value {text:?}{}: supported values are ClusterIP, NodePort, LoadBalancer, ExternalName",
                        crate::suggest::did_you_mean(&text, ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"])
                    ),
                ));
            }
        };
    }
    if let Some(n) = f.get("selector") {
        let labels = ctx.string_map(n, "spec.selector")?;
        super::validate_labels(ctx, &labels, n, "spec.selector")?;
        // A Service selects with `SelectorFromSet`; an empty map selects nothing here because
        // the endpoints controller skips Services without a selector.
        service.selector = if labels.is_empty() { LabelSelector::nothing() } else { LabelSelector::from_set(&labels) };
        service.selector_labels = Some(labels);
    }
    if let Some(n) = f.get("ports") {
        for (i, p) in ctx.seq(n, "spec.ports")?.iter().enumerate() {
            let path = format!("spec.ports[{i}]");
            let mut pf = ctx.fields(p, &path)?;
            let port = ctx.int_in(pf.require(ctx, "port", p.pos)?, &format!("{path}.port"), 1, 65535)? as i32;
            let name = match pf.get("name") {
                Some(v) => ctx.string(v, &format!("{path}.name"))?,
                None => String::new(),
            };
            let protocol = match pf.get("protocol") {
                Some(v) => ctx.string(v, &format!("{path}.protocol"))?,
                None => "TCP".to_string(),
            };
            pf.finish(ctx, &["targetPort", "nodePort", "appProtocol"])?;
            service.ports.push(ServicePort { name, port, protocol });
        }
    }
    if let Some(n) = f.get("publishNotReadyAddresses") {
        service.publish_not_ready_addresses = ctx.bool(n, "spec.publishNotReadyAddresses")?;
    }
    f.finish(ctx, SERVICE_SPEC_IGNORED)?;
    if service.ports.is_empty() && service.service_type != ServiceType::ExternalName {
        return Err(ctx.error(spec_node.pos, "spec.ports", "a Service needs at least one port"));
    }
    Ok(service)
}
