//! Sidecar and mesh-settings validation: istiod's `ValidateSidecar` for the egress side, and the
//! routing-relevant part of `ValidateMeshConfig`.
//!
//! Sidecar ingress listeners do not change outbound routing; meshroute reads them only to tell
//! an empty Sidecar from one that configures ingress.

use super::{
    Ctx, ExportToKind, check_duration, check_export_to, check_port_name, check_protocol,
    check_selector,
};
use crate::api::{IstioEgressListener, MeshConfig, OutboundMode, Sidecar};
use crate::decode::{Duration, Spanned};
use crate::diagnostics::codes::sidecar_mesh as codes;
use crate::diagnostics::codes::values;
use crate::host;

pub(super) fn validate_sidecar(ctx: &mut Ctx<'_>, spec: &Sidecar) {
    if let Some(selector) = &spec.workload_selector {
        // istiod stops validating a Sidecar whose selector is invalid.
        if !check_selector(
            ctx,
            selector.labels.as_ref(),
            selector.span,
            "spec.workloadSelector.labels",
        ) {
            return;
        }
    }
    let egress = spec.egress.as_ref().map_or(&[][..], |list| &list.value[..]);
    let ingress_len = spec.ingress.as_ref().map_or(0, |list| list.value.len());
    if egress.is_empty()
        && ingress_len == 0
        && spec.outbound_traffic_policy.is_none()
        && spec.inbound_connection_pool.is_none()
    {
        let span = ctx.resource.spec_span;
        ctx.report(
            &codes::SIDECAR_EMPTY,
            span,
            "spec",
            "the Sidecar configures nothing; add egress hosts or an outboundTrafficPolicy",
        );
        return;
    }
    validate_egress(ctx, egress);
    if let Some(policy) = &spec.outbound_traffic_policy {
        validate_egress_proxy(ctx, policy);
    }
}

fn validate_egress(ctx: &mut Ctx<'_>, egress: &[Spanned<IstioEgressListener>]) {
    let mut catch_all_seen = false;
    let mut port_numbers: Vec<u32> = Vec::new();
    let mut unix_binds: Vec<&str> = Vec::new();
    for (idx, listener) in egress.iter().enumerate() {
        let path = format!("spec.egress[{idx}]");
        match &listener.port {
            None => {
                if catch_all_seen {
                    ctx.report(
                        &codes::SIDECAR_EGRESS_CATCH_ALL,
                        listener.span,
                        &path,
                        "only one egress listener may omit `port`",
                    );
                    // istiod skips the hosts of a second catch-all listener.
                    continue;
                }
                catch_all_seen = true;
                if idx + 1 != egress.len() {
                    ctx.report(
                        &codes::SIDECAR_EGRESS_CATCH_ALL,
                        listener.span,
                        &path,
                        "the egress listener without `port` must be the last one",
                    );
                }
            }
            Some(port) => {
                let port_path = format!("{path}.port");
                if let Some(target) = port.target_port.as_ref().filter(|target| target.value > 0) {
                    ctx.report(
                        &codes::SIDECAR_EGRESS_PORT,
                        target.span,
                        format!("{port_path}.targetPort"),
                        "targetPort has no effect on Sidecar egress listeners; remove it",
                    );
                }
                if let Some(name) = port.name.as_ref().filter(|name| !name.value.is_empty()) {
                    check_port_name(ctx, name, &format!("{port_path}.name"));
                }
                if let Some(protocol) = &port.protocol {
                    check_protocol(ctx, protocol, &format!("{port_path}.protocol"));
                }
                let number = port.number.as_ref().map_or(0, |number| number.value);
                let number_span = port.number.as_ref().map_or(port.span, |number| number.span);
                let bind = listener.bind.as_ref();
                if number == 0 {
                    // Port 0 means a Unix domain socket listener.
                    match bind.filter(|bind| bind.value.starts_with("unix://")) {
                        None => ctx.report(
                            &codes::SIDECAR_EGRESS_PORT,
                            number_span,
                            format!("{port_path}.number"),
                            "port 0 needs a `bind` of the form unix:///path",
                        ),
                        Some(bind) => {
                            if unix_binds.contains(&bind.value.as_str()) {
                                ctx.report(
                                    &codes::SIDECAR_EGRESS_PORT,
                                    bind.span,
                                    format!("{path}.bind"),
                                    format!(
                                        "unix socket `{}` is bound by another egress listener",
                                        bind.value
                                    ),
                                );
                            }
                            unix_binds.push(&bind.value);
                        }
                    }
                    if let Some(mode) = &listener.capture_mode {
                        if mode.value == crate::api::CaptureMode::Iptables {
                            ctx.report(
                                &codes::SIDECAR_EGRESS_PORT,
                                mode.span,
                                format!("{path}.captureMode"),
                                "a unix socket listener cannot use captureMode IPTABLES",
                            );
                        }
                    }
                } else {
                    if number > 65535 {
                        ctx.report(
                            &values::INVALID_PORT,
                            number_span,
                            format!("{port_path}.number"),
                            format!("port number {number} must be in the range 1..65535"),
                        );
                    }
                    if let Some(bind) = bind.filter(|bind| {
                        !bind.value.is_empty() && super::parse_ip(&bind.value).is_none()
                    }) {
                        ctx.report(
                            &codes::SIDECAR_EGRESS_PORT,
                            bind.span,
                            format!("{path}.bind"),
                            format!("bind `{}` must be an IP address", bind.value),
                        );
                    }
                    if port_numbers.contains(&number) {
                        ctx.report(
                            &codes::SIDECAR_EGRESS_PORT,
                            number_span,
                            format!("{port_path}.number"),
                            format!("port {number} is used by another egress listener"),
                        );
                    }
                    port_numbers.push(number);
                }
            }
        }
        validate_egress_hosts(ctx, listener, &path);
    }
}

