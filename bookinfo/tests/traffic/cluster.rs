//! The cluster's traffic Deployment asks for a run this command accepts.

use bookinfo::traffic::{Pace, TrafficArgs};
use clap::Parser as _;
use serde::Deserialize as _;
use serde_json::Value;

#[derive(clap::Parser)]
struct Traffic {
    #[command(flatten)]
    args: TrafficArgs,
}

/// The container arguments of the Deployment in platform/kube/bookinfo-traffic.yaml.
fn deployment_args() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../platform/kube/bookinfo-traffic.yaml"
    );
    let text = std::fs::read_to_string(path).expect("the manifest is there");
    let deployment = serde_norway::Deserializer::from_str(&text)
        .map(|document| Value::deserialize(document).expect("YAML"))
        .find(|object| object["kind"] == "Deployment")
        .expect("a Deployment");
    deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|arg| arg.as_str().expect("string args").to_owned())
        .collect()
}

#[test]
fn the_cluster_deployment_runs_a_bounded_paced_traffic_run_at_productpage() {
    let args = deployment_args();
    assert_eq!(args[0], "traffic");
    // clap takes the first argument, `traffic`, as the program name.
    let parsed = Traffic::try_parse_from(&args)
        .unwrap_or_else(|error| panic!("{args:?}: {error}"))
        .args;
    let plan = parsed.plan();
    assert_eq!(plan.url, "http://productpage:9080");
    assert!(matches!(plan.pace, Pace::Rate(_)), "{plan:?}");
    assert!(
        plan.duration.is_some() || plan.requests.is_some(),
        "{plan:?}"
    );
    assert!(!parsed.json, "people read its log");
}
