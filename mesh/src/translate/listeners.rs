//! Listeners with their HTTP connection manager, as istiod sets them up for a sidecar's
//! outbound traffic and for the ingress gateway: routes from RDS, the fault filter before the
//! router, Istio's access log format, `server: istio-envoy`, authorization first; a pod's
//! inbound listener (see [`super::inbound`]); and the ambient node proxy's L4 listeners (see
//! [`super::ambient`]).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{ListenerPlan, ROUTER_FAULT_FILTER, ambient, hbone, inbound, tls};

const LISTENER_TYPE: &str = "type.googleapis.com/envoy.config.listener.v3.Listener";
const HCM_TYPE: &str = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const FAULT_TYPE: &str = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault";
const ROUTER_TYPE: &str = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router";
const FILE_LOG_TYPE: &str =
    "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog";

/// Istio's default access log line (`meshConfig.accessLogFormat` unset, TEXT encoding).
pub const ISTIO_ACCESS_LOG_FORMAT: &str = concat!(
    "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" ",
    "%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% ",
    "\"%UPSTREAM_TRANSPORT_FAILURE_REASON%\" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% ",
    "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" ",
    "\"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\" %UPSTREAM_CLUSTER_RAW% ",
    "%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% ",
    "%REQUESTED_SERVER_NAME% %ROUTE_NAME%\n"
);

/// Where the files Envoy reads and writes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The directory of the xDS files (`lds/`, `cds/`, `rds/<route>/`).
    pub xds_dir: PathBuf,
    pub access_log: PathBuf,
}

impl Layout {
    /// All files under `work_dir`.
    pub fn in_dir(work_dir: &Path) -> Self {
        Self {
            xds_dir: work_dir.join("xds"),
            access_log: work_dir.join("access.log"),
        }
    }

    pub fn lds_dir(&self) -> PathBuf {
        self.xds_dir.join("lds")
    }

    pub fn cds_dir(&self) -> PathBuf {
        self.xds_dir.join("cds")
    }

    /// Each route configuration has a directory of its own, so that replacing one file wakes
    /// only its own subscription.
    pub fn rds_dir(&self, route_config: &str) -> PathBuf {
        let safe: String = route_config
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.xds_dir.join("rds").join(safe)
    }

    /// The file inside one of the directories above.
    pub fn file_in(dir: &Path) -> PathBuf {
        dir.join("resources.json")
    }
}

/// A file-based config source watched through its directory: Envoy reloads the file when an
/// entry is moved into the directory, which is how [`crate::xds`] replaces files atomically.
pub fn path_config_source(dir: &Path) -> Value {
    json!({
        "resource_api_version": "V3",
        "path_config_source": {
            "path": Layout::file_in(dir),
            "watched_directory": {"path": dir},
        },
    })
}

/// Istio's access log to the mesh's file, for HTTP and TCP alike.
fn access_log(layout: &Layout) -> Value {
    json!([{
        "name": "envoy.access_loggers.file",
        "typed_config": {
            "@type": FILE_LOG_TYPE,
            "path": layout.access_log,
            "log_format": {"text_format_source": {"inline_string": ISTIO_ACCESS_LOG_FORMAT}},
        },
    }])
}

/// The Envoy `Listener` for a plan.
pub fn listener(plan: &ListenerPlan, layout: &Layout) -> Value {
    let log = access_log(layout);
    let filters = match &plan.tcp_proxy {
        Some(l4) => ambient::network_filters(l4, &plan.stat_prefix, &log),
        None => http_filters(plan, layout, log.clone()),
    };
    let mut listener = json!({
        "@type": LISTENER_TYPE,
        "name": plan.name,
        "address": {"socket_address": {"address": plan.address.to_string(), "port_value": plan.port}},
        "traffic_direction": if plan.inbound.is_some() { "INBOUND" } else { "OUTBOUND" },
        "filter_chains": [{"filters": filters}],
    });
    let l4 = plan.tcp_proxy.as_ref();
    if l4.is_some_and(|l4| l4.tunnel_out) {
        listener["socket_options"] = hbone::reset_on_close();
    }
    if let Some(inbound) = &plan.inbound {
        listener["listener_filters"] = json!([tls::tls_inspector()]);
        listener["filter_chains"] = inbound::filter_chains(inbound, &filters);
        if let (Some((stat_prefix, policy)), Some(chains)) = (
            l4.and_then(|l4| l4.tunnel_in.as_ref()),
            listener["filter_chains"].as_array_mut(),
        ) {
            chains.insert(0, hbone::server_chain(inbound, policy, stat_prefix, &log));
        }
    } else if let Some(chains) = &plan.tls {
        listener["listener_filters"] = json!([tls::tls_inspector()]);
        listener["filter_chains"] = if chains.is_empty() {
            json!([tls::closed_chain()])
        } else {
            chains
                .iter()
                .map(|chain| tls::filter_chain(chain, &filters, &log))
                .collect()
        };
    }
    listener
}

/// The network filters of an HTTP listener: the connection manager with its HTTP filters.
fn http_filters(plan: &ListenerPlan, layout: &Layout, access_log: Value) -> Value {
    let router =
        json!({"name": "envoy.filters.http.router", "typed_config": {"@type": ROUTER_TYPE}});
    let mut connection_manager = json!({
        "@type": HCM_TYPE,
        "stat_prefix": plan.stat_prefix,
        "access_log": access_log,
        // The gateway is the edge and trusts the peer address; a sidecar keeps the caller's.
        "use_remote_address": plan.ingress,
        "server_name": "istio-envoy",
        "generate_request_id": true,
        "normalize_path": true,
        "path_with_escaped_slashes_action": "KEEP_UNCHANGED",
        "stream_idle_timeout": "0s",
        "upgrade_configs": [{"upgrade_type": "websocket"}],
    });
    if let Some(inbound) = plan.inbound.as_ref().filter(|inbound| inbound.serves_app) {
        connection_manager["route_config"] = inbound::route_config(inbound);
        let mut http_filters = plan.http_filters.clone();
        http_filters.push(router);
        connection_manager["http_filters"] = Value::Array(http_filters);
        // The app sees the verified peer (`URI=spiffe://...`) and never a header a client
        // wrote itself: an identity comes from a certificate only.
        connection_manager["forward_client_cert_details"] = json!("SANITIZE_SET");
        connection_manager["set_current_client_cert_details"] = json!({"uri": true});
    } else {
        connection_manager["rds"] = json!({
            "route_config_name": plan.route_config,
            "config_source": path_config_source(&layout.rds_dir(&plan.route_config)),
        });
        // Where istiod puts it: before the router, configured per route.
        let mut http_filters = plan.http_filters.clone();
        http_filters
            .push(json!({"name": ROUTER_FAULT_FILTER, "typed_config": {"@type": FAULT_TYPE}}));
        http_filters.push(router);
        connection_manager["http_filters"] = Value::Array(http_filters);
    }
    json!([{
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": connection_manager,
    }])
}
