//! Product ids as each service reads them from a URL: productpage's `ProductId::parse` (and the
//! backend URL segment it makes), details' Ruby `Integer()` of the last path segment, ratings'
//! JavaScript `parseInt` of the request target. None may panic; what each accepts must print back.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    if let Some(id) = productpage::product::ProductId::parse(raw) {
        let segment = id.path_segment().to_string();
        assert!(
            !segment.contains('/'),
            "{raw:?} became the segment {segment:?}"
        );
    }
    if let Ok(id) = details::product_id::ProductId::from_path(raw) {
        let _ = id.to_string();
    }
    if let Some(id) = ratings::product_id::ProductId::from_request_target(raw) {
        assert!(ratings::product_id::ProductId::new(id.get()).is_some());
    }
});
