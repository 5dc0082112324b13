//! Per-route policies as istiod writes them: the retry policy (Istio's defaults laid under what
//! `retries` says), fault injection for the fault filter, and percentages as Envoy fractions.

use serde_json::{Value, json};

use crate::istio::{Fault, Percent, Retries};

/// Istio's default retry conditions (`retry.DefaultPolicy`); 503 is left out by default since
/// Istio 1.2x (`EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY=true`).
pub const DEFAULT_RETRY_ON: &str =
    "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

/// Istio's default number of retries.
pub const DEFAULT_RETRIES: i64 = 2;

const FAULT_TYPE: &str = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault";
const PREVIOUS_HOSTS_TYPE: &str =
    "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate";

/// Istio's `retry.ConvertPolicy`: the default when no `retries` is given, none with
/// `attempts: 0`, otherwise the default with the given fields laid over it.
pub fn retry_policy(retries: Option<&Retries>) -> Option<Value> {
    let mut retry_on = DEFAULT_RETRY_ON.to_owned();
    let mut status_codes: Vec<u32> = Vec::new();
    let mut attempts = DEFAULT_RETRIES;
    let mut per_try_timeout = None;
    let mut previous_hosts = true;
    let mut backoff = None;
    if let Some(retries) = retries {
        attempts = retries.attempts.unwrap_or(0);
        if attempts <= 0 {
            // Explicitly disables retries.
            return None;
        }
        if let Some(conditions) = retries.retry_on.as_deref().filter(|text| !text.is_empty()) {
            let mut names = Vec::new();
            for part in conditions
                .split(',')
                .map(str::trim)
                .filter(|part| !part.is_empty())
            {
                match part.parse::<u32>() {
                    Ok(code) if (100..=599).contains(&code) => status_codes.push(code),
                    _ => names.push(part),
                }
            }
            retry_on = names.join(",");
            if !status_codes.is_empty() && !retry_on.contains("retriable-status-codes") {
                if !retry_on.is_empty() {
                    retry_on.push(',');
                }
                retry_on.push_str("retriable-status-codes");
            }
        }
        per_try_timeout = retries.per_try_timeout;
        if let Some(ignore) = retries.retry_ignore_previous_hosts {
            previous_hosts = ignore;
        }
        backoff = retries.backoff;
    }
    let mut policy = serde_json::Map::new();
    policy.insert("retry_on".into(), json!(retry_on));
    policy.insert("num_retries".into(), json!(attempts));
    if !status_codes.is_empty() {
        policy.insert("retriable_status_codes".into(), json!(status_codes));
    }
    if let Some(per_try_timeout) = per_try_timeout {
        policy.insert("per_try_timeout".into(), json!(per_try_timeout.envoy()));
    }
    if previous_hosts {
        policy.insert(
            "retry_host_predicate".into(),
            json!([{
                "name": "envoy.retry_host_predicates.previous_hosts",
                "typed_config": {"@type": PREVIOUS_HOSTS_TYPE},
            }]),
        );
    }
    policy.insert("host_selection_retry_max_attempts".into(), json!(5));
    if let Some(backoff) = backoff {
        policy.insert(
            "retry_back_off".into(),
            json!({ "base_interval": backoff.envoy() }),
        );
    }
    Some(Value::Object(policy))
}

/// Istio's `TranslateFault`. A delay without a percentage is applied to no request, as Istio
/// documents; an abort without one is left to Envoy's default, as istiod leaves it.
pub fn fault_config(fault: &Fault) -> Option<Value> {
    let mut out = serde_json::Map::new();
    out.insert("@type".into(), json!(FAULT_TYPE));
    if let Some(delay) = &fault.delay {
        let percentage = match (delay.percentage, delay.percent) {
            (Some(percentage), _) => fraction_of_million(percentage),
            (None, Some(percent)) => json!({"numerator": percent, "denominator": "HUNDRED"}),
            (None, None) => json!({"numerator": 0, "denominator": "HUNDRED"}),
        };
        if let Some(fixed) = delay.fixed_delay {
            out.insert(
                "delay".into(),
                json!({"fixed_delay": fixed.envoy(), "percentage": percentage}),
            );
        }
    }
    if let Some(abort) = &fault.abort
        && let Some(status) = abort.http_status
    {
        let mut fields = serde_json::Map::new();
        fields.insert("http_status".into(), json!(status));
        if let Some(percentage) = abort.percentage {
            fields.insert("percentage".into(), fraction_of_million(percentage));
        }
        out.insert("abort".into(), Value::Object(fields));
    }
    (out.len() > 1).then_some(Value::Object(out))
}

/// A percentage (0–100, fractional) as Envoy's fraction of a million, truncated as istiod does.
fn fraction_of_million(percent: Percent) -> Value {
    // In range: validation keeps the value within 0..=100, so this is at most 1,000,000.
    let numerator = (percent.value * 10_000.0) as u32;
    json!({"numerator": numerator, "denominator": "MILLION"})
}

/// Istio mirrors 100% when no percentage is given, and nothing at 0%.
pub fn mirror_fraction(percentage: Option<Percent>) -> Option<Value> {
    match percentage {
        Some(percent) if percent.value > 0.0 => Some(fraction_of_million(percent)),
        Some(_) => None,
        None => Some(json!({"numerator": 100, "denominator": "HUNDRED"})),
    }
}
