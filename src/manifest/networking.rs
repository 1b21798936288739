//! Ingresses (`networking.k8s.io/v1`), with the API server's validation
//! (`pkg/apis/networking/validation`, `ValidateIngressCreate`): either a default backend or
//! rules; hosts are DNS names (or `*.` wildcards), not IP addresses; every HTTP rule has paths;
//! every path has a `pathType`, and `Exact` / `Prefix` paths are clean absolute paths; every
//! backend is exactly one of a Service (a DNS-1035 name and a port by name or number) and a
//! resource. `tls` is validated for its hosts and otherwise not modelled.

use crate::api::meta::ObjectMeta;
use crate::api::networking::{HttpIngressPath, Ingress, IngressBackend, IngressRule, PathType, ServiceBackendPort};
use crate::api::validation;
use crate::decode::{Ctx, DResult};
use crate::yaml::{Node as YamlNode, Pos};

/// `annotationIngressClass`: the legacy class annotation, which must agree with
/// `ingressClassName` when both are set.
const INGRESS_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

/// `invalidPathSequences` and `invalidPathSuffixes` of `Exact` and `Prefix` paths.
const INVALID_PATH_SEQUENCES: [&str; 5] = ["//", "/./", "/../", "%2f", "%2F"];
const INVALID_PATH_SUFFIXES: [&str; 2] = ["/..", "/."];

pub(super) fn decode_ingress(
    ctx: &mut Ctx<'_>,
    meta: ObjectMeta,
    spec: Option<&YamlNode>,
    at: Pos,
) -> DResult<Ingress> {
    let mut ingress = Ingress { meta, ingress_class_name: None, default_backend: None, rules: Vec::new() };
    let spec_pos = spec.map_or(at, |s| s.pos);
    if let Some(spec_node) = spec {
        let mut f = ctx.fields(spec_node, "spec")?;
        if let Some(n) = f.get("ingressClassName") {
            let class = ctx.string(n, "spec.ingressClassName")?;
            validation::is_dns1123_subdomain(&class)
                .map_err(|e| ctx.error(n.pos, "spec.ingressClassName", format!("Invalid value: {class:?}: {e}")))?;
            if let Some(annotated) = ingress.meta.annotations.get(INGRESS_CLASS_ANNOTATION)
                && *annotated != class
            {
                return Err(ctx.error(
                    n.pos,
                    &format!("annotations.{INGRESS_CLASS_ANNOTATION}"),
                    format!("Invalid value: {annotated:?}: must match `ingressClassName` when both are specified"),
                ));
            }
            ingress.ingress_class_name = Some(class);
        }
        if let Some(n) = f.get("defaultBackend") {
            ingress.default_backend = Some(decode_backend(ctx, n, "spec.defaultBackend")?);
        }
        if let Some(list) = f.get("rules") {
            for (i, item) in ctx.seq(list, "spec.rules")?.iter().enumerate() {
                ingress.rules.push(decode_rule(ctx, item, &format!("spec.rules[{i}]"))?);
            }
        }
        if let Some(list) = f.get("tls") {
            for (i, item) in ctx.seq(list, "spec.tls")?.iter().enumerate() {
                let path = format!("spec.tls[{i}]");
                let mut tf = ctx.fields(item, &path)?;
                if let Some(hosts) = tf.get("hosts") {
                    for (j, h) in ctx.seq(hosts, &format!("{path}.hosts"))?.iter().enumerate() {
                        let hpath = format!("{path}.hosts[{j}]");
                        let host = ctx.string(h, &hpath)?;
                        let result = if host.contains('*') {
                            validation::is_wildcard_dns1123_subdomain(&host)
                        } else {
                            validation::is_dns1123_subdomain(&host)
                        };
                        result.map_err(|e| ctx.error(h.pos, &hpath, format!("Invalid value: {host:?}: {e}")))?;
                    }
                }
                tf.finish(ctx, &["secretName"])?;
            }
            ctx.note_unmodelled("spec.tls");
        }
        f.finish(ctx, &[])?;
    }
    if ingress.rules.is_empty() && ingress.default_backend.is_none() {
        return Err(ctx.error_hint(
            spec_pos,
            "spec",
            "Invalid value: either `defaultBackend` or `rules` must be specified",
            "route to a Service: rules: [{http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]",
        ));
    }
    Ok(ingress)
}

