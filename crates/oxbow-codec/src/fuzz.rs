//! Bodies of the cargo-fuzz targets in `fuzz/` at the repository root. They
//! live here, not in the fuzz crate, so that the property tests of this crate
//! run exactly the same code on a stable toolchain in CI; the fuzz targets are
//! one-line wrappers. A panic in here is a finding: the `assert!`s state
//! invariants of what the codec accepts.

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, RequestKind};

use crate::batch::{
    parse_header, patch_base_offset, set_log_append_time, split_batches, validate, verify_stored, BatchInfo,
    BatchLimits, BATCH_HEADER_BYTES, BATCH_LENGTH_PREFIX_BYTES,
};
use crate::compression::{decompress_bounded, Compression};
use crate::frame::decode_request_header;

/// Limits for the batch target: small, so that bombs reach them quickly.
pub const LIMITS: BatchLimits = BatchLimits { batch_bytes_max: 1 << 20, decompressed_bytes_max: 1 << 20 };

/// Every api key the vendored `kafka-protocol` knows, with its valid versions.
pub fn api_versions() -> impl Iterator<Item = (ApiKey, i16)> {
    ApiKey::iter().flat_map(|key| {
        let range = key.valid_versions();
        (range.min..=range.max).map(move |version| (key, version))
    })
}

/// Decodes a request body as `api_key` at `version`, as the dispatcher will,
/// returning how many bytes were left over or the decoder's message.
pub fn decode_body(api_key: ApiKey, version: i16, body: &[u8]) -> Result<usize, String> {
    let mut bytes = Bytes::copy_from_slice(body);
    RequestKind::decode(api_key, &mut bytes, version).map(|_| bytes.len()).map_err(|e| e.to_string())
}

/// The `request_decode` target: `data` is a whole request frame (after the
/// length prefix): a header, then a body decoded with the header's api key and
/// version. The same bytes are also read as `[key index][version][body]`, so
/// that most inputs reach a body decoder with a version it supports.
pub fn request_decode(data: &[u8]) {
    let mut frame = Bytes::copy_from_slice(data);
    if let Ok((api_key, header)) = decode_request_header(&mut frame) {
        let _ = RequestKind::decode(api_key, &mut frame, header.request_api_version);
    }
    if let [key_pick, version_pick, body @ ..] = data {
        let keys: Vec<ApiKey> = ApiKey::iter().collect();
        let api_key = keys[usize::from(*key_pick) % keys.len()];
        let range = api_key.valid_versions();
        let span = range.max.saturating_sub(range.min).saturating_add(1).max(1);
        let version = range.min.saturating_add(i16::from(*version_pick) % span);
        let _ = decode_body(api_key, version, body);
    }
}

/// The `batch_validate` target. `data` is read three ways: as a record set
/// as sent; with its framing made consistent (magic 2, batch length and CRC
/// fixed) so that mutations get past the CRC into the record walk and the
/// decompressors; and as the compressed payload of each codec. With the
/// `fuzzing` feature (and in tests) also a fourth: as records that are
/// compressed for real and framed, see [`batch_from_records`].
pub fn batch_validate(data: &[u8]) {
    check_batch(data);
    let _ = split_batches(data);
    if let Some(fixed) = with_consistent_framing(data) {
        check_batch(&fixed);
    }
    for codec in [Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd] {
        if let Ok(out) = decompress_bounded(codec, data, LIMITS.decompressed_bytes_max) {
            assert!(out.len() <= LIMITS.decompressed_bytes_max, "{codec:?} inflated past the limit");
        }
    }
    #[cfg(any(test, feature = "fuzzing"))]
    if let Some(batch) = batch_from_records(data) {
        // Compression must not change the verdict: the same records framed
        // uncompressed are accepted exactly when the compressed batch is.
        let compressed = check_batch(&batch).map(|info| info.record_count);
        let plain = [&[0u8][..], &data[1..]].concat();
        let uncompressed = batch_from_records(&plain).and_then(|b| check_batch(&b)).map(|info| info.record_count);
        assert_eq!(compressed, uncompressed, "codec {} changed the verdict", data[0] % 6);
    }
}