fn validate_egress_hosts(ctx: &mut Ctx<'_>, listener: &Spanned<IstioEgressListener>, path: &str) {
    let hosts = listener.hosts.as_ref().map_or(&[][..], |hosts| &hosts.value[..]);
    if hosts.is_empty() {
        let span = listener.hosts.as_ref().map_or(Ctx::absent(listener.span), |hosts| hosts.span);
        ctx.report(
            &codes::SIDECAR_EGRESS_NO_HOSTS,
            span,
            format!("{path}.hosts"),
            "an egress listener needs at least one host, such as `./*` or `istio-system/*`",
        );
        return;
    }
    let own_namespace = ctx.namespace().to_string();
    // (namespace, dns name) pairs already seen, for istiod's duplicate warnings.
    let mut seen: Vec<(String, String)> = Vec::new();
    for (idx, entry) in hosts.iter().enumerate() {
        let host_path = format!("{path}.hosts[{idx}]");
        let Some((namespace, dns)) = entry.value.split_once('/') else {
            ctx.report(
                &codes::SIDECAR_EGRESS_HOST_FORMAT,
                entry.span,
                &host_path,
                format!(
                    "egress host `{}` must be of the form namespace/host, such as `*/{}`",
                    entry.value, entry.value
                ),
            );
            continue;
        };
        if namespace.is_empty() || dns.is_empty() {
            ctx.report(
                &codes::SIDECAR_EGRESS_HOST_FORMAT,
                entry.span,
                &host_path,
                format!("egress host `{}` needs both a namespace and a host", entry.value),
            );
            continue;
        }
        if !namespace.starts_with('~') {
            let key = if namespace == "." { own_namespace.clone() } else { namespace.to_string() };
            let duplicate = seen.iter().any(|(seen_ns, seen_dns)| {
                seen_ns == &key && (dns == "*" || seen_dns == dns || seen_dns == "*")
            });
            if duplicate {
                ctx.report(
                    &codes::SIDECAR_EGRESS_DUPLICATE_HOST,
                    entry.span,
                    &host_path,
                    format!("egress host `{}` is already covered by an earlier entry", entry.value),
                );
            }
            seen.push((key, dns.to_string()));
        }
        let bare_namespace = namespace.trim_start_matches('~');
        let namespace_ok =
            matches!(bare_namespace, "" | "*" | ".") || super::is_istio_dns_label(bare_namespace);
        if !namespace_ok {
            ctx.report(&codes::SIDECAR_EGRESS_HOST_FORMAT, entry.span, &host_path, format!("`{namespace}` is not a namespace: use a namespace name, `.`, `*`, or `~` to exclude"));
        }
        if dns != "*" && !dns.contains('.') {
            ctx.report(&codes::SIDECAR_EGRESS_SHORT_NAME, entry.span, &host_path, format!("`{dns}` is a short name; Sidecar egress hosts must be fully qualified, such as `{dns}.{}.svc.cluster.local`", if namespace == "." || namespace == "*" { &own_namespace } else { namespace }));
        }
        if let Err(why) = host::validate_wildcard_domain(dns) {
            ctx.report(
                &values::INVALID_HOST,
                entry.span,
                &host_path,
                format!("egress host `{dns}` is invalid: {why}"),
            );
        }
        if host::is_partial_wildcard(dns) {
            ctx.report(&codes::SIDECAR_EGRESS_PARTIAL_WILDCARD, entry.span, &host_path, format!("partial wildcard `{dns}` is not allowed in Sidecar egress hosts; use a whole label such as `*.{}`", dns.trim_start_matches('*').trim_start_matches(['.', '-'])));
        }
    }
    let has_star_star = hosts.iter().any(|entry| entry.value == "*/*");
    let namespaces: std::collections::BTreeSet<&str> =
        hosts.iter().filter_map(|entry| entry.value.split_once('/').map(|(ns, _)| ns)).collect();
    if has_star_star && namespaces.len() > 1 {
        let span = listener.hosts.as_ref().map_or(listener.span, |hosts| hosts.span);
        ctx.report(
            &codes::SIDECAR_EGRESS_STAR_WITH_OTHERS,
            span,
            format!("{path}.hosts"),
            "`*/*` already imports every host, so the other entries add nothing",
        );
    }
}

