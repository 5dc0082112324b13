//! What every pod must have: health probes, sized resources, the hardened security context,
//! a graceful shutdown that fits its grace period, and Prometheus annotations; and the Pod
//! Security "restricted" level, control by control as the Pod Security Standards list them.

use serde_json::{Value, json};

use crate::support::{
    DATABASES, Manifest, SERVICES, app_label, containers, manifests_of_kind, pod_spec,
};

fn deployments() -> Vec<&'static Manifest> {
    manifests_of_kind("apps/v1", "Deployment").collect()
}

fn is_bookinfo(deployment: &Manifest) -> bool {
    SERVICES.contains(&app_label(deployment))
}

#[test]
fn every_bookinfo_container_is_named_after_its_service_and_serves_http_on_9080() {
    for deployment in deployments().into_iter().filter(|d| is_bookinfo(d)) {
        let containers = containers(deployment);
        assert_eq!(containers.len(), 1, "{}", deployment.id());
        assert_eq!(
            containers[0]["name"],
            app_label(deployment),
            "{}",
            deployment.id()
        );
        assert_eq!(
            containers[0]["ports"],
            json!([{"name": "http", "containerPort": 9080}]),
            "{}",
            deployment.id()
        );
        assert!(deployment.value["spec"]["template"]["metadata"]["labels"]["version"].is_string());
    }
}

#[test]
fn every_bookinfo_container_has_readiness_and_liveness_probes_on_health() {
    for deployment in deployments().into_iter().filter(|d| is_bookinfo(d)) {
        for container in containers(deployment) {
            for probe in ["readinessProbe", "livenessProbe"] {
                let get = &container[probe]["httpGet"];
                assert_eq!(get["path"], "/health", "{} {probe}", deployment.id());
                assert!(
                    get["port"] == "http" || get["port"] == 9080,
                    "{} {probe}",
                    deployment.id()
                );
            }
        }
    }
}

#[test]
fn every_database_container_has_startup_readiness_and_liveness_probes() {
    let databases: Vec<&Manifest> = deployments()
        .into_iter()
        .filter(|d| DATABASES.contains(&app_label(d)))
        .collect();
    assert_eq!(databases.len(), 2);
    for deployment in databases {
        for container in containers(deployment) {
            for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
                assert!(
                    container[probe]["tcpSocket"]["port"].is_string(),
                    "{} {probe}",
                    deployment.id()
                );
            }
        }
    }
}

#[test]
fn every_container_has_cpu_and_memory_requests_and_limits() {
    for deployment in deployments() {
        for container in containers(deployment) {
            for bound in ["requests", "limits"] {
                for resource in ["cpu", "memory"] {
                    assert!(
                        container["resources"][bound][resource].is_string(),
                        "{}: {} has no {bound}.{resource}",
                        deployment.id(),
                        container["name"]
                    );
                }
            }
        }
    }
}

#[test]
fn every_container_runs_non_root_read_only_without_privileges_or_capabilities() {
    let hardened = json!({
        "runAsNonRoot": true,
        "readOnlyRootFilesystem": true,
        "allowPrivilegeEscalation": false,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    });
    for deployment in deployments() {
        for container in containers(deployment) {
            let context = container["securityContext"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for (field, wanted) in hardened.as_object().into_iter().flatten() {
                assert_eq!(
                    context.get(field),
                    Some(wanted),
                    "{}: securityContext.{field}",
                    deployment.id()
                );
            }
        }
        // Containers that a mesh injects (istio-proxy) inherit these from the pod.
        let pod = &pod_spec(deployment)["securityContext"];
        assert_eq!(pod["runAsNonRoot"], true, "{}", deployment.id());
        assert_eq!(
            pod["seccompProfile"]["type"],
            "RuntimeDefault",
            "{}",
            deployment.id()
        );
    }
}

/// The Pod Security Standards' "restricted" controls (which include "baseline"), checked on a
/// pod template. Returns the controls it breaks.
fn restricted_violations(spec: &Value) -> Vec<String> {
    let mut violations = Vec::new();
    let pod = &spec["securityContext"];
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if spec[field] == true {
            violations.push(format!("host namespaces: {field}"));
        }
    }
    if pod["windowsOptions"]["hostProcess"] == true {
        violations.push("HostProcess".into());
    }
    const VOLUME_TYPES: [&str; 8] = [
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    ];
    for volume in spec["volumes"].as_array().into_iter().flatten() {
        let ok = volume
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(key, _)| key.as_str() != "name")
            .all(|(key, _)| VOLUME_TYPES.contains(&key.as_str()));
        if !ok {
            violations.push(format!("volume types: {volume}"));
        }
    }
    const SAFE_SYSCTLS: [&str; 5] = [
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
    ];
    for sysctl in pod["sysctls"].as_array().into_iter().flatten() {
        if !SAFE_SYSCTLS.contains(&sysctl["name"].as_str().unwrap_or_default()) {
            violations.push(format!("sysctls: {sysctl}"));
        }
    }
    let pod_seccomp = pod["seccompProfile"]["type"].as_str();
    let all_containers = ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .flat_map(|field| spec[*field].as_array().into_iter().flatten());
    for container in all_containers {
        let name = container["name"].as_str().unwrap_or_default();
        let context = &container["securityContext"];
        if context["privileged"] == true {
            violations.push(format!("{name}: privileged"));
        }
        if context["windowsOptions"]["hostProcess"] == true {
            violations.push(format!("{name}: HostProcess"));
        }
        if context["allowPrivilegeEscalation"] != false {
            violations.push(format!("{name}: allowPrivilegeEscalation must be false"));
        }
        let non_root = context["runAsNonRoot"] == true
            || (context["runAsNonRoot"].is_null() && pod["runAsNonRoot"] == true);
        if !non_root {
            violations.push(format!("{name}: runAsNonRoot must be true"));
        }
        for user in [&context["runAsUser"], &pod["runAsUser"]] {
            if *user == 0 {
                violations.push(format!("{name}: runAsUser 0"));
            }
        }
        let seccomp = context["seccompProfile"]["type"].as_str().or(pod_seccomp);
        if !matches!(seccomp, Some("RuntimeDefault" | "Localhost")) {
            violations.push(format!(
                "{name}: seccompProfile must be RuntimeDefault or Localhost"
            ));
        }
        let drops: Vec<&str> = context["capabilities"]["drop"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !drops.contains(&"ALL") {
            violations.push(format!("{name}: capabilities.drop must include ALL"));
        }
        for added in context["capabilities"]["add"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if added != "NET_BIND_SERVICE" {
                violations.push(format!("{name}: capability {added} added"));
            }
        }
        for port in container["ports"].as_array().into_iter().flatten() {
            if port["hostPort"].as_u64().unwrap_or(0) != 0 {
                violations.push(format!("{name}: hostPort"));
            }
        }
        if !matches!(context["procMount"].as_str(), None | Some("Default")) {
            violations.push(format!("{name}: procMount"));
        }
        if !matches!(
            context["appArmorProfile"]["type"].as_str(),
            None | Some("RuntimeDefault" | "Localhost")
        ) {
            violations.push(format!("{name}: appArmorProfile"));
        }
        let selinux = &context["seLinuxOptions"];
        if !selinux["user"].is_null() || !selinux["role"].is_null() {
            violations.push(format!("{name}: seLinuxOptions user/role"));
        }
    }
    violations
}

