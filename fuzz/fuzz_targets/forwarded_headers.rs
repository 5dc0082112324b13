//! The headers forwarded to backends, collected from whatever a client sent: any names and values
//! (those HTTP allows), any number of each.
#![no_main]

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use chassis::propagation::{FORWARDED_HEADERS, ForwardedHeaders};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|headers: Vec<(String, Vec<u8>)>| {
    let mut incoming = HeaderMap::new();
    for (name, value) in &headers {
        // Listed names are likelier than random ones to reach the interesting paths.
        let name = name
            .parse::<usize>()
            .ok()
            .and_then(|index| FORWARDED_HEADERS.get(index % FORWARDED_HEADERS.len()))
            .map_or(name.as_str(), |listed| listed);
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            incoming.append(name, value);
        }
    }
    let forwarded = ForwardedHeaders::from_headers(&incoming);
    for (name, _) in forwarded.iter() {
        assert!(
            FORWARDED_HEADERS.contains(&name.as_str()),
            "{name} is not forwardable"
        );
    }
    let signed_in = forwarded
        .clone()
        .without("end-user")
        .with("end-user", "jason");
    assert_eq!(
        signed_in.get("end-user").map(|value| value.as_bytes()),
        Some(&b"jason"[..])
    );
    let _ = forwarded.trace_context_only();
});