/// Fuzzing support: `[codec][records section]` made into a batch the way a
/// producer makes one, so that the fuzzer's record bytes reach the record
/// walk through every real decompressor. The codec byte picks none, gzip,
/// raw snappy, lz4, zstd or xerial-framed snappy; the count is that of the
/// well-formed records the section starts with.
#[cfg(any(test, feature = "fuzzing"))]
pub fn batch_from_records(data: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let (&codec, section) = data.split_first()?;
    let (codec_id, compressed): (i16, Vec<u8>) = match codec % 6 {
        0 => (0, section.to_vec()),
        1 => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(section).ok()?;
            (1, e.finish().ok()?)
        }
        2 => (2, snap::raw::Encoder::new().compress_vec(section).ok()?),
        3 => {
            let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
            e.write_all(section).ok()?;
            (3, e.finish().ok()?)
        }
        4 => (4, zstd::bulk::compress(section, 1).ok()?),
        _ => {
            let mut framed = vec![0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1];
            for block in section.chunks(512) {
                let raw = snap::raw::Encoder::new().compress_vec(block).ok()?;
                framed.extend_from_slice(&u32::try_from(raw.len()).ok()?.to_be_bytes());
                framed.extend_from_slice(&raw);
            }
            (2, framed)
        }
    };
    let count = crate::batch::count_leading_records(section).max(1);
    let mut batch = vec![0u8; crate::batch::BATCH_HEADER_BYTES];
    batch[16] = 2; // magic
    batch[21..23].copy_from_slice(&codec_id.to_be_bytes());
    batch[23..27].copy_from_slice(&(count - 1).to_be_bytes());
    batch[43..51].copy_from_slice(&(-1i64).to_be_bytes()); // producer id
    batch[51..53].copy_from_slice(&(-1i16).to_be_bytes()); // producer epoch
    batch[53..57].copy_from_slice(&(-1i32).to_be_bytes()); // base sequence
    batch[57..61].copy_from_slice(&count.to_be_bytes());
    batch.extend_from_slice(&compressed);
    with_consistent_framing(&batch)
}

/// `data` with base offset 0, magic 2, its batch length set to its size and
/// its CRC made right, or `None` if it cannot hold a header.
pub fn with_consistent_framing(data: &[u8]) -> Option<Vec<u8>> {
    if data.len() < BATCH_HEADER_BYTES {
        return None;
    }
    let mut fixed = data.to_vec();
    fixed[..8].fill(0);
    let length = i32::try_from(fixed.len() - BATCH_LENGTH_PREFIX_BYTES).ok()?;
    fixed[8..12].copy_from_slice(&length.to_be_bytes());
    fixed[16] = 2;
    let crc = crc32c::crc32c(&fixed[21..]);
    fixed[17..21].copy_from_slice(&crc.to_be_bytes());
    Some(fixed)
}

/// Validates `batch` and, if it is accepted, checks what the broker relies on
/// afterwards. Returns what `validate` returned.
pub fn check_batch(batch: &[u8]) -> Option<BatchInfo> {
    let info = validate(batch, &LIMITS).ok()?;
    assert_eq!(parse_header(batch), Ok(info), "validate and parse_header disagree");
    let framed = split_batches(batch);
    assert!(matches!(&framed, Ok(r) if r.len() == 1 && r[0] == (0..batch.len())), "framed as {framed:?}");
    assert!(info.record_count >= 1 && info.last_offset_delta == info.record_count - 1);
    assert!(!info.control);

    // Stamped on the way in, as a LogAppendTime topic does.
    let mut stamped = batch.to_vec();
    set_log_append_time(&mut stamped, 1_234);
    let stamped_info = validate(&stamped, &LIMITS);
    assert!(
        matches!(stamped_info, Ok(s) if s.log_append_time && s.max_timestamp_ms == 1_234 && s.record_count == info.record_count),
        "stamping log append time broke the batch: {stamped_info:?}"
    );

    // Given its offset on the way out.
    let mut stored = stamped;
    patch_base_offset(&mut stored, 1 << 40);
    assert_eq!(verify_stored(&stored), Ok(()), "patching the base offset broke the batch");
    assert_eq!(parse_header(&stored), stamped_info, "patching the base offset changed the header");
    Some(info)
}

#[cfg(test)]
mod tests;