#[test]
fn every_pod_meets_the_pod_security_restricted_level() {
    let mut problems = Vec::new();
    for deployment in deployments() {
        for violation in restricted_violations(pod_spec(deployment)) {
            problems.push(format!("{}: {violation}", deployment.id()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_restricted_check_catches_what_upstreams_pods_lack() {
    // upstream's bookinfo.yaml pod: no security context at all
    let upstream = json!({"containers": [{"name": "details", "image": "x"}]});
    let violations = restricted_violations(&upstream);
    for control in [
        "allowPrivilegeEscalation",
        "runAsNonRoot",
        "seccompProfile",
        "capabilities.drop",
    ] {
        assert!(
            violations.iter().any(|v| v.contains(control)),
            "{control} missed: {violations:?}"
        );
    }
    // upstream's bookinfo-psa.yaml drops "all" in lower case: restricted wants "ALL"
    let psa = json!({"containers": [{"name": "details", "securityContext": {
        "allowPrivilegeEscalation": false, "capabilities": {"drop": ["all"]}, "runAsNonRoot": true}}]});
    let violations = restricted_violations(&psa);
    assert!(violations.iter().any(|v| v.contains("capabilities.drop")));
    assert!(violations.iter().any(|v| v.contains("seccompProfile")));
    let host_path =
        json!({"volumes": [{"name": "h", "hostPath": {"path": "/"}}], "containers": []});
    assert_eq!(restricted_violations(&host_path).len(), 1);
}

/// On SIGTERM a service stops accepting and gives requests in flight
/// `chassis::server::SHUTDOWN_GRACE` to finish; the preStop sleep runs before that. Both must
/// fit in the pod's grace period, or the kubelet kills requests mid-flight.
#[test]
fn every_bookinfo_pod_shuts_down_within_its_termination_grace_period() {
    let drain = chassis::server::SHUTDOWN_GRACE.as_secs();
    for deployment in deployments().into_iter().filter(|d| is_bookinfo(d)) {
        let grace = pod_spec(deployment)["terminationGracePeriodSeconds"]
            .as_u64()
            .unwrap_or(30);
        for container in containers(deployment) {
            let pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
                .as_u64()
                .unwrap_or(0);
            assert!(
                pre_stop > 0,
                "{}: no preStop sleep to let endpoints drain",
                deployment.id()
            );
            assert!(
                pre_stop + drain < grace,
                "{}: {pre_stop} s preStop + {drain} s drain does not fit in {grace} s",
                deployment.id()
            );
        }
    }
}

#[test]
fn every_bookinfo_pod_carries_the_prometheus_scrape_annotations() {
    for deployment in deployments().into_iter().filter(|d| is_bookinfo(d)) {
        let annotations = &deployment.value["spec"]["template"]["metadata"]["annotations"];
        assert_eq!(
            annotations["prometheus.io/scrape"],
            "true",
            "{}",
            deployment.id()
        );
        assert_eq!(
            annotations["prometheus.io/port"],
            "9080",
            "{}",
            deployment.id()
        );
        assert_eq!(
            annotations["prometheus.io/path"],
            "/metrics",
            "{}",
            deployment.id()
        );
    }
}