fn validate_egress_proxy(ctx: &mut Ctx<'_>, policy: &Spanned<crate::api::OutboundTrafficPolicy>) {
    let Some(proxy) = &policy.egress_proxy else { return };
    let path = "spec.outboundTrafficPolicy.egressProxy";
    let mode = policy.mode.as_ref().map(|mode| mode.value);
    if mode != Some(OutboundMode::AllowAny) {
        ctx.report(
            &codes::SIDECAR_EGRESS_PROXY,
            proxy.span,
            path,
            "egressProxy only applies with `mode: ALLOW_ANY`",
        );
        return;
    }
    match &proxy.host {
        Some(host) => {
            if let Err(why) = host::validate_fqdn(&host.value) {
                ctx.report(
                    &codes::SIDECAR_EGRESS_PROXY,
                    host.span,
                    format!("{path}.host"),
                    format!("egressProxy host `{}` is invalid: {why}", host.value),
                );
            }
        }
        None => ctx.report(
            &codes::SIDECAR_EGRESS_PROXY,
            Ctx::absent(proxy.span),
            format!("{path}.host"),
            "egressProxy needs a `host`",
        ),
    }
    match proxy.port.as_ref().and_then(|port| port.number.as_ref().map(|number| (port, number))) {
        Some((_, number)) if !(1..=65535).contains(&number.value) => {
            ctx.report(
                &values::INVALID_PORT,
                number.span,
                format!("{path}.port.number"),
                format!("port number {} must be in the range 1..65535", number.value),
            );
        }
        Some(_) => {}
        None => ctx.report(
            &codes::SIDECAR_EGRESS_PROXY,
            Ctx::absent(proxy.span),
            format!("{path}.port"),
            "egressProxy needs a `port`",
        ),
    }
}

pub(super) fn validate_mesh_config(ctx: &mut Ctx<'_>, spec: &MeshConfig) {
    let prefix = ctx.resource.spec_path;
    let path = |field: &str| {
        if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") }
    };
    if let Some(timeout) = &spec.connect_timeout {
        if timeout.value < Duration::MILLISECOND || timeout.value > Duration::from_secs(3600) {
            ctx.report(
                &codes::MESH_CONNECT_TIMEOUT,
                timeout.span,
                path("connectTimeout"),
                format!("connectTimeout `{}` must be between 1ms and 1h", timeout.value),
            );
        }
    }
    check_duration(ctx, &spec.dns_refresh_rate, &path("dnsRefreshRate"));
    if let Some(root) = &spec.root_namespace {
        if !crate::load::is_dns1123_label(&root.value) {
            ctx.report(
                &codes::MESH_ROOT_NAMESPACE,
                root.span,
                path("rootNamespace"),
                format!("rootNamespace `{}` is not a namespace name", root.value),
            );
        }
    }
    // The mesh defaults are lists of the same shape as a resource's exportTo.
    check_export_to(
        ctx,
        &spec.default_service_export_to,
        ExportToKind::ServiceEntry,
        &path("defaultServiceExportTo"),
    );
    check_export_to(
        ctx,
        &spec.default_virtual_service_export_to,
        ExportToKind::VirtualService,
        &path("defaultVirtualServiceExportTo"),
    );
    check_export_to(
        ctx,
        &spec.default_destination_rule_export_to,
        ExportToKind::VirtualService,
        &path("defaultDestinationRuleExportTo"),
    );
}
