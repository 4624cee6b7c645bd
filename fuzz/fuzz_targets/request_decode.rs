//! A request frame (after its length prefix): header, then the body decoded
//! with the header's api key and version. The body lives in
//! `oxbow_codec::fuzz::request_decode` so that the crate's property tests run
//! the same code on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    oxbow_codec::fuzz::request_decode(data);
});
