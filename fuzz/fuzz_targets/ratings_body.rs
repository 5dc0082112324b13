//! A POSTed ratings body: refused with a reason or accepted as an object of integers, which then
//! serialises back to JSON that reads as the same ratings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ratings::ratings::Ratings;

fuzz_target!(|body: &[u8]| {
    if let Ok(ratings) = Ratings::from_json(body) {
        let json = serde_json::to_vec(&ratings).expect("ratings serialise");
        assert_eq!(Ratings::from_json(&json).as_ref(), Ok(&ratings));
    }
});
