//! A produced record set: batch validation, framing, the broker's in-place
//! edits and every decompressor. The body lives in
//! `oxbow_codec::fuzz::batch_validate` so that the crate's property tests run
//! the same code on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    oxbow_codec::fuzz::batch_validate(data);
});
