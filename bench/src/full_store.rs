//! ratings with its in-memory store full: POSTs of the costliest body a client may send (4 KiB of
//! 545 reviewers) for new products until ratings answers 507, then its resident memory, to hold
//! against the 64 MiB its Kubernetes manifest allows.

use std::time::Duration;

/// `resources.limits.memory` of ratings-v1 in platform/kube/bookinfo.yaml, in KiB.
pub const MANIFEST_LIMIT_KIB: u64 = 64 * 1024;

/// More products than any store bound lets in: the loop's own bound.
const MOST_PRODUCTS: u32 = 100_000;

/// How full the store got and what ratings then held in memory.
#[derive(Debug, Clone, Copy)]
pub struct FullStore {
    pub products: u32,
    pub rss_kib: u64,
}

/// A JSON object of 545 two-character reviewers with 5 stars each, just under 4 KiB.
pub fn costliest_body() -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let stars: Vec<String> = (0..545)
        .map(|i| {
            let name = [DIGITS[i / 36], DIGITS[i % 36]];
            format!(r#""{}":5"#, String::from_utf8_lossy(&name))
        })
        .collect();
    format!("{{{}}}", stars.join(","))
}

/// Fills the store of the ratings at `base_url` (`http://127.0.0.1:port`) and measures it with
/// `rss_kib` once it refuses new products.
pub async fn fill(base_url: &str, rss_kib: impl Fn() -> Option<u64>) -> Result<FullStore, String> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    let body = costliest_body();
    for product in 0..MOST_PRODUCTS {
        let response = client
            .post(format!("{base_url}/ratings/{product}"))
            .content_type("application/json")
            .send_body(body.clone())
            .await
            .map_err(|error| format!("ratings POST {product}: {error}"))?;
        match response.status().as_u16() {
            200 => {}
            507 => {
                let rss_kib = rss_kib().ok_or("ratings' memory could not be read")?;
                return Ok(FullStore {
                    products: product,
                    rss_kib,
                });
            }
            status => return Err(format!("ratings POST {product}: status {status}")),
        }
    }
    Err(format!(
        "ratings stored {MOST_PRODUCTS} products and never said its store was full"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_545_reviewers_within_4_kib() {
        let body = costliest_body();
        assert!(body.len() <= 4096, "{}", body.len());
        assert_eq!(body.matches(":5").count(), 545);
    }
}