fn decode_rule(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<IngressRule> {
    let mut f = ctx.fields(node, path)?;
    let mut rule = IngressRule { host: String::new(), paths: Vec::new() };
    if let Some(h) = f.get("host") {
        let hpath = format!("{path}.host");
        let host = ctx.string(h, &hpath)?;
        if host.parse::<std::net::IpAddr>().is_ok() {
            return Err(ctx.error(
                h.pos,
                &hpath,
                format!("Invalid value: {host:?}: must be a DNS name, not an IP address"),
            ));
        }
        let result = if host.contains('*') {
            validation::is_wildcard_dns1123_subdomain(&host)
        } else {
            validation::is_dns1123_subdomain(&host)
        };
        result.map_err(|e| ctx.error(h.pos, &hpath, format!("Invalid value: {host:?}: {e}")))?;
        rule.host = host;
    }
    if let Some(http) = f.get("http") {
        let hpath = format!("{path}.http");
        let mut hf = ctx.fields(http, &hpath)?;
        let paths = hf.get("paths");
        hf.finish(ctx, &[])?;
        let items = match paths {
            Some(p) => ctx.seq(p, &format!("{hpath}.paths"))?,
            None => &[],
        };
        if items.is_empty() {
            return Err(ctx.error_hint(
                paths.map_or(http.pos, |p| p.pos),
                &format!("{hpath}.paths"),
                "Required value",
                "an HTTP rule lists at least one path: paths: [{path: /, pathType: Prefix, backend: {...}}]",
            ));
        }
        for (i, item) in items.iter().enumerate() {
            rule.paths.push(decode_path(ctx, item, &format!("{hpath}.paths[{i}]"))?);
        }
    }
    f.finish(ctx, &[])?;
    Ok(rule)
}

fn decode_path(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<HttpIngressPath> {
    let mut f = ctx.fields(node, path)?;
    let text = match f.get("path") {
        Some(n) => ctx.string(n, &format!("{path}.path"))?,
        None => String::new(),
    };
    let path_pos = node.get("path").map_or(node.pos, |n| n.pos);
    let Some(type_node) = f.get("pathType") else {
        if let Some(e) = f.misspelled(ctx, "pathType") {
            return Err(e);
        }
        return Err(ctx.error_hint(
            node.pos,
            &format!("{path}.pathType"),
            "Required value: pathType must be specified",
            "pathType is one of Exact, Prefix, ImplementationSpecific",
        ));
    };
    let type_text = ctx.string(type_node, &format!("{path}.pathType"))?;
    let Some(path_type) = PathType::parse(&type_text) else {
        let names = PathType::ALL.map(PathType::as_str);
        return Err(ctx.error(
            type_node.pos,
            &format!("{path}.pathType"),
            format!(
                "Unsupported value: {type_text:?}{}: supported values: {}",
                crate::suggest::did_you_mean(&type_text, names),
                names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
            ),
        ));
    };
    let invalid =
        |message: String| ctx.error(path_pos, &format!("{path}.path"), format!("Invalid value: {text:?}: {message}"));
    match path_type {
        PathType::Exact | PathType::Prefix => {
            if !text.starts_with('/') {
                return Err(invalid("must be an absolute path".into()));
            }
            if let Some(seq) = INVALID_PATH_SEQUENCES.iter().find(|s| text.contains(**s)) {
                return Err(invalid(format!("must not contain '{seq}'")));
            }
            if let Some(suffix) = INVALID_PATH_SUFFIXES.iter().find(|s| text.ends_with(**s)) {
                return Err(invalid(format!("cannot end with '{suffix}'")));
            }
        }
        PathType::ImplementationSpecific => {
            if !text.is_empty() && !text.starts_with('/') {
                return Err(invalid("must be an absolute path".into()));
            }
        }
    }
    let backend_node = f.require(ctx, "backend", node.pos)?;
    let backend = decode_backend(ctx, backend_node, &format!("{path}.backend"))?;
    f.finish(ctx, &[])?;
    Ok(HttpIngressPath { path: text, path_type, backend })
}

/// `validateIngressBackend`: exactly one of `service` and `resource`.
fn decode_backend(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str) -> DResult<IngressBackend> {
    let mut f = ctx.fields(node, path)?;
    let service = f.get("service");
    let resource = f.get("resource");
    f.finish(ctx, &[])?;
    match (service, resource) {
        (Some(_), Some(_)) => {
            Err(ctx.error(node.pos, path, "Invalid value: \"\": cannot set both resource and service backends"))
        }
        (None, None) => Err(ctx.error_hint(
            node.pos,
            path,
            "Invalid value: \"\": resource or service backend is required",
            "e.g. backend: {service: {name: web, port: {number: 80}}}",
        )),
        (Some(s), None) => {
            let spath = format!("{path}.service");
            let mut sf = ctx.fields(s, &spath)?;
            let name_node = sf.require(ctx, "name", s.pos)?;
            let name = ctx.string(name_node, &format!("{spath}.name"))?;
            validation::is_dns1035_label(&name).map_err(|e| {
                ctx.error(name_node.pos, &format!("{spath}.name"), format!("Invalid value: {name:?}: {e}"))
            })?;
            let port_node = sf.get("port");
            sf.finish(ctx, &[])?;
            let (port_name, port_number) = match port_node {
                Some(p) => {
                    let ppath = format!("{spath}.port");
                    let mut pf = ctx.fields(p, &ppath)?;
                    let name = pf
                        .get("name")
                        .map(|n| ctx.string(n, &format!("{ppath}.name")).map(|v| (v, n.pos)))
                        .transpose()?;
                    let number = pf
                        .get("number")
                        .map(|n| ctx.int32(n, &format!("{ppath}.number")).map(|v| (v, n.pos)))
                        .transpose()?;
                    pf.finish(ctx, &[])?;
                    (name.filter(|(v, _)| !v.is_empty()), number.filter(|(v, _)| *v != 0))
                }
                None => (None, None),
            };
            let port = match (port_name, port_number) {
                (Some(_), Some(_)) => {
                    return Err(ctx.error(
                        node.pos,
                        path,
                        "Invalid value: \"\": cannot set both port name & port number",
                    ));
                }
                (Some((v, pos)), None) => {
                    validation::is_valid_port_name(&v).map_err(|e| {
                        ctx.error(pos, &format!("{spath}.port.name"), format!("Invalid value: {v:?}: {e}"))
                    })?;
                    ServiceBackendPort::Name(v)
                }
                (None, Some((v, pos))) => {
                    validation::is_valid_port_num(i64::from(v)).map_err(|e| {
                        ctx.error(pos, &format!("{spath}.port.number"), format!("Invalid value: {v}: {e}"))
                    })?;
                    ServiceBackendPort::Number(v)
                }
                (None, None) => {
                    return Err(ctx.error_hint(
                        port_node.map_or(s.pos, |p| p.pos),
                        path,
                        "Required value: port name or number is required",
                        "e.g. port: {number: 80} or port: {name: http}",
                    ));
                }
            };
            Ok(IngressBackend::Service { name, port })
        }
        (None, Some(r)) => {
            let rpath = format!("{path}.resource");
            let mut rf = ctx.fields(r, &rpath)?;
            let api_group = match rf.get("apiGroup") {
                Some(n) => {
                    let g = ctx.string(n, &format!("{rpath}.apiGroup"))?;
                    validation::is_dns1123_subdomain(&g).map_err(|e| {
                        ctx.error(n.pos, &format!("{rpath}.apiGroup"), format!("Invalid value: {g:?}: {e}"))
                    })?;
                    Some(g)
                }
                None => None,
            };
            let mut required = |key: &'static str| -> DResult<String> {
                let Some(n) = rf.get(key) else {
                    return Err(rf.misspelled(ctx, key).unwrap_or_else(|| {
                        ctx.error(r.pos, &format!("{rpath}.{key}"), format!("Required value: {key} is required"))
                    }));
                };
                let v = ctx.string(n, &format!("{rpath}.{key}"))?;
                validation::is_valid_path_segment_name(&v)
                    .map_err(|e| ctx.error(n.pos, &format!("{rpath}.{key}"), format!("Invalid value: {v:?}: {e}")))?;
                Ok(v)
            };
            let kind = required("kind")?;
            let name = required("name")?;
            rf.finish(ctx, &[])?;
            ctx.note_unmodelled(&format!("{rpath} (receives no load)"));
            Ok(IngressBackend::Resource { api_group, kind, name })
        }
    }
}
