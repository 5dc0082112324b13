//! The tunnel between node proxies, as ztunnel's HBONE: the caller's node proxy opens an HTTP/2
//! `CONNECT` over mutual TLS (ALPN `hbone`) to the destination pod's side, which checks the L4
//! policy on that request (an HTTP RBAC filter with the connection-only rules) and, allowed,
//! joins the stream to the app's port. A refusal is an answer to the `CONNECT`, which the
//! caller's TCP proxy turns into a reset of the app's connection (curl's exit code 56), as
//! ztunnel resets it.

use serde_json::{Value, json};

use super::inbound::{self, InboundPlan};

/// The ALPN by which the destination's side tells a tunnel from plain mutual TLS (the ingress
/// gateway's calls).
const ALPN: &str = "hbone";

const HCM_TYPE: &str = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const ROUTER_TYPE: &str = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router";
const HTTP_OPTIONS_TYPE: &str =
    "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

/// `SO_LINGER` (`SOL_SOCKET` 1, option 13) on, with a zero timeout: `struct linger {1, 0}` as
/// two native-endian ints, in base64.
const SOL_SOCKET: i64 = 1;
const SO_LINGER: i64 = 13;
const LINGER_ZERO: &str = "AQAAAAAAAAA=";

/// The bytes Envoy holds of an app's first write while the tunnel opens.
const EARLY_DATA_BYTES: u32 = 65_536;

/// Makes a caller's TCP proxy (its `typed_config`) open a tunnel (`CONNECT` to the chosen
/// endpoint) once the app has written: so the app's connection is established and its request
/// sent before a refusal resets it (curl's 56, not a failed connect), as with ztunnel. Bookinfo's
/// protocols are client-first (HTTP).
pub fn tunnel_from(tcp_proxy: &mut Value) {
    tcp_proxy["tunneling_config"] = json!({"hostname": "%UPSTREAM_HOST%"});
    tcp_proxy["upstream_connect_mode"] = json!("ON_DOWNSTREAM_DATA");
    tcp_proxy["max_early_data_bytes"] = json!(EARLY_DATA_BYTES);
}

/// The socket options of the caller's listener: when Envoy closes the app's connection
/// (a refused tunnel) it resets it, as ztunnel does, rather than ending it cleanly.
pub fn reset_on_close() -> Value {
    json!([{"level": SOL_SOCKET, "name": SO_LINGER, "buf_value": LINGER_ZERO}])
}

/// Makes a caller's cluster a tunnel's: HTTP/2 over the mutual TLS `mtls` (with the `hbone`
/// ALPN), one connection per tunnel, to every endpoint, whatever the endpoint's PeerAuthentication says: between node
/// proxies the tunnel is always mutual TLS, as ztunnel's is.
pub fn client_cluster(cluster: &mut Value, mut mtls: Value) {
    mtls["typed_config"]["common_tls_context"]["alpn_protocols"] = json!([ALPN]);
    if let Some(fields) = cluster.as_object_mut() {
        fields.remove("transport_socket_matches");
    }
    cluster["transport_socket"] = mtls;
    cluster["typed_extension_protocol_options"] = json!({
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
            "@type": HTTP_OPTIONS_TYPE,
            "explicit_http_config": {"http2_protocol_options": {}},
            // One tunnel per TLS connection: a connection opened before a policy changed
            // never carries a new tunnel past the new policy.
            "common_http_protocol_options": {"max_requests_per_connection": 1},
        },
    });
}

/// The destination pod's tunnel chain: mutual TLS with the `hbone` ALPN, the `CONNECT`
/// checked by `policy` (HTTP RBAC filters) and joined to the app's port.
pub fn server_chain(
    plan: &InboundPlan,
    policy: &[Value],
    stat_prefix: &str,
    access_log: &Value,
) -> Value {
    let mut http_filters = policy.to_vec();
    http_filters
        .push(json!({"name": "envoy.filters.http.router", "typed_config": {"@type": ROUTER_TYPE}}));
    let connection_manager = json!({
        "@type": HCM_TYPE,
        "stat_prefix": stat_prefix,
        "codec_type": "HTTP2",
        "http2_protocol_options": {"allow_connect": true},
        "upgrade_configs": [{"upgrade_type": "CONNECT"}],
        "access_log": access_log,
        "stream_idle_timeout": "0s",
        "route_config": {
            "name": plan.cluster,
            "virtual_hosts": [{
                "name": plan.cluster,
                "domains": ["*"],
                "routes": [{
                    "match": {"connect_matcher": {}},
                    "route": {
                        "cluster": plan.cluster,
                        "timeout": "0s",
                        "upgrade_configs": [{"upgrade_type": "CONNECT", "connect_config": {}}],
                    },
                }],
            }],
        },
        "http_filters": http_filters,
    });
    json!({
        "name": "hbone",
        "filter_chain_match": {"transport_protocol": "tls", "application_protocols": [ALPN]},
        "filters": [{
            "name": "envoy.filters.network.http_connection_manager",
            "typed_config": connection_manager,
        }],
        "transport_socket": inbound::downstream_tls(plan),
    })
}
